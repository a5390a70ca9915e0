"""Fixtures of the viewer tests: a simulated session file, pixel helpers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("pyqtgraph")


@pytest.fixture(scope="session")
def session_h5_truth(tmp_path_factory):
    """A simulated lab session (rest, MVCs, hinge, squat) at 1 kHz with repetitions, and
    its :class:`~emgkit.simulate.SessionTruth`."""
    from emgkit.io.writer import write_session
    from emgkit.simulate import simulate_session

    path = tmp_path_factory.mktemp("viewer") / "session.h5"
    session, truth = simulate_session(None, 1000.0, seed=3, markers=True)
    write_session(path, session)
    return path, truth


@pytest.fixture(scope="session")
def session_h5(session_h5_truth):
    """The path of :func:`session_h5_truth`'s session file."""
    return session_h5_truth[0]


def image_array(widget) -> np.ndarray:
    """The widget rendered now, as ``(h, w, 3)`` uint8 RGB."""
    from PySide6 import QtGui

    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def curve_pixels(stack, j: int, img: np.ndarray | None = None) -> int:
    """Pixels of channel ``j``'s curve colour inside its plot area."""
    img = image_array(stack) if img is None else img
    r = stack.channel_rect(j)
    area = img[max(r.top(), 0):r.bottom(), max(r.left(), 0):r.right()]
    return int(np.all(area == np.array(stack.colors[j], np.uint8), axis=-1).sum())
