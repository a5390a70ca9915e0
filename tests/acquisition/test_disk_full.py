"""Recording onto a disk that fills: a tiny tmpfs (mounting needs root; CI runs as root)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from mounts import mounted_tmpfs

from acquisition.diskguard import DiskGuard, bytes_per_sample
from acquisition.emulator import CytonSerialEmulator
from emgkit.cli.main import main
from emgkit.io.reader import SessionFile

RECORD = [sys.executable, "-m", "emgkit", "record", "--board", "cyton", "--montage",
          "cyton8-posterior-chain"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 3 MiB tmpfs, unmounted afterwards."""
    with mounted_tmpfs(tmp_path / "disk", "3m") as where:
        yield where


def fill(disk, leave_bytes: int) -> None:
    """Fill the file system but ``leave_bytes``."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave_bytes))


def check_lists(path, capsys) -> str:
    assert main(["check", str(path)]) == 0
    return capsys.readouterr().out


def test_record_on_a_filling_disk_closes_the_trial_and_says_so(tiny_disk, capsys):
    out = tiny_disk / "s.h5"
    with CytonSerialEmulator("cyton", log=False) as emu:
        first = subprocess.run([*RECORD, "--serial-port", emu.port, "--task", "rest",
                                "--duration", "2", "--subject", "S01", "--out", str(out)],
                               capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        reserve = DiskGuard(out, 250.0 * bytes_per_sample(8)).reserve_bytes
        fill(tiny_disk, reserve + 40_000)  # a few seconds of recording left
        p = subprocess.Popen([*RECORD, "--serial-port", emu.port, "--task", "hinge",
                              "--duration", "60", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t_full = None
        while p.poll() is None:
            st = os.statvfs(tiny_disk)
            if t_full is None and st.f_bavail * st.f_frsize < reserve:
                t_full = time.monotonic()
            assert time.monotonic() - (t_full or time.monotonic()) < 5.0, "still running"
            time.sleep(0.02)
        t_end = time.monotonic()
        _, stderr = p.communicate()
    assert t_full is not None and t_end - t_full < 5.0
    assert p.returncode == 2
    lines = [ln for ln in stderr.splitlines() if "full" in ln]
    assert len(lines) == 1 and str(out) in lines[0], stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) < 10, stderr
    text = check_lists(out, capsys)
    assert "valid" in text
    with SessionFile(out) as sf:
        infos = sf.trial_infos()
    assert [(i.id, i.completed) for i in infos] == [("t001", True), ("t002", False)]
    assert "full" in infos[1].notes
    assert infos[0].n_samples == 500 and infos[1].n_samples > 250


CHILD = r"""
import sys, time
from acquisition.recorder import Recorder
from acquisition.sources import SimulatedSource
from emgkit.model import Task
path, filler, leave = sys.argv[1], sys.argv[2], int(sys.argv[3])
import os
rec = Recorder(SimulatedSource(2000.0, 4, realtime=False), path, disk_reserve_bytes=0)
rec.start()
print(rec.record_trial(Task("rest"), 0.5).completed, flush=True)
st = os.statvfs(os.path.dirname(path))
with open(filler, "wb") as f:
    f.write(b"\0" * (st.f_bavail * st.f_frsize - leave))
t0 = time.monotonic()
res = rec.record_trial(Task("hinge"), 600.0)
rec.close()
print(res.completed, res.reason, f"{time.monotonic() - t0:.1f}", flush=True)
print(res.message, flush=True)
"""


def test_a_failed_write_leaves_the_file_as_last_flushed(tiny_disk, capsys):
    """With the free-space check off, the disk fills under HDF5: no crash, no flood."""
    from emgkit.io.writer import create_session
    from emgkit.model import Channel, Device, Montage

    path = tiny_disk / "s.h5"
    create_session(path, "S01", Device("simulated", 2000.0), Montage("m4", tuple(
        Channel(i + 1, m, "right") for i, m in enumerate(
            ["semitendinosus", "biceps_femoris", "gluteus_maximus", "erector_spinae"]))))
    r = subprocess.run([sys.executable, "-c", CHILD, str(path), str(tiny_disk / "filler"),
                        "200000"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr[-2000:]
    first, second, message = r.stdout.splitlines()[:3]
    completed, reason, secs = second.split()
    assert first == "True" and completed == "False" and reason == "error"
    assert float(secs) < 30.0  # it stopped at the failure, not at the trial's end
    assert "disk is full" in message and "emgkit recover" in message
    text = check_lists(path, capsys)
    assert "valid" in text and "INCOMPLETE" in text
    with SessionFile(path) as sf:
        infos = sf.trial_infos()
    assert infos[0].completed and infos[0].n_samples == 1000 and not infos[1].completed
    os.unlink(tiny_disk / "filler")
    assert main(["recover", str(path)]) == 0
    assert "INCOMPLETE" in check_lists(path, capsys)
