"""MVC plausibility (issue 13): dead channels left out, implausible references marked.

Short simulated sessions at 250 Hz with protocol markers (repetitions from the markers,
so a channel's change cannot move another's repetitions); one channel is broken in a
known way and the others must come out exactly as in the intact session.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from emgkit.analysis.metrics import analyse_session
from emgkit.analysis.mvc_check import MIN_MVC_REST_RATIO, TASK_MAX_PCT_MVC
from emgkit.analysis.tables import metrics_table
from emgkit.core import LowSampleRateWarning
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

PROTOCOL = LabProtocol(rest_s=2.0, hinge=TrialSpec("hinge", n_reps=3, lead_s=1.0, tail_s=1.0),
                       squat=TrialSpec("squat", n_reps=3, lead_s=1.0, tail_s=1.0))
ST, BF, GM = 0, 1, 2  # semitendinosus, biceps femoris, gluteus maximus (cyton default)


def _analyse(session):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        return analyse_session(session)


def _with(session, change):
    """The session with ``change(task, emg)`` applied to a copy of every trial's EMG."""
    trials = []
    for t in session.trials:
        emg = np.array(t.emg_uv, copy=True)
        change(t.task.name, emg)
        trials.append(dataclasses.replace(t, emg_uv=emg))
    return dataclasses.replace(session, trials=trials)


@pytest.fixture(scope="module")
def intact():
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=3, protocol=PROTOCOL,
                            markers=True)
    return s, _analyse(s)


def _check(sm, j):
    return sm.checks[j]


def test_plausible_session_is_ok_everywhere(intact):
    _, sm = intact
    assert [c.check for c in sm.checks] == ["ok"] * len(sm.session.montage.channels)
    m = metrics_table([sm])
    assert set(m["mvc_check"]) == {"ok"} and m["interpretable"].all()


def test_dead_channel_left_out_the_rest_analysed(intact):
    s, ref = intact

    def kill(task, emg):
        emg[:, BF] = 0.0

    sm = _analyse(_with(s, kill))
    c = _check(sm, BF)
    assert c.check == "no_mvc_reference" and not c.interpretable
    assert "flat" in c.reason and np.isnan(sm.reference_uv[BF])
    assert sm.references[BF].trial is None
    others = [j for j in range(len(s.montage.channels)) if j != BF]
    np.testing.assert_allclose(sm.reference_uv[others], ref.reference_uv[others], rtol=1e-12)
    for tm, tm0 in zip(sm.trials, ref.trials):
        assert np.isnan(tm.mean[:, BF]).all()
        np.testing.assert_allclose(tm.mean[:, others], tm0.mean[:, others], rtol=1e-6)
    m = metrics_table([sm])
    bf = m[m.muscle == "biceps_femoris"]
    assert bf["mean_pct_mvc"].isna().all() and (bf["mvc_check"] == "no_mvc_reference").all()
    assert bf["mean_uv"].notna().all() and not bf["interpretable"].any()  # its µV stay
    assert (m[m.muscle != "biceps_femoris"]["mvc_check"] == "ok").all()


def test_dead_in_one_mvc_trial_takes_the_others(intact):
    s, ref = intact
    mvc_ids = [t.id for t in s.trials if t.task.name == "mvc"]
    src = ref.references[ST].trial
    trials = [dataclasses.replace(t, emg_uv=np.where(np.arange(t.emg_uv.shape[1]) == ST,
                                                     0.0, t.emg_uv).astype(np.float32))
              if t.id == src else t for t in s.trials]
    sm = _analyse(dataclasses.replace(s, trials=trials))
    assert sm.references[ST].trial in set(mvc_ids) - {src}
    assert sm.reference_uv[ST] < ref.reference_uv[ST]
    assert sm.checks[ST].check in ("ok", "task_above_150")


def test_submaximal_mvc_is_marked_task_above_150(intact):
    s, _ = intact

    def weak(task, emg):
        if task == "mvc":
            emg[:, ST] *= 0.15

    sm = _analyse(_with(s, weak))
    c = _check(sm, ST)
    assert c.check == "task_above_150" and not c.interpretable
    assert c.task_pct_mvc > TASK_MAX_PCT_MVC
    assert f"reached {c.task_pct_mvc:.0f} % MVC" in c.reason
    assert "not maximal or the electrode moved" in c.reason
    hinge = next(tm for tm in sm.trials if tm.trial.task.name == "hinge")
    assert np.isfinite(hinge.mean[:, ST]).all()  # the numbers stay, marked
    assert [x.check for j, x in enumerate(sm.checks) if j != ST] == \
        ["ok"] * (len(sm.checks) - 1)


def test_mvc_not_above_rest(intact):
    s, ref = intact
    c0 = _check(ref, BF)
    scale = 1.5 * c0.rest_uv / c0.reference_uv  # the envelope is linear in the signal

    def no_effort(task, emg):
        if task == "mvc":  # an MVC at 1.5 times the rest level: no effort on this muscle
            emg[:, BF] *= scale

    sm = _analyse(_with(s, no_effort))
    c = _check(sm, BF)
    assert c.check == "mvc_not_above_rest", c
    assert c.reference_uv == pytest.approx(1.5 * c.rest_uv, rel=1e-3)
    assert c.reference_uv < MIN_MVC_REST_RATIO * c.rest_uv
    assert "not above 2 times its rest level" in c.reason


def test_untargeted_reference_says_so_when_implausible():
    proto = dataclasses.replace(PROTOCOL, mvc_targets=("hamstrings",))
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=5, protocol=proto,
                            markers=True)
    sm = _analyse(s)
    assert any(f.kind == "mvc_reference" for f in sm.fallbacks)
    for c in sm.checks:
        if c.muscle in ("semitendinosus", "biceps_femoris"):
            assert c.check == "ok"
        elif c.check != "ok":
            assert "no MVC trial targets this muscle" in c.reason


def test_crosstalk_flags_both_channels_of_the_pair(intact):
    s, ref = intact

    def shared(task, emg):
        emg[:, ST] = 0.5 * emg[:, ST] + emg[:, BF]

    sm = _analyse(_with(s, shared))
    hinge = next(tm for tm in sm.trials if tm.trial.task.name == "hinge")
    assert "crosstalk" in hinge.qc_flags[ST] and "crosstalk" in hinge.qc_flags[BF]
    assert hinge.crosstalk is not None and max(hinge.crosstalk.r) >= 0.3
    for tm in ref.trials:  # the intact simulator's channels are independent
        assert not any("crosstalk" in f for f in tm.qc_flags)
