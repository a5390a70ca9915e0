"""Add one trial per recording file to a session file (created if absent).

The format is detected from the file's content: OpenBCI GUI text (v6, v5 and older,
Cyton, Cyton+Daisy and Ganglion), BrainFlow CSV (name the board with --board), EDF and
BDF. The session is written atomically: if any file fails, nothing is added.
"""

from __future__ import annotations

import argparse

from emgkit.model.boards import BOARDS

NAME = "import"
HELP = "add recordings (OpenBCI GUI text, BrainFlow CSV, EDF/BDF) to a session file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``import`` options."""
    p.add_argument("files", nargs="+", metavar="FILE", help="recording files, one trial each")
    p.add_argument("--montage", required=True, metavar="M",
                   help="montage TOML file (which board input records which muscle), or a "
                   "shipped one by name (e.g. cyton8-posterior-chain)")
    p.add_argument("--task", required=True,
                   help="mvc, hinge, squat, rest or other:<name>")
    p.add_argument("--target", help="for mvc trials: the muscle or group targeted")
    p.add_argument("--variant", help="e.g. romanian_deadlift, kettlebell_deadlift, back_squat")
    p.add_argument("--load-kg", type=float, metavar="KG", help="external load in kg")
    p.add_argument("--subject", help="pseudonymous subject id (required for a new session)")
    p.add_argument("--board", choices=sorted(BOARDS),
                   help="board of BrainFlow CSV files (their column layout depends on it)")
    p.add_argument("--mains-hz", type=float, choices=(50.0, 60.0),
                   help="mains frequency to record when creating the session")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="add a file even if the same file (by sha256) is in the session already")
    p.add_argument("--into", required=True, metavar="SESSION.h5", help="session file")


def run(args: argparse.Namespace) -> int:
    """Import the files and print the new trial ids."""
    from acquisition.setups import find_setup
    from emgkit.io.importer import import_files
    from emgkit.model.montage import load_montage
    from emgkit.model.tasks import parse_task

    montage = load_montage(find_setup(args.montage, "montage"))
    task = parse_task(args.task, args.target, args.variant, args.load_kg)
    ids = import_files(args.files, montage, task, args.into, subject=args.subject,
                       board=args.board, mains_hz=args.mains_hz,
                       allow_duplicate=args.allow_duplicate)
    for path, tid in zip(args.files, ids):
        print(f"{args.into}: trial {tid} <- {path}")
    return 0
