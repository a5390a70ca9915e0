"""Add one trial per recording file to a session file (created if absent).

The format is detected from the file's content: OpenBCI GUI text (every generation,
Cyton, Cyton+Daisy and Ganglion), Cyton SD-card files, BrainFlow CSV (name the board
with --board), EDF and BDF. Another system's table (CSV, TSV, TXT) is read with the
columns, rate and unit you give (--columns, --fs-hz or --time-column, --unit, or a
--layout TOML; docs/import-tables.md). The session is written atomically: if any file
fails, nothing is added.
"""

from __future__ import annotations

import argparse

from emgkit.errors import ConfigError
from emgkit.model.boards import BOARDS

NAME = "import"
HELP = ("add recordings (OpenBCI GUI text, Cyton SD card, BrainFlow CSV, EDF/BDF, XDF, C3D, "
        "other systems' tables) to a session file")

#: Options that describe a delimited table (they need --columns or --layout).
TABLE_OPTIONS = ("time_column", "time_unit", "scale_uv_per_count", "delimiter",
                 "decimal", "skip_rows")


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
                   help="board of BrainFlow CSV files (their column layout depends on it); "
                   "for SD-card files cyton or cyton-daisy (detected if not given)")
    p.add_argument("--mains-hz", type=float, choices=(50.0, 60.0),
                   help="mains frequency to record when creating the session")
    p.add_argument("--channels", metavar="INPUTS", type=_inputs,
                   help="board inputs to import, e.g. 1-4 or 1,2,5 (required, and equal to the "
                   "montage's, when the file has inputs the montage does not name)")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="add a file even if the same file (by sha256) is in the session already")
    p.add_argument("--into", required=True, metavar="SESSION.h5", help="session file")
    x = p.add_argument_group("XDF (LabRecorder) and C3D (motion capture) files "
                             "(docs/synchronisation.md)")
    x.add_argument("--stream", metavar="NAME", help="XDF: the EMG stream (default: the only "
                   "EMG/ExG stream)")
    x.add_argument("--marker-stream", metavar="NAME", help="XDF: the marker stream (default: "
                   "the only Markers stream)")
    x.add_argument("--analog", metavar="CHANNELS", type=lambda t: [
        int(c) if c.strip().isdigit() else c.strip() for c in t.split(",")],
        help="C3D: the analog EMG channels by label or number, comma-separated (default: "
        "those labelled EMG)")
    x.add_argument("--delay-s", type=float, default=0.0, metavar="S",
                   help="C3D: the EMG system's analog delay to remove (Delsys Trigno: 0.048)")
    sd = p.add_argument_group("files that do not state their rate or gain (SD cards, tables)")
    sd.add_argument("--fs-hz", type=float, metavar="HZ",
                    help="sampling rate: Cyton SD-card files (default: the file's footer, else "
                    "250 Hz) and tables (or give --time-column)")
    sd.add_argument("--gain", type=float, metavar="G",
                    help="SD-card files: the ADS1299 gain the channels were set to (1, 2, 4, "
                    "6, 8, 12, 24; default 24)")
    t = p.add_argument_group("other systems' tables (docs/import-tables.md)")
    t.add_argument("--columns", metavar="COLS",
                   help="EMG columns, in board-input order: header names (BF,VL,TA), column "
                   "numbers (2,3,4) or input=column pairs (1=BF,2=VL)")
    t.add_argument("--layout", metavar="L.toml",
                   help="a table layout TOML (columns, rate, unit...); options override it")
    t.add_argument("--time-column", metavar="COL",
                   help="a column of time stamps to measure the rate from (instead of --fs-hz)")
    t.add_argument("--time-unit", choices=("s", "ms"), help="unit of --time-column (default s)")
    t.add_argument("--unit", choices=("uV", "mV", "V", "counts"),
                   help="unit of the EMG columns (required for a table); for XDF and C3D "
                   "files, the unit when the file does not say it")
    t.add_argument("--scale-uv-per-count", type=float, metavar="S",
                   help="microvolts per count, with --unit counts")
    t.add_argument("--delimiter", help="field separator: ',', ';', tab or whitespace "
                   "(default: detected)")
    t.add_argument("--decimal", choices=(".", ","), help="decimal mark (default '.')")
    t.add_argument("--skip-rows", type=int, metavar="N", help="lines to skip at the top")


def _inputs(text: str) -> tuple[int, ...]:
    """Parse ``--channels``: board inputs as ``1-4``, ``1,2,5`` or ``1-3,9``."""
    out: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.strip().partition("-")
            lo, hi = int(a), int(b or a)
            if not 1 <= lo <= hi <= 64:
                raise ValueError
            out.extend(range(lo, hi + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected board inputs 1-64 such as 1-4 or 1,2,5, got {text!r}") from None
    return tuple(out)


def table_layout(args: argparse.Namespace):
    """Return the table layout the options describe, or None when they describe none.

    Raises
    ------
    ConfigError
        If table options are given without ``--columns`` or ``--layout``.
    """
    from emgkit.io.readers import layout_from_options

    if args.columns is None and args.layout is None:
        given = [f"--{n.replace('_', '-')}" for n in TABLE_OPTIONS
                 if getattr(args, n) is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} describe a table: give --columns (or "
                              "--layout) with them")
        return None
    return layout_from_options(
        args.columns, fs_hz=args.fs_hz, time_column=args.time_column, unit=args.unit,
        scale_uv_per_count=args.scale_uv_per_count, delimiter=args.delimiter,
        decimal=args.decimal, skip_rows=args.skip_rows, time_unit=args.time_unit,
        layout_path=args.layout,
    )


def run(args: argparse.Namespace) -> int:
    """Import the files and print the new trial ids."""
    from acquisition.setups import find_setup
    from emgkit.io.importer import import_files
    from emgkit.model.montage import load_montage
    from emgkit.model.tasks import parse_task

    montage = load_montage(find_setup(args.montage, "montage"))
    task = parse_task(args.task, args.target, args.variant, args.load_kg)
    layout = table_layout(args)
    ids = import_files(args.files, montage, task, args.into, subject=args.subject,
                       board=args.board, mains_hz=args.mains_hz,
                       allow_duplicate=args.allow_duplicate,
                       fs_hz=None if layout is not None else args.fs_hz, gain=args.gain,
                       layout=layout, channels=args.channels, stream=args.stream,
                       marker_stream=args.marker_stream, analog=args.analog,
                       delay_s=args.delay_s, unit=None if layout is not None else args.unit)
    for path, tid in zip(args.files, ids):
        print(f"{args.into}: trial {tid} <- {path}")
    return 0
