"""Trigger inputs: the Cyton's digital-read mode through BrainFlow, against the emulator."""

from __future__ import annotations

import numpy as np
import pytest
from acq_helpers import align

from acquisition.emulator import CYTON_UV_PER_COUNT, CytonSerialEmulator
from acquisition.triggers import EdgeDetector, TriggerPattern, check_pin, marker_value
from emgkit.cli.main import main
from emgkit.errors import ConfigError
from emgkit.io.reader import SessionFile


def test_edges_are_found_across_blocks():
    det = EdgeDetector()
    assert det.rising(np.array([0, 1, 1, 0])).tolist() == [1]
    assert det.rising(np.array([1, 1, 0, 1])).tolist() == [0, 3]
    assert det.rising(np.array([1, 0])).tolist() == []


def test_pins_are_checked():
    assert check_pin("d11") == "D11" and marker_value("D18") == 18.0
    with pytest.raises(ConfigError, match="one of"):
        check_pin("D14")
    with pytest.raises(ConfigError, match="WiFi shield"):
        check_pin("D13", "cyton-wifi")


def test_pattern_rises_every_period():
    lv = TriggerPattern("D12", 4.0).levels(np.arange(3000), 250.0)
    assert (np.nonzero(np.diff(lv.astype(int)) == 1)[0] + 1).tolist() == [1000, 2000]


def test_trigger_toggled_every_4_s_is_recorded_within_one_sample(tmp_path):
    out = tmp_path / "session.h5"
    with CytonSerialEmulator("cyton", trigger=TriggerPattern("D11", 4.0)) as emu:
        rc = main(["record", "--board", "cyton", "--serial-port", emu.port, "--montage",
                   "cyton8-posterior-chain", "--task", "hinge", "--duration", "9",
                   "--subject", "S01", "--out", str(out), "--trigger-pin", "D11"])
        log = emu.board.log()
    assert rc == 0
    assert "/3" in emu.parser.commands and emu.board.mode == "digital"
    with SessionFile(out) as sf:
        t = sf.read_trial("t001")
    i0 = align(log, t.emg_uv[0], CYTON_UV_PER_COUNT)
    sent = np.nonzero(np.diff(log.digital.astype(int)) == 1)[0] + 1 - i0
    sent = sent[(sent > 0) & (sent < t.n_samples)]
    got = t.events.of_kind("marker")
    assert sent.size >= 2 and got.sample.size == sent.size
    assert np.abs(got.sample - sent).max() <= 1
    assert set(got.label) == {"11"} and np.all(got.value == 11)
    assert np.all(np.diff(got.sample) == 1000)  # 4 s at 250 Hz
