"""`emgkit batch --scheduler` against a real ``dask scheduler`` and ``dask worker`` processes.

Everything binds to 127.0.0.1 (DESIGN.md, "Networked parts in tests"); the processes are
started here, waited for with deadlines, and killed in ``finally``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed")

N_SESSIONS = 6
DASK = [sys.executable, "-m", "dask"]
EMGKIT = [sys.executable, "-m", "emgkit"]


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, log, cwd):
    # a session of its own, so the nanny's worker child goes down with it
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
                            start_new_session=True)


def _stop(procs) -> None:
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def _wait_for(ready, procs, log, what, timeout_s=30.0):
    """Poll ``ready()`` until it returns a value; fail if a process exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        assert all(p.poll() is None for p in procs), log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"no {what} after {timeout_s} s:\n{log.read_text()}")


def _read_json(path):
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text())
    return None


def _registered(log, n):
    return log.read_text().count("Register worker addr: tcp://127.0.0.1:") >= n


@contextlib.contextmanager
def dask_cluster(tmp_path, n_workers=2):
    """Yield the address of a ``dask scheduler`` with ``n_workers`` ``dask worker``
    processes (one thread each), all on 127.0.0.1."""
    sched_file, log = tmp_path / "scheduler.json", tmp_path / "dask.log"
    procs = []
    with open(log, "w") as fh:
        try:
            procs.append(_start([*DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                 "--no-dashboard", "--scheduler-file", str(sched_file)],
                                fh, tmp_path))
            address = _wait_for(lambda: _read_json(sched_file), procs, log,
                                "scheduler file")["address"]
            assert address.startswith("tcp://127.0.0.1:"), address
            for _ in range(n_workers):
                procs.append(_start([*DASK, "worker", address, "--nthreads", "1",
                                     "--host", "127.0.0.1", "--no-dashboard",
                                     "--local-directory", str(tmp_path / "workers")],
                                    fh, tmp_path))
            _wait_for(lambda: _registered(log, n_workers), procs, log, "workers")
            yield address
        finally:
            _stop(procs)


def _batch(args, timeout_s=50.0):
    return subprocess.run([*EMGKIT, "batch", "--no-progress", *args], capture_output=True,
                          text=True, timeout=timeout_s)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory, session_maker):
    return session_maker(tmp_path_factory.mktemp("sched"), N_SESSIONS, seed0=100)


def test_batch_on_a_dask_scheduler_matches_serial(sessions, tmp_path):
    root = str(sessions[0].parent.parent)
    serial = _batch([root, "--out", str(tmp_path / "serial"), "--jobs", "1"])
    assert serial.returncode == 0, serial.stderr
    with dask_cluster(tmp_path) as address:
        run = _batch([root, "--out", str(tmp_path / "dask"), "--scheduler", address])
    assert run.returncode == 0, run.stderr + (tmp_path / "dask.log").read_text()
    assert f"{N_SESSIONS} processed, 0 up to date, 0 failed" in run.stdout
    assert ((tmp_path / "dask" / "metrics.csv").read_bytes()
            == (tmp_path / "serial" / "metrics.csv").read_bytes())


def test_unreachable_scheduler_exits_2_with_one_line(sessions, tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    run = _batch([str(sessions[0]), "--out", str(tmp_path / "o"), "--scheduler", address],
                 timeout_s=40.0)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0], run.stderr
    assert address in lines[0]
    assert not (tmp_path / "o" / "metrics.csv").exists()
