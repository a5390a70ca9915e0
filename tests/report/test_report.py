"""`emgkit report`: HTML in headless Chromium, escaping, PDF text and pages, errors."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from cdp_helpers import Browser
from report_helpers import HOSTILE, hostile_session

from emgkit.cli.main import main
from emgkit.io.writer import write_session

FIGURES = ("fig-bars", "fig-ensembles", "fig-medial-lateral", "fig-trends", "fig-quality")


def check_in_chromium(html, tmp_path, screenshot):
    """Open ``html`` in headless Chromium; return the page facts after the checks."""
    b = Browser(tmp_path / "profile")
    try:
        b.open(html.resolve().as_uri())
        facts = b.evaluate("""(() => ({
            summaryRows: document.querySelectorAll('#summary-table tbody tr').length,
            summaryHead: [...document.querySelectorAll('#summary-table th')]
                .map(e => e.textContent),
            figures: [...document.querySelectorAll('figure')].map(f => ({id: f.id,
                ok: f.querySelector('img').complete
                    && f.querySelector('img').naturalWidth > 100})),
            scripts: document.scripts.length,
            text: document.body.innerText,
            sections: [...document.querySelectorAll('h2')].map(e => e.textContent),
        }))()""")
        assert b.problems() == []
        assert all(u.startswith(("file:", "data:")) for u in b.requests()), b.requests()
        b.screenshot(screenshot)
        b.screenshot(tmp_path / "phone.png", width=390, mobile=True)
        facts["phone_overflow"] = b.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth")
        assert b.problems() == []
    finally:
        b.close()
    return facts


def test_html_in_chromium_no_errors_all_figures_escaped(hostile, tmp_path):
    _, _, html, _ = hostile
    facts = check_in_chromium(html, tmp_path, tmp_path / "report.png")
    assert facts["sections"] == ["Summary", "Group statistics", "Figures", "Quality", "Methods"]
    assert facts["summaryRows"] == 8
    assert any("Hinge mean" in h for h in facts["summaryHead"])
    assert [f["id"] for f in facts["figures"]] == list(FIGURES)
    assert all(f["ok"] for f in facts["figures"])
    assert facts["scripts"] == 0  # nothing from the files became markup
    assert HOSTILE in facts["text"]  # shown as text
    assert "<img src=x onerror=alert(2)>" in facts["text"]
    assert facts["phone_overflow"] <= 1  # tables scroll inside their boxes on a phone
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_html_source_is_escaped_and_self_contained(hostile):
    text = hostile[2].read_text(encoding="utf-8")
    assert "<script" not in text and "onerror=alert" not in text.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "http://" not in text and "https://" not in text
    assert text.count("data:image/png;base64,") == len(FIGURES)
    assert '<meta name="viewport"' in text and "@media print" in text


def test_html_summary_in_words(hostile):
    text = hostile[2].read_text(encoding="utf-8")
    assert "The hinge loaded the hamstrings more than the squat" in text
    assert "The medial hamstrings worked more than the lateral hamstrings in the hinge" in text
    assert "low-back dominance" in text
    for item in ("Butterworth band-pass of order 4", "20-112.5 Hz at 250 Hz", "Q = 30",
                 "centred moving RMS over 250 ms", "maximal voluntary contraction",
                 "gain 24", "sampled at 250 Hz", "Hermens", "Besomi", "Merletti"):
        assert item in text, item


def _pdftotext(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_pdf_has_summary_figures_and_pages_render(hostile, tmp_path):
    pdf = hostile[3]
    text = _pdftotext(pdf)
    for item in ("Summary", "Hinge mean", "semitendinosus (right)", "Figures", "Methods",
                 "Quality", "References", "The hinge loaded the hamstrings more than the squat",
                 HOSTILE):
        assert item in text, item
    for k, title in enumerate(("Activation per muscle and task", "Ensemble curves",
                               "Medial vs lateral hamstrings", "Per-repetition trends",
                               "Quality heat map"), 1):
        assert f"Figure {k}. {title}" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 5
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages and all(p.stat().st_size > 500 for p in pngs)


def test_group_report_across_subjects(hostile, tmp_path, capsys):
    second, _ = hostile_session("S02", seed=2)
    other = tmp_path / "s02.h5"
    write_session(other, second)
    out = tmp_path / "group.html"
    assert main(["report", str(hostile[1]), str(other), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    text = out.read_text(encoding="utf-8")
    assert "Group report" in text and "S01, S02 (2)" in text
    assert "across subjects (subject means)" in text
    assert "SD across subjects" in text


@pytest.mark.parametrize("case", ["missing", "suffix", "no_mvc"])
def test_errors_exit_2_one_line_nothing_written(hostile, tmp_path, capsys, case):
    import dataclasses

    out = tmp_path / "r.html"
    pdf = tmp_path / "r.pdf"
    if case == "missing":
        args, name = [str(tmp_path / "nope.h5"), "--out", str(out)], "nope.h5"
    elif case == "suffix":
        args, name = [str(hostile[1]), "--out", str(tmp_path / "r.txt")], "r.txt"
    else:
        s, _ = hostile_session()
        s = dataclasses.replace(s, trials=[t for t in s.trials if t.task.name != "mvc"])
        write_session(tmp_path / "no_mvc.h5", s)
        args, name = [str(tmp_path / "no_mvc.h5"), "--out", str(out), "--pdf", str(pdf)], \
            "no_mvc.h5"
    assert main(["report", *args]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("emgkit report: error:") and name in err[0]
    assert not out.exists() and not pdf.exists()
    assert not list(tmp_path.glob(".*.part"))


def test_report_help_lists_options(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    for opt in ("--out", "--pdf", "--config"):
        assert opt in out


def test_chromium_and_poppler_installed():
    for tool in ("chromium", "pdftotext", "pdftoppm", "pdfinfo"):
        assert shutil.which(tool), f"{tool} missing: bash .ci/run installs it"


def test_mixed_group_names_which_channel_differed():
    """A group where one channel differs and another does not is not called 'no difference'."""
    import pandas as pd

    from emgkit.report.findings import group_sentences

    rows = pd.DataFrame([
        dict(muscle="rectus_abdominis", side="right", mean_a=4.9, mean_b=5.0, diff=-0.1,
             ci_low=-0.7, ci_high=0.5, hedges_g=-0.2, p_holm=0.67),
        dict(muscle="external_oblique", side="right", mean_a=8.7, mean_b=6.4, diff=2.4,
             ci_low=2.2, ci_high=2.6, hedges_g=8.3, p_holm=0.0004),
        dict(muscle="internal_oblique", side="right", mean_a=3.0, mean_b=6.4, diff=-3.4,
             ci_low=-4.0, ci_high=-2.8, hedges_g=-5.0, p_holm=0.001),
    ])
    groups = dict.fromkeys(rows["muscle"], "abdominals")
    (sentence,) = group_sentences(rows, "pct_mvc", groups)
    assert sentence.startswith("Within the abdominals, the hinge loaded external oblique "
                               "(right) more than the squat, internal oblique (right) less "
                               "than the squat and rectus abdominis (right) not clearly "
                               "differently (")
    assert sentence.count("rectus abdominis (right)") == 2  # named once, detailed once
    (peak,) = group_sentences(rows, "pct_peak", groups)
    assert "loaded" not in peak and "more active in the hinge" in peak
    (same,) = group_sentences(rows.iloc[:1], "uv", groups)
    assert same.startswith("The abdominals were not clearly differently active")


def test_join_items():
    from emgkit.report.content import join_items

    assert join_items([]) == "" and join_items(["a"]) == "a"
    assert join_items(["a", "b"]) == "a and b"
    assert join_items(["a", "", "b", "c"]) == "a, b and c"
    assert join_items(["a", "b", "c"], "; ", "; ") == "a; b; c"
