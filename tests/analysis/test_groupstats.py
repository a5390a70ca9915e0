"""group_statistics on simulated sessions: every table, what it says, and its parts."""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.analysis.groupstats import GROUP_TABLES, group_statistics
from emgkit.analysis.metrics import analyse_session
from emgkit.analysis.recompute import rep_curves
from emgkit.core import LowSampleRateWarning
from emgkit.simulate import LabProtocol, default_montage, simulate_session

#: Two MVC trials per target, so that the MVC reliability has trials to compare.
PROTOCOL = LabProtocol(rest_s=5.0, mvc_targets=("hamstrings", "hamstrings", "quadriceps",
                                                "quadriceps", "gluteals", "back_extensors",
                                                "abdominals"))


@pytest.fixture(scope="module")
def sessions():
    out = []
    for seed in range(3):
        s, _ = simulate_session(default_montage("cyton"), 250.0, seed=seed, markers=True,
                                subject=f"s{seed}", protocol=PROTOCOL)
        # Cyton's 250 Hz: the analysis says so (once per chain); any other warning fails.
        with pytest.warns(LowSampleRateWarning):
            out.append(analyse_session(s, name=f"s{seed}.h5"))
    return out


def test_repetition_curves_are_those_of_the_ensemble(sessions):
    sm = sessions[0]
    curves = rep_curves(sm)
    for tm in sm.trials:
        if tm.trial.id in curves:
            np.testing.assert_allclose(curves[tm.trial.id].mean(axis=0), tm.curve_mean,
                                       atol=1e-9)


def test_one_subject_every_table(sessions):
    # The re-analyses (curves, MVC trials, sensitivity) do not repeat the low-rate warning
    # the analysis of the same session gave: under pytest any warning here is an error.
    gs = group_statistics([sessions[0]])
    assert set(gs.tables) == set(GROUP_TABLES)
    assert gs.tables["mixed"].empty and "one subject" in gs.sentences[0]
    spm = gs.tables["spm"]
    assert set(spm["design"]) == {"two_sample"}
    st = spm[(spm["muscle"] == "semitendinosus") & (spm["p"] < 0.05)]
    assert (st["direction"] == "hinge > squat").any()
    rel = gs.tables["reliability"]
    mvc = rel[rel["kind"] == "mvc_trials"]
    assert set(mvc["muscle"]) >= {"semitendinosus", "biceps_femoris", "vastus_lateralis"}
    assert (mvc["n_trials"] == 2).all() and mvc["icc_2_1"].isna().all()
    sens = gs.tables["sensitivity"]
    assert set(sens["window_s"]) == {0.1, 0.25, 0.5}
    assert set(sens["mvc_reference"]) == {"peak", "plateau_mean"}
    vl = sens[sens["muscle"] == "vastus_lateralis"]
    assert vl["holds_under_all"].all() and set(vl["direction"]) == {"hinge < squat"}
    ctx = gs.tables["context"]
    zebis = ctx[ctx["source"].str.startswith("Zebis")].iloc[0]
    assert zebis["published_low"] == 17 and zebis["published_high"] == 22
    assert zebis["session_value"] > 0 and zebis["comparable"] == "yes"


def test_three_subjects_fall_back_and_say_so(sessions):
    gs = group_statistics(sessions, sensitivity=False)
    mixed = gs.tables["mixed"]
    assert mixed["method"].str.startswith("subject means").all()
    assert any("3 subjects (the mixed model needs 6)" in s for s in gs.sentences)
    spm = gs.tables["spm"]
    assert spm["direction"].str.startswith("not tested: 4 permutations").all()
    rel = gs.tables["reliability"]
    mvc = rel[rel["kind"] == "mvc_trials"]
    assert (mvc["n_subjects"] == 3).all() and mvc["icc_2_1"].notna().all()
