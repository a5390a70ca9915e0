"""The no-hardware path of docs/lab-session.md gives a coherent session (issue 13).

``python -m acquisition.emulator --protocol short`` plays the simulator's rest, MVC,
hinge and squat trials on the timeline that ``emgkit record --protocol short
--unattended`` follows, so MVC-normalised values come out in the simulator's ranges.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys

import pandas as pd

from acquisition.protocol import load_protocol, trial_starts
from emgkit.cli.main import main
from emgkit.io.reader import SessionFile

#: The short protocol has an MVC trial for every muscle group of the cyton8 montage.
MVC_TARGETS = ["hamstrings", "gluteals", "quadriceps", "back_extensors", "abdominals"]


def test_trial_starts_follow_countdowns_durations_and_rests():
    p = load_protocol("short")
    starts = trial_starts(p, 250.0)
    assert starts[0] == 0 and starts[1] == round((1 + 0.2) * 250)
    assert all(b > a for a, b in itertools.pairwise(starts))


def test_record_short_unattended_against_the_protocol_emulator(tmp_path, capsys):
    out = tmp_path / "demo.h5"
    emu = subprocess.Popen([sys.executable, "-m", "acquisition.emulator", "--board", "cyton",
                            "--protocol", "short"], stdout=subprocess.PIPE, text=True)
    try:
        port = emu.stdout.readline().strip()
        assert port.startswith("/dev/")
        assert main(["record", "--board", "cyton", "--serial-port", port, "--montage",
                     "cyton8-posterior-chain", "--protocol", "short", "--subject", "DEMO",
                     "--out", str(out), "--unattended", "--mains-hz", "50"]) == 0
    finally:
        emu.send_signal(signal.SIGTERM)
        emu.wait(10)
    with SessionFile(out) as sf:
        infos = sf.trial_infos()
        assert [i.task.name for i in infos] == ["rest", *["mvc"] * 5, "hinge", "squat"]
        assert [i.task.target for i in infos if i.task.name == "mvc"] == MVC_TARGETS
    metrics = tmp_path / "m.csv"
    assert main(["process", str(out), "--out", str(metrics)]) == 0
    capsys.readouterr()
    m = pd.read_csv(metrics)
    assert (m["mvc_check"] == "ok").all() and m["interpretable"].all()
    sets = m[m.task.isin(["hinge", "squat"])]
    per = sets.groupby(["task", "muscle"])[["mean_pct_mvc", "peak_pct_mvc"]].mean()
    hinge = per.loc["hinge"]
    for muscle in ("semitendinosus", "biceps_femoris"):
        assert 20 <= hinge.loc[muscle, "mean_pct_mvc"] <= 80, per
    assert (per["mean_pct_mvc"] <= 150).all() and (per["peak_pct_mvc"] <= 150).all(), per
    # the simulator's hinge loads the hamstrings more than its squat does
    squat = per.loc["squat"]
    assert (hinge.loc[["semitendinosus", "biceps_femoris"], "mean_pct_mvc"]
            > squat.loc[["semitendinosus", "biceps_femoris"], "mean_pct_mvc"]).all()
    # the MVC trials hold an effort, the rest trial does not
    rest = m[m.task == "rest"]["mean_pct_mvc"]
    assert (rest < 10).all()
