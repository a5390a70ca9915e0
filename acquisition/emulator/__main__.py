"""Run an emulated board until interrupted: ``python -m acquisition.emulator --board cyton``.

Prints the serial port (pty) or the WiFi shield's address on stdout, then serves
BrainFlow until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from acquisition.emulator import BOARD_LAYOUTS, Faults, make_emulator
from acquisition.emulator.protocol_feed import protocol_feed
from acquisition.sources.simulated import simulator_feed
from acquisition.triggers import TriggerPattern


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the emulator, return the exit code."""
    p = argparse.ArgumentParser(prog="python -m acquisition.emulator",
                                description="An emulated OpenBCI Cyton for BrainFlow.")
    p.add_argument("--board", default="cyton", choices=sorted(BOARD_LAYOUTS))
    p.add_argument("--drop", type=float, default=0.0, help="fraction of packets lost")
    p.add_argument("--corrupt", type=float, default=0.0, help="fraction of packets corrupted")
    p.add_argument("--stall-at", type=float, help="stall this many seconds into streaming")
    p.add_argument("--stall-s", type=float, default=2.0, help="stall length")
    p.add_argument("--disconnect-at", type=float, help="go silent this many seconds in")
    p.add_argument("--railed", type=int, help="board input held at full scale")
    p.add_argument("--noise", action="store_true",
                   help="feed white noise instead of the sEMG simulator's lab session")
    p.add_argument("--protocol",
                   help="play this protocol (a name such as short, or a TOML file) in step "
                        "with 'emgkit record --protocol ... --unattended'")
    p.add_argument("--trigger-pin", help="drive this pin (D11, D12, D13, D17, D18), read in "
                                         "the digital-read mode (emgkit record --trigger-pin)")
    p.add_argument("--trigger-every", type=float, default=4.0, metavar="SECONDS",
                   help="seconds between the trigger's rising edges (default 4)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    trigger = TriggerPattern(a.trigger_pin, a.trigger_every) if a.trigger_pin else None
    faults = Faults(a.drop, a.corrupt, a.stall_at, a.stall_s, True, a.disconnect_at,
                    a.railed, a.seed)
    if a.protocol:
        feed = protocol_feed(a.protocol, a.board, a.seed)
    else:
        feed = None if a.noise else simulator_feed(a.board, seed=a.seed)
    emu = make_emulator(a.board, feed, faults, log=False, trigger=trigger)
    emu.start()
    where = getattr(emu, "port", "") or getattr(emu, "ip_address", "")
    print(where, flush=True)
    done = threading.Event()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: done.set())
    try:
        done.wait()
    finally:
        emu.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
