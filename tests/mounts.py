"""Real small file systems for the tests that fill a disk."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str):
    """Mount a tmpfs of ``size`` (e.g. ``3m``, ``96k``) at ``where`` for the block.

    Needs root, as CI has; elsewhere the calling test is skipped with the reason. A small
    file system is how the tests fill a disk for real.
    """
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
