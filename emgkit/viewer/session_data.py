"""What the review mode shows of a session file, without Qt.

Raw signals are read slice by slice from the HDF5 file (only what is visible) and reduced
by the core's :func:`~emgkit.core.minmax_decimate` to the plot's width. The filtered and
envelope views come from the core's offline chain (:func:`~emgkit.core.process_trial_emg`,
zero phase) run once per trial and kept for the selected trial only.

Repetitions, ensembles and per-repetition metrics come from :mod:`emgkit.analysis` when it
provides them (see :func:`repetitions`, :func:`ensembles`, :func:`rep_metrics`); until then
repetitions are the trial's stored ``rep_start``/``rep_end`` events.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

from emgkit.analysis.quality import session_quality
from emgkit.core import minmax_decimate, normalise, peak_reference, process_trial_emg
from emgkit.errors import EmgkitError
from emgkit.io.reader import SessionFile, TrialInfo
from emgkit.viewer.stream import regions_of


def analysis_function(name: str):
    """Return ``emgkit.analysis.<name>`` if the analysis layer provides it, else None.

    The single integration point with :mod:`emgkit.analysis` (repetition segmentation,
    ensembles, metrics): the viewer never re-implements them.
    """
    try:
        mod = importlib.import_module("emgkit.analysis")
    except ImportError:  # pragma: no cover - analysis ships with emgkit
        return None
    return getattr(mod, name, None)


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
        self._mvc = None
        self.current: TrialView | None = None

    def close(self) -> None:
        """Close the file."""
        self.sf.close()

    # -- per session ------------------------------------------------------------------
    def quality_flags(self) -> dict[str, list[tuple[str, ...]]]:
        """Trial id to the flags of each channel (from :func:`session_quality`, cached)."""
        if self._quality is None:
            self._quality = {}
            for tq in session_quality(self.sf):
                n = len(tq.channel_names)
                self._quality[tq.trial] = (list(tq.report.flags) if tq.report is not None
                                           else [()] * n)
        return self._quality

    def mvc_reference(self, causal: bool = False) -> np.ndarray | None:
        """Per-channel MVC reference (highest envelope over the ``mvc`` trials), or None."""
        if self._mvc is None:
            self._mvc = {}
        if causal not in self._mvc:
            self._mvc[causal] = mvc_reference(self.sf, causal=causal)
        return self._mvc[causal]

    # -- per trial ----------------------------------------------------------------------
    def select(self, trial_id: str, derived: bool = True) -> TrialView:
        """Make ``trial_id`` the current trial; compute its filtered and envelope views."""
        trial = self.sf.read_trial(trial_id)
        info = self.sf.trial_info(trial_id)
        tv = TrialView(info, trial.events, repetitions(self.sf, trial_id, trial.events))
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

    def rep_metrics(self, rep: int) -> list[tuple[str, float, float]]:
        """Mean and peak of the envelope of repetition ``rep`` per channel.

        In % of MVC when the session has MVC trials, else in microvolts. Uses
        ``emgkit.analysis.rep_metrics`` when the analysis layer provides it.
        """
        tv = self.current
        s, e = tv.reps[rep]
        fn = analysis_function("rep_metrics")
        if fn is not None:  # integration point: the analysis layer's own metrics
            return fn(self.sf, tv.info.id, rep)
        seg = tv.envelope[s:e].astype(np.float64)
        ref = self.mvc_reference()
        if ref is not None:
            ok = np.isfinite(ref) & (ref > 0)
            pct = np.full(seg.shape, np.nan)
            pct[:, ok] = normalise(seg[:, ok], ref[ok])
            seg = pct
        return [(name, float(np.mean(seg[:, j])), float(np.max(seg[:, j])))
                for j, name in enumerate(self.montage.names)]


def repetitions(sf: SessionFile, trial_id: str, events) -> list[tuple[int, int]]:
    """Repetitions of a trial as ``(start, end)`` samples.

    From ``emgkit.analysis.segment_repetitions(sf, trial_id)`` when the analysis layer
    provides it, else from the trial's stored ``rep_start``/``rep_end`` events.
    """
    fn = analysis_function("segment_repetitions")
    if fn is not None:  # integration point
        try:
            return [(int(a), int(b)) for a, b in fn(sf, trial_id)]
        except EmgkitError:
            pass
    return stored_repetitions(events)


def ensembles(sf: SessionFile):
    """Ensemble curves per muscle and task, or None when analysis does not provide them.

    Expected from ``emgkit.analysis.ensembles(sf)``: a mapping ``(channel name, task)``
    to a ``(101,)`` mean curve over 0-100 % of the repetition.
    """
    fn = analysis_function("ensembles")
    return None if fn is None else fn(sf)


def mvc_reference(sf: SessionFile, causal: bool = False) -> np.ndarray | None:
    """Per-channel MVC reference of a session: the highest envelope over its MVC trials.

    Parameters
    ----------
    sf : SessionFile
        The open session.
    causal : bool
        The live (causal, trailing RMS) envelope, to match the live viewer's, or the
        offline one.

    Returns
    -------
    numpy.ndarray or None
        ``(n_channels,)`` microvolts, NaN for a channel no MVC trial reached; None
        without MVC trials.
    """
    regions = regions_of(sf.montage)
    envs = [process_trial_emg(sf.read_emg(i.id), i.fs_hz, regions, causal=causal,
                              mains_hz=sf.device.mains_hz)
            for i in sf.trial_infos() if i.task.name == "mvc" and i.n_samples > 0]
    return peak_reference(envs) if envs else None
