"""The timing audit: effective sampling rate from host time stamps."""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.core.timing import MIN_SPAN_S, RateAudit, clock_index, measure_rate


def _host_stamps(rng, fs_true_hz, n, block=12, jitter_s=0.01):
    """Time stamps as a host takes them: a block of packets parsed at once, late by jitter."""
    t = np.arange(n) / fs_true_hz
    blk = np.arange(n) // block
    last = np.minimum((blk + 1) * block - 1, n - 1)
    return 1.7e9 + t[last] + rng.exponential(jitter_s, blk.max() + 1)[blk]


@pytest.mark.parametrize("fs_true_hz", [248.75, 250.0, 251.2, 1000.5, 2000.0])
def test_rate_is_measured_within_20_ppm_despite_jitter_and_bursts(rng, fs_true_hz):
    nominal = float(round(fs_true_hz, -1))
    ts = _host_stamps(rng, fs_true_hz, int(fs_true_hz * 120))
    audit = measure_rate(ts, nominal)
    assert audit.measured_hz == pytest.approx(fs_true_hz, rel=20e-6)
    expected_ppm = (fs_true_hz / nominal - 1) * 1e6
    assert audit.deviation_ppm == pytest.approx(expected_ppm, abs=20)
    assert audit.exceeds_limit == (abs(expected_ppm) > 2000)


def test_a_stall_and_lost_samples_do_not_move_the_rate(rng):
    fs = 251.2
    n = int(fs * 300)
    ts = _host_stamps(rng, fs, n)
    # 2 s stall: the host parses nothing, then everything at once (no loss)
    a = n // 3
    stall = round(2 * fs)
    ts[a:a + stall] = ts[a + stall]
    # 500 samples lost later: stored index skips them, the clock index counts them
    b = 2 * n // 3
    lost = 500
    keep = np.r_[0:b, b + lost:n]
    ts_kept = ts[keep]
    index = clock_index(np.arange(ts_kept.size), np.array([b]), np.array([lost]))
    assert index[b] - index[b - 1] == lost + 1
    audit = measure_rate(ts_kept, 250.0, index)
    assert audit.measured_hz == pytest.approx(fs, rel=30e-6)
    # without counting the lost samples the rate would read low by about 500 / n
    naive = measure_rate(ts_kept, 250.0)
    assert naive.measured_hz < fs * (1 - 0.5 * lost / n)


def test_too_short_or_unusable_stamps_give_none():
    fs = 250.0
    short = 1.7e9 + np.arange(int(fs * MIN_SPAN_S * 0.9)) / fs
    assert measure_rate(short, fs) is None
    assert measure_rate(np.full(5000, 1.7e9), fs) is None
    assert measure_rate(np.array([1.0, 2.0]), fs) is None
    assert measure_rate(np.full(5000, np.nan), fs) is None


def test_describe_says_the_rate_the_nominal_and_the_deviation():
    a = RateAudit(250.0, 251.2, 600.0)
    text = a.describe()
    assert "measured rate 251.200 Hz" in text and "nominal 250 Hz" in text
    assert "+4800 ppm" in text and "more than 0.2 %" in text
    assert "more than" not in RateAudit(250.0, 250.1, 600.0).describe()
