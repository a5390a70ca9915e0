"""Min/max decimation anchored to absolute sample indices (the live viewer's columns)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emgkit.core import anchored_minmax, complete_columns
from emgkit.errors import ConfigError


def _brute(y: np.ndarray, spp: float, first_column: int, n_columns: int) -> np.ndarray:
    """Column by column from the definition (y starts at sample 0)."""
    out = []
    for k in range(first_column, first_column + n_columns):
        a, b = math.floor(k * spp), math.floor((k + 1) * spp)
        if b == a:  # no samples: the one before, if any
            v = y[a - 1] if a >= 1 else np.full(y.shape[1:], np.nan)
            out += [v, v]
            continue
        seg = y[a:b]
        i_lo, i_hi = seg.argmin(axis=0), seg.argmax(axis=0)
        lo, hi = seg.min(axis=0), seg.max(axis=0)
        out += [np.where(i_lo <= i_hi, lo, hi), np.where(i_lo <= i_hi, hi, lo)]
    return np.array(out)


def test_known_answers():
    y = np.array([0, 5, -3, 2, 1, 1, 1, 1, 9, 0, 0, -9], float)
    # 4 samples per column: (min, max) in the order they occur.
    assert_array_equal(anchored_minmax(y, 0, 4.0, 0, 3), [5, -3, 1, 1, 9, -9])
    # 2.5 samples per column: columns of 2, 3, 2, 3 samples (edges 0, 2, 5, 7, 10).
    assert_array_equal(anchored_minmax(y, 0, 2.5, 0, 4), [0, 5, -3, 2, 1, 1, 9, 0])
    # From a chunk starting at sample 5 (columns 2 and 3 only).
    assert_array_equal(anchored_minmax(y[5:], 5, 2.5, 2, 2), [1, 1, 9, 0])
    # Half a sample per column: an empty column repeats the sample before it, NaN for
    # the very first (nothing before it).
    got = anchored_minmax(y[:3], 0, 0.5, 0, 6)
    assert_array_equal(got, [np.nan, np.nan, 0, 0, 0, 0, 5, 5, 5, 5, -3, -3])
    # Integers come back as floats; 1-D in, 1-D out; 2-D keeps the channels.
    assert anchored_minmax(np.arange(8), 0, 4.0, 0, 2).dtype == np.float64
    two = anchored_minmax(np.stack([y, -y], axis=1).astype(np.float32), 0, 4.0, 0, 3)
    assert two.shape == (6, 2) and two.dtype == np.float32
    assert_array_equal(two[:, 1], [-5, 3, -1, -1, -9, 9])
    assert anchored_minmax(y, 0, 4.0, 1, 0).shape == (0,)


@pytest.mark.parametrize("spp", [1.0, 0.37, 1.5, 2.5, 20000 / 1023, 7.0, 120.3])
def test_every_peak_survives_and_matches_the_definition(rng, spp):
    y = rng.standard_normal((6000, 3))
    spikes = rng.choice(6000, 40, replace=False)
    y[spikes, 1] = 100.0 * rng.choice([-1.0, 1.0], 40)
    n_columns = complete_columns(6000, spp)
    got = anchored_minmax(y, 0, spp, 0, n_columns)
    assert_array_equal(got, _brute(y, spp, 0, n_columns))
    covered = math.floor(n_columns * spp)  # samples in complete columns
    for j in range(3):
        assert np.nanmax(got[:, j]) == y[:covered, j].max()
        assert np.nanmin(got[:, j]) == y[:covered, j].min()
    # Every spike's value is in its own column.
    cols = np.array([complete_columns(s, spp) for s in spikes])
    pairs = got.reshape(-1, 2, 3)
    ok = cols < n_columns
    assert np.all(np.any(pairs[cols[ok], :, 1] == y[spikes[ok], 1][:, None], axis=1))


@pytest.mark.parametrize("spp", [0.5, 2.5, 19.55, 40.0])
def test_same_columns_whatever_the_chunk(rng, spp):
    y = rng.standard_normal((9000, 2)).astype(np.float32)
    n_all = complete_columns(9000, spp)
    ref = anchored_minmax(y, 0, spp, 0, n_all)
    for _ in range(30):
        start = int(rng.integers(1, 8000))
        stop = int(rng.integers(start + 1, 9001))
        first = complete_columns(start, spp) + 1  # its sample before is in the chunk
        last = complete_columns(stop, spp)  # columns first .. last - 1 lie in y[start:stop]
        if last <= first:
            continue
        got = anchored_minmax(y[start - 1:stop], start - 1, spp, first, last - first)
        assert_array_equal(got, ref[2 * first:2 * last])


@pytest.mark.parametrize("spp", [0.3, 1.0, 2.5, 20000 / 1023, 30000 / 777, 3.0])
def test_complete_columns_is_the_definition(spp):
    for n in [0, 1, 2, 3, 59, 60, 61, 999, 1000, 12345, 10 ** 7 + 3]:
        k = complete_columns(n, spp)
        assert math.floor(k * spp) <= n < math.floor((k + 1) * spp) or (k == 0 and n == 0)
        assert all(math.floor((i + 1) * spp) <= n for i in range(max(0, k - 3), k))


def test_bad_requests_raise(rng):
    y = rng.standard_normal(100)
    with pytest.raises(ConfigError, match="cover samples"):
        anchored_minmax(y, 10, 4.0, 0, 3)  # column 0 starts before y
    with pytest.raises(ConfigError, match="cover samples"):
        anchored_minmax(y, 0, 4.0, 20, 6)  # column 25 ends after y
    with pytest.raises(ConfigError, match="n_columns"):
        anchored_minmax(y, 0, 4.0, 0, -1)
    with pytest.raises(ConfigError, match="samples_per_column"):
        anchored_minmax(y, 0, 0.0, 0, 1)
    with pytest.raises(ConfigError, match="samples_per_column"):
        complete_columns(10, -1.0)
