import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import signal

from emgkit.core import (
    LowSampleRateWarning,
    StreamingFilter,
    band_edges,
    design_bandpass,
    design_chain,
    design_highpass,
    design_notch,
    detect_mains_hz,
    filter_causal,
    filter_offline,
)
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig


def _db(sos, freqs, fs):
    _, h = signal.sosfreqz(sos, worN=np.atleast_1d(freqs), fs=fs)
    return 20 * np.log10(np.abs(h))


@pytest.mark.parametrize("fs", [2000.0, 1000.0, 250.0])
def test_bandpass_edges_at_minus_3_db(fs):
    cfg = FilterConfig()
    if fs < 1000:
        with pytest.warns(LowSampleRateWarning, match=r"0.45 fs = 112.5 Hz.*under-sampled"):
            low, high = band_edges(cfg, fs)
    else:
        low, high = band_edges(cfg, fs)
    assert high == min(450.0, 0.45 * fs)
    sos = design_bandpass(fs, low, high, 4)
    assert_allclose(_db(sos, [low, high], fs), -3.0103, atol=0.1)


def test_zero_phase_edges_at_minus_6_db_measured():
    fs, n = 2000.0, 2**16
    sos = design_bandpass(fs, 20.0, 450.0, 4)
    x = np.zeros(n)
    x[n // 2] = 1.0
    y = filter_offline(sos, x)
    f = np.fft.rfftfreq(n, 1 / fs)
    mag_db = 20 * np.log10(np.abs(np.fft.rfft(y)))
    assert_allclose(np.interp([20.0, 450.0], f, mag_db), -6.0206, atol=0.1)
    # zero phase: the impulse response is symmetric about the impulse
    assert_allclose(y[n // 2 - 500 : n // 2], y[n // 2 + 500 : n // 2 : -1], atol=1e-12)


def test_filter_offline_equals_scipy_sosfiltfilt(rng):
    x = rng.standard_normal((3000, 5)) * 20 + 400
    sos = design_chain(FilterConfig(), 2000.0, "limb", 50.0)
    assert_allclose(filter_offline(sos, x), signal.sosfiltfilt(sos, x, axis=0), atol=1e-12)
    # float32 in, float32 out; error relative to the signal scale
    y32 = filter_offline(sos, x.astype(np.float32))
    ref = signal.sosfiltfilt(sos, x, axis=0)
    assert y32.dtype == np.float32
    assert np.abs(y32 - ref).max() <= 2e-4 * ref.std()
    # 1-D input keeps its shape; mean removal changes nothing after a band-pass
    assert_allclose(filter_offline(sos, x[:, 1]), ref[:, 1], atol=1e-12)
    assert_allclose(filter_offline(sos, x, remove_mean=True), ref, atol=1e-9)


@pytest.mark.parametrize(("fs", "mains"), [(2000.0, 50.0), (2000.0, 60.0), (1000.0, 50.0)])
def test_notch_removes_mains_and_leaves_band(fs, mains):
    cfg = FilterConfig()
    bp = design_chain(FilterConfig(notch=False), fs, "limb")
    full = design_chain(cfg, fs, "limb", mains)
    fund = design_chain(FilterConfig(notch_harmonics=False), fs, "limb", mains)
    t = np.arange(int(10 * fs)) / fs
    for k in range(1, int(450 // mains) + 1):
        if k * mains >= min(450, 0.45 * fs):
            continue
        x = np.sin(2 * np.pi * k * mains * t)
        y = filter_offline(full, x)[int(2 * fs) : -int(2 * fs)]
        assert 20 * np.log10(np.sqrt(2) * y.std()) <= -40.0
    # zero-phase magnitude = |H|^2: compare 2 * dB of the cascade to the band-pass alone
    f = np.r_[np.arange(20, 45.01, 0.25), np.arange(70, 400.01, 0.25)]
    assert np.abs(2 * (_db(fund, f, fs) - _db(bp, f, fs))).max() <= 0.5
    harmonics = mains * np.arange(1, 10)
    away = np.min(np.abs(f[:, None] - harmonics[None, :]), axis=1) >= 5.0
    assert np.abs(2 * (_db(full, f[away], fs) - _db(bp, f[away], fs))).max() <= 0.5


def test_notch_at_250_hz():
    fs = 250.0
    with pytest.warns(LowSampleRateWarning):
        full = design_chain(FilterConfig(), fs, "limb", 50.0)
    with pytest.warns(LowSampleRateWarning):
        bp = design_chain(FilterConfig(notch=False), fs, "limb")
    assert len(full) == len(bp) + 2  # 50 and 100 Hz below 112.5 Hz
    t = np.arange(int(20 * fs)) / fs
    for f0 in (50.0, 100.0):
        y = filter_offline(full, np.sin(2 * np.pi * f0 * t))[500:-500]
        assert 20 * np.log10(np.sqrt(2) * y.std()) <= -40.0
    f = np.r_[np.arange(20, 45.01, 0.25), np.arange(55, 95.01, 0.25)]
    assert np.abs(2 * (_db(full, f, fs) - _db(bp, f, fs))).max() <= 0.5


def test_harmonic_notches_have_the_fundamental_bandwidth():
    sos = design_notch(2000.0, 50.0, 30.0, up_to_hz=450.0)
    assert len(sos) == 8
    for k in (1, 4, 8):
        f = k * 50.0 + np.array([-50 / 60, 50 / 60])  # +/- half the -3 dB width
        assert_allclose(_db(sos[k - 1 : k], f, 2000.0), -3.0103, atol=0.05)


def test_trunk_channels_get_the_ecg_highpass():
    assert band_edges(FilterConfig(), 2000.0, "trunk") == (30.0, 450.0)
    assert band_edges(FilterConfig(ecg_method="template"), 2000.0, "trunk")[0] == 20.0
    sos = design_chain(FilterConfig(notch=False), 2000.0, "trunk")
    assert_allclose(_db(sos, [30.0], 2000.0), -3.0103, atol=0.1)
    assert_allclose(_db(design_highpass(2000.0, 30.0), [30.0], 2000.0), -3.0103, atol=0.1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: design_bandpass(250.0, 20.0, 130.0), r"high_hz=130 must be < fs_hz/2 = 125"),
        (lambda: design_bandpass(250.0, 20.0, 125.0), r"high_hz=125 must be < fs_hz/2 = 125"),
        (lambda: design_bandpass(2000.0, 300.0, 200.0), r"low_hz=300 must be < high_hz=200"),
        (lambda: design_bandpass(0.0, 20.0, 100.0), r"fs_hz must be a positive number"),
        (lambda: design_highpass(1000.0, -5.0), r"cutoff_hz=-5 must be > 0"),
        (lambda: design_notch(100.0, 50.0), None),
        (lambda: band_edges(FilterConfig(), 2000.0, "arm"), r"'limb', 'trunk'"),
    ],
)
def test_impossible_parameters(call, message):
    if message is None:  # fundamental at Nyquist: no notch at all, not an error
        assert call().shape == (0, 6)
        return
    with pytest.raises(ConfigError, match=message):
        call()


def test_configured_high_edge_above_nyquist_is_an_error():
    with pytest.raises(ConfigError, match=r"high_hz=450 must be < fs_hz/2 = 125"):
        design_chain(FilterConfig(bandpass_high_hz=450.0), 250.0)


def test_detect_mains(rng):
    fs = 1000.0
    t = np.arange(int(20 * fs)) / fs
    noise = rng.standard_normal((t.size, 3)) * 10
    for f0 in (50.0, 60.0):
        x = noise + 1000 + 8 * np.sin(2 * np.pi * f0 * t)[:, None]
        assert detect_mains_hz(x, fs) == f0
    assert detect_mains_hz(noise, fs) is None


def _stream(filt, x, cuts):
    edges = [0, *sorted(cuts), len(x)]
    return np.concatenate([filt.process(x[a:b]) for a, b in itertools.pairwise(edges)])


@settings(max_examples=40, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=1500), max_size=12),
    init=st.sampled_from(["first", "zero"]),
)
def test_streaming_equals_one_shot_float64(cuts, init):
    x = np.random.default_rng(7).standard_normal((1500, 3)) * 30 + 5000
    sos = design_chain(FilterConfig(), 2000.0, "limb", 50.0)
    one = filter_causal(sos, x, init=init)
    chunked = _stream(StreamingFilter(sos, 3, np.float64, init), x, cuts)
    assert_allclose(chunked, one, rtol=0, atol=1e-12 * np.abs(one).max())
    ref = signal.sosfilt(
        sos, x, axis=0, zi=signal.sosfilt_zi(sos)[:, :, None] * x[0] if init == "first" else None
    )
    ref = ref[0] if init == "first" else ref
    assert_allclose(one, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1500), max_size=12))
def test_streaming_float32_tolerance(cuts):
    x = (np.random.default_rng(8).standard_normal((1500, 2)) * 30 + 5000).astype(np.float32)
    sos = design_chain(FilterConfig(), 2000.0, "limb", 50.0)
    chunked = _stream(StreamingFilter(sos, 2, np.float32), x, cuts)
    one64 = filter_causal(sos, x.astype(np.float64))
    assert chunked.dtype == np.float32
    # documented: float32 streaming within 1e-5 of the float64 result, relative to its scale
    assert np.abs(chunked - one64).max() <= 1e-5 * np.abs(x).max()
    assert_allclose(chunked, filter_causal(sos, x), rtol=0, atol=1e-6 * np.abs(x).max())


def test_streaming_filter_checks_channels():
    f = StreamingFilter(design_bandpass(2000.0, 20, 450), 4)
    with pytest.raises(ConfigError, match="block has 3 channels"):
        f.process(np.zeros((10, 3)))
