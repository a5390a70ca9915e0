"""Offline chain: emgkit against the textbook scipy chain, one band-pass pass, NeuroKit2."""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
from scipy import ndimage, signal

from emgkit.core import process_trial_emg
from emgkit.model.config import FilterConfig, ProcessingConfig

FS_HZ = 2000.0
MAINS_HZ = 50.0


def make_data(n_channels: int = 16, minutes: float = 10.0, seed: int = 0) -> np.ndarray:
    """Float32 raw-like EMG: noise, DC offsets of tens of mV, 50 Hz mains."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * FS_HZ)
    x = rng.standard_normal((n, n_channels), dtype=np.float32) * 40
    x += rng.uniform(-3e4, 3e4, n_channels).astype(np.float32)
    x += (30 * np.sin(2 * np.pi * MAINS_HZ * np.arange(n) / FS_HZ)).astype(np.float32)[:, None]
    return x


def textbook_chain(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """Band-pass sosfiltfilt, notch filtfilt (fundamental), rectify, moving RMS (250 ms)."""
    sos = signal.butter(4, [20, min(450, 0.45 * fs_hz)], btype="bandpass", fs=fs_hz, output="sos")
    b, a = signal.iirnotch(MAINS_HZ, 30, fs=fs_hz)
    y = signal.sosfiltfilt(sos, x, axis=0)
    y = signal.filtfilt(b, a, y, axis=0)
    y = np.abs(y)
    return np.sqrt(ndimage.uniform_filter1d(y**2, int(0.25 * fs_hz) | 1, axis=0))


def bandpass_only(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """One band-pass ``sosfiltfilt`` pass, as usually called."""
    sos = signal.butter(4, [20, min(450, 0.45 * fs_hz)], btype="bandpass", fs=fs_hz, output="sos")
    return signal.sosfiltfilt(sos, x, axis=0)


def emgkit_chain(x: np.ndarray, fs_hz: float, config: ProcessingConfig | None = None):
    """The emgkit offline chain (mains from the session, harmonics notched)."""
    return process_trial_emg(x, fs_hz, "limb", config, mains_hz=MAINS_HZ)


def timed(fn, *args, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def peak_memory_ratio(fn, x: np.ndarray) -> float:
    """Peak traced allocation during ``fn(x)`` over the input's size."""
    tracemalloc.start()
    fn(x, FS_HZ)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / x.nbytes


def neurokit_per_channel_sample(seconds: float = 10.0) -> float | None:
    """Seconds per channel-sample of NeuroKit2 ``emg_process`` on one channel."""
    try:
        import neurokit2 as nk
    except ImportError:
        return None
    x = make_data(1, seconds / 60.0, seed=1)[:, 0].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = timed(lambda: nk.emg_process(x, sampling_rate=int(FS_HZ)))
    return t / x.size


def run(minutes: float = 10.0, n_channels: int = 16, repeat: int = 5) -> dict:
    x = make_data(n_channels, minutes)
    n_cs = x.size
    res = {"n_channel_samples": n_cs, "input_mb": x.nbytes / 1e6, "repeat": repeat}
    fundamental = ProcessingConfig(filter=FilterConfig(notch_harmonics=False))
    reference = ProcessingConfig(filter=FilterConfig(offline_method="sosfiltfilt"))
    cases = {
        "emgkit_s": (emgkit_chain, x, FS_HZ),
        "emgkit_fundamental_s": (emgkit_chain, x, FS_HZ, fundamental),
        "emgkit_sosfiltfilt_s": (emgkit_chain, x, FS_HZ, reference),
        "textbook_s": (textbook_chain, x, FS_HZ),
        "bandpass_s": (bandpass_only, x, FS_HZ),
    }
    # Round robin, best of `repeat`: load from other jobs hits every case alike.
    for key in cases:
        res[key] = np.inf
    for _ in range(repeat):
        for key, (fn, *args) in cases.items():
            res[key] = min(res[key], timed(fn, *args))
    res["emgkit_memory_x"] = peak_memory_ratio(emgkit_chain, x)
    del x
    nk = neurokit_per_channel_sample()
    res["neurokit_s_per_cs"] = nk
    return res
