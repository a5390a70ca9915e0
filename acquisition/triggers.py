"""Trigger inputs: the Cyton's digital-read board mode, pins D11-D18 and their rising edges.

The Cyton firmware (OpenBCI/OpenBCI_Cyton_Library v3.1.2, ``OpenBCI_32bit_Library.cpp``,
``setBoardMode`` and ``updateChannelData``) switches to digital read with the board mode
command ``/3`` (``/0`` default, ``/1`` debug, ``/2`` analog, ``/3`` digital, ``/4``
marker) and then fills the six aux bytes of each packet with
``D11, D12, D13, D17, 0, D18`` (``auxData[0] = D11 << 8 | D12``, ``auxData[1] = D13 << 8
| D17``, ``auxData[2] = D18``; D13 and D18 read 0 behind a WiFi shield, which uses them),
with footer ``0xC1`` (raw aux, the accelerometer off).

BrainFlow's Cyton driver (brainflow-dev/brainflow ``src/board_controller/openbci/
cyton.cpp``, ``read_thread``) stores the footer in ``other_channels[0]`` and the six aux
bytes unprocessed in ``other_channels[1..6]`` (rows 13-18 of a Cyton's 24; ask
``BoardShim.get_other_channels``), so pin ``D11`` is ``other_channels[1]`` and ``D18``
``other_channels[6]``.

A rising edge becomes a marker on its sample with the pin's number as the value
(``D11`` -> 11), which the recorder stores as a ``marker`` event labelled ``"11"``.
"""

from __future__ import annotations

import numpy as np

from emgkit.errors import ConfigError

#: The Cyton board-mode command for digital read.
DIGITAL_MODE_COMMAND = "/3"
#: The board-mode command back to the default (accelerometer) mode.
DEFAULT_MODE_COMMAND = "/0"
#: Trigger pin -> index into ``BoardShim.get_other_channels`` (0 is the footer byte).
PIN_OTHER_INDEX = {"D11": 1, "D12": 2, "D13": 3, "D17": 4, "D18": 6}
#: Pins the WiFi shield takes for itself (they read 0 there).
WIFI_BUSY_PINS = ("D13", "D18")
#: Footer of a packet whose aux bytes are raw (analog or digital read).
FOOTER_RAW_AUX = 0xC1

__all__ = [
    "DEFAULT_MODE_COMMAND",
    "DIGITAL_MODE_COMMAND",
    "FOOTER_RAW_AUX",
    "PIN_OTHER_INDEX",
    "EdgeDetector",
    "TriggerPattern",
    "check_pin",
    "marker_value",
]


def check_pin(pin: str, board: str = "cyton") -> str:
    """Return the normalised pin name (``D11``...), or raise :class:`ConfigError`.

    Parameters
    ----------
    pin : str
        ``D11``, ``D12``, ``D13``, ``D17`` or ``D18`` (case-insensitive, ``11`` accepted).
    board : str
        emgkit board name; the WiFi boards cannot read D13 and D18.
    """
    name = str(pin).strip().upper()
    if not name.startswith("D"):
        name = "D" + name
    if name not in PIN_OTHER_INDEX:
        raise ConfigError(f"trigger pin must be one of {', '.join(PIN_OTHER_INDEX)}, got {pin!r}")
    if board.endswith("-wifi") and name in WIFI_BUSY_PINS:
        raise ConfigError(f"trigger pin {name} is used by the WiFi shield; use D11, D12 or D17")
    return name


def marker_value(pin: str) -> float:
    """Return the marker value a rising edge on ``pin`` is stored with (``D11`` -> 11.0)."""
    return float(check_pin(pin)[1:])


class EdgeDetector:
    """Finds rising edges of a digital level across consecutive blocks.

    Parameters
    ----------
    initial : int
        Level assumed before the first sample (0: a pin high at the start is an edge).
    """

    def __init__(self, initial: int = 0):
        self.level = int(initial)

    def rising(self, levels: np.ndarray) -> np.ndarray:
        """Return the indices in ``levels`` where the level goes from 0 to non-zero."""
        high = np.asarray(levels) != 0
        if high.size == 0:
            return np.zeros(0, np.int64)
        before = np.concatenate(([self.level != 0], high[:-1]))
        self.level = int(high[-1])
        return np.nonzero(high & ~before)[0].astype(np.int64)


class TriggerPattern:
    """A pin the emulator drives: high for ``high_s`` every ``every_s`` seconds.

    Rising edges fall on samples ``k * round(every_s * fs)`` for k = 1, 2, ... of the
    emulator's stream (counted from its first sample since power-on).

    Parameters
    ----------
    pin : str
        The pin (``D11``...).
    every_s : float
        Seconds between rising edges.
    high_s : float, optional
        How long the pin stays high; half of ``every_s`` if None (a square wave).
    """

    def __init__(self, pin: str, every_s: float, high_s: float | None = None):
        if not every_s > 0:
            raise ConfigError(f"trigger period must be > 0 s, got {every_s}")
        self.pin = check_pin(pin)
        self.every_s = float(every_s)
        self.high_s = self.every_s / 2 if high_s is None else float(high_s)

    def levels(self, idx: np.ndarray, fs_hz: float) -> np.ndarray:
        """Return the pin's level (0 or 1, uint8) at emulator sample indices ``idx``."""
        period = max(2, round(self.every_s * fs_hz))
        width = min(period - 1, max(1, round(self.high_s * fs_hz)))
        idx = np.asarray(idx, np.int64)
        return ((idx >= period) & (idx % period < width)).astype(np.uint8)

    def aux_bytes(self, idx: np.ndarray, fs_hz: float) -> np.ndarray:
        """Return the six aux bytes of digital-read packets, uint8 ``(n, 6)``."""
        out = np.zeros((len(idx), 6), np.uint8)
        out[:, PIN_OTHER_INDEX[self.pin] - 1] = self.levels(idx, fs_hz)
        return out
