import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import signal

from emgkit.core import (
    LowSampleRateWarning,
    StreamingProcessor,
    design_chain,
    filter_emg,
    minmax_decimate,
    process_trial_emg,
    subtract_ecg_template,
)
from emgkit.errors import ConfigError
from emgkit.model.config import EnvelopeConfig, FilterConfig, ProcessingConfig


def _raw(rng, fs, n_s, n_ch, amp=80.0):
    t = np.arange(int(n_s * fs)) / fs
    act = 1 + (amp / 10) * (np.sin(2 * np.pi * 0.5 * t) > 0)
    x = 10 * act[:, None] * rng.standard_normal((t.size, n_ch))
    return x + 3e4 + 50 * np.sin(2 * np.pi * 50 * t)[:, None], t


def test_offline_chain_recovers_amplitude(rng):
    fs = 2000.0
    x, t = _raw(rng, fs, 8, 3)
    env = process_trial_emg(x.astype(np.float32), fs, ["limb", "limb", "trunk"])
    assert env.dtype == np.float32 and env.shape == x.shape
    on = (np.sin(2 * np.pi * 0.5 * t) > 0) & (t % 2 > 0.4) & (t % 2 < 0.6)
    # white noise (SD 90 uV) through the zero-phase chain keeps mean(|H|^4) of its power
    _, h = signal.sosfreqz(design_chain(FilterConfig(), fs, "limb", 50.0), 2**16, fs=fs)
    gain = np.sqrt(np.mean(np.abs(h) ** 4))
    expect = 90 * gain
    assert_allclose(env[on, 0].mean(), expect, rtol=0.05)
    # mains at 50 Hz was detected and removed: quiet parts are at the noise level
    off = ~(np.sin(2 * np.pi * 0.5 * t) > 0) & (t % 2 > 1.4) & (t % 2 < 1.6)
    assert env[off, 0].mean() < 10 * 1.1 * gain


def test_streaming_processor_equals_causal_offline(rng):
    fs = 1000.0
    x, _ = _raw(rng, fs, 3, 4)
    regions = ["limb", "trunk", "limb", "trunk"]
    cfg = ProcessingConfig(envelope=EnvelopeConfig(window_s=0.1))
    env, filt = process_trial_emg(
        x, fs, regions, cfg, mains_hz=50.0, causal=True, return_filtered=True
    )
    live = StreamingProcessor(fs, regions, cfg, mains_hz=50.0, dtype=np.float64)
    blocks = [live.process(x[i : i + 17]) for i in range(0, len(x), 17)]
    assert_allclose(np.concatenate([b.filtered for b in blocks]), filt, rtol=0, atol=1e-9)
    assert_allclose(np.concatenate([b.envelope for b in blocks]), env, rtol=1e-10, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1200), max_size=8))
def test_streaming_processor_float32_any_chunking(cuts):
    x, _ = _raw(np.random.default_rng(5), 1000.0, 1.2, 2)
    x = x.astype(np.float32)
    one = StreamingProcessor(1000.0, ["limb", "limb"], mains_hz=50.0).process(x)
    live = StreamingProcessor(1000.0, ["limb", "limb"], mains_hz=50.0)
    edges = [0, *sorted(cuts), len(x)]
    env = np.concatenate([live.process(x[a:b]).envelope for a, b in itertools.pairwise(edges)])
    assert env.dtype == np.float32
    # float32: identical arithmetic on the filter state; RMS sums in float64
    assert_allclose(env, one.envelope, rtol=1e-5, atol=1e-4)


def test_low_rate_pipeline_warns(rng):
    x, _ = _raw(rng, 250.0, 4, 2)
    with pytest.warns(LowSampleRateWarning, match="under-sampled"):
        env = process_trial_emg(x, 250.0, "limb")
    assert np.isfinite(env).all()


def test_region_checks(rng):
    x, _ = _raw(rng, 1000.0, 1, 2)
    with pytest.raises(ConfigError, match="2 channels"):
        process_trial_emg(x, 1000.0, ["limb"])
    with pytest.raises(ConfigError, match="'limb', 'trunk'"):
        process_trial_emg(x, 1000.0, ["limb", "neck"])


def test_ecg_template_subtraction(rng):
    fs = 1000.0
    t = np.arange(int(30 * fs)) / fs
    beats = np.arange(0.5, 29.5, 0.8)
    ecg = sum(400 * np.exp(-0.5 * ((t - b) / 0.01) ** 2) for b in beats)
    emg = 15 * rng.standard_normal(t.size)
    clean = subtract_ecg_template(ecg + emg, fs)
    assert np.std(clean - emg) < 0.1 * np.std(ecg)
    cfg = FilterConfig(ecg_method="template", notch=False)
    y = filter_emg((ecg + emg)[:, None], fs, ["trunk"], cfg)
    ref = filter_emg(emg[:, None], fs, ["trunk"], cfg)
    assert np.std(y - ref) < 0.2 * np.std(ref)
    # no ECG: unchanged
    assert_allclose(subtract_ecg_template(emg, fs), emg)


def test_minmax_decimation_keeps_peaks(rng):
    y = rng.standard_normal((100_000, 3)).astype(np.float32)
    y[12345, 1] = 50.0
    idx, d = minmax_decimate(y, 800)
    assert d.shape == (1600, 3) and idx.shape == (1600,) and d.dtype == np.float32
    assert d[:, 1].max() == 50.0 and d.min() == y.min() and d.max() == y.max()
    assert np.all(np.diff(idx) > 0)
    _idx2, d2 = minmax_decimate(y[:1000, 0], 800)
    assert d2.shape == (1000,)
    with pytest.raises(ConfigError):
        minmax_decimate(y, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_fft_chain_equals_filter_then_envelope(rng, dtype):
    fs = 1000.0
    x, _ = _raw(rng, fs, 14, 5)
    x = x.astype(dtype)
    regions = ["limb", "trunk", "limb", "limb", "trunk"]
    cfg = ProcessingConfig()
    assert cfg.filter.offline_method == "fft"
    env = process_trial_emg(x, fs, regions, cfg, mains_hz=50.0)
    env2, filt = process_trial_emg(x, fs, regions, cfg, mains_hz=50.0, return_filtered=True)
    # the fused RMS is the same arithmetic on the same filtered numbers
    assert env.dtype == dtype
    assert_allclose(env, env2, rtol=0, atol=0)
    assert_allclose(filt, filter_emg(x, fs, regions, cfg.filter, 50.0), rtol=0, atol=0)
    # and the reference recursion gives the same envelope
    ref_cfg = ProcessingConfig(filter=FilterConfig(offline_method="sosfiltfilt"))
    ref = process_trial_emg(x.astype(np.float64), fs, regions, ref_cfg, mains_hz=50.0)
    tol = 1e-6 if dtype == np.float64 else 2e-5
    assert np.abs(env - ref).max() <= tol * ref.mean()


@pytest.mark.parametrize("fs", [250.0, 1000.0, 2000.0])
def test_default_chain_rms_of_a_sine(fs):
    # known answer on the default (fft, fused) path: a pass-band sine of amplitude A gives
    # A |H(f)|**2 / sqrt(2), whole cycles in the window
    n_win = 2 * int(0.25 * fs / 2) + 1
    f0 = round(70 * n_win / fs) * fs / n_win
    t = np.arange(int(16 * fs)) / fs
    x = (120 * np.sin(2 * np.pi * f0 * t + 0.3) + 2e4).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        env = process_trial_emg(x, fs, "limb", mains_hz=50.0)
        sos = design_chain(FilterConfig(), fs, "limb", 50.0)
    _, h = signal.sosfreqz(sos, worN=[f0], fs=fs)
    mid = slice(int(4 * fs), -int(4 * fs))
    assert env.shape == x.shape and env.dtype == np.float32
    assert_allclose(env[mid], 120 * np.abs(h[0]) ** 2 / np.sqrt(2), rtol=0.005)


def test_template_ecg_on_fft_path_matches_reference(rng):
    fs = 1000.0
    x, _ = _raw(rng, fs, 13, 2)
    fast = ProcessingConfig(filter=FilterConfig(ecg_method="template"))
    slow = ProcessingConfig(
        filter=FilterConfig(ecg_method="template", offline_method="sosfiltfilt")
    )
    a = process_trial_emg(x, fs, ["trunk", "limb"], fast, mains_hz=50.0)
    b = process_trial_emg(x, fs, ["trunk", "limb"], slow, mains_hz=50.0)
    assert np.abs(a - b).max() <= 1e-6 * b.mean()
