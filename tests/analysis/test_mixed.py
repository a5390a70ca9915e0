"""Mixed model: a known fixed effect recovered, the fallback said, FPR within the band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgkit.analysis.mixed import FALLBACK, MIXED, MIXED_COLUMNS, fit_task_effect, mixed_table
from tests.analysis._statsim import bench_stats, binomial_band


def _two_sessions(rng, diff: float) -> pd.DataFrame:
    rows = []
    for s in range(10):
        f = 1 + 0.1 * rng.standard_normal()
        for k in range(2):
            g = 1 + 0.05 * rng.standard_normal()
            for task, level, variant, load in (("hinge", 40 + diff, "rdl", 60.0),
                                               ("hinge", 40 + diff, "kb", 24.0),
                                               ("squat", 40, "back", 80.0)):
                for _ in range(4):
                    rows.append((f"s{s}", f"s{s}_{k}", task, variant, load,
                                 level * f * g * (1 + 0.06 * rng.standard_normal())))
    return pd.DataFrame(rows, columns=["subject", "session", "task", "variant", "load_kg",
                                       "value"])


def test_recovers_a_known_task_effect_with_sessions_and_variants():
    fit = fit_task_effect(_two_sessions(np.random.default_rng(0), diff=5.0))
    assert fit.method == MIXED and fit.note == ""
    assert fit.ci_low < 5.0 < fit.ci_high and abs(fit.estimate - 5.0) < 1.0
    assert fit.n_subjects == 10 and fit.n_sessions == 20 and fit.n_obs == 240
    assert np.isfinite(fit.var_session) and fit.var_subject > 0
    assert fit.fixed_effects == "hinge + v_hinge_0"  # loads are one per variant: no term


def test_too_few_subjects_falls_back_to_paired_subject_means_and_says_so():
    reps, _ = bench_stats.simulate_group(np.random.default_rng(1), n_subjects=4,
                                         diff_rel=0.075)
    fit = fit_task_effect(reps)
    assert fit.method.startswith(FALLBACK) and "4 subjects" in fit.note
    means = reps.groupby(["subject", "task"])["value"].mean().unstack()
    assert fit.estimate == np.float64((means["hinge"] - means["squat"]).mean())


def test_mixed_table_holm_across_channels_and_one_subject_gives_none():
    rng = np.random.default_rng(2)
    rows = []
    for muscle, diff in (("semitendinosus", 0.1), ("biceps_femoris", 0.0)):
        d = bench_stats.simulate_group(rng, diff_rel=diff)[0]
        d["mean_pct_mvc"] = d["value"]
        rows.append(d.assign(muscle=muscle, side="right", label="", rep_method="markers"))
    m = pd.concat(rows, ignore_index=True)
    t = mixed_table(m)
    assert list(t.columns) == list(MIXED_COLUMNS) and len(t) == 2
    assert (t["p_holm"] >= t["p"]).all()
    assert t.set_index("muscle").loc["semitendinosus", "p"] < 0.05
    assert mixed_table(m[m["subject"] == "s00"]).empty


def test_false_positive_rate_within_binomial_band():
    n, rng = 150, np.random.default_rng(3)
    hits = sum(fit_task_effect(bench_stats.simulate_group(rng)[0]).p < 0.05 for _ in range(n))
    lo, hi = binomial_band(0.05, n)
    assert lo <= hits / n <= hi


def test_a_group_without_squats_falls_back_without_failing():
    """Three subjects with hinge repetitions only (the squat missing): no test, no crash."""
    import pandas as pd

    from emgkit.analysis.mixed import fit_task_effect

    df = pd.DataFrame({"subject": ["S1", "S1", "S2", "S2", "S3", "S3"],
                       "session": ["a", "a", "b", "b", "c", "c"], "task": ["hinge"] * 6,
                       "variant": [""] * 6, "load_kg": [float("nan")] * 6,
                       "value": [40.0, 42.0, 38.0, 39.0, 45.0, 44.0]})
    fit = fit_task_effect(df, 0.05)
    assert fit.method == "subject means, paired by subject: none (n < 3)"
    assert fit.n_subjects == 0 and np.isnan(fit.estimate)
