"""Sensitivity: whether the hinge-versus-squat conclusions survive other processing choices.

Every session is analysed again (:func:`emgkit.analysis.metrics.analyse_session`) under
each combination of the envelope's RMS window (:data:`WINDOWS_S`: 100, 250 and 500 ms,
the range Konrad 2005 gives for dynamic tasks) and the MVC reference
(:data:`REFERENCES`: ``peak`` and ``plateau_mean``), everything else as configured. Each
setting gives, per channel and index, hinge minus squat by the analysis the run itself
uses: the mixed model (:func:`emgkit.analysis.mixed.mixed_table`) for several subjects,
Welch's test of one subject's repetitions (:func:`emgkit.analysis.comparisons.compare`,
level ``reps``) for one. The *direction* is ``hinge > squat`` or ``hinge < squat`` when the
Holm-adjusted p is below ``alpha``, else ``no difference shown``; a conclusion *holds*
when the direction is the same under every setting.

The reference method only matters under ``normalisation.method = "mvc"``, and the window
has no effect on the linear envelope (``envelope.method = "linear"``); such a factor is
then kept at the configured value and said in ``note``.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from emgkit.analysis.comparisons import compare
from emgkit.analysis.metrics import SessionMetrics, analyse_session
from emgkit.analysis.mixed import amplitude_column, mixed_table
from emgkit.analysis.tables import comparisons_table, indices_table, metrics_table
from emgkit.core import LowSampleRateWarning

WINDOWS_S = (0.1, 0.25, 0.5)
REFERENCES = ("peak", "plateau_mean")
SENSITIVITY_COLUMNS = (
    "muscle", "side", "label", "index_name", "window_s", "mvc_reference", "is_configured",
    "estimate", "p_holm", "direction", "holds_under_all", "note",
)
NO_DIFFERENCE = "no difference shown"


def _settings(config) -> tuple[list[tuple[float, str]], str]:
    windows = WINDOWS_S if config.envelope.method == "rms" else (config.envelope.window_s,)
    refs = REFERENCES if config.normalisation.method == "mvc" else (
        config.normalisation.mvc_reference,)
    notes = []
    if len(windows) == 1:
        notes.append("the linear envelope has no RMS window, so only the configured one")
    if len(refs) == 1:
        notes.append("no MVC normalisation, so the reference method does not apply")
    return list(itertools.product(windows, refs)), "; ".join(notes)


def _reanalyse(metrics: Sequence[SessionMetrics], window_s: float, reference: str):
    out = []
    for sm in metrics:
        cfg = sm.config
        if cfg.envelope.window_s == window_s and cfg.normalisation.mvc_reference == reference:
            out.append(sm)
            continue
        cfg = dataclasses.replace(
            cfg, envelope=dataclasses.replace(cfg.envelope, window_s=window_s),
            normalisation=dataclasses.replace(cfg.normalisation, mvc_reference=reference))
        with warnings.catch_warnings():
            # Said by the run's own analysis of the same trials.
            warnings.simplefilter("ignore", LowSampleRateWarning)
            out.append(analyse_session(sm.session, cfg, name=sm.name))
    return out


def effects(metrics: Sequence[SessionMetrics], alpha: float = 0.05) -> pd.DataFrame:
    """Hinge minus squat per channel and index, as the run's own analysis gives it.

    Returns
    -------
    pandas.DataFrame
        ``muscle``, ``side``, ``label``, ``index_name``, ``estimate``, ``p_holm``.
    """
    keys = ["muscle", "side", "label", "index_name"]
    if len({sm.session.subject for sm in metrics}) > 1:
        column = amplitude_column(metrics[0].unit)
        t = mixed_table(metrics_table(metrics), indices_table(metrics), column, alpha)
        return t[[*keys, "estimate", "p_holm"]]
    c = comparisons_table(compare(metrics, alpha))
    c = c[(c["level"] == "reps") & (c["comparison"] == "task")].copy()
    labels = {(sm.session.montage.names[j]): (ch.label or "") for sm in metrics
              for j, ch in enumerate(sm.session.montage.channels)}
    c["label"] = [labels.get(ch, "") if not ix else "" for ch, ix in
                  zip(c["channel"], c["index_name"])]
    c["muscle"] = c["muscle"].fillna("")
    return c.rename(columns={"diff": "estimate"})[[*keys, "estimate", "p_holm"]]


def direction(estimate: float, p_holm: float, alpha: float = 0.05) -> str:
    """Return ``hinge > squat``, ``hinge < squat`` or :data:`NO_DIFFERENCE`."""
    if not (np.isfinite(p_holm) and p_holm < alpha and np.isfinite(estimate)):
        return NO_DIFFERENCE
    return "hinge > squat" if estimate > 0 else "hinge < squat"


def sensitivity_table(metrics: Sequence[SessionMetrics], alpha: float = 0.05) -> pd.DataFrame:
    """Return the directions under every setting and whether each conclusion holds under all.

    Parameters
    ----------
    metrics : sequence of SessionMetrics
        The run's analysed sessions (their configuration is the starting point).
    alpha : float
        Level of the Holm-adjusted p for a direction.

    Returns
    -------
    pandas.DataFrame
        One row per measure and setting, columns :data:`SENSITIVITY_COLUMNS`.
    """
    if not metrics:
        return pd.DataFrame(columns=list(SENSITIVITY_COLUMNS))
    cfg = metrics[0].config
    settings, note = _settings(cfg)
    parts = []
    for w, ref in settings:
        e = effects(_reanalyse(metrics, w, ref), alpha).copy()
        e["window_s"], e["mvc_reference"] = w, ref
        e["is_configured"] = (w == cfg.envelope.window_s
                              and ref == cfg.normalisation.mvc_reference)
        e["direction"] = [direction(a, p, alpha) for a, p in zip(e["estimate"], e["p_holm"])]
        parts.append(e)
    out = pd.concat(parts, ignore_index=True)
    keys = ["muscle", "side", "label", "index_name"]
    n_dir = out.groupby(keys)["direction"].transform("nunique")
    n_set = out.groupby(keys)["direction"].transform("size")
    out["holds_under_all"] = (n_dir == 1) & (n_set == len(settings))
    out["note"] = note
    return out[list(SENSITIVITY_COLUMNS)].sort_values([*keys, "window_s", "mvc_reference"],
                                                      ignore_index=True)


__all__ = ["NO_DIFFERENCE", "REFERENCES", "SENSITIVITY_COLUMNS", "WINDOWS_S", "direction",
           "effects", "sensitivity_table"]
