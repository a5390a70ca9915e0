import json

import pytest

from emgkit.errors import ConfigError
from emgkit.model.config import (
    EnvelopeConfig,
    FilterConfig,
    NormalisationConfig,
    OnsetConfig,
    ProcessingConfig,
    QualityConfig,
    SpectralConfig,
)


def test_defaults_match_design():
    c = ProcessingConfig()
    assert c.filter.bandpass_low_hz == 20.0 and c.filter.bandpass_high_hz is None
    assert c.filter.bandpass_order == 4 and c.filter.notch_q == 30.0
    assert c.filter.trunk_highpass_hz == 30.0 and c.filter.ecg_method == "highpass"
    assert c.envelope.method == "rms" and c.envelope.window_s == 0.25
    assert c.envelope.lowpass_hz == 6.0
    assert c.normalisation.method == "mvc" and c.normalisation.mvc_window_s is None
    assert c.onset.min_duration_s == 0.025


def test_round_trip_through_json():
    c = ProcessingConfig(
        filter=FilterConfig(mains_hz=60.0, ecg_method="template"),
        envelope=EnvelopeConfig(window_s=0.1),
        normalisation=NormalisationConfig(mvc_window_s=0.5),
        onset=OnsetConfig(method="tkeo"),
    )
    d = json.loads(json.dumps(c.to_dict()))
    assert ProcessingConfig.from_dict(d) == c
    assert ProcessingConfig.from_dict({}) == ProcessingConfig()


def test_partial_toml_table():
    c = ProcessingConfig.from_dict({"envelope": {"method": "linear"}, "filter": {"mains_hz": 50}})
    assert c.envelope.method == "linear" and c.filter.mains_hz == 50
    assert c.envelope.window_s == 0.25


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        ({"filtre": {}}, "'filtre'.*allowed keys are envelope, filter"),
        ({"filter": {"low_hz": 10}}, "'filter.low_hz'.*bandpass_low_hz"),
        ({"envelope": {"window_s": 0.25, "widow": 1}}, "'envelope.widow'"),
    ],
)
def test_unknown_keys_rejected(d, expected):
    with pytest.raises(ConfigError, match=expected):
        ProcessingConfig.from_dict(d)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: EnvelopeConfig(window_s=-0.1), "window_s must be a positive number"),
        (lambda: EnvelopeConfig(window_s=0), "window_s must be a positive number"),
        (lambda: EnvelopeConfig(method="mav"), "Allowed values are 'rms', 'linear'"),
        (lambda: FilterConfig(bandpass_low_hz=500, bandpass_high_hz=450), "must be >"),
        (lambda: FilterConfig(bandpass_order=0), "integer >= 1"),
        (lambda: NormalisationConfig(method="max"), "'mvc', 'peak_dynamic', 'none'"),
        (lambda: SpectralConfig(overlap=1.0), "overlap"),
        (lambda: QualityConfig(railed_fraction=1.5), "railed_fraction"),
    ],
)
def test_bad_values(make, expected):
    with pytest.raises(ConfigError, match=expected):
        make()


def test_frozen():
    with pytest.raises(AttributeError):
        FilterConfig().bandpass_low_hz = 10  # type: ignore[misc]


def test_offline_method():
    assert FilterConfig().offline_method == "fft"
    assert FilterConfig(offline_method="sosfiltfilt").to_dict()["offline_method"] == "sosfiltfilt"
    with pytest.raises(ConfigError, match="'fft', 'sosfiltfilt'"):
        FilterConfig(offline_method="fir")


def _defaults_of(func):
    import inspect

    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def test_function_defaults_do_not_repeat_the_config():
    """Each default is defined once, in the config; functions take None for "the config's"."""
    import importlib

    from emgkit.analysis.segmentation import inclination_deg, time_normalise

    envelope, filters, normalise = (importlib.import_module(f"emgkit.core.{m}")
                                    for m in ("envelope", "filters", "normalise"))

    expect_none = {
        filters.design_bandpass: ["order"], filters.design_highpass: ["order"],
        filters.design_lowpass: ["order"], filters.design_notch: ["q"],
        envelope.moving_rms: ["window_s"], envelope.linear_envelope: ["lowpass_hz", "order"],
        normalise.plateau_reference: ["plateau_s"], time_normalise: ["n_points"],
        inclination_deg: ["lowpass_hz"],
    }
    for func, names in expect_none.items():
        d = _defaults_of(func)
        assert all(d[n] is None for n in names), (func.__name__, d)
