"""Compact per-segment summaries behind the quality measures, and their combination.

A long trial is judged a segment at a time in bounded memory
(:func:`emgkit.core.quality.assess_segments`): each segment of raw samples is reduced to
a :class:`SegmentSummary` (counts, a centred sum of squares, the Welch spectrum, the
window-RMS series of the band and the low band), and :func:`combine` turns the summaries
of consecutive segments into the measures of the whole trial. The combination is exact
for counts, the SD (Chan's pairwise update), the window-RMS series (segment bounds are
whole windows) and so the modulation, motion and SNR; the spectrum is the mean over
every Welch segment of the trial, except those that would straddle two of its segments;
the plateau count, spikes and the ECG fraction add up (the ECG fraction weighted by
length). One segment gives exactly what :func:`~emgkit.core.quality.assess_quality` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgkit.core import quality_measures as qm
from emgkit.core.filters import detect_mains_hz
from emgkit.model.config import QualityConfig


@dataclass(frozen=True)
class SegmentSummary:
    """What the quality measures need of one segment; arrays are per channel.

    Attributes
    ----------
    n : int
        Samples in the segment.
    dead_n, rail_n, good_n : numpy.ndarray
        Exact zeros, samples at the rail (NaN without a full scale), and live unrailed
        samples.
    good_mean, good_m2 : numpy.ndarray
        Mean and centred sum of squares of the live unrailed samples.
    plateau_n : numpy.ndarray
        Samples piled up at the segment's own extremes (``_plateau``).
    f, psd : numpy.ndarray
        Welch frequencies and ``(n_freq, n_channels)`` mean PSD; ``n_welch`` segments.
    env, low : numpy.ndarray
        ``(n_windows, n_channels)`` RMS of the band and of the low band per window.
    ecg, n_spikes : numpy.ndarray
        ECG fraction and corrupt single samples.
    mains_hz : float or None
        The mains frequency used.
    """

    n: int
    dead_n: np.ndarray
    rail_n: np.ndarray
    good_n: np.ndarray
    good_mean: np.ndarray
    good_m2: np.ndarray
    plateau_n: np.ndarray
    f: np.ndarray
    psd: np.ndarray
    n_welch: int
    env: np.ndarray
    low: np.ndarray
    ecg: np.ndarray
    n_spikes: np.ndarray
    mains_hz: float | None


def _plateau(good: np.ndarray) -> int:
    """Count the samples piled up at the maximum or minimum (beyond the one extreme).

    A saturating amplifier stacks every sample beyond its limit at the limit, far more
    than lie just inside it (within 1 % of the range); noise, even coarsely quantised,
    thins out towards its extremes instead.
    """
    hi, lo = float(good.max()), float(good.min())
    if not hi > lo:
        return 0
    d = 0.01 * (hi - lo)
    out = 0
    for v, inner in ((hi, (good < hi) & (good > hi - d)), (lo, (good > lo) & (good < lo + d))):
        extra = int(np.sum(good == v)) - 1
        if extra > 2 * int(np.sum(inner)):
            out = max(out, extra)
    return out


def _amplitude(x2: np.ndarray, full_scale_uv, cfg: QualityConfig) -> dict:
    """Return the counts, moments and plateau of the raw samples, and the live mask."""
    n_ch = x2.shape[1]
    dead = x2 == 0
    if full_scale_uv is not None:
        at_rail = np.abs(x2) >= cfg.rail_tolerance * float(full_scale_uv)
        rail_n = at_rail.sum(axis=0).astype(np.float64)
    else:
        at_rail = np.zeros(x2.shape, bool)
        rail_n = np.full(n_ch, np.nan)
    live = ~dead & ~at_rail
    good_n, mean, m2, plateau = (np.zeros(n_ch) for _ in range(4))
    for j in range(n_ch):
        good = x2[live[:, j], j].astype(np.float64)
        good_n[j] = good.size
        if good.size:
            mean[j] = good.mean()
            m2[j] = float(np.sum((good - mean[j]) ** 2))
        if good.size >= 2:
            plateau[j] = _plateau(good)
    return dict(live=live, dead_n=dead.sum(axis=0).astype(np.float64), rail_n=rail_n,
                good_n=good_n, good_mean=mean, good_m2=m2, plateau_n=plateau)


def summarise(x2: np.ndarray, fs: float, *, full_scale_uv, mains_hz, cfg: QualityConfig,
              bands) -> SegmentSummary:
    """Reduce a block of raw samples ``(n, n_channels)`` to its :class:`SegmentSummary`.

    ``bands`` is each channel's quality band; ``mains_hz`` None detects mains here.
    """
    amp = _amplitude(x2, full_scale_uv, cfg)
    x = x2.astype(np.float64)
    spike_mask = np.zeros(x.shape, bool)
    for _ in range(3):  # a big spike hides smaller ones from the first pass's preselection
        new = qm.spikes(qm.spike_ratio(x, amp["live"], fs, cfg.spike_window_s),
                        cfg.spike_ratio) & ~spike_mask
        if not new.any():
            break
        spike_mask |= new
        x = qm.repair_spikes(x, new)
    x = x - x.mean(axis=0)
    y = qm.bandpassed(x, fs, bands)
    if mains_hz is None:
        mains_hz = detect_mains_hz(x, fs)
    f, p = qm.welch_psd(x, fs, cfg.welch_segment_s)
    nper = int(min(x.shape[0], max(16, round(cfg.welch_segment_s * fs))))
    peaks = qm.r_peaks(x, fs)
    ecg = qm.ecg_fraction(y, peaks, fs)
    low_w, band_w = qm.motion_windows(x, y, peaks, fs, cfg.motion_low_hz, bands, cfg.window_s)
    del amp["live"]
    return SegmentSummary(n=x.shape[0], **amp, f=f, psd=p,
                          n_welch=max(1, (x.shape[0] - nper) // (nper // 2) + 1),
                          env=band_w, low=low_w, ecg=ecg,
                          n_spikes=spike_mask.sum(axis=0), mains_hz=mains_hz)


def join_channels(parts) -> SegmentSummary:
    """Put the summaries of groups of channels of the same samples side by side."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    cols = {name: np.concatenate([getattr(s, name) for s in parts], axis=-1)
            for name in ("dead_n", "rail_n", "good_n", "good_mean", "good_m2", "plateau_n",
                         "psd", "env", "low", "ecg", "n_spikes")}
    return SegmentSummary(n=first.n, f=first.f, n_welch=first.n_welch,
                          mains_hz=first.mains_hz, **cols)


def combine(summaries) -> dict:
    """Combine consecutive segments' summaries into the trial's (see the module notes).

    Returns
    -------
    dict
        ``n``, ``dead_n``, ``rail_n``, ``good_n``, ``good_m2`` (pooled), ``plateau_n``,
        ``f``, ``psd``, ``env``, ``low``, ``ecg``, ``n_spikes``, ``mains_hz``.
    """
    s = list(summaries)
    if len(s) == 1:
        one = s[0]
        return {k: getattr(one, k) for k in one.__dataclass_fields__}
    n = np.array([x.n for x in s], dtype=np.float64)
    out = dict(n=int(n.sum()), f=s[0].f, mains_hz=s[0].mains_hz)
    for name in ("dead_n", "rail_n", "plateau_n", "n_spikes"):
        out[name] = np.sum([getattr(x, name) for x in s], axis=0)
    # Chan et al.'s pairwise combination of counts, means and centred sums of squares.
    cnt, mean, m2 = s[0].good_n.copy(), s[0].good_mean.copy(), s[0].good_m2.copy()
    for x in s[1:]:
        tot = cnt + x.good_n
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = x.good_mean - mean
            mean = np.where(tot > 0, mean + delta * x.good_n / tot, 0.0)
            m2 = m2 + x.good_m2 + np.where(tot > 0, delta ** 2 * cnt * x.good_n / tot, 0.0)
        cnt = tot
    out.update(good_n=cnt, good_mean=mean, good_m2=m2)
    w = np.array([x.n_welch for x in s], dtype=np.float64)
    out["psd"] = np.tensordot(w / w.sum(), np.array([x.psd for x in s]), axes=1)
    out["n_welch"] = int(w.sum())
    out["env"] = np.concatenate([x.env for x in s])
    out["low"] = np.concatenate([x.low for x in s])
    out["ecg"] = np.tensordot(n / n.sum(), np.array([x.ecg for x in s]), axes=1)
    return out


__all__ = ["SegmentSummary", "combine", "join_channels", "summarise"]
