"""The benchmark's group simulator (``benchmarks/bench_stats.py``), loaded for the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_stats.py"
_spec = importlib.util.spec_from_file_location("bench_stats", _PATH)
bench_stats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_stats)


def binomial_band(p: float, n: int, z: float = 3.0) -> tuple[float, float]:
    """``p +/- z`` binomial standard errors of a rate over ``n`` simulations."""
    half = z * (p * (1 - p) / n) ** 0.5
    return max(0.0, p - half), p + half
