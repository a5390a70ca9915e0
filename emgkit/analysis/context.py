"""Published values beside the session's: medial:lateral hamstrings and hamstrings:quadriceps.

Only what the cited abstracts state is entered (:data:`PUBLISHED`); a ratio this module
derives from two published means is marked as derived. The session's value is put in the
same form (a difference in points of % MVC, a mean in % MVC, or a ratio of means), as the
mean over subjects of each subject's mean over repetitions, per side.

Comparable or not: a % MVC depends on the reference effort (isometric MVC in the
published studies; in emgkit the MVC trials recorded, read as ``normalisation.mvc_reference``
says), on the envelope (window and method) and on the electrode site, and dynamic tasks
can exceed 100 % of an isometric reference (Contreras et al.: vastus lateralis 110 %).
``comparable`` is ``yes`` only when the session is normalised to MVC trials, and the
``note`` always names what still differs (sample, load, envelope).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from emgkit.analysis.metrics import UNITS
from emgkit.analysis.mixed import amplitude_column

CONTEXT_COLUMNS = (
    "source", "exercise", "quantity", "published", "published_low", "published_high",
    "published_unit", "published_normalisation", "n_published", "derived", "session_task",
    "session_side", "session_value", "session_unit", "n_subjects", "comparable", "note",
)


@dataclass(frozen=True)
class Published:
    """One published value (as the abstract states it)."""

    source: str
    exercise: str
    quantity: str
    value: float
    low: float
    high: float
    unit: str
    normalisation: str
    n: int
    task: str
    derived: bool = False


_ZEBIS = "Zebis et al. 2013, Br J Sports Med 47:1192"
_CONTRERAS = "Contreras et al. 2015, J Appl Biomech 31:452"
_DEL_MONTE = "Del Monte et al. 2020, J Strength Cond Res 34:1953"
_NAN = float("nan")

#: The published values (abstracts): difference ranges as ``low``-``high``, a CI likewise.
PUBLISHED = (
    Published(_ZEBIS, "Romanian deadlift and kettlebell swing",
              "semitendinosus - biceps_femoris", _NAN, 17.0, 22.0, "points of % MVC",
              "isometric MVC", 16, "hinge"),
    Published(_DEL_MONTE, "kettlebell swings (hip hinge, squat, double knee extension)",
              "medial hamstrings - biceps_femoris", 9.93, 1.67, 18.19,
              "points of normalised sEMG (95 % CI)", "as normalised in the paper", 14, "hinge"),
    Published(_CONTRERAS, "back squat (estimated 10RM)", "biceps_femoris", 14.9, _NAN, _NAN,
              "% MVIC (mean)", "isometric MVC (MVIC)", 13, "squat"),
    Published(_CONTRERAS, "back squat (estimated 10RM)", "vastus_lateralis", 110.0, _NAN,
              _NAN, "% MVIC (mean)", "isometric MVC (MVIC)", 13, "squat"),
    Published(_CONTRERAS, "back squat (estimated 10RM)",
              "biceps_femoris / vastus_lateralis", 14.9 / 110.0, _NAN, _NAN,
              "ratio of the two means", "isometric MVC (MVIC)", 13, "squat", derived=True),
)

_MEDIAL = ("semitendinosus", "semimembranosus")


def _muscles(quantity: str) -> tuple[tuple[str, ...], tuple[str, ...] | None, str]:
    """Return (first muscles, second muscles or None, operator) of a quantity."""
    for op in (" - ", " / "):
        if op in quantity:
            left, right = quantity.split(op)
            first = _MEDIAL if left.startswith("medial") else (left,)
            return first, (right,), op.strip()
    return (quantity,), None, ""


def _session_value(reps: pd.DataFrame, task: str, side: str, quantity: str, column: str):
    """Mean over subjects of the subject's mean of the quantity; NaN if a muscle is absent."""
    d = reps[(reps["task"] == task) & (reps["side"] == side)]
    first, second, op = _muscles(quantity)

    def subject_means(muscles):
        g = d[d["muscle"].isin(muscles)]
        return g.groupby("subject")[column].mean() if not g.empty else None

    a = subject_means(first)
    b = subject_means(second) if second else None
    if a is None or (second and b is None):
        return _NAN, 0
    if op == "-":
        v = (a - b).dropna()
    elif op == "/":
        return float(a.mean() / b.mean()), int(a.index.intersection(b.index).size)
    else:
        v = a.dropna()
    return (float(v.mean()) if v.size else _NAN), int(v.size)


def context_table(metrics_df: pd.DataFrame, normalisation: str = "mvc",
                  envelope: str = "250 ms RMS") -> pd.DataFrame:
    """Return the published values beside the session's (see the module notes).

    Parameters
    ----------
    metrics_df : pandas.DataFrame
        The metrics table (repetition rows of hinge and squat trials are used).
    normalisation : str
        ``normalisation.method`` of the run (``mvc``, ``peak_dynamic``, ``none``).
    envelope : str
        The envelope, for the note (``"250 ms RMS"``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONTEXT_COLUMNS`, one row per published value and side.
    """
    column = amplitude_column(UNITS[normalisation])
    reps = metrics_df[metrics_df["rep_method"] != "whole_trial"]
    sides = sorted(set(reps["side"].dropna())) or [""]
    rows = []
    for p in PUBLISHED:
        for side in sides:
            value, n = _session_value(reps, p.task, side, p.quantity, column)
            unit = ("ratio" if "/" in p.quantity else
                    "points of % MVC" if " - " in p.quantity else "% MVC")
            ok = normalisation == "mvc"
            rows.append({
                "source": p.source, "exercise": p.exercise, "quantity": p.quantity,
                "published": p.value, "published_low": p.low, "published_high": p.high,
                "published_unit": p.unit, "published_normalisation": p.normalisation,
                "n_published": p.n, "derived": p.derived, "session_task": p.task,
                "session_side": side, "session_value": value,
                "session_unit": unit if ok else unit.replace("MVC", "dynamic peak"),
                "n_subjects": n, "comparable": "yes" if ok and np.isfinite(value) else "no",
                "note": _note(ok, envelope, p)})
    return pd.DataFrame(rows, columns=list(CONTEXT_COLUMNS))


def _note(mvc: bool, envelope: str, p: Published) -> str:
    if not mvc:
        return ("not comparable: the session is not normalised to MVC trials, the "
                "published values are")
    return (f"both % of a maximal reference; still different: the published sample "
            f"(n = {p.n}), exercise and load, the reference effort ({p.normalisation}) and "
            f"the envelope (here {envelope})" + ("; the ratio is derived here from two "
                                                 "published means" if p.derived else ""))


__all__ = ["CONTEXT_COLUMNS", "PUBLISHED", "Published", "context_table"]
