"""Montages: which board input records which muscle.

A montage file is TOML (see ``CONTRACT.md``)::

    name = "posterior-chain-cyton8"
    board = "cyton"
    [[channel]]
    number = 1
    muscle = "semitendinosus"
    side = "left"
    placement = "SENIAM: 50% of the line ischial tuberosity - medial tibial epicondyle"

An optional ``[muscles]`` table adds names to the vocabulary, each with its groups::

    [muscles]
    adductor_magnus = { groups = ["adductors"], region = "limb" }
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from emgkit.errors import ConfigError
from emgkit.model.muscles import Muscle, check_side, lookup_muscle
from emgkit.model.tomlfile import read_toml


@dataclass(frozen=True)
class Channel:
    """One recorded EMG channel.

    Parameters
    ----------
    number : int
        Board input, 1-based (N1P = 1; Daisy inputs 9-16). ``EXG Channel 0`` in
        OpenBCI files is number 1.
    muscle : str
        Muscle name from the vocabulary.
    side : str
        ``left`` or ``right``.
    label : str
        Distinguishes two channels on the same muscle and side; empty if not needed.
    placement : str
        Electrode placement, e.g. the SENIAM recommendation used.
    """

    number: int
    muscle: str
    side: str
    label: str = ""
    placement: str = ""

    @property
    def name(self) -> str:
        """A unique, readable channel name, e.g. ``semitendinosus_left``."""
        base = f"{self.muscle}_{self.side}"
        return f"{base}_{self.label}" if self.label else base


@dataclass(frozen=True)
class Montage:
    """The channels of a session, in the order their columns are stored.

    Parameters
    ----------
    name : str
        A name for the montage.
    channels : tuple of Channel
        The recorded channels, in storage order.
    board : str, optional
        The board the montage was drawn up for.
    extra_muscles : dict
        Muscles added by the montage's ``[muscles]`` table.
    source : str, optional
        The file it was read from, for messages (not part of the montage's identity).
    """

    name: str
    channels: tuple[Channel, ...]
    board: str | None = None
    extra_muscles: dict[str, Muscle] = field(default_factory=dict)
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self):
        if not self.channels:
            raise ConfigError(f"montage {self.name!r} has no [[channel]] entries")
        numbers = [c.number for c in self.channels]
        dup = sorted({n for n in numbers if numbers.count(n) > 1})
        if dup:
            raise ConfigError(f"montage {self.name!r}: board input(s) {dup} listed more than once")
        for c in self.channels:
            if not isinstance(c.number, int) or isinstance(c.number, bool) or c.number < 1:
                raise ConfigError(
                    f"montage {self.name!r}: channel number must be an integer >= 1, "
                    f"got {c.number!r}"
                )
            lookup_muscle(c.muscle, self.extra_muscles)
            check_side(c.side)
        names = [c.name for c in self.channels]
        dup_names = sorted({n for n in names if names.count(n) > 1})
        if dup_names:
            raise ConfigError(
                f"montage {self.name!r}: {', '.join(dup_names)} named by more than one channel; "
                "give them distinct 'label's"
            )

    @property
    def numbers(self) -> tuple[int, ...]:
        """Board inputs in storage order."""
        return tuple(c.number for c in self.channels)

    @property
    def names(self) -> tuple[str, ...]:
        """Channel names in storage order."""
        return tuple(c.name for c in self.channels)

    def muscle(self, name: str) -> Muscle:
        """Return the :class:`Muscle` definition for a muscle name used in this montage."""
        return lookup_muscle(name, self.extra_muscles)

    def index(self, muscle: str, side: str, label: str = "") -> int:
        """Return the storage column of the channel on ``muscle`` and ``side``."""
        for i, c in enumerate(self.channels):
            if (c.muscle, c.side, c.label) == (muscle, side, label):
                return i
        raise KeyError(f"no channel on {muscle} {side}{' ' + label if label else ''}")

    def to_dict(self) -> dict:
        """Return the montage as plain data (the TOML file's structure)."""
        d: dict = {"name": self.name}
        if self.board:
            d["board"] = self.board
        if self.extra_muscles:
            d["muscles"] = {
                m.name: {"groups": list(m.groups), "region": m.region}
                for m in self.extra_muscles.values()
            }
        d["channel"] = [
            {k: v for k, v in vars(c).items() if v != "" or k in ("muscle", "side")}
            for c in self.channels
        ]
        return d


def parse_montage(data: dict, source: str = "<montage>") -> Montage:
    """Build a :class:`Montage` from the parsed TOML structure.

    Raises
    ------
    ConfigError
        On a missing or mistyped key, an unknown muscle, side or duplicate channel.
    """
    allowed_top = {"name", "board", "channel", "muscles", "description"}
    unknown = sorted(set(data) - allowed_top)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in montage; allowed are {sorted(allowed_top)}", source
        )
    extra: dict[str, Muscle] = {}
    for mname, spec in (data.get("muscles") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("groups", []), list):
            raise ConfigError(
                f"[muscles].{mname} must be a table like {{ groups = [\"...\"] }}", source
            )
        region = spec.get("region", "limb")
        if region not in ("limb", "trunk"):
            raise ConfigError(f"[muscles].{mname}.region must be 'limb' or 'trunk'", source)
        name = _text(mname, "[muscles] name", source)
        extra[mname] = Muscle(name, tuple(spec.get("groups", [])), region)
    raw = data.get("channel")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("a montage needs at least one [[channel]] table", source)
    channels = []
    for i, ch in enumerate(raw, 1):
        if not isinstance(ch, dict):
            raise ConfigError(f"[[channel]] entry {i} is not a table", source)
        missing = [k for k in ("number", "muscle", "side") if k not in ch]
        if missing:
            raise ConfigError(f"[[channel]] entry {i} lacks {', '.join(missing)}", source)
        bad = sorted(set(ch) - {"number", "muscle", "side", "label", "placement"})
        if bad:
            raise ConfigError(f"[[channel]] entry {i}: unknown key(s) {bad}", source)
        channels.append(
            Channel(
                number=ch["number"],
                muscle=_text(ch["muscle"], f"[[channel]] entry {i}: muscle", source),
                side=_text(ch["side"], f"[[channel]] entry {i}: side", source),
                label=_text(ch.get("label", ""), f"[[channel]] entry {i}: label", source),
                placement=_text(ch.get("placement", ""), f"[[channel]] entry {i}: placement",
                                source),
            )
        )
    try:
        return Montage(
            name=_text(data.get("name", Path(source).stem), "name", source),
            channels=tuple(channels),
            board=data.get("board"),
            extra_muscles=extra,
            source="" if source == "<montage>" else source,
        )
    except ConfigError as e:
        raise ConfigError(e.message, source) from None


def _text(value, what: str, source: str) -> str:
    """``value`` as text for a name or label: no control characters (NUL, newline, ...).

    Such characters cannot be stored as HDF5 strings (NUL), break one-line messages and
    table rows (newline), or hide what a label says (escape sequences).
    """
    text = str(value)
    bad = next((c for c in text if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise ConfigError(f"{what} contains the control character {bad!r} "
                          f"(at {text.index(bad)}); names and labels are printable text", source)
    return text


def load_montage(path: str | PathLike) -> Montage:
    """Read a montage TOML file.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or not a valid montage.
    """
    return parse_montage(read_toml(path, "montage"), str(Path(path)))
