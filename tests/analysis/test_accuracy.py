"""End-to-end recovery of the simulator's truth (issue 3 and 4 acceptance criteria).

Measured numbers, options and the reasons for each bound are in ``docs/methods.md``
(``python benchmarks/accuracy.py``, 5 seeds; these tests use seeds 0-2). "Recovered
within 10 %" is asserted on the systematic error (the mean signed error over the
repetitions of a sampling rate), which is what the method decides; a single repetition
also carries estimation noise (SD 5 % at 250 Hz, 3.5 % at 1 kHz for the mean) that even
the exact MVC level cannot remove (the oracle rows of the table), so its bounds are the
measured ones, named in each test.
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
SEEDS, RATES_HZ = (0, 1, 2), (250.0, 1000.0)  # as in conftest.py
CASES = [(fs, seed) for fs in RATES_HZ for seed in SEEDS]


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
def test_medial_lateral_ratio_within_10_percent(simulated, simulated_markers, fs_hz, seed):
    """Every session and task (measured max 8.6 % over 5 seeds)."""
    for runs in (simulated, simulated_markers):
        _, truth, sm = runs[(fs_hz, seed)]
        for task in ("hinge", "squat"):
            got, want = _medial_lateral(sm, truth, task)
            assert got == pytest.approx(want, rel=0.10)


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
        assert r["n_a"] == r["n_b"] == 5 and r["test"] == "Welch t"
        assert "independent samples" in r["pairing"]
    assert checked >= 4


def _pooled(runs, fs_hz):
    """Relative errors of every repetition's mean and peak (muscles >= 15 % MVC) and of
    each task's mean over its repetitions, pooled over the seeds of one sampling rate."""
    out = {"mean": [], "peak": [], "task_mean": [], "task_peak": []}
    for seed in SEEDS:
        _, truth, sm = runs[(fs_hz, seed)]
        for task in ("hinge", "squat"):
            m, p, tm, tp = _task(sm, truth, task)
            big, col = tm >= MIN_PCT, tm.mean(0) >= MIN_PCT
            out["mean"] += list((m / tm - 1)[big])
            out["peak"] += list((p / tp - 1)[big])
            out["task_mean"] += list((m.mean(0) / tm.mean(0) - 1)[col])
            out["task_peak"] += list((p.mean(0) / tp.mean(0) - 1)[col])
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize("fs_hz", RATES_HZ)
def test_mean_pct_mvc_within_10_percent(simulated, simulated_markers, fs_hz):
    """Issue 3: mean %MVC over a repetition within 10 % of the truth.

    Systematic error (5 seeds): -1.9 % at 250 Hz, +0.6 % at 1 kHz (repetitions from the
    accelerometer); -5.7 % and -3 % from the markers (the envelope's 250 ms window
    spreads each burst past the true edges). Spread of one repetition: SD 5.4 % and 3.5 %,
    max 17 % and 13 % (the exact MVC level leaves SD 4.7 %, max 18 % at 250 Hz); of a
    task's mean over 5 repetitions max 16 % and 9 %.
    """
    slow = fs_hz < 1000
    for runs in (simulated, simulated_markers):
        e = _pooled(runs, fs_hz)
        assert abs(e["mean"].mean()) <= 0.10
        assert e["mean"].std(ddof=1) <= (0.07 if slow else 0.05)
        assert np.abs(e["mean"]).max() <= (0.22 if slow else 0.15)
        assert np.abs(e["task_mean"]).max() <= (0.18 if slow else 0.11)


@pytest.mark.parametrize("fs_hz", RATES_HZ)
def test_peak_pct_mvc_within_20_percent(simulated, fs_hz):
    """Issue 3: peak %MVC within 20 %.

    Systematic error (5 seeds) +8.8 % at 250 Hz, +5.5 % at 1 kHz: a repetition's peak is
    the maximum of a noisy envelope. One repetition's peak: SD 9 % and 6 %, max 43 % and
    19 % (the exact MVC level: max 38 % at 250 Hz); a task's mean of peaks: max 24 % and
    15 %.
    """
    slow = fs_hz < 1000
    e = _pooled(simulated, fs_hz)
    assert abs(e["peak"].mean()) <= 0.20
    assert e["peak"].std(ddof=1) <= (0.11 if slow else 0.08)
    assert np.abs(e["task_peak"]).max() <= (0.27 if slow else 0.18)


def test_peak_reference_reads_low(simulated):
    """The single-maximum reference (``mvc_reference = "peak"``) sits above the plateau
    (by 18-25 %), so mean %MVC reads low (5 seeds: -16.5 % at 250 Hz, -11.6 % at 1 kHz)
    by a factor common to all of a channel's trials."""
    import dataclasses

    from emgkit.model.config import NormalisationConfig, ProcessingConfig

    cfg = dataclasses.replace(ProcessingConfig(),
                              normalisation=NormalisationConfig(mvc_reference="peak"))
    session, _, sm = simulated[(1000.0, 0)]
    peak = analyse_session(session, cfg)
    for a, b in zip(sm.trials, peak.trials):
        if a.trial.task.name in ("hinge", "squat"):
            ratio = b.mean / a.mean
            assert 0.75 < np.nanmedian(ratio) < 0.95
            np.testing.assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape), rtol=1e-6)


def test_markers_give_the_true_boundaries(simulated_markers):
    _, truth, sm = simulated_markers[(250.0, 0)]
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
