"""A full disk: every output command exits 2 with one line naming the file, and leaves nothing.

Runs on a deliberately tiny tmpfs (needs root, as CI has; skipped with the reason
otherwise).
"""

from __future__ import annotations

import shutil

import pytest
from mounts import mounted_tmpfs

from emgkit.cli.main import main
from emgkit.io.writer import write_session
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

PROTOCOL = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "quadriceps"),
                       hinge=TrialSpec("hinge", n_reps=3, lead_s=0.5, tail_s=0.5),
                       squat=TrialSpec("squat", n_reps=3, lead_s=0.5, tail_s=0.5))


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=3, protocol=PROTOCOL,
                            subject="S01")
    p = tmp_path_factory.mktemp("src") / "s.h5"
    write_session(p, s)
    return p


@pytest.fixture
def tiny(tmp_path):
    with mounted_tmpfs(tmp_path / "tiny", "96k") as mnt:
        yield mnt


@pytest.mark.parametrize("command", ["process", "report", "export", "batch"])
def test_a_full_disk_is_one_line_exit_2_and_nothing_half_written(session, tiny, capsys,
                                                                  command):
    args = {"process": ["process", str(session), "--out", str(tiny / "m.csv")],
            "report": ["report", str(session), "--out", str(tiny / "r.html"), "--pdf",
                       str(tiny / "r.pdf")],
            "export": ["export", "bids", str(session), "--out", str(tiny / "bids")],
            "batch": ["batch", str(session), "--out", str(tiny / "res")]}[command]
    rc = main(args)
    err = [ln for ln in capsys.readouterr().err.splitlines()
           if "error" in ln or "failed" in ln]
    assert rc == 2, err
    assert any("the disk is full" in ln and str(tiny) in ln for ln in err), err
    left = [p for p in tiny.rglob("*") if p.is_file()]
    assert left == [], left
    assert shutil.disk_usage(tiny).total < 200_000
