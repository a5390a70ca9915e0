"""Permutation SPM: against spm1d (when installed), exact enumeration, FPR and cluster span."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emgkit.analysis.spm import (
    _max_integrals,
    _seeded,
    _t_one_sample,
    _t_two_sample,
    spm_paired,
    spm_two_sample,
)
from tests.analysis._statsim import bench_stats, binomial_band


def _curves(seed: int, n: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = 3.0 * bench_stats._smooth_noise(rng, n, 101, 15.0)
    x = np.linspace(0, 1, 101)
    return noise + shift * np.exp(-0.5 * ((x - 0.5) / 0.1) ** 2)


def test_matches_spm1d_nonparametric():
    spm1d = pytest.importorskip(
        "spm1d", reason="spm1d (GPL-3, optional extra 'spm1d') is not installed: the "
        "validation against it is skipped")
    a, b = _curves(1, 10, shift=8.0), _curves(2, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = spm1d.stats.nonparam.ttest_paired(a, b).inference(
            0.05, two_tailed=True, iterations=-1)
        ref2 = spm1d.stats.nonparam.ttest2(a[:6], b[:6]).inference(
            0.05, two_tailed=True, iterations=-1)
    ours = spm_paired(a, b)
    np.testing.assert_allclose(ours.t, ref.z, atol=1e-10)
    assert ours.n_permutations == len(ref.PDF0)  # its distinct patterns
    assert ours.threshold == pytest.approx(ref.zstar, abs=1e-10)
    assert len(ours.clusters) == len(ref.clusters) >= 1
    for c, r in zip(ours.clusters, ref.clusters):
        np.testing.assert_allclose((c.start_pct, c.end_pct), r.endpoints, atol=1e-6)
        # spm1d integrates the interpolated ends at unit spacing and builds its
        # cluster distribution slightly differently: p agrees to a few permutations.
        assert abs(c.p - r.P) <= 0.02
    two = spm_two_sample(a[:6], b[:6])
    np.testing.assert_allclose(two.t, ref2.z, atol=1e-10)
    assert two.threshold == pytest.approx(ref2.zstar, abs=1e-10)
    assert two.n_permutations == len(ref2.PDF0)


def test_enumerates_when_few_and_samples_when_many():
    a, b = _curves(3, 5), _curves(4, 5)
    r = spm_paired(a, b)
    assert r.exact and r.n_permutations == 2**4
    r = spm_two_sample(a, b[:4])
    assert r.exact and r.n_permutations == 126
    r = spm_paired(_curves(5, 16), _curves(6, 16), max_permutations=500, seed=1)
    assert not r.exact and r.n_permutations == 500


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        spm_paired(np.zeros((4, 101)), np.zeros((5, 101)))
    with pytest.raises(ValueError, match="finite"):
        spm_two_sample(np.full((3, 10), np.nan), np.zeros((3, 10)))


def test_family_wise_false_positive_rate_within_binomial_band():
    n, rng, hits = 300, np.random.default_rng(11), 0
    for _ in range(n):
        _, c = bench_stats.simulate_group(rng)
        r = spm_paired(c["hinge"].mean(axis=1), c["squat"].mean(axis=1))
        hits += any(cl.p < 0.05 for cl in r.clusters)
    lo, hi = binomial_band(0.05, n)
    assert lo <= hits / n <= hi


def test_cluster_covers_a_confined_difference():
    rng, ok = np.random.default_rng(12), 0
    for _ in range(20):
        _, c = bench_stats.simulate_group(rng, diff_rel=0.15, span=(30.0, 70.0))
        r = spm_paired(c["hinge"].mean(axis=1), c["squat"].mean(axis=1))
        sig = [cl for cl in r.clusters if cl.p < 0.05]
        assert sig and all(cl.sign == 1 for cl in sig)
        start, end = min(cl.start_pct for cl in sig), max(cl.end_pct for cl in sig)
        ok += abs(start - 30) <= 10 and abs(end - 70) <= 10
    assert ok >= 16


def test_cluster_p_is_never_below_one_permutation():
    # a difference larger than any relabelling gives: the observed labelling itself is
    # the only permutation with so large a cluster, so p is 1 / n_permutations, not 0
    rng = np.random.default_rng(1)
    a = rng.standard_normal((12, 101)) + 3.0
    b = rng.standard_normal((12, 101))
    r = spm_two_sample(a, b)
    assert r.clusters
    assert min(c.p for c in r.clusters) == 1 / r.n_permutations
    assert r.p_min == 1 / r.n_permutations


def test_t_by_blocks_of_permutations_is_the_formula_over_all_of_them():
    # 3000 labellings: several blocks, the last one partial; a flat start gives 0/0
    a, b = _curves(7, 30, shift=2.0), _curves(8, 9)
    a[:, :5] = b[:, :5] = 1.0
    y = np.concatenate((a, b))
    member = _seeded("labels", 30, 39, 3000, 0)[0].astype(np.float64)
    ma, mb = member @ y / 30, (1 - member) @ y / 9
    var = ((member @ y**2 - 30 * ma**2) + ((1 - member) @ y**2 - 9 * mb**2)) / 37
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ma - mb) / np.sqrt(var * (1 / 30 + 1 / 9))
    np.testing.assert_allclose(_t_two_sample(y, member), t, rtol=1e-10, atol=1e-12)

    d = a[:14] - b[:9].mean(axis=0)
    signs = _seeded("flips", 0, 14, 10000, 0)[0]  # 2^13 patterns, enumerated
    m = signs @ d / 14
    with np.errstate(divide="ignore", invalid="ignore"):
        t = m / np.sqrt((d**2).sum(axis=0) - 14 * m**2) * np.sqrt(14 * 13)
    np.testing.assert_allclose(_t_one_sample(d, signs), t, rtol=1e-10, atol=1e-12)


def test_null_cluster_integrals_come_only_from_rows_above_threshold():
    # the null distribution is built from the permutations whose max |t| exceeds t*
    t = 2.0 * np.random.default_rng(3).standard_normal((700, 101))
    hot = np.abs(t).max(axis=1) > 6.0
    assert 0 < hot.sum() < len(t)
    every = _max_integrals(t, 6.0)
    assert not every[~hot].any()
    np.testing.assert_array_equal(_max_integrals(t[hot], 6.0), every[hot])
