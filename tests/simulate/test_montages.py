import pytest

from emgkit.errors import ConfigError
from emgkit.simulate import default_montage


def test_default_montages():
    m8 = default_montage("cyton")
    assert m8.numbers == tuple(range(1, 9)) and {c.side for c in m8.channels} == {"right"}
    assert all(c.placement for c in m8.channels)
    assert m8.names[:2] == ("semitendinosus_right", "biceps_femoris_right")
    m16 = default_montage("cyton-daisy")
    assert len(m16.channels) == 16 and m16.channels[8].name == "semitendinosus_left"
    assert len(default_montage("ganglion").channels) == 4


def test_unknown_board():
    with pytest.raises(ConfigError, match="board"):
        default_montage("muse")
