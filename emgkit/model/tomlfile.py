"""Reading the TOML files emgkit takes (montages, protocols, processing configs)."""

from __future__ import annotations

import sys
from os import PathLike
from pathlib import Path

from emgkit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib


def read_toml(path: str | PathLike, what: str) -> dict:
    """Parse a TOML file into a dict.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str
        What the file is (``montage``, ``config``, ``protocol``), for the messages.

    Raises
    ------
    ConfigError
        Naming the file, if it is missing, unreadable or not valid TOML.
    """
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found", p) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {what} file ({e})", p) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML ({e})", p) from None
