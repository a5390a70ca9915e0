"""Faults on demand: railed channels, lead-off, clipping, pickup, artefacts, lost packets.

Channel faults replace, clamp or add to one channel over a time range of a trial; a
channel is named by its board input number (``int``) or its montage name
(``"semitendinosus_right"``). Lost packets remove samples from the trial (the packet
counter then shows the gap). Faults with random events (motion artefacts, heart beats,
corrupt samples) draw their schedule once per trial from their own seed, so block-wise
application equals one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit._validate import check_nonnegative, check_option, check_positive
from emgkit.errors import ConfigError
from emgkit.model.montage import Montage
from emgkit.simulate.artefacts import ECG_HALF_S, beat_samples, ecg_template

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
class MainsPickup(_ChannelFault):
    """Mains interference on one channel (a poor electrode contact or loose reference).

    Parameters
    ----------
    amplitude_uv : float
        Amplitude of the fundamental in microvolts; the 3rd harmonic adds 30 % of it
        where it is below fs/2.
    mains_hz : float
        50 or 60 Hz.
    """

    amplitude_uv: float = 200.0
    mains_hz: float = 50.0

    def __post_init__(self):
        super().__post_init__()
        check_positive("amplitude_uv", self.amplitude_uv, "µV")
        check_option("mains_hz", self.mains_hz, (50.0, 60.0))


@dataclass(frozen=True)
class MotionArtefact(_ChannelFault):
    """Cable or electrode movement: Gaussian bumps of random sign, 30-150 ms wide.

    Parameters
    ----------
    amplitude_uv : float
        Peak of each bump in microvolts.
    rate_hz : float
        Mean number of bumps per second (placed at random, at least one per trial).
    """

    amplitude_uv: float = 2000.0
    rate_hz: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        check_positive("amplitude_uv", self.amplitude_uv, "µV")
        check_positive("rate_hz", self.rate_hz, "Hz")


@dataclass(frozen=True)
class BaselineWander(_ChannelFault):
    """A slow baseline swing (sweat, breathing, a pulled cable): one sinusoid.

    Parameters
    ----------
    amplitude_uv : float
        Amplitude in microvolts.
    freq_hz : float
        Frequency in Hz (0.3-2 Hz is typical).
    """

    amplitude_uv: float = 3000.0
    freq_hz: float = 0.7

    def __post_init__(self):
        super().__post_init__()
        check_positive("amplitude_uv", self.amplitude_uv, "µV")
        check_positive("freq_hz", self.freq_hz, "Hz")


@dataclass(frozen=True)
class EcgPickup(_ChannelFault):
    """A strong heart signal on one channel (a trunk electrode close to the heart).

    Parameters
    ----------
    r_uv : float
        R-wave amplitude in microvolts (the simulator's default trunk ECG is 20-60 µV).
    heart_rate_bpm : float
        Mean heart rate; RR intervals vary by 3 %.
    """

    r_uv: float = 1000.0
    heart_rate_bpm: float = 70.0

    def __post_init__(self):
        super().__post_init__()
        check_positive("r_uv", self.r_uv, "µV")
        check_positive("heart_rate_bpm", self.heart_rate_bpm, "beats/min")


@dataclass(frozen=True)
class CorruptSamples(_ChannelFault):
    """Corrupted packets: single samples replaced by a random value over the full scale.

    A corrupt byte that passes the packet checks turns one sample into a random 24-bit
    word; give one fault per channel to corrupt a whole packet.

    Parameters
    ----------
    n_samples : int
        Number of corrupt samples, placed at random over the fault's span.
    """

    n_samples: int = 3

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.n_samples, bool) or not isinstance(self.n_samples, int) or \
                self.n_samples < 1:
            raise ConfigError(f"n_samples must be an integer >= 1, but got {self.n_samples!r}")


@dataclass(frozen=True)
class Crosstalk(_ChannelFault):
    """Signal of another channel leaking into this one (``x += gain * (source - dc)``).

    Parameters
    ----------
    source : int or str
        The channel whose signal leaks (board input number or montage name).
    gain : float
        Fraction of the source's signal added.
    """

    source: int | str = 1
    gain: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        check_positive("gain", self.gain, "")

    def source_column(self, montage: Montage) -> int:
        """Return the storage column of the source channel."""
        return _ChannelFault(self.source).column(montage)


#: Faults that add a waveform to the channel.
ADDITIVE_FAULTS = (MainsPickup, MotionArtefact, BaselineWander, EcgPickup)


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


def _schedule_rng(rng: np.random.Generator) -> np.random.Generator:
    """Return a generator for a fault's event schedule, the same at every call."""
    bg = rng.bit_generator
    ss = getattr(bg, "seed_seq", None) or bg._seed_seq  # public from numpy 1.25
    return np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1)))


def _bumps(f: MotionArtefact, a: int, b: int, fs_hz: float, rng) -> tuple:
    n = max(1, int(rng.poisson(f.rate_hz * (b - a) / fs_hz)))
    at = rng.uniform(a, b, n)
    width = rng.uniform(0.03, 0.15, n) * fs_hz
    sign = rng.choice([-1.0, 1.0], n)
    return at, width, sign


def _added(f, lo: int, hi: int, a: int, b: int, fs_hz: float, rng) -> np.ndarray:
    """Return what an additive fault adds to trial samples ``[lo, hi)`` (span ``[a, b)``)."""
    s = np.arange(lo, hi, dtype=np.float64)
    if isinstance(f, MainsPickup):
        ph = rng.uniform(0, 2 * np.pi)
        out = f.amplitude_uv * np.sin(2 * np.pi * f.mains_hz * s / fs_hz + ph)
        if 3 * f.mains_hz < fs_hz / 2:
            out += 0.3 * f.amplitude_uv * np.sin(3 * (2 * np.pi * f.mains_hz * s / fs_hz + ph))
        return out
    if isinstance(f, BaselineWander):
        return f.amplitude_uv * np.sin(2 * np.pi * f.freq_hz * s / fs_hz + rng.uniform(0, 6.3))
    out = np.zeros(hi - lo)
    if isinstance(f, MotionArtefact):
        for t, w, sg in zip(*_bumps(f, a, b, fs_hz, rng)):
            near = np.abs(s - t) < 5 * w
            out[near] += sg * f.amplitude_uv * np.exp(-0.5 * ((s[near] - t) / w) ** 2)
    elif isinstance(f, EcgPickup):
        half = ECG_HALF_S * fs_hz
        for r in a + beat_samples(b - a, fs_hz, f.heart_rate_bpm, rng):
            near = np.abs(s - r) < half
            out[near] += f.r_uv * ecg_template((s[near] - r) / fs_hz)
    return out


def apply_channel_faults(x: np.ndarray, s0: int, faults, montage: Montage, fs_hz: float,
                         n_samples: int, full_scale_uv: float, dc_uv: np.ndarray,
                         rngs: list[np.random.Generator]) -> None:
    """Apply channel faults in place to trial samples ``[s0, s0 + len(x))``.

    ``rngs`` holds one generator per fault (noise of lead-off channels), consumed in
    order so that block-wise application equals one call; event schedules come from
    :func:`_schedule_rng`, drawn afresh (and identically) at every call.
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
        elif isinstance(f, Crosstalk):
            src = f.source_column(montage)
            x[seg, c] += f.gain * (x[seg, src] - dc_uv[src])
        elif isinstance(f, CorruptSamples):
            srng = _schedule_rng(rng)
            at = a + srng.choice(b - a, min(f.n_samples, b - a), replace=False)
            value = srng.uniform(-full_scale_uv, full_scale_uv, at.size)
            inside = (at >= lo) & (at < hi)
            x[at[inside] - s0, c] = value[inside]
        elif isinstance(f, ADDITIVE_FAULTS):
            x[seg, c] += _added(f, lo, hi, a, b, fs_hz, _schedule_rng(rng))
        else:  # pragma: no cover - guarded by check_faults
            raise ConfigError(f"unknown fault {f!r}")


def check_faults(faults, montage: Montage) -> tuple:
    """Validate a sequence of faults against the montage and return it as a tuple."""
    out = tuple(faults or ())
    for f in out:
        if isinstance(f, _ChannelFault):
            f.column(montage)
        elif not isinstance(f, PacketLoss):
            raise ConfigError(f"unknown fault {f!r}; use RailedChannel, LeadOff, Clipping, "
                              "MainsPickup, MotionArtefact, BaselineWander, EcgPickup, "
                              "CorruptSamples, Crosstalk or PacketLoss")
        if isinstance(f, Crosstalk):
            f.source_column(montage)
    if sum(isinstance(f, PacketLoss) for f in out) > 1:
        raise ConfigError("give at most one PacketLoss per trial")
    return out
