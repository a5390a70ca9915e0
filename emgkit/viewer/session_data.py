"""What the review mode shows of a session file, without Qt.

Raw signals are read slice by slice from the HDF5 file (only what is visible) and reduced
by the core's :func:`~emgkit.core.minmax_decimate` to the plot's width. The filtered and
envelope views come from the core's offline chain (:func:`~emgkit.core.process_trial_emg`,
zero phase) run once per trial and kept for the selected trial only.

Repetitions, per-repetition metrics, ensemble curves and the low-back dominance come from
:mod:`emgkit.analysis` (:func:`~emgkit.analysis.analyse_session`, which segments each
trial with :func:`~emgkit.analysis.segment_trial`, and
:func:`~emgkit.analysis.side_indices`), computed once per opened session by
:meth:`ReviewData.run_analysis` (the window runs it in a worker thread). Until it is
ready, repetitions are the trial's stored ``rep_start``/``rep_end`` events.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from emgkit.analysis import SessionMetrics, TrialMetrics, analyse_session, side_indices
from emgkit.analysis.quality import session_quality
from emgkit.core import minmax_decimate, process_trial_emg
from emgkit.core import mvc_reference as read_mvc_reference
from emgkit.errors import AnalysisError
from emgkit.io.reader import SessionFile, TrialInfo, read_session
from emgkit.model.config import NormalisationConfig, ProcessingConfig
from emgkit.viewer.stream import regions_of

#: Display unit of the analysis' amplitude units.
UNIT_LABELS = {"pct_mvc": "% MVC", "pct_peak": "% peak", "uv": "uV"}
#: Tasks whose ensembles are overlaid in the bottom panel.
ENSEMBLE_TASKS = ("hinge", "squat")


@dataclass(frozen=True)
class SessionAnalysis:
    """What :mod:`emgkit.analysis` found in a session, as the review window shows it.

    Attributes
    ----------
    metrics : SessionMetrics
        The analysis of every trial.
    by_trial : dict
        Trial id to its :class:`~emgkit.analysis.TrialMetrics`.
    ensembles : dict
        ``(channel name, task)`` to the ``(n_points,)`` ensemble mean over 0-100 % of the
        repetition of all that task's repetitions, for the tasks of :data:`ENSEMBLE_TASKS`.
    note : str
        How amplitudes are normalised (and why, if not to MVC).
    """

    metrics: SessionMetrics
    by_trial: dict[str, TrialMetrics]
    ensembles: dict[tuple[str, str], np.ndarray]
    note: str

    @property
    def unit(self) -> str:
        """Display unit of the metrics and ensembles."""
        return UNIT_LABELS.get(self.metrics.unit, self.metrics.unit)


def analyse_file(path, qualities=None) -> SessionAnalysis:
    """Analyse a session file with :func:`emgkit.analysis.analyse_session`.

    Parameters
    ----------
    path : str or os.PathLike
        The session file (read into memory through its own handle, so this can run in
        a worker thread while the window reads the file).
    qualities : list of TrialQuality, optional
        The session's quality (:func:`~emgkit.analysis.quality.session_quality`), reused.

    Returns
    -------
    SessionAnalysis
        Normalised to MVC; in microvolts when the session has no MVC trials.
    """
    session = read_session(path)
    note = "normalised to the session's MVC trials"
    try:
        sm = analyse_session(session, name=str(path), qualities=qualities)
    except AnalysisError as exc:
        cfg = dataclasses.replace(ProcessingConfig(),
                                  normalisation=NormalisationConfig(method="none"))
        sm = analyse_session(session, cfg, name=str(path), qualities=qualities)
        note = f"in uV ({exc})"
    by_trial = {tm.trial.id: tm for tm in sm.trials}
    ens = {}
    names = session.montage.names
    for task in ENSEMBLE_TASKS:
        tms = [tm for tm in sm.trials if tm.trial.task.name == task
               and tm.reps[0].method != "whole_trial"]
        if not tms:
            continue
        # The mean over every repetition of the task: trial means weighted by repetitions.
        curve = np.average([tm.curve_mean for tm in tms], axis=0,
                           weights=[len(tm.reps) for tm in tms])
        for j, name in enumerate(names):
            ens[(name, task)] = curve[:, j]
    return SessionAnalysis(sm, by_trial, ens, note)


def stored_repetitions(events) -> list[tuple[int, int]]:
    """Pair a trial's ``rep_start``/``rep_end`` events into ``(start, end)`` samples."""
    starts = np.sort(events.of_kind("rep_start").sample)
    ends = np.sort(events.of_kind("rep_end").sample)
    out = []
    for s in starts:
        later = ends[ends > s]
        if later.size:
            out.append((int(s), int(later[0])))
    return out


@dataclass
class TrialView:
    """The selected trial: metadata, events, repetitions, and the derived signals."""

    info: TrialInfo
    events: object
    reps: list[tuple[int, int]]
    filtered: np.ndarray | None = None
    envelope: np.ndarray | None = None


class ReviewData:
    """A session file opened for review.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.
    """

    def __init__(self, path):
        self.sf = SessionFile(path)
        self.path = self.sf.path
        self.montage = self.sf.montage
        self.infos = self.sf.trial_infos()
        self.regions = regions_of(self.montage)
        self._quality = None
        self._qualities = None
        self.analysis: SessionAnalysis | None = None
        self.current: TrialView | None = None

    def close(self) -> None:
        """Close the file."""
        self.sf.close()

    # -- per session ------------------------------------------------------------------
    def quality_flags(self) -> dict[str, list[tuple[str, ...]]]:
        """Trial id to the flags of each channel (from :func:`session_quality`, cached)."""
        if self._quality is None:
            self._quality = {}
            self._qualities = session_quality(self.sf)
            for tq in self._qualities:
                n = len(tq.channel_names)
                self._quality[tq.trial] = (list(tq.report.flags) if tq.report is not None
                                           else [()] * n)
        return self._quality

    def run_analysis(self) -> SessionAnalysis:
        """Analyse the session once (:func:`analyse_file`) and keep the result.

        Safe to call from a worker thread: it reads the file through its own handle.
        """
        if self.analysis is None:
            self.analysis = analyse_file(self.path, self._qualities)
        return self.analysis

    # -- per trial ----------------------------------------------------------------------
    def select(self, trial_id: str, derived: bool = True) -> TrialView:
        """Make ``trial_id`` the current trial; compute its filtered and envelope views."""
        trial = self.sf.read_trial(trial_id)
        info = self.sf.trial_info(trial_id)
        tv = TrialView(info, trial.events, self.repetitions(trial_id, trial.events))
        if derived and info.n_samples:
            env, filt = process_trial_emg(trial.emg_uv, info.fs_hz, self.regions,
                                          mains_hz=self.sf.device.mains_hz,
                                          return_filtered=True)
            tv.filtered, tv.envelope = filt, env
        self.current = tv
        return tv

    def visible(self, view: str, t0_s: float, t1_s: float, n_columns: int):
        """Return ``(t_s, y)`` of the current trial between two times, decimated.

        The raw view reads only ``[t0_s, t1_s]`` from the file; the others slice the
        trial's derived arrays. ``y`` is ``(m, n_channels)`` microvolts.
        """
        tv = self.current
        fs = tv.info.fs_hz
        i0 = int(np.clip(np.floor(t0_s * fs), 0, tv.info.n_samples))
        i1 = int(np.clip(np.ceil(t1_s * fs) + 1, i0, tv.info.n_samples))
        if view == "raw" or tv.envelope is None:
            data = self.sf.read_emg(tv.info.id, i0, i1)
        else:
            data = (tv.filtered if view == "filtered" else tv.envelope)[i0:i1]
        idx, y = minmax_decimate(data, max(1, int(n_columns)))
        return (idx + i0) / fs, y

    def repetitions(self, trial_id: str, events) -> list[tuple[int, int]]:
        """Repetitions of a trial as ``(start, end)`` samples.

        Those :func:`~emgkit.analysis.segment_trial` found (through the analysis; none for
        a trial it takes whole, e.g. a rest), or the stored ``rep_start``/``rep_end``
        events while the analysis is not ready.
        """
        if self.analysis is None:
            return stored_repetitions(events)
        tm = self.analysis.by_trial.get(trial_id)
        return [] if tm is None else [(r.start, r.end) for r in tm.reps
                                      if r.method != "whole_trial"]

    def rep_metrics(self, rep: int) -> list[tuple[str, float, float]] | None:
        """Mean and peak envelope of repetition ``rep`` of the current trial per channel.

        From the analysis' :class:`~emgkit.analysis.TrialMetrics` (unit
        :attr:`SessionAnalysis.unit`); None until the analysis is ready.
        """
        if self.analysis is None or self.current is None:
            return None
        tm = self.analysis.by_trial[self.current.info.id]
        return [(name, float(tm.mean[rep, j]), float(tm.peak[rep, j]))
                for j, name in enumerate(self.montage.names)]

    def dominance(self, rep: int) -> dict[str, float]:
        """Low-back dominance index of repetition ``rep`` per side (``side_indices``)."""
        if self.analysis is None or self.current is None:
            return {}
        tm = self.analysis.by_trial[self.current.info.id]
        idx = side_indices(tm.mean, self.montage)
        return {side: float(v[rep]) for (side, name), v in idx.items()
                if name == "low_back_dominance"}


def mvc_reference(sf: SessionFile, causal: bool = False,
                  config: NormalisationConfig | None = None) -> np.ndarray | None:
    """Per-channel MVC reference of a session, read from its MVC trials as the analysis does.

    Parameters
    ----------
    sf : SessionFile
        The open session.
    causal : bool
        The live (causal, trailing RMS) envelope, to match the live viewer's, or the
        offline one.
    config : NormalisationConfig, optional
        How the reference is read (default: ``NormalisationConfig()``, the highest 1 s
        mean of the envelope).

    Returns
    -------
    numpy.ndarray or None
        ``(n_channels,)`` microvolts, NaN for a channel no MVC trial reached; None
        without MVC trials.
    """
    regions = regions_of(sf.montage)
    infos = [i for i in sf.trial_infos() if i.task.name == "mvc" and i.n_samples > 0]
    envs = [process_trial_emg(sf.read_emg(i.id), i.fs_hz, regions, causal=causal,
                              mains_hz=sf.device.mains_hz) for i in infos]
    if not envs:
        return None
    return read_mvc_reference(envs, config or NormalisationConfig(), infos[0].fs_hz)
