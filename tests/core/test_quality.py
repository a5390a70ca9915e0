import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from emgkit.core import LowSampleRateWarning, assess_quality
from emgkit.core.quality import (
    FLAG_ORDER,
    QualityMonitor,
    assess_crosstalk,
    first_flag,
    hamstring_pairs,
)
from emgkit.errors import ConfigError
from emgkit.io.readers import read_recording
from emgkit.model.config import QualityConfig
from emgkit.simulate import default_montage

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def _clean(rng, fs, n_s, n_ch, sd=30.0, offset=0.0, modulate=True):
    """EMG-like noise: white noise shaped by a 20-150 Hz band-pass, in bursts."""
    w = rng.standard_normal((int(n_s * fs), n_ch))
    sos = signal.butter(2, [20, min(150, 0.4 * fs)], "bandpass", fs=fs, output="sos")
    y = signal.sosfilt(sos, w, axis=0)
    y = y / y.std(axis=0)
    if modulate:
        t = np.arange(len(y)) / fs
        y *= (0.2 + np.sin(np.pi * t / 2.0) ** 2)[:, None]
    return y * sd + offset


def test_synthetic_faults(rng):
    fs = 1000.0
    x = _clean(rng, fs, 10, 7, offset=2000.0)
    # 0 railed: pinned at +full scale; 1 clipping: 2 % of samples at -full scale
    x[:, 0] = 187500.0
    x[::50, 1] = -187500.02
    # 2 flat: powered down (exact zeros)
    x[:, 2] = 0.0
    # 3 lead-off: DC level + white amplifier noise, no physiology
    x[:, 3] = 40.0 + 3.0 * rng.standard_normal(len(x))
    # 4 mains-heavy: 50 Hz sine far above the EMG
    t = np.arange(len(x)) / fs
    x[:, 4] += 300 * np.sin(2 * np.pi * 50 * t)
    # 5 two corrupt samples
    x[[1234, 6789], 5] = [90000.0, -120000.0]
    q = assess_quality(x, fs, mains_hz=50.0)
    assert q.flags[0] == ("railed",)
    assert q.flags[1] == ("clipping",)
    assert q.clipping_fraction[1] == pytest.approx(0.02, abs=1e-3)
    assert q.flags[2] == ("flat",)
    assert q.flags[3] == ("lead_off",)
    assert q.flags[4] == ("mains",)
    assert q.flags[5] == ("spikes",) and q.n_spikes[5] == 2
    assert q.flags[6] == ()
    assert q.to_dict()["flags"][0] == ["railed"]


def test_clipping_below_full_scale(rng):
    x = _clean(rng, 1000.0, 10, 2, sd=100.0, offset=-5000.0)
    x[:, 1] = np.clip(x[:, 1], -5080.0, -4920.0)  # the amplifier saturating at +/- 80 uV
    q = assess_quality(x, 1000.0)
    assert q.flags == ((), ("clipping",))
    assert q.plateau_fraction[1] > 0.01 > q.plateau_fraction[0]


def test_rest_noise_and_snr(rng):
    fs = 1000.0
    task = _clean(rng, fs, 5, 2, sd=100.0)
    task[:, 1] = _clean(rng, fs, 5, 1, sd=20.0, modulate=False)[:, 0]
    rest = _clean(rng, fs, 5, 2, sd=2.0, modulate=False)
    rest[:, 1] = _clean(rng, fs, 5, 1, sd=15.0, modulate=False)[:, 0]
    q = assess_quality(task, fs, rest_uv=rest, full_scale_uv=None)
    assert q.noise_rms_uv[0] < 5 and q.snr_db[0] > 20
    assert set(q.flags[1]) == {"noisy_baseline", "low_snr"}
    assert q.flags[0] == ()
    assert np.isnan(q.clipping_fraction).all()


def test_one_root_cause_one_flag(rng):
    # A railed or flat task channel is not also low_snr; a dead rest channel is no baseline.
    fs = 500.0
    task = _clean(rng, fs, 6, 4, sd=50.0, offset=1000.0)
    rest = _clean(rng, fs, 6, 4, sd=2.0, offset=1000.0, modulate=False)
    task[:, 0] = 187500.0
    task[:, 1] = 0.0
    rest[:, 2] = 187500.0
    rest[:, 3] = 7.0 + 20.0 * rng.standard_normal(len(rest))  # lead-off, 20 uV
    q = assess_quality(task, fs, rest_uv=rest)
    assert q.flags == (("railed",), ("flat",), (), ())
    assert np.isnan(q.noise_rms_uv[2:]).all() and np.isnan(q.snr_db[2:]).all()


def test_low_rate_quality_has_no_warning_but_works(rng):
    # quality checks at 200/250 Hz are about the hardware, not the sEMG band: no warning
    for fs in (200.0, 250.0):
        q = assess_quality(_clean(rng, fs, 10, 2), fs)
        assert q.flags == ((), ())
    assert LowSampleRateWarning  # imported for the public name


def test_lead_off_at_every_rate_whatever_the_window(rng):
    for fs in (200.0, 250.0, 1000.0, 4000.0, 16000.0):
        for n_s in (4.0, 20.0):  # the live window (4 s) and longer
            x = 150000.0 + 50.0 * rng.standard_normal((int(n_s * fs), 1))
            assert assess_quality(x, fs).flags == (("lead_off",),), (fs, n_s)


def test_config_is_validated():
    with pytest.raises(ConfigError, match="lead_off_flatness"):
        QualityConfig(lead_off_flatness=1.5)
    with pytest.raises(ConfigError, match="welch_segment_s"):
        QualityConfig(welch_segment_s=0)
    with pytest.raises(ConfigError, match="unknown configuration key 'flatness'"):
        QualityConfig.from_dict({"flatness": 0.9})
    assert QualityConfig.from_dict(QualityConfig().to_dict()) == QualityConfig()


def test_first_flag_priority():
    assert first_flag(()) == "ok"
    assert first_flag(("mains", "clipping")) == "clipping"
    assert FLAG_ORDER[:3] == ("railed", "flat", "lead_off")


# --- the live window: the same function on the same samples ---


def test_monitor_window_is_the_last_samples(rng):
    fs = 250.0
    x = _clean(rng, fs, 12, 3, offset=500.0).astype(np.float32)
    mon = QualityMonitor(fs, 3, mains_hz=50.0)
    due = [mon.push(x[i : i + 7]) for i in range(0, len(x), 7)]
    assert any(due)
    np.testing.assert_array_equal(mon.window(), x[-mon.size :])
    got = mon.assess()
    want = assess_quality(x[-mon.size :], fs, mains_hz=50.0)
    assert got.flags == want.flags
    np.testing.assert_array_equal(got.spectral_flatness, want.spectral_flatness)
    big = QualityMonitor(fs, 3)
    big.push(x)  # one block longer than the window
    np.testing.assert_array_equal(big.window(), x[-big.size :])


# --- crosstalk between adjacent electrodes ---


def test_crosstalk_pairs(rng):
    fs = 1000.0
    y = _clean(rng, fs, 10, 3)
    y[:, 2] = y[:, 2] + 0.8 * np.roll(y[:, 0], 2)  # 2 ms later, 0.8 of channel 0
    xt = assess_crosstalk(y, fs, [(0, 1), (0, 2)])
    assert xt.flagged == (False, True)
    assert xt.r[0] < 0.1 < 0.5 < xt.r[1]
    assert xt.lag_s[1] == pytest.approx(0.002)
    assert xt.channel_flags(3) == (("crosstalk",), (), ("crosstalk",))
    with pytest.raises(ConfigError, match="two different columns"):
        assess_crosstalk(y, fs, [(0, 0)])


def test_hamstring_pairs_same_side():
    assert hamstring_pairs(default_montage("cyton")) == [(0, 1)]
    assert hamstring_pairs(default_montage("cyton-daisy")) == [(0, 1), (8, 9)]


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
    assert q.flags[0] == ("clipping",) and q.flags[1] == ("clipping",)


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


@pytest.mark.parametrize("run", ["S1R0", "S1REST"])
def test_ganglion_dead_inputs_flat(run):
    rec = read_recording(DATASETS / "openbci_ganglion_myoware" / f"OpenBCI-RAW-S02_{run}.txt.gz")
    assert rec.fs_hz == 200.0
    q = assess_quality(rec.emg_uv, rec.fs_hz, full_scale_uv=None, mains_hz=50.0)
    assert q.flags[2:] == (("flat",), ("flat",))
