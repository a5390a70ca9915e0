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
    A repeated counter (difference 0) counts as ``modulo / step - 1`` missing samples,
    except on a counter stepping by 2 (Cyton+Daisy over serial): there BrainFlow repeats
    the counter when the first packet of a sample's pair (inputs 9-16) was lost and
    commits the sample with inputs 9-16 held from the one before; nothing is missing
    (see :func:`repeated_rows`), and the next difference counts from that sample.
    """
    pn = np.asarray(package_num, dtype=np.int64)
    if step is None:
        step = counter_step(pn, modulo)
    if previous is not None:
        pn = np.concatenate([[int(previous)], pn])
    if pn.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pn = _effective(pn, step, modulo)
    d = np.mod(np.diff(pn), modulo)
    d[d == 0] = modulo
    bad = np.nonzero(d != step)[0]
    missing = (d[bad] - step) // step
    offset = 0 if previous is not None else 1
    keep = missing > 0
    return (bad[keep] + offset).astype(np.int64), missing[keep].astype(np.int64)


def _effective(pn: np.ndarray, step: int, modulo: int) -> np.ndarray:
    """Counters with each repeated one (step 2) read as its predecessor + ``step``."""
    if step < 2 or pn.size < 2:
        return pn
    rep = np.nonzero(np.mod(np.diff(pn), modulo) == 0)[0] + 1
    if rep.size == 0:
        return pn
    pn = pn.copy()
    pn[rep] = np.mod(pn[rep - 1] + step, modulo)
    return pn


def repeated_rows(package_num: np.ndarray, step: int, modulo: int = 256,
                  previous: int | None = None) -> np.ndarray:
    """Rows whose counter repeats the one before on a counter stepping by 2 or more.

    On Cyton+Daisy over serial this is a sample whose first packet (inputs 9-16) was
    lost: BrainFlow commits it with inputs 1-8 of its own and 9-16 of the sample before.

    Parameters
    ----------
    package_num : numpy.ndarray
        ``(n_samples,)`` counter values.
    step, modulo : int
        As for :func:`find_gaps`.
    previous : int, optional
        The counter of the sample before (streaming use).

    Returns
    -------
    numpy.ndarray
        int64 indices into ``package_num``.
    """
    pn = np.asarray(package_num, dtype=np.int64)
    if step < 2:
        return np.zeros(0, np.int64)
    if previous is not None:
        pn = np.concatenate([[int(previous)], pn])
    rows = np.nonzero(np.mod(np.diff(pn), modulo) == 0)[0]
    return (rows + (0 if previous is not None else 1)).astype(np.int64)


#: Labels of ``gap`` events: how the number of missing samples was found.
GAP_BY_COUNTER = ""
GAP_BY_TIMESTAMPS = "timestamps"
GAP_UNCERTAIN = "uncertain"
#: Label of the ``gap`` event (value 0.5) of a Daisy sample that lost its first packet.
GAP_HALF_SAMPLE = "inputs 9-16 repeated"


def size_gaps(
    at: np.ndarray,
    missing: np.ndarray,
    timestamps_s: np.ndarray,
    fs_hz: float,
    step: int = 1,
    modulo: int = 256,
    previous_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Size counter gaps with host time stamps where the counter alone cannot tell.

    A counter that wraps every ``modulo / step`` samples (one *cycle*) gives a gap only
    modulo one cycle: ``k`` or ``k + cycle`` or ``k + 2 cycles``... lost samples look
    alike. The host time stamps of the samples on either side of the gap choose between
    them: the count consistent with the counter nearest to ``dt x fs - 1``.

    Parameters
    ----------
    at, missing : numpy.ndarray
        From :func:`find_gaps` (with ``previous`` given when ``previous_s`` is).
    timestamps_s : numpy.ndarray
        ``(n_samples,)`` host time of each sample, in seconds.
    fs_hz : float
        Sampling rate in Hz.
    step, modulo : int
        The counter's step per sample and period, as given to :func:`find_gaps`.
    previous_s : float, optional
        Time stamp of the sample before ``timestamps_s[0]`` (streaming use).

    Returns
    -------
    missing : numpy.ndarray
        int64 samples lost in each gap.
    labels : numpy.ndarray
        object ``(n_gaps,)``: :data:`GAP_BY_COUNTER` (``""``, the counter's count agrees
        with the time stamps), :data:`GAP_BY_TIMESTAMPS` (the gap is one or more
        counter cycles longer than the counter says) or :data:`GAP_UNCERTAIN` (the time
        stamps are missing or agree with no count the counter allows: the count given is
        the nearest one the counter allows).

    Notes
    -----
    Time stamps are parse times, with jitter; a quarter of a cycle (0.26 s at 250 Hz,
    64 ms at 1 kHz) is accepted between the time stamps and the count.
    """
    at = np.asarray(at, dtype=np.int64)
    out = np.asarray(missing, dtype=np.int64).copy()
    labels = np.full(at.size, GAP_BY_COUNTER, dtype=object)
    if at.size == 0:
        return out, labels
    ts = np.asarray(timestamps_s, dtype=np.float64)
    shift = 0
    if previous_s is not None:
        ts = np.concatenate([[float(previous_s)], ts])
        shift = 1
    cycle = modulo // step
    dt = ts[at + shift] - ts[at + shift - 1]
    by_time = dt * fs_hz - 1.0
    k = np.maximum(np.rint((by_time - out) / cycle), 0).astype(np.int64)
    k[~np.isfinite(by_time)] = 0
    best = out + k * cycle
    ok = np.isfinite(by_time) & (np.abs(by_time - best) <= cycle / 4)
    labels[ok & (k > 0)] = GAP_BY_TIMESTAMPS
    labels[~ok] = GAP_UNCERTAIN
    return best, labels
