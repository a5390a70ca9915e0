"""Real-time pacing of an emulated board's packets, with stalls and disconnects."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from acquisition.emulator.board import EmulatedBoard

log = logging.getLogger("emgkit")


class Streamer:
    """Sends an :class:`EmulatedBoard`'s packets at its rate from a thread.

    Parameters
    ----------
    board : EmulatedBoard
        The board model.
    write : callable
        ``write(data: bytes)`` puts bytes on the wire; an ``OSError`` ends streaming.
    on_disconnect : callable, optional
        Called once when the board disconnects (to close the port or socket).
    tick_s : float
        Pacing interval.
    """

    def __init__(self, board: EmulatedBoard, write: Callable[[bytes], None],
                 on_disconnect: Callable[[], None] | None = None, tick_s: float = 0.004):
        self.board = board
        self.write = write
        self.on_disconnect = on_disconnect
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stall_until = 0.0
        self._stall_drops = True
        self.disconnected = False

    @property
    def running(self) -> bool:
        """Whether the streaming thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start streaming from now."""
        if self.running or self.disconnected:
            return
        self._stop.clear()
        self.board.stream_started()
        self._thread = threading.Thread(target=self._run, name="emulator-stream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop streaming and wait for the thread."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._thread = None

    def stall(self, seconds: float, drops: bool = True) -> None:
        """Send nothing for ``seconds``; packets due meanwhile are lost or sent late."""
        self._stall_drops = drops
        self._stall_until = time.monotonic() + seconds

    def disconnect(self) -> None:
        """Go silent for good, after the packets already produced have been written.

        The thread is joined before the caller closes the link: a batch produced (and
        logged) but not yet written when the link closed would otherwise count as sent.
        """
        self.disconnected = True
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _send(self, data: bytes) -> None:
        """Write ``data``; a host that has gone loses it, and the board streams on.

        A real Cyton keeps streaming when the program that started it dies: the next
        host finds it streaming (and has to send ``s``).
        """
        try:
            self.write(data)
        except OSError as e:
            log.debug("emulator: no host to take %d bytes (%s)", len(data), e)

    def _run(self) -> None:
        b, f = self.board, self.board.faults
        t0 = time.monotonic()
        done = 0
        stall_at = None if f.stall_at_s is None else t0 + f.stall_at_s
        disconnect_at = None if f.disconnect_at_s is None else t0 + f.disconnect_at_s
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if disconnect_at is not None and now >= disconnect_at:
                    self.disconnected = True
                    break
                if stall_at is not None and now >= stall_at:
                    stall_at = None
                    self.stall(f.stall_s, f.stall_drops)
                due = int((now - t0) * b.fs_hz) - done
                if now < self._stall_until:
                    if self._stall_drops and due > 0:
                        b.produce(due, drop_all=True)
                        done += due
                elif due > 0:
                    data = b.produce(due)
                    done += due
                    if data:
                        self._send(data)
                self._stop.wait(self.tick_s)
        except OSError as e:  # the board's own side failed
            log.debug("emulator stream ended: %s", e)
        if self.disconnected and self.on_disconnect is not None:
            self.on_disconnect()
