"""Stopping a Cyton that is still streaming from a crashed run, before BrainFlow connects.

A Cyton keeps streaming when the program that started it dies (``kill -9``, a crash):
the next ``prepare_session`` then reads packet bytes where it expects the board's
``$$$`` text (BOARD_NOT_READY_ERROR), or ``config_board`` gets binary bytes it cannot
decode. Sending ``s`` (stop) and reading until the line is quiet puts the board back in
the state BrainFlow expects (OPENBCI.md: stale packet bytes must be drained).
"""

from __future__ import annotations

import os
import select
import termios
import time
import tty

#: The line counts as quiet after this long without a byte, in seconds.
QUIET_S = 0.3


def quiet_serial_board(port: str, timeout_s: float = 3.0) -> int:
    """Send ``s`` to a serial board and drain its output until it is quiet.

    Parameters
    ----------
    port : str
        The serial port (the dongle's, or the emulator's pseudo-terminal).
    timeout_s : float
        Give up draining after this long (a board that never stops).

    Returns
    -------
    int
        Bytes drained.

    Raises
    ------
    OSError
        If the port cannot be opened or written.
    """
    fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[4] = attrs[5] = termios.B115200
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        os.write(fd, b"s")
        drained = 0
        deadline = time.monotonic() + timeout_s
        last = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < QUIET_S:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except BlockingIOError:
                    continue
                drained += len(chunk)
                last = time.monotonic()
        termios.tcflush(fd, termios.TCIOFLUSH)
        return drained
    finally:
        os.close(fd)
