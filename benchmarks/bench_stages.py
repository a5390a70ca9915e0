"""Where the wall time of one ``emgkit process`` goes: timestamps around its stages.

    python3 benchmarks/bench_stages.py [--minutes 10] [--fs-hz 2000] [--runs 2] [FILE]

Without FILE, the scaling benchmark's session (:func:`bench_scaling.make_session`: 16
channels, the hinge trial stretched to ``--minutes``) is written to a temporary folder.
Each run is a fresh process that imports the command, wraps the stages
(``filter_and_judge``: the quality checks and the filtering, side by side or one after the
other; the metrics; the statistics)
and prints the time at each stamp; the process's whole wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import contextlib, sys, time
t0 = time.perf_counter()
stamps = []
def mark(name): stamps.append((name, time.perf_counter()))
from emgkit.cli.main import run
import emgkit.analysis.files as files, emgkit.analysis.metrics as metrics
mark("start-up and imports")
def wrap(mod, name, before, label):
    f = getattr(mod, name)
    def timed(*a, **k):
        mark(before)
        r = f(*a, **k)
        mark(label)
        return r
    setattr(mod, name, timed)
wrap(metrics, "filter_and_judge", "reading the session", "quality and filtering")
wrap(files, "analyse_file", None, "metrics")
wrap(files, "_with_statistics", "the tables", "statistics")
sys.argv = ["emgkit", "process", sys.argv[1], "--out", sys.argv[2]]
with contextlib.suppress(SystemExit):  # the command's exit status
    run()
mark("writing")
prev = t0
for name, t in stamps:
    if name is not None:
        print(f"STAGE   {name:30s} {t - prev:6.2f} s")
        prev = t
print(f"STAGE   {'(until here)':30s} {prev - t0:6.2f} s")
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", help="a session file (default: the scaling session)")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fs-hz", type=float, default=2000.0)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="emgkit-stages-") as tmp:
        path = args.file
        if path is None:
            sys.path.insert(0, str(HERE))
            from bench_scaling import make_session

            path = str(Path(tmp) / "session.h5")
            make_session(Path(path), args.minutes, args.fs_hz)
        for i in range(args.runs):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD, path, f"{tmp}/o{i}/metrics.csv"],
                                 capture_output=True, text=True, check=True)
            print(f"run {i + 1}: {time.perf_counter() - t0:.2f} s in all (the rest is the "
                  "interpreter's start and exit), of which")
            print("\n".join(line[6:] for line in out.stdout.splitlines()
                            if line.startswith("STAGE ")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
