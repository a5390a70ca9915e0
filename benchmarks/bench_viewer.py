"""Live viewer: redraws per second offscreen, CPU use, and samples kept by the recorder.

Run ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_viewer.py [--seconds S]``.

Two measurements per configuration (a real-time simulated source feeding the same
``LiveWindow`` the ``emgkit view --live`` command opens, 1280 x 860 pixels):

- *max redraw rate*: the worker builds frames at up to 500 Hz (no 60 Hz cap) and the GUI
  loop draws each new frame and lets Qt paint it (``processEvents``); frames/s = new
  frames drawn and painted per second of wall time. Also the GUI thread's own CPU time
  per frame (``time.thread_time``), which other processes' load changes much less than
  the wall-clock rate: 1000 / it is the rate the drawing alone would allow.
Both with a marker every :data:`MARKER_EVERY_S` seconds (a protocol's repetition markers:
~5 in the 10 s window).

- *normal operation*: the window's own settings (worker frames capped at 60 Hz, 8 ms draw
  timer) while a recorder writes every block to a session file; CPU use of the whole
  process (os.times, in % of one core) and the recorder's stored samples and gaps.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

#: Seconds between markers (a repetition's start and end every ~2 s in a hinge set).
MARKER_EVERY_S = 2.0


class _Markers:
    """Adds a marker to a window's processor every :data:`MARKER_EVERY_S` seconds."""

    def __init__(self, win):
        self.win, self.next = win, time.monotonic()

    def tick(self) -> None:
        if time.monotonic() >= self.next:
            self.win.processor.add_marker("rep")
            self.next += MARKER_EVERY_S


def _window(n_channels: int, fs_hz: float, session_path=None, frame_rate_hz=60.0):
    from acquisition.sources import SimulatedSource, noise_feed
    from emgkit.io.writer import create_session
    from emgkit.model.montage import Channel, Montage
    from emgkit.model.session import Device
    from emgkit.viewer.live_window import LiveWindow

    muscles = ["semitendinosus", "biceps_femoris", "gluteus_maximus", "erector_spinae",
               "vastus_lateralis", "rectus_femoris", "rectus_abdominis", "external_oblique"]
    chans = tuple(Channel(i + 1, muscles[i % 8], ("right", "left")[i // 8])
                  for i in range(n_channels))
    montage = Montage("bench", chans)
    src = SimulatedSource(fs_hz, n_channels, noise_feed(n_channels, rms_uv=40.0))
    if session_path is not None:
        create_session(session_path, "bench", Device("simulated", fs_hz, 24.0), montage)
    win = LiveWindow(src, montage, session_path=session_path, window_s=10.0, view="filtered",
                     frame_rate_hz=frame_rate_hz, mains_hz=50.0)
    win.resize(1280, 860)
    win.show()
    return win


def max_redraw(n_channels: int, fs_hz: float, seconds: float) -> dict:
    """Frames drawn and painted per second, the worker uncapped."""
    import pyqtgraph as pg

    app = pg.mkQApp()
    win = _window(n_channels, fs_hz, frame_rate_hz=500.0)
    win.timer.stop()
    marks = _Markers(win)
    t_end = time.monotonic() + 10.5  # fill the 10 s window first
    while time.monotonic() < t_end:
        marks.tick()
        app.processEvents()
        win.draw()
        time.sleep(0.01)
    n0, c0, t0, g0 = win.frames_drawn, os.times(), time.perf_counter(), time.thread_time()
    while time.perf_counter() - t0 < seconds:
        marks.tick()
        win.draw()
        app.processEvents()
    wall = time.perf_counter() - t0
    c1, g1 = os.times(), time.thread_time()
    frames = win.frames_drawn - n0
    points = win.processor.latest().y.shape[0]
    win.close()
    return {"fps": frames / wall, "points_per_curve": points,
            "gui_ms_per_frame": 1000 * (g1 - g0) / max(frames, 1),
            "cpu_pct": 100 * (c1.user + c1.system - c0.user - c0.system) / wall}


def normal_operation(n_channels: int, fs_hz: float, seconds: float) -> dict:
    """CPU use and recorder completeness at the window's own settings, recording."""
    import pyqtgraph as pg

    from emgkit.io.reader import SessionFile
    from emgkit.model.tasks import Task

    app = pg.mkQApp()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.h5"
        win = _window(n_channels, fs_hz, session_path=path)
        marks = _Markers(win)
        t_end = time.monotonic() + 2.0
        while time.monotonic() < t_end:
            marks.tick()
            app.processEvents()
            time.sleep(0.002)
        rec = win.feed.recorder
        rec.begin_trial(Task("rest"), duration_s=seconds)
        n0, c0, t0 = win.frames_drawn, os.times(), time.perf_counter()
        while rec.wait_trial(0.0) is None:
            marks.tick()
            app.processEvents()
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        c1 = os.times()
        frames = win.frames_drawn - n0
        res = rec.last_result
        dropped = win.processor.dropped_blocks
        win.close()
        with SessionFile(path) as sf:
            stored = sf.trial_info(res.trial_id).n_samples
    return {"fps": frames / wall, "cpu_pct": 100 * (c1.user + c1.system - c0.user - c0.system)
            / wall, "expected": round(seconds * fs_hz), "stored": stored, "gaps": res.n_gaps,
            "display_dropped_blocks": dropped}


def main() -> None:
    """Print the results as a markdown table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import warnings

    warnings.simplefilter("ignore")  # 250 Hz: the core's under-sampling warning
    print("| configuration | max redraw (frames/s) | GUI thread CPU (ms/frame) | points per "
          "curve | CPU at max (% of a core) | normal: frames/s | normal: CPU (% of a core) | "
          "recorder: stored / expected, gaps | display blocks dropped |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n_ch, fs in ((16, 2000.0), (8, 250.0)):
        m = max_redraw(n_ch, fs, args.seconds)
        n = normal_operation(n_ch, fs, args.seconds)
        print(f"| {n_ch} ch x {fs:g} Hz, 10 s window | {m['fps']:.0f} | "
              f"{m['gui_ms_per_frame']:.1f} | {m['points_per_curve']} | {m['cpu_pct']:.0f} | "
              f"{n['fps']:.0f} | {n['cpu_pct']:.0f} | {n['stored']} / {n['expected']}, "
              f"{n['gaps']} | {n['display_dropped_blocks']} |")
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()
