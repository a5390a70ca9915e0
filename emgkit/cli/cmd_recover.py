"""Repair a session file whose last trial was interrupted (crash, power cut, SIGKILL).

Interrupted trials are trimmed to the rows flushed to disk and closed with
``completed = False`` and a note; closed trials are not touched. Exit code 0 whether
or not anything needed repair, 2 if the file is not a readable session.
"""

from __future__ import annotations

import argparse

NAME = "recover"
HELP = ("close the trials a crash cut short (trimmed to the rows every dataset reached, "
        "marked incomplete)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``recover`` options."""
    p.add_argument("session", metavar="SESSION.h5", help="session file (repaired in place)")


def run(args: argparse.Namespace) -> int:
    """Recover the file and print what was done."""
    from emgkit.io.recover import recover_session

    done = recover_session(args.session)
    if not done:
        print(f"{args.session}: no interrupted trials, nothing to do")
        return 0
    for r in done:
        print(f"{args.session}: trial {r.trial_id} closed as incomplete with {r.n_samples} "
              f"samples ({r.rows_dropped} unflushed rows, {r.events_dropped} events dropped)")
    return 0
