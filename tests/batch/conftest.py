"""Small simulated sessions for the batch tests."""

from __future__ import annotations

import pytest

from emgkit.io.writer import write_session
from emgkit.model.montage import parse_montage
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

TINY = LabProtocol(rest_s=1.0, mvc_targets=("hamstrings", "gluteals"),
                   hinge=TrialSpec("hinge", n_reps=2, lead_s=0.3, tail_s=0.3), squat_sets=0)


def tiny_montage():
    """Four channels of the simulator's Cyton montage."""
    d = default_montage("cyton").to_dict()
    d["channel"] = d["channel"][:4]
    return parse_montage(d, "<tiny>")


def make_sessions(folder, n, seed0=0):
    """Write ``n`` small simulated sessions (4 channels, 500 Hz, a few seconds) in
    two sub-folders."""
    montage = tiny_montage()
    paths = []
    for i in range(n):
        s, _ = simulate_session(montage, 500.0, seed=seed0 + i, protocol=TINY,
                                subject=f"P{i:02d}", between_s=0.5)
        p = folder / ("ab"[i % 2]) / f"s{i:02d}.h5"
        p.parent.mkdir(parents=True, exist_ok=True)
        write_session(p, s)
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def session_maker():
    """:func:`make_sessions`, for a test module's own set of sessions."""
    return make_sessions
