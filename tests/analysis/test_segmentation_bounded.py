"""Envelope segmentation in memory that does not grow with the trial: HEAD's numbers."""

import tracemalloc
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

import emgkit.analysis.segmentation as sg
from emgkit.core import process_trial_emg
from emgkit.core.onset import _runs
from emgkit.model.config import SegmentationConfig
from emgkit.simulate import LabProtocol, default_montage, simulate_session

TRIAL = SimpleNamespace(id="t", task=SimpleNamespace(name="hinge"), fs_hz=100.0)


def _old_scaled_sum(envelope, cols):
    """scaled_sum before the blocks (the reference, as committed)."""
    n = envelope.shape[0]
    detect = np.zeros(n)
    for j in cols:
        e = np.array(envelope[:, j], dtype=np.float64)
        scale = float(np.percentile(e, 95, overwrite_input=True))
        del e
        for a in range(0, n, 1 << 20):
            e = np.array(envelope[a : a + (1 << 20), j], dtype=np.float64)
            e /= scale if scale > 0 else 1.0
            detect[a : a + (1 << 20)] += e
    return detect


def _old_threshold_segments(signal, fs_hz, config):
    """threshold_segments before the blocks (the reference, as committed)."""
    s = np.asarray(signal, dtype=np.float64)
    base = float(np.percentile(s, 5))
    span = float(np.max(s)) - base
    if not np.isfinite(span) or span <= 0:
        return np.zeros((0, 2), np.int64)
    runs = _runs(s > base + config.threshold_fraction * span)
    gap = round(config.min_gap_s * fs_hz)
    if len(runs) > 1 and gap > 0:
        keep = np.concatenate(([True], runs[1:, 0] - runs[:-1, 1] >= gap))
        runs = np.column_stack((runs[keep, 0], runs[np.concatenate((keep[1:], [True])), 1]))
    runs = runs[(runs[:, 1] - runs[:, 0]) >= max(1, round(config.min_duration_s * fs_hz))]
    if len(runs) == 0:
        return runs
    low = _runs(s > base + config.edge_fraction * span)
    k = np.searchsorted(low[:, 0], runs[:, 0], side="right") - 1
    starts, ends = low[k, 0], low[k, 1]
    mids = (runs[1:, 0] + runs[:-1, 1]) // 2
    starts = np.maximum(starts, np.concatenate(([0], mids)))
    ends = np.minimum(ends, np.concatenate((mids, [s.size])))
    out = np.column_stack((starts, ends)).astype(np.int64)
    if config.boundaries == "cycles":
        out = np.column_stack((out[:-1, 0], out[1:, 0]))
    return out


def _old_try_envelope(envelope, cols, fs_hz, cfg):
    detect = _old_scaled_sum(envelope, cols)
    detect /= len(cols)
    return detect, _old_threshold_segments(detect, fs_hz, cfg)


def _detect(envelope, cols):
    return np.concatenate([x.copy() for x in sg.detection_blocks(envelope, cols)()])


def _bits(x):
    return np.asarray(x, np.float64).view(np.uint64)


def _simulated_envelopes():
    m = default_montage("cyton")
    regions = [m.muscle(c.muscle).region for c in m.channels]
    for fs, seed in ((250.0, 0), (1000.0, 1)):
        session, _ = simulate_session(m, fs, seed=seed, protocol=LabProtocol(rest_s=5.0))
        for t in session.trials:
            if t.task.name in ("hinge", "squat"):
                yield t, process_trial_emg(t.emg_uv, fs, regions, mains_hz=50.0)


@pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")
@pytest.mark.parametrize("boundaries", ["bursts", "cycles"])
def test_simulated_trials_give_heads_signal_and_repetitions(monkeypatch, tmp_path, boundaries):
    m = default_montage("cyton")
    cfg = SegmentationConfig(boundaries=boundaries)
    n_trials = 0
    with h5py.File(tmp_path / "scratch.h5", "w") as f:
        for k, (trial, env) in enumerate(_simulated_envelopes()):
            cols = sg.prime_mover_columns(m, trial.task.name, cfg)
            ds = f.create_dataset(str(k), data=env.astype(np.float32), chunks=(4096, 1))
            for e in (env, env.astype(np.float64), ds):
                want_detect, want = _old_try_envelope(e, cols, trial.fs_hz, cfg)
                for block in (1 << 20, 4096, 1001, 97):
                    monkeypatch.setattr(sg, "DETECT_BLOCK_SAMPLES", block)
                    np.testing.assert_array_equal(_bits(_detect(e, cols)), _bits(want_detect))
                    reps, _ = sg._try_envelope(trial, m, e, cfg)
                    assert reps.dtype == np.int64
                    np.testing.assert_array_equal(reps, want)
                    np.testing.assert_array_equal(
                        sg.threshold_segments(want_detect, trial.fs_hz, cfg), want)
            assert len(want) >= 2
            n_trials += 1
    assert n_trials == 4


def test_random_envelopes_and_signals_give_heads_numbers(monkeypatch):
    rng = np.random.default_rng(4)
    m = default_montage("cyton")
    cfg = SegmentationConfig()
    for n in (1, 2, 3, 499, 500, 501, 5000):
        env = np.abs(rng.standard_normal((n, 8))).astype(np.float32)
        env[:, 1] = 0.0  # a dead channel: no scale, divided by 1
        env[: n // 2, 2] *= 30
        env[rng.integers(n), 0] = -0.0
        want_detect, want = _old_try_envelope(env, [0, 1, 2], 100.0, cfg)  # hinge's
        for block in (1, 7, 500, 1 << 20):
            monkeypatch.setattr(sg, "DETECT_BLOCK_SAMPLES", block)
            if n < 1000 or block > 1:
                np.testing.assert_array_equal(_bits(_detect(env, [0, 1, 2])),
                                              _bits(want_detect))
                reps, _ = sg._try_envelope(TRIAL, m, env, cfg)
                assert reps.shape == want.shape
                np.testing.assert_array_equal(reps, want)


@pytest.mark.parametrize("boundaries", ["bursts", "cycles"])
def test_threshold_segments_of_signals_in_memory(monkeypatch, boundaries):
    monkeypatch.setattr(sg, "DETECT_BLOCK_SAMPLES", 777)  # most signals are long here
    cfg = SegmentationConfig(boundaries=boundaries)
    rng = np.random.default_rng(3)
    fs = 100.0
    t = np.arange(6000) / fs
    bursts = np.where((t % 5) < 3, np.sin(np.pi * (t % 5) / 3) ** 2, 0.0) * (t >= 5)
    signals = [bursts, bursts + 0.05 * rng.standard_normal(t.size), -bursts,
               np.abs(np.cumsum(rng.standard_normal(5000))), np.zeros(3000), np.ones(1),
               np.r_[bursts, np.nan], np.r_[bursts, np.inf], np.r_[-np.inf, bursts],
               np.round(bursts * 4) / 4, bursts[:700], (bursts > 0.5).astype(float)]
    with np.errstate(invalid="ignore"):  # numpy's percentile of inf values
        for s in signals:
            for edge in (0.05, 0.2):
                c = SegmentationConfig(boundaries=boundaries, edge_fraction=edge)
                np.testing.assert_array_equal(sg.threshold_segments(s, fs, c),
                                              _old_threshold_segments(s, fs, c))
    assert len(sg.threshold_segments(bursts, fs, cfg)) >= 10
    with pytest.raises(IndexError):  # numpy's, as before
        sg.threshold_segments(np.zeros(0), fs, cfg)


def _peak_of_try_envelope(tmp_path, n):
    fs = 2000.0
    with h5py.File(tmp_path / f"env{n}.h5", "w") as f:
        env = f.create_dataset("env", shape=(n, 3), dtype="<f4", chunks=(1 << 16, 1))
        step = 1 << 21
        for a in range(0, n, step):  # smooth bursts every 4 s, as after the low-pass
            t = np.arange(a, min(n, a + step)) / fs
            for j in range(3):
                env[a : a + t.size, j] = 5 + 20 * (1 + j) * np.sin(np.pi * (t % 4) / 4) ** 4
        trial = SimpleNamespace(id="t", task=SimpleNamespace(name="hinge"), fs_hz=fs)
        tracemalloc.start()
        try:
            reps, _ = sg._try_envelope(trial, default_montage("cyton"), env,
                                       SegmentationConfig())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert len(reps) == n // 8000
    return peak


def test_memory_does_not_grow_with_the_trial(tmp_path):
    small, large = (_peak_of_try_envelope(tmp_path, n) for n in (2_000_000, 8_000_000))
    # a block of the detection signal, of one channel in float64 and in float32 (20
    # bytes a sample of a block), a percentile's candidates (8) and its keys (~1 MB);
    # 17.7 bytes a sample of the trial before (141 MB at 8 M samples)
    assert large < 1.1 * small, (small, large)
    assert large < 40 * sg.DETECT_BLOCK_SAMPLES, large / sg.DETECT_BLOCK_SAMPLES
