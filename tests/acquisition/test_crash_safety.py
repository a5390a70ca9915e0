"""A recorder killed with SIGKILL at random moments leaves a file holding every flushed sample."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from acquisition.sources import noise_feed
from emgkit.io.reader import SessionFile
from emgkit.io.recover import recover_session
from emgkit.io.writer import create_session
from emgkit.model import Channel, Device, Montage

FS_HZ = 2000.0
N_RUNS = 20
CHILD = r"""
import sys
from acquisition.recorder import Recorder
from acquisition.sources import SimulatedSource, noise_feed
from emgkit.model import Task
src = SimulatedSource(2000.0, 4, noise_feed(4, seed=7), realtime=True)
rec = Recorder(src, sys.argv[1], flush_interval_s=0.5,
               on_flush=lambda tid, n: print(tid, n, flush=True))
rec.start()
rec.record_trial(Task("rest"), 0.25)
print("READY", flush=True)
rec.record_trial(Task("hinge"), 60.0)
"""
MONTAGE = Montage("m4", tuple(Channel(i + 1, m, "right") for i, m in enumerate(
    ["semitendinosus", "biceps_femoris", "gluteus_maximus", "erector_spinae"])))


def one_run(path, kill_after_s: float) -> tuple[int, int, float]:
    create_session(path, "S01", Device("simulated", FS_HZ), MONTAGE)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    flushed = 0
    for line in child.stdout:
        if line.startswith("READY"):
            break
    t_ready = time.monotonic()
    time.sleep(kill_after_s)
    os.kill(child.pid, signal.SIGKILL)
    elapsed = time.monotonic() - t_ready
    for line in child.stdout.read().splitlines():
        tid, n = line.split()
        if tid == "t002":
            flushed = max(flushed, int(n))
    child.wait()
    child.stdout.close()
    return flushed, child.returncode, elapsed


def test_sigkill_at_random_moments_loses_at_most_the_last_second(tmp_path):
    rng = np.random.default_rng(2024)
    delays = rng.uniform(0.1, 1.6, N_RUNS)
    paths = [tmp_path / f"run{i}.h5" for i in range(N_RUNS)]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(one_run, paths, delays))
    stream = noise_feed(4, seed=7)(int(FS_HZ * 30))
    for path, (flushed, rc, elapsed) in zip(paths, runs):
        assert rc == -signal.SIGKILL
        with SessionFile(path) as sf:  # opens without repair
            t1 = sf.read_trial("t001")
            assert t1.completed and t1.n_samples == 500
            s1 = int(np.nonzero((stream == t1.emg_uv[0]).all(axis=1))[0][0])
            np.testing.assert_array_equal(t1.emg_uv, stream[s1:s1 + 500])  # earlier trial intact
            if "t002" not in sf.trial_ids:
                assert flushed == 0
                continue
            t2 = sf.read_trial("t002")
        assert t2.n_samples >= flushed  # every sample up to the last flush
        assert t2.n_samples >= elapsed * FS_HZ - 1.0 * FS_HZ  # at most ~1 s lost
        if t2.n_samples:
            start = int(np.nonzero((stream == t2.emg_uv[0]).all(axis=1))[0][0])
            np.testing.assert_array_equal(t2.emg_uv, stream[start:start + t2.n_samples])
        recover_session(path)
        with SessionFile(path) as sf:
            assert sf.validate() == []
            assert not sf.trial_info("t002").completed
            assert sf.trial_info("t001").completed
