"""Movement phases inside repetitions: boundaries from phase events, triggers and markers."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from emgkit.analysis.files import analysis_tables
from emgkit.analysis.metrics import analyse_session
from emgkit.analysis.tables import PHASE_COLUMNS
from emgkit.core import LowSampleRateWarning
from emgkit.errors import ConfigError
from emgkit.model.config import ProcessingConfig, SegmentationConfig
from emgkit.model.session import Events
from emgkit.simulate import LabProtocol, default_montage, simulate_session


@pytest.fixture(scope="module")
def session():
    s, _ = simulate_session(default_montage("cyton"), 1000.0, seed=3, markers=True,
                            protocol=LabProtocol(rest_s=5.0))
    return s


def _with_events(session, add):
    """``session`` with ``add(trial) -> (samples, kinds, labels)`` events added to each
    hinge and squat trial."""
    trials = []
    for t in session.trials:
        if t.task.name in ("hinge", "squat"):
            s, k, lab = add(t)
            ev = t.events
            t = dataclasses.replace(t, events=Events(
                np.concatenate((ev.sample, s)), [*ev.kind, *k], [*ev.label, *lab]))
        trials.append(t)
    return dataclasses.replace(session, trials=tuple(trials))


def _reps(t):
    return t.events.of_kind("rep_start").sample, t.events.of_kind("rep_end").sample + 1


def _analyse(session, **seg):
    cfg = ProcessingConfig(segmentation=SegmentationConfig(**seg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        return analyse_session(session, cfg)


def _bottoms(t):
    starts, ends = _reps(t)
    return (starts + ends) // 2


def test_phases_partition_each_repetition(session):
    """One boundary at the bottom: lowering before it, lifting after; the phases' amplitudes
    add up to the repetition's exactly (mean weighted by samples, peak, integral)."""
    marked = _with_events(session, lambda t: (_bottoms(t), ["phase"] * len(_bottoms(t)),
                                              ["lifting"] * len(_bottoms(t))))
    sm = _analyse(marked)
    dynamic = [tm for tm in sm.trials if tm.trial.task.name in ("hinge", "squat")]
    assert dynamic and all(tm.phases is not None for tm in dynamic)
    assert all(tm.phases is None for tm in sm.trials if tm not in dynamic)
    for tm in dynamic:
        pm = tm.phases
        assert [p.name for p in pm.phases] == ["lowering", "lifting"] * len(tm.reps)
        assert [p.source for p in pm.phases[:2]] == ["repetition start", "phase events"]
        for i, r in enumerate(tm.reps):
            k = [j for j, p in enumerate(pm.phases) if p.rep == i]
            n = np.array([pm.phases[j].end - pm.phases[j].start for j in k], float)
            assert n.sum() == r.end - r.start
            mean = (pm.mean[k] * n[:, None]).sum(axis=0) / n.sum()
            np.testing.assert_allclose(mean, tm.mean[i], rtol=1e-9)
            np.testing.assert_allclose(pm.peak[k].max(axis=0), tm.peak[i], rtol=1e-12)
            np.testing.assert_allclose(pm.iemg_s[k].sum(axis=0), tm.iemg_s[i], rtol=1e-9)
            np.testing.assert_allclose(pm.peak_uv[k].max(axis=0), tm.peak_uv[i], rtol=1e-12)


def test_a_trigger_pin_marks_the_same_phases_as_phase_events(session):
    by_event = _analyse(_with_events(session, lambda t: (
        _bottoms(t), ["phase"] * len(_bottoms(t)), ["lifting"] * len(_bottoms(t)))))
    by_pin = _analyse(_with_events(session, lambda t: (
        _bottoms(t), ["marker"] * len(_bottoms(t)), ["12"] * len(_bottoms(t)))),
        phase_markers={"lifting": "12"})
    for a, b in zip(by_event.trials, by_pin.trials):
        if a.phases is None:
            assert b.phases is None
            continue
        assert [(p.name, p.start, p.end) for p in a.phases.phases] == \
            [(p.name, p.start, p.end) for p in b.phases.phases]
        assert b.phases.phases[1].source == "marker '12'"
        np.testing.assert_array_equal(a.phases.mean, b.phases.mean)


def test_trigger_pulses_bound_repetitions(session):
    """A button pressed at the start and at the end of each repetition (pin D11), or once
    per repetition and once after the last (cycles): the protocol's repetitions."""
    reps = {t.id: _reps(t) for t in session.trials}

    def pairs(t):
        starts, ends = reps[t.id]
        at = np.column_stack((starts, ends - 1)).ravel()
        return at, ["marker"] * at.size, ["11"] * at.size

    def cycles(t):
        starts, ends = reps[t.id]
        at = np.append(starts, ends[-1])
        return at, ["marker"] * at.size, ["11"] * at.size

    ref = _analyse(session)
    for add, boundaries in ((pairs, "bursts"), (cycles, "cycles")):
        # the protocol's own rep_start/rep_end events are removed: only the pin is left
        bare = _with_events(_without_reps(session), add)
        got = _analyse(bare, rep_marker="11", boundaries=boundaries)
        for a, b in zip(ref.trials, got.trials):
            if a.trial.task.name not in ("hinge", "squat"):
                continue
            assert {r.method for r in b.reps} == {"markers"}
            want = [(r.start, r.end) for r in a.reps]
            if boundaries == "cycles":  # each repetition runs to the next one's start
                want = [(s, e) for (s, _), (e, _) in zip(want, [*want[1:], (want[-1][1], 0)])]
            assert [(r.start, r.end) for r in b.reps] == want
            assert b.segmentation.attempts[0] == \
                f"markers: {len(want)} found from marker '11' events"


def _without_reps(session):
    trials = []
    for t in session.trials:
        ev = t.events
        keep = ~np.isin(ev.kind.astype(str), ["rep_start", "rep_end"])
        trials.append(dataclasses.replace(t, events=Events(
            ev.sample[keep], ev.kind[keep], ev.label[keep], ev.value[keep])))
    return dataclasses.replace(session, trials=tuple(trials))


def test_the_phases_table(session):
    marked = _with_events(session, lambda t: (_bottoms(t), ["phase"] * len(_bottoms(t)),
                                              ["lifting"] * len(_bottoms(t))))
    sm = _analyse(marked)
    tables = analysis_tables([sm])
    ph = tables["phases"]
    assert tuple(ph.columns) == PHASE_COLUMNS
    n_c = len(session.montage.channels)
    n_phases = sum(len(tm.phases.phases) for tm in sm.trials if tm.phases is not None)
    assert len(ph) == n_phases * n_c
    assert set(ph.phase) == {"lowering", "lifting"} and set(ph.task) == {"hinge", "squat"}
    np.testing.assert_allclose(ph.duration_s, ph.end_s - ph.start_s)
    assert ph.mean_pct_mvc.notna().all() and ph.rep.min() == 1
    assert "phases" not in analysis_tables([_analyse(session)])  # no phases, no table


@pytest.mark.parametrize("bad", [{"up": "1"}, {"lifting": 3}, {"lifting": ""}, "x"])
def test_phase_markers_are_checked(bad):
    with pytest.raises(ConfigError, match="phase_markers"):
        SegmentationConfig(phase_markers=bad)
