"""The measures behind the quality flags, per channel (see :mod:`emgkit.core.quality`).

Each function takes ``(n_samples, n_channels)`` arrays in microvolts and returns one value
per channel; lengths are given in seconds and converted with the sampling rate here, so
the same configuration means the same thing from 200 Hz to 16 kHz. The spectral band is
the signal core's band rule (:func:`emgkit.core.filters.band_edges`), never re-derived.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from emgkit.core.ecg import find_r_peaks_columns, subtract_ecg_template
from emgkit.core.fftfilt import filter_offline_fft
from emgkit.core.filters import (
    band_edges,
    design_bandpass,
    notch_frequencies,
)
from emgkit.model.config import FilterConfig

#: Quantile pair whose window-RMS ratio measures amplitude modulation.
MODULATION_QUANTILES = (0.1, 0.9)


@lru_cache(maxsize=256)
def _bandpass(fs_hz: float, low_hz: float, high_hz: float, order: int) -> np.ndarray:
    return design_bandpass(fs_hz, low_hz, high_hz, order)


@lru_cache(maxsize=64)
def quality_band(fs_hz: float, region: str = "limb", config: FilterConfig | None = None
                 ) -> tuple[float, float]:
    """Return the band ``(low_hz, high_hz)`` the quality measures use at ``fs_hz``.

    The signal core's band rule (:func:`~emgkit.core.filters.band_edges` of the filter
    configuration, defaults if None). Its low-rate warning is about sEMG content and is
    not repeated here: quality is about the hardware and the contact.
    """
    return band_edges(config or FilterConfig(), fs_hz, region, warn=False)


def bandpassed(x: np.ndarray, fs_hz: float, bands: list[tuple[float, float]]) -> np.ndarray:
    """Zero-phase band-pass each column in its band (order 4, mean removed), float64.

    By FFT (:func:`~emgkit.core.fftfilt.filter_offline_fft`: ``sosfiltfilt``'s result).
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    for band in sorted(set(bands)):
        cols = [j for j, b in enumerate(bands) if b == band]
        sos = _bandpass(fs_hz, band[0], band[1], 4)
        out[:, cols] = filter_offline_fft(sos, x[:, cols], remove_mean=True)
    return out


def welch_psd(x: np.ndarray, fs_hz: float, segment_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD (Hann, 50 % overlap, mean removed per segment) with segments in seconds."""
    nper = int(min(x.shape[0], max(16, round(segment_s * fs_hz))))
    return signal.welch(x, fs=fs_hz, nperseg=nper, axis=0, detrend="constant")


def mains_mask(f: np.ndarray, fs_hz: float, mains_hz: float | None, high_hz: float,
               half_width_hz: float) -> np.ndarray:
    """Return the frequencies within ``half_width_hz`` of mains and its harmonics."""
    near = np.zeros(f.shape, bool)
    if mains_hz is not None:
        for fm in notch_frequencies(fs_hz, mains_hz, up_to_hz=high_hz + half_width_hz):
            near |= np.abs(f - fm) <= half_width_hz
    return near


def smoothed_flatness(f: np.ndarray, p: np.ndarray, band: tuple[float, float],
                      exclude: np.ndarray, resolution_hz: float) -> np.ndarray:
    """Spectral flatness of the PSD averaged into equal bins about ``resolution_hz`` wide.

    Geometric over arithmetic mean of the bin powers: 1 for white noise whatever the
    record length (the averaging removes the estimator's scatter, which biases the raw
    flatness of a short white record low), lower for a shaped spectrum. Bins in
    ``exclude`` (mains lines) are left out.
    """
    low, high = band
    keep = (f >= low) & (f <= high) & ~exclude
    n_bins = max(3, int((high - low) // resolution_hz))
    idx = np.minimum(((f[keep] - low) / (high - low) * n_bins).astype(int), n_bins - 1)
    groups = [p[keep][idx == k].mean(axis=0) for k in range(n_bins) if np.any(idx == k)]
    if len(groups) < 3:
        return np.full(p.shape[1], np.nan)
    g = np.array(groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        flat = np.exp(np.mean(np.log(g), axis=0)) / np.mean(g, axis=0)
    return np.where(np.isfinite(flat), flat, np.nan)


def window_rms(y: np.ndarray, fs_hz: float, window_s: float) -> np.ndarray:
    """RMS over consecutive non-overlapping windows ``(n_windows, n_channels)``."""
    w = max(1, round(window_s * fs_hz))
    k = y.shape[0] // w
    if k == 0:
        return np.sqrt(np.mean(y * y, axis=0))[None, :]
    return np.sqrt(np.mean((y[: k * w] ** 2).reshape(k, w, -1), axis=1))


def modulation_db(env: np.ndarray) -> np.ndarray:
    """Amplitude modulation: ratio of the 90th to the 10th percentile of window RMS, in dB."""
    lo, hi = np.quantile(env, MODULATION_QUANTILES, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 20 * np.log10(hi / lo)
    return np.where(np.isfinite(out), out, np.nan)


def r_peaks(x: np.ndarray, fs_hz: float) -> list[np.ndarray]:
    """R-peak indices per channel (:func:`~emgkit.core.ecg.find_r_peaks`), empty if none."""
    return find_r_peaks_columns(x, fs_hz)


def ecg_fraction(y: np.ndarray, peaks: list[np.ndarray], fs_hz: float,
                 half_window_s: float = 0.1, quiet_window_s: float = 0.5) -> np.ndarray:
    """How much of each channel's quiet baseline is a repeating heart beat (0 to 1).

    ``peaks`` are the R peaks of each raw channel (:func:`r_peaks`). Only the quiet
    parts count, where a heart beat biases onsets and rest levels: the
    ``quiet_window_s`` windows whose median square (blind to the short QRS, not to a
    contraction) is at most 6 times the channel's 10th percentile. The
    beat's power there is estimated without bias from the product of the mean beats of
    the odd and of the even peaks inside them (uncorrelated EMG averages out of the
    product, while the mean over all beats keeps ~1/n of it) and divided by their
    power. 0 without a clear ECG (fewer than 4 beats in quiet parts).
    """
    out = np.zeros(y.shape[1])
    h = max(1, round(half_window_s * fs_hz))
    w = max(1, round(quiet_window_s * fs_hz))
    n_win = y.shape[0] // w
    offs = np.arange(-h, h + 1)
    for j in range(y.shape[1]):
        pk = peaks[j][(peaks[j] >= h) & (peaks[j] + h < n_win * w)]
        if pk.size < 4:
            continue
        med = np.median(y[: n_win * w, j].reshape(n_win, w) ** 2, axis=1)
        quiet = np.repeat(med <= 6.0 * np.quantile(med, 0.1), w)
        pk = pk[quiet[pk]]
        q_ms = float(np.mean(y[: n_win * w, j][quiet] ** 2))
        if pk.size < 4 or not q_ms > 0:
            continue
        seg = y[pk[:, None] + offs[None, :], j]
        cross = float(np.sum(seg[0::2].mean(axis=0) * seg[1::2].mean(axis=0)))
        out[j] = min(1.0, max(0.0, pk.size * cross / int(quiet.sum()) / q_ms))
    return out


def spike_ratio(x: np.ndarray, live: np.ndarray, fs_hz: float, window_s: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Single-sample outliers (corrupt samples): each sample's outlier ratio.

    The ratio of a sample is its deviation from the mean of its two neighbours over
    the standard deviation of that deviation in the surrounding ``window_s`` (at most
    201 samples, i.e. shorter above 2 kHz),
    estimated robustly (median absolute value / 0.6745, so another wild sample nearby
    does not hide it; at least a tenth of the window's RMS, as coarsely quantised quiet
    data have a median of 0), so a burst of EMG, whose level changes over tens of
    milliseconds, scores low and a lone wild sample scores high. Only lone samples are
    scored: their two neighbours differ by less than a quarter of the deviation and sit
    within a quarter of it of the window's median level (not the flanks of a sharp
    real waveform). Samples next to a
    non-live one (rail, zero) score 0.

    Returns
    -------
    ratio : numpy.ndarray
        ``(n_samples, n_channels)`` ratios (0 where not computed: only samples whose
        deviation exceeds 3x the channel's RMS deviation are scored).
    """
    x = np.asarray(x, dtype=np.float64)
    n, n_ch = x.shape
    ratio = np.zeros((n, n_ch))
    if n < 5:
        return ratio
    d = np.zeros_like(x)
    np.add(x[:-2], x[2:], out=d[1:-1])
    d[1:-1] *= -0.5
    d[1:-1] += x[1:-1]  # x[i] - (x[i-1] + x[i+1]) / 2, the same rounding
    ok = live.copy()
    ok[1:] &= live[:-1]
    ok[:-1] &= live[1:]
    ok[[0, -1]] = False
    if not ok[1:-1].all():
        d[~ok] = 0.0
    a_all = np.abs(d)
    n_ok = ok.sum(axis=0)
    with np.errstate(invalid="ignore"):  # d is 0 where not ok: the RMS over the ok samples
        scale = np.sqrt(np.einsum("ij,ij->j", d, d) / n_ok)
    del d
    rows, cols = np.nonzero(a_all > 3.0 * np.where(n_ok > 0, scale, np.inf))
    # a lone sample: its two neighbours agree with each other (a sharp but real
    # waveform, such as an electrode pop, moves them apart as well); the ends never
    # qualify (their deviation is 0)
    lone = np.abs(x[rows + 1, cols] - x[rows - 1, cols]) <= 0.25 * a_all[rows, cols]
    rows, cols = rows[lone], cols[lone]
    half = min(max(3, round(window_s * fs_hz / 2)), 100)  # <= 201 samples: enough for a median
    offs = np.arange(-half, half + 1)
    for j in np.unique(cols):
        cand = rows[cols == j]
        for k in range(0, cand.size, 1024):  # bounded memory
            c = cand[k : k + 1024]
            at = _reflect(c[:, None] + offs[None, :], n)  # np.pad's "reflect" at the ends
            win = a_all[at, j]
            a = a_all[c, j]
            # robust (another spike nearby does not count), floored at a tenth of the
            # window's RMS: quantised quiet data have a median deviation of 0
            local = np.maximum(np.median(win, axis=1) / 0.6745,
                               0.1 * np.sqrt(np.mean(win * win, axis=1)))
            # the neighbours sit at the local level: not the flank of a real waveform
            level = np.median(x[at, j], axis=1)
            near = np.abs(0.5 * (x[c - 1, j] + x[c + 1, j]) - level) <= 0.25 * a
            local = np.where(near, local, np.inf)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio[c, j] = np.where(local > 0, a / local, np.inf)
    return ratio


def _reflect(i: np.ndarray, n: int) -> np.ndarray:
    """Map indices outside ``[0, n)`` back into it as ``np.pad(mode="reflect")`` extends."""
    period = 2 * (n - 1)
    i = np.abs(i) % period
    return np.where(i > n - 1, period - i, i)


def spikes(ratio: np.ndarray, threshold: float) -> np.ndarray:
    """Return a boolean mask of spike samples: ratio above ``threshold`` and a local maximum.

    A wild sample also lifts its two neighbours' ratios (by half its size); only the
    largest of three counts.
    """
    big = ratio > threshold
    left = np.vstack((np.zeros((1, ratio.shape[1])), ratio[:-1]))
    right = np.vstack((ratio[1:], np.zeros((1, ratio.shape[1]))))
    return big & (ratio >= left) & (ratio >= right)


def repair_spikes(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Replace spike samples by the mean of their neighbours (a copy when any)."""
    if not mask.any():
        return x
    x = np.array(x, dtype=np.float64)
    i, j = np.nonzero(mask)
    x[i, j] = 0.5 * (x[np.maximum(i - 1, 0), j] + x[np.minimum(i + 1, x.shape[0] - 1), j])
    return x


def motion_windows(x: np.ndarray, y: np.ndarray, peaks: list[np.ndarray], fs_hz: float,
                   low_hz: float, bands, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Window RMS below and in the EMG band, for the movement-artefact check.

    Below the band means ``low_hz`` to each channel's lower band edge (Butterworth
    order 2, zero phase): movement artefacts and baseline wander live there, the
    electrode drift of a still recording (below ~0.3 Hz) hardly, and a clear ECG is
    subtracted first (its mean beat, :func:`~emgkit.core.ecg.subtract_ecg_template`).

    Returns
    -------
    low_uv, band_uv : numpy.ndarray
        ``(n_windows, n_channels)`` RMS of the low band and of ``y`` (the EMG band).
    """
    low = np.asarray(x, dtype=np.float64) - np.mean(x, axis=0, dtype=np.float64)
    for j in range(low.shape[1]):
        if peaks[j].size:
            low[:, j] = subtract_ecg_template(low[:, j], fs_hz, peaks[j])
    for edge in sorted({b[0] for b in bands}):  # the channels of one band in one call
        cols = [j for j, b in enumerate(bands) if b[0] == edge]
        low[:, cols] = filter_offline_fft(_bandpass(fs_hz, low_hz, edge, 2), low[:, cols])
    return window_rms(low, fs_hz, window_s), window_rms(y, fs_hz, window_s)
