"""Hostile text: spreadsheet formulas in CSV cells, identifiers validated to the end."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from emgkit.cli.main import main
from emgkit.errors import ConfigError
from emgkit.io.cells import neutralise_cell
from emgkit.io.writer import write_session
from emgkit.model.montage import Channel, Montage
from emgkit.model.session import check_subject
from emgkit.model.tasks import parse_task
from emgkit.simulate import LabProtocol, TrialSpec, simulate_session


@pytest.mark.parametrize(("cell", "safe"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+1+2", "'+1+2"),
    ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-1.5", "-1.5"), ("+3", "+3"), ("-inf", "-inf"),
    ("semitendinosus", "semitendinosus"), ("'=x", "'=x"), ("", ""),
])
def test_formula_cells_are_neutralised_and_numbers_kept(cell, safe):
    assert neutralise_cell(cell) == safe
    assert neutralise_cell(neutralise_cell(cell)) == safe


def test_a_formula_label_reaches_metrics_csv_inert(tmp_path, capsys):
    montage = Montage("m", (
        Channel(1, "semitendinosus", "left", label='=HYPERLINK("http://x")'),
        Channel(2, "biceps_femoris", "left"), Channel(3, "vastus_lateralis", "left")))
    proto = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "quadriceps"),
                        hinge=TrialSpec("hinge", n_reps=3, lead_s=1.0, tail_s=1.0),
                        squat=TrialSpec("squat", n_reps=3, lead_s=1.0, tail_s=1.0))
    s, _ = simulate_session(montage, 500.0, seed=1, protocol=proto, subject="S01")
    s = dataclasses.replace(s, trials=[dataclasses.replace(t, notes="=1+1") for t in s.trials])
    write_session(tmp_path / "s.h5", s)
    out = tmp_path / "m.csv"
    assert main(["process", str(tmp_path / "s.h5"), "--out", str(out)]) == 0
    m = pd.read_csv(out, dtype=str, keep_default_na=False)
    labels = set(m.label)
    assert '\'=HYPERLINK("http://x")' in labels
    assert not any(v.startswith(("=", "+", "@")) for col in m.columns for v in m[col])
    # numbers stay numbers
    assert pd.to_numeric(m.mean_pct_mvc).notna().all()


@pytest.mark.parametrize("bad", ["S01\n", "S01\r\n", "S01 ", "\nS01", "S/01", ""])
def test_subject_ids_are_checked_to_the_end_of_the_string(bad):
    with pytest.raises(ConfigError, match="subject id"):
        check_subject(bad)


@pytest.mark.parametrize(("task", "variant"), [("other:walk\n", None), ("hinge", "rdl\n")])
def test_task_and_variant_names_are_checked_to_the_end(task, variant):
    with pytest.raises(ConfigError):
        parse_task(task, None, variant, None)


@pytest.mark.parametrize("load", [float("inf"), float("nan"), -1.0, 1e9, "heavy"])
def test_impossible_loads_are_refused(load):
    with pytest.raises(ConfigError, match="load_kg"):
        parse_task("hinge", None, None, load)


def test_import_with_an_infinite_load_exits_2(tmp_path, datasets_dir, montage_toml, capsys):
    rc = main(["import", str(datasets_dir / "openbci_gui_cyton/OpenBCI_GUI-v6-blinks-jawClench-"
                            "alpha.txt.gz"), "--montage", str(montage_toml),
                            "--channels", "1-4", "--task", "hinge",
               "--load-kg", "inf", "--subject", "S01", "--into", str(tmp_path / "s.h5")])
    assert rc == 2
    assert "load_kg must be a finite number of kg >= 0, but got inf" in capsys.readouterr().err
    assert not (tmp_path / "s.h5").exists()
