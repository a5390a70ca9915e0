"""Every number of the HTML report, recomputed from the CSVs of the same run with pandas.

Four kinds of input that broke the report: unequal repetition counts between hinge and
squat, three sessions of one subject, a hinge-only session, and two subjects where one
lacks a muscle. Each is simulated at 250 Hz with short trials, analysed once, written as
``emgkit process`` writes its tables and as ``emgkit report`` writes its page; then each
table cell and each decimal number of the summary sentences is checked against values
recomputed here from ``metrics.csv``, ``metrics.comparisons.csv`` and
``metrics.indices.csv`` (and Welch's test recomputed with scipy).
"""

from __future__ import annotations

import contextlib
import dataclasses
import html as _html
import re
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_pdf_pages import MIN_FILL, page_fills

from emgkit.analysis.files import analyse_files, output_paths, write_outputs
from emgkit.io.writer import write_session
from emgkit.model.config import NormalisationConfig, ProcessingConfig
from emgkit.model.montage import parse_montage
from emgkit.report import build_report, write_report
from emgkit.report.pdf import write_pdf
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

DYNAMIC_EXCLUDED = ("mvc", "rest")
UNIT_COLS = {"mvc": ("mean_pct_mvc", "peak_pct_mvc"),
             "peak_dynamic": ("mean_pct_peak", "peak_pct_peak"), "none": ("mean_uv", "peak_uv")}


def _protocol(n_hinge: int, n_squat: int) -> LabProtocol:
    spec = dict(lead_s=1.0, tail_s=1.0)
    return LabProtocol(rest_s=2.0, hinge=TrialSpec("hinge", n_reps=n_hinge, **spec),
                       squat=TrialSpec("squat", n_reps=max(n_squat, 1), **spec),
                       squat_sets=1 if n_squat else 0)


def _montage_without(muscle: str):
    base = default_montage("cyton")
    return parse_montage({"name": f"cyton without {muscle}", "board": "cyton", "channel": [
        {"number": c.number, "muscle": c.muscle, "side": c.side}
        for c in base.channels if c.muscle != muscle]})


#: case -> sessions as (subject, seed, hinge reps, squat reps, muscle left out)
CASES = {
    "unequal": [("S01", 1, 3, 6, None)],
    "three_sessions": [("S01", 1, 3, 4, None), ("S01", 2, 5, 3, None), ("S01", 3, 4, 4, None)],
    "hinge_only": [("S01", 4, 4, 0, None)],
    "missing_muscle": [("S01", 5, 4, 4, None), ("S02", 6, 3, 5, "biceps_femoris"),
                       ("S03", 7, 4, 3, None)],
}


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """Session files per case (simulated once)."""
    out = {}
    for case, specs in CASES.items():
        d = tmp_path_factory.mktemp(case)
        paths = []
        for k, (subject, seed, nh, ns, drop) in enumerate(specs):
            montage = default_montage("cyton") if drop is None else _montage_without(drop)
            s, _ = simulate_session(montage, 250.0, seed=seed, protocol=_protocol(nh, ns),
                                    subject=subject, markers=True)
            paths.append(d / f"{subject}-{k + 1}.h5")
            write_session(paths[-1], s)
        out[case] = (d, paths)
    return out


def _run(d, paths, method="mvc", pdf=False):
    """Analyse, write the CSVs and the report; return (csvs, html text, report).

    The figures (most of a report's time) are drawn only with ``pdf``: the numbers
    checked here are in the tables and sentences.
    """
    cfg = ProcessingConfig(normalisation=NormalisationConfig(method=method))
    run = analyse_files(paths, cfg)
    out = output_paths(d / f"metrics-{method}.csv")
    write_outputs(run, out, "emgkit process")
    with (contextlib.nullcontext() if pdf else
          mock.patch("emgkit.report.figures.report_figures", lambda run: [])):
        report = build_report(run)
    html = d / f"report-{method}.html"
    write_report(report, html, d / f"report-{method}.pdf" if pdf else None)
    csv = {k: pd.read_csv(out[k], keep_default_na=True) for k in ("metrics", "comparisons",
                                                                  "indices")}
    csv["method"] = method
    return csv, html.read_text(encoding="utf-8"), report


def html_table(text: str, table_id: str) -> pd.DataFrame | None:
    """Parse one table of the page into strings (None if it is not there)."""
    m = re.search(rf'<table id="{table_id}">(.*?)</table>', text, re.S)
    if m is None:
        return None
    table = m.group(1)
    head = [_html.unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", table)]
    rows = [[_html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S)]
    return pd.DataFrame(rows, columns=head)


def findings_text(text: str) -> list[str]:
    ul = re.search(r'<ul class="findings">(.*?)</ul>', text, re.S).group(1)
    return [_html.unescape(s) for s in re.findall(r"<li>(.*?)</li>", ul, re.S)]


def f1(x, nd=1):
    return "-" if not np.isfinite(x) else f"{x:.{nd}f}"


def ms(mean, sd, nd=1):
    return f"{f1(mean, nd)} ({f1(sd, nd)})"


def label(muscle, side):
    return f"{muscle.replace('_', ' ')} ({side})"


def task_values(csv) -> pd.DataFrame:
    """Per (subject, task, muscle, side): the repetition values the report summarises."""
    m = csv["metrics"]
    m = m[~m["task"].isin(DYNAMIC_EXCLUDED) & (m["rep"] > 0)]
    mcol, pcol = UNIT_COLS[csv["method"]]
    return m.rename(columns={mcol: "v", pcol: "pk"})[
        ["subject", "session", "task", "muscle", "side", "rep", "v", "pk"]]


def expected_activation(csv) -> dict:
    """(task, muscle label) -> (n, mean (SD), peak (SD)) from metrics.csv."""
    v = task_values(csv)
    group = v["subject"].nunique() > 1
    if group:
        v = v.groupby(["subject", "task", "muscle", "side"])[["v", "pk"]].mean().reset_index()
    out = {}
    for (task, muscle, side), g in v.groupby(["task", "muscle", "side"]):
        out[(task, label(muscle, side))] = (str(len(g)), ms(g.v.mean(), g.v.std()),
                                            ms(g.pk.mean(), g.pk.std()))
    return out


def check_activation(csv, text) -> set[str]:
    t = html_table(text, "activation-table")
    want = expected_activation(csv)
    if t is None:
        assert want == {}
        return set()
    got = {(r["Task"], r["Muscle"]): (r["n"], r[t.columns[3]], r[t.columns[4]])
           for _, r in t.iterrows()}
    assert len(got) == len(t), "a task and muscle shown twice"
    assert got == want
    return {c for row in got.values() for cell in row for c in cell.replace("(", " ")
            .replace(")", " ").split()}


def _hinge_squat(csv, muscle, side):
    v = task_values(csv)
    v = v[(v.muscle == muscle) & (v.side == side)]
    if v["subject"].nunique() > 1:  # subject means, the subjects with both tasks
        per = v.groupby(["subject", "task"])["v"].mean().unstack("task").dropna()
        return per["hinge"].to_numpy(), per["squat"].to_numpy(), True
    return (v[v.task == "hinge"]["v"].to_numpy(), v[v.task == "squat"]["v"].to_numpy(),
            False)


def check_summary(csv, text) -> set[str]:
    t = html_table(text, "summary-table")
    comp = csv["comparisons"]
    level = "subjects" if csv["metrics"]["subject"].nunique() > 1 else "reps"
    comp = comp[(comp.comparison == "task") & (comp.level == level)
                & comp.index_name.isna()]
    if t is None:
        assert comp.empty
        return set()
    assert len(t) == len(comp)
    v = task_values(csv)
    peaks = v.groupby(["subject", "task", "muscle", "side"])["pk"].mean() if level == \
        "subjects" else v.set_index(["task", "muscle", "side"])["pk"]
    numbers = set()
    by_label = {label(c.muscle, c.side): c for _, c in comp.iterrows()}
    assert len(by_label) == len(comp) == len(set(t["Muscle"]))
    for _, r in t.iterrows():
        c = by_label[r["Muscle"]]
        a, b, paired = _hinge_squat(csv, c.muscle, c.side)
        assert r.iloc[1] == ms(a.mean(), a.std(ddof=1)) == ms(c.mean_a, c.sd_a)
        assert r.iloc[2] == ms(b.mean(), b.std(ddof=1)) == ms(c.mean_b, c.sd_b)
        for task, col in (("hinge", 3), ("squat", 4)):
            pk = peaks.xs((task, c.muscle, c.side), level=("task", "muscle", "side"))
            assert r.iloc[col] == f1(pk.mean())
        assert r["Difference"] == f1(a.mean() - b.mean()) == f1(c["diff"])
        res = stats.ttest_rel(a, b) if paired else stats.ttest_ind(a, b, equal_var=False)
        ci = res.confidence_interval()
        assert r["95 % CI"] == f"{f1(ci.low)} to {f1(ci.high)}"
        if paired and len(a) < 3:  # two subjects: an interval, no test (stats.NO_TEST)
            assert np.isnan(c.p) and c.test == r["Test"] == "none (n < 3)"
        else:
            assert c.p == pytest.approx(res.pvalue, rel=1e-9)
            assert c.test == ("paired t" if paired else "Welch t") == r["Test"]
        assert r["p (Holm)"] == ("-" if np.isnan(c.p_holm) else "< 0.001" if c.p_holm < 0.001
                                 else f"{c.p_holm:.3f}")
        assert r["Hedges' g"] == f1(c.hedges_g, 2)
        assert r["n hinge/squat"] == f"{len(a)}/{len(b)}"
        numbers |= {r.iloc[1].split()[0], r.iloc[2].split()[0], r["Difference"],
                    *r["95 % CI"].split(" to "), r["Hedges' g"], r["p (Holm)"].lstrip("< ")}
    return numbers


def check_indices(csv, text) -> set[str]:
    t = html_table(text, "index-table")
    ind = csv["indices"]
    ind = ind[~ind.task.isin(DYNAMIC_EXCLUDED)]
    if csv["method"] == "none" or ind.empty:
        assert t is None
        return set()
    if ind["subject"].nunique() > 1:
        ind = ind.groupby(["subject", "task", "side", "index_name"])["value"].mean()
        ind = ind.reset_index()
    vals = ind.groupby(["task", "side", "index_name"])["value"].agg(["mean", "std"])
    names = {"medial:lateral hamstrings": "medial_lateral_hamstrings",
             "hamstring:quadriceps": "hamstrings_quadriceps",
             "gluteus maximus:hamstrings": "gluteus_maximus_hamstrings",
             "low-back dominance": "low_back_dominance", "abdominal:erector": "abdominal_erector"}
    comp = csv["comparisons"]
    level = "subjects" if csv["metrics"]["subject"].nunique() > 1 else "reps"
    comp = comp[(comp.comparison == "task") & (comp.level == level) & comp.index_name.notna()]
    comp = comp.set_index(["side", "index_name"])
    assert len(t) == len(vals.reset_index()[["side", "index_name"]].drop_duplicates())
    numbers = set()
    for _, r in t.iterrows():
        key = (r["Side"], names[r["Index"]])
        for col in (c for c in t.columns if c.endswith("(SD)")):
            task = col.split(" (")[0].lower()
            want = (ms(*vals.loc[(task, *key)], nd=2) if (task, *key) in vals.index else "-")
            assert r[col] == want, (key, col)
            numbers |= set(want.replace("(", "").replace(")", "").split())
        if "Difference" in t.columns:
            c = comp.loc[key]
            assert r["Difference"] == f1(c["diff"], 2)
            assert r["95 % CI"] == f"{f1(c.ci_low, 2)} to {f1(c.ci_high, 2)}"
            if level == "reps":  # Welch: the difference of the means shown
                h, s = vals.loc[("hinge", *key), "mean"], vals.loc[("squat", *key), "mean"]
                assert r["Difference"] == f1(h - s, 2)
            numbers |= {r["Difference"], *r["95 % CI"].split(" to ")}
        if csv["method"] == "peak_dynamic" and ("squat", *key) in vals.index:
            numbers.add(f1(vals.loc[("hinge", *key), "mean"] / vals.loc[("squat", *key),
                                                                         "mean"], 2))
    return numbers


def check_page(csv, text):
    """Every table and every decimal number of the sentences agree with the CSVs."""
    numbers = check_activation(csv, text) | check_summary(csv, text) | check_indices(csv, text)
    sentences = findings_text(text)
    for s in sentences:
        for x in re.findall(r"-?\d+\.\d+", s):
            assert x in numbers or x in ("0.9", "1.1"), (x, s)
    return sentences


def test_unequal_repetitions(sessions):
    csv, text, _ = _run(*sessions["unequal"])
    said = " ".join(check_page(csv, text))
    assert "(3 hinge and 6 squat repetitions)" in said
    assert "Welch's t-test: this is single-subject inference" in said
    assert "paired by order" not in text.split('<section id="methods">')[0]
    comp = csv["comparisons"]
    assert set(comp[comp.comparison == "task"].test) == {"Welch t"}
    assert (comp[comp.comparison == "task"][["n_a", "n_b"]] == [3, 6]).all().all()


def test_three_sessions_of_one_subject(sessions):
    csv, text, _ = _run(*sessions["three_sessions"])
    said = check_page(csv, text)
    t = html_table(text, "activation-table")
    assert set(t["Sessions"]) == {"S01-1.h5; S01-2.h5; S01-3.h5"}
    assert (t[t.Task == "hinge"]["n"] == "12").all() and (t[t.Task == "squat"]["n"] == "11").all()
    comp = csv["comparisons"]
    task = comp[(comp.comparison == "task")]
    assert set(task.level) == {"reps"} and len(task[task.index_name.isna()]) == 8
    for s in said:  # each channel named at most once in a head and once in the details
        for m in re.findall(r"[a-z ]+ \((?:right|left)\)", s):
            assert s.count(m.strip()) <= 2, s
    assert "pooled over 3 sessions" in " ".join(said)


def test_hinge_only_session(sessions):
    d, paths = sessions["hinge_only"]
    csv, text, report = _run(d, paths, pdf=True)
    said = check_page(csv, text)
    assert html_table(text, "summary-table") is None
    assert said[0].startswith("S01-1.h5: mains: ")  # the summary opens with the fallbacks
    said = said[1:]
    assert said[0] == ("Subject S01, 1 session (S01-1.h5): 5 MVC trials, 1 rest trial and "
                       "1 hinge trial (4 repetitions).")
    assert said[1] == ("There is no hinge-squat comparison: the sessions hold no squat "
                       "repetitions.")
    assert said[2].startswith("In the hinge (4 repetitions), the most active muscles were ")
    assert "no hinge and squat repetitions to compare" not in text
    assert report.title == "Subject S01: hinge activation"
    assert {f.id for f in report.figures} >= {"fig-bars", "fig-ensembles", "fig-trends",
                                              "fig-quality", "fig-medial-lateral"}
    assert len(html_table(text, "mvc-reference-table")) == 8
    fills = page_fills(d / "report-mvc.pdf", d)  # no near-empty page here either
    assert all(f >= MIN_FILL for f in fills[:-1]), fills
    engine = write_pdf(report, d / "again.pdf")  # and the layout engine agrees
    assert len(engine) == len(fills) and np.allclose(engine[:-1], fills[:-1], atol=0.08)


def test_two_subjects_one_missing_a_muscle(sessions):
    csv, text, _ = _run(*sessions["missing_muscle"])
    said = " ".join(check_page(csv, text))
    assert "across subjects (subject means)" in said
    comp = csv["comparisons"]
    subj = comp[(comp.level == "subjects") & (comp.comparison == "task")]
    bf = subj[subj.channel == "biceps_femoris_right"]
    assert (bf.n == 2).all() and (subj[subj.channel == "semitendinosus_right"].n == 3).all()
    t = html_table(text, "activation-table")
    assert set(t[t.Muscle == "biceps femoris (right)"]["n"]) == {"2"}


@pytest.mark.parametrize("method", ["peak_dynamic", "none"])
def test_sentences_follow_the_normalisation(sessions, method):
    csv, text, _ = _run(*sessions["unequal"], method=method)
    said = " ".join(check_page(csv, text))
    assert "worked harder" not in said and "loaded" not in said
    assert "most active" not in said  # no ranking of muscles without a common reference
    unit = {"peak_dynamic": "% of peak", "none": "µV"}[method]
    assert f"Hinge mean {unit} (SD)" in text
    if method == "none":
        assert html_table(text, "index-table") is None
        assert "no indices (ratios between muscles) are given" in said
    else:
        assert "can only be compared between tasks" in said
        assert "times as high in the hinge as in the squat" in said


def test_mvc_only_session(tmp_path):
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=8, protocol=_protocol(3, 0))
    s = dataclasses.replace(s, trials=[t for t in s.trials if t.task.name == "mvc"])
    write_session(tmp_path / "mvc.h5", s)
    csv, text, report = _run(tmp_path, [tmp_path / "mvc.h5"])
    said = check_page(csv, text)
    assert said[0].startswith("mvc.h5: mains: ")  # the summary opens with the fallbacks
    assert said[1] == "Subject sim01, 1 session (mvc.h5): 5 MVC trials."
    assert "no task trials to summarise" in " ".join(said)
    assert report.title == "Subject sim01: MVC and rest activation"
    assert html_table(text, "mvc-reference-table") is not None
