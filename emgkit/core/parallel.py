"""How many threads the offline analysis of one session may use.

The core's heavy steps (FFT filtering, spectra, the quality measures) spend most of
their time in numpy and scipy code that releases the GIL, so the independent parts of
one session (the quality segments of a long trial, the short trials, the FFT frames of a
channel block, the channels' onsets) run side by side in threads. One thread per CPU
this process may run on (within its cgroup's CPU quota), at most :data:`MAX_THREADS`;
the environment variable ``EMGKIT_THREADS`` lowers that (e.g. ``EMGKIT_THREADS=1`` when
several commands share the machine). A limit set with :func:`limit_threads` or
:func:`set_thread_limit` holds in the thread (and context) that set it: a batch worker,
one of several processes that share the machine, holds itself to one, and the work that
:func:`map_threads` hands to its threads runs on one thread each, so threads never start
threads; :func:`beside` runs two phases of a session at once that each leave cores idle,
each with this many threads of its own. Results do not depend on the number of threads:
each part is computed the same way, in its own thread.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from pathlib import Path
from typing import TypeVar

from emgkit.errors import ConfigError

#: More threads than this gain nothing: the session's parts are few.
MAX_THREADS = 4
#: The environment variable that lowers the thread count (unset: one per CPU).
ENVIRONMENT = "EMGKIT_THREADS"
#: Where the cgroup file systems are mounted (the CPU quota of a container).
CGROUP_ROOT = "/sys/fs/cgroup"

_limit: ContextVar[int | None] = ContextVar("emgkit_thread_limit", default=None)
T = TypeVar("T")
U = TypeVar("U")


def cpu_count() -> int:
    """Return the CPUs this process may use: its affinity, within its cgroup's CPU quota.

    A container capped at 2 CPUs on a 64-core host has an affinity of 64 but gets 2 CPUs'
    time (:func:`cgroup_cpu_limit`, rounded up); more threads than that only queue.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    limit = _own_cpu_limit()
    return n if limit is None else max(1, min(n, math.ceil(limit)))


@functools.lru_cache(maxsize=1)
def _own_cpu_limit() -> float | None:
    """:func:`cgroup_cpu_limit` of this process, read once."""
    return cgroup_cpu_limit()


def cgroup_cpu_limit(proc_cgroup: str | Path = "/proc/self/cgroup",
                     root: str | Path = CGROUP_ROOT) -> float | None:
    """Return the CPUs' worth of time this process's cgroup allows, None without a quota.

    The quota over the period (cgroup v2 ``cpu.max``; v1 ``cpu.cfs_quota_us`` over
    ``cpu.cfs_period_us``) of the process's cgroup and of each parent, the tightest;
    a cgroup whose folder is not there (a container sees its own cgroup at the root) is
    skipped.
    """
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    root = Path(root)
    limits = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # v2 (in a hybrid layout, mounted at unified/)
            base = root / "unified" if (root / "unified").is_dir() else root
            limits += [_v2_limit(d / "cpu.max") for d in _folders(base, path)]
        elif "cpu" in controllers.split(","):
            base = next((b for b in _v1_mounts(root, controllers) if b.is_dir()), None)
            if base is not None:
                limits += [_v1_limit(d) for d in _folders(base, path)]
    limits = [v for v in limits if v is not None]
    return min(limits) if limits else None


def _folders(base: Path, path: str) -> list[Path]:
    """``base/path`` and each of its parents up to ``base``."""
    parts = [p for p in path.split("/") if p]
    return [base.joinpath(*parts[:k]) for k in range(len(parts), -1, -1)]


def _v1_mounts(root: Path, controllers: str) -> list[Path]:
    """Return where a v1 hierarchy of ``controllers`` may be mounted.

    ``/proc/self/cgroup`` says ``cpuacct,cpu`` on some systems that mount it as
    ``cpu,cpuacct``; ``cpu`` is usually a link to the mount.
    """
    names = controllers.split(",")
    return [root / controllers, root / ",".join(sorted(names)), root / "cpu"]


def _v2_limit(file: Path) -> float | None:
    try:
        quota, period = file.read_text().split()[:2]
        return int(quota) / int(period) if quota != "max" and int(period) > 0 else None
    except (OSError, ValueError):
        return None


def _v1_limit(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def thread_count() -> int:
    """Return the threads the analysis may use here and now (1 to :data:`MAX_THREADS`).

    Raises
    ------
    ConfigError
        If ``EMGKIT_THREADS`` is set to anything but a whole number of at least 1.
    """
    n = min(cpu_count(), MAX_THREADS)
    limit = _limit.get()
    if limit is None:
        limit = _environment_limit()
    return max(1, n if limit is None else min(n, limit))


def _environment_limit() -> int | None:
    value = os.environ.get(ENVIRONMENT, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ConfigError(f"{ENVIRONMENT} must be a whole number of at least 1, but got "
                          f"{value!r}")
    return int(value)


def _checked(n: int | None) -> int | None:
    if n is not None and int(n) < 1:
        raise ConfigError(f"the thread limit must be at least 1, but got {n}")
    return None if n is None else int(n)


def set_thread_limit(n: int | None) -> None:
    """Hold the analysis in this thread (context) to ``n`` threads; None: no limit."""
    _limit.set(_checked(n))


@contextmanager
def limit_threads(n: int | None) -> Iterator[None]:
    """Hold the analysis to ``n`` threads inside the block (see :func:`set_thread_limit`)."""
    token = _limit.set(_checked(n))
    try:
        yield
    finally:
        _limit.reset(token)


def _one_thread(fn: Callable[..., T], item) -> T:
    with limit_threads(1):  # work handed to a thread starts no threads of its own
        return fn(*item)


def map_threads(fn: Callable[..., T], items: Iterable, threads: int | None = None
                ) -> list[T]:
    """Return ``[fn(*item) for item in items]``, computed in up to ``threads`` threads.

    ``threads`` defaults to :func:`thread_count`; with one, everything runs here, in
    order. Each call runs on one thread (:func:`limit_threads`), and at most ``threads``
    calls are in work at a time, so memory is bounded by what that many calls hold. If
    calls raise, the exception of the first such item (in order) is raised once the calls
    in flight have ended; the items not started by then are not run.
    """
    threads = thread_count() if threads is None else min(threads, thread_count())
    if threads <= 1:
        return [fn(*item) for item in items]
    with ThreadPoolExecutor(threads, thread_name_prefix="emgkit") as ex:
        futures = [ex.submit(_one_thread, fn, item) for item in items]
        try:
            return [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()


def threads_within(item_samples: int, budget_samples: int) -> int:
    """Return how many items of ``item_samples`` each fit ``budget_samples`` (at least 1).

    The thread count of a :func:`map_threads` whose items each hold copies of themselves:
    the samples in flight stay within the budget, whatever the item's length.
    """
    return max(1, int(budget_samples) // max(int(item_samples), 1))


def beside(here: Callable[[], T], there: Callable[[], U]) -> tuple[T, U]:
    """Return ``(here(), there())``, ``there`` computed in a thread of its own meanwhile.

    For two independent phases of a session whose threads leave cores idle (the quality
    checks and the filtering): each keeps this thread's limit for the threads of its own,
    and what one leaves idle the other takes. With one thread (:func:`thread_count`),
    ``there`` runs first, then ``here``, both in this thread. Errors are those of that
    order: if ``there`` raises, its exception is raised (once ``here`` has ended);
    otherwise that of ``here``. An interrupt in ``here`` (``KeyboardInterrupt``,
    ``SystemExit``) is raised at once.
    """
    if thread_count() <= 1:
        other = there()
        return here(), other
    ex = ThreadPoolExecutor(1, thread_name_prefix="emgkit-beside")
    future = ex.submit(copy_context().run, there)
    try:
        mine = here()
    except Exception as err:
        ex.shutdown(wait=True)
        first = future.exception()  # the first error in the one-thread order
        if first is None:
            raise
        if hasattr(first, "add_note"):  # Python 3.11+: here's error is not lost
            first.add_note(f"meanwhile: {type(err).__name__}: {err}")
        raise first from None
    except BaseException:  # an interrupt: raised at once, not once the other has ended
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)
    return mine, future.result()
