"""Median and mean frequency (Welch), e.g. per repetition to follow fatigue.

Only meaningful at fs >= 1 kHz: below it the band is cut at 0.45 fs, and both
frequencies are biased low; a :class:`~emgkit.core.LowSampleRateWarning` says so.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from emgkit.core._common import as_2d, check_fs, warn_low_fs
from emgkit.core.chain import band_edges
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig, SpectralConfig


def spectral_frequencies(
    x: np.ndarray,
    fs_hz: float,
    config: SpectralConfig | None = None,
    filter_config: FilterConfig | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Median and mean frequency of each channel.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)`` band-passed EMG (e.g. one
        repetition).
    fs_hz : float
        Sampling rate in Hz.
    config : SpectralConfig, optional
        Welch segment, overlap and band (defaults if None).
    filter_config : FilterConfig, optional
        Gives the band when ``config.low_hz`` / ``config.high_hz`` are None.

    Returns
    -------
    median_hz, mean_hz : numpy.ndarray
        ``(n_channels,)`` (or scalars' 0-d arrays for 1-D input); NaN for a channel with
        no power in the band. The median splits the power in the band in two halves;
        the mean is the power-weighted mean frequency.
    """
    config = SpectralConfig() if config is None else config
    fcfg = FilterConfig() if filter_config is None else filter_config
    fs = check_fs(fs_hz)
    x2, was_1d = as_2d(x)
    band_low, band_high = band_edges(fcfg, fs, warn=False)  # the chain's (limb); said below
    low = config.low_hz if config.low_hz is not None else band_low
    high = config.high_hz if config.high_hz is not None else band_high
    if high > fs / 2 or low >= high:
        raise ConfigError(
            f"spectral band low_hz={low:g}, high_hz={high:g} must lie in 0 < "
            f"low < high <= fs_hz/2 = {fs / 2:g}"
        )
    warn_low_fs(
        fs,
        f"median and mean frequency only cover {low:g}-{high:g} Hz and are biased low",
        stacklevel=3,
    )
    nper = min(x2.shape[0], max(8, round(config.welch_window_s * fs)))
    f, p = signal.welch(x2, fs=fs, nperseg=nper, noverlap=int(config.overlap * nper), axis=0)
    band = (f >= low) & (f <= high)
    f, p = f[band], p[band]
    total = p.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_hz = (f[:, None] * p).sum(axis=0) / total
        c = np.cumsum(p, axis=0) / total
    median_hz = np.full(x2.shape[1], np.nan)
    for j in range(x2.shape[1]):
        if total[j] > 0:
            median_hz[j] = np.interp(
                0.5, np.concatenate(([0.0], c[:, j])), np.concatenate(([f[0]], f))
            )
    mean_hz = np.where(total > 0, mean_hz, np.nan)
    if was_1d:
        return median_hz[0], mean_hz[0]
    return median_hz, mean_hz
