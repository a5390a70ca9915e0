"""Tidy tables (pandas) of metrics, indices, ensemble curves and comparisons.

The metrics table has the columns of ``CONTRACT.md`` (subject, trial, task, rep, muscle,
side, mean_pct_mvc, peak_pct_mvc) and the recommended ones; amplitudes in % MVC are NaN
when the normalisation is not ``mvc`` (then ``mean_pct_peak`` / ``peak_pct_peak`` hold
% of the dynamic peak, or only ``mean_uv`` / ``peak_uv`` are set). ``mvc_check`` and
``interpretable`` say per channel whether its normalised values can be read
(:mod:`emgkit.analysis.mvc_check`); a channel without a usable reference has NaN there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from emgkit.analysis.indices import side_indices
from emgkit.analysis.metrics import SessionMetrics, TrialMetrics

METRIC_COLUMNS = (
    "subject", "session", "trial", "task", "variant", "load_kg", "rep", "rep_method",
    "channel", "muscle", "side", "label", "start_s", "end_s", "mean_pct_mvc",
    "peak_pct_mvc", "iemg_pct_mvc_s", "time_to_peak_pct", "onset_s", "offset_s",
    "median_freq_hz", "mean_freq_hz", "mean_pct_peak", "peak_pct_peak", "mean_uv",
    "peak_uv", "qc_flags", "normalisation", "mvc_check", "interpretable",
)
INDEX_COLUMNS = ("subject", "session", "trial", "task", "variant", "load_kg", "rep", "side",
                 "index_name", "value", "unit")
CURVE_COLUMNS = ("subject", "session", "trial", "task", "variant", "load_kg", "channel",
                 "muscle", "side", "pct_time", "mean", "sd", "n_reps", "unit", "label")
PHASE_COLUMNS = (
    "subject", "session", "trial", "task", "variant", "load_kg", "rep", "rep_method",
    "phase", "phase_source", "channel", "muscle", "side", "label", "start_s", "end_s",
    "duration_s", "mean_pct_mvc", "peak_pct_mvc", "iemg_pct_mvc_s", "mean_pct_peak",
    "peak_pct_peak", "mean_uv", "peak_uv", "qc_flags", "normalisation", "mvc_check",
    "interpretable",
)
COMPARISON_COLUMNS = (
    "level", "subject", "session", "comparison", "a", "b", "measure", "channel", "muscle",
    "side", "index_name", "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "hedges_g",
    "test", "normality_p", "statistic", "p", "p_holm", "pairing", "n_a", "n_b", "sd_a",
    "sd_b",
)
_AMPLITUDE = {  # unit -> (mean, peak, iemg) columns the normalised values go to
    "pct_mvc": ("mean_pct_mvc", "peak_pct_mvc", "iemg_pct_mvc_s"),
    "pct_peak": ("mean_pct_peak", "peak_pct_peak", None),
    "uv": (None, None, None),
}


def _trial_keys(sm: SessionMetrics, tm: TrialMetrics) -> dict:
    t = tm.trial.task
    return {"subject": sm.session.subject, "session": sm.name, "trial": tm.trial.id,
            "task": t.name, "variant": t.variant or "", "load_kg": t.load_kg}


def _rep_numbers(tm: TrialMetrics) -> np.ndarray:
    if len(tm.reps) == 1 and tm.reps[0].method == "whole_trial":
        return np.zeros(1, np.int64)
    return np.arange(1, len(tm.reps) + 1)


def _channel_columns(sm: SessionMetrics, tm: TrialMetrics, n_rows: int,
                     amplitudes: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict:
    """Return the per-channel columns of ``n_rows`` row blocks: montage, amplitudes, checks.

    ``amplitudes`` are the ``(n_rows, n_channels)`` mean, peak and integral in the
    trial's unit, put in that unit's columns (the others NaN).
    """
    chans = sm.session.montage.channels
    n_c = len(chans)
    cols: dict = {
        "channel": np.tile([c.number for c in chans], n_rows),
        "muscle": np.tile([c.muscle for c in chans], n_rows),
        "side": np.tile([c.side for c in chans], n_rows),
        "label": np.tile([c.label for c in chans], n_rows),
    }
    for c in ("mean_pct_mvc", "peak_pct_mvc", "iemg_pct_mvc_s", "mean_pct_peak",
              "peak_pct_peak"):
        cols[c] = np.full(n_rows * n_c, np.nan)
    for col, arr in zip(_AMPLITUDE[tm.unit], amplitudes):
        if col is not None:
            cols[col] = arr.ravel()
    cols["qc_flags"] = np.tile([";".join(f) for f in tm.qc_flags], n_rows)
    cols["normalisation"] = sm.config.normalisation.method
    checks = sm.checks or ()
    cols["mvc_check"] = np.tile([c.check for c in checks] or ["ok"] * n_c, n_rows)
    cols["interpretable"] = np.tile(
        np.array([c.interpretable for c in checks] or [True] * n_c, bool), n_rows)
    return cols


def metrics_table(metrics: Sequence[SessionMetrics]) -> pd.DataFrame:
    """One row per subject x trial x repetition x channel (see the module notes)."""
    frames = []
    for sm in metrics:
        n_c = len(sm.session.montage.channels)
        for tm in sm.trials:
            n_r = len(tm.reps)
            fs = tm.trial.clock_fs_hz
            cols: dict = dict(_trial_keys(sm, tm))
            cols["rep"] = np.repeat(_rep_numbers(tm), n_c)
            cols["rep_method"] = np.repeat([r.method for r in tm.reps], n_c)
            cols["start_s"] = np.repeat([r.start / fs for r in tm.reps], n_c)
            cols["end_s"] = np.repeat([r.end / fs for r in tm.reps], n_c)
            cols.update(_channel_columns(sm, tm, n_r, (tm.mean, tm.peak, tm.iemg_s)))
            for c in ("time_to_peak_pct", "onset_s", "offset_s", "median_freq_hz",
                      "mean_freq_hz", "mean_uv", "peak_uv"):
                cols[c] = getattr(tm, c).ravel()
            frames.append(_full(cols, n_r * n_c))
    return _frame(frames, METRIC_COLUMNS)


def indices_table(metrics: Sequence[SessionMetrics]) -> pd.DataFrame:
    """One row per trial x repetition x side x index (repetition trials only)."""
    rows = []
    for sm in metrics:
        if sm.unit == "uv":
            continue
        for tm in sm.trials:
            if tm.reps[0].method == "whole_trial":
                continue
            keys = _trial_keys(sm, tm)
            for (side, name), v in side_indices(tm.mean, sm.session.montage).items():
                for rep, val in zip(_rep_numbers(tm), v):
                    rows.append({**keys, "rep": int(rep), "side": side, "index_name": name,
                                 "value": float(val), "unit": "ratio"})
    return pd.DataFrame(rows, columns=list(INDEX_COLUMNS))


def phases_table(metrics: Sequence[SessionMetrics]) -> pd.DataFrame:
    """One row per subject x trial x repetition x phase x channel (trials with phases)."""
    frames = []
    for sm in metrics:
        n_c = len(sm.session.montage.channels)
        for tm in sm.trials:
            pm = tm.phases
            if pm is None:
                continue
            n_p, fs = len(pm.phases), tm.trial.clock_fs_hz
            reps = _rep_numbers(tm)
            cols: dict = dict(_trial_keys(sm, tm))
            cols["rep"] = np.repeat([reps[p.rep] for p in pm.phases], n_c)
            cols["rep_method"] = np.repeat([tm.reps[p.rep].method for p in pm.phases], n_c)
            cols["phase"] = np.repeat([p.name for p in pm.phases], n_c)
            cols["phase_source"] = np.repeat([p.source for p in pm.phases], n_c)
            cols["start_s"] = np.repeat([p.start / fs for p in pm.phases], n_c)
            cols["end_s"] = np.repeat([p.end / fs for p in pm.phases], n_c)
            cols["duration_s"] = cols["end_s"] - cols["start_s"]
            cols.update(_channel_columns(sm, tm, n_p, (pm.mean, pm.peak, pm.iemg_s)))
            cols["mean_uv"], cols["peak_uv"] = pm.mean_uv.ravel(), pm.peak_uv.ravel()
            frames.append(_full(cols, n_p * n_c))
    return _frame(frames, PHASE_COLUMNS)


def curves_table(metrics: Sequence[SessionMetrics]) -> pd.DataFrame:
    """Ensemble mean and SD of the time-normalised envelope, per trial and channel."""
    frames = []
    for sm in metrics:
        chans = sm.session.montage.channels
        for tm in sm.trials:
            if tm.reps[0].method == "whole_trial":
                continue
            n_p, n_c = tm.curve_mean.shape
            cols = dict(_trial_keys(sm, tm))
            cols["channel"] = np.tile([c.number for c in chans], n_p)
            cols["muscle"] = np.tile([c.muscle for c in chans], n_p)
            cols["side"] = np.tile([c.side for c in chans], n_p)
            cols["label"] = np.tile([c.label for c in chans], n_p)
            cols["pct_time"] = np.repeat(np.linspace(0.0, 100.0, n_p), n_c)
            cols["mean"] = tm.curve_mean.ravel()
            cols["sd"] = tm.curve_sd.ravel()
            cols["n_reps"] = len(tm.reps)
            cols["unit"] = tm.unit
            frames.append(_full(cols, n_p * n_c))
    return _frame(frames, CURVE_COLUMNS)


def _full(cols: dict, n: int) -> dict:
    """Broadcast the scalar entries of ``cols`` to arrays of length ``n``."""
    return {k: (v if isinstance(v, np.ndarray) else np.full(n, v, dtype=object if v is None
                                                            or isinstance(v, str) else None))
            for k, v in cols.items()}


def _frame(parts: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    """One table from column dicts, concatenated as arrays (one dtype per column)."""
    if not parts:
        return pd.DataFrame(columns=list(columns))
    data = {c: np.concatenate([p[c] for p in parts]) for c in columns}
    for c in ("load_kg",):
        if c in data:
            data[c] = pd.to_numeric(pd.Series(data[c], dtype=object), errors="coerce").to_numpy()
    return pd.DataFrame(data, columns=list(columns))


def comparisons_table(rows: Sequence[dict]) -> pd.DataFrame:
    """Return the records of :func:`emgkit.analysis.comparisons.compare` as a table."""
    return pd.DataFrame(list(rows), columns=list(COMPARISON_COLUMNS))
