"""Amplitude scales, --config, task colours, low-back words and layering of the viewer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emgkit.viewer.display import (
    ROW_MARGIN,
    TASK_COLOURS,
    common_ranges,
    low_back_text,
    needed_span,
    nice_span,
)
from tests.viewer.conftest import image_array

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")

ROOT = Path(__file__).resolve().parents[2]


def test_nice_spans_and_common_ranges():
    assert [nice_span(x) for x in (0.9, 1.0, 1.2, 2.9, 4.0, 6.1, 130.0, 7600.0)] == \
        [1.0, 1.0, 1.5, 3.0, 5.0, 7.5, 150.0, 10000.0]
    assert nice_span(float("nan")) == 1.0
    lo, hi = np.array([-30.0, 990.0]), np.array([50.0, 1010.0])
    assert needed_span("raw", lo, hi) == 80.0
    assert needed_span("filtered", lo, hi) == 2020.0
    r = common_ranges("raw", lo, hi, 100.0)
    m = ROW_MARGIN * 100.0
    np.testing.assert_allclose(r, [[-40 - m, 60 + m], [950 - m, 1050 + m]])
    np.testing.assert_allclose(common_ranges("filtered", lo, hi, 100.0), [[-50 - m, 50 + m]] * 2)
    np.testing.assert_allclose(common_ranges("envelope", lo, hi, 100.0), [[-m, 100 + m]] * 2)


@pytest.mark.parametrize(("dominance", "word"), [(0.87, "hip-driven"), (1.0, "balanced"),
                                                  (1.2, "back-driven")])
def test_low_back_words_are_the_analysis_ones(qtbot, dominance, word):
    from emgkit.analysis.indices import low_back_word
    from emgkit.viewer.live_window import dominance_html

    assert low_back_text(dominance)[0] == word == low_back_word(dominance)
    html = dominance_html(dominance, True)
    assert f"{dominance:.2f}: {word}" in html and "0.9-1.1" in html
    assert low_back_text(dominance)[1] in html


def test_task_colours_are_the_reports():
    from emgkit.analysis.palette import task_rgb
    from emgkit.report.figures import COLORS

    assert TASK_COLOURS == {t: task_rgb(t) for t in COLORS}
    assert set(TASK_COLOURS) >= {"hinge", "squat"}


def _row_extent(stack, j, img) -> int:
    """Pixel rows of row ``j``'s plot area that hold its curve colour."""
    r = stack.channel_rect(j)
    area = img[max(r.top(), 0):r.bottom(), max(r.left(), 0):r.right()]
    rows = np.all(area == np.array(stack.colors[j], np.uint8), axis=-1).any(axis=1)
    return int(rows.sum())


def _open(qtbot, path, **kw):
    from emgkit.viewer.review_window import ReviewWindow

    win = ReviewWindow(path, **kw)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(win.analysis_ready, timeout=30000)
    assert win.analysis_error is None
    return win


def _select_task(win, task):
    row = next(i for i, info in enumerate(win.data.infos) if info.task.name == task)
    win.select_trial(row)
    return win.data.current


def test_review_scales_common_then_per_row(qtbot, session_h5):
    win = _open(qtbot, session_h5)
    stack, n = win.stack, len(win.stack.plots)
    assert stack.scale == "common"  # the default
    for view, unit in (("filtered", "µV"), ("raw", "µV"), ("envelope", "% MVC")):
        win.set_view(view)
        axes = [p.getAxis("left") for p in stack.plots]
        assert all(ax.isVisible() and ax.labelText == unit for ax in axes), view
        spans = {round(stack.y_range(j)[1] - stack.y_range(j)[0], 6) for j in range(n)}
        want = win.data.spans[view] * (1 + 2 * ROW_MARGIN)
        assert spans == {round(want, 6)}, view  # one span, the session's
        for j, ax in enumerate(axes):  # each axis shows its row's range
            assert ax.range == pytest.approx(list(stack.y_range(j)))
    win.set_view("filtered")
    ranges = {stack.y_range(j) for j in range(n)}
    assert len(ranges) == 1 and next(iter(ranges))[0] < 0 < next(iter(ranges))[1]
    # The session's span: a rest trial stays small in its rows, an MVC fills them.
    _select_task(win, "mvc")
    qtbot.wait(50)
    mvc_img = image_array(stack)
    mvc = max(_row_extent(stack, j, mvc_img) for j in range(n))
    mvc_range = stack.y_range(0)
    _select_task(win, "rest")
    qtbot.wait(50)
    rest_img = image_array(stack)
    rest = max(_row_extent(stack, j, rest_img) for j in range(n))
    assert stack.y_range(0) == mvc_range
    assert mvc > 0.5 * stack.channel_rect(0).height() and rest * 4 < mvc, (rest, mvc)
    # Per row (A): each row fitted to the rest trial's own signal fills it.
    win.next_scale()
    assert stack.scale == "row" and win.scale_box.currentText() == "per row"
    qtbot.wait(50)
    img = image_array(stack)
    assert all(_row_extent(stack, j, img) > 0.5 * stack.channel_rect(j).height()
               for j in range(n))
    assert len({stack.y_range(j) for j in range(n)}) > 1
    win.next_scale()
    assert stack.scale == "common" and stack.y_range(0) == mvc_range
    win.close()


CONFIG = """
[envelope]
window_s = 0.1

[normalisation]
mvc_reference = "peak"
"""


def test_review_uses_the_config_as_process_does(qtbot, session_h5, tmp_path):
    import json

    import pandas as pd

    from emgkit.analysis.files import load_config
    from emgkit.cli.main import main
    from emgkit.viewer.session_data import ReviewData

    toml = tmp_path / "c.toml"
    toml.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "metrics.csv"
    assert main(["process", str(session_h5), "--config", str(toml), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    data = ReviewData(session_h5, load_config(toml))
    default = ReviewData(session_h5)
    try:
        an = data.run_analysis()
        default.run_analysis()
        record = json.loads((tmp_path / "metrics.provenance.json").read_text("utf-8"))
        process_ref = record["inputs"][0]["reference_uv"]  # the MVC references of process
        np.testing.assert_allclose(an.metrics.reference_uv,
                                   [process_ref[c] for c in data.montage.names], rtol=1e-6)
        assert not np.allclose(an.metrics.reference_uv, default.analysis.metrics.reference_uv,
                               rtol=0.01)
        names = list(data.montage.names)
        hinge = [i for i in data.infos if i.task.name in ("hinge", "squat")]
        assert hinge
        for info in hinge:
            tv = data.select(info.id)
            shown = data.envelope_shown(tv)  # what the envelope view draws, % MVC
            assert data.unit("envelope") == "% MVC"
            rows = table[table.trial == info.id]
            assert tv.reps and len(tv.reps) == rows.rep.max()
            for k, (a, b) in enumerate(tv.reps):
                got = data.rep_metrics(k)
                sel = rows[rows.rep == k + 1].set_index("channel").sort_index()
                mean = np.array([m for _, m, _ in got])
                peak = np.array([p for _, _, p in got])
                np.testing.assert_allclose(mean, sel.mean_pct_mvc.to_numpy(), rtol=1e-6)
                np.testing.assert_allclose(peak, sel.peak_pct_mvc.to_numpy(), rtol=1e-6)
                np.testing.assert_allclose(shown[a:b].mean(axis=0, dtype=np.float64),
                                           sel.mean_pct_mvc.to_numpy(), rtol=1e-6)
                assert [g[0] for g in got] == names
    finally:
        data.close()
        default.close()


def test_view_command_takes_config(qtbot, session_h5, tmp_path):
    from emgkit.cli.main import main

    toml = tmp_path / "c.toml"
    toml.write_text(CONFIG, encoding="utf-8")
    png = tmp_path / "r.png"
    assert main(["view", str(session_h5), "--config", str(toml), "--scale", "row",
                 "--screenshot", str(png), "--seconds", "0"]) == 0
    assert png.stat().st_size > 10000
    bad = tmp_path / "bad.toml"
    bad.write_text("[envelope]\nwindow_s = -1\n", encoding="utf-8")
    assert main(["view", str(session_h5), "--config", str(bad)]) == 2


def _imported(argv_code: list[str], tmp_path) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([sys.executable, "-X", "importtime", *argv_code], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return [line.split("|")[-1].strip() for line in res.stderr.splitlines()
            if line.startswith("import time:")]


def test_review_module_imports_nothing_from_acquisition(session_h5, tmp_path):
    png = tmp_path / "x.png"
    code = ("import argparse, sys; from emgkit.cli import cmd_view; "
            "p = argparse.ArgumentParser(); cmd_view.add_arguments(p); "
            f"sys.exit(cmd_view.run(p.parse_args([{str(session_h5)!r}, '--screenshot', "
            f"{str(png)!r}, '--seconds', '0'])))")
    mods = _imported(["-c", code], tmp_path)
    assert "emgkit.viewer.review_window" in mods and png.exists()
    assert [m for m in mods if m.split(".")[0] == "acquisition"] == []


def test_emgkit_view_review_imports_nothing_from_acquisition(session_h5, tmp_path):
    png = tmp_path / "x.png"
    mods = _imported(["-m", "emgkit", "view", str(session_h5), "--screenshot", str(png),
                      "--seconds", "0"], tmp_path)
    assert "emgkit.viewer.review_window" in mods and png.exists()
    assert [m for m in mods if m.split(".")[0] == "acquisition"] == []


def test_live_scale_toggle_and_axes(qtbot):
    from acquisition.setups import find_setup
    from emgkit.model import load_montage
    from emgkit.viewer.live_window import LiveWindow
    from emgkit.viewer.stream import simulated_session_source

    montage = load_montage(find_setup("cyton8-posterior-chain", "montage"))
    win = LiveWindow(simulated_session_source(montage, 1000.0), montage, window_s=4.0)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    stack = win.stack
    qtbot.waitUntil(lambda: win.frames_drawn > 10, timeout=5000)
    n = len(stack.plots)
    assert stack.scale == "common"
    assert all(p.getAxis("left").isVisible() and p.getAxis("left").labelText == "µV"
               for p in stack.plots)
    assert len({stack.y_range(j) for j in range(n)}) == 1  # filtered: one range
    win.next_scale()
    assert stack.scale == "row"
    qtbot.waitUntil(lambda: len({stack.y_range(j) for j in range(n)}) > 1, timeout=3000)
    win.set_scale("common")
    qtbot.waitUntil(lambda: len({stack.y_range(j) for j in range(n)}) == 1, timeout=3000)
    win.close()
