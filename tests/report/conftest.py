"""Fixtures of the report tests: the demo run once, and a session with hostile strings."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from report_helpers import hostile_session

from emgkit.io.writer import write_session


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """``(dir, session path, html, pdf)`` of ``emgkit report`` on a hostile session."""
    from emgkit.cli.main import main

    d = tmp_path_factory.mktemp("hostile")
    session, _ = hostile_session()
    path = d / "s01.h5"
    write_session(path, session)
    html, pdf = d / "report.html", d / "report.pdf"
    assert main(["report", str(path), "--out", str(html), "--pdf", str(pdf)]) == 0
    return d, path, html, pdf


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """``emgkit demo --out DIR`` run once, from another folder: (dir, result, seconds)."""
    work = tmp_path_factory.mktemp("demo-cwd")
    out = work / "out"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "emgkit", "demo", "--out", str(out)],
                         cwd=work, env=env, capture_output=True, text=True, timeout=300)
    return out, res, time.monotonic() - t0
