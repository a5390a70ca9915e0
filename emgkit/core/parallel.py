"""How many threads the offline analysis of one session may use in this process.

The core's heavy steps (FFT filtering, spectra, the quality measures) spend most of
their time in numpy and scipy code that releases the GIL, so the independent parts of
one session (the quality segments of a long trial; the FFT frames of a channel block)
run side by side in threads. One thread per CPU this process may run on,
at most :data:`MAX_THREADS`, or as many as the environment variable ``EMGKIT_THREADS``
says (e.g. ``EMGKIT_THREADS=1`` when several commands share the machine); a batch
worker, one of several processes sharing the machine, holds itself to one
(:func:`set_thread_limit`). Results do not depend on the number of threads: each part is
computed the same way, in its own thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from emgkit.errors import ConfigError

#: More threads than this gain nothing: the session's parts are few.
MAX_THREADS = 4
#: The environment variable that limits the threads (unset: one per CPU).
ENVIRONMENT = "EMGKIT_THREADS"

_limit: int | None = None
T = TypeVar("T")


def cpu_count() -> int:
    """Return the CPUs this process may run on (its affinity, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_count() -> int:
    """Return the threads the analysis may use now (1 to :data:`MAX_THREADS`).

    Raises
    ------
    ConfigError
        If ``EMGKIT_THREADS`` is set to anything but a whole number of at least 1.
    """
    n = min(cpu_count(), MAX_THREADS)
    limit = _limit if _limit is not None else _environment_limit()
    return max(1, n if limit is None else min(n, limit))


def _environment_limit() -> int | None:
    value = os.environ.get(ENVIRONMENT, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{ENVIRONMENT} must be a whole number of at least 1, got {value!r}")
    return int(value)


def set_thread_limit(n: int | None) -> None:
    """Hold this process's analysis to ``n`` threads (None: one per CPU)."""
    global _limit
    if n is not None and int(n) < 1:
        raise ValueError(f"the thread limit must be at least 1, got {n}")
    _limit = None if n is None else int(n)


@contextmanager
def limit_threads(n: int | None) -> Iterator[None]:
    """Hold the analysis to ``n`` threads inside the block (see :func:`set_thread_limit`)."""
    before = _limit
    set_thread_limit(n)
    try:
        yield
    finally:
        set_thread_limit(before)


def map_threads(fn: Callable[..., T], items: Iterable, threads: int | None = None
                ) -> list[T]:
    """Return ``[fn(*item) for item in items]``, computed in up to ``threads`` threads.

    ``threads`` defaults to :func:`thread_count`; with one, everything runs here, in
    order. At most ``threads`` items are in work at a time, so memory is bounded by
    what that many calls hold. The first exception is raised after the calls in
    flight end; the items not started are not run.
    """
    threads = thread_count() if threads is None else threads
    if threads <= 1:
        return [fn(*item) for item in items]
    with ThreadPoolExecutor(threads, thread_name_prefix="emgkit") as ex:
        futures = [ex.submit(fn, *item) for item in items]
        try:
            return [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()

