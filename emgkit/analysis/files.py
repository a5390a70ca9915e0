"""Session files to analysed sessions, tables and provenance.

What ``emgkit process``, ``emgkit report`` and ``emgkit demo`` share.

>>> run = analyse_files(["a.h5", "b.h5"], load_config(None))   # doctest: +SKIP
>>> run.tables["metrics"]; run.warnings                         # doctest: +SKIP

The session files are opened read-only and never modified. Warnings of the signal core
(e.g. :class:`~emgkit.core.LowSampleRateWarning` at 250 Hz) are collected, each distinct
message once, for the caller to show as sentences.
"""

from __future__ import annotations

import datetime as _dt
import logging
import platform
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from emgkit.analysis.comparisons import compare
from emgkit.analysis.metrics import SessionMetrics, analyse_session
from emgkit.analysis.quality import session_quality
from emgkit.analysis.tables import (
    comparisons_table,
    curves_table,
    indices_table,
    metrics_table,
    phases_table,
)
from emgkit.errors import ConfigError, about
from emgkit.io.cells import neutralise_frame
from emgkit.model.config import ProcessingConfig
from emgkit.model.tomlfile import read_toml

log = logging.getLogger(__name__)

#: Suffixes of the metrics table (and of the tables beside it).
TABLE_SUFFIXES = (".csv", ".parquet")
#: Tables written beside the metrics table, by name part (the group statistics last,
#: :mod:`emgkit.analysis.groupstats`).
GROUP_TABLES = ("mixed", "spm", "reliability", "context")
#: ``phases`` is written only when some trial marks movement phases.
EXTRA_TABLES = ("comparisons", "indices", "curves", "phases", *GROUP_TABLES)
#: The slow group table, written only when asked for (``--sensitivity``).
SENSITIVITY_TABLE = "sensitivity"


@dataclass(frozen=True)
class AnalysisRun:
    """Sessions analysed together.

    Attributes
    ----------
    metrics : tuple of SessionMetrics
        One per session file, in the order given.
    inputs : tuple of dict
        Per file: path, sha256, subject, board, fs_hz, MVC references and trials
        (the ``inputs`` of the provenance record).
    tables : dict of str to pandas.DataFrame
        ``metrics``, ``comparisons``, ``indices`` and ``curves``
        (:mod:`emgkit.analysis.tables`).
    warnings : tuple of str
        Each distinct warning message of the processing, once, then one sentence per
        fallback (``"s01.h5: mains: 60 Hz in the data, the session says 50 Hz: notched
        at 60 Hz"``).
    config : ProcessingConfig
        The parameters used.
    fallbacks : tuple of dict
        Every fallback the analysis took, in session order: ``session`` (file name),
        ``kind`` (``mains``, ``segmentation``, ``mvc_reference``), ``sentence``,
        ``trials``. A report's summary opens with these, after the checks.
    checks : tuple of dict
        The normalisation check of every channel of every session
        (:meth:`emgkit.analysis.mvc_check.ChannelCheck.to_dict` with ``session``); those
        not interpretable are also in :attr:`warnings`.
    statistics : tuple of str
        What the group statistics did (:attr:`GroupStats.sentences
        <emgkit.analysis.groupstats.GroupStats>`), also at the end of :attr:`warnings`;
        empty when they were not computed.
    alpha : float
        Level of the group statistics.
    """

    metrics: tuple[SessionMetrics, ...]
    inputs: tuple[dict, ...]
    tables: dict
    warnings: tuple[str, ...]
    config: ProcessingConfig
    fallbacks: tuple[dict, ...] = ()
    checks: tuple[dict, ...] = ()
    statistics: tuple[str, ...] = ()
    alpha: float = 0.05


def load_config(path: str | PathLike | None) -> ProcessingConfig:
    """Read a processing configuration TOML file (defaults when ``path`` is None).

    Raises
    ------
    ConfigError
        Naming the file, if it cannot be read or holds invalid parameters.
    """
    if path is None:
        return ProcessingConfig()
    p = Path(path)
    data = read_toml(p, "config")
    try:
        return ProcessingConfig.from_dict(data)
    except ConfigError as e:
        raise ConfigError(e.message, p) from None


def analyse_file(path: str | PathLike, config: ProcessingConfig) -> tuple[SessionMetrics, dict]:
    """Read one session file and analyse it.

    Returns
    -------
    metrics : SessionMetrics
    record : dict
        The file's provenance record (path, sha256, subject, device, references, trials).

    Raises
    ------
    AnalysisError
        Naming the file, if the session cannot be analysed (e.g. no MVC trials).
    """
    from emgkit.io.hashing import sha256_file
    from emgkit.io.reader import IN_MEMORY_BYTES, SessionFile
    from emgkit.io.scratch import Scratch

    path = Path(path)
    t0 = time.perf_counter()
    digest = sha256_file(path) if path.is_file() else None
    with SessionFile(path) as sf, about(path), Scratch() as scratch:
        # Long trials stay on disk and go through the analysis a few channels at a time;
        # the quality checks read the file (beside the filtering when memory allows).
        session = sf.read_session(in_memory_bytes=IN_MEMORY_BYTES)
        minutes = sum(t.n_samples / t.fs_hz for t in session.trials) / 60
        log.info("%s: %d trial(s), %.1f min of EMG, hashed, read and checked in %.1f s",
                 path.name, len(session.trials), minutes, time.perf_counter() - t0)
        sm = analyse_session(session, config, name=path.name, scratch=scratch,
                             qualities=lambda: session_quality(sf, config.quality))
    record = {"path": str(path), "sha256": digest, "subject": session.subject,
              "board": session.device.board, "fs_hz": session.device.fs_hz,
              "mains_hz": session.device.mains_hz,
              "reference_uv": None if sm.reference_uv is None else dict(
                  zip(session.montage.names, (float(v) if v == v else None
                                              for v in sm.reference_uv))),
              **processing_record(sm)}
    return sm, record


def processing_record(sm: SessionMetrics) -> dict:
    """Return what was applied to a session, for its provenance record.

    Keys: ``processing`` (the :class:`~emgkit.core.ProcessingChain` of each region and
    sampling rate, with the mains decision), ``mvc_references`` (per channel: trial,
    stretch, value), ``mvc_checks`` (per channel: check, reason, values compared),
    ``fallbacks`` and ``trials`` (each with its source file and its
    repetitions, the segmentation method and what each method found).
    """
    trials = []
    for tm in sm.trials:
        t, seg = tm.trial, tm.segmentation
        src = None if t.source is None else {
            "path": t.source.path, "sha256": t.source.sha256, "format": t.source.format}
        trials.append({"id": t.id, "task": t.task.name, "variant": t.task.variant,
                       "load_kg": t.task.load_kg, "fs_hz": t.fs_hz, "source": src,
                       "notes": t.notes or None,
                       "repetitions": [{"start": r.start, "end": r.end, "method": r.method}
                                       for r in tm.reps],
                       "segmentation": None if seg is None else {
                           "method": seg.method, "attempts": list(seg.attempts),
                           "fallback": seg.fallback}})
    return {"processing": [c.to_dict() for c in sm.chains],
            "mvc_references": [r.to_dict() for r in sm.references],
            "mvc_checks": [c.to_dict() for c in sm.checks],
            "fallbacks": [f.to_dict() for f in sm.fallbacks],
            "trials": trials}


def analysis_tables(metrics: Sequence[SessionMetrics]) -> dict:
    """Return the ``metrics``, ``comparisons``, ``indices`` and ``curves`` tables.

    And ``phases`` when some trial marks movement phases (:mod:`emgkit.analysis.phases`).
    """
    tables = {
        "metrics": metrics_table(metrics),
        "comparisons": comparisons_table(compare(metrics)),
        "indices": indices_table(metrics),
        "curves": curves_table(metrics),
    }
    phases = phases_table(metrics)
    if len(phases):
        tables["phases"] = phases
    return tables


def analyse_files(paths: Sequence[str | PathLike], config: ProcessingConfig,
                  statistics: bool = False, sensitivity: bool = False,
                  alpha: float = 0.05) -> AnalysisRun:
    """Analyse session files together: metrics, tables and provenance inputs.

    Parameters
    ----------
    paths : sequence of path-like
        Session files (one per subject and session).
    config : ProcessingConfig
        Processing parameters.
    statistics : bool
        Also compute the group statistics (``mixed``, ``spm``, ``reliability``,
        ``context`` tables; :func:`~emgkit.analysis.groupstats.group_statistics`).
    sensitivity : bool
        With ``statistics``, also the ``sensitivity`` table (six analyses of every session).
    alpha : float
        Level of the group statistics.

    Returns
    -------
    AnalysisRun
    """
    from emgkit.core import LowSampleRateWarning

    metrics, inputs = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LowSampleRateWarning)
        for p in paths:
            sm, record = analyse_file(p, config)
            metrics.append(sm)
            inputs.append(record)
    fallbacks = tuple({"session": sm.name or str(p), **f.to_dict()}
                      for sm, p in zip(metrics, paths) for f in sm.fallbacks)
    checks = tuple({"session": sm.name or str(p), **c.to_dict()}
                   for sm, p in zip(metrics, paths) for c in sm.checks)
    tables, said = analysis_tables(metrics), ()
    if statistics:
        tables, said = _with_statistics(tables, metrics, alpha, sensitivity)
    messages = tuple(dict.fromkeys([
        *(str(w.message) for w in caught), *map(check_sentence, checks),
        *(f"{f['session']}: {f['sentence']}" for f in fallbacks), *said]))
    return AnalysisRun(tuple(metrics), tuple(inputs), tables,
                       tuple(m for m in messages if m), config, fallbacks, checks,
                       said, alpha)


def _with_statistics(tables: dict, metrics: Sequence[SessionMetrics], alpha: float,
                     sensitivity: bool) -> tuple[dict, tuple[str, ...]]:
    """Return ``tables`` with the group tables added, and what the statistics said."""
    from emgkit.analysis.groupstats import group_statistics

    run = AnalysisRun(tuple(metrics), (), tables, (), ProcessingConfig())
    t0 = time.perf_counter()
    gs = group_statistics(run, alpha=alpha, sensitivity=sensitivity)
    log.info("group statistics in %.1f s", time.perf_counter() - t0)
    names = [*GROUP_TABLES, *([SENSITIVITY_TABLE] if sensitivity else [])]
    return {**tables, **{k: gs.tables[k] for k in names}}, tuple(gs.sentences)


def check_sentence(check: dict) -> str:
    """One line for a channel whose normalisation is not interpretable (empty if it is).

    ``s01.h5: vastus_lateralis_left: MVC normalisation not interpretable: its task mean
    reached 240 % MVC in the hinge; ...``, or ``...: left out of %MVC: no usable MVC
    trial (flat in t001)``.
    """
    if check["interpretable"]:
        return ""
    what = ("left out of the normalised values" if check["check"] in ("no_mvc_reference",
                                                                       "no_reference")
            else "MVC normalisation not interpretable")
    return f"{check['session']}: {check['channel']}: {what}: {check['reason']}"


def provenance(run: AnalysisRun, command: str, config_file: str | PathLike | None = None,
               outputs: dict | None = None) -> dict:
    """Return the provenance record of a run (JSON-serialisable).

    Parameters
    ----------
    run : AnalysisRun
        What was analysed.
    command : str
        The command that made the outputs (``emgkit process``).
    config_file : path-like, optional
        The configuration file, hashed into the record.
    outputs : dict, optional
        Output names by kind.
    """
    import numpy as np
    import pandas as pd
    import scipy

    from emgkit._version import __version__
    from emgkit.io.hashing import sha256_file

    return {
        "software": "emgkit", "version": __version__, "command": command,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": run.config.to_dict(),
        "config_file": None if config_file is None else {
            "path": str(config_file), "sha256": sha256_file(config_file)},
        "inputs": list(run.inputs),
        "outputs": dict(outputs or {}),
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "scipy": scipy.__version__, "pandas": pd.__version__,
                        "statsmodels": _statsmodels_version()},
    }


def _statsmodels_version() -> str | None:
    """Return the version of statsmodels (the mixed model's), None if not installed."""
    try:
        import statsmodels
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    return statsmodels.__version__


def write_table(df, path: str | PathLike, suffix: str | None = None) -> None:
    """Write a table as CSV, or Parquet when ``suffix`` (default: the path's) is ``.parquet``.

    Text cells a spreadsheet would run as formulas are neutralised in CSV
    (:mod:`emgkit.io.cells`).
    """
    suffix = (suffix or Path(path).suffix).lower()
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        neutralise_frame(df).to_csv(path, index=False)


def output_paths(metrics_path: str | PathLike, sensitivity: bool = False) -> dict[str, Path]:
    """Return the output files of a metrics table: ``metrics``, the extra tables, ``provenance``.

    ``METRICS.csv`` has ``METRICS.comparisons.csv``, ``METRICS.indices.csv``,
    ``METRICS.curves.csv``, the group tables (``METRICS.mixed.csv``, ``.spm``,
    ``.reliability``, ``.context``; ``.sensitivity`` with ``sensitivity``) and
    ``METRICS.provenance.json`` beside it. :func:`write_outputs` writes those the run has.

    Raises
    ------
    ConfigError
        If the suffix is not ``.csv`` or ``.parquet``.
    """
    p = Path(metrics_path)
    if p.suffix.lower() not in TABLE_SUFFIXES:
        raise ConfigError(f"--out must end in {' or '.join(TABLE_SUFFIXES)}, got {p.name!r}")
    paths = {"metrics": p}
    for name in (*EXTRA_TABLES, *([SENSITIVITY_TABLE] if sensitivity else [])):
        paths[name] = p.with_name(f"{p.stem}.{name}{p.suffix}")
    paths["provenance"] = p.with_name(f"{p.stem}.provenance.json")
    return paths


def write_outputs(run: AnalysisRun, paths: dict, command: str,
                  config_file: str | PathLike | None = None) -> None:
    """Write the tables and the provenance record atomically (all of them or none).

    Parameters
    ----------
    run : AnalysisRun
        What was analysed.
    paths : dict of str to Path
        From :func:`output_paths`; tables the run does not have (the group tables of a
        run without statistics) are not written.
    command : str
        Recorded in the provenance (``emgkit process``).
    config_file : path-like, optional
        The configuration file, hashed into the provenance.
    """
    import contextlib
    import json

    from emgkit.io.atomic import atomic_path

    paths = written_paths(run, paths)
    record = provenance(run, command, config_file,
                        {k: p.name for k, p in paths.items() if k != "provenance"})
    with contextlib.ExitStack() as stack:
        tmps = {k: stack.enter_context(atomic_path(p)) for k, p in paths.items()}
        for k in paths.keys() - {"provenance"}:
            write_table(run.tables[k], tmps[k], paths[k].suffix)
        tmps["provenance"].write_text(json.dumps(record, indent=2, allow_nan=False),
                                      encoding="utf-8")


def written_paths(run: AnalysisRun, paths: dict) -> dict:
    """Return the outputs of ``paths`` that :func:`write_outputs` writes for ``run``."""
    return {k: p for k, p in paths.items() if k == "provenance" or k in run.tables}
