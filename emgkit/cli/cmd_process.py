"""Process session files into a metrics table, with comparisons and provenance beside it.

``emgkit process SESSION.h5... [--config C.toml] --out METRICS.csv`` writes, all
atomically (a failure leaves none of them behind):

- ``METRICS.csv`` (or ``.parquet``): one row per subject x trial x repetition x
  channel (``CONTRACT.md``);
- ``METRICS.comparisons.csv``: hinge vs squat, variants and loads, per muscle and index;
- ``METRICS.indices.csv``: the derived indices per repetition and side;
- ``METRICS.curves.csv``: time-normalised ensemble mean and SD curves;
- ``METRICS.mixed.csv``, ``METRICS.spm.csv``, ``METRICS.reliability.csv``,
  ``METRICS.context.csv``: the group statistics (``docs/statistics.md``), and
  ``METRICS.sensitivity.csv`` with ``--sensitivity``;
- ``METRICS.provenance.json``: parameters, software version, sha256 of every input.

The session files are opened read-only and never modified.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

NAME = "process"
HELP = "run the pipeline on session files and write the metrics table"
#: An analysis that ends with the command: its process keeps the memory it frees (cli.main).
ANALYSIS = True

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
    add_sensitivity_argument(p)


def add_sensitivity_argument(p: argparse.ArgumentParser) -> None:
    """Add ``--sensitivity`` (shared with ``emgkit report``)."""
    p.add_argument("--sensitivity", action="store_true",
                   help="also re-analyse every session under 3 RMS windows x 2 MVC "
                   "references and say whether hinge vs squat holds under all (slow: six "
                   "analyses of each session)")


def run(args: argparse.Namespace) -> int:
    """Process the sessions and write the outputs atomically."""
    from emgkit.analysis.files import (
        analyse_files,
        load_config,
        output_paths,
        write_outputs,
        written_paths,
    )

    config = load_config(args.config)
    paths = output_paths(args.out, args.sensitivity)
    run_ = analyse_files([Path(s) for s in args.sessions], config, statistics=True,
                         sensitivity=args.sensitivity)
    for msg in run_.warnings:  # each distinct one once
        log.warning("%s", msg)
    write_outputs(run_, paths, "emgkit process", args.config)
    n_rows = len(run_.tables["metrics"])
    print(f"wrote {paths['metrics']} ({n_rows} rows, {len(run_.metrics)} session(s))")
    for k, p in written_paths(run_, paths).items():
        if k != "metrics":
            print(f"wrote {p}")
    return 0
