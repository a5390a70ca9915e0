"""Constants of the HDF5 session format (see ``docs/session-format.md``)."""

from __future__ import annotations

import h5py
import numpy as np

#: Value of the root attribute ``format``.
FORMAT_NAME = "emgkit-session"
#: Version written by this emgkit.
FORMAT_VERSION = 1
#: Versions this emgkit reads.
READABLE_VERSIONS = (1,)

STR = h5py.string_dtype("utf-8")

MONTAGE_DTYPE = np.dtype(
    [("number", "<i4"), ("muscle", STR), ("side", STR), ("label", STR), ("placement", STR)]
)
EVENT_DTYPE = np.dtype([("sample", "<i8"), ("kind", STR), ("label", STR), ("value", "<f8")])

#: Optional device attributes (absent when unknown).
DEVICE_OPTIONAL = ("gain", "uv_per_count", "full_scale_uv", "mains_hz", "firmware")

#: Compression of stored signals: gzip is readable by every HDF5 build.
COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}


def chunk_rows(fs_hz: float) -> int:
    """Rows per chunk of a signal dataset: about one second, at least 64."""
    return max(64, round(fs_hz))


def trial_id(index: int) -> str:
    """Return the id of the ``index``-th trial (1-based): ``t001``, ``t002``..."""
    return f"t{index:03d}"


def decode(value) -> str:
    """Return an HDF5 string value (bytes or str) as str."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
