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
from scipy import signal

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
#: Channels longer than this are searched in bounded memory (:func:`_bursts_in_blocks`):
#: the detection signal is never held whole but made again, a block at a time, in each
#: of three passes (about 2.5x the time of one), so memory is a few blocks' whatever the
#: channel's length. Shorter channels hold it (8 bytes a sample: 128 MB at this length).
BOUNDED_SAMPLES = 1 << 24


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
    sos, p, extended = _extended(x, fs, config, n)
    block = block_length(DETECTION_BLOCK_SAMPLES if block_samples is None else block_samples)
    ext = np.empty(n + 2 * p)  # the odd extension of the rectified signal, filtered in place
    for a in range(0, n + 2 * p, block):
        ext[a : a + block] = extended(a, min(a + block, n + 2 * p))
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


def _threshold(base: np.ndarray, baseline: slice, config: OnsetConfig) -> float:
    """Return the baseline's mean plus ``k_sd`` of its SDs."""
    if base.size < 10:
        raise AnalysisError(f"the baseline {baseline} holds {base.size} samples; need >= 10")
    return base.mean() + config.k_sd * base.std()


def _bursts_in_blocks(x, fs: float, config: OnsetConfig, baseline: slice,
                      block: int) -> np.ndarray:
    """Return the runs above the threshold of :func:`detect_bursts`, a block at a time.

    The zero-phase low-pass of :func:`detection_signal` without its whole signal: the
    forward pass keeps only its state at the start of each block; a backward pass makes
    each block's forward output again from that state (the same numbers) and runs
    backward over it, from the last block to the first. A first backward pass gives the
    baseline's samples, a second the runs above the threshold; every number is that of
    :func:`detection_signal`, so the runs are the same.
    """
    n = x.shape[0]
    sos, p, ext = _extended(x, fs, config, n)
    zi = signal.sosfilt_zi(sos)
    starts = range(0, n + 2 * p, block)
    states, state = [], zi * ext(0, 1)[0]
    for a in starts:  # forward: only the state at each block's start is kept
        states.append(state)
        y, state = signal.sosfilt(sos, ext(a, min(a + block, n + 2 * p)), zi=state)
    last = y[-1]

    def backward():
        """``(first sample, values)`` of the detection signal, the last block first."""
        state_b = zi * last
        for a, state_f in zip(reversed(starts), reversed(states)):
            b = min(a + block, n + 2 * p)
            y, _ = signal.sosfilt(sos, ext(a, b), zi=state_f)
            z, state_b = signal.sosfilt(sos, y[::-1].copy(), zi=state_b)
            lo, hi = max(a, p), min(b, p + n)
            if lo < hi:
                yield lo - p, z[::-1][lo - a : hi - a]

    wanted = range(n)[baseline]
    idx = np.arange(wanted.start, wanted.stop, wanted.step)
    base = np.empty(idx.size)
    for c0, v in backward():
        inside = (idx >= c0) & (idx < c0 + v.size)
        base[inside] = v[idx[inside] - c0]
    threshold = _threshold(base, baseline, config)
    edges = [(c0, *_run_edges(v > threshold)) for c0, v in backward()][::-1]
    ups = np.concatenate([u + c0 for c0, u, _ in edges])
    downs = np.concatenate([d + c0 for c0, _, d in edges])
    if not ups.size:
        return np.zeros((0, 2), np.int64)
    joined = downs[:-1] == ups[1:]  # a run across a join of blocks is one run
    return np.column_stack((ups[np.concatenate(([True], ~joined))],
                            downs[np.concatenate((~joined, [True]))]))


def _extended(x, fs: float, config: OnsetConfig, n: int):
    """Return ``(sos, p, ext)``: :func:`detection_signal`'s low-pass, padding and input.

    ``ext(a, b)`` returns samples ``a`` to ``b`` of the odd extension of the rectified
    ``x`` (``detection_signal``'s ``ext`` before it is filtered), float64, made afresh:
    the extension from the first and last ``p + 1`` rectified samples
    (:func:`~emgkit.core.filters.extend_odd`, the same arithmetic), the rest from ``x``.
    """
    if config.method == "tkeo":
        _tkeo_samples(n)
    sos = design_lowpass(fs, ceiling_hz(config.lowpass_hz, fs), order=2)
    p = zero_phase_padlen(sos, n)
    m = p + 1
    ends = []
    for lo in (0, n - m):
        small = np.empty(2 * p + m)
        small[p : p + m] = _rectified(x, lo, lo + m, config.method)
        extend_odd(small, p)
        ends.append(small)
    head, tail = ends[0][:p], ends[1][p + m :]

    parts = ((0, p, lambda c, d: head[c:d]),
             (p, p + n, lambda c, d: _rectified(x, c - p, d - p, config.method)),
             (p + n, n + 2 * p, lambda c, d: tail[c - p - n : d - p - n]))

    def ext(a: int, b: int) -> np.ndarray:
        out = np.empty(b - a)
        for lo, hi, part in parts:
            c, d = max(a, lo), min(b, hi)
            if c < d:
                out[c - a : d - a] = part(c, d)
        return out

    return sos, p, ext


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
        ``(n_samples,)`` band-passed EMG in microvolts; longer than
        :data:`BOUNDED_SAMPLES`, anything 1-D read by slices (``x[a:b]``) will do, and
        the detection signal is made in blocks, never whole (the same bursts).
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
    if baseline is None:
        start = round(config.baseline_start_s * fs)
        baseline = slice(start, start + round(config.baseline_duration_s * fs))
    if len(x.shape) == 1 and x.shape[0] > BOUNDED_SAMPLES:
        runs = _bursts_in_blocks(x, fs, config, baseline, DETECTION_BLOCK_SAMPLES)
    else:
        s = detection_signal(x, fs, config)
        runs = _runs(s > _threshold(s[baseline], baseline, config))
    gap = round(config.min_gap_s * fs)
    if len(runs) > 1 and gap > 0:
        keep = np.concatenate(([True], runs[1:, 0] - runs[:-1, 1] >= gap))
        starts = runs[keep, 0]
        stops = runs[np.concatenate((keep[1:], [True])), 1]
        runs = np.column_stack((starts, stops))
    min_len = max(1, round(config.min_duration_s * fs))
    return runs[(runs[:, 1] - runs[:, 0]) >= min_len]
