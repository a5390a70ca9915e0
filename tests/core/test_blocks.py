"""The offline chain a block of samples at a time: the same numbers, bounded memory."""

import tracemalloc
import warnings

import h5py
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emgkit.core import LowSampleRateWarning, design_chain, moving_rms, process_trial_emg
from emgkit.core.envelope import CentredRMSBlocks
from emgkit.core.fftfilt import filtfilt_fft_into, zero_phase_blocks
from emgkit.core.pipeline import process_trial_into, trial_chains
from emgkit.errors import ConfigError
from emgkit.model.config import EnvelopeConfig, FilterConfig, ProcessingConfig


def _raw(rng, n, n_ch, fs):
    t = np.arange(n) / fs
    burst = 1 + 6 * (np.sin(2 * np.pi * 0.4 * t) > 0)
    x = 12 * burst[:, None] * rng.standard_normal((n, n_ch))
    x += 40 * np.sin(2 * np.pi * 50 * t)[:, None] + rng.uniform(-3e4, 3e4, n_ch)
    return x.astype(np.float32)


def _blocks(sos, x, block, remove_mean=True, channels=None):
    out = np.full(x.shape, np.nan, np.float32)
    cols = range(x.shape[1]) if channels is None else channels
    seen = []
    for sel, start, rows in zero_phase_blocks(sos, x, cols, np.float32, remove_mean=remove_mean,
                                              block_samples=block):
        seen.append((str(sel), start, rows.shape[1]))
        out[start : start + rows.shape[1], sel] = rows.T
    return out, seen


@pytest.mark.parametrize("block", [1, 60_000, 130_001, 400_000])
def test_blocks_are_the_frames_of_the_whole_signal(rng, block):
    fs = 1000.0
    x = _raw(rng, 200_001, 5, fs)  # four frames of 65536 at 1 kHz
    sos = design_chain(FilterConfig(), fs, "limb", 50.0)
    whole = np.empty_like(x)
    filtfilt_fft_into(sos, x, whole, range(5), remove_mean=False, block_samples=10**9)
    got, seen = _blocks(sos, x, block, remove_mean=False)
    # the overlap-save frames are independent: any batching gives the same numbers
    assert_array_equal(got, whole)
    # every sample of each group once, in time order, groups of four channels
    starts = [s for sel, s, _ in seen if sel == str(slice(0, 4))]
    lengths = [m for sel, _, m in seen if sel == str(slice(0, 4))]
    assert starts == sorted(starts) and starts[0] == 0
    assert np.all(np.diff(starts) == lengths[:-1]) and sum(lengths) == x.shape[0]
    if block < 60_000:
        assert len(starts) > 2  # at least one frame a block, several blocks


def test_blocks_with_the_mean_removed_agree_with_one_block(rng):
    fs = 2000.0
    x = _raw(rng, 400_000, 3, fs)  # four frames of 131072 at 2 kHz
    sos = design_chain(FilterConfig(), fs, "limb", 50.0)
    whole, _ = _blocks(sos, x, 10**9)
    got, seen = _blocks(sos, x, 1)
    assert len(seen) > 3
    # the mean is summed block by block: a float64 rounding apart, nothing in float32
    assert np.abs(got - whole).max() <= 1e-6 * whole.std()


def test_short_signals_are_one_block_of_the_recursion(rng):
    fs = 1000.0
    x = _raw(rng, 3000, 6, fs)  # shorter than the kernel's ends: filtfilt_into
    sos = design_chain(FilterConfig(), fs, "limb", 50.0)
    got, seen = _blocks(sos, x, 100)
    assert [s for _, s, _ in seen] == [0, 0]
    whole = np.empty_like(x)
    filtfilt_fft_into(sos, x, whole, range(6), remove_mean=True)
    assert_array_equal(got, whole)


@pytest.mark.parametrize("cuts", [[], [1], [5, 6, 7], [40, 41, 400], [130, 131, 132, 133],
                                  [2, 999]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_centred_rms_in_any_blocks(rng, cuts, dtype):
    n, n_win = 1000, 101
    x = rng.standard_normal((3, n)).astype(dtype) * 20
    ref = moving_rms(x.T.copy(), 1000.0, n_win / 1000.0).T
    rms = CentredRMSBlocks(n, n_win)
    got = np.full_like(ref, np.nan)
    for a, b in zip([0, *cuts], [*cuts, n]):
        start, env = rms.feed(x[:, a:b].copy())
        got[:, start : start + env.shape[1]] = env
    if not cuts:
        assert_array_equal(got, ref)  # one block: moving_rms's own arithmetic
    tol = 1e-6 if dtype == np.float32 else 1e-12
    assert_allclose(got, ref, rtol=tol, atol=tol * ref.max())


def _datasets(tmp_path, x):
    f = h5py.File(tmp_path / "scratch.h5", "w")
    raw = f.create_dataset("raw", data=x, chunks=(4096, 1))
    env = f.create_dataset("env", shape=x.shape, dtype="<f4", chunks=(4096, 1))
    filt = f.create_dataset("filt", shape=x.shape, dtype="<f4", chunks=(4096, 1))
    return f, raw, env, filt


def test_into_datasets_equals_the_arrays(rng, tmp_path):
    fs = 1000.0
    x = _raw(rng, 40_000, 6, fs)
    regions = ["limb", "limb", "trunk", "limb", "trunk", "limb"]
    cfg = ProcessingConfig(filter=FilterConfig(mains_hz=50.0))
    env, filt = process_trial_emg(x, fs, regions, cfg, return_filtered=True)
    chains = trial_chains(cfg, fs, regions)
    f, raw, env_ds, filt_ds = _datasets(tmp_path, x)
    with f:
        for a in (0, 3):  # two groups of columns, as the on-disk path does
            process_trial_into(raw, fs, regions, chains, env_ds, filt_ds, columns=range(a, a + 3))
        assert_array_equal(env_ds[:], env)
        assert_array_equal(filt_ds[:], filt)
        # in blocks of about a frame: rounding apart
        process_trial_into(raw, fs, regions, chains, env_ds, None, block_samples=1)
        assert np.abs(env_ds[:] - env).max() <= 1e-5 * env.mean()


def test_template_channels_and_the_envelope_choice(rng):
    fs = 1000.0
    x = _raw(rng, 20_000, 2, fs)
    cfg = ProcessingConfig(filter=FilterConfig(ecg_method="template", mains_hz=50.0))
    chains = trial_chains(cfg, fs, ["trunk", "limb"])
    env = np.empty_like(x)
    process_trial_into(x, fs, ["trunk", "limb"], chains, env)
    assert_array_equal(env, process_trial_emg(x, fs, ["trunk", "limb"], cfg))
    linear = ProcessingConfig(envelope=EnvelopeConfig(method="linear"))
    with pytest.raises(ConfigError, match="RMS envelope"):
        process_trial_into(x, fs, "limb", trial_chains(linear, fs, "limb"), env)


def _peak_bytes(tmp_path, n, name):
    fs = 2000.0
    x = _raw(np.random.default_rng(3), n, 1, fs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        chains = trial_chains(ProcessingConfig(filter=FilterConfig(mains_hz=50.0)), fs, "limb")
    with h5py.File(tmp_path / f"{name}.h5", "w") as f:
        raw = f.create_dataset("raw", data=x, chunks=(65536, 1))
        del x
        env = f.create_dataset("env", shape=raw.shape, dtype="<f4", chunks=(65536, 1))
        filt = f.create_dataset("filt", shape=raw.shape, dtype="<f4", chunks=(65536, 1))
        tracemalloc.start()
        process_trial_into(raw, fs, "limb", chains, env, filt, block_samples=1 << 18)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_memory_is_a_blocks_not_the_trials(tmp_path):
    short = _peak_bytes(tmp_path, 2_000_000, "short")
    long = _peak_bytes(tmp_path, 8_000_000, "long")
    # blocks of two frames (238 k samples at 2 kHz): 4.6 and 4.5 MB measured at both
    # lengths, about 19 bytes a sample of a block; the long channel is 32 MB of float32
    assert long < 8e6
    assert long < 1.1 * short


def test_into_refuses_what_it_cannot_do(rng):
    x = _raw(rng, 5000, 3, 1000.0)
    env = np.empty_like(x)
    chains = trial_chains(ProcessingConfig(filter=FilterConfig(mains_hz=50.0)), 1000.0, "limb")
    with pytest.raises(ConfigError, match="needs the chains"):
        process_trial_into(x, 1000.0, "limb", None, env)
    with pytest.raises(ConfigError, match=r"columns \[-1, 5\] are not among the trial's 3"):
        process_trial_into(x, 1000.0, "limb", chains, env, columns=[5, -1])


def test_integer_input_gives_float32_on_every_path(rng):
    x = (_raw(rng, 20_000, 2, 1000.0) - 2e4).astype(np.int16)
    for method in ("fft", "sosfiltfilt"):
        cfg = ProcessingConfig(filter=FilterConfig(offline_method=method, mains_hz=50.0))
        env, filt = process_trial_emg(x, 1000.0, "limb", cfg, return_filtered=True)
        assert env.dtype == filt.dtype == np.float32


@pytest.mark.parametrize("n", [1, 2, 5, 10, 11, 12])
def test_centred_rms_of_signals_shorter_than_the_window(n):
    # each end sample rescaled once, also where the two ends overlap (n < N - 1)
    ones = np.ones(n, np.float32)
    assert_allclose(moving_rms(ones, 1000.0, 0.011), 1.0, rtol=1e-6)
    start, env = CentredRMSBlocks(n, 11).feed(ones[None, :].copy())
    assert start == 0 and env.shape == (1, n)
    assert_allclose(env, 1.0, rtol=1e-6)
