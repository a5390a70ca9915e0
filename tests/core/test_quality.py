import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from emgkit.core import LowSampleRateWarning, assess_quality

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def _clean(rng, fs, n_s, n_ch, sd=30.0, offset=0.0):
    """EMG-like noise: white noise shaped by a 20-150 Hz band-pass (not white)."""
    w = rng.standard_normal((int(n_s * fs), n_ch))
    sos = signal.butter(2, [20, min(150, 0.4 * fs)], "bandpass", fs=fs, output="sos")
    y = signal.sosfilt(sos, w, axis=0)
    return y / y.std(axis=0) * sd + offset


def test_synthetic_faults(rng):
    fs = 1000.0
    x = _clean(rng, fs, 10, 6, offset=2000.0)
    # 0 railed: pinned at +full scale; 1 clipping: 2 % of samples at -full scale
    x[:, 0] = 187500.0
    x[::50, 1] = -187500.02
    # 2 flat: powered down (exact zeros)
    x[:, 2] = 0.0
    # 3 lead-off: DC level + white amplifier noise, never crosses zero
    x[:, 3] = 40.0 + 3.0 * rng.standard_normal(len(x))
    # 4 mains-heavy: 50 Hz sine far above the EMG
    t = np.arange(len(x)) / fs
    x[:, 4] += 300 * np.sin(2 * np.pi * 50 * t)
    q = assess_quality(x, fs, mains_hz=50.0)
    assert q.flags[0] == ("railed",)
    assert q.flags[1] == ("clipping",)
    assert q.clipping_fraction[1] == pytest.approx(0.02, abs=1e-3)
    assert q.flags[2] == ("flat",)
    assert q.flags[3] == ("lead_off",)
    assert q.flags[4] == ("mains",)
    assert q.flags[5] == ()
    assert q.to_dict()["flags"][0] == ["railed"]


def test_rest_noise_and_snr(rng):
    fs = 1000.0
    task = _clean(rng, fs, 5, 2, sd=100.0)
    task[:, 1] = rng.standard_normal(len(task)) * 20
    rest = _clean(rng, fs, 5, 2, sd=2.0)
    rest[:, 1] = rng.standard_normal(len(rest)) * 15
    q = assess_quality(task, fs, rest_uv=rest, full_scale_uv=None)
    assert q.noise_rms_uv[0] < 5 and q.snr_db[0] > 20
    assert set(q.flags[1]) == {"noisy_baseline", "low_snr"}
    assert q.flags[0] == ()
    assert np.isnan(q.clipping_fraction).all()


def test_low_rate_quality_has_no_warning_but_works(rng):
    # quality checks at 250 Hz are about the hardware, not the sEMG band: no warning
    q = assess_quality(_clean(rng, 250.0, 10, 2), 250.0)
    assert q.flags == ((), ())
    assert LowSampleRateWarning  # imported for the public name


# --- real recordings in datasets/ (read here with plain numpy/pandas) ---


def _read_openbci_gz(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as fh:
        rows = [r for r in fh if not r.startswith("%")]
    rows = [r for r in rows if r.count(",") == 11]  # the file's last row is truncated
    return np.array([[float(v) for v in r.split(",")] for r in rows])


def test_jordan_focus_railed_channels():
    path = DATASETS / "openbci_gui_cyton" / "OpenBCI_2016-02-13_Jordan_focus.txt.gz"
    assert path.is_file(), f"{path} is missing"
    emg = _read_openbci_gz(path)[:, 1:9].astype(np.float32)
    q = assess_quality(emg, 250.0, full_scale_uv=187500.0)
    railed = [j + 1 for j in range(8) if "railed" in q.flags[j]]
    assert railed == [3, 5, 6, 8]
    # 1 and 2 rail only in the last seconds (electrodes coming off): clipping, not railed
    assert "clipping" in q.flags[0] and "clipping" in q.flags[1]


@pytest.mark.parametrize("effort", ["BF", "LG", "TA", "VL"])
def test_elderly_gastrocnemius_disconnected(effort):
    path = DATASETS / "elderly_isometric" / f"ID_1_EMG_{effort}.csv"
    assert path.is_file(), f"{path} is missing"
    df = pd.read_csv(path)
    assert list(df.columns) == [
        "vastus_lateralis",
        "biceps_femoris",
        "tibialis_anterior",
        "gastrocnemius_lateralis",
    ]
    q = assess_quality(df.to_numpy(np.float32), 2000.0, full_scale_uv=None)
    assert q.flags[3] == ("lead_off",)
    assert q.flags[:3] == ((), (), ())
