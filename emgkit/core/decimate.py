"""Peak-preserving min/max decimation for drawing (one min and one max per pixel column).

:func:`minmax_decimate` bins a given stretch of signal (the bins move with it: a static
plot). :func:`anchored_minmax` bins by absolute sample index, so a column, once complete,
never changes and a scrolling display can draw only the columns that are new
(:func:`complete_columns` tells which exist).
"""

from __future__ import annotations

import math

import numpy as np

from emgkit._validate import check_positive
from emgkit.core._common import as_2d
from emgkit.errors import ConfigError


def minmax_decimate(y: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a trace to the minimum and maximum of each of ``n_columns`` bins.

    Every peak of the input survives, so a decimated plot looks like the full one at
    that pixel width (what pyqtgraph's ``setDownsampling(mode="peak")`` does, done once
    in the core rather than in the graphics item).

    Parameters
    ----------
    y : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)``.
    n_columns : int
        Number of bins (the plot's width in pixels), >= 1.

    Returns
    -------
    index : numpy.ndarray
        ``(2 * n_columns,)`` float64 sample positions (the start and middle of each bin)
        to draw against; the input's own ``arange(n_samples)`` if it is already short.
    y_out : numpy.ndarray
        ``(2 * n_columns,)`` or ``(2 * n_columns, n_channels)``: min then max of each bin,
        same dtype as ``y``.
    """
    if isinstance(n_columns, bool) or not isinstance(n_columns, (int, np.integer)) or n_columns < 1:
        raise ConfigError(f"n_columns must be an integer >= 1, but got {n_columns!r}")
    y2, was_1d = as_2d(y, "y")
    n = y2.shape[0]
    if n <= 2 * n_columns:
        return np.arange(n, dtype=np.float64), np.asarray(y)
    edges = np.linspace(0, n, n_columns + 1).astype(np.int64)
    starts = edges[:-1]
    out = np.empty((2 * n_columns, y2.shape[1]), dtype=y2.dtype)
    out[0::2] = np.minimum.reduceat(y2, starts, axis=0)
    out[1::2] = np.maximum.reduceat(y2, starts, axis=0)
    index = np.empty(2 * n_columns)
    index[0::2] = starts
    index[1::2] = (starts + edges[1:]) / 2.0
    return index, (out[:, 0] if was_1d else out)


def complete_columns(n_samples: int, samples_per_column: float) -> int:
    """Return how many anchored columns are complete once ``n_samples`` samples arrived.

    Column ``k`` covers the absolute samples ``floor(k * spp) .. floor((k + 1) * spp) - 1``
    (``spp`` = ``samples_per_column``); it is complete when its last sample has arrived,
    ``floor((k + 1) * spp) <= n_samples``. Columns ``0 .. K - 1`` are complete, ``K`` is
    returned (so ``K - 1`` is the newest complete column, and sample ``n_samples`` falls
    into column ``K``).

    Parameters
    ----------
    n_samples : int
        Samples received since sample 0, >= 0.
    samples_per_column : float
        Samples per column (> 0; fractional values keep the columns' average exact).

    Returns
    -------
    int
        The number of complete columns.
    """
    spp = check_positive("samples_per_column", samples_per_column)
    n = int(n_samples)
    k = max(math.ceil((n + 1) / spp) - 1, 0)
    # Floating-point rounding may put the estimate one off; settle on the exact floors.
    while k > 0 and math.floor(k * spp) > n:
        k -= 1
    while math.floor((k + 1) * spp) <= n:
        k += 1
    return k


def anchored_minmax(y: np.ndarray, first_sample: int, samples_per_column: float,
                    first_column: int, n_columns: int) -> np.ndarray:
    """Reduce columns anchored to absolute sample indices to their two extremes in time order.

    Column ``k`` covers the absolute samples ``floor(k * spp) .. floor((k + 1) * spp) - 1``
    (``spp`` = ``samples_per_column``), whatever stretch of the signal ``y`` holds: the
    same column gives the same values from any chunk that contains it, so a scrolling
    display can keep the columns it has drawn. Each column gives its minimum and maximum
    in the order they occur, which is what a polyline through all the samples draws at
    that pixel width: the column's vertical extent and the connection to its neighbours.
    A column without samples (``spp < 1``) repeats the sample before it, or is NaN when
    that sample is not in ``y``.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)``: absolute samples
        ``first_sample .. first_sample + n_samples - 1``.
    first_sample : int
        Absolute index of ``y[0]``.
    samples_per_column : float
        Samples per column, > 0 (e.g. window samples / plot width in pixels).
    first_column : int
        Absolute index of the first column wanted.
    n_columns : int
        Number of consecutive columns wanted, >= 0; their samples must lie in ``y``.

    Returns
    -------
    numpy.ndarray
        ``(2 * n_columns,)`` or ``(2 * n_columns, n_channels)``: for each column its first
        then its second extreme in time (rows ``2 * i`` and ``2 * i + 1`` for column
        ``first_column + i``); float, the dtype of ``y`` if it is floating.

    Raises
    ------
    ConfigError
        If a wanted column has samples outside ``y``.
    """
    spp = check_positive("samples_per_column", samples_per_column)
    if isinstance(n_columns, bool) or not isinstance(n_columns, (int, np.integer)) \
            or n_columns < 0:
        raise ConfigError(f"n_columns must be an integer >= 0, but got {n_columns!r}")
    y2, was_1d = as_2d(y, "y")
    if not np.issubdtype(y2.dtype, np.floating):
        y2 = y2.astype(np.float64)
    n, m = y2.shape[0], int(n_columns)
    cols = np.arange(first_column, first_column + m + 1, dtype=np.float64)
    edges = np.floor(cols * spp).astype(np.int64) - int(first_sample)
    if m and (edges[0] < 0 or edges[-1] > n):
        raise ConfigError(
            f"columns {first_column}..{first_column + m - 1} (samples_per_column={spp:g}) "
            f"cover samples {edges[0] + first_sample}..{edges[-1] + first_sample - 1}, but y "
            f"holds samples {first_sample}..{first_sample + n - 1}")
    out = np.empty((2 * m, y2.shape[1]), dtype=y2.dtype)
    if m:
        starts, ends = edges[:-1], edges[1:]
        width = max(int((ends - starts).max()), 1)
        # Gather each column padded with its last sample (which changes neither extreme
        # nor the first position of either); an empty column gathers the sample before.
        idx = np.minimum(starts[:, None] + np.arange(width), ends[:, None] - 1)
        held = idx[:, 0] < 0  # an empty first column whose previous sample is not in y
        g = y2[np.maximum(idx, 0)]  # (m, width, n_channels)
        i_lo = g.argmin(axis=1)[:, None]
        i_hi = g.argmax(axis=1)[:, None]
        lo = np.take_along_axis(g, i_lo, axis=1)[:, 0]
        hi = np.take_along_axis(g, i_hi, axis=1)[:, 0]
        lo_first = i_lo[:, 0] <= i_hi[:, 0]
        out[0::2] = np.where(lo_first, lo, hi)
        out[1::2] = np.where(lo_first, hi, lo)
        if held.any():
            out.reshape(m, 2, -1)[held] = np.nan
    return out[:, 0] if was_1d else out
