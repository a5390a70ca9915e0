"""One writer at a time, whatever HDF5's file locking: emgkit's own lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import h5py
import pytest

from emgkit.cli.main import main
from emgkit.errors import FormatError
from emgkit.io.atomic import atomic_path
from emgkit.io.lock import lock_path, write_lock

V6 = "openbci_gui_cyton/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz"


def test_a_recording_is_never_replaced_by_an_import_even_without_hdf5_locking(
        tmp_path, datasets_dir, capsys):
    env = {**os.environ, "HDF5_USE_FILE_LOCKING": "FALSE"}
    out = tmp_path / "s.h5"
    rec = subprocess.Popen(
        [sys.executable, "-m", "emgkit", "record", "--board", "synthetic", "--montage",
         "cyton8-posterior-chain", "--task", "rest", "--duration", "8", "--subject", "S01",
         "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not lock_path(out).exists():
            assert rec.poll() is None, rec.communicate()
            assert time.monotonic() < deadline, "the recording did not start"
            time.sleep(0.1)
        time.sleep(1.0)
        imp = subprocess.run(
            [sys.executable, "-m", "emgkit", "import", str(datasets_dir / V6), "--montage",
             "cyton8-posterior-chain", "--task", "mvc", "--into", str(out)],
            env=env, capture_output=True, text=True, timeout=120)
        assert imp.returncode == 2, imp.stderr
        assert "in use: another emgkit process is writing this file" in imp.stderr
        assert str(out) in imp.stderr and imp.stderr.count("\n") == 1
        _, rec_err = rec.communicate(timeout=60)
    finally:
        if rec.poll() is None:
            rec.kill()
    assert rec.returncode == 0, rec_err
    with h5py.File(out, "r") as f:
        assert list(f["trials"]) == ["t001"]
        assert f["trials/t001/emg"].shape[0] == 8 * 250  # every sample of the recording
    assert not lock_path(out).exists()


def test_the_lock_is_reentrant_in_a_process_and_removed_after(tmp_path):
    p = tmp_path / "a.h5"
    with write_lock(p):
        with write_lock(p):
            assert lock_path(p).exists()
        assert lock_path(p).exists()
    assert not lock_path(p).exists()


def test_a_second_process_is_refused_at_once(tmp_path):
    p = tmp_path / "a.csv"
    code = ("import sys, time; from emgkit.io.lock import write_lock\n"
            f"with write_lock({str(p)!r}):\n    print('held', flush=True); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(FormatError, match="in use"), atomic_path(p) as tmp:
            tmp.write_text("x")
        assert time.monotonic() - t0 < 2
        assert not p.exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder died: its lock died with it, a stale lock file is taken over
    with atomic_path(p) as tmp:
        tmp.write_text("y")
    assert p.read_text() == "y" and not lock_path(p).exists()


def test_a_file_changed_behind_the_lock_is_not_replaced(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("original")
    with pytest.raises(FormatError, match="changed by another program"), \
            atomic_path(p, copy_existing=True) as tmp:
        tmp.write_text(tmp.read_text() + " + addition")
        p.write_text("rewritten elsewhere")  # a writer that ignores emgkit's lock
    assert p.read_text() == "rewritten elsewhere"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["s.txt"]


def test_import_says_in_use_while_a_session_writer_holds_it(tmp_path, datasets_dir,
                                                             montage_toml, capsys):
    out = tmp_path / "s.h5"
    assert main(["import", str(datasets_dir / V6), "--montage", str(montage_toml),
                 "--channels", "1-4", "--task",
                 "mvc", "--subject", "S01", "--into", str(out)]) == 0
    code = ("import time; from emgkit.io.writer import SessionWriter\n"
            f"sw = SessionWriter({str(out)!r}); print('open', flush=True); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "HDF5_USE_FILE_LOCKING": "FALSE"})
    try:
        assert holder.stdout.readline().strip() == "open"
        capsys.readouterr()
        rc = main(["import", str(datasets_dir / V6), "--montage", str(montage_toml),
                   "--channels", "1-4", "--task",
                   "mvc", "--allow-duplicate", "--into", str(out)])
        assert rc == 2
        assert "in use" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
