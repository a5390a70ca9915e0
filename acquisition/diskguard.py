"""A full disk while recording: headroom checks, and fencing a file after a failed write.

Two lines of defence keep a session readable when its disk fills:

- :class:`DiskGuard` checks the free space before every flush; below a reserve (a few
  seconds of data plus room for HDF5's metadata) the recorder closes the trial as
  incomplete while the file can still take it, and stops.
- If a write fails anyway (another program filled the disk, a quota), nothing more may
  reach the file: a failed HDF5 flush can leave its metadata half written, and h5py
  closing it later fails again, prints an error per object and can crash the process.
  :func:`fence` sends HDF5's remaining writes to ``/dev/null``, so the file stays as it
  was at the last successful flush, like a file whose writer was killed: ``emgkit check``
  opens it (the trial shows as incomplete) and ``emgkit recover`` closes the trial.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import h5py

from emgkit.errors import AcquisitionError

log = logging.getLogger("emgkit")

#: Headroom kept for closing a trial (attributes, the last chunks, metadata), in bytes.
METADATA_RESERVE_BYTES = 512 * 1024
#: Seconds of data kept in reserve (the unflushed rows and a chunk per dataset).
RESERVE_S = 4.0


class DiskFullError(AcquisitionError):
    """The session's disk is (nearly) full."""


def bytes_per_sample(n_channels: int) -> int:
    """Bytes a live trial stores per sample: EMG float32, accel, counter and time stamp."""
    return 4 * n_channels + 12 + 2 + 8


class DiskGuard:
    """Refuses to go on writing once the free space falls below a reserve.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.
    bytes_per_s : float
        Data rate of a trial, in bytes per second.
    reserve_bytes : int, optional
        Free space to keep; ``RESERVE_S`` seconds of data plus
        :data:`METADATA_RESERVE_BYTES` if None; 0 disables the check.
    """

    def __init__(self, path, bytes_per_s: float, reserve_bytes: int | None = None):
        self.path = Path(path)
        if reserve_bytes is None:
            reserve_bytes = int(RESERVE_S * bytes_per_s) + METADATA_RESERVE_BYTES
        self.reserve_bytes = int(reserve_bytes)

    def free_bytes(self) -> int:
        """Free space (for an unprivileged user) on the session's file system."""
        st = os.statvfs(self.path.parent if self.path.parent != Path("") else ".")
        return int(st.f_bavail * st.f_frsize)

    def check(self) -> None:
        """Raise :class:`DiskFullError` if less than the reserve is free."""
        if self.reserve_bytes <= 0:
            return
        free = self.free_bytes()
        if free < self.reserve_bytes:
            raise DiskFullError(
                f"the disk holding {self.path} is full ({free // 1024} KiB free, recording "
                f"keeps {self.reserve_bytes // 1024} KiB in reserve)")


def is_disk_full(exc: BaseException) -> bool:
    """Whether an exception (h5py's included) reports a full disk or an exceeded quota."""
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return f"errno = {errno.ENOSPC}," in text or "No space left on device" in text


def write_error(path, exc: BaseException, flushed: int | None) -> AcquisitionError:
    """Return the one-line error for a failed write to the session ``path``."""
    if is_disk_full(exc):
        what = "the disk is full (No space left on device)"
        cls = DiskFullError
    else:
        first = (str(exc).splitlines() or [""])[0][:160]
        what = f"{type(exc).__name__}: {first}"
        cls = AcquisitionError
    kept = "" if flushed is None else f" ({flushed} samples of the trial)"
    return cls(f"writing {path} failed: {what}; the file keeps everything up to the last "
               f"flush{kept}: run 'emgkit recover {path}'")


def fence(f: h5py.File) -> None:
    """Send every further write of the open HDF5 file ``f`` to ``/dev/null``.

    The file on disk stays as the last successful flush left it; closing ``f`` then
    succeeds without touching it.
    """
    try:
        fd = f.id.get_vfd_handle()
    except Exception as e:  # not a POSIX-file driver: nothing we can fence
        log.warning("cannot fence %s after a failed write: %s", f.filename, e)
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
