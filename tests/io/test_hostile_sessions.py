"""Session files are untrusted: links, size bombs, wrong types and damaged bytes.

Every command refuses a bad file with exit 2 and one line naming it, before reading
signals it cannot hold; `check` reports what is wrong.
"""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emgkit.cli.main import main
from emgkit.io.writer import write_session
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

PROTOCOL = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings",),
                       hinge=TrialSpec("hinge", n_reps=2, lead_s=0.5, tail_s=0.5),
                       squat=TrialSpec("squat", n_reps=2, lead_s=0.5, tail_s=0.5))


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=2, protocol=PROTOCOL,
                            subject="S01")
    p = tmp_path_factory.mktemp("good") / "s.h5"
    write_session(p, s)
    return p


@pytest.fixture
def copy(good, tmp_path):
    p = tmp_path / "s.h5"
    shutil.copyfile(good, p)
    return p


def _check(path, capsys, command="check"):
    out = {"process": ["--out", str(path.with_suffix(".csv"))],
           "export": ["--out", str(path.with_name("bids"))]}.get(command, [])
    rc = main((["export", "bids"] if command == "export" else [command]) + [str(path)] + out)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    return rc, err


def _replace(path, name, make):
    with h5py.File(path, "r+") as f:
        g = f["trials/t002"]
        del g[name]
        make(g)


def _external(path):
    other = path.with_name("other.h5")
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros((10, 8), np.float32)
    _replace(path, "emg", lambda g: g.__setitem__("emg", h5py.ExternalLink(other.name, "/x")))


def _soft(path):
    _replace(path, "emg", lambda g: g.__setitem__("emg", h5py.SoftLink("/trials/t001/emg")))


def _virtual(path):
    def make(g):
        layout = h5py.VirtualLayout(shape=(10, 8), dtype="f4")
        layout[:] = h5py.VirtualSource("other.h5", "x", shape=(10, 8))
        g.create_virtual_dataset("emg", layout)
    _replace(path, "emg", make)


def _sparse(path):
    def make(g):
        ds = g.create_dataset("emg", shape=(60_000_000, 8), dtype="f4", chunks=(250, 8),
                              compression="gzip")
        ds[:1000] = 1.0
    _replace(path, "emg", make)
    with h5py.File(path, "r+") as f:
        for name in ("accel", "package_num", "timestamps"):
            f["trials/t002"].pop(name, None)


def _attr(key, value):
    def edit(path):
        with h5py.File(path, "r+") as f:
            f["trials/t002"].attrs[key] = value
    return edit


def _emg_of(dtype, fill=None, shape=None):
    def edit(path):
        def make(g):
            n = g.attrs["n_samples"]
            data = np.zeros(shape or (n, 8), dtype=dtype)
            if fill is not None:
                data[5, 3] = fill
            g.create_dataset("emg", data=data)
        _replace(path, "emg", make)
    return edit


CASES = {
    "external link": (_external, "is an external link to other.h5:/x"),
    "soft link": (_soft, "is a soft link"),
    "virtual dataset": (_virtual, "keeps its data outside the file"),
    "sparse bomb": (_sparse, "declares 60000000 x 8 (1.92e+03 MB) but stores only"),
    "n_samples huge": (_attr("n_samples", 10**15), "n_samples says"),
    "n_samples negative": (_attr("n_samples", -5), "n_samples says"),
    "unknown task": (_attr("task", "deadlift"), "Invalid task 'deadlift'"),
    "infinite load": (_attr("load_kg", np.inf), "load_kg must be a finite number"),
    "rate zero": (_attr("fs_hz", 0.0), "fs_hz must be 1 to 100000 Hz, found"),
    "rate negative": (_attr("fs_hz", -250.0), "fs_hz must be 1 to 100000 Hz"),
    "rate text": (_attr("fs_hz", "abc"), "fs_hz must be 1 to 100000 Hz, found 'abc'"),
    "rate nan": (_attr("fs_hz", np.nan), "fs_hz must be 1 to 100000 Hz"),
    # a rate the format allows but the band-pass cannot run at: the trial is named
    "rate under the band": (_attr("fs_hz", 3.0), "trial t002: low_hz=20 must be < fs_hz/2 = "
                                                 "1.5 Hz (the data are sampled at 3 Hz)"),
    "not utf-8": (_attr("notes", np.void(b"\xff\xfe\xfa")), "attribute 'notes' must be text"),
    "complex emg": (_emg_of(np.complex64), "emg has type complex64, expected float32"),
    "int8 emg": (_emg_of(np.int8), "emg has type int8, expected float32"),
    "1-D emg": (_emg_of(np.float32, shape=(100,)), "emg has shape (100,), expected (100, 8)"),
    "nan emg": (_emg_of(np.float32, fill=np.nan), "non-finite value(s) (NaN or inf), the "
                                                 "first at sample 5"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_check_refuses_a_hostile_or_damaged_session(copy, capsys, case):
    edit, message = CASES[case]
    edit(copy)
    rc, err = _check(copy, capsys)
    assert rc == 2, err
    assert len(err) == 1 and message in err[0] and str(copy) in err[0], err


@pytest.mark.parametrize("case", ["external link", "sparse bomb", "rate text", "not utf-8",
                                  "nan emg", "rate under the band"])
@pytest.mark.parametrize("command", ["process", "report", "export"])
def test_every_command_refuses_them_before_reading_signals(copy, capsys, case, command):
    edit, _ = CASES[case]
    edit(copy)
    rc, err = _check(copy, capsys, command)
    assert rc == 2, err
    assert len(err) == 1 and str(copy) in err[0], err


def test_an_invalid_subject_in_the_file_is_refused(copy, capsys):
    with h5py.File(copy, "r+") as f:
        f.attrs["subject"] = "S01\n"
    rc, err = _check(copy, capsys)
    assert rc == 2 and "subject id must be" in err[0]


def test_a_file_another_process_holds_is_said_to_be_in_use(copy, capsys, monkeypatch):
    import emgkit.io.reader as reader

    def busy(*args, **kw):
        raise OSError(11, "Unable to synchronously open file (unable to lock file, errno = 11, "
                          "error message = 'Resource temporarily unavailable')")

    monkeypatch.setattr(reader.h5py, "File", busy)
    rc, err = _check(copy, capsys)
    assert rc == 2 and "in use by another process" in err[0], err


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flipped_bits_never_crash_a_command(good, tmp_path, capsys, data):
    raw = bytearray(good.read_bytes())
    n_flips = data.draw(st.integers(1, 3))
    for _ in range(n_flips):
        pos = data.draw(st.one_of(st.integers(0, 8191), st.integers(0, len(raw) - 1)))
        raw[pos] ^= 1 << data.draw(st.integers(0, 7))
    p = tmp_path / "flipped.h5"
    p.write_bytes(bytes(raw))
    for command in ("check", "process"):
        rc, err = _check(p, capsys, command)
        assert rc in (0, 2), err
        if rc == 2:
            assert len(err) == 1 and str(p) in err[0], err
