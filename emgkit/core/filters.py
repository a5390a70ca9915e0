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

from emgkit.core._common import as_2d, check_fs, float_dtype
from emgkit.core.chain import (
    DEFAULT_HIGH_HZ,
    MAX_HIGH_FRACTION,
    ProcessingChain,
    band_edges,
    check_cutoff,
    describe_chain,
    given_mains,
    notch_frequencies,
)
from emgkit.core.mains import detect_mains_hz
from emgkit.errors import ConfigError
from emgkit.model.config import EnvelopeConfig, FilterConfig, ProcessingConfig

__all__ = [  # the band rule and mains detection live in chain/mains; re-exported here
    "DEFAULT_HIGH_HZ", "MAX_HIGH_FRACTION", "StreamingFilter", "band_edges", "default_padlen",
    "design_bandpass", "design_chain", "design_from_chain", "design_highpass",
    "design_lowpass", "design_notch", "detect_mains_hz", "filter_causal", "filter_offline",
    "filtfilt_into", "notch_frequencies",
]


def _check_order(order: int | None, default: int) -> int:
    order = default if order is None else order
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ConfigError(f"order must be an integer >= 1, but got {order!r}")
    return int(order)


def design_bandpass(fs_hz: float, low_hz: float, high_hz: float,
                    order: int | None = None) -> np.ndarray:
    """Design a Butterworth band-pass.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    low_hz, high_hz : float
        -3 dB cut-offs in Hz, ``0 < low_hz < high_hz < fs_hz / 2``.
    order : int, optional
        Order of the low-pass prototype (the band-pass has ``2 * order`` poles); None
        means ``FilterConfig.bandpass_order``.

    Returns
    -------
    numpy.ndarray
        ``(order, 6)`` second-order sections, float64.
    """
    fs = check_fs(fs_hz)
    lo = check_cutoff("low_hz", low_hz, fs)
    hi = check_cutoff("high_hz", high_hz, fs)
    if lo >= hi:
        raise ConfigError(f"low_hz={low_hz:g} must be < high_hz={high_hz:g}")
    n = _check_order(order, FilterConfig().bandpass_order)
    return signal.butter(n, [lo, hi], btype="bandpass", fs=fs, output="sos")


def design_highpass(fs_hz: float, cutoff_hz: float, order: int | None = None) -> np.ndarray:
    """Design a Butterworth high-pass; returns ``(ceil(order / 2), 6)`` SOS.

    ``order`` None means ``FilterConfig.bandpass_order``.
    """
    fs = check_fs(fs_hz)
    c = check_cutoff("cutoff_hz", cutoff_hz, fs)
    n = _check_order(order, FilterConfig().bandpass_order)
    return signal.butter(n, c, btype="highpass", fs=fs, output="sos")


def design_lowpass(fs_hz: float, cutoff_hz: float, order: int | None = None) -> np.ndarray:
    """Design a Butterworth low-pass; returns ``(ceil(order / 2), 6)`` SOS.

    ``order`` None means ``EnvelopeConfig.lowpass_order`` (the linear envelope's).
    """
    fs = check_fs(fs_hz)
    c = check_cutoff("cutoff_hz", cutoff_hz, fs)
    n = _check_order(order, EnvelopeConfig().lowpass_order)
    return signal.butter(n, c, btype="lowpass", fs=fs, output="sos")


def _notch_sections(fs: float, freqs, qs) -> np.ndarray:
    sections = [signal.tf2sos(*signal.iirnotch(f, q, fs=fs)) for f, q in zip(freqs, qs)]
    return np.concatenate(sections) if sections else np.zeros((0, 6))


def design_notch(
    fs_hz: float, mains_hz: float, q: float | None = None, up_to_hz: float | None = None
) -> np.ndarray:
    """Design notches at the mains frequency and its harmonics below ``up_to_hz``.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    mains_hz : float
        Mains fundamental (50 or 60 Hz).
    q : float, optional
        Quality factor of the fundamental notch (None: ``FilterConfig.notch_q``).
        Harmonic ``k`` gets ``k * q``, so that every notch has the same -3 dB bandwidth
        ``mains_hz / q`` (as a comb filter).
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
    q = FilterConfig().notch_q if q is None else q
    if not float(q) > 0:
        raise ConfigError(f"q={q!r} must be > 0")
    freqs = notch_frequencies(fs, mains_hz, up_to_hz)
    return _notch_sections(fs, freqs, [k * float(q) for k in range(1, len(freqs) + 1)])


def design_from_chain(chain: ProcessingChain) -> np.ndarray:
    """Design the filter a :class:`~emgkit.core.chain.ProcessingChain` describes.

    One SOS cascade: the Butterworth band-pass ``chain.low_hz``-``chain.high_hz`` of
    ``chain.bandpass_order``, then a notch at each of ``chain.notch_hz`` with quality
    ``chain.notch_q``. Whatever the description says is what is designed.

    Returns
    -------
    numpy.ndarray
        ``(n_sections, 6)`` float64 SOS.
    """
    sos = design_bandpass(chain.fs_hz, chain.low_hz, chain.high_hz, chain.bandpass_order)
    return np.concatenate([sos, _notch_sections(chain.fs_hz, chain.notch_hz, chain.notch_q)])


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
        Mains frequency to notch when ``config.mains_hz`` is None (the decision of
        :func:`emgkit.core.mains.decide_mains`). No notch if both are None.

    Returns
    -------
    numpy.ndarray
        ``(n_sections, 6)`` float64 SOS, :func:`design_from_chain` of
        :func:`~emgkit.core.chain.describe_chain`.
    """
    chain = describe_chain(ProcessingConfig(filter=config), fs_hz, region,
                           given_mains(config, mains_hz))
    return design_from_chain(chain)


def default_padlen(sos: np.ndarray) -> int:
    """Return :func:`scipy.signal.sosfiltfilt`'s default pad length for ``sos``."""
    sos = np.asarray(sos)
    n_trivial = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - n_trivial)


def zero_phase_padlen(sos: np.ndarray, n: int, padlen: int | None = None) -> int:
    """Return the odd-extension length for zero-phase filtering of ``n`` samples.

    Raises
    ------
    ConfigError
        If the signal is not longer than it.
    """
    p = default_padlen(sos) if padlen is None else int(padlen)
    if n <= p:
        raise ConfigError(f"the signal has {n} samples; zero-phase filtering needs more than {p}")
    return p


def extend_odd(ext: np.ndarray, p: int) -> None:
    """Write the odd extension of ``ext[..., p:-p]`` into its first and last ``p`` samples.

    ``sosfiltfilt``'s end padding, along the last axis, in place.
    """
    if p:
        n = ext.shape[-1] - 2 * p
        ext[..., :p] = 2 * ext[..., p : p + 1] - ext[..., 2 * p : p : -1]
        ext[..., p + n :] = 2 * ext[..., p + n - 1 : p + n] - ext[..., p + n - 2 : n - 2 : -1]


def block_length(block_samples) -> int:
    """Return ``block_samples`` as a whole number of samples per block.

    Raises
    ------
    ConfigError
        If it is less than 1.
    """
    block = int(block_samples)
    if block < 1:
        raise ConfigError(f"block_samples must be at least 1, but got {block_samples}")
    return block


def filtfilt_in_place(sos: np.ndarray, ext: np.ndarray, block_samples: int) -> None:
    """Run ``sos`` forward, then backward, over the extended 1-D float64 ``ext`` in place.

    The zero-phase recursion of :func:`filter_offline` (steady-state initial conditions
    from each end's sample) after :func:`extend_odd`, ``block_samples`` at a time with
    the state carried from block to block: the arithmetic of one pass, so the numbers
    are the same bit for bit, with no copy of the signal but a block's.

    Raises
    ------
    ConfigError
        If ``block_samples`` is less than 1.
    """
    block = block_length(block_samples)
    zi = signal.sosfilt_zi(sos)
    state = zi * ext[0]
    for a in range(0, len(ext), block):  # forward
        ext[a : a + block], state = signal.sosfilt(sos, ext[a : a + block], zi=state)
    state = zi * ext[-1]
    for b in range(len(ext), 0, -block):  # backward, from the end
        a = max(b - block, 0)
        y, state = signal.sosfilt(sos, ext[a:b][::-1].copy(), zi=state)
        ext[a:b] = y[::-1]


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
    p = zero_phase_padlen(sos, n, padlen)
    sos_d = sos.astype(dt)
    zi = signal.sosfilt_zi(sos).astype(dt)[:, None, :]
    for k in range(0, len(channels), _BLOCK_CHANNELS):
        cols = channels[k : k + _BLOCK_CHANNELS]
        block = x[:, cols] if len(cols) > 1 else x[:, cols[0]][:, None]
        ext = np.empty((len(cols), n + 2 * p), dtype=dt)
        ext[:, p : p + n] = block.T
        if remove_mean:
            ext[:, p : p + n] -= block.mean(axis=0, dtype=np.float64).astype(dt)[:, None]
        extend_odd(ext, p)
        y, _ = signal.sosfilt(sos_d, ext, axis=-1, zi=zi * ext[None, :, :1])
        del ext  # memory: at most three copies of the block at a time
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
