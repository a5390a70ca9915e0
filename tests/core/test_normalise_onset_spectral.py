import numpy as np
import pytest
from numpy.testing import assert_allclose

from emgkit.core import (
    LowSampleRateWarning,
    design_bandpass,
    detect_bursts,
    filter_offline,
    moving_rms,
    normalise,
    peak_reference,
    select_reference,
    spectral_frequencies,
)
from emgkit.errors import AnalysisError
from emgkit.model.config import NormalisationConfig, OnsetConfig, SpectralConfig


def _burst_signal(rng, fs, n_s, amp, on_s, off_s, base=5.0):
    n = int(n_s * fs)
    s = np.full(n, base)
    s[int(on_s * fs) : int(off_s * fs)] = amp
    return s * rng.standard_normal(n)


def _sine_burst(fs, amps, n_s=4.0, on_s=1.0, off_s=3.0):
    """Channels of 100 Hz sines, amplitude ``amps`` between on_s and off_s, 1 outside."""
    t = np.arange(int(n_s * fs)) / fs
    on = (t >= on_s) & (t < off_s)
    a = np.where(on[:, None], np.asarray(amps, float)[None, :], 1.0)
    return a * np.sin(2 * np.pi * 100.0 * t)[:, None]


def test_mvc_normalisation_of_a_known_signal():
    fs = 2000.0
    mvc1, mvc2 = _sine_burst(fs, [200, 80]), _sine_burst(fs, [150, 100])
    task = _sine_burst(fs, [100, 50])
    envs = [moving_rms(x, fs, 0.25) for x in (mvc1, mvc2)]
    ref = select_reference(NormalisationConfig(), envs, fs_hz=fs)
    # the highest of the trials, per channel: RMS of the strongest sine
    assert_allclose(ref, np.array([200, 100]) / np.sqrt(2), rtol=0.002)
    peak = select_reference(NormalisationConfig(mvc_reference="peak"), envs)
    assert_allclose(peak, ref, rtol=0.002)  # a steady sine: no noise to inflate a maximum
    pct = normalise(moving_rms(task, fs, 0.25), ref)
    assert_allclose(pct[int(1.5 * fs) : int(2.5 * fs)], 50.0, rtol=0.005)
    # peak-dynamic: the task's own peak is 100 %
    pd = select_reference(NormalisationConfig(method="peak_dynamic"), task_envelopes=[pct])
    assert_allclose(normalise(pct, pd).max(axis=0), 100.0)
    assert select_reference(NormalisationConfig(method="none"), []) is None
    assert normalise(pct, None) is pct


def test_missing_mvc_reference_names_the_channel():
    env = np.ones((100, 2))
    env[:, 1] = np.nan
    with pytest.raises(AnalysisError, match=r"'biceps_femoris left'.*'peak_dynamic' or 'none'"):
        select_reference(
            NormalisationConfig(), [env], channel_names=["st left", "biceps_femoris left"],
            fs_hz=100.0,
        )
    with pytest.raises(AnalysisError, match=r"no MVC trials"):
        select_reference(NormalisationConfig(), [])
    with pytest.raises(AnalysisError, match=r"'channel 2'"):
        normalise(np.ones((5, 2)), np.array([1.0, 0.0]))
    assert np.isnan(peak_reference([env])[1])


@pytest.mark.parametrize("method", ["hodges_bui", "tkeo"])
def test_onset_of_a_known_burst(rng, method):
    fs = 2000.0
    bp = design_bandpass(fs, 20, 450)
    x = filter_offline(bp, _burst_signal(rng, fs, 4, 60, 1.7, 2.9, base=5.0))
    bursts = detect_bursts(x, fs, OnsetConfig(method=method))
    assert len(bursts) == 1
    assert abs(bursts[0, 0] / fs - 1.7) <= 0.025
    assert abs(bursts[0, 1] / fs - 2.9) <= 0.025


def test_onset_min_duration_rejects_spikes(rng):
    fs = 1000.0
    x = _burst_signal(rng, fs, 3, 5, 0, 0)
    x[1500:1505] += 400  # a 5 ms artefact
    assert len(detect_bursts(x, fs, OnsetConfig(min_duration_s=0.025))) == 0
    with pytest.raises(AnalysisError, match="baseline"):
        detect_bursts(x, fs, baseline=slice(0, 3))


def _bandlimited_noise(rng, fs, n, lo, hi):
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / fs)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, n)


def test_median_frequency_of_band_limited_noise(rng):
    fs = 2000.0
    x = np.column_stack(
        [_bandlimited_noise(rng, fs, 20000, 50, 350), _bandlimited_noise(rng, fs, 20000, 60, 120)]
    )
    med, mean = spectral_frequencies(x, fs, SpectralConfig(low_hz=20, high_hz=450))
    assert_allclose(med, [200, 90], rtol=0.03)
    assert_allclose(mean, [200, 90], rtol=0.03)


def test_spectral_warns_below_1_khz(rng):
    x = rng.standard_normal(2000)
    with pytest.warns(LowSampleRateWarning, match="biased low"):
        med, _ = spectral_frequencies(x, 250.0)
    assert 20 < med < 112.5
