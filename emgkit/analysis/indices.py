"""Derived indices per side, per repetition, from the mean normalised amplitude.

Each index is a ratio of the repetition means (``TrialMetrics.mean``, % MVC by default)
of groups of channels on one side; a group with several channels (e.g. semitendinosus
and semimembranosus, or two labelled erector channels) contributes its mean. An index
is left out when a side lacks one of its parts.

=============================  ==================================================
``medial_lateral_hamstrings``  medial hamstrings (semitendinosus, semimembranosus)
                               / lateral hamstring (biceps femoris)
``hamstrings_quadriceps``      hamstrings / quadriceps
``gluteus_maximus_hamstrings`` gluteus maximus / hamstrings
``low_back_dominance``         back extensors / mean(gluteus maximus, hamstrings)
``abdominal_erector``          abdominals (rectus abdominis, obliques) / back
                               extensors: the trunk flexors' share of the work
=============================  ==================================================
"""

from __future__ import annotations

import numpy as np

from emgkit.model.montage import Montage

INDICES = (
    "medial_lateral_hamstrings",
    "hamstrings_quadriceps",
    "gluteus_maximus_hamstrings",
    "low_back_dominance",
    "abdominal_erector",
)

#: A ratio within this band counts as "about equal" (one definition, used by the
#: report's sentences and by the viewer's low-back indicator).
BALANCED_RATIO = (0.9, 1.1)

#: Words for a hinge's low-back dominance below, within and above :data:`BALANCED_RATIO`.
LOW_BACK_WORDS = ("hip-driven", "balanced", "back-driven")


def ratio_band(x: float) -> int:
    """Return -1, 0 or 1: a ratio below, within or above :data:`BALANCED_RATIO`."""
    lo, hi = BALANCED_RATIO
    return -1 if x < lo else 1 if x > hi else 0


def low_back_word(dominance: float) -> str:
    """Return how a hinge was driven by its low-back dominance: one of :data:`LOW_BACK_WORDS`."""
    return LOW_BACK_WORDS[ratio_band(dominance) + 1]


def _members(montage: Montage, side: str, part: str) -> list[int]:
    """Columns on ``side`` whose muscle is ``part`` or belongs to the group ``part``."""
    return [
        j
        for j, c in enumerate(montage.channels)
        if c.side == side and (c.muscle == part or part in montage.muscle(c.muscle).groups)
    ]


def side_indices(mean: np.ndarray, montage: Montage) -> dict[tuple[str, str], np.ndarray]:
    """Compute the indices of every side from per-repetition channel means.

    Parameters
    ----------
    mean : numpy.ndarray
        ``(n_reps, n_channels)`` mean amplitude per repetition (normalised).
    montage : Montage
        The channels, for muscles, groups and sides.

    Returns
    -------
    dict
        ``(side, index) -> (n_reps,)`` float64 ratios (NaN where a denominator is 0).
    """
    m = np.asarray(mean, dtype=np.float64)
    out: dict[tuple[str, str], np.ndarray] = {}
    for side in sorted({c.side for c in montage.channels}):
        parts = {}
        for part in ("medial_hamstrings", "lateral_hamstrings", "hamstrings", "quadriceps",
                     "gluteus_maximus", "back_extensors", "abdominals"):
            cols = _members(montage, side, part)
            if cols:
                parts[part] = m[:, cols].mean(axis=1)
        pairs = {
            "medial_lateral_hamstrings": ("medial_hamstrings", "lateral_hamstrings"),
            "hamstrings_quadriceps": ("hamstrings", "quadriceps"),
            "gluteus_maximus_hamstrings": ("gluteus_maximus", "hamstrings"),
            "abdominal_erector": ("abdominals", "back_extensors"),
        }
        for name, (num, den) in pairs.items():
            if num in parts and den in parts:
                out[(side, name)] = _ratio(parts[num], parts[den])
        if {"back_extensors", "gluteus_maximus", "hamstrings"} <= set(parts):
            hip = (parts["gluteus_maximus"] + parts["hamstrings"]) / 2
            out[(side, "low_back_dominance")] = _ratio(parts["back_extensors"], hip)
    return dict(sorted(out.items(), key=lambda kv: (kv[0][0], INDICES.index(kv[0][1]))))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / den
    r[~np.isfinite(r)] = np.nan
    return r
