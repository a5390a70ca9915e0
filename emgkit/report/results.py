"""The report's result tables: activation per task, hinge vs squat, indices, references.

Each cell is formatted from :mod:`.numbers` (one computation); nothing is recomputed
here. The hinge-vs-squat table's means, SDs and counts are those of the comparison
itself (``mean_a``, ``sd_a``, ``n_a`` of the comparisons table), so its difference is
the difference of the means it shows. A channel (or index) whose MVC normalisation is
not interpretable (:mod:`emgkit.analysis.mvc_check`) keeps its row, marked
:data:`NOT_INTERPRETABLE`.
"""

from __future__ import annotations

from emgkit.analysis.files import AnalysisRun
from emgkit.report.content import (
    INDEX_LABEL,
    UNIT_LABEL,
    Table,
    channel_label,
    fmt,
    fmt_p,
    pretty,
    task_label,
)
from emgkit.report.numbers import (
    comparison_level,
    index_values,
    not_interpretable,
    references,
    report_unit,
    task_amplitudes,
    task_comparisons,
    task_order,
    untrusted_indices,
)

#: Appended to the muscle (or index) of a row whose normalisation is not interpretable.
NOT_INTERPRETABLE = " [not interpretable]"
SPREAD = {"repetitions": "SD across repetitions", "trials": "SD across whole trials (no "
          "repetitions found)", "subjects": "SD across subjects' means"}


def mean_sd(mean, sd, nd: int = 1) -> str:
    """Return ``12.3 (4.5)``: a mean and its SD (``-`` where missing)."""
    return f"{fmt(mean, nd)} ({fmt(sd, nd)})"


def _marked(text: str, bad: bool) -> str:
    return text + NOT_INTERPRETABLE if bad else text


def _bad_note(run: AnalysisRun) -> str:
    if not run.checks or all(c["interpretable"] for c in run.checks):
        return ""
    return (f"Rows marked{NOT_INTERPRETABLE}: the channel's MVC normalisation is not "
            "interpretable (see the summary); the numbers are shown, not read.")


def _pooled_note(run: AnalysisRun) -> str:
    if comparison_level(run) == "subjects":
        return ("Several subjects: each subject's mean over its repetitions (all its sessions), "
                "then the mean and SD across subjects.")
    if len(run.metrics) > 1:
        return ("One subject, several sessions: repetitions pooled over the sessions named in "
                "the Sessions column.")
    return ""


def activation_table(run: AnalysisRun) -> Table:
    """Return the activation per task and muscle: n, mean (SD) and peak (SD)."""
    unit = UNIT_LABEL[report_unit(run)]
    amp = task_amplitudes(run)
    several = len(run.metrics) > 1 and comparison_level(run) == "reps"
    t = Table("activation-table", " ".join(filter(None, (
        f"Activation per task and muscle: mean and peak of the RMS envelope in {unit}, as "
        "mean (SD); n counts the repetitions (or whole trials, or subjects) averaged, "
        "named in the Spread column.", _pooled_note(run), _bad_note(run)))),
        ["Task", "Muscle", "n", f"Mean {unit} (SD)", f"Peak {unit} (SD)", "Spread"]
        + (["Sessions"] if several else []))
    bad = not_interpretable(run)
    for r in amp.itertuples(index=False):
        t.rows.append([task_label(r.task), _marked(channel_label(r.muscle, r.side, r.label),
                                                   r.name in bad), str(r.n),
                       mean_sd(r.mean, r.mean_sd), mean_sd(r.peak, r.peak_sd),
                       SPREAD[r.basis]] + ([r.sessions] if several else []))
    return t


def summary_table(run: AnalysisRun) -> Table:
    """Return the hinge-vs-squat table per muscle: means, peaks, difference, CI, g, test, n."""
    unit = UNIT_LABEL[report_unit(run)]
    level = comparison_level(run)
    rows = task_comparisons(run)
    amp = task_amplitudes(run).set_index(["task", "name"])
    cols = ["Muscle", f"Hinge mean {unit} (SD)", f"Squat mean {unit} (SD)",
            f"Hinge peak {unit}", f"Squat peak {unit}", "Difference", "95 % CI", "Hedges' g",
            "Test", "p (Holm)", "n hinge/squat"]
    what = ("subject means paired by subject (paired test across subjects)"
            if level == "subjects" else "repetitions as independent samples of one subject "
            "(Welch's t-test: single-subject inference, not about people in general)")
    t = Table("summary-table", " ".join(filter(None, (
        f"Hinge vs squat per muscle: mean (SD) and peak of the RMS envelope in {unit}; "
        f"difference hinge minus squat with its 95 % confidence interval, Hedges' g, the test "
        f"and its p value after Holm's correction across muscles. Compared: {what}.",
        _pooled_note(run), _bad_note(run)))), cols)
    bad = not_interpretable(run)

    def peak(task, name):
        return fmt(amp.loc[(task, name), "peak"]) if (task, name) in amp.index else "-"

    for r in rows.itertuples(index=False):
        t.rows.append([
            _marked(channel_label(r.muscle, r.side, _label_of(r)), r.channel in bad),
            mean_sd(r.mean_a, r.sd_a),
            mean_sd(r.mean_b, r.sd_b), peak("hinge", r.channel), peak("squat", r.channel),
            fmt(r.diff), f"{fmt(r.ci_low)} to {fmt(r.ci_high)}", fmt(r.hedges_g, 2),
            str(r.test), fmt_p(r.p_holm), f"{r.n_a}/{r.n_b}"])
    return t


def _label_of(r) -> str:
    """Return the channel's label: what its name holds after ``muscle_side_``."""
    head = f"{r.muscle}_{r.side}"
    return r.channel[len(head) + 1:] if r.channel.startswith(head + "_") else ""


def index_table(run: AnalysisRun) -> Table:
    """Return the indices per side and task, with the hinge-vs-squat difference and test."""
    vals = index_values(run)
    tasks = task_order(vals["task"])
    comp = task_comparisons(run, indices=True).set_index(["side", "index_name"])
    has_comp = not comp.empty
    unit = report_unit(run)
    note = {"pct_peak": " Under peak-dynamic normalisation an index depends on each muscle's "
            "own reference: compare it between tasks, not with 1.", "pct_mvc": "",
            "uv": ""}[unit]
    t = Table("index-table", "Indices (ratios of mean amplitudes per repetition): medial over "
              "lateral hamstrings, hamstrings over quadriceps, gluteus maximus over hamstrings, "
              "low-back dominance (back extensors over the mean of gluteus maximus and "
              "hamstrings), abdominals over back extensors. Mean (SD) per task"
              + ("; hinge minus squat with 95 % CI and Holm-corrected p." if has_comp else ".")
              + note,
              ["Index", "Side", *[f"{task_label(x).capitalize()} (SD)" for x in tasks]]
              + (["Difference", "95 % CI", "p (Holm)"] if has_comp else []))
    v = vals.set_index(["task", "side", "index_name"])
    keys = list(dict.fromkeys(zip(vals["side"], vals["index_name"])))
    bad = untrusted_indices(run)
    for side, name in sorted(keys, key=_index_key):
        row = [_marked(INDEX_LABEL.get(name, pretty(name)), (side, name) in bad), side]
        for task in tasks:
            k = (task, side, name)
            row.append(mean_sd(v.loc[k, "mean"], v.loc[k, "sd"], 2) if k in v.index else "-")
        if has_comp:
            c = comp.loc[(side, name)] if (side, name) in comp.index else None
            row += (["-"] * 3 if c is None else [
                fmt(c["diff"], 2), f"{fmt(c['ci_low'], 2)} to {fmt(c['ci_high'], 2)}",
                fmt_p(c["p_holm"])])
        t.rows.append(row)
    return t


def _index_key(key: tuple[str, str]) -> tuple[int, str]:
    side, name = key
    order = list(INDEX_LABEL)
    return (order.index(name) if name in order else len(order), side)


def reference_table(run: AnalysisRun) -> Table:
    """Return the normalisation reference of every channel (µV), per session."""
    ref = references(run)
    method = run.config.normalisation.method
    what = {"mvc": "MVC reference (highest RMS envelope over the session's MVC trials)",
            "peak_dynamic": "peak-dynamic reference (highest RMS envelope over the task "
                            "trials)", "none": "no reference (amplitudes in µV)"}[method]
    several = ref["session"].nunique() > 1
    t = Table("reference-table", f"Normalisation: the {what}, per channel, in µV.",
              (["Session"] if several else []) + ["Muscle", "Reference µV"])
    for r in ref.itertuples(index=False):
        t.rows.append(([r.session] if several else [])
                      + [channel_label(r.muscle, r.side, r.label), fmt(r.reference_uv)])
    return t


__all__ = ["activation_table", "index_table", "mean_sd", "reference_table", "summary_table"]
