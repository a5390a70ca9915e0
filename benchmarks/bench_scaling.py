"""Whole ``emgkit process`` against trial length: wall time, throughput, peak memory.

    nice -n 10 python3 benchmarks/bench_scaling.py [--cases 10x2000,30x2000,60x2000,10x16000]
        [--repeat 1] [--cpus N]

Each case is a session of 16 channels (the simulator's Cyton+Daisy lab session: rest,
MVCs, a squat set) whose hinge trial is stretched to the case's length by repeating the
simulated hinge set (``MINUTESxRATE``: ``60x2000`` is an hour at 2 kHz). Every command
runs as its own process, as a user runs it; its peak resident memory is the kernel's
(``wait4``). Beside it, the textbook chain as one process on the same file: read every
trial's EMG, band-pass ``sosfiltfilt`` (order 4, 20-450 Hz), a ``filtfilt`` notch
(Q 30) at each mains harmonic below the band's top, rectification and a 250 ms moving
RMS. Throughput is the session's channel-samples over the wall time. CPU time is the
process's user and system time (``wait4``): the work done, whatever the number of cores;
``--cpus N`` runs both commands on the first N CPUs only (``sched_setaffinity``, which
emgkit's thread count follows), so the wall time on N cores can be measured on a larger
machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_CHANNELS = 16
MAINS_HZ = 50.0


def make_session(path: Path, minutes: float, fs_hz: float) -> int:
    """Write the case's session to ``path``; return its channel-samples."""
    from emgkit.io.writer import SessionWriter, write_session
    from emgkit.simulate import default_montage, simulate_session

    s, _ = simulate_session(default_montage("cyton-daisy"), fs_hz, seed=1, subject="S01")
    hinge = next(t for t in s.trials if t.task.name == "hinge")
    write_session(path, dataclasses.replace(s, trials=[t for t in s.trials if t is not hinge]))
    x, n = hinge.emg_uv, int(minutes * 60 * fs_hz)
    with SessionWriter(path) as sw:
        tw = sw.begin_trial(hinge.task, fs_hz)
        for a in range(0, n, len(x)):
            tw.append(x[: min(len(x), n - a)])
        tw.close()
    return sum(t.n_samples for t in s.trials if t is not hinge) * N_CHANNELS + n * N_CHANNELS


def textbook(path: str) -> None:
    """The textbook chain over every trial of a session file (run as its own process)."""
    import h5py
    from scipy import ndimage, signal

    with h5py.File(path, "r") as f:
        for tid in sorted(f["trials"]):
            x = f["trials"][tid]["emg"][...].astype(np.float64)
            fs = float(f["trials"][tid].attrs["fs_hz"])
            high = min(450.0, 0.45 * fs)
            sos = signal.butter(4, [20.0, high], btype="bandpass", fs=fs, output="sos")
            y = signal.sosfiltfilt(sos, x, axis=0)
            for k in range(1, int(high // MAINS_HZ) + 1):
                b, a = signal.iirnotch(k * MAINS_HZ, 30.0, fs=fs)
                y = signal.filtfilt(b, a, y, axis=0)
            np.sqrt(ndimage.uniform_filter1d(np.abs(y) ** 2, int(0.25 * fs) | 1, axis=0))


def run_process(argv: list[str], cpus: int | None = None) -> tuple[float, float, float]:
    """Run a command (on the first ``cpus`` CPUs only if given).

    Returns its wall time (s), peak resident memory (MB) and CPU time (user + system, s).
    """
    def pin() -> None:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cpus])

    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                         preexec_fn=pin if cpus else None)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {err.strip()[-400:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def case(minutes: float, fs_hz: float, folder: Path, repeat: int,
         cpus: int | None = None) -> dict:
    path = folder / f"s{minutes:g}x{fs_hz:g}.h5"
    cs = make_session(path, minutes, fs_hz)
    runs = []
    for i in range(repeat):
        out = folder / f"out{i}" / "metrics.csv"
        runs.append((run_process([sys.executable, "-m", "emgkit", "process", str(path),
                                  "--out", str(out)], cpus),
                     run_process([sys.executable, __file__, "--textbook", str(path)], cpus)))
    (e_wall, e_mb, e_cpu), (t_wall, t_mb, t_cpu) = min(runs, key=lambda r: r[0][0])
    path.unlink()
    return dict(minutes=minutes, fs_hz=fs_hz, channel_samples=cs, wall_s=e_wall,
                peak_mb=e_mb, cpu_s=e_cpu, textbook_s=t_wall, textbook_mb=t_mb,
                textbook_cpu_s=t_cpu)


def table(rows: list[dict]) -> str:
    lines = ["| trial | channel-samples | `emgkit process` | M ch-samples/s | peak memory | "
             "CPU time | textbook chain | textbook memory | textbook CPU | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['minutes']:g} min, {r['fs_hz'] / 1000:g} kHz"
            f" | {r['channel_samples'] / 1e6:.0f} M"
            f" | {r['wall_s']:.1f} s | {r['channel_samples'] / r['wall_s'] / 1e6:.1f}"
            f" | {r['peak_mb']:.0f} MB | {r['cpu_s']:.1f} s | {r['textbook_s']:.1f} s"
            f" | {r['textbook_mb']:.0f} MB | {r['textbook_cpu_s']:.1f} s"
            f" | {r['wall_s'] / r['textbook_s']:.2f}x |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="10x2000,30x2000,60x2000,10x16000")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case (the fastest is kept)")
    ap.add_argument("--cpus", type=int, help="run the commands on this many CPUs only")
    ap.add_argument("--textbook", metavar="FILE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cpus is not None and args.cpus < 1:
        ap.error(f"--cpus must be at least 1, but got {args.cpus}")
    if args.textbook:
        textbook(args.textbook)
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="emgkit-scaling-") as tmp:
        for c in args.cases.split(","):
            minutes, fs = (float(v) for v in c.split("x"))
            rows.append(case(minutes, fs, Path(tmp), args.repeat, args.cpus))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    cpus = len(os.sched_getaffinity(0))
    cpus = cpus if args.cpus is None else min(cpus, args.cpus)
    print(f"\n{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores ({cpus} used), "
          f"Python {platform.python_version()}, command: python3 benchmarks/bench_scaling.py "
          f"--cases {args.cases} --repeat {args.repeat}"
          + (f" --cpus {args.cpus}" if args.cpus else "") + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
