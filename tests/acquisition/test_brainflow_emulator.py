"""BrainFlow's real Cyton, Cyton+Daisy and WiFi drivers against the emulator."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from acq_helpers import BF_BOARDS, align, expected_gaps, montage_for, new_session, source_for

from acquisition.emulator import ACCEL_G_PER_COUNT, CYTON_UV_PER_COUNT, Faults, make_emulator
from acquisition.recorder import Recorder
from acquisition.sources.simulated import simulator_feed
from emgkit.io.reader import SessionFile
from emgkit.model import Task

RATES = {"cyton": 250, "cyton-daisy": 125, "cyton-wifi": 1000, "cyton-daisy-wifi": 1000}


@pytest.mark.parametrize("board", BF_BOARDS)
def test_recorded_uv_equal_what_the_emulator_sent(board, tmp_path):
    """The emulator is fed by the sEMG simulator, as in the demo."""
    path = tmp_path / "s.h5"
    montage = montage_for(board)
    with make_emulator(board, simulator_feed(board, seed=3)) as emu:
        src = source_for(emu, board, montage)
        assert src.info.fs_hz == RATES[board]
        new_session(path, board, src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            rec.begin_trial(Task("rest"), duration_s=1.2)
            time.sleep(0.5)
            rec.insert_marker(42)
            res = rec.wait_trial(10)
        log = emu.board.log()
        commands = list(emu.parser.commands)
    assert res.completed and res.n_samples == round(1.2 * RATES[board]) and res.n_gaps == 0
    # the OpenBCI EMG set-up (SRB2 off) was sent for every input of the montage
    for ch in ("x1060100X", "x8060100X"):
        assert ch in commands
    if board.startswith("cyton-daisy"):
        assert "xI060100X" in commands
    with SessionFile(path) as sf:
        assert sf.validate() == []
        t = sf.read_trial("t001")
    i0 = align(log, t.emg_uv[0], CYTON_UV_PER_COUNT)
    n = t.n_samples
    sent = log.counts[i0:i0 + n]
    # exact to BrainFlow's scaling: the integer counts come back, and µV = counts x scale
    np.testing.assert_array_equal(np.rint(t.emg_uv / CYTON_UV_PER_COUNT), sent)
    np.testing.assert_allclose(t.emg_uv, (sent * CYTON_UV_PER_COUNT).astype(np.float32),
                               rtol=1e-6, atol=0)
    np.testing.assert_array_equal(t.package_num, log.counter[i0:i0 + n])
    np.testing.assert_allclose(t.accel_g, log.expected_accel_g()[i0:i0 + n], atol=1e-6)
    assert np.abs(t.accel_g).max() > 0.5 * ACCEL_G_PER_COUNT * 1000
    markers = t.events.of_kind("marker")
    assert list(markers.label) == ["42"]
    # the board's rate, measured on the host clock
    ts = t.timestamps_s
    measured = (n - 1) / (ts[-1] - ts[0])
    assert measured == pytest.approx(RATES[board], rel=0.25)


@pytest.mark.parametrize("board", ["cyton", "cyton-wifi"])
def test_two_percent_dropped_packets_every_gap_counted(board, tmp_path):
    path = tmp_path / "s.h5"
    montage = montage_for(board)
    # the draws follow the host's read sizes, so the count in the trial's window varies:
    # 2 % of 1,000 samples expects 20 gaps, and fewer than 5 has probability about 2e-5
    faults = Faults(drop_fraction=0.02, railed_channel=3, seed=7)
    duration = {"cyton": 4.0, "cyton-wifi": 3.0}[board]
    with make_emulator(board, faults=faults) as emu:
        src = source_for(emu, board, montage)
        new_session(path, board, src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            res = rec.record_trial(Task("rest"), duration)
            quality = rec.status().quality
        log = emu.board.log()
    # the emulator's default feed is white noise on a DC level (no physiology): the core's
    # one definition of quality rightly calls such a channel lead_off, never railed
    assert quality[2] == "railed" and quality[0] in ("ok", "lead_off")
    with SessionFile(path) as sf:
        t = sf.read_trial("t001")
    i0 = align(log, t.emg_uv[0], CYTON_UV_PER_COUNT)
    want = expected_gaps(log, i0, t.n_samples)
    assert len(want) >= 5
    gaps = t.events.of_kind("gap")
    assert list(zip(gaps.sample.tolist(), gaps.value.astype(int).tolist())) == want
    assert res.n_gaps == len(want) and res.missing_samples == sum(m for _, m in want)
    kept = np.nonzero(~log.dropped[i0:])[0][:t.n_samples] + i0
    np.testing.assert_allclose(t.emg_uv, log.counts[kept] * CYTON_UV_PER_COUNT, rtol=1e-6)


def test_corrupted_bytes_never_crash_the_recorder(tmp_path):
    path = tmp_path / "s.h5"
    montage = montage_for("cyton")
    with make_emulator("cyton", faults=Faults(corrupt_fraction=0.05, seed=3)) as emu:
        src = source_for(emu, "cyton", montage)
        new_session(path, "cyton", src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            res = rec.record_trial(Task("rest"), 2.0)
        assert emu.board.n_corrupted > 5
    assert res.completed and res.n_samples == 500
    with SessionFile(path) as sf:
        assert sf.validate() == []


@pytest.mark.parametrize("board", ["cyton", "cyton-wifi"])
def test_disconnect_ends_the_trial_cleanly_with_data_saved(board, tmp_path):
    path = tmp_path / "s.h5"
    montage = montage_for(board)
    with make_emulator(board) as emu:
        src = source_for(emu, board, montage, stall_timeout_s=1.0)
        new_session(path, board, src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            rec.begin_trial(Task("hinge"), duration_s=30.0)
            time.sleep(1.0)
            emu.disconnect()
            res = rec.wait_trial(10)
            err = rec.error
        log = emu.board.log()
    assert res is not None and not res.completed and res.reason == "error"
    assert "sent no data" in res.message and "disconnected" in res.message
    assert err is not None and board in str(err)
    with SessionFile(path) as sf:
        assert sf.validate() == []
        info = sf.trial_info("t001")
        t = sf.read_trial("t001")
    assert not info.completed and "disconnected" in info.notes
    i0 = align(log, t.emg_uv[0], CYTON_UV_PER_COUNT)
    # every sample the board sent after the trial began is in the file
    assert t.n_samples == len(log) - i0 > 0.5 * src.info.fs_hz
    np.testing.assert_array_equal(np.rint(t.emg_uv / CYTON_UV_PER_COUNT), log.counts[i0:])


def test_stall_without_loss_keeps_every_sample(tmp_path):
    path = tmp_path / "s.h5"
    montage = montage_for("cyton")
    faults = Faults(stall_at_s=0.3, stall_s=0.6, stall_drops=False)
    with make_emulator("cyton", faults=faults) as emu:
        src = source_for(emu, "cyton", montage)
        new_session(path, "cyton", src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            stop = threading.Event()
            res = rec.record_trial(Task("rest"), 2.0, stop=stop)
    assert res.completed and res.n_gaps == 0 and res.n_samples == 500
