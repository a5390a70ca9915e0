"""The ground truth of simulated trials and sessions.

Definitions (see ``docs/simulator.md``): the EMG of a channel is
``activation(t) * mvc_rms_uv * n(t)`` with ``n`` unit-variance shaped noise, so
activation 1.0 is 100 % MVC, by construction. For a repetition ``[start, end)``:

- ``mean_pct_mvc`` = 100 x mean of the activation over its samples;
- ``peak_pct_mvc`` = 100 x max of the activation;
- ``env_mean_pct_mvc`` / ``env_peak_pct_mvc``: the same of the *noise-free RMS
  envelope* ``100 sqrt(centred moving mean of activation^2)`` over ``env_window_s``
  (250 ms by default, windows truncated at the trial ends), which is what a pipeline's
  RMS envelope estimates before noise;
- ``median_freq_hz``: median frequency of the simulated EMG spectrum between 20 Hz and
  min(450 Hz, 0.45 fs) at the repetition's mean fatigue mixing weight.

Sample indices are those of the stored trial (after any lost packets were removed).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from emgkit.core._common import LowSampleRateWarning
from emgkit.core.chain import band_edges
from emgkit.model.config import FilterConfig
from emgkit.simulate.activation import TrialPlan
from emgkit.simulate.spectrum import median_frequency_hz

_DECIMALS = 4


def _r(values) -> tuple[float, ...]:
    return tuple(round(float(v), _DECIMALS) for v in np.atleast_1d(values))


@dataclass(frozen=True)
class RepTruth:
    """Truth of one repetition (or MVC effort); per-channel tuples in montage order."""

    set_index: int
    rep: int
    start: int
    end: int
    mean_pct_mvc: tuple[float, ...]
    peak_pct_mvc: tuple[float, ...]
    env_mean_pct_mvc: tuple[float, ...]
    env_peak_pct_mvc: tuple[float, ...]
    median_freq_hz: tuple[float, ...]

    def to_dict(self) -> dict:
        """Return a JSON-safe dict."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class GapTruth:
    """Lost packets: ``n_missing`` samples removed before stored sample ``sample``."""

    sample: int
    n_missing: int
    original_sample: int


@dataclass(frozen=True)
class TrialTruth:
    """Truth of one simulated trial.

    Attributes
    ----------
    trial_id, task, target, variant, load_kg, style
        The trial.
    fs_hz : float
        Sampling rate.
    n_samples : int
        Stored samples (after lost packets).
    channels, muscles, sides : tuple of str
        Montage order.
    mvc_rms_uv : tuple of float
        RMS at 100 % MVC per channel.
    reps : tuple of RepTruth
        Repetitions (MVC trials: efforts), in time order.
    gaps : tuple of GapTruth
        Lost packets.
    faults : tuple of str
        The faults applied (their reprs).
    stream_start : int
        Session sample index of the trial's first sample in the continuous stream layout
        (:class:`emgkit.simulate.SessionStream`); the packet counter follows it.
    env_window_s : float
        Window of the ``env_*`` truths.
    """

    trial_id: str
    task: str
    target: str | None
    variant: str | None
    load_kg: float | None
    style: str
    fs_hz: float
    n_samples: int
    channels: tuple[str, ...]
    muscles: tuple[str, ...]
    sides: tuple[str, ...]
    mvc_rms_uv: tuple[float, ...]
    reps: tuple[RepTruth, ...]
    gaps: tuple[GapTruth, ...]
    faults: tuple[str, ...]
    stream_start: int
    env_window_s: float
    plan: TrialPlan | None = field(default=None, repr=False, compare=False)
    kept: np.ndarray | None = field(default=None, repr=False, compare=False)

    def mean_pct_mvc(self) -> dict[str, float]:
        """Return the mean over repetitions of each channel's ``mean_pct_mvc``."""
        if not self.reps:
            return {}
        m = np.mean([r.mean_pct_mvc for r in self.reps], axis=0)
        return dict(zip(self.channels, _r(m)))

    def activation(self) -> np.ndarray:
        """Return the activation of the stored samples, float64 ``(n_samples, n_channels)``."""
        if self.plan is None:
            raise ValueError("this truth carries no plan (it was read back from a dict)")
        a = self.plan.activation(0, self.plan.n_samples)
        return a if self.kept is None else a[self.kept]

    def to_dict(self) -> dict:
        """Return a JSON-safe dict (without the activation time series)."""
        d = {k: getattr(self, k) for k in (
            "trial_id", "task", "target", "variant", "load_kg", "style", "fs_hz", "n_samples",
            "stream_start", "env_window_s")}
        d.update(channels=list(self.channels), muscles=list(self.muscles),
                 sides=list(self.sides), mvc_rms_uv=list(self.mvc_rms_uv),
                 reps=[r.to_dict() for r in self.reps], gaps=[vars(g) for g in self.gaps],
                 faults=list(self.faults), mean_pct_mvc=self.mean_pct_mvc())
        return d


@dataclass(frozen=True)
class SessionTruth:
    """Truth of a simulated session: its trials' truths and the per-task means."""

    subject: str
    seed: int
    fs_hz: float
    channels: tuple[str, ...]
    mvc_rms_uv: tuple[float, ...]
    trials: tuple[TrialTruth, ...]

    def trial(self, trial_id: str) -> TrialTruth:
        """Return the truth of one trial."""
        for t in self.trials:
            if t.trial_id == trial_id:
                return t
        raise KeyError(f"no trial {trial_id!r}; trials are {[t.trial_id for t in self.trials]}")

    def task_mean_pct_mvc(self, task: str, variant: str | None = None,
                          peak: bool = False) -> dict[str, float]:
        """Return the mean over all repetitions of a task (and variant) per channel.

        Parameters
        ----------
        task : str
            ``hinge``, ``squat``, ``mvc``...
        variant : str, optional
            Restrict to one variant.
        peak : bool
            Average the repetitions' peak instead of their mean.
        """
        reps = [r for t in self.trials if t.task == task
                and (variant is None or t.variant == variant) for r in t.reps]
        if not reps:
            return {}
        m = np.mean([r.peak_pct_mvc if peak else r.mean_pct_mvc for r in reps], axis=0)
        return dict(zip(self.channels, _r(m)))

    def rows(self) -> list[dict]:
        """Return one row per trial x repetition x channel, like the metrics table."""
        out = []
        for t in self.trials:
            for r in t.reps:
                for i, ch in enumerate(t.channels):
                    out.append({
                        "subject": self.subject, "trial": t.trial_id, "task": t.task,
                        "variant": t.variant, "load_kg": t.load_kg, "rep": r.rep,
                        "set": r.set_index, "muscle": t.muscles[i], "side": t.sides[i],
                        "channel": ch, "start": r.start, "end": r.end,
                        "start_s": r.start / t.fs_hz, "end_s": r.end / t.fs_hz,
                        "mean_pct_mvc": r.mean_pct_mvc[i], "peak_pct_mvc": r.peak_pct_mvc[i],
                        "env_mean_pct_mvc": r.env_mean_pct_mvc[i],
                        "env_peak_pct_mvc": r.env_peak_pct_mvc[i],
                        "median_freq_hz": r.median_freq_hz[i],
                    })
        return out

    def to_dict(self) -> dict:
        """Return a JSON-safe dict: the trials and the per-task means."""
        tasks = {}
        for t in self.trials:
            if t.reps and t.task != "mvc":
                key = f"{t.task}/{t.variant}" if t.variant else t.task
                tasks[key] = self.task_mean_pct_mvc(t.task, t.variant)
        return {"subject": self.subject, "seed": self.seed, "fs_hz": self.fs_hz,
                "channels": list(self.channels), "mvc_rms_uv": list(self.mvc_rms_uv),
                "task_mean_pct_mvc": tasks, "trials": [t.to_dict() for t in self.trials]}

    def to_json(self, **kwargs) -> str:
        """Return :meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), **kwargs)


def rep_truths(plan: TrialPlan, psd: tuple[np.ndarray, np.ndarray, np.ndarray],
               kept_index, env_window_s: float) -> tuple[RepTruth, ...]:
    """Compute the truth of every burst of a plan.

    Parameters
    ----------
    plan : TrialPlan
        The trial's schedule.
    psd : tuple
        ``(f_hz, psd_fresh, psd_fatigued)`` from :func:`~emgkit.simulate.spectrum.realised_psd`.
    kept_index : callable
        Maps original trial sample indices to stored ones (lost packets).
    env_window_s : float
        RMS envelope window for the ``env_*`` truths.
    """
    fs, n = plan.fs_hz, plan.n_samples
    h = int(env_window_s * fs / 2)  # the core's odd window: 2 * floor(w fs / 2) + 1
    f, p0, p1 = psd
    with warnings.catch_warnings():  # the truth is computed at any rate, quietly
        warnings.simplefilter("ignore", LowSampleRateWarning)
        band = band_edges(FilterConfig(), fs)  # the band the default chain applies
    out = []
    for b in plan.bursts:
        a = plan.activation(b.start, b.end)
        lo, hi = max(b.start - h, 0), min(b.end + h, n)
        sq = np.square(plan.activation(lo, hi))
        c = np.concatenate((np.zeros((1, sq.shape[1])), np.cumsum(sq, axis=0)))
        i = np.arange(b.start, b.end)
        left, right = np.maximum(i - h, lo) - lo, np.minimum(i + h + 1, hi) - lo
        env = np.sqrt((c[right] - c[left]) / (right - left)[:, None])
        w = float(np.mean(plan.fatigue_weight(i.astype(np.float64))))
        mdf = median_frequency_hz(f, (1 - w) * p0 + w * p1, band)
        out.append(RepTruth(b.set_index, b.rep, int(kept_index(b.start)), int(kept_index(b.end)),
                            _r(100 * a.mean(axis=0)), _r(100 * a.max(axis=0)),
                            _r(100 * env.mean(axis=0)), _r(100 * env.max(axis=0)), _r(mdf)))
    return tuple(out)
