"""The board options that ``emgkit record`` and ``emgkit view --live`` share: one definition.

Both read BrainFlow boards and LSL streams (``--board lsl --lsl-stream NAME``), record a
Cyton trigger input (``--trigger-pin``) and publish LSL outlets (``--lsl-out``); ``view``
adds its in-process simulation and the replay of a stored trial.
"""

from __future__ import annotations

import argparse

from emgkit.errors import ConfigError

#: The Cyton's digital inputs that ``--trigger-pin`` can read (PROG button = D17).
TRIGGER_PINS = ("D11", "D12", "D13", "D17", "D18")

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


def add_sync_arguments(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Add the synchronisation options (docs/synchronisation.md); return their group.

    They are ``--trigger-pin``, ``--lsl-out``, ``--lsl-name``, ``--lsl-stream`` and
    ``--lsl-timeout``.
    """
    sync = p.add_argument_group("synchronisation (docs/synchronisation.md)")
    sync.add_argument("--trigger-pin", choices=TRIGGER_PINS,
                      help="Cyton boards: digital-read mode, rising edges on this pin stored "
                           "as marker events (value = the pin's number)")
    sync.add_argument("--lsl-out", action="store_true",
                      help="publish the EMG (µV) and the events as LSL outlets")
    sync.add_argument("--lsl-name", default="emgkit",
                      help="name of the LSL outlets (NAME-EMG, NAME-Markers)")
    sync.add_argument("--lsl-stream", metavar="NAME",
                      help="for --board lsl: the name of the LSL EMG stream to record")
    sync.add_argument("--lsl-timeout", type=float, default=10.0, metavar="SECONDS",
                      help="for --board lsl: how long to look for the stream")
    return sync


def open_board_source(args: argparse.Namespace, montage):
    """Return the (unopened) BrainFlow or LSL source that the board options ask for.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_board_arguments` and :func:`add_sync_arguments`.
    montage : Montage
        The montage; its input numbers are the channels read.
    """
    if args.board == "lsl":
        from acquisition.sources.lsl_source import LslSource

        if not args.lsl_stream:
            raise ConfigError("--board lsl needs --lsl-stream NAME")
        if args.trigger_pin:
            raise ConfigError("--trigger-pin reads a Cyton's pins, not an LSL stream")
        return LslSource(args.lsl_stream, montage.numbers, resolve_timeout_s=args.lsl_timeout)
    from acquisition.sources import open_source
    from acquisition.sources.brainflow_source import silence_brainflow

    silence_brainflow()
    kw = {"trigger_pin": args.trigger_pin} if args.trigger_pin else {}
    return open_source(args.board, montage.numbers, serial_port=args.serial_port,
                       ip_address=args.ip_address, ip_port=args.ip_port,
                       playback_file=args.playback_file, master_board=args.master_board, **kw)
