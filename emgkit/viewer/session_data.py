"""What the review mode shows of a session file, without Qt (and without ``acquisition``).

Raw signals are read slice by slice from the HDF5 file (only what is visible) and reduced
by the core's :func:`~emgkit.core.minmax_decimate` to the plot's width. The filtered and
envelope views come from the core's offline chain (:func:`~emgkit.core.process_trial_emg`,
zero phase, with the user's :class:`~emgkit.model.config.ProcessingConfig`) run once per
trial and kept for the selected trial only.

Repetitions, MVC references, per-repetition metrics, ensemble curves and the low-back
dominance come from :mod:`emgkit.analysis`: :func:`emgkit.analysis.files.analyse_file`,
what ``emgkit process`` runs, with the same configuration (``emgkit view --config``), run
once per opened session by :meth:`ReviewData.run_analysis` (the window runs it in a
worker thread). Until it is ready, repetitions are the trial's stored
``rep_start``/``rep_end`` events. The envelope view is then in % of the analysis' MVC
references (:func:`emgkit.core.normalise`); nothing here computes a reference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from emgkit.analysis import SessionMetrics, TrialMetrics, side_indices
from emgkit.analysis.files import analyse_file as analyse_session_file
from emgkit.analysis.mvc_check import percent_of_reference
from emgkit.analysis.quality import session_quality
from emgkit.core import minmax_decimate, process_trial_emg
from emgkit.errors import AnalysisError
from emgkit.io.reader import SessionFile, TrialInfo
from emgkit.model.config import ProcessingConfig
from emgkit.viewer.display import UNIT_LABELS, nice_span, regions_of

#: Tasks whose ensembles are overlaid in the bottom panel.
ENSEMBLE_TASKS = ("hinge", "squat")
#: Share of samples of a trial's channel allowed outside the common raw/filtered span.
SPAN_QUANTILE = 0.995


@dataclass(frozen=True)
class SessionAnalysis:
    """What :mod:`emgkit.analysis` found in a session, as the review window shows it.

    Attributes
    ----------
    metrics : SessionMetrics
        The analysis of every trial (its ``reference_uv``: the MVC references).
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


def analyse_file(path, config: ProcessingConfig | None = None) -> SessionAnalysis:
    """Analyse a session file as ``emgkit process`` does.

    Parameters
    ----------
    path : str or os.PathLike
        The session file (read through its own handle, so this can run in a worker
        thread while the window reads the file).
    config : ProcessingConfig, optional
        The processing configuration (:func:`emgkit.analysis.files.load_config`);
        defaults if None.

    Returns
    -------
    SessionAnalysis
        :func:`emgkit.analysis.files.analyse_file`'s result; when the configuration's
        normalisation cannot be done (no MVC trials), the same in microvolts, and
        :attr:`SessionAnalysis.note` says why.
    """
    cfg = ProcessingConfig() if config is None else config
    note = ("in % of the session's MVC references" if cfg.normalisation.method == "mvc"
            else f"normalised by {cfg.normalisation.method}")
    try:
        sm, _ = analyse_session_file(path, cfg)
    except AnalysisError as exc:
        sm, _ = analyse_session_file(path, dataclasses.replace(
            cfg, normalisation=dataclasses.replace(cfg.normalisation, method="none")))
        note = f"in uV ({exc.message})"
    session = sm.session
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
    """The selected trial: metadata, events, repetitions, and the derived signals.

    ``normalised`` is the envelope in the analysis' unit (% MVC), made when first shown.
    """

    info: TrialInfo
    events: object
    reps: list[tuple[int, int]]
    filtered: np.ndarray | None = None
    envelope: np.ndarray | None = None
    normalised: np.ndarray | None = None


def signal_spans(raw_uv: np.ndarray, filtered_uv: np.ndarray,
                 envelope_uv: np.ndarray) -> dict[str, np.ndarray]:
    """Return each channel's span per view (:func:`~emgkit.viewer.display.needed_span`).

    Raw and filtered spans leave out the most extreme ``1 - SPAN_QUANTILE`` of the
    samples (a spike does not shrink every row); the envelope's is its maximum.
    """
    q = (1.0 - SPAN_QUANTILE) / 2.0
    lo, hi = np.quantile(raw_uv, [q, 1.0 - q], axis=0)
    dev = np.quantile(np.abs(filtered_uv), SPAN_QUANTILE, axis=0)
    return {"raw": hi - lo, "filtered": 2.0 * dev,
            "envelope": np.max(envelope_uv, axis=0).astype(np.float64)}


class ReviewData:
    """A session file opened for review.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.
    config : ProcessingConfig, optional
        The processing configuration (``emgkit view --config``, read with
        :func:`emgkit.analysis.files.load_config`): filters, envelope, normalisation,
        segmentation and quality as ``emgkit process`` uses them. Defaults if None.
    """

    def __init__(self, path, config: ProcessingConfig | None = None):
        self.sf = SessionFile(path)
        self.path = self.sf.path
        self.config = ProcessingConfig() if config is None else config
        self.montage = self.sf.montage
        self.infos = self.sf.trial_infos()
        self.regions = regions_of(self.montage)
        self.mains_hz = self.sf.device.mains_hz
        self._quality = None
        self.analysis: SessionAnalysis | None = None
        #: Common span per view over the whole session (:meth:`run_analysis`), in the
        #: view's unit (``envelope``: the analysis' unit).
        self.spans: dict[str, float] = {}
        self.current: TrialView | None = None

    def close(self) -> None:
        """Close the file."""
        self.sf.close()

    # -- per session ------------------------------------------------------------------
    def quality_flags(self) -> dict[str, list[tuple[str, ...]]]:
        """Trial id to the flags of each channel (:func:`session_quality`, the config's)."""
        if self._quality is None:
            self._quality = {}
            for tq in session_quality(self.sf, self.config.quality):
                n = len(tq.channel_names)
                self._quality[tq.trial] = (list(tq.report.flags) if tq.report is not None
                                           else [()] * n)
        return self._quality

    def run_analysis(self) -> SessionAnalysis:
        """Analyse the session once (:func:`analyse_file`), then the common spans.

        Safe to call from a worker thread: it reads the file through its own handles.
        """
        if self.analysis is None:
            an = analyse_file(self.path, self.config)
            self.spans = self._session_spans(an)
            self.analysis = an
        return self.analysis

    def _session_spans(self, an: SessionAnalysis) -> dict[str, float]:
        """Return the common span of each view: the largest channel span of any trial."""
        per_view: dict[str, list] = {"raw": [], "filtered": [], "envelope": []}
        with SessionFile(self.path) as sf:
            for info in sf.trial_infos():
                if info.n_samples < 2:
                    continue
                raw = sf.read_emg(info.id)
                env, filt = self._derived(raw, info.fs_hz)
                for view, v in signal_spans(raw, filt, env).items():
                    per_view[view].append(v)
        out = {}
        for view, spans in per_view.items():
            if not spans:
                continue
            widest = np.max(spans, axis=0)
            if view == "envelope" and an.metrics.reference_uv is not None:
                widest = percent_of_reference(widest[None, :], an.metrics.reference_uv)[0]
            out[view] = nice_span(float(np.nanmax(widest)))
        return out

    def _derived(self, raw_uv: np.ndarray, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
        """Envelope and filtered signal of a trial, as the analysis makes them."""
        return process_trial_emg(raw_uv, fs_hz, self.regions, self.config,
                                 mains_hz=self.mains_hz, return_filtered=True)

    # -- per trial ----------------------------------------------------------------------
    def select(self, trial_id: str, derived: bool = True) -> TrialView:
        """Make ``trial_id`` the current trial; compute its filtered and envelope views."""
        trial = self.sf.read_trial(trial_id)
        info = self.sf.trial_info(trial_id)
        tv = TrialView(info, trial.events, self.repetitions(trial_id, trial.events))
        if derived and info.n_samples:
            tv.envelope, tv.filtered = self._derived(trial.emg_uv, info.fs_hz)
        self.current = tv
        return tv

    def unit(self, view: str) -> str:
        """Display unit of a view: µV, or the analysis' unit for the envelope."""
        if view == "envelope" and self.reference_uv is not None:
            return self.analysis.unit
        return UNIT_LABELS["uv"]

    @property
    def reference_uv(self) -> np.ndarray | None:
        """The analysis' normalisation references (None before it or without them)."""
        return None if self.analysis is None else self.analysis.metrics.reference_uv

    def visible(self, view: str, t0_s: float, t1_s: float, n_columns: int):
        """Return ``(t_s, y)`` of the current trial between two times, decimated.

        The raw view reads only ``[t0_s, t1_s]`` from the file; the others slice the
        trial's derived arrays. ``y`` is ``(m, n_channels)`` in :meth:`unit`.
        """
        tv = self.current
        fs = tv.info.fs_hz
        i0 = int(np.clip(np.floor(t0_s * fs), 0, tv.info.n_samples))
        i1 = int(np.clip(np.ceil(t1_s * fs) + 1, i0, tv.info.n_samples))
        if view == "raw" or tv.envelope is None:
            data = self.sf.read_emg(tv.info.id, i0, i1)
        elif view == "filtered":
            data = tv.filtered[i0:i1]
        else:
            data = self.envelope_shown(tv)[i0:i1]
        idx, y = minmax_decimate(data, max(1, int(n_columns)))
        return (idx + i0) / fs, y

    def envelope_shown(self, tv: TrialView) -> np.ndarray:
        """Return the envelope of ``tv`` in :meth:`unit` (normalised by the analysis)."""
        ref = self.reference_uv
        if ref is None:
            return tv.envelope
        if tv.normalised is None:
            tv.normalised = percent_of_reference(tv.envelope, ref, self.montage.names)
        return tv.normalised

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
