"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The repository's bundled real recordings."""
    assert DATASETS.is_dir(), f"{DATASETS} is missing"
    return DATASETS


@pytest.fixture
def montage_toml(tmp_path) -> Path:
    """A 4-channel posterior-chain montage file on Cyton inputs 1-4."""
    p = tmp_path / "montage.toml"
    p.write_text(
        'name = "test-posterior"\nboard = "cyton"\n'
        '[[channel]]\nnumber = 1\nmuscle = "semitendinosus"\nside = "right"\n'
        'placement = "SENIAM: 50% on the line ischial tuberosity - medial tibial epicondyle"\n'
        '[[channel]]\nnumber = 2\nmuscle = "biceps_femoris"\nside = "right"\n'
        '[[channel]]\nnumber = 3\nmuscle = "gluteus_maximus"\nside = "right"\n'
        '[[channel]]\nnumber = 4\nmuscle = "erector_spinae"\nside = "right"\n',
        encoding="utf-8",
    )
    return p


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(12345)
