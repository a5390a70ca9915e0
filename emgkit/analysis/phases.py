"""Movement phases inside repetitions: lowering, bottom, lifting, top.

A phase starts at a boundary event and runs to the next boundary or to the end of its
repetition. The boundaries of a trial are

* its ``phase`` events (label: the phase's name), which a protocol's ``tempo_s`` writes
  at the cued times (``acquisition.protocol``), and
* its ``marker`` events whose label :attr:`SegmentationConfig.phase_markers` names for a
  phase: a trigger pin (``{ lifting = "12" }`` for a bar sensor at the bottom on D12), an
  XDF marker string or a C3D event.

A hinge or a squat starts standing, so in those tasks the part of a repetition before its
first boundary is ``lowering`` when that boundary is a later phase (one pulse at the
bottom is enough to split lowering from lifting). In other tasks that part is not a
named phase and is left out. Repetitions found without markers (accelerometer,
envelope, whole trial) are split the same way when the trial has boundaries.

Amplitudes per phase are those of the repetition's metrics (:mod:`emgkit.analysis.metrics`)
over the phase's samples: mean, peak and integral of the normalised envelope and its
mean and peak in microvolts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit.analysis.segmentation import Repetition, marker_samples
from emgkit.model.config import SegmentationConfig
from emgkit.model.session import PHASES, Trial

#: Tasks that start each repetition standing, so lowering comes first.
LOWERING_FIRST = ("hinge", "squat")


@dataclass(frozen=True)
class Phase:
    """One phase of one repetition.

    Attributes
    ----------
    rep : int
        Index of the repetition in the trial's repetitions (0-based).
    name : str
        One of :data:`~emgkit.model.session.PHASES`.
    start, end : int
        Samples ``[start, end)`` of the trial.
    source : str
        What marked its start: ``phase events``, ``marker 'LABEL'`` or ``repetition
        start`` (the lowering before a hinge's or squat's first boundary).
    """

    rep: int
    name: str
    start: int
    end: int
    source: str


def phase_boundaries(trial: Trial, cfg: SegmentationConfig) -> list[tuple[int, str, str]]:
    """Return the trial's phase boundaries as (sample, phase, source), in time order."""
    ev = trial.events
    out = [(int(s), str(lab), "phase events")
           for s, k, lab in zip(ev.sample, ev.kind, ev.label)
           if k == "phase" and str(lab) in PHASES]
    for name, label in cfg.phase_markers:
        out += [(int(s), name, f"marker {label!r}") for s in marker_samples(trial, label)]
    return sorted(out, key=lambda b: (b[0], PHASES.index(b[1])))


def trial_phases(trial: Trial, reps, cfg: SegmentationConfig) -> tuple[Phase, ...]:
    """Split each repetition of ``trial`` into its phases (none without boundaries)."""
    bounds = phase_boundaries(trial, cfg)
    if not bounds:
        return ()
    at = np.array([b[0] for b in bounds], dtype=np.int64)
    out: list[Phase] = []
    for i, r in enumerate(reps):
        inside = bounds[np.searchsorted(at, r.start):np.searchsorted(at, r.end)]
        if not inside:
            continue
        first_at, first, _ = inside[0]
        if (first_at > r.start and first != PHASES[0]
                and trial.task.name in LOWERING_FIRST):
            inside = [(r.start, PHASES[0], "repetition start"), *inside]
        for k, (start, name, source) in enumerate(inside):
            end = inside[k + 1][0] if k + 1 < len(inside) else r.end
            if end > start:
                out.append(Phase(i, name, start, end, source))
    return tuple(out)


def amplitudes(seg: np.ndarray, env_uv: np.ndarray, clock_fs_hz: float) -> dict:
    """Return mean, peak and integral of ``seg`` and mean and peak of ``env_uv`` per channel.

    ``seg`` is the normalised envelope over a span (a repetition or a phase), ``env_uv``
    the same span in microvolts; sums are taken in float64. The metrics of repetitions
    and of phases are both these.
    """
    return {"mean": seg.mean(axis=0, dtype=np.float64), "peak": seg.max(axis=0),
            "iemg_s": seg.sum(axis=0, dtype=np.float64) / clock_fs_hz,
            "mean_uv": env_uv.mean(axis=0, dtype=np.float64), "peak_uv": env_uv.max(axis=0)}


@dataclass(frozen=True)
class PhaseMetrics:
    """Amplitudes of each phase; arrays are ``(n_phases, n_channels)``.

    Attributes
    ----------
    phases : tuple of Phase
        In time order.
    mean, peak : numpy.ndarray
        Mean and peak of the normalised envelope over the phase.
    iemg_s : numpy.ndarray
        Its integral over the phase (unit x s).
    mean_uv, peak_uv : numpy.ndarray
        Mean and peak of the envelope in microvolts.
    """

    phases: tuple[Phase, ...]
    mean: np.ndarray
    peak: np.ndarray
    iemg_s: np.ndarray
    mean_uv: np.ndarray
    peak_uv: np.ndarray


class PhaseAmplitudes:
    """Collects :class:`PhaseMetrics` a repetition at a time, from the slices already read.

    Parameters
    ----------
    phases : tuple of Phase
        From :func:`trial_phases`.
    n_channels : int
        Columns of the envelope.
    """

    _KEYS = ("mean", "peak", "iemg_s", "mean_uv", "peak_uv")

    def __init__(self, phases: tuple[Phase, ...], n_channels: int):
        self.phases = phases
        self._res = {k: np.full((len(phases), n_channels), np.nan) for k in self._KEYS}

    def add(self, rep_index: int, rep: Repetition, seg: np.ndarray, env_uv: np.ndarray,
            clock_fs_hz: float) -> None:
        """Fill the phases of one repetition from its normalised and microvolt envelope."""
        for k, p in enumerate(self.phases):
            if p.rep != rep_index:
                continue
            a, b = p.start - rep.start, p.end - rep.start
            if b > a:
                for key, v in amplitudes(seg[a:b], env_uv[a:b], clock_fs_hz).items():
                    self._res[key][k] = v

    def result(self) -> PhaseMetrics | None:
        """Return the phases' metrics, or None when the trial has no phases."""
        if not self.phases:
            return None
        return PhaseMetrics(self.phases, **self._res)
