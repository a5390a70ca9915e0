"""Content hashes recorded with every import and derived output."""

from __future__ import annotations

import hashlib
from os import PathLike


def sha256_file(path: str | PathLike, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk_bytes)
            if not b:
                break
            h.update(b)
    return h.hexdigest()
