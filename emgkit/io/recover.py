"""Recovering a session file whose last trial was interrupted (power cut, SIGKILL, crash).

A recorder flushes at least once a second, so after a crash the file opens with every
row up to the last flush; but the interrupted trial was never closed: it has no
``closed_utc``, and its datasets may differ in length by the rows of a block that was
being appended. :func:`recover_session` trims every dataset of such a trial to their
common length, drops events beyond it, and closes it with ``completed = False`` and a
note. Trials that were closed are not touched. The repair is atomic: it is done on a
copy that replaces the file only when it succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import h5py
import numpy as np

from emgkit.errors import FormatError
from emgkit.io.atomic import atomic_path
from emgkit.io.writer import utc_now

_SIGNALS = ("emg", "accel", "package_num", "timestamps")


@dataclass(frozen=True)
class RecoveredTrial:
    """What :func:`recover_session` did to one trial."""

    trial_id: str
    n_samples: int
    rows_dropped: int
    events_dropped: int


def interrupted_trials(path: str | PathLike) -> list[str]:
    """Ids of the trials of ``path`` that were never closed."""
    from emgkit.io.reader import SessionFile  # validates the file

    with SessionFile(path) as sf:
        return [t for t in sf.trial_ids if "closed_utc" not in sf.file["trials"][t].attrs]


def recover_session(path: str | PathLike) -> list[RecoveredTrial]:
    """Close the trials a crash cut short: trimmed to the rows every dataset reached.

    Each such trial is marked incomplete and recovered, with a note.

    Parameters
    ----------
    path : str or os.PathLike
        The session file (modified in place, atomically).

    Returns
    -------
    list of RecoveredTrial
        One entry per trial that was repaired; empty if none needed it.

    Raises
    ------
    FormatError
        If the file is not a readable emgkit session (a recorder killed before its
        first flush leaves such a file; nothing can be recovered from it).
    """
    path = Path(path)
    todo = interrupted_trials(path)
    if not todo:
        return []
    done: list[RecoveredTrial] = []
    with atomic_path(path, copy_existing=True) as tmp, h5py.File(tmp, "r+") as f:
        for tid in todo:
            done.append(_recover_trial(f["trials"][tid], tid))
    return done


def _recover_trial(g: h5py.Group, tid: str) -> RecoveredTrial:
    if "emg" not in g:
        raise FormatError(f"trial {tid} has no 'emg' dataset; cannot recover it")
    lengths = {name: g[name].shape[0] for name in _SIGNALS if name in g}
    n = min(lengths.values())
    dropped = max(lengths.values()) - n
    for name in lengths:
        if g[name].shape[0] != n:
            g[name].resize(n, axis=0)
    ev_dropped = 0
    if "events" in g:
        ev = g["events"][()]
        keep = ev["sample"] <= n
        ev_dropped = int((~keep).sum())
        if ev_dropped:
            kept = ev[keep]
            g["events"].resize(kept.shape[0], axis=0)
            if kept.shape[0]:
                g["events"][:] = kept
    note = (f"recovered {utc_now()}: recording interrupted; closed with {n} samples "
            f"({dropped} unflushed rows and {ev_dropped} events beyond them dropped)")
    old = g.attrs.get("notes", "")
    g.attrs["notes"] = f"{old}; {note}" if old else note
    g.attrs["completed"] = False
    g.attrs["n_samples"] = np.int64(n)
    g.attrs["closed_utc"] = utc_now()
    g.attrs["recovered"] = True
    return RecoveredTrial(tid, n, dropped, ev_dropped)
