"""The chain description is the one owner of signal facts: the filters and the methods agree.

A property test draws valid configurations, sampling rates (200 Hz - 16 kHz), regions and
mains decisions; every number the methods text states is parsed back and compared with
the :class:`~emgkit.core.chain.ProcessingChain` and with the filter actually designed from
it (its measured response at the band edges and the notches).
"""

from __future__ import annotations

import json
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import signal

from emgkit.core import LowSampleRateWarning, describe_chain, design_chain, process_trial_emg
from emgkit.core.chain import band_edges
from emgkit.core.filters import design_from_chain
from emgkit.core.mains import MainsChoice, decide_mains
from emgkit.errors import ConfigError
from emgkit.model.config import (
    EnvelopeConfig,
    FilterConfig,
    NormalisationConfig,
    ProcessingConfig,
)
from emgkit.model.montage import Channel, Montage
from emgkit.model.session import Device, Session, Trial
from emgkit.model.tasks import parse_task
from emgkit.report.methods import methods_paragraphs

pytestmark = pytest.mark.filterwarnings("ignore::emgkit.core.LowSampleRateWarning")

NUM = r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)"


def _db(sos, freqs, fs):
    _, h = signal.sosfreqz(sos, worN=np.asarray(freqs, dtype=float), fs=fs)
    return 20 * np.log10(np.maximum(np.abs(h), 1e-300))  # an exact zero at a notch centre


@st.composite
def _cases(draw):
    fs = draw(st.floats(200.0, 16000.0))
    low = draw(st.floats(5.0, 40.0))
    high = draw(st.one_of(st.none(), st.floats(low + 15.0, 0.49 * fs)))
    top = high if high is not None else min(450.0, 0.45 * fs)
    filt = FilterConfig(
        bandpass_low_hz=low, bandpass_high_hz=high, bandpass_order=draw(st.integers(1, 6)),
        notch=draw(st.booleans()), mains_hz=draw(st.sampled_from([None, 50.0, 60.0])),
        notch_q=draw(st.floats(10.0, 60.0)), notch_harmonics=draw(st.booleans()),
        trunk_highpass_hz=draw(st.floats(10.0, max(10.5, top - 10.0))),
        ecg_method=draw(st.sampled_from(["highpass", "template"])),
        offline_method=draw(st.sampled_from(["fft", "sosfiltfilt"])))
    if draw(st.booleans()):
        env = EnvelopeConfig(method="rms", window_s=draw(st.floats(0.02, 1.0)))
    else:
        env = EnvelopeConfig(method="linear", lowpass_hz=draw(st.floats(1.0, 20.0)),
                             lowpass_order=draw(st.integers(1, 4)))
    norm = NormalisationConfig(
        method=draw(st.sampled_from(["mvc", "peak_dynamic", "none"])),
        mvc_window_s=draw(st.one_of(st.none(), st.floats(0.05, 2.0))),
        mvc_reference=draw(st.sampled_from(["plateau_mean", "peak"])),
        mvc_plateau_s=draw(st.floats(0.2, 3.0)))
    detected = draw(st.sampled_from([None, 50.0, 60.0]))
    session = draw(st.sampled_from([None, 50.0, 60.0]))
    cfg = ProcessingConfig(filter=filt, envelope=env, normalisation=norm)
    mains = decide_mains_from(filt, detected, session)
    return cfg, fs, draw(st.sampled_from(["limb", "trunk"])), mains


def decide_mains_from(filt: FilterConfig, detected, session) -> MainsChoice:
    """The decision :func:`decide_mains` takes when the data show ``detected``."""
    if not filt.notch:
        return MainsChoice(None, "off", None, session, False)
    if filt.mains_hz is not None:
        return MainsChoice(filt.mains_hz, "config", detected, session, True)
    if detected is not None:
        return MainsChoice(detected, "data", detected, session, True)
    return MainsChoice(session, "session" if session else "none", None, session, True)


def _run(cfg, chain, region):
    muscle = "erector_spinae" if region == "trunk" else "semitendinosus"
    montage = Montage("m", (Channel(1, muscle, "right"),))
    trial = Trial("t001", parse_task("mvc", target="hamstrings"), chain.fs_hz,
                  np.zeros((10, 1), np.float32))
    session = Session("s1", Device("cyton", chain.fs_hz, gain=24.0), montage, [trial])
    sm = SimpleNamespace(session=session, chains=(chain,), references=(), name="s.h5",
                         trials=())
    return SimpleNamespace(metrics=[sm], config=cfg, fallbacks=())


def _g(x: float) -> float:
    return float(f"{x:g}")


def _check_text(paragraphs: list[str], c) -> None:
    text = " ".join(paragraphs)
    filtering = next(p for p in paragraphs if p.startswith("Filtering."))
    band = re.findall(NUM + "-" + NUM + r" Hz at " + NUM + " Hz", filtering)
    assert (_g(c.low_hz), _g(c.high_hz), _g(c.fs_hz)) in {
        tuple(map(float, b)) for b in band}, (band, c)
    m = re.search(r"band-pass of order (\d+)", text)
    assert int(m.group(1)) == c.bandpass_order
    notches = re.search(r"IIR notches at ([\d., ]+) Hz \(Q = " + NUM, filtering)
    if c.notch_hz:
        assert [float(v) for v in notches.group(1).split(", ")] == [_g(f) for f in c.notch_hz]
        assert float(notches.group(2)) == _g(c.notch_q[0])
    else:
        assert notches is None
    if c.envelope_method == "rms":
        m = re.search(r"moving RMS over " + NUM + r" ms \((\d+) samples at " + NUM, text)
        assert float(m.group(1)) == _g(c.envelope_window_s * 1000)
        assert int(m.group(2)) == c.envelope_window_samples
    else:
        m = re.search(r"low-pass order (\d+) at " + NUM + " Hz", text)
        assert (int(m.group(1)), float(m.group(2))) == (c.envelope_lowpass_order,
                                                         _g(c.envelope_lowpass_hz))
    if c.normalisation == "mvc" and c.mvc_reference == "plateau_mean":
        assert float(re.search(r"highest mean over " + NUM + " s", text).group(1)) == _g(
            c.mvc_plateau_s)
    if c.normalisation == "mvc" and c.reference_window_s not in (None, c.envelope_window_s):
        m = re.search(r"a " + NUM + r" ms RMS envelope \((\d+) samples", text)
        assert float(m.group(1)) == _g(c.reference_window_s * 1000)
        assert int(m.group(2)) == c.reference_window_samples
    if c.region == "trunk" and c.ecg_method == "template":
        assert "template subtraction" in text and "raised to" not in text
    if c.low_rule == "trunk_highpass_hz":
        assert f"lower edge raised to {c.low_hz:g} Hz" in text
    else:
        assert "raised to" not in text
    assert ("below 1 kHz" in text) == c.low_rate


def _check_design(c) -> None:
    sos = design_from_chain(c)
    assert len(sos) == c.bandpass_order + len(c.notch_hz)
    bp = sos[: c.bandpass_order]
    assert_allclose(_db(bp, [c.low_hz, c.high_hz], c.fs_hz), -3.0103, atol=0.01)
    if c.notch_hz:
        assert np.all(_db(sos[c.bandpass_order:], c.notch_hz, c.fs_hz) < -40)
        assert max(c.notch_hz) < min(c.high_hz, c.fs_hz / 2) or len(c.notch_hz) == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_methods_numbers_equal_the_chain_and_the_designed_filter(case):
    cfg, fs, region, mains = case
    try:
        chain = describe_chain(cfg, fs, region, mains)
    except ConfigError:
        assume(False)
    _check_text(methods_paragraphs(_run(cfg, chain, region)), chain)
    _check_design(chain)
    # the chain's band is the band rule, and it survives JSON
    assert band_edges(cfg.filter, fs, region) == (chain.low_hz, chain.high_hz)
    assert json.loads(json.dumps(chain.to_dict()))["notch_hz"] == list(chain.notch_hz)


def test_issue_14_examples():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowSampleRateWarning)
        c = describe_chain(ProcessingConfig(filter=FilterConfig(bandpass_high_hz=120.0)), 250.0)
        assert (c.low_hz, c.high_hz) == (20.0, 120.0)
        t = describe_chain(ProcessingConfig(filter=FilterConfig(ecg_method="template")),
                           2000.0, "trunk")
        assert t.low_hz == 20.0 and t.ecg_method == "template"
        live = describe_chain(ProcessingConfig(filter=FilterConfig(ecg_method="template")),
                              2000.0, "trunk", causal=True)
        assert live.low_hz == 30.0 and live.ecg_method == "highpass" and live.notes
        lin = describe_chain(ProcessingConfig(envelope=EnvelopeConfig(method="linear")), 2000.0)
        assert lin.reference_window_s is None and lin.envelope_window_s is None
    text = " ".join(methods_paragraphs(_run(ProcessingConfig(), describe_chain(None, 2000.0),
                                            "limb")))
    assert "below 1 kHz" not in text and "20-450 Hz at 2000 Hz" in text
    assert "No mains frequency is recorded: no notch was applied" in text
    assert "as set out in the protocol" not in text and "SRB2" not in text


def test_design_chain_is_designed_from_the_description():
    cfg = FilterConfig()
    c = describe_chain(ProcessingConfig(filter=cfg), 2000.0, "trunk", MainsChoice(50.0, "data"))
    assert_allclose(design_chain(cfg, 2000.0, "trunk", 50.0), design_from_chain(c))
    assert c.notch_hz == (50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0)


def test_process_trial_uses_the_given_chains(rng):
    fs = 1000.0
    t = np.arange(int(10 * fs)) / fs
    x = (rng.standard_normal((t.size, 1)) * 20 + 50 * np.sin(2 * np.pi * 60 * t)[:, None])
    cfg = ProcessingConfig()
    m60, m50 = MainsChoice(60.0, "data", 60.0), MainsChoice(50.0, "session", None, 50.0)
    a = process_trial_emg(x, fs, "limb", cfg, chains={"limb": describe_chain(cfg, fs, "limb",
                                                                              m60)})
    b = process_trial_emg(x, fs, "limb", cfg, mains=m60)
    c = process_trial_emg(x, fs, "limb", cfg, mains=m50)
    d = process_trial_emg(x, fs, "limb", cfg, mains_hz=50.0)  # the data win
    assert_allclose(a, b)
    assert_allclose(a, d)
    assert c[2000:-2000].mean() > 1.5 * a[2000:-2000].mean()
    with pytest.raises(ConfigError, match="region"):
        process_trial_emg(x, fs, "trunk", cfg, chains={"limb": describe_chain(cfg, fs)})
    with pytest.raises(ConfigError, match="another rate"):
        process_trial_emg(x, 500.0, "limb", cfg, chains={"limb": describe_chain(cfg, fs)})


def test_decide_mains_matches_the_helper_used_above(rng):
    fs = 1000.0
    t = np.arange(int(8 * fs)) / fs
    x = rng.standard_normal((t.size, 3)) + 20 * np.sin(2 * np.pi * 60 * t)[:, None]
    for filt, session in ((FilterConfig(), 50.0), (FilterConfig(mains_hz=50.0), None),
                          (FilterConfig(notch=False), 50.0)):
        got = decide_mains(filt, fs, x, session)
        want = decide_mains_from(filt, 60.0, session)
        assert (got.notch_hz, got.source) == (want.notch_hz, want.source)
