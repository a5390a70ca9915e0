"""The report's "Group statistics" section (issue 17): three subjects, and one."""

from __future__ import annotations

import subprocess

import pytest
from matplotlib.colors import to_hex

from emgkit.analysis.palette import task_colour
from emgkit.cli.main import main
from emgkit.io.writer import write_session
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

#: Short sessions at 1000 Hz (no low-rate warning): MVCs, hinge and squat of 5 repetitions.
SHORT = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "gluteals", "back_extensors",
                                             "quadriceps", "abdominals"),
                    hinge=TrialSpec("hinge", variant="romanian_deadlift", load_kg=60.0,
                                    n_reps=5, lead_s=1.0, tail_s=1.0),
                    squat=TrialSpec("squat", variant="back_squat", load_kg=80.0, n_reps=5,
                                    lead_s=1.0, tail_s=1.0))


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    d = tmp_path_factory.mktemp("group")
    out = []
    for seed in range(3):
        s, _ = simulate_session(default_montage("cyton"), 1000.0, seed=seed, protocol=SHORT,
                                subject=f"S0{seed + 1}")
        out.append(d / f"s{seed + 1}.h5")
        write_session(out[-1], s)
    return out


def _pdftotext(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_three_subjects_report_has_the_mixed_table_and_spm(sessions, tmp_path, caplog):
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    assert main(["report", *map(str, sessions), "--out", str(html), "--pdf", str(pdf)]) == 0
    said = [r.getMessage() for r in caplog.records]
    assert sum("3 subjects (the mixed model needs 6)" in m for m in said) == 1, said
    text = html.read_text(encoding="utf-8")
    summary, group, figures = (text.index('id="summary"'), text.index('id="group-statistics"'),
                               text.index('id="figures"'))
    assert summary < group < figures and "<h2>Group statistics</h2>" in text
    section = text[group:figures]
    for item in ('id="tab-mixed"', "subject means, paired by subject", 'id="tab-spm"',
                 "not tested: 4 permutations", 'id="tab-reliability"', "ICC(2,1)",
                 'id="tab-context"', "Zebis et al. 2013", "3 subjects (the mixed model needs 6)"):
        assert item in section, item
    assert "Single-subject tests" not in text
    pdf_text = _pdftotext(pdf)
    for item in ("Group statistics", "Hinge minus squat across subjects", "Zebis et al. 2013"):
        assert item in pdf_text, item


def test_one_subject_says_single_subject_and_shades_clusters(sessions, tmp_path):
    from emgkit.analysis.files import analyse_files, load_config
    from emgkit.report import build_report, write_report
    from emgkit.report.figures import spm_clusters

    run = analyse_files(sessions[:1], load_config(None), statistics=True)
    report = build_report(run)
    assert report.group.sentences[0].startswith("Single-subject tests")
    assert "independent samples" in report.group.sentences[0]
    assert "tab-mixed" not in {t.id for t in report.group.tables}
    spm = next(t for t in report.group.tables if t.id == "tab-spm")
    assert any(r[0] == "semitendinosus (right)" and r[4] == "hinge > squat" for r in spm.rows)
    clusters = spm_clusters(run)
    assert any(task == "hinge" for _, _, task in clusters["semitendinosus_right"])
    fig = next(f for f in report.figures if f.id == "fig-ensembles").figure
    ax = next(a for a in fig.axes if a.get_title() == "semitendinosus (right)")
    shaded = {to_hex(p.get_facecolor()[:3]) for p in ax.patches}
    assert task_colour("hinge") in shaded
    html, pdf = write_report(report, tmp_path / "one.html", tmp_path / "one.pdf")
    assert "Single-subject tests" in html.read_text(encoding="utf-8")
    assert "Single-subject tests" in _pdftotext(pdf)
