import numpy as np
import pytest

from emgkit.errors import ConfigError
from emgkit.simulate import (
    Artefacts,
    Clipping,
    LeadOff,
    PacketLoss,
    RailedChannel,
    TrialSpec,
    default_montage,
    simulate_trial,
)

M = default_montage("cyton")


def _sim(faults, fs_hz=250.0, **kw):
    return simulate_trial(M, fs_hz, TrialSpec("hinge", n_reps=3), seed=8, faults=faults, **kw)


def test_railed_channel_exactly_at_full_scale():
    trial, truth = _sim([RailedChannel(2), RailedChannel("erector_spinae_right", sign=-1,
                                                          start_s=2.0, duration_s=1.0)])
    fs = np.float32(187500.0)
    assert np.all(trial.emg_uv[:, 1] == fs)
    assert np.all(trial.emg_uv[500:750, 3] == -fs)
    assert not np.any(np.abs(trial.emg_uv[:, [0, 2, 4, 5, 6, 7]]) >= fs)
    assert not np.any(trial.emg_uv[:499, 3] == -fs) and not np.any(trial.emg_uv[751:, 3] == -fs)
    assert len(truth.faults) == 2


def test_lead_off_modes():
    trial, _ = _sim([LeadOff(1, mode="dc"), LeadOff(5, mode="flat")])
    np.testing.assert_allclose(trial.emg_uv[:, 0].mean(), 0.8 * 187500, rtol=1e-4)
    np.testing.assert_allclose(trial.emg_uv[:, 0].std(), 50.0, rtol=0.1)
    assert np.abs(trial.emg_uv[:, 4]).max() < 1.0


def test_clipping_limits_the_emg_around_the_offset():
    art = Artefacts(drift_uv=0.0)
    clean, _ = _sim([], artefacts=art)
    trial, _ = _sim([Clipping(1, limit_uv=100.0)], artefacts=art)
    dc = np.median(clean.emg_uv[:, 0])
    dev = np.abs(trial.emg_uv[:, 0] - dc)
    assert dev.max() < 110.0 < np.abs(clean.emg_uv[:, 0] - dc).max()
    assert np.sum(dev > 95.0) > 10  # the flat tops
    np.testing.assert_array_equal(trial.emg_uv[:, 1:], clean.emg_uv[:, 1:])


def test_saturation_at_full_scale():
    trial, _ = _sim([], artefacts=Artefacts(dc_offset_uv=(187_300.0, 187_400.0)))
    top = np.abs(trial.emg_uv).max(axis=0)
    np.testing.assert_array_equal(top, np.float32(187500.0))


@pytest.mark.parametrize("fs_hz", [250.0, 1000.0])
def test_packet_loss_truth_matches_what_was_dropped(fs_hz):
    clean, _ = _sim([], fs_hz)
    trial, truth = _sim([PacketLoss(n_gaps=4, max_missing=20)], fs_hz)
    lost = sum(g.n_missing for g in truth.gaps)
    assert len(truth.gaps) >= 1 and trial.n_samples == clean.n_samples - lost == truth.n_samples
    d = np.diff(trial.package_num.astype(int)) % 256
    at = np.flatnonzero(d != 1) + 1
    np.testing.assert_array_equal(at, [g.sample for g in truth.gaps])
    np.testing.assert_array_equal(d[at - 1] - 1, [g.n_missing for g in truth.gaps])
    gaps = trial.events.of_kind("gap")
    np.testing.assert_array_equal(gaps.sample, at)
    np.testing.assert_array_equal(gaps.value, [g.n_missing for g in truth.gaps])
    keep = np.ones(clean.n_samples, bool)
    for g in truth.gaps:
        keep[g.original_sample : g.original_sample + g.n_missing] = False
    np.testing.assert_array_equal(trial.emg_uv, clean.emg_uv[keep])


def test_explicit_gaps_and_rep_indices_follow_them():
    _, clean = _sim([])
    _, truth = _sim([PacketLoss(gaps=((0.5, 10), (3.0, 5)))])
    assert [(g.original_sample, g.n_missing) for g in truth.gaps] == [(125, 10), (750, 5)]
    assert truth.reps[-1].end == clean.reps[-1].end - 15


def test_bad_faults():
    with pytest.raises(ConfigError, match="channel"):
        _sim([RailedChannel(9)])
    with pytest.raises(ConfigError, match="channel"):
        _sim([LeadOff("soleus_left")])
    with pytest.raises(ConfigError, match="max_missing"):
        PacketLoss(max_missing=300)
    with pytest.raises(ConfigError, match="unknown fault"):
        _sim(["railed"])


@pytest.mark.parametrize(("board", "fs_hz"), [("ganglion", 200.0), ("cyton", 250.0)])
def test_clean_session_never_at_the_rail(board, fs_hz):
    from emgkit.simulate import simulate_session

    session, _ = simulate_session(default_montage(board), fs_hz, seed=2)
    fs = np.float32(session.device.full_scale_uv)
    assert fs < 20_000 if board == "ganglion" else fs == np.float32(187_500.0)
    for t in session.trials:
        top = np.abs(t.emg_uv).max(axis=0)
        assert np.all(top < 0.5 * fs), (t.id, top)


# --- the faults the quality benchmark injects (docs/quality.md) ---


def test_additive_faults_add_what_they_say():
    from emgkit.simulate.faults import BaselineWander, EcgPickup, MainsPickup, MotionArtefact

    clean, _ = _sim([], 1000.0)
    trial, _ = _sim([MainsPickup(1, amplitude_uv=100.0), BaselineWander(2, amplitude_uv=500.0),
                     EcgPickup(3, r_uv=800.0), MotionArtefact(5, amplitude_uv=1000.0)], 1000.0)
    d = trial.emg_uv.astype(np.float64) - clean.emg_uv
    f = np.fft.rfftfreq(len(d), 1e-3)
    assert f[np.argmax(np.abs(np.fft.rfft(d[:, 0])))] == pytest.approx(50.0, abs=0.2)
    # fundamental 100 uV and its 3rd harmonic at 30 %: RMS = 100 / sqrt(2) * sqrt(1.09)
    assert np.sqrt(np.mean(d[:, 0] ** 2)) == pytest.approx(100 / np.sqrt(2) * np.sqrt(1.09), 0.01)
    assert np.abs(d[:, 1]).max() == pytest.approx(500.0, rel=0.01)
    assert d[:, 2].max() == pytest.approx(800.0, rel=0.02)
    assert 500.0 < np.abs(d[:, 4]).max() <= 1000.0 * 1.5
    np.testing.assert_array_equal(d[:, [3, 5, 6, 7]], 0.0)


def test_corrupt_samples_and_crosstalk():
    from emgkit.simulate.faults import CorruptSamples, Crosstalk

    clean, _ = _sim([])
    trial, _ = _sim([CorruptSamples(3, n_samples=4), Crosstalk("semitendinosus_right",
                                                               source=2, gain=0.5)])
    changed = np.flatnonzero(trial.emg_uv[:, 2] != clean.emg_uv[:, 2])
    assert len(changed) == 4 and np.all(np.abs(trial.emg_uv[changed, 2]) <= 187500.0)
    # input 1 also carries half of input 2's signal, DC removed (crosstalk adds on top)
    leak = trial.emg_uv[:, 0].astype(np.float64) - clean.emg_uv[:, 0]
    dc2 = leak - 0.5 * clean.emg_uv[:, 1].astype(np.float64)
    assert np.ptp(dc2) < 1.0  # a constant: -0.5 x the DC offset of input 2
    with pytest.raises(ConfigError, match="n_samples"):
        CorruptSamples(1, n_samples=0)
    with pytest.raises(ConfigError, match="channel"):
        _sim([Crosstalk(1, source=42)])


@pytest.mark.parametrize("block", [1, 37, 1000])
def test_event_faults_are_the_same_in_any_block_size(block):
    from emgkit.simulate import SessionStream, simulate_session
    from emgkit.simulate.faults import CorruptSamples, EcgPickup, MotionArtefact

    faults = {0: [MotionArtefact(2), EcgPickup(7), CorruptSamples(3, n_samples=5)]}
    protocol = [TrialSpec("hinge", n_reps=1)]
    session, _ = simulate_session(M, 250.0, seed=4, protocol=protocol, faults=faults)
    stream = SessionStream(M, 250.0, seed=4, protocol=protocol, faults=faults)
    rows = [b.emg_uv[lo:hi] for b in stream.blocks(block) for lo, hi, tid in b.segments
            if tid == "t001"]
    np.testing.assert_array_equal(np.concatenate(rows), session.trials[0].emg_uv)
