"""Hostile configuration and montage files: exit 2 with one line, never an internal error."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emgkit.cli.main import main
from emgkit.io.writer import write_session
from emgkit.model.config import ProcessingConfig
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session

PROTOCOL = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "quadriceps"),
                       hinge=TrialSpec("hinge", n_reps=2, lead_s=0.5, tail_s=0.5),
                       squat=TrialSpec("squat", n_reps=2, lead_s=0.5, tail_s=0.5))
FIELDS = [(sec.name, f.name) for sec in dataclasses.fields(ProcessingConfig)
          if dataclasses.is_dataclass(getattr(ProcessingConfig(), sec.name))
          for f in dataclasses.fields(getattr(ProcessingConfig(), sec.name))]
HOSTILE = ["nan", "inf", "-inf", "1e308", "-1e308", "-1", "0", "3600", "1e-300", '"abc"',
           "true", "[1, 2]", "[nan]", "{a = 1}", '""']


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=4, protocol=PROTOCOL,
                            subject="S01")
    p = tmp_path_factory.mktemp("s") / "s.h5"
    write_session(p, s)
    return p


def _process(session, tmp_path, capsys, text):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    rc = main(["process", str(session), "--config", str(cfg), "--out", str(tmp_path / "m.csv")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
    return rc, err


@pytest.mark.parametrize(("section", "key", "value"), [
    ("filter", "notch", "nan"), ("filter", "notch_q", "1e308"),
    ("filter", "notch_harmonics", "inf"), ("envelope", "window_s", "1e308"),
    ("normalisation", "mvc_window_s", "1e308"), ("onset", "baseline_start_s", "1e308"),
    ("spectral", "welch_window_s", "1e308"),
])
def test_values_that_crashed_are_refused_naming_the_key(session, tmp_path, capsys, section,
                                                        key, value):
    rc, err = _process(session, tmp_path, capsys, f"[{section}]\n{key} = {value}\n")
    assert rc == 2 and len(err) == 1 and f"{section}.{key}" in err[0], err


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(HOSTILE)),
                        min_size=1, max_size=3, unique_by=lambda e: e[0]))
def test_any_hostile_value_is_exit_0_or_2_never_internal(session, tmp_path, capsys, entries):
    by_section: dict[str, list[str]] = {}
    for (section, key), value in entries:
        by_section.setdefault(section, []).append(f"{key} = {value}")
    text = "".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in by_section.items())
    rc, err = _process(session, tmp_path, capsys, text)
    assert rc in (0, 2), (text, err)
    if rc == 2:
        assert len(err) == 1, (text, err)


@pytest.mark.parametrize("body", [
    '[[channel]]\nnumber = 1e308\nmuscle = "soleus"\nside = "left"\n',
    '[[channel]]\nnumber = -1\nmuscle = "soleus"\nside = "left"\n',
    '[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "up"\n',
    '[[channel]]\nnumber = 1\nmuscle = 7\nside = "left"\n',
    '[[channel]]\nnumber = "1"\nmuscle = "soleus"\nside = "left"\n',
    'channel = 3\n', '[[channel]]\n', 'name = [1]\n[[channel]]\nnumber = 1\n',
    '[muscles]\nfoo = 1\n[[channel]]\nnumber = 1\nmuscle = "foo"\nside = "left"\n',
    '\x00\x01binary', '[[channel]\nnumber = 1',
])
def test_hostile_montages_are_refused_in_one_line(tmp_path, datasets_dir, capsys, body):
    m = tmp_path / "m.toml"
    m.write_text(body, encoding="utf-8")
    rc = main(["import", str(datasets_dir / "openbci_gui_cyton/OpenBCI_GUI-v6-blinks-"
                             "jawClench-alpha.txt.gz"), "--montage", str(m), "--task", "mvc",
               "--subject", "S01", "--into", str(tmp_path / "s.h5")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1, err
    assert not (tmp_path / "s.h5").exists()


def test_a_protocol_with_an_unknown_top_level_key_is_refused():
    from acquisition.protocol import parse_protocol
    from emgkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['nmae'\]; known keys are"):
        parse_protocol({"nmae": "x", "step": [{"task": "rest", "duration_s": 5}]})
