"""`emgkit process` as in CONTRACT.md: outputs, provenance, errors, atomicity."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import pandas as pd
import pytest

from emgkit.cli.main import main
from emgkit.io.writer import write_session
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

REQUIRED = ["subject", "trial", "task", "rep", "muscle", "side", "mean_pct_mvc",
            "peak_pct_mvc"]
RECOMMENDED = ["session", "variant", "load_kg", "channel", "start_s", "end_s",
               "iemg_pct_mvc_s", "onset_s", "median_freq_hz", "qc_flags"]
SHORT = LabProtocol(rest_s=3.0, mvc_targets=("hamstrings", "gluteals", "back_extensors",
                                             "quadriceps", "abdominals"),
                    hinge=TrialSpec("hinge", variant="romanian_deadlift", load_kg=60.0,
                                    n_reps=4, lead_s=1.0, tail_s=1.0),
                    squat=TrialSpec("squat", variant="back_squat", load_kg=80.0,
                                    n_reps=4, lead_s=1.0, tail_s=1.0))


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _err_line(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    d = tmp_path_factory.mktemp("sessions")
    out = {}
    for name, subject, seed in (("a", "S01", 1), ("b", "S02", 2), ("c", "S03", 3)):
        s, _ = simulate_session(default_montage("cyton"), 1000.0, seed=seed, protocol=SHORT,
                                subject=subject)
        out[name] = d / f"{name}.h5"
        write_session(out[name], s)
        if name == "a":
            no_mvc = dataclasses.replace(s, trials=[t for t in s.trials
                                                    if t.task.name != "mvc"])
            out["no_mvc"] = d / "no_mvc.h5"
            write_session(out["no_mvc"], no_mvc)
    return out


def test_process_writes_tables_and_provenance(sessions, tmp_path, capsys):
    before = {k: _digest(p) for k, p in sessions.items()}
    out = tmp_path / "res" / "metrics.csv"
    rc = main(["process", str(sessions["a"]), str(sessions["b"]), "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "metrics.csv" in printed and "metrics.comparisons.csv" in printed
    df = pd.read_csv(out)
    assert list(df.columns[:0]) == [] and set(REQUIRED + RECOMMENDED) <= set(df.columns)
    reps = df[df.task.isin(["hinge", "squat"])]
    assert sorted(reps.rep.unique()) == [1, 2, 3, 4]
    assert (df[df.task.isin(["mvc", "rest"])].rep == 0).all()
    assert reps.mean_pct_mvc.notna().all() and (reps.mean_pct_mvc > 0).all()
    assert len(df) == 2 * 8 * (1 + 5 + 4 + 4)
    comp = pd.read_csv(tmp_path / "res" / "metrics.comparisons.csv")
    assert {"reps", "subjects"} == set(comp.level)
    task = comp[(comp.comparison == "task") & (comp.level == "reps")]
    # repetitions of one person are independent samples, never pairs (issue 17)
    assert set(task.test) == {"Welch t"}
    assert task.pairing.str.contains("independent samples").all()
    assert (comp[comp.level == "subjects"].n == 2).all()
    assert (tmp_path / "res" / "metrics.indices.csv").exists()
    curves = pd.read_csv(tmp_path / "res" / "metrics.curves.csv")
    assert curves.groupby(["session", "trial", "channel"]).size().eq(101).all()
    prov = json.loads((tmp_path / "res" / "metrics.provenance.json").read_text())
    assert prov["parameters"]["normalisation"]["method"] == "mvc"
    assert prov["parameters"]["segmentation"]["n_points"] == 101
    assert prov["version"] and prov["software"] == "emgkit"
    assert [i["sha256"] for i in prov["inputs"]] == [before["a"], before["b"]]
    assert all(r["method"] == "accel" for t in prov["inputs"][0]["trials"]
               if t["task"] == "hinge" for r in t["repetitions"])
    assert {k: _digest(p) for k, p in sessions.items()} == before  # sessions untouched
    assert not list((tmp_path / "res").glob("*.part"))


GROUP = ("mixed", "spm", "reliability", "context")


def test_process_writes_the_group_statistics(sessions, tmp_path, capsys, caplog):
    """Three subjects: the four group tables beside metrics.csv, said once (issue 17)."""
    out = tmp_path / "metrics.csv"
    with caplog.at_level("WARNING", logger="emgkit"):
        assert main(["process", *(str(sessions[k]) for k in "abc"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in GROUP:
        assert f"metrics.{name}.csv" in printed
    assert "sensitivity" not in printed and not out.with_name("metrics.sensitivity.csv").exists()
    mixed = pd.read_csv(out.with_name("metrics.mixed.csv"))
    assert (mixed.n_subjects == 3).all() and mixed.method.str.startswith("subject means").all()
    assert {"semitendinosus", "vastus_lateralis"} <= set(mixed.muscle)
    spm = pd.read_csv(out.with_name("metrics.spm.csv"))
    assert set(spm.design) == {"paired"} and spm.direction.str.startswith("not tested").all()
    rel = pd.read_csv(out.with_name("metrics.reliability.csv"))
    assert set(rel.subject.dropna()) == {"S01", "S02", "S03"}
    ctx = pd.read_csv(out.with_name("metrics.context.csv"))
    assert ctx.source.str.startswith("Zebis").any() and (ctx.n_subjects == 3).all()
    said = [r.getMessage() for r in caplog.records]
    assert sum("3 subjects (the mixed model needs 6)" in m for m in said) == 1, said
    assert sum(m.startswith("SPM: paired t") for m in said) == 1, said
    prov = json.loads(out.with_name("metrics.provenance.json").read_text())
    assert prov["environment"]["statsmodels"]
    assert prov["outputs"]["mixed"] == "metrics.mixed.csv"


def test_process_sensitivity_flag(sessions, tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["process", str(sessions["a"]), "--sensitivity", "--out", str(out)]) == 0
    assert "m.sensitivity.csv" in capsys.readouterr().out
    sens = pd.read_csv(out.with_name("m.sensitivity.csv"))
    assert set(sens.window_s) == {0.1, 0.25, 0.5}
    assert set(sens.mvc_reference) == {"peak", "plateau_mean"}
    mixed = pd.read_csv(out.with_name("m.mixed.csv"))
    assert mixed.empty  # one subject: no mixed model (the comparisons table has Welch)


def test_process_parquet_and_config(sessions, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[normalisation]\nmvc_reference = "plateau_mean"\n'
                   '[segmentation]\nmethod = "envelope"\n', encoding="utf-8")
    out = tmp_path / "m.parquet"
    assert main(["process", str(sessions["a"]), "--config", str(cfg), "--out", str(out)]) == 0
    df = pd.read_parquet(out)
    assert set(df[df.task == "hinge"].rep_method) == {"envelope"}
    assert pd.read_parquet(tmp_path / "m.comparisons.parquet").shape[0] > 0
    prov = json.loads((tmp_path / "m.provenance.json").read_text())
    assert prov["parameters"]["normalisation"]["mvc_reference"] == "plateau_mean"
    assert prov["config_file"]["sha256"] == _digest(cfg)


def test_no_mvc_is_exit_2_unless_config_says_otherwise(sessions, tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["process", str(sessions["no_mvc"]), "--out", str(out)]) == 2
    line = _err_line(capsys)
    assert "no_mvc.h5" in line and "no MVC trials" in line and "peak_dynamic" in line
    assert not list(tmp_path.iterdir())
    for method in ("peak_dynamic", "none"):
        cfg = tmp_path / f"{method}.toml"
        cfg.write_text(f'[normalisation]\nmethod = "{method}"\n', encoding="utf-8")
        rc = main(["process", str(sessions["no_mvc"]), "--config", str(cfg), "--out",
                   str(tmp_path / f"{method}.csv")])
        assert rc == 0
        df = pd.read_csv(tmp_path / f"{method}.csv")
        assert df.mean_pct_mvc.isna().all() and df.mean_uv.notna().all()
        assert df.normalisation.eq(method).all()


@pytest.mark.parametrize(("args", "needle"), [
    (["--out", "m.txt"], "--out must end in"),
    (["--config", "missing.toml", "--out", "m.csv"], "config file not found"),
])
def test_bad_arguments_exit_2(sessions, tmp_path, monkeypatch, capsys, args, needle):
    monkeypatch.chdir(tmp_path)
    assert main(["process", str(sessions["a"]), *args]) == 2
    assert needle in _err_line(capsys)


def test_bad_config_key_and_missing_session(sessions, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[segmentation]\nthreshold = 0.3\n", encoding="utf-8")
    assert main(["process", str(sessions["a"]), "--config", str(cfg), "--out",
                 str(tmp_path / "m.csv")]) == 2
    line = _err_line(capsys)
    assert "c.toml" in line and "segmentation.threshold" in line
    assert main(["process", str(tmp_path / "nope.h5"), "--out", str(tmp_path / "m.csv")]) == 2
    assert "nope.h5" in _err_line(capsys)
    assert not (tmp_path / "m.csv").exists()


def test_low_rate_warning_logged_once(tmp_path, caplog, capsys):
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=3, protocol=SHORT)
    write_session(tmp_path / "s.h5", s)
    with caplog.at_level("WARNING", logger="emgkit"):
        assert main(["process", str(tmp_path / "s.h5"), "--out", str(tmp_path / "m.csv")]) == 0
    low = [r for r in caplog.records if "below 1000 Hz" in r.getMessage()]
    assert 1 <= len(low) <= 2  # the filter's and the spectral message, each once


GANGLION = ("openbci_ganglion_myoware/OpenBCI-RAW-S02_S1R0.txt.gz",
            "openbci_ganglion_myoware/OpenBCI-RAW-S02_S1REST.txt.gz")


def test_ganglion_dead_inputs_left_out_the_rest_processed_and_reported(datasets_dir,
                                                                      tmp_path, caplog):
    """The real Ganglion MyoWare files: inputs 3-4 are zeros (issue 13, done-when).

    Run R0 (the efforts) as MVC of the hamstrings, REST as rest, with the 4-channel
    montage: ``process`` and ``report`` succeed, inputs 3-4 are left out of %MVC with
    their reason, inputs 1-2 are normalised; the report opens with what was left out,
    then the mains fallback.
    """
    s = tmp_path / "s.h5"
    common = ["--montage", "ganglion4-hamstrings", "--subject", "S02", "--into", str(s)]
    assert main(["import", str(datasets_dir / GANGLION[0]), "--task", "mvc", "--target",
                 "hamstrings", *common]) == 0
    assert main(["import", str(datasets_dir / GANGLION[1]), "--task", "rest", *common]) == 0
    out = tmp_path / "m.csv"
    assert main(["process", str(s), "--out", str(out)]) == 0
    assert "s.h5: semitendinosus_right: left out of the normalised values: no usable MVC " \
           "trial (flat in t001)" in caplog.text
    m = pd.read_csv(out, keep_default_na=True)
    dead = m[m.channel.isin([3, 4])]
    assert (dead.mvc_check == "no_mvc_reference").all() and not dead.interpretable.any()
    assert dead.mean_pct_mvc.isna().all() and dead.qc_flags.str.contains("flat").all()
    live = m[m.channel.isin([1, 2])]
    assert (live.mvc_check == "ok").all() and live.mean_pct_mvc.notna().all()
    mvc = live[live.task == "mvc"]
    assert (mvc.peak_pct_mvc > 100).all() and (mvc.mean_pct_mvc < 100).all()
    prov = json.loads(out.with_name("m.provenance.json").read_text())
    checks = prov["inputs"][0]["mvc_checks"]
    assert [c["check"] for c in checks] == ["ok", "ok", "no_mvc_reference", "no_mvc_reference"]
    assert prov["inputs"][0]["reference_uv"]["biceps_femoris_right"] is None

    html = tmp_path / "r.html"
    assert main(["report", str(s), "--out", str(html)]) == 0
    text = html.read_text(encoding="utf-8")
    items = re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="findings">(.*?)</ul>',
                                                     text, re.S).group(1), re.S)
    assert items[0].startswith("s.h5: left out of the normalised values")
    assert "semitendinosus (right): no usable MVC trial (flat in t001)" in items[0]
    assert items[1].startswith("s.h5: mains: ")
    assert items[2].startswith("Subject S02, 1 session (s.h5)")
    table = re.search(r'<table id="mvc-reference-table">(.*?)</table>', text, re.S).group(1)
    assert table.count("no_mvc_reference") == 2 and table.count("<td>ok</td>") == 2
    assert text.index('id="montage-table"') < text.index('id="mvc-reference-table"')


def test_verbose_process_logs_where_the_time_goes(sessions, tmp_path, caplog):
    # (the command's log handler is pytest's here: the records are in caplog)
    rc = main(["-v", "process", str(sessions["a"]), "--out", str(tmp_path / "m.csv")])
    assert rc == 0
    said = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    stages = [re.fullmatch(r"(.*) in (\d+\.\d) s", m) for m in said]
    assert all(stages), said
    assert [m[1] for m in stages] == [
        "a.h5: 8 trial(s), 1.5 min of EMG, hashed, read and checked",
        "a.h5: quality checks and filtering", "a.h5: metrics", "group statistics"], said
    assert all(0 <= float(m[2]) < 600 for m in stages)
    # without -v the log stays quiet
    caplog.clear()
    assert main(["process", str(sessions["a"]), "--out", str(tmp_path / "q.csv")]) == 0
    assert not [r for r in caplog.records if r.levelname == "INFO"]
