"""A clean simulated session raises no quality flag; injected faults raise exactly theirs.

Guards the simulator's resting baseline (tone, amplifier noise, mains and ECG pickup of a
good set-up) against the thresholds of :class:`~emgkit.model.config.QualityConfig`, as
the viewer's review mode and ``emgkit check`` show them.
"""

from __future__ import annotations

import pytest

from emgkit.analysis.quality import session_quality
from emgkit.io.reader import SessionFile
from emgkit.io.writer import write_session
from emgkit.simulate import (
    LabProtocol,
    LeadOff,
    RailedChannel,
    default_montage,
    simulate_session,
)


def _flags(tmp_path, fs_hz, seed, faults=None):
    session, _ = simulate_session(default_montage("cyton"), fs_hz, seed=seed, markers=True,
                                  faults=faults)
    path = tmp_path / f"s{int(fs_hz)}_{seed}.h5"
    write_session(path, session)
    with SessionFile(path) as sf:
        return {tq.trial: tq.flagged() for tq in session_quality(sf)}, session


@pytest.mark.parametrize("fs_hz", [250.0, 1000.0])
@pytest.mark.parametrize("seed", [0, 3])
def test_clean_session_has_no_flags(tmp_path, fs_hz, seed):
    flags, session = _flags(tmp_path, fs_hz, seed)
    assert len(flags) == len(session.trials)
    assert {t: f for t, f in flags.items() if f} == {}


@pytest.mark.parametrize("fs_hz", [250.0, 1000.0])
def test_injected_faults_are_the_only_flags(tmp_path, fs_hz):
    # Every trial but the rest (the baseline): input 2 railed, rectus femoris lead-off.
    n_trials = len(LabProtocol().trials(default_montage("cyton")))
    fault = [RailedChannel(2), LeadOff("rectus_femoris_right", mode="dc")]
    flags, session = _flags(tmp_path, fs_hz, 3, faults={i: fault for i in range(1, n_trials)})
    assert session.trials[0].task.name == "rest" and flags.pop("t001") == {}
    # A railed input is constant: its band-passed RMS is 0, so its SNR is -inf dB as well.
    expected = {session.montage.names[1]: ("railed", "low_snr"),
                "rectus_femoris_right": ("lead_off",)}
    assert flags == {t.id: expected for t in session.trials[1:]}
