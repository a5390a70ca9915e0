"""``emgkit record`` and ``emgkit recover`` against the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
from acq_helpers import align

from acquisition.emulator import CYTON_UV_PER_COUNT, CytonSerialEmulator
from emgkit.cli.main import main
from emgkit.io.reader import SessionFile


def test_protocol_unattended_then_check_passes(tmp_path, capsys):
    out = tmp_path / "session.h5"
    with CytonSerialEmulator("cyton", log=False) as emu:
        rc = main(["record", "--board", "cyton", "--serial-port", emu.port, "--montage",
                   "cyton8-posterior-chain", "--protocol", "short", "--subject", "S01",
                   "--out", str(out), "--unattended", "--mains-hz", "50"])
    assert rc == 0
    assert main(["check", str(out)]) == 0
    text = capsys.readouterr().out
    assert "valid" in text and "INCOMPLETE" not in text
    with SessionFile(out) as sf:
        infos = sf.trial_infos()
        assert [i.task.name for i in infos] == ["rest", *["mvc"] * 5, "hinge", "squat"]
        assert sf.device.mains_hz == 50
        hinge = sf.read_trial(next(i.id for i in infos if i.task.name == "hinge"))
    assert list(hinge.events.of_kind("rep_start").label) == ["1", "2", "3"]
    assert len(hinge.events.of_kind("set_end")) == 1


def test_one_trial_form_records_exactly_what_the_emulator_sent(tmp_path):
    out = tmp_path / "session.h5"
    with CytonSerialEmulator("cyton") as emu:
        args = ["record", "--board", "cyton", "--serial-port", emu.port, "--montage",
                "cyton8-posterior-chain", "--out", str(out)]
        assert main([*args, "--task", "rest", "--duration", "1", "--subject", "S01"]) == 0
        assert main([*args, "--task", "hinge", "--variant", "romanian_deadlift",
                     "--load-kg", "40", "--duration", "1.5"]) == 0
        log = emu.board.log()
    with SessionFile(out) as sf:
        assert sf.validate() == []
        for tid, n in (("t001", 250), ("t002", 375)):
            t = sf.read_trial(tid)
            assert t.n_samples == n and t.completed
            i0 = align(log, t.emg_uv[0], CYTON_UV_PER_COUNT)
            np.testing.assert_array_equal(np.rint(t.emg_uv / CYTON_UV_PER_COUNT),
                                          log.counts[i0:i0 + n])
        assert sf.trial_info("t002").task.load_kg == 40


def test_sigterm_ends_a_one_trial_recording_early_with_data_kept(tmp_path):
    out = tmp_path / "session.h5"
    with CytonSerialEmulator("cyton") as emu:
        p = subprocess.Popen(
            [sys.executable, "-m", "emgkit", "record", "--board", "cyton", "--serial-port",
             emu.port, "--montage", "cyton8-posterior-chain", "--task", "rest", "--duration",
             "60", "--subject", "S01", "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6.0)  # python start-up and ~2 s to connect (BrainFlow), then recording
        os.kill(p.pid, signal.SIGTERM)
        stdout, stderr = p.communicate(timeout=20)
        log = emu.board.log()
    assert p.returncode == 0, stderr
    assert "ended early" in stdout
    with SessionFile(out) as sf:
        assert sf.validate() == []
        t = sf.read_trial("t001")
        info = sf.trial_info("t001")
    assert t.completed and "ended early" in info.notes
    assert 25 <= t.n_samples < 30 * 250
    i0 = align(log, t.emg_uv[0], CYTON_UV_PER_COUNT)
    np.testing.assert_array_equal(np.rint(t.emg_uv / CYTON_UV_PER_COUNT),
                                  log.counts[i0:i0 + t.n_samples])


def test_bad_input_exits_2_and_leaves_no_file(tmp_path, capsys):
    out = tmp_path / "s.h5"
    rc = main(["record", "--board", "cyton", "--serial-port", str(tmp_path / "nope"),
               "--montage", "cyton8-posterior-chain", "--task", "rest", "--duration", "1",
               "--subject", "S01", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "UNABLE_TO_OPEN_PORT_ERROR" in err and "cyton" in err
    assert not out.exists()
    rc = main(["record", "--board", "cyton", "--serial-port", "x", "--montage", "nope",
               "--task", "rest", "--duration", "1", "--subject", "S01", "--out", str(out)])
    assert rc == 2 and "cyton8-posterior-chain" in capsys.readouterr().err


def test_recover_command(tmp_path, capsys):
    from emgkit.io.writer import SessionWriter, create_session
    from emgkit.model import Channel, Device, Montage, Task

    path = tmp_path / "s.h5"
    create_session(path, "S01", Device("cyton", 250.0), Montage(
        "m", (Channel(1, "semitendinosus", "right"),)))
    sw = SessionWriter(path)
    tw = sw.begin_trial(Task("rest"), package_num=True)
    tw.append(np.zeros((100, 1)), package_num=np.arange(100))
    tw.flush()
    sw.file.close()
    assert main(["recover", str(path)]) == 0
    assert "t001 closed as incomplete with 100 samples" in capsys.readouterr().out
    assert main(["check", str(path)]) == 0
    assert "INCOMPLETE" in capsys.readouterr().out


def test_record_takes_over_a_board_still_streaming_after_sigkill(tmp_path):
    """A Cyton streams on when its host dies: the next record stops it and connects."""
    out = tmp_path / "session.h5"
    args = [sys.executable, "-m", "emgkit", "record", "--board", "cyton", "--montage",
            "cyton8-posterior-chain", "--out", str(out)]
    with CytonSerialEmulator("cyton", log=False) as emu:
        p = subprocess.Popen([*args, "--serial-port", emu.port, "--task", "rest",
                              "--duration", "60", "--subject", "S01"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not emu.streamer.running and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # mid-trial
        os.kill(p.pid, signal.SIGKILL)
        p.communicate(timeout=10)
        time.sleep(0.5)
        assert emu.streamer.running  # the board streams on, as a real one does
        t0 = time.monotonic()
        r = subprocess.run([*args, "--serial-port", emu.port, "--task", "hinge",
                            "--duration", "1"], capture_output=True, text=True, timeout=60)
        secs = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr
    assert secs < 20
    assert main(["recover", str(out)]) == 0
    with SessionFile(out) as sf:
        infos = sf.trial_infos()
        assert sf.validate() == []
    assert [(i.task.name, i.completed) for i in infos] == [("rest", False), ("hinge", True)]
    assert infos[1].n_samples == 250
