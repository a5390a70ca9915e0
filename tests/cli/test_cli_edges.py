"""The command line never trips: closed pipes, missing extras, warnings as plain lines."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

from emgkit.cli import main as cli_main
from emgkit.cli.main import main

V6 = "openbci_gui_cyton/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz"


@pytest.fixture
def session(tmp_path, datasets_dir, montage_toml):
    out = tmp_path / "s.h5"
    assert main(["import", str(datasets_dir / V6), "--montage", str(montage_toml),
                 "--channels", "1-4", "--task",
                 "mvc", "--subject", "S01", "--into", str(out)]) == 0
    return out


def _run(args, stdout=subprocess.PIPE, code=None):
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "emgkit", *args]
    return subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)


def test_a_closed_pipe_ends_quietly_with_exit_0(session):
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the first line, as with `| head -0`
    try:
        p = _run(["check", str(session)], stdout=w)
    finally:
        os.close(w)
    assert p.returncode == 0
    assert p.stderr == ""


def test_head_1_of_check_exits_0_with_nothing_on_stderr(session):
    p = subprocess.run(f"{sys.executable} -m emgkit check {session} | head -1; "
                       "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash",
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    assert p.stdout.startswith("session ") and p.stdout.count("\n") == 1
    assert p.stderr == ""


@pytest.mark.parametrize(("module", "extra"), [("pyqtgraph", "viewer"), ("PySide6", "viewer")])
def test_view_without_the_viewer_extra_names_the_install_line(session, module, extra):
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from emgkit.cli.main import main\n"
            f"sys.exit(main(['view', {str(session)!r}, '--screenshot', 'x.png']))")
    p = _run([], code=code)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("emgkit view: error: this command needs ")
    assert lines[0].endswith(f"pip install 'emgkit[{extra}]'")


def test_an_unknown_missing_module_is_still_an_internal_error(monkeypatch, capsys):
    def run(args):
        raise ModuleNotFoundError("No module named 'nonexistent_pkg'", name="nonexistent_pkg")

    monkeypatch.setattr(cli_main.cmd_check, "run", run)
    assert main(["check", "x.h5"]) == 1
    assert "internal error: ModuleNotFoundError" in capsys.readouterr().err


def test_library_warnings_reach_the_user_as_one_plain_line(monkeypatch, capsys):
    class LowRate(UserWarning):
        pass

    def run(args):
        warnings.warn("sampled at 250 Hz: below the 1 kHz that\nsEMG needs", LowRate,
                      stacklevel=1)
        return 0

    monkeypatch.setattr(cli_main.cmd_check, "run", run)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["check", "x.h5"]) == 0
    err = capsys.readouterr().err
    assert err == "emgkit check: warning: sampled at 250 Hz: below the 1 kHz that sEMG needs\n"


def test_pandas_missing_optional_dependency_names_the_extra(monkeypatch, capsys):
    def run(args):
        raise ImportError("Unable to find a usable engine; tried using: 'pyarrow', "
                          "'fastparquet'. Missing optional dependency 'pyarrow'.")

    monkeypatch.setattr(cli_main.cmd_check, "run", run)
    assert main(["check", "x.h5"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("this command needs pyarrow, which is not installed (or does not "
                        "import here): pip install 'emgkit[all]'\n")
