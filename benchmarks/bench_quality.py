"""Calibration of the quality flags as a diagnostic test (``docs/quality.md``).

Clean simulated sessions at 200-2000 Hz (a calibration set and a held-out set of other
seeds, loads and variants), the same channels with injected faults, and the real
recordings of ``datasets/``: per flag and rate, the fraction of clean channel-trials
flagged and the fraction of injected faults detected. Prints the tables; writes only
under ``--out`` (``flags.csv``, ``summary.json``)::

    nice -n 10 python3 benchmarks/bench_quality.py --out /tmp/bench_quality
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emgkit.core import LowSampleRateWarning, filter_emg
from emgkit.core.quality import (
    FLAG_ORDER,
    assess_crosstalk,
    assess_quality,
    hamstring_pairs,
)
from emgkit.simulate import (
    Clipping,
    LabProtocol,
    LeadOff,
    RailedChannel,
    TrialSpec,
    default_montage,
    simulate_session,
    simulate_trial,
)
from emgkit.simulate.faults import (
    BaselineWander,
    CorruptSamples,
    Crosstalk,
    EcgPickup,
    MainsPickup,
    MotionArtefact,
)

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
RATES = (200.0, 250.0, 500.0, 1000.0, 2000.0)
MONTAGE = default_montage("cyton")
REGIONS = [MONTAGE.muscle(c.muscle).region for c in MONTAGE.channels]
PAIRS = hamstring_pairs(MONTAGE)


def _protocols(held_out: bool) -> list[tuple[str, LabProtocol]]:
    """Activation levels: loads for calibration; other loads, variants, styles held out."""
    if not held_out:
        return [(f"rdl{h:g}/squat{s:g}", LabProtocol(
            hinge=TrialSpec("hinge", variant="romanian_deadlift", load_kg=h),
            squat=TrialSpec("squat", variant="back_squat", load_kg=s)))
            for h, s in ((30, 40), (60, 80), (100, 120))]
    return [
        ("low_back_rdl80/front_squat60", LabProtocol(
            hinge=TrialSpec("hinge", variant="romanian_deadlift", load_kg=80, style="low_back"),
            squat=TrialSpec("squat", variant="front_squat", load_kg=60))),
        ("kb_swing32/goblet_squat16", LabProtocol(
            hinge=TrialSpec("hinge", variant="kettlebell_swing", load_kg=32, n_reps=10),
            squat=TrialSpec("squat", variant="goblet_squat", load_kg=16, fatigue=0.5))),
    ]


def _flags(emg, fs, rest=None, full_scale=187500.0, mains=50.0, regions=REGIONS):
    q = assess_quality(emg, fs, full_scale_uv=full_scale, mains_hz=mains, rest_uv=rest,
                       regions=regions)
    flags = [list(f) for f in q.flags]
    if len(regions) == len(REGIONS):
        xt = assess_crosstalk(filter_emg(emg, fs, regions, mains_hz=mains), fs, PAIRS)
        for j, f in enumerate(xt.channel_flags(len(flags))):
            flags[j] += list(f)
    return flags, q


def clean_rows(seeds, held_out: bool) -> list[dict]:
    """Flags of every channel-trial of clean sessions (rest trial as baseline)."""
    rows = []
    for fs in RATES:
        for seed in seeds:
            for label, protocol in _protocols(held_out):
                session, _ = simulate_session(MONTAGE, fs, seed=seed, protocol=protocol)
                rest = session.trials[0].emg_uv
                for k, t in enumerate(session.trials):
                    flags, _ = _flags(t.emg_uv, fs, None if k == 0 else rest)
                    for j, f in enumerate(flags):
                        rows.append(dict(set="held_out" if held_out else "calibration",
                                         fs=fs, seed=seed, protocol=label, trial=t.id,
                                         task=t.task.name, channel=MONTAGE.names[j],
                                         fault="", flags=",".join(f)))
    return rows


#: Injected faults: (name, expected flag, column, factory(clean trial, fs) -> fault).
def _clip(col):
    def make(clean, fs):
        x = clean.emg_uv[:, col].astype(np.float64)
        dc = float(np.median(x))
        return Clipping(col + 1, limit_uv=0.5 * float(np.max(np.abs(x - dc))))
    return make


def _crosstalk(clean, fs):
    """Biceps femoris leaking into semitendinosus at half the latter's own in-band RMS."""
    y = filter_emg(clean.emg_uv, fs, "limb", mains_hz=50.0)
    rms = np.sqrt(np.mean(np.square(y[:, :2], dtype=np.float64), axis=0))
    return Crosstalk(1, source=2, gain=0.5 * float(rms[0] / rms[1]))


GROUPS = (
    (("crosstalk", "crosstalk", 0, _crosstalk),
     ("lead_off", "lead_off", 2, lambda c, fs: LeadOff(3, mode="dc")),
     ("railed", "railed", 3, lambda c, fs: RailedChannel(4)),
     ("mains", "mains", 4, lambda c, fs: MainsPickup(5, amplitude_uv=200.0)),
     ("motion", "motion", 5, lambda c, fs: MotionArtefact(6, amplitude_uv=2000.0)),
     ("ecg", "ecg", 6, lambda c, fs: EcgPickup(7, r_uv=1000.0)),
     ("corrupt_packets", "spikes", 7, lambda c, fs: CorruptSamples(8, n_samples=3))),
    (("flat", "flat", 0, lambda c, fs: LeadOff(1, mode="flat")),
     ("clipping", "clipping", 1, _clip(1)),
     ("baseline_wander", "motion", 2, lambda c, fs: BaselineWander(3, amplitude_uv=3000.0)),
     ("corrupt_packets", "spikes", 4, lambda c, fs: CorruptSamples(5, n_samples=3)),
     ("lead_off", "lead_off", 5, lambda c, fs: LeadOff(6, mode="dc")),
     ("motion", "motion", 6, lambda c, fs: MotionArtefact(7, amplitude_uv=2000.0)),
     ("ecg", "ecg", 7, lambda c, fs: EcgPickup(8, r_uv=1000.0))),
)
FAULT_TASKS = (TrialSpec("rest", duration_s=10.0), TrialSpec("hinge"), TrialSpec("squat"),
               TrialSpec("mvc", target="hamstrings"))


def fault_rows(seeds) -> list[dict]:
    """Flags of trials with injected faults; one row per faulty channel."""
    rows = []
    for fs in RATES:
        for seed in seeds:
            for spec in FAULT_TASKS:
                clean, _ = simulate_trial(MONTAGE, fs, spec, seed=seed)
                for group in GROUPS:
                    faults = [make(clean, fs) for _, _, _, make in group]
                    trial, _ = simulate_trial(MONTAGE, fs, spec, seed=seed, faults=faults)
                    flags, _ = _flags(trial.emg_uv, fs)
                    for name, want, col, _ in group:
                        rows.append(dict(set="faults", fs=fs, seed=seed, protocol="",
                                         trial=str(spec.task), task=str(spec.task),
                                         channel=MONTAGE.names[col], fault=name,
                                         expected=want, flags=",".join(flags[col])))
    return rows


def _elderly():
    names = ["vastus_lateralis", "biceps_femoris", "tibialis_anterior", "gastrocnemius_lat"]
    for e in ("VL", "BF", "TA", "LG"):
        x = pd.read_csv(DATASETS / "elderly_isometric" / f"ID_1_EMG_{e}.csv").to_numpy()
        yield f"elderly_{e}", x, 2000.0, None, names, ["good"] * 3 + ["lead_off"]


def _uci():
    for f in ("1Nsen", "1Asen"):
        lines = (DATASETS / "uci_lower_limb" / f"{f}.txt").read_text().splitlines()
        n = int(lines[1].split(",")[1].split()[0])
        x = np.array([r.split("\t")[:4] for r in lines[7:7 + n]], float) * 1000.0
        yield f"uci_{f}", x, 1000.0, 60.0, ["RF", "BF", "VM", "ST"], ["good"] * 4


def _openbci():
    from emgkit.io.readers import read_recording

    for f, expect in (("OpenBCI-RAW-S02_S1R0.txt.gz", ["myoware"] * 2 + ["flat"] * 2),
                      ("OpenBCI-RAW-S02_S1REST.txt.gz", ["myoware"] * 2 + ["flat"] * 2)):
        r = read_recording(DATASETS / "openbci_ganglion_myoware" / f)
        yield (f"ganglion_{f[11:-7]}", r.emg_uv, r.fs_hz, 50.0, [f"in{j + 1}" for j in range(4)],
               expect)
    r = read_recording(DATASETS / "openbci_gui_cyton" / "OpenBCI_2016-02-13_Jordan_focus.txt.gz")
    yield ("cyton_Jordan_focus", r.emg_uv, r.fs_hz, None, [f"in{j + 1}" for j in range(8)],
           ["clipping", "clipping", "railed", "eeg", "railed", "railed", "eeg", "railed"])
    r = read_recording(DATASETS / "openbci_gui_cyton" /
                       "OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz")
    yield ("cyton_v6_eeg_sample", r.emg_uv, r.fs_hz, None, [f"in{j + 1}" for j in range(8)],
           ["eeg"] * 8)


def real_sets():
    """Real recordings: (name, emg_uv, fs_hz, mains_hz, channel names, expectation)."""
    yield from _elderly()
    x = pd.read_csv(DATASETS / "santuz_gait" / "ID0012_TW_01_emg.csv")
    yield ("santuz_gait", x.to_numpy()[:, 1:], 1000.0, None, list(x.columns[1:]),
           ["good"] * 13)
    yield from _uci()
    b = np.loadtxt(DATASETS / "biosppy" / "emg_1.txt").reshape(-1, 1) * 0.8057
    yield "biosppy", b, 1000.0, None, ["emg"], ["good"]
    a = np.loadtxt(DATASETS / "uci_physical_action" / "sub01_Bowing.txt")  # counts, 1 kHz
    yield ("uci_action_bowing", a, 1000.0, None,
           ["R_biceps", "L_biceps", "R_triceps", "L_triceps", "R_thigh", "L_thigh",
            "R_hamstring", "L_hamstring"],
           ["good"] * 4 + ["clips at 4000", "clips at 4000", "clips at 4000", "good"])
    yield from _openbci()


def real_rows() -> list[dict]:
    """Flags of the real recordings' channels, with what the manifest says of each."""
    rows = []
    for name, x, fs, mains, names, expect in real_sets():
        x = np.asarray(x, np.float32)
        fsc = 187500.0 if name.startswith("cyton") else None
        q = assess_quality(x, fs, full_scale_uv=fsc, mains_hz=mains)
        flags = [list(f) for f in q.flags]
        if "ST" in names and "BF" in names:
            pair = (names.index("ST"), names.index("BF"))
            xt = assess_crosstalk(filter_emg(x, fs, "limb", mains_hz=q.mains_hz), fs, [pair])
            for j, f in enumerate(xt.channel_flags(len(flags))):
                flags[j] += list(f)
            print(f"  crosstalk {name} ST:BF r = {xt.r[0]:.3f} at {xt.lag_s[0] * 1e3:+.1f} ms")
        for j, f in enumerate(flags):
            rows.append(dict(set="real", fs=fs, seed=-1, protocol=name, trial=name, task="",
                             channel=names[j], fault="", expected=expect[j],
                             flags=",".join(f)))
    return rows


def _clean_table(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for fs, g in df.groupby("fs"):
        sets = g["flags"].str.split(",")
        out[f"{fs:g} Hz (n={len(g)})"] = {
            f: f"{100 * np.mean([f in s for s in sets]):.2f} %" for f in FLAG_ORDER}
    return pd.DataFrame(out)


def _fault_table(df: pd.DataFrame) -> pd.DataFrame:
    out = defaultdict(dict)
    for (fault, fs), g in df.groupby(["fault", "fs"]):
        hit = [e in s.split(",") for e, s in zip(g["expected"], g["flags"])]
        out[f"{fs:g} Hz"][f"{fault} -> {g['expected'].iloc[0]}"] = \
            f"{sum(hit)}/{len(hit)}"
    return pd.DataFrame(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="directory for flags.csv, "
                    "summary.json (created)")
    ap.add_argument("--seeds", type=int, default=4, help="calibration seeds per rate and load")
    ap.add_argument("--fault-seeds", type=int, default=4)
    ap.add_argument("--held-out-seeds", type=int, default=3)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", LowSampleRateWarning)
    pd.set_option("display.width", 200)
    t0 = time.time()
    print("real recordings")
    rows = real_rows()
    rows += clean_rows(range(args.seeds), held_out=False)
    rows += clean_rows(range(200, 200 + args.held_out_seeds), held_out=True)
    rows += fault_rows(range(args.fault_seeds))
    df = pd.DataFrame(rows).fillna("")
    tables = {}
    for s in ("calibration", "held_out"):
        tables[s] = _clean_table(df[df["set"] == s])
        print(f"\nclean simulated, {s}: channel-trials flagged, per flag and rate")
        print(tables[s].to_string())
    tables["faults"] = _fault_table(df[df["set"] == "faults"])
    print("\ninjected faults: detected / injected, per fault type and rate")
    print(tables["faults"].to_string())
    real = df[df["set"] == "real"][["protocol", "channel", "expected", "flags"]]
    print("\nreal recordings: flags per channel (expected from datasets/MANIFEST.md)")
    print(real.to_string(index=False))
    elapsed = time.time() - t0
    print(f"\n{len(df)} channel-trials in {elapsed:.0f} s on {platform.machine()} "
          f"({platform.python_version()})")
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "flags.csv", index=False)
    (args.out / "summary.json").write_text(json.dumps(
        {k: v.to_dict() for k, v in tables.items()} | {"elapsed_s": elapsed}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
