"""The review window: a session's trials, repetitions shaded, zoom/pan on visible slices.

Each change of the visible time range reads only that slice (raw view) and draws it
min/max-decimated to the plot's width (:meth:`emgkit.viewer.session_data.ReviewData.visible`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from emgkit.viewer.channels import SIDE_COLORS, ChannelStack
from emgkit.viewer.common import ViewerWindow
from emgkit.viewer.session_data import ReviewData, ensembles
from emgkit.viewer.stream import VIEWS

#: Colours of the ensemble curves per task.
TASK_COLORS = {"hinge": (31, 119, 180), "squat": (255, 127, 14)}


def trial_title(info, flags) -> str:
    """One line for the trial list: id, task, duration, and a flag count."""
    task = info.task.name
    if info.task.target:
        task += f" ({info.task.target})"
    elif info.task.variant:
        task += f" ({info.task.variant})"
    n_flag = sum(1 for f in flags if f)
    mark = f"  !{n_flag} flagged" if n_flag else ""
    return f"{info.id}  {task}  {info.duration_s:.1f} s{mark}"


class ReviewWindow(ViewerWindow):
    """Review a stored session.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.
    view : str
        Initial view.
    """

    mode = "review"
    SHORTCUTS = (
        ("Up / Down", "previous / next trial"),
        ("[ / ]", "previous / next repetition (zooms to it, shows its metrics)"),
        ("Home", "show the whole trial"),
        ("mouse wheel / drag", "zoom / pan in time (reads only the visible slice)"),
        ("click in a shaded repetition", "select it"),
    )

    def __init__(self, path, view: str = "filtered", parent=None):
        super().__init__(parent)
        self.data = ReviewData(path)
        self.setWindowTitle(f"emgkit review - {self.data.path.name} ({self.data.sf.subject})")
        self.view = view
        self.rep: int | None = None
        self.flags = self.data.quality_flags()
        self.stack = ChannelStack(self.data.montage)
        for p in self.stack.plots:
            p.setMouseEnabled(x=True, y=False)
        self.stack.plots[0].sigXRangeChanged.connect(self._schedule_reload)
        self.stack.scene().sigMouseClicked.connect(self._on_click)
        self._reload = QtCore.QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(30)
        self._reload.timeout.connect(self.reload)
        self._build_ui()
        self._bind_keys()
        if self.data.infos:
            self.trials.setCurrentRow(self._first_task_trial())

    # -- layout ------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        tb = self.addToolBar("review")
        tb.setMovable(False)
        self.view_box = QtWidgets.QComboBox()
        self.view_box.addItems(VIEWS)
        self.view_box.setCurrentText(self.view)
        self.view_box.currentTextChanged.connect(self.set_view)
        shot = QtWidgets.QPushButton("Screenshot (Ctrl+S)")
        shot.clicked.connect(lambda: self.save_screenshot())
        tb.addWidget(QtWidgets.QLabel(" view "))
        tb.addWidget(self.view_box)
        tb.addWidget(shot)
        self.trials = QtWidgets.QListWidget()
        for info in self.data.infos:
            self.trials.addItem(trial_title(info, self.flags.get(info.id, [])))
        self.trials.currentRowChanged.connect(self.select_trial)
        self.flag_text = QtWidgets.QLabel("")
        self.flag_text.setWordWrap(True)
        self.metrics = QtWidgets.QTableWidget(0, 3)
        self.metrics.setHorizontalHeaderLabels(["channel", "mean", "peak"])
        self.metrics.horizontalHeader().setStretchLastSection(True)
        self.metrics_title = QtWidgets.QLabel("select a repetition ([ ] or click)")
        side = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(side)
        for w in (QtWidgets.QLabel("<b>Trials</b>"), self.trials, self.flag_text,
                  self.metrics_title, self.metrics):
            lay.addWidget(w)
        lay.setStretch(1, 2)
        lay.setStretch(4, 3)
        self.ensemble = pg.GraphicsLayoutWidget()
        self.ensemble.setBackground("w")
        self.ensemble.setFixedHeight(180)
        self._draw_ensembles()
        centre = QtWidgets.QWidget()
        cl = QtWidgets.QVBoxLayout(centre)
        cl.setContentsMargins(2, 2, 2, 2)
        cl.addWidget(self.stack, 1)
        cl.addWidget(self.ensemble)
        split = QtWidgets.QSplitter()
        split.addWidget(side)
        split.addWidget(centre)
        split.setSizes([300, 980])
        self.setCentralWidget(split)

    def _bind_keys(self) -> None:
        keys = {"V": self.next_view, "1": lambda: self.set_view(VIEWS[0]),
                "2": lambda: self.set_view(VIEWS[1]), "3": lambda: self.set_view(VIEWS[2]),
                "Up": lambda: self._step_trial(-1), "Down": lambda: self._step_trial(1),
                "[": lambda: self._step_rep(-1), "]": lambda: self._step_rep(1),
                "Home": self.show_all}
        for key, slot in keys.items():
            self.add_shortcut(key, slot)

    def _first_task_trial(self) -> int:
        for i, info in enumerate(self.data.infos):
            if info.task.name in ("hinge", "squat"):
                return i
        return 0

    def _draw_ensembles(self) -> None:
        curves = ensembles(self.data.sf)
        if not curves:
            self.ensemble.addLabel("ensemble curves (hinge vs squat) appear here once "
                                   "emgkit.analysis provides them", color="#606060")
            return
        names = list(dict.fromkeys(name for name, _task in curves))
        for k, name in enumerate(names):
            p = self.ensemble.addPlot(row=0, col=k, title=name.replace("_", " "))
            p.hideButtons()
            for task, color in TASK_COLORS.items():
                if (name, task) in curves:
                    y = np.asarray(curves[(name, task)])
                    p.plot(np.linspace(0, 100, y.size), y, pen=pg.mkPen(color, width=2),
                           name=task)

    # -- actions ---------------------------------------------------------------------------
    def select_trial(self, row: int) -> None:
        """Show trial number ``row`` (0-based) of the list."""
        if row < 0 or row >= len(self.data.infos):
            return
        if self.trials.currentRow() != row:
            self.trials.setCurrentRow(row)
            return
        tv = self.data.select(self.data.infos[row].id)
        self.rep = None
        fs = tv.info.fs_hz
        self.stack.set_regions([(a / fs, b / fs) for a, b in tv.reps])
        flags = self.flags.get(tv.info.id, [])
        words = [", ".join(f) for f in flags] if flags else []
        self.stack.set_quality(words)
        bad = [f"{self.stack.titles[j]}: {w}" for j, w in enumerate(words) if w]
        self.flag_text.setText("quality: " + ("; ".join(bad) if bad else "no flags"))
        self.metrics.setRowCount(0)
        self.metrics_title.setText(f"{len(tv.reps)} repetitions: select one ([ ] or click)"
                                   if tv.reps else "no repetitions in this trial")
        self.show_all()

    def show_all(self) -> None:
        """Zoom out to the whole trial."""
        tv = self.data.current
        if tv is None:
            return
        self.stack._yr = [(0.0, 0.0)] * len(self.stack.plots)
        self.stack.set_x_range(0.0, max(tv.info.duration_s, 1e-3))
        self.reload()

    def set_view(self, view: str) -> None:
        """Show ``raw``, ``filtered`` or ``envelope``."""
        if view not in VIEWS:
            return
        self.view = view
        self.view_box.setCurrentText(view)
        self.stack._yr = [(0.0, 0.0)] * len(self.stack.plots)
        self.reload()

    def next_view(self) -> None:
        """Cycle the views."""
        self.set_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])

    def select_rep(self, k: int) -> None:
        """Select repetition ``k``: darker shading, zoom around it, metrics table."""
        tv = self.data.current
        if tv is None or not tv.reps:
            return
        k = int(np.clip(k, 0, len(tv.reps) - 1))
        self.rep = k
        fs = tv.info.fs_hz
        spans = [(a / fs, b / fs) for a, b in tv.reps]
        self.stack.set_regions(spans, selected=k)
        a, b = spans[k]
        pad = 0.5 * (b - a)
        self.stack.set_x_range(max(0.0, a - pad), b + pad)
        unit = "% MVC" if self.data.mvc_reference() is not None else "uV"
        rows = self.data.rep_metrics(k)
        self.metrics_title.setText(f"repetition {k + 1}/{len(tv.reps)} "
                                   f"({a:.2f}-{b:.2f} s), envelope in {unit}")
        self.metrics.setRowCount(len(rows))
        for i, (name, mean, peak) in enumerate(rows):
            for c, text in enumerate((name, f"{mean:.1f}", f"{peak:.1f}")):
                self.metrics.setItem(i, c, QtWidgets.QTableWidgetItem(text))

    def _step_rep(self, step: int) -> None:
        self.select_rep(0 if self.rep is None else self.rep + step)

    def _step_trial(self, step: int) -> None:
        self.select_trial(int(np.clip(self.trials.currentRow() + step, 0,
                                      len(self.data.infos) - 1)))

    def _on_click(self, ev) -> None:
        tv = self.data.current
        if tv is None or not tv.reps:
            return
        vb = self.stack.plots[0].getViewBox()
        x = vb.mapSceneToView(ev.scenePos()).x() * tv.info.fs_hz
        for k, (a, b) in enumerate(tv.reps):
            if a <= x <= b:
                self.select_rep(k)
                return

    # -- drawing ---------------------------------------------------------------------------
    def _schedule_reload(self, *_):
        self._reload.start()

    def reload(self) -> None:
        """Read and draw the visible slice of the current trial."""
        if self.data.current is None:
            return
        (t0, t1), _ = self.stack.plots[0].getViewBox().viewRange()
        t, y = self.data.visible(self.view, t0, t1, self.stack.plot_width_px())
        self.stack.set_traces(t, y)

    def closeEvent(self, event) -> None:
        """Close the session file."""
        self._reload.stop()
        self.data.current = None
        self.data.close()
        super().closeEvent(event)


__all__ = ["SIDE_COLORS", "ReviewWindow", "trial_title"]
