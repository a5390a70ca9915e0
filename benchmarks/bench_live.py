"""Live path: one 1/60 s block of 16 channels at 2 kHz through the causal chain."""

from __future__ import annotations

import time

import numpy as np

from emgkit.core import StreamingProcessor

FS_HZ = 2000.0


def run(n_channels: int = 16, n_blocks: int = 3000) -> dict:
    block = round(FS_HZ / 60)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((block * n_blocks, n_channels)) * 40 + 2e4).astype(np.float32)
    regions = ["limb"] * (n_channels - 2) + ["trunk"] * 2
    proc = StreamingProcessor(FS_HZ, regions, mains_hz=50.0)
    times = np.empty(n_blocks)
    for i in range(n_blocks):
        b = x[i * block : (i + 1) * block]
        t0 = time.perf_counter()
        proc.process(b)
        times[i] = time.perf_counter() - t0
    times = times[10:]  # warm-up
    return {
        "block_samples": block,
        "median_ms": float(np.median(times) * 1e3),
        "p99_ms": float(np.percentile(times, 99) * 1e3),
    }
