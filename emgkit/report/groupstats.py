"""The report's "Group statistics" section: what the statistics did, and their tables.

The tables are those :func:`emgkit.analysis.groupstats.group_statistics` put in the run
(``run.tables``: ``mixed``, ``spm``, ``reliability``, ``context``, and ``sensitivity``
when asked for), laid out as :class:`~emgkit.report.content.Table` rows of text; the
sentences are the run's :attr:`~emgkit.analysis.files.AnalysisRun.statistics`. A run
without them (``analyse_files(..., statistics=False)``) has no section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from emgkit.analysis.files import AnalysisRun
from emgkit.report.content import INDEX_LABEL, UNIT_LABEL, Table, channel_label, fmt, fmt_p
from emgkit.report.numbers import subjects

#: Said first when the run has one subject.
SINGLE_SUBJECT = ("Single-subject tests: one subject, so hinge and squat are compared over "
                  "this person's repetitions, taken as independent samples (Welch t; SPM by "
                  "permuting the task labels of whole repetition curves). They describe this "
                  "person, not a population; there is no mixed model.")


@dataclass
class GroupSection:
    """The "Group statistics" section.

    Attributes
    ----------
    sentences : list of str
        What was done (the single-subject note first, on one subject).
    tables : list of Table
        Mixed models (several subjects), SPM clusters, reliability, context, sensitivity:
        those with rows.
    """

    sentences: list[str]
    tables: list[Table] = field(default_factory=list)


def _text(x) -> str:
    return "" if x is None or x != x else str(x)


def _channel(r) -> str:
    index = _text(getattr(r, "index_name", ""))
    if index:
        side = _text(r.side)
        return INDEX_LABEL.get(index, index.replace("_", " ")) + (f" ({side})" if side else "")
    return channel_label(r.muscle, _text(r.side), _text(r.label))


def _ci(low, high, nd: int = 1) -> str:
    return "-" if low != low or high != high else f"{fmt(low, nd)} to {fmt(high, nd)}"


def mixed_group_table(df: pd.DataFrame) -> Table:
    """Return hinge minus squat per muscle and index across subjects (``mixed`` table)."""
    rows = [[_channel(r), _text(r.method), fmt(r.estimate, 2), _ci(r.ci_low, r.ci_high, 2),
             fmt_p(r.p), fmt_p(r.p_holm), str(int(r.n_subjects)), str(int(r.n_obs))]
            for r in df.itertuples(index=False)]
    return Table("tab-mixed", "Hinge minus squat across subjects: mixed model, or the paired "
                 "subject means where it falls back (method)",
                 ["measure", "method", "hinge - squat", "95 % CI", "p", "p (Holm)",
                  "subjects", "observations"], rows)


def spm_group_table(df: pd.DataFrame, alpha: float) -> Table:
    """Return the SPM clusters (``spm`` table): span in % of the repetition, p, higher task."""
    rows = []
    for r in df.itertuples(index=False):
        if int(r.cluster) > 0:
            span = f"{r.start_pct:.0f}-{r.end_pct:.0f} %"
            higher = str(r.direction)
            if r.p >= alpha:
                higher += " (not significant)"
        else:
            span, higher = "none", str(r.direction)
        rows.append([_channel(r), _text(r.design).replace("_", "-"), span, fmt_p(r.p),
                     higher, f"{int(r.n_a)} / {int(r.n_b)}", str(int(r.n_permutations))])
    return Table("tab-spm", f"SPM of the normalised curves, hinge vs squat: clusters (p < "
                 f"{alpha:g} family-wise) in % of the repetition",
                 ["channel", "design", "cluster", "p", "higher", "n hinge / squat",
                  "permutations"], rows)


def reliability_group_table(df: pd.DataFrame) -> Table:
    """Return ICC(2,1) with its CI, SEM and CV (``reliability`` table)."""
    rows = []
    for r in df.itertuples(index=False):
        what = ("MVC trials" if r.kind == "mvc_trials"
                else f"{_text(r.subject)} {_text(r.task)} repetitions")
        unit = "µV" if r.unit == "uv" else UNIT_LABEL.get(r.unit, _text(r.unit))
        n = r.n_trials if r.kind == "mvc_trials" else r.n_reps
        rows.append([_channel(r), what, f"{int(r.n_subjects)} x {int(n)}",
                     f"{fmt(r.mean, 1)} {unit}", fmt(r.icc_2_1, 2),
                     _ci(r.icc_ci_low, r.icc_ci_high, 2), f"{fmt(r.sem, 2)} {unit}",
                     fmt(r.cv_pct, 1), _text(r.note)])
    return Table("tab-reliability", "Reliability: ICC(2,1) (absolute agreement) with its "
                 "CI across subjects, SEM and CV (%)",
                 ["channel", "values", "subjects x values", "mean", "ICC(2,1)", "CI", "SEM",
                  "CV %", "note"], rows)


def context_group_table(df: pd.DataFrame) -> Table:
    """Return the published values beside the session's (``context`` table)."""
    rows = []
    for r in df.itertuples(index=False):
        pub = (fmt(r.published, 2) if r.published == r.published
               else _ci(r.published_low, r.published_high, 0))
        rows.append([_text(r.source), _text(r.quantity).replace("_", " "),
                     f"{pub} {_text(r.published_unit)}",
                     f"{fmt(r.session_value, 2)} {_text(r.session_unit)}",
                     f"{_text(r.session_task)} {_text(r.session_side)}".strip(),
                     _text(r.comparable), _text(r.note)])
    return Table("tab-context", "Published values beside this run's (mean over subjects)",
                 ["source", "quantity", "published", "this run", "task, side", "comparable",
                  "note"], rows)


def sensitivity_group_table(df: pd.DataFrame) -> Table:
    """Return hinge vs squat under every window and MVC reference (``sensitivity`` table)."""
    rows = [[_channel(r), f"{r.window_s * 1000:g} ms", _text(r.mvc_reference),
             fmt(r.estimate, 2), fmt_p(r.p_holm), _text(r.direction),
             "yes" if r.holds_under_all else "no"] for r in df.itertuples(index=False)]
    return Table("tab-sensitivity", "Sensitivity: hinge minus squat under each RMS window "
                 "and MVC reference", ["measure", "window", "MVC reference", "hinge - squat",
                                       "p (Holm)", "direction", "holds under all"], rows)


def group_section(run: AnalysisRun) -> GroupSection | None:
    """Return the "Group statistics" section, or None without group tables in the run."""
    tables = run.tables
    if "spm" not in tables:
        return None
    alpha = getattr(run, "alpha", 0.05)
    sentences = list(getattr(run, "statistics", ()))
    if len(subjects(run)) == 1:
        sentences.insert(0, SINGLE_SUBJECT)
    out = [mixed_group_table(tables["mixed"]) if len(subjects(run)) > 1 else None,
           spm_group_table(tables["spm"], alpha),
           reliability_group_table(tables["reliability"]),
           context_group_table(tables["context"])]
    sens = tables.get("sensitivity")
    if sens is not None and not sens.empty:
        out.append(sensitivity_group_table(sens))
    return GroupSection(sentences, [t for t in out if t is not None and t.rows])


__all__ = ["SINGLE_SUBJECT", "GroupSection", "group_section"]
