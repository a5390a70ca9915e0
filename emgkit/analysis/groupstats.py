"""The statistics of a run in one call: mixed models, SPM clusters, reliability, sensitivity.

>>> run = analyse_files(paths, load_config(None))        # doctest: +SKIP
>>> gs = group_statistics(run); gs.tables["spm"]          # doctest: +SKIP

:func:`group_statistics` takes an :class:`~emgkit.analysis.files.AnalysisRun` (or any
sequence of :class:`~emgkit.analysis.metrics.SessionMetrics`) and returns the five tables
(:data:`GROUP_TABLES`) with the sentences the report should print about them (which
analysis each level used, every fallback of the mixed model). See ``docs/statistics.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from emgkit.analysis.context import context_table
from emgkit.analysis.metrics import SessionMetrics
from emgkit.analysis.mixed import MIXED, amplitude_column, mixed_table
from emgkit.analysis.reliability import reliability_table
from emgkit.analysis.sensitivity import sensitivity_table
from emgkit.analysis.spm import spm_table
from emgkit.analysis.tables import indices_table, metrics_table

#: Table names, as written beside the metrics table (``METRICS.<name>.csv``).
GROUP_TABLES = ("mixed", "spm", "reliability", "sensitivity", "context")


@dataclass(frozen=True)
class GroupStats:
    """The statistics tables of a run.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        ``mixed``, ``spm``, ``reliability``, ``sensitivity``, ``context``.
    sentences : tuple of str
        What was done, one sentence each, fallbacks included (for the report and stderr).
    """

    tables: dict
    sentences: tuple[str, ...]


def _sentences(metrics: Sequence[SessionMetrics], mixed: pd.DataFrame,
               spm: pd.DataFrame) -> list[str]:
    n = len({sm.session.subject for sm in metrics})
    out = []
    if n == 1:
        out.append("one subject: hinge and squat repetitions are compared as independent "
                   "samples of this person (Welch; SPM by label permutation), no mixed model")
    fell = mixed[mixed["method"] != MIXED]
    for (note, method), g in fell.groupby(["note", "method"], sort=False):
        what = ", ".join(g["index_name"].where(g["index_name"] != "",
                                               g["muscle"] + " " + g["side"]))
        out.append(f"{what}: {note}; {method} instead")
    if not spm.empty:
        design = spm["design"].iloc[0]
        out.append(f"SPM: {design.replace('_', '-')} t over the time-normalised curve, "
                   f"family-wise alpha {spm['alpha'].iloc[0]:g} by permutation "
                   f"({int(spm['n_permutations'].max())} permutations)")
    return out


def group_statistics(run, alpha: float = 0.05, sensitivity: bool = True,
                     max_permutations: int = 10000) -> GroupStats:
    """Compute every statistics table of a run.

    Parameters
    ----------
    run : AnalysisRun or sequence of SessionMetrics
        What was analysed (its ``metrics``; the metrics and indices tables are reused
        from ``run.tables`` when present).
    alpha : float
        Level of the tests and ``1 - alpha`` intervals.
    sensitivity : bool
        Re-analyse the sessions under the other envelope windows and MVC references
        (the slow part: six analyses of each session).
    max_permutations : int
        SPM permutations (enumerated when fewer exist).

    Returns
    -------
    GroupStats
    """
    metrics = tuple(getattr(run, "metrics", run))
    tables = getattr(run, "tables", None) or {}
    mdf = tables.get("metrics")
    mdf = metrics_table(metrics) if mdf is None else mdf
    idf = tables.get("indices")
    idf = indices_table(metrics) if idf is None else idf
    unit = metrics[0].unit if metrics else "pct_mvc"
    cfg = metrics[0].config if metrics else None
    mixed = mixed_table(mdf, idf, amplitude_column(unit), alpha)
    spm = spm_table(metrics, alpha, max_permutations)
    env = "" if cfg is None else (
        f"{cfg.envelope.window_s * 1000:g} ms RMS" if cfg.envelope.method == "rms"
        else "linear envelope")
    out = {
        "mixed": mixed,
        "spm": spm,
        "reliability": reliability_table(metrics, mdf, alpha),
        "sensitivity": sensitivity_table(metrics, alpha) if sensitivity and metrics
        else pd.DataFrame(),
        "context": context_table(mdf, cfg.normalisation.method if cfg else "mvc", env),
    }
    return GroupStats(out, tuple(_sentences(metrics, mixed, spm)))


__all__ = ["GROUP_TABLES", "GroupStats", "group_statistics"]
