"""The FFT zero-phase path against scipy's sosfiltfilt with the same cascade."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import signal

import emgkit.core.fftfilt as fftfilt
from emgkit.core import LowSampleRateWarning, design_chain, filter_offline
from emgkit.core.fftfilt import filter_offline_fft, sos_power_response, zero_phase_kernel
from emgkit.core.filters import default_padlen
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig


def _chain(fs, mains, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        return design_chain(FilterConfig(**kw), fs, "limb", mains)


def _band_limited(rng, n, n_ch, fs, mains):
    """Noise low-passed at 0.45 fs, DC offsets of tens of mV, mains and a harmonic."""
    lp = signal.butter(6, 0.45 * fs, fs=fs, output="sos")
    x = signal.sosfilt(lp, rng.standard_normal((n, n_ch)), axis=0) * 40
    t = np.arange(n) / fs
    x += (
        30 * np.sin(2 * np.pi * mains * t + 0.3)[:, None]
        + 8 * np.sin(4 * np.pi * mains * t)[:, None]
    )
    return x + rng.uniform(-3e4, 3e4, n_ch)


def _uses_fft(monkeypatch):
    def no_fallback(*args, **kwargs):
        raise AssertionError("fell back to filtfilt_into")

    monkeypatch.setattr(fftfilt, "filtfilt_into", no_fallback)


@pytest.mark.parametrize("fs", [250.0, 1000.0, 2000.0])
@pytest.mark.parametrize("mains", [50.0, 60.0])
@pytest.mark.parametrize("odd", [0, 1])
@pytest.mark.parametrize("n_ch", [1, 16])
def test_fft_equals_sosfiltfilt(rng, monkeypatch, fs, mains, odd, n_ch):
    sos = _chain(fs, mains)
    n = int(14 * fs) + odd  # > 4 L (L ~ 3 s): the FFT path proper, no fallback
    x = _band_limited(rng, n, n_ch, fs, mains)
    ref = signal.sosfiltfilt(sos, x - x.mean(axis=0), axis=0)
    scale = ref.std()
    _uses_fft(monkeypatch)
    half = len(zero_phase_kernel(sos)) // 2
    interior = slice(half, n - half)
    # float64: kernel truncation only; the ends are sosfiltfilt's own (documented: 1e-5)
    y = filter_offline_fft(sos, x, remove_mean=True)
    assert y.dtype == np.float64 and y.shape == x.shape
    err = y - ref
    assert np.sqrt(np.mean(err[interior] ** 2)) <= 1e-6 * scale  # measured <= 2e-7
    assert np.abs(err).max() <= 1e-5 * scale  # measured <= 5e-7
    # float32 (as stored): against float64 sosfiltfilt of the same float32 numbers
    x32 = x.astype(np.float32)
    x32d = x32.astype(np.float64)
    ref32 = signal.sosfiltfilt(sos, x32d - x32d.mean(axis=0), axis=0)
    y32 = filter_offline_fft(sos, x32, remove_mean=True)
    assert y32.dtype == np.float32
    err32 = y32 - ref32
    assert np.sqrt(np.mean(err32[interior] ** 2)) <= 1e-5 * scale  # measured <= 3e-7
    assert np.abs(err32).max() <= 2e-5 * scale  # ends included; measured <= 1.3e-6
    # 1-D input keeps its shape
    if n_ch == 1:
        assert_allclose(filter_offline_fft(sos, x[:, 0], remove_mean=True), y[:, 0], atol=0)


def test_fft_more_accurate_than_float32_recursion(rng):
    fs = 2000.0
    sos = _chain(fs, 50.0)
    x = _band_limited(rng, int(15 * fs), 2, fs, 50.0).astype(np.float32)
    xd = x.astype(np.float64)
    ref = signal.sosfiltfilt(sos, xd - xd.mean(axis=0), axis=0)
    e_fft = np.abs(filter_offline_fft(sos, x, remove_mean=True) - ref).max()
    e_rec = np.abs(filter_offline(sos, x, remove_mean=True) - ref).max()
    assert e_fft < e_rec


@pytest.mark.parametrize("n", [76, 500, 3001, -1])
def test_short_signals_fall_back_to_sosfiltfilt(rng, n):
    sos = _chain(2000.0, 50.0)
    if n < 0:  # the longest signal that still falls back: 4 L - 1 samples (~12 s)
        n = 4 * (len(zero_phase_kernel(sos)) // 2) - 1
    x = rng.standard_normal((n, 3)) * 20 + 400
    assert_allclose(filter_offline_fft(sos, x), filter_offline(sos, x), rtol=0, atol=0)


def test_too_short_is_the_same_error_as_filter_offline():
    sos = _chain(2000.0, 50.0)
    p = default_padlen(sos)
    with pytest.raises(ConfigError, match=f"needs more than {p}"):
        filter_offline_fft(sos, np.zeros(p))
    with pytest.raises(ConfigError, match=f"needs more than {p}"):
        filter_offline(sos, np.zeros(p))


def test_explicit_padlen_and_no_sections(rng, monkeypatch):
    fs = 1000.0
    sos = _chain(fs, 50.0)
    x = rng.standard_normal((int(13 * fs), 2)) * 20
    ref = signal.sosfiltfilt(sos, x, axis=0, padlen=900)
    _uses_fft(monkeypatch)
    assert np.abs(filter_offline_fft(sos, x, padlen=900) - ref).max() <= 1e-6 * ref.std()
    monkeypatch.undo()
    assert_allclose(filter_offline_fft(np.zeros((0, 6)), x), x)


def test_power_response_and_kernel():
    fs = 2000.0
    sos = _chain(fs, 50.0)
    n_fft = 4096
    w = 2 * np.pi * np.arange(n_fft // 2 + 1) / n_fft
    _, h = signal.sosfreqz(sos, worN=w)
    # real arithmetic loses relative precision only where |H|**2 is tiny (stop band)
    assert_allclose(sos_power_response(sos, n_fft), np.abs(h) ** 2, rtol=1e-6, atol=1e-9)
    k = zero_phase_kernel(sos)
    half = len(k) // 2
    assert_allclose(k, k[::-1], atol=1e-15)  # zero phase: symmetric
    assert np.argmax(k) == half
    # the notches' 1.67 Hz bandwidth sets the length: ~3 s at any rate
    assert 2.5 * fs < half < 3.5 * fs
    # unstable cascade, or a kernel longer than the signal: none (the caller falls back)
    assert zero_phase_kernel(np.array([[1.0, 0, 0, 1.0, -1.0, 0]])) is None
    assert zero_phase_kernel(sos, max_len=1000) is None


def test_zero_phase_edges_and_symmetry_on_fft_path():
    fs, n = 2000.0, 2**16
    sos = design_chain(FilterConfig(notch=False), fs, "limb")
    x = np.zeros(n)
    x[n // 2] = 1.0
    y = filter_offline_fft(sos, x)
    f = np.fft.rfftfreq(n, 1 / fs)
    mag_db = 20 * np.log10(np.abs(np.fft.rfft(y)))
    assert_allclose(np.interp([20.0, 450.0], f, mag_db), -6.0206, atol=0.1)
    assert_allclose(y[n // 2 - 500 : n // 2], y[n // 2 + 500 : n // 2 : -1], atol=1e-12)


@pytest.mark.parametrize(
    ("fs", "mains"), [(2000.0, 50.0), (2000.0, 60.0), (1000.0, 50.0), (250.0, 50.0)]
)
def test_notches_on_fft_path(monkeypatch, fs, mains):
    full = _chain(fs, mains)
    bp = _chain(fs, None, notch=False)
    top = min(450.0, 0.45 * fs)
    t = np.arange(int(20 * fs)) / fs
    _uses_fft(monkeypatch)
    for k in range(1, int(top // mains) + 1):
        if k * mains >= top:
            continue
        y = filter_offline_fft(full, np.sin(2 * np.pi * k * mains * t))[int(2 * fs) : -int(2 * fs)]
        assert 20 * np.log10(np.sqrt(2) * y.std()) <= -40.0
    # pass band: a sine away from the harmonics keeps the band-pass-alone amplitude
    f0 = 37.0
    x = np.sin(2 * np.pi * f0 * t)
    mid = slice(int(4 * fs), -int(4 * fs))
    a_full = filter_offline_fft(full, x)[mid].std()
    a_bp = filter_offline(bp, x)[mid].std()
    assert abs(20 * np.log10(a_full / a_bp)) <= 0.5


@pytest.mark.parametrize(("fs", "mains"), [(2000.0, 50.0), (2000.0, 60.0), (250.0, 50.0)])
def test_measured_response_on_fft_path(fs, mains):
    # the impulse response of the default path, measured: |H|**2 of the design, so the
    # pass band keeps the band-pass-alone gain within 0.5 dB away from the harmonics
    full = _chain(fs, mains)
    bp = _chain(fs, None, notch=False)
    n = 2**16
    x = np.zeros(n)
    x[n // 2] = 1.0
    y = filter_offline_fft(full, x)
    f_all = np.fft.rfftfreq(n, 1 / fs)
    top = min(450.0, 0.45 * fs)
    harmonics = mains * np.arange(1, 10)
    pick = (f_all >= 20) & (f_all <= top - 50)
    pick &= np.min(np.abs(f_all[:, None] - harmonics[None, :]), axis=1) >= 5.0
    measured = 20 * np.log10(np.abs(np.fft.rfft(y)))[pick]
    _, h_full = signal.sosfreqz(full, worN=f_all[pick], fs=fs)
    _, h_bp = signal.sosfreqz(bp, worN=f_all[pick], fs=fs)
    assert_allclose(measured, 40 * np.log10(np.abs(h_full)), atol=1e-3)
    assert np.abs(measured - 40 * np.log10(np.abs(h_bp))).max() <= 0.5
