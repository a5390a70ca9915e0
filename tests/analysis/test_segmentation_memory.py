"""Envelope segmentation in less memory: the detection signal and repetitions of before.

(tests/analysis/test_segmentation_bounded.py compares with the code as it was, bit for bit.)
"""

import tracemalloc
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

import emgkit.analysis.segmentation as sg
from emgkit.core import process_trial_emg
from emgkit.model.config import SegmentationConfig
from emgkit.simulate import LabProtocol, default_montage, simulate_session


def _old_detect(envelope, cols):
    """The detection signal of _try_envelope before blocks (the reference)."""
    detect = np.zeros(envelope.shape[0])
    for j in cols:
        e = np.array(envelope[:, j], dtype=np.float64)
        scale = float(np.percentile(e, 95))
        e /= scale if scale > 0 else 1.0
        detect += e
    return detect / len(cols)


def _detect(envelope, cols):
    """The detection signal, its blocks put together."""
    return np.concatenate([x.copy() for x in sg.detection_blocks(envelope, cols)()])


def _simulated_envelopes():
    m = default_montage("cyton")
    regions = [m.muscle(c.muscle).region for c in m.channels]
    for fs, seed in ((250.0, 0), (1000.0, 1)):
        session, _ = simulate_session(m, fs, seed=seed, protocol=LabProtocol(rest_s=5.0))
        for t in session.trials:
            if t.task.name in ("hinge", "squat"):
                yield t, process_trial_emg(t.emg_uv, fs, regions, mains_hz=50.0)


@pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")
def test_envelope_segmentation_gives_the_repetitions_of_before(monkeypatch, tmp_path):
    m = default_montage("cyton")
    cfg = SegmentationConfig()
    f = h5py.File(tmp_path / "scratch.h5", "w")
    n_trials = 0
    for k, (trial, env) in enumerate(_simulated_envelopes()):
        cols = sg.prime_mover_columns(m, trial.task.name, cfg)
        want_detect = _old_detect(env, cols)
        want = sg.threshold_segments(want_detect, trial.fs_hz, cfg)
        ds = f.create_dataset(str(k), data=env.astype(np.float32), chunks=(4096, 1))
        for block in (1 << 20, 1001, 4096):
            monkeypatch.setattr(sg, "DETECT_BLOCK_SAMPLES", block)
            for e in (env, env.astype(np.float64), ds):
                np.testing.assert_array_equal(_detect(e, cols), _old_detect(e, cols))
                reps, _ = sg._try_envelope(trial, m, e, cfg)
                np.testing.assert_array_equal(reps, want)
        assert len(want) >= 3
        n_trials += 1
    f.close()
    assert n_trials == 4


def test_random_envelopes_give_the_detection_signal_of_before(monkeypatch):
    monkeypatch.setattr(sg, "DETECT_BLOCK_SAMPLES", 500)
    rng = np.random.default_rng(4)
    trial = SimpleNamespace(id="t", task=SimpleNamespace(name="hinge"), fs_hz=100.0)
    m = default_montage("cyton")
    for n in (1, 2, 3, 499, 500, 501, 5000):
        env = np.abs(rng.standard_normal((n, 8))).astype(np.float32)
        env[:, 1] = 0.0  # a dead channel: no scale, divided by 1
        env[: n // 2, 2] *= 30
        want = _old_detect(env, [0, 1, 2])
        np.testing.assert_array_equal(_detect(env, [0, 1, 2]), want)
        reps, _ = sg._try_envelope(trial, m, env, SegmentationConfig())
        np.testing.assert_array_equal(
            reps, sg.threshold_segments(want, 100.0, SegmentationConfig()))


def test_memory_is_a_few_blocks_of_the_detection_signal():
    n, fs = 4_000_000, 2000.0
    t = np.arange(n) / fs
    env = np.empty((n, 3), np.float32)  # smooth bursts every 4 s, as after the low-pass
    for j in range(3):
        env[:, j] = 5 + 20 * (1 + j) * np.sin(np.pi * (t % 4) / 4) ** 4
    del t
    trial = SimpleNamespace(id="t", task=SimpleNamespace(name="hinge"), fs_hz=fs)
    tracemalloc.start()
    try:
        reps, _ = sg._try_envelope(trial, default_montage("cyton"), env, SegmentationConfig())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(reps) == 500
    # a block of the detection signal and of a channel (16 bytes a sample of a block),
    # a percentile's candidates (8) and keys: 29.9 bytes a sample of a block measured
    # (31 MB), whatever the trial's length; 17.7 bytes a sample of the trial before
    assert peak < 36 * sg.DETECT_BLOCK_SAMPLES, f"{peak / sg.DETECT_BLOCK_SAMPLES:.2f}"
