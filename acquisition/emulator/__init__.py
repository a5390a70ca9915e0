"""Emulated OpenBCI boards for tests, teaching and the demo.

- :class:`CytonSerialEmulator`: a Cyton or Cyton+Daisy on a pseudo-terminal (give its
  :attr:`~CytonSerialEmulator.port` to BrainFlow as the serial port).
- :class:`WifiShieldEmulator`: a Cyton or Cyton+Daisy behind a WiFi shield on a loopback
  address (HTTP on port 80, data over TCP to the host).
- :class:`Faults`: dropped packets, corrupted bytes, a stall, a disconnect, a railed channel.

Both are fed by ``feed(n_samples) -> float32 (n_samples, n_channels)`` microvolts, such
as the sEMG simulator's block generator; the emulator turns microvolts into the board's
24-bit counts with its scale and keeps a log of what it sent
(:meth:`EmulatedBoard.log`). From the command line::

    python -m acquisition.emulator --board cyton --drop 0.01
"""

from acquisition.emulator.board import BOARD_LAYOUTS, EmulatedBoard, Faults, SentLog
from acquisition.emulator.packets import ACCEL_G_PER_COUNT, CYTON_UV_PER_COUNT
from acquisition.emulator.serial_pty import CytonSerialEmulator
from acquisition.emulator.wifi import WifiShieldEmulator

__all__ = [
    "ACCEL_G_PER_COUNT",
    "BOARD_LAYOUTS",
    "CYTON_UV_PER_COUNT",
    "CytonSerialEmulator",
    "EmulatedBoard",
    "Faults",
    "SentLog",
    "WifiShieldEmulator",
    "make_emulator",
]


def make_emulator(board: str, feed=None, faults: Faults | None = None, **kwargs):
    """Return an unstarted emulator for ``board`` (serial or WiFi by its name)."""
    if board.endswith("-wifi"):
        return WifiShieldEmulator(board, feed, faults, **kwargs)
    return CytonSerialEmulator(board, feed, faults, **kwargs)
