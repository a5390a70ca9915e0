"""Processing configuration: frozen dataclasses, each default defined once.

Every stage of the signal core reads its parameters from one of these classes, and the
whole :class:`ProcessingConfig` travels into the provenance record of derived data
(:meth:`ProcessingConfig.to_dict`, JSON-safe) and can be read back from a TOML table
(:meth:`ProcessingConfig.from_dict`), where an unknown key is an error naming it and
the allowed ones. The reasons and citations for the defaults are in
``docs/signal-core.md``.

To add a stage (e.g. ``SegmentationConfig``), write a frozen dataclass whose
``__post_init__`` validates its values, and add it as a field of
:class:`ProcessingConfig` with ``field(default_factory=...)``; serialisation and
loading pick it up without further code.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

from emgkit._validate import check_nonnegative, check_option, check_positive
from emgkit.errors import ConfigError
from emgkit.model.session import PHASES

_T = TypeVar("_T")


def _opt_positive(name: str, value: Any, unit: str) -> None:
    if value is not None:
        check_positive(name, value, unit)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, but got {value!r}")


class _Config:
    """Mixin: dict round trip with unknown keys rejected."""

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as a JSON-safe dict (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, _Config):
                v = v.to_dict()
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls: type[_T], d: dict[str, Any] | None = None, _where: str = "") -> _T:
        """Build the configuration from a dict (e.g. a parsed TOML table).

        Missing keys take their defaults; ``None`` values in TOML cannot be written, so
        a key is simply left out to keep an automatic default.

        Raises
        ------
        ConfigError
            On an unknown key (the message names it and lists the allowed keys) or an
            invalid value.
        """
        d = {} if d is None else d
        if not isinstance(d, dict):
            raise ConfigError(f"config section {_where or 'root'!r} must be a table, got {d!r}")
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(d) - set(fields))
        if unknown:
            key = f"{_where}.{unknown[0]}" if _where else unknown[0]
            raise ConfigError(
                f"unknown configuration key {key!r}; allowed keys"
                f"{' in [' + _where + ']' if _where else ''} are {', '.join(sorted(fields))}"
            )
        kwargs: dict[str, Any] = {}
        for name, value in d.items():
            f = fields[name]
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
            if isinstance(default, _Config):
                value = type(default).from_dict(value, f"{_where}.{name}" if _where else name)
            elif isinstance(value, list):
                value = tuple(value)
            _check_magnitude(f"{_where}.{name}" if _where else name, value)
            kwargs[name] = value
        try:
            return cls(**kwargs)
        except TypeError as exc:  # pragma: no cover - guarded by the unknown-key check
            raise ConfigError(str(exc)) from None


#: Bounds of numbers a configuration file may give: durations (``*_s``) up to an hour,
#: frequencies (``*_hz``) up to 100 kHz, anything else up to a million; all finite.
#: Finer checks are each class's own; these keep a hostile file from overflowing them.
_MAX_BY_SUFFIX = (("_s", 3600.0), ("_hz", 100_000.0), ("", 1e6))


def _check_magnitude(name: str, value: Any) -> None:
    """Raise ConfigError if a number (or a number in a list) is not finite or far too large."""
    limit = next(m for suffix, m in _MAX_BY_SUFFIX if name.endswith(suffix))
    for v in value if isinstance(value, tuple) else (value,):
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if not math.isfinite(v) or abs(v) > limit:
            raise ConfigError(f"Invalid value for the {name!r} parameter: expected a finite "
                              f"number of magnitude at most {limit:g}, but got {v!r} instead.")


@dataclass(frozen=True)
class FilterConfig(_Config):
    """Band-pass, mains notch and trunk ECG suppression.

    Parameters
    ----------
    bandpass_low_hz : float
        Lower cut-off of the Butterworth band-pass (SENIAM/ISEK: 10-20 Hz).
    bandpass_high_hz : float or None
        Upper cut-off; None means ``min(450 Hz, 0.45 fs)``.
    bandpass_order : int
        Butterworth prototype order (the band-pass has twice as many poles).
    notch : bool
        Whether to notch the mains frequency and its harmonics.
    mains_hz : float or None
        Mains frequency to notch whatever the data show; None (the default) means the
        line measured in the data, else the session's ``mains_hz``, else no notch
        (:func:`emgkit.core.mains.decide_mains`).
    notch_q : float
        Quality factor of the fundamental notch; every harmonic gets the same
        bandwidth ``mains_hz / notch_q`` (as a comb filter does).
    notch_harmonics : bool
        Also notch the harmonics below the band-pass upper cut-off.
    trunk_highpass_hz : float
        Lower cut-off used instead of ``bandpass_low_hz`` on trunk channels
        (Drake & Callaghan 2006), when ``ecg_method`` is ``highpass``.
    ecg_method : str
        ``highpass`` or ``template`` (offline ECG template subtraction, then the
        ordinary band; causally, live, the high-pass is used instead). What is applied
        is :func:`emgkit.core.chain.describe_chain`'s to say.
    offline_method : str
        How the zero-phase offline filter is applied: ``fft`` (overlap-save FFT
        convolution with the cascade's ``|H|**2``, ends from ``sosfiltfilt``; same result
        to ~1e-7, cost independent of the number of notches) or ``sosfiltfilt`` (the
        reference recursion).
    """

    bandpass_low_hz: float = 20.0
    bandpass_high_hz: float | None = None
    bandpass_order: int = 4
    notch: bool = True
    mains_hz: float | None = None
    notch_q: float = 30.0
    notch_harmonics: bool = True
    trunk_highpass_hz: float = 30.0
    ecg_method: str = "highpass"
    offline_method: str = "fft"

    def __post_init__(self):
        check_positive("bandpass_low_hz", self.bandpass_low_hz, "Hz")
        _opt_positive("bandpass_high_hz", self.bandpass_high_hz, "Hz")
        if self.bandpass_high_hz is not None and self.bandpass_high_hz <= self.bandpass_low_hz:
            raise ConfigError(
                f"bandpass_high_hz={self.bandpass_high_hz} must be > "
                f"bandpass_low_hz={self.bandpass_low_hz}"
            )
        _check_int("bandpass_order", self.bandpass_order, 1)
        _opt_positive("mains_hz", self.mains_hz, "Hz")
        check_positive("notch_q", self.notch_q)
        check_positive("trunk_highpass_hz", self.trunk_highpass_hz, "Hz")
        check_option("ecg_method", self.ecg_method, ("highpass", "template"))
        check_option("offline_method", self.offline_method, ("fft", "sosfiltfilt"))


@dataclass(frozen=True)
class EnvelopeConfig(_Config):
    """Amplitude envelope.

    Parameters
    ----------
    method : str
        ``rms`` (moving RMS, centred offline, trailing live) or ``linear``
        (full-wave rectification then a Butterworth low-pass).
    window_s : float
        RMS window length in seconds (rounded to an odd number of samples).
    lowpass_hz : float
        Low-pass cut-off of the linear envelope.
    lowpass_order : int
        Butterworth order of the linear envelope low-pass.
    """

    method: str = "rms"
    window_s: float = 0.25
    lowpass_hz: float = 6.0
    lowpass_order: int = 2

    def __post_init__(self):
        check_option("method", self.method, ("rms", "linear"))
        check_positive("window_s", self.window_s, "s")
        check_positive("lowpass_hz", self.lowpass_hz, "Hz")
        _check_int("lowpass_order", self.lowpass_order, 1)


@dataclass(frozen=True)
class NormalisationConfig(_Config):
    """Amplitude normalisation.

    Parameters
    ----------
    method : str
        ``mvc`` (percent of the MVC reference read from the session's MVC trials),
        ``peak_dynamic`` (percent of the highest value over the task trials) or
        ``none`` (microvolts).
    mvc_window_s : float or None
        RMS window for the reference; None means the same as the task envelope
        (CEDE: process reference and task alike). 0.5 or 1.0 s are the usual options.
    mvc_reference : str
        How the MVC reference is read from the MVC envelopes: ``plateau_mean`` (the
        default: the highest mean of the envelope over any ``mvc_plateau_s`` stretch,
        the "highest average over a fixed period" of Konrad's ABC of EMG) or ``peak``
        (the single highest value; inflated by the estimator's noise, so %MVC reads
        12-20 % low, see ``docs/methods.md``).
    mvc_plateau_s : float
        Length of the stretch averaged by ``plateau_mean``, in seconds; keep it shorter
        than the MVC plateau (3-5 s efforts: 1 s, the default, or 2 s).
    """

    method: str = "mvc"
    mvc_window_s: float | None = None
    mvc_reference: str = "plateau_mean"
    mvc_plateau_s: float = 1.0

    def __post_init__(self):
        check_option("method", self.method, ("mvc", "peak_dynamic", "none"))
        _opt_positive("mvc_window_s", self.mvc_window_s, "s")
        check_option("mvc_reference", self.mvc_reference, ("plateau_mean", "peak"))
        check_positive("mvc_plateau_s", self.mvc_plateau_s, "s")


@dataclass(frozen=True)
class OnsetConfig(_Config):
    """Onset/offset detection.

    Parameters
    ----------
    method : str
        ``hodges_bui`` (rectified, low-passed signal above baseline mean + k SD for at
        least ``min_duration_s``; Hodges & Bui 1996) or ``tkeo`` (the same rule on the
        Teager-Kaiser energy of the band-passed signal; Li et al. 2007, Solnik 2010).
    k_sd : float
        Threshold in baseline standard deviations above the baseline mean.
    min_duration_s : float
        Minimum time above threshold for an onset.
    min_gap_s : float
        Shorter excursions below threshold inside a burst are bridged.
    lowpass_hz : float
        Low-pass applied to the rectified (or TKEO) signal before thresholding.
    baseline_start_s, baseline_duration_s : float
        Quiet baseline, relative to the start of the signal, when none is given.
    """

    method: str = "hodges_bui"
    k_sd: float = 3.0
    min_duration_s: float = 0.025
    min_gap_s: float = 0.025
    lowpass_hz: float = 50.0
    baseline_start_s: float = 0.0
    baseline_duration_s: float = 0.5

    def __post_init__(self):
        check_option("method", self.method, ("hodges_bui", "tkeo"))
        check_positive("k_sd", self.k_sd)
        check_positive("min_duration_s", self.min_duration_s, "s")
        check_nonnegative("min_gap_s", self.min_gap_s, "s")
        check_positive("lowpass_hz", self.lowpass_hz, "Hz")
        check_nonnegative("baseline_start_s", self.baseline_start_s, "s")
        check_positive("baseline_duration_s", self.baseline_duration_s, "s")


@dataclass(frozen=True)
class SpectralConfig(_Config):
    """Median and mean frequency by Welch's method.

    Parameters
    ----------
    welch_window_s : float
        Welch segment length in seconds (Hann window).
    overlap : float
        Fraction of segment overlap, in [0, 1).
    low_hz, high_hz : float or None
        Band over which the moments are taken; None means the band-pass band.
    """

    welch_window_s: float = 0.25
    overlap: float = 0.5
    low_hz: float | None = None
    high_hz: float | None = None

    def __post_init__(self):
        check_positive("welch_window_s", self.welch_window_s, "s")
        if not 0 <= self.overlap < 1:
            raise ConfigError(f"overlap must be in [0, 1), but got {self.overlap!r}")
        _opt_positive("low_hz", self.low_hz, "Hz")
        _opt_positive("high_hz", self.high_hz, "Hz")


@dataclass(frozen=True)
class QualityConfig(_Config):
    """Thresholds of the per-channel quality flags, defined once for offline and live use.

    Every length is in seconds or hertz, so one configuration means the same at 200 Hz
    and at 16 kHz; the spectral band is the signal core's band rule. See
    :mod:`emgkit.core.quality` and ``docs/quality.md`` (calibration and why).

    Parameters
    ----------
    rail_tolerance : float
        A sample is at the rail when ``|x| >= rail_tolerance * full_scale_uv``.
    railed_fraction : float
        Flag ``railed`` when this fraction of the live samples sits at the rail.
    clipping_fraction : float
        Flag ``clipping`` when more than this fraction (but less than
        ``railed_fraction``) sits at the rail, or at the channel's own extreme values
        (an amplifier saturating below full scale).
    dead_fraction : float
        Flag ``flat`` when this fraction of samples is exactly zero (a powered-down
        OpenBCI channel, zero-filled gaps).
    flat_sd_uv : float
        Flag ``flat`` when the standard deviation of the live, unrailed samples is
        below this.
    lead_off_flatness, lead_off_modulation_db : float
        Flag ``lead_off`` when the in-band spectrum is white (smoothed spectral flatness
        at least ``lead_off_flatness``) and its amplitude unmodulated (90th over 10th
        percentile of the window RMS below ``lead_off_modulation_db``): amplifier noise
        alone, no physiology.
    lead_off_min_band_hz : float
        Below this upper band edge (fs under ~333 Hz) the band does not reach past the
        sEMG spectral peak, so a resting muscle is white as well: ``lead_off`` then also
        needs an in-band RMS above ``max_noise_rms_uv``.
    mains_ratio : float
        Flag ``mains`` when mains and harmonics (+/- 1 Hz) hold this fraction of
        in-band power.
    motion_uv, motion_ratio : float
        Flag ``motion`` when, in some window, the RMS below the EMG band (from
        ``motion_low_hz``) exceeds ``motion_uv`` and ``motion_ratio`` times the in-band
        RMS of the same window (movement artefact, baseline wander).
    motion_low_hz : float
        Lower edge of the band below the EMG band, in Hz.
    ecg_fraction : float
        Flag ``ecg`` when a repeating heart beat holds this fraction of the in-band power
        (after the trunk high-pass on trunk channels).
    spike_ratio : float
        Flag ``spikes`` when a single sample deviates from its neighbours by more than
        this many times the local RMS deviation (corrupt packets).
    max_noise_rms_uv : float
        Flag ``noisy_baseline`` when the band-passed rest RMS exceeds this.
    min_snr_db : float
        Flag ``low_snr`` when the task's activity (95th percentile of the window RMS)
        over the rest RMS is below this.
    crosstalk_r : float
        Flag ``crosstalk`` on both channels of a medial:lateral hamstring pair when the
        peak absolute cross-correlation of their band-passed signals within
        ``crosstalk_lag_s`` reaches this.
    crosstalk_lag_s : float
        Largest lag searched, in seconds.
    welch_segment_s : float
        Welch segment length for the spectral measures, in seconds.
    shape_resolution_hz : float
        Width of the bins the spectrum is averaged into for the flatness, in Hz.
    window_s : float
        Window of the RMS envelope for modulation, motion and SNR, in seconds.
    spike_window_s : float
        Neighbourhood of the local RMS deviation of the spike test, in seconds.
    live_window_s, live_interval_s : float
        Live quality: the last ``live_window_s`` of samples are assessed, every
        ``live_interval_s``.
    segment_s : float
        Offline, a trial longer than this is judged in equal segments of at most this
        length and a channel carries the flags of any segment (memory stays bounded
        whatever the trial's length, and a fault of a few minutes in an hour-long
        recording is not averaged away).
    """

    rail_tolerance: float = 0.999
    railed_fraction: float = 0.5
    clipping_fraction: float = 0.001
    dead_fraction: float = 0.5
    flat_sd_uv: float = 0.1
    lead_off_flatness: float = 0.95
    lead_off_modulation_db: float = 6.0
    lead_off_min_band_hz: float = 150.0
    mains_ratio: float = 0.3
    motion_uv: float = 50.0
    motion_ratio: float = 2.0
    motion_low_hz: float = 1.0
    ecg_fraction: float = 0.5
    spike_ratio: float = 30.0
    max_noise_rms_uv: float = 5.0
    min_snr_db: float = 6.0
    crosstalk_r: float = 0.3
    crosstalk_lag_s: float = 0.005
    welch_segment_s: float = 1.0
    shape_resolution_hz: float = 10.0
    window_s: float = 0.25
    spike_window_s: float = 0.1
    live_window_s: float = 4.0
    live_interval_s: float = 1.0
    segment_s: float = 60.0

    def __post_init__(self):
        for name in (
            "rail_tolerance",
            "railed_fraction",
            "clipping_fraction",
            "dead_fraction",
            "lead_off_flatness",
            "mains_ratio",
            "ecg_fraction",
            "crosstalk_r",
        ):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 < v <= 1 and math.isfinite(v)):
                raise ConfigError(f"{name} must be in (0, 1], but got {v!r}")
        for name, unit in (("flat_sd_uv", "uV"), ("max_noise_rms_uv", "uV"),
                           ("motion_uv", "uV"), ("motion_ratio", ""), ("spike_ratio", ""),
                           ("lead_off_modulation_db", "dB"), ("motion_low_hz", "Hz"),
                           ("lead_off_min_band_hz", "Hz"),
                           ("crosstalk_lag_s", "s"), ("welch_segment_s", "s"),
                           ("shape_resolution_hz", "Hz"), ("window_s", "s"),
                           ("spike_window_s", "s"), ("live_window_s", "s"),
                           ("live_interval_s", "s"), ("segment_s", "s")):
            check_positive(name, getattr(self, name), unit)
        if isinstance(self.min_snr_db, bool) or not isinstance(self.min_snr_db, int | float) \
                or not math.isfinite(self.min_snr_db):
            raise ConfigError(f"min_snr_db must be a finite number of dB, but got "
                              f"{self.min_snr_db!r}")


SEGMENTATION_METHODS = ("auto", "markers", "accel", "envelope", "none")


def _prime_movers(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Normalise prime-mover overrides (a TOML table or pairs) to sorted pairs."""
    items = value.items() if isinstance(value, dict) else value
    out = []
    try:
        for task, names in items:
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise TypeError
            out.append((str(task), tuple(names)))
    except (TypeError, ValueError):
        raise ConfigError(
            "prime_movers must be a table of task = [muscle or group names], e.g. "
            f"{{ \"other:walk\" = [\"vastus_lateralis\"] }}, but got {value!r}"
        ) from None
    return tuple(sorted(out))


def _phase_markers(value: Any) -> tuple[tuple[str, str], ...]:
    """Normalise phase markers (a TOML table or pairs) to pairs in the order of PHASES."""
    items = value.items() if isinstance(value, dict) else value
    try:
        pairs = dict((str(k), v) for k, v in items)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or not all(isinstance(v, str) and v for v in pairs.values()):
        raise ConfigError("phase_markers must be a table of phase = \"marker label\", e.g. "
                          f"{{ lifting = \"12\" }}, but got {value!r}")
    for name in pairs:
        check_option("phase_markers", name, PHASES)
    return tuple((k, pairs[k]) for k in PHASES if k in pairs)


@dataclass(frozen=True)
class SegmentationConfig(_Config):
    """Repetition segmentation (see :mod:`emgkit.analysis.segmentation`).

    Parameters
    ----------
    method : str
        ``auto`` (protocol markers when the trial has ``rep_start``/``rep_end`` events,
        else the accelerometer when present and informative, else the prime movers'
        envelopes), ``markers``, ``accel``, ``envelope`` or ``none`` (whole trial).
    prime_movers : tuple of (str, tuple of str)
        Per task, the muscles or groups whose envelopes find repetitions, overriding
        the defaults (hinge: hamstrings and gluteus maximus; squat: quadriceps; other
        tasks: every channel). In TOML a table: ``"other:walk" = ["vastus_lateralis"]``.
    threshold_fraction : float
        A repetition is where the detection signal exceeds its baseline (5th
        percentile) by this fraction of its range (95th percentile minus baseline).
    edge_fraction : float
        The edges of each detected repetition are then moved out to where the signal
        falls below this lower fraction (the start of the rise), at most half-way to
        the neighbouring repetition.
    min_duration_s : float
        Shorter excursions are not repetitions.
    min_gap_s : float
        Dips shorter than this inside a repetition are bridged.
    boundaries : str
        ``bursts`` (each repetition from its rise to its fall) or ``cycles`` (from
        one rise to the next, for cyclic tasks such as gait; the last burst has no
        end and is dropped).
    accel_min_range_deg : float
        The accelerometer is informative when the trunk inclination it shows spans at
        least this range (5th to 95th percentile).
    accel_lowpass_hz : float
        Low-pass applied to the accelerometer before the inclination is taken.
    accel_edge_fraction : float
        ``edge_fraction`` for the inclination, which is far less noisy than an
        envelope and rises as ``sin^2`` from the start of the movement.
    n_points : int
        Points of the time-normalised curves (101: 0 to 100 % in steps of 1 %).
    rep_marker : str
        The label of the ``marker`` events that bound repetitions, instead of
        ``rep_start``/``rep_end`` events: a trigger pin's number (``"11"`` for D11), an
        XDF marker string, a C3D event (``"General Foot Strike"``). With ``boundaries =
        "bursts"`` they come in pairs (the start and the end of each repetition); with
        ``"cycles"`` each starts a repetition that ends where the next starts (the last
        has no end and is dropped). Empty: ``rep_start``/``rep_end`` events.
    phase_markers : tuple of (str, str)
        Phase (one of ``lowering``, ``bottom``, ``lifting``, ``top``) to the label of the
        ``marker`` events that start it, for phases marked by a trigger, an XDF marker
        stream or C3D events; in TOML a table, e.g. ``{ lifting = "12" }``. ``phase``
        events (a protocol's tempo) are used as well.
    """

    method: str = "auto"
    prime_movers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    threshold_fraction: float = 0.2
    edge_fraction: float = 0.02
    min_duration_s: float = 0.5
    min_gap_s: float = 0.2
    boundaries: str = "bursts"
    accel_min_range_deg: float = 10.0
    accel_lowpass_hz: float = 5.0
    accel_edge_fraction: float = 0.005
    n_points: int = 101
    rep_marker: str = ""
    phase_markers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        check_option("method", self.method, SEGMENTATION_METHODS)
        object.__setattr__(self, "prime_movers", _prime_movers(self.prime_movers))
        object.__setattr__(self, "phase_markers", _phase_markers(self.phase_markers))
        if not isinstance(self.rep_marker, str):
            raise ConfigError(f"rep_marker must be a marker label (text), but got "
                              f"{self.rep_marker!r}")
        for name in ("threshold_fraction", "edge_fraction", "accel_edge_fraction"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 < v < 1):
                raise ConfigError(f"{name} must be in (0, 1), but got {v!r}")
        if self.edge_fraction > self.threshold_fraction:
            raise ConfigError(
                f"edge_fraction={self.edge_fraction} must be <= "
                f"threshold_fraction={self.threshold_fraction}"
            )
        check_positive("min_duration_s", self.min_duration_s, "s")
        check_nonnegative("min_gap_s", self.min_gap_s, "s")
        check_option("boundaries", self.boundaries, ("bursts", "cycles"))
        check_positive("accel_min_range_deg", self.accel_min_range_deg, "deg")
        check_positive("accel_lowpass_hz", self.accel_lowpass_hz, "Hz")
        _check_int("n_points", self.n_points, 2)

    def prime_movers_for(self, task: str) -> tuple[str, ...] | None:
        """Return the configured prime movers of ``task``, or None for the default."""
        return dict(self.prime_movers).get(task)


@dataclass(frozen=True)
class ProcessingConfig(_Config):
    """All processing parameters, grouped by stage; recorded with every derived result."""

    filter: FilterConfig = field(default_factory=FilterConfig)
    envelope: EnvelopeConfig = field(default_factory=EnvelopeConfig)
    normalisation: NormalisationConfig = field(default_factory=NormalisationConfig)
    onset: OnsetConfig = field(default_factory=OnsetConfig)
    spectral: SpectralConfig = field(default_factory=SpectralConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    segmentation: SegmentationConfig = field(default_factory=SegmentationConfig)
