"""`emgkit import` and `emgkit check` as in CONTRACT.md: outputs, errors, atomicity."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emgkit.cli.main import main
from emgkit.io.reader import read_session

V6 = "openbci_gui_cyton/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz"
V5 = "openbci_gui_cyton/OpenBCI_GUI-v5-blinks-jawClench-alpha.txt.gz"
GANGLION = "openbci_ganglion_myoware/OpenBCI-RAW-S02_S1R0.txt.gz"


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _err_line(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_import_then_check(tmp_path, datasets_dir, montage_toml, capsys):
    out = tmp_path / "s.h5"
    rc = main(["import", str(datasets_dir / V6), str(datasets_dir / V5), "--montage",
               str(montage_toml),
               "--channels", "1-4", "--task", "hinge", "--variant", "romanian_deadlift",
               "--load-kg", "60", "--subject", "S01", "--into", str(out)])
    assert rc == 0
    assert "trial t002" in capsys.readouterr().out
    s = read_session(out)
    assert [t.task.variant for t in s.trials] == ["romanian_deadlift"] * 2
    assert s.trials[0].task.load_kg == 60.0
    assert s.trials[0].emg_uv.shape[1] == 4
    assert s.trials[0].source.sha256 == _digest(datasets_dir / V6)
    assert s.trials[0].source.format == "openbci-gui-v6"
    # The first sample of EXG Channel 0 in the file is 61379.36 uV.
    assert s.trials[0].emg_uv[0, 0] == np.float32(61379.36)
    assert main(["check", str(out)]) == 0
    text = capsys.readouterr().out
    assert "subject  S01" in text and "t002  hinge romanian_deadlift 60 kg" in text
    assert "semitendinosus_right" in text and text.rstrip().endswith("valid")


def test_import_adds_to_an_existing_session_without_touching_it(
    tmp_path, datasets_dir, montage_toml
):
    out = tmp_path / "s.h5"
    assert main(["import", str(datasets_dir / V6), "--montage", str(montage_toml),
                 "--channels", "1-4",
                 "--task", "mvc", "--target", "hamstrings", "--subject", "S01",
                 "--into", str(out)]) == 0
    first = read_session(out).trials[0].emg_uv
    assert main(["import", str(datasets_dir / V5), "--montage", str(montage_toml),
                 "--channels", "1-4",
                 "--task", "squat", "--into", str(out)]) == 0
    s = read_session(out)
    assert [t.task.name for t in s.trials] == ["mvc", "squat"]
    np.testing.assert_array_equal(s.trials[0].emg_uv, first)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "file not found"),
        ("unknown", "unknown format"),
        ("truncated", "line"),
        ("garbled", "line"),
        ("channel", "channel 9 (soleus left) of montage "),
        ("muscle", "unknown muscle 'hammy'"),
        ("rate", "expected 1 to 100000 Hz, found '0'"),
        ("nosubject", "give --subject"),
        ("task", "Invalid task 'deadlift'"),
        ("mixed-rate", "differs from the session's 250 Hz"),
    ],
)
def test_bad_input_exit_2_one_line_no_partial_file(
    tmp_path, datasets_dir, montage_toml, capsys, case, message
):
    out = tmp_path / "s.h5"
    src = tmp_path / "in.txt"
    lines = (
        "%OpenBCI Raw EXG Data\n%Number of channels = 4\n%Sample Rate = 250 Hz\n"
        "%Board = OpenBCI_GUI$BoardGanglionBLE\n"
        "Sample Index, EXG Channel 0, EXG Channel 1, EXG Channel 2, EXG Channel 3, "
        "Accel Channel 0, Accel Channel 1, Accel Channel 2, Timestamp, Marker Channel\n"
    )
    good_row = "0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 1557936053.329, 0\n"
    montage = montage_toml
    args_extra = ["--subject", "S01"]
    if case == "missing":
        src = tmp_path / "nope.txt"
    elif case == "unknown":
        src.write_text("hello world\n1,2,3\n")
    elif case == "truncated":
        src.write_text(lines + good_row * 3 + "3, 1.0, 2.0\n")
    elif case == "garbled":
        src.write_text(lines + good_row * 3 + "3, 1.0, abc, 3.0, 4.0, 0.0, 0.0, 0.0, 1.0, 0\n")
    elif case == "channel":
        montage = tmp_path / "m9.toml"
        montage.write_text('[[channel]]\nnumber = 9\nmuscle = "soleus"\nside = "left"\n')
        src.write_text(lines + good_row * 3)
    elif case == "muscle":
        montage = tmp_path / "mh.toml"
        montage.write_text('[[channel]]\nnumber = 1\nmuscle = "hammy"\nside = "left"\n')
        src.write_text(lines + good_row * 3)
    elif case == "rate":
        src.write_text(lines.replace("250 Hz", "0 Hz") + good_row * 3)
    elif case == "nosubject":
        src.write_text(lines + good_row * 3)
        args_extra = []
    elif case == "task":
        src.write_text(lines + good_row * 3)
    elif case == "mixed-rate":
        assert main(["import", str(datasets_dir / V6), "--montage", str(montage_toml),
                     "--channels", "1-4", "--task",
                     "mvc", "--subject", "S01", "--into", str(out)]) == 0
        capsys.readouterr()
        src = datasets_dir / GANGLION
    before = _digest(out) if out.exists() else None
    task = "deadlift" if case == "task" else "hinge"
    rc = main(["import", str(src), "--montage", str(montage), "--task", task,
               "--into", str(out), *args_extra])
    assert rc == 2
    line = _err_line(capsys)
    assert line.startswith("emgkit import: error: ")
    assert message in line
    assert "Traceback" not in line
    if case == "channel":  # the montage at fault is named as well as the recording
        assert "m9.toml is not among the recording's board inputs 1-4" in line
    if before is None:
        assert not out.exists()
    else:
        assert _digest(out) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert leftovers == []


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), header=st.booleans())
def test_random_input_never_crashes_the_import(tmp_path_factory, montage_toml, data, header):
    tmp = tmp_path_factory.mktemp("fuzz")
    src = tmp / "rand.txt"
    prefix = b"%OpenBCI Raw EXG Data\n%Number of channels = 4\n%Sample Rate = 200 Hz\n"
    src.write_bytes((prefix if header else b"") + data)
    out = tmp / "s.h5"
    rc = main(["import", str(src), "--montage", str(montage_toml),
               "--channels", "1-4", "--task", "rest",
               "--subject", "S1", "--into", str(out)])
    assert rc in (0, 2)
    if rc == 2:
        assert not out.exists()
    else:
        assert read_session(out).trials[0].emg_uv.shape[1] == 4
    assert not [p for p in tmp.iterdir() if p.name.endswith(".part")]


def test_check_rejects_bad_files(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n garbage")
    assert main(["check", str(bad)]) == 2
    assert str(bad) in _err_line(capsys)
    assert main(["check", str(tmp_path / "none.h5")]) == 2
    assert "file not found" in _err_line(capsys)


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["import"])
    assert e.value.code == 2
    assert "required" in _err_line(capsys)


def test_console_script_runs(tmp_path, datasets_dir, montage_toml):
    out = tmp_path / "s.h5"
    r = subprocess.run(
        [sys.executable, "-m", "emgkit", "import", str(datasets_dir / V6), "--montage",
         str(montage_toml), "--channels", "1-4", "--task", "rest", "--subject", "S9",
         "--into", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "emgkit", "check", str(tmp_path / "x.h5")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "file not found" in r.stderr


def test_check_prints_quality_flags_of_every_trial(tmp_path, datasets_dir, capsys):
    """Jordan_focus: input 3 sits at -187500 uV (railed); input 2 is a clean channel."""
    montage = tmp_path / "m.toml"
    montage.write_text('[[channel]]\nnumber = 2\nmuscle = "semitendinosus"\nside = "left"\n'
                       '[[channel]]\nnumber = 3\nmuscle = "biceps_femoris"\nside = "left"\n')
    out = tmp_path / "j.h5"
    src = datasets_dir / "openbci_gui_cyton/OpenBCI_2016-02-13_Jordan_focus.txt.gz"
    assert main(["import", str(src), "--montage", str(montage), "--channels", "2,3", "--task",
                 "rest", "--subject", "J", "--into", str(out)]) == 0
    capsys.readouterr()
    assert main(["check", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6 gaps (365 samples lost)" in text
    quality = text.split("quality\n", 1)[1].splitlines()[0]
    assert quality.startswith("  t001  ")
    assert "biceps_femoris_left: railed" in quality
    assert "semitendinosus_left: railed" not in quality


def _brainflow_cyton_file(path, fs_true_hz, n, rng):
    """A Cyton recording written by BrainFlow's own DataFilter.write_file, time stamps at
    ``fs_true_hz`` (the board's real clock) while the board's nominal rate is 250 Hz."""
    from brainflow.data_filter import DataFilter

    data = np.zeros((24, n))
    data[0] = np.arange(n) % 256
    data[1:9] = np.round(rng.normal(0, 20, (8, n)), 2)
    data[22] = 1.7e9 + np.arange(n) / fs_true_hz + rng.uniform(0, 0.004, n)
    DataFilter.write_file(data, str(path), "w")
    return path


def test_check_and_import_measure_the_rate_from_the_time_stamps(tmp_path, montage_toml, rng,
                                                                  capsys, caplog):
    src = _brainflow_cyton_file(tmp_path / "fast.csv", 251.2, 250 * 60, rng)
    out = tmp_path / "s.h5"
    assert main(["import", str(src), "--board", "cyton", "--montage", str(montage_toml),
                 "--channels", "1-4",
                 "--task", "hinge", "--subject", "S01", "--into", str(out)]) == 0
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(re.search(r"measured rate 251\.20\d Hz .*\+(4799|4800|4801) ppm", m)
               for m in warned), warned
    assert main(["check", str(out)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"timing: WARNING measured rate 251\.20\d Hz from the time stamps "
                     r"\(nominal 250 Hz, \+(4799|4800|4801) ppm\)", text), text
    s = read_session(out)
    assert s.trials[0].measured_fs_hz == pytest.approx(251.2, rel=20e-6)
    # times in the metrics follow the measured clock: 60 s of samples last 59.7 s
    assert s.trials[0].n_samples / s.trials[0].clock_fs_hz == pytest.approx(15000 / 251.2)


def test_check_says_when_there_are_no_time_stamps(tmp_path, capsys):
    from emgkit.io.writer import SessionWriter, create_session
    from emgkit.model.montage import Channel, Montage
    from emgkit.model.session import Device
    from emgkit.model.tasks import Task

    p = tmp_path / "s.h5"
    create_session(p, "S01", Device("cyton", 250.0),
                   Montage("m", (Channel(1, "semitendinosus", "left"),)))
    with SessionWriter(p) as sw:
        tw = sw.begin_trial(Task("rest"))
        tw.append(np.zeros((1000, 1), np.float32))
        tw.close()
    assert main(["check", str(p)]) == 0
    assert "timing: no time stamps to measure the rate (nominal rate used)" in \
        capsys.readouterr().out


def test_the_same_file_twice_is_refused_unless_allowed(tmp_path, datasets_dir, montage_toml,
                                                       capsys):
    out = tmp_path / "s.h5"
    args = ["import", str(datasets_dir / V6), "--montage", str(montage_toml),
            "--channels", "1-4", "--task", "mvc",
            "--into", str(out)]
    assert main([*args, "--subject", "S01"]) == 0
    before = _digest(out)
    capsys.readouterr()
    assert main(args) == 2
    line = _err_line(capsys)
    assert "is already in s.h5 as trial t001 (same sha256" in line
    assert "--allow-duplicate" in line and str(datasets_dir / V6) in line
    assert _digest(out) == before
    # given twice on one command line
    assert main([*args[:2], str(datasets_dir / V6), *args[2:]]) == 2
    assert "already in s.h5 as trial t001" in _err_line(capsys)
    assert main([*args, "--allow-duplicate"]) == 0
    assert len(read_session(out).trials) == 2


def test_import_accepts_the_shipped_montage_names(tmp_path, datasets_dir, capsys):
    out = tmp_path / "s.h5"
    assert main(["import", str(datasets_dir / V6), "--montage", "cyton8-posterior-chain",
                 "--task", "mvc", "--subject", "S01", "--into", str(out)]) == 0
    assert read_session(out).montage.name == "cyton8-posterior-chain"
    capsys.readouterr()
    assert main(["import", str(datasets_dir / V6), "--montage", "cyton8-posterio",
                 "--task", "mvc", "--subject", "S01", "--into", str(tmp_path / "t.h5")]) == 2
    line = _err_line(capsys)
    assert "no montage file or shipped montage named 'cyton8-posterio'" in line
    assert "cyton8-posterior-chain, daisy16-bilateral, ganglion4-hamstrings" in line
    assert not (tmp_path / "t.h5").exists()


def test_a_montage_that_leaves_out_recorded_inputs_needs_channels(tmp_path, rng, capsys):
    """A 16-channel Daisy file with an 8-channel montage: inputs 9-16 are not dropped
    silently; --channels 1-8 says to."""
    from brainflow.data_filter import DataFilter

    n = 1250
    data = np.zeros((32, n))
    data[0] = (2 * np.arange(n)) % 256
    data[1:17] = np.round(rng.normal(0, 20, (16, n)), 2)
    data[30] = 1.7e9 + np.arange(n) / 125.0
    src = tmp_path / "daisy.csv"
    DataFilter.write_file(data, str(src), "w")
    out = tmp_path / "s.h5"
    args = ["import", str(src), "--board", "cyton-daisy", "--montage", "cyton8-posterior-chain",
            "--task", "rest", "--subject", "S01", "--into", str(out)]
    assert main(args) == 2
    line = _err_line(capsys)
    assert "the file has board inputs 1-16 but the montage names only 1-8: inputs 9-16 " \
           "would be dropped; give --channels 1-8" in line and str(src) in line
    assert not out.exists()
    assert main([*args, "--channels", "1-7"]) == 2
    assert "--channels 1-7 must be the montage's inputs (1-8)" in _err_line(capsys)
    assert main([*args, "--channels", "1-8"]) == 0
    s = read_session(out)
    np.testing.assert_array_equal(s.trials[0].emg_uv, data[1:9].T.astype(np.float32))


@pytest.mark.parametrize("bad", ["0-4", "4-1", "a", "1-65", ""])
def test_channels_option_is_checked(tmp_path, datasets_dir, capsys, bad):
    with pytest.raises(SystemExit) as e:
        main(["import", str(datasets_dir / V6), "--montage", "cyton8-posterior-chain",
              "--task", "rest", "--channels", bad, "--into", str(tmp_path / "s.h5")])
    assert e.value.code == 2
    assert "expected board inputs 1-64 such as 1-4 or 1,2,5" in capsys.readouterr().err
