"""What the report says: tables, sentences and quality rows, built from an analysis run.

Everything here is plain text and numbers (no HTML, no figures); :mod:`.html` and
:mod:`.pdf` lay it out. The summary compares the hinge with the squat per muscle and
per index (:func:`emgkit.analysis.compare`): across repetitions for one subject, across
subjects when several subjects are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emgkit.analysis.files import AnalysisRun
from emgkit.analysis.indices import BALANCED_RATIO, low_back_word, ratio_band
from emgkit.analysis.metrics import UNITS

#: Unit label and metrics-table columns (mean, peak) by normalisation unit.
UNIT_LABEL = {"pct_mvc": "%MVC", "pct_peak": "% of peak", "uv": "µV"}
AMP_COLUMNS = {"pct_mvc": ("mean_pct_mvc", "peak_pct_mvc"),
               "pct_peak": ("mean_pct_peak", "peak_pct_peak"), "uv": ("mean_uv", "peak_uv")}
INDEX_LABEL = {
    "medial_lateral_hamstrings": "medial:lateral hamstrings",
    "hamstrings_quadriceps": "hamstring:quadriceps",
    "gluteus_maximus_hamstrings": "gluteus maximus:hamstrings",
    "low_back_dominance": "low-back dominance",
    "abdominal_erector": "abdominal:erector",
}
#: What each quality flag means (docs/signal-core.md).
FLAG_MEANING = {
    "railed": "signal at the amplifier's full scale (electrode off or saturated)",
    "clipping": "samples at the full scale",
    "flat": "no signal (flat line)",
    "lead_off": "electrode off (one-sided or near-constant signal)",
    "mains": "strong mains interference",
    "noisy_baseline": "baseline noise above the limit",
    "low_snr": "task signal hardly above the rest baseline",
}
#: Muscle groups the findings speak of, in this order.
FINDING_GROUPS = ("hamstrings", "gluteals", "back_extensors", "quadriceps", "abdominals")
TASKS = ("hinge", "squat")


@dataclass
class Table:
    """A table of strings, ready to lay out.

    Attributes
    ----------
    id : str
        Anchor (HTML id).
    caption : str
        What the table shows.
    columns : list of str
        Column headings.
    rows : list of list of str
        Cells.
    """

    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def pretty(name: str) -> str:
    """``biceps_femoris`` -> ``biceps femoris``."""
    return str(name).replace("_", " ")


def channel_label(muscle: str, side: str, label: str = "") -> str:
    """Return a readable channel name: ``semitendinosus (right)``."""
    extra = f", {label}" if label else ""
    return f"{pretty(muscle)} ({side}{extra})"


def fmt(x, nd: int = 1) -> str:
    """Format a number for the report ("-" when missing)."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:.{nd}f}"


def fmt_p(p) -> str:
    """Format a p value as reported (``< 0.001`` below that)."""
    if p is None or not np.isfinite(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p) -> str:
    """Return ``= 0.012`` or ``< 0.001`` (to follow a "p")."""
    txt = fmt_p(p)
    return txt if txt.startswith("<") else f"= {txt}"


def _compare_word(x: float) -> str:
    """Say how a ratio compares with 1 (within :data:`BALANCED_RATIO` counts as about equal)."""
    if not np.isfinite(x):
        return "could not be compared with"
    return ("less than", "about as much as", "more than")[ratio_band(x) + 1]


def report_unit(run: AnalysisRun) -> str:
    """Return the amplitude unit of the run (``pct_mvc``, ``pct_peak`` or ``uv``)."""
    return UNITS[run.config.normalisation.method]


def comparison_level(run: AnalysisRun) -> str:
    """``subjects`` when several subjects were compared, else ``reps``."""
    comp = run.tables["comparisons"]
    task = comp[comp["comparison"] == "task"]
    return "subjects" if (task["level"] == "subjects").any() else "reps"


def task_amplitudes(run: AnalysisRun) -> pd.DataFrame:
    """Return the mean and SD (across repetitions, or across subjects) of mean and peak amplitude.

    Returns
    -------
    pandas.DataFrame
        One row per (subject, task, channel, name, muscle, side) with ``mean``, ``mean_sd``,
        ``peak``, ``peak_sd`` and ``n``; ``subject`` is ``all`` at the subjects level.
    """
    mcol, pcol = AMP_COLUMNS[report_unit(run)]
    m = run.tables["metrics"]
    m = m[m["task"].isin(TASKS) & (m["rep"] > 0)].copy()
    names = {(sm.name, c.number): c.name for sm in run.metrics
             for c in sm.session.montage.channels}
    m["name"] = [names[k] for k in zip(m["session"], m["channel"])]
    keys = ["task", "channel", "name", "muscle", "side"]
    if comparison_level(run) == "subjects":
        per = m.groupby(["subject", *keys], sort=False)[[mcol, pcol]].mean().reset_index()
        per["subject"] = "all"
        m = per
    g = m.groupby(["subject", *keys], sort=False)
    out = g.agg(mean=(mcol, "mean"), mean_sd=(mcol, "std"), peak=(pcol, "mean"),
                peak_sd=(pcol, "std"), n=(mcol, "count")).reset_index()
    return out


def summary_table(run: AnalysisRun) -> Table:
    """Return the hinge-vs-squat table per muscle: mean and peak, difference, CI, g, test."""
    unit = UNIT_LABEL[report_unit(run)]
    level = comparison_level(run)
    comp = run.tables["comparisons"]
    rows_c = comp[(comp["comparison"] == "task") & (comp["index_name"] == "")
                  & (comp["level"] == level)]
    amp = task_amplitudes(run).set_index(["subject", "task", "name"])
    several = level == "reps" and rows_c["session"].nunique() > 1
    cols = (["Session"] if several else []) + [
        "Muscle", f"Hinge mean {unit} (SD)", f"Squat mean {unit} (SD)", f"Hinge peak {unit}",
        f"Squat peak {unit}", "Difference", "95 % CI", "Hedges' g", "Test", "p (Holm)", "n"]
    spread = "subjects" if level == "subjects" else "repetitions"
    t = Table("summary-table", f"Hinge vs squat per muscle: mean (SD across {spread}) and peak "
              f"of the RMS envelope in {unit}; difference hinge minus squat with its 95 % "
              "confidence interval, Hedges' g_av, the paired test and its p value after Holm's "
              "correction across muscles.", cols)
    for r in rows_c.itertuples(index=False):
        subj = "all" if level == "subjects" else r.subject

        def cell(task, what, r=r, subj=subj):
            try:
                a = amp.loc[(subj, task, r.channel)]
            except KeyError:
                return "-"
            if isinstance(a, pd.DataFrame):
                a = a.iloc[0]
            if what == "mean":
                return f"{fmt(a['mean'])} ({fmt(a['mean_sd'])})"
            return fmt(a["peak"])

        t.rows.append(([r.session] if several else []) + [
            channel_label(r.muscle, r.side), cell("hinge", "mean"), cell("squat", "mean"),
            cell("hinge", "peak"), cell("squat", "peak"), fmt(r.diff),
            f"{fmt(r.ci_low)} to {fmt(r.ci_high)}", fmt(r.hedges_g, 2), str(r.test),
            fmt_p(r.p_holm), str(r.n)])
    return t


def index_values(run: AnalysisRun) -> pd.DataFrame:
    """Return the mean and SD of every index per task and side (across reps, or subjects' means)."""
    ind = run.tables["indices"]
    ind = ind[ind["task"].isin(TASKS)]
    if ind.empty:
        return pd.DataFrame(columns=["task", "side", "index_name", "mean", "sd", "n"])
    if comparison_level(run) == "subjects":
        ind = ind.groupby(["subject", "task", "side", "index_name"])["value"].mean()
        ind = ind.reset_index()
    g = ind.groupby(["task", "side", "index_name"])["value"]
    return g.agg(mean="mean", sd="std", n="count").reset_index()


def index_table(run: AnalysisRun) -> Table:
    """Return the indices per side: hinge and squat means, their difference and test."""
    vals = index_values(run).set_index(["task", "side", "index_name"])
    comp = run.tables["comparisons"]
    rows_c = comp[(comp["comparison"] == "task") & (comp["index_name"] != "")
                  & (comp["level"] == comparison_level(run))]
    t = Table("index-table", "Indices (ratios of mean amplitudes per repetition): medial over "
              "lateral hamstrings, hamstrings over quadriceps, gluteus maximus over hamstrings, "
              "low-back dominance (back extensors over the mean of gluteus maximus and "
              "hamstrings; above 1 the low back did more than the hips), abdominals over back "
              "extensors. Mean (SD); hinge minus squat with 95 % CI and Holm-corrected p.",
              ["Index", "Side", "Hinge (SD)", "Squat (SD)", "Difference", "95 % CI", "p (Holm)"])
    seen = set()
    for r in rows_c.itertuples(index=False):
        key = (r.side, r.index_name)
        if key in seen:
            continue
        seen.add(key)
        t.rows.append([INDEX_LABEL.get(r.index_name, pretty(r.index_name)), r.side,
                       _mean_sd(vals, "hinge", r.side, r.index_name),
                       _mean_sd(vals, "squat", r.side, r.index_name), fmt(r.diff, 2),
                       f"{fmt(r.ci_low, 2)} to {fmt(r.ci_high, 2)}", fmt_p(r.p_holm)])
    for task_side_name in vals.index:
        _, side, name = task_side_name  # indices of one task only
        if (side, name) not in seen:
            seen.add((side, name))
            t.rows.append([INDEX_LABEL.get(name, pretty(name)), side,
                           _mean_sd(vals, "hinge", side, name),
                           _mean_sd(vals, "squat", side, name), "-", "-", "-"])
    return t


def _mean_sd(vals: pd.DataFrame, task: str, side: str, name: str) -> str:
    try:
        v = vals.loc[(task, side, name)]
    except KeyError:
        return "-"
    return f"{fmt(v['mean'], 2)} ({fmt(v['sd'], 2)})"


def _group_of(run: AnalysisRun, muscle: str) -> str:
    m = run.metrics[0].session.montage.muscle(muscle)
    return m.groups[-1] if m.groups else m.name


def findings(run: AnalysisRun, alpha: float = 0.05) -> list[str]:
    """Return the summary in words: one sentence per muscle group and per index.

    A group is said to be loaded more (less) in the hinge than in the squat when every
    channel of the group differs in that direction with a Holm-corrected p below
    ``alpha``; otherwise the sentence says the difference was not consistent.
    """
    unit = UNIT_LABEL[report_unit(run)]
    level = comparison_level(run)
    comp = run.tables["comparisons"]
    rows = comp[(comp["comparison"] == "task") & (comp["index_name"] == "")
                & (comp["level"] == level)]
    out: list[str] = []
    if rows.empty:
        return ["The sessions have no hinge and squat repetitions to compare."]
    who = ("across subjects (subject means)" if level == "subjects" else
           "across repetitions")
    groups = {}
    for r in rows.itertuples(index=False):
        groups.setdefault(_group_of(run, r.muscle), []).append(r)
    for g in sorted(groups, key=lambda g: (FINDING_GROUPS.index(g) if g in FINDING_GROUPS
                                          else len(FINDING_GROUPS), g)):
        rs = groups[g]
        detail = "; ".join(
            f"{channel_label(r.muscle, r.side)} {fmt(r.mean_a)} vs {fmt(r.mean_b)} {unit}, "
            f"difference {fmt(r.diff)} (95 % CI {fmt(r.ci_low)} to {fmt(r.ci_high)}), "
            f"g = {fmt(r.hedges_g, 2)}, p {p_phrase(r.p_holm)}" for r in rs)
        sig = [np.isfinite(r.p_holm) and r.p_holm < alpha for r in rs]
        signs = {np.sign(r.diff) for r in rs}
        if all(sig) and signs == {1.0}:
            out.append(f"The hinge loaded the {pretty(g)} more than the squat ({detail}; {who}).")
        elif all(sig) and signs == {-1.0}:
            out.append(f"The hinge loaded the {pretty(g)} less than the squat ({detail}; {who}).")
        elif not any(sig):
            out.append(f"The hinge and the squat did not clearly differ for the {pretty(g)} "
                       f"({detail}; {who}).")
        else:  # mixed: name which channels went which way
            more = [channel_label(r.muscle, r.side) for r, s_ in zip(rs, sig) if s_ and r.diff > 0]
            less = [channel_label(r.muscle, r.side) for r, s_ in zip(rs, sig) if s_ and r.diff < 0]
            same = [channel_label(r.muscle, r.side) for r, s_ in zip(rs, sig) if not s_]
            parts = [(", ".join(more), "more than the squat"),
                     (", ".join(less), "less than the squat"),
                     (", ".join(same), "not clearly differently")]
            said = "; ".join(f"{who_} {what}" for who_, what in parts if who_)
            out.append(f"Within the {pretty(g)}, the hinge loaded {said} ({detail}; {who}).")
    out += _index_sentences(run)
    return out


def _index_sentences(run: AnalysisRun) -> list[str]:
    vals = index_values(run)
    out = []

    def by_task(name):
        v = vals[vals["index_name"] == name]
        return {(r.task, r.side): r.mean for r in v.itertuples(index=False)}

    ml = by_task("medial_lateral_hamstrings")
    if ml:
        groups: dict[tuple[str, str], list[str]] = {}
        for task in TASKS:
            for (t, side), x in sorted(ml.items()):
                if t == task:
                    groups.setdefault((task, _compare_word(x)), []).append(
                        f"{fmt(x, 2)} {side}")
        parts = [f"{word} the lateral hamstrings in the {task} (medial:lateral "
                 f"{', '.join(vals)})" for (task, word), vals in groups.items()]
        out.append("The medial hamstrings worked " + ", and ".join(parts) + ".")
    hq = by_task("hamstrings_quadriceps")
    if hq:
        out.append("Hamstring:quadriceps ratio " + ", ".join(
            f"{fmt(x, 2)} in the {task} ({side})" for (task, side), x in sorted(hq.items()))
            + " (above 1: the hamstrings worked harder than the quadriceps).")
    lb = by_task("low_back_dominance")
    for (task, side), x in sorted(lb.items()):
        if task != "hinge":
            continue
        lo, hi = BALANCED_RATIO
        out.append(f"{low_back_word(x).capitalize()} hinge ({side} side): low-back dominance "
                   f"{fmt(x, 2)} (erector spinae over the mean of gluteus maximus and "
                   f"hamstrings; below {lo:g} the hips did more of the work, above {hi:g} the "
                   "low back).")
    return out


def quality_table(run: AnalysisRun) -> Table:
    """Return every quality flag with its session, trial and channel."""
    several = len(run.metrics) > 1
    t = Table("quality-table", "Quality flags per trial and channel "
              "(emgkit.analysis.quality; thresholds in the methods).",
              (["Session"] if several else []) + ["Trial", "Task", "Channel", "Flags",
                                                  "Meaning"])
    for sm in run.metrics:
        chans = sm.session.montage.channels
        for tm in sm.trials:
            for c, flags in zip(chans, tm.qc_flags):
                if not flags:
                    continue
                t.rows.append(([sm.name] if several else []) + [
                    tm.trial.id, tm.trial.task.name, channel_label(c.muscle, c.side, c.label),
                    ", ".join(flags), "; ".join(FLAG_MEANING.get(f, f) for f in flags)])
    return t


def exclusions(run: AnalysisRun) -> list[str]:
    """Say what was left out of the comparisons, and why, in sentences."""
    out = []
    for sm in run.metrics:
        for tm in sm.trials:
            t = tm.trial
            where = f"{sm.name}, trial {t.id} ({t.task.name})"
            if t.task.name in TASKS and tm.reps[0].method == "whole_trial":
                out.append(f"{where}: no repetitions found; left out of the comparisons.")
            if not t.completed:
                out.append(f"{where}: the recording was interrupted; its repetitions are "
                           "kept.")
            if t.task.name not in (*TASKS, "mvc", "rest"):
                out.append(f"{where}: task {t.task.name} is not part of the hinge-squat "
                           "comparison.")
    out.append("Quality flags do not exclude data: every flagged channel stays in the tables "
               "and statistics, marked in the qc_flags column of the metrics table; judge "
               "the flagged rows above before relying on them.")
    return out


def trials_table(run: AnalysisRun) -> Table:
    """Return every trial: task, variant, load, duration, repetitions (and how found), notes."""
    several = len(run.metrics) > 1
    t = Table("trials-table", "Trials recorded, with the repetitions used and how they were "
              "found (protocol markers, accelerometer or envelope).",
              (["Session"] if several else []) + ["Trial", "Task", "Variant / target",
                                                  "Load kg", "Duration s", "Repetitions",
                                                  "Notes"])
    for sm in run.metrics:
        for tm in sm.trials:
            tr = tm.trial
            reps = ("-" if tm.reps[0].method == "whole_trial"
                    else f"{len(tm.reps)} ({tm.reps[0].method})")
            t.rows.append(([sm.name] if several else []) + [
                tr.id, tr.task.name, tr.task.variant or tr.task.target or "",
                "" if tr.task.load_kg is None else f"{tr.task.load_kg:g}",
                fmt(tr.duration_s), reps, tr.notes])
    return t


def inputs_table(run: AnalysisRun) -> Table:
    """Return the session files read, with their subjects and sha256."""
    t = Table("inputs-table", "Session files analysed.", ["File", "Subject", "Board",
                                                          "fs Hz", "sha256"])
    for rec in run.inputs:
        t.rows.append([rec["path"], rec["subject"], str(rec["board"]), f"{rec['fs_hz']:g}",
                       str(rec["sha256"])])
    return t
