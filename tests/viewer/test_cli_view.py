"""``emgkit view`` with ``--screenshot``: the same windows, saved and checked."""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.cli.main import main


def _png(path):
    from PySide6 import QtGui

    img = QtGui.QImage(str(path))
    assert not img.isNull()
    return img


def test_view_review_screenshot(qtbot, session_h5, tmp_path):
    from emgkit.viewer.display import TASK_COLOURS

    png = tmp_path / "review.png"
    # --seconds 0: the screenshot still waits for the analysis (the ensemble curves).
    assert main(["view", str(session_h5), "--screenshot", str(png), "--seconds", "0"]) == 0
    img = _png(png)
    assert img.width() >= 1000
    colors = {img.pixelColor(x, y).getRgb()[:3] for x in range(300, img.width(), 7)
              for y in range(40, img.height() - 200, 7)}
    assert (214, 39, 40) in colors  # right-side curve colour drawn
    bottom = {img.pixelColor(x, y).getRgb()[:3] for x in range(0, img.width(), 2)
              for y in range(img.height() // 2, img.height(), 2)}
    assert TASK_COLOURS["squat"] in bottom  # the squat ensemble (no trace has its colour)


def test_view_live_simulated_screenshot(qtbot, tmp_path):
    png = tmp_path / "live.png"
    rc = main(["view", "--live", "--board", "simulated", "--montage", "cyton8-posterior-chain",
               "--screenshot", str(png), "--seconds", "1"])
    assert rc == 0 and _png(png).width() >= 1000


@pytest.mark.parametrize("argv, msg", [
    (["view"], "either a SESSION.h5"),
    (["view", "--live", "--board", "simulated"], "--montage"),
    (["view", "x.h5", "--live", "--board", "cyton"], "either"),
    (["view", "--live", "--board", "simulated", "--montage", "m", "--protocol", "short"],
     "--out"),
])
def test_view_usage_errors(argv, msg, capsys):
    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_help_does_not_import_qt():
    import subprocess
    import sys

    code = ("import sys; from emgkit.cli.main import build_parser; build_parser(); "
            "print('PySide6' in sys.modules, 'pyqtgraph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert np.isfinite(1.0)
