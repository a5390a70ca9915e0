"""Recorder benchmark: a synthetic 16 ch x 16 kHz source recorded for 10 simulated minutes.

Run: ``python benchmarks/bench_recorder.py [--minutes 10] [--realtime-s 20]``

Part 1 feeds the recorder as fast as it will take blocks (not real time) and reports the
throughput as a multiple of real time, the samples stored against those sent (zero
drops), and the process's resident memory sampled every 5 simulated seconds (flat).
Part 2 runs the same source paced in real time, where a full queue would be an error,
and reports the deepest the queue got.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from acquisition.recorder import Recorder
from acquisition.setups import find_setup
from acquisition.sources import SimulatedSource
from emgkit.io.writer import create_session
from emgkit.model import Device, Task, load_montage

FS_HZ = 16000.0
N_CH = 16


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def feed_of(n_channels: int):
    """Pre-made noise cycled through (generation is not what is measured)."""
    base = (np.random.default_rng(0).standard_normal((int(FS_HZ), n_channels)) * 20).astype(
        np.float32)
    pos = [0]

    def feed(n: int) -> np.ndarray:
        idx = (pos[0] + np.arange(n)) % base.shape[0]
        pos[0] += n
        return base[idx]

    return feed


def run(path: Path, seconds: float, realtime: bool, batch_s: float):
    montage = load_montage(find_setup("daisy16-bilateral", "montage"))
    create_session(path, "BENCH", Device("simulated", FS_HZ), montage)
    src = SimulatedSource(FS_HZ, N_CH, feed_of(N_CH), realtime=realtime, block_s=0.02)
    rec = Recorder(src, path, batch_s=batch_s, queue_blocks=1000)
    mem = []
    t0 = time.perf_counter()
    with rec:
        rec.begin_trial(Task("rest"), duration_s=seconds)
        next_sample = 0.0
        while (res := rec.wait_trial(0.05)) is None:
            st = rec.status()
            if st.n_samples / FS_HZ >= next_sample:
                mem.append((st.n_samples / FS_HZ, rss_mb()))
                next_sample += 5.0
    wall = time.perf_counter() - t0
    return res, wall, mem, rec.max_queue_blocks, src.sent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--realtime-s", type=float, default=20.0)
    ap.add_argument("--batch-s", type=float, default=0.5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        seconds = a.minutes * 60
        res, wall, mem, _qmax, _sent = run(Path(d) / "fast.h5", seconds, False, a.batch_s)
        size_mb = (Path(d) / "fast.h5").stat().st_size / 1e6
        m = np.array(mem)
        k = len(m) // 10
        print(f"fast: {seconds:g} s of 16 ch x 16 kHz in {wall:.1f} s = "
              f"{seconds / wall:.1f}x real time, {res.n_samples * N_CH / wall / 1e6:.2f} M "
              f"channel-samples/s; stored {res.n_samples} of {int(seconds * FS_HZ)} samples, "
              f"gaps {res.n_gaps}; file {size_mb:.0f} MB (uncompressed while recording)")
        print(f"      RSS at 10 %: {m[k, 1]:.0f} MB, max after: {m[k:, 1].max():.0f} MB, at end "
              f"{m[-1, 1]:.0f} MB ({len(m)} samples every 5 simulated s)")
        res, _wall, _, qmax, _sent = run(Path(d) / "rt.h5", a.realtime_s, True, 0.1)
        print(f"real time: {a.realtime_s:g} s paced, stored {res.n_samples} of "
              f"{int(a.realtime_s * FS_HZ)} samples, gaps {res.n_gaps}, completed "
              f"{res.completed}, deepest queue {qmax} of 1000 blocks")


if __name__ == "__main__":
    main()
