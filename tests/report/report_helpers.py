"""Helpers of the report tests: sessions with hostile strings."""

from __future__ import annotations

import dataclasses

from emgkit.model.montage import parse_montage
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

HOSTILE = "<script>alert(1)</script>"
SHORT = LabProtocol(rest_s=2.0, hinge=TrialSpec("hinge", variant="romanian_deadlift",
                                                load_kg=60.0, n_reps=4, lead_s=1.0,
                                                tail_s=1.0),
                    squat=TrialSpec("squat", variant="back_squat", load_kg=80.0, n_reps=4,
                                    lead_s=1.0, tail_s=1.0))


def hostile_session(subject: str = "S01", seed: int = 1):
    """A simulated session whose montage name, placements and trial notes carry HTML."""
    base = default_montage("cyton")
    montage = parse_montage({
        "name": f"lab {HOSTILE} & \"montage\"", "board": "cyton",
        "channel": [{"number": c.number, "muscle": c.muscle, "side": c.side,
                     "placement": f"{c.placement} {HOSTILE}"} for c in base.channels]})
    session, truth = simulate_session(montage, 250.0, seed=seed, protocol=SHORT,
                                      subject=subject)
    trials = [dataclasses.replace(t, notes=f"{t.notes} {HOSTILE} <img src=x onerror=alert(2)>")
              for t in session.trials]
    return dataclasses.replace(session, trials=trials), truth
