"""Comparisons across hinge variants and loads, and across subjects."""

from __future__ import annotations

import numpy as np

from emgkit.analysis import analyse_session, compare, comparisons_table
from emgkit.model.config import NormalisationConfig, ProcessingConfig
from emgkit.simulate import TrialSpec, default_montage, simulate_session

DYNAMIC = ProcessingConfig(normalisation=NormalisationConfig(method="peak_dynamic"))


def _hinges(seed, subject):
    specs = [TrialSpec("hinge", variant=v, load_kg=kg, n_reps=4, lead_s=1.0, tail_s=1.0)
             for v, kg in (("romanian_deadlift", 60.0), ("romanian_deadlift", 20.0),
                           ("kettlebell_deadlift", 24.0))]
    s, truth = simulate_session(default_montage("cyton"), 1000.0, seed=seed,
                                protocol=specs, subject=subject)
    return analyse_session(s, DYNAMIC, name=f"{subject}.h5"), truth


def test_variants_loads_and_subjects():
    metrics = [_hinges(seed, f"S{seed}")[0] for seed in (1, 2, 3)]
    df = comparisons_table(compare(metrics))
    kinds = set(zip(df.comparison, df.a, df.b))
    assert ("variant", "hinge/kettlebell_deadlift", "hinge/romanian_deadlift") in kinds
    assert ("load", "hinge/romanian_deadlift@20kg", "hinge/romanian_deadlift@60kg") in kinds
    assert "task" not in set(df.comparison)  # no squat here
    load = df[(df.comparison == "load") & (df.level == "reps") & (df.index_name == "")]
    # 20 kg against 60 kg: every hamstring and glute channel lower (load factor 0.70)
    assert (load["diff"] < 0).all() and (load.p < 0.05).all()
    assert set(load.measure) == {"mean_pct_peak"}
    subj = df[(df.level == "subjects") & (df.comparison == "load")]
    assert len(subj) and (subj.n == 3).all() and (subj.subject == "all").all()
    idx = df[(df.comparison == "variant") & (df.index_name != "")]
    assert {"medial_lateral_hamstrings", "gluteus_maximus_hamstrings"} <= set(idx.index_name)
    for fam in df.groupby(["level", "subject", "comparison", "a", "b", df.index_name == ""]):
        rows = fam[1]
        ok = rows.p.notna()
        assert np.all(rows.p_holm[ok] >= rows.p[ok] - 1e-15)
