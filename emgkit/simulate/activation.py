"""Trial specifications, repetition schedules and per-muscle activation profiles.

Activation is a fraction of MVC (1.0 = the channel's ``mvc_rms_uv``), a deterministic
function of the sample index once a trial is planned: a resting tone plus one burst per
repetition (or a ramp-plateau-ramp per MVC effort). A plan holds only the schedule
(a few numbers per repetition), so any stretch of a long recording can be evaluated on
its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from emgkit._validate import check_nonnegative, check_option, check_positive
from emgkit.errors import ConfigError
from emgkit.model.montage import Montage
from emgkit.model.muscles import muscles_in_group
from emgkit.model.tasks import Task, parse_task
from emgkit.simulate import levels as lv

#: Compression of the sEMG spectrum at full fatigue (median frequency x 0.75).
FATIGUE_SPECTRUM_FACTOR = 0.75
#: Rise of activation over a set at full fatigue (last repetition x 1.2).
FATIGUE_AMPLITUDE_GAIN = 0.20
STYLES = ("normal", "low_back")


@dataclass(frozen=True)
class TrialSpec:
    """What one simulated trial contains.

    Parameters
    ----------
    task : str
        ``mvc``, ``hinge``, ``squat``, ``rest`` or ``other:<name>`` (rest-like).
    target : str, optional
        MVC target: a muscle group (``hamstrings``) or muscle name.
    variant : str, optional
        Hinge or squat variant (:data:`emgkit.simulate.levels.VARIANTS`); an unknown one
        gets the levels of the task's default variant.
    load_kg : float, optional
        External load; scales task levels (:func:`emgkit.simulate.levels.load_factor`).
    n_reps : int, optional
        Repetitions per set (MVC: efforts). Default 5 for hinge and squat, 1 for MVC.
    n_sets : int
        Sets in the trial, separated by ``set_rest_s``.
    rep_s, pause_s : float, optional
        Repetition duration and pause between repetitions in seconds (variant defaults;
        MVC: ``2 * mvc_ramp_s + mvc_hold_s`` and 5 s).
    set_rest_s : float
        Rest between sets within the trial, in seconds.
    lead_s, tail_s : float
        Quiet time before the first and after the last repetition, in seconds.
    duration_s : float, optional
        Total duration of a ``rest``/``other`` trial (default 10 s).
    amp_jitter : float
        Repetition-to-repetition amplitude variation: a uniform factor in
        ``1 +/- amp_jitter`` common to all muscles, times a per-muscle factor with
        standard deviation ``amp_jitter / 3``.
    dur_jitter : float
        Repetition duration variation, uniform in ``1 +/- dur_jitter``.
    fatigue : float
        0 to 1: activation rises linearly to ``1 + 0.2 * fatigue`` over each set and the
        spectrum compresses towards ``0.75 x`` (median frequency down).
    style : str
        ``normal`` or ``low_back`` (a low-back-driven hinge: erector spinae x 1.5,
        gluteals and hamstrings x 0.7).
    levels_pct : tuple of (str, float)
        Overrides of the mean % MVC per repetition, by muscle or group name.
    mvc_ramp_s, mvc_hold_s : float
        MVC effort: raised-cosine ramp up and down, and plateau, in seconds.
    """

    task: str = "hinge"
    target: str | None = None
    variant: str | None = None
    load_kg: float | None = None
    n_reps: int | None = None
    n_sets: int = 1
    rep_s: float | None = None
    pause_s: float | None = None
    set_rest_s: float = 20.0
    lead_s: float = 2.0
    tail_s: float = 2.0
    duration_s: float | None = None
    amp_jitter: float = 0.08
    dur_jitter: float = 0.10
    fatigue: float = 0.0
    style: str = "normal"
    levels_pct: tuple[tuple[str, float], ...] = ()
    mvc_ramp_s: float = 1.0
    mvc_hold_s: float = 3.0

    def __post_init__(self):
        parse_task(self.task, self.target, self.variant, self.load_kg)
        check_option("style", self.style, STYLES)
        for name in ("set_rest_s", "lead_s", "tail_s", "amp_jitter", "dur_jitter", "fatigue",
                     "mvc_ramp_s"):
            check_nonnegative(name, getattr(self, name))
        check_positive("mvc_hold_s", self.mvc_hold_s, "s")
        for name in ("rep_s", "duration_s"):
            if getattr(self, name) is not None:
                check_positive(name, getattr(self, name), "s")
        if self.pause_s is not None:
            check_nonnegative("pause_s", self.pause_s, "s")
        if self.amp_jitter >= 0.5 or self.dur_jitter >= 0.5 or self.fatigue > 1:
            raise ConfigError("amp_jitter and dur_jitter must be < 0.5 and fatigue <= 1, but "
                              f"got {self.amp_jitter}, {self.dur_jitter}, {self.fatigue}")
        for name, n in (("n_reps", self.n_reps), ("n_sets", self.n_sets)):
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
                raise ConfigError(f"{name} must be an integer >= 0, but got {n!r}")
        if self.task == "mvc" and self.target is None:
            raise ConfigError("an 'mvc' trial needs a target (e.g. 'hamstrings')")

    @property
    def task_obj(self) -> Task:
        """The model :class:`~emgkit.model.tasks.Task` of the trial."""
        variant = self.variant
        if self.task in lv.DEFAULT_VARIANT and variant is None:
            variant = lv.DEFAULT_VARIANT[self.task]
        return parse_task(self.task, self.target, variant, self.load_kg)

    @property
    def is_rhythmic(self) -> bool:
        """True for tasks with repetitions (hinge, squat)."""
        return self.task in lv.DEFAULT_VARIANT


@dataclass(frozen=True)
class Burst:
    """One repetition (or MVC effort) of a planned trial.

    Parameters
    ----------
    start, end : int
        Sample range ``[start, end)`` within the trial.
    set_index, rep : int
        1-based set and repetition number within the set.
    amp : numpy.ndarray
        ``(n_channels,)`` burst height above the tone, as a fraction of MVC.
    shapes : tuple of Shape or None
        Per channel; None for an MVC ramp-plateau-ramp with ``ramp_n`` ramp samples.
    ramp_n : int
        Ramp length in samples of an MVC effort.
    """

    start: int
    end: int
    set_index: int
    rep: int
    amp: np.ndarray
    shapes: tuple[lv.Shape, ...] | None
    ramp_n: int = 0


@dataclass(frozen=True)
class TrialPlan:
    """The schedule of a trial: everything needed to evaluate it at any sample.

    Parameters
    ----------
    spec : TrialSpec
        What was asked for.
    fs_hz : float
        Sampling rate.
    n_samples : int
        Trial length in samples.
    tone : numpy.ndarray
        ``(n_channels,)`` resting activation (fraction of MVC).
    bursts : tuple of Burst
        In time order, non-overlapping.
    trunk_deg, depth_m : float
        Peak trunk inclination and hip excursion per repetition (accelerometer).
    posture_deg : float
        Static trunk inclination of the trial (e.g. prone for a hamstring MVC).
    """

    spec: TrialSpec
    fs_hz: float
    n_samples: int
    tone: np.ndarray
    bursts: tuple[Burst, ...]
    trunk_deg: float = 0.0
    depth_m: float = 0.0
    posture_deg: float = 0.0

    def fatigue_weight(self, s: np.ndarray) -> np.ndarray:
        """Return the fatigued-spectrum mixing weight (0..fatigue) at samples ``s``."""
        f = self.spec.fatigue
        if f == 0 or not self.bursts:
            return np.zeros(s.shape)
        a, b = self.bursts[0].start, self.bursts[-1].end
        return f * np.clip((s - a) / max(b - a, 1), 0.0, 1.0)

    def activation(self, s0: int, s1: int) -> np.ndarray:
        """Return the activation of samples ``[s0, s1)``, float64 ``(n, n_channels)``."""
        out = np.broadcast_to(self.tone, (s1 - s0, self.tone.size)).copy()
        for b in self.bursts:
            lo, hi = max(b.start, s0), min(b.end, s1)
            if lo >= hi:
                continue
            idx = np.arange(lo, hi)
            out[lo - s0 : hi - s0] += burst_shape(b, idx) * b.amp
        return out

    def motion(self, s0: int, s1: int) -> tuple[np.ndarray, np.ndarray]:
        """Return trunk inclination (deg) and vertical hip acceleration (g) of ``[s0, s1)``."""
        theta = np.full(s1 - s0, self.posture_deg)
        acc = np.zeros(s1 - s0)
        for b in self.bursts:
            lo, hi = max(b.start, s0), min(b.end, s1)
            if lo >= hi or b.shapes is None:
                continue
            p = (np.arange(lo, hi) + 0.5 - b.start) / (b.end - b.start)
            theta[lo - s0 : hi - s0] += self.trunk_deg * np.sin(np.pi * p) ** 2
            period_s = (b.end - b.start) / self.fs_hz
            # z = -D sin^2(pi p) = -D/2 (1 - cos 2 pi p)  ->  z'' = -D/2 (2 pi / T)^2 cos 2 pi p
            acc[lo - s0 : hi - s0] -= (self.depth_m / 2 * (2 * np.pi / period_s) ** 2
                                       * np.cos(2 * np.pi * p) / 9.80665)
        return theta, acc


@functools.lru_cache(maxsize=64)
def _shape_mean(shape: lv.Shape) -> float:
    p = (np.arange(4000) + 0.5) / 4000
    return float(np.mean(shape_values(shape, p)))


def shape_values(shape: lv.Shape, p: np.ndarray) -> np.ndarray:
    """Return the burst time course (peak 1 per peak weight) at phases ``p`` in (0, 1)."""
    out = np.zeros(p.shape)
    k = shape.sharpness
    for c, w in zip(shape.centres, shape.weights):
        a, b = c * k, (1 - c) * k
        out += w * (p / c) ** a * ((1 - p) / (1 - c)) ** b
    return out / max(max(shape.weights), 1e-12)


def burst_shape(b: Burst, idx: np.ndarray) -> np.ndarray:
    """Return the burst's time course at trial samples ``idx``, ``(n, n_channels)``."""
    n_ch = b.amp.size
    if b.shapes is None:
        s = _plateau(idx - b.start, b.end - b.start, b.ramp_n)
        return np.broadcast_to(s[:, None], (idx.size, n_ch))
    p = (idx + 0.5 - b.start) / (b.end - b.start)
    out = np.empty((idx.size, n_ch))
    for shape in set(b.shapes):
        cols = [i for i, s in enumerate(b.shapes) if s == shape]
        out[:, cols] = shape_values(shape, p)[:, None]
    return out


def _plateau(i: np.ndarray, n: int, ramp_n: int) -> np.ndarray:
    """Raised-cosine ramp up over ``ramp_n`` samples, 1, ramp down: at offsets ``i``."""
    if ramp_n == 0:
        return np.ones(i.shape)
    up = np.clip((i + 0.5) / ramp_n, 0, 1)
    down = np.clip((n - i - 0.5) / ramp_n, 0, 1)
    return 0.5 * (1 - np.cos(np.pi * np.minimum(up, down)))


def mvc_target_muscles(target: str, montage: Montage) -> tuple[tuple[str, ...], str]:
    """Return the muscles an MVC ``target`` (group or muscle) drives, and its group."""
    try:
        names = muscles_in_group(target, montage.extra_muscles)
        return names, target
    except ConfigError:
        m = montage.muscle(target)
        return (m.name,), (m.groups[-1] if m.groups else m.name)


def task_levels(spec: TrialSpec, montage: Montage) -> np.ndarray:
    """Return the mean activation per repetition per channel (fraction of MVC)."""
    muscles = [montage.muscle(c.muscle) for c in montage.channels]
    if spec.task == "mvc":
        targets, group = mvc_target_muscles(spec.target or "", montage)
        return np.array([lv.mvc_level(targets, group, m) for m in muscles])
    if not spec.is_rhythmic:
        return np.zeros(len(muscles))
    var = lv.variant_of(spec.task, spec.variant)
    factor = lv.load_factor(spec.load_kg, var.ref_load_kg)
    out = np.array([lv.lookup(var.levels_pct, m, lv.DEFAULT_LEVEL_PCT) for m in muscles]) / 100
    out *= factor
    if spec.style == "low_back":
        out *= [lv.lookup(lv.LOW_BACK_FACTORS, m, 1.0) for m in muscles]
    overrides = dict(spec.levels_pct)
    for i, m in enumerate(muscles):
        v = lv.lookup(overrides, m, None)
        if v is not None:
            out[i] = v / 100
    return out


def plan_trial(spec: TrialSpec, montage: Montage, fs_hz: float, tone: np.ndarray,
               rng: np.random.Generator) -> TrialPlan:
    """Draw the schedule of one trial.

    Parameters
    ----------
    spec : TrialSpec
        The trial.
    montage : Montage
        Channels, in storage order.
    fs_hz : float
        Sampling rate in Hz.
    tone : numpy.ndarray
        ``(n_channels,)`` resting activation of each channel (fraction of MVC).
    rng : numpy.random.Generator
        Source of the repetition jitter.

    Returns
    -------
    TrialPlan
    """
    fs = check_positive("fs_hz", fs_hz, "Hz")
    n_ch = len(montage.channels)
    if not spec.is_rhythmic and spec.task != "mvc":
        n = round((spec.duration_s or 10.0) * fs)
        return TrialPlan(spec, fs, n, tone.copy(), ())
    levels = task_levels(spec, montage)
    if spec.task == "mvc":
        n_reps = 1 if spec.n_reps is None else spec.n_reps
        rep_s = 2 * spec.mvc_ramp_s + spec.mvc_hold_s
        pause_s = 5.0 if spec.pause_s is None else spec.pause_s
        shapes, var = None, None
        group = mvc_target_muscles(spec.target or "", montage)[1]
        posture = lv.MVC_TRUNK_DEG.get(group, 0.0)
    else:
        var = lv.variant_of(spec.task, spec.variant)
        n_reps = 5 if spec.n_reps is None else spec.n_reps
        rep_s = var.rep_s if spec.rep_s is None else spec.rep_s
        pause_s = var.pause_s if spec.pause_s is None else spec.pause_s
        shapes = tuple(lv.lookup(var.shapes, montage.muscle(c.muscle), lv.BELL)
                       for c in montage.channels)
        posture = 0.0
    t = spec.lead_s
    bursts = []
    for k in range(spec.n_sets):
        if k:
            t += spec.set_rest_s
        for r in range(n_reps):
            if r:
                t += pause_s
            jit = spec.dur_jitter if spec.task != "mvc" else 0.0
            dur = rep_s * (1 + rng.uniform(-jit, jit))
            s0, s1 = round(t * fs), round((t + dur) * fs)
            t += dur
            if spec.task == "mvc":
                amp = np.maximum(levels - tone, 0.0)
                bursts.append(Burst(s0, s1, k + 1, r + 1, amp, None,
                                    round(spec.mvc_ramp_s * fs)))
                continue
            common = 1 + rng.uniform(-spec.amp_jitter, spec.amp_jitter)
            own = 1 + rng.normal(0, spec.amp_jitter / 3, n_ch)
            tired = 1 + FATIGUE_AMPLITUDE_GAIN * spec.fatigue * r / max(n_reps - 1, 1)
            level = np.clip(levels * common * own * tired, 0.0, 2.0)
            means = np.array([_shape_mean(s) for s in shapes])
            amp = np.maximum(level - tone, 0.0) / means
            bursts.append(Burst(s0, max(s1, s0 + 2), k + 1, r + 1, amp, shapes))
    n = round((t + spec.tail_s) * fs)
    n = max(n, bursts[-1].end if bursts else 1)
    return TrialPlan(spec, fs, n, tone.copy(), tuple(bursts),
                     trunk_deg=var.trunk_deg if var else 0.0,
                     depth_m=var.depth_m if var else 0.0, posture_deg=posture)

