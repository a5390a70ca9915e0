"""Recovery of the simulator's truth by the analysis, for each MVC reference option.

Usage::

    python benchmarks/accuracy.py [--seeds 0 1 2 3 4] [--fs 250 1000]

Simulates the default lab session (default Cyton montage, 8 muscles: one MVC trial per
muscle group, 5 Romanian deadlifts at 60 kg, 5 back squats at 80 kg, every artefact of
the simulator on), runs :func:`emgkit.analysis.analyse_session` with the default
configuration except the MVC reference, and compares with the truth
(``docs/simulator.md``). Repetitions are found by the pipeline (no markers: from the
accelerometer; rows marked "markers": from the protocol markers, the true boundaries)
and matched to the true ones by order. Prints a Markdown table
(``docs/methods.md``). Errors are relative: ``estimate / truth - 1``.

The "oracle" row divides the microvolt envelope by the simulator's true MVC plateau RMS
(of the unfiltered signal, so its bias includes the power the band-pass removes): its
spread is what estimation noise alone leaves when the reference is known exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings

import numpy as np

from emgkit.analysis.metrics import analyse_session
from emgkit.core import LowSampleRateWarning
from emgkit.model.config import NormalisationConfig, ProcessingConfig
from emgkit.simulate import LabProtocol, default_montage, simulate_session


def _plateau(seconds: float) -> NormalisationConfig:
    return NormalisationConfig(mvc_reference="plateau_mean", mvc_plateau_s=seconds)


ORACLE = NormalisationConfig(method="none")
#: label -> (normalisation, repetitions from protocol markers instead of the accelerometer)
OPTIONS = {
    "highest 1 s mean (default)": (NormalisationConfig(), False),
    "highest 0.5 s mean": (_plateau(0.5), False),
    "highest 2 s mean": (_plateau(2.0), False),
    "peak, 250 ms": (NormalisationConfig(mvc_reference="peak"), False),
    "peak, 500 ms window": (NormalisationConfig(mvc_reference="peak", mvc_window_s=0.5), False),
    "peak, 1 s window": (NormalisationConfig(mvc_reference="peak", mvc_window_s=1.0), False),
    "true MVC level (oracle)": (ORACLE, False),
    "highest 1 s mean (default); markers": (NormalisationConfig(), True),
    "peak, 250 ms; markers": (NormalisationConfig(mvc_reference="peak"), True),
    "true MVC level (oracle); markers": (ORACLE, True),
}
MIN_PCT = 15.0


def session_errors(fs_hz: float, seed: int, norm: NormalisationConfig,
                   markers: bool = False) -> dict[str, list]:
    """Relative errors of one simulated session (lists, pooled later)."""
    session, truth = simulate_session(default_montage("cyton"), fs_hz, seed=seed,
                                      protocol=LabProtocol(rest_s=5.0), markers=markers)
    cfg = dataclasses.replace(ProcessingConfig(), normalisation=norm)
    sm = analyse_session(session, cfg)
    names = session.montage.names
    st, bf = names.index("semitendinosus_right"), names.index("biceps_femoris_right")
    out: dict[str, list] = {k: [] for k in (
        "rep_mean", "rep_peak", "task_mean", "task_peak", "hinge_squat", "medial_lateral",
        "boundary", "missed")}
    task_est, task_true = {}, {}
    # The oracle: microvolts over the true plateau RMS, in percent.
    scale = 100.0 / np.asarray(truth.mvc_rms_uv) if norm.method == "none" else 1.0
    for tm, tt in zip(sm.trials, truth.trials):
        if tm.trial.task.name not in ("hinge", "squat"):
            continue
        if len(tm.reps) != len(tt.reps):
            out["missed"].append(abs(len(tm.reps) - len(tt.reps)))
            continue
        true_mean = np.array([r.mean_pct_mvc for r in tt.reps])
        true_peak = np.array([r.peak_pct_mvc for r in tt.reps])
        for r, rt in zip(tm.reps, tt.reps):
            length = rt.end - rt.start
            out["boundary"].append(max(abs(r.start - rt.start), abs(r.end - rt.end)) / length)
        big = true_mean >= MIN_PCT
        mean, peak = tm.mean * scale, tm.peak * scale
        out["rep_mean"] += list((mean / true_mean - 1)[big])
        out["rep_peak"] += list((peak / true_peak - 1)[big])
        task = tm.trial.task.name
        task_est[task] = (mean.mean(axis=0), peak.mean(axis=0))
        task_true[task] = (true_mean.mean(axis=0), true_peak.mean(axis=0))
        out["medial_lateral"].append(
            (task_est[task][0][st] / task_est[task][0][bf])
            / (task_true[task][0][st] / task_true[task][0][bf]) - 1)
    for task in task_est:
        big = task_true[task][0] >= MIN_PCT
        out["task_mean"] += list((task_est[task][0] / task_true[task][0] - 1)[big])
        out["task_peak"] += list((task_est[task][1] / task_true[task][1] - 1)[big])
    if {"hinge", "squat"} <= set(task_est):
        big = (task_true["hinge"][0] >= MIN_PCT) & (task_true["squat"][0] >= MIN_PCT)
        est = task_est["hinge"][0] / task_est["squat"][0]
        tru = task_true["hinge"][0] / task_true["squat"][0]
        out["hinge_squat"] += list((est / tru - 1)[big])
    return out


def _fmt(errs: list) -> str:
    e = 100 * np.asarray(errs, dtype=float)
    if e.size == 0:
        return "-"
    return f"{e.mean():+.1f} ± {e.std(ddof=1):.1f} / {np.abs(e).max():.1f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--fs", type=float, nargs="+", default=[250.0, 1000.0])
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", LowSampleRateWarning)
    t0 = time.perf_counter()
    print("| fs | MVC reference | rep mean %MVC | rep peak %MVC | task mean %MVC | "
          "task peak %MVC | hinge/squat ratio | medial:lateral | rep edges (max, % of rep) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fs in args.fs:
        for label, (norm, markers) in OPTIONS.items():
            pooled: dict[str, list] = {}
            for seed in args.seeds:
                for k, v in session_errors(fs, seed, norm, markers).items():
                    pooled.setdefault(k, []).extend(v)
            edges = 100 * max(pooled["boundary"]) if pooled["boundary"] else float("nan")
            missed = f", {sum(pooled['missed'])} trials miscounted" if pooled["missed"] else ""
            print(f"| {fs:g} Hz | {label} | {_fmt(pooled['rep_mean'])} | "
                  f"{_fmt(pooled['rep_peak'])} | {_fmt(pooled['task_mean'])} | "
                  f"{_fmt(pooled['task_peak'])} | {_fmt(pooled['hinge_squat'])} | "
                  f"{_fmt(pooled['medial_lateral'])} | {edges:.1f}{missed} |")
    print(f"\nseeds {args.seeds}; cells: mean signed error ± SD / max |error| in % of the "
          f"truth, muscles >= {MIN_PCT:g} % MVC; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
