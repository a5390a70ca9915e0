"""The HDF5 session store: round trips per stored type, versions, atomicity."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from emgkit.errors import FormatError
from emgkit.io import schema
from emgkit.io.reader import SessionFile, read_session
from emgkit.io.writer import SessionWriter, create_session, write_session
from emgkit.model import Channel, Device, Events, Montage, Session, Task, Trial
from emgkit.model.muscles import Muscle
from emgkit.model.session import Source

TEST_DATA = Path(__file__).resolve().parent.parent / "data"


def _montage():
    return Montage(
        "rt",
        (
            Channel(1, "semitendinosus", "left", placement="SENIAM ST"),
            Channel(3, "biceps_femoris", "left"),
            Channel(9, "adductor_magnus", "left", label="proximal"),
        ),
        board="cyton-daisy",
        extra_muscles={"adductor_magnus": Muscle("adductor_magnus", ("adductors",))},
    )


def _trial(rng, n=777, **kw):
    return Trial(
        id="x",
        task=kw.pop("task", Task("hinge", variant="romanian_deadlift", load_kg=42.5)),
        fs_hz=125.0,
        emg_uv=rng.normal(0, 100, (n, 3)).astype(np.float32),
        **kw,
    )


@pytest.fixture
def session(rng):
    dev = Device("cyton-daisy", 125.0, gain=24.0, uv_per_count=0.02235, full_scale_uv=187500.0,
                 mains_hz=50.0, firmware="v3.1.2")
    t1 = _trial(
        rng, accel_g=rng.normal(size=(777, 3)).astype(np.float32),
        package_num=(np.arange(777) * 2 % 256).astype(np.int16),
        timestamps_s=1.7e9 + np.arange(777) / 125.0,
        events=Events([0, 10, 500], ["set_start", "gap", "marker"], ["1", "", "é<b>"],
                      [np.nan, 2.0, np.nan]),
        start_time="2026-11-23T10:00:00.000Z",
        source=Source("/data/OpenBCI-RAW-x.txt", "0" * 64, "openbci-gui-v6"),
        notes="first set",
    )
    t2 = _trial(rng, n=5, task=Task("mvc", target="hamstrings"), completed=False)
    t3 = _trial(rng, n=0, task=Task("other:plank"))
    return Session("S-01", dev, _montage(), [t1, t2, t3])


def test_round_trip_every_stored_type(tmp_path, session):
    p = tmp_path / "s.h5"
    write_session(p, session)
    back = read_session(p)
    assert back.subject == session.subject
    assert back.device == session.device
    assert back.montage == session.montage
    assert [t.id for t in back.trials] == ["t001", "t002", "t003"]
    for a, b in zip(session.trials, back.trials):
        assert b.task == a.task
        assert b.fs_hz == a.fs_hz
        assert b.emg_uv.dtype == np.float32
        np.testing.assert_array_equal(b.emg_uv, a.emg_uv)
        for name in ("accel_g", "package_num", "timestamps_s"):
            if getattr(a, name) is None:
                assert getattr(b, name) is None
            else:
                np.testing.assert_array_equal(getattr(b, name), getattr(a, name))
        assert b.events == a.events
        assert b.completed == a.completed
        assert b.source == a.source
        assert b.notes == a.notes
    assert back.trials[0].start_time == "2026-11-23T10:00:00.000Z"
    assert back.trials[0].package_num.dtype == np.int16
    assert back.trials[0].timestamps_s.dtype == np.float64


def test_plain_h5py_layout_matches_docs(tmp_path, session):
    """What docs/session-format.md promises a plain-h5py reader."""
    p = tmp_path / "s.h5"
    write_session(p, session)
    with h5py.File(p, "r") as f:
        assert f.attrs["format"] == "emgkit-session"
        assert f.attrs["format_version"] == 1
        assert f["device"].attrs["fs_hz"] == 125.0
        m = f["montage"][()]
        assert m["number"].tolist() == [1, 3, 9]
        assert m["muscle"][0] == b"semitendinosus"
        emg = f["trials/t001/emg"]
        assert emg.dtype == np.dtype("<f4") and emg.shape == (777, 3)
        assert emg.attrs["unit"] == "uV"
        assert emg.chunks[0] == 125 and emg.compression == "gzip"
        assert f["trials/t001"].attrs["task"] == "hinge"
        assert f["trials/t001"].attrs["load_kg"] == 42.5
        ev = f["trials/t001/events"][()]
        assert ev["kind"].tolist() == [b"set_start", b"gap", b"marker"]


def test_slices_and_events_of_a_slice(tmp_path, session):
    p = tmp_path / "s.h5"
    write_session(p, session)
    with SessionFile(p) as sf:
        t = sf.read_trial("t001", 5, 600)
        np.testing.assert_array_equal(t.emg_uv, session.trials[0].emg_uv[5:600])
        assert t.events.sample.tolist() == [5, 495]
        np.testing.assert_array_equal(sf.read_emg("t001", 10, 20, [2]),
                                      session.trials[0].emg_uv[10:20, [2]])
        info = sf.trial_info("t001")
        assert (info.n_gaps, info.missing_samples, info.has_accel) == (1, 2, True)
        assert sf.validate() == []


def test_kept_v1_file_still_opens():
    """A v1 file written by emgkit 0.1.0 (tests/data/session_v1.h5) must stay readable."""
    s = read_session(TEST_DATA / "session_v1.h5")
    assert s.subject == "V1-fixture"
    assert s.device.board == "cyton" and s.device.fs_hz == 250.0
    assert [c.name for c in s.montage.channels] == ["semitendinosus_right", "biceps_femoris_right"]
    assert [t.task.name for t in s.trials] == ["mvc", "hinge"]
    x = np.arange(500, dtype=np.float32).reshape(250, 2)
    np.testing.assert_array_equal(s.trials[0].emg_uv, x)
    np.testing.assert_array_equal(s.trials[1].emg_uv, -x)
    assert s.trials[1].events.sample.tolist() == [10, 200]
    assert s.trials[0].task.target == "hamstrings"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.attrs.__setitem__("format_version", 2), "newer than this emgkit"),
        (lambda f: f.attrs.__setitem__("format_version", 0), "is unknown"),
        (lambda f: f.attrs.__setitem__("format", "something-else"), "not an emgkit session"),
        (lambda f: f.__delitem__("montage"), "'/montage' is missing"),
    ],
)
def test_unknown_versions_and_broken_files_are_clear_errors(tmp_path, session, mutate, message):
    p = tmp_path / "s.h5"
    write_session(p, session)
    with h5py.File(p, "r+") as f:
        mutate(f)
    with pytest.raises(FormatError, match=message) as e:
        SessionFile(p)
    assert str(p) in str(e.value)


def test_not_hdf5_and_missing(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError, match="not a readable HDF5 file"):
        SessionFile(bad)
    with pytest.raises(FormatError, match="file not found"):
        SessionFile(tmp_path / "none.h5")


def test_appending_never_rewrites_earlier_trials(tmp_path, session, rng):
    p = tmp_path / "s.h5"
    write_session(p, session)
    before = read_session(p).trials[0].emg_uv.copy()
    with SessionWriter(p) as sw:
        tw = sw.begin_trial(Task("squat"), accel=True)
        for _ in range(3):
            tw.append(rng.normal(size=(100, 3)), rng.normal(size=(100, 3)))
            tw.flush()
        tw.close()
    s = read_session(p)
    assert [t.id for t in s.trials] == ["t001", "t002", "t003", "t004"]
    assert s.trials[3].n_samples == 300 and s.trials[3].completed
    np.testing.assert_array_equal(s.trials[0].emg_uv, before)


def test_trial_writer_checks_shapes(tmp_path, session):
    p = tmp_path / "s.h5"
    write_session(p, session)
    with SessionWriter(p) as sw:
        tw = sw.begin_trial(Task("rest"), accel=True)
        with pytest.raises(ValueError, match=r"\(n_samples, 3\)"):
            tw.append(np.zeros((10, 2)), np.zeros((10, 3)))
        with pytest.raises(ValueError, match="must include it"):
            tw.append(np.zeros((10, 3)))
        tw.close(completed=False)
    assert not read_session(p).trials[3].completed


def test_create_refuses_to_overwrite_and_write_is_atomic(tmp_path, session):
    p = tmp_path / "s.h5"
    create_session(p, "S1", session.device, session.montage)
    with pytest.raises(FormatError, match="exists already"):
        create_session(p, "S1", session.device, session.montage)
    broken = Session("S2", session.device, session.montage,
                     [Trial("x", Task("rest"), 125.0, np.zeros((5, 2), np.float32))])
    q = tmp_path / "q.h5"
    with pytest.raises(FormatError, match="channels"):
        write_session(q, broken)
    assert not q.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["s.h5"]


def test_chunk_rows_about_one_second():
    assert schema.chunk_rows(250.0) == 250
    assert schema.chunk_rows(16000.0) == 16000
    assert schema.chunk_rows(10.0) == 64
