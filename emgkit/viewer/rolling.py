"""Oscilloscope ("roll") drawing of the live traces: each frame draws only its new columns.

The worker's frames hold the window as pixel columns anchored to absolute sample indices
(:func:`emgkit.core.anchored_minmax`), so a complete column never changes.
:class:`RollingTraces` keeps, for every channel, an image of exactly its plot area's size
in device pixels, all of them in one numpy buffer used as a ring of columns (column ``k``
lives at image column ``k % width``). A frame with ``d`` new columns writes ``d + 1``
columns (the previous newest again, for its connection to the first new one) of every
channel in one numpy operation; each :class:`RollImageItem` then copies its image 1:1,
oldest column first, onto its plot area. Nothing is stroked, and the items' bounds change
only with the view range.

A column is drawn as the run of pixels from its lowest to its highest value, extended to
the next column's first value: what the 1 px non-antialiased polyline through the pairs
shows (the vertical extent of each column and the connection to its neighbour), the
connecting segment's pixels all put in the earlier column. Anything but the passing of
time redraws all columns: another view or window, another plot size, a channel's y range
changed (that channel only), a resume after a pause (:meth:`RollingTraces.invalidate`), or
a gap at least as wide as the image.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui


def argb32(rgb: Sequence[int]) -> int:
    """Return the ``QImage.Format_RGB32`` pixel value of an opaque ``(r, g, b)`` colour."""
    r, g, b = (int(v) for v in rgb[:3])
    return 0xFF000000 | (r << 16) | (g << 8) | b


def column_spans(y: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the pixel rows each column covers, top (``hi``) row 0.

    Parameters
    ----------
    y : numpy.ndarray
        ``(2 * m, n_channels)`` two values per column in time order (a frame's ``y``).
    lo, hi : numpy.ndarray
        ``(n_channels,)`` the y range shown, in the units of ``y``.
    heights : numpy.ndarray
        ``(n_channels,)`` image heights in pixels.

    Returns
    -------
    top, bottom : numpy.ndarray
        ``(m, n_channels)`` int64 first and last row of each column's run (the column's
        extremes and the next column's first value), within ``0 .. height - 1``;
        ``top > bottom`` (nothing drawn) where a column is NaN or the range is empty.
    """
    first, second = y[0::2], y[1::2]
    nxt = np.full(first.shape, np.nan, np.float64)
    nxt[:-1] = first[1:]
    v_hi = np.fmax(np.fmax(first, second), nxt)
    v_lo = np.fmin(np.fmin(first, second), nxt)
    ok = hi > lo
    scale = np.where(ok, heights / np.where(ok, hi - lo, 1.0), 0.0)  # rows per unit
    last_row = np.maximum(heights - 1, 0)
    with np.errstate(invalid="ignore"):
        top = np.clip(np.floor((hi - v_hi) * scale), 0, last_row)
        bottom = np.clip(np.floor((hi - v_lo) * scale), 0, last_row)
    empty = np.isnan(first) | ~ok
    top = np.where(empty, 1, top).astype(np.int64)
    bottom = np.where(empty, 0, bottom).astype(np.int64)
    return top, bottom


def column_pixels(top: np.ndarray, bottom: np.ndarray, n_rows: int, colors: np.ndarray,
                  background: int) -> np.ndarray:
    """Return ``(n_channels, n_rows, m)`` uint32 pixels: ``colors`` on the runs, else background."""
    rows = np.arange(n_rows)[None, :, None]
    on = (rows >= top.T[:, None, :]) & (rows <= bottom.T[:, None, :])
    return np.where(on, colors[:, None, None], np.uint32(background)).astype(np.uint32)


class ViewRangeItem(pg.GraphicsObject):
    """A graphics item whose bounds are its plot's visible range.

    Items redrawn every frame (the live traces, the moving marker lines) keep the same
    bounds while time passes, so Qt has no geometry change to process per frame.
    """

    def __init__(self):
        super().__init__()
        self._rect = QtCore.QRectF()

    def add_to(self, plot) -> None:
        """Add the item to ``plot`` and keep its bounds on the plot's view range."""
        plot.addItem(self)
        vb = plot.getViewBox()
        self.set_view_rect(vb.viewRect())
        vb.sigRangeChanged.connect(lambda v, *_: self.set_view_rect(v.viewRect()))

    def set_view_rect(self, rect: QtCore.QRectF) -> None:
        """Set the bounds (the view box's visible range; changes only with it)."""
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QtCore.QRectF(rect)

    def boundingRect(self) -> QtCore.QRectF:
        """Return the view range set by :meth:`set_view_rect`."""
        return self._rect


class RollImageItem(ViewRangeItem):
    """One channel's ring image, copied 1:1 onto its plot area; bounds = the view range."""

    def __init__(self):
        super().__init__()
        self._image: QtGui.QImage | None = None
        self._oldest = 0  # image column of the oldest (leftmost) column

    def set_image(self, image: QtGui.QImage | None, oldest: int) -> None:
        """Show ``image`` starting at its column ``oldest`` (a ring of columns)."""
        self._image, self._oldest = image, int(oldest)
        self.update()

    def paint(self, painter, *args) -> None:
        """Copy the image onto the plot area's device rectangle, oldest column first."""
        img = self._image
        if img is None or self._rect.isEmpty():
            return
        target = painter.transform().mapRect(self._rect)
        dpr = img.devicePixelRatio()
        w, h = img.width(), img.height()
        if abs(target.width() * dpr - w) < 1 and abs(target.height() * dpr - h) < 1:
            # 1:1 (the usual case): whole device pixels, the unscaled copy.
            target = QtCore.QRectF(round(target.left() * dpr) / dpr,
                                   round(target.top() * dpr) / dpr, w / dpr, h / dpr)
        sx = target.width() / w
        split = w - self._oldest  # columns oldest .. w - 1 first, then 0 .. oldest - 1
        painter.save()
        painter.resetTransform()
        painter.drawImage(QtCore.QRectF(target.left(), target.top(), split * sx,
                                        target.height()),
                          img, QtCore.QRectF(self._oldest, 0, split, h))
        if self._oldest:
            painter.drawImage(QtCore.QRectF(target.left() + split * sx, target.top(),
                                            self._oldest * sx, target.height()),
                              img, QtCore.QRectF(0, 0, self._oldest, h))
        painter.restore()


class RollingTraces:
    """The live traces of a channel stack, drawn as rolling images (see the module doc).

    Parameters
    ----------
    plots : sequence of pyqtgraph.PlotItem
        One plot per channel; a :class:`RollImageItem` is added to each.
    colors : sequence of (int, int, int)
        Trace colour per channel.
    background : (int, int, int)
        The plot background.
    """

    def __init__(self, plots: Sequence, colors: Sequence, background: Sequence[int]):
        self.plots = list(plots)
        self.items: list[RollImageItem] = []
        for p in self.plots:
            item = RollImageItem()
            item.add_to(p)
            p.getViewBox().sigResized.connect(self.invalidate)
            self.items.append(item)
        self.colors = np.array([argb32(c) for c in colors], np.uint32)
        self.background = argb32(background)
        n = len(self.plots)
        self._buf = np.zeros((n, 0, 0), np.uint32)  # (n_channels, max height, width) ring
        self._images: list[QtGui.QImage] = []
        self._heights = np.zeros(n, np.int64)
        self._key: Hashable | None = None
        self._last: int | None = None  # newest column drawn
        self._ranges = np.zeros((n, 2))
        #: Frames drawn from scratch and frames drawn by their new columns (diagnostics).
        self.full_redraws = self.rolls = 0

    def invalidate(self, *args) -> None:
        """Redraw everything at the next frame (resize, resume after a pause)."""
        self._key = None

    def device_pixel_ratio(self) -> float:
        """Device pixels per scene unit of the view showing the plots."""
        scene = self.plots[0].scene() if self.plots else None
        views = scene.views() if scene is not None else []
        return float(views[0].devicePixelRatioF()) if views else 1.0

    def n_columns(self) -> int:
        """Return the plot width in device pixels (the columns the frames should have)."""
        vb = self.plots[0].getViewBox()
        return max(1, round(vb.width() * self.device_pixel_ratio()))

    def draw(self, y: np.ndarray, last_column: int, key: Hashable, ranges) -> None:
        """Draw a frame's columns.

        Parameters
        ----------
        y : numpy.ndarray
            ``(2 * n_columns, n_channels)`` the frame's column pairs.
        last_column : int
            Absolute index of the last column in ``y``.
        key : hashable
            What the columns show apart from time (view, window): another key redraws all.
        ranges : array_like
            ``(n_channels, 2)`` each plot's y range (another range redraws that channel).
        """
        n_cols = y.shape[0] // 2
        ranges = np.array(ranges, np.float64)
        d = -1 if self._last is None else last_column - self._last
        if key != self._key or self._buf.shape[2] != n_cols or not 0 <= d < n_cols:
            self._allocate(n_cols)
            self._write(y, last_column - n_cols + 1, ranges)
            self._key = key
            self.full_redraws += 1
        else:
            if d:
                self._write(y[2 * (n_cols - 1 - d):], self._last, ranges)
                self.rolls += 1
            changed = np.any(ranges != self._ranges, axis=1)
            if changed.any():
                self._write(y, last_column - n_cols + 1, ranges, changed)
        self._ranges, self._last = ranges, last_column
        oldest = (last_column + 1) % n_cols
        for item, img in zip(self.items, self._images):
            item.set_image(img, oldest)

    def image(self, j: int) -> np.ndarray:
        """Return channel ``j``'s image in display order, ``(height, width)`` uint32 (tests)."""
        img = self._buf[j, :self._heights[j]]
        return np.roll(img, -((self._last or 0) + 1) % max(img.shape[1], 1), axis=1)

    def _allocate(self, n_cols: int) -> None:
        dpr = self.device_pixel_ratio()
        heights = np.array([max(1, round(p.getViewBox().height() * dpr)) for p in self.plots],
                           np.int64)
        shape = (len(self.plots), int(heights.max(initial=1)), n_cols)
        if shape == self._buf.shape and np.array_equal(heights, self._heights) and \
                all(img.devicePixelRatio() == dpr for img in self._images):
            return
        self._buf = np.full(shape, self.background, np.uint32)
        self._heights = heights
        self._images = []
        for j, h in enumerate(heights):
            img = pg.functions.ndarray_to_qimage(self._buf[j, :h], QtGui.QImage.Format_RGB32)
            img.setDevicePixelRatio(dpr)
            self._images.append(img)

    def _write(self, y: np.ndarray, first_column: int, ranges: np.ndarray,
               channels: np.ndarray | None = None) -> None:
        """Draw the columns ``first_column ..`` of ``y`` (all channels or a mask of them)."""
        sel = slice(None) if channels is None else np.flatnonzero(channels)
        top, bottom = column_spans(y[:, sel], ranges[sel, 0], ranges[sel, 1],
                                   self._heights[sel])
        px = column_pixels(top, bottom, self._buf.shape[1], self.colors[sel], self.background)
        xs = np.arange(first_column, first_column + px.shape[2]) % self._buf.shape[2]
        if channels is None:
            self._buf[:, :, xs] = px
        else:
            self._buf[np.ix_(sel, np.arange(self._buf.shape[1]), xs)] = px
