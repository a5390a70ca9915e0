"""The stacked-channel plot both modes share: one row per channel, labels, bars, regions.

Each trace arrives already reduced by the core's min/max decimation to the plot's pixel
width, so drawing it needs none of ``PlotCurveItem``'s generality (finite checks, bounds
searches with ``nanmin``/``nanmax`` on every paint, path building, change signals, which
were most of the live window's frame time): :class:`TraceItem` copies the points into a
reused ``QPolygonF`` and paints one non-antialiased polyline inside bounds computed once
per frame. The live window draws through :class:`~emgkit.viewer.rolling.RollingTraces`
instead (``rolling=True``): only the pixel columns that are new since the last frame. No
auto-range: y ranges change with hysteresis only, all rows the same span (``common``
scaling) or each its own (``row``; :mod:`emgkit.viewer.display`), shown by a y axis per
row in the view's unit. One x axis is drawn for the whole stack.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from emgkit.model.montage import Montage
from emgkit.viewer.display import (
    SCALES,
    UNIT_LABELS,
    common_ranges,
    fitted_range,
    needed_span,
    nice_span,
)
from emgkit.viewer.rolling import RollingTraces, ViewRangeItem

#: Curve colour per side (RGB); tests look for these pixels.
SIDE_COLORS = {"left": (31, 119, 180), "right": (214, 39, 40)}
#: Label colour per quality word.
QUALITY_COLORS = {"ok": "#207020", "": "#202020",
                  # the signal is not usable: red
                  "railed": "#c00000", "flat": "#c00000", "lead_off": "#c00000",
                  # usable with care: amber
                  "clipping": "#c06000", "mains": "#a08000", "spikes": "#a08000",
                  "motion": "#a08000", "ecg": "#a08000", "crosstalk": "#a08000",
                  "noisy_baseline": "#a08000", "low_snr": "#a08000"}
#: Shading of repetitions (RGBA) and of the selected one.
REP_BRUSH, REP_SELECTED_BRUSH = (255, 200, 0, 50), (255, 140, 0, 110)
#: Edge of each repetition's shading (back-to-back repetitions stay apart).
REP_EDGE = (225, 160, 0)
#: Most markers drawn per channel, and their colour (RGB).
MAX_MARKERS, MARKER_COLOR = 16, (0, 150, 0)
#: Font sizes (pt) of the channel title and of its quality line, and of the y axes.
TITLE_PT, FLAG_PT, AXIS_PT = 9, 7, 7
#: Width of each row's y axis (px).
AXIS_PX = 52
#: Label column width: from the longest title, within these bounds (px).
MIN_LABEL_PX, MAX_LABEL_PX = 110, 240
#: Cache mode of the labels and of the time axis (pixmaps redrawn only when they change).
CACHED = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache


class TraceItem(pg.GraphicsObject):
    """A polyline of already-decimated points with bounds given by the caller.

    Parameters
    ----------
    pen : QPen
        Its pen (cosmetic, 1 px: drawn without antialiasing).
    """

    def __init__(self, pen):
        super().__init__()
        self._pen = pen
        self._n = 0
        self._poly = QtGui.QPolygonF()
        self._xy = np.zeros((0, 2))
        self._rect = QtCore.QRectF()

    def set_data(self, x: np.ndarray, y: np.ndarray, y_lo: float, y_hi: float) -> None:
        """Draw ``y`` against ``x`` (finite, x increasing); ``y_lo..y_hi`` bounds ``y``."""
        n = int(x.size)
        if n > self._xy.shape[0]:  # grow the reused buffer (never shrinks)
            self._poly = pg.functions.create_qpolygonf(n)
            self._xy = pg.functions.ndarray_from_qpolygonf(self._poly)
        elif n != self._poly.size():
            self._poly.resize(n)
        self._n = n
        self._xy[:n, 0] = x
        self._xy[:n, 1] = y
        # Never empty (a flat trace still paints): at least a relative 1e-9 in each axis.
        w = max(float(x[-1] - x[0]), 1e-9 * max(1.0, abs(float(x[0])))) if n else 0.0
        h = max(float(y_hi - y_lo), 1e-9 * max(1.0, abs(float(y_lo)))) if n else 0.0
        rect = QtCore.QRectF(float(x[0]), float(y_lo), w, h) if n else QtCore.QRectF()
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Return copies of the points drawn, ``(x, y)``."""
        return self._xy[: self._n, 0].copy(), self._xy[: self._n, 1].copy()

    def boundingRect(self) -> QtCore.QRectF:
        """Return the bounds given to :meth:`set_data`."""
        return self._rect

    def paint(self, painter, *args) -> None:
        """Draw the polyline."""
        if self._n > 1:
            painter.setRenderHint(QtGui.QPainter.Antialiasing, False)
            painter.setPen(self._pen)
            painter.drawPolyline(self._poly)


class MarkerLines(ViewRangeItem):
    """Vertical lines at given x positions across one plot; bounds = the view range.

    Live markers move every frame (their times are relative to the newest sample): one
    item per row whose bounds change only with the view range, repainted, costs far less
    than moving an ``InfiniteLine`` per marker and row (~15 ms a frame with 4 markers on
    16 rows).
    """

    def __init__(self, pen):
        super().__init__()
        self._pen = pen
        self._x = np.zeros(0)

    def set_positions(self, x) -> None:
        """Draw lines at ``x`` (data coordinates); repaints only if they changed."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self._x.shape or not np.array_equal(x, self._x):
            self._x = x.copy()
            self.update()

    def positions(self) -> np.ndarray:
        """Return a copy of the line positions."""
        return self._x.copy()

    def paint(self, painter, *args) -> None:
        """Draw the lines that fall inside the view range."""
        r = self._rect
        inside = self._x[(self._x >= r.left()) & (self._x <= r.right())]
        if inside.size == 0:
            return
        painter.setRenderHint(QtGui.QPainter.Antialiasing, False)
        painter.setPen(self._pen)
        painter.drawLines([QtCore.QLineF(float(x), r.top(), float(x), r.bottom())
                           for x in inside])


def channel_title(muscle: str, side: str, label: str = "") -> str:
    """``semitendinosus L`` style label of a channel."""
    title = f"{muscle.replace('_', ' ')} {side[0].upper()}"
    return f"{title} {label}" if label else title


def _span_ok(current: tuple[float, float], lo: float, hi: float) -> bool:
    """Whether the current y range still shows ``lo..hi`` without wasting most of the height."""
    c0, c1 = current
    span, new = c1 - c0, max(hi - lo, 1e-9)
    return c0 <= lo and c1 >= hi and span <= 4.0 * new


def _inside(current: tuple[float, float], lo: float, hi: float) -> bool:
    """Whether the current y range contains ``lo..hi`` (NaN bounds count as inside)."""
    return not (lo < current[0] or hi > current[1])


def _axis(plot, font) -> None:
    """Show ``plot``'s left axis: fixed width (rows stay aligned), tick labels, cached.

    No tick marks: a left axis' marks start on the plot's first pixel column, which
    the live images own.
    """
    ax = plot.getAxis("left")
    ax.enableAutoSIPrefix(False)
    ax.setWidth(AXIS_PX)
    ax.setStyle(tickFont=font, tickLength=0, tickAlpha=0, tickTextOffset=3,
                autoExpandTextSpace=False, autoReduceTextSpace=False, maxTickLevel=0)
    ax.label.setFont(font)
    ax.setCacheMode(CACHED)
    plot.showAxis("left")


class ChannelStack(pg.GraphicsLayoutWidget):
    """Stacked channel rows with labels, optional %MVC bars, regions and markers.

    Parameters
    ----------
    montage : Montage
        The channels, top to bottom.
    bars : bool
        Add a column of horizontal %MVC bars (live mode).
    rolling : bool
        Draw the traces as rolling images (:attr:`rolling`, :meth:`set_columns`: live
        mode) instead of polylines (:attr:`curves`, :meth:`set_traces`).
    """

    def __init__(self, montage: Montage, bars: bool = False, parent=None, *,
                 rolling: bool = False):
        super().__init__(parent)
        pg.setConfigOptions(antialias=False)
        self.setBackground("w")
        # Tight rows: 16 channels with two-line (flagged) labels fit in ~560 px.
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.ci.layout.setVerticalSpacing(0)
        self.montage = montage
        n = len(montage.channels)
        self.titles = [channel_title(c.muscle, c.side, c.label) for c in montage.channels]
        self.colors = [SIDE_COLORS.get(c.side, (0, 0, 0)) for c in montage.channels]
        self.labels: list[pg.LabelItem] = []
        self.plots: list[pg.PlotItem] = []
        self.curves: list[TraceItem] = []
        self._regions: list[list[pg.LinearRegionItem]] = [[] for _ in range(n)]
        self.marker_lines: list[MarkerLines] = []
        self._yr = [(0.0, 0.0)] * n
        #: Amplitude scaling (one of :data:`~emgkit.viewer.display.SCALES`), the view
        #: shown (for the common ranges), a fixed common span (None: from the rows).
        self.scale, self.view, self.fixed_span = SCALES[0], "filtered", None
        self._span = float("nan")  # the common span in use
        self.unit = UNIT_LABELS["uv"]
        title_font, flag_font, axis_font = QtGui.QFont(), QtGui.QFont(), QtGui.QFont()
        title_font.setPointSize(TITLE_PT)
        flag_font.setPointSize(FLAG_PT)
        axis_font.setPointSize(AXIS_PT)
        self._flag_metrics = QtGui.QFontMetrics(flag_font)
        fm = QtGui.QFontMetrics(title_font)
        widest = max((fm.horizontalAdvance(t) for t in self.titles), default=0)
        #: Width of the label column: the longest title plus margins (flags are elided).
        self.label_width = int(np.clip(widest + 24, MIN_LABEL_PX, MAX_LABEL_PX))
        for j in range(n):
            lab = pg.LabelItem(self.titles[j], color="#202020", size=f"{TITLE_PT}pt",
                               justify="right")
            lab.setFixedWidth(self.label_width)
            # Each live frame repaints the plot areas, which reaches the labels' edge and
            # the axis' ticks: both are cached, and the view boxes, which would paint only
            # a border (none), are not asked to paint (about 1 ms less per live frame).
            lab.item.setCacheMode(CACHED)
            self.addItem(lab, row=j, col=0)
            p = self.addPlot(row=j, col=1)
            p.setClipToView(True)
            p.setDownsampling(auto=False)
            p.disableAutoRange()
            p.hideButtons()
            p.setMenuEnabled(False)
            _axis(p, axis_font)
            p.setLabel("left", self.unit)
            if j < n - 1:
                p.hideAxis("bottom")
            else:
                p.setLabel("bottom", "time", units="s")
            p.setMouseEnabled(x=False, y=False)
            p.getViewBox().setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
            p.getAxis("bottom").setCacheMode(CACHED)
            if j:
                p.setXLink(self.plots[0])
            if not rolling:
                curve = TraceItem(pg.mkPen(self.colors[j], width=1))
                p.addItem(curve)
                self.curves.append(curve)
            lines = MarkerLines(pg.mkPen(MARKER_COLOR, width=2))
            lines.setZValue(10)
            lines.add_to(p)
            self.marker_lines.append(lines)
            self.labels.append(lab)
            self.plots.append(p)
        bg = self.backgroundBrush().color()
        self.rolling = (RollingTraces(self.plots, self.colors, (bg.red(), bg.green(), bg.blue()))
                        if rolling else None)
        self.bar_plot = self.bar_item = None
        if bars:
            self.bar_plot = self.addPlot(row=0, col=2, rowspan=n)
            bp = self.bar_plot
            bp.setFixedWidth(110)
            bp.hideButtons()
            bp.setMenuEnabled(False)
            bp.setMouseEnabled(x=False, y=False)
            bp.hideAxis("left")
            bp.setLabel("bottom", "% MVC")
            bp.setXRange(0, 120, padding=0)
            bp.invertY(True)
            bp.setYRange(-0.5, n - 0.5, padding=0)
            bp.addItem(pg.InfiniteLine(100, angle=90, pen=pg.mkPen((120, 120, 120), width=1,
                                                                   style=QtCore.Qt.DashLine)))
            self.bar_item = pg.BarGraphItem(x0=np.zeros(n), y=np.arange(n), height=0.6,
                                            width=np.zeros(n), brushes=[pg.mkBrush(c)
                                                                        for c in self.colors])
            bp.addItem(self.bar_item)
            self.bar_text = pg.TextItem("no MVC yet", color=(90, 90, 90), anchor=(0.5, 0))
            self.bar_text.setPos(60, -0.5)
            bp.addItem(self.bar_text)

    # -- drawing ----------------------------------------------------------------------------
    def set_x_range(self, t0: float, t1: float) -> None:
        """Show times ``t0..t1`` (all rows are linked)."""
        self.plots[0].setXRange(t0, t1, padding=0)

    def set_traces(self, t_s: np.ndarray, y: np.ndarray, rescale: bool = True) -> None:
        """Draw ``y`` ``(m, n_channels)`` against ``t_s`` ``(m,)`` (already decimated)."""
        lo = y.min(axis=0) if y.shape[0] else np.zeros(y.shape[1])
        hi = y.max(axis=0) if y.shape[0] else np.ones(y.shape[1])
        for j, curve in enumerate(self.curves):
            curve.set_data(t_s, y[:, j], lo[j], hi[j])
        if rescale:
            self.fit_rows(lo, hi)

    def set_columns(self, y: np.ndarray, last_column: int, lo: np.ndarray, hi: np.ndarray,
                    key) -> None:
        """Draw a live frame's anchored columns (``rolling=True``), new columns only.

        Parameters
        ----------
        y : numpy.ndarray
            ``(2 * n_columns, n_channels)`` column pairs (:attr:`Frame.y
            <emgkit.viewer.stream.Frame>`), ``n_columns`` = :meth:`plot_width_px` in
            device pixels.
        last_column : int
            Absolute index of the last column.
        lo, hi : numpy.ndarray
            ``(n_channels,)`` bounds of ``y`` (rescales the rows with hysteresis).
        key : hashable
            The view and window: another key redraws everything.
        """
        self.fit_rows(lo, hi)
        self.rolling.draw(y, last_column, key, self._yr)

    def set_scale(self, scale: str | None = None, *, view: str | None = None,
                  unit: str | None = None, span: float | None = None) -> None:
        """Set the amplitude scaling; the rows are refitted at the next draw.

        Parameters
        ----------
        scale : str, optional
            ``common`` or ``row`` (:data:`~emgkit.viewer.display.SCALES`).
        view : str, optional
            The view shown (raw rows are centred on their signal, filtered on zero,
            envelope rows start at zero).
        unit : str, optional
            The y axes' unit (µV, % MVC).
        span : float, optional
            The common span to show (review mode: the session's); None fits the rows
            on screen (with hysteresis: grows at once, shrinks below a quarter).
        """
        if scale is not None:
            if scale not in SCALES:
                return
            self.scale = scale
        if view is not None:
            self.view = view
        if unit is not None and unit != self.unit:
            self.unit = unit
            for p in self.plots:
                p.setLabel("left", unit)
        self.fixed_span = span
        self._yr = [(0.0, 0.0)] * len(self.plots)
        self._span = float("nan")

    def fit_rows(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Set the rows' y ranges for signals spanning ``lo..hi`` (per channel)."""
        lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        if self.scale == "row":
            for j in range(len(self.plots)):
                if np.isfinite(lo[j]) and np.isfinite(hi[j]) and \
                        not _span_ok(self._yr[j], lo[j], hi[j]):
                    self._set_range(j, fitted_range(lo[j], hi[j]))
            return
        span = self.fixed_span
        if span is None:
            need = needed_span(self.view, lo, hi)
            if not np.isfinite(need):
                return
            if not need <= self._span <= 4.0 * need:  # NaN: no span yet
                self._span = nice_span(need)
            span = self._span
        ranges = common_ranges(self.view, lo, hi, span)
        for j, r in enumerate(ranges):
            cur, tol = self._yr[j], 1e-9 * (r[1] - r[0])
            same = abs((cur[1] - cur[0]) - (r[1] - r[0])) <= tol and (
                _inside(cur, lo[j], hi[j]) if self.view == "raw" else abs(cur[0] - r[0]) <= tol)
            if not same:
                self._set_range(j, r)

    def _set_range(self, j: int, r) -> None:
        self._yr[j] = (float(r[0]), float(r[1]))
        self.plots[j].setYRange(*self._yr[j], padding=0)

    def y_range(self, j: int) -> tuple[float, float]:
        """Return row ``j``'s y range (what its axis shows)."""
        return tuple(self.plots[j].getViewBox().viewRange()[1])

    def set_quality(self, words) -> None:
        """Show a quality word per channel under its label (``ok`` shows no word).

        The words go on a second, smaller line, elided to the label column's width; the
        whole text is the label's tooltip.
        """
        for j, lab in enumerate(self.labels):
            w = words[j] if j < len(words) else ""
            color = QUALITY_COLORS.get(w.split(",")[0], "#c00000")
            if w in ("ok", ""):
                text, tip, color = self.titles[j], "", QUALITY_COLORS[w]
            else:
                shown = self._flag_metrics.elidedText(f"[{w}]", QtCore.Qt.ElideRight,
                                                      self.label_width - 12)
                text = (f"{html.escape(self.titles[j])}<br><span style='font-size:{FLAG_PT}pt'>"
                        f"{html.escape(shown)}</span>")
                tip = f"{self.titles[j]}: {w}"
            if (lab.text, lab.opts.get("color")) != (text, color):
                lab.setText(text, color=color)
                lab.setToolTip(tip)

    def set_bars(self, pct: np.ndarray) -> None:
        """Set the %MVC bars (NaN: no reference, no bar)."""
        if self.bar_item is None:
            return
        have = np.isfinite(pct)
        self.bar_item.setOpts(width=np.where(have, np.clip(pct, 0, 150), 0.0))
        self.bar_text.setVisible(not have.any())

    def set_regions(self, spans: list[tuple[float, float]], selected: int | None = None) -> None:
        """Shade time spans (repetitions) in every row; ``selected`` is drawn darker."""
        for j, p in enumerate(self.plots):
            for r in self._regions[j]:
                p.removeItem(r)
            self._regions[j] = []
            for k, (a, b) in enumerate(spans):
                brush = REP_SELECTED_BRUSH if k == selected else REP_BRUSH
                r = pg.LinearRegionItem((a, b), movable=False, brush=pg.mkBrush(*brush),
                                        pen=pg.mkPen(REP_EDGE, width=1))
                r.setZValue(-10)
                p.addItem(r)
                self._regions[j].append(r)

    def set_markers(self, markers: list[tuple[float, str]]) -> None:
        """Draw vertical marker lines at the given times (the newest :data:`MAX_MARKERS`)."""
        x = [m[0] for m in markers[-MAX_MARKERS:]]
        for lines in self.marker_lines:
            lines.set_positions(x)

    def channel_rect(self, j: int) -> QtCore.QRect:
        """Return the rectangle of row ``j``'s plot area in widget pixels (tests)."""
        vb = self.plots[j].getViewBox()
        return self.mapFromScene(vb.sceneBoundingRect()).boundingRect()

    def plot_width_px(self) -> int:
        """Width of the plot area in pixels (the decimation target).

        In device pixels with ``rolling=True`` (one column per pixel of the images).
        """
        if self.rolling is not None:
            return self.rolling.n_columns()
        return max(1, int(self.plots[0].getViewBox().width()))
