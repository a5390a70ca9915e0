"""Reprocess many session files with the pipeline and configuration of ``emgkit process``.

``emgkit batch PATHS... [--config C.toml] [--scheduler ADDRESS | --workers N] --out DIR``

PATHS are session files, folders (every ``*.h5`` below them) or glob patterns. Outputs:
``DIR/metrics.csv`` (every session's metrics) and ``DIR/sessions/<name>/`` (its
metrics, comparisons, indices and curves tables and ``provenance.json``). Sessions
whose outputs match the input's sha256 and the configuration are skipped, so an
interrupted batch resumes where it stopped. Work runs on a local process pool
(``--jobs``, default one process per core), on a local Dask cluster (``--workers N``)
or on an existing Dask cluster (``--scheduler ADDRESS``).

Exit codes: 0 every session processed or up to date; 2 bad input, or one or more
sessions failed (each reported on one line, the others still processed); 1 an internal
error.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import TYPE_CHECKING

from emgkit.errors import ConfigError

if TYPE_CHECKING:
    from emgkit.batch.runner import SessionResult

NAME = "batch"
HELP = "reprocess many sessions (local processes or a Dask cluster)"
#: An analysis that ends with the command: its process keeps the memory it frees (cli.main).
ANALYSIS = True

log = logging.getLogger("emgkit")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``batch`` options."""
    p.add_argument("paths", metavar="PATHS", nargs="+",
                   help="session files, folders (searched recursively for *.h5) or globs")
    p.add_argument("--config", metavar="C.toml", help="processing configuration, as for "
                   "'emgkit process'")
    p.add_argument("--out", metavar="DIR", required=True, help="output folder")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786)")
    where.add_argument("--workers", metavar="N", type=int,
                       help="start a local Dask cluster of N worker processes")
    where.add_argument("--jobs", metavar="N", type=int,
                       help="local process pool size (default: the CPUs this process may "
                       "use, within a CPU quota; 1 runs in this process)")
    p.add_argument("--force", action="store_true",
                   help="reprocess sessions whose outputs are up to date")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


class ProgressBar:
    """A one-line progress bar on stderr: counts, failures and estimated time left.

    Log records written to the same stream while it is shown (``emgkit -v batch``) start
    on a line of their own (:meth:`logged`); the bar's next drawing comes under them.
    """

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total, self.width = total, width
        self.stream = stream if stream is not None else sys.stderr
        self.t0 = time.monotonic()
        self.failed = self.skipped = 0
        self._worked = 0
        self._open = False  # the bar is drawn, its line not ended

    def __call__(self, res: SessionResult, done: int, total: int) -> None:
        """Record one finished session and redraw."""
        self.failed += res.status == "failed"
        self.skipped += res.status == "skipped"
        self._worked += res.status != "skipped"
        if res.status == "failed":
            self.stream.write(f"\remgkit batch: failed: {res.error}\n")
        elapsed = time.monotonic() - self.t0
        left = total - done
        eta = elapsed / max(self._worked, 1) * left if self._worked else 0.0
        filled = round(self.width * done / max(total, 1))
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} sessions, "
            f"{self.failed} failed, {self.skipped} up to date, "
            f"{_clock(elapsed)} elapsed, {_clock(eta)} left ")
        self._open = done != total
        if not self._open:
            self.stream.write("\n")
        self.stream.flush()

    def logged(self) -> None:
        """End the bar's line before a log record is written under it."""
        if self._open:
            self.stream.write("\n")
            self._open = False


class _LogUnderBar(logging.Filter):
    """A handler filter that ends a progress bar's line before each record (passes all)."""

    def __init__(self, bar: ProgressBar):
        super().__init__()
        self.bar = bar

    def filter(self, record: logging.LogRecord) -> bool:
        self.bar.logged()
        return True


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def run(args: argparse.Namespace) -> int:
    """Run the batch; return 0 if every session succeeded, else 2."""
    for opt in ("workers", "jobs"):
        n = getattr(args, opt)
        if n is not None and n < 1:
            raise ConfigError(f"--{opt} must be at least 1, but got {n}")
    from emgkit.analysis.files import load_config
    from emgkit.batch.runner import find_sessions, run_batch

    config = load_config(args.config)
    paths = find_sessions(args.paths)
    if args.scheduler or args.workers:
        executor, workers = "dask", args.workers
    else:
        executor = "serial" if args.jobs == 1 else "pool"
        workers = args.jobs
    bar = None if args.no_progress else ProgressBar(len(paths))
    # the log handlers that write where the bar is drawn (the command's, on stderr)
    handlers = [] if bar is None else [h for h in logging.getLogger().handlers
                                       if getattr(h, "stream", None) is bar.stream]
    under_bar = None if bar is None else _LogUnderBar(bar)
    for h in handlers:
        h.addFilter(under_bar)
    try:
        result = run_batch(paths, args.out, config, config_file=args.config,
                           executor=executor, workers=workers, scheduler=args.scheduler,
                           force=args.force, progress=bar)
    finally:
        for h in handlers:
            h.removeFilter(under_bar)
        if bar is not None:
            bar.logged()  # an interrupt or an error is said on a line of its own
    for msg in dict.fromkeys(w for r in result.sessions for w in r.warnings):
        log.warning("%s", msg)
    if bar is None:
        for r in result.sessions:
            if r.status == "failed":
                sys.stderr.write(f"emgkit batch: failed: {r.error}\n")
    done, skipped, failed = (result.count(s) for s in ("done", "skipped", "failed"))
    print(f"{done} processed, {skipped} up to date, {failed} failed; "
          f"wrote {result.metrics_path or 'no metrics table'}")
    return 0 if result.ok else 2
