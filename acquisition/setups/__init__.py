"""The montages and protocols emgkit ships (TOML files beside this module).

Montages: ``cyton8-posterior-chain``, ``daisy16-bilateral``, ``ganglion4-hamstrings``.
Protocols: ``lab-full``, ``short`` (files ``protocol-<name>.toml``).
"""

from __future__ import annotations

from pathlib import Path

from emgkit.errors import ConfigError

SETUPS_DIR = Path(__file__).resolve().parent


def montage_names() -> list[str]:
    """Names of the shipped montages."""
    return sorted(p.stem for p in SETUPS_DIR.glob("*.toml") if not p.stem.startswith("protocol-"))


def protocol_names() -> list[str]:
    """Names of the shipped protocols."""
    return sorted(p.stem[len("protocol-"):] for p in SETUPS_DIR.glob("protocol-*.toml"))


def find_setup(name_or_path: str, kind: str) -> Path:
    """Return the file of a shipped montage or protocol, or ``name_or_path`` if it is a file.

    Parameters
    ----------
    name_or_path : str
        A path to a TOML file, or the name of a shipped one (``cyton8-posterior-chain``).
    kind : {"montage", "protocol"}
        What to look for.

    Raises
    ------
    ConfigError
        If it is neither an existing file nor a shipped name; the message lists the names.
    """
    p = Path(name_or_path)
    if p.is_file():
        return p
    names = montage_names() if kind == "montage" else protocol_names()
    stem = name_or_path.removesuffix(".toml")
    if stem in names:
        return SETUPS_DIR / (stem + ".toml" if kind == "montage" else f"protocol-{stem}.toml")
    raise ConfigError(
        f"no {kind} file or shipped {kind} named {name_or_path!r}; shipped {kind}s are "
        f"{', '.join(names)}"
    )
