"""Clean simulated sessions raise no quality flag; injected faults raise exactly theirs.

Guards the simulator's resting baseline (tone, amplifier noise, mains and ECG pickup of a
good set-up) against the thresholds of :class:`~emgkit.model.config.QualityConfig`, as
the viewer's review mode and ``emgkit check`` show them, and the Done-when targets of
``docs/quality.md`` on a small fixed set (the full calibration is
``benchmarks/bench_quality.py``). The live status line judges the same samples alike.
"""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.live import LiveQuality
from emgkit.analysis.quality import session_quality
from emgkit.core import filter_emg
from emgkit.core.quality import assess_crosstalk, assess_quality, hamstring_pairs
from emgkit.io.reader import SessionFile
from emgkit.io.writer import write_session
from emgkit.simulate import (
    Clipping,
    LabProtocol,
    LeadOff,
    RailedChannel,
    TrialSpec,
    default_montage,
    simulate_session,
    simulate_trial,
)
from emgkit.simulate.faults import (
    BaselineWander,
    CorruptSamples,
    Crosstalk,
    EcgPickup,
    MainsPickup,
    MotionArtefact,
)

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")
M = default_montage("cyton")
REGIONS = [M.muscle(c.muscle).region for c in M.channels]
RATES = (200.0, 250.0, 500.0, 1000.0, 2000.0)
SHORT = [TrialSpec("rest", duration_s=5.0), TrialSpec("mvc", target="hamstrings"),
         TrialSpec("hinge", n_reps=2), TrialSpec("squat", n_reps=2)]


def _flags(tmp_path, fs_hz, seed, faults=None):
    session, _ = simulate_session(M, fs_hz, seed=seed, markers=True, faults=faults)
    path = tmp_path / f"s{int(fs_hz)}_{seed}.h5"
    write_session(path, session)
    with SessionFile(path) as sf:
        return {tq.trial: tq.flagged() for tq in session_quality(sf)}, session


def _session_flags(fs, seed, protocol):
    """Flags of every channel-trial (rest as baseline, trunk band, crosstalk pairs)."""
    session, _ = simulate_session(M, fs, seed=seed, protocol=protocol)
    rest = session.trials[0].emg_uv
    out = {}
    for k, t in enumerate(session.trials):
        q = assess_quality(t.emg_uv, fs, mains_hz=50.0, rest_uv=None if k == 0 else rest,
                           regions=REGIONS)
        xt = assess_crosstalk(filter_emg(t.emg_uv, fs, REGIONS, mains_hz=50.0), fs,
                              hamstring_pairs(M))
        for j, (a, b) in enumerate(zip(q.flags, xt.channel_flags(8))):
            if a or b:
                out[(t.id, M.names[j])] = a + b
    return out


@pytest.mark.parametrize("fs_hz", RATES)
def test_done_when_no_flag_on_clean_short_sessions(fs_hz):
    for seed in (0, 1, 2):
        assert _session_flags(fs_hz, seed, SHORT) == {}, (fs_hz, seed)


@pytest.mark.parametrize("fs_hz", [250.0, 2000.0])
def test_done_when_no_flag_on_held_out_sessions(fs_hz):
    # seeds, variants, loads and styles the calibration never saw
    protocol = [TrialSpec("rest", duration_s=5.0), TrialSpec("mvc", target="back_extensors"),
                TrialSpec("hinge", variant="kettlebell_swing", load_kg=32, n_reps=4,
                          style="low_back"),
                TrialSpec("squat", variant="goblet_squat", load_kg=12, n_reps=2, fatigue=0.5)]
    assert _session_flags(fs_hz, 777, protocol) == {}


def _clip(clean, col):
    x = clean.emg_uv[:, col].astype(np.float64)
    return Clipping(col + 1, limit_uv=0.5 * float(np.max(np.abs(x - np.median(x)))))


def _crosstalk(clean, fs):
    y = filter_emg(clean.emg_uv, fs, "limb", mains_hz=50.0)
    rms = np.sqrt(np.mean(np.square(y[:, :2], dtype=np.float64), axis=0))
    return Crosstalk(1, source=2, gain=0.5 * float(rms[0] / rms[1]))


@pytest.mark.parametrize("fs_hz", [250.0, 1000.0])
def test_each_injected_fault_type_is_detected(fs_hz):
    spec = TrialSpec("hinge", n_reps=3)
    clean, _ = simulate_trial(M, fs_hz, spec, seed=5)
    groups = (
        {0: (_crosstalk(clean, fs_hz), "crosstalk"), 2: (LeadOff(3), "lead_off"),
         3: (RailedChannel(4), "railed"), 4: (MainsPickup(5), "mains"),
         5: (MotionArtefact(6), "motion"), 6: (EcgPickup(7), "ecg"),
         7: (CorruptSamples(8), "spikes")},
        {0: (LeadOff(1, mode="flat"), "flat"), 1: (_clip(clean, 1), "clipping"),
         2: (BaselineWander(3), "motion"), 7: (EcgPickup(8), "ecg")},
    )
    for group in groups:
        trial, _ = simulate_trial(M, fs_hz, spec, seed=5, faults=[f for f, _ in group.values()])
        q = assess_quality(trial.emg_uv, fs_hz, mains_hz=50.0, regions=REGIONS)
        xt = assess_crosstalk(filter_emg(trial.emg_uv, fs_hz, REGIONS, mains_hz=50.0), fs_hz,
                              hamstring_pairs(M))
        for col, (_, want) in group.items():
            got = q.flags[col] + xt.channel_flags(8)[col]
            assert want in got, (fs_hz, M.names[col], want, got)
            if want in ("railed", "flat", "lead_off"):
                assert got == (want,)  # one root cause, one flag
        clean_cols = [j for j in range(8) if j not in group and (j, 1) not in [(0, 1)]]
        assert all(q.flags[j] == () for j in clean_cols if j != 1 or 0 not in group)


@pytest.mark.parametrize("fs_hz", [250.0, 1000.0])
def test_clean_session_has_no_flags(tmp_path, fs_hz):
    flags, session = _flags(tmp_path, fs_hz, 3)
    assert len(flags) == len(session.trials)
    assert {t: f for t, f in flags.items() if f} == {}


def test_injected_faults_are_the_only_flags(tmp_path):
    # Every trial but the rest (the baseline): input 2 railed, rectus femoris lead-off.
    n_trials = len(LabProtocol().trials(M))
    fault = [RailedChannel(2), LeadOff("rectus_femoris_right", mode="dc")]
    flags, session = _flags(tmp_path, 250.0, 3, faults={i: fault for i in range(1, n_trials)})
    assert session.trials[0].task.name == "rest" and flags.pop("t001") == {}
    # One root cause, one flag: a railed input is not also low_snr.
    expected = {session.montage.names[1]: ("railed",), "rectus_femoris_right": ("lead_off",)}
    assert flags == {t.id: expected for t in session.trials[1:]}


@pytest.mark.parametrize("fs_hz", [250.0, 2000.0])
def test_live_and_offline_agree_on_the_same_samples(fs_hz):
    faults = [RailedChannel(2), LeadOff(3), LeadOff(5, mode="flat"), MainsPickup(7)]
    trial, _ = simulate_trial(M, fs_hz, TrialSpec("hinge", n_reps=2), seed=4, faults=faults)
    x = trial.emg_uv
    live = LiveQuality(fs_hz, 8, 187500.0, mains_hz=50.0, background=False)
    block = max(1, round(fs_hz / 60))  # what a board delivers at 60 blocks/s
    seen = []
    for i in range(0, len(x), block):
        live.update(x[i : i + block])
        if live.report is not None:
            seen.append(live.report.flags)
    rep = live.assess_now()
    want = assess_quality(x[-live.monitor.size :], fs_hz, mains_hz=50.0)
    assert rep.flags == want.flags
    np.testing.assert_array_equal(rep.spectral_flatness, want.spectral_flatness)
    # every window along the way flags the faulty channels as the whole trial does
    offline = assess_quality(x, fs_hz, mains_hz=50.0).flags
    assert len(seen) > 5
    for flags in seen:
        assert [flags[j] for j in (1, 2, 4, 6)] == [offline[j] for j in (1, 2, 4, 6)]
    assert live.labels()[1:7] == ["railed", "lead_off", "ok", "flat", "ok", "mains"]


def test_live_quality_in_a_worker_thread():
    fs = 250.0
    trial, _ = simulate_trial(M, fs, TrialSpec("hinge", n_reps=1), seed=6,
                              faults=[RailedChannel(3)])
    live = LiveQuality(fs, 8, 187500.0)
    for i in range(0, trial.n_samples, 25):
        live.update(trial.emg_uv[i : i + 25])
    rep = live.assess_now()
    assert rep.flags[2] == ("railed",) and live.labels()[2] == "railed"
    assert np.isfinite(live.rms_uv).all() and live.railed[2] == 1.0
