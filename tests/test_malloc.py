"""An analysis command keeps the memory it frees for reuse (glibc only)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
from emgkit._malloc import keep_freed_memory
print(keep_freed_memory())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_keep_freed_memory_takes_effect_on_glibc():
    import platform

    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out == [str(platform.libc_ver()[0] == "glibc")]


def test_keep_freed_memory_is_harmless_elsewhere(monkeypatch):
    from emgkit import _malloc

    monkeypatch.setattr(_malloc.sys, "platform", "darwin")
    _malloc._glibc.cache_clear()
    try:
        assert _malloc.keep_freed_memory() is False
        assert _malloc.release_free_memory(2**30) is False
    finally:
        _malloc._glibc.cache_clear()


@pytest.mark.parametrize(("own_process", "command", "expected"), [
    (True, "process", ["keep"]), (True, "check", []), (False, "process", [])])
def test_only_an_analysis_in_its_own_process_tunes_the_allocator(
        own_process, command, expected, monkeypatch, tmp_path):
    """``emgkit process`` (the program) keeps freed memory; a program that calls
    ``main`` keeps its allocator as it is, and so does a command that is no analysis."""
    from emgkit import _malloc
    from emgkit.cli.main import main

    calls = []
    monkeypatch.setattr(_malloc, "keep_freed_memory", lambda: calls.append("keep"))
    missing = str(tmp_path / "missing.h5")
    argv = [command, missing] + (["--out", str(tmp_path / "m.csv")] if command == "process"
                                 else [])
    assert main(argv, own_process=own_process) == 2  # the file is missing: exit 2
    assert calls == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_only_a_large_phase_gives_memory_back():
    import platform

    from emgkit._malloc import LARGE_PHASE_BYTES, release_free_memory

    assert release_free_memory(LARGE_PHASE_BYTES - 1) is False
    assert release_free_memory(LARGE_PHASE_BYTES) is (platform.libc_ver()[0] == "glibc")
