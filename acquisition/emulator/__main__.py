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
    p.add_argument("--simulate", action="store_true",
                   help="feed the sEMG simulator (emgkit.simulate) instead of noise")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    faults = Faults(a.drop, a.corrupt, a.stall_at, a.stall_s, True, a.disconnect_at,
                    a.railed, a.seed)
    feed = _simulator_feed(a.board) if a.simulate else None
    emu = make_emulator(a.board, feed, faults, log=False)
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


def _simulator_feed(board: str):
    """Return a block feed from emgkit's sEMG simulator, if it is installed."""
    try:
        from emgkit import simulate
    except ImportError:
        sys.stderr.write("emgkit.simulate is not available; feeding noise\n")
        return None
    n = BOARD_LAYOUTS[board][0]
    fs = BOARD_LAYOUTS[board][1]
    maker = getattr(simulate, "block_feed", None)
    if maker is None:
        sys.stderr.write("emgkit.simulate has no block_feed(); feeding noise\n")
        return None
    return maker(n_channels=n, fs_hz=fs)


if __name__ == "__main__":
    sys.exit(main())
