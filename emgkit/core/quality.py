"""Per-channel signal-quality flags: one definition, offline and live.

:func:`assess_quality` judges any block of samples (a whole trial offline, the last
seconds live through :class:`QualityMonitor`) with the thresholds of
:class:`~emgkit.model.config.QualityConfig`; the same samples give the same flags
wherever they are judged. Measures live in :mod:`emgkit.core.quality_measures`; their
calibration (false-positive and detection rates per flag and sampling rate) is in
``docs/quality.md``.

Flags, one root cause one flag:

``railed``
    At least ``railed_fraction`` of the live samples at the board's full scale. Samples
    exactly 0.0 are not live (a powered-down OpenBCI channel, zero-filled gaps).
``flat``
    At least ``dead_fraction`` exact zeros, or the live unrailed samples vary by less
    than ``flat_sd_uv``.
``lead_off``
    White (smoothed spectral flatness over the band) and unmodulated (window RMS
    percentile ratio): amplifier noise and no physiology. Where the band stops below
    ``lead_off_min_band_hz`` (fs under ~333 Hz) it does not reach past the sEMG spectral
    peak and a resting muscle looks white too: there the in-band RMS must also exceed
    the largest baseline of a quiet muscle (``max_noise_rms_uv``).
``clipping``
    More than ``clipping_fraction`` of samples at full scale, or sitting at the
    channel's own extreme values (saturation below full scale).
``spikes``, ``mains``, ``motion``, ``ecg``
    Corrupt single samples; mains interference; artefacts below the EMG band; a heart
    beat holding much of the in-band power.
``noisy_baseline`` / ``low_snr``
    Only with a rest block: rest RMS above ``max_noise_rms_uv``; task activity over rest
    RMS below ``min_snr_db``.

``railed``, ``flat`` and ``lead_off`` are exclusive and suppress every other flag (the
channel carries no EMG); a channel touching the rail reports ``clipping`` alone (the
rail's steps dominate every spectral measure). A rest channel that is itself dead gives
no baseline. ``crosstalk`` comes from :func:`assess_crosstalk` on channel pairs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields

import numpy as np

from emgkit.core import quality_measures as qm
from emgkit.core import quality_summary as qs
from emgkit.core._common import as_2d, check_fs
from emgkit.core.fftfilt import column_means
from emgkit.core.filters import block_length, detect_mains_hz
from emgkit.core.parallel import map_threads, thread_count
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig, QualityConfig

#: Full scale of the Cyton's ADS1299 at gain 24, in microvolts.
CYTON_FULL_SCALE_UV = 187500.0
#: Flags that mean "no EMG on this channel": each excludes every other flag.
DEAD_FLAGS = ("railed", "flat", "lead_off")
#: Order of the flags in a report (also the live label's priority).
FLAG_ORDER = ("railed", "flat", "lead_off", "clipping", "spikes", "mains", "motion", "ecg",
              "noisy_baseline", "low_snr", "crosstalk")


@dataclass(frozen=True)
class QualityReport:
    """Quality measures and flags, one entry per channel (arrays are ``(n_channels,)``).

    Attributes
    ----------
    clipping_fraction : numpy.ndarray
        Fraction of live samples at full scale (NaN without a full scale).
    plateau_fraction : numpy.ndarray
        Fraction of live samples piled up at the channel's own maximum or minimum
        (more than twice as many as lie within 1 % of the range inside it).
    dead_fraction : numpy.ndarray
        Fraction of samples exactly 0.0.
    sd_uv : numpy.ndarray
        Standard deviation of the live, unrailed samples.
    spectral_flatness : numpy.ndarray
        Geometric over arithmetic mean of the band's smoothed PSD (1 = white).
    modulation_db : numpy.ndarray
        90th over 10th percentile of the band-passed window RMS, in dB.
    band_rms_uv : numpy.ndarray
        In-band RMS from the spectrum, mains lines (+/- 2 Hz) left out.
    mains_ratio : numpy.ndarray
        In-band power fraction within +/-1 Hz of mains and harmonics (0 if no mains).
    motion_uv : numpy.ndarray
        Largest window RMS below the band among windows where it exceeds
        ``motion_ratio`` times the in-band RMS (0 if none).
    ecg_fraction : numpy.ndarray
        Fraction of in-band power in a repeating heart beat.
    n_spikes : numpy.ndarray
        Number of corrupt single samples.
    noise_rms_uv, snr_db : numpy.ndarray
        Band-passed rest RMS and task activity over it in dB (NaN without rest data).
    flags : tuple of tuple of str
        Flag names per channel, in :data:`FLAG_ORDER`, empty when the channel is clean.
    mains_hz : float or None
        The mains frequency used.
    """

    clipping_fraction: np.ndarray
    plateau_fraction: np.ndarray
    dead_fraction: np.ndarray
    sd_uv: np.ndarray
    spectral_flatness: np.ndarray
    modulation_db: np.ndarray
    band_rms_uv: np.ndarray
    mains_ratio: np.ndarray
    motion_uv: np.ndarray
    ecg_fraction: np.ndarray
    n_spikes: np.ndarray
    noise_rms_uv: np.ndarray
    snr_db: np.ndarray
    flags: tuple[tuple[str, ...], ...]
    mains_hz: float | None = None

    def to_dict(self) -> dict:
        """JSON-safe dict (arrays as lists, NaN kept as float('nan'))."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = (
                v.tolist()
                if isinstance(v, np.ndarray)
                else ([list(t) for t in v] if f.name == "flags" else v)
            )
        return out


def _regions(regions, n_ch: int) -> list[str]:
    if regions is None:
        return ["limb"] * n_ch
    out = [regions] * n_ch if isinstance(regions, str) else list(regions)
    if len(out) != n_ch:
        raise ConfigError(f"regions has {len(out)} entries for {n_ch} channels")
    return out


def _dead_flags(amp: dict, j: int, cfg: QualityConfig) -> list[str]:
    if amp["rail_frac"][j] >= cfg.railed_fraction:
        return ["railed"]
    if amp["dead_frac"][j] >= cfg.dead_fraction or not amp["sd"][j] >= cfg.flat_sd_uv:
        return ["flat"]
    return []


def assess_quality(
    emg_uv: np.ndarray,
    fs_hz: float,
    *,
    full_scale_uv: float | None = CYTON_FULL_SCALE_UV,
    mains_hz: float | None = None,
    rest_uv: np.ndarray | None = None,
    config: QualityConfig | None = None,
    regions=None,
    filter_config: FilterConfig | None = None,
) -> QualityReport:
    """Check the quality of each channel of a block of samples (a trial, a live window).

    Parameters
    ----------
    emg_uv : numpy.ndarray
        ``(n_samples, n_channels)`` raw EMG in microvolts (before any filtering).
    fs_hz : float
        Sampling rate in Hz.
    full_scale_uv : float or None
        The board's +/- input range; None skips the rail checks.
    mains_hz : float, optional
        Mains frequency; detected from the spectrum when None.
    rest_uv : numpy.ndarray, optional
        ``(n_rest_samples, n_channels)`` rest (quiet) recording of the same channels,
        for baseline noise and SNR.
    config : QualityConfig, optional
        Thresholds (defaults if None).
    regions : str or sequence of str, optional
        ``"limb"`` or ``"trunk"`` per channel (:attr:`emgkit.model.muscles.Muscle.region`):
        trunk channels are judged in the trunk band (30 Hz high-pass). All limb if None.
    filter_config : FilterConfig, optional
        The processing's filter configuration, whose band rule
        (:func:`~emgkit.core.filters.band_edges`) sets the band (defaults if None).

    Returns
    -------
    QualityReport
    """
    cfg = QualityConfig() if config is None else config
    fs = check_fs(fs_hz)
    x2, _ = as_2d(emg_uv, "emg_uv")
    n, n_ch = x2.shape
    if n < 16:
        raise ConfigError(f"quality checks need at least 16 samples, got {n}")
    reg = _regions(regions, n_ch)
    bands = [qm.quality_band(fs, r, filter_config) for r in reg]
    summary = qs.summarise(x2, fs, full_scale_uv=full_scale_uv, mains_hz=mains_hz, cfg=cfg,
                           bands=bands)
    noise = None if rest_uv is None else rest_noise(
        rest_uv, fs, full_scale_uv=full_scale_uv, mains_hz=summary.mains_hz, config=cfg,
        regions=reg, filter_config=filter_config)
    return _report(qs.combine([summary]), fs, cfg, filter_config, noise)


def assess_segments(read, n_samples: int, n_channels: int, fs_hz: float, *,
                    full_scale_uv: float | None = CYTON_FULL_SCALE_UV,
                    mains_hz: float | None = None, rest_uv: np.ndarray | None = None,
                    config: QualityConfig | None = None, regions=None,
                    filter_config: FilterConfig | None = None,
                    block_samples: int = 2 * 2**20,
                    noise_uv: np.ndarray | None = None) -> QualityReport:
    """:func:`assess_quality` of a long trial in bounded memory, segment by segment.

    The trial is cut into equal segments of at most ``QualityConfig.segment_s`` (whole
    ``window_s`` windows), each read once with ``read(start, stop)`` (raw
    ``(stop - start, n_channels)`` µV) and reduced to its summary, channels in groups of
    at most ``block_samples`` samples (:mod:`emgkit.core.quality_summary`); the measures
    and flags are then those of the whole trial from the combined summaries. A trial of
    one segment gives exactly :func:`assess_quality`'s report. Mains, when not given, is
    detected on the first segment (all channels) and used for the rest. Segments are
    summarised side by side in threads (:func:`~emgkit.core.parallel.thread_count`;
    ``read`` must allow it), so memory holds that many segments and groups at a time; the
    report does not depend on the number of threads (each segment is computed the same
    way).
    ``noise_uv`` is the baseline noise (:func:`rest_noise`) when it is known already
    (a session's rest trial, for each of its trials); ``rest_uv`` is then not used.
    """
    cfg = QualityConfig() if config is None else config
    fs = check_fs(fs_hz)
    reg = _regions(regions, n_channels)
    bands = [qm.quality_band(fs, r, filter_config) for r in reg]
    bounds = segment_bounds(n_samples, fs, cfg.segment_s, cfg.window_s)
    spans = [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    threads = min(thread_count(), len(spans))
    read_already = {}  # the first segment, when mains is detected on it (read once)
    if mains_hz is None:
        x = read_already[0] = np.asarray(read(*spans[0]))
        mains_hz = detect_mains_hz(x - x.mean(axis=0, dtype=np.float64), fs)
        del x

    def summary(a: int, b: int) -> qs.SegmentSummary:
        x = read_already.pop(a, None)
        x = np.asarray(read(a, b)) if x is None else x
        group = max(1, block_samples // max(b - a, 1))
        return qs.join_channels(
            qs.summarise(x[:, c : c + group], fs, full_scale_uv=full_scale_uv,
                         mains_hz=mains_hz, cfg=cfg, bands=bands[c : c + group])
            for c in range(0, n_channels, group))

    summaries = map_threads(summary, spans, threads)
    if noise_uv is None and rest_uv is not None:
        noise_uv = rest_noise(rest_uv, fs, full_scale_uv=full_scale_uv, mains_hz=mains_hz,
                              config=cfg, regions=reg, filter_config=filter_config)
    return _report(qs.combine(summaries), fs, cfg, filter_config, noise_uv)


def segment_bounds(n_samples: int, fs_hz: float, segment_s: float,
                   window_s: float) -> np.ndarray:
    """Bounds of equal segments of at most ``segment_s``, each whole ``window_s`` windows."""
    w = max(1, round(window_s * fs_hz))
    n_win = n_samples // w
    k = max(1, int(np.ceil(n_samples / max(1.0, segment_s * fs_hz))))
    if k == 1 or n_win < k:
        return np.array([0, n_samples], np.int64)
    inner = (np.linspace(0, n_win, k + 1)[1:-1].round().astype(np.int64)) * w
    return np.concatenate(([0], inner, [n_samples])).astype(np.int64)


def rest_noise(rest_uv: np.ndarray, fs_hz: float, *, full_scale_uv, mains_hz,
               config: QualityConfig | None = None, regions=None,
               filter_config: FilterConfig | None = None) -> np.ndarray:
    """Band-passed rest RMS per channel, NaN where the rest channel is itself dead."""
    r2, _ = as_2d(rest_uv, "rest_uv")
    reg = _regions(regions, r2.shape[1])
    bands = [qm.quality_band(fs_hz, r, filter_config) for r in reg]
    rq = assess_quality(r2, fs_hz, full_scale_uv=full_scale_uv, mains_hz=mains_hz,
                        config=config, regions=reg, filter_config=filter_config)
    y = qm.bandpassed(r2, fs_hz, bands)
    noise = np.sqrt(np.mean(y * y, axis=0))
    dead = [bool(set(f) & {*DEAD_FLAGS, "clipping"}) for f in rq.flags]
    return np.where(dead, np.nan, noise)


def _report(c: dict, fs: float, cfg: QualityConfig, filter_config, noise) -> QualityReport:
    """Measures and flags of a trial from its combined summary (:func:`qs.combine`)."""
    limb = qm.quality_band(fs, "limb", filter_config)
    n_ch = c["dead_n"].shape[0]
    live_n = np.maximum(c["n"] - c["dead_n"], 1)
    sd = np.where(c["good_n"] >= 2, np.sqrt(c["good_m2"] / np.maximum(c["good_n"], 1)),
                  np.nan)
    amp = dict(dead_frac=c["dead_n"] / c["n"], rail_frac=c["rail_n"] / live_n, sd=sd,
               plateau=c["plateau_n"] / live_n)
    f, p, mains_hz = c["f"], c["psd"], c["mains_hz"]
    flatness = qm.smoothed_flatness(f, p, limb, qm.mains_mask(f, fs, mains_hz, limb[1], 2.0),
                                    cfg.shape_resolution_hz)
    env = c["env"]
    band = (f >= limb[0]) & (f <= limb[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        mains_ratio = np.nan_to_num(p[band & qm.mains_mask(f, fs, mains_hz, limb[1], 1.0)]
                                    .sum(axis=0) / p[band].sum(axis=0))
    off_mains = band & ~qm.mains_mask(f, fs, mains_hz, limb[1], 2.0)
    band_rms = np.sqrt(p[off_mains].sum(axis=0) * (f[1] - f[0]))
    moving = (c["low"] > cfg.motion_uv) & (c["low"] > cfg.motion_ratio * env)
    motion = np.where(moving, c["low"], 0.0).max(axis=0)
    snr = np.full(n_ch, np.nan)
    if noise is None:
        noise = np.full(n_ch, np.nan)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            snr = 20 * np.log10(np.quantile(env, 0.95, axis=0) / noise)
    modulation = qm.modulation_db(env)
    measures = dict(flatness=flatness, modulation=modulation, mains=mains_ratio,
                    band_rms=band_rms, band_high=limb[1], motion=motion, ecg=c["ecg"],
                    n_spikes=c["n_spikes"], noise=noise, snr=snr)
    flags = tuple(tuple(_channel_flags(amp, measures, j, cfg)) for j in range(n_ch))
    return QualityReport(
        clipping_fraction=amp["rail_frac"], plateau_fraction=amp["plateau"],
        dead_fraction=amp["dead_frac"], sd_uv=sd, spectral_flatness=flatness,
        modulation_db=modulation, band_rms_uv=band_rms, mains_ratio=mains_ratio,
        motion_uv=motion, ecg_fraction=c["ecg"], n_spikes=c["n_spikes"], noise_rms_uv=noise,
        snr_db=snr, flags=flags, mains_hz=mains_hz,
    )


def _channel_flags(amp: dict, m: dict, j: int, cfg: QualityConfig) -> list[str]:
    """Apply the thresholds to channel ``j``'s measures, one root cause one flag."""
    fl = _dead_flags(amp, j, cfg)
    if fl:
        return fl
    if m["flatness"][j] >= cfg.lead_off_flatness and \
            m["modulation"][j] < cfg.lead_off_modulation_db and \
            (m["band_high"] >= cfg.lead_off_min_band_hz or
             m["band_rms"][j] > cfg.max_noise_rms_uv):
        return ["lead_off"]
    if amp["rail_frac"][j] > cfg.clipping_fraction:
        return ["clipping"]
    if amp["plateau"][j] > cfg.clipping_fraction:
        fl.append("clipping")
    if m["n_spikes"][j] > 0:
        fl.append("spikes")
    if m["mains"][j] >= cfg.mains_ratio:
        fl.append("mains")
    if m["ecg"][j] >= cfg.ecg_fraction:
        fl.append("ecg")  # its slow waves are below the band: not motion as well
    elif m["motion"][j] > 0:
        fl.append("motion")
    if m["noise"][j] > cfg.max_noise_rms_uv:
        fl.append("noisy_baseline")
    if m["snr"][j] < cfg.min_snr_db:
        fl.append("low_snr")
    return fl


@dataclass(frozen=True)
class CrosstalkReport:
    """Cross-correlation of channel pairs (medial:lateral hamstrings, same side).

    Attributes
    ----------
    pairs : tuple of (int, int)
        The column pairs, as given.
    r : numpy.ndarray
        ``(n_pairs,)`` peak absolute correlation coefficient within the lag range.
    lag_s : numpy.ndarray
        ``(n_pairs,)`` lag of that peak in seconds (positive: the second channel lags).
    flagged : tuple of bool
        Per pair, ``r >= crosstalk_r``.
    """

    pairs: tuple[tuple[int, int], ...]
    r: np.ndarray
    lag_s: np.ndarray
    flagged: tuple[bool, ...]

    def channel_flags(self, n_channels: int) -> tuple[tuple[str, ...], ...]:
        """Return ``("crosstalk",)`` for each channel in a flagged pair, else ``()``."""
        hit = set()
        for (a, b), f in zip(self.pairs, self.flagged):
            if f:
                hit |= {a, b}
        return tuple(("crosstalk",) if j in hit else () for j in range(n_channels))


#: Rows of a channel pair read at a time by :func:`assess_crosstalk` (the second channel
#: with ``max_lag`` more rows on either side): 24 to 28 bytes a row in float64 copies and
#: reads (25 MB from an array, 29 MB from an h5py dataset, measured), whatever the trial's
#: length; a smaller block costs more Python calls (``2 max_lag + 1`` products a block).
CROSSTALK_BLOCK_SAMPLES = 1 << 20


def assess_crosstalk(filtered_uv, fs_hz: float, pairs, *, config: QualityConfig | None = None,
                     block_samples: int | None = None) -> CrosstalkReport:
    """Flag channel pairs whose band-passed signals are correlated at near-zero lag.

    Two electrodes over separate muscles pick up independent motor-unit trains, so
    their band-passed signals (not their envelopes, which share the task's timing)
    correlate little; volume-conducted crosstalk, or electrodes close enough to share
    a detection volume, put the same waveform on both with a lag of at most a few
    milliseconds. The peak of the normalised cross-correlation within
    ``+/- crosstalk_lag_s`` is compared with ``crosstalk_r``. A high value says a
    medial:lateral difference may be partly crosstalk; a low value does not prove its
    absence (crosstalk from a distant source is a filtered, not a copied, waveform).
    See the CEDE electrode-selection matrix (Besomi et al. 2019, J Electromyogr Kinesiol
    48:128) on crosstalk and inter-electrode distance.

    The signal is read a block of rows of a pair's two columns at a time, in two passes
    (the means, then the energies and the products at every lag), so no whole channel
    is copied; the sums differ from those over whole channels by rounding only.

    Parameters
    ----------
    filtered_uv : numpy.ndarray or h5py.Dataset
        ``(n_samples, n_channels)`` band-passed EMG in microvolts (e.g.
        :func:`emgkit.core.filter_emg`, or an array of :class:`emgkit.io.scratch.Scratch`).
    fs_hz : float
        Sampling rate in Hz.
    pairs : sequence of (int, int)
        Column indices of the pairs to check (see :func:`hamstring_pairs`).
    config : QualityConfig, optional
        ``crosstalk_r`` and ``crosstalk_lag_s`` (defaults if None).
    block_samples : int, optional
        Rows read at a time; :data:`CROSSTALK_BLOCK_SAMPLES` if None.

    Returns
    -------
    CrosstalkReport
    """
    cfg = QualityConfig() if config is None else config
    fs = check_fs(fs_hz)
    shape = getattr(filtered_uv, "shape", ())
    y = filtered_uv if len(shape) == 2 else as_2d(filtered_uv, "filtered_uv")[0]
    block = block_length(CROSSTALK_BLOCK_SAMPLES if block_samples is None else block_samples)
    pairs = tuple((int(a), int(b)) for a, b in pairs)
    for a, b in pairs:
        if not (0 <= a < y.shape[1] and 0 <= b < y.shape[1]) or a == b:
            raise ConfigError(f"crosstalk pair ({a}, {b}) must name two different columns "
                              f"0..{y.shape[1] - 1}")
    max_lag = max(0, min(round(cfg.crosstalk_lag_s * fs), y.shape[0] // 4))
    r = np.zeros(len(pairs))
    lag = np.zeros(len(pairs))
    for k, pair in enumerate(pairs):
        energy, products = _lag_products(y, pair, max_lag, block)
        den = float(np.sqrt(energy[0] * energy[1]))
        if den == 0:
            continue
        best = 0.0
        for c, d in zip(products, range(-max_lag, max_lag + 1)):
            if abs(c) / den > abs(best):
                best, lag[k] = c / den, d / fs
        r[k] = abs(best)
    return CrosstalkReport(pairs, r, lag, tuple(bool(v >= cfg.crosstalk_r) for v in r))


def _lag_products(y, pair: tuple[int, int], max_lag: int, block: int
                  ) -> tuple[tuple[float, float], np.ndarray]:
    """Energies of a pair's centred columns ``u``, ``v`` and ``sum_i u[i] v[i + d]``.

    For ``d`` in ``-max_lag..max_lag``, over the ``i`` with ``i`` and ``i + d`` in
    ``0..n-1``: each block of ``u`` against ``v`` from ``max_lag`` rows before it to
    ``max_lag`` after, so every pair of samples is counted once, in the block of ``i``.
    """
    a, b = pair
    n = y.shape[0]
    mean_u, mean_v = (float(column_means(y, slice(j, j + 1), 1, n, block)[0]) for j in pair)
    products = np.zeros(2 * max_lag + 1)
    e_u = e_v = 0.0
    for s in range(0, n, block):
        e = min(n, s + block)
        lo, hi = max(0, s - max_lag), min(n, e + max_lag)
        u = np.array(y[s:e, a], dtype=np.float64)  # fresh copies, centred in place
        u -= mean_u
        v = np.array(y[lo:hi, b], dtype=np.float64)
        v -= mean_v
        # einsum, not BLAS dot: a lone vector product gains nothing from BLAS threads,
        # which spin against other work on a loaded machine (15x slower measured here)
        e_u += float(np.einsum("i,i->", u, u))
        e_v += float(np.einsum("i,i->", v[s - lo : e - lo], v[s - lo : e - lo]))
        for k, d in enumerate(range(-max_lag, max_lag + 1)):
            i0, i1 = max(s, -d), min(e, n - d)
            if i1 > i0:
                products[k] += np.einsum("i,i->", u[i0 - s : i1 - s],
                                         v[i0 + d - lo : i1 + d - lo])
    return (e_u, e_v), products


def hamstring_pairs(montage) -> list[tuple[int, int]]:
    """Return ``(medial, lateral)`` column pairs of a montage's hamstrings, per side.

    Medial: muscles in the ``medial_hamstrings`` group (semitendinosus,
    semimembranosus); lateral: ``lateral_hamstrings`` (biceps femoris). Every medial
    channel is paired with every lateral channel of the same side.
    """
    def cols(group: str) -> list[tuple[int, str]]:
        return [(j, c.side) for j, c in enumerate(montage.channels)
                if group in montage.muscle(c.muscle).groups]

    lateral = cols("lateral_hamstrings")
    return [(m, lat) for m, side in cols("medial_hamstrings") for lat, s2 in lateral
            if s2 == side]


class QualityMonitor:
    """Live quality: the last ``live_window_s`` of raw samples, judged by :func:`assess_quality`.

    The window is a ring buffer; :meth:`push` says when ``live_interval_s`` of new
    samples have arrived since the last assessment (the first once half a window is
    there), and :meth:`assess` judges the window with exactly the offline rules, so the
    flags of a window equal those of :func:`assess_quality` on the same samples.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    n_channels : int
        Number of channels of every block.
    full_scale_uv, mains_hz, config, regions, filter_config
        As for :func:`assess_quality`.
    """

    def __init__(self, fs_hz: float, n_channels: int, *,
                 full_scale_uv: float | None = CYTON_FULL_SCALE_UV,
                 mains_hz: float | None = None, config: QualityConfig | None = None,
                 regions=None, filter_config: FilterConfig | None = None) -> None:
        self.fs_hz = check_fs(fs_hz)
        self.config = QualityConfig() if config is None else config
        self.n_channels = int(n_channels)
        self.kwargs = dict(full_scale_uv=full_scale_uv, mains_hz=mains_hz, config=self.config,
                           regions=regions, filter_config=filter_config)
        self.size = max(16, round(self.config.live_window_s * self.fs_hz))
        self.interval = max(1, round(self.config.live_interval_s * self.fs_hz))
        self._buf = np.zeros((self.size, self.n_channels), np.float32)
        self._pos = 0  # total samples pushed
        self._since = 0
        self.report: QualityReport | None = None

    def push(self, block: np.ndarray) -> bool:
        """Append a block ``(n_samples, n_channels)``; return True when an assessment is due."""
        b2, _ = as_2d(block, "block")
        if b2.shape[1] != self.n_channels:
            raise ConfigError(f"block has {b2.shape[1]} channels, the monitor was made for "
                              f"{self.n_channels}")
        n = b2.shape[0]
        b2 = b2[-self.size:]
        at = (self._pos + n - b2.shape[0] + np.arange(b2.shape[0])) % self.size
        self._buf[at] = b2
        self._pos += n
        self._since += n
        return self._since >= self.interval and min(self._pos, self.size) >= self.size // 2

    def window(self) -> np.ndarray:
        """Return the samples in the window, oldest first (a copy, float32)."""
        n = min(self._pos, self.size)
        at = (self._pos - n + np.arange(n)) % self.size
        return self._buf[at]

    def take(self) -> np.ndarray:
        """Return the window (:meth:`window`) and restart the interval count (a snapshot)."""
        self._since = 0
        return self.window()

    def assess(self, window: np.ndarray | None = None) -> QualityReport | None:
        """Judge the window (or a snapshot from :meth:`take`); None while under 16 samples."""
        w = self.take() if window is None else window
        if w.shape[0] < 16:
            return None
        self.report = assess_quality(w, self.fs_hz, **self.kwargs)
        return self.report

    def update(self, block: np.ndarray) -> QualityReport | None:
        """Append a block and judge the window when due; return the new report, if any."""
        return self.assess() if self.push(block) else None


def first_flag(flags: tuple[str, ...]) -> str:
    """Return the most important of a channel's flags (:data:`FLAG_ORDER`), or ``ok``."""
    return min(flags, key=FLAG_ORDER.index) if flags else "ok"
