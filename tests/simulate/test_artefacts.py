import numpy as np
import pytest
from scipy import signal

from emgkit.errors import ConfigError
from emgkit.simulate import Artefacts, TrialSpec, default_montage, simulate_trial

ONLY = dict(dc_offset_uv=(0.0, 0.0), drift_uv=0.0, mains_uv=0.0, ecg_uv=(0.0, 0.0),
            amp_noise_uv=0.0)


def _rest(fs_hz, artefacts, seed=0, duration_s=20.0):
    return simulate_trial(default_montage("cyton"), fs_hz,
                          TrialSpec("rest", duration_s=duration_s), seed=seed,
                          artefacts=artefacts)


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_mains_peak(mains_hz):
    trial, _ = _rest(1000.0, Artefacts(mains_hz=mains_hz, mains_uv=20.0))  # a poor set-up
    x = trial.emg_uv - trial.emg_uv.mean(axis=0)
    f, p = signal.welch(x, fs=1000.0, nperseg=2000, axis=0)
    band = (f > 20) & (f < 300)
    peak = f[band][np.argmax(p[band], axis=0)]
    np.testing.assert_allclose(peak, mains_hz)
    k = np.argmin(abs(f - 3 * mains_hz))
    assert np.all(p[k] > 10 * np.median(p[band], axis=0))  # the 3rd harmonic shows


def test_harmonics_above_nyquist_are_left_out():
    trial, _ = _rest(125.0, Artefacts(**{**ONLY, "mains_uv": 20.0}))
    f, p = signal.welch(trial.emg_uv, fs=125.0, nperseg=250, axis=0)
    assert abs(f[np.argmax(p[f > 20].mean(axis=1)) + np.sum(f <= 20)] - 50.0) < 0.6


def test_ecg_only_on_trunk_channels():
    trial, truth = _rest(500.0, Artefacts(**{**ONLY, "ecg_uv": (150.0, 300.0)}))
    trunk = {"erector_spinae", "rectus_abdominis", "external_oblique"}
    x = np.abs(trial.emg_uv)
    spiky = np.percentile(x, 99.9, axis=0) / np.median(x, axis=0)
    for m, s in zip(truth.muscles, spiky):
        assert (s > 15) == (m in trunk), (m, s)
    # heart rate 60-80 bpm: R peaks of the biggest trunk channel
    c = int(np.argmax(np.percentile(x, 99.9, axis=0)))
    peaks, _ = signal.find_peaks(x[:, c], height=0.5 * x[:, c].max(), distance=200)
    bpm = 60 * 500.0 / np.median(np.diff(peaks))
    assert 55 <= bpm <= 85


def test_dc_offset_drift_and_noise():
    trial, _ = _rest(250.0, Artefacts())
    mean = np.abs(trial.emg_uv.mean(axis=0))
    assert np.all((mean > 9_000) & (mean < 61_000))
    quiet, _ = _rest(250.0, Artefacts(**{**ONLY, "amp_noise_uv": 1.5}), seed=1)
    clean, _ = _rest(250.0, Artefacts.none(), seed=1)
    noise = quiet.emg_uv.astype(float) - clean.emg_uv
    np.testing.assert_allclose(noise.std(axis=0), 1.5, rtol=0.05)


def test_clean_artefacts_give_zero_mean_emg():
    trial, _ = simulate_trial(default_montage("cyton"), 1000.0, "hinge", artefacts=Artefacts.none())
    assert np.all(np.abs(trial.emg_uv.mean(axis=0)) < 3.0)


def test_accelerometer_marks_repetitions():
    trial, truth = simulate_trial(default_montage("cyton"), 250.0, TrialSpec("hinge", n_reps=6))
    acc = trial.accel_g
    np.testing.assert_allclose(np.linalg.norm(acc[:200], axis=1).mean(), 1.0, atol=0.02)
    tilt = np.degrees(np.arctan2(acc[:, 0], acc[:, 2]))
    peaks, _ = signal.find_peaks(signal.medfilt(tilt, 25), height=40, distance=250)
    assert len(peaks) == 6
    for p, r in zip(peaks, truth.reps):
        assert r.start < p < r.end


def test_invalid_artefacts():
    with pytest.raises(ConfigError, match="dc_offset_uv"):
        Artefacts(dc_offset_uv=(5.0, 1.0))
