"""Shared validators with one message shape.

``Invalid value for the 'x' parameter. Allowed values are ..., but got 'y' instead.``
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from emgkit.errors import ConfigError


def check_option(name: str, value: Any, allowed: Iterable[Any], error=ConfigError) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ``error``."""
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise error(
            f"Invalid value for the {name!r} parameter. Allowed values are {shown}, "
            f"but got {value!r} instead."
        )
    return value


def check_positive(name: str, value: Any, unit: str = "", error=ConfigError) -> float:
    """Return ``value`` as float if it is finite and > 0, else raise ``error``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a positive number{_u(unit)}, but got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise error(f"{name} must be a positive number{_u(unit)}, but got {value!r}")
    return v


def check_nonnegative(name: str, value: Any, unit: str = "", error=ConfigError) -> float:
    """Return ``value`` as float if it is finite and >= 0, else raise ``error``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number >= 0{_u(unit)}, but got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise error(f"{name} must be a number >= 0{_u(unit)}, but got {value!r}")
    return v


def _u(unit: str) -> str:
    return f" (in {unit})" if unit else ""
