"""Mains frequency from the data: detection on all channels at once, and the decision said."""

from __future__ import annotations

import time

import numpy as np
import pytest

from emgkit.core.mains import MainsChoice, decide_mains, detect_mains_hz, mains_evidence
from emgkit.model.config import FilterConfig


def _emg(rng, fs, seconds, n_ch=4):
    return rng.standard_normal((int(seconds * fs), n_ch)) * 20.0


def _line(fs, n, f0, amp, harmonics=(1,)):
    t = np.arange(n) / fs
    return sum(amp / k * np.sin(2 * np.pi * k * f0 * t + k) for k in harmonics)


@pytest.mark.parametrize("fs", [200.0, 250.0, 1000.0, 2000.0, 16000.0])
@pytest.mark.parametrize("f0", [50.0, 60.0])
def test_detects_the_line_at_any_rate(rng, fs, f0):
    x = _emg(rng, fs, 6)
    x[:, 1] += _line(fs, len(x), f0, 30.0, (1, 2, 3))
    assert detect_mains_hz(x, fs) == f0
    assert detect_mains_hz(_emg(rng, fs, 6), fs) is None


def test_a_railed_or_huge_channel_does_not_hide_the_line(rng):
    fs = 250.0
    x = _emg(rng, fs, 10, 8)
    x += _line(fs, len(x), 60.0, 15.0)[:, None]
    x[:, 0] = 187500.0  # railed
    x[:, 1] *= 1e4  # a loose electrode, 80 dB louder, no line
    ev = mains_evidence(x, fs)
    assert ev.detected_hz == 60.0 and ev.fundamental_db[60.0] > 10 > ev.fundamental_db[50.0]


def test_harmonics_decide_between_candidates(rng):
    fs = 2000.0
    x = _emg(rng, fs, 6)
    # a 50 Hz line with harmonics, and a weaker 60 Hz tone without any
    x += _line(fs, len(x), 50.0, 10.0, (1, 2, 3, 4))[:, None]
    x += _line(fs, len(x), 60.0, 8.0)[:, None]
    assert detect_mains_hz(x, fs) == 50.0


def test_several_trials_and_short_signals(rng):
    fs = 1000.0
    quiet = _emg(rng, fs, 5)
    noisy = _emg(rng, fs, 5) + _line(fs, 5000, 60.0, 20.0)[:, None]
    assert detect_mains_hz([quiet, noisy], fs) == 60.0
    assert detect_mains_hz(noisy[:500], fs) is None  # half a second: cannot tell
    assert detect_mains_hz(np.zeros((4000, 2)), fs) is None
    x = noisy.copy()
    x[100:200] = np.nan
    assert detect_mains_hz(x, fs) == 60.0


def test_cost_is_bounded(rng):
    fs = 2000.0
    x = (rng.standard_normal((int(600 * fs), 16)) * 20).astype(np.float32)
    t0 = time.perf_counter()
    detect_mains_hz(x, fs)
    assert time.perf_counter() - t0 < 2.0  # 64 segments of 2 s, whatever the length


def test_the_notch_follows_the_data_and_says_why(rng):
    fs = 250.0
    x = _emg(rng, fs, 10) + _line(fs, 2500, 60.0, 30.0)[:, None]
    m = decide_mains(FilterConfig(), fs, x, 50.0)
    assert (m.notch_hz, m.source, m.detected_hz, m.session_hz) == (60.0, "data", 60.0, 50.0)
    assert m.disagrees and m.is_fallback
    assert m.sentence() == "mains: 60 Hz in the data, the session says 50 Hz: notched at 60 Hz"
    same = decide_mains(FilterConfig(), fs, x, 60.0)
    assert not same.is_fallback and "as the session says" in same.sentence()
    quiet = decide_mains(FilterConfig(), fs, _emg(rng, fs, 10), 50.0)
    assert (quiet.notch_hz, quiet.source) == (50.0, "session") and quiet.is_fallback
    assert "notched at the session's 50 Hz" in quiet.sentence()
    none = decide_mains(FilterConfig(), fs, _emg(rng, fs, 10), None)
    assert none.notch_hz is None and "not notched" in none.sentence()
    forced = decide_mains(FilterConfig(mains_hz=50.0), fs, x, None)
    assert forced.notch_hz == 50.0 and forced.disagrees and "data show 60 Hz" in forced.sentence()
    off = decide_mains(FilterConfig(notch=False), fs, x, 50.0)
    assert off.notch_hz is None and not off.is_fallback
    live = decide_mains(FilterConfig(), fs, None, 50.0)
    assert live == MainsChoice(50.0, "session", None, 50.0, False) and not live.is_fallback
    assert set(m.to_dict()) >= {"notch_hz", "source", "detected_hz", "session_hz", "sentence"}
