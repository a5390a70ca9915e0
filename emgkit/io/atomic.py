"""Atomic output files: write to a temporary file beside the target, then rename.

A failed command leaves no partial output behind, and an existing file is replaced
only once the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from os import PathLike
from pathlib import Path

from emgkit.errors import FormatError
from emgkit.io.lock import write_lock


@contextlib.contextmanager
def atomic_path(target: str | PathLike, copy_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` when the block succeeds.

    Parameters
    ----------
    target : str or os.PathLike
        The final file.
    copy_existing : bool
        Start the temporary file as a copy of ``target`` if it exists (to add to a file
        without touching the original until the addition is complete).

    Notes
    -----
    On any exception the temporary file is removed and ``target`` is left as it was.
    The target's write lock (:mod:`emgkit.io.lock`) is held for the whole block, so a
    second emgkit writer is refused; with ``copy_existing`` the target must also be
    unchanged when the copy replaces it (a writer that ignores the lock, say, or a file
    rewritten over a network share), else nothing is replaced.

    Raises
    ------
    FormatError
        If another emgkit process is writing ``target``, or it changed meanwhile.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(target):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                   dir=target.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            before = None
            if copy_existing and target.exists():
                before = _identity(target)
                shutil.copyfile(target, tmp_path)
            else:
                tmp_path.unlink()
            yield tmp_path
            _fsync(tmp_path)
            if before is not None and _identity(target) != before:
                raise FormatError("changed by another program while this command worked on a "
                                  "copy: not replaced, nothing was written", target)
            os.replace(tmp_path, target)
            _fsync_dir(target.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise


def _identity(path: Path) -> tuple | None:
    """Return what tells that a file changed: device, inode, size, modification time."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _fsync(path: Path) -> None:
    if path.exists():
        with open(path, "rb") as f:
            os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def write_text_atomic(target: str | PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
