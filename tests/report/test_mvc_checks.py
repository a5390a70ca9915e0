"""The report on implausible MVC normalisation, fallbacks and crosstalk (issue 13).

Short simulated sessions at 250 Hz with markers, one channel changed in a known way;
figures are not drawn (the sentences and tables are what is checked).
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from unittest import mock

import numpy as np
import pytest

from emgkit.analysis.files import analyse_files
from emgkit.core import LowSampleRateWarning
from emgkit.io.writer import write_session
from emgkit.model.config import ProcessingConfig
from emgkit.report import build_report
from emgkit.report.html import render_html
from emgkit.report.results import NOT_INTERPRETABLE
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

PROTOCOL = LabProtocol(rest_s=2.0, hinge=TrialSpec("hinge", n_reps=4, lead_s=1.0, tail_s=1.0),
                       squat=TrialSpec("squat", n_reps=4, lead_s=1.0, tail_s=1.0))
ST, BF = 0, 1  # semitendinosus, biceps femoris (right) in the cyton default montage


def _report(tmp_path, name, change):
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=11, protocol=PROTOCOL,
                            markers=True)
    trials = []
    for t in s.trials:
        emg = np.array(t.emg_uv, copy=True)
        change(t.task.name, emg)
        trials.append(dataclasses.replace(t, emg_uv=emg))
    path = tmp_path / name
    write_session(path, dataclasses.replace(s, trials=trials))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        run = analyse_files([path], ProcessingConfig())
    with mock.patch("emgkit.report.figures.report_figures", lambda run: []):
        return run, build_report(run)


@pytest.fixture(scope="module")
def weak_mvc(tmp_path_factory):
    def weak(task, emg):
        if task == "mvc":
            emg[:, ST] *= 0.15  # a submaximal effort: the task reads far above 150 % MVC

    return _report(tmp_path_factory.mktemp("weak"), "weak.h5", weak)


def test_summary_opens_with_the_warning_then_the_fallbacks(weak_mvc):
    run, report = weak_mvc
    c = next(c for c in run.checks if c["channel"] == "semitendinosus_right")
    assert c["check"] == "task_above_150" and not c["interpretable"]
    first = report.findings[0]
    assert first.startswith(f"weak.h5: MVC normalisation not interpretable for "
                            f"semitendinosus (right): its task mean reached "
                            f"{c['task_pct_mvc']:.0f} % MVC in the ")
    assert "the MVC effort was not maximal or the electrode moved" in first
    n_fall = len(run.fallbacks)
    assert n_fall >= 1  # the simulated session at 250 Hz: at least the mains decision
    for f, said in zip(run.fallbacks, report.findings[1:1 + n_fall]):
        assert said == f"weak.h5: {f['sentence'].rstrip('.')}."
    assert report.findings[1 + n_fall].startswith("Subject sim01, 1 session (weak.h5)")
    assert any("semitendinosus_right: MVC normalisation not interpretable" in w
               for w in run.warnings)


def test_implausible_muscle_not_stated_but_kept_marked(weak_mvc):
    run, report = weak_mvc
    rest = " ".join(report.findings[1:])
    assert "semitendinosus" not in rest  # no finding on it, nor an index that uses it
    assert "medial hamstrings worked" not in rest
    marked = [r for r in report.activation.rows if r[1].endswith(NOT_INTERPRETABLE)]
    assert marked and all(r[1].startswith("semitendinosus (right)") for r in marked)
    assert all(re.match(r"\d", r[3]) for r in marked)  # its numbers are there
    assert any(r[0].startswith("semitendinosus (right)") and r[0].endswith(NOT_INTERPRETABLE)
               for r in report.summary.rows)
    idx = {r[0] for r in report.indices.rows}
    assert f"medial:lateral hamstrings{NOT_INTERPRETABLE}" in idx
    m = run.tables["metrics"]
    st = m[m.muscle == "semitendinosus"]
    assert (st.mvc_check == "task_above_150").all() and st.mean_pct_mvc.notna().all()
    ref = report.reference
    assert ref.id == "mvc-reference-table" and ref.columns[-1] == "Check"
    assert [r[-1].split(":")[0] for r in ref.rows] == ["task_above_150"] + ["ok"] * 7
    text = render_html(report)
    assert text.index('id="montage-table"') < text.index('id="mvc-reference-table"')


def test_crosstalk_noted_where_the_ratio_is_within_it(tmp_path):
    def shared(task, emg):  # the medial electrode picks up the lateral muscle
        emg[:, ST] = 0.3 * emg[:, ST] + emg[:, BF]

    run, report = _report(tmp_path, "xt.h5", shared)
    hinge = next(tm for tm in run.metrics[0].trials if tm.trial.task.name == "hinge")
    assert "crosstalk" in hinge.qc_flags[ST] and "crosstalk" in hinge.qc_flags[BF]
    said = [s for s in report.findings if "within what crosstalk could explain" in s]
    assert said and "hinge on the right side" in " ".join(said)
    r = max(hinge.crosstalk.r)
    assert any(f"r = {r:.2f}" in s for s in said)
    assert any("crosstalk" in row[3] and "may pick up the other muscle" in row[4]
               for row in report.quality.rows)
