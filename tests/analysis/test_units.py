"""Unit tests: statistics, segmentation helpers, indices, reference options, config."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from emgkit.analysis.indices import side_indices
from emgkit.analysis.segmentation import (
    Repetition,
    ensemble,
    prime_mover_columns,
    segment_trial,
    threshold_segments,
    time_normalise,
)
from emgkit.analysis.stats import PAIRED_T, WILCOXON, holm, paired_compare
from emgkit.core.normalise import plateau_reference, select_reference
from emgkit.errors import AnalysisError, ConfigError
from emgkit.model.config import NormalisationConfig, ProcessingConfig, SegmentationConfig
from emgkit.model.montage import Channel, Montage
from emgkit.model.session import Events, Trial
from emgkit.model.tasks import parse_task


def _montage(*specs):
    return Montage("m", tuple(Channel(i + 1, m, s) for i, (m, s) in enumerate(specs)))


# -- statistics ---------------------------------------------------------------------------
def test_paired_t_matches_scipy_and_ci(rng):
    a = rng.normal(10, 1, 12)
    b = a - 1 + rng.normal(0, 0.3, 12)
    r = paired_compare(a, b)
    assert r.test == PAIRED_T and r.n == 12
    ref = stats.ttest_rel(a, b)
    assert r.p == pytest.approx(ref.pvalue) and r.statistic == pytest.approx(ref.statistic)
    d = a - b
    half = stats.t.ppf(0.975, 11) * d.std(ddof=1) / np.sqrt(12)
    assert (r.ci_low, r.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    j = 1 - 3 / (4 * 11 - 1)
    g = d.mean() / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) * j
    assert r.hedges_g == pytest.approx(g)


def test_wilcoxon_when_differences_are_not_normal():
    a = np.array([1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 9.0, 1.02, 0.98])
    b = np.zeros(10)
    r = paired_compare(a, b)
    assert r.normality_p < 0.05 and r.test == WILCOXON
    assert r.p == pytest.approx(stats.wilcoxon(a, b).pvalue)


def test_small_samples():
    assert paired_compare([1.0, 2.0], [0.0, 1.0]).test.startswith("none")
    assert np.isnan(paired_compare([1.0], [0.0]).ci_low)
    assert paired_compare([1.0, np.nan, 2, 3], [0.0, 1, 1.5, 2.1]).n == 3
    # 5 pairs: an exact Wilcoxon could not reach 0.05, the t-test is kept
    r = paired_compare([1.0, 1.01, 1.0, 1.02, 3.0], [0, 0, 0, 0, 0])
    assert r.normality_p < 0.05 and r.test == PAIRED_T


def test_holm():
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.005])
    out = holm(p)
    assert np.isnan(out[2])
    np.testing.assert_allclose(out[[4, 0, 3, 1]], [0.02, 0.03, 0.06, 0.06])


# -- segmentation -------------------------------------------------------------------------
def _trial(n=1000, fs=100.0, events=None, accel=None, task="hinge"):
    return Trial("t001", parse_task(task), fs, np.zeros((n, 1), np.float32), accel_g=accel,
                 events=events or Events())


def test_markers_pair_start_and_end():
    ev = Events([100, 199, 300, 420], ["rep_start", "rep_end", "rep_start", "rep_end"])
    reps = segment_trial(_trial(events=ev), _montage(("semitendinosus", "left")), None)
    assert [(r.start, r.end, r.method) for r in reps] == [(100, 200, "markers"),
                                                          (300, 421, "markers")]


def test_explicit_methods_fail_clearly():
    m = _montage(("semitendinosus", "left"))
    with pytest.raises(AnalysisError, match="markers"):
        segment_trial(_trial(), m, None, SegmentationConfig(method="markers"))
    with pytest.raises(AnalysisError, match="accelerometer"):
        segment_trial(_trial(), m, None, SegmentationConfig(method="accel"))
    assert segment_trial(_trial(task="mvc"), m, None)[0].method == "whole_trial"


def test_envelope_bursts_and_cycles():
    fs = 100.0
    t = np.arange(3000) / fs
    s = np.where((t % 5) < 3, np.sin(np.pi * (t % 5) / 3) ** 2, 0.0) * (t >= 5)
    reps = threshold_segments(s, fs, SegmentationConfig())
    starts = np.arange(5, 30, 5) * fs
    assert len(reps) == len(starts)
    assert np.all(np.abs(reps[:, 0] - starts) <= 0.1 * 300)
    cyc = threshold_segments(s, fs, SegmentationConfig(boundaries="cycles"))
    assert len(cyc) == len(starts) - 1 and np.all(cyc[:-1, 1] == cyc[1:, 0])


def test_prime_movers_default_and_override():
    m = _montage(("semitendinosus", "right"), ("vastus_lateralis", "right"),
                 ("gluteus_maximus", "right"))
    cfg = SegmentationConfig()
    assert prime_mover_columns(m, "hinge", cfg) == [0, 2]
    assert prime_mover_columns(m, "squat", cfg) == [1]
    assert prime_mover_columns(m, "other:walk", cfg) == [0, 1, 2]
    cfg = SegmentationConfig(prime_movers={"other:walk": ["quadriceps"]})
    assert prime_mover_columns(m, "other:walk", cfg) == [1]


def test_time_normalise_and_ensemble():
    x = np.arange(100, dtype=float)[:, None] * [1.0, 2.0]
    reps = [Repetition(0, 51, "markers"), Repetition(50, 100, "markers")]
    c = time_normalise(x, reps, 101)
    assert c.shape == (2, 101, 2)
    np.testing.assert_allclose(c[0, :, 0], np.linspace(0, 50, 101))
    np.testing.assert_allclose(c[1, [0, -1], 1], [100, 198])
    mean, sd = ensemble(c)
    np.testing.assert_allclose(mean[:, 0], np.linspace(25, 74.5, 101))
    assert sd.shape == (101, 2) and np.isnan(ensemble(c[:1])[1]).all()


# -- indices ------------------------------------------------------------------------------
def test_side_indices():
    m = _montage(("semitendinosus", "left"), ("semimembranosus", "left"),
                 ("biceps_femoris", "left"), ("gluteus_maximus", "left"),
                 ("erector_spinae", "left"), ("rectus_abdominis", "left"),
                 ("vastus_lateralis", "left"), ("semitendinosus", "right"))
    mean = np.array([[50.0, 40.0, 30.0, 20.0, 35.0, 7.0, 10.0, 99.0]])
    idx = side_indices(mean, m)
    ham = (50 + 40 + 30) / 3
    assert idx[("left", "medial_lateral_hamstrings")] == pytest.approx([45 / 30])
    assert idx[("left", "hamstrings_quadriceps")] == pytest.approx([ham / 10])
    assert idx[("left", "gluteus_maximus_hamstrings")] == pytest.approx([20 / ham])
    assert idx[("left", "low_back_dominance")] == pytest.approx([35 / ((20 + ham) / 2)])
    assert idx[("left", "abdominal_erector")] == pytest.approx([7 / 35])
    assert not any(side == "right" for side, _ in idx)  # no lateral hamstring on the right


# -- reference options and configuration ---------------------------------------------------
def test_plateau_reference_averages_the_sustained_part():
    fs = 100.0
    env = np.concatenate([np.zeros(100), np.linspace(0, 1, 100), np.ones(300),
                          np.linspace(1, 0, 100)])
    env = env + 0.3 * (np.arange(env.size) == 250)  # a noise spike on the plateau
    assert plateau_reference([env[:, None]], fs, 2.0)[0] == pytest.approx(1.0 + 0.3 / 200)
    cfg = NormalisationConfig()  # the default: the highest 1 s mean
    assert (cfg.mvc_reference, cfg.mvc_plateau_s) == ("plateau_mean", 1.0)
    with pytest.raises(ConfigError, match="fs_hz"):
        select_reference(cfg, [env[:, None]])
    assert select_reference(cfg, [env[:, None]], fs_hz=fs)[0] == pytest.approx(1.003)
    peak = NormalisationConfig(mvc_reference="peak")
    assert select_reference(peak, [env[:, None]])[0] == pytest.approx(1.3)


def test_config_round_trip_and_errors():
    cfg = ProcessingConfig.from_dict({
        "normalisation": {"mvc_reference": "plateau_mean", "mvc_plateau_s": 1.5},
        "segmentation": {"method": "envelope", "prime_movers": {"other:walk": ["soleus"]}},
    })
    assert cfg.segmentation.prime_movers_for("other:walk") == ("soleus",)
    assert ProcessingConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ConfigError, match="mvc_reference"):
        NormalisationConfig(mvc_reference="max")
    with pytest.raises(ConfigError, match="edge_fraction"):
        SegmentationConfig(threshold_fraction=0.1, edge_fraction=0.2)
    with pytest.raises(ConfigError, match="prime_movers"):
        SegmentationConfig(prime_movers={"hinge": "hamstrings"})
    with pytest.raises(ConfigError, match="allowed keys"):
        ProcessingConfig.from_dict({"segmentation": {"treshold": 0.2}})
