"""What the report says, as plain text: the table type, formatting, and the descriptive tables.

Everything here is plain text and numbers (no HTML, no figures); :mod:`.html` and
:mod:`.pdf` lay it out. The numbers come from :mod:`.numbers`, the result tables from
:mod:`.results` and the sentences from :mod:`.findings`; this module holds what they
share (:class:`Table`, :func:`fmt`, :func:`join_items`) and the quality, trials and
inputs tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emgkit.analysis.files import AnalysisRun
from emgkit.report.numbers import TASKS

#: Unit label by normalisation unit.
UNIT_LABEL = {"pct_mvc": "%MVC", "pct_peak": "% of peak", "uv": "µV"}
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
    "spikes": "corrupt single samples",
    "motion": "movement artefact below the EMG band",
    "ecg": "heart beat in the signal",
    "crosstalk": "medial and lateral hamstring signals correlated near zero lag: one "
                 "electrode may pick up the other muscle",
}
#: Muscle groups the findings speak of, in this order.
FINDING_GROUPS = ("hamstrings", "gluteals", "back_extensors", "quadriceps", "abdominals")


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


def join_items(items, last: str = " and ", sep: str = ", ") -> str:
    """Join phrases as a list in a sentence: ``a``, ``a and b``, ``a, b and c``.

    Every list in the report's sentences is joined here.

    Parameters
    ----------
    items : iterable of str
        The phrases (empty ones are left out).
    last : str
        What goes before the last item.
    sep : str
        What goes between the others (``"; "`` with ``last="; "`` for clauses).
    """
    items = [str(i) for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{sep.join(items[:-1])}{last}{items[-1]}"


def task_label(task: str) -> str:
    """Return a task's name for a sentence: ``MVC``, ``hinge``, ``gait`` (from ``other:gait``)."""
    task = str(task)
    if task == "mvc":
        return "MVC"
    return pretty(task.split(":", 1)[1]) if task.startswith("other:") else pretty(task)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 trial``, ``3 trials`` (``many`` for an irregular plural)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def fmt_p(p) -> str:
    """Format a p value as reported (``< 0.001`` below that)."""
    if p is None or not np.isfinite(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p) -> str:
    """Return ``= 0.012`` or ``< 0.001`` (to follow a "p")."""
    txt = fmt_p(p)
    return txt if txt.startswith("<") else f"= {txt}"


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
                           "comparison; its activation is in the table per task.")
    for c in run.checks:
        if c["check"] in ("no_mvc_reference", "no_reference"):
            out.append(f"{c['session']}, {channel_label(c['muscle'], c['side'], c['label'])}: "
                       f"{c['reason']}; left out of the normalised values (its µV values stay "
                       "in the metrics table, mvc_check column).")
    out.append("Quality flags do not exclude data: every flagged channel stays in the tables "
               "and statistics, marked in the qc_flags column of the metrics table; judge "
               "the flagged rows above before relying on them. Only a channel with no "
               "usable normalisation reference is left out of the normalised values, and a "
               "channel whose MVC normalisation is not interpretable is marked in the "
               "tables (mvc_check and interpretable columns).")
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
