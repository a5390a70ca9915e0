"""Per-channel signal-quality checks returned as structured flags.

Measures (per channel) and the flags they raise (thresholds in
:class:`~emgkit.model.config.QualityConfig`):

``railed``
    At least ``railed_fraction`` of the live samples sit at the board's full scale
    (``|x| >= rail_tolerance * full_scale_uv``; 187500 uV on a Cyton at gain 24).
    Samples exactly 0.0 are not live: OpenBCI writes 0 for a powered-down channel and
    zero-filled gaps look the same; they count in ``dead_fraction``.
``clipping``
    Fewer than that, but more than ``clipping_fraction``, at full scale.
``flat``
    At least ``dead_fraction`` of samples exactly zero, or the live, unrailed samples
    vary less than ``flat_sd_uv``.
``lead_off``
    The signal never leaves one side of zero (``one_sign_fraction``) and its
    mean-removed spectrum over the band is white (spectral flatness >= ``flatness``):
    an input held at a DC level with only amplifier noise on it, no physiology. This
    is what the disconnected gastrocnemius channel of the elderly isometric set looks
    like.
``mains``
    Mains and its harmonics (+/- 1 Hz) hold at least ``mains_ratio`` of the in-band
    power.
``noisy_baseline`` / ``low_snr``
    Only with a rest recording: band-passed rest RMS above ``max_noise_rms_uv``; task
    RMS over rest RMS below ``min_snr_db``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy import signal

from emgkit.core._common import as_2d, check_fs
from emgkit.core.filters import (
    DEFAULT_HIGH_HZ,
    MAX_HIGH_FRACTION,
    design_bandpass,
    detect_mains_hz,
    filter_offline,
    notch_frequencies,
)
from emgkit.errors import ConfigError
from emgkit.model.config import QualityConfig

#: Full scale of the Cyton's ADS1299 at gain 24, in microvolts.
CYTON_FULL_SCALE_UV = 187500.0
_BAND_LOW_HZ = 20.0


@dataclass(frozen=True)
class QualityReport:
    """Quality measures and flags, one entry per channel (arrays are ``(n_channels,)``).

    Attributes
    ----------
    clipping_fraction : numpy.ndarray
        Fraction of live samples at full scale (NaN without a full scale); the
        ``railed`` and ``clipping`` flags differ by threshold.
    dead_fraction : numpy.ndarray
        Fraction of samples exactly 0.0.
    sd_uv : numpy.ndarray
        Standard deviation of the live, unrailed samples.
    one_sign_fraction : numpy.ndarray
        Fraction of live samples with the sign of the median.
    spectral_flatness : numpy.ndarray
        Geometric over arithmetic mean of the Welch PSD in the band (1 = white).
    mains_ratio : numpy.ndarray
        In-band power fraction within +/-1 Hz of mains and harmonics (0 if no mains).
    noise_rms_uv, snr_db : numpy.ndarray
        Band-passed rest RMS and task/rest RMS ratio in dB (NaN without rest data).
    flags : tuple of tuple of str
        Flag names per channel, empty when the channel is clean.
    mains_hz : float or None
        The mains frequency used.
    """

    clipping_fraction: np.ndarray
    dead_fraction: np.ndarray
    sd_uv: np.ndarray
    one_sign_fraction: np.ndarray
    spectral_flatness: np.ndarray
    mains_ratio: np.ndarray
    noise_rms_uv: np.ndarray
    snr_db: np.ndarray
    flags: tuple[tuple[str, ...], ...]
    mains_hz: float | None = None

    def to_dict(self) -> dict:
        """JSON-safe dict (arrays as lists, NaN kept as float('nan'))."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = (
                v.tolist()
                if isinstance(v, np.ndarray)
                else ([list(t) for t in v] if f.name == "flags" else v)
            )
        return out


def _band(fs_hz: float) -> tuple[float, float]:
    return _BAND_LOW_HZ, min(DEFAULT_HIGH_HZ, MAX_HIGH_FRACTION * fs_hz)


def _bandpassed_rms(x2: np.ndarray, fs_hz: float) -> np.ndarray:
    low, high = _band(fs_hz)
    x = x2 - x2.mean(axis=0, dtype=np.float64)
    y = filter_offline(design_bandpass(fs_hz, low, high, 4), x)
    return np.sqrt(np.mean(np.square(y, dtype=np.float64), axis=0))


def assess_quality(
    emg_uv: np.ndarray,
    fs_hz: float,
    *,
    full_scale_uv: float | None = CYTON_FULL_SCALE_UV,
    mains_hz: float | None = None,
    rest_uv: np.ndarray | None = None,
    config: QualityConfig | None = None,
) -> QualityReport:
    """Check the quality of each channel of a trial.

    Parameters
    ----------
    emg_uv : numpy.ndarray
        ``(n_samples, n_channels)`` raw EMG in microvolts (before any filtering).
    fs_hz : float
        Sampling rate in Hz.
    full_scale_uv : float or None
        The board's +/- input range; None skips the railed and clipping checks.
    mains_hz : float, optional
        Mains frequency; detected from the spectrum when None.
    rest_uv : numpy.ndarray, optional
        ``(n_rest_samples, n_channels)`` rest (quiet) recording of the same channels,
        for baseline noise and SNR.
    config : QualityConfig, optional
        Thresholds (defaults if None).

    Returns
    -------
    QualityReport
    """
    cfg = QualityConfig() if config is None else config
    fs = check_fs(fs_hz)
    x2, _ = as_2d(emg_uv, "emg_uv")
    n, n_ch = x2.shape
    if n < 16:
        raise ConfigError(f"quality checks need at least 16 samples, got {n}")
    low, high = _band(fs)
    dead = x2 == 0
    dead_frac = dead.mean(axis=0)
    live_n = np.maximum(n - dead.sum(axis=0), 1)
    if full_scale_uv is not None:
        at_rail = np.abs(x2) >= cfg.rail_tolerance * float(full_scale_uv)
        rail_frac = at_rail.sum(axis=0) / live_n
    else:
        at_rail = np.zeros(x2.shape, bool)
        rail_frac = np.full(n_ch, np.nan)

    sd = np.full(n_ch, np.nan)
    one_sign = np.full(n_ch, np.nan)
    for j in range(n_ch):
        good = x2[~dead[:, j] & ~at_rail[:, j], j].astype(np.float64)
        if good.size >= 2:
            sd[j] = good.std()
            med_sign = np.sign(np.median(good))
            one_sign[j] = np.mean(np.sign(good) == med_sign) if med_sign else 0.0

    xc = x2 - x2.mean(axis=0, dtype=np.float64)
    nper = int(min(n, round(fs)))
    f, p = signal.welch(xc, fs=fs, nperseg=nper, axis=0)
    band = (f >= low) & (f <= high)
    pb = p[band]
    with np.errstate(divide="ignore", invalid="ignore"):
        flatness = np.exp(np.mean(np.log(pb), axis=0)) / np.mean(pb, axis=0)
    flatness = np.where(np.isfinite(flatness), flatness, np.nan)

    if mains_hz is None:
        mains_hz = detect_mains_hz(x2, fs)
    mains_ratio = np.zeros(n_ch)
    if mains_hz is not None:
        near = np.zeros(f.shape, bool)
        for fm in notch_frequencies(fs, mains_hz, up_to_hz=high + 1.0):
            near |= np.abs(f - fm) <= 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mains_ratio = np.nan_to_num(p[band & near].sum(axis=0) / pb.sum(axis=0))

    noise = np.full(n_ch, np.nan)
    snr = np.full(n_ch, np.nan)
    if rest_uv is not None:
        r2, _ = as_2d(rest_uv, "rest_uv")
        if r2.shape[1] != n_ch:
            raise ConfigError(f"rest_uv has {r2.shape[1]} channels, emg_uv has {n_ch}")
        noise = _bandpassed_rms(r2, fs)
        with np.errstate(divide="ignore", invalid="ignore"):
            snr = 20 * np.log10(_bandpassed_rms(x2, fs) / noise)

    flags = []
    for j in range(n_ch):
        fl = []
        if rail_frac[j] >= cfg.railed_fraction:
            fl.append("railed")
        elif rail_frac[j] > cfg.clipping_fraction:
            fl.append("clipping")
        if dead_frac[j] >= cfg.dead_fraction or sd[j] < cfg.flat_sd_uv:
            fl.append("flat")
        elif one_sign[j] >= cfg.one_sign_fraction and flatness[j] >= cfg.flatness:
            fl.append("lead_off")
        if mains_ratio[j] >= cfg.mains_ratio:
            fl.append("mains")
        if noise[j] > cfg.max_noise_rms_uv:
            fl.append("noisy_baseline")
        if snr[j] < cfg.min_snr_db:
            fl.append("low_snr")
        flags.append(tuple(fl))
    return QualityReport(
        clipping_fraction=rail_frac,
        dead_fraction=dead_frac,
        sd_uv=sd,
        one_sign_fraction=one_sign,
        spectral_flatness=flatness,
        mains_ratio=mains_ratio,
        noise_rms_uv=noise,
        snr_db=snr,
        flags=tuple(flags),
        mains_hz=mains_hz,
    )
