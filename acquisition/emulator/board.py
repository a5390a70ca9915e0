"""The emulated board: sample generation, packet framing, faults and a log of what was sent.

Transports (:mod:`~acquisition.emulator.serial_pty`, :mod:`~acquisition.emulator.wifi`)
call :meth:`EmulatedBoard.produce` from a paced thread and write the bytes it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from acquisition.emulator.packets import (
    ACCEL_G_PER_COUNT,
    COUNTS_MAX,
    CYTON_UV_PER_COUNT,
    FOOTER_ACCEL,
    PACKET_BYTES,
    encode_packets,
    g_to_accel_counts,
    uv_to_counts,
)
from acquisition.sources.simulated import Feed, noise_feed
from acquisition.triggers import FOOTER_RAW_AUX, TriggerPattern

#: Emulated boards: (EXG channels, samples per second, packets per sample, framing).
BOARD_LAYOUTS = {
    "cyton": (8, 250.0, "single"),
    "cyton-daisy": (16, 125.0, "daisy-serial"),
    "cyton-wifi": (8, 1000.0, "single"),
    "cyton-daisy-wifi": (16, 1000.0, "daisy-wifi"),
}


@dataclass
class Faults:
    """Faults the emulator injects.

    Parameters
    ----------
    drop_fraction : float
        Probability that a sample's packet(s) are lost (the counter still advances).
        On Cyton+Daisy both packets of a sample are dropped together.
    corrupt_fraction : float
        Probability that a packet is corrupted: a flipped data byte, a bad start or end
        byte, or garbage bytes inserted before it.
    stall_at_s, stall_s : float, optional
        Stop sending ``stall_s`` seconds, ``stall_at_s`` seconds after streaming starts.
    stall_drops : bool
        Packets due during the stall are lost (True, a radio dropout) or sent late in a
        burst (False, a buffering link).
    disconnect_at_s : float, optional
        Go silent for good this long after streaming starts (the board lost power).
    railed_channel : int, optional
        Board input (1-based) held at positive full scale (an electrode off).
    seed : int
        Seed of the fault draws.
    drop_half_fraction : float
        Cyton+Daisy over serial: probability that one of a sample's two packets is lost
        (which one is drawn too).
    """

    drop_fraction: float = 0.0
    corrupt_fraction: float = 0.0
    stall_at_s: float | None = None
    stall_s: float = 0.0
    stall_drops: bool = True
    disconnect_at_s: float | None = None
    railed_channel: int | None = None
    seed: int = 1
    drop_half_fraction: float = 0.0


class SentLog:
    """What the emulator generated, one row per sample (kept only if logging is on).

    Attributes
    ----------
    counter : numpy.ndarray
        ``(n,)`` the sample's counter as BrainFlow reports it in ``package_num``.
    counts : numpy.ndarray
        int32 ``(n, n_channels)`` ADC counts.
    accel_counts : numpy.ndarray
        int16 ``(n, 3)`` accelerometer counts sent with the sample (zeros if none).
    dropped, corrupted : numpy.ndarray
        bool ``(n,)``.
    half_lost : numpy.ndarray
        int8 ``(n,)``: which packet of a Daisy sample was lost alone (0 = the first,
        inputs 9-16; 1 = the second, inputs 1-8), -1 for none.
    digital : numpy.ndarray
        uint8 ``(n,)`` level of the trigger pin sent with the sample (0 outside the
        digital-read mode or without a trigger).
    """

    def __init__(self, parts: list[tuple[np.ndarray, ...]], n_channels: int):
        def cat(i, shape, dtype):
            arrs = [p[i] for p in parts]
            return np.concatenate(arrs) if arrs else np.zeros(shape, dtype)

        self.counter = cat(0, (0,), np.int64)
        self.counts = cat(1, (0, n_channels), np.int32)
        self.accel_counts = cat(2, (0, 3), np.int16)
        self.dropped = cat(3, (0,), bool)
        self.corrupted = cat(4, (0,), bool)
        self.half_lost = cat(5, (0,), np.int8)
        self.digital = cat(6, (0,), np.uint8)

    def __len__(self) -> int:
        return int(self.counter.size)

    def delivered(self) -> np.ndarray:
        """Return the indices of the samples that reached the host intact."""
        return np.nonzero(~self.dropped & ~self.corrupted)[0]

    def expected_accel_g(self) -> np.ndarray:
        """Accelerometer of every sample as BrainFlow reports it (last non-zero X held).

        Only delivered samples update the held value; float64 ``(n, 3)`` in g.
        """
        held = np.zeros(3)
        out = np.zeros((len(self), 3))
        ok = ~self.dropped
        for i in range(len(self)):
            if ok[i] and self.accel_counts[i, 0] != 0:
                held = self.accel_counts[i] * ACCEL_G_PER_COUNT
            out[i] = held
        return out


def default_accel(n_samples: int, start: int, fs_hz: float) -> np.ndarray:
    """Return a slowly swaying accelerometer in g, ``(n_samples, 3)``, gravity mostly on z."""
    t = (start + np.arange(n_samples)) / fs_hz
    return np.stack([0.25 + 0.1 * np.sin(2 * np.pi * 0.5 * t), 0.1 * np.cos(2 * np.pi * 0.3 * t),
                     0.95 + 0.02 * np.sin(2 * np.pi * 0.2 * t)], axis=1)


class EmulatedBoard:
    """Generates a Cyton's packets from a feed of microvolts.

    Parameters
    ----------
    board : str
        ``cyton``, ``cyton-daisy``, ``cyton-wifi`` or ``cyton-daisy-wifi``.
    feed : callable, optional
        ``feed(n) -> (n, n_channels)`` µV; Gaussian noise (20 µV RMS, seed 0) if None.
    faults : Faults, optional
        Faults to inject.
    log : bool
        Keep a :class:`SentLog` of every sample (tests); off for long runs.
    accel_every : int, optional
        Send the accelerometer with every ``accel_every``-th sample (the LIS3DH updates at
        25 Hz); ``fs / 25`` if None.
    trigger : TriggerPattern, optional
        A pin driven high periodically; it shows in the packets once the host selects
        the digital-read board mode (``/3``), as on a real Cyton.
    """

    def __init__(self, board: str = "cyton", feed: Feed | None = None, faults: Faults | None = None,
                 *, log: bool = True, accel_every: int | None = None,
                 accel: Callable[[int, int, float], np.ndarray] = default_accel,
                 trigger: TriggerPattern | None = None):
        if board not in BOARD_LAYOUTS:
            raise ValueError(f"cannot emulate board {board!r}; choose from {list(BOARD_LAYOUTS)}")
        self.board = board
        self.n_channels, self.fs_hz, self.framing = BOARD_LAYOUTS[board]
        self.feed = feed or noise_feed(self.n_channels, seed=0, rms_uv=20.0, offset_uv=1500.0)
        self.accel = accel
        self.faults = faults or Faults()
        self.accel_every = accel_every or max(1, round(self.fs_hz / 25))
        self.log_enabled = log
        #: A serial reader resyncs on the start byte; the WiFi reader takes fixed 33-byte frames.
        self.resyncs = board in ("cyton", "cyton-daisy")
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._rng = np.random.default_rng(self.faults.seed)
        self.n_samples = 0
        self.n_dropped = 0
        self.n_corrupted = 0
        self.lock = threading.Lock()
        self.trigger = trigger
        #: Board mode the host selected (``default``, ``digital``, ...; ``/N`` commands).
        self.mode = "default"

    @property
    def uv_per_count(self) -> float:
        """Microvolts per count (gain 24)."""
        return CYTON_UV_PER_COUNT

    def stream_started(self) -> None:
        """Restart a feed that follows a timeline (``feed.restart``): the host sent ``b``."""
        restart = getattr(self.feed, "restart", None)
        if restart is not None:
            restart()

    def log(self) -> SentLog:
        """Return the log of the samples generated so far."""
        with self.lock:
            return SentLog(list(self._parts), self.n_channels)

    def clear_log(self) -> None:
        """Forget the log (the stream continues)."""
        with self.lock:
            self._parts.clear()

    def counters(self, idx: np.ndarray) -> np.ndarray:
        """Per-packet counters for sample indices ``idx``: ``(n, packets per sample)``."""
        if self.framing == "daisy-serial":
            return np.stack([(2 * idx) % 256, (2 * idx + 1) % 256], axis=1)
        if self.framing == "daisy-wifi":
            return np.stack([idx % 256, idx % 256], axis=1)
        return (idx % 256)[:, None]

    def produce(self, n: int, drop_all: bool = False) -> bytes:
        """Generate the next ``n`` samples and return their bytes on the wire.

        Parameters
        ----------
        n : int
            Number of samples.
        drop_all : bool
            Lose all of them (a stall with lost packets).
        """
        if n <= 0:
            return b""
        f = self.faults
        idx = np.arange(self.n_samples, self.n_samples + n)
        counts = uv_to_counts(self.feed(n), self.uv_per_count)
        if f.railed_channel:
            counts[:, f.railed_channel - 1] = COUNTS_MAX
        acc = np.zeros((n, 3), np.int16)
        has = idx % self.accel_every == 0
        if has.any():
            a = g_to_accel_counts(self.accel(int(has.sum()), int(idx[has][0]), self.fs_hz))
            a[a[:, 0] == 0, 0] = 1  # BrainFlow ignores accel with X == 0
            acc[has] = a
        dropped = np.full(n, drop_all) | (self._rng.random(n) < f.drop_fraction)
        corrupted = (self._rng.random(n) < f.corrupt_fraction) & ~dropped
        half = np.full(n, -1, np.int8)
        if self.framing == "daisy-serial" and f.drop_half_fraction:
            lose = (self._rng.random(n) < f.drop_half_fraction) & ~dropped & ~corrupted
            half[lose] = self._rng.integers(0, 2, int(lose.sum()))
        cnt = self.counters(idx)
        aux, footer, digital = self._aux(idx)
        if aux is not None:
            acc[:] = 0
        if self.framing == "single":
            pk = encode_packets(cnt[:, 0], counts, acc, aux, footer)[:, None, :]
        elif self.framing == "daisy-serial":  # even counter: inputs 9-16, odd: 1-8
            pk = np.stack([encode_packets(cnt[:, 0], counts[:, 8:], acc, aux, footer),
                           encode_packets(cnt[:, 1], counts[:, :8], acc, aux, footer)], axis=1)
        else:  # WiFi daisy: same counter twice, inputs 1-8 then 9-16
            pk = np.stack([encode_packets(cnt[:, 0], counts[:, :8], acc, aux, footer),
                           encode_packets(cnt[:, 1], counts[:, 8:], acc, aux, footer)], axis=1)
        out = []
        for i in np.nonzero(~dropped)[0]:
            p = pk[i].copy()
            if half[i] >= 0:
                p = p[1 - half[i]:2 - half[i]]
            if corrupted[i]:
                out.append(self._corrupt(p))
            else:
                out.append(p.tobytes())
        with self.lock:
            self.n_samples += n
            self.n_dropped += int(dropped.sum())
            self.n_corrupted += int(corrupted.sum())
            if self.log_enabled:
                self._parts.append((cnt[:, 0].astype(np.int64), counts, acc, dropped, corrupted,
                                    half, digital))
        return b"".join(out)

    def _aux(self, idx: np.ndarray) -> tuple[np.ndarray | None, int, np.ndarray]:
        """Aux bytes, footer and trigger level of samples ``idx`` in the current board mode."""
        digital = np.zeros(idx.size, np.uint8)
        if self.mode != "digital":
            return None, FOOTER_ACCEL, digital
        if self.trigger is None:
            return np.zeros((idx.size, 6), np.uint8), FOOTER_RAW_AUX, digital
        return (self.trigger.aux_bytes(idx, self.fs_hz), FOOTER_RAW_AUX,
                self.trigger.levels(idx, self.fs_hz))

    def _corrupt(self, p: np.ndarray) -> bytes:
        """Corrupt one sample's packets in one of four ways."""
        mode = int(self._rng.integers(4 if self.resyncs else 3))
        k = int(self._rng.integers(p.shape[0]))
        if mode == 0:  # a flipped bit in the data
            p[k, int(self._rng.integers(2, 26))] ^= 1 << int(self._rng.integers(8))
        elif mode == 1:
            p[k, 0] = 0x55  # bad start byte
        elif mode == 2:
            p[k, PACKET_BYTES - 1] = 0x07  # bad footer
        else:  # garbage before the packet
            junk = self._rng.integers(0, 256, int(self._rng.integers(1, 40)), dtype=np.uint8)
            return junk.tobytes() + p.tobytes()
        return p.tobytes()
