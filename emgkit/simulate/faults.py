"""Faults on demand: railed channels, lead-off, clipping and lost packets.

Channel faults replace or clamp one channel over a time range of a trial; a channel is
named by its board input number (``int``) or its montage name (``"semitendinosus_right"``).
Lost packets remove samples from the trial (the packet counter then shows the gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit._validate import check_nonnegative, check_option, check_positive
from emgkit.errors import ConfigError
from emgkit.model.montage import Montage

#: Noise RMS of a lead-off channel stuck at a large DC, and of a flat one, in microvolts.
LEAD_OFF_NOISE_UV = {"dc": 50.0, "flat": 0.05}
#: A lead-off channel in ``dc`` mode sits at this fraction of full scale.
LEAD_OFF_DC_FRACTION = 0.8


@dataclass(frozen=True)
class _ChannelFault:
    """Base of channel faults: which channel and when (``duration_s`` None = to the end)."""

    channel: int | str
    start_s: float = 0.0
    duration_s: float | None = None

    def __post_init__(self):
        check_nonnegative("start_s", self.start_s, "s")
        if self.duration_s is not None:
            check_positive("duration_s", self.duration_s, "s")

    def column(self, montage: Montage) -> int:
        """Return the storage column of the faulty channel."""
        if isinstance(self.channel, str):
            check_option("channel", self.channel, montage.names)
            return montage.names.index(self.channel)
        check_option("channel", self.channel, montage.numbers)
        return montage.numbers.index(self.channel)

    def span(self, fs_hz: float, n_samples: int) -> tuple[int, int]:
        """Return the affected trial samples ``[a, b)``."""
        a = min(round(self.start_s * fs_hz), n_samples)
        if self.duration_s is None:
            return a, n_samples
        return a, min(a + round(self.duration_s * fs_hz), n_samples)


@dataclass(frozen=True)
class RailedChannel(_ChannelFault):
    """The channel sits exactly at ``sign * full_scale_uv`` (an input driven to the rail).

    Parameters
    ----------
    sign : int
        +1 or -1.
    """

    sign: int = 1

    def __post_init__(self):
        super().__post_init__()
        check_option("sign", self.sign, (1, -1))


@dataclass(frozen=True)
class LeadOff(_ChannelFault):
    """An electrode off the skin.

    Parameters
    ----------
    mode : str
        ``dc``: stuck at 0.8 x full scale (sign +) with 50 µV RMS white noise;
        ``flat``: near zero with 0.05 µV RMS noise.
    """

    mode: str = "dc"

    def __post_init__(self):
        super().__post_init__()
        check_option("mode", self.mode, tuple(LEAD_OFF_NOISE_UV))


@dataclass(frozen=True)
class Clipping(_ChannelFault):
    """The amplifier saturates on the EMG: ``dc + clip(x - dc, -limit_uv, limit_uv)``.

    Parameters
    ----------
    limit_uv : float
        Half-range around the channel's DC offset, in microvolts.
    """

    limit_uv: float = 200.0

    def __post_init__(self):
        super().__post_init__()
        check_positive("limit_uv", self.limit_uv, "µV")


@dataclass(frozen=True)
class PacketLoss:
    """Lost packets: runs of samples removed from the trial.

    Parameters
    ----------
    n_gaps : int
        Number of gaps placed at random (ignored if ``gaps`` is given).
    max_missing : int
        Each random gap loses 1..max_missing samples (at most 255: the counter wraps at 256).
    gaps : tuple of (float, int)
        Explicit gaps as (time in s of the first lost sample, number lost).
    """

    n_gaps: int = 3
    max_missing: int = 10
    gaps: tuple[tuple[float, int], ...] = ()

    def __post_init__(self):
        if not 1 <= self.max_missing <= 255 or self.n_gaps < 0:
            raise ConfigError(f"PacketLoss needs n_gaps >= 0 and 1 <= max_missing <= 255, but "
                              f"got n_gaps={self.n_gaps}, max_missing={self.max_missing}")
        for at_s, n in self.gaps:
            check_nonnegative("gap time", at_s, "s")
            if not 1 <= int(n) <= 255:
                raise ConfigError(f"a gap loses 1..255 samples, but got {n!r}")

    def draw(self, n_samples: int, fs_hz: float, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
        """Return (first lost trial sample, number lost) of each gap, sorted, non-overlapping."""
        if self.gaps:
            at = np.array([round(a * fs_hz) for a, _ in self.gaps], dtype=np.int64)
            n = np.array([int(k) for _, k in self.gaps], dtype=np.int64)
        else:
            n_slots = max(n_samples // 512, 1)
            k = min(self.n_gaps, n_slots)
            n = rng.integers(1, self.max_missing + 1, k)
            slots = np.sort(rng.choice(n_slots, k, replace=False))
            at = slots * 512 + rng.integers(1, 256, k)
        order = np.argsort(at)
        at, n = at[order], n[order]
        keep = (at >= 1) & (at + n < n_samples)
        at, n = at[keep], n[keep]
        ok = np.concatenate(([True], at[1:] > at[:-1] + n[:-1]))
        return at[ok], n[ok]


def apply_channel_faults(x: np.ndarray, s0: int, faults, montage: Montage, fs_hz: float,
                         n_samples: int, full_scale_uv: float, dc_uv: np.ndarray,
                         rngs: list[np.random.Generator]) -> None:
    """Apply channel faults in place to trial samples ``[s0, s0 + len(x))``.

    ``rngs`` holds one generator per fault (noise of lead-off channels), consumed in
    order so that block-wise application equals one call.
    """
    for f, rng in zip(faults, rngs):
        if isinstance(f, PacketLoss):
            continue
        a, b = f.span(fs_hz, n_samples)
        lo, hi = max(a, s0), min(b, s0 + x.shape[0])
        if lo >= hi:
            continue
        c, seg = f.column(montage), slice(lo - s0, hi - s0)
        if isinstance(f, RailedChannel):
            x[seg, c] = f.sign * full_scale_uv
        elif isinstance(f, LeadOff):
            level = LEAD_OFF_DC_FRACTION * full_scale_uv if f.mode == "dc" else 0.0
            x[seg, c] = level + rng.normal(0.0, LEAD_OFF_NOISE_UV[f.mode], hi - lo)
        elif isinstance(f, Clipping):
            x[seg, c] = dc_uv[c] + np.clip(x[seg, c] - dc_uv[c], -f.limit_uv, f.limit_uv)
        else:  # pragma: no cover - guarded by check_faults
            raise ConfigError(f"unknown fault {f!r}")


def check_faults(faults, montage: Montage) -> tuple:
    """Validate a sequence of faults against the montage and return it as a tuple."""
    out = tuple(faults or ())
    for f in out:
        if isinstance(f, _ChannelFault):
            f.column(montage)
        elif not isinstance(f, PacketLoss):
            raise ConfigError(f"unknown fault {f!r}; use RailedChannel, LeadOff, Clipping or "
                              "PacketLoss")
    if sum(isinstance(f, PacketLoss) for f in out) > 1:
        raise ConfigError("give at most one PacketLoss per trial")
    return out
