"""Reprocess many session files: the ``emgkit process`` pipeline per session, in parallel.

>>> result = run_batch(find_sessions(["study/"]), "out", executor="pool")  # doctest: +SKIP

Each session is analysed alone by :func:`emgkit.analysis.files.analyse_files` (the
pipeline of ``emgkit process``) and its tables and provenance go to
``OUT/sessions/<name>/``; ``OUT/metrics.csv`` then combines the metrics tables of every
session that succeeded, in input order, read back from those files: the combined table
is the same whichever executor ran the work and whether a session was resumed.

Resuming: a session is skipped when its ``provenance.json`` records the sha256 of the
input file and of the configuration now given (the provenance is written last, so
its presence means the session's outputs are complete).

Executors: ``serial`` (in this process), ``pool`` (a local
:class:`~concurrent.futures.ProcessPoolExecutor`), ``dask`` (a ``dask.distributed``
cluster: an existing scheduler's address, or a local cluster of ``workers`` processes).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from emgkit.core.parallel import cpu_count
from emgkit.errors import ConfigError
from emgkit.model.config import ProcessingConfig

#: Tables written per session, by name (``metrics`` first); ``phases`` as well when the
#: session marks movement phases.
TABLES = ("metrics", "comparisons", "indices", "curves")
EXECUTORS = ("serial", "pool", "dask")
#: The Dask setting through which the nanny gives its workers ``MALLOC_TRIM_THRESHOLD_``.
NANNY_MALLOC_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
#: The name of the Dask worker plugin that sets up the workers of a local cluster.
WORKER_PLUGIN = "emgkit-batch-setup"


@dataclass(frozen=True)
class SessionResult:
    """What became of one session.

    Attributes
    ----------
    path : str
        The input file.
    name : str
        Its folder under ``OUT/sessions``.
    status : str
        ``done``, ``skipped`` (outputs up to date) or ``failed``.
    error : str
        One line, for a failed session.
    warnings : tuple of str
        Distinct warnings of the processing.
    seconds : float
        Wall time of the work in the worker.
    """

    path: str
    name: str
    status: str
    error: str = ""
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0


@dataclass
class BatchResult:
    """The outcome of a batch: one :class:`SessionResult` per input, in input order."""

    sessions: list[SessionResult] = field(default_factory=list)
    metrics_path: Path | None = None

    def count(self, status: str) -> int:
        """Return the number of sessions with ``status``."""
        return sum(r.status == status for r in self.sessions)

    @property
    def ok(self) -> bool:
        """True if no session failed."""
        return self.count("failed") == 0


def find_sessions(items: Iterable[str | PathLike]) -> list[Path]:
    """Expand files, folders (``*.h5`` below them, recursively) and glob patterns.

    Returns
    -------
    list of Path
        Unique files, sorted.

    Raises
    ------
    ConfigError
        If an item matches nothing, or nothing is found at all.
    """
    found: set[Path] = set()
    for item in items:
        s = str(item)
        p = Path(s)
        if p.is_dir():
            hits = [q for q in p.rglob("*.h5") if q.is_file()]
        elif p.is_file():
            hits = [p]
        else:
            hits = [Path(q) for q in glob.glob(s, recursive=True) if Path(q).is_file()]
            if not hits:
                raise ConfigError("no such file, folder or matching session files", s)
        found.update(q.resolve() for q in hits)
    if not found:
        raise ConfigError("no session files (*.h5) found in " + ", ".join(map(str, items)))
    return sorted(found)


def session_names(paths: Sequence[Path]) -> list[str]:
    """Output folder names: the file stem, made unique with a hash of the folder."""
    stems = [p.stem for p in paths]
    return [s if stems.count(s) == 1 else
            f"{s}-{hashlib.sha1(str(p.parent).encode()).hexdigest()[:8]}"
            for s, p in zip(stems, paths)]


def config_sha256(config: ProcessingConfig) -> str:
    """Return the sha256 of a configuration's canonical JSON."""
    text = json.dumps(config.to_dict(), sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _up_to_date(folder: Path, input_sha: str, cfg_sha: str) -> bool:
    try:
        prov = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    b = prov.get("batch", {})
    return (b.get("input_sha256") == input_sha and b.get("config_sha256") == cfg_sha
            and all((folder / f"{t}.csv").is_file() for t in TABLES))


def process_session(path: str, name: str, out_dir: str, config: ProcessingConfig,
                    config_file: str | None = None, force: bool = False) -> SessionResult:
    """Process one session file into ``out_dir/sessions/<name>/`` (the unit of work).

    Never raises: a failure is returned as a ``failed`` result with a one-line error.
    """
    from emgkit.analysis.files import analyse_files, provenance, write_table
    from emgkit.errors import EmgkitError
    from emgkit.io.atomic import atomic_folder
    from emgkit.io.hashing import sha256_file

    t0 = time.perf_counter()
    folder = Path(out_dir) / "sessions" / name
    try:
        input_sha, cfg_sha = sha256_file(path), config_sha256(config)
        if not force and _up_to_date(folder, input_sha, cfg_sha):
            return SessionResult(path, name, "skipped")
        run = analyse_files([path], config)
        tables = [*TABLES, *(["phases"] if "phases" in run.tables else [])]
        record = provenance(run, "emgkit batch", config_file,
                            {t: f"{t}.csv" for t in tables})
        record["batch"] = {"input_sha256": input_sha, "config_sha256": cfg_sha}
        with atomic_folder(folder, replace=True) as tmp:  # a session's results appear whole
            for t in tables:
                write_table(run.tables[t], tmp / f"{t}.csv", ".csv")
            (tmp / "provenance.json").write_text(json.dumps(record, indent=2, allow_nan=False),
                                                 encoding="utf-8")
    except EmgkitError as e:
        return SessionResult(path, name, "failed", " ".join(str(e).split()),
                             seconds=time.perf_counter() - t0)
    except Exception as e:  # a bug or an unreadable file: report it, keep going
        return SessionResult(path, name, "failed",
                             f"{path}: {type(e).__name__}: {' '.join(str(e).split())}",
                             seconds=time.perf_counter() - t0)
    return SessionResult(path, name, "done", warnings=run.warnings,
                         seconds=time.perf_counter() - t0)


#: Modules a worker process needs, imported once by the forkserver before it forks workers.
WORKER_MODULES = ("emgkit.batch.runner", "emgkit.analysis.files")


def _pool_context(*extra_modules: str):
    """Return the start method for worker processes.

    A forkserver that imports :data:`WORKER_MODULES` (and ``extra_modules``), so each
    worker starts with the pipeline loaded; ``spawn`` where there is no forkserver. The
    forkserver is started once per process and shared by the pool and the local Dask
    cluster: the modules it imports are those of whichever asked first.
    """
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload([*extra_modules, *WORKER_MODULES])
        return ctx
    return mp.get_context("spawn")


@contextlib.contextmanager
def _dask_client(scheduler: str | None, workers: int | None):
    try:
        # the forkserver starts importing the workers' modules while distributed loads here
        worker_config = None if scheduler else _dask_worker_config()
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigError("a Dask cluster needs dask[distributed]: "
                          "pip install 'emgkit[cluster]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({e})") from None
        with client:
            yield client
        return
    with worker_config, _dask_logs_at_emgkit_level(), \
            LocalCluster(n_workers=workers or cpu_count(), threads_per_worker=1,
                         processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


@contextlib.contextmanager
def _dask_logs_at_emgkit_level():
    """Hold Dask's log level at emgkit's while a local cluster runs.

    The scheduler and nannies of a local cluster run in this process and log a dozen
    INFO lines per batch (start, every worker, shutdown), which reach the command line's
    handler: only ``emgkit -v`` shows them now.
    """
    log = logging.getLogger("distributed")
    old = log.level
    log.setLevel(logging.getLogger("emgkit").getEffectiveLevel())
    try:
        yield
    finally:
        log.setLevel(old)


def _dask_worker_config():
    """Dask settings for the workers of a local cluster, as a context manager.

    - Dask's nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_=65536``, which pins
      glibc's mmap threshold: every large array is then a fresh mmap, page-faulted and
      zeroed, and a session took ~1.5x the CPU time it takes in a pool worker. Unset
      (None), glibc keeps its adaptive default.
    - Workers are forked from the forkserver of :func:`_pool_context`, which has
      imported distributed and the pipeline once, instead of each worker being spawned
      as a fresh interpreter that imports them on its own (Dask's default): the cluster
      closed in 0.03 s instead of 0.5 s, and 40 sessions took 13.0 s instead of 13.9 s.

    Measurements in ``docs/performance.md`` (section *Batch*).

    Returns
    -------
    contextlib.AbstractContextManager
        A ``dask.config.set`` that holds the settings while the cluster runs.
    """
    import dask

    settings: dict = {NANNY_MALLOC_KEY: None}
    if _pool_context("distributed").get_start_method() == "forkserver":
        from multiprocessing import forkserver

        # started now, with our modules: Dask would start it with its own list
        forkserver.ensure_running()
        settings["distributed.worker.multiprocessing-method"] = "forkserver"
    return dask.config.set(settings)


def worker_setup() -> None:
    """Set up a batch worker process (pool and local Dask workers): one thread each.

    A worker per core, each with threads of its own, oversubscribes the machine: the
    threads spin against the other workers. So BLAS is held to one thread (OpenBLAS
    starts one per core; measured on 2 cores, 16 sessions as ``emgkit batch --jobs 2``:
    69 % efficiency with OpenBLAS's default, 78 % with one thread, docs/performance.md,
    *Batch*; Dask's nanny sets ``OPENBLAS_NUM_THREADS=1`` for the workers it spawns, but
    workers forked from the forkserver have loaded BLAS already, so the limit is set
    here, by threadpoolctl), and so is the analysis (:func:`emgkit.core.parallel.
    set_thread_limit`: it holds in the thread that calls this, a pool worker's only
    one; a Dask worker runs tasks in threads of its own, so each task holds itself,
    :func:`_one_thread_session`). The worker also keeps the memory it frees for reuse
    (:func:`emgkit._malloc.keep_freed_memory`), as ``emgkit process`` does.
    """
    from threadpoolctl import threadpool_limits

    from emgkit._malloc import keep_freed_memory
    from emgkit.core.parallel import set_thread_limit

    threadpool_limits(1, user_api="blas")
    set_thread_limit(1)
    keep_freed_memory()


def _worker_plugin():
    """Return the Dask worker plugin that runs :func:`worker_setup` in every worker.

    A plugin rather than a call on the workers of the moment: a worker that its nanny
    restarts (after a crash, or over its memory limit) is set up again.
    """
    from distributed import WorkerPlugin

    class BatchWorkerSetup(WorkerPlugin):
        name = WORKER_PLUGIN

        def setup(self, worker) -> None:
            worker_setup()

    return BatchWorkerSetup()


def _one_thread_session(*job) -> SessionResult:
    """Run :func:`process_session` on one thread (a Dask task).

    Also in workers the batch did not start: the workers, one per core, are the
    parallelism.
    """
    from emgkit.core.parallel import limit_threads

    with limit_threads(1):
        return process_session(*job)


def process_pool(workers: int | None = None):
    """Return the local process pool of ``executor="pool"`` (one worker per core by default).

    Workers start from the forkserver of :func:`_pool_context` and run one thread each
    (:func:`worker_setup`).
    """
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers or cpu_count(),
                               mp_context=_pool_context(), initializer=worker_setup)


def _execute(jobs: list[tuple], executor: str, workers: int | None,
             scheduler: str | None) -> Iterator[SessionResult]:
    if executor == "serial":
        for job in jobs:
            yield process_session(*job)
    elif executor == "pool":
        from concurrent.futures import as_completed

        with process_pool(workers) as ex:
            futures = [ex.submit(process_session, *job) for job in jobs]
            for f in as_completed(futures):
                yield f.result()
    else:
        from dask.distributed import as_completed

        with _dask_client(scheduler, workers) as client:
            if not scheduler:  # a cluster of our own: workers as many as the cores
                client.register_plugin(_worker_plugin())
            futures = [client.submit(_one_thread_session, *job, pure=False) for job in jobs]
            for f in as_completed(futures):
                yield f.result()


def run_batch(paths: Sequence[str | PathLike], out_dir: str | PathLike,
              config: ProcessingConfig | None = None, *, config_file: str | None = None,
              executor: str = "pool", workers: int | None = None,
              scheduler: str | None = None, force: bool = False,
              progress: Callable[[SessionResult, int, int], None] | None = None,
              ) -> BatchResult:
    """Process session files and write the combined metrics table.

    Parameters
    ----------
    paths : sequence of path-like
        Session files (see :func:`find_sessions` to expand folders and globs).
    out_dir : path-like
        Output folder: ``metrics.csv`` and ``sessions/<name>/``.
    config : ProcessingConfig, optional
        Processing parameters (defaults when None).
    config_file : str, optional
        The file ``config`` came from, hashed into the provenance.
    executor : {"serial", "pool", "dask"}
        Where the work runs.
    workers : int, optional
        Pool processes or local Dask workers (default: the CPUs this process may use,
        :func:`emgkit.core.parallel.cpu_count`, within a container's CPU quota).
    scheduler : str, optional
        Address of an existing Dask scheduler (``executor="dask"``).
    force : bool
        Reprocess sessions whose outputs are up to date.
    progress : callable, optional
        Called as ``progress(result, n_finished, n_total)`` after each session.

    Returns
    -------
    BatchResult
    """
    from emgkit.analysis.files import write_table
    from emgkit.io.atomic import atomic_path

    if executor not in EXECUTORS:
        raise ConfigError(f"Invalid value for the 'executor' parameter. Allowed values are "
                          f"{EXECUTORS}, but got {executor!r} instead.")
    config = config or ProcessingConfig()
    out = Path(out_dir)
    paths = [Path(p) for p in paths]
    names = session_names(paths)
    jobs = [(str(p), n, str(out), config, config_file, force) for p, n in zip(paths, names)]
    by_path: dict[str, SessionResult] = {}
    for k, res in enumerate(_execute(jobs, executor, workers, scheduler), 1):
        by_path[res.path] = res
        if progress is not None:
            progress(res, k, len(jobs))
    result = BatchResult([by_path[str(p)] for p in paths])
    ok = [r for r in result.sessions if r.status != "failed"]
    if ok:
        import pandas as pd

        # cells kept as the text each session wrote: no float is parsed and printed again
        frames = [pd.read_csv(out / "sessions" / r.name / "metrics.csv", dtype=str,
                              keep_default_na=False) for r in ok]
        result.metrics_path = out / "metrics.csv"
        with atomic_path(result.metrics_path) as tmp:
            write_table(pd.concat(frames, ignore_index=True), tmp, ".csv")
    return result
