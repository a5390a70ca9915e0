"""The stacked-channel plot both modes share: one row per channel, labels, bars, regions.

Performance comes from pyqtgraph's options, not hand code: plain ``PlotCurveItem`` curves
(``skipFiniteCheck``, no antialiasing), ``setClipToView``, no automatic downsampling (the
core's min/max decimation already reduced each trace to the plot's pixel width), no
auto-range (y ranges change with hysteresis only), one x axis drawn for the whole stack.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from emgkit.model.montage import Montage

#: Curve colour per side (RGB); tests look for these pixels.
SIDE_COLORS = {"left": (31, 119, 180), "right": (214, 39, 40)}
#: Label colour per quality word.
QUALITY_COLORS = {"ok": "#207020", "railed": "#c00000", "flat": "#c06000",
                  "lead-off": "#c06000", "noisy": "#a08000", "": "#202020"}
#: Shading of repetitions (RGBA) and of the selected one.
REP_BRUSH, REP_SELECTED_BRUSH = (255, 200, 0, 50), (255, 140, 0, 110)
#: Most markers drawn per channel.
MAX_MARKERS = 16


def channel_title(muscle: str, side: str, label: str = "") -> str:
    """``semitendinosus L`` style label of a channel."""
    title = f"{muscle.replace('_', ' ')} {side[0].upper()}"
    return f"{title} {label}" if label else title


def _span_ok(current: tuple[float, float], lo: float, hi: float) -> bool:
    """Whether the current y range still shows ``lo..hi`` without wasting most of the height."""
    c0, c1 = current
    span, new = c1 - c0, max(hi - lo, 1e-9)
    return c0 <= lo and c1 >= hi and span <= 4.0 * new


class ChannelStack(pg.GraphicsLayoutWidget):
    """Stacked channel rows with labels, optional %MVC bars, regions and markers.

    Parameters
    ----------
    montage : Montage
        The channels, top to bottom.
    bars : bool
        Add a column of horizontal %MVC bars (live mode).
    """

    def __init__(self, montage: Montage, bars: bool = False, parent=None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=False)
        self.setBackground("w")
        self.montage = montage
        n = len(montage.channels)
        self.titles = [channel_title(c.muscle, c.side, c.label) for c in montage.channels]
        self.colors = [SIDE_COLORS.get(c.side, (0, 0, 0)) for c in montage.channels]
        self.labels: list[pg.LabelItem] = []
        self.plots: list[pg.PlotItem] = []
        self.curves: list[pg.PlotCurveItem] = []
        self._regions: list[list[pg.LinearRegionItem]] = [[] for _ in range(n)]
        self._markers: list[list[pg.InfiniteLine]] = [[] for _ in range(n)]
        self._yr = [(0.0, 0.0)] * n
        for j in range(n):
            lab = pg.LabelItem(self.titles[j], color="#202020", size="9pt", justify="right")
            lab.setFixedWidth(165)
            self.addItem(lab, row=j, col=0)
            p = self.addPlot(row=j, col=1)
            p.setClipToView(True)
            p.setDownsampling(auto=False)
            p.disableAutoRange()
            p.hideButtons()
            p.setMenuEnabled(False)
            p.hideAxis("left")
            if j < n - 1:
                p.hideAxis("bottom")
            else:
                p.setLabel("bottom", "time", units="s")
            p.setMouseEnabled(x=False, y=False)
            if j:
                p.setXLink(self.plots[0])
            curve = pg.PlotCurveItem(pen=pg.mkPen(self.colors[j], width=1), antialias=False,
                                     skipFiniteCheck=True)
            p.addItem(curve)
            self.labels.append(lab)
            self.plots.append(p)
            self.curves.append(curve)
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
            curve.setData(t_s, y[:, j], skipFiniteCheck=True)
            if rescale and np.isfinite(lo[j]) and np.isfinite(hi[j]) and \
                    not _span_ok(self._yr[j], lo[j], hi[j]):
                pad = 0.1 * max(hi[j] - lo[j], 1.0)
                self._yr[j] = (float(lo[j] - pad), float(hi[j] + pad))
                self.plots[j].setYRange(*self._yr[j], padding=0)

    def set_quality(self, words) -> None:
        """Show a quality word per channel in its label (``ok`` shows no word)."""
        for j, lab in enumerate(self.labels):
            w = words[j] if j < len(words) else ""
            text = self.titles[j] if w in ("ok", "") else f"{self.titles[j]}<br>[{w}]"
            color = QUALITY_COLORS.get(w, "#c00000")
            if (lab.text, lab.opts.get("color")) != (text, color):
                lab.setText(text, color=color)

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
                                        pen=pg.mkPen(None))
                r.setZValue(-10)
                p.addItem(r)
                self._regions[j].append(r)

    def set_markers(self, markers: list[tuple[float, str]]) -> None:
        """Draw vertical marker lines at the given times (the newest :data:`MAX_MARKERS`)."""
        markers = markers[-MAX_MARKERS:]
        for j, p in enumerate(self.plots):
            pool = self._markers[j]
            while len(pool) < len(markers):
                line = pg.InfiniteLine(angle=90, pen=pg.mkPen((0, 150, 0), width=2))
                p.addItem(line)
                pool.append(line)
            for k, line in enumerate(pool):
                if k < len(markers):
                    line.setPos(markers[k][0])
                    line.show()
                else:
                    line.hide()

    def channel_rect(self, j: int) -> QtCore.QRect:
        """Return the rectangle of row ``j``'s plot area in widget pixels (tests)."""
        vb = self.plots[j].getViewBox()
        return self.mapFromScene(vb.sceneBoundingRect()).boundingRect()

    def plot_width_px(self) -> int:
        """Width of the plot area in pixels (the decimation target)."""
        return max(1, int(self.plots[0].getViewBox().width()))
