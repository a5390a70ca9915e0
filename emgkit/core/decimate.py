"""Peak-preserving min/max decimation for drawing (one min and one max per pixel column)."""

from __future__ import annotations

import numpy as np

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
