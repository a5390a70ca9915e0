"""Let an analysis process keep the memory it frees for reuse (glibc's allocator).

An offline analysis allocates and frees arrays of megabytes to tens of megabytes many
times per trial (each filtered channel block, each quality segment). By default glibc
hands every such block straight back to the kernel (blocks above a sliding threshold
are mapped and unmapped; the heap's top is trimmed beyond 128 kB free), so the next
array is faulted in again page by page. On the 2-core VM of ``docs/performance.md``
that was a fifth of the CPU time of ``emgkit process`` (1.5 s of system time in 8.5 s).
:func:`keep_freed_memory` raises the thresholds for the process it is called in: freed
blocks stay in the heap and the next array reuses them (0.7 s); the heap grows in steps of
64 MB; and all threads share one heap, so what one thread frees another reuses (with a
heap per thread each kept its own freed blocks). Resident memory no longer shrinks before
the process ends, which is why only the ``emgkit`` program running an analysis command
(``emgkit.cli.main.run``) and batch workers call it: never a recorder or viewer, nor a
program that calls ``emgkit.cli.main.main``. :func:`release_free_memory` gives the free
memory back between the large phases of an analysis, wherever it runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

#: ``mallopt`` parameters (glibc's ``malloc.h``).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -2, -3, -8
#: Blocks up to this size come from the heap (the largest that glibc's own sliding
#: threshold reaches on 64-bit, ``DEFAULT_MMAP_THRESHOLD_MAX``).
MMAP_THRESHOLD_BYTES = 32 * 2**20
#: Free memory at the heap's top is returned to the kernel only beyond this.
TRIM_THRESHOLD_BYTES = 1024 * 2**20
#: The heap grows by at least this much at a time.
TOP_PAD_BYTES = 64 * 2**20
#: Heaps shared by all threads: what one thread frees, the next array of any reuses
#: (with a heap per thread, each kept its own freed blocks: 1.27 GB instead of 0.90 GB
#: at the peak of the 10-minute 16 kHz case of ``benchmarks/bench_scaling.py``).
ARENAS = 1
#: Phases that handle at least this much data give their free memory back when they end.
LARGE_PHASE_BYTES = 64 * 2**20


@functools.lru_cache(maxsize=1)
def _glibc():
    """Return the C library (ctypes) if it is glibc, else None (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") else None  # musl: no-op mallopt


def keep_freed_memory() -> bool:
    """Tune glibc's allocator for this process as the module says; True if it took effect.

    Every setting is tried (True only if all were taken). Does nothing (False) where the
    C library is not glibc (macOS, Windows, musl).
    """
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = [mallopt(param, value) == 1 for param, value in (
        (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
        (_M_TOP_PAD, TOP_PAD_BYTES),
        (_M_ARENA_MAX, ARENAS))]
    return all(done)


def release_free_memory(handled_bytes: int) -> bool:
    """Give the free memory of the heap back to the kernel (glibc ``malloc_trim``).

    Called where a large phase of an analysis ends (the quality of a session, its
    filtering, before each trial's metrics) with the size of the data it handled: after
    one of at least :data:`LARGE_PHASE_BYTES`, what the phase freed is returned before the
    next one allocates, so the peak is the larger phase's, not their sum with the freed
    fragments between them (the 10-minute 16 kHz case of ``benchmarks/bench_scaling.py``
    peaked at 1.06-1.10 GB without, 0.93 GB with; 0.85 GB with fewer copies of its long
    channels as well). After smaller phases nothing is done: the memory comes back
    faulted in anew, which cost a quarter of the time of short sessions when done before
    every trial. True if memory was given back; False where the C library is not glibc.
    """
    libc = _glibc()
    if libc is None or handled_bytes < LARGE_PHASE_BYTES:
        return False
    trim = libc.malloc_trim
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True
