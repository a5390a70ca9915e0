"""Paired statistics: difference with 95 % CI, Hedges' g, paired t or Wilcoxon, Holm.

For paired samples ``a`` and ``b`` (repetitions paired by order within a session, or
subjects' means across sessions):

- difference ``mean(a - b)`` with a t-based confidence interval
  ``mean +/- t(1 - alpha/2, n - 1) * sd(a - b) / sqrt(n)``;
- Hedges' g (``g_av``, Lakens 2013): ``mean(a - b) / sqrt((sd(a)^2 + sd(b)^2) / 2)``
  times the small-sample correction ``J = 1 - 3 / (4 (n - 1) - 1)``;
- the test: Shapiro-Wilk on the differences (n >= 3); if normality is not rejected at
  ``alpha`` the paired t-test, else the Wilcoxon signed-rank test (exact for small n).
  With fewer than 6 pairs the exact two-sided Wilcoxon p cannot fall below 0.0625, so
  the t-test is kept and the rejected normality shows in ``normality_p`` (a
  Shapiro-Wilk test on 3-5 values has little power either way);
- Holm's step-down correction across a family of tests (the muscles of one comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

PAIRED_T = "paired t"
WILCOXON = "Wilcoxon signed-rank"
NO_TEST = "none (n < 3)"
#: Fewest pairs for which the exact two-sided Wilcoxon test can give p < 0.05.
MIN_WILCOXON_N = 6


@dataclass(frozen=True)
class PairedResult:
    """Result of :func:`paired_compare` (NaN where undefined).

    Attributes
    ----------
    n : int
        Complete pairs.
    mean_a, mean_b, diff, ci_low, ci_high : float
        Means, mean difference ``a - b`` and its confidence interval.
    hedges_g : float
        Hedges' g_av.
    test : str
        :data:`PAIRED_T`, :data:`WILCOXON` or :data:`NO_TEST`.
    normality_p : float
        Shapiro-Wilk p of the differences.
    statistic, p : float
        The test's statistic and two-sided p.
    """

    n: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    hedges_g: float
    test: str
    normality_p: float
    statistic: float
    p: float


def paired_compare(a, b, alpha: float = 0.05) -> PairedResult:
    """Compare paired samples ``a`` and ``b`` (pairs with a NaN are dropped).

    Parameters
    ----------
    a, b : array_like
        ``(n,)`` paired values.
    alpha : float
        Level of the normality test and of the ``1 - alpha`` confidence interval.

    Returns
    -------
    PairedResult
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(a.size)
    nan = float("nan")
    if n == 0:
        return PairedResult(0, nan, nan, nan, nan, nan, nan, NO_TEST, nan, nan, nan)
    d = a - b
    diff = float(d.mean())
    if n < 2:
        return PairedResult(n, float(a.mean()), float(b.mean()), diff, nan, nan, nan, NO_TEST,
                            nan, nan, nan)
    sd_d = float(d.std(ddof=1))
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * sd_d / np.sqrt(n)
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    j = 1 - 3 / (4 * (n - 1) - 1) if n > 2 else nan
    g = float(diff / pooled * j) if pooled > 0 else nan
    test, norm_p, stat, p = NO_TEST, nan, nan, nan
    if n >= 3:
        if sd_d == 0:
            test, stat, p = PAIRED_T, nan, (1.0 if diff == 0 else 0.0)
        else:
            norm_p = float(stats.shapiro(d).pvalue)
            if norm_p > alpha or n < MIN_WILCOXON_N:
                r = stats.ttest_rel(a, b)
                test, stat, p = PAIRED_T, float(r.statistic), float(r.pvalue)
            else:
                r = stats.wilcoxon(a, b)
                test, stat, p = WILCOXON, float(r.statistic), float(r.pvalue)
    return PairedResult(n, float(a.mean()), float(b.mean()), diff, diff - half, diff + half,
                        g, test, norm_p, stat, p)


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries stay NaN and are not counted).

    Parameters
    ----------
    p : array_like
        ``(m,)`` raw p-values of one family.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` adjusted p-values, ``min(1, max over earlier (m - i) p_(i))``.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adj
    return out
