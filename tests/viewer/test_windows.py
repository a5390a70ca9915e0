"""Both viewer windows driven with pytest-qt (offscreen): content drawn, labels, recording."""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.io.reader import SessionFile
from emgkit.viewer.channels import channel_title
from emgkit.viewer.display import TASK_COLOURS
from tests.viewer.conftest import curve_pixels, image_array

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")


def _titles(montage):
    return [channel_title(c.muscle, c.side, c.label) for c in montage.channels]


def test_review_trials_views_zoom_reps(qtbot, session_h5):
    from emgkit.viewer.review_window import ReviewWindow

    win = ReviewWindow(session_h5)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    data = win.data
    assert win.trials.count() == len(data.infos) == 8
    tv = data.current
    assert tv.info.task.name == "hinge" and len(tv.reps) == 5  # the first task trial
    assert all(len(r) == 5 for r in win.stack._regions)
    labels = [lab.text.split("<br>")[0] for lab in win.stack.labels]
    assert labels == _titles(data.montage)

    reads = []
    real = data.sf.read_emg
    data.sf.read_emg = lambda tid, a=None, b=None, **k: reads.append((a, b)) or real(tid, a, b)
    for view in ("raw", "filtered", "envelope"):
        win.set_view(view)
        img = image_array(win.stack)
        for j in range(len(data.montage.channels)):
            assert curve_pixels(win.stack, j, img) > 200, (view, j)
    win.set_view("raw")
    reads.clear()
    win.stack.set_x_range(2.0, 4.0)
    qtbot.waitUntil(lambda: bool(reads), timeout=2000)
    a, b = reads[-1]
    assert 1900 <= a <= 2000 and 4000 <= b <= 4100  # only the visible slice is read
    qtbot.waitUntil(win.analysis_ready, timeout=30000)
    win.select_rep(2)
    assert win.rep == 2 and win.metrics.rowCount() == len(data.montage.channels)
    assert float(win.metrics.item(0, 2).text()) > 0
    win.select_trial(0)  # the rest trial: no repetitions
    assert data.current.info.task.name == "rest" and win.stack._regions[0] == []
    assert "no repetitions" in win.metrics_title.text()
    win.help.toggle()
    assert win.help.isVisible()
    win.close()


def test_review_analysis_reps_metrics_ensembles(qtbot, session_h5_truth):
    from emgkit.viewer.review_window import ReviewWindow

    path, truth = session_h5_truth
    win = ReviewWindow(path)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.analysis_ready, timeout=30000)
    qtbot.waitUntil(lambda: bool(win.ensemble_curves), timeout=5000)
    assert win.analysis_error is None
    an = win.data.analysis
    # One curve per task for the selected muscle, hinge and squat, 0-100 % of the rep.
    for j in (0, 3):
        win.channel_box.setCurrentIndex(j)
        assert set(win.ensemble_curves) == {"hinge", "squat"}
        name = win.data.montage.names[j]
        for task, item in win.ensemble_curves.items():
            x, y = item.getData()
            assert x[0] == 0 and x[-1] == 100
            np.testing.assert_allclose(y, an.ensembles[(name, task)])
    img = image_array(win.ensemble)
    hinge = np.array(TASK_COLOURS["hinge"], np.uint8)
    assert np.all(img == hinge, axis=-1).sum() > 100  # the hinge curve, the report's colour
    # The hinge trial's repetitions are the analysis' (markers), the metrics its numbers.
    tv = win.data.current
    tm = an.by_trial[tv.info.id]
    tt = next(t for t in truth.trials if t.trial_id == tv.info.id)
    assert tv.info.task.name == "hinge"
    assert tv.reps == [(r.start, r.end) for r in tm.reps] and len(tv.reps) == 5
    k = 2
    win.select_rep(k)
    assert "% MVC" in win.metrics_title.text() and "low-back dominance" in \
        win.metrics_title.text()
    assert any(w in win.metrics_title.text() for w in ("hip-driven", "balanced", "back-driven"))
    rows = [[win.metrics.item(i, c).text() for c in range(3)]
            for i in range(win.metrics.rowCount())]
    assert [r[0] for r in rows] == list(win.data.montage.names)
    mean = np.array([float(r[1]) for r in rows])
    peak = np.array([float(r[2]) for r in rows])
    np.testing.assert_allclose(mean, tm.mean[k], atol=0.051)
    np.testing.assert_allclose(peak, tm.peak[k], atol=0.051)
    # Within the analysis accuracy tolerances (tests/analysis/test_accuracy.py) of truth.
    true_mean, true_peak = tt.reps[k].mean_pct_mvc, tt.reps[k].peak_pct_mvc
    big = np.asarray(true_mean) >= 15.0
    assert big.sum() >= 3
    np.testing.assert_allclose(mean[big], np.asarray(true_mean)[big], rtol=0.30)
    np.testing.assert_allclose(peak[big], np.asarray(true_peak)[big], rtol=0.30)
    win.close()


def _label_fits(stack, j) -> bool:
    """Whether label ``j``'s drawn text lies inside its label cell and the widget."""
    lab = stack.labels[j]
    text = lab.item.mapRectToScene(lab.item.boundingRect())
    cell = lab.sceneBoundingRect()
    view = stack.mapToScene(stack.viewport().rect()).boundingRect()
    return (cell.left() - 0.5 <= text.left() and text.right() <= cell.right() + 0.5
            and view.contains(text))


def test_review_labels_fit_with_flags(qtbot, tmp_path):
    from emgkit.io.writer import write_session
    from emgkit.simulate import LabProtocol, default_montage, simulate_session
    from emgkit.viewer.review_window import ReviewWindow
    from emgkit.viewer.session_data import ReviewData

    path = tmp_path / "d16.h5"
    session, _ = simulate_session(default_montage("cyton-daisy"), 250.0, seed=1,
                                  protocol=LabProtocol(rest_s=2.0, hinge_sets=0,
                                                       squat_sets=0, mvc_efforts=1))
    write_session(path, session)
    long_flags = ("noisy_baseline", "low_snr", "mains", "clipping")
    real = ReviewData.quality_flags

    def flagged(self):  # every channel flagged with a long list of flags
        out = real(self)
        return {t: [long_flags] * len(f) for t, f in out.items()}

    ReviewData.quality_flags = flagged
    try:
        win = ReviewWindow(path)
    finally:
        ReviewData.quality_flags = real
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    stack = win.stack
    longest = max(range(len(stack.titles)), key=lambda j: len(stack.titles[j]))
    assert "lateralis" in stack.titles[longest] or len(stack.titles[longest]) >= 17
    for j in range(len(stack.labels)):
        assert stack.labels[j].text.startswith(stack.titles[j] + "<br>")
        assert "noisy_baseline" in stack.labels[j].toolTip()
        assert _label_fits(stack, j), (j, stack.titles[j])
    # Without flags the titles fit as well.
    stack.set_quality([])
    assert all(_label_fits(stack, j) for j in range(len(stack.labels)))
    win.close()


def _live(qtbot, source, montage, **kw):
    from emgkit.viewer.live_window import LiveWindow

    win = LiveWindow(source, montage, **kw)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_live_simulated_record_and_close_saves(qtbot, tmp_path):
    from acquisition.setups import find_setup
    from emgkit.io.writer import create_session
    from emgkit.model import Device, load_montage
    from emgkit.viewer.stream import simulated_session_source

    montage = load_montage(find_setup("cyton8-posterior-chain", "montage"))
    src = simulated_session_source(montage, 1000.0)
    out = tmp_path / "live.h5"
    create_session(out, "S01", Device("simulated", 1000.0, 24.0), montage)
    win = _live(qtbot, src, montage, session_path=out, window_s=4.0)
    qtbot.waitUntil(lambda: win.frames_drawn > 20, timeout=5000)
    win.task_box.setCurrentText("mvc")
    win.toggle_recording()
    assert win.recording and win.processor._mvc
    win.insert_marker()
    for view in ("raw", "envelope", "filtered"):
        win.set_view(view)
        qtbot.wait(250)
    qtbot.waitUntil(lambda: np.isfinite(win.processor.latest().pct_mvc).all(), timeout=3000)
    frame = win.processor.latest()
    win._draw_indicators(frame)
    assert win.stack.bar_item.opts["width"].max() > 0
    assert frame.markers, "the marker came back through the source"
    img = image_array(win.stack)
    for j in range(len(montage.channels)):
        assert curve_pixels(win.stack, j, img) > 100, j
    assert [lab.text.split("<br>")[0] for lab in win.stack.labels] == _titles(montage)
    assert frame.dropped_blocks == 0
    win.close()  # during the recording
    with SessionFile(out) as sf:
        (info,) = sf.trial_infos()
        trial = sf.read_trial(info.id)
    assert info.task.name == "mvc" and info.n_samples > 300 and info.completed
    assert "closed" in info.notes
    assert list(trial.events.of_kind("marker").label) == ["1"]


def test_live_protocol_prompts_and_hinge_dominance(qtbot, tmp_path):
    from acquisition.protocol import load_protocol
    from acquisition.setups import find_setup
    from emgkit.io.writer import create_session
    from emgkit.model import Device, load_montage
    from emgkit.viewer.stream import simulated_session_source

    montage = load_montage(find_setup("cyton8-posterior-chain", "montage"))
    out = tmp_path / "proto.h5"
    create_session(out, "S01", Device("simulated", 1000.0, 24.0), montage)
    win = _live(qtbot, simulated_session_source(montage, 1000.0), montage, session_path=out,
                protocol=load_protocol("short"), window_s=2.0)
    qtbot.waitUntil(lambda: "Space = start" in win.prompt.text(), timeout=3000)
    assert "[1/" in win.prompt.text()
    seen = set()
    for _ in range(12):
        win._answer("go")
        qtbot.wait(100)
        seen.add(win.task_name)
        if win.task_name == "hinge":
            qtbot.waitUntil(lambda: win.dominance.isVisible(), timeout=2000)
            assert "low-back dominance" in win.dominance.text()
            break
        qtbot.waitUntil(lambda: win.task_name is None or "Space" in win.prompt.text(),
                        timeout=4000)
    assert "hinge" in seen
    win.close()
    with SessionFile(out) as sf:
        tasks = [i.task.name for i in sf.trial_infos()]
    assert tasks[:2] == ["rest", "mvc"] and "hinge" in tasks


def test_live_on_the_cyton_emulator(qtbot):
    pytest.importorskip("brainflow")
    from acquisition.emulator import make_emulator
    from acquisition.setups import find_setup
    from acquisition.sources import open_source
    from acquisition.sources.brainflow_source import silence_brainflow
    from emgkit.model import load_montage

    silence_brainflow()
    montage = load_montage(find_setup("cyton8-posterior-chain", "montage"))
    with make_emulator("cyton") as emu:
        src = open_source("cyton", montage.numbers, serial_port=emu.port)
        win = _live(qtbot, src, montage, window_s=2.0)
        qtbot.waitUntil(lambda: win.processor.n_samples >= 500, timeout=15000)
        qtbot.waitUntil(lambda: win.frames_drawn > 5, timeout=3000)
        img = image_array(win.stack)
        for j in range(len(montage.channels)):
            assert curve_pixels(win.stack, j, img) > 50, j
        win.close()
    assert win.feed.error is None


def test_trace_item_bounds_and_buffer(qtbot):
    """The live/review curves: bounds as given (no per-paint search), buffer reused."""
    import pyqtgraph as pg

    from emgkit.viewer.channels import TraceItem

    w = pg.PlotWidget()
    qtbot.addWidget(w)
    item = TraceItem(pg.mkPen((214, 39, 40)))
    w.addItem(item)
    x = np.linspace(0.0, 10.0, 2048)
    y = np.sin(x)
    item.set_data(x, y, -1.0, 1.0)
    r = item.boundingRect()
    assert (r.left(), r.right(), r.top(), r.bottom()) == (0.0, 10.0, -1.0, 1.0)
    buf = item._xy
    item.set_data(x[:100], 2 * y[:100], -2.0, 2.0)  # shorter: same buffer
    assert item._xy is buf
    np.testing.assert_array_equal(item.data()[1], 2 * y[:100])
    item.set_data(x[:10], np.zeros(10), 0.0, 0.0)  # flat: still a non-empty rect
    assert not item.boundingRect().isEmpty()
    w.setXRange(0, 1, padding=0)
    w.setYRange(-1, 1, padding=0)
    w.resize(300, 200)
    w.show()
    qtbot.waitExposed(w)
    red = np.array((214, 39, 40), np.uint8)
    qtbot.waitUntil(lambda: np.all(image_array(w) == red, axis=-1).sum() >= 5, timeout=2000)
    item.set_data(x, y, -1.0, 1.0)
    qtbot.waitUntil(lambda: np.all(image_array(w) == red, axis=-1).sum() > 200, timeout=2000)
