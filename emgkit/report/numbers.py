"""The report's numbers: one computation from the run's tables, for tables, sentences, figures.

Every amplitude the report shows comes from :func:`task_amplitudes` (the metrics table),
every index from :func:`index_values` (the indices table) and every hinge-vs-squat
statistic from :func:`task_comparisons` (the comparisons table), at one level:

- one subject (``reps``): repetitions pooled over all the subject's sessions; spread
  across repetitions; hinge against squat by Welch's test (repetitions are independent
  samples of one person: single-subject inference);
- several subjects (``subjects``): each subject's mean over its repetitions (all its
  sessions), then mean and SD across subjects; hinge against squat paired by subject.

A channel is identified by its name (muscle, side and label), not its board input, so
sessions with different montages pool by muscle; a muscle missing from a session is
simply absent from that session's contribution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgkit.analysis.files import AnalysisRun
from emgkit.analysis.indices import side_indices
from emgkit.analysis.metrics import NOT_DYNAMIC, UNITS

TASKS = ("hinge", "squat")
#: Metrics-table columns of the mean and peak amplitude, by normalisation unit.
AMP_COLUMNS = {"pct_mvc": ("mean_pct_mvc", "peak_pct_mvc"),
               "pct_peak": ("mean_pct_peak", "peak_pct_peak"), "uv": ("mean_uv", "peak_uv")}
AMP_KEYS = ["task", "name", "muscle", "side", "label"]


def report_unit(run: AnalysisRun) -> str:
    """Return the amplitude unit of the run (``pct_mvc``, ``pct_peak`` or ``uv``)."""
    return UNITS[run.config.normalisation.method]


def subjects(run: AnalysisRun) -> list[str]:
    """Return the subjects in order of first appearance."""
    return list(dict.fromkeys(sm.session.subject for sm in run.metrics))


def comparison_level(run: AnalysisRun) -> str:
    """``subjects`` when several subjects are reported, else ``reps``."""
    return "subjects" if len(subjects(run)) > 1 else "reps"


def channel_name(muscle: str, side: str, label: str = "") -> str:
    """Return the montage's channel name: ``semitendinosus_right`` (``_label`` if any)."""
    base = f"{muscle}_{side}"
    return f"{base}_{label}" if label else base


def task_order(tasks) -> list[str]:
    """Hinge and squat first, then the other tasks in the order given."""
    tasks = list(dict.fromkeys(tasks))
    return [t for t in TASKS if t in tasks] + [t for t in tasks if t not in TASKS]


def channel_order(run: AnalysisRun) -> list[tuple[str, str, str, str]]:
    """Return ``(name, muscle, side, label)`` of every channel of any session, in order."""
    out = {}
    for sm in run.metrics:
        for c in sm.session.montage.channels:
            out.setdefault(c.name, (c.name, c.muscle, c.side, c.label))
    return list(out.values())


def task_rows(run: AnalysisRun) -> pd.DataFrame:
    """Return the metrics rows the report summarises, with a ``name`` column.

    Rows of task trials (not MVC or rest): per task its repetitions, or, for a task
    where no repetitions were found in any trial, its whole-trial rows.
    """
    m = run.tables["metrics"]
    m = m[~m["task"].isin(NOT_DYNAMIC)].copy()
    m["label"] = m["label"].fillna("").astype(str)
    m["name"] = [channel_name(*k) for k in zip(m["muscle"], m["side"], m["label"])]
    has_reps = m.groupby("task")["rep"].transform("max") > 0
    return m[(m["rep"] > 0) | ~has_reps]


def task_amplitudes(run: AnalysisRun) -> pd.DataFrame:
    """Return the mean and SD of mean and peak amplitude per task and channel.

    Returns
    -------
    pandas.DataFrame
        One row per (task, name) with ``muscle``, ``side``, ``label``, ``mean``,
        ``mean_sd``, ``peak``, ``peak_sd``, ``n`` (repetitions, whole trials or subjects),
        ``basis`` (``repetitions``, ``trials`` or ``subjects``) and ``sessions`` (the
        session names that contributed, joined by ``; ``); tasks and channels in report
        order.
    """
    mcol, pcol = AMP_COLUMNS[report_unit(run)]
    m = task_rows(run)
    cols = [*AMP_KEYS, "mean", "mean_sd", "peak", "peak_sd", "n", "basis", "sessions"]
    if m.empty:
        return pd.DataFrame(columns=cols)
    sessions = m.groupby(["task", "name"], sort=False)["session"].agg(
        lambda s: "; ".join(dict.fromkeys(s)))
    basis = {t: ("repetitions" if r > 0 else "trials")
             for t, r in m.groupby("task")["rep"].max().items()}
    if comparison_level(run) == "subjects":
        m = m.groupby(["subject", *AMP_KEYS], sort=False)[[mcol, pcol]].mean().reset_index()
        basis = dict.fromkeys(basis, "subjects")
    g = m.groupby(AMP_KEYS, sort=False)
    out = g.agg(mean=(mcol, "mean"), mean_sd=(mcol, "std"), peak=(pcol, "mean"),
                peak_sd=(pcol, "std"), n=(mcol, "count")).reset_index()
    out["basis"] = out["task"].map(basis)
    out["sessions"] = [sessions[k] for k in zip(out["task"], out["name"])]
    return _ordered(run, out)[cols]


def _ordered(run: AnalysisRun, df: pd.DataFrame) -> pd.DataFrame:
    tasks = task_order(df["task"])
    names = [c[0] for c in channel_order(run)]
    key = [(tasks.index(t), names.index(n) if n in names else len(names))
           for t, n in zip(df["task"], df["name"])]
    return df.iloc[sorted(range(len(df)), key=key.__getitem__)].reset_index(drop=True)


def task_comparisons(run: AnalysisRun, indices: bool = False) -> pd.DataFrame:
    """Return the hinge-vs-squat rows of the comparisons table at the report's level.

    Parameters
    ----------
    run : AnalysisRun
        The analysis.
    indices : bool
        The index rows instead of the channel rows.
    """
    comp = run.tables["comparisons"]
    rows = comp[(comp["comparison"] == "task") & (comp["level"] == comparison_level(run))]
    rows = rows[(rows["index_name"] != "") == indices]
    if not indices:
        names = [c[0] for c in channel_order(run)]
        rows = rows.assign(_k=[names.index(c) if c in names else len(names)
                               for c in rows["channel"]]).sort_values("_k", kind="stable")
        rows = rows.drop(columns="_k")
    return rows.reset_index(drop=True)


def index_values(run: AnalysisRun) -> pd.DataFrame:
    """Return the mean and SD of every index per task and side, at the report's level.

    Returns
    -------
    pandas.DataFrame
        ``task``, ``side``, ``index_name``, ``mean``, ``sd``, ``n``.
    """
    ind = run.tables["indices"]
    ind = ind[~ind["task"].isin(NOT_DYNAMIC)]
    if ind.empty:
        return pd.DataFrame(columns=["task", "side", "index_name", "mean", "sd", "n"])
    if comparison_level(run) == "subjects":
        ind = ind.groupby(["subject", "task", "side", "index_name"], sort=False)[
            "value"].mean().reset_index()
    g = ind.groupby(["task", "side", "index_name"], sort=False)["value"]
    return g.agg(mean="mean", sd="std", n="count").reset_index()


def task_counts(run: AnalysisRun) -> list[tuple[str, int, int]]:
    """Return ``(task, trials, repetitions)`` of every task recorded, in report order.

    Repetitions count those found (0 where a trial has none, and for MVC and rest).
    """
    trials: dict[str, int] = {}
    reps: dict[str, int] = {}
    for sm in run.metrics:
        for tm in sm.trials:
            t = tm.trial.task.name
            trials[t] = trials.get(t, 0) + 1
            found = t not in NOT_DYNAMIC and tm.reps[0].method != "whole_trial"
            reps[t] = reps.get(t, 0) + (len(tm.reps) if found else 0)
    order = task_order([t for t in trials if t not in NOT_DYNAMIC])
    order = [t for t in ("mvc", "rest") if t in trials] + order
    return [(t, trials[t], reps[t]) for t in order]


def references(run: AnalysisRun) -> pd.DataFrame:
    """Return the normalisation reference of every channel of every session, in µV.

    Returns
    -------
    pandas.DataFrame
        ``session``, ``name``, ``muscle``, ``side``, ``label``, ``reference_uv`` (empty
        under ``normalisation.method = "none"``).
    """
    rows = [{"session": sm.name, "name": c.name, "muscle": c.muscle, "side": c.side,
             "label": c.label, "reference_uv": float(r)}
            for sm in run.metrics if sm.reference_uv is not None
            for c, r in zip(sm.session.montage.channels, sm.reference_uv)]
    return pd.DataFrame(rows, columns=["session", "name", "muscle", "side", "label",
                                       "reference_uv"])


def not_interpretable(run: AnalysisRun) -> set[str]:
    """Return the channel names whose normalisation is not interpretable in any session.

    (:mod:`emgkit.analysis.mvc_check`; their numbers stay in the tables, marked, and the
    sentences leave them out.)
    """
    return {c["channel"] for c in run.checks if not c["interpretable"]}


def untrusted_indices(run: AnalysisRun) -> set[tuple[str, str]]:
    """Return the ``(side, index_name)`` that involve a channel not interpretable.

    Found by :func:`emgkit.analysis.indices.side_indices` itself: with those channels NaN
    and the others 1, an index that comes out NaN uses one of them.
    """
    out = set()
    for sm in run.metrics:
        bad = np.array([not c.interpretable for c in sm.checks], bool)
        if not bad.any():
            continue
        probe = np.where(bad, np.nan, 1.0)[None, :]
        out |= {k for k, v in side_indices(probe, sm.session.montage).items()
                if not np.isfinite(v[0])}
    return out


def crosstalk_by_task(run: AnalysisRun) -> dict[tuple[str, str], float]:
    """Return ``(task, side) -> r``: the highest correlation of a flagged hamstring pair.

    Over the trials of each task (:attr:`~emgkit.analysis.metrics.TrialMetrics.crosstalk`,
    pairs at or above ``QualityConfig.crosstalk_r``); the side is the medial channel's.
    """
    out: dict[tuple[str, str], float] = {}
    for sm in run.metrics:
        chans = sm.session.montage.channels
        for tm in sm.trials:
            xt = tm.crosstalk
            if xt is None:
                continue
            for (a, _), r, hit in zip(xt.pairs, xt.r, xt.flagged):
                key = (tm.trial.task.name, chans[a].side)
                if hit and r > out.get(key, -1.0):
                    out[key] = float(r)
    return out


def finite(x) -> bool:
    """Return True for a finite number (False for None, NaN, strings)."""
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False
