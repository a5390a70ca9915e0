"""Run the signal-core benchmarks and write docs/performance.md.

Usage: ``python benchmarks/run.py [--minutes 10] [--out docs/performance.md]``
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_live
import bench_offline


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parents[1] / "docs/performance.md")
    )
    args = ap.parse_args(argv)

    off = bench_offline.run(args.minutes, args.channels)
    live = bench_live.run(args.channels)
    cs = off["n_channel_samples"]
    e, tb, bp = off["emgkit_s"], off["textbook_s"], off["bandpass_s"]
    nk = off["neurokit_s_per_cs"]
    nk_ratio = nk * cs / e if nk else float("nan")
    rows = [
        ("emgkit chain (band-pass + 8 mains notches, one SOS cascade, zero phase; RMS)", e),
        ("emgkit chain, fundamental notch only", off["emgkit_fundamental_s"]),
        ("(a) textbook scipy chain (sosfiltfilt + notch filtfilt + abs + moving RMS)", tb),
        ("(b) one band-pass `sosfiltfilt(sos, x, axis=0)` alone", bp),
    ]
    lines = [
        "# Performance of the signal core",
        "",
        f"Command: `python benchmarks/run.py --minutes {args.minutes:g} --channels "
        f"{args.channels}` (best of 2 runs each: the first call in a process pays ~1 s "
        "for fresh memory, so single runs mislead).",
        "",
        f"Machine: {_cpu()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"{datetime.date.today().isoformat()}.",
        "",
        f"Data: {args.channels} ch x 2 kHz x {args.minutes:g} min float32 "
        f"({off['input_mb']:.0f} MB, {cs / 1e6:.1f} M channel-samples), 50 Hz mains.",
        "",
        "| what | time (s) | M channel-samples/s | vs emgkit |",
        "|---|---:|---:|---:|",
    ]
    for name, t in rows:
        lines.append(f"| {name} | {t:.2f} | {cs / t / 1e6:.1f} | {t / e:.2f}x |")
    if nk is not None:
        lines.append(
            f"| (c) NeuroKit2 `emg_process` (1 ch x 10 s, scaled per channel-sample) | "
            f"{nk * cs:.0f} (est.) | {1 / nk / 1e6:.3f} | {nk * cs / e:.0f}x |"
        )
    lines += [
        "",
        "Ratios (targets from DESIGN.md):",
        "",
        f"- emgkit / textbook chain: **{e / tb:.2f}** (target <= 1)",
        f"- emgkit / one band-pass pass: **{e / bp:.2f}** (target <= 1.5, aim 1.3)",
        f"- NeuroKit2 / emgkit per channel-sample: **{nk_ratio:.0f}x** (target >= 20x)",
        f"- peak extra memory of the emgkit chain (tracemalloc): "
        f"**{off['emgkit_memory_x']:.2f}x** the input (target <= 3x)",
        f"- live: one {live['block_samples']}-sample block (1/60 s) of {args.channels} ch "
        f"(14 limb + 2 trunk) through `StreamingProcessor`: median **{live['median_ms']:.3f} ms**, "
        f"99th percentile {live['p99_ms']:.3f} ms (target < 1 ms)",
        "",
        "Notes: the emgkit chain notches 50 Hz and its 7 harmonics below 450 Hz, so its one "
        "SOS cascade has 12 sections run forward and backward (24 section passes) against 8 "
        "for the band-pass alone; the cost per section-sample is about the same (float32, "
        "contiguous 4-channel blocks), so the ratio to (b) follows the section count. The "
        "textbook chain notches only the fundamental. The <= 1.5x target is met only with the "
        "fundamental notch; with harmonics it needs a frequency-domain zero-phase path or a "
        "comb filter (see docs/signal-core.md). NeuroKit2 was timed on a short slice because "
        "it is very slow (almost all in `emg_activation`).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
