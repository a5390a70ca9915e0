"""A session's filtering: the mains decision and chains, the envelopes, the quality checks.

:func:`session_chains` decides the mains once per sampling rate from all of a session's
trials and describes the chain of each region; :func:`session_envelopes` runs the signal
core on each trial (:func:`emgkit.core.process_trial_emg`; a trial left on disk a few
channels at a time, :mod:`emgkit.analysis.ondisk`); :func:`filter_and_judge` does both
and the quality checks (:func:`emgkit.analysis.quality.session_quality`), side by side
when memory allows. The metrics (:mod:`emgkit.analysis.metrics`) start from these.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from emgkit._malloc import release_free_memory
from emgkit.analysis.ondisk import DISK_GROUP_SAMPLES, envelopes_on_disk
from emgkit.analysis.quality import session_quality
from emgkit.core import decide_mains, process_trial_emg, trial_chains
from emgkit.core.parallel import beside
from emgkit.model.config import ProcessingConfig
from emgkit.model.session import Session


class _SessionView:
    """The read interface :func:`session_quality` uses, over an in-memory session."""

    def __init__(self, session: Session):
        self.montage, self.device = session.montage, session.device
        self._trials = {t.id: t for t in session.trials}

    def trial_infos(self):
        return [self.trial_info(t) for t in self._trials]

    def trial_info(self, trial_id: str):
        t = self._trials[trial_id]
        return SimpleNamespace(id=t.id, task=t.task, fs_hz=t.fs_hz, n_samples=t.n_samples)

    def read_emg(self, trial_id: str, start: int | None = None, stop: int | None = None):
        return np.asarray(self._trials[trial_id].emg_uv[start:stop])


def session_regions(session: Session) -> list[str]:
    """Return the region (``limb`` or ``trunk``) of each channel of a session's montage."""
    m = session.montage
    return [m.muscle(c.muscle).region for c in m.channels]


def session_chains(session: Session, config: ProcessingConfig) -> dict:
    """Decide the mains once per sampling rate from all the session's trials; describe chains.

    Returns
    -------
    dict of float to dict of str to ProcessingChain
        By sampling rate, the chain of each region of the montage
        (:func:`emgkit.core.trial_chains`); the mains frequency is measured on every trial
        of that rate at once and compared with the session's ``mains_hz``
        (:func:`emgkit.core.decide_mains`).
    """
    return chains_for_mains(session, config, {
        fs: decide_mains(config.filter, fs, [t.emg_uv for t in session.trials if t.fs_hz == fs],
                         session.device.mains_hz)
        for fs in dict.fromkeys(t.fs_hz for t in session.trials)})


def chains_for_mains(session: Session, config: ProcessingConfig, mains: dict) -> dict:
    """Return :func:`session_chains` for mains decisions already taken (by sampling rate).

    The chains of another configuration of the same filters (e.g. another envelope
    window) follow the session's own decisions (``ProcessingChain.mains``) rather than
    examining every trial again.
    """
    regions = session_regions(session)
    return {fs: trial_chains(config, fs, regions, m) for fs, m in mains.items()}


def mains_decisions(chains) -> dict:
    """Return the mains decision of each sampling rate of some ``ProcessingChain`` objects.

    For :func:`chains_for_mains`: e.g. ``SessionMetrics.chains``, or the chains of every
    region at every rate from :func:`session_chains`.
    """
    return {c.fs_hz: c.mains for c in chains}


def with_window(config: ProcessingConfig, window_s: float | None) -> ProcessingConfig:
    """Return ``config`` with the envelope window ``window_s`` (itself if None or equal)."""
    if window_s is None or window_s == config.envelope.window_s:
        return config
    return dataclasses.replace(config, envelope=dataclasses.replace(
        config.envelope, window_s=window_s))


def session_envelopes(session: Session, config: ProcessingConfig, chains: dict,
                      task: str | None = None, filtered: bool = False, scratch=None) -> dict:
    """Envelope (and filtered signal) of each trial (of one task), by trial id.

    A trial whose EMG is not in memory (:class:`~emgkit.io.reader.StoredEMG`) is
    processed a few channels and a block of samples at a time into arrays of ``scratch``
    (:class:`~emgkit.io.scratch.Scratch`, required then).
    """
    regions = session_regions(session)
    out = {}
    for t in session.trials:
        if task is not None and t.task.name != task:
            continue
        if isinstance(t.emg_uv, np.ndarray):
            out[t.id] = process_trial_emg(t.emg_uv, t.fs_hz, regions, config,
                                          chains=chains[t.fs_hz], return_filtered=filtered)
        else:
            out[t.id] = envelopes_on_disk(t, regions, config, chains[t.fs_hz], filtered,
                                          scratch)
    return out


def filter_and_judge(session: Session, cfg: ProcessingConfig, qualities=None, scratch=None
                     ) -> tuple[dict, dict, list]:
    """Return the chains, the filtered trials and the qualities of a session.

    ``qualities`` are the :class:`~emgkit.analysis.quality.TrialQuality` of its trials,
    or a function without arguments that returns them, or None to judge them from the
    session (:func:`~emgkit.analysis.quality.session_quality`). The chains are those of
    :func:`session_chains`, the filtered trials ``(envelope, filtered)`` by trial id
    (:func:`session_envelopes`; ``scratch`` holds those of trials left on disk).

    The quality checks run beside the filtering (:func:`emgkit.core.parallel.beside`:
    the threads of each leave cores idle) when a trial was left on disk and every trial's
    channels fit the filtering's budget (:data:`~emgkit.analysis.ondisk.
    DISK_GROUP_SAMPLES`). Otherwise they run first: a session held in memory is judged
    and filtered in a second or two, which a thread more makes no shorter (measured:
    2.3-3.4 s either way on 0.5 and 2 minute trials, with 30-60 MB more memory), and the
    two phases of longer channels side by side hold too much at once (10 minutes at
    16 kHz: 1.05-1.09 GB against 0.82 GB one phase at a time, for 5-10 % less time; with
    ``sosfiltfilt`` or the linear envelope a channel is filtered whole), so one phase at a
    time (what the quality checks freed goes back to the system first).
    """
    def filtering():
        chains = session_chains(session, cfg)
        return chains, session_envelopes(session, cfg, chains, filtered=True, scratch=scratch)

    if qualities is None:
        qualities = lambda: session_quality(_SessionView(session), cfg.quality)  # noqa: E731
    if not callable(qualities):
        return *filtering(), qualities
    on_disk = any(not isinstance(t.emg_uv, np.ndarray) for t in session.trials)
    if on_disk and max(t.n_samples for t in session.trials) <= DISK_GROUP_SAMPLES:
        (chains, processed), qualities = beside(filtering, qualities)
        return chains, processed, qualities
    qualities = qualities()
    release_free_memory(sum(t.emg_uv.nbytes for t in session.trials))
    return *filtering(), qualities


__all__ = ["chains_for_mains", "filter_and_judge", "mains_decisions", "session_chains",
           "session_envelopes", "session_regions", "with_window"]
