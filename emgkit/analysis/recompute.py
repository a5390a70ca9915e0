"""What the statistics need that :class:`~emgkit.analysis.metrics.SessionMetrics` does not keep.

The metrics keep each trial's ensemble mean and SD curve, not the curve of every
repetition, and the session's MVC reference, not each MVC trial's own value. Both are
recomputed here from the session with the same chain (:func:`emgkit.core.process_trial_emg`
with the chains of the mains decisions the metrics kept,
:func:`emgkit.analysis.filtering.chains_for_mains`), the same reference
(``SessionMetrics.reference_uv``) and the same repetitions (``TrialMetrics.reps``), so they
are the values the metrics were computed from. When ``TrialMetrics`` carries the
repetition curves itself (an attribute ``curves``), they are used as they are.
"""

from __future__ import annotations

import warnings

import numpy as np

from emgkit.analysis.filtering import (
    chains_for_mains,
    mains_decisions,
    session_chains,
    session_regions,
    with_window,
)
from emgkit.analysis.metrics import SessionMetrics
from emgkit.analysis.segmentation import time_normalise
from emgkit.core import LowSampleRateWarning, normalise, process_trial_emg
from emgkit.core.normalise import mvc_reference


def trial_envelopes(sm: SessionMetrics, tasks: tuple[str, ...],
                    window_s: float | None = None) -> dict[str, np.ndarray]:
    """Envelopes (microvolts) of the trials of some tasks, by trial id.

    Parameters
    ----------
    sm : SessionMetrics
        The analysed session (its configuration and signals).
    tasks : tuple of str
        Task names (``("mvc",)``).
    window_s : float, optional
        RMS window other than the configuration's (e.g. the MVC reference window).

    Returns
    -------
    dict of str to numpy.ndarray
        ``(n_samples, n_channels)`` per trial.
    """
    cfg = with_window(sm.config, window_s)
    chosen = [t for t in sm.session.trials if t.task.name in tasks]
    if not chosen:
        return {}
    regions = session_regions(sm.session)
    decided = mains_decisions(sm.chains)  # the analysis's own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        if all(t.fs_hz in decided for t in chosen):
            chains = chains_for_mains(sm.session, cfg, decided)
        else:
            chains = session_chains(sm.session, cfg)
    with warnings.catch_warnings():
        # Said by the analysis of the same trials already.
        warnings.simplefilter("ignore", LowSampleRateWarning)
        return {t.id: process_trial_emg(t.emg_uv, t.fs_hz, regions, cfg,
                                        chains=chains[t.fs_hz]) for t in chosen}


def rep_curves(sm: SessionMetrics, tasks: tuple[str, ...] = ("hinge", "squat")
               ) -> dict[str, np.ndarray]:
    """Time-normalised normalised-envelope curve of every repetition, by trial id.

    Trials whose repetitions were not found (one ``whole_trial`` row) are left out.

    Returns
    -------
    dict of str to numpy.ndarray
        ``(n_reps, n_points, n_channels)`` in the metrics' unit (% MVC by default).
    """
    wanted = [tm for tm in sm.trials if tm.trial.task.name in tasks
              and tm.reps and tm.reps[0].method != "whole_trial"]
    out = {tm.trial.id: tm.curves for tm in wanted if getattr(tm, "curves", None) is not None}
    todo = [tm for tm in wanted if tm.trial.id not in out]
    if not todo:
        return out
    env = trial_envelopes(sm, tuple({tm.trial.task.name for tm in todo}))
    n_points = sm.config.segmentation.n_points
    for tm in todo:
        pct = normalise(env[tm.trial.id], sm.reference_uv, sm.session.montage.names)
        out[tm.trial.id] = time_normalise(pct, tm.reps, n_points)
    return out


def mvc_trial_values(sm: SessionMetrics) -> dict[str, np.ndarray]:
    """Each MVC trial's own reference value per channel (microvolts), by trial id.

    The value is read as the session's reference is (``normalisation.mvc_reference``:
    the highest ``mvc_plateau_s`` mean, or the single peak, of the reference envelope),
    from that trial alone.
    """
    norm = sm.config.normalisation
    env = trial_envelopes(sm, ("mvc",), norm.mvc_window_s)
    fs = {t.id: t.fs_hz for t in sm.session.trials}
    return {tid: mvc_reference([e], norm, fs[tid]) for tid, e in env.items()}


__all__ = ["mvc_trial_values", "rep_curves", "trial_envelopes"]
