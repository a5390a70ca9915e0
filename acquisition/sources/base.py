"""The source interface: blocks of microvolts with packet counters, accelerometer and markers."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emgkit.errors import ConfigError


@dataclass(frozen=True)
class SourceInfo:
    """What a source delivers.

    Parameters
    ----------
    board : str
        emgkit's board name (``cyton``, ``cyton-daisy``, ``synthetic``, ``stored``...).
    fs_hz : float
        Nominal sampling rate in Hz.
    channels : tuple of int
        Board inputs (1-based) of the columns of :attr:`Block.emg_uv`, in order.
    n_board_channels : int
        Number of EXG inputs of the board.
    has_accel : bool
        Whether blocks carry accelerometer data.
    counter_step : int
        Usual increment of the packet counter per sample (2 on Cyton+Daisy serial).
    counter_modulo : int
        The packet counter wraps at this value.
    gain : float, optional
        Amplifier gain.
    uv_per_count : float, optional
        Microvolts per ADC count.
    full_scale_uv : float, optional
        +/- input range in microvolts.
    address : str
        Serial port, IP address or file the source reads (for messages).
    """

    board: str
    fs_hz: float
    channels: tuple[int, ...]
    n_board_channels: int
    has_accel: bool = True
    counter_step: int = 1
    counter_modulo: int = 256
    gain: float | None = None
    uv_per_count: float | None = None
    full_scale_uv: float | None = None
    address: str = ""


@dataclass(frozen=True)
class Block:
    """A block of consecutive samples as they arrived.

    Parameters
    ----------
    emg_uv : numpy.ndarray
        float32 ``(n_samples, n_channels)`` microvolts, columns as :attr:`SourceInfo.channels`.
    package_num : numpy.ndarray
        int64 ``(n_samples,)`` board packet counter.
    timestamps_s : numpy.ndarray
        float64 ``(n_samples,)`` host Unix time at parse.
    accel_g : numpy.ndarray, optional
        float32 ``(n_samples, 3)`` accelerometer in g.
    marker : numpy.ndarray, optional
        float64 ``(n_samples,)`` marker values, 0 where there is none.
    """

    emg_uv: np.ndarray
    package_num: np.ndarray
    timestamps_s: np.ndarray
    accel_g: np.ndarray | None = None
    marker: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of samples in the block."""
        return int(self.emg_uv.shape[0])

    def slice(self, start: int, stop: int) -> Block:
        """Return the samples ``start:stop`` as a new block."""
        s = slice(start, stop)
        return Block(
            self.emg_uv[s], self.package_num[s], self.timestamps_s[s],
            None if self.accel_g is None else self.accel_g[s],
            None if self.marker is None else self.marker[s],
        )


class Source(abc.ABC):
    """A live (or replayed) stream of :class:`Block`.

    Use as a context manager, or call :meth:`open`, :meth:`start`, :meth:`read` in a
    loop, :meth:`stop` and :meth:`close`. :meth:`read` raises
    :class:`~emgkit.errors.AcquisitionError` when the stream is lost (a disconnect, or no
    data for longer than the source's stall timeout) and returns None at the end of a
    finite stream (a stored trial).
    """

    info: SourceInfo
    #: A finite stream (a stored trial) ends; a recorder starts reading it with the first
    #: trial instead of discarding what comes before.
    finite: bool = False
    #: A real-time source (a board) cannot wait: a full recorder queue is an error. A
    #: replay or simulation running faster than real time is throttled instead.
    realtime: bool = True

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect to the device (may take seconds on a real board)."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start streaming."""

    @abc.abstractmethod
    def read(self, timeout_s: float = 0.1) -> Block | None:
        """Return the samples that arrived since the last call.

        Waits up to ``timeout_s`` for at least one sample; returns an empty block if none
        came, and None once a finite stream has ended.
        """

    def insert_marker(self, value: float) -> None:
        """Attach a marker (non-zero number) to the next sample, where supported."""
        raise NotImplementedError(f"{type(self).__name__} does not support markers")

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop streaming."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device."""

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self.close()


def empty_block(n_channels: int, accel: bool) -> Block:
    """Return a block with no samples."""
    return Block(
        np.zeros((0, n_channels), np.float32), np.zeros(0, np.int64), np.zeros(0),
        np.zeros((0, 3), np.float32) if accel else None, np.zeros(0),
    )


def select_channels(
    channels: Sequence[int] | None, n_board_channels: int, board: str
) -> tuple[int, ...]:
    """Validate 1-based board inputs (all inputs if None) and return them as a tuple.

    Raises
    ------
    ConfigError
        If an input does not exist on the board.
    """
    if channels is None:
        return tuple(range(1, n_board_channels + 1))
    chans = tuple(int(c) for c in channels)
    bad = [c for c in chans if not 1 <= c <= n_board_channels]
    if bad:
        raise ConfigError(
            f"board {board!r} has inputs 1-{n_board_channels}, but the montage uses {bad}"
        )
    return chans
