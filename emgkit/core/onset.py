"""Onset and offset of muscle activity.

Two methods share one decision rule (threshold = baseline mean + ``k_sd`` baseline SD,
held for at least ``min_duration_s``, gaps shorter than ``min_gap_s`` bridged):

- ``hodges_bui``: on the full-wave rectified, zero-phase low-passed (50 Hz) signal
  (Hodges & Bui 1996, Electroencephalogr Clin Neurophysiol 101:511-519);
- ``tkeo``: on the Teager-Kaiser energy ``x[n]**2 - x[n-1] * x[n+1]`` of the band-passed
  signal, rectified and low-passed the same way (Li, Zhou & Aruin 2007; Solnik et al.
  2010), which sharpens onsets at low signal-to-noise ratio.
"""

from __future__ import annotations

import numpy as np

from emgkit.core._common import check_fs
from emgkit.core.chain import ceiling_hz
from emgkit.core.filters import design_lowpass, filter_offline
from emgkit.errors import AnalysisError, ConfigError
from emgkit.model.config import OnsetConfig


def tkeo(x: np.ndarray) -> np.ndarray:
    """Teager-Kaiser energy operator along axis 0 (end samples repeat their neighbours)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 3:
        raise ConfigError(f"TKEO needs at least 3 samples, got {x.shape[0]}")
    out = np.empty_like(x)
    out[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    out[0], out[-1] = out[1], out[-2]
    return out


def detection_signal(x: np.ndarray, fs_hz: float, config: OnsetConfig) -> np.ndarray:
    """Return the signal the threshold applies to: rectified (TKEO of) ``x``, low-passed.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` band-passed EMG in microvolts.
    fs_hz : float
        Sampling rate in Hz.
    config : OnsetConfig
        Method and low-pass cut-off (lowered to 0.45 fs if above it).
    """
    fs = check_fs(fs_hz)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ConfigError(f"x must be (n_samples,), got shape {x.shape}")
    r = tkeo(x) if config.method == "tkeo" else np.array(x)
    del x  # memory: a long trial's channel is tens of MB in float64
    np.abs(r, out=r)
    sos = design_lowpass(fs, ceiling_hz(config.lowpass_hz, fs), order=2)
    return filter_offline(sos, r)


def _runs(mask: np.ndarray) -> np.ndarray:
    """``(n_runs, 2)`` [start, stop) of the True runs of a boolean array."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.column_stack((np.nonzero(d == 1)[0], np.nonzero(d == -1)[0])).astype(np.int64)


def detect_bursts(
    x: np.ndarray,
    fs_hz: float,
    config: OnsetConfig | None = None,
    baseline: slice | None = None,
) -> np.ndarray:
    """Detect bursts of activity in one channel.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` band-passed EMG in microvolts.
    fs_hz : float
        Sampling rate in Hz.
    config : OnsetConfig, optional
        Method, threshold and durations (defaults if None).
    baseline : slice, optional
        Samples of a quiet baseline; default ``config.baseline_start_s`` for
        ``config.baseline_duration_s``.

    Returns
    -------
    numpy.ndarray
        ``(n_bursts, 2)`` int64 ``[onset, offset)`` sample indices; onset is the first
        sample above threshold, offset the first sample after the burst.

    Raises
    ------
    AnalysisError
        If the baseline holds fewer than 10 samples.
    """
    config = OnsetConfig() if config is None else config
    fs = check_fs(fs_hz)
    s = detection_signal(x, fs, config)
    if baseline is None:
        start = round(config.baseline_start_s * fs)
        baseline = slice(start, start + round(config.baseline_duration_s * fs))
    base = s[baseline]
    if base.size < 10:
        raise AnalysisError(f"the baseline {baseline} holds {base.size} samples; need >= 10")
    threshold = base.mean() + config.k_sd * base.std()
    runs = _runs(s > threshold)
    gap = round(config.min_gap_s * fs)
    if len(runs) > 1 and gap > 0:
        keep = np.concatenate(([True], runs[1:, 0] - runs[:-1, 1] >= gap))
        starts = runs[keep, 0]
        stops = runs[np.concatenate((keep[1:], [True])), 1]
        runs = np.column_stack((starts, stops))
    min_len = max(1, round(config.min_duration_s * fs))
    return runs[(runs[:, 1] - runs[:, 0]) >= min_len]
