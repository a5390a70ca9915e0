"""In-process sources: a simulated stream and the replay of a stored trial.

Both deliver :class:`~acquisition.sources.base.Block` exactly like a board, so the
recorder, the viewer and the tests do not care which one is behind them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from os import PathLike

import numpy as np

from acquisition.sources.base import Block, Source, SourceInfo, empty_block
from emgkit.model.boards import ads1299_uv_per_count

#: A feed: ``feed(n_samples) -> float32 (n_samples, n_channels)`` microvolts.
Feed = Callable[[int], np.ndarray]


def noise_feed(n_channels: int, seed: int = 0, rms_uv: float = 20.0, offset_uv: float = 0.0,
               ) -> Feed:
    """Return a feed of white Gaussian noise (a stand-in when no simulator is given).

    Parameters
    ----------
    n_channels : int
        Number of columns of every block.
    seed : int
        Seed: the same seed gives the same stream whatever the block sizes.
    rms_uv : float
        Noise RMS in microvolts.
    offset_uv : float
        DC offset added to every channel (OpenBCI offsets are tens of millivolts).
    """
    rng = np.random.default_rng(seed)

    def feed(n_samples: int) -> np.ndarray:
        x = rng.standard_normal((n_samples, n_channels), dtype=np.float32)
        x *= np.float32(rms_uv)
        if offset_uv:
            x += np.float32(offset_uv)
        return x

    return feed


def simulator_feed(board: str = "cyton", fs_hz: float | None = None, seed: int = 0,
                   protocol=None) -> Feed:
    """Return a feed from emgkit's sEMG simulator: a simulated lab session, looped.

    The columns are the board's EXG inputs in order, recording the simulator's default
    posterior-chain montage for that board (:func:`emgkit.simulate.default_montage`):
    MVC efforts, hinge and squat sets with rests between them, with DC offsets, mains
    and ECG on the trunk channels, as a board would see them.

    Parameters
    ----------
    board : str
        Board name (``cyton``, ``cyton-daisy``, ``cyton-wifi``, ``cyton-daisy-wifi``,
        ``ganglion``...).
    fs_hz : float, optional
        Sampling rate; the board's default if None.
    seed : int
        Simulator seed: the same seed gives the same stream whatever the block sizes.
    protocol : emgkit.simulate.LabProtocol, optional
        The simulated session; the simulator's default lab session if None.
    """
    from emgkit.model.boards import board_info
    from emgkit.simulate import SessionStream, default_montage

    fs = float(fs_hz if fs_hz is not None else board_info(board).fs_hz)
    stream = SessionStream(default_montage(board), fs, seed, protocol, loop=True, board=board)

    def feed(n_samples: int) -> np.ndarray:
        return read_stream(stream, n_samples)

    return feed


def read_stream(stream, n_samples: int) -> np.ndarray:
    """Read ``n_samples`` of a looping :class:`emgkit.simulate.SessionStream`'s EMG.

    Lost packets are not simulated here: the rows come whole, float32 ``(n, n_channels)``.
    """
    parts, got = [], 0
    while got < n_samples:
        block = stream.read(n_samples - got)
        parts.append(block.emg_uv)
        got += block.emg_uv.shape[0]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class SimulatedSource(Source):
    """A stream of samples from a feed, paced in real time or as fast as possible.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    n_channels : int
        Number of channels.
    feed : callable, optional
        ``feed(n) -> (n, n_channels)`` µV; white noise (seed 0) if None.
    block_s : float
        Duration of the blocks :meth:`read` returns when running faster than real time.
    realtime : bool
        Deliver samples at ``fs_hz`` (as a board would) or as fast as they are asked for.
    max_samples : int, optional
        End the stream (``read`` returns None) after this many samples.
    board : str
        Board name reported in :attr:`info`.
    """

    def __init__(self, fs_hz: float, n_channels: int, feed: Feed | None = None, *,
                 block_s: float = 0.02, realtime: bool = True, max_samples: int | None = None,
                 board: str = "simulated"):
        self.info = SourceInfo(
            board=board, fs_hz=float(fs_hz), channels=tuple(range(1, n_channels + 1)),
            n_board_channels=n_channels, has_accel=True, gain=24.0,
            uv_per_count=ads1299_uv_per_count(24.0), full_scale_uv=ads1299_uv_per_count(24.0)
            * (2**23 - 1), address="in-process",
        )
        self.feed = feed or noise_feed(n_channels)
        self.block_n = max(1, round(block_s * fs_hz))
        self.realtime = realtime
        self.max_samples = max_samples
        self.finite = max_samples is not None
        self.sent = 0
        self._t0 = None
        self._wall0 = 0.0
        self._markers: list[float] = []

    def start(self) -> None:
        """Start the clock."""
        if self._t0 is None:
            self._t0 = time.monotonic()
            self._wall0 = time.time()

    def _due(self, timeout_s: float) -> int:
        if not self.realtime:
            return self.block_n
        deadline = time.monotonic() + timeout_s
        while True:
            due = int((time.monotonic() - self._t0) * self.info.fs_hz) - self.sent
            if due > 0 or time.monotonic() >= deadline:
                return max(due, 0)
            time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))

    def read(self, timeout_s: float = 0.1) -> Block | None:
        """Return the samples due now (real time) or the next block (fast)."""
        if self._t0 is None:
            self.start()
        if self.max_samples is not None and self.sent >= self.max_samples:
            return None
        n = self._due(timeout_s)
        if self.max_samples is not None:
            n = min(n, self.max_samples - self.sent)
        if n == 0:
            return empty_block(len(self.info.channels), True)
        idx = np.arange(self.sent, self.sent + n)
        emg = np.asarray(self.feed(n), dtype=np.float32)
        marker = np.zeros(n)
        if self._markers:
            marker[0] = self._markers.pop(0)
        accel = np.zeros((n, 3), np.float32)
        accel[:, 2] = 1.0
        self.sent += n
        return Block(emg, idx % 256, self._wall0 + idx / self.info.fs_hz, accel, marker)

    def insert_marker(self, value: float) -> None:
        """Attach ``value`` to the next sample delivered."""
        self._markers.append(float(value))


class StoredTrialSource(Source):
    """Replays a trial of an HDF5 session through the source interface.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.
    trial_id : str
        The trial to replay (``t001``...).
    realtime : bool
        Pace the replay at the trial's rate, or deliver blocks as fast as asked.
    block_s : float
        Block duration.
    channels : sequence of int, optional
        Board inputs to deliver (must be in the session's montage); all if None.
    """

    def __init__(self, path: str | PathLike, trial_id: str, *, realtime: bool = True,
                 block_s: float = 0.02, channels: Sequence[int] | None = None):
        from emgkit.errors import ConfigError
        from emgkit.io.reader import SessionFile

        with SessionFile(path) as sf:
            self.trial = sf.read_trial(trial_id)
            device, montage = sf.device, sf.montage
        numbers = list(montage.numbers)
        chans = tuple(numbers) if channels is None else tuple(int(c) for c in channels)
        missing = [c for c in chans if c not in numbers]
        if missing:
            raise ConfigError(f"inputs {missing} are not in the session's montage {numbers}")
        self._cols = [numbers.index(c) for c in chans]
        self.info = SourceInfo(
            board="stored", fs_hz=self.trial.fs_hz, channels=chans,
            n_board_channels=len(numbers), has_accel=self.trial.accel_g is not None,
            gain=device.gain, uv_per_count=device.uv_per_count,
            full_scale_uv=device.full_scale_uv, address=f"{path}:{trial_id}",
        )
        n = self.trial.n_samples
        pn = self.trial.package_num
        self._pn = np.arange(n) % 256 if pn is None else pn.astype(np.int64)
        self._marker = np.zeros(n)
        ev = self.trial.events.of_kind("marker")
        for s, lab in zip(ev.sample, ev.label):
            try:
                self._marker[min(int(s), n - 1)] = float(lab)
            except ValueError:
                continue
        self.finite = True
        self.realtime = realtime
        self._sim = SimulatedSource(self.trial.fs_hz, len(chans), self._feed, block_s=block_s,
                                    realtime=realtime, max_samples=n, board="stored")

    def _feed(self, n: int) -> np.ndarray:
        i = self._sim.sent
        return self.trial.emg_uv[i:i + n][:, self._cols]

    def start(self) -> None:
        """Start the replay clock."""
        self._sim.start()

    def read(self, timeout_s: float = 0.1) -> Block | None:
        """Return the next samples of the trial; None at its end."""
        i0 = self._sim.sent
        b = self._sim.read(timeout_s)
        if b is None or b.n_samples == 0:
            return b
        s = slice(i0, i0 + b.n_samples)
        accel = None if self.trial.accel_g is None else self.trial.accel_g[s]
        ts = b.timestamps_s if self.trial.timestamps_s is None else self.trial.timestamps_s[s]
        return Block(b.emg_uv, self._pn[s], ts, accel, self._marker[s].copy())
