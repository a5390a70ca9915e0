"""Simulated sessions with truth, analysed once per test session (kept short)."""

from __future__ import annotations

import warnings

import pytest

from emgkit.analysis.metrics import analyse_session
from emgkit.core import LowSampleRateWarning
from emgkit.simulate import LabProtocol, default_montage, simulate_session

SEEDS = (0, 1, 2)
RATES_HZ = (250.0, 1000.0)


def _simulate(fs_hz: float, seed: int, markers: bool = False):
    return simulate_session(default_montage("cyton"), fs_hz, seed=seed, markers=markers,
                            protocol=LabProtocol(rest_s=5.0))


def _analyse(session, config=None):
    with warnings.catch_warnings():
        # Expected at 250 Hz (Cyton): the band is cut at 112 Hz; amplitudes stay comparable.
        warnings.simplefilter("ignore", LowSampleRateWarning)
        return analyse_session(session, config)


@pytest.fixture(scope="session")
def simulated():
    """``{(fs_hz, seed): (session, truth, default metrics)}``; repetitions found by the
    pipeline (no markers: from the accelerometer)."""
    out = {}
    for fs in RATES_HZ:
        for seed in SEEDS:
            session, truth = _simulate(fs, seed)
            out[(fs, seed)] = (session, truth, _analyse(session))
    return out


@pytest.fixture(scope="session")
def simulated_markers():
    """The same sessions with protocol markers (repetitions from the markers: the true
    boundaries), default analysis."""
    out = {}
    for fs in RATES_HZ:
        for seed in SEEDS:
            session, truth = _simulate(fs, seed, markers=True)
            out[(fs, seed)] = (session, truth, _analyse(session))
    return out
