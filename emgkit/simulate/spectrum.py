"""The surface-EMG power spectrum and the noise generator that has it.

The shape is Shwedyk et al. (1977)'s model, used by Merletti and co-workers for
simulated interference EMG::

    P(f) = f_h^4 f^2 / ((f^2 + f_l^2) (f^2 + f_h^2)^2)

with ``f_l`` about 45-65 Hz and ``f_h`` about twice that: the spectrum rises as f^2 to a
peak at 55-75 Hz, has its median frequency at 75-105 Hz and falls as f^-4, so that
about 90 % of the power lies between 20 and 250 Hz.

**What a board records.** Every board has an anti-alias filter, so the signal it stores
is the spectrum above restricted to frequencies below its Nyquist rate. The generator
therefore shapes white Gaussian noise with a linear-phase FIR filter whose magnitude is
``sqrt(P(f))`` below ``0.40 fs``, tapered to zero at ``0.45 fs`` (raised cosine), and
*normalises the filter to unit power*: the output has unit variance at every sampling
rate. At 2 kHz this is the whole physiological spectrum; at 250 Hz it is the part below
112 Hz, scaled up so that the recorded RMS at 100 % MVC still equals the channel's
``mvc_rms_uv``. %MVC is thus recoverable at any rate, which is what the simulator is for;
the spectral content at low rates is that of the band the board can see.

**Exact streaming.** :class:`ShapedNoise` filters by overlap-add on a fixed grid of
internal chunks that depends only on the filter length, and draws its white noise chunk
by chunk from one generator: reading it in any block sizes gives bit-identical output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import signal

from emgkit._validate import check_positive

#: Fraction of fs where the anti-alias taper starts and where the spectrum is zero.
TAPER_START = 0.40
TAPER_END = 0.45


@dataclass(frozen=True)
class EmgSpectrum:
    """Shwedyk's sEMG spectrum shape.

    Parameters
    ----------
    low_hz : float
        ``f_l``, the zero of the high-pass part (about 45-65 Hz).
    high_hz : float
        ``f_h``, the double pole of the low-pass part (about 90-140 Hz).
    """

    low_hz: float = 55.0
    high_hz: float = 110.0

    def __post_init__(self):
        check_positive("low_hz", self.low_hz, "Hz")
        check_positive("high_hz", self.high_hz, "Hz")

    def psd(self, f_hz: np.ndarray) -> np.ndarray:
        """Return the (unnormalised) power spectral density at ``f_hz``."""
        f2 = np.square(np.asarray(f_hz, dtype=np.float64))
        fl2, fh2 = self.low_hz**2, self.high_hz**2
        return fh2**2 * f2 / ((f2 + fl2) * np.square(f2 + fh2))

    def scaled(self, factor: float) -> EmgSpectrum:
        """Return the spectrum compressed (``factor`` < 1) or stretched along frequency."""
        return EmgSpectrum(self.low_hz * factor, self.high_hz * factor)


def anti_alias_taper(f_hz: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return the amplitude taper: 1 below 0.40 fs, raised cosine to 0 at 0.45 fs."""
    x = (np.asarray(f_hz, dtype=np.float64) / fs_hz - TAPER_START) / (TAPER_END - TAPER_START)
    return 0.5 * (1 + np.cos(np.pi * np.clip(x, 0.0, 1.0)))


def n_taps_for(fs_hz: float) -> int:
    """Return the shaping filter length: an odd number of samples near 0.2 s, at least 63."""
    n = max(63, round(0.2 * fs_hz))
    return n + 1 - n % 2


def shaping_filters(spectra: list[EmgSpectrum], fs_hz: float) -> np.ndarray:
    """Design one unit-power linear-phase FIR filter per spectrum.

    Parameters
    ----------
    spectra : list of EmgSpectrum
        One spectrum per channel.
    fs_hz : float
        Sampling rate in Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(n_channels, n_taps)``; each row has ``sum(h**2) == 1``, so white
        noise of unit variance comes out with unit variance.
    """
    fs_hz = check_positive("fs_hz", fs_hz, "Hz")
    n_taps = n_taps_for(fs_hz)
    n_grid = 8 * n_taps
    f = sfft.rfftfreq(n_grid, 1.0 / fs_hz)
    taper = anti_alias_taper(f, fs_hz)
    window = signal.get_window(("kaiser", 6.0), n_taps, fftbins=False)
    out = np.empty((len(spectra), n_taps))
    for i, sp in enumerate(spectra):
        amp = np.sqrt(sp.psd(f)) * taper
        h = np.roll(sfft.irfft(amp, n_grid), n_taps // 2)[:n_taps] * window
        out[i] = h / np.sqrt(np.sum(h * h))
    return out


def realised_psd(
    fir: np.ndarray, fs_hz: float, n_freq: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Return the frequency grid and the one-sided PSD (per Hz) the filters produce.

    Parameters
    ----------
    fir : numpy.ndarray
        ``(n_channels, n_taps)`` from :func:`shaping_filters`.
    fs_hz : float
        Sampling rate in Hz.
    n_freq : int
        Number of frequency points from 0 to fs/2.

    Returns
    -------
    f_hz : numpy.ndarray
        ``(n_freq,)``.
    psd : numpy.ndarray
        ``(n_channels, n_freq)``; integrates to 1 over 0..fs/2 (unit variance).
    """
    n_fft = 2 * (n_freq - 1)
    h = sfft.rfft(fir, n_fft, axis=-1)
    psd = np.abs(h) ** 2 * 2.0 / fs_hz
    psd[:, 0] /= 2
    psd[:, -1] /= 2
    return sfft.rfftfreq(n_fft, 1.0 / fs_hz), psd


def median_frequency_hz(
    f_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]
) -> np.ndarray:
    """Return the median frequency of each PSD row within ``band_hz`` (inclusive)."""
    m = (f_hz >= band_hz[0]) & (f_hz <= band_hz[1])
    f, p = f_hz[m], np.atleast_2d(psd)[:, m]
    c = np.cumsum(p, axis=-1)
    c /= c[:, -1:]
    return np.array([np.interp(0.5, ci, f) for ci in c])


class ShapedNoise:
    """Unit-variance Gaussian noise with per-channel sEMG spectra, read in order.

    Parameters
    ----------
    fir : numpy.ndarray
        ``(n_channels, n_taps)`` unit-power filters (:func:`shaping_filters`).
    rng : numpy.random.Generator
        Source of the white noise; the object owns it from now on.

    Notes
    -----
    The filter starts in its steady state (it is primed with ``n_taps - 1`` samples of
    white noise), so there is no start-up transient. Output is float64
    ``(n_samples, n_channels)``.
    """

    def __init__(self, fir: np.ndarray, rng: np.random.Generator):
        self._fir = np.atleast_2d(np.asarray(fir, dtype=np.float64))
        self._rng = rng
        n_ch, m = self._fir.shape
        self._chunk = max(16384, 8 * m)
        self._spectra: dict[int, np.ndarray] = {}
        primer = rng.standard_normal((n_ch, m - 1))
        self._tail = self._convolve(primer)[:, m - 1 :]
        self._buf = np.empty((0, n_ch))

    def _convolve(self, w: np.ndarray) -> np.ndarray:
        """Return the full linear convolution of each row of ``w`` with its filter."""
        n = w.shape[1] + self._fir.shape[1] - 1
        n_fft = sfft.next_fast_len(n, real=True)
        if n_fft not in self._spectra:
            self._spectra[n_fft] = sfft.rfft(self._fir, n_fft, axis=-1)
        spec = sfft.rfft(w, n_fft, axis=-1)
        spec *= self._spectra[n_fft]
        return sfft.irfft(spec, n_fft, axis=-1)[:, :n]

    def _next_chunk(self) -> np.ndarray:
        n_ch, m = self._fir.shape
        y = self._convolve(self._rng.standard_normal((n_ch, self._chunk)))
        y[:, : m - 1] += self._tail
        self._tail = y[:, self._chunk :].copy()
        return y[:, : self._chunk].T

    def read(self, n_samples: int) -> np.ndarray:
        """Return the next ``n_samples`` samples, float64 ``(n_samples, n_channels)``."""
        parts = [self._buf]
        have = self._buf.shape[0]
        while have < n_samples:
            c = self._next_chunk()
            parts.append(c)
            have += c.shape[0]
        allbuf = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        out, self._buf = allbuf[:n_samples], allbuf[n_samples:]
        return out
