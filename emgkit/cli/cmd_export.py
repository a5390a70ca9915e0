"""Export session files to a shared format.

``emgkit export bids SESSION.h5... --out DIR`` writes a BIDS-EMG dataset (BIDS 1.11):
one 24-bit BDF per trial with its ``_emg.json``, ``_channels.tsv`` and ``_events.tsv``,
plus ``dataset_description.json``, ``participants.tsv`` and a README. The dataset is
written to a temporary folder and renamed into place when complete; DIR must not exist
or be empty.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "export sessions to a shared format (BIDS-EMG)"
FORMATS = ("bids",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``export`` sub-commands."""
    sub = p.add_subparsers(dest="format", metavar="FORMAT", required=True,
                           parser_class=type(p))
    b = sub.add_parser("bids", help="a BIDS-EMG dataset (BDF + sidecars)",
                       description="Write session files as a BIDS-EMG dataset (BIDS "
                       "1.11): a 24-bit BDF per trial with its sidecars.")
    b.add_argument("sessions", metavar="SESSION.h5", nargs="+", help="session files")
    b.add_argument("--out", metavar="DIR", required=True, help="dataset folder (new or empty)")
    b.add_argument("--name", default="emgkit EMG study", help="the dataset's name")
    b.add_argument("--author", action="append", dest="authors", metavar="NAME",
                   help="an author of the dataset (repeatable)")
    b.add_argument("--license", help="the dataset's licence (e.g. CC0)")


def run(args: argparse.Namespace) -> int:
    """Export the sessions."""
    from emgkit.bids import export_bids
    from emgkit.errors import FormatError

    for s in args.sessions:
        if not Path(s).is_file():
            raise FormatError("session file not found", s)
    files = export_bids(args.sessions, args.out, name=args.name, authors=args.authors,
                        license=args.license)
    print(f"wrote {args.out} ({len(files)} recordings, {len(args.sessions)} session(s))")
    return 0
