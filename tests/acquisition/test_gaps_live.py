"""Gaps the counter cannot size: a stall longer than a counter cycle, a lost Daisy packet."""

from __future__ import annotations

import time

import numpy as np
from acq_helpers import montage_for, new_session, source_for

from acquisition.emulator import CYTON_UV_PER_COUNT, Faults, make_emulator
from acquisition.recorder import Recorder
from emgkit.core.packets import GAP_BY_TIMESTAMPS, GAP_HALF_SAMPLE
from emgkit.io.reader import SessionFile
from emgkit.model import Task


def test_a_2_s_stall_is_sized_from_the_time_stamps(tmp_path):
    """500 samples lost at 250 Hz: the 8-bit counter alone says 244."""
    path = tmp_path / "s.h5"
    montage = montage_for("cyton")
    with make_emulator("cyton") as emu:
        src = source_for(emu, "cyton", montage)
        new_session(path, "cyton", src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            rec.begin_trial(Task("rest"), duration_s=4.0)
            time.sleep(1.0)
            emu.stall(2.0)  # a radio dropout: the packets due meanwhile are lost
            res = rec.wait_trial(15)
        log = emu.board.log()
    true_lost = int(log.dropped.sum())
    assert 490 <= true_lost <= 510
    with SessionFile(path) as sf:
        gaps = sf.read_trial("t001").events.of_kind("gap")
    assert len(gaps) == 1 and res.n_gaps == 1
    assert abs(gaps.value[0] - true_lost) <= 0.01 * true_lost
    assert gaps.label[0] == GAP_BY_TIMESTAMPS


def test_one_lost_daisy_packet_counts_as_what_it_is(tmp_path):
    """First packet lost: a sample with inputs 9-16 repeated (0.5); second: one sample."""
    path = tmp_path / "s.h5"
    montage = montage_for("cyton-daisy")
    with make_emulator("cyton-daisy", faults=Faults(drop_half_fraction=0.03, seed=4)) as emu:
        src = source_for(emu, "cyton-daisy", montage)
        new_session(path, "cyton-daisy", src.info.fs_hz, montage)
        with src, Recorder(src, path) as rec:
            res = rec.record_trial(Task("rest"), 4.0)
        log = emu.board.log()
    with SessionFile(path) as sf:
        t = sf.read_trial("t001")
    counts = np.rint(t.emg_uv / CYTON_UV_PER_COUNT)
    i0 = int(np.nonzero((log.counts[:, :8] == counts[0, :8]).all(axis=1))[0][0])
    half = log.half_lost[i0:]
    n_sent = i0 + t.n_samples + int((half[:t.n_samples + 50] == 1).sum())
    half = log.half_lost[i0:n_sent]
    second = int((half == 1).sum())  # the sample is lost
    first = int((half == 0).sum())  # the sample is stored with inputs 9-16 repeated
    assert first >= 2 and second >= 2
    gaps = t.events.of_kind("gap")
    halves = gaps.value == 0.5
    assert int(halves.sum()) == first
    assert set(gaps.label[halves]) == {GAP_HALF_SAMPLE}
    assert np.all(gaps.value[~halves] == 1) and int((~halves).sum()) == second
    assert res.missing_samples == second
    # inputs 1-8 of every stored sample are the board's, in order, none lost but those
    kept = np.nonzero(half != 1)[0] + i0
    np.testing.assert_array_equal(counts[:, :8], log.counts[kept[:t.n_samples], :8])
