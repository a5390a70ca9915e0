"""Write the activation comparison report of one or several session files.

``emgkit report SESSION.h5... [--out report.html] [--pdf report.pdf] [--config C.toml]``
processes the sessions exactly as ``emgkit process`` does and writes a self-contained
HTML page (figures embedded, no network) and, with ``--pdf``, a PDF with the same
content. Several sessions of different subjects give a group report (subject means
compared across subjects). A "Group statistics" section gives the mixed models, the SPM
clusters, reliability and published values (``docs/statistics.md``); ``--sensitivity`` adds
the sensitivity analysis. Outputs are written atomically; the sessions are only read.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from emgkit.cli.cmd_process import add_sensitivity_argument
from emgkit.errors import ConfigError

NAME = "report"
HELP = "write the hinge-vs-squat activation report (HTML, optionally PDF)"
#: An analysis that ends with the command: its process keeps the memory it frees (cli.main).
ANALYSIS = True

log = logging.getLogger("emgkit")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``report`` options."""
    p.add_argument("sessions", metavar="SESSION.h5", nargs="+", help="session files")
    p.add_argument("--out", metavar="report.html", default="report.html",
                   help="HTML report (default: report.html)")
    p.add_argument("--pdf", metavar="report.pdf", help="also write the report as a PDF")
    p.add_argument("--config", metavar="C.toml",
                   help="processing configuration, as for 'emgkit process'")
    add_sensitivity_argument(p)


def make_report(sessions, html_path, pdf_path=None, config=None,
                sensitivity: bool = False) -> list[Path]:
    """Analyse ``sessions`` and write the report; return the paths written.

    Parameters
    ----------
    sessions : sequence of path-like
        Session files.
    html_path, pdf_path : path-like or None
        Outputs (either may be None).
    config : ProcessingConfig, optional
        Defaults if None.
    sensitivity : bool
        Also the sensitivity analysis (six analyses of each session).
    """
    from emgkit.analysis.files import analyse_files, load_config
    from emgkit.report import build_report, write_report

    run = analyse_files([Path(s) for s in sessions], config or load_config(None),
                        statistics=True, sensitivity=sensitivity)
    for msg in run.warnings:  # each distinct one once, as a sentence
        log.warning("%s", msg)
    return write_report(build_report(run), html_path, pdf_path)


def run(args: argparse.Namespace) -> int:
    """Write the report."""
    from emgkit.analysis.files import load_config

    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"--out must end in .html, got {Path(args.out).name!r}")
    if args.pdf is not None and Path(args.pdf).suffix.lower() != ".pdf":
        raise ConfigError(f"--pdf must end in .pdf, got {Path(args.pdf).name!r}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - the report extra is missing
        raise ConfigError("the report needs matplotlib: pip install 'emgkit[report]'") from None
    for p in make_report(args.sessions, args.out, args.pdf, load_config(args.config),
                         args.sensitivity):
        print(f"wrote {p}")
    return 0
