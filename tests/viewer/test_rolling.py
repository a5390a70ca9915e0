"""The live traces' roll drawing: only new columns drawn, same picture as a full redraw."""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.sources import Block
from emgkit.simulate import default_montage
from emgkit.viewer.channels import ChannelStack
from emgkit.viewer.stream import LiveProcessor
from tests.viewer.conftest import curve_pixels, image_array

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")


def _block(x):
    n = x.shape[0]
    return Block(x, np.arange(n) % 256, np.zeros(n), None, None)


def _stack(qtbot, montage, window_s, size=(900, 600)):
    stack = ChannelStack(montage, bars=True, rolling=True)
    qtbot.addWidget(stack)
    stack.resize(*size)
    stack.show()
    qtbot.waitExposed(stack)
    stack.set_x_range(-window_s, 0)
    return stack


def _draw(stack, frame):
    stack.set_columns(frame.y, frame.last_column, frame.y_lo, frame.y_hi,
                      (frame.view, frame.window_s))


def _images(stack):
    return [stack.rolling.image(j).copy() for j in range(len(stack.plots))]


def _signal(rng, n, n_ch, fs):
    """Noise with bursts (the y ranges grow and shrink) and a slow wave (connections)."""
    t = np.arange(n) / fs
    x = rng.standard_normal((n, n_ch)) * 20 + 60 * np.sin(2 * np.pi * 0.7 * t)[:, None]
    x *= 1 + 4 * (np.sin(2 * np.pi * 0.13 * t) > 0.8)[:, None]
    return x.astype(np.float32)


@pytest.mark.parametrize(("fs", "window_s", "view"),
                         [(2000.0, 4.0, "filtered"), (250.0, 2.0, "raw")])
def test_roll_equals_a_full_redraw_pixel_for_pixel(qtbot, rng, fs, window_s, view):
    """Frame by frame (new columns only) gives exactly the picture of one full redraw.

    Pixel-exact, on the images and on the screen, from the stream's start (columns
    without data yet), with frames skipped (several columns new at once), rescaled
    channels (a full redraw of that channel), and fewer samples than columns (250 Hz).
    """
    montage = default_montage("cyton")
    n_ch = len(montage.channels)
    stack = _stack(qtbot, montage, window_s)
    lp = LiveProcessor(fs, montage)
    lp.request(view, window_s, stack.plot_width_px())
    x = _signal(rng, int(fs * 3 * window_s), n_ch, fs)
    i = 0
    rolls0 = stack.rolling.rolls
    while i < x.shape[0]:
        n = int(rng.choice([1, 7, int(fs / 60), int(fs / 60), int(fs / 5)]))
        lp.process([_block(x[i:i + n])])
        i += n
        _draw(stack, lp.build_frame())
    assert stack.rolling.rolls - rolls0 > 50 and stack.rolling.full_redraws == 1
    qtbot.wait(20)
    rolled, screen = _images(stack), image_array(stack)
    stack.rolling.invalidate()
    _draw(stack, lp.build_frame())  # the same columns, drawn from scratch
    assert stack.rolling.full_redraws == 2
    qtbot.wait(20)
    for j, img in enumerate(_images(stack)):
        np.testing.assert_array_equal(rolled[j], img, err_msg=f"channel {j}")
        color = np.uint32(0xFF000000 | (stack.colors[j][0] << 16) | (stack.colors[j][1] << 8)
                          | stack.colors[j][2])
        assert (img == color).sum() > 300, j  # the image shows a trace
    np.testing.assert_array_equal(screen, image_array(stack))
    # The image is copied 1:1 onto the plot area.
    r = stack.channel_rect(0)
    img = stack.rolling.image(0)
    rgb = np.stack([(img >> 16) & 255, (img >> 8) & 255, img & 255], axis=-1).astype(np.uint8)
    on_screen = screen[r.top():r.top() + img.shape[0], r.left():r.left() + img.shape[1]]
    np.testing.assert_array_equal(on_screen, rgb)


def test_rescale_resize_view_and_window_redraw_everything(qtbot, rng):
    montage = default_montage("cyton")
    fs, n_ch = 1000.0, len(montage.channels)
    stack = _stack(qtbot, montage, 4.0)
    lp = LiveProcessor(fs, montage)
    x = _signal(rng, 12000, n_ch, fs)
    lp.process([_block(x[:6000])])

    def frame(view="raw", window_s=4.0):
        lp.request(view, window_s, stack.plot_width_px())
        return lp.build_frame()

    def check_curves():
        qtbot.wait(20)
        img = image_array(stack)
        for j in range(n_ch):
            assert curve_pixels(stack, j, img) > 200, j

    _draw(stack, frame())
    check_curves()
    full = stack.rolling.full_redraws
    # A burst in channel 2 rescales its row: redrawn with the new range, like from scratch.
    y0 = stack._yr[2]
    burst = x[6000:6100].copy()
    burst[:, 2] *= 50
    lp.process([_block(burst)])
    _draw(stack, frame())
    assert stack._yr[2] != y0 and stack.rolling.full_redraws == full
    rescaled = _images(stack)
    stack.rolling.invalidate()
    _draw(stack, frame())
    for a, b in zip(rescaled, _images(stack)):
        np.testing.assert_array_equal(a, b)
    check_curves()
    # A resize: the images take the new plot size, everything is redrawn.
    full = stack.rolling.full_redraws
    stack.resize(700, 500)
    qtbot.wait(50)
    lp.process([_block(x[6100:6200])])
    _draw(stack, frame())
    assert stack.rolling.full_redraws == full + 1
    vb = stack.plots[0].getViewBox()
    assert stack.rolling.image(0).shape == (round(vb.height()), round(vb.width()))
    check_curves()
    # Another view and another window: redrawn from the frame's columns.
    for view, window_s in (("envelope", 4.0), ("envelope", 2.0), ("filtered", 2.0)):
        full = stack.rolling.full_redraws
        stack.set_x_range(-window_s, 0)
        stack._yr = [(0.0, 0.0)] * n_ch  # as LiveWindow.set_view does
        lp.process([_block(x[6200:6300])])
        _draw(stack, frame(view, window_s))
        assert stack.rolling.full_redraws == full + 1, (view, window_s)
        check_curves()
    # A gap wider than the image: redrawn; a frame with nothing new: nothing drawn.
    full, rolls = stack.rolling.full_redraws, stack.rolling.rolls
    lp.process([_block(x[6300:12000])])
    _draw(stack, frame("filtered", 2.0))
    f = frame("filtered", 2.0)
    _draw(stack, f)
    assert (stack.rolling.full_redraws, stack.rolling.rolls) == (full + 1, rolls)
    check_curves()


def test_live_window_pause_view_and_markers(qtbot):
    from acquisition.setups import find_setup
    from emgkit.model import load_montage
    from emgkit.viewer.live_window import LiveWindow
    from emgkit.viewer.stream import simulated_session_source

    montage = load_montage(find_setup("cyton8-posterior-chain", "montage"))
    win = LiveWindow(simulated_session_source(montage, 1000.0), montage, window_s=2.0)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.stack.rolling.rolls > 10, timeout=5000)
    # Frames roll: only the first one (and nothing since) was drawn from scratch.
    assert win.stack.rolling.full_redraws == 1
    assert win.processor.latest().y.shape[0] == 2 * win.stack.plot_width_px()
    win.toggle_pause()
    drawn = win.frames_drawn
    qtbot.wait(150)
    assert win.frames_drawn == drawn
    win.toggle_pause()
    qtbot.waitUntil(lambda: win.stack.rolling.full_redraws == 2, timeout=2000)
    win.set_view("envelope")
    qtbot.waitUntil(lambda: win.stack.rolling.full_redraws == 3, timeout=2000)
    win.processor.add_marker("x")
    qtbot.waitUntil(lambda: win.stack.marker_lines[0].positions().size == 1, timeout=2000)
    qtbot.wait(100)
    img = image_array(win.stack)
    green = np.all(img == np.array((0, 150, 0), np.uint8), axis=-1)
    for j in range(len(montage.channels)):
        r = win.stack.channel_rect(j)
        assert green[r.top():r.bottom(), r.left():r.right()].sum() > 20, j  # the marker
        assert curve_pixels(win.stack, j, img) > 50, j
    win.close()
