"""The muscle vocabulary and the groups derived from it.

Names are snake_case anatomical names (see ``CONTRACT.md``); each channel also has a
side, ``left`` or ``right``. A lab may add names only through the ``[muscles]`` table
of its montage file (see :mod:`emgkit.model.montage`).
"""

from __future__ import annotations

from dataclasses import dataclass

from emgkit.errors import ConfigError

SIDES = ("left", "right")


@dataclass(frozen=True)
class Muscle:
    """One muscle of the vocabulary.

    Parameters
    ----------
    name : str
        snake_case anatomical name.
    groups : tuple of str
        The derived groups it belongs to, most specific first.
    region : str
        ``trunk`` or ``limb``: trunk channels get the ECG high-pass by default.
    """

    name: str
    groups: tuple[str, ...]
    region: str = "limb"


_DEFS: tuple[Muscle, ...] = (
    Muscle("semitendinosus", ("medial_hamstrings", "hamstrings")),
    Muscle("semimembranosus", ("medial_hamstrings", "hamstrings")),
    Muscle("biceps_femoris", ("lateral_hamstrings", "hamstrings")),
    Muscle("gluteus_maximus", ("gluteals",)),
    Muscle("gluteus_medius", ("gluteals",)),
    Muscle("erector_spinae", ("back_extensors",), "trunk"),
    Muscle("longissimus", ("back_extensors",), "trunk"),
    Muscle("iliocostalis", ("back_extensors",), "trunk"),
    Muscle("multifidus", ("back_extensors",), "trunk"),
    Muscle("rectus_femoris", ("quadriceps",)),
    Muscle("vastus_lateralis", ("quadriceps",)),
    Muscle("vastus_medialis", ("quadriceps",)),
    Muscle("rectus_abdominis", ("abdominals",), "trunk"),
    Muscle("external_oblique", ("abdominals",), "trunk"),
    Muscle("internal_oblique", ("abdominals",), "trunk"),
    Muscle("tibialis_anterior", ("shank",)),
    Muscle("gastrocnemius_medialis", ("triceps_surae",)),
    Muscle("gastrocnemius_lateralis", ("triceps_surae",)),
    Muscle("soleus", ("triceps_surae",)),
)

#: The built-in vocabulary, by name.
MUSCLES: dict[str, Muscle] = {m.name: m for m in _DEFS}

#: Derived groups, each to the tuple of built-in muscle names in it.
GROUPS: dict[str, tuple[str, ...]] = {}
for _m in _DEFS:
    for _g in _m.groups:
        GROUPS.setdefault(_g, ())
        GROUPS[_g] = (*GROUPS[_g], _m.name)
del _m, _g


def lookup_muscle(name: str, extra: dict[str, Muscle] | None = None) -> Muscle:
    """Return the :class:`Muscle` called ``name``.

    Parameters
    ----------
    name : str
        A name from the vocabulary, or from ``extra``.
    extra : dict, optional
        Muscles a montage added through its ``[muscles]`` table.

    Raises
    ------
    ConfigError
        If the name is unknown; the message lists the known names.
    """
    known = {**MUSCLES, **(extra or {})}
    if name not in known:
        raise ConfigError(
            f"unknown muscle {name!r}; known muscles are {', '.join(sorted(known))} "
            "(a lab may add names in its montage file through a [muscles] table)"
        )
    return known[name]


def muscles_in_group(group: str, extra: dict[str, Muscle] | None = None) -> tuple[str, ...]:
    """Return the muscle names in ``group`` (built-in and montage-added)."""
    names = list(GROUPS.get(group, ()))
    for m in (extra or {}).values():
        if group in m.groups and m.name not in names:
            names.append(m.name)
    if not names and group not in GROUPS:
        raise ConfigError(
            f"unknown muscle group {group!r}; known groups are {', '.join(sorted(GROUPS))}"
        )
    return tuple(names)


def check_side(side: str) -> str:
    """Return ``side`` if it is ``left`` or ``right``, else raise :class:`ConfigError`."""
    if side not in SIDES:
        raise ConfigError(f"side must be 'left' or 'right', but got {side!r}")
    return side
