"""Statistical parametric mapping of time-normalised curves, by permutation (BSD).

Hinge against squat per muscle over the 101-point %MVC curve of a repetition:

- ``paired``: several subjects, each subject's mean curve of A and of B; the test is the
  one-sample t of the differences, and its null distribution comes from flipping the
  sign of whole subject differences (all ``2^n`` patterns when there are at most
  ``max_permutations``, else a random sample);
- ``two_sample``: one subject, the repetitions of A and of B as independent samples
  (DESIGN.md "Statistics"); the test is the two-sample t with pooled variance, and the
  null distribution comes from permuting the A/B labels of whole curves.

Inference is the nonparametric SPM of Nichols & Holmes (2002, *Hum Brain Mapp* 15:1) as
applied to 1-D biomechanical curves by Pataky, Vanrenterghem & Robinson (2015,
*J Biomech* 48:1277; 2016, *J Biomech* 49:1468): the maximum of ``|t|`` over the curve in
each permutation gives the family-wise critical threshold ``t*`` (its ``1 - alpha``
percentile, linear interpolation), the supra-threshold clusters are the runs where
``|t| > t*`` (positive and negative apart), their ends are interpolated to the crossing,
and each cluster's p is the share of permutations whose largest cluster integral
(trapezoidal integral of ``|t| - t*`` over the run, at the same ``t*``) is at least the
cluster's. These are the conventions of ``spm1d`` 0.4 (``spm1d.stats.nonparam``,
``cluster_metric = "MaxClusterIntegral"``), against which ``tests/analysis/test_spm.py``
checks this code; ``spm1d`` itself (GPL-3) is not used here.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.integrate import trapezoid  # numpy 1.x has no np.trapezoid

#: Most permutations drawn (enumerated exactly when there are no more than this).
MAX_PERMUTATIONS = 10000
#: Permutations whose t is computed at once (the temporaries stay in the CPU cache).
_BLOCK = 512
PAIRED = "paired"
TWO_SAMPLE = "two_sample"


@dataclass(frozen=True)
class Cluster:
    """A supra-threshold cluster.

    Attributes
    ----------
    start_pct, end_pct : float
        Where ``|t|`` crosses the threshold, in % of the repetition (interpolated).
    sign : int
        +1 where A > B, -1 where A < B.
    integral : float
        Trapezoidal integral of ``|t| - t*`` over the cluster (points as unit spacing).
    p : float
        Family-wise p of the cluster (share of permutations with a larger cluster, at
        least ``1 / n_permutations``: the observed labelling is one of them).
    """

    start_pct: float
    end_pct: float
    sign: int
    integral: float
    p: float


@dataclass(frozen=True)
class SPMResult:
    """Result of :func:`spm_paired` or :func:`spm_two_sample`.

    Attributes
    ----------
    design : str
        :data:`PAIRED` or :data:`TWO_SAMPLE`.
    t : numpy.ndarray
        ``(n_points,)`` t statistic (A minus B).
    threshold : float
        Family-wise critical ``|t|`` at ``alpha``.
    alpha : float
        The level.
    n_a, n_b : int
        Curves of A and of B (equal, the subjects, when paired).
    n_permutations : int
        Permutations used (the observed labelling included).
    exact : bool
        Whether every permutation was enumerated.
    clusters : tuple of Cluster
        Supra-threshold clusters in curve order.
    p_min : float
        Family-wise p of the largest ``|t|`` (share of permutation maxima >= it).
    """

    design: str
    t: np.ndarray
    threshold: float
    alpha: float
    n_a: int
    n_b: int
    n_permutations: int
    exact: bool
    clusters: tuple[Cluster, ...]
    p_min: float


def _flips(n: int, max_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """``(n_perm, n)`` sign patterns, the identity first; all of them if few enough.

    A pattern and its negation give the same ``|t|``, so the enumeration keeps the first
    sign positive: ``2^(n-1)`` patterns, each null value once (as ``spm1d`` counts them).
    """
    if 2 ** (n - 1) <= max_perm:
        rest = np.array(list(itertools.product((1.0, -1.0), repeat=n - 1)))
        return np.column_stack((np.ones(len(rest)), rest)), True
    s = rng.choice((1.0, -1.0), size=(max_perm, n))
    s[0] = 1.0
    return s, False


def _labels(n_a: int, n: int, max_perm: int, rng: np.random.Generator
            ) -> tuple[np.ndarray, bool]:
    """``(n_perm, n)`` boolean memberships of group A, the observed one first.

    With equal groups a labelling and its swap give the same ``|t|``, so the enumeration
    keeps the first curve in A (half the labellings, as ``spm1d`` counts them).
    """
    half = 2 * n_a == n
    n_exact = math.comb(n, n_a) // (2 if half else 1)
    if n_exact <= max_perm:
        combos = (c for c in itertools.combinations(range(n), n_a) if not half or c[0] == 0)
        out = np.zeros((n_exact, n), bool)
        for i, idx in enumerate(combos):
            out[i, list(idx)] = True
        first = np.flatnonzero(out[:, :n_a].all(axis=1) & ~out[:, n_a:].any(axis=1))[0]
        out[[0, first]] = out[[first, 0]]
        return out, True
    out = np.zeros((max_perm, n), bool)
    out[0, :n_a] = True
    for i in range(1, max_perm):
        out[i, rng.permutation(n)[:n_a]] = True
    return out, False


@lru_cache(maxsize=32)
def _seeded(kind: str, n_a: int, n: int, max_perm: int, seed: int) -> tuple[np.ndarray, bool]:
    """:func:`_flips` (``n_a`` unused) or :func:`_labels` from ``seed``, made once.

    Every muscle of a table with the same group sizes gets the same permutations (the
    same seed gives the same draw), so they are drawn once and shared, read-only.
    """
    rng = np.random.default_rng(seed)
    out, exact = _flips(n, max_perm, rng) if kind == "flips" else _labels(n_a, n, max_perm, rng)
    out.setflags(write=False)
    return out, exact


def _by_blocks(f, sums: np.ndarray, **kwargs) -> np.ndarray:
    """``f(sums, **kwargs)``, :data:`_BLOCK` rows (permutations) at a time.

    The same values as all rows at once, faster: a block's temporaries stay in the CPU
    cache instead of streaming ``(n_perm, n_points)`` arrays through memory.
    """
    return np.concatenate([f(sums[i:i + _BLOCK], **kwargs)
                           for i in range(0, len(sums), _BLOCK)])


def _t_mean(sums: np.ndarray, n: int, ss: np.ndarray) -> np.ndarray:
    """One-sample t from the sums of the sign-flipped differences and their sum of squares."""
    m = sums / n
    var = np.maximum(ss - n * m**2, 0.0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return m / np.sqrt(var / n)


def _t_pooled(sums: np.ndarray, n_a: float, n_b: float, total: np.ndarray,
              total_sq: np.ndarray) -> np.ndarray:
    """Pooled-variance t from the sums over A of y and of y**2 (side by side) and the totals."""
    q = total.size
    sa, qa = sums[:, :q], sums[:, q:]
    sb, qb = total - sa, total_sq - qa  # the complements' sums
    ma, mb = sa / n_a, sb / n_b
    ssw = (qa - n_a * ma**2) + (qb - n_b * mb**2)
    var = np.maximum(ssw, 0.0) / (n_a + n_b - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (ma - mb) / np.sqrt(var * (1 / n_a + 1 / n_b))


def _t_one_sample(d: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Return the t of the mean of sign-flipped differences, per pattern: ``(n_perm, n_points)``."""
    ss = (d**2).sum(axis=0)  # unchanged by the signs
    return _by_blocks(_t_mean, signs @ d, n=d.shape[0], ss=ss)


def _t_two_sample(y: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Pooled-variance two-sample t per labelling: ``(n_perm, n_points)``."""
    a = member.astype(np.float64)
    n_a = a[0].sum()
    sums = a @ np.concatenate((y, y**2), axis=1)  # one product for both: cheaper than two
    return _by_blocks(_t_pooled, sums, n_a=n_a, n_b=len(y) - n_a, total=y.sum(axis=0),
                      total_sq=(y**2).sum(axis=0))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` indices of each run of True in a 1-D mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def _max_integrals(t: np.ndarray, thr: float) -> np.ndarray:
    """Per row of ``t``, the largest trapezoidal integral of ``|t| - thr`` over a cluster.

    Clusters are runs of ``t > thr`` or of ``t < -thr`` (sample points only, as the
    permutation distribution is built); a one-point cluster counts its height.
    """
    n_perm, q = t.shape
    best = np.zeros(n_perm)
    for sgn in (1.0, -1.0):
        ex = sgn * t - thr
        mask = ex > 0
        if not mask.any():
            continue
        start = mask & ~np.concatenate((np.zeros((n_perm, 1), bool), mask[:, :-1]), axis=1)
        ids = np.cumsum(start.ravel()).reshape(n_perm, q) - 1
        w = np.where(mask, ex, 0.0)
        # trapezoid over a run of k points = sum - (first + last) / 2; a single point: itself
        first = start
        last = mask & ~np.concatenate((mask[:, 1:], np.zeros((n_perm, 1), bool)), axis=1)
        edge = np.where(first & last, 0.0, 0.5 * (w * first + w * last))
        vals = np.bincount(ids[mask], weights=(w - edge)[mask])
        rows = np.repeat(np.arange(n_perm), q).reshape(n_perm, q)[start]
        np.maximum.at(best, rows, vals)
    return best


def _crossing(t_abs: np.ndarray, i_in: int, i_out: int, thr: float) -> float:
    """Interpolated index where ``|t|`` crosses ``thr`` between ``i_out`` and ``i_in``."""
    a, b = t_abs[i_out], t_abs[i_in]
    f = (thr - a) / (b - a) if b != a else 0.0
    return i_out + f * (i_in - i_out)


def _clusters(t: np.ndarray, thr: float, null_max: np.ndarray) -> tuple[Cluster, ...]:
    """Observed clusters, their interpolated ends and integrals, and their p values."""
    q = t.size
    scale = 100.0 / (q - 1)
    out = []
    for sgn in (1, -1):
        z = sgn * t
        for i0, i1 in _runs(z > thr):
            x0 = _crossing(z, i0, i0 - 1, thr) if i0 > 0 else float(i0)
            x1 = _crossing(z, i1, i1 + 1, thr) if i1 < q - 1 else float(i1)
            xs = np.concatenate(([x0], np.arange(i0, i1 + 1), [x1]))
            zs = np.concatenate(([thr if i0 > 0 else z[i0]], z[i0:i1 + 1],
                                 [thr if i1 < q - 1 else z[i1]])) - thr
            integral = float(trapezoid(zs, xs)) if x1 > x0 else float(z[i0] - thr)
            p = _permutation_p(null_max, integral)
            out.append(Cluster(x0 * scale, x1 * scale, sgn, integral, p))
    return tuple(sorted(out, key=lambda c: c.start_pct))


def _permutation_p(null: np.ndarray, observed: float) -> float:
    """Share of the permutation values at least ``observed``, never below ``1 / n_perm``.

    The observed labelling is one of the permutations, so no p is below one in their
    number (Phipson & Smyth 2010, *Stat Appl Genet Mol Biol* 9:39); values equal to the
    observed one up to rounding (1e-12 relative: the observed row's integral comes from
    other arithmetic than the observed cluster's) count as at least it.
    """
    hits = np.count_nonzero(null >= observed - 1e-12 * abs(observed))
    return max(hits, 1) / null.size


def _infer(design: str, t_all: np.ndarray, alpha: float, n_a: int, n_b: int,
           exact: bool) -> SPMResult:
    t_all = np.nan_to_num(t_all, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    t_obs = t_all[0]
    maxima = np.abs(t_all).max(axis=1)
    thr = float(np.percentile(maxima, 100 * (1 - alpha), method="linear"))
    # Only the permutations whose max |t| exceeds t* (about alpha of them) have a cluster.
    hot = maxima > thr
    null_max = np.zeros(t_all.shape[0])
    null_max[hot] = _max_integrals(t_all[hot], thr)
    p_min = float(np.mean(maxima >= np.abs(t_obs).max()))
    return SPMResult(design, t_obs, thr, alpha, n_a, n_b, t_all.shape[0], exact,
                     _clusters(t_obs, thr, null_max), p_min)


def _check(y: np.ndarray, name: str, n_min: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[0] < n_min or y.shape[1] < 2:
        raise ValueError(f"{name} must be (n_curves >= {n_min}, n_points >= 2), "
                         f"but got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError(f"{name} must be finite")
    return y


def spm_paired(a, b, alpha: float = 0.05, max_permutations: int = MAX_PERMUTATIONS,
               seed: int = 0) -> SPMResult:
    """Paired SPM{t} of curves ``a`` against ``b`` by sign-flip permutation.

    Parameters
    ----------
    a, b : array_like
        ``(n_subjects, n_points)`` each subject's mean curve of A and of B (same order).
    alpha : float
        Family-wise level over the curve.
    max_permutations : int
        Enumerate every sign pattern if ``2^n`` is at most this, else draw this many.
    seed : int
        Seed of the random patterns (unused when exact).

    Returns
    -------
    SPMResult
    """
    a, b = _check(a, "a", 3), _check(b, "b", 3)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, but got {a.shape} and {b.shape}")
    signs, exact = _seeded("flips", 0, a.shape[0], max_permutations, seed)
    return _infer(PAIRED, _t_one_sample(a - b, signs), alpha, a.shape[0], b.shape[0], exact)


def spm_two_sample(a, b, alpha: float = 0.05, max_permutations: int = MAX_PERMUTATIONS,
                   seed: int = 0) -> SPMResult:
    """Two-sample SPM{t} of curves ``a`` against ``b`` by label permutation.

    Parameters
    ----------
    a, b : array_like
        ``(n_a, n_points)`` and ``(n_b, n_points)`` curves (e.g. one subject's hinge and
        squat repetitions), independent samples.
    alpha : float
        Family-wise level over the curve.
    max_permutations : int
        Enumerate every labelling if there are at most this many, else draw this many.
    seed : int
        Seed of the random labellings (unused when exact).

    Returns
    -------
    SPMResult
    """
    a, b = _check(a, "a", 2), _check(b, "b", 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same number of points, but got "
                         f"{a.shape[1]} and {b.shape[1]}")
    y = np.concatenate((a, b))
    member, exact = _seeded("labels", a.shape[0], y.shape[0], max_permutations, seed)
    return _infer(TWO_SAMPLE, _t_two_sample(y, member), alpha, a.shape[0], b.shape[0], exact)


SPM_COLUMNS = (
    "design", "subject", "muscle", "side", "label", "a", "b", "n_a", "n_b", "unit", "alpha",
    "threshold", "n_permutations", "exact", "p_min", "cluster", "start_pct", "end_pct",
    "direction", "integral", "p",
)


def _channel_curves(metrics, per_rep: bool) -> dict:
    """``(muscle, side, label) -> {subject: {task: [curves (n, n_points)]}}``."""
    from emgkit.analysis.recompute import rep_curves

    out: dict = {}
    for sm in metrics:
        curves = rep_curves(sm) if per_rep else None
        for tm in sm.trials:
            task = tm.trial.task.name
            if task not in ("hinge", "squat") or tm.reps[0].method == "whole_trial":
                continue
            for j, c in enumerate(sm.session.montage.channels):
                y = curves[tm.trial.id][:, :, j] if per_rep else np.repeat(
                    tm.curve_mean[None, :, j], len(tm.reps), axis=0)
                d = out.setdefault((c.muscle, c.side, c.label or ""), {})
                d.setdefault(sm.session.subject, {}).setdefault(task, []).append(y)
    return out


def _rows(res: SPMResult, keys: dict) -> list[dict]:
    base = {**keys, "design": res.design, "n_a": res.n_a, "n_b": res.n_b, "alpha": res.alpha,
            "threshold": res.threshold, "n_permutations": res.n_permutations,
            "exact": res.exact, "p_min": res.p_min}
    if res.n_permutations * res.alpha < 1:
        return [{**base, "cluster": 0, "direction": (
            f"not tested: {res.n_permutations} permutations cannot give p < {res.alpha:g} "
            f"(at least {math.ceil(1 / res.alpha)} are needed)")}]
    if not res.clusters:
        return [{**base, "cluster": 0, "direction": "no supra-threshold cluster"}]
    return [{**base, "cluster": i + 1, "start_pct": c.start_pct, "end_pct": c.end_pct,
             "direction": f"{keys['a']} {'>' if c.sign > 0 else '<'} {keys['b']}",
             "integral": c.integral, "p": c.p} for i, c in enumerate(res.clusters)]


def spm_table(metrics, alpha: float = 0.05, max_permutations: int = MAX_PERMUTATIONS,
              seed: int = 0) -> pd.DataFrame:
    """Hinge against squat over the time-normalised curve, per channel: the clusters.

    Parameters
    ----------
    metrics : sequence of SessionMetrics
        Several subjects: each subject's mean curve per task (repetitions weighted
        equally over its trials and sessions), :func:`spm_paired` (three or more
        subjects with both tasks). One subject: its repetition curves
        (:func:`emgkit.analysis.recompute.rep_curves`), :func:`spm_two_sample`.
    alpha : float
        Family-wise level over the curve.
    max_permutations, seed : int
        As in :func:`spm_paired`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SPM_COLUMNS`: one row per cluster, or one row with
        ``cluster = 0`` for a channel tested without a cluster.
    """
    subjects = {sm.session.subject for sm in metrics}
    unit = next((sm.unit for sm in metrics), "")
    rows: list[dict] = []
    for (muscle, side, label), per in _channel_curves(metrics, len(subjects) == 1).items():
        keys = {"muscle": muscle, "side": side, "label": label, "a": "hinge", "b": "squat",
                "unit": unit}
        both = {s: v for s, v in per.items() if "hinge" in v and "squat" in v}
        if len(subjects) == 1 and both:
            (subj, v), = both.items()
            a, b = np.concatenate(v["hinge"]), np.concatenate(v["squat"])
            if min(len(a), len(b)) >= 2:
                rows += _rows(spm_two_sample(a, b, alpha, max_permutations, seed),
                              {**keys, "subject": subj})
        elif len(both) >= 3:
            a = np.stack([np.concatenate(v["hinge"]).mean(axis=0) for v in both.values()])
            b = np.stack([np.concatenate(v["squat"]).mean(axis=0) for v in both.values()])
            rows += _rows(spm_paired(a, b, alpha, max_permutations, seed),
                          {**keys, "subject": "all"})
    return pd.DataFrame(rows, columns=list(SPM_COLUMNS))


__all__ = [
    "MAX_PERMUTATIONS",
    "PAIRED",
    "SPM_COLUMNS",
    "TWO_SAMPLE",
    "Cluster",
    "SPMResult",
    "spm_paired",
    "spm_table",
    "spm_two_sample",
]
