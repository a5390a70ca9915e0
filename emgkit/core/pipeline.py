"""The processing chain of a trial: DC removal, filter cascade, envelope; offline and live.

Offline (:func:`process_trial_emg`, default): per channel, the mean is removed, trunk
channels optionally get ECG template subtraction, the band-pass and mains notches run
as one SOS cascade forward and backward (zero phase), and the envelope is the centred
moving RMS (or the zero-phase linear envelope). ``FilterConfig.offline_method`` picks
how the zero-phase filter is applied: ``fft`` (default, :mod:`emgkit.core.fftfilt`,
``sosfiltfilt``'s result at a cost independent of the number of notches; the centred
RMS is then computed on each block of filtered channels while it is still in cache) or
``sosfiltfilt`` (the reference recursion, :func:`~emgkit.core.filters.filter_offline`).

Causal (``causal=True``) and live (:class:`StreamingProcessor`): the same cascade run
once forward from the steady state of the first sample (no mean removal: the band-pass
removes DC), and the trailing RMS. Both give the same numbers for any block split; the
causal envelope is the offline one delayed by the RMS half-window plus the filter's
group delay, with the filter's phase (see ``docs/signal-core.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from emgkit.core._common import as_2d, check_fs
from emgkit.core.chain import ProcessingChain, check_region, describe_chain, given_mains
from emgkit.core.ecg import subtract_ecg_template
from emgkit.core.envelope import CentredRMSBlocks, StreamingEnvelope, envelope_from_chain
from emgkit.core.fftfilt import (
    BLOCK_SAMPLES,
    filter_offline_fft,
    filtfilt_fft_into,
    write_rows,
    zero_phase_blocks,
)
from emgkit.core.filters import (
    StreamingFilter,
    design_from_chain,
    filter_causal,
    filter_offline,
    filtfilt_into,
)
from emgkit.core.mains import MainsChoice, decide_mains
from emgkit.core.parallel import thread_count
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig, ProcessingConfig

#: Chains by region, as :func:`trial_chains` returns them.
Chains = dict[str, ProcessingChain]


def _regions(regions: str | Sequence[str], n_channels: int) -> list[str]:
    if isinstance(regions, str):
        regions = [regions] * n_channels
    regions = list(regions)
    if len(regions) != n_channels:
        raise ConfigError(f"{len(regions)} regions given for {n_channels} channels")
    for r in regions:
        check_region(r)
    return regions


def resolve_mains_hz(
    config: FilterConfig, emg_uv: np.ndarray | None, fs_hz: float, session_mains_hz=None
) -> float | None:
    """Mains frequency to notch: :func:`~emgkit.core.mains.decide_mains`'s ``notch_hz``.

    The config's ``mains_hz`` if set, else the line found in ``emg_uv``, else the
    session's, else None.
    """
    return decide_mains(config, fs_hz, emg_uv, session_mains_hz).notch_hz


def trial_chains(config: ProcessingConfig | None, fs_hz: float, regions: str | Sequence[str],
                 mains: MainsChoice | None = None, causal: bool = False) -> Chains:
    """Return the :class:`~emgkit.core.chain.ProcessingChain` of each region present.

    Parameters
    ----------
    config : ProcessingConfig or None
        The parameters (defaults if None).
    fs_hz : float
        Sampling rate in Hz.
    regions : str or sequence of str
        ``limb`` or ``trunk`` per channel (or one for all).
    mains : MainsChoice, optional
        The mains decision; None: the config's ``filter.mains_hz`` or no notch.
    causal : bool
        The causal (live) chain.
    """
    regs = [regions] if isinstance(regions, str) else list(regions)
    return {r: describe_chain(config, fs_hz, r, mains, causal) for r in sorted(set(regs))}


def _chains_for(cfg: ProcessingConfig, x2, fs, regs, mains_hz, mains, causal, chains):
    if chains is not None:
        missing = sorted(set(regs) - set(chains))
        if missing:
            raise ConfigError(f"no processing chain given for region(s) {', '.join(missing)}")
        for c in chains.values():
            if c.fs_hz != fs or c.causal != bool(causal):
                raise ConfigError(f"the chain {c.key} was described for another rate or mode "
                                  f"than fs_hz={fs:g}, causal={bool(causal)}")
        return chains
    if mains is None:
        # Causal processing is what the live path gives: it cannot look at the data first.
        mains = (given_mains(cfg.filter, mains_hz) if causal
                 else decide_mains(cfg.filter, fs, x2, mains_hz))
    return trial_chains(cfg, fs, regs, mains, causal)


def filter_emg(
    emg_uv: np.ndarray,
    fs_hz: float,
    regions: str | Sequence[str],
    config: FilterConfig | None = None,
    mains_hz: float | None = None,
    causal: bool = False,
    *,
    mains: MainsChoice | None = None,
) -> np.ndarray:
    """Filter raw EMG with the configured chain (see the module notes).

    Parameters
    ----------
    emg_uv : numpy.ndarray
        ``(n_samples, n_channels)`` raw EMG in microvolts.
    fs_hz : float
        Sampling rate in Hz.
    regions : str or sequence of str
        ``limb`` or ``trunk`` per channel (or one for all).
    config : FilterConfig, optional
        Defaults if None.
    mains_hz : float, optional
        The session's mains frequency; the notch follows the data unless ``mains`` is
        given (see :func:`~emgkit.core.mains.decide_mains`; causally the data are not
        examined).
    causal : bool
        Causal (what the live path gives) instead of zero-phase.
    mains : MainsChoice, optional
        A decision already taken (e.g. once for a whole session).

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_channels)`` float32 (float64 for float64 input) in microvolts.
    """
    cfg = ProcessingConfig(filter=FilterConfig() if config is None else config)
    out, was_1d = _filter(emg_uv, fs_hz, regions, cfg, mains_hz, causal, mains=mains)
    return out[:, 0] if was_1d else out


def _template_channel(x: np.ndarray, fs: float, sos, dtype, fft: bool) -> np.ndarray:
    """One trunk channel: the mean and the ECG template subtracted, then filtered."""
    clean = subtract_ecg_template(x - x.mean(dtype=np.float64), fs)
    return (filter_offline_fft if fft else filter_offline)(sos, clean.astype(dtype))


def _output_dtype(x) -> np.dtype:
    """Return the chain's output type: float64 for float64 input, else float32."""
    return np.dtype(np.float64 if x.dtype == np.float64 else np.float32)


def _filter(emg_uv, fs_hz, regions, cfg: ProcessingConfig, mains_hz, causal, *,
            mains=None, chains=None):
    """:func:`filter_emg` into a new ``(n, n_channels)`` array."""
    fs = check_fs(fs_hz)
    x2, was_1d = as_2d(emg_uv, "emg_uv")
    regs = _regions(regions, x2.shape[1])
    used = _chains_for(cfg, x2, fs, regs, mains_hz, mains, causal, chains)
    out = np.empty(x2.shape, _output_dtype(x2))
    for r in sorted(set(regs)):
        chain = used[r]
        sos = design_from_chain(chain)
        fft = chain.offline_method == "fft"
        cols = [j for j, rr in enumerate(regs) if rr == r]
        if chain.causal:
            out[:, cols] = filter_causal(sos, x2[:, cols].astype(out.dtype, copy=False))
        elif chain.ecg_method == "template":
            for j in cols:
                out[:, j] = _template_channel(x2[:, j], fs, sos, out.dtype, fft)
        elif fft:
            filtfilt_fft_into(sos, x2, out, cols, remove_mean=True, workers=thread_count())
        else:
            filtfilt_into(sos, x2, out, cols, remove_mean=True)
    return out, was_1d


def process_trial_emg(
    emg_uv: np.ndarray,
    fs_hz: float,
    regions: str | Sequence[str],
    config: ProcessingConfig | None = None,
    *,
    mains_hz: float | None = None,
    causal: bool = False,
    return_filtered: bool = False,
    mains: MainsChoice | None = None,
    chains: Chains | None = None,
):
    """Raw EMG of a trial to its amplitude envelope.

    Parameters
    ----------
    emg_uv : numpy.ndarray
        ``(n_samples, n_channels)`` raw EMG in microvolts (float32 as stored).
    fs_hz : float
        Sampling rate in Hz.
    regions : str or sequence of str
        ``limb`` or ``trunk`` per channel (trunk channels get the ECG treatment).
    config : ProcessingConfig, optional
        Defaults if None; uses its ``filter`` and ``envelope`` sections.
    mains_hz : float, optional
        The session's mains frequency (the notch follows the data; see
        :func:`~emgkit.core.mains.decide_mains`).
    causal : bool
        The causal chain that :class:`StreamingProcessor` reproduces live.
    return_filtered : bool
        Also return the filtered signal.
    mains : MainsChoice, optional
        A mains decision already taken (once for a session).
    chains : dict of str to ProcessingChain, optional
        The chains to apply, by region (:func:`trial_chains`); they then define the
        filters and the envelope entirely (``config``, ``mains_hz`` and ``mains`` unused).

    Returns
    -------
    envelope : numpy.ndarray
        ``(n_samples, n_channels)`` in microvolts, float32 for float32 input.
    filtered : numpy.ndarray
        Only with ``return_filtered``: the filtered signal, same shape.
    """
    cfg = ProcessingConfig() if config is None else config
    fs = check_fs(fs_hz)
    x2, was_1d = as_2d(emg_uv, "emg_uv")
    used = _chains_for(cfg, x2, fs, _regions(regions, x2.shape[1]), mains_hz, mains, causal,
                       chains)
    if fused(used):
        env = np.empty(x2.shape, _output_dtype(x2))
        filtered = np.empty(x2.shape, env.dtype) if return_filtered else None
        process_trial_into(x2, fs, regions, used, env, filtered)
        env, filtered = (a[:, 0] if a is not None and was_1d else a for a in (env, filtered))
        return (env, filtered) if return_filtered else env
    filtered, was_1d = _filter(emg_uv, fs, regions, cfg, None, causal, chains=used)
    filtered = filtered[:, 0] if was_1d else filtered
    # Without return_filtered the envelope may overwrite the filtered signal (memory).
    chain = next(iter(used.values()))  # the envelope is the same for every region
    env = envelope_from_chain(filtered, chain, inplace=not return_filtered)
    return (env, filtered) if return_filtered else env


def fused(chains: Chains) -> bool:
    """Whether :func:`process_trial_into` applies ``chains``: offline, ``fft``, moving RMS."""
    return all(not c.causal and c.offline_method == "fft" and c.envelope_method == "rms"
               for c in chains.values())


def process_trial_into(emg_uv, fs_hz: float, regions: str | Sequence[str], chains: Chains,
                       envelope_out, filtered_out=None, *, columns=None,
                       block_samples: int = BLOCK_SAMPLES) -> None:
    """Write the offline envelope (and filtered signal) of a trial, a block of samples at a time.

    The chain of :func:`process_trial_emg` for :func:`fused` chains (the defaults): the
    zero-phase filter by FFT a block at a time (:func:`~emgkit.core.fftfilt.
    zero_phase_blocks`), then the centred RMS of each block as it comes
    (:class:`~emgkit.core.envelope.CentredRMSBlocks`), so the memory held is a block's
    (about 75 MB for four channels, whatever the trial's length), except
    for trunk channels with ECG template subtraction, which need a whole channel.

    Parameters
    ----------
    emg_uv : array-like
        ``(n_samples, n_channels)`` raw EMG in microvolts: an array, or anything read by
        2-D slices (an h5py dataset).
    fs_hz : float
        Sampling rate in Hz.
    regions : str or sequence of str
        ``limb`` or ``trunk`` per channel (or one for all).
    chains : dict of str to ProcessingChain
        The chains by region (:func:`trial_chains`), :func:`fused`.
    envelope_out, filtered_out : array-like
        ``(n_samples, n_channels)`` outputs written by 2-D slices (arrays or h5py
        datasets; computation in ``envelope_out``'s type); ``filtered_out`` optional.
        Neither may share memory with ``emg_uv``: each block reads past the last one
        written.
    columns : sequence of int, optional
        Only these channels (all if None); the others' outputs are not touched.
    block_samples : int
        Output samples of each channel filtered at once (at least one overlap-save
        frame; :data:`~emgkit.core.fftfilt.BLOCK_SAMPLES`).

    Raises
    ------
    ConfigError
        If ``chains`` is None, a chain is missing or not :func:`fused`, or a column is
        not one of the trial's.
    """
    fs = check_fs(fs_hz)
    n, n_ch = emg_uv.shape
    regs = _regions(regions, n_ch)
    if chains is None:
        raise ConfigError("process_trial_into needs the chains (trial_chains)")
    used = _chains_for(None, None, fs, regs, mains_hz=None, mains=None, causal=False,
                       chains=chains)  # checks them against the regions and the rate
    if not fused(used):
        raise ConfigError("process_trial_into applies offline fft chains with the RMS envelope")
    dt = np.dtype(envelope_out.dtype)
    wanted = set(range(n_ch) if columns is None else (int(j) for j in columns))
    if not wanted <= set(range(n_ch)):
        raise ConfigError(f"columns {sorted(wanted - set(range(n_ch)))} are not among the "
                          f"trial's {n_ch} channels (0..{n_ch - 1})")
    for r in sorted(set(regs)):
        chain, sos = used[r], design_from_chain(used[r])
        cols = [j for j, rr in enumerate(regs) if rr == r and j in wanted]
        if chain.ecg_method == "template":
            blocks = ((slice(j, j + 1), 0, _template_channel(
                np.asarray(emg_uv[:, j]), fs, sos, dt, True)[None, :]) for j in cols)
        else:
            blocks = zero_phase_blocks(sos, emg_uv, cols, dt, remove_mean=True,
                                       workers=thread_count(), block_samples=block_samples)
        rms = None
        for sel, start, rows in blocks:
            if filtered_out is not None:
                write_rows(rows, filtered_out, sel, start)
            if start == 0:
                rms = CentredRMSBlocks(n, chain.envelope_window_samples)
            at, env = rms.feed(rows)
            write_rows(env, envelope_out, sel, at)


class StreamOutput(NamedTuple):
    """One processed live block: ``filtered`` and ``envelope``, ``(n, n_channels)`` each."""

    filtered: np.ndarray
    envelope: np.ndarray


class StreamingProcessor:
    """Live counterpart of ``process_trial_emg(..., causal=True)``: feed raw blocks.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    regions : str or sequence of str
        ``limb`` or ``trunk`` per channel.
    config : ProcessingConfig, optional
        Defaults if None. ECG template subtraction is offline only: live, trunk channels
        always get the high-pass.
    mains_hz : float, optional
        Mains frequency (the config's wins); no notch if both are None, since live data
        cannot be searched for it in advance.
    dtype : numpy dtype
        Computation type (float32 default; float64 for exact parity tests).

    Notes
    -----
    Any split of a recording into blocks gives the same output as one call, and the
    same as :func:`process_trial_emg` with ``causal=True`` on the whole recording.
    """

    def __init__(
        self,
        fs_hz: float,
        regions: str | Sequence[str],
        config: ProcessingConfig | None = None,
        mains_hz: float | None = None,
        dtype=np.float32,
    ) -> None:
        cfg = ProcessingConfig() if config is None else config
        self.config = cfg
        self.fs_hz = check_fs(fs_hz)
        if isinstance(regions, str):
            raise ConfigError("give one region per channel to StreamingProcessor")
        self.regions = _regions(regions, len(regions))
        self.n_channels = len(self.regions)
        self.dtype = np.dtype(dtype)
        self.mains = given_mains(cfg.filter, mains_hz)
        self.mains_hz = self.mains.notch_hz
        #: The chains applied, by region (:class:`~emgkit.core.chain.ProcessingChain`).
        self.chains = trial_chains(cfg, self.fs_hz, self.regions, self.mains, causal=True)
        self._groups = []
        for r, chain in self.chains.items():
            idx = np.array([j for j, rr in enumerate(self.regions) if rr == r])
            sos = design_from_chain(chain)
            self._groups.append((idx, StreamingFilter(sos, idx.size, self.dtype)))
        self._env = StreamingEnvelope(self.fs_hz, self.n_channels, cfg.envelope, self.dtype)

    def process(self, block_uv: np.ndarray) -> StreamOutput:
        """Process one raw block ``(n_samples, n_channels)`` in microvolts."""
        b2, _ = as_2d(block_uv, "block_uv")
        if b2.shape[1] != self.n_channels:
            raise ConfigError(
                f"block has {b2.shape[1]} channels, the processor was made for {self.n_channels}"
            )
        if len(self._groups) == 1:
            filtered = self._groups[0][1].process(b2)
        else:
            filtered = np.empty(b2.shape, self.dtype)
            for idx, filt in self._groups:
                filtered[:, idx] = filt.process(b2[:, idx])
        return StreamOutput(filtered, self._env.process(filtered))
