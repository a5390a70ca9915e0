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
from emgkit.core.filters import (
    block_length,
    design_lowpass,
    extend_odd,
    filtfilt_in_place,
    zero_phase_padlen,
)
from emgkit.errors import AnalysisError, ConfigError
from emgkit.model.config import OnsetConfig

#: Samples of a channel taken at a time to build the detection signal (8 MB of float64):
#: the low-pass runs over them in turn, its state carried from one to the next, which is
#: the same arithmetic as one pass over the whole channel.
DETECTION_BLOCK_SAMPLES = 1 << 20


def tkeo(x: np.ndarray) -> np.ndarray:
    """Teager-Kaiser energy operator along axis 0 (end samples repeat their neighbours)."""
    x = np.asarray(x, dtype=np.float64)
    n = _tkeo_samples(x.shape[0])
    out = np.empty_like(x)
    out[1:-1] = _energy(x, 1, n - 1)
    out[0], out[-1] = out[1], out[-2]
    return out


def _tkeo_samples(n: int) -> int:
    if n < 3:
        raise ConfigError(f"TKEO needs at least 3 samples, got {n}")
    return n


def _energy(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``x[i] ** 2 - x[i - 1] * x[i + 1]`` for ``lo <= i < hi`` (each with two neighbours)."""
    xb = np.asarray(x[lo - 1 : hi + 1], dtype=np.float64)
    return xb[1:-1] ** 2 - xb[:-2] * xb[2:]


def detection_signal(x: np.ndarray, fs_hz: float, config: OnsetConfig,
                     block_samples: int | None = None) -> np.ndarray:
    """Return the signal the threshold applies to: rectified (TKEO of) ``x``, low-passed.

    The low-pass is zero phase, ``sosfiltfilt``'s algorithm (odd extension, steady-state
    initial conditions; :func:`~emgkit.core.filters.filter_offline`), run in place over
    blocks with its state carried (:func:`~emgkit.core.filters.filtfilt_in_place`), so
    the numbers are those of one pass and the memory is one float64 copy of the channel.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` band-passed EMG in microvolts.
    fs_hz : float
        Sampling rate in Hz.
    config : OnsetConfig
        Method and low-pass cut-off (lowered to 0.45 fs if above it).
    block_samples : int, optional
        Samples per block; :data:`DETECTION_BLOCK_SAMPLES` if None.

    Returns
    -------
    numpy.ndarray
        ``(n_samples,)`` float64.

    Raises
    ------
    ConfigError
        If ``x`` is not 1-D, is too short to filter (or, for TKEO, shorter than 3
        samples), or ``block_samples`` is less than 1.
    """
    fs = check_fs(fs_hz)
    x = np.asarray(x)
    if x.ndim != 1:
        raise ConfigError(f"x must be (n_samples,), got shape {x.shape}")
    n = x.shape[0]
    if config.method == "tkeo":
        _tkeo_samples(n)
    sos = design_lowpass(fs, ceiling_hz(config.lowpass_hz, fs), order=2)
    p = zero_phase_padlen(sos, n)
    block = block_length(DETECTION_BLOCK_SAMPLES if block_samples is None else block_samples)
    ext = np.empty(n + 2 * p)  # the odd extension of the rectified signal, filtered in place
    for a in range(0, n, block):
        b = min(a + block, n)
        ext[p + a : p + b] = _rectified(x, a, b, config.method)
    extend_odd(ext, p)
    filtfilt_in_place(sos, ext, block)
    return ext[p : p + n]


def _rectified(x: np.ndarray, a: int, b: int, method: str) -> np.ndarray:
    """``|tkeo(x)|`` (or ``|x|``) at samples ``a`` to ``b``, float64, as :func:`tkeo` gives."""
    if method != "tkeo":
        return np.abs(np.asarray(x[a:b], dtype=np.float64))
    n = x.shape[0]
    # the end samples repeat their neighbours' energy
    parts = [_energy(x, 1, 2)] if a == 0 else []
    lo, hi = max(a, 1), min(b, n - 1)
    if lo < hi:
        parts.append(_energy(x, lo, hi))
    if b == n:
        parts.append(_energy(x, n - 2, n - 1))
    out = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return np.abs(out, out=out)


def _runs(mask: np.ndarray) -> np.ndarray:
    """``(n_runs, 2)`` [start, stop) of the True runs of a boolean array."""
    return np.column_stack(_run_edges(mask))


def _run_edges(mask: np.ndarray, before: bool = False,
               last: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return the starts and stops (int64) of the True runs of a mask or of a block of one.

    ``before`` is the value of the sample before the block (True: a run goes on into it,
    its start is in an earlier block); with ``last`` False the mask goes on after the
    block, so a run reaching its end has no stop here.
    """
    ends = (np.array([before], np.int8), mask.astype(np.int8))  # int8: a long mask is large
    d = np.diff(np.concatenate(ends + ((np.zeros(1, np.int8),) if last else ())))
    edges = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return edges[0].astype(np.int64, copy=False), edges[1].astype(np.int64, copy=False)


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
