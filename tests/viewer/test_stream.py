"""The viewer's live data path without Qt: ring buffer, frames, markers, references."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acquisition.sources import Block
from emgkit.core import process_trial_emg
from emgkit.simulate import default_montage
from emgkit.viewer.stream import LiveProcessor, percent_of_reference, regions_of


def _block(x, marker=None):
    n = x.shape[0]
    return Block(x, np.arange(n) % 256, np.zeros(n), None, marker)


def test_ring_holds_the_causal_core_output_for_any_blocking(rng):
    montage = default_montage("cyton")
    fs = 1000.0
    x = rng.standard_normal((40000, len(montage.channels))).astype(np.float32) * 50
    lp = LiveProcessor(fs, montage, mains_hz=50.0)
    i = 0
    for n in (7, 1000, 333, 12000, 1, 26659):
        lp.process([_block(x[i:i + n])])
        i += n
    assert lp.n_samples == x.shape[0]
    env, filt = process_trial_emg(x, fs, regions_of(montage), causal=True, mains_hz=50.0,
                                  return_filtered=True)
    assert_allclose(lp.last("envelope", 5000), env[-5000:], rtol=1e-4, atol=1e-3)
    assert_allclose(lp.last("filtered", 30001), filt[-30001:], rtol=1e-4, atol=1e-3)
    assert_allclose(lp.last("raw", 100), x[-100:])


def test_frame_is_decimated_to_the_plot_width_and_keeps_markers(rng):
    montage = default_montage("cyton")
    lp = LiveProcessor(2000.0, montage)
    x = rng.standard_normal((24000, 8)).astype(np.float32)
    x[23000, 2] = 1000.0  # a spike must survive decimation
    marker = np.zeros(24000)
    marker[22000] = 3
    lp.process([_block(x, marker)])
    lp.request("raw", 10.0, 500)
    f = lp.build_frame()
    assert f.y.shape == (1000, 8) and f.t_s.shape == (1000,)
    assert f.t_s[0] == -10.0 + 1 / 2000.0 and f.t_s[-1] <= 0
    assert f.y[:, 2].max() == 1000.0
    assert f.markers == [(-1999 / 2000.0, "3")]
    assert np.isnan(f.pct_mvc).all() and f.dominance is not None


def test_mvc_tracking_raises_the_reference_and_bars_follow():
    montage = default_montage("cyton")
    lp = LiveProcessor(1000.0, montage, reference_uv=np.full(8, 10.0))
    lp.track_mvc(True)
    lp.process([_block(np.full((3000, 8), 0, np.float32))])
    t = np.arange(3000) / 1000.0
    lp.process([_block((np.sin(2 * np.pi * 80 * t)[:, None] * 100).astype(np.float32)
                       .repeat(8, axis=1))])
    assert (lp.reference_uv > 50).all()
    pct = percent_of_reference(np.full(8, 35.0), lp.reference_uv)
    assert ((pct > 30) & (pct < 70)).all()
    assert np.isnan(percent_of_reference(np.ones(2), np.array([np.nan, 0.0]))).all()


@pytest.mark.parametrize("reference", ["plateau_mean", "peak"])
def test_live_mvc_reference_equals_the_offline_reading(rng, reference):
    """Tracked block by block, the reference is the core's reading of the whole (causal)
    envelope: the default highest 1 s mean, or the highest value."""
    from emgkit.core import StreamingProcessor, mvc_reference
    from emgkit.model.config import NormalisationConfig

    fs, montage = 1000.0, default_montage("cyton")
    cfg = NormalisationConfig(mvc_reference=reference)
    t = np.arange(int(6 * fs)) / fs
    level = np.clip(np.sin(np.pi * t / 6.0) * 1.3, 0, 1)[:, None] * np.arange(1, 9)
    x = (rng.standard_normal((t.size, 8)) * 50 * level).astype(np.float32)
    lp = LiveProcessor(fs, montage, normalisation=cfg)
    lp.track_mvc(True)
    cuts = np.sort(rng.choice(np.arange(1, t.size), 40, replace=False))
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, t.size]):
        lp.process([_block(x[a:b])])
    env = StreamingProcessor(fs, regions_of(montage)).process(x).envelope
    want = mvc_reference([env.astype(np.float32)], cfg, fs)
    np.testing.assert_allclose(lp.reference_uv, want, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")
def test_frame_columns_are_anchored_and_reused_correctly(rng):
    """Frame by frame (the worker reuses the previous frame's complete columns) or afresh
    (after a frame of another view), the columns equal the core's reduction of the whole
    stream, past the ring's wrap."""
    from emgkit.core import anchored_minmax, complete_columns

    montage = default_montage("cyton")
    for fs, window_s, width, view in ((2000.0, 10.0, 1023, "raw"), (250.0, 2.0, 700, "raw"),
                                      (500.0, 30.0, 640, "envelope")):
        x = rng.standard_normal((int(fs * 40), 8)).astype(np.float32)
        lp = LiveProcessor(fs, montage)
        lp.request(view, window_s, width)
        spp = round(window_s * fs) / width
        # Causal: the whole stream's output, cut at any sample, is what the worker saw.
        whole = x if view == "raw" else process_trial_emg(x, fs, regions_of(montage),
                                                          causal=True)
        i, k = 0, 0
        while i < x.shape[0]:
            n = int(rng.choice([1, 13, int(fs / 60), int(fs / 2)]))
            lp.process([_block(x[i:i + n])])
            i += n
            k += 1
            if k % 3 and i < x.shape[0]:
                continue  # frames skipped: several new columns at once
            if k % 7 == 0:  # a frame of another view: the next one starts afresh
                lp.request("filtered", window_s, width)
                lp.build_frame()
                lp.request(view, window_s, width)
            f = lp.build_frame()
            assert f.y.shape == (2 * width, 8) and f.t_s.shape == (2 * width,)
            assert f.last_column == complete_columns(lp.n_samples, spp) - 1
            first = max(f.last_column - width + 1, 0)  # NaN before sample 0
            ref = anchored_minmax(whole[:lp.n_samples], 0, spp, first,
                                  f.last_column - first + 1)
            tail = f.y[2 * (first - f.last_column + width - 1):]
            if view == "raw":
                np.testing.assert_array_equal(tail, ref)
            else:
                assert_allclose(tail, ref, rtol=1e-4, atol=1e-3)
            assert np.isnan(f.y[:2 * (first - f.last_column + width - 1)]).all()
            if np.isnan(f.y).all():  # no complete column yet
                assert np.isnan(f.y_lo).all() and np.isnan(f.y_hi).all()
            else:
                assert_allclose(f.y_lo, np.nanmin(f.y, axis=0))
                assert_allclose(f.y_hi, np.nanmax(f.y, axis=0))
