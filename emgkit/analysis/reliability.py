"""Reliability: ICC of the MVC trials, repetition-to-repetition CV and SEM.

**MVC trials.** Per channel, the MVC trials that target its muscle (the trial's target is
the muscle or one of its groups) each give their own reference value, read as the
session's reference is (:func:`emgkit.analysis.recompute.mvc_trial_values`). With ``n``
subjects that each have ``k >= 2`` such trials (the first ``k`` in recording order, ``k``
the smallest count), the ``n x k`` table gives, from the two-way ANOVA mean squares
(rows ``MSR``, columns ``MSC``, error ``MSE``; Shrout & Fleiss 1979, *Psychol Bull*
86:420; McGraw & Wong 1996, *Psychol Methods* 1:30):

- **ICC(2,1)**, absolute agreement of a single trial,
  ``(MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)``, with the McGraw & Wong 95 % CI.
  It is the reported index because the reference is one trial's value and a systematic
  change from trial to trial (fatigue, learning) is a disagreement that matters: ICC(3,1),
  consistency, ``(MSR - MSE) / (MSR + (k-1) MSE)``, ignores it and is given beside it only
  to show how much of the disagreement is systematic (Koo & Li 2016, *J Chiropr Med*
  15:155; Weir 2005, *J Strength Cond Res* 19:231);
- **SEM** = ``sqrt(MSE)`` (Weir 2005) in microvolts and as % of the grand mean.

One subject gives no ICC (no between-subject variance); its ``k`` trials still give the
trial-to-trial SD (the SEM) and CV. ``pingouin`` (GPL-3) is not used: the formulas are
short and tested against Shrout & Fleiss's Table 2.

**Repetitions.** Per subject, task and channel, over the repetitions of that task (all its
trials and sessions): the mean, the SD (the typical error of one repetition, Hopkins 2000,
*Sports Med* 30:1, reported as ``sem``) and the CV = SD / mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from emgkit.analysis.metrics import SessionMetrics
from emgkit.analysis.mixed import amplitude_column
from emgkit.analysis.recompute import mvc_trial_values

RELIABILITY_COLUMNS = (
    "kind", "subject", "task", "muscle", "side", "label", "n_subjects", "n_trials", "n_reps",
    "mean", "unit", "icc_2_1", "icc_ci_low", "icc_ci_high", "icc_3_1", "sem", "sem_pct",
    "cv_pct", "note",
)


@dataclass(frozen=True)
class ICCResult:
    """ICCs of an ``n x k`` table (NaN where undefined).

    Attributes
    ----------
    icc_2_1, ci_low, ci_high : float
        ICC(2,1) (absolute agreement) and its ``1 - alpha`` CI (McGraw & Wong 1996).
    icc_3_1 : float
        ICC(3,1) (consistency).
    sem : float
        ``sqrt(MSE)``.
    n, k : int
        Subjects (rows) and trials (columns).
    """

    icc_2_1: float
    ci_low: float
    ci_high: float
    icc_3_1: float
    sem: float
    n: int
    k: int


def icc(table, alpha: float = 0.05) -> ICCResult:
    """ICC(2,1), its CI, ICC(3,1) and the SEM of an ``(n_subjects, k_trials)`` table.

    Parameters
    ----------
    table : array_like
        ``(n, k)`` values, ``n >= 2``, ``k >= 2``, all finite.
    alpha : float
        ``1 - alpha`` confidence interval.

    Returns
    -------
    ICCResult
    """
    x = np.asarray(table, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or not np.isfinite(x).all():
        raise ValueError(f"table must be finite (n >= 2, k >= 2), but got shape {x.shape}")
    n, k = x.shape
    g = x.mean()
    ssr = k * ((x.mean(axis=1) - g) ** 2).sum()
    ssc = n * ((x.mean(axis=0) - g) ** 2).sum()
    sse = ((x - g) ** 2).sum() - ssr - ssc
    msr, msc, mse = ssr / (n - 1), ssc / (k - 1), sse / ((n - 1) * (k - 1))
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    lo, hi = _icc2_ci(msr, msc, mse, n, k, icc2, alpha)
    return ICCResult(float(icc2), lo, hi, float(icc3), float(np.sqrt(mse)), n, k)


def _icc2_ci(msr, msc, mse, n, k, icc2, alpha) -> tuple[float, float]:
    """McGraw & Wong (1996) CI of ICC(A,1), Satterthwaite degrees of freedom."""
    if mse <= 0:
        return float("nan"), float("nan")
    a = k * icc2 / (n * (1 - icc2))
    b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1)
                                    + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    f_hi = stats.f.ppf(1 - alpha / 2, n - 1, v)
    f_lo = stats.f.ppf(1 - alpha / 2, v, n - 1)
    lo = n * (msr - f_hi * mse) / (f_hi * (k * msc + (k * n - k - n) * mse) + n * msr)
    hi = n * (f_lo * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_lo * msr)
    return float(lo), float(hi)


def _covers(sm: SessionMetrics, target: str | None, muscle: str) -> bool:
    return bool(target) and (target == muscle or target in sm.session.montage.muscle(
        muscle).groups)


def _mvc_values(metrics: Sequence[SessionMetrics]) -> dict:
    """``(muscle, side, label) -> {subject: [value per covering MVC trial, in order]}``."""
    out: dict = {}
    for sm in metrics:
        values = mvc_trial_values(sm)
        trials = [t for t in sm.session.trials if t.id in values]
        for j, c in enumerate(sm.session.montage.channels):
            mine = [float(values[t.id][j]) for t in trials
                    if _covers(sm, t.task.target, c.muscle)]
            key = (c.muscle, c.side, c.label or "")
            out.setdefault(key, {}).setdefault(sm.session.subject, []).extend(mine)
    return out


def mvc_reliability(metrics: Sequence[SessionMetrics], alpha: float = 0.05) -> list[dict]:
    """One row per channel with two or more MVC trials targeting its muscle."""
    rows = []
    for (muscle, side, label), per in _mvc_values(metrics).items():
        per = {s: np.array(v) for s, v in per.items() if len(v) >= 2 and np.isfinite(v).all()}
        if not per:
            continue
        k = min(v.size for v in per.values())
        tab = np.stack([v[:k] for v in per.values()])
        base = {"kind": "mvc_trials", "subject": "all" if len(per) > 1 else next(iter(per)),
                "task": "mvc", "muscle": muscle, "side": side, "label": label,
                "n_subjects": len(per), "n_trials": k, "n_reps": np.nan,
                "mean": float(tab.mean()), "unit": "uv"}
        if len(per) >= 2:
            r = icc(tab, alpha)
            sem, note = r.sem, ""
            base.update(icc_2_1=r.icc_2_1, icc_ci_low=r.ci_low, icc_ci_high=r.ci_high,
                        icc_3_1=r.icc_3_1)
        else:
            sem = float(tab[0].std(ddof=1))
            note = "one subject: no ICC; sem is the SD of the trials' values"
        rows.append({**base, "sem": sem, "sem_pct": 100 * sem / base["mean"],
                     "cv_pct": 100 * float(np.mean(tab.std(axis=1, ddof=1) / tab.mean(axis=1))),
                     "note": note})
    return rows


def repetition_reliability(metrics_df: pd.DataFrame, column: str = "mean_pct_mvc"
                           ) -> list[dict]:
    """One row per subject, task and channel: mean, SD (``sem``) and CV of the repetitions.

    Parameters
    ----------
    metrics_df : pandas.DataFrame
        The metrics table; whole-trial rows and MVC/rest trials are left out.
    column : str
        The amplitude column (``mean_pct_mvc``).
    """
    d = metrics_df[~metrics_df["task"].isin(("mvc", "rest"))
                   & (metrics_df["rep_method"] != "whole_trial")]
    unit = column.removeprefix("mean_")
    rows = []
    for (subj, task, muscle, side, label), g in d.groupby(
            ["subject", "task", "muscle", "side", "label"], sort=True):
        v = g[column].to_numpy(float)
        v = v[np.isfinite(v)]
        if v.size < 2:
            continue
        m, sd = float(v.mean()), float(v.std(ddof=1))
        rows.append({"kind": "repetitions", "subject": subj, "task": task, "muscle": muscle,
                     "side": side, "label": label, "n_subjects": 1, "n_trials": np.nan,
                     "n_reps": int(v.size), "mean": m, "unit": unit, "icc_2_1": np.nan,
                     "icc_ci_low": np.nan, "icc_ci_high": np.nan, "icc_3_1": np.nan,
                     "sem": sd, "sem_pct": 100 * sd / m if m else np.nan,
                     "cv_pct": 100 * sd / m if m else np.nan, "note": ""})
    return rows


def reliability_table(metrics: Sequence[SessionMetrics], metrics_df: pd.DataFrame,
                      alpha: float = 0.05) -> pd.DataFrame:
    """MVC-trial rows, then repetition rows; columns :data:`RELIABILITY_COLUMNS`."""
    unit = metrics[0].unit if metrics else "pct_mvc"
    column = amplitude_column(unit)
    rows = (mvc_reliability(metrics, alpha) if unit == "pct_mvc" else []) + \
        repetition_reliability(metrics_df, column)
    return pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))


__all__ = [
    "RELIABILITY_COLUMNS",
    "ICCResult",
    "icc",
    "mvc_reliability",
    "reliability_table",
    "repetition_reliability",
]
