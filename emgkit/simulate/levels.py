"""Activation levels per task, variant and muscle, and MVC co-activation.

Levels are the *mean* activation over a repetition in % MVC (the quantity the metrics
table reports as ``mean_pct_mvc``). Sources and reasoning are in ``docs/simulator.md``:
in short, the hinge values follow McAllister et al. (2014) and Ebben (2009) (Romanian
deadlift: medial hamstrings above lateral, both ~40-55 %), the squat values the surveys
of Clark et al. (2012) and Schoenfeld (2010) (quadriceps ~50-60 %, hamstrings ~15-20 %,
medial ~ lateral), and the kettlebell values McGill & Marshall (2012) and Zebis et al.
(2013). They are plausible round numbers for a trained subject at a moderate load, not
a meta-analysis.

Lookup for a muscle: its own entry, else its groups from the most specific, else
:data:`DEFAULT_LEVEL_PCT`.
"""

from __future__ import annotations

from dataclasses import dataclass

from emgkit.model.muscles import Muscle

#: Level of a muscle that a table does not mention, in % MVC.
DEFAULT_LEVEL_PCT = 5.0


@dataclass(frozen=True)
class Shape:
    """The time course of a muscle's burst within a repetition.

    The burst is a sum of one or two peaks ``(p / c)^(c k) ((1 - p) / (1 - c))^((1 - c) k)``
    over the repetition's phase ``p`` in [0, 1], each peaking at 1 at ``p = c``.

    Parameters
    ----------
    centres : tuple of float
        Phase of each peak (0 = start, 1 = end of the repetition).
    weights : tuple of float
        Height of each peak.
    sharpness : float
        ``k``: larger is narrower (3: broad bell; 8: distinct peaks).
    """

    centres: tuple[float, ...] = (0.5,)
    weights: tuple[float, ...] = (1.0,)
    sharpness: float = 3.0


BELL = Shape((0.5,), (1.0,), 2.5)
LATE = Shape((0.6,), (1.0,), 2.5)
LOCKOUT = Shape((0.68,), (1.0,), 3.0)
BROAD = Shape((0.5,), (1.0,), 2.0)
BIMODAL = Shape((0.3, 0.72), (0.8, 1.0), 8.0)
BALLISTIC = Shape((0.62,), (1.0,), 4.0)


@dataclass(frozen=True)
class Variant:
    """A hinge or squat variant.

    Parameters
    ----------
    task : str
        ``hinge`` or ``squat``.
    name : str
        The variant's name.
    levels_pct : dict
        Mean % MVC over a repetition by muscle or group name, at ``ref_load_kg``.
    shapes : dict
        :class:`Shape` by muscle or group name (default :data:`BELL`).
    ref_load_kg : float
        The load the levels are for.
    rep_s, pause_s : float
        Default repetition duration and pause between repetitions, in seconds.
    trunk_deg : float
        Peak forward trunk inclination (accelerometer model).
    depth_m : float
        Vertical excursion of the hips (accelerometer model).
    """

    task: str
    name: str
    levels_pct: dict[str, float]
    shapes: dict[str, Shape]
    ref_load_kg: float
    rep_s: float
    pause_s: float
    trunk_deg: float
    depth_m: float


def _hinge_shapes(ballistic: bool = False) -> dict[str, Shape]:
    if ballistic:
        return {"hamstrings": BALLISTIC, "gluteals": BALLISTIC, "back_extensors": BALLISTIC}
    return {"hamstrings": LATE, "gluteals": LOCKOUT, "back_extensors": BROAD}


_SQUAT_SHAPES = {"quadriceps": BIMODAL, "gluteals": LATE, "hamstrings": BROAD,
                 "back_extensors": BROAD}

VARIANTS: dict[tuple[str, str], Variant] = {
    (v.task, v.name): v
    for v in (
        Variant("hinge", "romanian_deadlift", {
            "semitendinosus": 52, "semimembranosus": 50, "biceps_femoris": 41,
            "gluteus_maximus": 35, "gluteus_medius": 15, "back_extensors": 40,
            "vastus_lateralis": 10, "vastus_medialis": 10, "rectus_femoris": 8,
            "rectus_abdominis": 6, "external_oblique": 10, "internal_oblique": 10,
            "tibialis_anterior": 5, "triceps_surae": 12,
        }, _hinge_shapes(), 60.0, 4.0, 1.0, 70.0, 0.25),
        Variant("hinge", "kettlebell_deadlift", {
            "semitendinosus": 38, "semimembranosus": 36, "biceps_femoris": 31,
            "gluteus_maximus": 30, "gluteus_medius": 14, "back_extensors": 32,
            "vastus_lateralis": 16, "vastus_medialis": 16, "rectus_femoris": 12,
            "rectus_abdominis": 6, "external_oblique": 9, "internal_oblique": 9,
            "tibialis_anterior": 6, "triceps_surae": 12,
        }, _hinge_shapes(), 24.0, 3.0, 1.0, 55.0, 0.35),
        Variant("hinge", "kettlebell_swing", {
            "semitendinosus": 48, "semimembranosus": 46, "biceps_femoris": 36,
            "gluteus_maximus": 42, "gluteus_medius": 20, "back_extensors": 45,
            "vastus_lateralis": 20, "vastus_medialis": 20, "rectus_femoris": 14,
            "rectus_abdominis": 10, "external_oblique": 16, "internal_oblique": 16,
            "tibialis_anterior": 8, "triceps_surae": 15,
        }, _hinge_shapes(ballistic=True), 24.0, 1.3, 0.0, 60.0, 0.2),
        Variant("squat", "back_squat", {
            "vastus_lateralis": 58, "vastus_medialis": 60, "rectus_femoris": 50,
            "gluteus_maximus": 30, "gluteus_medius": 18, "semitendinosus": 18,
            "semimembranosus": 18, "biceps_femoris": 17, "back_extensors": 30,
            "rectus_abdominis": 6, "external_oblique": 7, "internal_oblique": 7,
            "tibialis_anterior": 10, "triceps_surae": 12,
        }, _SQUAT_SHAPES, 80.0, 3.5, 1.0, 35.0, 0.45),
        Variant("squat", "goblet_squat", {
            "vastus_lateralis": 45, "vastus_medialis": 47, "rectus_femoris": 40,
            "gluteus_maximus": 22, "gluteus_medius": 15, "semitendinosus": 13,
            "semimembranosus": 13, "biceps_femoris": 13, "back_extensors": 22,
            "rectus_abdominis": 8, "external_oblique": 10, "internal_oblique": 10,
            "tibialis_anterior": 12, "triceps_surae": 10,
        }, _SQUAT_SHAPES, 24.0, 3.5, 1.0, 25.0, 0.5),
        Variant("squat", "front_squat", {
            "vastus_lateralis": 60, "vastus_medialis": 62, "rectus_femoris": 52,
            "gluteus_maximus": 27, "gluteus_medius": 16, "semitendinosus": 15,
            "semimembranosus": 15, "biceps_femoris": 15, "back_extensors": 25,
            "rectus_abdominis": 7, "external_oblique": 9, "internal_oblique": 9,
            "tibialis_anterior": 10, "triceps_surae": 12,
        }, _SQUAT_SHAPES, 60.0, 3.5, 1.0, 25.0, 0.5),
    )
}

#: The variant used when a hinge or squat trial names none (or an unknown one).
DEFAULT_VARIANT = {"hinge": "romanian_deadlift", "squat": "back_squat"}

#: Factors of a "low-back-driven" hinge: erectors up, hip extensors down.
LOW_BACK_FACTORS = {"back_extensors": 1.5, "gluteals": 0.7, "hamstrings": 0.7}

#: MVC co-activation: target group -> {group or muscle: fraction of MVC}; the targeted
#: muscles are at 1.0, unlisted muscles at :data:`MVC_OTHER`.
MVC_COACTIVATION: dict[str, dict[str, float]] = {
    "hamstrings": {"gluteals": 0.30, "back_extensors": 0.20, "triceps_surae": 0.35},
    "gluteals": {"hamstrings": 0.40, "back_extensors": 0.35, "abdominals": 0.08},
    "back_extensors": {"gluteals": 0.30, "hamstrings": 0.30},
    "quadriceps": {"hamstrings": 0.08, "back_extensors": 0.10, "abdominals": 0.10},
    "abdominals": {"rectus_femoris": 0.15, "quadriceps": 0.08, "back_extensors": 0.10},
}
MVC_OTHER = 0.05

#: MVC postures for the accelerometer model: forward trunk inclination in degrees.
MVC_TRUNK_DEG = {"hamstrings": 90.0, "gluteals": 90.0, "back_extensors": 90.0,
                 "abdominals": -60.0}


def lookup(table: dict[str, float | Shape], muscle: Muscle, default):
    """Return the entry for ``muscle``: by name, else by its groups, else ``default``."""
    for key in (muscle.name, *muscle.groups):
        if key in table:
            return table[key]
    return default


def variant_of(task: str, variant: str | None) -> Variant:
    """Return the :class:`Variant` for a hinge or squat (the default one if unknown)."""
    return VARIANTS.get((task, variant or ""), VARIANTS[(task, DEFAULT_VARIANT[task])])


def load_factor(load_kg: float | None, ref_load_kg: float) -> float:
    """Return the factor on task levels for an external load.

    A linear EMG-load relation with an intercept for the body's own weight:
    ``0.55 + 0.45 * load_kg / ref_load_kg``, clipped to [0.3, 1.6]; 1 if no load is given.
    """
    if load_kg is None:
        return 1.0
    return float(min(1.6, max(0.3, 0.55 + 0.45 * load_kg / ref_load_kg)))


def mvc_level(target_muscles: tuple[str, ...], target_group: str, muscle: Muscle) -> float:
    """Return the plateau activation (fraction of MVC) of ``muscle`` in an MVC effort."""
    if muscle.name in target_muscles:
        return 1.0
    return float(lookup(MVC_COACTIVATION.get(target_group, {}), muscle, MVC_OTHER))
