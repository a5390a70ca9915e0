"""Static facts about the boards emgkit knows, for reading files without BrainFlow.

Live acquisition asks BrainFlow for rows and rates; these values describe what files
from each board hold (see ``docs/boards.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from emgkit._validate import check_option
from emgkit.errors import ConfigError

_ADS1299_VREF_V = 4.5
_FULL_SCALE_COUNTS = 2**23 - 1


def ads1299_uv_per_count(gain: float = 24.0) -> float:
    """Microvolts per ADC count of the Cyton's ADS1299 at ``gain``."""
    return _ADS1299_VREF_V / gain / _FULL_SCALE_COUNTS * 1e6


@dataclass(frozen=True)
class BoardInfo:
    """Nominal facts about a board.

    Parameters
    ----------
    name : str
        emgkit's board name.
    brainflow_id : int
        BrainFlow's ``BoardIds`` value.
    fs_hz : float
        Default sampling rate in Hz.
    n_emg : int
        Number of EXG inputs.
    gain : float or None
        Default amplifier gain.
    uv_per_count : float or None
        Microvolts per count at the default gain.
    full_scale_uv : float or None
        +/- input range in microvolts at the default gain.
    """

    name: str
    brainflow_id: int
    fs_hz: float
    n_emg: int
    gain: float | None
    uv_per_count: float | None
    full_scale_uv: float | None


_CYTON_UV = ads1299_uv_per_count(24.0)
_CYTON_FS = _CYTON_UV * _FULL_SCALE_COUNTS  # 187500 uV
_GANGLION_UV = 1.2e6 / (8388607 * 1.5 * 51)
_GANGLION_FS = _GANGLION_UV * _FULL_SCALE_COUNTS

BOARDS: dict[str, BoardInfo] = {
    b.name: b
    for b in (
        BoardInfo("cyton", 0, 250.0, 8, 24.0, _CYTON_UV, _CYTON_FS),
        BoardInfo("ganglion", 1, 200.0, 4, 51.0, _GANGLION_UV, _GANGLION_FS),
        BoardInfo("cyton-daisy", 2, 125.0, 16, 24.0, _CYTON_UV, _CYTON_FS),
        BoardInfo("cyton-wifi", 5, 1000.0, 8, 24.0, _CYTON_UV, _CYTON_FS),
        BoardInfo("cyton-daisy-wifi", 6, 1000.0, 16, 24.0, _CYTON_UV, _CYTON_FS),
        BoardInfo("ganglion-wifi", 4, 1600.0, 4, 51.0, _GANGLION_UV, _GANGLION_FS),
        BoardInfo("synthetic", -1, 250.0, 16, 24.0, _CYTON_UV, _CYTON_FS),
    )
}


def board_info(name: str) -> BoardInfo:
    """Return :class:`BoardInfo` for a board name, or raise :class:`ConfigError`."""
    check_option("board", name, BOARDS, ConfigError)
    return BOARDS[name]
