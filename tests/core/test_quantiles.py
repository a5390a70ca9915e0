"""Percentiles of values read a block at a time: numpy's numbers, bit for bit."""

import numpy as np
import pytest

import emgkit.core.quantiles as qu
from emgkit.core.quantiles import percentile_of_blocks

QS = (0, 5, 50, 95, 100, 37.5, 99.9, 1e-4)


def _source(x, block):
    return lambda: (x[a : a + block] for a in range(0, x.size, block))


def _numpy(x, q):
    with np.errstate(invalid="ignore"):  # inf - inf in numpy's interpolation
        return float(np.percentile(x, q))


def _same(got, want, x):
    assert got == want or (np.isnan(got) and np.isnan(want)), (got, want)
    mixed = np.any((x == 0) & np.signbit(x)) and np.any((x == 0) & ~np.signbit(x))
    if not (mixed or np.isnan(want)):
        # the same bits; a zero of either sign among ±0.0 is numpy's partition's choice
        assert np.signbit(got) == np.signbit(want), (got, want)


def _arrays(rng, n_arrays):
    """Arrays of every kind: sizes from 1, ties, float32 values, signed zeros, ±inf, NaN."""
    for k in range(n_arrays):
        n = 1 + k % 9 if k < 90 else int(rng.integers(1, 120))
        kind = k % 8
        if kind == 0:
            x = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300)
        elif kind == 1:
            x = rng.integers(-2, 3, n).astype(np.float64)  # many ties
        elif kind == 2:
            x = np.abs(rng.standard_normal(n)).astype(np.float32).astype(np.float64)
        elif kind == 3:
            x = rng.choice([0.0, -0.0, 5e-324, -5e-324, 2.5, -np.inf, np.inf], n)
        elif kind == 4:
            x = np.full(n, rng.standard_normal())
        elif kind == 5:
            x = rng.choice([0.0, -0.0, -1.0], n)
        elif kind == 6:
            x = rng.choice([np.inf, -np.inf, 1.0], n)
        else:
            x = rng.standard_normal(n)
            x[rng.integers(n)] = rng.choice([np.nan, -np.nan, np.inf])
        yield x


@pytest.mark.parametrize("q", QS)
def test_numpys_percentile_bit_for_bit(q):
    rng = np.random.default_rng(round(q * 10))
    for x in _arrays(rng, 400):
        want = _numpy(x, q)
        for block in (1, 2, 7, x.size + 3) if x.size < 20 else (7, x.size + 3):
            for gather in (1, 5, x.size):  # below n: the radix selection
                _same(percentile_of_blocks(_source(x, block), x.size, q, gather), want, x)


def test_long_values_with_ties_infinities_and_pieces(monkeypatch):
    monkeypatch.setattr(qu, "_PIECE", 777)
    rng = np.random.default_rng(1)
    smooth = np.cumsum(rng.standard_normal(200_001))
    flat = np.round(smooth / 20.0)  # a few values, each more often than a gather
    hole = smooth.copy()
    hole[::1000] = -np.inf
    f32 = np.abs(smooth).astype(np.float32).astype(np.float64)
    for x in (smooth, flat, hole, f32, np.zeros(70_000), np.r_[np.ones(99_999), 2.0],
              np.r_[np.full(5000, 2.0), np.ones(10)], np.r_[np.full(5000, 2.0), np.ones(3000)]):
        x = rng.permutation(x)
        for q in (*QS, 0.19):
            for block, gather in ((1000, 1000), (65536, 2000), (4096, 50)):
                got = percentile_of_blocks(_source(x, block), x.size, q, gather)
                _same(got, _numpy(x, q), x)
    assert np.isnan(percentile_of_blocks(_source(np.r_[smooth, np.nan], 999), 200_002, 5, 10))


def test_a_block_may_be_overwritten_by_the_next():
    x = np.random.default_rng(2).standard_normal(10_000)

    def reused():
        buf = np.empty(64)
        for a in range(0, x.size, 64):
            b = buf[: min(64, x.size - a)]
            b[...] = x[a : a + b.size]
            yield b

    for q in QS:
        assert percentile_of_blocks(reused, x.size, q, 100) == np.percentile(x, q)


def test_numpys_errors():
    with pytest.raises(ValueError, match="Percentiles must be in the range"):
        percentile_of_blocks(_source(np.arange(10.0), 3), 10, 101, 2)
    with pytest.raises(IndexError):  # numpy's, for no values at all
        percentile_of_blocks(lambda: iter(()), 0, 5)
