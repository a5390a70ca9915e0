"""One source interface for live data: BrainFlow boards, stored trials, simulations.

:func:`open_source` makes the right source for an emgkit board name.
"""

from __future__ import annotations

from collections.abc import Sequence

from acquisition.sources.base import Block, Source, SourceInfo, empty_block, select_channels
from acquisition.sources.simulated import Feed, SimulatedSource, StoredTrialSource, noise_feed

__all__ = [
    "BOARD_NAMES",
    "Block",
    "BrainFlowSource",
    "Feed",
    "SimulatedSource",
    "Source",
    "SourceInfo",
    "StoredTrialSource",
    "empty_block",
    "noise_feed",
    "open_source",
    "select_channels",
]

#: Board names ``emgkit record --board`` accepts.
BOARD_NAMES = ("cyton", "cyton-daisy", "ganglion", "cyton-wifi", "cyton-daisy-wifi",
               "synthetic", "playback")


def __getattr__(name):  # lazy: importing BrainFlow costs time and may be absent
    if name == "BrainFlowSource":
        from acquisition.sources.brainflow_source import BrainFlowSource

        return BrainFlowSource
    raise AttributeError(name)


def open_source(board: str, channels: Sequence[int] | None = None, **kwargs) -> Source:
    """Return an (unopened) source for ``board``.

    Parameters
    ----------
    board : str
        One of :data:`BOARD_NAMES`.
    channels : sequence of int, optional
        Board inputs to deliver, e.g. ``montage.numbers``.
    **kwargs
        Passed to :class:`~acquisition.sources.brainflow_source.BrainFlowSource`
        (``serial_port``, ``ip_address``, ``ip_port``, ``playback_file``, ``master_board``...).
    """
    from acquisition.sources.brainflow_source import BrainFlowSource

    return BrainFlowSource(board, channels=channels, **kwargs)
