import numpy as np
import pytest
from scipy import signal
from scipy.integrate import trapezoid

from emgkit.simulate import (
    Artefacts,
    EmgSpectrum,
    ShapedNoise,
    TrialSpec,
    default_montage,
    shaping_filters,
    simulate_trial,
)
from emgkit.simulate.spectrum import median_frequency_hz, realised_psd


def _plateau(fs_hz, hold_s, seed=0):
    spec = TrialSpec("mvc", target="hamstrings", mvc_ramp_s=0.0, mvc_hold_s=hold_s,
                     lead_s=0.0, tail_s=0.0)
    trial, truth = simulate_trial(default_montage("cyton"), fs_hz, spec, seed=seed,
                                  artefacts=Artefacts.none())
    return trial, truth


def test_filters_have_unit_power_and_band_limit():
    fir = shaping_filters([EmgSpectrum(), EmgSpectrum(45, 100)], 250.0)
    np.testing.assert_allclose(np.sum(fir**2, axis=1), 1.0, rtol=1e-12)
    f, psd = realised_psd(fir, 250.0)
    np.testing.assert_allclose(trapezoid(psd, f, axis=1), 1.0, rtol=1e-3)
    assert np.all(psd[:, f > 0.46 * 250] < 1e-3 * psd.max())


@pytest.mark.parametrize("fs_hz", [2000.0, 16000.0])
def test_median_frequency_and_peak_physiological(fs_hz):
    trial, _ = _plateau(fs_hz, 20.0)
    f, p = signal.welch(trial.emg_uv, fs=fs_hz, nperseg=int(fs_hz / 2), axis=0)
    mdf = median_frequency_hz(f, p.T, (0.0, fs_hz / 2))
    assert np.all((mdf > 60) & (mdf < 120)), mdf
    peak = f[np.argmax(p, axis=0)]
    assert np.all((peak > 35) & (peak < 110)), peak
    band = (f >= 20) & (f <= 250)
    assert np.all(p[band].sum(axis=0) / p.sum(axis=0) > 0.8)


@pytest.mark.parametrize("fs_hz", [250.0, 1000.0, 2000.0])
def test_rms_at_full_activation_equals_mvc_rms(fs_hz):
    hold_s = 200.0 if fs_hz < 1000 else 60.0
    trial, truth = _plateau(fs_hz, hold_s)
    targeted = [i for i, m in enumerate(truth.muscles)
                if m in ("semitendinosus", "biceps_femoris")]
    rms = np.sqrt(np.mean(np.square(trial.emg_uv, dtype=np.float64), axis=0))
    np.testing.assert_allclose(rms[targeted], np.array(truth.mvc_rms_uv)[targeted], rtol=0.02)
    # the others at their co-activation level
    act = truth.activation()
    np.testing.assert_allclose(rms, np.array(truth.mvc_rms_uv) * act[0], rtol=0.02)


def test_shaped_noise_reads_identically_in_any_blocks():
    fir = shaping_filters([EmgSpectrum(), EmgSpectrum(60, 130)], 1000.0)
    whole = ShapedNoise(fir, np.random.default_rng(4)).read(50_000)
    noise = ShapedNoise(fir, np.random.default_rng(4))
    sizes = [1, 7, 999, 16_384, 20_000, 12_609]
    parts = np.concatenate([noise.read(n) for n in sizes])
    np.testing.assert_array_equal(parts, whole)
