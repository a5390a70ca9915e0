"""The crosstalk lag search a block of rows at a time: whole-channel sums, bounded memory."""

import tracemalloc

import h5py
import numpy as np
import pytest

from emgkit.analysis.quality import with_crosstalk
from emgkit.core.quality import assess_crosstalk
from emgkit.errors import ConfigError
from emgkit.model.config import QualityConfig
from emgkit.simulate import default_montage


def _whole(y, fs, pairs, cfg):
    """The lag search over whole float64 channels (the code before blocks: the reference)."""
    max_lag = max(0, min(round(cfg.crosstalk_lag_s * fs), y.shape[0] // 4))
    r, lag = np.zeros(len(pairs)), np.zeros(len(pairs))
    for k, (a, b) in enumerate(pairs):
        u = np.array(y[:, a], np.float64)
        u -= float(np.mean(y[:, a]))
        v = np.array(y[:, b], np.float64)
        v -= float(np.mean(y[:, b]))
        den = float(np.sqrt(np.einsum("i,i->", u, u) * np.einsum("i,i->", v, v)))
        if den == 0:
            continue
        best = 0.0
        for d in range(-max_lag, max_lag + 1):
            c = np.einsum("i,i->", u[max(0, -d): len(u) - max(0, d)],
                          v[max(0, d): len(v) - max(0, -d)])
            if abs(c) / den > abs(best):
                best, lag[k] = c / den, d / fs
        r[k] = abs(best)
    return r, lag


def _signal(rng, n, shift=3):
    """Three channels: the second carries 0.4 of the first ``shift`` samples later."""
    z = rng.standard_normal((n, 3))
    y = np.column_stack((z[:, 0], 0.4 * np.roll(z[:, 0], shift) + z[:, 1], z[:, 2] + 5.0))
    return y * 20.0


@pytest.mark.parametrize("n", [8, 41, 200, 1001])
@pytest.mark.parametrize("lag_s", [1e-4, 0.001, 0.003, 0.02, 1.0])
def test_any_block_size_gives_the_sums_of_whole_channels(n, lag_s):
    fs = 1000.0
    y = _signal(np.random.default_rng(n), n)
    pairs = [(0, 1), (1, 0), (0, 2), (2, 1)]
    cfg = QualityConfig(crosstalk_lag_s=lag_s)  # max_lag 0 to n // 4
    want_r, want_lag = _whole(y, fs, pairs, cfg)
    for block in (1, 2, 7, 13, 64, n - 1, n, n + 5, 1 << 20):
        if block < 7 and n > 500:
            continue  # (a call per row and lag: slow, and the short signals test it)
        got = assess_crosstalk(y, fs, pairs, config=cfg, block_samples=max(1, block))
        np.testing.assert_allclose(got.r, want_r, rtol=1e-12, atol=0, err_msg=f"block {block}")
        np.testing.assert_array_equal(got.lag_s, want_lag, err_msg=f"block {block}")


def test_the_lag_found_across_block_joins():
    fs = 2000.0
    y = _signal(np.random.default_rng(3), 20_011, shift=7)
    for block in (1000, 4096, 9999):
        got = assess_crosstalk(y, fs, [(0, 1), (1, 0)], block_samples=block)
        assert got.lag_s.tolist() == [7 / fs, -7 / fs]
        np.testing.assert_allclose(got.r, _whole(y, fs, [(0, 1), (1, 0)], QualityConfig())[0],
                                   rtol=1e-12, atol=0)


def test_a_dataset_on_disk_gives_the_numbers_of_the_array(tmp_path):
    fs = 1000.0
    y = _signal(np.random.default_rng(4), 30_000).astype(np.float32)
    with h5py.File(tmp_path / "s.h5", "w") as f:
        ds = f.create_dataset("filtered", data=y, chunks=(4096, 1))  # as emgkit.io.scratch
        for block in (999, 1 << 20):
            a = assess_crosstalk(y, fs, [(0, 1), (0, 2)], block_samples=block)
            b = assess_crosstalk(ds, fs, [(0, 1), (0, 2)], block_samples=block)
            np.testing.assert_array_equal(b.r, a.r)
            np.testing.assert_array_equal(b.lag_s, a.lag_s)
        m = default_montage("cyton")  # its hamstring pair is columns (0, 1)
        flags, rep = with_crosstalk(ds, fs, m, ((),) * 3)
        np.testing.assert_array_equal(rep.r, a.r[:1])
        assert rep.pairs == ((0, 1),) and rep.flagged == (True,)
        assert flags == (("crosstalk",), ("crosstalk",), ())
    # float32 columns: the means are summed in float64 now (float32 before), within 1e-8
    np.testing.assert_allclose(a.r, _whole(y, fs, [(0, 1), (0, 2)], QualityConfig())[0],
                               rtol=1e-8)


def test_2d_arrays_and_errors_as_before():
    y = _signal(np.random.default_rng(5), 500)
    one = assess_crosstalk(y[:, :2].tolist(), 1000.0, [(0, 1)])  # array-likes still read
    np.testing.assert_array_equal(one.r, assess_crosstalk(y, 1000.0, [(0, 1)]).r)
    with pytest.raises(ConfigError, match="two different columns"):
        assess_crosstalk(y, 1000.0, [(0, 3)])
    with pytest.raises(ConfigError, match="block_samples must be at least 1"):
        assess_crosstalk(y, 1000.0, [(0, 1)], block_samples=0)
    silent = assess_crosstalk(np.zeros((100, 2)), 1000.0, [(0, 1)])
    assert silent.r.tolist() == [0.0] and silent.flagged == (False,)


def test_memory_does_not_grow_with_the_channels():
    n, block = 4_000_000, 1 << 16
    y = np.random.default_rng(6).standard_normal((n, 2)).astype(np.float32)
    tracemalloc.start()
    try:
        assess_crosstalk(y, 2000.0, [(0, 1)], block_samples=block)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # two float64 blocks (u; v with max_lag rows either side) and a float32 read:
    # about 24 bytes a row of the block, none per row of the channel (24 per row before)
    assert peak < 32 * block + 65536, f"{peak / block:.1f} bytes per row of the block"
    assert peak < n // 2  # under half a byte per row of the channel here
