"""Issue 13: the notch follows the mains in the data, and every fallback is said.

The OpenBCI GUI sample (60 Hz mains) imported with ``--mains-hz 50`` must give the same
amplitudes as with ``--mains-hz 60`` and say why, in ``check``, on ``process``'s stderr,
in the provenance and in the methods text. Repetitions not found, and MVC references
taken from efforts that target other muscles, are said the same way.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emgkit.analysis.files import analyse_files, load_config
from emgkit.cli.main import main
from emgkit.io.writer import write_session
from emgkit.model.montage import Channel, Montage
from emgkit.model.session import Device, Session, Trial
from emgkit.model.tasks import parse_task
from emgkit.report.methods import methods_paragraphs

GUI = "openbci_gui_cyton/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz"
SAYS = "mains: 60 Hz in the data, the session says 50 Hz: notched at 60 Hz"

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")


@pytest.fixture(scope="module")
def gui(tmp_path_factory, datasets_dir):
    d = tmp_path_factory.mktemp("gui")
    out = {}
    for hz in (50, 60):
        h5 = d / f"g{hz}.h5"
        assert main(["import", str(datasets_dir / GUI), "--montage", "cyton8-posterior-chain",
                     "--task", "mvc", "--subject", "s1", "--mains-hz", str(hz),
                     "--into", str(h5)]) == 0
        out[hz] = h5
    return out


def test_gui_sample_with_the_wrong_mains_gives_the_same_amplitudes(gui, tmp_path, capsys,
                                                                   caplog):
    tables = {}
    for hz, h5 in gui.items():
        capsys.readouterr()
        caplog.clear()
        assert main(["process", str(h5), "--out", str(tmp_path / f"m{hz}.csv")]) == 0
        said = capsys.readouterr().err + caplog.text
        assert (SAYS in said) == (hz == 50), said
        tables[hz] = pd.read_csv(tmp_path / f"m{hz}.csv")
    a, b = tables[50]["mean_uv"].to_numpy(), tables[60]["mean_uv"].to_numpy()
    assert np.all(np.abs(a / b - 1) < 0.05) and b.max() < 20, (a, b)
    prov = json.loads((tmp_path / "m50.provenance.json").read_text())
    rec = prov["inputs"][0]
    mains = rec["processing"][0]["mains"]
    assert (mains["notch_hz"], mains["source"], mains["session_hz"]) == (60.0, "data", 50.0)
    assert rec["mains_hz"] == 50.0
    assert [f["kind"] for f in rec["fallbacks"]] == ["mains"]
    assert {r["trial"] for r in rec["mvc_references"]} == {"t001"}


def test_check_says_it_in_one_line(gui, capsys):
    assert main(["check", str(gui[50])]) == 0
    out = capsys.readouterr().out
    assert out.count(SAYS) == 1
    assert main(["check", str(gui[60])]) == 0
    assert "mains: 60 Hz in the data, as the session says: notched at 60 Hz" in \
        capsys.readouterr().out


def test_import_refuses_another_mains_into_the_session(gui, datasets_dir, capsys):
    assert main(["import", str(datasets_dir / GUI), "--montage", "cyton8-posterior-chain",
                 "--task", "hinge", "--mains-hz", "60", "--into", str(gui[50]),
                 "--allow-duplicate"]) == 2
    assert "differs from the session's 50 Hz" in capsys.readouterr().err


def test_methods_say_measured_and_recorded_mains(gui):
    run = analyse_files([gui[50]], load_config(None))
    text = " ".join(methods_paragraphs(run))
    assert "The mains frequency, 60 Hz, was measured from the data (the session records 50 Hz)" \
        in text
    assert "IIR notches at 60 Hz" in text and SAYS in text
    assert "as set out in the protocol" not in text
    assert run.fallbacks[0]["kind"] == "mains" and SAYS in run.warnings[-1]


def _session(fs=500.0):
    rng = np.random.default_rng(3)
    montage = Montage("m", (Channel(1, "semitendinosus", "right"),
                            Channel(2, "erector_spinae", "right")))
    n = int(10 * fs)
    mvc = rng.standard_normal((n, 2)).astype(np.float32) * 5
    mvc[int(4 * fs):int(7 * fs)] *= 20  # the effort: 4-7 s
    hinge = np.zeros((n, 2), np.float32)  # nothing to find
    trials = [Trial("t001", parse_task("mvc", target="hamstrings"), fs, mvc),
              Trial("t002", parse_task("hinge"), fs, hinge)]
    return Session("s1", Device("cyton", fs, gain=24.0, mains_hz=50.0), montage, trials)


def test_segmentation_and_reference_fallbacks_are_said(tmp_path):
    path = tmp_path / "s.h5"
    write_session(path, _session())
    run = analyse_files([path], load_config(None))
    kinds = [f["kind"] for f in run.fallbacks]
    assert kinds == ["mains", "segmentation", "mvc_reference"], run.fallbacks
    seg = run.fallbacks[1]["sentence"]
    assert seg.startswith("trial t002 (hinge): no repetitions found (markers: no "
                          "rep_start/rep_end markers in the trial; accel: no accelerometer; "
                          "envelope: ") and "whole trial" in seg
    assert "erector_spinae_right from t001 (an effort targeting hamstrings)" in \
        run.fallbacks[2]["sentence"]
    assert all(any(f["sentence"] in w for w in run.warnings) for f in run.fallbacks)
    refs = run.metrics[0].references
    assert [r.trial for r in refs] == ["t001", "t001"]
    for r in refs:  # the 1 s plateau lies inside the 4-7 s effort
        assert 3.8 <= r.start_s and r.end_s <= 7.2 and r.end_s - r.start_s == pytest.approx(1.0)
    tm = run.metrics[0].trials[1]
    assert tm.reps[0].method == "whole_trial" and tm.segmentation.fallback == seg
    prov_trial = run.inputs[0]["trials"][1]["segmentation"]
    assert prov_trial["method"] == "whole_trial" and prov_trial["fallback"] == seg
    text = " ".join(methods_paragraphs(run))
    assert "semitendinosus (right): t001, " in text and "none (the whole trial was used)" in text
