"""Amplitude envelopes: moving RMS (centred offline, trailing live) and linear envelope.

Windows are given in seconds and rounded to an odd number of samples
``N = 2 * floor(window_s * fs_hz / 2) + 1`` so that the centred window is symmetric.
The live (trailing) RMS at sample ``n`` covers samples ``n - N + 1 .. n``; it equals the
centred RMS at sample ``n - (N - 1) / 2``: the live envelope is the offline one delayed
by half a window. The centred RMS uses :func:`scipy.ndimage.uniform_filter1d` on the
squares (running sums in double precision); the trailing RMS float64 cumulative sums,
so that the live and the one-shot causal results agree to ~1e-12.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from emgkit.core._common import as_2d, check_fs, float_dtype, window_samples
from emgkit.core.filters import StreamingFilter, design_lowpass, filter_offline
from emgkit.model.config import EnvelopeConfig


def _centred_rms(x2: np.ndarray, n_win: int, inplace: bool = False) -> np.ndarray:
    """Centred RMS of ``(n_samples, n_channels)``, windows truncated at the ends."""
    out = np.square(x2, out=x2) if inplace else np.square(x2, dtype=float_dtype(x2))
    ndimage.uniform_filter1d(out, n_win, axis=0, output=out, mode="constant", cval=0.0)
    n, h = out.shape[0], n_win // 2
    # Zero padding divided the end windows by n_win; rescale to the samples present
    # (each end sample once: the two ends overlap in a signal shorter than the window).
    i = np.union1d(np.arange(min(h, n)), np.arange(max(n - h, 0), n))
    present = np.minimum(i + h + 1, n) - np.maximum(i - h, 0)
    out[i] *= (n_win / present)[:, None]
    np.maximum(out, 0.0, out=out)
    return np.sqrt(out, out=out)


class CentredRMSBlocks:
    """The centred moving RMS of a signal that arrives a block of samples at a time.

    Each :meth:`feed` returns the envelope of every sample whose window has arrived;
    the samples still needed (the last ``N - 1`` at least) are carried to the next
    block. Windows are truncated at the signal's two ends as in :func:`moving_rms`, and
    a signal given in one block gets :func:`moving_rms`'s own arithmetic; split, the
    running sums restart at each block, which moves a value by float rounding only
    (~1e-7 relative in float32).

    Parameters
    ----------
    n_samples : int
        Length of the whole signal (its end is known when it arrives).
    n_window : int
        Odd window length in samples (:func:`~emgkit.core._common.window_samples`).
    """

    def __init__(self, n_samples: int, n_window: int):
        self.n_samples, self.n_window, self._h = int(n_samples), int(n_window), int(n_window) // 2
        self._carry: np.ndarray | None = None
        self._carry_start = 0
        self._seen = 0  # samples fed
        self._done = 0  # samples whose envelope was returned

    def feed(self, rows: np.ndarray) -> tuple[int, np.ndarray]:
        """Take the next samples, ``(n_channels, m)`` (overwritten); return ``(start, env)``.

        ``env`` is ``(n_channels, k)``, the envelope of samples ``start .. start + k``
        (``k`` may be 0 until half a window has arrived beyond them).
        """
        ext_start = self._seen if self._carry is None else self._carry_start
        ext = rows if self._carry is None else np.concatenate((self._carry, rows), axis=1)
        self._seen += rows.shape[1]
        end = self._seen
        out_end = end if end >= self.n_samples else max(self._done, end - self._h)
        if end < self.n_samples:
            self._carry_start = max(out_end - self._h, ext_start)
            self._carry = ext[:, self._carry_start - ext_start :].copy()
        env = _centred_rms(ext.T, self.n_window, inplace=ext.dtype.kind == "f").T
        start, self._done = self._done, out_end
        return start, env[:, start - ext_start : out_end - ext_start]


def _trailing_mean_sq(col: np.ndarray, n_win: int, head: np.ndarray | None = None) -> np.ndarray:
    """Mean of squares over ``i - n_win + 1 .. i`` for one channel, float64 cumulative sums.

    ``head`` holds the ``n_win - 1`` samples before ``col`` (zeros if None).
    """
    prev = np.zeros(n_win - 1) if head is None else np.square(head, dtype=np.float64)
    c = np.concatenate(([0.0], np.cumsum(np.concatenate((prev, np.square(col, dtype=np.float64))))))
    out = c[n_win:] - c[:-n_win]
    out /= n_win
    return np.maximum(out, 0.0, out=out)


def moving_rms(
    x: np.ndarray, fs_hz: float, window_s: float | None = None, centred: bool = True,
    inplace=False,
):
    """Return the moving RMS along axis 0.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)`` band-passed signal.
    fs_hz : float
        Sampling rate in Hz.
    window_s : float, optional
        Window length in seconds (rounded to an odd number of samples, at least 3); None
        means ``EnvelopeConfig.window_s``.
    centred : bool
        Centred window (offline; truncated at the ends, the mean taken over the samples
        present) or trailing window (causal; samples before the start count as zeros,
        exactly as :class:`StreamingEnvelope` from a fresh start).
    inplace : bool
        Centred only, float ``x`` only: overwrite ``x`` with the result (saves memory).

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 for float32 input, else float64.
    """
    fs = check_fs(fs_hz)
    n_win = window_samples(EnvelopeConfig().window_s if window_s is None else window_s, fs)
    x2, was_1d = as_2d(x)
    if centred:
        out = _centred_rms(x2, n_win, inplace and x2.dtype.kind == "f")
    else:
        out = np.empty(x2.shape, float_dtype(x2))
        for j in range(x2.shape[1]):
            out[:, j] = np.sqrt(_trailing_mean_sq(x2[:, j], n_win))
    return out[:, 0] if was_1d else out


def linear_envelope(x: np.ndarray, fs_hz: float, lowpass_hz: float | None = None,
                    order: int | None = None):
    """Linear envelope: full-wave rectification then a zero-phase Butterworth low-pass.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)`` band-passed signal.
    fs_hz : float
        Sampling rate in Hz.
    lowpass_hz : float, optional
        Cut-off of the low-pass (-3 dB of one pass; applied forward and backward); None
        means ``EnvelopeConfig.lowpass_hz``.
    order : int, optional
        Butterworth order; None means ``EnvelopeConfig.lowpass_order``.
    """
    d = EnvelopeConfig()
    sos = design_lowpass(fs_hz, d.lowpass_hz if lowpass_hz is None else lowpass_hz,
                         d.lowpass_order if order is None else order)
    return filter_offline(sos, np.abs(x))


def envelope(
    x: np.ndarray, fs_hz: float, config: EnvelopeConfig, causal: bool = False, inplace=False
):
    """Envelope by ``config.method`` (``rms`` or ``linear``), centred/zero-phase or causal.

    The causal version is what :class:`StreamingEnvelope` computes live from a fresh
    start. Shapes and types as :func:`moving_rms`; ``inplace`` may reuse ``x``.
    """
    if config.method == "rms":
        return moving_rms(x, fs_hz, config.window_s, centred=not causal, inplace=inplace)
    if not causal:
        return linear_envelope(x, fs_hz, config.lowpass_hz, config.lowpass_order)
    x2, _ = as_2d(x)
    return StreamingEnvelope(fs_hz, x2.shape[1], config, float_dtype(x2)).process(x)


def envelope_from_chain(x: np.ndarray, chain, inplace: bool = False) -> np.ndarray:
    """Return the envelope a :class:`~emgkit.core.chain.ProcessingChain` describes.

    Centred (offline) or trailing (causal) moving RMS over
    ``chain.envelope_window_s``, or the linear envelope with the chain's low-pass
    (zero phase offline, causal from rest live). Shapes and types as :func:`moving_rms`.
    """
    if chain.envelope_method == "rms":
        return moving_rms(x, chain.fs_hz, chain.envelope_window_s,
                          centred=chain.envelope_centred, inplace=inplace)
    cfg = EnvelopeConfig(method="linear", lowpass_hz=chain.envelope_lowpass_hz,
                         lowpass_order=chain.envelope_lowpass_order)
    return envelope(x, chain.fs_hz, cfg, causal=chain.causal, inplace=inplace)


class StreamingEnvelope:
    """Causal envelope over blocks (trailing RMS, or rectify + causal low-pass).

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    n_channels : int
        Channels per block.
    config : EnvelopeConfig
        Method and window.
    dtype : numpy dtype
        Output type (float32 by default).

    Notes
    -----
    The trailing RMS carries the last ``N - 1`` samples, so any split of a signal gives
    the same result as one call (to float64 rounding of the per-block cumulative sums,
    ~1e-12 relative). It is the centred RMS delayed by ``(N - 1) / 2`` samples. The
    low-pass of the linear method starts from rest (``init="zero"``).
    """

    def __init__(self, fs_hz: float, n_channels: int, config: EnvelopeConfig, dtype=np.float32):
        self.fs_hz = check_fs(fs_hz)
        self.config = config
        self.dtype = np.dtype(dtype)
        self.n_channels = int(n_channels)
        if config.method == "rms":
            self.n_window = window_samples(config.window_s, self.fs_hz)
            self._head = np.zeros((self.n_window - 1, self.n_channels))
            self._lp = None
        else:
            sos = design_lowpass(self.fs_hz, config.lowpass_hz, config.lowpass_order)
            self._lp = StreamingFilter(sos, self.n_channels, self.dtype, init="zero")

    @property
    def delay_samples(self) -> int:
        """Delay of the trailing RMS relative to the centred one, ``(N - 1) / 2``."""
        return (self.n_window - 1) // 2 if self._lp is None else 0

    def process(self, block: np.ndarray) -> np.ndarray:
        """Envelope of one block ``(n_samples, n_channels)``; same shape, :attr:`dtype`."""
        b2, was_1d = as_2d(block, "block")
        if self._lp is not None:
            return self._lp.process(np.abs(block))
        out = np.empty(b2.shape, self.dtype)
        for j in range(self.n_channels):
            out[:, j] = np.sqrt(_trailing_mean_sq(b2[:, j], self.n_window, self._head[:, j]))
        keep = self.n_window - 1
        if b2.shape[0] >= keep:
            self._head = b2[b2.shape[0] - keep :].astype(np.float64)
        else:
            self._head = np.concatenate((self._head[b2.shape[0] :], b2.astype(np.float64)))
        return out[:, 0] if was_1d else out
