"""Two-sample comparison of condition A against condition B: Welch, or paired across subjects.

Repetitions of one person are observations of that person, not pairs (DESIGN.md,
"Statistics"): the k-th hinge has nothing to do with the k-th squat. Hinge and squat
repetitions of one subject are therefore compared as two independent samples with
Welch's t-test, and what it supports is single-subject inference (about this person on
this day, not about people). Subjects' means are paired by subject
(:func:`emgkit.analysis.stats.paired_compare`).

Welch (unequal variances), for samples ``a`` (``n_a``) and ``b`` (``n_b``):

- difference ``mean(a) - mean(b)``, standard error ``se = sqrt(s_a^2/n_a + s_b^2/n_b)``;
- Welch-Satterthwaite degrees of freedom
  ``df = se^4 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1))``;
- the ``1 - alpha`` interval ``diff +/- t(1 - alpha/2, df) * se`` and the two-sided p of
  ``t = diff / se`` (as ``scipy.stats.ttest_ind(a, b, equal_var=False)``);
- Hedges' g for independent samples: ``diff / s_pooled * J`` with
  ``s_pooled = sqrt(((n_a-1) s_a^2 + (n_b-1) s_b^2) / (n_a + n_b - 2))`` and
  ``J = 1 - 3 / (4 (n_a + n_b) - 9)`` (Lakens 2013).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from emgkit.analysis.stats import NO_TEST, paired_compare

WELCH = "Welch t"
NO_WELCH = "none (n < 2 in a condition)"


@dataclass(frozen=True)
class TwoSampleResult:
    """A comparison of A with B (NaN where undefined).

    Attributes
    ----------
    n : int
        Observations used: pairs for a paired test, ``n_a + n_b`` for Welch.
    n_a, n_b : int
        Observations of A and of B.
    mean_a, mean_b, sd_a, sd_b : float
        Means and SDs (``ddof=1``) of the values used.
    diff, ci_low, ci_high : float
        ``mean_a - mean_b`` and its confidence interval.
    hedges_g : float
        Hedges' g (independent samples for Welch, g_av for paired samples).
    test : str
        The test used (:data:`WELCH`, a paired test, or a "none" text).
    normality_p : float
        Shapiro-Wilk p of the paired differences (NaN for Welch).
    statistic, p : float
        The test's statistic and two-sided p.
    """

    n: int
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    sd_a: float
    sd_b: float
    diff: float
    ci_low: float
    ci_high: float
    hedges_g: float
    test: str
    normality_p: float
    statistic: float
    p: float


def _mean_sd(x: np.ndarray) -> tuple[float, float]:
    nan = float("nan")
    mean = float(x.mean()) if x.size else nan
    return mean, (float(x.std(ddof=1)) if x.size >= 2 else nan)


def welch_compare(a, b, alpha: float = 0.05) -> TwoSampleResult:
    """Compare independent samples ``a`` and ``b`` with Welch's t-test (NaNs are dropped).

    Parameters
    ----------
    a, b : array_like
        Values of A and of B (any lengths).
    alpha : float
        ``1 - alpha`` confidence interval.

    Returns
    -------
    TwoSampleResult
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    na, nb = int(a.size), int(b.size)
    (ma, sa), (mb, sb) = _mean_sd(a), _mean_sd(b)
    nan = float("nan")
    diff = ma - mb
    base = dict(n=na + nb, n_a=na, n_b=nb, mean_a=ma, mean_b=mb, sd_a=sa, sd_b=sb, diff=diff,
                normality_p=nan)
    if na < 2 or nb < 2:
        return TwoSampleResult(**base, ci_low=nan, ci_high=nan, hedges_g=nan, test=NO_WELCH,
                               statistic=nan, p=nan)
    va, vb = sa**2 / na, sb**2 / nb
    se = float(np.sqrt(va + vb))
    pooled = np.sqrt(((na - 1) * sa**2 + (nb - 1) * sb**2) / (na + nb - 2))
    g = float(diff / pooled * (1 - 3 / (4 * (na + nb) - 9))) if pooled > 0 else nan
    if se == 0:
        return TwoSampleResult(**base, ci_low=diff, ci_high=diff, hedges_g=g, test=WELCH,
                               statistic=nan, p=1.0 if diff == 0 else 0.0)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    return TwoSampleResult(**base, ci_low=diff - half, ci_high=diff + half, hedges_g=g,
                           test=WELCH, statistic=float(t), p=p)


def subject_compare(a, b, alpha: float = 0.05) -> TwoSampleResult:
    """Compare subjects' means paired by subject (pairs with a NaN are dropped).

    Parameters
    ----------
    a, b : array_like
        ``(n_subjects,)`` means of A and of B, in the same subject order.
    alpha : float
        Normality-test level and ``1 - alpha`` confidence interval.

    Returns
    -------
    TwoSampleResult
        :func:`~emgkit.analysis.stats.paired_compare`, with the SDs of the pairs used.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    r = paired_compare(a[ok], b[ok], alpha)
    (_, sa), (_, sb) = _mean_sd(a[ok]), _mean_sd(b[ok])
    return TwoSampleResult(
        n=r.n, n_a=r.n, n_b=r.n, mean_a=r.mean_a, mean_b=r.mean_b, sd_a=sa, sd_b=sb,
        diff=r.diff, ci_low=r.ci_low, ci_high=r.ci_high, hedges_g=r.hedges_g, test=r.test,
        normality_p=r.normality_p, statistic=r.statistic, p=r.p)


__all__ = ["NO_TEST", "NO_WELCH", "WELCH", "TwoSampleResult", "subject_compare",
           "welch_compare"]
