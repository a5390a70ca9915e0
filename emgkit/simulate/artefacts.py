"""The subject's channels and what a real recording adds to the EMG.

:class:`ChannelModel` holds what stays fixed over a session for each electrode pair:
its MVC amplitude, spectrum, resting tone, DC offset, drift, mains pickup and ECG
pickup. :class:`Artefacts` sets the ranges they are drawn from. Every artefact is a
function of the *session* sample index (so trials placed in one continuous stream join
up), except the amplifier noise, which is white.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit._validate import check_nonnegative, check_positive
from emgkit.errors import ConfigError
from emgkit.model.montage import Montage
from emgkit.simulate.spectrum import EmgSpectrum

#: Range of the resting tone's RMS in microvolts: a relaxed muscle shows a few uV at
#: most (0.2-1.7 % of the 150-600 uV MVC amplitudes), see ``docs/simulator.md``.
REST_TONE_UV = (1.0, 2.5)
#: The input range (+/- uV, a Cyton at gain 24) that ``Artefacts.dc_offset_uv`` and
#: ``drift_uv`` are given for; a board with a smaller range gets them scaled by its range
#: over this (the same headroom: the default 60 mV offset at most is 32 % of full scale).
REFERENCE_FULL_SCALE_UV = 187_500.0


@dataclass(frozen=True)
class Artefacts:
    """What the recording adds to the EMG; amplitudes in microvolts.

    Parameters
    ----------
    dc_offset_uv : tuple of float
        Range of the electrode DC offset's magnitude (random sign), e.g. tens of mV as
        OpenBCI boards show, for a Cyton's input range; scaled down with ``drift_uv``
        on a board whose range is smaller (see :func:`draw_channels`).
    drift_uv : float
        Amplitude of the slow baseline drift (three sinusoids at 0.01-0.3 Hz per channel).
    mains_hz : float
        Mains frequency (50 or 60); harmonics at or above fs/2 are left out.
    mains_uv : float
        Typical amplitude of the mains fundamental (per channel 0.5-1.5 x). The default
        0.5 uV is what a good set-up (skin preparation, driven right leg / bias
        electrode) leaves; set e.g. 20 uV to simulate a poor one.
    mains_harmonics : tuple of float
        Relative amplitudes of the 2nd, 3rd, ... harmonics.
    ecg_uv : tuple of float
        Range of the R-wave amplitude on trunk channels (region ``trunk``); 0 for none.
    heart_rate_bpm : tuple of float
        Range of the subject's heart rate; beat-to-beat intervals vary by 3 % (SD).
    amp_noise_uv : float
        RMS of the white amplifier (and electrode) noise over the whole band.
    accel_noise_g : float
        RMS of the accelerometer noise.
    """

    dc_offset_uv: tuple[float, float] = (10_000.0, 60_000.0)
    drift_uv: float = 300.0
    mains_hz: float = 50.0
    mains_uv: float = 0.5
    mains_harmonics: tuple[float, ...] = (0.1, 0.3, 0.05, 0.1)
    ecg_uv: tuple[float, float] = (20.0, 60.0)
    heart_rate_bpm: tuple[float, float] = (60.0, 80.0)
    amp_noise_uv: float = 0.5
    accel_noise_g: float = 0.01

    def __post_init__(self):
        for name in ("drift_uv", "mains_uv", "amp_noise_uv", "accel_noise_g"):
            check_nonnegative(name, getattr(self, name))
        check_positive("mains_hz", self.mains_hz, "Hz")
        for name in ("dc_offset_uv", "ecg_uv", "heart_rate_bpm"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ConfigError(f"{name} must be a range (low, high) with 0 <= low <= high, "
                                  f"but got {getattr(self, name)!r}")
        if self.heart_rate_bpm[0] <= 0:
            raise ConfigError(f"heart_rate_bpm must be > 0, but got {self.heart_rate_bpm!r}")

    @classmethod
    def none(cls) -> Artefacts:
        """Return a configuration without any artefact: the EMG alone."""
        return cls((0.0, 0.0), 0.0, 50.0, 0.0, (), (0.0, 0.0), (60.0, 60.0), 0.0, 0.0)


@dataclass(frozen=True)
class ChannelModel:
    """Per-channel constants of a simulated subject, arrays ``(n_channels,)``.

    Parameters
    ----------
    mvc_rms_uv : numpy.ndarray
        Recorded RMS at 100 % MVC (activation 1.0), in microvolts.
    spectra : tuple of EmgSpectrum
        sEMG spectrum of each channel.
    tone : numpy.ndarray
        Resting activation (fraction of MVC): :data:`REST_TONE_UV` divided by the
        channel's MVC amplitude.
    dc_uv : numpy.ndarray
        DC offset.
    drift_hz : numpy.ndarray
        ``(3,)`` frequencies of the drift sinusoids (shared by the channels).
    drift_uv, drift_phase : numpy.ndarray
        ``(3, n_channels)`` their amplitudes and phases.
    mains_gain, mains_phase : numpy.ndarray
        Mains amplitude in microvolts and phase (radians).
    ecg_uv : numpy.ndarray
        R-wave amplitude (signed; 0 on limb channels).
    heart_rate_bpm : float
        Mean heart rate.
    """

    mvc_rms_uv: np.ndarray
    spectra: tuple[EmgSpectrum, ...]
    tone: np.ndarray
    dc_uv: np.ndarray
    drift_hz: np.ndarray
    drift_uv: np.ndarray
    drift_phase: np.ndarray
    mains_gain: np.ndarray
    mains_phase: np.ndarray
    ecg_uv: np.ndarray
    heart_rate_bpm: float


def draw_channels(montage: Montage, artefacts: Artefacts, rng: np.random.Generator,
                  mvc_rms_range_uv: tuple[float, float] = (150.0, 600.0),
                  full_scale_uv: float | None = None) -> ChannelModel:
    """Draw the per-channel constants of a subject.

    Parameters
    ----------
    montage : Montage
        The channels.
    artefacts : Artefacts
        Ranges of the artefact parameters.
    rng : numpy.random.Generator
        Random source.
    mvc_rms_range_uv : tuple of float
        Range of the RMS at 100 % MVC (uniform).
    full_scale_uv : float, optional
        The board's +/- input range: below :data:`REFERENCE_FULL_SCALE_UV` the DC offsets
        and drift are scaled by its ratio to it (a Ganglion's 15.7 mV would otherwise be
        railed by tens of mV of offset).

    Returns
    -------
    ChannelModel
    """
    n = len(montage.channels)
    lo, hi = mvc_rms_range_uv
    if not 0 < lo <= hi:
        raise ConfigError(f"mvc_rms_range_uv must be (low, high) with 0 < low <= high, "
                          f"but got {mvc_rms_range_uv!r}")
    mvc = rng.uniform(lo, hi, n)
    low = rng.uniform(45.0, 65.0, n)
    spectra = tuple(EmgSpectrum(float(a), float(a * r))
                    for a, r in zip(low, rng.uniform(1.8, 2.2, n)))
    tone = rng.uniform(*REST_TONE_UV, n) / mvc
    scale = 1.0 if full_scale_uv is None else min(1.0, full_scale_uv / REFERENCE_FULL_SCALE_UV)
    dc = scale * rng.uniform(*artefacts.dc_offset_uv, n) * rng.choice([-1.0, 1.0], n)
    drift_hz = np.sort(rng.uniform(0.01, 0.3, 3))
    drift_uv = scale * artefacts.drift_uv * rng.uniform(0.3, 1.0, (3, n)) / np.sqrt(3)
    drift_phase = rng.uniform(0, 2 * np.pi, (3, n))
    mains_gain = artefacts.mains_uv * rng.uniform(0.5, 1.5, n)
    mains_phase = rng.normal(0.0, 0.2, n)
    trunk = np.array([montage.muscle(c.muscle).region == "trunk" for c in montage.channels])
    ecg = rng.uniform(*artefacts.ecg_uv, n) * rng.choice([-1.0, 1.0], n) * trunk
    hr = float(rng.uniform(*artefacts.heart_rate_bpm))
    return ChannelModel(mvc, spectra, tone, dc, drift_hz, drift_uv, drift_phase, mains_gain,
                        mains_phase, ecg, hr)


# ECG template (McSharry et al. 2003 style sum of Gaussians): (time s, width s, amplitude)
_ECG_WAVES = (
    (-0.20, 0.025, 0.12),  # P
    (-0.03, 0.008, -0.15),  # Q
    (0.00, 0.010, 1.00),  # R
    (0.03, 0.010, -0.25),  # S
    (0.25, 0.045, 0.30),  # T
)
ECG_HALF_S = 0.45


def ecg_template(t_s: np.ndarray) -> np.ndarray:
    """Return the unit-R-wave ECG beat at times ``t_s`` from its R peak (s)."""
    out = np.zeros(np.shape(t_s))
    for c, w, a in _ECG_WAVES:
        out += a * np.exp(-0.5 * ((t_s - c) / w) ** 2)
    return out


def beat_samples(n_samples: int, fs_hz: float, heart_rate_bpm: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Return R-peak times (in samples, float) over ``[0, n_samples)``, 3 % RR variability."""
    rr_s = 60.0 / heart_rate_bpm
    n_beats = int(n_samples / fs_hz / rr_s * 1.2) + 3
    rr = rr_s * (1 + rng.normal(0, 0.03, n_beats))
    t = rng.uniform(0, rr_s) + np.concatenate(([0.0], np.cumsum(rr[:-1])))
    return t[t * fs_hz < n_samples + ECG_HALF_S * fs_hz] * fs_hz


def artefact_block(cm: ChannelModel, artefacts: Artefacts, fs_hz: float, s0_abs: int, n: int,
                   beats: np.ndarray, b0: int) -> np.ndarray:
    """Return DC, drift, mains and ECG for ``n`` samples from session sample ``s0_abs``.

    Parameters
    ----------
    cm : ChannelModel
        The subject's channels.
    artefacts : Artefacts
        Configuration (mains frequency and harmonics).
    fs_hz : float
        Sampling rate.
    s0_abs : int
        Session sample index of the first sample (drift and mains phase).
    n : int
        Number of samples.
    beats : numpy.ndarray
        R-peak positions in samples relative to the trial start.
    b0 : int
        Trial sample index of the first sample (for ``beats``).

    Returns
    -------
    numpy.ndarray
        float64 ``(n, n_channels)`` in microvolts.
    """
    t = (s0_abs + np.arange(n)) / fs_hz
    # Drift and mains as sums of sinusoids with per-channel amplitude and phase:
    # a sin(w t + phi) = (a cos phi) sin(w t) + (a sin phi) cos(w t), one matrix product.
    freqs, amps, phases = [cm.drift_hz], [cm.drift_uv], [cm.drift_phase]
    for h, rel in enumerate((1.0, *artefacts.mains_harmonics), 1):
        if h * artefacts.mains_hz < fs_hz / 2 and rel and np.any(cm.mains_gain):
            freqs.append(np.array([h * artefacts.mains_hz]))
            amps.append(rel * cm.mains_gain[None, :])
            phases.append(h * cm.mains_phase[None, :])
    f, a, ph = np.concatenate(freqs), np.concatenate(amps), np.concatenate(phases)
    w = np.outer(t, 2 * np.pi * f)
    basis = np.concatenate((np.sin(w), np.cos(w)), axis=1)
    out = basis @ np.concatenate((a * np.cos(ph), a * np.sin(ph)))
    out += cm.dc_uv
    cols = np.flatnonzero(cm.ecg_uv)
    if cols.size and beats.size:
        half = ECG_HALF_S * fs_hz
        near = beats[(beats > b0 - half) & (beats < b0 + n + half)]
        ecg = np.zeros(n)
        for r in near:
            lo, hi = max(int(np.ceil(r - half)), b0), min(int(np.floor(r + half)) + 1, b0 + n)
            if lo < hi:
                ecg[lo - b0 : hi - b0] += ecg_template((np.arange(lo, hi) - r) / fs_hz)
        out[:, cols] += np.outer(ecg, cm.ecg_uv[cols])
    return out


def accel_block(theta_deg: np.ndarray, lin_g: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Return the board accelerometer ``(n, 3)`` in g (x forward, y left, z up when upright).

    Gravity reads +1 g along the trunk's long axis tilted by ``theta_deg``; the vertical
    hip acceleration ``lin_g`` adds along the world vertical.
    """
    th = np.deg2rad(theta_deg)
    vert = 1.0 + lin_g
    return np.stack([vert * np.sin(th), np.zeros_like(th), vert * np.cos(th)], axis=1) + noise
