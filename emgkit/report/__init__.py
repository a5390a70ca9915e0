"""Activation comparison reports: a self-contained HTML page and a PDF with the same content.

>>> run = analyse_files(["session.h5"], load_config(None))   # doctest: +SKIP
>>> write_report(build_report(run), "report.html", "report.pdf")   # doctest: +SKIP

The summary comes first (what the sessions hold; hinge vs squat per muscle and the
indices, or the activation of each task when there is no comparison; in words and in
tables), then the group statistics (mixed models, SPM clusters, reliability, published
values; :mod:`.groupstats`), then the figures, the quality flags and what was excluded,
and a methods section generated from the recorded parameters with citations. Needs
matplotlib (the ``report`` extra).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from emgkit.analysis.files import AnalysisRun, analyse_files, load_config
from emgkit.report.content import (
    Table,
    exclusions,
    inputs_table,
    join_items,
    quality_table,
    task_label,
    trials_table,
)
from emgkit.report.findings import findings
from emgkit.report.groupstats import GroupSection, group_section
from emgkit.report.numbers import subjects, task_amplitudes, task_comparisons, task_order
from emgkit.report.results import activation_table, index_table, summary_table

__all__ = ["Report", "analyse_files", "build_report", "load_config", "write_report"]


@dataclass
class Report:
    """Everything the report shows, as text, tables and figures.

    Attributes
    ----------
    title : str
        Page title.
    meta : list of str
        Lines under the title (subjects, sessions, board, date, software).
    findings : list of str
        The summary in sentences.
    summary, indices : Table
        The hinge-vs-squat table per muscle (no rows without both tasks) and the indices
        table.
    figures : list of ReportFigure
        In report order.
    warnings : list of str
        Notes from the processing (e.g. the low sampling rate).
    quality, trials, montage, inputs : Table
        Quality flags, trials, electrode montage, input files.
    excluded : list of str
        What was left out, and that flags exclude nothing.
    methods : list of str
        Methods paragraphs.
    references : list of str
        Numbered references cited in the methods.
    footer : str
        Software and parameters note.
    activation : Table or None
        Activation per task and muscle (mean and peak with their spread).
    reference : Table or None
        The normalisation reference of every channel, where it was read and its check
        (:func:`emgkit.report.methods.mvc_reference_table`), shown beside the montage.
    group : GroupSection or None
        The "Group statistics" section (:func:`emgkit.report.groupstats.group_section`),
        after the summary; None when the run has no group statistics.
    """

    title: str
    meta: list[str]
    findings: list[str]
    summary: Table
    indices: Table
    figures: list
    warnings: list[str]
    quality: Table
    trials: Table
    excluded: list[str]
    methods: list[str]
    montage: Table
    inputs: Table
    references: list[str] = field(default_factory=list)
    footer: str = ""
    activation: Table | None = None
    reference: Table | None = None
    group: GroupSection | None = None


def report_title(run: AnalysisRun) -> str:
    """Return the title: who (subject or group) and what (hinge vs squat, or the tasks)."""
    subj = subjects(run)
    who = "Group report" if len(subj) > 1 else f"Subject {subj[0]}"
    if not task_comparisons(run).empty:
        what = "hinge vs squat"
    else:
        what = join_items([task_label(t) for t in task_order(task_amplitudes(run)["task"])])
    return f"{who}: {what or 'MVC and rest'} activation"


def build_report(run: AnalysisRun) -> Report:
    """Build the report of analysed sessions (one subject, or a group across subjects)."""
    from emgkit._version import __version__
    from emgkit.report.figures import report_figures
    from emgkit.report.methods import (
        methods_paragraphs,
        montage_table,
        mvc_reference_table,
        references,
    )

    subj = subjects(run)
    boards = sorted({f"{sm.session.device.board} at {sm.session.device.fs_hz:g} Hz"
                     for sm in run.metrics})
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta = [f"Subjects: {', '.join(subj)} ({len(subj)})",
            f"Sessions: {', '.join(sm.name for sm in run.metrics)}",
            f"Board: {'; '.join(boards)}",
            f"Made {now} by emgkit {__version__}"]
    return Report(
        title=report_title(run), meta=meta, findings=findings(run), summary=summary_table(run),
        indices=index_table(run), figures=report_figures(run),
        warnings=[w for w in run.warnings if w not in run.statistics],
        quality=quality_table(run), trials=trials_table(run), excluded=exclusions(run),
        methods=methods_paragraphs(run), montage=montage_table(run),
        inputs=inputs_table(run), references=references(),
        footer=f"emgkit {__version__}; every processing parameter is recorded in the "
               "provenance JSON of 'emgkit process' and in docs/methods.md.",
        activation=activation_table(run), reference=mvc_reference_table(run),
        group=group_section(run))


def write_report(report: Report, html_path: str | PathLike | None = None,
                 pdf_path: str | PathLike | None = None) -> list[Path]:
    """Write the HTML page and/or the PDF atomically (both or neither); return their paths."""
    import contextlib

    from emgkit.io.atomic import atomic_path
    from emgkit.report.html import render_html
    from emgkit.report.pdf import write_pdf

    out = [Path(p) for p in (html_path, pdf_path) if p is not None]
    with contextlib.ExitStack() as stack:
        if html_path is not None:
            text = render_html(report)
            stack.enter_context(atomic_path(html_path)).write_text(text, encoding="utf-8")
        if pdf_path is not None:
            write_pdf(report, stack.enter_context(atomic_path(pdf_path)))
    return out
