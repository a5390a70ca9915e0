"""Several subjects: hinge against squat with a linear mixed model per muscle and per index.

For one measure (a channel's repetition mean in % MVC, or one index on one side), every
repetition of every subject's hinge and squat trials is an observation, and the model is
(statsmodels ``MixedLM``, REML)::

    value ~ hinge + variant contrasts + load          fixed
            (1 | subject) + (1 | session:subject)     random

- ``hinge`` is 1 for a hinge repetition and 0 for a squat, so its coefficient is
  hinge minus squat (``estimate``, with the Wald 95 % CI and the z test of statsmodels);
- a task with several variants gets sum-to-zero contrasts within the task, so the task
  effect is the difference of the unweighted variant means; a task and variant with
  several loads gets the load in kg centred within it (one common slope); a variant or
  load that is the same for every repetition of a task adds nothing (it is confounded
  with the task) and is left out;
- subject is the grouping factor (``groups``); session within subject is a variance
  component (``vc_formula``), present only when some subject has two or more sessions.

The model is not used, and each subject's mean is compared paired by subject instead
(:func:`emgkit.analysis.twosample.subject_compare`: paired t or Wilcoxon), when it cannot
be fitted: fewer than :data:`MIN_SUBJECTS` subjects, no convergence, a random-effect
variance estimated at zero (a singular fit, on the boundary, where the Wald intervals do
not hold), or a non-finite standard error. ``method`` and ``note`` say which was done and
why. Holm's correction (:func:`emgkit.analysis.stats.holm`) is across the channels, and
separately across the indices.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emgkit.analysis.stats import holm
from emgkit.analysis.twosample import subject_compare

#: Fewest subjects for the mixed model (a variance from fewer groups is guesswork).
MIN_SUBJECTS = 6
#: A random-effect variance below this fraction of the residual variance is "zero".
SINGULAR_FRACTION = 1e-6
MIXED = "linear mixed model (REML; subject and session-in-subject random)"
FALLBACK = "subject means, paired by subject"
MIXED_COLUMNS = (
    "measure", "muscle", "side", "label", "index_name", "a", "b", "method", "estimate",
    "se", "ci_low", "ci_high", "statistic", "p", "p_holm", "n_subjects", "n_sessions",
    "n_obs", "var_subject", "var_session", "var_residual", "fixed_effects", "note",
)


def amplitude_column(unit: str) -> str:
    """Return the metrics column of the repetition mean in ``unit`` (``pct_mvc``...)."""
    return {"pct_mvc": "mean_pct_mvc", "pct_peak": "mean_pct_peak"}.get(unit, "mean_uv")


@dataclass(frozen=True)
class MixedFit:
    """The hinge-minus-squat effect of one measure.

    Attributes
    ----------
    method : str
        :data:`MIXED` or the fallback's test (``"subject means, paired by subject: paired t"``).
    estimate, se, ci_low, ci_high, statistic, p : float
        Effect, standard error, CI, z (or the paired test's statistic) and two-sided p.
    n_subjects, n_sessions, n_obs : int
        Subjects, sessions and repetitions used.
    var_subject, var_session, var_residual : float
        Variance components (NaN for the fallback; ``var_session`` NaN without it).
    fixed_effects : str
        The fixed-effect terms besides the intercept.
    note : str
        Empty, or why the fallback was used.
    """

    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    p: float
    n_subjects: int
    n_sessions: int
    n_obs: int
    var_subject: float
    var_session: float
    var_residual: float
    fixed_effects: str
    note: str


def _design(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add the ``hinge``, variant-contrast and centred-load columns; return the terms."""
    d = df.copy()
    d["hinge"] = (d["task"] == "hinge").astype(float)
    terms = ["hinge"]
    for task in ("hinge", "squat"):
        sel = d["task"] == task
        variants = sorted(d.loc[sel, "variant"].astype(str).unique())
        for k, v in enumerate(variants[:-1]):
            col = f"v_{task}_{k}"
            d[col] = 0.0
            d.loc[sel & (d["variant"].astype(str) == v), col] = 1.0
            d.loc[sel & (d["variant"].astype(str) == variants[-1]), col] = -1.0
            terms.append(col)
    load = pd.to_numeric(d["load_kg"], errors="coerce")
    centred = load - load.groupby([d["task"], d["variant"].astype(str)]).transform("mean")
    if centred.notna().all() and (centred.abs() > 0).any():
        d["load_c"] = centred
        terms.append("load_c")
    return d, terms


def _fallback(df: pd.DataFrame, note: str, alpha: float) -> MixedFit:
    # one row per subject, NaN where a subject lacks a task (subject_compare drops it)
    means = df.groupby(["subject", "task"])["value"].mean().unstack().reindex(
        columns=["hinge", "squat"])
    a = means["hinge"].to_numpy(float)
    b = means["squat"].to_numpy(float)
    r = subject_compare(a, b, alpha)
    nan = float("nan")
    return MixedFit(f"{FALLBACK}: {r.test}", r.diff, nan, float(r.ci_low), float(r.ci_high),
                    r.statistic, r.p, r.n, df["session"].nunique(), len(df), nan, nan, nan, "",
                    note)


def _fit(d: pd.DataFrame, terms: list[str]):
    """Fit the model; return ``(result, problem)`` (problem empty when it is usable)."""
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    nested = d.groupby("subject")["session"].nunique().max() > 1
    vc = {"session": "0 + C(session)"} if nested else None
    # statsmodels retries a failed optimiser itself (a ConvergenceWarning that ends in a
    # converged fit); what is left is judged from the result and the boundary warnings.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = smf.mixedlm("value ~ " + " + ".join(terms), d, groups=d["subject"],
                                re_formula="1", vc_formula=vc)
            res = model.fit(reml=True)
        except (np.linalg.LinAlgError, ValueError) as e:
            return None, f"the model could not be fitted ({type(e).__name__}: {e})"
    said = " ".join(str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))
    if not res.converged:
        return res, "the mixed model did not converge"
    if any(word in said for word in ("boundary", "Hessian", "singular")):
        return res, f"the mixed model is singular or on the boundary ({_first(said)})"
    scale = float(res.scale)
    comps = [float(res.cov_re.iloc[0, 0])] + [float(v) for v in np.atleast_1d(res.vcomp)]
    if min(comps) <= SINGULAR_FRACTION * scale:
        return res, "the mixed model is singular (a random-effect variance is estimated at 0)"
    if not np.isfinite(res.bse["hinge"]) or res.bse["hinge"] <= 0:
        return res, "the mixed model gave no finite standard error for the task effect"
    return res, ""


def _first(said: str) -> str:
    """Return the first sentence of statsmodels' warnings that names the problem."""
    for part in said.split(". "):
        if any(word in part for word in ("boundary", "Hessian", "singular")):
            return part.strip().rstrip(".")
    return said


def fit_task_effect(df: pd.DataFrame, alpha: float = 0.05) -> MixedFit:
    """Hinge minus squat for one measure, by the mixed model or its fallback.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per repetition: ``subject``, ``session``, ``task`` (``hinge``/``squat``),
        ``variant``, ``load_kg``, ``value``. Rows with a non-finite value are dropped.
    alpha : float
        ``1 - alpha`` confidence interval.

    Returns
    -------
    MixedFit
    """
    df = df[np.isfinite(df["value"].to_numpy(float))]
    df = df[df["task"].isin(("hinge", "squat"))]
    n_subj = df["subject"].nunique()
    both = df.groupby("subject")["task"].nunique()
    if n_subj < MIN_SUBJECTS or (both < 2).all():
        return _fallback(df, f"{n_subj} subjects (the mixed model needs {MIN_SUBJECTS})", alpha)
    d, terms = _design(df)
    res, problem = _fit(d, terms)
    if problem:
        return _fallback(df, f"{problem}, so subject means are compared", alpha)
    lo, hi = res.conf_int(alpha).loc["hinge"]
    vcomp = np.atleast_1d(res.vcomp)
    return MixedFit(MIXED, float(res.fe_params["hinge"]), float(res.bse["hinge"]), float(lo),
                    float(hi), float(res.tvalues["hinge"]), float(res.pvalues["hinge"]),
                    n_subj, d["session"].nunique(), len(d), float(res.cov_re.iloc[0, 0]),
                    float(vcomp[0]) if vcomp.size else float("nan"), float(res.scale),
                    " + ".join(terms), "")


def _measures(metrics: pd.DataFrame, indices: pd.DataFrame, column: str):
    """Yield ``(keys, frame)`` per channel (muscle, side, label) and per index and side."""
    keep = ["subject", "session", "task", "variant", "load_kg"]
    reps = metrics[metrics["task"].isin(("hinge", "squat"))
                   & (metrics["rep_method"] != "whole_trial")]
    for (muscle, side, label), g in reps.groupby(["muscle", "side", "label"], sort=True):
        yield ({"measure": column, "muscle": muscle, "side": side, "label": label,
                "index_name": ""}, g[keep].assign(value=g[column].to_numpy(float)))
    if indices is None or indices.empty:
        return
    idx = indices[indices["task"].isin(("hinge", "squat"))]
    for (name, side), g in idx.groupby(["index_name", "side"], sort=True):
        yield ({"measure": name, "muscle": "", "side": side, "label": "", "index_name": name},
               g[keep].assign(value=g["value"].to_numpy(float)))


def mixed_table(metrics: pd.DataFrame, indices: pd.DataFrame | None = None,
                column: str = "mean_pct_mvc", alpha: float = 0.05) -> pd.DataFrame:
    """Hinge against squat for every channel and index of several subjects.

    Parameters
    ----------
    metrics : pandas.DataFrame
        The metrics table (:func:`emgkit.analysis.tables.metrics_table`).
    indices : pandas.DataFrame, optional
        The indices table (:func:`emgkit.analysis.tables.indices_table`).
    column : str
        The metrics column modelled (``mean_pct_mvc``; ``mean_pct_peak`` or ``mean_uv``
        under the other normalisations).
    alpha : float
        ``1 - alpha`` confidence intervals.

    Returns
    -------
    pandas.DataFrame
        One row per measure, columns :data:`MIXED_COLUMNS`; empty with fewer than two
        subjects (one subject's repetitions are compared in the comparisons table).
    """
    if metrics.empty or metrics["subject"].nunique() < 2:
        return pd.DataFrame(columns=list(MIXED_COLUMNS))
    rows = []
    for keys, frame in _measures(metrics, indices, column):
        fit = fit_task_effect(frame, alpha)
        rows.append({**keys, "a": "hinge", "b": "squat",
                     **{k: getattr(fit, k) for k in MIXED_COLUMNS if hasattr(fit, k)}})
    out = pd.DataFrame(rows, columns=list(MIXED_COLUMNS))
    for is_index in (False, True):
        sel = (out["index_name"] != "") == is_index
        out.loc[sel, "p_holm"] = holm(out.loc[sel, "p"].to_numpy(float))
    return out


__all__ = [
    "FALLBACK",
    "MIN_SUBJECTS",
    "MIXED",
    "MIXED_COLUMNS",
    "MixedFit",
    "amplitude_column",
    "fit_task_effect",
    "mixed_table",
]
