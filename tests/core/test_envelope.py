import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from emgkit.core import (
    StreamingEnvelope,
    envelope,
    linear_envelope,
    moving_rms,
    window_samples,
)
from emgkit.errors import ConfigError
from emgkit.model.config import EnvelopeConfig


@pytest.mark.parametrize("fs", [250.0, 1000.0, 2000.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_of_sine(fs, dtype):
    # a whole number of cycles in the window (~60 Hz); otherwise the RMS ripples by
    # up to 1 / (2 N sin(2 pi f / fs)) around A / sqrt(2): ~1 % for 37 Hz in 63 samples
    n = window_samples(0.25, fs)
    amp, f0 = 120.0, round(60 * n / fs) * fs / n
    t = np.arange(int(5 * fs)) / fs
    x = (amp * np.sin(2 * np.pi * f0 * t + 0.3)).astype(dtype)
    r = moving_rms(x, fs, 0.25)
    assert r.dtype == dtype
    assert_allclose(r[n:-n], amp / np.sqrt(2), rtol=0.005)
    r37 = moving_rms(amp * np.sin(2 * np.pi * 37.0 * t), fs, 0.25)[n:-n]
    bound = 1 / (2 * n * np.sin(2 * np.pi * 37.0 / fs)) + 1e-4
    assert np.abs(r37 / (amp / np.sqrt(2)) - 1).max() <= bound


def test_window_is_odd_and_checked():
    assert window_samples(0.25, 2000.0) == 501
    assert window_samples(0.25, 250.0) == 63
    with pytest.raises(ConfigError, match="fewer than 3 samples"):
        window_samples(0.001, 250.0)
    with pytest.raises(ConfigError, match="window_s must be a positive number"):
        moving_rms(np.zeros(100), 1000.0, -0.1)


def test_centred_edges_average_the_samples_present():
    x = np.ones(50) * 3.0
    assert_allclose(moving_rms(x, 100.0, 0.21), 3.0)  # 21-sample window, truncated ends


def test_trailing_is_centred_delayed_by_half_a_window(rng):
    fs = 1000.0
    x = rng.standard_normal((3000, 2)) * np.linspace(1, 50, 3000)[:, None]
    n = window_samples(0.1, fs)
    h = (n - 1) // 2
    centred = moving_rms(x, fs, 0.1, centred=True)
    trailing = moving_rms(x, fs, 0.1, centred=False)
    # trailing[i] covers i-n+1..i = centred window at i-h (exact, up to summation order)
    assert_allclose(trailing[n - 1 :], centred[h : len(x) - h], rtol=1e-10)
    live = StreamingEnvelope(fs, 2, EnvelopeConfig(window_s=0.1), np.float64)
    assert live.delay_samples == h
    assert_allclose(live.process(x), trailing, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=800), max_size=10),
    method=st.sampled_from(["rms", "linear"]),
)
def test_streaming_envelope_any_chunking(cuts, method):
    x = np.random.default_rng(3).standard_normal((800, 2)) * 40
    cfg = EnvelopeConfig(method=method, window_s=0.05)
    one = envelope(x, 1000.0, cfg, causal=True)
    live = StreamingEnvelope(1000.0, 2, cfg, np.float64)
    edges = [0, *sorted(cuts), len(x)]
    chunked = np.concatenate([live.process(x[a:b]) for a, b in itertools.pairwise(edges)])
    assert_allclose(chunked, one, rtol=1e-12, atol=1e-12 * np.abs(one).max())


def test_linear_envelope_of_modulated_noise(rng):
    fs = 2000.0
    t = np.arange(int(10 * fs)) / fs
    a = 50 + 40 * np.sin(2 * np.pi * 0.5 * t)
    x = a * rng.standard_normal(t.size)
    env = linear_envelope(x, fs, 6.0)
    # mean |N(0, s^2)| = s * sqrt(2/pi)
    mid = slice(int(fs), -int(fs))
    assert np.corrcoef(env[mid], a[mid])[0, 1] > 0.98
    assert_allclose(env[mid].mean(), a[mid].mean() * np.sqrt(2 / np.pi), rtol=0.03)
    assert envelope(x, fs, EnvelopeConfig(method="linear")).shape == x.shape


def test_inplace_rms_reuses_input():
    x = np.ones((100, 2), np.float32) * 2
    r = moving_rms(x, 100.0, 0.05, inplace=True)
    assert np.shares_memory(r, x)
    assert_allclose(r, 2.0)
