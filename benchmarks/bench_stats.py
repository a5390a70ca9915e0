"""False-positive rate, power and cluster span of the group statistics (``docs/statistics.md``).

Simulated groups of ``--subjects`` subjects x ``--reps`` repetitions of a hinge and a
squat, generated at the level the statistics see, not through the signal pipeline (200
full simulated sessions per condition would take tens of minutes for nothing the
statistics can tell apart): per repetition a mean %MVC for the mixed model
(:func:`emgkit.analysis.mixed.fit_task_effect`) and a 101-point %MVC curve for SPM
(:func:`emgkit.analysis.spm.spm_paired` on the subjects' mean curves).

The variation is calibrated to the simulator (``emgkit.simulate``; ``--calibrate`` measures
it again from full simulated sessions through :func:`emgkit.analysis.analyse_session`):

- a subject factor ``f_s ~ N(1, CV_BETWEEN)`` on every value of the subject (in the
  simulator it comes from the subject's own MVC reference, which scales hinge and squat
  alike): between-subject CV 4.5 % of the level, the median over channels and tasks;
- a repetition factor ``N(1, CV_REP)`` (the simulator's ``amp_jitter``) times, along the
  curve, ``1 + e(p)`` with ``e`` Gaussian noise smoothed to ``FWHM_PCT`` % of the
  repetition (the 250 ms RMS envelope over a 4 s repetition) of SD ``CV_CURVE``; together
  the repetition means vary by 6.3 % (within-subject CV, the simulator's median).

Conditions: no difference (false-positive rate at alpha = 0.05), a difference of
``--diff`` (a fraction of the curve) over the whole repetition (power), a difference of
``--span-diff`` (a fraction of the curve) confined to 30-70 % of the repetition (the
extent the significant SPM clusters cover), and no difference with three times the
between-subject spread::

    nice -n 10 python3 benchmarks/bench_stats.py --sims 200 --null-sims 1000
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emgkit.analysis.mixed import MIXED, fit_task_effect
from emgkit.analysis.spm import spm_paired

LEVEL_PCT = 40.0
CV_BETWEEN = 0.045
CV_REP = 0.055
CV_CURVE = 0.12
FWHM_PCT = 8.0
N_POINTS = 101
SPAN = (30.0, 70.0)


def _shape(n_points: int = N_POINTS) -> np.ndarray:
    """The hamstrings' burst of the simulator (peak at 60 %, k = 2.5), mean 1."""
    p = np.linspace(0, 1, n_points)
    c, k = 0.6, 2.5
    with np.errstate(divide="ignore"):
        s = np.exp(c * k * np.log(np.maximum(p, 1e-12) / c)
                   + (1 - c) * k * np.log(np.maximum(1 - p, 1e-12) / (1 - c)))
    return s / s.mean()


def _smooth_noise(rng: np.random.Generator, n: int, n_points: int, fwhm: float) -> np.ndarray:
    """``(n, n_points)`` Gaussian noise smoothed to ``fwhm`` points, unit SD."""
    sigma = fwhm / 2.3548
    pad = int(4 * sigma) + 1
    k = np.exp(-0.5 * (np.arange(-pad, pad + 1) / sigma) ** 2)
    k /= np.sqrt((k**2).sum())
    x = rng.standard_normal((n, n_points + 2 * pad))
    return np.stack([np.convolve(r, k, mode="valid") for r in x])


def simulate_group(rng: np.random.Generator, n_subjects: int = 12, n_reps: int = 5,
                   diff_rel: float = 0.0, span: tuple[float, float] | None = None,
                   cv_between: float = CV_BETWEEN):
    """One simulated group.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    n_subjects, n_reps : int
        Subjects, and repetitions of each task per subject.
    diff_rel : float
        Hinge minus squat as a fraction of the curve, over the whole repetition (``span``
        None; ``0.025``: 1 %MVC on the 40 %MVC mean) or within ``span`` (``0.15``: 15 %
        more from 30 to 70 %). Relative, as the simulator's levels are: an additive
        difference would dominate where the curve, and so its noise, is near zero.
    span : tuple of float, optional
        Where the difference is, in % of the repetition.
    cv_between : float
        Between-subject CV of the subject factor.

    Returns
    -------
    reps : pandas.DataFrame
        Per repetition: subject, session, task, variant, load_kg, value (mean %MVC).
    curves : dict of str to numpy.ndarray
        ``hinge`` and ``squat``: ``(n_subjects, n_reps, n_points)`` %MVC curves.
    """
    base = LEVEL_PCT * _shape()
    pct = np.linspace(0, 100, N_POINTS)
    inside = np.ones(N_POINTS, bool) if span is None else (pct >= span[0]) & (pct <= span[1])
    extra = np.where(inside, diff_rel * base, 0.0)
    f = 1 + cv_between * rng.standard_normal(n_subjects)
    curves = {}
    for task, mean in (("hinge", base + extra), ("squat", base)):
        amp = 1 + CV_REP * rng.standard_normal((n_subjects, n_reps, 1))
        e = CV_CURVE * _smooth_noise(rng, n_subjects * n_reps, N_POINTS, FWHM_PCT)
        curves[task] = f[:, None, None] * amp * mean * (1 + e.reshape(n_subjects, n_reps, -1))
    rows = [(f"s{s:02d}", f"s{s:02d}", task, "", np.nan, float(v))
            for task, c in curves.items() for s in range(n_subjects)
            for v in c[s].mean(axis=1)]
    reps = pd.DataFrame(rows, columns=["subject", "session", "task", "variant", "load_kg",
                                       "value"])
    return reps, curves


def run_condition(n_sims: int, seed: int, diff_rel: float = 0.0, span=None,
                  n_subjects: int = 12, n_reps: int = 5, cv_between: float = CV_BETWEEN,
                  alpha: float = 0.05) -> dict:
    """Simulate ``n_sims`` groups; rejection rates, fallbacks and SPM cluster ends."""
    rng = np.random.default_rng(seed)
    mixed_rej = spm_rej = fallbacks = 0
    ends = []
    for _ in range(n_sims):
        reps, curves = simulate_group(rng, n_subjects, n_reps, diff_rel, span, cv_between)
        fit = fit_task_effect(reps, alpha)
        fallbacks += fit.method != MIXED
        mixed_rej += bool(fit.p < alpha)
        res = spm_paired(curves["hinge"].mean(axis=1), curves["squat"].mean(axis=1), alpha)
        sig = [c for c in res.clusters if c.p < alpha]
        spm_rej += bool(sig)
        if sig:  # the extent the significant clusters cover together
            ends.append((min(c.start_pct for c in sig), max(c.end_pct for c in sig)))
    out = {"sims": n_sims, "diff_rel": diff_rel, "span": span, "mixed_reject": mixed_rej
           / n_sims, "mixed_fallbacks": fallbacks, "spm_reject": spm_rej / n_sims}
    if span is not None and ends:
        e = np.array(ends)
        err = np.abs(e - np.array(span))
        out.update(start_median=float(np.median(e[:, 0])), end_median=float(np.median(e[:, 1])),
                   within_10=float(np.mean((err <= 10).all(axis=1))), n_clusters=len(ends))
    return out


def calibrate(n_subjects: int = 8) -> dict:
    """Within- and between-subject CV of the repetition means, from full simulated sessions."""
    import warnings

    from emgkit.analysis import analyse_session, metrics_table
    from emgkit.core import LowSampleRateWarning
    from emgkit.simulate import default_montage, simulate_session

    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        for seed in range(n_subjects):
            s, _ = simulate_session(default_montage("cyton"), 250.0, seed=seed, markers=True,
                                    subject=f"s{seed}")
            frames.append(metrics_table([analyse_session(s)]))
    d = pd.concat(frames)
    d = d[d["task"].isin(("hinge", "squat"))]
    cw, cb = [], []
    for _, g in d.groupby(["muscle", "side", "task"]):
        m = g.groupby("subject")["mean_pct_mvc"].mean()
        sw = np.sqrt((g.groupby("subject")["mean_pct_mvc"].std(ddof=1) ** 2).mean())
        n = g.groupby("subject").size().mean()
        cw.append(sw / m.mean())
        cb.append(np.sqrt(max(m.var(ddof=1) - sw**2 / n, 0.0)) / m.mean())
    return {"cv_within_median": float(np.median(cw)), "cv_between_median": float(np.median(cb)),
            "cv_between_max": float(np.max(cb)), "subjects": n_subjects}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=200, help="simulations with a difference")
    ap.add_argument("--null-sims", type=int, default=1000,
                    help="simulations without (binomial SE of a 5 %% rate: 0.7 %%)")
    ap.add_argument("--subjects", type=int, default=12)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--diff", type=float, default=0.025,
                    help="known difference, fraction of the curve (0.025: 1 %%MVC)")
    ap.add_argument("--span-diff", type=float, default=0.15,
                    help="difference within 30-70 %%, as a fraction of the curve")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    result = {"date": _dt.date.today().isoformat(), "machine": platform.platform(),
              "python": platform.python_version(), "args": {k: str(v) for k, v in
                                                           vars(args).items()}}
    if args.calibrate:
        result["calibration"] = calibrate()
    common = dict(n_subjects=args.subjects, n_reps=args.reps)
    result["null"] = run_condition(args.null_sims, args.seed, **common)
    result["power"] = run_condition(args.sims, args.seed + 1, args.diff, **common)
    result["span"] = run_condition(args.sims, args.seed + 2, args.span_diff, SPAN, **common)
    result["null_3x_spread"] = run_condition(args.null_sims, args.seed + 3,
                                             cv_between=3 * CV_BETWEEN, **common)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_stats.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
