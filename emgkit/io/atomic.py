"""Atomic output files: write to a temporary file beside the target, then rename.

A failed command leaves no partial output behind, and an existing file is replaced
only once the new one is complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
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
        except BaseException as e:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            reason = disk_error_reason(e) if isinstance(e, OSError) else None
            if reason is not None:
                raise FormatError(f"cannot write it: {reason}; nothing half-written was left",
                                  target) from None
            raise


@contextlib.contextmanager
def atomic_folder(target: str | PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``target`` when the block succeeds.

    Parameters
    ----------
    target : str or os.PathLike
        The final folder: absent or empty, unless ``replace``.
    replace : bool
        Replace an existing ``target`` and all it holds (it is moved aside first, then
        removed, so the new folder appears at once).

    Raises
    ------
    FormatError
        If another emgkit process is writing ``target``, or a write fails for the
        machine's state (full disk...). Nothing is left behind then.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(target):
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part",
                                    dir=target.parent))
        try:
            yield tmp
            old = None
            if target.exists() and replace:
                old = target.with_name(f".{target.name}.{os.getpid()}.old")
                os.replace(target, old)
            elif target.exists():
                target.rmdir()  # empty (the caller checked); else OSError
            os.replace(tmp, target)
            _fsync_dir(target.parent)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            reason = disk_error_reason(e) if isinstance(e, OSError) else None
            if reason is not None:
                raise FormatError(f"cannot write it: {reason}; nothing half-written was left",
                                  target) from None
            raise


#: Write errors that are the machine's state, not a bug: a full disk, a quota, a
#: read-only or forbidden place.
DISK_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EROFS: "the file system is read-only",
               errno.EACCES: "permission denied", errno.EPERM: "permission denied"}


def disk_error_reason(e: OSError) -> str | None:
    """Say why a write failed if the machine's state explains it (h5py's errors too), else None.

    h5py raises a plain OSError whose text holds the system error (``errno = 28``);
    numpy's ``tofile`` says only how many bytes it wrote.
    """
    if e.errno in DISK_ERRNOS:
        return DISK_ERRNOS[e.errno]
    text = str(e)
    if "No space left on device" in text or "errno = 28" in text or \
            re.search(r"\d+ requested and \d+ written", text):  # numpy's short write
        return DISK_ERRNOS[errno.ENOSPC]
    return None


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
