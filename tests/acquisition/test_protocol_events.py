"""Protocol markers follow the session format: rep_end is the repetition's last sample."""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.protocol import load_protocol, parse_protocol
from acquisition.setups import protocol_names
from emgkit.analysis.segmentation import segment_trial
from emgkit.model import Device, Events, Session, Trial
from emgkit.model.config import SegmentationConfig
from emgkit.simulate import default_montage


@pytest.mark.parametrize("name", protocol_names())
@pytest.mark.parametrize("fs_hz", [125.0, 250.0, 1000.0])
def test_rep_markers_never_overlap(name, fs_hz):
    for pt in load_protocol(name).trials:
        ev = pt.events(fs_hz)
        starts = [s for s, k, _ in ev if k == "rep_start"]
        ends = [s for s, k, _ in ev if k == "rep_end"]
        assert len(starts) == len(ends)
        for i, (a, b) in enumerate(zip(starts, ends)):
            assert a < b, (pt.title, i)
            if i + 1 < len(starts):
                assert b < starts[i + 1], (pt.title, i)
        n = round(pt.duration_s * fs_hz)
        assert all(0 <= s < n for s, _, _ in ev), pt.title


def test_protocol_markers_segment_every_repetition():
    """A set recorded with the runner's markers gives one repetition per planned rep."""
    fs_hz = 250.0
    pt = next(t for t in load_protocol("short").trials if t.task.name == "hinge")
    ev = pt.events(fs_hz)
    n = round(pt.duration_s * fs_hz)
    montage = default_montage("cyton")
    emg = np.random.default_rng(0).normal(0, 20, (n, len(montage.channels))).astype(np.float32)
    trial = Trial("t001", pt.task, fs_hz, emg,
                  events=Events([s for s, _, _ in ev], [k for _, k, _ in ev],
                                [lab for _, _, lab in ev]))
    session = Session("S1", Device("cyton", fs_hz), montage, [trial])
    reps = segment_trial(trial, session.montage, None, SegmentationConfig())
    n_planned = sum(1 for _, k, _ in ev if k == "rep_start")
    assert len(reps) == n_planned >= 2
    assert {r.method for r in reps} == {"markers"}


def test_the_tempo_s_phases_are_phase_events_at_the_cued_times():
    p = parse_protocol({"step": [{"task": "hinge", "reps": 2, "tempo_s": [2, 0.5, 1.5, 0],
                                  "lead_in_s": 1}]})
    phases = [(t, lab) for t, k, lab in p.trials[0].events_s if k == "phase"]
    # lowering at each start, bottom after 2 s, lifting after 2.5 s; top lasts 0 s: none
    assert phases == [(1.0, "lowering"), (3.0, "bottom"), (3.5, "lifting"),
                      (5.0, "lowering"), (7.0, "bottom"), (7.5, "lifting")]
