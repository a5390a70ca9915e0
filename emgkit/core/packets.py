"""Packet-counter gap detection, shared by file readers and the live recorder."""

from __future__ import annotations

import numpy as np


def counter_step(package_num: np.ndarray, modulo: int = 256) -> int:
    """Return the usual step of a wrapping packet counter (1, or 2 on Cyton+Daisy serial).

    Parameters
    ----------
    package_num : numpy.ndarray
        ``(n_samples,)`` counter values in ``[0, modulo)``.
    modulo : int
        The counter wraps at this value.
    """
    pn = np.asarray(package_num, dtype=np.int64)
    if pn.size < 2:
        return 1
    d = np.mod(np.diff(pn), modulo)
    d = d[d > 0]
    if d.size == 0:
        return 1
    return int(np.bincount(d).argmax())


def find_gaps(
    package_num: np.ndarray, step: int | None = None, modulo: int = 256, previous: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Find lost packets from a wrapping packet counter.

    Parameters
    ----------
    package_num : numpy.ndarray
        ``(n_samples,)`` counter values in ``[0, modulo)``.
    step : int, optional
        Expected increment per sample; detected with :func:`counter_step` if None.
    modulo : int
        The counter wraps at this value (256 on OpenBCI boards).
    previous : int, optional
        The counter of the sample before ``package_num[0]`` (streaming use), so that a
        gap at a block boundary is found too.

    Returns
    -------
    at : numpy.ndarray
        int64 sample indices (into ``package_num``) of the first sample after each gap.
    missing : numpy.ndarray
        int64 number of samples lost before each of them.

    Notes
    -----
    A gap of ``k`` samples can only be told apart from ``k + modulo / step`` lost
    samples by the timestamps; the counter alone gives the smaller, which is exact for
    gaps shorter than ``modulo / step`` samples (about 1 s at 250 Hz).
    A repeated counter (difference 0) counts as ``modulo / step - 1`` missing samples.
    """
    pn = np.asarray(package_num, dtype=np.int64)
    if step is None:
        step = counter_step(pn, modulo)
    if previous is not None:
        pn = np.concatenate([[int(previous)], pn])
    if pn.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    d = np.mod(np.diff(pn), modulo)
    d[d == 0] = modulo
    bad = np.nonzero(d != step)[0]
    missing = (d[bad] - step) // step
    offset = 0 if previous is not None else 1
    keep = missing > 0
    return (bad[keep] + offset).astype(np.int64), missing[keep].astype(np.int64)
