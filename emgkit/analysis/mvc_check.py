"""Is each channel's MVC normalisation interpretable? One check per channel and session.

A %MVC value means something only when the reference exceeds the activity it
normalises. Per channel of a session (method ``mvc``):

``no_mvc_reference``
    No usable MVC trial: the channel is ``railed``, ``flat`` or ``lead_off``
    (:data:`emgkit.core.quality.DEAD_FLAGS`) in every MVC trial, or its envelope has no
    positive value there. The channel is left out of %MVC (its µV values stay); the rest
    of the session is analysed.
``mvc_not_above_rest``
    The reference is below :data:`MIN_MVC_REST_RATIO` times the channel's rest level
    (the mean of the same RMS envelope over the session's rest trials, the channel's
    dead rest trials left out): the MVC trial holds no effort on this muscle.
``task_above_150``
    The highest task mean (mean %MVC over a task's repetitions, hinge, squat or any
    other task) exceeds :data:`TASK_MAX_PCT_MVC`: the MVC effort was not maximal or the
    electrode moved.
``ok``
    None of these.

The checks are tried in that order; the first that holds is the channel's. Channels
other than ``ok`` are not interpretable: their numbers stay in the tables, marked, and
the report does not state them as findings. Under ``peak_dynamic`` normalisation the
check is ``not_mvc`` (or ``no_reference`` for a channel without a peak), under ``none``
``not_mvc``. The thresholds are documented in ``docs/methods.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from emgkit.core.normalise import (
    mvc_reference,
    normalise,
    peak_reference,
    reference_with_sources,
)
from emgkit.core.quality import DEAD_FLAGS

#: A muscle whose task mean exceeds this (in % MVC) is not interpretable.
TASK_MAX_PCT_MVC = 150.0
#: The MVC reference must reach this multiple of the rest level of the same envelope.
MIN_MVC_REST_RATIO = 2.0
#: The values of the ``mvc_check`` column, by normalisation.
MVC_CHECKS = ("ok", "task_above_150", "mvc_not_above_rest", "no_mvc_reference")
OTHER_CHECKS = ("not_mvc", "no_reference")
#: Checks under which a channel's normalised values can be read as findings.
INTERPRETABLE = ("ok", "not_mvc")


@dataclass(frozen=True)
class ChannelCheck:
    """The normalisation check of one channel of a session.

    Attributes
    ----------
    channel : str
        The channel's name in the montage (``semitendinosus_right``).
    muscle, side, label : str
        As in the montage.
    check : str
        One of :data:`MVC_CHECKS` or :data:`OTHER_CHECKS`.
    reason : str
        A phrase for the user (``its task mean reached 240 % MVC in the hinge``), empty
        for ``ok``.
    task_pct_mvc : float
        The highest task mean in % MVC (NaN without task trials or reference).
    task : str
        The task of that mean (empty if none).
    rest_uv : float
        The rest level of the envelope in µV (NaN without a rest trial).
    reference_uv : float
        The reference in µV (NaN without one).
    """

    channel: str
    muscle: str
    side: str
    label: str
    check: str
    reason: str = ""
    task_pct_mvc: float = math.nan
    task: str = ""
    rest_uv: float = math.nan
    reference_uv: float = math.nan

    @property
    def interpretable(self) -> bool:
        """True when the channel's normalised values can be stated as findings."""
        return self.check in INTERPRETABLE

    def to_dict(self) -> dict:
        """JSON-safe record (NaN as None), with ``interpretable``."""
        out = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
               for k, v in asdict(self).items()}
        out["interpretable"] = self.interpretable
        return out


def dead_channels(flags: Sequence[Sequence[str]], n_channels: int) -> np.ndarray:
    """Return ``(n_channels,)`` bool: the channels whose flags say they carry no EMG."""
    out = np.zeros(n_channels, bool)
    for j, f in enumerate(list(flags)[:n_channels]):
        out[j] = bool(set(f) & set(DEAD_FLAGS))
    return out


def masked_channels(env: np.ndarray, dead: np.ndarray | None) -> np.ndarray:
    """Return the envelope with its dead channels set to NaN (a copy only if any)."""
    if dead is None or not dead.any():
        return env
    out = np.array(env, copy=True)
    out[:, dead] = np.nan
    return out


def partial_reference(norm, mvc_env: list, dyn_env: list, names: list, fs: float):
    """Return the core's reference and sources of the channels that have one.

    :func:`emgkit.core.normalise.reference_with_sources` on those channels; NaN and None
    for the others (the core would refuse the whole session).
    """
    source = mvc_env if norm.method == "mvc" else dyn_env
    if not source:  # the core's own error
        return reference_with_sources(norm, mvc_env, dyn_env, names, fs_hz=fs)
    probe = (mvc_reference(source, norm, fs) if norm.method == "mvc"
             else peak_reference(source))
    good = np.isfinite(probe) & (probe > 0)
    if good.all():
        return reference_with_sources(norm, mvc_env, dyn_env, names, fs_hz=fs)
    ref, where = np.full(len(names), np.nan), [None] * len(names)
    cols = np.flatnonzero(good)
    if cols.size:
        sub_ref, sub_where = reference_with_sources(
            norm, [e[:, cols] for e in mvc_env], [e[:, cols] for e in dyn_env],
            [names[j] for j in cols], fs_hz=fs)
        ref[cols] = sub_ref
        for k, j in enumerate(cols):
            where[j] = sub_where[k]
    return ref, tuple(where)


def percent_of_reference(envelope_uv: np.ndarray, reference_uv: np.ndarray | None,
                         channel_names=None) -> np.ndarray:
    """Return the envelope in % of the reference, NaN for channels without one.

    :func:`emgkit.core.normalise` on the channels with a positive reference.
    """
    env = np.asarray(envelope_uv)
    if reference_uv is None:
        return env
    ref = np.asarray(reference_uv, dtype=np.float64)
    good = np.isfinite(ref) & (ref > 0)
    if good.all():
        return np.asarray(normalise(env, ref, channel_names))
    out = np.full(env.shape, np.nan, dtype=np.float32 if env.dtype == np.float32 else None)
    if good.any():
        out[:, good] = normalise(env[:, good], ref[good])
    return out


def rest_levels(rest_envelopes: Sequence[tuple[np.ndarray, np.ndarray]],
                n_channels: int) -> np.ndarray:
    """Mean of the envelope over the rest trials, per channel, leaving out dead ones.

    Parameters
    ----------
    rest_envelopes : sequence of (numpy.ndarray, numpy.ndarray)
        Per rest trial its ``(n_samples, n_channels)`` envelope in µV and its dead
        channels (:func:`dead_channels`).
    n_channels : int
        Number of channels.

    Returns
    -------
    numpy.ndarray
        ``(n_channels,)`` µV; NaN for a channel with no live rest trial.
    """
    total, count = np.zeros(n_channels), np.zeros(n_channels)
    for env, dead in rest_envelopes:
        e = np.asarray(env)
        if e.shape[0] == 0:
            continue
        m = e.mean(axis=0, dtype=np.float64)
        live = ~dead & np.isfinite(m)
        total[live] += m[live] * e.shape[0]
        count[live] += e.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def task_means(trials) -> tuple[np.ndarray, list[str]]:
    """Highest task mean per channel over the task trials, and its task.

    Parameters
    ----------
    trials : sequence of TrialMetrics
        The session's trials (MVC and rest trials are skipped).

    Returns
    -------
    values : numpy.ndarray
        ``(n_channels,)`` the highest, over tasks, of the mean over the task's
        repetitions (NaN where no task has a finite mean).
    tasks : list of str
        The task of each value (empty string where NaN).
    """
    by_task: dict[str, list[np.ndarray]] = {}
    n_ch = 0
    for tm in trials:
        n_ch = tm.mean.shape[1]
        if tm.trial.task.name in ("mvc", "rest") or tm.mean.shape[0] == 0:
            continue
        by_task.setdefault(tm.trial.task.name, []).append(tm.mean)
    best, which = np.full(n_ch, np.nan), [""] * n_ch
    for task, parts in by_task.items():
        m = np.concatenate(parts).mean(axis=0)
        for j in range(n_ch):
            if np.isfinite(m[j]) and not m[j] <= best[j]:
                best[j], which[j] = float(m[j]), task
    return best, which


def no_reference_reason(j: int, flags_by_trial: dict, trials: Sequence[str], what: str) -> str:
    """Say why channel ``j`` has no reference: its flags in the trials that would give it."""
    seen = []
    for tid in trials:
        dead = [f for f in flags_by_trial.get(tid, ((),) * (j + 1))[j] if f in DEAD_FLAGS]
        if dead:
            seen.append(f"{dead[0]} in {tid}")
    if seen and len(seen) == len(trials):
        return f"no usable {what} trial ({', '.join(seen)})"
    return f"no positive envelope value in the {what} trials"


def _label(name: str, muscle: str, side: str, label: str) -> str:
    return f"{muscle.replace('_', ' ')} ({side}{', ' + label if label else ''})"


def check_channels(montage, method: str, reference_uv, trials, rest_uv: np.ndarray,
                   flags_by_trial: dict, untargeted: Sequence[str] = ()
                   ) -> tuple[ChannelCheck, ...]:
    """Check the normalisation of every channel (see the module notes).

    Parameters
    ----------
    montage : Montage
        The session's montage.
    method : str
        ``mvc``, ``peak_dynamic`` or ``none``.
    reference_uv : numpy.ndarray or None
        ``(n_channels,)`` reference, NaN where a channel has none.
    trials : sequence of TrialMetrics
        The session's analysed trials.
    rest_uv : numpy.ndarray
        :func:`rest_levels` of the session.
    flags_by_trial : dict
        Trial id -> quality flags per channel.
    untargeted : sequence of str
        Channels whose reference comes from an MVC trial targeting another muscle (the
        reason then says so).
    """
    ids = [tm.trial.id for tm in trials if tm.trial.task.name == "mvc"]
    dyn = [tm.trial.id for tm in trials if tm.trial.task.name not in ("mvc", "rest")]
    task_pct, task_of = task_means(trials)
    out = []
    for j, c in enumerate(montage.channels):
        name = montage.names[j]
        base = dict(channel=name, muscle=c.muscle, side=c.side, label=c.label or "")
        ref = math.nan if reference_uv is None else float(reference_uv[j])
        if method == "none":
            out.append(ChannelCheck(**base, check="not_mvc"))
            continue
        if not (math.isfinite(ref) and ref > 0):
            mvc = method == "mvc"
            reason = no_reference_reason(j, flags_by_trial, ids if mvc else dyn,
                                         "MVC" if mvc else "task")
            out.append(ChannelCheck(**base, check="no_mvc_reference" if mvc else
                                    "no_reference", reason=reason))
            continue
        vals = dict(task_pct_mvc=float(task_pct[j]), task=task_of[j],
                    rest_uv=float(rest_uv[j]), reference_uv=ref)
        if method != "mvc":
            out.append(ChannelCheck(**base, check="not_mvc", **vals))
            continue
        out.append(ChannelCheck(**base, **_mvc_verdict(vals, name in untargeted), **vals))
    return tuple(out)


def _mvc_verdict(vals: dict, untargeted: bool) -> dict:
    """``check`` and ``reason`` of a channel that has an MVC reference."""
    ref, rest, pct = vals["reference_uv"], vals["rest_uv"], vals["task_pct_mvc"]
    hint = "; no MVC trial targets this muscle" if untargeted else ""
    if math.isfinite(rest) and ref < MIN_MVC_REST_RATIO * rest:
        return dict(check="mvc_not_above_rest", reason=(
            f"its MVC reference ({ref:.3g} µV) is not above {MIN_MVC_REST_RATIO:g} times its "
            f"rest level ({rest:.3g} µV): the MVC trial holds no effort of this muscle or "
            f"the electrode moved{hint}"))
    if math.isfinite(pct) and pct > TASK_MAX_PCT_MVC:
        return dict(check="task_above_150", reason=(
            f"its task mean reached {pct:.0f} % MVC in the {vals['task'].split(':')[-1]}; the "
            f"MVC effort was not maximal or the electrode moved{hint}"))
    return dict(check="ok")


def channel_phrase(c: ChannelCheck) -> str:
    """``vastus lateralis (left): its task mean reached 240 % MVC in the hinge; ...``."""
    return f"{_label(c.channel, c.muscle, c.side, c.label)}: {c.reason}"
