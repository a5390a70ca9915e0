"""The analysis of trials left on disk equals the whole-trial analysis in memory.

A stored session read with every trial on disk (``read_session(in_memory_bytes=0)``) goes
through the analysis a few channels at a time from scratch arrays; its metrics must be
those of the same session held in memory, to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.analysis.metrics import analyse_session
from emgkit.analysis.quality import session_quality
from emgkit.core.quality import assess_quality, assess_segments, segment_bounds
from emgkit.io.reader import SessionFile, StoredEMG
from emgkit.io.scratch import Scratch
from emgkit.io.writer import write_session
from emgkit.model.config import EnvelopeConfig, FilterConfig, ProcessingConfig
from emgkit.simulate import default_montage, simulate_session

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")

FIELDS = ("mean", "peak", "mean_uv", "peak_uv", "iemg_s", "time_to_peak_pct", "onset_s",
          "offset_s", "median_freq_hz", "mean_freq_hz", "curve_mean", "curve_sd", "curves")


@pytest.fixture(scope="module", params=[(250.0, 0), (1000.0, 1), (2000.0, 2)],
                ids=["250Hz", "1kHz", "2kHz"])
def stored(request, tmp_path_factory):
    fs, seed = request.param
    session, _ = simulate_session(default_montage("cyton-daisy" if fs > 250 else "cyton"), fs,
                                  seed=seed, subject=f"B{seed}")
    path = tmp_path_factory.mktemp("blockwise") / "s.h5"
    write_session(path, session)
    return path


def _analyse(path, in_memory_bytes, cfg=None):
    cfg = ProcessingConfig() if cfg is None else cfg
    with SessionFile(path) as sf:
        session = sf.read_session(in_memory_bytes=in_memory_bytes)
        qualities = session_quality(sf, cfg.quality)
    with Scratch() as scratch:
        return analyse_session(session, cfg, name="s", qualities=qualities, scratch=scratch)


OTHER_CHAINS = {
    # trunk channels filtered whole within the blocked chain
    "template": ProcessingConfig(filter=FilterConfig(ecg_method="template")),
    # whole channels a few at a time through process_trial_emg
    "linear": ProcessingConfig(envelope=EnvelopeConfig(method="linear")),
}


@pytest.mark.parametrize("chain", [None, *OTHER_CHAINS])
def test_trials_on_disk_give_the_whole_trial_metrics(stored, chain):
    cfg = OTHER_CHAINS.get(chain)
    whole = _analyse(stored, None, cfg)
    disk = _analyse(stored, 0, cfg)
    assert all(isinstance(t.emg_uv, StoredEMG) for t in disk.session.trials)
    np.testing.assert_allclose(disk.reference_uv, whole.reference_uv, rtol=1e-6)
    assert [c.to_dict() for c in disk.chains] == [c.to_dict() for c in whole.chains]
    for a, b in zip(disk.trials, whole.trials):
        assert a.reps == b.reps and a.qc_flags == b.qc_flags
        for name in FIELDS:
            x, y = getattr(a, name), getattr(b, name)
            scale = np.nanmax(np.abs(y)) if np.isfinite(y).any() else 1.0
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6 * scale, equal_nan=True,
                                       err_msg=f"{a.trial.id} {name}")


def test_quality_beside_the_filtering_changes_nothing(stored, monkeypatch):
    """Judged in a thread beside the filtering (two CPUs), as the file's analysis does, the
    session's metrics are those of quality judged first, bit for bit."""
    from emgkit.core import parallel

    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    cfg = ProcessingConfig()
    with SessionFile(stored) as sf, Scratch() as s1, Scratch() as s2:
        session = sf.read_session(in_memory_bytes=0)
        first = analyse_session(session, cfg, qualities=session_quality(sf, cfg.quality),
                                scratch=s1)
        beside = analyse_session(session, cfg, scratch=s2,
                                 qualities=lambda: session_quality(sf, cfg.quality))
    np.testing.assert_array_equal(beside.reference_uv, first.reference_uv)
    for a, b in zip(beside.trials, first.trials):
        assert a.reps == b.reps and a.qc_flags == b.qc_flags
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name),
                                          err_msg=f"{a.trial.id} {name}")


def test_stored_emg_reads_like_the_array(stored):
    with SessionFile(stored) as sf:
        tid = sf.trial_ids[-1]
        full = sf.read_emg(tid)
        lazy = sf.read_session(in_memory_bytes=0).trial(tid).emg_uv
    assert lazy.shape == full.shape and lazy.dtype == np.float32
    np.testing.assert_array_equal(lazy[10:500], full[10:500])
    np.testing.assert_array_equal(lazy[:, 3], full[:, 3])
    np.testing.assert_array_equal(lazy[5:50, 1:4], full[5:50, 1:4])
    np.testing.assert_array_equal(np.asarray(lazy), full)
    np.testing.assert_array_equal(np.vstack([b for _, b in lazy.blocks(1000)]), full)


def test_scratch_folder_is_removed(tmp_path):
    with Scratch(tmp_path) as s:
        a = s.array("t/env", (100, 3))
        a[:, 1:3] = 1.0
        folder = s.path.parent
        assert folder.exists()
    assert not folder.exists()


def test_segment_bounds_are_whole_windows():
    assert segment_bounds(1000, 10.0, 60.0, 0.25).tolist() == [0, 500, 1000]
    assert segment_bounds(599, 10.0, 60.0, 0.25).tolist() == [0, 599]
    b = segment_bounds(150_001, 1000.0, 60.0, 0.25)
    assert b[0] == 0 and b[-1] == 150_001 and len(b) == 4
    assert all(v % 250 == 0 for v in b[1:-1])


@pytest.fixture(scope="module")
def long_trial():
    """150 s of a simulated hinge set at 1 kHz (8 channels), and the MVC-free montage."""
    session, _ = simulate_session(default_montage("cyton"), 1000.0, seed=3, subject="Q")
    hinge = next(t for t in session.trials if t.task.name == "hinge")
    reps = -(-150_000 // hinge.n_samples)
    return np.tile(hinge.emg_uv, (reps, 1))[:150_000]


def test_one_segment_is_assess_quality(long_trial):
    x = long_trial[:40_000]
    whole = assess_quality(x, 1000.0, mains_hz=50.0)
    seg = assess_segments(lambda a, b: x[a:b], x.shape[0], x.shape[1], 1000.0, mains_hz=50.0)
    assert seg.flags == whole.flags
    for name in ("sd_uv", "dead_fraction", "spectral_flatness", "modulation_db", "motion_uv",
                 "ecg_fraction", "band_rms_uv", "mains_ratio"):
        np.testing.assert_array_equal(getattr(seg, name), getattr(whole, name), err_msg=name)


def test_threads_do_not_change_the_report(long_trial, monkeypatch):
    """Segments judged side by side in threads give the report of one thread, exactly
    (mains detected on the first segment, as for a file that does not state it)."""
    from dataclasses import fields

    from emgkit.core import parallel
    from emgkit.core.quality import QualityReport

    monkeypatch.setattr(parallel, "cpu_count", lambda: 4)
    x = long_trial

    def judge(threads):
        with parallel.limit_threads(threads):
            return assess_segments(lambda a, b: x[a:b], x.shape[0], x.shape[1], 1000.0,
                                   block_samples=2 * 50_000)

    one, three = judge(1), judge(3)
    for f in fields(QualityReport):
        a, b = getattr(one, f.name), getattr(three, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f.name)
        else:
            assert a == b, f.name


def test_segments_combine_to_the_whole_trial(long_trial):
    """Judged in 3 segments (and channel groups of 2) as if whole: the same flags, and
    measures equal to the whole-trial ones within the stated tolerances."""
    x = long_trial.copy()
    x[60_000:100_000, 1] = 0.0  # one channel dead for 40 of 150 s
    whole = assess_quality(x, 1000.0, mains_hz=50.0)
    seg = assess_segments(lambda a, b: x[a:b], x.shape[0], x.shape[1], 1000.0, mains_hz=50.0,
                          block_samples=2 * 50_000)
    assert seg.flags == whole.flags
    for name in ("dead_fraction", "clipping_fraction", "n_spikes"):
        np.testing.assert_allclose(getattr(seg, name), getattr(whole, name), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    live = [0, 2, 3, 4, 5, 6, 7]  # the window RMS series join exactly where no step is
    np.testing.assert_allclose(seg.modulation_db[live], whole.modulation_db[live], rtol=1e-6)
    # the dead stretch's step edges ring differently with each segment's mean removed,
    # and both read as a strongly modulated channel
    assert seg.modulation_db[1] > 40 and whole.modulation_db[1] > 40
    np.testing.assert_allclose(seg.sd_uv, whole.sd_uv, rtol=1e-9)
    np.testing.assert_allclose(seg.dead_fraction[1], 40 / 150, rtol=1e-12)
    # the spectrum leaves out the Welch segments that straddle two segments (2 of ~300)
    np.testing.assert_allclose(seg.band_rms_uv[live], whole.band_rms_uv[live], rtol=0.02)
    np.testing.assert_allclose(seg.spectral_flatness[live], whole.spectral_flatness[live],
                               rtol=0.01)
    np.testing.assert_allclose(seg.motion_uv[live], whole.motion_uv[live], rtol=0.02,
                               atol=1e-9)
