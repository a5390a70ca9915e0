"""BIDS names: labels, entities and file stems shared by the export and the import.

BIDS labels are alphanumeric (``[0-9a-zA-Z]+``); emgkit's subject ids and task names
may hold ``_``, ``-`` and ``:``, so they are sanitised here, once.
"""

from __future__ import annotations

import re

from emgkit.errors import ConfigError
from emgkit.model.tasks import BASE_TASKS

#: BIDS version the export follows (EMG entered BIDS in 1.11).
BIDS_VERSION = "1.11.0"
#: The BIDS data type (and file suffix) of EMG recordings.
DATATYPE = "emg"
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def bids_label(text: str, what: str = "label") -> str:
    """Return ``text`` with every character that is not a letter or digit removed.

    Raises
    ------
    ConfigError
        If nothing is left.
    """
    label = _NON_ALNUM.sub("", str(text))
    if not label:
        raise ConfigError(f"cannot make a BIDS {what} (letters and digits) of {text!r}")
    return label


def task_label(task: str) -> str:
    """Return the BIDS ``task-<label>`` of an emgkit task name.

    ``mvc``, ``hinge``, ``squat`` and ``rest`` keep their names; ``other:<name>`` becomes
    the alphanumeric part of ``<name>`` (``other:box-jump`` -> ``boxjump``), prefixed
    with ``other`` when that would collide with a base task or be empty.

    Examples
    --------
    >>> task_label("hinge"), task_label("other:box-jump"), task_label("other:rest")
    ('hinge', 'boxjump', 'otherrest')
    """
    if task in BASE_TASKS:
        return task
    name = _NON_ALNUM.sub("", task.split(":", 1)[-1])
    if not name or name in BASE_TASKS:
        name = "other" + name
    return name


def file_stem(sub: str, task: str, ses: str | None = None, run: int | None = None) -> str:
    """Return ``sub-<sub>[_ses-<ses>]_task-<task>[_run-<run>]``."""
    parts = [f"sub-{sub}"]
    if ses is not None:
        parts.append(f"ses-{ses}")
    parts.append(f"task-{task}")
    if run is not None:
        parts.append(f"run-{run}")
    return "_".join(parts)


def parse_entities(stem: str) -> dict[str, str]:
    """Return the entities of a BIDS file stem, e.g. ``{"sub": "S01", "task": "hinge"}``.

    The suffix (the part after the last ``_`` without a ``-``) is returned as ``suffix``.
    """
    out: dict[str, str] = {}
    for part in stem.split("_"):
        if "-" in part:
            k, v = part.split("-", 1)
            out[k] = v
        else:
            out["suffix"] = part
    return out
