"""The processing chain actually applied: one description, the one owner of every signal fact.

:func:`describe_chain` turns a :class:`~emgkit.model.config.ProcessingConfig`, a sampling
rate, a channel region (``limb`` or ``trunk``) and the mains decision
(:class:`~emgkit.core.mains.MainsChoice`) into a frozen :class:`ProcessingChain`: the
band edges and why, the notch frequencies, what happens to the ECG, the envelope and its
window in samples, the MVC reference. The filters are designed from it
(:func:`emgkit.core.filters.design_from_chain`), the provenance stores it
(:meth:`ProcessingChain.to_dict`), and the methods text, the segmentation and the
quality band read it; nobody re-derives a band edge.

The band rule: Butterworth band-pass from ``bandpass_low_hz`` (20 Hz) to
``bandpass_high_hz``, or ``min(450 Hz, 0.45 fs)`` when that is None; on trunk channels
with ``ecg_method = "highpass"`` the lower edge is ``max(bandpass_low_hz,
trunk_highpass_hz)``. ECG template subtraction needs the whole trial: causally (live)
the trunk high-pass is used instead. Notches at the mains frequency and, with
``notch_harmonics``, its harmonics strictly below the upper band edge (never at or
above Nyquist); harmonic ``k`` has quality factor ``k * notch_q``, the fundamental's
bandwidth.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from emgkit.core._common import MIN_SEMG_FS_HZ, check_fs, warn_low_fs, window_samples
from emgkit.core.mains import MainsChoice, decide_mains
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig, ProcessingConfig

#: Default upper cut-off of the band-pass, in Hz, and its ceiling as a fraction of fs.
DEFAULT_HIGH_HZ = 450.0
MAX_HIGH_FRACTION = 0.45
REGIONS = ("limb", "trunk")


def check_cutoff(name: str, cutoff_hz: float, fs_hz: float) -> float:
    """Return ``cutoff_hz`` as float, or raise :class:`ConfigError` unless ``0 < c < fs/2``."""
    c = float(cutoff_hz)
    nyq = fs_hz / 2.0
    if not c > 0:
        raise ConfigError(f"{name}={cutoff_hz:g} must be > 0 Hz")
    if c >= nyq:
        raise ConfigError(f"{name}={cutoff_hz:g} must be < fs_hz/2 = {nyq:g} Hz (the data "
                          f"are sampled at {fs_hz:g} Hz)")
    return c


def check_region(region: str) -> str:
    """Return ``region`` or raise the validator's :class:`ConfigError`."""
    if region not in REGIONS:
        raise ConfigError(
            f"Invalid value for the 'region' parameter. Allowed values are 'limb', 'trunk', "
            f"but got {region!r} instead."
        )
    return region


def ceiling_hz(cutoff_hz: float, fs_hz: float) -> float:
    """Return ``min(cutoff_hz, 0.45 fs)``: an auxiliary low-pass kept clear of Nyquist."""
    return min(float(cutoff_hz), MAX_HIGH_FRACTION * check_fs(fs_hz))


def _ecg(config: FilterConfig, region: str, causal: bool) -> str:
    if region != "trunk":
        return "none"
    return "highpass" if causal else config.ecg_method


def band_edges(config: FilterConfig, fs_hz: float, region: str = "limb",
               causal: bool = False, *, warn: bool = True) -> tuple[float, float]:
    """Return the band-pass ``(low_hz, high_hz)`` applied at ``fs_hz`` (the band rule).

    Warns with :class:`~emgkit.core.LowSampleRateWarning` below 1 kHz, unless ``warn``
    is False (a caller that says it elsewhere; no warning filters are touched, so this
    is safe in a worker thread).

    Raises
    ------
    ConfigError
        If the edges are impossible at this rate (``0 < low < high < fs/2``).
    """
    fs = check_fs(fs_hz)
    check_region(region)
    low = float(config.bandpass_low_hz)
    if _ecg(config, region, causal) == "highpass":
        low = max(low, float(config.trunk_highpass_hz))
    if config.bandpass_high_hz is None:
        high = min(DEFAULT_HIGH_HZ, MAX_HIGH_FRACTION * fs)
        what = f"the band-pass is limited to 0.45 fs = {high:g} Hz"
    else:
        high = float(config.bandpass_high_hz)
        what = f"the band-pass ends at {high:g} Hz"
    check_cutoff("low_hz", low, fs)
    check_cutoff("high_hz", high, fs)
    if low >= high:
        raise ConfigError(f"low_hz={low:g} must be < high_hz={high:g}")
    if warn:
        warn_low_fs(fs, what, stacklevel=4)
    return low, high


def notch_frequencies(fs_hz: float, mains_hz: float, up_to_hz: float | None = None) -> list[float]:
    """Return the mains fundamental and the harmonics strictly below ``up_to_hz``.

    With ``up_to_hz=None`` only the fundamental is returned. Frequencies at or above
    Nyquist are never included.
    """
    fs = check_fs(fs_hz)
    f0 = float(mains_hz)
    if not f0 > 0:
        raise ConfigError(f"mains_hz={mains_hz!r} must be > 0 Hz")
    top = fs / 2.0 if up_to_hz is None else min(float(up_to_hz), fs / 2.0)
    if up_to_hz is None:
        return [f0] if f0 < top else []
    return [k * f0 for k in range(1, int(top // f0) + 2) if k * f0 < top]


@dataclass(frozen=True)
class ProcessingChain:
    """What the core applies to one channel region at one sampling rate.

    Attributes
    ----------
    fs_hz : float
        Sampling rate the filters are designed for, in Hz.
    region : str
        ``limb`` or ``trunk``.
    causal : bool
        Causal (live) instead of zero-phase (offline).
    dc_removal : str
        ``mean`` (each channel's mean removed first, offline) or ``steady_state`` (the
        causal filter starts from the steady state of the first sample).
    offline_method : str or None
        ``fft`` or ``sosfiltfilt`` (offline); None when causal.
    bandpass_order : int
        Butterworth prototype order (the band-pass has ``2 * order`` poles).
    low_hz, high_hz : float
        Band-pass -3 dB edges of the design (one pass).
    low_rule, high_rule : str
        Where each edge comes from: ``bandpass_low_hz``, ``trunk_highpass_hz``;
        ``bandpass_high_hz`` or ``min(450 Hz, 0.45 fs)``.
    edge_gain_db : float
        Gain at the band edges of what is applied: -6.02 dB zero phase (``|H|^2``),
        -3.01 dB causal.
    notch_hz : tuple of float
        Notched frequencies (fundamental first); empty if none.
    notch_q : tuple of float
        Quality factor of each notch (``k * notch_q``).
    notch_bandwidth_hz : float or None
        -3 dB bandwidth of every notch.
    mains : MainsChoice
        The mains frequency and where it came from.
    ecg_method : str
        ``none`` (limb), ``highpass`` (the lower edge raised to ``trunk_highpass_hz``, or
        left where it is if already higher) or ``template`` (the mean beat subtracted
        before the band-pass; lower edge unchanged).
    envelope_method : str
        ``rms`` or ``linear``.
    rectification : str
        ``squared`` (the RMS) or ``full_wave`` (the linear envelope).
    envelope_window_s : float or None
        RMS window as configured; None for the linear envelope.
    envelope_window_samples : int or None
        The window applied: ``2 floor(w fs / 2) + 1`` samples.
    envelope_centred : bool
        Centred window (offline) or trailing (causal).
    envelope_lowpass_hz : float or None
        Linear envelope: Butterworth low-pass cut-off (one pass).
    envelope_lowpass_order : int or None
        Its order.
    normalisation : str
        ``mvc``, ``peak_dynamic`` or ``none``.
    mvc_reference : str or None
        ``plateau_mean`` or ``peak`` (method ``mvc``).
    mvc_plateau_s : float or None
        Length of the stretch ``plateau_mean`` averages.
    reference_window_s : float or None
        RMS window of the reference envelope (``mvc_window_s`` or the task's window);
        None for the linear envelope (the reference uses the same linear envelope).
    reference_window_samples : int or None
        The same in samples.
    spectral_low_hz, spectral_high_hz : float
        Band of the median and mean frequency: ``spectral.low_hz``/``high_hz``, else
        ``bandpass_low_hz`` and the band-pass upper edge.
    low_rate : bool
        fs below 1 kHz: sEMG is under-sampled, amplitudes compare only at one rate.
    notes : tuple of str
        Plain sentences on options that changed nothing or were replaced.
    """

    fs_hz: float
    region: str
    causal: bool
    dc_removal: str
    offline_method: str | None
    bandpass_order: int
    low_hz: float
    high_hz: float
    low_rule: str
    high_rule: str
    edge_gain_db: float
    notch_hz: tuple[float, ...]
    notch_q: tuple[float, ...]
    notch_bandwidth_hz: float | None
    mains: MainsChoice
    ecg_method: str
    envelope_method: str
    rectification: str
    envelope_window_s: float | None
    envelope_window_samples: int | None
    envelope_centred: bool
    envelope_lowpass_hz: float | None
    envelope_lowpass_order: int | None
    normalisation: str
    mvc_reference: str | None
    mvc_plateau_s: float | None
    reference_window_s: float | None
    reference_window_samples: int | None
    spectral_low_hz: float
    spectral_high_hz: float
    low_rate: bool
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Short name: ``limb@250Hz``."""
        return f"{self.region}@{self.fs_hz:g}Hz"

    def to_dict(self) -> dict:
        """JSON-safe record (tuples as lists, the mains choice with its sentence)."""
        d = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            d[f.name] = v.to_dict() if isinstance(v, MainsChoice) else (
                list(v) if isinstance(v, tuple) else v)
        return d


def given_mains(config: FilterConfig, mains_hz: float | None) -> MainsChoice:
    """Return the mains choice without looking at data: the config's, else ``mains_hz``."""
    return decide_mains(config, 1.0, None, mains_hz)


def _notches(cfg: FilterConfig, fs: float, high: float, mains: MainsChoice):
    if mains.notch_hz is None:
        return (), (), None
    freqs = notch_frequencies(fs, mains.notch_hz, high if cfg.notch_harmonics else None)
    q = tuple(k * float(cfg.notch_q) for k in range(1, len(freqs) + 1))
    bw = float(mains.notch_hz) / float(cfg.notch_q) if freqs else None
    return tuple(float(f) for f in freqs), q, bw


def _reference(config: ProcessingConfig, fs: float, notes: list[str]):
    """``(mvc_reference, plateau_s, window_s, window_samples)`` of the normalisation."""
    n, e = config.normalisation, config.envelope
    if n.method != "mvc":
        return None, None, None, None
    plateau = n.mvc_plateau_s if n.mvc_reference == "plateau_mean" else None
    if e.method == "linear":
        if n.mvc_window_s is not None:
            notes.append("normalisation.mvc_window_s has no effect with the linear envelope: "
                         "the reference uses the same linear envelope as the tasks")
        return n.mvc_reference, plateau, None, None
    w = e.window_s if n.mvc_window_s is None else n.mvc_window_s
    return n.mvc_reference, plateau, float(w), window_samples(w, fs, "mvc_window_s")


def describe_chain(config: ProcessingConfig | None, fs_hz: float, region: str = "limb",
                   mains: MainsChoice | None = None, causal: bool = False) -> ProcessingChain:
    """Describe the chain applied to ``region`` channels at ``fs_hz`` (see the module notes).

    Parameters
    ----------
    config : ProcessingConfig or None
        The parameters (defaults if None).
    fs_hz : float
        Sampling rate in Hz.
    region : {"limb", "trunk"}
        Body region of the channels (:attr:`emgkit.model.muscles.Muscle.region`).
    mains : MainsChoice, optional
        The mains decision (:func:`~emgkit.core.mains.decide_mains`); None: the config's
        ``filter.mains_hz`` or no notch.
    causal : bool
        The live (causal) chain instead of the offline (zero-phase) one.

    Returns
    -------
    ProcessingChain

    Raises
    ------
    ConfigError
        If the configuration cannot be applied at this rate (the message quotes values).
    """
    cfg = ProcessingConfig() if config is None else config
    f, e, sp = cfg.filter, cfg.envelope, cfg.spectral
    fs = check_fs(fs_hz)
    check_region(region)
    low, high = band_edges(f, fs, region, causal)
    ecg = _ecg(f, region, causal)
    notes: list[str] = []
    if region == "trunk" and causal and f.ecg_method == "template":
        notes.append("ECG template subtraction needs the whole trial: causally the trunk "
                     "high-pass is used instead")
    mains = given_mains(f, None) if mains is None else mains
    if not f.notch:
        mains = dataclasses.replace(mains, notch_hz=None, source="off")
    notch_hz, notch_q, bw = _notches(f, fs, high, mains)
    rms = e.method == "rms"
    if not rms:
        check_cutoff("lowpass_hz", e.lowpass_hz, fs)
    ref, plateau, ref_w, ref_n = _reference(cfg, fs, notes)
    return ProcessingChain(
        fs_hz=fs, region=region, causal=bool(causal),
        dc_removal="steady_state" if causal else "mean",
        offline_method=None if causal else f.offline_method,
        bandpass_order=int(f.bandpass_order), low_hz=low, high_hz=high,
        low_rule="trunk_highpass_hz" if low != float(f.bandpass_low_hz) else "bandpass_low_hz",
        high_rule=("bandpass_high_hz" if f.bandpass_high_hz is not None
                   else "min(450 Hz, 0.45 fs)"),
        edge_gain_db=-3.01 if causal else -6.02,
        notch_hz=notch_hz, notch_q=notch_q, notch_bandwidth_hz=bw, mains=mains,
        ecg_method=ecg, envelope_method=e.method,
        rectification="squared" if rms else "full_wave",
        envelope_window_s=float(e.window_s) if rms else None,
        envelope_window_samples=window_samples(e.window_s, fs) if rms else None,
        envelope_centred=not causal,
        envelope_lowpass_hz=None if rms else float(e.lowpass_hz),
        envelope_lowpass_order=None if rms else int(e.lowpass_order),
        normalisation=cfg.normalisation.method, mvc_reference=ref, mvc_plateau_s=plateau,
        reference_window_s=ref_w, reference_window_samples=ref_n,
        spectral_low_hz=float(f.bandpass_low_hz if sp.low_hz is None else sp.low_hz),
        spectral_high_hz=float(high if sp.high_hz is None else sp.high_hz),
        low_rate=fs < MIN_SEMG_FS_HZ, notes=tuple(notes),
    )
