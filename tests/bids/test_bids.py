"""BIDS-EMG export and import: validator, round trip, names, CLI errors, bridges."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from emgkit.bids import export_bids, import_bids
from emgkit.bids.labels import task_label
from emgkit.cli.main import main
from emgkit.errors import ConfigError
from emgkit.io.reader import read_session
from emgkit.io.writer import write_session
from emgkit.model.tasks import parse_task
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

SHORT = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "gluteals"),
                    hinge=TrialSpec("hinge", variant="romanian_deadlift", load_kg=60.0,
                                    n_reps=2, lead_s=0.5, tail_s=0.5),
                    squat=TrialSpec("squat", variant="back_squat", load_kg=80.0, n_reps=2,
                                    lead_s=0.5, tail_s=0.5))
VALIDATOR = shutil.which("bids-validator-deno")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Two simulated subjects (ids needing sanitising) as session files and a dataset."""
    d = tmp_path_factory.mktemp("study")
    paths = []
    for i, subject in enumerate(("S-01", "S_02")):
        s, _ = simulate_session(default_montage("cyton"), 500.0, seed=i, protocol=SHORT,
                                subject=subject, markers=True)
        # a marker and a packet gap, so every event kind that carries data is exported
        t = s.trials[3]  # the hinge
        ev = t.events.append(100, "marker", "start cue").append(200, "gap", "", 7.0)
        s.trials[3] = dataclasses.replace(t, events=ev)
        paths.append(d / f"{subject}.h5")
        write_session(paths[-1], s)
    out = d / "bids"
    assert main(["export", "bids", *map(str, paths), "--out", str(out),
                 "--author", "A. Tester", "--license", "CC0"]) == 0
    return paths, out


def test_layout_and_sidecars(study):
    _, out = study
    emg = out / "sub-S01" / "emg"
    names = sorted(p.name for p in emg.glob("*_emg.bdf"))
    assert names == ["sub-S01_task-hinge_emg.bdf", "sub-S01_task-mvc_run-1_emg.bdf",
                     "sub-S01_task-mvc_run-2_emg.bdf", "sub-S01_task-rest_emg.bdf",
                     "sub-S01_task-squat_emg.bdf"]
    side = json.loads((emg / "sub-S01_task-hinge_emg.json").read_text())
    for key in ("EMGPlacementScheme", "EMGReference", "SamplingFrequency",
                "PowerLineFrequency", "RecordingType", "SoftwareFilters", "TaskName"):
        assert key in side
    assert side["TaskName"] == "hinge" and side["SoftwareFilters"] == "n/a"
    assert side["Manufacturer"] == "OpenBCI" and side["EMGChannelCount"] == 8
    assert side["PowerLineFrequency"] == 50.0 and side["SamplingFrequency"] == 500.0
    ch = pd.read_csv(emg / "sub-S01_task-hinge_channels.tsv", sep="\t")
    assert list(ch.columns[:3]) == ["name", "type", "units"]
    assert (ch.type == "EMG").all() and (ch.units == "uV").all()
    assert ch.target_muscle[0] == "right semitendinosus"
    assert set(ch.status) <= {"good", "bad"}
    ev = pd.read_csv(emg / "sub-S01_task-hinge_events.tsv", sep="\t")
    assert {"rep_start", "rep_end", "set_start", "marker", "gap"} <= set(ev.trial_type)
    assert ev.onset.is_monotonic_increasing
    assert ev[ev.trial_type == "gap"].duration.iloc[0] == pytest.approx(7 / 500)
    part = pd.read_csv(out / "participants.tsv", sep="\t")
    assert list(part.participant_id) == ["sub-S01", "sub-S02"]
    assert list(part.subject_id) == ["S-01", "S_02"]
    assert not list(out.parent.glob(".bids.*"))  # no temporary folder left


@pytest.mark.skipif(VALIDATOR is None, reason="bids-validator-deno is not installed "
                    "(pip install bids-validator-deno, in the dev extra)")
def test_validator_reports_no_errors(study):
    _, out = study
    proc = subprocess.run([VALIDATOR, str(out), "--format", "json"], capture_output=True,
                          text=True, timeout=300)
    report = json.loads(proc.stdout)
    issues = report["issues"]["issues"]
    errors = [i for i in issues if i["severity"] == "error"]
    assert not errors, errors
    # the warnings that remain are documented in docs/bids.md
    codes = {i.get("subCode") or i["code"] for i in issues}
    assert codes <= {"HEDVersion", "SourceDatasets", "DeviceSerialNumber",
                     "ElectrodeManufacturer", "ElectrodeManufacturersModelName",
                     "InstitutionAddress", "InstitutionName", "InstitutionalDepartmentName",
                     "Instructions", "StimulusPresentation", "TOO_FEW_AUTHORS"}, codes


def test_round_trip_keeps_signals_montage_tasks_events(study):
    paths, out = study
    back = {s.subject: s for s in import_bids(out)}
    assert sorted(back) == ["S-01", "S_02"]
    for p in paths:
        orig = read_session(p)
        s = back[orig.subject]
        assert s.montage == orig.montage and s.device == orig.device
        assert [t.id for t in s.trials] == [t.id for t in orig.trials]
        for a, b in zip(s.trials, orig.trials):
            assert a.task == b.task and a.fs_hz == b.fs_hz
            lo, hi = b.emg_uv.min(axis=0).astype(float), b.emg_uv.max(axis=0).astype(float)
            step = (np.ceil(hi) - np.floor(lo)) / (2**24 - 1)  # BDF resolution per channel
            tol = step / 2 + np.spacing(np.abs(b.emg_uv).max(axis=0))
            assert (np.abs(a.emg_uv.astype(float) - b.emg_uv) <= tol).all()
            order = np.argsort(b.events.sample, kind="stable")
            assert list(a.events.sample) == list(b.events.sample[order])
            assert list(a.events.kind) == list(b.events.kind[order])
            assert list(a.events.label) == list(b.events.label[order])
            assert np.array_equal(a.events.value, b.events.value[order], equal_nan=True)


def test_task_and_subject_labels(tmp_path):
    assert [task_label(t) for t in ("hinge", "squat", "mvc", "rest")] == \
        ["hinge", "squat", "mvc", "rest"]
    assert task_label("other:box-jump") == "boxjump"
    assert task_label("other:rest") == "otherrest"
    s, _ = simulate_session(default_montage("ganglion"), 200.0, seed=3,
                            protocol=[TrialSpec("rest", duration_s=1.0)], subject="P-1")
    t = dataclasses.replace(s.trials[0], task=parse_task("other:box-jump"))
    s.trials.append(dataclasses.replace(t, id="t002"))
    export_bids([s], tmp_path / "ds")
    assert (tmp_path / "ds/sub-P1/emg/sub-P1_task-boxjump_emg.bdf").is_file()
    back = import_bids(tmp_path / "ds")[0]
    assert back.subject == "P-1" and back.trials[1].task.name == "other:box-jump"
    clash = dataclasses.replace(s, subject="P_1")
    with pytest.raises(ConfigError, match="both become"):
        export_bids([s, clash], tmp_path / "ds2")
    assert not (tmp_path / "ds2").exists()


def test_cli_bad_input_is_one_line(study, tmp_path, capsys):
    paths, out = study
    assert main(["export", "bids", str(paths[0]), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0]
    assert main(["export", "bids", str(tmp_path / "missing.h5"), "--out",
                 str(tmp_path / "x")]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    assert main(["export", "bids", str(bad), "--out", str(tmp_path / "y")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "y").exists() and not list(tmp_path.glob(".y.*"))


def test_mne_bridge(study):
    mne = pytest.importorskip("mne")
    from emgkit.bridges import to_mne_raw

    s = read_session(study[0][0])
    raw = to_mne_raw(s, "t004")
    assert isinstance(raw, mne.io.RawArray)
    assert set(raw.get_channel_types()) == {"emg"} and raw.ch_names == list(s.montage.names)
    np.testing.assert_allclose(raw.get_data().T, s.trials[3].emg_uv * 1e-6, rtol=1e-6)
    assert raw.info["line_freq"] == 50.0
    desc = list(raw.annotations.description)
    assert "rep_start/1" in desc and "set_end/1" in desc
    with pytest.raises(ConfigError, match="name one of"):
        to_mne_raw(s)


# 500 Hz keeps the study small; the pipeline's warning about it is expected here
@pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")
def test_metrics_frame_has_contract_columns(study):
    from emgkit.analysis.metrics import analyse_session
    from emgkit.bridges import CONTRACT_COLUMNS, metrics_frame

    df = metrics_frame(analyse_session(read_session(study[0][0])))
    assert list(df.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert len(df) and df.mean_pct_mvc.notna().any()
