"""Bridges to other tools: a trial as an MNE ``RawArray``, metrics as a pandas table.

>>> raw = to_mne_raw(session, "t003")        # doctest: +SKIP
>>> raw.plot()                               # doctest: +SKIP
>>> df = metrics_frame(analyse_session(session))   # doctest: +SKIP

MNE-Python is optional (``pip install 'emgkit[mne]'``) and imported only when a bridge
to it is used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emgkit.analysis.metrics import SessionMetrics
from emgkit.analysis.tables import metrics_table
from emgkit.errors import ConfigError
from emgkit.model.session import Session, Trial

#: The metrics columns of ``CONTRACT.md``: required, then recommended.
CONTRACT_COLUMNS = ("subject", "trial", "task", "rep", "muscle", "side", "mean_pct_mvc",
                    "peak_pct_mvc")
RECOMMENDED_COLUMNS = ("session", "variant", "load_kg", "channel", "start_s", "end_s",
                       "iemg_pct_mvc_s", "onset_s", "median_freq_hz", "qc_flags")


def _mne():
    try:
        import mne
    except ImportError:
        raise ConfigError("this needs MNE-Python, which is not installed: "
                          "pip install 'emgkit[mne]' (or pip install mne)") from None
    return mne


def to_mne_raw(session: Session, trial: str | Trial | None = None, *, verbose=False):
    """Return one trial of a session as an :class:`mne.io.RawArray`.

    Parameters
    ----------
    session : Session
        The session (montage, device, subject).
    trial : str or Trial, optional
        The trial or its id; the session's only trial when None.
    verbose : bool or str
        MNE's verbosity.

    Returns
    -------
    mne.io.RawArray
        Channels of type ``emg`` named as the montage, data in volts (µV x 1e-6),
        ``line_freq`` from the device, the subject's id in ``subject_info["his_id"]``,
        and the events as annotations (description ``<kind>`` or ``<kind>/<label>``;
        a gap lasts its missing time).

    Raises
    ------
    ConfigError
        If MNE is not installed, or ``trial`` is None and the session has several.
    """
    mne = _mne()
    if trial is None:
        if len(session.trials) != 1:
            raise ConfigError(f"the session has {len(session.trials)} trials; name one of "
                              f"{[t.id for t in session.trials]}")
        trial = session.trials[0]
    elif isinstance(trial, str):
        trial = session.trial(trial)
    info = mne.create_info(list(session.montage.names), trial.fs_hz, ch_types="emg",
                           verbose=verbose)
    if session.device.mains_hz:
        info["line_freq"] = float(session.device.mains_hz)
    info["subject_info"] = {"his_id": session.subject}
    raw = mne.io.RawArray(np.asarray(trial.emg_uv, dtype=np.float64).T * 1e-6, info,
                          verbose=verbose)
    ev = trial.events
    if len(ev):
        onset = ev.sample / trial.fs_hz
        dur = np.where((ev.kind == "gap") & np.isfinite(ev.value),
                       np.nan_to_num(ev.value) / trial.fs_hz, 0.0)
        desc = [f"{k}/{lab}" if lab else str(k) for k, lab in zip(ev.kind, ev.label)]
        raw.set_annotations(mne.Annotations(onset, dur, desc))
    return raw


def metrics_frame(metrics: SessionMetrics | Sequence[SessionMetrics], *,
                  all_columns: bool = False):
    """Return the metrics of analysed sessions as a tidy pandas table.

    Parameters
    ----------
    metrics : SessionMetrics or sequence of them
        From :func:`emgkit.analysis.metrics.analyse_session`.
    all_columns : bool
        Keep every column of :func:`emgkit.analysis.tables.metrics_table`; by default
        only the contract's required and recommended columns, in that order.

    Returns
    -------
    pandas.DataFrame
        One row per subject x trial x repetition x channel.
    """
    if isinstance(metrics, SessionMetrics):
        metrics = [metrics]
    df = metrics_table(metrics)
    return df if all_columns else df[list(CONTRACT_COLUMNS + RECOMMENDED_COLUMNS)]
