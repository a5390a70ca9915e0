"""Record a simulated subject through the real acquisition path, then process and report it.

``emgkit demo [--out DIR]`` simulates a short lab session (rest, one MVC per muscle
group, five Romanian deadlifts and five back squats), sends it through the Cyton board
emulator on a pseudo-terminal to BrainFlow's real Cyton driver and the session recorder
(the protocol runner stores the repetition markers), then writes ``DIR/session.h5``,
``DIR/metrics.csv`` (with the tables and provenance of ``emgkit process`` beside it),
``DIR/report.html`` and ``DIR/report.pdf``, and prints their paths. Progress goes to
stderr. Takes about half a minute.
"""

from __future__ import annotations

import argparse

NAME = "demo"
HELP = "simulate, record (Cyton emulator + BrainFlow), process and report a lab session"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``demo`` options."""
    p.add_argument("--out", metavar="DIR", default="emgkit-demo",
                   help="output folder (default: ./emgkit-demo); its demo files are replaced")
    p.add_argument("--seed", type=int, default=0, help="simulator seed (default 0)")
    p.add_argument("--speed", type=float, default=None,
                   help="emulator pace in multiples of real time (default 4; 1 = a real "
                   "board's pace)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF report")


def run(args: argparse.Namespace) -> int:
    """Run the demo and print the files it wrote."""
    import sys

    from emgkit.demo import DEFAULT_SPEED, run_demo

    def progress(line: str) -> None:
        sys.stderr.write(f"demo: {line}\n")
        sys.stderr.flush()

    speed = DEFAULT_SPEED if args.speed is None else args.speed
    result = run_demo(args.out, seed=args.seed, speed=speed, pdf=not args.no_pdf,
                      progress=progress)
    for p in result.paths.values():
        print(p)
    return 0
