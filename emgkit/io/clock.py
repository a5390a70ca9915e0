"""The timing audit of a stored trial: its effective rate from its own time stamps.

The measurement is the core's (:func:`emgkit.core.timing.measure_rate`); this module
reads what it needs from a trial group (the ``timestamps`` dataset and the ``gap``
events, so that lost samples are counted), in bounded memory.
"""

from __future__ import annotations

import h5py
import numpy as np

from emgkit.core.timing import MAX_POINTS, RateAudit, clock_index, measure_rate
from emgkit.io import schema

#: Trial attribute holding the measured rate (written when a trial is closed).
MEASURED_FS_ATTR = "measured_fs_hz"


def audit_trial_group(g: h5py.Group) -> RateAudit | None:
    """Measure a trial's effective sampling rate from its stored time stamps.

    Parameters
    ----------
    g : h5py.Group
        A trial group of a session file.

    Returns
    -------
    RateAudit or None
        None when the trial has no time stamps, or too few to tell.
    """
    if "timestamps" not in g:
        return None
    ts = g["timestamps"]
    n = int(ts.shape[0])
    if n < 4:
        return None
    step = max(1, -(-n // MAX_POINTS))
    picked = np.arange(0, n, step)
    t = ts[::step] if step > 1 else ts[()]
    gap_at, gap_missing = _gaps(g)
    index = clock_index(picked, gap_at, gap_missing)
    return measure_rate(np.asarray(t, dtype=np.float64), float(g.attrs["fs_hz"]), index)


def _gaps(g: h5py.Group) -> tuple[np.ndarray, np.ndarray]:
    if "events" not in g or g["events"].shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    rows = g["events"][()]
    is_gap = np.array([schema.decode(k) == "gap" for k in rows["kind"]], dtype=bool)
    return rows["sample"][is_gap].astype(np.int64), rows["value"][is_gap].astype(np.float64)
