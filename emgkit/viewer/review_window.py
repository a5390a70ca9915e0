"""The review window: a session's trials, repetitions shaded, zoom/pan on visible slices.

Each change of the visible time range reads only that slice (raw view) and draws it
min/max-decimated to the plot's width (:meth:`emgkit.viewer.session_data.ReviewData.visible`).
The session's analysis (:mod:`emgkit.analysis`, with the user's processing config:
repetitions, MVC references, metrics, ensembles) runs once in a worker thread when the
window opens; the window updates when it is ready. Each row has a y axis in µV, or in
% MVC for the envelope once the analysis has normalised it; under ``common`` scaling
(the default; ``A`` toggles ``row``) every row and trial of the session shares one span
per view.
"""

from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from emgkit.viewer.channels import SIDE_COLORS, ChannelStack
from emgkit.viewer.common import ViewerWindow
from emgkit.viewer.display import SCALE_NAMES, SCALES, TASK_COLOURS, VIEWS, low_back_text
from emgkit.viewer.session_data import ENSEMBLE_TASKS, ReviewData


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
    config : ProcessingConfig, optional
        The processing configuration (``emgkit view --config``) of the analysis and of
        the filtered and envelope views; defaults if None.
    scale : str
        Initial amplitude scaling, ``common`` or ``row``.
    """

    mode = "review"
    #: Emitted (from the worker thread, delivered in the GUI thread) when the analysis ends.
    analysed = QtCore.Signal()
    SHORTCUTS = (
        ("Up / Down", "previous / next trial"),
        ("[ / ]", "previous / next repetition (zooms to it, shows its metrics)"),
        ("Home", "show the whole trial"),
        ("mouse wheel / drag", "zoom / pan in time (reads only the visible slice)"),
        ("click in a shaded repetition", "select it"),
    )

    def __init__(self, path, view: str = "filtered", parent=None, *, config=None,
                 scale: str = SCALES[0]):
        super().__init__(parent)
        self.data = ReviewData(path, config)
        self.setWindowTitle(f"emgkit review - {self.data.path.name} ({self.data.sf.subject})")
        self.view = view
        self.rep: int | None = None
        self.flags = self.data.quality_flags()
        self.stack = ChannelStack(self.data.montage)
        self.stack.set_scale(scale, view=view)
        for p in self.stack.plots:
            p.setMouseEnabled(x=True, y=False)
        self.stack.plots[0].sigXRangeChanged.connect(self._schedule_reload)
        self.stack.scene().sigMouseClicked.connect(self._on_click)
        self._reload = QtCore.QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(30)
        self._reload.timeout.connect(self.reload)
        self.analysis_error: str | None = None
        self.ensemble_curves: dict[str, pg.PlotDataItem] = {}
        self._build_ui()
        self._bind_keys()
        if self.data.infos:
            self.trials.setCurrentRow(self._first_task_trial())
        self.analysed.connect(self._on_analysed)
        self._worker = threading.Thread(target=self._analyse, name="emgkit-review-analysis",
                                        daemon=True)
        self._worker.start()

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
        self.channel_box = QtWidgets.QComboBox()
        self.channel_box.addItems(self.stack.titles)
        self.channel_box.currentIndexChanged.connect(self._draw_ensembles)
        self.scale_box = QtWidgets.QComboBox()
        self.scale_box.addItems([SCALE_NAMES[s] for s in SCALES])
        self.scale_box.setCurrentIndex(SCALES.index(self.stack.scale))
        self.scale_box.currentIndexChanged.connect(lambda i: self.set_scale(SCALES[i]))
        tb.addWidget(QtWidgets.QLabel(" view "))
        tb.addWidget(self.view_box)
        tb.addWidget(QtWidgets.QLabel("  amplitude (A) "))
        tb.addWidget(self.scale_box)
        tb.addWidget(QtWidgets.QLabel("  ensemble channel "))
        tb.addWidget(self.channel_box)
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
        self.ensemble = pg.PlotWidget(background="w")
        self.ensemble.setFixedHeight(180)
        self.ensemble.hideButtons()
        self.ensemble.setMenuEnabled(False)
        self.ensemble.setMouseEnabled(x=False, y=False)
        self.ensemble.setLabel("bottom", "% of repetition")
        self.ensemble.addLegend(offset=(-10, 10))
        self._ensemble_note = pg.TextItem("", color=(90, 90, 90), anchor=(0.5, 0.5))
        self.ensemble.addItem(self._ensemble_note)
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
                "Home": self.show_all, "A": self.next_scale}
        for key, slot in keys.items():
            self.add_shortcut(key, slot)

    def _first_task_trial(self) -> int:
        for i, info in enumerate(self.data.infos):
            if info.task.name in ("hinge", "squat"):
                return i
        return 0

    def _draw_ensembles(self, *_) -> None:
        """Ensemble curves of the chosen channel, one per task (hinge vs squat)."""
        plot = self.ensemble.getPlotItem()
        for item in self.ensemble_curves.values():
            plot.removeItem(item)
        plot.legend.clear()
        self.ensemble_curves = {}
        an, j = self.data.analysis, self.channel_box.currentIndex()
        name = self.data.montage.names[j]
        curves = {} if an is None else {t: an.ensembles[(name, t)] for t in ENSEMBLE_TASKS
                                        if (name, t) in an.ensembles}
        for task, y in curves.items():
            self.ensemble_curves[task] = plot.plot(
                np.linspace(0, 100, y.size), y, name=task,
                pen=pg.mkPen(TASK_COLOURS.get(task, (0, 0, 0)), width=2))
        if curves:
            note = ""
            plot.setTitle(f"{self.stack.titles[j]}: ensemble mean ({an.unit})", size="9pt")
            plot.enableAutoRange()
        elif an is None:
            note = (f"analysis failed: {self.analysis_error}" if self.analysis_error
                    else "analysing the session...")
        else:
            note = "no hinge or squat repetitions in this session"
        if note:
            plot.setTitle(None)
            plot.setRange(xRange=(0, 100), yRange=(0, 1), padding=0)
            self._ensemble_note.setPos(50, 0.5)
        self._ensemble_note.setText(note)

    def _analyse(self) -> None:
        """Worker thread: run the session's analysis, then signal the GUI thread."""
        try:
            self.data.run_analysis()
        except Exception as exc:  # shown in the window; the review works without it
            self.analysis_error = f"{type(exc).__name__}: {exc}"
        try:
            self.analysed.emit()
        except RuntimeError:  # the window was deleted meanwhile
            pass

    def _on_analysed(self) -> None:
        """GUI thread: repetitions, metrics and ensembles from the finished analysis."""
        if self.analysis_error:
            self.statusBar().showMessage(f"analysis failed: {self.analysis_error}")
        elif self.data.analysis is not None:
            self.statusBar().showMessage(f"analysis ready: amplitudes "
                                         f"{self.data.analysis.note}", 8000)
        tv = self.data.current
        if tv is not None:
            tv.reps = self.data.repetitions(tv.info.id, tv.events)
            rep = self.rep
            self._show_reps(tv)
            if rep is not None and rep < len(tv.reps):
                self.select_rep(rep)
        self.set_view(self.view)  # the session's spans, % MVC for the envelope
        self._draw_ensembles()

    def analysis_ready(self) -> bool:
        """Whether the worker thread finished (with or without an analysis)."""
        return not self._worker.is_alive() and (self.data.analysis is not None
                                                or self.analysis_error is not None)

    # -- actions ---------------------------------------------------------------------------
    def select_trial(self, row: int) -> None:
        """Show trial number ``row`` (0-based) of the list."""
        if row < 0 or row >= len(self.data.infos):
            return
        if self.trials.currentRow() != row:
            self.trials.setCurrentRow(row)
            return
        tv = self.data.select(self.data.infos[row].id)
        self._show_reps(tv)
        flags = self.flags.get(tv.info.id, [])
        words = [", ".join(f) for f in flags] if flags else []
        self.stack.set_quality(words)
        bad = [f"{self.stack.titles[j]}: {w}" for j, w in enumerate(words) if w]
        self.flag_text.setText("quality: " + ("; ".join(bad) if bad else "no flags"))
        self.show_all()

    def _show_reps(self, tv) -> None:
        """Shade the trial's repetitions, none selected; clear the metrics table."""
        self.rep = None
        fs = tv.info.fs_hz
        self.stack.set_regions([(a / fs, b / fs) for a, b in tv.reps])
        self.metrics.setRowCount(0)
        self.metrics_title.setText(f"{len(tv.reps)} repetitions: select one ([ ] or click)"
                                   if tv.reps else "no repetitions in this trial")

    def show_all(self) -> None:
        """Zoom out to the whole trial."""
        tv = self.data.current
        if tv is None:
            return
        self._apply_scale()
        self.stack.set_x_range(0.0, max(tv.info.duration_s, 1e-3))
        self.reload()

    def set_view(self, view: str) -> None:
        """Show ``raw``, ``filtered`` or ``envelope``."""
        if view not in VIEWS:
            return
        self.view = view
        self.view_box.setCurrentText(view)
        self._apply_scale()
        self.reload()

    def next_view(self) -> None:
        """Cycle the views."""
        self.set_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])

    def set_scale(self, scale: str) -> None:
        """Scale the rows' amplitudes ``common`` (one span for the session) or per ``row``."""
        if scale not in SCALES:
            return
        self.scale_box.setCurrentIndex(SCALES.index(scale))
        self.stack.set_scale(scale)
        self._apply_scale()
        self.reload()

    def next_scale(self) -> None:
        """Toggle common and per-row amplitude scaling."""
        self.set_scale(SCALES[(SCALES.index(self.stack.scale) + 1) % len(SCALES)])

    def _apply_scale(self) -> None:
        """Give the rows the view's unit and, under common scaling, the session's span."""
        span = self.data.spans.get(self.view) if self.stack.scale == "common" else None
        self.stack.set_scale(view=self.view, unit=self.data.unit(self.view), span=span)

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
        rows = self.data.rep_metrics(k)
        title = f"repetition {k + 1}/{len(tv.reps)} ({a:.2f}-{b:.2f} s)"
        if rows is None:
            self.metrics_title.setText(f"{title}: analysing the session...")
            self.metrics.setRowCount(0)
            return
        dom = self.data.dominance(k)
        dom_text = "".join(
            f"<br>low-back dominance {side[0].upper()}: <span style='color:{colour}'>"
            f"{v:.2f} ({word})</span>"
            for side, v in dom.items() if np.isfinite(v)
            for word, colour in [low_back_text(v)])
        self.metrics_title.setText(f"{title}, envelope in {self.data.analysis.unit}{dom_text}")
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
        """Close the session file (after the analysis thread, which reads its own handle)."""
        self._reload.stop()
        self._worker.join(timeout=30.0)
        self.data.current = None
        self.data.close()
        super().closeEvent(event)


__all__ = ["SIDE_COLORS", "ReviewWindow", "trial_title"]
