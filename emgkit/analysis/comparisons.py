"""Comparisons between tasks, variants and loads, per muscle and per index.

Conditions are the non-MVC, non-rest trials grouped by task, by (task, variant) and by
(task, variant, load). Three kinds of comparison are made where the data have them:

- ``task``: hinge against squat (every variant of each);
- ``variant``: two variants of one task, each pair;
- ``load``: two loads of one task and variant, each pair.

Each is made at two levels:

- ``reps``: per subject, the repetitions of condition A against those of condition B,
  pooled over every session of the subject (the ``session`` column names them, joined
  by ``; ``). Repetitions of one person are independent observations, not pairs: the
  test is Welch's (:func:`emgkit.analysis.twosample.welch_compare`), any numbers of
  repetitions, and the inference is about this one subject (stated in ``pairing``);
- ``subjects``: when at least two subjects are given, each subject's mean over its
  repetitions (all its sessions), paired by subject
  (:func:`emgkit.analysis.twosample.subject_compare`).

Holm's correction is applied across the channels of one comparison, and separately
across its indices. ``mean_a``, ``sd_a`` and ``n_a`` are those of the values tested, so
``diff`` is ``mean_a - mean_b`` at the ``reps`` level whatever the repetition counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from emgkit.analysis.indices import side_indices
from emgkit.analysis.metrics import NOT_DYNAMIC, SessionMetrics, TrialMetrics
from emgkit.analysis.stats import holm
from emgkit.analysis.twosample import subject_compare, welch_compare

#: ``pairing`` of the ``reps`` level: nothing is paired.
INDEPENDENT_REPS = ("repetitions as independent samples of one subject, pooled over its "
                    "sessions (single-subject inference)")
PAIR_BY_SUBJECT = "subject means paired by subject"
#: Result fields copied into every record.
RESULT_FIELDS = ("n", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "hedges_g", "test",
                 "normality_p", "statistic", "p", "n_a", "n_b", "sd_a", "sd_b")

Selector = Callable[[TrialMetrics], bool]


def _conditions(metrics: Sequence[SessionMetrics]) -> list[tuple[str, str, str, Selector,
                                                                 Selector]]:
    """Return ``(kind, label_a, label_b, select_a, select_b)`` for every comparison."""
    trials = [tm.trial.task for sm in metrics for tm in sm.trials
              if tm.trial.task.name not in NOT_DYNAMIC]
    tasks = sorted({t.name for t in trials})
    out: list = []
    if "hinge" in tasks and "squat" in tasks:
        out.append(("task", "hinge", "squat", _sel("hinge"), _sel("squat")))
    for task in tasks:
        variants = sorted({t.variant for t in trials if t.name == task and t.variant})
        for va, vb in itertools.combinations(variants, 2):
            out.append(("variant", f"{task}/{va}", f"{task}/{vb}", _sel(task, va),
                        _sel(task, vb)))
        for v in sorted({t.variant for t in trials if t.name == task}, key=str):
            loads = sorted({t.load_kg for t in trials if t.name == task and t.variant == v
                            and t.load_kg is not None})
            for la, lb in itertools.combinations(loads, 2):
                base = f"{task}/{v}" if v else task
                out.append(("load", f"{base}@{la:g}kg", f"{base}@{lb:g}kg",
                            _sel(task, v, la, True), _sel(task, v, lb, True)))
    return out


def _sel(task: str, variant=None, load=None, by_variant: bool = False) -> Selector:
    def select(tm: TrialMetrics) -> bool:
        t = tm.trial.task
        if t.name != task:
            return False
        if (variant is not None or by_variant) and t.variant != variant:
            return False
        return load is None or t.load_kg == load
    return select


def _values(sm: SessionMetrics, select: Selector) -> dict[tuple[str, str, str, str], np.ndarray]:
    """Per-repetition values of the selected trials, by (kind, name, muscle, side)."""
    chosen = [tm for tm in sm.trials if select(tm)
              and tm.reps and tm.reps[0].method != "whole_trial"]
    if not chosen:
        return {}
    mean = np.concatenate([tm.mean for tm in chosen])
    montage = sm.session.montage
    out = {("muscle", c.name, c.muscle, c.side): mean[:, j]
           for j, c in enumerate(montage.channels)}
    if sm.unit != "uv":
        for (side, name), v in side_indices(mean, montage).items():
            out[("index", name, "", side)] = v
    return out


def _rows(level: str, subject: str, session: str, kind: str, a: str, b: str, pairing: str,
          va: dict, vb: dict, unit: str, alpha: float) -> list[dict]:
    test = welch_compare if level == "reps" else subject_compare
    rows = []
    for key in (k for k in va if k in vb):
        res = test(va[key], vb[key], alpha)
        what, name, muscle, side = key
        rows.append({
            "level": level, "subject": subject, "session": session, "comparison": kind,
            "a": a, "b": b,
            "measure": f"mean_{unit}" if what == "muscle" else name,
            "channel": name if what == "muscle" else "", "muscle": muscle, "side": side,
            "index_name": name if what == "index" else "",
            **{f: getattr(res, f) for f in RESULT_FIELDS},
            "pairing": pairing,
        })
    for what in ("muscle", "index"):
        fam = [r for r in rows if (r["index_name"] == "") == (what == "muscle")]
        for r, ph in zip(fam, holm([r["p"] for r in fam])):
            r["p_holm"] = float(ph)
    return rows


def compare(metrics: Sequence[SessionMetrics], alpha: float = 0.05) -> list[dict]:
    """Make every comparison the sessions allow (see the module notes).

    Parameters
    ----------
    metrics : sequence of SessionMetrics
        One or several sessions (several subjects give the ``subjects`` level).
    alpha : float
        Normality-test level and ``1 - alpha`` confidence intervals.

    Returns
    -------
    list of dict
        One record per comparison x channel (or index), with the columns of the
        comparisons table (:data:`emgkit.analysis.tables.COMPARISON_COLUMNS`).
    """
    rows: list[dict] = []
    units = {sm.unit for sm in metrics}
    unit = units.pop() if len(units) == 1 else "mixed"
    subjects = list(dict.fromkeys(sm.session.subject for sm in metrics))
    for kind, a, b, sa, sb in _conditions(metrics):
        per = {}
        for subj in subjects:
            mine = [sm for sm in metrics if sm.session.subject == subj]
            parts = [(sm.name, _values(sm, sa), _values(sm, sb)) for sm in mine]
            va = _merge([p[1] for p in parts])
            vb = _merge([p[2] for p in parts])
            used = "; ".join(name for name, pa, pb in parts if pa or pb)
            rows += _rows("reps", subj, used, kind, a, b, INDEPENDENT_REPS, va, vb,
                          mine[0].unit, alpha)
            per[subj] = ({k: _mean(v) for k, v in va.items()},
                         {k: _mean(v) for k, v in vb.items()})
        if len(subjects) < 2 or unit == "mixed":
            continue
        keys = sorted({k for pa, pb in per.values() for k in pa if k in pb})
        va = {k: np.array([per[s][0].get(k, np.nan) for s in subjects]) for k in keys}
        vb = {k: np.array([per[s][1].get(k, np.nan) for s in subjects]) for k in keys}
        rows += _rows("subjects", "all", "", kind, a, b, PAIR_BY_SUBJECT, va, vb, unit, alpha)
    return rows


def _merge(parts: list[dict]) -> dict:
    out: dict = {}
    for p in parts:
        for k, v in p.items():
            out[k] = np.concatenate((out[k], v)) if k in out else v
    return out


def _mean(v: np.ndarray) -> float:
    """Mean of the finite values (NaN when there are none)."""
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")
