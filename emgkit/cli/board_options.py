"""The board options that ``emgkit record`` and ``emgkit view --live`` share: one definition.

``record`` adds the LSL source; ``view`` adds its in-process simulation and the replay
of a stored trial.
"""

from __future__ import annotations

import argparse

#: Boards reached through BrainFlow (OpenBCI hardware, BrainFlow's synthetic and playback).
BRAINFLOW_BOARDS = ("cyton", "cyton-daisy", "ganglion", "cyton-wifi", "cyton-daisy-wifi",
                    "synthetic", "playback")


def add_board_arguments(p: argparse.ArgumentParser, extra_boards: tuple[str, ...] = (),
                        required: bool = False, playback_help: str | None = None) -> None:
    """Add the board options to a command's parser.

    They are ``--board``, ``--serial-port``, ``--ip-address``, ``--ip-port``,
    ``--playback-file`` and ``--master-board``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    extra_boards : tuple of str
        Boards of this command beyond :data:`BRAINFLOW_BOARDS`.
    required : bool
        Whether ``--board`` must be given.
    playback_help : str, optional
        Help of ``--playback-file`` if the command gives it more meanings.
    """
    p.add_argument("--board", required=required, choices=BRAINFLOW_BOARDS + extra_boards,
                   help="the board")
    p.add_argument("--serial-port", help="serial port of the dongle (or the emulator's pty)")
    p.add_argument("--ip-address", help="WiFi shield address")
    p.add_argument("--ip-port", type=int, default=0,
                   help="local TCP port the WiFi shield streams to (default: a free one)")
    p.add_argument("--playback-file",
                   help=playback_help or "for --board playback: a BrainFlow data file")
    p.add_argument("--master-board", default="cyton",
                   help="for --board playback: the board that recorded the file")
