"""Repetitions: where each one starts and ends, and time-normalised ensembles.

Three sources, tried in this order by ``SegmentationConfig.method = "auto"``:

1. ``markers``: the trial's ``rep_start``/``rep_end`` events (a ``rep_end`` event marks
   the last sample of the repetition); ``rep_start`` events alone give cycles.
2. ``accel``: the trunk inclination ``atan2(a_x, a_z)`` from the low-passed
   accelerometer, when it spans at least ``accel_min_range_deg`` (a board on the sacrum
   tilts with the trunk in hinges and squats); edges at ``accel_edge_fraction``.
3. ``envelope``: the mean of the prime movers' envelopes, each scaled by its own
   95th percentile (hinge: hamstrings and gluteus maximus; squat: quadriceps; other
   tasks: every channel unless ``SegmentationConfig.prime_movers`` names them).

Signal detection (2, 3) is one rule: above ``baseline + threshold_fraction x range``
(baseline the 5th percentile, range up to the maximum), dips shorter than ``min_gap_s``
bridged, runs shorter than ``min_duration_s`` dropped, then each edge moved out to where
the signal falls below ``edge_fraction`` of the range (where the rise begins), at most
half-way to the neighbouring repetition. With ``boundaries = "cycles"`` each
repetition runs from one rise to the next (gait).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from emgkit.core.chain import ceiling_hz
from emgkit.core.filters import design_lowpass, filter_offline
from emgkit.core.onset import _run_edges
from emgkit.core.quantiles import Blocks, percentile_of_blocks
from emgkit.errors import AnalysisError
from emgkit.model.config import SegmentationConfig
from emgkit.model.montage import Montage
from emgkit.model.session import Trial

#: Default prime movers by task: muscle or group names.
DEFAULT_PRIME_MOVERS = {
    "hinge": ("hamstrings", "gluteus_maximus"),
    "squat": ("quadriceps",),
}
#: Tasks whose trials are one whole-trial row unless markers give repetitions.
WHOLE_TRIAL_TASKS = ("mvc", "rest")
#: Samples of a detection signal at a time (8 MB of float64): a block of the envelope
#: method's signal is computed from the envelope when a pass needs it (30 to 34 bytes a
#: sample of a block are held then, 32-35 MB, whatever the trial's length), and a percentile's
#: candidates are gathered once they are no more than this. The envelope's channels and
#: the signal are read once per pass: each percentile takes 1 to 6 passes (usually 3).
DETECT_BLOCK_SAMPLES = 1 << 20


@dataclass(frozen=True)
class Repetition:
    """One repetition of a trial.

    Attributes
    ----------
    start, end : int
        Sample range ``[start, end)`` within the trial.
    method : str
        What found it: ``markers``, ``accel``, ``envelope`` or ``whole_trial``.
    """

    start: int
    end: int
    method: str

    @property
    def n_samples(self) -> int:
        """Length in samples."""
        return self.end - self.start


def prime_mover_columns(montage: Montage, task: str, config: SegmentationConfig) -> list[int]:
    """Return the montage columns of the task's prime movers (all columns if none match).

    Parameters
    ----------
    montage : Montage
        The session's channels.
    task : str
        The trial's task name.
    config : SegmentationConfig
        ``prime_movers`` overrides the defaults.
    """
    names = config.prime_movers_for(task) or DEFAULT_PRIME_MOVERS.get(task, ())
    cols = [
        j
        for j, c in enumerate(montage.channels)
        if c.muscle in names or set(montage.muscle(c.muscle).groups) & set(names)
    ]
    return cols or list(range(len(montage.channels)))


def threshold_segments(signal: np.ndarray, fs_hz: float, config: SegmentationConfig) -> np.ndarray:
    """Find repetitions in a smooth 1-D detection signal (see the module notes).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_samples,)`` detection signal (an envelope, an inclination).
    fs_hz : float
        Sampling rate in Hz.
    config : SegmentationConfig
        Thresholds and durations.

    Returns
    -------
    numpy.ndarray
        ``(n_reps, 2)`` int64 ``[start, end)``.
    """
    s = np.asarray(signal, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"the detection signal must be 1-D, got shape {s.shape}")
    return _threshold_blocks(lambda: _slices(s), s.size, fs_hz, config)


def _slices(s: np.ndarray) -> Iterator[np.ndarray]:
    """Return views of :data:`DETECT_BLOCK_SAMPLES` samples of ``s``, in order."""
    step = DETECT_BLOCK_SAMPLES
    return (s[a : a + step] for a in range(0, s.size, step))


def _threshold_blocks(blocks: Blocks, n: int, fs_hz: float,
                      config: SegmentationConfig) -> np.ndarray:
    """:func:`threshold_segments` of ``n`` samples read a block at a time from ``blocks``.

    The 5th percentile is numpy's (:func:`~emgkit.core.quantiles.percentile_of_blocks`),
    the maximum and the runs above the two levels one pass each, so the signal is never
    held whole.
    """
    base = percentile_of_blocks(blocks, n, 5, DETECT_BLOCK_SAMPLES)
    peak = functools.reduce(np.maximum, (np.max(x) for x in blocks()))  # NaN as np.max
    span = float(peak) - base
    if not np.isfinite(span) or span <= 0:
        return np.zeros((0, 2), np.int64)
    runs, low = _runs_above(blocks, (base + config.threshold_fraction * span,
                                     base + config.edge_fraction * span))
    gap = round(config.min_gap_s * fs_hz)
    if len(runs) > 1 and gap > 0:
        keep = np.concatenate(([True], runs[1:, 0] - runs[:-1, 1] >= gap))
        runs = np.column_stack((runs[keep, 0], runs[np.concatenate((keep[1:], [True])), 1]))
    runs = runs[(runs[:, 1] - runs[:, 0]) >= max(1, round(config.min_duration_s * fs_hz))]
    if len(runs) == 0:
        return runs
    k = np.searchsorted(low[:, 0], runs[:, 0], side="right") - 1
    starts, ends = low[k, 0], low[k, 1]
    # Never past half-way to the neighbouring repetition.
    mids = (runs[1:, 0] + runs[:-1, 1]) // 2
    starts = np.maximum(starts, np.concatenate(([0], mids)))
    ends = np.minimum(ends, np.concatenate((mids, [n])))
    out = np.column_stack((starts, ends)).astype(np.int64)
    if config.boundaries == "cycles":
        out = np.column_stack((out[:-1, 0], out[1:, 0]))
    return out


def _runs_above(blocks: Blocks, levels: Sequence[float]) -> list[np.ndarray]:
    """``(n_runs, 2)`` int64 [start, stop) of the runs of ``signal > level``, per level.

    One pass over the blocks: each block's edges come from
    :func:`~emgkit.core.onset._run_edges`, told whether the block before ended above.
    """
    starts = [[np.zeros(0, np.int64)] for _ in levels]
    stops = [[np.zeros(0, np.int64)] for _ in levels]
    above, a = [False] * len(levels), 0
    for x in blocks():
        for m, level in enumerate(levels):
            mask = x > level
            ups, downs = _run_edges(mask, above[m], last=False)
            starts[m].append(ups + a)
            stops[m].append(downs + a)
            above[m] = bool(mask[-1]) if mask.size else above[m]
        a += x.size
    return [np.column_stack((np.concatenate(starts[m]),
                             np.concatenate(stops[m] + [np.array([a] if above[m] else [],
                                                                 np.int64)])))
            for m in range(len(levels))]


def inclination_deg(accel_g: np.ndarray, fs_hz: float,
                    lowpass_hz: float | None = None) -> np.ndarray:
    """Trunk inclination in degrees, ``atan2(a_x, a_z)`` of the low-passed accelerometer.

    Parameters
    ----------
    accel_g : numpy.ndarray
        ``(n_samples, 3)`` accelerometer in g (x forward, z up when standing).
    fs_hz : float
        Sampling rate in Hz.
    lowpass_hz : float, optional
        Zero-phase Butterworth low-pass (order 2) cut-off, kept below 0.45 fs
        (:func:`emgkit.core.chain.ceiling_hz`); None means
        ``SegmentationConfig.accel_lowpass_hz``.
    """
    a = np.asarray(accel_g, dtype=np.float64)
    cut = SegmentationConfig().accel_lowpass_hz if lowpass_hz is None else lowpass_hz
    a = filter_offline(design_lowpass(fs_hz, ceiling_hz(cut, fs_hz), 2), a)
    return np.degrees(np.arctan2(a[:, 0], a[:, 2]))


def marker_samples(trial: Trial, label: str) -> np.ndarray:
    """Return the samples of the ``marker`` events labelled ``label``, in time order."""
    ev = trial.events
    keep = (ev.kind == "marker") & (ev.label.astype(str) == label)
    return np.sort(ev.sample[keep])


def _from_rep_marker(trial: Trial, cfg: SegmentationConfig) -> np.ndarray:
    at = np.unique(marker_samples(trial, cfg.rep_marker))
    if cfg.boundaries == "cycles":
        return np.column_stack((at[:-1], at[1:])).astype(np.int64)
    pairs = at[: at.size // 2 * 2].reshape(-1, 2)  # start, end (inclusive) of each
    return np.column_stack((pairs[:, 0], pairs[:, 1] + 1)).astype(np.int64)


def _from_markers(trial: Trial, cfg: SegmentationConfig) -> np.ndarray:
    if cfg.rep_marker:
        return _from_rep_marker(trial, cfg)
    starts = trial.events.of_kind("rep_start").sample
    ends = trial.events.of_kind("rep_end").sample + 1
    if starts.size == 0:
        return np.zeros((0, 2), np.int64)
    if ends.size == 0:
        bounds = np.append(starts, trial.n_samples)
        return np.column_stack((bounds[:-1], bounds[1:]))
    k = np.searchsorted(ends, starts, side="right")
    ok = k < ends.size
    out = np.column_stack((starts[ok], ends[k[ok]]))
    if out.shape[0] > 1:  # a start without its end: the next start comes first
        out = out[np.concatenate((out[:-1, 1] <= out[1:, 0], [True]))]
    return out.astype(np.int64)


@dataclass(frozen=True)
class Segmentation:
    """The repetitions of a trial and how they were found.

    Attributes
    ----------
    reps : tuple of Repetition
        In time order; one ``whole_trial`` repetition when none were found.
    method : str
        ``markers``, ``accel``, ``envelope`` or ``whole_trial``.
    attempts : tuple of str
        What each method tried found, in order
        (``"markers: no rep_start/rep_end markers in the trial"``).
    fallback : str or None
        A plain sentence when the whole trial stands in for repetitions that were looked
        for and not found; None otherwise (``mvc`` and ``rest`` trials are whole trials
        by design, as is ``method = "none"``).
    """

    reps: tuple[Repetition, ...]
    method: str
    attempts: tuple[str, ...]
    fallback: str | None


def _try_markers(trial: Trial, cfg: SegmentationConfig):
    reps = _from_markers(trial, cfg)
    what = (f"marker {cfg.rep_marker!r} events" if cfg.rep_marker else
            "rep_start/rep_end markers")
    if not reps.size and cfg.method == "markers":
        raise AnalysisError(f"trial {trial.id} has no repetitions from {what}")
    return reps, (f"{len(reps)} found" + (f" from {what}" if cfg.rep_marker else "")
                  if reps.size else f"no {what} in the trial")


def _try_accel(trial: Trial, cfg: SegmentationConfig):
    fs = trial.fs_hz
    if trial.accel_g is None or trial.accel_g.shape[0] < 16:
        if cfg.method == "accel":
            raise AnalysisError(f"trial {trial.id} has no accelerometer")
        return None, "no accelerometer"
    incl = inclination_deg(trial.accel_g, fs, cfg.accel_lowpass_hz)
    lo, hi = np.percentile(incl, [5, 95])
    if cfg.method != "accel" and hi - lo < cfg.accel_min_range_deg:
        return None, (f"the inclination spans {hi - lo:.1f} deg, under "
                      f"{cfg.accel_min_range_deg:g} deg")
    tilt = np.abs(incl - np.median(incl[: max(1, round(fs))]))
    edge = min(cfg.accel_edge_fraction, cfg.threshold_fraction)
    reps = threshold_segments(tilt, fs, replace(cfg, edge_fraction=edge))
    return reps, (f"{len(reps)} found" if reps.size else "no movement above the threshold")


def _try_envelope(trial: Trial, montage: Montage, envelope, cfg: SegmentationConfig):
    if envelope is None:
        raise AnalysisError(f"trial {trial.id}: the envelope method needs the envelope")
    cols = prime_mover_columns(montage, trial.task.name, cfg)
    reps = _threshold_blocks(detection_blocks(envelope, cols), envelope.shape[0],
                             trial.fs_hz, cfg)
    return reps, (f"{len(reps)} found" if reps.size else "no burst above the threshold")


def detection_blocks(envelope, cols: Sequence[int]) -> Blocks:
    """Return the envelope method's detection signal as blocks of rows, computed on demand.

    The mean of the channels, each in float64 over its own 95th percentile (if > 0;
    by 1 otherwise). The percentiles are numpy's, found here in a few passes over each
    channel (:func:`~emgkit.core.quantiles.percentile_of_blocks`); a block of the signal
    is then the same numbers as those of the whole signal, and only
    :data:`DETECT_BLOCK_SAMPLES` rows are held at a time.

    Parameters
    ----------
    envelope : numpy.ndarray or h5py.Dataset
        ``(n_samples, n_channels)`` envelope (e.g. an array of
        :class:`emgkit.io.scratch.Scratch`), read ``envelope[a:b, j]``.
    cols : sequence of int
        The channels.

    Returns
    -------
    callable
        Each call returns an iterator over the ``(n_samples,)`` float64 signal
        ``sum_j (e_j / percentile(e_j, 95)) / len(cols)``, a block of
        :data:`DETECT_BLOCK_SAMPLES` samples at a time (reading the channels again);
        each block is overwritten by the next (one buffer).
    """
    n, step = envelope.shape[0], DETECT_BLOCK_SAMPLES

    def rows(j: int) -> Blocks:
        def read() -> Iterator[np.ndarray]:
            e = np.empty(min(step, n))  # one buffer for every block
            for a in range(0, n, step):
                block = e[: min(step, n - a)]
                block[...] = envelope[a : a + block.size, j]
                yield block
        return read

    scales = [percentile_of_blocks(rows(j), n, 95, step) for j in cols]
    divs = [scale if scale > 0 else 1.0 for scale in scales]

    def blocks() -> Iterator[np.ndarray]:
        detect, e = np.empty(min(step, n)), np.empty(min(step, n))
        for a in range(0, n, step):
            d, c = detect[: min(step, n - a)], e[: min(step, n - a)]
            d[...] = 0.0
            for j, div in zip(cols, divs):  # in the order, and in place, of the whole sum
                c[...] = envelope[a : a + c.size, j]  # float64 as np.array(..., float64)
                c /= div
                d += c
            d /= len(cols)
            yield d  # overwritten by the next block: one block's memory per pass

    return blocks


def segment_trial_explained(
    trial: Trial,
    montage: Montage,
    envelope: np.ndarray | None,
    config: SegmentationConfig | None = None,
) -> Segmentation:
    """Find the repetitions of a trial and say how (see :func:`segment_trial`).

    Returns
    -------
    Segmentation
        With the repetitions (one ``whole_trial`` repetition when none were found),
        the attempts in order and the fallback sentence, if any.
    """
    cfg = SegmentationConfig() if config is None else config
    whole = (Repetition(0, trial.n_samples, "whole_trial"),)
    if cfg.method == "none":
        return Segmentation(whole, "whole_trial", ("segmentation.method = none",), None)
    methods = [cfg.method] if cfg.method != "auto" else ["markers", "accel", "envelope"]
    attempts: list[str] = []
    for method in methods:
        if method == "markers":
            reps, said = _try_markers(trial, cfg)
        elif method == "accel":
            reps, said = _try_accel(trial, cfg)
        else:
            reps, said = _try_envelope(trial, montage, envelope, cfg)
        attempts.append(f"{method}: {said}")
        if reps is not None and (reps.size or cfg.method != "auto"):
            break
        if method == "markers" and trial.task.name in WHOLE_TRIAL_TASKS:
            return Segmentation(whole, "whole_trial", tuple(attempts), None)
    if reps is not None and reps.size:
        found = tuple(Repetition(int(a), int(b), method) for a, b in reps)
        return Segmentation(found, method, tuple(attempts), None)
    return Segmentation(whole, "whole_trial", tuple(attempts),
                        f"trial {trial.id} ({trial.task.name}): no repetitions found "
                        f"({'; '.join(attempts)}), so the whole trial is used")


def segment_trial(
    trial: Trial,
    montage: Montage,
    envelope: np.ndarray | None,
    config: SegmentationConfig | None = None,
) -> tuple[Repetition, ...]:
    """Find the repetitions of a trial.

    Parameters
    ----------
    trial : Trial
        The trial (its events, accelerometer, task and rate are used).
    montage : Montage
        The session's channels (for the prime movers).
    envelope : numpy.ndarray or None
        ``(n_samples, n_channels)`` envelope of the trial (any unit: each channel is
        scaled by its own 95th percentile); needed by the ``envelope`` method.
    config : SegmentationConfig, optional
        Defaults if None.

    Returns
    -------
    tuple of Repetition
        In time order; empty if none was found (:func:`segment_trial_explained` says
        so and gives the whole trial instead). ``mvc`` and ``rest`` trials without
        markers, and ``method = "none"``, give one ``whole_trial`` repetition.

    Raises
    ------
    AnalysisError
        If an explicitly chosen method cannot run on the trial (no markers, no
        accelerometer, no envelope).
    """
    seg = segment_trial_explained(trial, montage, envelope, config)
    return () if seg.fallback is not None else seg.reps


def time_normalise(x: np.ndarray, reps: Sequence[Repetition],
                   n_points: int | None = None) -> np.ndarray:
    """Resample each repetition of ``x`` to ``n_points`` (0 to 100 % of its duration).

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples, n_channels)`` signal (e.g. the %MVC envelope).
    reps : sequence of Repetition
        The repetitions.
    n_points : int, optional
        Points per repetition, first and last sample included; None means
        ``SegmentationConfig.n_points``.

    Returns
    -------
    numpy.ndarray
        ``(n_reps, n_points, n_channels)`` float64, linear interpolation.
    """
    n_points = SegmentationConfig().n_points if n_points is None else n_points
    x2 = np.asarray(x)
    x2 = x2[:, None] if x2.ndim == 1 else x2
    out = np.empty((len(reps), n_points, x2.shape[1]))
    for i, r in enumerate(reps):
        pos = np.linspace(r.start, r.end - 1, n_points)
        i0 = np.minimum(np.floor(pos).astype(np.int64), r.end - 1)
        i1 = np.minimum(i0 + 1, r.end - 1)
        f = (pos - i0)[:, None]
        out[i] = x2[i0].astype(np.float64) * (1 - f) + x2[i1].astype(np.float64) * f
    return out


def ensemble(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample SD across repetitions of time-normalised curves.

    Parameters
    ----------
    curves : numpy.ndarray
        ``(n_reps, n_points, n_channels)`` from :func:`time_normalise`.

    Returns
    -------
    mean, sd : numpy.ndarray
        ``(n_points, n_channels)`` each; SD is NaN with fewer than two repetitions.
    """
    c = np.asarray(curves, dtype=np.float64)
    if c.shape[0] == 0:
        nan = np.full(c.shape[1:], np.nan)
        return nan, nan.copy()
    mean = c.mean(axis=0)
    sd = c.std(axis=0, ddof=1) if c.shape[0] > 1 else np.full(mean.shape, np.nan)
    return mean, sd
