"""A recording's clock: its effective sampling rate, measured from its time stamps.

The ADS1299's internal oscillator is specified to about +-0.5 % (OpenBCI_Cyton_Library
issue #25): a board said to sample at 250 Hz may sample at 251.2 Hz, and over a
10-minute trial the nominal rate then places late events seconds from where they
happened. The host's time stamps (BrainFlow's, the OpenBCI GUI's) are taken when a
packet is parsed, not when it was sampled, so they carry jitter of tens of
milliseconds and bursts; the rate is the slope of time over sample number, estimated
robustly (:func:`measure_rate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Deviation from the nominal rate above which emgkit warns the user (0.2 %).
RATE_WARN_FRACTION = 0.002
#: A rate is measured only over at least this much recording, in seconds.
MIN_SPAN_S = 2.0
#: At most this many time stamps are used (evenly spaced): a fraction of a ppm of
#: precision over minutes, in a few MB whatever the trial's length.
MAX_POINTS = 100_000


@dataclass(frozen=True)
class RateAudit:
    """The effective sampling rate of a trial against its nominal rate.

    Parameters
    ----------
    nominal_hz : float
        The rate the board or file claims.
    measured_hz : float
        The rate its time stamps imply.
    span_s : float
        Length of recording the measurement covers, in seconds of host time.
    """

    nominal_hz: float
    measured_hz: float
    span_s: float

    @property
    def deviation_ppm(self) -> float:
        """Deviation of the measured from the nominal rate, in parts per million."""
        return (self.measured_hz / self.nominal_hz - 1.0) * 1e6

    @property
    def exceeds_limit(self) -> bool:
        """Whether the deviation is above :data:`RATE_WARN_FRACTION`."""
        return abs(self.deviation_ppm) > RATE_WARN_FRACTION * 1e6

    def describe(self) -> str:
        """One sentence for the user: measured rate, nominal rate, deviation."""
        text = (f"measured rate {self.measured_hz:.3f} Hz from the time stamps "
                f"(nominal {self.nominal_hz:g} Hz, {self.deviation_ppm:+.0f} ppm)")
        if self.exceeds_limit:
            text += (f": more than {100 * RATE_WARN_FRACTION:g} % off; times are computed with "
                     "the measured rate")
        return text


def clock_index(positions: np.ndarray, gap_at: np.ndarray, gap_missing: np.ndarray) -> np.ndarray:
    """Sample numbers in the board's clock: stored index plus the samples lost before it.

    Parameters
    ----------
    positions : numpy.ndarray
        Stored sample indices (e.g. ``arange(n_samples)``, or every k-th of them).
    gap_at, gap_missing : numpy.ndarray
        Index of the first sample after each gap, and the samples lost there.

    Returns
    -------
    numpy.ndarray
        float64, like ``positions``.
    """
    pos = np.asarray(positions, dtype=np.int64)
    at = np.asarray(gap_at, dtype=np.int64)
    missing = np.asarray(gap_missing, dtype=np.float64)
    keep = (at > 0) & np.isfinite(missing) & (missing > 0)
    at, missing = at[keep], missing[keep]
    order = np.argsort(at, kind="stable")
    lost_before = np.concatenate([[0.0], np.cumsum(missing[order])])
    return pos + lost_before[np.searchsorted(at[order], pos, side="right")]


def measure_rate(
    timestamps_s: np.ndarray, nominal_hz: float, sample_index: np.ndarray | None = None
) -> RateAudit | None:
    """Measure the effective sampling rate from host time stamps.

    The rate is the reciprocal of the slope of time over sample number, fitted by
    least squares with outliers rejected: the fit is repeated on the stamps within
    five robust standard deviations (1.4826 MAD) of the line, so a stall, a burst of
    late packets or a clock step that touch a minority of the stamps do not move it,
    while the jitter and the saw-tooth of stamps taken a block at a time average out
    (a median of pairwise slopes would not: it is biased by the saw-tooth).

    Parameters
    ----------
    timestamps_s : numpy.ndarray
        ``(n_samples,)`` host time in seconds of each sample (any origin).
    nominal_hz : float
        The claimed rate.
    sample_index : numpy.ndarray, optional
        ``(n_samples,)`` sample numbers in the board's clock, counting lost samples
        (:func:`clock_index`); ``arange(n_samples)`` if None.

    Returns
    -------
    RateAudit or None
        None when the time stamps cannot tell: fewer than :data:`MIN_SPAN_S` seconds
        of them, non-finite values, or time that does not advance.
    """
    t = np.asarray(timestamps_s, dtype=np.float64).ravel()
    idx = np.arange(t.size, dtype=np.float64) if sample_index is None else \
        np.asarray(sample_index, dtype=np.float64).ravel()
    if t.size != idx.size:
        raise ValueError(f"expected {t.size} sample indices, got {idx.size}")
    finite = np.isfinite(t)
    t, idx = t[finite], idx[finite]
    if t.size > MAX_POINTS:
        pick = np.linspace(0, t.size - 1, MAX_POINTS).astype(np.int64)
        t, idx = t[pick], idx[pick]
    if t.size < 4 or not np.isfinite(nominal_hz) or nominal_hz <= 0:
        return None
    span_s = float(t.max() - t.min())
    if span_s < MIN_SPAN_S:
        return None
    seconds_per_sample = _robust_slope(idx - idx.mean(), t - t.mean())
    if not np.isfinite(seconds_per_sample) or seconds_per_sample <= 0:
        return None
    return RateAudit(float(nominal_hz), 1.0 / seconds_per_sample, span_s)


def _robust_slope(x: np.ndarray, y: np.ndarray, n_iter: int = 4) -> float:
    """Least-squares slope of ``y`` on ``x``, refitted without outliers ``n_iter`` times."""
    keep = np.ones(x.size, dtype=bool)
    slope = np.nan
    for _ in range(n_iter):
        xk, yk = x[keep], y[keep]
        xm, ym = xk.mean(), yk.mean()
        sxx = np.dot(xk - xm, xk - xm)
        if xk.size < 4 or sxx <= 0:
            return np.nan
        slope = float(np.dot(xk - xm, yk - ym) / sxx)
        r = y - (ym + slope * (x - xm))
        centre = np.median(r[keep])
        spread = 1.4826 * np.median(np.abs(r[keep] - centre))
        new = np.abs(r - centre) <= max(5.0 * spread, 1e-9)
        if np.array_equal(new, keep):
            break
        keep = new
    return slope
