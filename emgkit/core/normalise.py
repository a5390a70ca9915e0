"""Amplitude normalisation: MVC reference, peak-dynamic reference, percent of reference.

The MVC reference of a channel is read from the *same* envelope as the task trials over
all MVC trials of the session (CEDE, Besomi et al. 2020: process reference and task
alike, take the highest of several trials). By default
(``NormalisationConfig.mvc_reference = "plateau_mean"``) it is the highest mean of that
envelope over any ``mvc_plateau_s`` (1 s) stretch (:func:`plateau_reference`; Konrad's
ABC of EMG: the highest average over a fixed period). ``mvc_reference = "peak"`` takes
the single highest value (:func:`peak_reference`), which the estimator's noise inflates:
the maximum of a 250 ms RMS envelope over a sustained effort overshoots its level by
18-25 %, so %MVC reads low (``docs/methods.md``). A longer reference window
(``NormalisationConfig.mvc_window_s``) is the caller's choice of the envelope it passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emgkit.core._common import as_2d
from emgkit.errors import AnalysisError, ConfigError
from emgkit.model.config import NormalisationConfig


def _names(n: int, channel_names: Sequence[str] | None) -> list[str]:
    if channel_names is None:
        return [f"channel {j + 1}" for j in range(n)]
    if len(channel_names) != n:
        raise ConfigError(f"{len(channel_names)} channel names given for {n} channels")
    return list(channel_names)


@dataclass(frozen=True)
class ReferenceSource:
    """Where one channel's reference value was read.

    Attributes
    ----------
    channel : int
        Column of the channel.
    trial : int
        Index of the trial, in the sequence of envelopes given.
    start, end : int
        Envelope samples ``[start, end)`` the value summarises (one sample for a peak,
        the averaged stretch for a plateau mean).
    value_uv : float
        The reference, in microvolts.
    """

    channel: int
    trial: int
    start: int
    end: int
    value_uv: float


def _best_per_trial(e2: np.ndarray, n_win: int | None):
    """Per channel of one trial: (best value, start, end); peak when ``n_win`` is None."""
    n_ch = e2.shape[1]
    if e2.shape[0] == 0:
        return np.full(n_ch, -np.inf), np.zeros(n_ch, np.int64), np.zeros(n_ch, np.int64)
    if n_win is None:
        with np.errstate(invalid="ignore"):
            finite = np.where(np.isfinite(e2), e2, -np.inf)
        i = finite.argmax(axis=0)
        return finite[i, np.arange(n_ch)], i, i + 1
    x = np.nan_to_num(np.asarray(e2, dtype=np.float64), nan=0.0)
    w = min(n_win, x.shape[0])
    c = np.concatenate((np.zeros((1, n_ch)), np.cumsum(x, axis=0)))
    means = (c[w:] - c[:-w]) / w
    i = means.argmax(axis=0)
    return means[i, np.arange(n_ch)], i, i + w


def _reference(envelopes: Sequence[np.ndarray], n_win: int | None):
    """Highest value (``n_win`` None) or highest ``n_win`` mean over trials, with sources."""
    if len(envelopes) == 0:
        raise AnalysisError("no trials to take a reference from")
    per = [_best_per_trial(as_2d(e, "envelope")[0], n_win) for e in envelopes]
    if len({p[0].shape for p in per}) != 1:
        raise ConfigError("all trials must have the same channels to take a reference")
    vals = np.stack([p[0] for p in per]).astype(np.float64)
    k = vals.argmax(axis=0)
    ref = vals[k, np.arange(vals.shape[1])]
    bad = ~np.isfinite(ref) if n_win is None else (~np.isfinite(ref) | (ref <= 0))
    ref[bad] = np.nan
    sources = tuple(
        None if bad[j] else ReferenceSource(j, int(k[j]), int(per[k[j]][1][j]),
                                            int(per[k[j]][2][j]), float(ref[j]))
        for j in range(ref.size))
    return ref, sources


def peak_reference(envelopes: Sequence[np.ndarray]) -> np.ndarray:
    """Highest envelope value per channel over several trials (NaN ignored).

    Parameters
    ----------
    envelopes : sequence of numpy.ndarray
        Each ``(n_samples_i, n_channels)`` (or ``(n_samples_i,)``), same channels.

    Returns
    -------
    numpy.ndarray
        ``(n_channels,)`` float64; NaN for a channel with no finite value.
    """
    return _reference(envelopes, None)[0]


def reference_with_sources(
    config: NormalisationConfig,
    mvc_envelopes: Sequence[np.ndarray] = (),
    task_envelopes: Sequence[np.ndarray] = (),
    channel_names: Sequence[str] | None = None,
    fs_hz: float | None = None,
) -> tuple[np.ndarray | None, tuple[ReferenceSource | None, ...]]:
    """:func:`select_reference` and where each channel's value was read.

    Returns
    -------
    reference : numpy.ndarray or None
        ``(n_channels,)`` in microvolts (None for method ``none``).
    sources : tuple of ReferenceSource
        Per channel (``trial`` indexes ``mvc_envelopes`` for ``mvc``, ``task_envelopes``
        for ``peak_dynamic``); empty for ``none``.
    """
    if config.method == "none":
        return None, ()
    source = mvc_envelopes if config.method == "mvc" else task_envelopes
    kind = "MVC" if config.method == "mvc" else "task"
    if len(source) == 0:
        raise AnalysisError(
            f"no {kind} trials to take the {config.method!r} reference from; record MVC "
            "trials or choose normalisation method 'peak_dynamic' or 'none'"
        )
    if config.method == "mvc":
        ref, where = _mvc(source, config, fs_hz)
    else:
        ref, where = _reference(source, None)
    check_reference(ref, channel_names, config.method)
    return ref, where


def select_reference(
    config: NormalisationConfig,
    mvc_envelopes: Sequence[np.ndarray] = (),
    task_envelopes: Sequence[np.ndarray] = (),
    channel_names: Sequence[str] | None = None,
    fs_hz: float | None = None,
) -> np.ndarray | None:
    """Return the per-channel reference the configured method asks for.

    Parameters
    ----------
    config : NormalisationConfig
        ``mvc``: the highest ``mvc_plateau_s`` mean over ``mvc_envelopes`` (envelopes
        computed with ``config.mvc_window_s`` if set, else with the task window), or
        their highest value with ``mvc_reference="peak"``; ``peak_dynamic``:
        over ``task_envelopes``; ``none``: returns None.
    mvc_envelopes, task_envelopes : sequence of numpy.ndarray
        ``(n_samples_i, n_channels)`` envelopes in microvolts.
    channel_names : sequence of str, optional
        Used in error messages (e.g. ``"semitendinosus left (ch 3)"``).
    fs_hz : float, optional
        Sampling rate; required by ``mvc_reference="plateau_mean"``.

    Raises
    ------
    AnalysisError
        If a channel has no usable reference (no trials, all NaN, or zero); the message
        names the channel and the alternatives.
    """
    return reference_with_sources(config, mvc_envelopes, task_envelopes, channel_names,
                                  fs_hz)[0]


def _mvc(envelopes, config: NormalisationConfig, fs_hz: float | None):
    if config.mvc_reference == "peak":
        return _reference(envelopes, None)
    if fs_hz is None:
        raise ConfigError("mvc_reference='plateau_mean' needs the sampling rate fs_hz")
    return _reference(envelopes, max(1, round(config.mvc_plateau_s * float(fs_hz))))


def mvc_reference(
    envelopes: Sequence[np.ndarray], config: NormalisationConfig, fs_hz: float | None = None
) -> np.ndarray:
    """Read the MVC reference from MVC envelopes by ``config.mvc_reference``.

    Parameters
    ----------
    envelopes : sequence of numpy.ndarray
        ``(n_samples_i, n_channels)`` envelopes of the MVC trials, in microvolts.
    config : NormalisationConfig
        ``plateau_mean`` (:func:`plateau_reference` over ``mvc_plateau_s``) or ``peak``
        (:func:`peak_reference`).
    fs_hz : float, optional
        Sampling rate; required by ``plateau_mean``.

    Returns
    -------
    numpy.ndarray
        ``(n_channels,)`` float64; NaN for a channel with no usable value (unchecked:
        :func:`select_reference` turns that into an error, the live viewer shows no bar).
    """
    return _mvc(envelopes, config, fs_hz)[0]


def plateau_reference(
    envelopes: Sequence[np.ndarray], fs_hz: float, plateau_s: float | None = None
) -> np.ndarray:
    """Highest mean of the envelope over any ``plateau_s`` stretch, per channel.

    Parameters
    ----------
    envelopes : sequence of numpy.ndarray
        Each ``(n_samples_i, n_channels)`` (or ``(n_samples_i,)``), same channels; a
        trial shorter than the stretch contributes its overall mean.
    fs_hz : float
        Sampling rate in Hz.
    plateau_s : float, optional
        Length of the averaged stretch in seconds (shorter than the MVC plateau); None
        means ``NormalisationConfig.mvc_plateau_s``.

    Returns
    -------
    numpy.ndarray
        ``(n_channels,)`` float64; NaN for a channel with no finite value.
    """
    cfg = NormalisationConfig() if plateau_s is None else NormalisationConfig(
        mvc_plateau_s=plateau_s)
    return _mvc(envelopes, cfg, fs_hz)[0]


def check_reference(
    reference_uv: np.ndarray, channel_names: Sequence[str] | None = None, method: str = "mvc"
) -> None:
    """Raise :class:`AnalysisError` naming the first channel without a positive reference."""
    ref = np.atleast_1d(np.asarray(reference_uv, dtype=np.float64))
    names = _names(ref.size, channel_names)
    bad = np.nonzero(~(np.isfinite(ref) & (ref > 0)))[0]
    if bad.size:
        shown = ", ".join(repr(names[j]) for j in bad)
        raise AnalysisError(
            f"no {method} reference for {shown} (no finite, positive envelope value in the "
            "reference trials); choose normalisation method 'peak_dynamic' or 'none' for "
            "such channels"
        )


def normalise(
    envelope_uv: np.ndarray,
    reference_uv: np.ndarray | None,
    channel_names: Sequence[str] | None = None,
) -> np.ndarray:
    """Express an envelope in percent of a per-channel reference.

    Parameters
    ----------
    envelope_uv : numpy.ndarray
        ``(n_samples, n_channels)`` or ``(n_samples,)`` envelope in microvolts.
    reference_uv : numpy.ndarray or None
        ``(n_channels,)`` reference in microvolts; None returns the envelope unchanged
        (method ``none``).
    channel_names : sequence of str, optional
        Used in the error message.

    Returns
    -------
    numpy.ndarray
        Percent of reference, same shape, float32 for float32 input.

    Raises
    ------
    AnalysisError
        If a channel's reference is missing (NaN), zero or negative.
    """
    env = np.asarray(envelope_uv)
    if reference_uv is None:
        return env
    e2, was_1d = as_2d(env, "envelope_uv")
    ref = np.atleast_1d(np.asarray(reference_uv, dtype=np.float64))
    if ref.size != e2.shape[1]:
        raise ConfigError(f"{ref.size} reference values for {e2.shape[1]} channels")
    check_reference(ref, channel_names)
    out = (e2 * (100.0 / ref)).astype(e2.dtype if e2.dtype == np.float32 else np.float64)
    return out[:, 0] if was_1d else out
