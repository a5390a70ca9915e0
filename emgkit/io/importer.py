"""Import recordings into a session file: one trial per file, atomically.

The session file is copied to a temporary file, the trials are added there, and the
copy replaces the original only when every file has been read and written: a failed
import leaves the session exactly as it was (or absent, if it was being created).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import h5py
import numpy as np

from emgkit.core.timing import clock_index, measure_rate
from emgkit.errors import FormatError
from emgkit.io.atomic import atomic_path
from emgkit.io.reader import SessionFile
from emgkit.io.readers import TableLayout, read_recording
from emgkit.io.readers.base import Recording
from emgkit.io.writer import SessionWriter, init_session_file
from emgkit.model.montage import Montage
from emgkit.model.session import Device, Source, check_subject
from emgkit.model.tasks import Task

log = logging.getLogger("emgkit")


def select_channels(rec: Recording, montage: Montage, channels: Sequence[int] | None = None):
    """Return the recording's EMG columns in montage order, float32 ``(n, n_montage)``.

    Parameters
    ----------
    rec : Recording
        The file's channels.
    montage : Montage
        The channels to keep.
    channels : sequence of int, optional
        The board inputs the user chose to import (``--channels``): required, and equal
        to the montage's inputs, when the file has inputs the montage does not name, so
        that no recorded channel is dropped silently (a 16-channel Daisy file with an
        8-channel montage).

    Raises
    ------
    FormatError
        If the montage names a board input the file does not have, or the file has
        inputs the montage leaves out and ``channels`` does not say to drop them.
    """
    cols = []
    for ch in montage.channels:
        if ch.number not in rec.channel_numbers:
            have = _ranges(rec.channel_numbers)
            raise FormatError(
                f"channel {ch.number} ({ch.muscle} {ch.side}) of montage "
                f"{montage.source or repr(montage.name)} is not among the recording's board "
                f"inputs {have}", rec.path,
            )
        cols.append(rec.channel_numbers.index(ch.number))
    if channels is not None and sorted(set(channels)) != sorted(montage.numbers):
        raise FormatError(f"--channels {_ranges(channels)} must be the montage's inputs "
                          f"({_ranges(montage.numbers)})", rec.path)
    extra = sorted(set(rec.channel_numbers) - set(montage.numbers))
    if extra and channels is None:
        raise FormatError(
            f"the file has board inputs {_ranges(rec.channel_numbers)} but the montage names "
            f"only {_ranges(montage.numbers)}: inputs {_ranges(extra)} would be dropped; give "
            f"--channels {_ranges(montage.numbers)} to import only those, or a montage that "
            "names every input", rec.path)
    return rec.emg_uv[:, cols]


def device_from_recording(rec: Recording, mains_hz: float | None = None) -> Device:
    """Return the :class:`Device` a recording implies."""
    return Device(board=rec.board, fs_hz=float(rec.fs_hz), gain=rec.gain,
                  uv_per_count=rec.uv_per_count, full_scale_uv=rec.full_scale_uv,
                  mains_hz=mains_hz)


def import_files(
    paths: Sequence[str | PathLike],
    montage: Montage,
    task: Task,
    into: str | PathLike,
    subject: str | None = None,
    board: str | None = None,
    mains_hz: float | None = None,
    allow_duplicate: bool = False,
    *,
    fs_hz: float | None = None,
    gain: float | None = None,
    layout: TableLayout | None = None,
    channels: Sequence[int] | None = None,
    **read_options,
) -> list[str]:
    """Add one trial per file to the session ``into`` (created if absent).

    Parameters
    ----------
    paths : sequence of path
        Recording files (OpenBCI GUI text, BrainFlow CSV, EDF/BDF).
    montage : Montage
        Which board inputs to keep, and what they record.
    task : Task
        The task of every imported trial.
    into : path
        The session file.
    subject : str, optional
        Subject id; required when the session is created, checked otherwise.
    board : str, optional
        Board of BrainFlow CSV files (their layout depends on it), or of SD-card files.
    mains_hz : float, optional
        Mains frequency to record in the device, when creating the session.
    allow_duplicate : bool
        Add a file whose sha256 is already in the session (or twice in ``paths``);
        refused by default.
    fs_hz, gain : float, optional
        Cyton SD-card files: the sampling rate and ADS1299 gain (see
        :func:`~emgkit.io.readers.read_recording`).
    layout : TableLayout, optional
        Read the files as delimited-text tables with this column mapping.
    channels : sequence of int, optional
        The board inputs to import when a file has more than the montage names (see
        :func:`select_channels`).
    **read_options
        XDF and C3D options of :func:`~emgkit.io.readers.read_recording`
        (``stream``, ``marker_stream``, ``analog``, ``delay_s``, ``unit``).

    Returns
    -------
    list of str
        The new trial ids, in the order of ``paths``.

    Raises
    ------
    FormatError, ConfigError
        On any bad input; the session file is then left unchanged.
    """
    into = Path(into)
    if not paths:
        raise FormatError("no input files given")
    recordings = [read_recording(p, board=board, fs_hz=fs_hz, gain=gain, layout=layout,
                                 **read_options) for p in paths]
    for rec in recordings:
        _warn_clock(rec)
    exists = into.exists()
    known: dict[str, str] = {}
    if exists:
        with SessionFile(into) as sf:
            _check_compatible(sf, montage, subject, recordings, mains_hz)
            known = {i.source.sha256: f"trial {i.id}" for i in sf.trial_infos()
                     if i.source is not None and i.source.sha256}
    elif subject is None:
        raise FormatError("the session does not exist yet: give --subject to create it", into)
    else:
        check_subject(subject)
    if not allow_duplicate:
        _refuse_duplicates(recordings, known, into)
    first = recordings[0]
    for rec in recordings[1:]:
        if rec.fs_hz != first.fs_hz or rec.board != first.board:
            raise FormatError(
                f"expected {first.board} at {first.fs_hz:g} Hz like {first.path}, "
                f"found {rec.board} at {rec.fs_hz:g} Hz", rec.path,
            )
    selected = [select_channels(rec, montage, channels) for rec in recordings]
    ids = []
    with atomic_path(into, copy_existing=exists) as tmp:
        if not exists:
            with h5py.File(tmp, "w") as f:
                init_session_file(f, subject, device_from_recording(first, mains_hz), montage)
        with SessionWriter(tmp) as sw:
            for rec, emg in zip(recordings, selected):
                tw = sw.begin_trial(
                    task, rec.fs_hz, accel=rec.accel_g is not None,
                    package_num=rec.package_num is not None,
                    timestamps=rec.timestamps_s is not None, start_time=rec.start_time,
                    source=Source(str(Path(rec.path).resolve()), rec.sha256, rec.format),
                )
                tw.append(emg, rec.accel_g, rec.package_num, rec.timestamps_s)
                tw.add_events(rec.events)
                tw.close(completed=True)
                ids.append(tw.id)
                log.info("imported %s as trial %s (%d samples)", rec.path, tw.id, emg.shape[0])
    return ids


def _warn_clock(rec: Recording) -> None:
    """Warn when a recording's time stamps imply a rate more than 0.2 % from its nominal one."""
    if rec.timestamps_s is None:
        return
    gaps = rec.events.of_kind("gap")
    index = clock_index(np.arange(rec.emg_uv.shape[0]), gaps.sample, gaps.value)
    audit = measure_rate(rec.timestamps_s, rec.fs_hz, index)
    if audit is not None and audit.exceeds_limit:
        log.warning("%s: %s", rec.path, audit.describe())


def _refuse_duplicates(recordings: list[Recording], known: dict[str, str], into: Path) -> None:
    """Raise FormatError if a file is already in the session, or given twice."""
    seen = dict(known)
    for rec in recordings:
        if rec.sha256 in seen:
            raise FormatError(
                f"this file is already in {into.name} as {seen[rec.sha256]} (same sha256 "
                f"{rec.sha256[:12]}...); give --allow-duplicate to add it again", rec.path)
        seen[rec.sha256] = f"an earlier argument ({rec.path})"


def _check_compatible(sf: SessionFile, montage: Montage, subject: str | None,
                      recordings: list[Recording], mains_hz: float | None = None) -> None:
    if subject is not None and subject != sf.subject:
        raise FormatError(f"the session's subject is {sf.subject!r}, not {subject!r}", sf.path)
    if mains_hz is not None and sf.device.mains_hz not in (None, float(mains_hz)):
        raise FormatError(
            f"--mains-hz {float(mains_hz):g} differs from the session's "
            f"{sf.device.mains_hz:g} Hz; a session has one mains frequency (leave --mains-hz "
            "out to add to it)", sf.path)
    if montage.channels != sf.montage.channels:
        raise FormatError(
            f"the montage differs from the session's ({', '.join(sf.montage.names)}); "
            "a session has one montage", sf.path,
        )
    for rec in recordings:
        if rec.fs_hz != sf.device.fs_hz:
            raise FormatError(
                f"sampling rate {rec.fs_hz:g} Hz differs from the session's "
                f"{sf.device.fs_hz:g} Hz ({sf.path})", rec.path,
            )


def _ranges(numbers) -> str:
    nums = sorted(numbers)
    if not nums:
        return "none"
    if nums == list(range(nums[0], nums[-1] + 1)):
        return f"{nums[0]}-{nums[-1]}"
    return ", ".join(map(str, nums))
