"""ECG template subtraction for trunk channels (offline option to the 30 Hz high-pass).

The heart's QRS complexes are found in the 5-20 Hz band of the channel itself, the mean
beat (a Tukey-tapered window from 0.2 s before to 0.4 s after each R peak) is taken
over all beats, which averages the uncorrelated EMG out, and subtracted at each beat.
The default for trunk channels stays the 30 Hz high-pass (Drake & Callaghan 2006);
template subtraction keeps the 20-30 Hz EMG content but relies on a clear ECG.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from emgkit.core._common import check_fs
from emgkit.core.chain import ceiling_hz
from emgkit.core.filters import design_bandpass, filter_offline

_PRE_S, _POST_S = 0.2, 0.4
_MIN_RR_S = 0.33  # 180 beats/min
_MIN_BEATS = 3
_MIN_PEAK_OVER_MEAN = 10.0


@lru_cache(maxsize=64)
def _qrs_band(fs_hz: float) -> np.ndarray:
    """Return the 5-20 Hz band-pass the QRS complexes are found in (designed once per rate)."""
    return design_bandpass(fs_hz, 5.0, ceiling_hz(20.0, fs_hz), 2)


def find_r_peaks(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """R-peak sample indices in a ``(n_samples,)`` trunk EMG channel (empty if no ECG).

    Peaks of the squared 5-20 Hz band (zero phase, so no shift); being smooth, they sit
    at the same place in every beat, which matters more for subtraction than the exact
    R apex.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be (n_samples,), but got shape {x.shape}")
    return find_r_peaks_columns(x[:, None], fs_hz)[0]


def find_r_peaks_columns(x: np.ndarray, fs_hz: float) -> list[np.ndarray]:
    """:func:`find_r_peaks` of each column of ``(n_samples, n_channels)``, filtered at once."""
    fs = check_fs(fs_hz)
    x = np.asarray(x, dtype=np.float64)
    none = np.zeros(0, np.int64)
    if fs < 50 or x.shape[0] < int(2 * fs):
        return [none] * x.shape[1]
    e = np.ascontiguousarray((filter_offline(_qrs_band(fs), x - x.mean(axis=0)) ** 2).T)
    return [_beats(row, fs) for row in e]


def _beats(e: np.ndarray, fs: float) -> np.ndarray:
    """R peaks in one channel's squared QRS band ``e`` (empty if they are not beats)."""
    height = 0.3 * np.percentile(e, 99.5)
    if not height > 0:
        return np.zeros(0, np.int64)
    peaks, props = signal.find_peaks(e, height=height, distance=max(1, int(_MIN_RR_S * fs)))
    # An ECG concentrates its 5-20 Hz energy in the QRS: beats stand far above the mean
    # energy (noise maxima reach ~5x it). Otherwise there is no ECG to remove.
    if peaks.size < _MIN_BEATS or np.median(props["peak_heights"]) < _MIN_PEAK_OVER_MEAN * e.mean():
        return np.zeros(0, np.int64)
    return peaks.astype(np.int64)


def subtract_ecg_template(x: np.ndarray, fs_hz: float,
                          peaks: np.ndarray | None = None) -> np.ndarray:
    """Subtract the mean ECG beat from a ``(n_samples,)`` channel; unchanged if < 3 beats.

    Parameters
    ----------
    x : numpy.ndarray
        Mean-removed raw trunk EMG in microvolts.
    fs_hz : float
        Sampling rate in Hz.
    peaks : numpy.ndarray, optional
        Its R peaks, when :func:`find_r_peaks` has already found them.

    Returns
    -------
    numpy.ndarray
        ``(n_samples,)`` float64 with the ECG template removed at each R peak.
    """
    fs = check_fs(fs_hz)
    x = np.asarray(x, dtype=np.float64)
    peaks = find_r_peaks(x, fs) if peaks is None else np.asarray(peaks, np.int64)
    pre, post = int(_PRE_S * fs), int(_POST_S * fs)
    peaks = peaks[(peaks >= pre) & (peaks + post < x.size)]
    if peaks.size < _MIN_BEATS:
        return x.copy()
    idx = peaks[:, None] + np.arange(-pre, post)[None, :]
    template = x[idx].mean(axis=0)
    edge = max(1, (pre + post) // 10)
    template -= np.median(np.r_[template[:edge], template[-edge:]])  # the beat, not the DC
    template *= signal.windows.tukey(pre + post, 0.2)
    out = x.copy()
    np.subtract.at(out, idx.ravel(), np.tile(template, peaks.size))
    return out
