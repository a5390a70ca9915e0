"""Fixtures of the acquisition tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _quiet_brainflow():
    from acquisition.sources.brainflow_source import silence_brainflow

    silence_brainflow()
