"""Quality flags of a session's trials, with the session's rest trial as baseline.

:func:`session_quality` judges the raw samples of each stored trial
(:func:`emgkit.core.quality.assess_quality`); :func:`with_crosstalk` adds the
``crosstalk`` flag of the medial:lateral hamstring pairs of one trial, judged on its
band-passed signal (:func:`emgkit.core.quality.assess_crosstalk`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit.core.parallel import map_threads
from emgkit.core.quality import (
    DEAD_FLAGS,
    CrosstalkReport,
    QualityReport,
    assess_crosstalk,
    assess_segments,
    hamstring_pairs,
    rest_noise,
    segment_bounds,
)
from emgkit.errors import about
from emgkit.io.reader import SessionFile
from emgkit.model.config import QualityConfig

#: Trials shorter than this are too short to judge (the checks need a spectrum).
MIN_QUALITY_SAMPLES = 64


@dataclass(frozen=True)
class TrialQuality:
    """Quality of one stored trial.

    Attributes
    ----------
    trial : str
        Trial id.
    channel_names : tuple of str
        Channel names in montage order.
    report : QualityReport or None
        None when the trial is too short to judge.
    """

    trial: str
    channel_names: tuple[str, ...]
    report: QualityReport | None

    def flagged(self) -> dict[str, tuple[str, ...]]:
        """Return the flagged channels, name to flags."""
        if self.report is None:
            return {}
        return {n: f for n, f in zip(self.channel_names, self.report.flags) if f}


def session_quality(sf: SessionFile, config: QualityConfig | None = None) -> list[TrialQuality]:
    """Assess the quality of every trial of an open session file.

    The first ``rest`` trial at the same sampling rate, if any, is the baseline for the
    noise and SNR checks of the other trials (its noise judged once when the file states
    the mains frequency, else against each trial's own). Railed checks use the device's
    full scale when the file records one. Long trials are judged in segments read from
    the file (:func:`emgkit.core.quality.assess_segments`). The short trials are judged
    side by side in threads, then each long one with its segments side by side
    (:mod:`emgkit.core.parallel`), with the same result as one by one.
    """
    cfg = QualityConfig() if config is None else config
    infos = sf.trial_infos()
    path = getattr(sf, "path", None)
    common = dict(full_scale_uv=sf.device.full_scale_uv, mains_hz=sf.device.mains_hz,
                  config=cfg)
    rest_id = next((t.id for t in infos if t.task.name == "rest" and
                    t.n_samples >= MIN_QUALITY_SAMPLES), None)
    rest_fs = sf.trial_info(rest_id).fs_hz if rest_id else None
    baseline = {}  # what the other trials at the rest trial's rate are judged against
    if rest_id and any(t.id != rest_id and t.fs_hz == rest_fs for t in infos):
        rest = sf.read_emg(rest_id)
        if common["mains_hz"] is None:
            baseline = dict(rest_uv=rest)
        else:
            with about(path, f"trial {rest_id}"):
                baseline = dict(noise_uv=rest_noise(rest, rest_fs, **common))

    def judge(info) -> TrialQuality:
        if info.n_samples < MIN_QUALITY_SAMPLES:
            return TrialQuality(info.id, sf.montage.names, None)
        against = baseline if info.id != rest_id and info.fs_hz == rest_fs else {}
        with about(path, f"trial {info.id}"):
            report = assess_segments(
                lambda a, b, tid=info.id: np.asarray(sf.read_emg(tid, a, b), np.float32),
                info.n_samples, len(sf.montage.channels), info.fs_hz, **common, **against)
        return TrialQuality(info.id, sf.montage.names, report)

    short = [t for t in infos if len(segment_bounds(t.n_samples, t.fs_hz, cfg.segment_s,
                                                    cfg.window_s)) == 2]
    judged = dict(zip([t.id for t in short], map_threads(judge, [(t,) for t in short])))
    judged.update((t.id, judge(t)) for t in infos if t.id not in judged)
    return [judged[t.id] for t in infos]


def with_crosstalk(filtered_uv, fs_hz: float, montage, flags,
                   config: QualityConfig | None = None
                   ) -> tuple[tuple[tuple[str, ...], ...], CrosstalkReport | None]:
    """Add ``crosstalk`` to both channels of each correlated medial:lateral hamstring pair.

    Parameters
    ----------
    filtered_uv : numpy.ndarray or h5py.Dataset
        ``(n_samples, n_channels)`` band-passed EMG of one trial, in µV; read a block of
        rows of a pair's two columns at a time.
    fs_hz : float
        Its sampling rate.
    montage : Montage
        Gives the pairs (:func:`emgkit.core.quality.hamstring_pairs`, per side).
    flags : tuple of tuple of str
        The trial's quality flags per channel; pairs with a dead channel
        (``railed``, ``flat``, ``lead_off``) are not judged.
    config : QualityConfig, optional
        ``crosstalk_r`` and ``crosstalk_lag_s``.

    Returns
    -------
    flags : tuple of tuple of str
        The flags with ``crosstalk`` added where a pair is flagged.
    report : CrosstalkReport or None
        The pairs judged and their correlation (None without pairs or samples).
    """
    n_ch = len(montage.channels)
    flags = tuple(flags) if flags else ((),) * n_ch
    dead = {j for j, f in enumerate(flags) if set(f) & set(DEAD_FLAGS)}
    pairs = [p for p in hamstring_pairs(montage) if not set(p) & dead]
    if not pairs or np.shape(filtered_uv)[0] < MIN_QUALITY_SAMPLES:
        return flags, None
    # Read a block of rows of a pair's two columns at a time (the signal may be on disk).
    report = assess_crosstalk(filtered_uv, fs_hz, pairs, config=config)
    extra = report.channel_flags(n_ch)
    return tuple(tuple(f) + x if x and "crosstalk" not in f else tuple(f)
                 for f, x in zip(flags, extra)), report
