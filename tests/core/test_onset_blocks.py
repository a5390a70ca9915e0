"""The onset detection signal in blocks: the numbers of one pass, one copy of memory."""

import tracemalloc

import numpy as np
import pytest
from scipy import signal

from emgkit.core import onset
from emgkit.core.chain import ceiling_hz
from emgkit.core.filters import design_lowpass, filter_offline
from emgkit.core.onset import _runs, detect_bursts, detection_signal, tkeo
from emgkit.errors import AnalysisError, ConfigError
from emgkit.model.config import OnsetConfig


def _whole(x, fs, cfg):
    """The detection signal as one pass over the whole channel (the reference)."""
    r = tkeo(x) if cfg.method == "tkeo" else np.array(x, dtype=np.float64)
    np.abs(r, out=r)
    return filter_offline(design_lowpass(fs, ceiling_hz(cfg.lowpass_hz, fs), order=2), r)


@pytest.mark.parametrize("method", ["tkeo", "hodges_bui"])
@pytest.mark.parametrize("n", [10, 11, 13, 4097, 100_003])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_any_split_into_blocks_gives_the_numbers_of_one_pass(method, n, dtype):
    rng = np.random.default_rng(n)
    x = (30 * rng.standard_normal(n)).astype(dtype)
    cfg = OnsetConfig(method=method)
    ref = _whole(x, 2000.0, cfg)
    for block in (1, 2, 3, 64, 4096, 1 << 20):
        if block < 64 and n > 5000:
            continue  # (a call per sample: slow, and the short signals test it)
        got = detection_signal(x, 2000.0, cfg, block_samples=block)
        np.testing.assert_array_equal(got, ref, err_msg=f"block {block}")
    # and the recursion is scipy's zero-phase filter
    sos = design_lowpass(2000.0, ceiling_hz(cfg.lowpass_hz, 2000.0), order=2)
    r = np.abs(tkeo(x)) if method == "tkeo" else np.abs(x.astype(np.float64))
    np.testing.assert_allclose(ref, signal.sosfiltfilt(sos, r), rtol=1e-12,
                               atol=1e-12 * np.abs(r).max())


def test_bursts_of_a_long_channel_in_blocks_equal_one_pass(monkeypatch):
    fs = 2000.0
    rng = np.random.default_rng(1)
    x = rng.standard_normal(int(60 * fs)).astype(np.float32) * 5
    for a in range(int(3 * fs), len(x), int(6 * fs)):  # a burst every 6 s
        x[a : a + int(2 * fs)] *= 20
    one = detect_bursts(x, fs)
    import emgkit.core.onset as onset

    monkeypatch.setattr(onset, "DETECTION_BLOCK_SAMPLES", 1000)
    np.testing.assert_array_equal(detect_bursts(x, fs), one)
    assert len(one) == 10


def test_memory_is_about_one_float64_copy_of_the_channel(monkeypatch):
    import emgkit.core.onset as onset

    monkeypatch.setattr(onset, "DETECTION_BLOCK_SAMPLES", 1 << 16)  # blocks small beside n
    n = 2_000_000
    x = np.random.default_rng(2).standard_normal(n).astype(np.float32)
    tracemalloc.start()
    try:
        detect_bursts(x, 2000.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the signal (8 bytes a sample), its mask and run edges (3), the blocks (~1 here);
    # 32 bytes a sample before (four float64 copies)
    assert peak <= 13 * n, f"{peak / n:.1f} bytes per sample"


def test_short_signals_are_refused_as_before():
    with pytest.raises(ConfigError, match="TKEO needs at least 3 samples, got 2"):
        detection_signal(np.ones(2), 2000.0, OnsetConfig(method="tkeo"))
    with pytest.raises(ConfigError, match="zero-phase filtering needs more than 9"):
        detection_signal(np.ones(9), 2000.0, OnsetConfig(method="hodges_bui"))
    with pytest.raises(ConfigError, match=r"must be \(n_samples,\)"):
        detection_signal(np.ones((20, 2)), 2000.0, OnsetConfig())
    with pytest.raises(ConfigError, match="block_samples must be at least 1, but got 0"):
        detection_signal(np.ones(20), 2000.0, OnsetConfig(), block_samples=0)


def test_runs_of_a_mask():
    m = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], bool)
    np.testing.assert_array_equal(_runs(m), [[0, 2], [4, 5], [6, 9]])
    assert _runs(np.zeros(0, bool)).shape == (0, 2)
    assert _runs(m).dtype == np.int64


def _bursty(rng, n, fs):
    t = np.arange(n) / fs
    active = (np.sin(2 * np.pi * 0.7 * t) > 0.3) & (t > 1.5)  # a quiet baseline first
    return (20 * rng.standard_normal(n) * (1 + 8 * active)).astype(np.float32)


class _Column:
    """A 1-D signal read only by slices, as a channel on disk is."""

    def __init__(self, x):
        self.x, self.shape, self.reads = x, x.shape, 0

    def __getitem__(self, rows):
        assert isinstance(rows, slice)
        self.reads += 1
        return self.x[rows]


@pytest.mark.parametrize("method", ["tkeo", "hodges_bui"])
@pytest.mark.parametrize("n", [5000, 12_345, 40_001])
def test_long_channels_in_blocks_give_the_same_bursts(monkeypatch, method, n):
    fs = 1000.0
    x = _bursty(np.random.default_rng(n), n, fs)
    cfg = OnsetConfig(method=method)
    ref = detect_bursts(x, fs, cfg)
    assert len(ref) >= 3
    monkeypatch.setattr(onset, "BOUNDED_SAMPLES", 10)  # every channel is "long" here
    for block in (1, 7, 999, 4096, 1 << 20):
        if block == 1 and n > 5000:
            continue  # (a call per sample: slow; the short channel tests it)
        monkeypatch.setattr(onset, "DETECTION_BLOCK_SAMPLES", block)
        column = _Column(x)
        got = detect_bursts(column, fs, cfg)
        np.testing.assert_array_equal(got, ref, err_msg=f"block {block}")
        assert column.reads > 0
    # a baseline given as a slice, and one too short, as on the whole signal
    np.testing.assert_array_equal(detect_bursts(_Column(x), fs, cfg, slice(100, 1400)),
                                  _with_bounded_off(monkeypatch, x, fs, cfg, slice(100, 1400)))
    with pytest.raises(AnalysisError, match="holds 5 samples"):
        detect_bursts(_Column(x), fs, cfg, slice(0, 5))


def _with_bounded_off(monkeypatch, x, fs, cfg, baseline):
    monkeypatch.setattr(onset, "BOUNDED_SAMPLES", 1 << 24)
    try:
        return detect_bursts(x, fs, cfg, baseline)
    finally:
        monkeypatch.setattr(onset, "BOUNDED_SAMPLES", 10)


def test_long_channels_hold_blocks_not_the_channel(monkeypatch):
    fs = 2000.0
    monkeypatch.setattr(onset, "BOUNDED_SAMPLES", 10)
    monkeypatch.setattr(onset, "DETECTION_BLOCK_SAMPLES", 1 << 16)
    peaks = []
    for n in (2_000_000, 8_000_000):
        column = _Column(_bursty(np.random.default_rng(0), n, fs))
        tracemalloc.start()
        bursts = detect_bursts(column, fs)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert len(bursts) > 100
    # a few blocks of 65536 samples in float64 whatever the length (measured 3.6 MB at
    # both, the runs' edges growing with the bursts); the whole detection signal of the
    # long channel would be 64 MB
    assert peaks[1] < 8e6 and peaks[1] < 1.5 * peaks[0]
