"""The live viewer window: scrolling channels, %MVC bars, quality, recording, protocol prompts.

Data flow (see :mod:`emgkit.viewer.stream`): the source is read by the recorder (or a plain
reader thread), every block goes to the :class:`~emgkit.viewer.stream.LiveProcessor` worker,
and a Qt timer draws the newest frame. Nothing here filters or decimates.
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6 import QtCore, QtWidgets

from emgkit.model.montage import Montage
from emgkit.model.tasks import parse_task
from emgkit.viewer.channels import ChannelStack
from emgkit.viewer.common import ViewerWindow
from emgkit.viewer.display import (
    LOW_BACK_RULE,
    MAX_WINDOW_S,
    MIN_WINDOW_S,
    SCALE_NAMES,
    SCALES,
    VIEWS,
    low_back_text,
)
from emgkit.viewer.feed import LiveFeed
from emgkit.viewer.stream import LiveProcessor, PromptUI

#: Tasks offered for a manual recording.
RECORD_TASKS = ("rest", "mvc", "hinge", "squat")


def dominance_html(dominance: float, normalised: bool) -> str:
    """Return the live low-back indicator's text (:func:`~emgkit.viewer.display.low_back_text`).

    Parameters
    ----------
    dominance : float
        Erector spinae over the mean of glutes and hamstrings.
    normalised : bool
        Whether the levels are in % MVC (else microvolts, no MVC reference yet).
    """
    word, colour = low_back_text(dominance)
    unit = "%MVC" if normalised else "uV, no MVC yet"
    return (f"<span style='color:{colour}'><b>low-back dominance {dominance:.2f}: "
            f"{word}</b> (erector spinae / mean of glutes and hamstrings, {unit}; "
            f"{LOW_BACK_RULE})</span>")


class _Bridge(QtCore.QObject):
    """Carries protocol-runner callbacks from its thread into the GUI thread."""

    text = QtCore.Signal(str, str)
    trial = QtCore.Signal(object)


class LiveWindow(ViewerWindow):
    """Watch a source live, record trials, run a protocol.

    Parameters
    ----------
    source : acquisition.sources.base.Source
        An unopened source delivering the montage's channels.
    montage : Montage
        Channels in the source's column order.
    session_path : str or os.PathLike, optional
        An existing session file to record into (recording is off without it).
    reference_uv : numpy.ndarray, optional
        MVC references (live causal envelope) per channel, NaN where missing.
    mains_hz : float, optional
        Mains frequency for the notch.
    protocol : acquisition.protocol.Protocol, optional
        Run this protocol (needs ``session_path``).
    unattended : bool
        Run the protocol on its own timings.
    window_s : float
        Initial scrolling window.
    view : str
        Initial view (one of :data:`~emgkit.viewer.stream.VIEWS`).
    frame_rate_hz : float
        Most frames the worker builds per second.
    task : str, optional
        The task being shown (a stored trial's), for the dominance indicator.
    config : ProcessingConfig, optional
        Filters, envelope and normalisation of the causal core (defaults if None).
    scale : str
        Initial amplitude scaling: ``common`` (every row the same µV span) or ``row``.
    publish : callable, optional
        Builds the feed's publisher (``--lsl-out``); see :class:`~emgkit.viewer.feed.LiveFeed`.
    """

    mode = "live"
    SHORTCUTS = (
        ("+ / -", "lengthen / shorten the scrolling window (2-30 s)"),
        ("R", "start / stop recording a trial of the selected task"),
        ("T", "next task for a manual recording (rest, mvc, hinge, squat)"),
        ("M", "insert a marker"),
        ("P", "pause / resume the display (acquisition continues)"),
        ("D", "show / hide the low-back dominance indicator"),
        ("Space", "protocol: start the prompted trial"),
        ("N", "protocol: skip the prompted trial"),
        ("Esc", "protocol: stop the protocol (the current trial is kept)"),
    )

    def __init__(self, source, montage: Montage, *, session_path=None, reference_uv=None,
                 mains_hz=None, protocol=None, unattended=False, window_s: float = 10.0,
                 view: str = "filtered", frame_rate_hz: float = 60.0, task: str | None = None,
                 config=None, scale: str = SCALES[0], publish=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"emgkit live - {source.info.board} {source.info.address}")
        self.montage = montage
        self.feed = LiveFeed(source, session_path, publish=publish)
        self.processor = LiveProcessor(source.info.fs_hz, montage,
                                       full_scale_uv=source.info.full_scale_uv,
                                       mains_hz=mains_hz, reference_uv=reference_uv,
                                       frame_rate_hz=frame_rate_hz, config=config)
        self.view, self.window_s = view, float(window_s)
        self.task_name: str | None = task
        self.recording = False
        self.paused = False
        self.show_dominance = False
        self.frames_drawn = 0
        self._drawn_seq = 0
        self._marker_count = 0
        self.stack = ChannelStack(montage, bars=True, rolling=True)
        self.stack.set_scale(scale, view=view)
        self._build_ui()
        self.setCentralWidget(self._central(self.stack))
        self._bind_keys()
        self.stack.set_x_range(-self.window_s, 0)
        self.feed.start(self.processor.push)
        if self.feed.recorder is not None:
            self.processor.quality = self.feed.recorder.quality
            self.processor.own_quality = False
        self.processor.start()
        self._stop = threading.Event()
        self.bridge = _Bridge()
        self.bridge.text.connect(self._on_prompt)
        self.bridge.trial.connect(self._on_trial)
        self.ui = None
        self._protocol_thread = None
        if protocol is not None:
            self._start_protocol(protocol, unattended)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self.draw)
        self.timer.start(8)

    # -- layout ----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        tb = self.addToolBar("live")
        tb.setMovable(False)
        self.view_box = QtWidgets.QComboBox()
        self.view_box.addItems(VIEWS)
        self.view_box.setCurrentText(self.view)
        self.view_box.currentTextChanged.connect(self.set_view)
        self.window_box = QtWidgets.QSpinBox()
        self.window_box.setRange(int(MIN_WINDOW_S), int(MAX_WINDOW_S))
        self.window_box.setSuffix(" s")
        self.window_box.setValue(int(self.window_s))
        self.window_box.valueChanged.connect(self.set_window)
        self.task_box = QtWidgets.QComboBox()
        self.task_box.addItems(RECORD_TASKS)
        self.scale_box = QtWidgets.QComboBox()
        self.scale_box.addItems([SCALE_NAMES[s] for s in SCALES])
        self.scale_box.setCurrentIndex(SCALES.index(self.stack.scale))
        self.scale_box.currentIndexChanged.connect(lambda i: self.set_scale(SCALES[i]))
        self.rec_button = QtWidgets.QPushButton("Record (R)")
        self.rec_button.setCheckable(True)
        self.rec_button.clicked.connect(self.toggle_recording)
        marker = QtWidgets.QPushButton("Marker (M)")
        marker.clicked.connect(self.insert_marker)
        shot = QtWidgets.QPushButton("Screenshot (Ctrl+S)")
        shot.clicked.connect(lambda: self.save_screenshot())
        for w in (QtWidgets.QLabel(" view "), self.view_box, QtWidgets.QLabel("  window "),
                  self.window_box, QtWidgets.QLabel("  amplitude (A) "), self.scale_box,
                  QtWidgets.QLabel("  task "), self.task_box, self.rec_button,
                  marker, shot):
            tb.addWidget(w)
        self.prompt = QtWidgets.QLabel("")
        self.prompt.setStyleSheet("font-size: 15pt; font-weight: bold; padding: 4px;"
                                  " background: #fff4c0;")
        self.prompt.setVisible(False)
        self.dominance = QtWidgets.QLabel("")
        self.dominance.setStyleSheet("font-size: 13pt; padding: 4px;")
        self.dominance.setVisible(False)
        self.status = QtWidgets.QLabel("starting...")
        self.statusBar().addPermanentWidget(self.status, 1)
        if not self.feed.can_record:
            self.rec_button.setEnabled(False)
            self.rec_button.setToolTip("start the viewer with --out SESSION.h5 to record")

    def _central(self, stack: ChannelStack) -> QtWidgets.QWidget:
        w = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.prompt)
        lay.addWidget(self.dominance)
        lay.addWidget(stack, 1)
        return w

    def _bind_keys(self) -> None:
        keys = {"V": self.next_view, "1": lambda: self.set_view(VIEWS[0]),
                "2": lambda: self.set_view(VIEWS[1]), "3": lambda: self.set_view(VIEWS[2]),
                "+": lambda: self.set_window(self.window_s + 2), "=": lambda:
                self.set_window(self.window_s + 2), "-": lambda: self.set_window(self.window_s - 2),
                "R": self.toggle_recording, "T": self.next_task, "M": self.insert_marker,
                "P": self.toggle_pause, "D": self.toggle_dominance, "A": self.next_scale,
                "Space": lambda: self._answer("go"), "N": lambda: self._answer("skip"),
                "Esc": self.stop_protocol}
        for key, slot in keys.items():
            self.add_shortcut(key, slot)

    # -- actions ---------------------------------------------------------------------------
    def set_view(self, view: str) -> None:
        """Show ``raw``, ``filtered`` or ``envelope``."""
        if view not in VIEWS:
            return
        self.view = view
        self.view_box.setCurrentText(view)
        self.stack.set_scale(view=view)  # rescale for the new view

    def next_view(self) -> None:
        """Cycle the views."""
        self.set_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])

    def set_scale(self, scale: str) -> None:
        """Scale the rows' amplitudes ``common`` (one µV span for all) or per ``row``."""
        if scale in SCALES:
            self.scale_box.setCurrentIndex(SCALES.index(scale))
            self.stack.set_scale(scale)

    def next_scale(self) -> None:
        """Toggle common and per-row amplitude scaling."""
        self.set_scale(SCALES[(SCALES.index(self.stack.scale) + 1) % len(SCALES)])

    def set_window(self, seconds: float) -> None:
        """Set the scrolling window, clamped to 2-30 s."""
        self.window_s = float(min(MAX_WINDOW_S, max(MIN_WINDOW_S, seconds)))
        self.window_box.setValue(int(self.window_s))
        self.stack.set_x_range(-self.window_s, 0)

    def next_task(self) -> None:
        """Cycle the task of the next manual recording."""
        self.task_box.setCurrentIndex((self.task_box.currentIndex() + 1) % self.task_box.count())

    def toggle_pause(self) -> None:
        """Freeze or resume the display; acquisition and recording go on."""
        self.paused = not self.paused
        if not self.paused:
            self.stack.rolling.invalidate()  # redraw the whole window from the next frame

    def toggle_dominance(self) -> None:
        """Show the low-back dominance indicator outside hinge sets too."""
        self.show_dominance = not self.show_dominance

    def insert_marker(self) -> None:
        """Insert a numbered marker (through the board where it can carry one)."""
        self._marker_count += 1
        if not self.feed.insert_marker(float(self._marker_count)):
            self.processor.add_marker(str(self._marker_count))
        self.statusBar().showMessage(f"marker {self._marker_count}", 2000)

    def toggle_recording(self) -> None:
        """Start a trial of the selected task, or end the one being recorded."""
        rec = self.feed.recorder
        if rec is None or self._protocol_thread is not None:
            self.rec_button.setChecked(False)
            return
        if self.recording:
            res = rec.end_trial(True, "")
            self.recording = False
            self._on_trial(None)
            if res is not None:
                self.statusBar().showMessage(res.message, 8000)
        else:
            task = parse_task(self.task_box.currentText())
            rec.begin_trial(task, notes="recorded from the live viewer")
            self.recording = True
            self._on_trial(task.name)
        self.rec_button.setChecked(self.recording)
        self.rec_button.setText("Stop (R)" if self.recording else "Record (R)")

    # -- protocol ----------------------------------------------------------------------------
    def _start_protocol(self, protocol, unattended: bool) -> None:
        from acquisition.protocol import run_protocol

        rec = self.feed.recorder
        if rec is None:
            from emgkit.errors import ConfigError

            raise ConfigError("a protocol needs a session file to record into (--out)")
        self.ui = PromptUI(self.bridge.text.emit, self.bridge.trial.emit, unattended)

        def run() -> None:
            report = run_protocol(protocol, rec, self.ui, self._stop)
            self.bridge.text.emit("done", f"protocol {protocol.name}: {len(report.results)} "
                                          "trials recorded")
            self.bridge.trial.emit(None)

        self._protocol_thread = threading.Thread(target=run, name="viewer-protocol", daemon=True)
        self._protocol_thread.start()

    def _answer(self, choice: str) -> None:
        if self.ui is not None:
            self.ui.answer(choice)

    def stop_protocol(self) -> None:
        """End the current protocol trial (kept) and stop the protocol."""
        self._stop.set()
        self._answer("quit")

    def _on_prompt(self, kind: str, text: str) -> None:
        self.prompt.setVisible(True)
        self.prompt.setText(text)
        if kind == "done":
            self._protocol_thread = None

    def _on_trial(self, task_name) -> None:
        self.task_name = task_name
        self.processor.track_mvc(task_name == "mvc")

    # -- drawing ---------------------------------------------------------------------------
    def draw(self) -> None:
        """Draw the newest frame if there is one (the timer calls this)."""
        self.processor.request(self.view, self.window_s, self.stack.plot_width_px())
        frame = self.processor.latest()
        if frame is None or frame.seq == self._drawn_seq or self.paused:
            return
        self._drawn_seq = frame.seq
        if frame.view == self.view:
            self.stack.set_columns(frame.y, frame.last_column, frame.y_lo, frame.y_hi,
                                   (frame.view, frame.window_s))
        self.stack.set_markers(frame.markers)
        self.frames_drawn += 1
        if self.frames_drawn % 6 == 1:
            self._draw_indicators(frame)

    def _draw_indicators(self, frame) -> None:
        self.stack.set_bars(frame.pct_mvc)
        self.stack.set_quality(frame.quality)
        dom = frame.dominance
        show = (self.task_name == "hinge" or self.show_dominance) and dom is not None
        self.dominance.setVisible(show)
        if show:
            self.dominance.setText(dominance_html(dom, np.isfinite(frame.pct_mvc).any()))
        rec = self.feed.recorder
        parts = [f"{frame.n_samples / self.processor.fs_hz:8.1f} s streamed"]
        if rec is not None:
            st = rec.status()
            if st.trial_id:
                parts.append(f"REC {st.trial_id} {st.elapsed_s:.1f} s, {st.n_gaps} gaps "
                             f"({st.missing_samples} lost)")
            if st.error:
                parts.append(f"ERROR: {st.error}")
        if self.feed.error:
            parts.append(f"ERROR: {self.feed.error}")
        if frame.dropped_blocks:
            parts.append(f"{frame.dropped_blocks} display blocks dropped")
        parts.append(f"task: {self.task_name or '-'}   F1: help")
        self.status.setText("   |   ".join(parts))

    # -- closing -------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Stop the protocol and any recording (data saved), then the source and worker."""
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop everything; safe to call twice."""
        self.timer.stop()
        self._stop.set()
        self._answer("quit")
        if self.recording and self.feed.recorder is not None:
            self.feed.recorder.end_trial(True, "ended when the viewer was closed")
            self.recording = False
        if self._protocol_thread is not None:
            self._protocol_thread.join(timeout=10.0)
            self._protocol_thread = None
        self.feed.close()
        self.processor.stop()
