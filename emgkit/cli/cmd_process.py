"""Process session files into a metrics table, with comparisons and provenance beside it.

``emgkit process SESSION.h5... [--config C.toml] --out METRICS.csv`` writes, all
atomically (a failure leaves none of them behind):

- ``METRICS.csv`` (or ``.parquet``): one row per subject x trial x repetition x
  channel (``CONTRACT.md``);
- ``METRICS.comparisons.csv``: hinge vs squat, variants and loads, per muscle and index;
- ``METRICS.indices.csv``: the derived indices per repetition and side;
- ``METRICS.curves.csv``: time-normalised ensemble mean and SD curves;
- ``METRICS.provenance.json``: parameters, software version, sha256 of every input.

The session files are opened read-only and never modified.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import logging
import platform
import sys
import warnings
from pathlib import Path

from emgkit.errors import AnalysisError, ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

NAME = "process"
HELP = "run the pipeline on session files and write the metrics table"
SUFFIXES = (".csv", ".parquet")
#: Tables written beside the metrics table, by name part.
EXTRA_TABLES = ("comparisons", "indices", "curves")

log = logging.getLogger("emgkit")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``process`` options."""
    p.add_argument("sessions", metavar="SESSION.h5", nargs="+", help="session files")
    p.add_argument("--config", metavar="C.toml",
                   help="processing configuration (TOML tables [filter], [envelope], "
                   "[normalisation], [onset], [spectral], [quality], [segmentation])")
    p.add_argument("--out", metavar="METRICS.csv", required=True,
                   help="metrics table, .csv or .parquet; the other tables and the "
                   "provenance JSON are written beside it")


def load_config(path: str | None):
    """Read a processing configuration TOML file (defaults when ``path`` is None)."""
    from emgkit.model.config import ProcessingConfig

    if path is None:
        return ProcessingConfig()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found", p) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file ({e})", p) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML ({e})", p) from None
    try:
        return ProcessingConfig.from_dict(data)
    except ConfigError as e:
        raise ConfigError(e.message, p) from None


def output_paths(out: str) -> dict[str, Path]:
    """Return the output files: ``metrics``, the extra tables and ``provenance``."""
    p = Path(out)
    if p.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"--out must end in {' or '.join(SUFFIXES)}, got {p.name!r}")
    paths = {"metrics": p}
    for name in EXTRA_TABLES:
        paths[name] = p.with_name(f"{p.stem}.{name}{p.suffix}")
    paths["provenance"] = p.with_name(f"{p.stem}.provenance.json")
    return paths


def _analyse(path: Path, config):
    """Read one session file and analyse it; returns (metrics, input record)."""
    from emgkit.analysis.metrics import analyse_session
    from emgkit.analysis.quality import session_quality
    from emgkit.io.hashing import sha256_file
    from emgkit.io.reader import SessionFile

    digest = sha256_file(path) if path.is_file() else None
    with SessionFile(path) as sf:
        session = sf.read_session()
        qualities = session_quality(sf, config.quality)
    try:
        sm = analyse_session(session, config, name=path.name, qualities=qualities)
    except AnalysisError as e:
        raise AnalysisError(e.message, path) from None
    trials = []
    for t in session.trials:
        src = None if t.source is None else {
            "path": t.source.path, "sha256": t.source.sha256, "format": t.source.format}
        trials.append({"id": t.id, "task": t.task.name, "variant": t.task.variant,
                       "load_kg": t.task.load_kg, "fs_hz": t.fs_hz, "source": src,
                       "repetitions": [{"start": r.start, "end": r.end, "method": r.method}
                                       for r in next(tm.reps for tm in sm.trials
                                                     if tm.trial.id == t.id)]})
    ref = None if sm.reference_uv is None else dict(
        zip(session.montage.names, (float(v) for v in sm.reference_uv)))
    record = {"path": str(path), "sha256": digest, "subject": session.subject,
              "board": session.device.board, "fs_hz": session.device.fs_hz,
              "reference_uv": ref, "trials": trials}
    return sm, record


def _write_table(df, path: Path, suffix: str) -> None:
    if suffix.lower() == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)


def run(args: argparse.Namespace) -> int:
    """Process the sessions and write the outputs atomically."""
    import numpy as np
    import pandas as pd
    import scipy

    from emgkit._version import __version__
    from emgkit.analysis.comparisons import compare
    from emgkit.analysis.tables import (
        comparisons_table,
        curves_table,
        indices_table,
        metrics_table,
    )
    from emgkit.core import LowSampleRateWarning
    from emgkit.io.atomic import atomic_path
    from emgkit.io.hashing import sha256_file

    config = load_config(args.config)
    paths = output_paths(args.out)
    metrics, inputs = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LowSampleRateWarning)
        for s in args.sessions:
            sm, record = _analyse(Path(s), config)
            metrics.append(sm)
            inputs.append(record)
    for msg in dict.fromkeys(str(w.message) for w in caught):  # each distinct one once
        log.warning("%s", msg)
    tables = {
        "metrics": metrics_table(metrics),
        "comparisons": comparisons_table(compare(metrics)),
        "indices": indices_table(metrics),
        "curves": curves_table(metrics),
    }
    provenance = {
        "software": "emgkit", "version": __version__, "command": "emgkit process",
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": config.to_dict(),
        "config_file": None if args.config is None else {
            "path": str(args.config), "sha256": sha256_file(args.config)},
        "inputs": inputs,
        "outputs": {k: p.name for k, p in paths.items() if k != "provenance"},
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "scipy": scipy.__version__, "pandas": pd.__version__},
    }
    with contextlib.ExitStack() as stack:
        tmps = {k: stack.enter_context(atomic_path(p)) for k, p in paths.items()}
        for k, df in tables.items():
            _write_table(df, tmps[k], paths[k].suffix)
        tmps["provenance"].write_text(json.dumps(provenance, indent=2, allow_nan=False),
                                      encoding="utf-8")
    n_rows = len(tables["metrics"])
    print(f"wrote {paths['metrics']} ({n_rows} rows, {len(metrics)} session(s))")
    for k in (*EXTRA_TABLES, "provenance"):
        print(f"wrote {paths[k]}")
    return 0
