"""Zero-phase filtering in the frequency domain: ``sosfiltfilt``'s result at FFT cost.

Forward-backward filtering with an SOS cascade ``H`` is, away from the signal's ends,
the convolution with the symmetric impulse response ``h_zp`` whose spectrum is
``|H(f)|**2``. Its cost by recursion grows with the number of sections (a band-pass of
order 4 plus eight mains notches is 12 sections, 24 section passes); by FFT it does not.
This module applies it as follows, channel block by channel block:

1. ``|H|**2`` is evaluated on a grid (real arithmetic, :func:`sos_power_response`);
   its inverse FFT is ``h_zp``, truncated to ``|k| <= L`` where every tap beyond is
   below ``tol`` (1e-8) of the peak tap (:func:`zero_phase_kernel`). The notches set
   ``L``: every notch has the bandwidth f0/Q = 1.67 Hz, a time constant of 0.19 s, so
   ``L`` is about 3 s at any sampling rate.
2. The interior ``L <= i < n - L`` is the overlap-save convolution with the truncated
   kernel: frames of ``M`` samples (a power of two >= 16 L, so that ~90 % of each
   frame is output), real FFTs batched over the frames (:func:`scipy.fft.rfft`), the
   spectrum multiplied by the (real) kernel spectrum, inverse FFT, float32/complex64
   for float32 input.
3. The first and last ``L`` samples are taken from :func:`scipy.signal.sosfiltfilt`
   (float64) run on the first and last ``2 L`` samples (at least ``padlen + 1``): the
   forward pass of a head segment is exact and the error its artificial end puts into
   the backward pass has decayed by ``L`` samples; symmetrically at the tail. The ends
   are therefore ``sosfiltfilt``'s own (odd extension of ``padlen`` samples and
   steady-state initial conditions), not an approximation of them.

The result equals :func:`emgkit.core.filters.filter_offline` (``sosfiltfilt``) over the
whole signal, ends included: measured within 5e-7 of the signal SD in float64 (the
kernel truncation) and 1.3e-6 in float32 (FFT rounding; the float32 recursion is ~50x
further from the float64 result), tested in
``tests/core/test_fftfilt.py``, see ``docs/signal-core.md``. Signals shorter than
``4 L`` samples (about 12 s), unstable cascades, and cascades whose kernel would be
longer than the signal, go through :func:`~emgkit.core.filters.filtfilt_into` instead.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.fft as sfft
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from emgkit.core._common import as_2d, float_dtype
from emgkit.core.filters import block_length, default_padlen, filtfilt_into

#: Taps of the zero-phase impulse response below this fraction of its peak are dropped.
KERNEL_TOL = 1e-8
#: Channels filtered together (one batch of FFTs; see :data:`BLOCK_SAMPLES` for memory).
_BLOCK_CHANNELS = 4
#: Smallest overlap-save frame.
_MIN_FRAME = 2**14
#: Samples per tile of the transposing copies (64 KB of a 4-channel block).
_TILE = 4096
#: Output samples of each channel computed at once (the overlap-save frames are batched
#: up to this, at least one frame): a block of four channels holds about 18 bytes a
#: sample (input frames, their spectrum, the output rows), 75 MB measured at 2 and 16 kHz,
#: whatever the signal's length. A signal up to about 8 minutes at 2 kHz is one block.
BLOCK_SAMPLES = 1 << 20


def sos_power_response(sos: np.ndarray, n_fft: int) -> np.ndarray:
    """Return ``|H|**2`` of an SOS cascade at the ``n_fft // 2 + 1`` real-FFT frequencies.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    n_fft : int
        FFT length; bin ``k`` is the normalised angular frequency ``2 pi k / n_fft``.

    Returns
    -------
    numpy.ndarray
        ``(n_fft // 2 + 1,)`` float64, the same values as
        ``abs(scipy.signal.sosfreqz(sos, worN=w)[1]) ** 2`` computed in real arithmetic:
        ``|b0 + b1 z^-1 + b2 z^-2|^2 = b0^2 + b1^2 + b2^2 + 2 (b0 b1 + b1 b2) cos w
        + 2 b0 b2 cos 2w`` for each numerator and denominator.
    """
    w = 2.0 * np.pi * np.arange(n_fft // 2 + 1) / n_fft
    c1, c2 = np.cos(w), np.cos(2.0 * w)
    num = np.ones_like(w)
    den = np.ones_like(w)
    for b0, b1, b2, a0, a1, a2 in np.asarray(sos, dtype=np.float64):
        num *= (b0 * b0 + b1 * b1 + b2 * b2) + 2.0 * (b0 * b1 + b1 * b2) * c1 + 2.0 * b0 * b2 * c2
        den *= (a0 * a0 + a1 * a1 + a2 * a2) + 2.0 * (a0 * a1 + a1 * a2) * c1 + 2.0 * a0 * a2 * c2
    return np.maximum(num, 0.0) / den


def _max_pole_radius(sos: np.ndarray) -> float:
    radii = [0.0]
    for sec in sos:
        if sec[5] != 0 or sec[4] != 0:
            radii.extend(np.abs(np.roots(sec[3:])))
    return float(max(radii))


def zero_phase_kernel(
    sos: np.ndarray, tol: float = KERNEL_TOL, max_len: int | None = None
) -> np.ndarray | None:
    """Return the zero-phase impulse response of ``sos`` (spectrum ``|H|**2``), truncated.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    tol : float
        Taps smaller than ``tol`` times the largest are dropped from both ends.
    max_len : int, optional
        Give up (return None) if the bound on ``L`` from the poles exceeds this, e.g.
        the signal's length (nothing to gain, and the design grid would be huge).

    Returns
    -------
    numpy.ndarray or None
        ``(2 L + 1,)`` float64 taps ``h[-L] .. h[L]`` (symmetric), or None if the cascade
        is not stable (a pole on or outside the unit circle) or too long.
    """
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    r = _max_pole_radius(sos)
    if r >= 1.0:
        return None
    # Pole-based bound on the length (1e-3 below tol, residues are < 1), then the grid.
    n_est = 8 if r == 0 else math.ceil(math.log(tol * 1e-3) / math.log(r)) + 8
    if max_len is not None and n_est > max_len:
        return None
    return _kernel(sos.tobytes(), sos.shape, float(tol), n_est)


@functools.lru_cache(maxsize=128)
def _kernel(sos_bytes: bytes, shape: tuple, tol: float, n_est: int) -> np.ndarray:
    """Return the truncated kernel of :func:`zero_phase_kernel` (read-only), once per cascade.

    Every segment, channel group and trial of a session at one rate asks for the same
    few kernels; designing one costs a few milliseconds.
    """
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(shape)
    grid = 1 << max(10, (4 * n_est - 1).bit_length())
    h = sfft.irfft(sos_power_response(sos, grid), grid)
    mag = np.abs(h[: grid // 2])  # |H|**2 is real and even: h is real and symmetric
    above = np.flatnonzero(mag >= tol * mag.max())
    half_len = int(above[-1]) + 1 if above.size else 1
    kernel = np.concatenate((h[grid - half_len + 1 :], h[:half_len]))
    kernel.setflags(write=False)
    return kernel


def _select(cols: list[int]):
    """Return a slice for a contiguous run of columns (a view, no copy), else the list."""
    if cols == list(range(cols[0], cols[-1] + 1)):
        return slice(cols[0], cols[-1] + 1)
    return cols


def read_rows(x, sel, lo: int, hi: int, dst: np.ndarray, offset: int = 0) -> None:
    """``dst[:, offset : offset + hi - lo] = x[lo:hi, sel].T`` in tiles that stay in cache.

    ``x`` may be an array or anything read by 2-D slices (an h5py dataset: read at once).
    """
    if not isinstance(x, np.ndarray):
        x, lo, hi = np.asarray(x[lo:hi, sel]), 0, hi - lo
        sel = slice(None)
    for a in range(lo, hi, _TILE):
        b = min(a + _TILE, hi)
        dst[:, offset + a - lo : offset + b - lo] = x[a:b, sel].T


def write_rows(rows: np.ndarray, out, sel, start: int = 0) -> None:
    """``out[start : start + m, sel] = rows.T`` (tiles in cache for an array; at once else)."""
    m = rows.shape[1]
    if not isinstance(out, np.ndarray):
        out[start : start + m, sel] = np.ascontiguousarray(rows.T)
        return
    for a in range(0, m, _TILE):
        b = min(a + _TILE, m)
        out[start + a : start + b, sel] = rows[:, a:b].T


def column_means(x, sel, n_ch: int, n: int, block: int) -> np.ndarray:
    """Return the float64 means of the ``n_ch`` columns ``sel`` of ``x``, ``block`` rows at a time.

    ``x`` as :func:`read_rows`; each block is summed in float64 (pairwise along a
    contiguous row), the blocks' sums then added.
    """
    total = np.zeros(n_ch)
    rows = np.empty((n_ch, min(block, n)), dtype=np.float32 if x.dtype == np.float32 else float)
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        read_rows(x, sel, lo, hi, rows)
        total += rows[:, : hi - lo].sum(axis=1, dtype=np.float64)
    return total / max(n, 1)


class _Plan:
    """The overlap-save frames of one cascade and signal length (module notes, step 2)."""

    def __init__(self, sos, kernel, n: int, p: int, dt, block_samples: int):
        half = len(kernel) // 2
        frame = max(_MIN_FRAME, 1 << (16 * half - 1).bit_length())
        self.frame = min(frame, sfft.next_fast_len(n + 2 * half, real=True))
        self.half, self.step = half, self.frame - 2 * half
        self.n_frames = -(-n // self.step)
        self.per_block = max(1, int(block_samples) // self.step)
        k = np.zeros(self.frame)
        k[: half + 1] = kernel[half:]
        k[self.frame - half :] = kernel[:half]
        self.spec_k = sfft.rfft(k).real.astype(dt)  # symmetric kernel: real spectrum
        self.n_edge = max(2 * half, p + 1)
        self.keep = self.n_edge - half


def _ends(sos, x, sel, n: int, p: int, plan: _Plan, mean: np.ndarray):
    """``sosfiltfilt`` (float64) of the first and last ``n_edge`` samples: the kept ends."""
    out = []
    for lo in (0, n - plan.n_edge):
        part = np.empty((len(mean), plan.n_edge))
        read_rows(x, sel, lo, lo + plan.n_edge, part)
        part -= mean[:, None]
        out.append(signal.sosfiltfilt(sos, part, axis=-1, padlen=p))
    return out[0][:, : plan.keep], out[1][:, plan.n_edge - plan.keep :]


def _frames_block(x, sel, n_ch: int, n: int, f0: int, f1: int, plan: _Plan, mean, dt,
                  workers):
    """Filter samples ``f0 * step .. min(f1 * step, n)`` of columns ``sel`` into rows.

    ``mean`` (float64, per channel) is subtracted first; None: the mean of the block's
    own samples (the whole signal in one block), computed here. Returns ``(rows, mean)``.
    """
    half, step = plan.half, plan.step
    lo = f0 * step
    buf = np.zeros((n_ch, (f1 - f0) * step + 2 * half), dtype=dt)
    a, b = max(lo - half, 0), min(f1 * step + half, n)
    real = slice(a - (lo - half), b - (lo - half))
    read_rows(x, sel, a, b, buf, real.start)
    if mean is None:
        mean = buf[:, real].mean(axis=1, dtype=np.float64)
    if mean.any():
        buf[:, real] -= mean.astype(dt)[:, None]
    frames = sliding_window_view(buf, plan.frame, axis=-1)[:, ::step]
    spec = sfft.rfft(frames, axis=-1, workers=workers)
    del buf, frames
    spec *= plan.spec_k
    y = sfft.irfft(spec, plan.frame, axis=-1, workers=workers)
    del spec
    rows = y[:, :, half : half + step].reshape(n_ch, (f1 - f0) * step)
    return rows[:, : min(f1 * step, n) - lo], mean


def zero_phase_blocks(sos, x, channels, dtype, padlen: int | None = None,
                      remove_mean: bool = False, tol: float = KERNEL_TOL,
                      workers: int | None = None, block_samples: int = BLOCK_SAMPLES):
    """Zero-phase filter columns of ``x`` by FFT, yielding the result a block at a time.

    The arithmetic of :func:`filtfilt_fft_into` (module notes), with the overlap-save
    frames taken ``block_samples`` output samples at a time (at least one frame), so the
    memory held is a block's, whatever the signal's length.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    x : array-like
        ``(n_samples, n_channels)``: an array, or anything read by 2-D slices such as an
        h5py dataset (each block of rows is read once, plus a first pass for the means).
    channels : sequence of int
        The columns to filter (in increasing order for an h5py dataset, which reads
        only so).
    dtype : numpy dtype
        Computation and output type (float32 or float64).
    padlen, remove_mean, tol, workers
        As :func:`filtfilt_fft_into`.
    block_samples : int
        Output samples per block and channel (:data:`BLOCK_SAMPLES`).

    Yields
    ------
    sel : slice or list of int
        The block's columns of ``x`` (up to four channels).
    start : int
        Its first sample; a group's blocks come in time order and cover every sample once.
    rows : numpy.ndarray
        ``(n_block_channels, n_block_samples)`` filtered, each row contiguous and free to
        be overwritten.
    """
    dt = np.dtype(dtype)
    sos = np.asarray(sos, dtype=np.float64)
    n = x.shape[0]
    channels = list(channels)
    p = default_padlen(sos) if padlen is None else int(padlen)
    kernel = zero_phase_kernel(sos, tol, max_len=n) if len(sos) and channels else None
    plan = None if kernel is None else _Plan(sos, kernel, n, p, dt, block_length(block_samples))
    for g in range(0, len(channels), _BLOCK_CHANNELS):
        sel = _select(channels[g : g + _BLOCK_CHANNELS])
        n_ch = len(channels[g : g + _BLOCK_CHANNELS])
        if plan is None or n < 2 * plan.n_edge:
            rows = np.empty((n, n_ch), dtype=dt)
            xs = x[:, sel] if isinstance(x, np.ndarray) else np.asarray(x[:, sel])
            filtfilt_into(sos, xs, rows, range(n_ch), padlen, remove_mean)
            yield sel, 0, np.ascontiguousarray(rows.T)
            continue
        mean = np.zeros(n_ch) if not remove_mean else (
            None if plan.n_frames <= plan.per_block  # one block: the mean of its own rows
            else column_means(x, sel, n_ch, n, plan.per_block * plan.step))
        ends = None
        for f0 in range(0, plan.n_frames, plan.per_block):
            f1 = min(f0 + plan.per_block, plan.n_frames)
            rows, mean = _frames_block(x, sel, n_ch, n, f0, f1, plan, mean, dt, workers)
            if ends is None:
                ends = _ends(sos, x, sel, n, p, plan, mean)
            yield sel, f0 * plan.step, _with_ends(rows, f0 * plan.step, n, plan, *ends)


def _with_ends(rows, lo: int, n: int, plan: _Plan, head, tail) -> np.ndarray:
    """``rows`` (samples ``lo ..``) with the samples of the kept ends put in."""
    hi, keep = lo + rows.shape[1], plan.keep
    if lo < keep:
        rows[:, : min(keep, hi) - lo] = head[:, lo : min(keep, hi)]
    if hi > n - keep:
        s = max(lo, n - keep)
        rows[:, s - lo :] = tail[:, s - (n - keep) : hi - (n - keep)]
    return rows


def filtfilt_fft_into(
    sos: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    channels,
    padlen: int | None = None,
    remove_mean: bool = False,
    tol: float = KERNEL_TOL,
    workers: int | None = None,
    block_samples: int = BLOCK_SAMPLES,
) -> None:
    """Zero-phase filter columns of ``x`` into ``out`` by FFT; ``sosfiltfilt``'s result.

    Same arguments and result as :func:`emgkit.core.filters.filtfilt_into` (see the
    module notes for the method and the tolerance), a block of samples at a time
    (:func:`zero_phase_blocks`), plus:

    Parameters
    ----------
    tol : float
        Kernel truncation, relative to its largest tap.
    workers : int, optional
        Passed to :func:`scipy.fft.rfft` / :func:`scipy.fft.irfft`.
    block_samples : int
        Output samples per block and channel.
    """
    for sel, start, rows in zero_phase_blocks(sos, x, channels, out.dtype, padlen, remove_mean,
                                              tol, workers, block_samples):
        write_rows(rows, out, sel, start)


def filter_offline_fft(
    sos: np.ndarray,
    x: np.ndarray,
    padlen: int | None = None,
    remove_mean: bool = False,
    tol: float = KERNEL_TOL,
) -> np.ndarray:
    """Zero-phase filtering along axis 0 by FFT: :func:`~emgkit.core.filters.filter_offline`.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` second-order sections.
    x : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)``.
    padlen : int, optional
        ``sosfiltfilt``'s odd-extension length for the ends; default as scipy.
    remove_mean : bool
        Subtract each channel's mean (computed in float64) first.
    tol : float
        Kernel truncation, relative to its largest tap.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``; float32 if ``x`` is float32, else float64. Equal to
        ``scipy.signal.sosfiltfilt(sos, x, axis=0, padlen=padlen)`` to ~1e-7 of the
        signal RMS (float32; ~1e-8 relative in float64), ends included.
    """
    x2, was_1d = as_2d(x, "x")
    out = np.empty(x2.shape, dtype=float_dtype(x2))
    filtfilt_fft_into(sos, x2, out, range(x2.shape[1]), padlen, remove_mean, tol)
    return out[:, 0] if was_1d else out
