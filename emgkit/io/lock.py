"""emgkit's own write lock on a file, held whether or not HDF5's file locking is on.

HDF5 locks a file while it is open for writing, unless ``HDF5_USE_FILE_LOCKING=FALSE``
(which the HDF5 documentation suggests for network drives). With its lock off, an
``emgkit import`` into a session being recorded copied the file, added a trial and
replaced it: the recording went on into a file no longer in the directory, and 9 s of
it were lost. Every emgkit writer of a file (the recorder for a session's lifetime, an
import, a recovery, any atomic output) therefore first takes an exclusive
``flock`` on a lock file beside it (``.NAME.lock``), removed when it is released. A
second writer is refused at once with a message that says the file is in use.

The lock is re-entrant within a process (a command that holds it may write the same
file again) and dies with its process (a killed recorder leaves at most an empty lock
file, which the next writer takes over).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from os import PathLike
from pathlib import Path

from emgkit.errors import FormatError

_held: dict[str, tuple[int, int]] = {}  # real path of the lock file -> (fd, depth)
_guard = threading.Lock()


def lock_path(path: str | PathLike) -> Path:
    """Return the lock file of ``path``: ``.NAME.lock`` in the same folder."""
    p = Path(path).resolve()
    return p.with_name(f".{p.name}.lock")


@contextlib.contextmanager
def write_lock(path: str | PathLike) -> Iterator[None]:
    """Hold emgkit's exclusive write lock on ``path`` for the block.

    Raises
    ------
    FormatError
        If another process holds it: the file is being written (a recording, an import).
    """
    key = str(lock_path(path))
    acquire(path)
    try:
        yield
    finally:
        release(key)


def acquire(path: str | PathLike) -> str:
    """Take the write lock of ``path`` (see :func:`write_lock`); return its key for release."""
    lp = lock_path(path)
    key = str(lp)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            return key
        for _ in range(3):  # the file may be removed by its last holder between open and lock
            fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise FormatError(
                        "in use: another emgkit process is writing this file (a recording "
                        "or an import): it was not changed; try again when that has finished",
                        Path(path)) from None
                raise
            if _same_file(fd, lp):
                _held[key] = (fd, 1)
                return key
            os.close(fd)
    raise FormatError("could not take the write lock (its lock file keeps changing)", Path(path))


def release(key: str) -> None:
    """Release one hold of a lock taken by :func:`acquire`."""
    with _guard:
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
            return
        del _held[key]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(key)  # while still locked: a waiting writer then sees a new file
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)
