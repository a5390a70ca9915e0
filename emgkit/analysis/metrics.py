"""Per-repetition, per-channel metrics of a session, on arrays.

:func:`analyse_session` runs the signal core on every trial (filter chain and envelope,
:func:`emgkit.core.process_trial_emg`), takes the normalisation reference
(:func:`emgkit.core.select_reference`), finds the repetitions
(:func:`~emgkit.analysis.segmentation.segment_trial`) and computes, per repetition and
channel: mean and peak of the normalised envelope, its integral (iEMG), the time to
peak in % of the repetition, the onset and offset of activity (the bursts of
:func:`emgkit.core.detect_bursts` that overlap the repetition), the median and mean
frequency (:func:`emgkit.core.spectral_frequencies`) and the channel's quality flags
(:func:`emgkit.analysis.quality.session_quality`, with ``crosstalk`` on correlated
medial:lateral hamstring pairs). Time-normalised ensemble curves (101 points) are kept
per trial. Tables are built from these in :mod:`emgkit.analysis.tables`.

A channel without a usable reference (dead in every MVC trial, or no positive
envelope value there) is left out of the normalised values (NaN) and the rest of the
session is analysed; every channel's normalisation is checked
(:mod:`emgkit.analysis.mvc_check`: ``SessionMetrics.checks``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np

from emgkit._malloc import release_free_memory
from emgkit.analysis.filtering import (
    chains_for_mains,
    filter_and_judge,
    mains_decisions,
    session_chains,
    session_envelopes,
    with_window,
)
from emgkit.analysis.mvc_check import (
    ChannelCheck,
    check_channels,
    dead_channels,
    masked_channels,
    partial_reference,
    percent_of_reference,
    rest_levels,
)
from emgkit.analysis.phases import PhaseAmplitudes, PhaseMetrics, amplitudes, trial_phases
from emgkit.analysis.quality import with_crosstalk
from emgkit.analysis.segmentation import (
    Repetition,
    Segmentation,
    ensemble,
    segment_trial_explained,
    time_normalise,
)
from emgkit.analysis.trial_signals import channel_bursts, repetition_spectra
from emgkit.core import LowSampleRateWarning, ProcessingChain
from emgkit.core.normalise import reference_with_sources
from emgkit.core.quality import CrosstalkReport
from emgkit.errors import AnalysisError
from emgkit.model.config import ProcessingConfig
from emgkit.model.session import Session, Trial

log = logging.getLogger(__name__)

#: Amplitude unit of the normalised envelope, by normalisation method.
UNITS = {"mvc": "pct_mvc", "peak_dynamic": "pct_peak", "none": "uv"}
#: Tasks whose trials give the peak-dynamic reference (everything but MVC and rest).
NOT_DYNAMIC = ("mvc", "rest")


@dataclass(frozen=True)
class TrialMetrics:
    """Metrics of one trial; per-repetition arrays are ``(n_reps, n_channels)``.

    Attributes
    ----------
    trial : Trial
        The trial, without its signals being modified.
    reps : tuple of Repetition
        Its repetitions (one ``whole_trial`` repetition when none were found).
    mean, peak : numpy.ndarray
        Mean and peak of the envelope over each repetition, in :attr:`unit`.
    mean_uv, peak_uv : numpy.ndarray
        The same of the envelope in microvolts.
    iemg_s : numpy.ndarray
        Integral of the envelope over the repetition, in :attr:`unit` x s.
    time_to_peak_pct : numpy.ndarray
        Time of the peak in % of the repetition.
    onset_s, offset_s : numpy.ndarray
        Onset of the first and offset of the last burst of activity overlapping the
        repetition (trial time, s; NaN if none).
    median_freq_hz, mean_freq_hz : numpy.ndarray
        Welch median and mean frequency of the filtered signal over the repetition.
    curve_mean, curve_sd : numpy.ndarray
        ``(n_points, n_channels)`` ensemble mean and SD of the time-normalised envelope.
    qc_flags : tuple of tuple of str
        Quality flags per channel (empty when the trial was too short to judge).
    unit : str
        ``pct_mvc``, ``pct_peak`` or ``uv``.
    segmentation : Segmentation or None
        How the repetitions were found.
    crosstalk : CrosstalkReport or None
        The medial:lateral hamstring pairs judged for crosstalk in this trial.
    curves : numpy.ndarray or None
        ``(n_reps, n_points, n_channels)`` time-normalised envelope of each repetition,
        in :attr:`unit` (the SPM tests use them).
    phases : PhaseMetrics or None
        The amplitudes of each repetition's phases (:mod:`emgkit.analysis.phases`); None
        when the trial marks no phases.
    """

    trial: Trial
    reps: tuple[Repetition, ...]
    mean: np.ndarray
    peak: np.ndarray
    mean_uv: np.ndarray
    peak_uv: np.ndarray
    iemg_s: np.ndarray
    time_to_peak_pct: np.ndarray
    onset_s: np.ndarray
    offset_s: np.ndarray
    median_freq_hz: np.ndarray
    mean_freq_hz: np.ndarray
    curve_mean: np.ndarray
    curve_sd: np.ndarray
    qc_flags: tuple[tuple[str, ...], ...]
    unit: str
    segmentation: Segmentation | None = None
    crosstalk: CrosstalkReport | None = None
    curves: np.ndarray | None = None
    phases: PhaseMetrics | None = None


@dataclass(frozen=True)
class ChannelReference:
    """Where one channel's normalisation reference came from.

    Attributes
    ----------
    channel : str
        The channel's name in the montage (``semitendinosus_left``).
    muscle, side, label : str
        As in the montage.
    trial : str or None
        Id of the trial that supplied the value (None without a reference).
    start_s, end_s : float
        Trial time of the stretch the value summarises (equal for a single peak; NaN
        without a reference).
    value_uv : float
        The reference in microvolts (NaN without a reference).
    method : str
        ``mvc`` (``plateau_mean`` or ``peak``) or ``peak_dynamic``.
    """

    channel: str
    muscle: str
    side: str
    label: str
    trial: str | None
    start_s: float
    end_s: float
    value_uv: float
    method: str

    def to_dict(self) -> dict:
        """JSON-safe record (NaN as None)."""
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class Fallback:
    """A choice the analysis made because what it looked for was not there.

    Attributes
    ----------
    kind : str
        ``mains``, ``segmentation`` or ``mvc_reference``.
    sentence : str
        One plain sentence for the user.
    trials : tuple of str
        The trials concerned (empty: the whole session).
    """

    kind: str
    sentence: str
    trials: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-safe record."""
        return {"kind": self.kind, "sentence": self.sentence, "trials": list(self.trials)}


@dataclass(frozen=True)
class SessionMetrics:
    """Metrics of a whole session.

    Attributes
    ----------
    session : Session
        The session analysed.
    name : str
        A name for the session (its file name), for the tables.
    reference_uv : numpy.ndarray or None
        ``(n_channels,)`` normalisation reference (None for method ``none``; NaN for a
        channel without a usable reference, left out of the normalised values).
    trials : tuple of TrialMetrics
        Every trial, in order.
    config : ProcessingConfig
        The parameters used.
    chains : tuple of ProcessingChain
        The chain applied to each region at each sampling rate of the session (the
        filters were designed from these).
    references : tuple of ChannelReference
        Per channel, the trial and stretch that supplied the reference (empty for
        normalisation method ``none``).
    fallbacks : tuple of Fallback
        Each fallback the analysis took (mains, segmentation, MVC reference source).
    checks : tuple of ChannelCheck
        Per channel, whether its normalisation is interpretable
        (:mod:`emgkit.analysis.mvc_check`).
    """

    session: Session
    name: str
    reference_uv: np.ndarray | None
    trials: tuple[TrialMetrics, ...]
    config: ProcessingConfig
    chains: tuple[ProcessingChain, ...] = ()
    references: tuple[ChannelReference, ...] = ()
    fallbacks: tuple[Fallback, ...] = ()
    checks: tuple[ChannelCheck, ...] = ()

    @property
    def unit(self) -> str:
        """Amplitude unit of the normalised metrics."""
        return UNITS[self.config.normalisation.method]


def session_reference(session: Session, config: ProcessingConfig,
                      envelopes: dict | None = None) -> np.ndarray | None:
    """Return the per-channel normalisation reference of a session, in microvolts.

    Parameters
    ----------
    session : Session
        Its ``mvc`` trials give the MVC reference (all of them, whatever their target);
        its other non-rest trials the peak-dynamic one.
    config : ProcessingConfig
        ``normalisation`` chooses the method and reference options.
    envelopes : dict, optional
        Task-window envelopes by trial id, reused when the reference window is the same.

    Raises
    ------
    AnalysisError
        If the method is ``mvc`` and the session has no MVC trials (the message says so
        and names the alternatives), or a channel has no positive reference.
    """
    return reference_and_sources(session, config, envelopes)[0]


def _reference_window(chains: dict) -> float | None:
    """Return the reference envelope's RMS window when it differs from the task's."""
    c = next(iter(next(iter(chains.values())).values()))
    w = c.reference_window_s
    return None if w is None or w == c.envelope_window_s else w


def reference_and_sources(session: Session, config: ProcessingConfig,
                          envelopes: dict | None = None, chains: dict | None = None,
                          dead: dict | None = None
                          ) -> tuple[np.ndarray | None, tuple[ChannelReference, ...]]:
    """:func:`session_reference` and, per channel, the trial and stretch that supplied it.

    ``chains`` are those of :func:`session_chains` (computed if None). ``dead`` maps a
    trial id to a bool array of its channels that carry no EMG
    (:func:`emgkit.analysis.mvc_check.dead_channels`): that trial gives those channels no
    reference. With ``dead`` given, a channel left without a positive reference gets NaN
    (and a :class:`ChannelReference` with trial None) instead of an error; without it,
    any such channel is an error.
    """
    norm = config.normalisation
    if norm.method == "none":
        return None, ()
    chains = session_chains(session, config) if chains is None else chains
    if envelopes is None:
        envelopes = session_envelopes(session, config, chains,
                                      task="mvc" if norm.method == "mvc" else None)
    ref_env = envelopes
    ref_w = _reference_window(chains) if norm.method == "mvc" else None
    if ref_w is not None:
        ref_cfg = with_window(config, ref_w)
        decided = mains_decisions(c for ch in chains.values() for c in ch.values())
        ref_env = session_envelopes(session, ref_cfg,
                                    chains_for_mains(session, ref_cfg, decided), "mvc")
    mvc_trials = [t for t in session.trials if t.task.name == "mvc"]
    dyn_trials = [t for t in session.trials if t.task.name not in NOT_DYNAMIC
                  and t.id in envelopes]
    if norm.method == "mvc" and not mvc_trials:
        raise AnalysisError(
            f"session of subject {session.subject!r} has no MVC trials (task 'mvc'), so there "
            "is no MVC reference; record MVC trials or set normalisation.method = "
            "'peak_dynamic' or 'none' in the config"
        )
    fs = mvc_trials[0].fs_hz if mvc_trials else session.device.fs_hz
    masks = {} if dead is None else dead
    mvc_env = [masked_channels(ref_env[t.id], masks.get(t.id)) for t in mvc_trials]
    dyn_env = [masked_channels(envelopes[t.id], masks.get(t.id)) for t in dyn_trials]
    if dead is None:
        ref, where = reference_with_sources(norm, mvc_env, dyn_env, session.montage.names,
                                            fs_hz=fs)
    else:
        ref, where = partial_reference(norm, mvc_env, dyn_env, session.montage.names, fs)
    used = mvc_trials if norm.method == "mvc" else dyn_trials
    method = f"mvc ({norm.mvc_reference})" if norm.method == "mvc" else norm.method
    out = []
    for c, name, w in zip(session.montage.channels, session.montage.names, where):
        if w is None:
            out.append(ChannelReference(name, c.muscle, c.side, c.label or "", None,
                                        np.nan, np.nan, np.nan, method))
            continue
        t = used[w.trial]
        clock = t.clock_fs_hz
        end = w.end if w.end - w.start > 1 else w.start  # a single peak: one instant
        out.append(ChannelReference(name, c.muscle, c.side, c.label or "", t.id,
                                    w.start / clock, end / clock, w.value_uv, method))
    return ref, tuple(out)


def _untargeted_channels(session: Session, refs: tuple[ChannelReference, ...]
                         ) -> list[tuple[str, str, str]]:
    """``(channel, trial, target)`` of the references read from an effort of another group."""
    mvc = {t.id: t for t in session.trials if t.task.name == "mvc"}
    targets = {t.task.target for t in mvc.values() if t.task.target}
    if not targets:
        return []
    return [(r.channel, r.trial, mvc[r.trial].task.target) for r in refs
            if r.trial in mvc
            and not {r.muscle, *session.montage.muscle(r.muscle).groups} & targets]


def _untargeted(session: Session, refs: tuple[ChannelReference, ...]) -> Fallback | None:
    """Channels whose MVC reference comes from an effort targeting another muscle."""
    bad = _untargeted_channels(session, refs)
    if not bad:
        return None
    listed = ", ".join(f"{c} from {t} (an effort targeting {g})" for c, t, g in bad)
    return Fallback("mvc_reference",
                    f"no MVC trial targets {'these muscles' if len(bad) > 1 else 'this muscle'}, "
                    f"so the reference is the highest of the other efforts: {listed}",
                    tuple(dict.fromkeys(t for _, t, _ in bad)))


def _segmentation_fallback(segs: dict) -> Fallback | None:
    missed = [(tid, s) for tid, s in segs.items() if s.fallback is not None]
    if not missed:
        return None
    if len(missed) == 1:
        return Fallback("segmentation", missed[0][1].fallback, (missed[0][0],))
    return Fallback("segmentation", f"no repetitions found in trials "
                    f"{', '.join(t for t, _ in missed)}, so the whole trial is used for each "
                    "(what each method found is in the provenance)",
                    tuple(t for t, _ in missed))


def _spectral(config: ProcessingConfig, chain: ProcessingChain | None):
    """Return the spectral configuration with the band the chain states."""
    if chain is None:
        return config.spectral
    return dataclasses.replace(config.spectral, low_hz=chain.spectral_low_hz,
                               high_hz=chain.spectral_high_hz)


def trial_metrics(trial: Trial, envelope_uv: np.ndarray, filtered_uv: np.ndarray,
                  reference_uv: np.ndarray | None, reps, config: ProcessingConfig,
                  qc_flags: tuple[tuple[str, ...], ...], channel_names=None,
                  segmentation: Segmentation | None = None,
                  chain: ProcessingChain | None = None) -> TrialMetrics:
    """Compute the metrics of one trial from its envelope, filtered signal and repetitions.

    Parameters
    ----------
    trial : Trial
        The trial.
    envelope_uv, filtered_uv : numpy.ndarray
        ``(n_samples, n_channels)`` envelope and filtered EMG in microvolts.
    reference_uv : numpy.ndarray or None
        Normalisation reference (None: microvolts).
    reps : sequence of Repetition
        The repetitions (empty: one whole-trial repetition is used).
    config : ProcessingConfig
        Onset, spectral, filter and segmentation parameters.
    qc_flags : tuple of tuple of str
        Quality flags per channel.
    channel_names : sequence of str, optional
        For error messages.
    segmentation : Segmentation, optional
        How the repetitions were found (kept with the metrics).
    chain : ProcessingChain, optional
        The chain applied (its spectral band); None: ``config.spectral`` as given.
    """
    fs = trial.fs_hz  # filters and spectra: the nominal rate they were designed for
    clock = trial.clock_fs_hz  # seconds: the measured rate where the trial has one
    reps = tuple(reps) or (Repetition(0, trial.n_samples, "whole_trial"),)
    # Every signal is read a repetition (or a channel) at a time: the envelope and the
    # filtered signal may be arrays on disk (emgkit.io.scratch), not only in memory.
    # float32 as computed (no full-length float64 copies); sums are taken in float64.
    n_r, n_c = len(reps), envelope_uv.shape[1]
    n_points = config.segmentation.n_points
    res = {k: np.full((n_r, n_c), np.nan) for k in (
        "mean", "peak", "mean_uv", "peak_uv", "iemg_s", "time_to_peak_pct", "onset_s",
        "offset_s", "median_freq_hz", "mean_freq_hz")}
    curves = np.full((n_r, n_points, n_c), np.nan)
    bursts = channel_bursts(filtered_uv, fs, config.onset)
    spectral = _spectral(config, chain)
    phases = PhaseAmplitudes(trial_phases(trial, reps, config.segmentation), n_c)
    with warnings.catch_warnings():
        # Said once per trial by the filter chain already.
        warnings.simplefilter("ignore", LowSampleRateWarning)
        spectra = repetition_spectra(filtered_uv, reps, fs, spectral)
        for i, r in enumerate(reps):
            env = np.asarray(envelope_uv[r.start:r.end])
            if env.shape[0] == 0:
                continue
            seg = percent_of_reference(env, reference_uv, channel_names)
            for key, v in amplitudes(seg, env, clock).items():
                res[key][i] = v
            res["time_to_peak_pct"][i] = 100.0 * seg.argmax(axis=0) / max(seg.shape[0] - 1, 1)
            curves[i] = time_normalise(seg, (Repetition(0, seg.shape[0], r.method),),
                                       n_points)[0]
            phases.add(i, r, seg, env, clock)
            res["median_freq_hz"][i], res["mean_freq_hz"][i] = spectra[i]
            for j, b in enumerate(bursts):
                k = np.flatnonzero((b[:, 1] > r.start) & (b[:, 0] < r.end))
                if k.size:
                    res["onset_s"][i, j] = b[k[0], 0] / clock
                    res["offset_s"][i, j] = b[k[-1], 1] / clock
    c_mean, c_sd = ensemble(curves)
    return TrialMetrics(trial, reps, curve_mean=c_mean, curve_sd=c_sd, qc_flags=qc_flags,
                        unit=UNITS[config.normalisation.method], segmentation=segmentation,
                        curves=curves, phases=phases.result(), **res)


def analyse_session(session: Session, config: ProcessingConfig | None = None,
                    name: str = "", qualities=None, scratch=None) -> SessionMetrics:
    """Analyse every trial of a session.

    Parameters
    ----------
    session : Session
        The session (read with :func:`emgkit.io.reader.read_session`, or simulated).
    config : ProcessingConfig, optional
        Defaults if None.
    name : str
        The session's name in the tables (e.g. its file name).
    qualities : list of TrialQuality or callable, optional
        From :func:`emgkit.analysis.quality.session_quality` on the session's file, or a
        function without arguments that returns them (run beside the filtering when
        memory allows: :func:`~emgkit.analysis.filtering.filter_and_judge`); computed
        from the session when None (the same way, so they are judged before the
        filtering or beside it: an error of the quality checks is the one raised).
    scratch : emgkit.io.scratch.Scratch, optional
        Disk space for the signals of trials whose EMG was left on disk
        (:class:`emgkit.io.reader.StoredEMG`); required when the session has such trials.

    Returns
    -------
    SessionMetrics

    Raises
    ------
    AnalysisError
        If the session has no trials to take the reference from (no MVC trials under
        ``mvc``); a channel without a usable reference is left out instead
        (``SessionMetrics.checks``).
    """
    cfg = ProcessingConfig() if config is None else config
    t0 = time.perf_counter()
    chains, processed, qualities = filter_and_judge(session, cfg, qualities, scratch)
    t1 = time.perf_counter()
    log.info("%s: quality checks and filtering in %.1f s", name or "session", t1 - t0)
    envelopes = {k: v[0] for k, v in processed.items()}
    n_ch = len(session.montage.channels)
    flags = {q.trial: (q.report.flags if q.report is not None else ((),) * n_ch)
             for q in qualities}
    dead = {tid: dead_channels(f, n_ch) for tid, f in flags.items()}
    reference, refs = reference_and_sources(session, cfg, envelopes, chains, dead)
    out, segs = [], {}
    for t in session.trials:
        release_free_memory(t.emg_uv.nbytes)  # after the filtering, between long trials
        env, filt = processed[t.id]
        seg = segs[t.id] = segment_trial_explained(t, session.montage, env, cfg.segmentation)
        qf, xt = flags.get(t.id) or ((),) * n_ch, None
        if t.task.name != "rest":
            qf, xt = with_crosstalk(filt, t.fs_hz, session.montage, qf, cfg.quality)
        tm = trial_metrics(t, env, filt, reference, seg.reps, cfg, tuple(qf),
                           session.montage.names, seg, next(iter(chains[t.fs_hz].values())))
        out.append(dataclasses.replace(tm, crosstalk=xt) if xt is not None else tm)
    fallbacks = [Fallback("mains", c.mains.sentence())
                 for c in dict.fromkeys(next(iter(ch.values())) for ch in chains.values())
                 if c.mains.is_fallback]
    fallbacks += [f for f in (_segmentation_fallback(segs), _untargeted(session, refs)) if f]
    rest = rest_levels([(envelopes[t.id], dead.get(t.id, np.zeros(n_ch, bool)))
                        for t in session.trials if t.task.name == "rest"], n_ch)
    checks = check_channels(session.montage, cfg.normalisation.method, reference, out, rest,
                            flags, [c for c, _, _ in _untargeted_channels(session, refs)])
    all_chains = tuple(c for ch in chains.values() for c in ch.values())
    log.info("%s: metrics in %.1f s", name or "session", time.perf_counter() - t1)
    return SessionMetrics(session, name, reference, tuple(out), cfg, all_chains, refs,
                          tuple(fallbacks), checks)
