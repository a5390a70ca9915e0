"""Both viewer windows driven with pytest-qt (offscreen): content drawn, labels, recording."""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.io.reader import SessionFile
from emgkit.viewer.channels import channel_title
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
    win.select_rep(2)
    assert win.rep == 2 and win.metrics.rowCount() == len(data.montage.channels)
    assert float(win.metrics.item(0, 2).text()) > 0
    win.select_trial(0)  # the rest trial: no repetitions
    assert data.current.info.task.name == "rest" and win.stack._regions[0] == []
    assert "no repetitions" in win.metrics_title.text()
    win.help.toggle()
    assert win.help.isVisible()
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
