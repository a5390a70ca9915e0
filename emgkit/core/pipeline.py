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

import dataclasses
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from emgkit.core._common import as_2d, check_fs, window_samples
from emgkit.core.ecg import subtract_ecg_template
from emgkit.core.envelope import StreamingEnvelope, envelope, moving_rms
from emgkit.core.fftfilt import filter_offline_fft, filtfilt_fft_into
from emgkit.core.filters import (
    StreamingFilter,
    design_chain,
    detect_mains_hz,
    filter_causal,
    filter_offline,
    filtfilt_into,
)
from emgkit.errors import ConfigError
from emgkit.model.config import FilterConfig, ProcessingConfig


def _regions(regions: str | Sequence[str], n_channels: int) -> list[str]:
    if isinstance(regions, str):
        regions = [regions] * n_channels
    regions = list(regions)
    if len(regions) != n_channels:
        raise ConfigError(f"{len(regions)} regions given for {n_channels} channels")
    for r in regions:
        if r not in ("limb", "trunk"):
            raise ConfigError(
                f"Invalid value for the 'region' parameter. Allowed values are 'limb', "
                f"'trunk', but got {r!r} instead."
            )
    return regions


def resolve_mains_hz(
    config: FilterConfig, emg_uv: np.ndarray | None, fs_hz: float, session_mains_hz=None
) -> float | None:
    """Mains frequency to notch: the config's, else the session's, else detected, else None."""
    if not config.notch:
        return None
    if config.mains_hz is not None:
        return float(config.mains_hz)
    if session_mains_hz is not None:
        return float(session_mains_hz)
    return None if emg_uv is None else detect_mains_hz(emg_uv, fs_hz)


def _chains(config: FilterConfig, fs_hz: float, regions: list[str], mains_hz) -> dict:
    return {r: design_chain(config, fs_hz, r, mains_hz) for r in sorted(set(regions))}


def filter_emg(
    emg_uv: np.ndarray,
    fs_hz: float,
    regions: str | Sequence[str],
    config: FilterConfig | None = None,
    mains_hz: float | None = None,
    causal: bool = False,
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
        Session mains frequency; see :func:`resolve_mains_hz`.
    causal : bool
        Causal (what the live path gives) instead of zero-phase.

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_channels)`` float32 (float64 for float64 input) in microvolts.
    """
    cfg = FilterConfig() if config is None else config
    out, was_1d = _filter(emg_uv, fs_hz, regions, cfg, mains_hz, causal)
    return out[:, 0] if was_1d else out


def _filter(emg_uv, fs_hz, regions, cfg: FilterConfig, mains_hz, causal, post=None):
    """:func:`filter_emg` into a new ``(n, n_channels)`` array; ``post`` as in fftfilt.

    ``post`` (offline ``fft`` method only) is applied to every channel's filtered rows.
    """
    fs = check_fs(fs_hz)
    x2, was_1d = as_2d(emg_uv, "emg_uv")
    regs = _regions(regions, x2.shape[1])
    chains = _chains(cfg, fs, regs, resolve_mains_hz(cfg, x2, fs, mains_hz))
    out = np.empty(x2.shape, np.float64 if x2.dtype == np.float64 else np.float32)
    fft = cfg.offline_method == "fft"
    for r, sos in chains.items():
        cols = [j for j, rr in enumerate(regs) if rr == r]
        if causal:
            out[:, cols] = filter_causal(sos, x2[:, cols].astype(out.dtype, copy=False))
        elif r == "trunk" and cfg.ecg_method == "template":
            for j in cols:
                clean = subtract_ecg_template(x2[:, j] - x2[:, j].mean(dtype=np.float64), fs)
                apply = filter_offline_fft if fft else filter_offline
                y = apply(sos, clean.astype(out.dtype))
                if post is not None:
                    y = np.ascontiguousarray(y[None, :])
                    post(y)
                out[:, j] = y.ravel()
        elif fft:
            filtfilt_fft_into(sos, x2, out, cols, remove_mean=True, post=post)
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
        Session mains frequency (else the config's, else detected).
    causal : bool
        The causal chain that :class:`StreamingProcessor` reproduces live.
    return_filtered : bool
        Also return the filtered signal.

    Returns
    -------
    envelope : numpy.ndarray
        ``(n_samples, n_channels)`` in microvolts, float32 for float32 input.
    filtered : numpy.ndarray
        Only with ``return_filtered``: the filtered signal, same shape.
    """
    cfg = ProcessingConfig() if config is None else config
    if (
        not causal
        and not return_filtered
        and cfg.filter.offline_method == "fft"
        and cfg.envelope.method == "rms"
    ):
        # Fused: the centred RMS of each block of channels, on its contiguous rows.
        fs = check_fs(fs_hz)
        window_samples(cfg.envelope.window_s, fs)  # invalid windows fail before filtering

        def rms_rows(rows):
            moving_rms(rows.T, fs, cfg.envelope.window_s, centred=True, inplace=True)

        env, was_1d = _filter(emg_uv, fs, regions, cfg.filter, mains_hz, False, rms_rows)
        return env[:, 0] if was_1d else env
    filtered = filter_emg(emg_uv, fs_hz, regions, cfg.filter, mains_hz, causal)
    # Without return_filtered the envelope may overwrite the filtered signal (memory).
    env = envelope(filtered, fs_hz, cfg.envelope, causal=causal, inplace=not return_filtered)
    return (env, filtered) if return_filtered else env


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
        if cfg.filter.ecg_method == "template":
            cfg = dataclasses.replace(
                cfg, filter=dataclasses.replace(cfg.filter, ecg_method="highpass")
            )
        self.config = cfg
        self.fs_hz = check_fs(fs_hz)
        if isinstance(regions, str):
            raise ConfigError("give one region per channel to StreamingProcessor")
        self.regions = _regions(regions, len(regions))
        self.n_channels = len(self.regions)
        self.dtype = np.dtype(dtype)
        self.mains_hz = resolve_mains_hz(cfg.filter, None, self.fs_hz, mains_hz)
        chains = _chains(cfg.filter, self.fs_hz, self.regions, self.mains_hz)
        self._groups = []
        for r, sos in chains.items():
            idx = np.array([j for j, rr in enumerate(self.regions) if rr == r])
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
