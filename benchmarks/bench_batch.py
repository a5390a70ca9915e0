"""Batch scaling on this machine: serial vs a process pool vs a Dask LocalCluster.

    python benchmarks/bench_batch.py [--sessions 16] [--workers 2] [--repeat 1]
        [--executors serial,pool,dask] [--minutes M]

Simulates sessions once, then times ``run_batch`` on each executor into a fresh output
folder (no resuming) and prints the speed-up and the scaling efficiency
``T_serial / (workers * T_parallel)``. Cluster and pool start-up are included in the
times: that is what a user waits for. By default a session is the simulator's lab
session (8 channels at 1 kHz); ``--minutes M`` makes each one a 16-channel, 2 kHz
session whose hinge trial lasts M minutes (as ``bench_scaling.py``), and prints the cost
per recorded session-hour. With ``--repeat R`` the executors take turns R times and the
median and the fastest run are reported (the machine's other jobs only ever add time);
the load average is printed before each run. ``--cli`` runs each batch as the command
``emgkit batch`` in a fresh process (``--jobs 1``, ``--jobs W``, ``--workers W``), as a user
waits for it; otherwise ``run_batch`` runs in this process, where the pool's forkserver,
once started, serves the later runs too.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from emgkit.batch import run_batch
from emgkit.io.reader import read_session
from emgkit.io.writer import write_session
from emgkit.simulate import default_montage, simulate_session

KW = {"serial": {"executor": "serial"}, "pool": {"executor": "pool"},
      "dask": {"executor": "dask"}}


def make(folder: Path, n: int, minutes: float | None) -> list[Path]:
    """Write ``n`` sessions; the lab session, or ``minutes`` of hinge at 16 ch x 2 kHz."""
    from bench_scaling import make_session

    paths = []
    for i in range(n):
        paths.append(folder / f"b{i:02d}.h5")
        if minutes:
            make_session(paths[-1], minutes, 2000.0)
            continue
        s, _ = simulate_session(default_montage("cyton"), 1000.0, seed=i, subject=f"B{i:02d}")
        write_session(paths[-1], s)
    return paths


def recorded_hours(paths: list[Path]) -> float:
    """Sum of every trial's duration, in hours."""
    return sum(t.n_samples / t.fs_hz for p in paths for t in read_session(p).trials) / 3600


CLI = {"serial": ["--jobs", "1"], "pool": ["--jobs"], "dask": ["--workers"]}


def run_once(name: str, paths: list[Path], out: Path, workers: int,
             cli: bool = False) -> tuple[float, float]:
    """Run one batch; return its wall time and the mean in-worker seconds per session
    (NaN when run as a command)."""
    if cli:  # a fresh process, as a user runs it: imports and start-up included
        argv = [sys.executable, "-m", "emgkit", "batch", *map(str, paths), "--out", str(out),
                "--no-progress", *CLI[name], *([] if name == "serial" else [str(workers)])]
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0, float("nan")
    kw = dict(KW[name], **({} if name == "serial" else {"workers": workers}))
    t0 = time.perf_counter()
    res = run_batch(paths, out, **kw)
    wall = time.perf_counter() - t0
    assert res.ok, [r.error for r in res.sessions if r.error]
    return wall, sum(r.seconds for r in res.sessions) / len(paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--executors", default="serial,pool,dask")
    ap.add_argument("--minutes", type=float, help="16 ch x 2 kHz sessions of this length")
    ap.add_argument("--cli", action="store_true",
                    help="run each batch as an 'emgkit batch' command in a fresh process")
    args = ap.parse_args()
    names = args.executors.split(",")
    warnings.simplefilter("ignore")
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        paths = make(tmp, args.sessions, args.minutes)
        mb = sum(p.stat().st_size for p in paths) / 1e6
        hours = recorded_hours(paths)
        print(f"{len(paths)} sessions ({mb:.0f} MB, {hours * 60:.1f} recorded minutes) "
              f"simulated in {time.perf_counter() - t0:.1f} s")
        times: dict[str, list[float]] = {n: [] for n in names}
        for rep in range(args.repeat):
            for name in names:
                load = os.getloadavg()[0]
                wall, per = run_once(name, paths, tmp / f"out-{name}-{rep}", args.workers,
                                     args.cli)
                times[name].append(wall)
                print(f"  run {rep + 1} {name:7s} {wall:7.2f} s  in-worker {per:.3f} s/session"
                      f"  (load average before: {load:.2f})", flush=True)
        report(times, len(paths), hours, args.workers)
        same = {(tmp / f"out-{n}-{r}" / "metrics.csv").read_bytes()
                for n in names for r in range(args.repeat)}
        print("identical metrics.csv on every executor and run:", len(same) == 1)
    print(f"load average after: {os.getloadavg()}")


def report(times: dict[str, list[float]], n: int, hours: float, workers: int) -> None:
    """Print the median and fastest wall time per executor, speed-up and efficiency."""
    ref = times.get("serial")
    for name, ts in times.items():
        med, best = statistics.median(ts), min(ts)
        line = (f"{name:7s} median {med:7.2f} s  fastest {best:7.2f} s  "
                f"{med / n:.3f} s/session  {med / hours:.0f} s per session-hour")
        if ref and name != "serial":
            line += (f"  speed-up {statistics.median(ref) / med:.2f}x, efficiency "
                     f"{statistics.median(ref) / (workers * med):.0%} (fastest runs: "
                     f"{min(ref) / (workers * best):.0%})")
        print(line)


if __name__ == "__main__":
    main()
