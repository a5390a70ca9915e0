"""Real treadmill walking (Santuz et al. 2019): gait cycles from the envelopes.

The session is built in memory from the CSV: 13 muscles of the right leg at 1000 Hz;
FL (tensor fasciae latae) and PL (peroneus longus) are not in the vocabulary and are
added through the montage's extra muscles. The task is ``other:walk``; the
configuration names its prime movers (the knee and hip extensors, active from just
before touchdown through loading response), uses cycles (touchdown to touchdown), a
100 ms RMS window (gait bursts last 0.3-0.5 s) and peak-dynamic normalisation (no MVC).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from emgkit.analysis.metrics import analyse_session
from emgkit.analysis.tables import metrics_table
from emgkit.model.config import (
    EnvelopeConfig,
    NormalisationConfig,
    ProcessingConfig,
    SegmentationConfig,
)
from emgkit.model.montage import Channel, Montage
from emgkit.model.muscles import Muscle
from emgkit.model.session import Device, Session, Trial
from emgkit.model.tasks import parse_task

MUSCLES = {"ME": "gluteus_medius", "MA": "gluteus_maximus", "FL": "tensor_fasciae_latae",
           "RF": "rectus_femoris", "VM": "vastus_medialis", "VL": "vastus_lateralis",
           "ST": "semitendinosus", "BF": "biceps_femoris", "TA": "tibialis_anterior",
           "PL": "peroneus_longus", "GM": "gastrocnemius_medialis",
           "GL": "gastrocnemius_lateralis", "SO": "soleus"}
EXTRA = {"tensor_fasciae_latae": Muscle("tensor_fasciae_latae", ("hip_flexors",)),
         "peroneus_longus": Muscle("peroneus_longus", ("shank",))}
GAIT = ProcessingConfig(
    envelope=EnvelopeConfig(window_s=0.1),
    normalisation=NormalisationConfig(method="peak_dynamic"),
    segmentation=SegmentationConfig(
        method="envelope", boundaries="cycles", threshold_fraction=0.3, edge_fraction=0.3,
        min_duration_s=0.15,
        prime_movers={"other:walk": ["vastus_lateralis", "vastus_medialis",
                                     "gluteus_maximus"]}),
)


@pytest.fixture(scope="module")
def gait(datasets_dir):
    emg = pd.read_csv(datasets_dir / "santuz_gait" / "ID0012_TW_01_emg.csv")
    cycles = pd.read_csv(datasets_dir / "santuz_gait" / "ID0012_TW_01_cycles.csv")
    cols = list(emg.columns[1:])
    montage = Montage("santuz-right-leg", tuple(
        Channel(i + 1, MUSCLES[c], "right", label="", placement=f"Santuz 2019: {c}")
        for i, c in enumerate(cols)), extra_muscles=EXTRA)
    trial = Trial("t001", parse_task("other:walk"), 1000.0, emg[cols].to_numpy(np.float32))
    session = Session("ID0012", Device("unknown", 1000.0), montage, [trial])
    t0_s = float(emg["time"].iloc[0])
    return session, cycles["touchdown_s"].to_numpy() - t0_s, analyse_session(session, GAIT)


def test_cycles_match_published_touchdowns(gait):
    _, touchdown_s, sm = gait
    reps = sm.trials[0].reps
    starts = np.array([r.start for r in reps]) / 1000.0
    ends = np.array([r.end for r in reps]) / 1000.0
    assert {r.method for r in reps} == {"envelope"}
    for a, b in itertools.pairwise(touchdown_s):  # each complete published cycle
        k = np.argmin(np.abs(starts - a))
        assert abs(starts[k] - a) <= 0.100
        assert abs(ends[k] - b) <= 0.100
    inside = (starts > touchdown_s[0] - 0.1) & (ends < touchdown_s[-1] + 0.1)
    assert inside.sum() == len(touchdown_s) - 1  # no extra cycle inside the published span


def test_hamstrings_have_metrics_for_every_cycle(gait):
    _, touchdown_s, sm = gait
    df = metrics_table([sm])
    for muscle in ("semitendinosus", "biceps_femoris"):
        rows = df[df.muscle == muscle]
        assert len(rows) == len(sm.trials[0].reps) >= len(touchdown_s) - 1
        assert (rows.rep >= 1).all()
        for col in ("mean_pct_peak", "peak_pct_peak", "mean_uv", "peak_uv",
                    "time_to_peak_pct", "median_freq_hz"):
            assert rows[col].notna().all(), col
        assert rows.mean_pct_mvc.isna().all()  # no MVC: % MVC is not claimed
        assert (rows.peak_pct_peak <= 100.0 + 1e-9).all()
