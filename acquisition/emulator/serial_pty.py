"""A Cyton (or Cyton+Daisy) on a pseudo-terminal, answering BrainFlow's serial driver.

BrainFlow opens the pty's slave as if it were the USB dongle's port; this emulator
holds the master side, answers ``v`` (soft reset, ``$$$``), ``d`` (defaults), ``x...X``
(channel settings), ``~N`` (rate), ``/N`` (board mode: ``/3`` digital read) and
streams 33-byte packets between ``b`` and ``s``.
"""

from __future__ import annotations

import logging
import os
import pty
import select
import threading
import time
import tty

from acquisition.emulator.board import EmulatedBoard, Faults
from acquisition.emulator.stream import Streamer
from acquisition.sources.simulated import Feed

log = logging.getLogger("emgkit")

_RATES = {"0": 16000, "1": 8000, "2": 4000, "3": 2000, "4": 1000, "5": 500, "6": 250}
#: The firmware's board modes (``/N``), OpenBCI_Cyton_Library v3.1.2 ``BOARD_MODE``.
BOARD_MODES = {"0": "default", "1": "debug", "2": "analog", "3": "digital", "4": "marker",
               "5": "BLE"}


def version_text(board: str, firmware: str = "v3.1.2") -> str:
    """Return the answer of a Cyton to ``v`` (ends with ``$$$``)."""
    lines = ["OpenBCI V3 8-16 channel", "On Board ADS1299 Device ID: 0x3E"]
    if "daisy" in board:
        lines.append("On Daisy ADS1299 Device ID: 0x3E")
    lines += ["LIS3DH Device ID: 0x33", f"Firmware: {firmware}", "$$$"]
    return "\n".join(lines)


class CommandParser:
    """Turns the host's command bytes into replies (text) and actions.

    Parameters
    ----------
    board : str
        Emulated board name.
    on_start, on_stop : callable
        Called on ``b`` and ``s``.
    firmware : str
        Firmware version reported to ``v``.
    on_mode : callable, optional
        ``on_mode(name)`` when the host sets a board mode (``/3`` -> ``"digital"``).
    """

    def __init__(self, board: str, on_start, on_stop, firmware: str = "v3.1.2",
                 on_mode=None):
        self.board = board
        self.on_start, self.on_stop = on_start, on_stop
        self.on_mode = on_mode
        self.mode = "default"
        self.firmware = firmware
        self.pending = ""
        self.commands: list[str] = []
        self.streaming = False

    def feed(self, data: str) -> str:
        """Consume command characters; return the text to answer."""
        self.pending += data
        out = []
        while self.pending:
            c = self.pending[0]
            if c == "x":
                if len(self.pending) < 9:
                    break
                cmd, self.pending = self.pending[:9], self.pending[9:]
                self.commands.append(cmd)
                ok = cmd.endswith("X")
                if not self.streaming:
                    out.append(f"Success: Channel set for {cmd[1]}$$$" if ok
                               else "Failure: too few chars$$$")
                continue
            if c == "~":
                if len(self.pending) < 2:
                    break
                cmd, self.pending = self.pending[:2], self.pending[2:]
                self.commands.append(cmd)
                hz = _RATES.get(cmd[1], 250)
                out.append(f"Success: Sample rate is {hz}Hz$$$")
                continue
            if c == "/":
                if len(self.pending) < 2:
                    break
                cmd, self.pending = self.pending[:2], self.pending[2:]
                self.commands.append(cmd)
                out.append(self._board_mode(cmd[1]))
                continue
            self.pending = self.pending[1:]
            if c in "\r\n\0":
                continue
            self.commands.append(c)
            if c == "v":
                self.streaming = False
                out.append(version_text(self.board, self.firmware))
            elif c == "d":
                out.append("updating channel settings to default$$$")
            elif c == "b":
                self.streaming = True
                self.on_start()
            elif c == "s":
                self.streaming = False
                self.on_stop()
            elif c == "?":
                out.append("Board ADS Registers\n$$$")
        return "".join(out)

    def _board_mode(self, c: str) -> str:
        """Answer ``/c`` as the firmware's ``processIncomingBoardMode`` does."""
        if c == "/":
            return f"Success: {self.mode}$$$"
        if c not in BOARD_MODES:
            return "Failure: invalid board mode value.$$$" if not c.isdigit() else \
                "Failure: board mode value out of bounds.$$$"
        self.mode = BOARD_MODES[c]
        if self.on_mode is not None:
            self.on_mode(self.mode)
        return f"Success: {self.mode}$$$"


class CytonSerialEmulator:
    """A Cyton or Cyton+Daisy on a pseudo-terminal.

    Parameters
    ----------
    board : {"cyton", "cyton-daisy"}
        Which board to emulate.
    feed : callable, optional
        ``feed(n) -> float32 (n, n_channels)`` µV (e.g. the sEMG simulator's block
        generator); Gaussian noise with a DC offset if None.
    faults : Faults, optional
        Faults to inject.
    log : bool
        Keep a log of every generated sample (:meth:`EmulatedBoard.log`).
    close_on_disconnect : bool
        On a disconnect fault, close the port (the dongle was pulled) instead of only
        going silent (the board lost power).
    trigger : TriggerPattern, optional
        A trigger pin toggled periodically, read in the digital-read mode (``/3``).

    Examples
    --------
    >>> with CytonSerialEmulator("cyton") as emu:             # doctest: +SKIP
    ...     print(emu.port)    # give this to BrainFlow as serial_port
    """

    def __init__(self, board: str = "cyton", feed: Feed | None = None,
                 faults: Faults | None = None, *, log: bool = True,
                 close_on_disconnect: bool = False, firmware: str = "v3.1.2",
                 trigger=None):
        if board not in ("cyton", "cyton-daisy"):
            raise ValueError(f"the serial emulator runs 'cyton' or 'cyton-daisy', not {board!r}")
        self.board = EmulatedBoard(board, feed, faults, log=log, trigger=trigger)
        self.close_on_disconnect = close_on_disconnect
        self.parser = CommandParser(board, self._start_stream, self._stop_stream, firmware,
                                    on_mode=lambda m: setattr(self.board, "mode", m))
        self._master = self._slave = -1
        self.port = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wlock = threading.Lock()
        self.streamer = Streamer(self.board, self._write, self._on_disconnect)

    @property
    def faults(self) -> Faults:
        """The faults being injected."""
        return self.board.faults

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> CytonSerialEmulator:
        """Open the pseudo-terminal and answer commands; returns self."""
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, name="cyton-emulator", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop streaming and close the pseudo-terminal."""
        self.streamer.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1

    def __enter__(self) -> CytonSerialEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- faults at run time ----------------------------------------------------------------------
    def stall(self, seconds: float, drops: bool = True) -> None:
        """Send nothing for ``seconds``."""
        self.streamer.stall(seconds, drops)

    def disconnect(self) -> None:
        """Go silent for good (and close the port if ``close_on_disconnect``)."""
        self.streamer.disconnect()
        self._on_disconnect()

    # -- internals ---------------------------------------------------------------------------------
    def _start_stream(self) -> None:
        self.streamer.start()

    def _stop_stream(self) -> None:
        self.streamer.stop()

    def _on_disconnect(self) -> None:
        if self.close_on_disconnect and self._master >= 0:
            self._stop.set()
            try:
                os.close(self._master)
            except OSError:
                pass
            self._master = -1

    def _write(self, data: bytes) -> None:
        """Write all of ``data`` to the host; drop what does not fit within 1 s."""
        with self._wlock:
            view = memoryview(data)
            deadline = time.monotonic() + 1.0
            while view and self._master >= 0:
                try:
                    n = os.write(self._master, view)
                    view = view[n:]
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        log.debug("emulator: host not reading, %d bytes dropped", len(view))
                        return
                    select.select([], [self._master], [], 0.05)

    def _serve(self) -> None:
        while not self._stop.is_set():
            fd = self._master
            if fd < 0:
                return
            try:
                r, _, _ = select.select([fd], [], [], 0.05)
                if not r:
                    continue
                data = os.read(fd, 4096)
            except OSError:
                if self._stop.wait(0.05):
                    return
                continue
            if not data:
                continue
            reply = self.parser.feed(data.decode("latin-1"))
            if reply and not self.streamer.disconnected:
                self._write(reply.encode("latin-1"))
