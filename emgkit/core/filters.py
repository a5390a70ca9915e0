"""Filter design (SOS only) and application: zero-phase offline, causal with carried state.

Design and application are separate, as in :mod:`scipy.signal`: the ``design_*``
functions return second-order sections ``(n_sections, 6)`` in float64;
:func:`filter_offline` applies them forward and backward (zero phase, the same
algorithm as :func:`scipy.signal.sosfiltfilt`), :class:`StreamingFilter` applies them
causally block by block, carrying the state, and :func:`filter_causal` is the one-shot
causal equivalent. Signals are ``(n_samples,)`` or ``(n_samples, n_channels)``;
float32 input is filtered in float32 (see ``docs/signal-core.md`` for the tolerances),
anything else in float64.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from emgkit.core._common import as_2d, check_fs, float_dtype, warn_low_fs
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig

#: Default upper cut-off of the band-pass, in Hz, and its ceiling as a fraction of fs.
DEFAULT_HIGH_HZ = 450.0
MAX_HIGH_FRACTION = 0.45
_MAINS_CANDIDATES_HZ = (50.0, 60.0)


def _check_cutoff(name: str, cutoff_hz: float, fs_hz: float) -> float:
    c = float(cutoff_hz)
    nyq = fs_hz / 2.0
    if not c > 0:
        raise ConfigError(f"{name}={cutoff_hz:g} must be > 0 Hz")
    if c >= nyq:
        raise ConfigError(f"{name}={cutoff_hz:g} must be < fs_hz/2 = {nyq:g}")
    return c


def _check_order(order: int) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ConfigError(f"order must be an integer >= 1, but got {order!r}")
    return int(order)


def design_bandpass(fs_hz: float, low_hz: float, high_hz: float, order: int = 4) -> np.ndarray:
    """Design a Butterworth band-pass.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    low_hz, high_hz : float
        -3 dB cut-offs in Hz, ``0 < low_hz < high_hz < fs_hz / 2``.
    order : int
        Order of the low-pass prototype (the band-pass has ``2 * order`` poles).

    Returns
    -------
    numpy.ndarray
        ``(order, 6)`` second-order sections, float64.
    """
    fs = check_fs(fs_hz)
    lo = _check_cutoff("low_hz", low_hz, fs)
    hi = _check_cutoff("high_hz", high_hz, fs)
    if lo >= hi:
        raise ConfigError(f"low_hz={low_hz:g} must be < high_hz={high_hz:g}")
    return signal.butter(_check_order(order), [lo, hi], btype="bandpass", fs=fs, output="sos")


def design_highpass(fs_hz: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Design a Butterworth high-pass; returns ``(ceil(order / 2), 6)`` SOS."""
    fs = check_fs(fs_hz)
    c = _check_cutoff("cutoff_hz", cutoff_hz, fs)
    return signal.butter(_check_order(order), c, btype="highpass", fs=fs, output="sos")


def design_lowpass(fs_hz: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Design a Butterworth low-pass; returns ``(ceil(order / 2), 6)`` SOS."""
    fs = check_fs(fs_hz)
    c = _check_cutoff("cutoff_hz", cutoff_hz, fs)
    return signal.butter(_check_order(order), c, btype="lowpass", fs=fs, output="sos")


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


def design_notch(
    fs_hz: float, mains_hz: float, q: float = 30.0, up_to_hz: float | None = None
) -> np.ndarray:
    """Design notches at the mains frequency and its harmonics below ``up_to_hz``.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    mains_hz : float
        Mains fundamental (50 or 60 Hz).
    q : float
        Quality factor of the fundamental notch. Harmonic ``k`` gets ``k * q``, so that
        every notch has the same -3 dB bandwidth ``mains_hz / q`` (as a comb filter).
    up_to_hz : float, optional
        Include harmonics strictly below this frequency; None notches the
        fundamental only.

    Returns
    -------
    numpy.ndarray
        ``(n_notches, 6)`` SOS (possibly ``(0, 6)`` if the fundamental is above
        ``up_to_hz`` or Nyquist).
    """
    fs = check_fs(fs_hz)
    if not float(q) > 0:
        raise ConfigError(f"q={q!r} must be > 0")
    freqs = notch_frequencies(fs, mains_hz, up_to_hz)
    sections = []
    for k, f in enumerate(freqs, start=1):
        b, a = signal.iirnotch(f, k * float(q), fs=fs)
        sections.append(signal.tf2sos(b, a))
    return np.concatenate(sections) if sections else np.zeros((0, 6))


def band_edges(config: FilterConfig, fs_hz: float, region: str = "limb") -> tuple[float, float]:
    """Return the band-pass ``(low_hz, high_hz)`` the configuration gives at ``fs_hz``.

    ``high_hz`` defaults to ``min(450, 0.45 fs)``; trunk channels use
    ``trunk_highpass_hz`` as the lower edge when ``ecg_method == "highpass"``. Warns with
    :class:`~emgkit.core.LowSampleRateWarning` below 1 kHz.
    """
    fs = check_fs(fs_hz)
    if region not in ("limb", "trunk"):
        raise ConfigError(
            f"Invalid value for the 'region' parameter. Allowed values are 'limb', 'trunk', "
            f"but got {region!r} instead."
        )
    low = config.bandpass_low_hz
    if region == "trunk" and config.ecg_method == "highpass":
        low = max(low, config.trunk_highpass_hz)
    if config.bandpass_high_hz is None:
        high = min(DEFAULT_HIGH_HZ, MAX_HIGH_FRACTION * fs)
        warn_low_fs(fs, f"the band-pass is limited to 0.45 fs = {high:g} Hz", stacklevel=4)
    else:
        high = config.bandpass_high_hz
    return float(low), float(high)


def design_chain(
    config: FilterConfig, fs_hz: float, region: str = "limb", mains_hz: float | None = None
) -> np.ndarray:
    """Design the whole filter of one channel as ONE SOS cascade: band-pass then notches.

    Parameters
    ----------
    config : FilterConfig
        Filter parameters.
    fs_hz : float
        Sampling rate in Hz.
    region : {"limb", "trunk"}
        Body region of the channel (:attr:`emgkit.model.muscles.Muscle.region`).
    mains_hz : float, optional
        Mains frequency from the session or :func:`detect_mains_hz`; used when
        ``config.mains_hz`` is None. No notch if both are None.

    Returns
    -------
    numpy.ndarray
        ``(n_sections, 6)`` float64 SOS.
    """
    low, high = band_edges(config, fs_hz, region)
    sos = design_bandpass(fs_hz, low, high, config.bandpass_order)
    f0 = config.mains_hz if config.mains_hz is not None else mains_hz
    if config.notch and f0 is not None:
        notch = design_notch(
            fs_hz, f0, config.notch_q, up_to_hz=high if config.notch_harmonics else None
        )
        sos = np.concatenate([sos, notch])
    return sos


def detect_mains_hz(x: np.ndarray, fs_hz: float, min_ratio: float = 4.0) -> float | None:
    """Detect the mains frequency (50 or 60 Hz) from the spectrum.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)`` signal.
    fs_hz : float
        Sampling rate in Hz.
    min_ratio : float
        A candidate counts only if, in at least one channel, the power within +/-1 Hz
        of it exceeds the median power 2-6 Hz either side by this factor (6 dB by
        default).

    Returns
    -------
    float or None
        50.0 or 60.0, whichever stands out more, or None if neither does.
    """
    fs = check_fs(fs_hz)
    x2, _ = as_2d(x)
    nper = int(min(x2.shape[0], round(2 * fs)))
    if nper < 16:
        return None
    f, p = signal.welch(x2, fs=fs, nperseg=nper, axis=0, detrend="constant")
    best, best_ratio = None, min_ratio
    for f0 in _MAINS_CANDIDATES_HZ:
        if f0 + 1 >= fs / 2:
            continue
        peak = p[np.abs(f - f0) <= 1.0].mean(axis=0)
        side = (np.abs(f - f0) >= 2.0) & (np.abs(f - f0) <= 6.0)
        ref = np.median(p[side], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ref > 0, peak / ref, np.where(peak > 0, np.inf, 0.0))
        if ratio.max() > best_ratio:
            best, best_ratio = f0, ratio.max()
    return best


def default_padlen(sos: np.ndarray) -> int:
    """Return :func:`scipy.signal.sosfiltfilt`'s default pad length for ``sos``."""
    sos = np.asarray(sos)
    n_trivial = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - n_trivial)


def filter_offline(
    sos: np.ndarray, x: np.ndarray, padlen: int | None = None, remove_mean: bool = False
) -> np.ndarray:
    """Zero-phase filtering along axis 0 (forward then backward), like ``sosfiltfilt``.

    The algorithm is scipy's (odd extension of ``padlen`` samples, steady-state
    initial conditions), run channel by channel on contiguous copies so that float32
    input stays float32 and memory stays near one extra channel.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)``.
    padlen : int, optional
        Odd-extension length; default as :func:`scipy.signal.sosfiltfilt`.
    remove_mean : bool
        Subtract each channel's mean (computed in float64) first: the DC offset of
        OpenBCI inputs (tens of mV) then costs no float32 precision.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``; float32 if ``x`` is float32, else float64. The magnitude
        response is ``|H|**2`` (so a Butterworth cut-off is at -6 dB), the phase zero.
    """
    x2, was_1d = as_2d(x, "x")
    out = np.empty(x2.shape, dtype=float_dtype(x2))
    filtfilt_into(sos, x2, out, range(x2.shape[1]), padlen, remove_mean)
    return out[:, 0] if was_1d else out


_BLOCK_CHANNELS = 4


def filtfilt_into(
    sos: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    channels,
    padlen: int | None = None,
    remove_mean: bool = False,
) -> None:
    """Zero-phase filter the ``channels`` columns of ``x`` into the same columns of ``out``.

    The engine of :func:`filter_offline`: channels go through in blocks of four,
    transposed into contiguous rows (fast reads of ``(n_samples, n_channels)`` arrays,
    transient memory about one extra copy of four channels). Computation is in
    ``out.dtype``.
    """
    dt = out.dtype
    sos = np.asarray(sos, dtype=np.float64)
    n = x.shape[0]
    channels = list(channels)
    if len(sos) == 0:
        for j in channels:
            out[:, j] = x[:, j] - (x[:, j].mean(dtype=np.float64) if remove_mean else 0)
        return
    p = default_padlen(sos) if padlen is None else int(padlen)
    if n <= p:
        raise ConfigError(f"the signal has {n} samples; zero-phase filtering needs more than {p}")
    sos_d = sos.astype(dt)
    zi = signal.sosfilt_zi(sos).astype(dt)[:, None, :]
    for k in range(0, len(channels), _BLOCK_CHANNELS):
        cols = channels[k : k + _BLOCK_CHANNELS]
        block = x[:, cols] if len(cols) > 1 else x[:, cols[0]][:, None]
        ext = np.empty((len(cols), n + 2 * p), dtype=dt)
        ext[:, p : p + n] = block.T
        if remove_mean:
            ext[:, p : p + n] -= block.mean(axis=0, dtype=np.float64).astype(dt)[:, None]
        if p:
            ext[:, :p] = 2 * ext[:, p : p + 1] - ext[:, 2 * p : p : -1]
            ext[:, p + n :] = 2 * ext[:, p + n - 1 : p + n] - ext[:, p + n - 2 : n - 2 : -1]
        y, _ = signal.sosfilt(sos_d, ext, axis=-1, zi=zi * ext[None, :, :1])
        y = y[:, ::-1].copy()
        y, _ = signal.sosfilt(sos_d, y, axis=-1, zi=zi * y[None, :, :1])
        out[:, cols] = y[:, ::-1][:, p : p + n].T


class StreamingFilter:
    """Causal SOS filter over blocks, carrying its state between calls.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    n_channels : int
        Number of channels of every block.
    dtype : numpy dtype
        Computation and output type, float32 (default, as stored signals) or float64.
    init : {"first", "zero"}
        Initial state: ``first`` (default) is the steady state for a constant input equal
        to the first sample, so a DC offset of tens of mV starts no transient; ``zero``
        starts from rest.

    Notes
    -----
    Feeding any split of a signal gives exactly the output of one call on the whole
    signal (property-tested to 1e-12 in float64; in float32 the arithmetic is the same
    sequence, so agreement is to float32 rounding of the state, < 1e-5 relative).
    """

    def __init__(
        self, sos: np.ndarray, n_channels: int, dtype=np.float32, init: str = "first"
    ) -> None:
        if init not in ("first", "zero"):
            raise ConfigError(
                f"Invalid value for the 'init' parameter. Allowed values are 'first', 'zero', "
                f"but got {init!r} instead."
            )
        self.dtype = np.dtype(dtype)
        self.sos = np.asarray(sos, dtype=np.float64).astype(self.dtype)
        self.n_channels = int(n_channels)
        self.init = init
        self._zi_unit = signal.sosfilt_zi(sos).astype(self.dtype)[:, :, None] if len(sos) else None
        self.zi: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the state; the next block starts afresh."""
        self.zi = None

    def process(self, block: np.ndarray) -> np.ndarray:
        """Filter one block ``(n_samples, n_channels)`` (or ``(n_samples,)`` for 1 channel).

        Returns the filtered block, same shape, in :attr:`dtype`.
        """
        b2, was_1d = as_2d(block, "block")
        if b2.shape[1] != self.n_channels:
            raise ConfigError(
                f"block has {b2.shape[1]} channels, the filter was made for {self.n_channels}"
            )
        b2 = b2.astype(self.dtype, copy=False)
        if b2.shape[0] == 0 or self._zi_unit is None:
            y = b2.copy()
        else:
            if self.zi is None:
                first = b2[0] if self.init == "first" else np.zeros(self.n_channels, self.dtype)
                self.zi = self._zi_unit * first[None, None, :]
            y, self.zi = signal.sosfilt(self.sos, b2, axis=0, zi=self.zi)
        return y[:, 0] if was_1d else y


def filter_causal(sos: np.ndarray, x: np.ndarray, init: str = "first") -> np.ndarray:
    """One-shot causal filtering along axis 0: what :class:`StreamingFilter` gives live.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)``; float32 stays float32.
    init : {"first", "zero"}
        Initial state, as for :class:`StreamingFilter`.
    """
    x2, _ = as_2d(x, "x")
    return StreamingFilter(sos, x2.shape[1], float_dtype(x2), init).process(x)
