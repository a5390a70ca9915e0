"""Shared simulated data for the simulator tests (computed once per session)."""

from __future__ import annotations

import pytest

from emgkit.simulate import default_montage, simulate_session


@pytest.fixture(scope="session")
def session_250():
    """The default lab session on the default Cyton montage at 250 Hz, with markers."""
    return simulate_session(default_montage("cyton"), 250.0, seed=11, markers=True)


@pytest.fixture(scope="session")
def session_1000():
    """The default lab session at 1 kHz without markers."""
    return simulate_session(default_montage("cyton"), 1000.0, seed=12)
