"""The mains (power-line) frequency: measured from the data, compared with the session's claim.

A session's ``mains_hz`` is a claim typed at import or recording time; the line itself is
in the signal. :func:`mains_evidence` measures, on all channels at once, how far the
power at 50 and 60 Hz and at their harmonics stands above its neighbourhood;
:func:`detect_mains_hz` names the line that stands out; :func:`decide_mains` chooses
what to notch and records why (:class:`MainsChoice`): the configuration's
``filter.mains_hz`` if set, else the line found in the data, else the session's value,
else none. When the data and the session disagree the notch follows the data, and
:meth:`MainsChoice.sentence` says so in one plain sentence.

The measurement has a bounded cost whatever the length of the recording: at most
:data:`MAX_SEGMENTS` Hann-windowed 2 s segments (0.5 Hz resolution), spread evenly over
each array, are transformed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emgkit.core._common import as_2d, check_fs
from emgkit.model.config import FilterConfig

#: The line frequencies of the world's grids.
MAINS_CANDIDATES_HZ = (50.0, 60.0)
#: A line counts when its fundamental stands this far above its neighbourhood (6 dB).
MIN_EXCESS_DB = 6.0
#: Length of the spectral segments (0.5 Hz resolution) and the most segments used.
SEGMENT_S = 2.0
MAX_SEGMENTS = 64
#: Peak band (+/- Hz) and neighbourhood (Hz either side) of a line.
PEAK_HALF_WIDTH_HZ = 1.0
NEIGHBOURHOOD_HZ = (2.0, 6.0)
#: Harmonics looked at, fundamental included (multiples of 300 Hz belong to both grids).
MAX_HARMONIC = 6

#: Where the notched frequency came from (:attr:`MainsChoice.source`).
SOURCES = ("config", "data", "session", "none", "off")


def _segments(x2: np.ndarray, nper: int, max_segments: int) -> np.ndarray:
    """Start indices of at most ``max_segments`` segments spread over ``x2``."""
    n_full = x2.shape[0] // nper
    if n_full <= max_segments:
        return np.arange(n_full) * nper
    return np.linspace(0, x2.shape[0] - nper, max_segments).astype(np.int64)


def _pooled_spectrum(arrays: Sequence[np.ndarray], fs: float):
    """Channel-pooled power spectrum: each channel's spectrum over its total power, averaged.

    Arrays shorter than the segment (2 s, or the longest array) are left out. Returns
    ``(f, p)``, or None when no array holds a second of signal.
    """
    # 2-D array-likes (a trial left on disk) are read a segment at a time, never whole
    shaped = [x if getattr(x, "ndim", None) == 2 else as_2d(x)[0] for x in arrays]
    longest = max((x2.shape[0] for x2 in shaped), default=0)
    seg = min(round(SEGMENT_S * fs), longest)
    if seg < fs:  # under a second: no resolution to tell 50 from 60 Hz
        return None
    total, count = None, 0
    for x2 in shaped:
        if x2.shape[0] < seg:
            continue
        win = np.hanning(seg)
        acc = np.zeros((seg // 2 + 1, x2.shape[1]))
        for s in _segments(x2, seg, MAX_SEGMENTS):
            block = np.nan_to_num(np.asarray(x2[s : s + seg], dtype=np.float64))
            block = block - block.mean(axis=0)
            acc += np.abs(np.fft.rfft(block * win[:, None], axis=0)) ** 2
        power = acc.sum(axis=0)
        live = power > 0
        if not live.any():
            continue
        p = (acc[:, live] / power[live]).sum(axis=1)
        total = p if total is None else total + p
        count += int(live.sum())
    if total is None:
        return None
    f = np.fft.rfftfreq(seg, 1.0 / fs)
    return f, total / count


def _line_excess_db(f: np.ndarray, p: np.ndarray, line_hz: float) -> float | None:
    """Power within +/-1 Hz of ``line_hz`` over the median 2-6 Hz either side, in dB."""
    d = np.abs(f - line_hz)
    peak = p[d <= PEAK_HALF_WIDTH_HZ]
    side = p[(d >= NEIGHBOURHOOD_HZ[0]) & (d <= NEIGHBOURHOOD_HZ[1])]
    if peak.size == 0 or side.size < 4:
        return None
    ref = float(np.median(side))
    if not ref > 0:
        return np.inf if peak.mean() > 0 else None
    return float(10 * np.log10(max(peak.mean(), 1e-300) / ref))


@dataclass(frozen=True)
class MainsEvidence:
    """How far each candidate line stands out of the data, in dB.

    Attributes
    ----------
    fundamental_db : dict of float to float
        Excess of each candidate's fundamental over its neighbourhood (NaN if it lies
        too close to Nyquist to measure).
    harmonics_db : dict of float to float
        Mean excess over the fundamental and its measurable harmonics.
    detected_hz : float or None
        The candidate whose fundamental stands at least :data:`MIN_EXCESS_DB` out and
        whose lines stand out most; None if neither does.
    """

    fundamental_db: dict
    harmonics_db: dict
    detected_hz: float | None


def mains_evidence(x: np.ndarray | Sequence[np.ndarray], fs_hz: float,
                   min_excess_db: float = MIN_EXCESS_DB) -> MainsEvidence:
    """Measure the 50 and 60 Hz lines (and harmonics) against their neighbourhood.

    Parameters
    ----------
    x : numpy.ndarray or sequence of numpy.ndarray
        ``(n_samples, n_channels)`` signals (several trials of one session may be given,
        at one sampling rate); all channels are pooled, each weighted by its own total
        power so that no railed or noisy channel dominates.
    fs_hz : float
        Sampling rate in Hz.
    min_excess_db : float
        The fundamental must stand this far above the median power 2-6 Hz either side.

    Returns
    -------
    MainsEvidence
    """
    fs = check_fs(fs_hz)
    arrays = [x] if isinstance(x, np.ndarray) else list(x)
    nan = float("nan")
    spec = _pooled_spectrum(arrays, fs)
    if spec is None:
        return MainsEvidence({c: nan for c in MAINS_CANDIDATES_HZ},
                             {c: nan for c in MAINS_CANDIDATES_HZ}, None)
    f, p = spec
    fund, harm = {}, {}
    for f0 in MAINS_CANDIDATES_HZ:
        lines = [k * f0 for k in range(1, MAX_HARMONIC + 1)
                 if k == 1 or (k * f0) % 300.0 != 0]
        ex = [_line_excess_db(f, p, h) for h in lines if h + NEIGHBOURHOOD_HZ[0] < fs / 2]
        first = ex[0] if ex and lines[0] + NEIGHBOURHOOD_HZ[0] < fs / 2 else None
        fund[f0] = nan if first is None else first
        vals = [v for v in ex if v is not None]
        harm[f0] = float(np.mean(np.minimum(vals, 60.0))) if vals else nan
    ok = [c for c in MAINS_CANDIDATES_HZ if fund[c] >= min_excess_db]
    best = max(ok, key=lambda c: (harm[c], fund[c])) if ok else None
    return MainsEvidence(fund, harm, best)


def detect_mains_hz(x: np.ndarray | Sequence[np.ndarray], fs_hz: float,
                    min_ratio: float | None = None) -> float | None:
    """Detect the mains frequency (50 or 60 Hz) from the data.

    Parameters
    ----------
    x : numpy.ndarray or sequence of numpy.ndarray
        ``(n_samples,)`` or ``(n_samples, n_channels)`` signal(s); see
        :func:`mains_evidence`.
    fs_hz : float
        Sampling rate in Hz.
    min_ratio : float, optional
        Power ratio the fundamental must reach over its neighbourhood; None means
        :data:`MIN_EXCESS_DB` (6 dB, a ratio of 4).

    Returns
    -------
    float or None
        50.0 or 60.0, whichever stands out more, or None if neither does.
    """
    db = MIN_EXCESS_DB if min_ratio is None else 10 * np.log10(float(min_ratio))
    return mains_evidence(x, fs_hz, db).detected_hz


@dataclass(frozen=True)
class MainsChoice:
    """The mains frequency notched, and why.

    Attributes
    ----------
    notch_hz : float or None
        Fundamental notched (its harmonics follow the band rule); None: no notch.
    source : str
        ``config`` (``filter.mains_hz``), ``data`` (the line found in the signal),
        ``session`` (the session's ``mains_hz``, the data showing no line), ``none``
        (neither) or ``off`` (``filter.notch = false``).
    detected_hz : float or None
        The line the data show (None: none stands out, or the data were not examined).
    session_hz : float or None
        What the session records.
    examined : bool
        Whether the data were examined (live processing cannot look ahead).
    """

    notch_hz: float | None
    source: str
    detected_hz: float | None = None
    session_hz: float | None = None
    examined: bool = False

    @property
    def disagrees(self) -> bool:
        """True when the data show another line than the session or the config says."""
        claim = self.session_hz if self.source != "config" else self.notch_hz
        return (self.detected_hz is not None and claim is not None
                and float(claim) != float(self.detected_hz))

    @property
    def is_fallback(self) -> bool:
        """True when the notch does not simply follow the data and the session alike."""
        if self.source == "off":
            return False
        if self.disagrees:
            return True
        return self.examined and self.detected_hz is None

    def sentence(self) -> str:
        """One plain sentence: what the data show, what the session says, what was notched."""
        det, ses = self.detected_hz, self.session_hz
        said = (f"the session says {ses:g} Hz" if ses is not None
                else "the session records none")
        if self.source == "off":
            return "mains: not notched (filter.notch = false)"
        if self.source == "config":
            extra = f"; the data show {det:g} Hz" if self.disagrees else ""
            return f"mains: notched at {self.notch_hz:g} Hz as configured (filter.mains_hz){extra}"
        if not self.examined:
            return (f"mains: notched at the session's {ses:g} Hz (not measured in the data)"
                    if ses is not None else
                    "mains: not notched (the session records no mains frequency)")
        if self.source == "data":
            if ses is not None and ses == det:
                return f"mains: {det:g} Hz in the data, as the session says: notched at {det:g} Hz"
            return f"mains: {det:g} Hz in the data, {said}: notched at {det:g} Hz"
        if self.source == "session":
            return (f"mains: no line at 50 or 60 Hz stands out in the data: notched at the "
                    f"session's {ses:g} Hz")
        return ("mains: no line at 50 or 60 Hz stands out in the data and the session records "
                "none: not notched")

    def to_dict(self) -> dict:
        """JSON-safe record, with :meth:`sentence`."""
        d = dataclasses.asdict(self)
        d["sentence"] = self.sentence()
        return d


def decide_mains(config: FilterConfig, fs_hz: float,
                 emg_uv: np.ndarray | Sequence[np.ndarray] | None = None,
                 session_mains_hz: float | None = None) -> MainsChoice:
    """Choose the mains frequency to notch (see the module notes).

    Parameters
    ----------
    config : FilterConfig
        ``notch`` and ``mains_hz``.
    fs_hz : float
        Sampling rate in Hz.
    emg_uv : numpy.ndarray or sequence of numpy.ndarray, optional
        The raw signal(s) to measure; None when they cannot be seen (live).
    session_mains_hz : float, optional
        The session's claim.

    Returns
    -------
    MainsChoice
    """
    ses = None if session_mains_hz is None else float(session_mains_hz)
    if not config.notch:
        return MainsChoice(None, "off", None, ses, False)
    examined = emg_uv is not None
    det = detect_mains_hz(emg_uv, fs_hz) if examined else None
    if config.mains_hz is not None:
        return MainsChoice(float(config.mains_hz), "config", det, ses, examined)
    if det is not None:
        return MainsChoice(det, "data", det, ses, True)
    if ses is not None:
        return MainsChoice(ses, "session", None, ses, examined)
    return MainsChoice(None, "none", None, None, examined)
