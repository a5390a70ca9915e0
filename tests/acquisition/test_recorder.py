"""The recorder with in-process sources: gaps across blocks, overflow, replay, recovery."""

from __future__ import annotations

import threading
import time

import h5py
import numpy as np
import pytest

from acquisition.recorder import Recorder
from acquisition.sources import Block, SimulatedSource, Source, SourceInfo, StoredTrialSource
from emgkit.errors import AcquisitionError, FormatError
from emgkit.io.reader import SessionFile
from emgkit.io.recover import interrupted_trials, recover_session
from emgkit.io.writer import SessionWriter, create_session
from emgkit.model import Channel, Device, Montage, Task

MONTAGE = Montage("m4", tuple(Channel(i + 1, m, "right") for i, m in enumerate(
    ["semitendinosus", "biceps_femoris", "gluteus_maximus", "erector_spinae"])))


def session(path, fs_hz=1000.0):
    create_session(path, "S01", Device("simulated", fs_hz), MONTAGE)
    return path


class ScriptedSource(Source):
    """Delivers given counters in given block sizes (value of sample = its global index)."""

    finite = True

    def __init__(self, counters, block_sizes, fs_hz=1000.0):
        self.info = SourceInfo("scripted", fs_hz, (1, 2, 3, 4), 4)
        self.counters = np.asarray(counters)
        self.sizes = list(block_sizes)
        self.i = 0

    def start(self):
        pass

    def read(self, timeout_s=0.1):
        if not self.sizes:
            return None
        n = self.sizes.pop(0)
        s = slice(self.i, self.i + n)
        idx = np.arange(self.i, self.i + n)
        self.i += n
        return Block(np.repeat(idx[:, None], 4, 1).astype(np.float32), self.counters[s],
                     idx / 1000.0, np.zeros((n, 3), np.float32), np.zeros(n))


def test_gaps_found_across_block_boundaries(tmp_path):
    full = np.arange(3000)
    lost = {99, 100, 101, 250, 600, 601, 1399}  # 99-101 and 600-601 straddle block edges
    keep = np.array([i for i in full if i not in lost])
    counters = keep % 256
    sizes = [100, 150, 200, 151, 500, 1000, len(keep) - 2101]
    path = session(tmp_path / "s.h5")
    src = ScriptedSource(counters, sizes)
    with Recorder(src, path) as rec:
        rec.begin_trial(Task("rest"))
        res = rec.wait_trial(10)
    assert res.reason == "end" and res.n_samples == len(keep)
    with SessionFile(path) as sf:
        gaps = sf.read_trial("t001").events.of_kind("gap")
    want = [(99, 3), (247, 1), (596, 2), (1393, 1)]
    assert list(zip(gaps.sample.tolist(), gaps.value.astype(int).tolist())) == want
    assert res.n_gaps == 4 and res.missing_samples == 7


def test_queue_overflow_is_an_error_not_a_silent_drop(tmp_path):
    path = session(tmp_path / "s.h5")
    src = SimulatedSource(20000.0, 4, realtime=True)
    # A real-time source polled as fast as possible hands over many small blocks: the
    # queue holds 300 of them, enough while the writer works normally.
    rec = Recorder(src, path, queue_blocks=300)
    written = []

    def stalling_writer(block):  # from the third batch on, the disk blocks for 1 s
        written.append(block.n_samples)
        if len(written) > 2:
            time.sleep(1.0)

    rec.subscribe(stalling_writer)
    with rec:
        res = rec.record_trial(Task("rest"), 30.0)
    assert not res.completed and res.reason == "error"
    assert "queue overflow" in res.message
    with SessionFile(path) as sf:
        assert sf.validate() == []
        t = sf.read_trial("t001")
    # what was queued before the overflow is all there, in order
    assert t.n_samples > 0 and np.all(np.diff(t.package_num) % 256 == 1)


class FailingSource(ScriptedSource):
    """Delivers ``n_blocks`` blocks of 100 samples, then fails as a lost connection does
    (read from the first trial on)."""

    def __init__(self, n_blocks):
        super().__init__(np.arange(100 * n_blocks) % 256, [100] * n_blocks)

    def read(self, timeout_s=0.1):
        if not self.sizes:
            raise AcquisitionError("board disconnected")
        return super().read(timeout_s)


def test_a_trial_begun_behind_a_queued_failure_is_refused(tmp_path):
    """The failure reaches the writer after begin_trial's own check: the trial must be
    refused, not opened on an acquisition that has ended (it would never end)."""
    path = session(tmp_path / "s.h5")
    release, calls = threading.Event(), []

    def slow_writer(block):  # holds the writer once the first trial has closed
        calls.append(block.n_samples)
        if len(calls) == 1:
            release.wait(10)

    rec = Recorder(FailingSource(2), path)
    rec.subscribe(slow_writer)
    with rec:
        first = rec.record_trial(Task("rest"), 0.1)  # the first block
        assert first.completed and first.n_samples == 100
        deadline = time.monotonic() + 5
        while rec._acq.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)  # the failure is queued while the writer is held
        assert rec.error is None
        outcome = []

        def begin():
            try:
                rec.begin_trial(Task("hinge"))
                outcome.append("opened")
            except AcquisitionError as e:
                outcome.append(str(e))

        th = threading.Thread(target=begin)
        th.start()
        time.sleep(0.1)
        release.set()
        th.join(10)
        assert outcome == ["board disconnected"]
        assert rec.status().trial_id is None
    with SessionFile(path) as sf:
        assert [i.id for i in sf.trial_infos()] == ["t001"]


def test_stored_trial_replays_through_the_source_interface(tmp_path):
    a = session(tmp_path / "a.h5")
    with Recorder(SimulatedSource(1000.0, 4, realtime=False), a) as rec:
        rec.insert_marker(3)
        rec.record_trial(Task("squat"), 0.5)
    b = session(tmp_path / "b.h5")
    src = StoredTrialSource(a, "t001", realtime=False)
    with Recorder(src, b) as rec:
        rec.begin_trial(Task("squat"))
        res = rec.wait_trial(10)
    assert res.n_samples == 500
    with SessionFile(a) as sa, SessionFile(b) as sb:
        ta, tb = sa.read_trial("t001"), sb.read_trial("t001")
    np.testing.assert_array_equal(ta.emg_uv, tb.emg_uv)
    np.testing.assert_array_equal(ta.package_num, tb.package_num)
    np.testing.assert_array_equal(ta.accel_g, tb.accel_g)
    assert tb.events.of_kind("marker") == ta.events.of_kind("marker")


def test_recover_trims_and_closes_an_interrupted_trial(tmp_path):
    path = session(tmp_path / "s.h5")
    with Recorder(SimulatedSource(1000.0, 4, realtime=False), path) as rec:
        rec.record_trial(Task("rest"), 0.3)
    with SessionFile(path) as sf:
        before = sf.read_trial("t001")
    # an interrupted trial: begun, appended, one dataset a block ahead, never closed
    sw = SessionWriter(path)
    tw = sw.begin_trial(Task("hinge"), accel=True, package_num=True, timestamps=True)
    x = np.ones((200, 4), np.float32)
    tw.append(x, np.zeros((200, 3)), np.arange(200) % 256, np.arange(200.0))
    tw.group["emg"].resize(264, axis=0)
    from emgkit.model import Events

    tw.add_events(Events([10, 250], ["marker", "marker"], ["1", "2"]))
    tw.flush()
    sw.file.close()
    assert interrupted_trials(path) == ["t002"]
    with SessionFile(path) as sf:
        assert sf.validate()  # the lengths differ
    done = recover_session(path)
    assert [(d.trial_id, d.n_samples, d.rows_dropped, d.events_dropped) for d in done] == [
        ("t002", 200, 64, 1)]
    with SessionFile(path) as sf:
        assert sf.validate() == []
        info = sf.trial_info("t002")
        assert not info.completed and "recovered" in info.notes
        after = sf.read_trial("t001")
    np.testing.assert_array_equal(before.emg_uv, after.emg_uv)
    assert after.completed
    assert recover_session(path) == []


def test_recover_refuses_a_file_that_never_flushed(tmp_path):
    p = tmp_path / "bad.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(FormatError):
        recover_session(p)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_memory_stays_flat(tmp_path):
    path = session(tmp_path / "s.h5", 4000.0)
    src = SimulatedSource(4000.0, 4, realtime=False, block_s=0.02)
    with Recorder(src, path) as rec:
        rec.begin_trial(Task("rest"), duration_s=240.0)
        samples = []
        while rec.wait_trial(0.1) is None:
            samples.append(rss_bytes())
    with h5py.File(path) as f:
        assert f["trials/t001/emg"].shape == (960000, 4)
    third = len(samples) // 3
    assert len(samples) >= 6
    assert max(samples[third:]) - samples[third] < 20e6
