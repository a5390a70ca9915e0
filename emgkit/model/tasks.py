"""Trial tasks: ``mvc``, ``hinge``, ``squat``, ``rest`` or ``other:<name>``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from emgkit.errors import ConfigError

BASE_TASKS = ("mvc", "hinge", "squat", "rest")
_OTHER = re.compile(r"other:[a-z0-9][a-z0-9_\-]*")  # whole string (fullmatch)

#: Known variants, for help texts; any snake_case variant is accepted.
VARIANTS = {
    "hinge": ("romanian_deadlift", "kettlebell_deadlift", "kettlebell_swing"),
    "squat": ("back_squat", "goblet_squat", "front_squat"),
}


@dataclass(frozen=True)
class Task:
    """A trial's task with its optional qualifiers.

    Parameters
    ----------
    name : str
        ``mvc``, ``hinge``, ``squat``, ``rest`` or ``other:<name>``.
    target : str, optional
        For an MVC trial, the muscle or group it targets (e.g. ``hamstrings``).
    variant : str, optional
        For a hinge or squat, e.g. ``romanian_deadlift`` or ``goblet_squat``.
    load_kg : float, optional
        External load in kilograms.
    """

    name: str
    target: str | None = None
    variant: str | None = None
    load_kg: float | None = None


def parse_task(
    name: str,
    target: str | None = None,
    variant: str | None = None,
    load_kg: float | None = None,
) -> Task:
    """Validate and return a :class:`Task`.

    Raises
    ------
    ConfigError
        If the task name is not one of the allowed forms, a variant is not snake_case,
        or the load is negative.
    """
    if name not in BASE_TASKS and not _OTHER.fullmatch(name or ""):
        raise ConfigError(
            f"Invalid task {name!r}: expected one of {', '.join(BASE_TASKS)} or 'other:<name>' "
            "(lower case, digits, '_' or '-')"
        )
    if target is not None and name != "mvc":
        raise ConfigError(f"a target is only for 'mvc' trials, but the task is {name!r}")
    if variant is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_]*", variant):
        raise ConfigError(
            f"a variant must be snake_case (e.g. 'romanian_deadlift'), got {variant!r}"
        )
    if load_kg is not None:
        try:
            load_kg = float(load_kg)
        except (TypeError, ValueError):
            raise ConfigError(f"load_kg must be a number of kg, but got {load_kg!r}") from None
        if not 0 <= load_kg < 10_000:
            raise ConfigError(f"load_kg must be a finite number of kg >= 0, but got {load_kg!r}")
    return Task(name, target, variant, load_kg)
