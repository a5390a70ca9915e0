"""Rendering a planned trial into samples, block by block.

:class:`TrialRenderer` turns a :class:`~emgkit.simulate.activation.TrialPlan` into EMG
(µV), accelerometer (g) and packet counter, in order, in blocks of any size: the one-shot
simulation and the stream both read through it, so they agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit.model.montage import Montage
from emgkit.model.session import Events
from emgkit.simulate.activation import FATIGUE_SPECTRUM_FACTOR, TrialPlan
from emgkit.simulate.artefacts import (
    Artefacts,
    ChannelModel,
    accel_block,
    artefact_block,
    beat_samples,
)
from emgkit.simulate.faults import PacketLoss, apply_channel_faults
from emgkit.simulate.spectrum import ShapedNoise, realised_psd, shaping_filters
from emgkit.simulate.truth import GapTruth, TrialTruth, rep_truths

#: Stream names of the independent random streams of a trial (spawn-key suffixes).
_STREAMS = ("noise", "fatigue_noise", "amp_noise", "ecg", "accel", "faults", "lead_off")


class Filters:
    """Shaping filters of a subject at one rate, fresh and fatigued, with their spectra."""

    def __init__(self, cm: ChannelModel, fs_hz: float):
        self.fresh = shaping_filters(list(cm.spectra), fs_hz)
        self.fatigued = shaping_filters([s.scaled(FATIGUE_SPECTRUM_FACTOR) for s in cm.spectra],
                                        fs_hz)
        f, p0 = realised_psd(self.fresh, fs_hz)
        self.psd = (f, p0, realised_psd(self.fatigued, fs_hz)[1])


@dataclass(frozen=True)
class Rendered:
    """Samples of one trial block, lost packets already removed.

    Attributes
    ----------
    emg_uv : numpy.ndarray
        float32 ``(n, n_channels)``.
    accel_g : numpy.ndarray
        float32 ``(n, 3)``.
    package_num : numpy.ndarray
        int16 ``(n,)``, 0-255.
    sample : numpy.ndarray
        int64 ``(n,)``: original trial sample index of each row.
    """

    emg_uv: np.ndarray
    accel_g: np.ndarray
    package_num: np.ndarray
    sample: np.ndarray


class TrialRenderer:
    """Render one planned trial in order.

    Parameters
    ----------
    plan : TrialPlan
        The schedule.
    montage : Montage
        Channels.
    cm : ChannelModel
        The subject's channels.
    filters : Filters
        Shaping filters for ``cm`` at the plan's rate.
    artefacts : Artefacts
        Artefact configuration.
    full_scale_uv : float
        Input range; the output is clamped to it (railed values sit exactly at it).
    faults : tuple
        Validated faults (:func:`emgkit.simulate.faults.check_faults`).
    seed : numpy.random.SeedSequence
        The trial's seed; independent streams are spawned from its spawn key.
    stream_start : int
        Session sample index of the trial's first sample (drift, mains phase, counter).
    """

    def __init__(self, plan: TrialPlan, montage: Montage, cm: ChannelModel, filters: Filters,
                 artefacts: Artefacts, full_scale_uv: float, faults: tuple,
                 seed: np.random.SeedSequence, stream_start: int):
        self.plan, self.montage, self.cm, self.filters = plan, montage, cm, filters
        self.artefacts, self.full_scale_uv, self.faults = artefacts, full_scale_uv, faults
        self.stream_start = stream_start
        rng = {name: np.random.default_rng(np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, k))) for k, name in enumerate(_STREAMS)}
        self._noise = ShapedNoise(filters.fresh, rng["noise"])
        self._fatigue = (ShapedNoise(filters.fatigued, rng["fatigue_noise"])
                         if plan.spec.fatigue > 0 else None)
        self._amp_rng, self._accel_rng = rng["amp_noise"], rng["accel"]
        self._beats = (beat_samples(plan.n_samples, plan.fs_hz, cm.heart_rate_bpm, rng["ecg"])
                       if np.any(cm.ecg_uv) else np.empty(0))
        loss = [f for f in faults if isinstance(f, PacketLoss)]
        at, n = (loss[0].draw(plan.n_samples, plan.fs_hz, rng["faults"]) if loss
                 else (np.empty(0, np.int64), np.empty(0, np.int64)))
        self.gap_at, self.gap_n = at, n
        fault_seq = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 99))
        self._fault_rngs = [np.random.default_rng(s) for s in fault_seq.spawn(len(faults))]
        self.pos = 0

    @property
    def n_samples(self) -> int:
        """Original (before lost packets) length of the trial in samples."""
        return self.plan.n_samples

    @property
    def n_stored(self) -> int:
        """Stored length of the trial (lost packets removed)."""
        return self.plan.n_samples - int(self.gap_n.sum())

    def kept_index(self, s):
        """Map original trial sample indices to stored ones (a lost sample maps to the next)."""
        s = np.asarray(s)
        lost_before = np.zeros(s.shape, dtype=np.int64)
        for a, k in zip(self.gap_at, self.gap_n):
            lost_before += np.clip(s - a, 0, k)
        return s - lost_before

    def keep_mask(self, s0: int, s1: int) -> np.ndarray:
        """Return the mask of the original samples ``[s0, s1)`` that were not lost."""
        m = np.ones(s1 - s0, dtype=bool)
        for a, k in zip(self.gap_at, self.gap_n):
            lo, hi = max(a, s0), min(a + k, s1)
            if lo < hi:
                m[lo - s0 : hi - s0] = False
        return m

    def read(self, n: int) -> Rendered:
        """Render the next ``n`` original samples (fewer at the end of the trial)."""
        p, cm = self.plan, self.cm
        s0 = self.pos
        s1 = min(s0 + n, p.n_samples)
        self.pos = s1
        n = s1 - s0
        x = self._noise.read(n)
        if self._fatigue is not None:
            w = p.fatigue_weight(np.arange(s0, s1, dtype=np.float64))[:, None]
            x = np.sqrt(1 - w) * x + np.sqrt(w) * self._fatigue.read(n)
        x *= p.activation(s0, s1)
        x *= cm.mvc_rms_uv
        x += artefact_block(cm, self.artefacts, p.fs_hz, self.stream_start + s0, n,
                            self._beats, s0)
        if self.artefacts.amp_noise_uv:
            x += self.artefacts.amp_noise_uv * self._amp_rng.standard_normal(x.shape)
        apply_channel_faults(x, s0, self.faults, self.montage, p.fs_hz, p.n_samples,
                             self.full_scale_uv, cm.dc_uv, self._fault_rngs)
        np.clip(x, -self.full_scale_uv, self.full_scale_uv, out=x)
        theta, lin = p.motion(s0, s1)
        noise = self._accel_rng.standard_normal((n, 3)) * self.artefacts.accel_noise_g
        acc = accel_block(theta, lin, noise)
        idx = np.arange(s0, s1)
        keep = self.keep_mask(s0, s1)
        pn = ((self.stream_start + idx) % 256).astype(np.int16)
        return Rendered(x[keep].astype(np.float32), acc[keep].astype(np.float32), pn[keep],
                        idx[keep])

    def events(self, markers: bool, gaps: bool = True) -> Events:
        """Return the trial's events in stored sample indices.

        Parameters
        ----------
        markers : bool
            Include ``set_start``/``set_end`` and ``rep_start``/``rep_end`` (label: the
            repetition number within its set).
        gaps : bool
            Include ``gap`` events (value: samples lost before that sample), as a file
            reader derives them from the packet counter.
        """
        rows: list[tuple[int, str, str, float]] = []
        if markers:
            sets: dict[int, list] = {}
            for b in self.plan.bursts:
                sets.setdefault(b.set_index, []).append(b)
                rows.append((int(self.kept_index(b.start)), "rep_start", str(b.rep), np.nan))
                rows.append((int(self.kept_index(b.end)) - 1, "rep_end", str(b.rep), np.nan))
            for k, bs in sets.items():
                rows.append((int(self.kept_index(bs[0].start)), "set_start", str(k), np.nan))
                rows.append((int(self.kept_index(bs[-1].end)) - 1, "set_end", str(k), np.nan))
        if gaps:
            for a, k in zip(self.gap_at, self.gap_n):
                rows.append((int(self.kept_index(a)), "gap", "", float(k)))
        rows.sort(key=lambda r: r[0])
        return Events([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                      [r[3] for r in rows])

    def truth(self, trial_id: str, env_window_s: float) -> TrialTruth:
        """Return the trial's :class:`~emgkit.simulate.truth.TrialTruth`."""
        spec, m = self.plan.spec, self.montage
        task = spec.task_obj
        gaps = tuple(GapTruth(int(self.kept_index(a)), int(k), int(a))
                     for a, k in zip(self.gap_at, self.gap_n))
        kept = self.keep_mask(0, self.plan.n_samples) if gaps else None
        return TrialTruth(
            trial_id, spec.task, spec.target, task.variant, spec.load_kg, spec.style,
            self.plan.fs_hz, self.n_stored, m.names, tuple(c.muscle for c in m.channels),
            tuple(c.side for c in m.channels),
            tuple(round(float(v), 3) for v in self.cm.mvc_rms_uv),
            rep_truths(self.plan, self.filters.psd, self.kept_index, env_window_s), gaps,
            tuple(repr(f) for f in self.faults), self.stream_start, env_window_s,
            plan=self.plan, kept=kept)
