"""Batch scaling on this machine: serial vs a process pool vs a Dask LocalCluster.

    python benchmarks/bench_batch.py [--sessions 16] [--workers 2]

Simulates sessions once (8 channels at 1 kHz, the default lab protocol), then times
``run_batch`` on each executor into a fresh output folder (no resuming) and prints the
speed-up and the scaling efficiency ``T_serial / (workers * T_parallel)``. Cluster and
pool start-up are included in the times: that is what a user waits for.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

from emgkit.batch import run_batch
from emgkit.io.writer import write_session
from emgkit.simulate import default_montage, simulate_session


def make(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        s, _ = simulate_session(default_montage("cyton"), 1000.0, seed=i, subject=f"B{i:02d}")
        paths.append(folder / f"b{i:02d}.h5")
        write_session(paths[-1], s)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        paths = make(tmp, args.sessions)
        mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"{len(paths)} sessions ({mb:.0f} MB) simulated in {time.perf_counter() - t0:.1f} s;"
              f" {os.cpu_count()} cores")
        times = {}
        for name, kw in (("serial", {"executor": "serial"}),
                         ("pool", {"executor": "pool", "workers": args.workers}),
                         ("dask", {"executor": "dask", "workers": args.workers})):
            t0 = time.perf_counter()
            res = run_batch(paths, tmp / f"out-{name}", **kw)
            times[name] = time.perf_counter() - t0
            assert res.ok, [r.error for r in res.sessions if r.error]
            eff = "" if name == "serial" else (
                f"  speed-up {times['serial'] / times[name]:.2f}x, efficiency "
                f"{times['serial'] / (args.workers * times[name]):.0%}")
            print(f"{name:7s} {times[name]:7.2f} s  {times[name] / len(paths):.3f} s/session{eff}")
        same = {(tmp / f"out-{n}" / "metrics.csv").read_bytes() for n in times}
        print("identical metrics.csv on every executor:", len(same) == 1)


if __name__ == "__main__":
    main()
