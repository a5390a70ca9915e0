"""Muscle vocabulary, montage files and tasks."""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.core.packets import counter_step, find_gaps
from emgkit.errors import ConfigError
from emgkit.model import GROUPS, MUSCLES, load_montage, muscles_in_group, parse_task
from emgkit.model.session import Events, check_subject


def test_vocabulary_and_groups_match_the_contract():
    assert set(GROUPS["medial_hamstrings"]) == {"semitendinosus", "semimembranosus"}
    assert GROUPS["lateral_hamstrings"] == ("biceps_femoris",)
    assert set(GROUPS["hamstrings"]) == {"semitendinosus", "semimembranosus", "biceps_femoris"}
    assert set(GROUPS["back_extensors"]) == {"erector_spinae", "longissimus", "iliocostalis",
                                             "multifidus"}
    assert set(GROUPS["quadriceps"]) == {"rectus_femoris", "vastus_lateralis", "vastus_medialis"}
    assert set(GROUPS["abdominals"]) == {"rectus_abdominis", "external_oblique",
                                         "internal_oblique"}
    assert MUSCLES["erector_spinae"].region == "trunk"
    assert MUSCLES["biceps_femoris"].region == "limb"
    assert len(MUSCLES) == 19


def test_load_montage(montage_toml):
    m = load_montage(montage_toml)
    assert m.name == "test-posterior" and m.board == "cyton"
    assert m.numbers == (1, 2, 3, 4)
    assert m.names[0] == "semitendinosus_right"
    assert m.channels[0].placement.startswith("SENIAM")
    assert m.index("erector_spinae", "right") == 3


def _write(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[channel]]\nnumber = 1\nmuscle = "hamstring"\nside = "left"\n',
         r"unknown muscle 'hamstring'; known muscles are .*semitendinosus"),
        ('[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "middle"\n', "side must be"),
        ('[[channel]]\nnumber = 0\nmuscle = "soleus"\nside = "left"\n', "integer >= 1"),
        ('[[channel]]\nnumber = 1\nmuscle = "soleus"\n', "lacks side"),
        ('[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "left"\n'
         '[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "right"\n', "more than once"),
        ('[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "left"\n'
         '[[channel]]\nnumber = 2\nmuscle = "soleus"\nside = "left"\n', "distinct 'label'"),
        ('name = "x"\n', "at least one"),
        ('name = "x"\nfoo = 1\n[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "left"\n',
         "unknown key"),
        ("this is = not [toml", "not valid TOML"),
        ('[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "left"\nlabel = "a\\u0000b"\n',
         r"entry 1: label contains the control character '\\x00'"),
        ('[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "left"\nplacement = "x\\ny"\n',
         r"entry 1: placement contains the control character '\\n'"),
        ('name = "a\\u001b[31m"\n[[channel]]\nnumber = 1\nmuscle = "soleus"\nside = "left"\n',
         r"name contains the control character '\\x1b'"),
    ],
)
def test_bad_montages_are_config_errors_naming_the_file(tmp_path, text, message):
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as e:
        load_montage(p)
    assert str(p) in str(e.value)


def test_montage_may_add_muscles_only_through_muscles_table(tmp_path):
    p = _write(
        tmp_path,
        '[muscles]\nadductor_magnus = { groups = ["adductors", "hamstrings"] }\n'
        '[[channel]]\nnumber = 1\nmuscle = "adductor_magnus"\nside = "left"\n'
        '[[channel]]\nnumber = 2\nmuscle = "soleus"\nside = "left"\nlabel = "a"\n'
        '[[channel]]\nnumber = 3\nmuscle = "soleus"\nside = "left"\nlabel = "b"\n',
    )
    m = load_montage(p)
    assert "adductor_magnus" in muscles_in_group("hamstrings", m.extra_muscles)
    assert m.names == ("adductor_magnus_left", "soleus_left_a", "soleus_left_b")


def test_missing_montage_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_montage(tmp_path / "nope.toml")


@pytest.mark.parametrize("name", ["mvc", "hinge", "squat", "rest", "other:plank", "other:kb-swing"])
def test_valid_tasks(name):
    assert parse_task(name).name == name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("jump",), "Invalid task 'jump'"),
        (("other:",), "Invalid task"),
        (("hinge", "hamstrings"), "only for 'mvc'"),
        (("hinge", None, "Romanian Deadlift"), "snake_case"),
        (("squat", None, None, -5), "load_kg must be a finite number of kg >= 0"),
    ],
)
def test_invalid_tasks(args, message):
    with pytest.raises(ConfigError, match=message):
        parse_task(*args)


@pytest.mark.parametrize("bad", ["", "a b", "../x", "x" * 65, "<script>", "-x"])
def test_subject_ids_are_path_safe(bad):
    with pytest.raises(ConfigError, match="subject id"):
        check_subject(bad)


def test_events_reject_unknown_kinds():
    with pytest.raises(ConfigError, match="unknown event kind"):
        Events([1], ["boom"])
    ev = Events([5, 1], ["gap", "marker"], ["", "3"], [2, np.nan]).append(0, "gap", value=1)
    assert ev.of_kind("gap").sample.tolist() == [0, 5]


def test_packet_gaps_exact():
    pn = np.arange(2000) % 256
    dropped = [10, 11, 12, 700, 1999 - 5]
    kept = np.delete(pn, dropped)
    at, missing = find_gaps(kept)
    assert at.tolist() == [10, 697, 1990]
    assert missing.tolist() == [3, 1, 1]
    daisy = np.arange(0, 4000, 2) % 256
    assert counter_step(daisy) == 2
    at, missing = find_gaps(np.delete(daisy, [100, 101]))
    assert (at.tolist(), missing.tolist()) == ([100], [2])
    at, missing = find_gaps(np.array([4, 5]), step=1, previous=2)
    assert (at.tolist(), missing.tolist()) == ([0], [1])
