"""Writing HDF5 session files: whole sessions, and trials appended block by block.

Trials are written once and never rewritten: a trial group is created with
``completed = False``, its signals grow as blocks arrive, and ``completed`` becomes
True when the trial is closed. A writer that calls :meth:`TrialWriter.flush` at least
once a second leaves a file that opens with every row up to the last flush, even if
the process is killed (see ``docs/session-format.md``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path

import h5py
import numpy as np

from emgkit._version import __version__
from emgkit.errors import FormatError
from emgkit.io import lock, schema
from emgkit.io.atomic import atomic_path
from emgkit.io.clock import MEASURED_FS_ATTR, audit_trial_group
from emgkit.model.montage import Montage
from emgkit.model.session import Device, Events, Session, Source, Trial, check_subject
from emgkit.model.tasks import Task


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with a ``Z`` suffix."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def init_session_file(f: h5py.File, subject: str, device: Device, montage: Montage) -> None:
    """Write the root, ``/device``, ``/montage`` and an empty ``/trials`` into ``f``."""
    check_subject(subject)
    f.attrs["format"] = schema.FORMAT_NAME
    f.attrs["format_version"] = schema.FORMAT_VERSION
    f.attrs["software"] = f"emgkit {__version__}"
    f.attrs["created_utc"] = utc_now()
    f.attrs["subject"] = subject
    dev = f.create_group("device")
    dev.attrs["board"] = device.board
    dev.attrs["fs_hz"] = float(device.fs_hz)
    for name in schema.DEVICE_OPTIONAL:
        value = getattr(device, name)
        if value is not None:
            dev.attrs[name] = value
    rows = np.array(
        [(c.number, c.muscle, c.side, c.label, c.placement) for c in montage.channels],
        dtype=schema.MONTAGE_DTYPE,
    )
    ds = f.create_dataset("montage", data=rows)
    ds.attrs["name"] = montage.name
    if montage.board:
        ds.attrs["board"] = montage.board
    ds.attrs["extra_muscles"] = json.dumps(
        {m.name: {"groups": list(m.groups), "region": m.region}
         for m in montage.extra_muscles.values()}
    )
    f.create_group("trials")


class TrialWriter:
    """Appends blocks of one trial to an open session file.

    Use :meth:`SessionWriter.begin_trial` to make one.
    """

    def __init__(self, group: h5py.Group, n_channels: int, fs_hz: float):
        self.group = group
        self.id = group.name.rsplit("/", 1)[-1]
        self.n_channels = n_channels
        self.fs_hz = fs_hz
        self.n_samples = 0
        self.closed = False

    def _extend(self, name: str, block: np.ndarray) -> None:
        ds = self.group[name]
        n0 = ds.shape[0]
        if n0 != self.n_samples:
            raise RuntimeError(f"{name} has {n0} rows, expected {self.n_samples}")
        ds.resize(n0 + block.shape[0], axis=0)
        ds[n0:] = block

    def append(
        self,
        emg_uv: np.ndarray,
        accel_g: np.ndarray | None = None,
        package_num: np.ndarray | None = None,
        timestamps_s: np.ndarray | None = None,
    ) -> None:
        """Append a block of samples.

        Parameters
        ----------
        emg_uv : numpy.ndarray
            ``(n, n_channels)`` microvolts, montage order.
        accel_g, package_num, timestamps_s : numpy.ndarray, optional
            ``(n, 3)``, ``(n,)``, ``(n,)``; required if the trial was begun with them.
        """
        if self.closed:
            raise RuntimeError(f"trial {self.id} is closed")
        emg = np.asarray(emg_uv, dtype=np.float32)
        if emg.ndim != 2 or emg.shape[1] != self.n_channels:
            raise ValueError(
                f"EMG block must be (n_samples, {self.n_channels}), got shape {emg.shape}"
            )
        n = emg.shape[0]
        if n == 0:
            return
        extras = {"accel": (accel_g, np.float32, (n, 3)), "package_num": (package_num, np.int16,
                  (n,)), "timestamps": (timestamps_s, np.float64, (n,))}
        for name, (arr, dtype, shape) in extras.items():
            if name in self.group:
                if arr is None:
                    raise ValueError(f"trial {self.id} stores {name}: a block must include it")
                a = np.asarray(arr, dtype=dtype)
                if a.shape != shape:
                    raise ValueError(f"{name} block must have shape {shape}, got {a.shape}")
                self._extend(name, a)
        self._extend("emg", emg)
        self.n_samples += n

    def add_events(self, events: Events) -> None:
        """Append events (sample indices into this trial)."""
        if len(events) == 0:
            return
        rows = np.array(
            list(zip(events.sample, events.kind, events.label, events.value)),
            dtype=schema.EVENT_DTYPE,
        )
        ds = self.group["events"]
        n0 = ds.shape[0]
        ds.resize(n0 + rows.shape[0], axis=0)
        ds[n0:] = rows

    def flush(self) -> None:
        """Flush everything written so far to disk."""
        self.group.file.flush()

    def close(self, completed: bool = True, measured_fs_hz: float | None = None) -> None:
        """Mark the trial complete (or not), store its measured rate, and flush.

        The measured rate is taken from the trial's time stamps; ``measured_fs_hz`` is
        stored instead when there are none to measure (a trial copied from elsewhere).
        """
        if self.closed:
            return
        self.group.attrs["completed"] = bool(completed)
        self.group.attrs["n_samples"] = self.n_samples
        audit = audit_trial_group(self.group)
        measured = audit.measured_hz if audit is not None else measured_fs_hz
        if measured is not None:
            self.group.attrs[MEASURED_FS_ATTR] = float(measured)
        self.group.attrs["closed_utc"] = utc_now()
        self.closed = True
        self.flush()


class SessionWriter:
    """Adds trials to a session file, opened for appending.

    Parameters
    ----------
    path : str or os.PathLike
        An existing emgkit session file.

    Examples
    --------
    >>> with SessionWriter("session.h5") as sw:                 # doctest: +SKIP
    ...     tw = sw.begin_trial(Task("hinge"), fs_hz=250.0)
    ...     tw.append(block_uv); tw.flush()
    ...     tw.close()
    """

    def __init__(self, path: str | PathLike):
        from emgkit.io.reader import SessionFile  # validates format and version

        self._lock = lock.acquire(path)  # no second writer, whatever HDF5's locking
        try:
            with SessionFile(path) as sf:
                self.montage = sf.montage
                self.device = sf.device
            self.path = Path(path)
            self.file = h5py.File(self.path, "r+", rdcc_nbytes=32 * 1024**2)
        except BaseException:
            lock.release(self._lock)
            raise
        self._open: list[TrialWriter] = []

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def next_trial_id(self) -> str:
        """Return the id the next trial will get."""
        return schema.trial_id(len(self.file["trials"]) + 1)

    def begin_trial(
        self,
        task: Task,
        fs_hz: float | None = None,
        *,
        accel: bool = False,
        package_num: bool = False,
        timestamps: bool = False,
        start_time: str | None = None,
        source: Source | None = None,
        notes: str = "",
        compress: bool = True,
    ) -> TrialWriter:
        """Create a new, empty trial group and return its :class:`TrialWriter`.

        Parameters
        ----------
        task : Task
            The trial's task.
        fs_hz : float, optional
            Sampling rate; the device's if None.
        accel, package_num, timestamps : bool
            Whether the trial stores these signals.
        start_time : str, optional
            ISO 8601 UTC start; now if None.
        source : Source, optional
            The imported file and its sha256.
        notes : str
            Free text.
        compress : bool
            Compress the signals. Live recording passes False: a compressed chunk
            rewritten after the last flush may move and leave the flushed index pointing
            at overwritten bytes if the process is killed; an uncompressed chunk stays in
            place and only gains rows.
        """
        fs = float(fs_hz if fs_hz is not None else self.device.fs_hz)
        tid = self.next_trial_id()
        g = self.file["trials"].create_group(tid)
        g.attrs["task"] = task.name
        for key in ("target", "variant", "load_kg"):
            value = getattr(task, key)
            if value is not None:
                g.attrs[key] = value
        g.attrs["fs_hz"] = fs
        g.attrs["start_time_utc"] = start_time or utc_now()
        g.attrs["completed"] = False
        g.attrs["notes"] = notes
        if source is not None:
            g.attrs["source_path"] = source.path
            g.attrs["source_sha256"] = source.sha256
            g.attrs["source_format"] = source.format
        nch = len(self.montage.channels)
        rows = schema.chunk_rows(fs)
        comp = schema.COMPRESSION if compress else {}
        emg = g.create_dataset(
            "emg", shape=(0, nch), maxshape=(None, nch), dtype="<f4",
            chunks=(rows, nch), **comp,
        )
        emg.attrs["unit"] = "uV"
        emg.attrs["conversion_to_uV"] = 1.0
        emg.attrs["filtering"] = "none: raw board output (DC offset included)"
        emg.attrs["channel_numbers"] = np.array(self.montage.numbers, dtype="<i4")
        emg.attrs["channel_names"] = np.array(self.montage.names, dtype=object).astype(schema.STR)
        if accel:
            a = g.create_dataset("accel", shape=(0, 3), maxshape=(None, 3), dtype="<f4",
                                 chunks=(rows, 3), **comp)
            a.attrs["unit"] = "g"
        if package_num:
            g.create_dataset("package_num", shape=(0,), maxshape=(None,), dtype="<i2",
                             chunks=(rows,), **comp)
        if timestamps:
            t = g.create_dataset("timestamps", shape=(0,), maxshape=(None,), dtype="<f8",
                                 chunks=(rows,), **comp)
            t.attrs["unit"] = "s"
            t.attrs["description"] = "host Unix time when the sample was parsed, not sample time"
        g.create_dataset("events", shape=(0,), maxshape=(None,), dtype=schema.EVENT_DTYPE,
                         chunks=(256,))
        tw = TrialWriter(g, nch, fs)
        self._open.append(tw)
        self.file.flush()
        return tw

    def write_trial(self, trial: Trial) -> str:
        """Write a whole in-memory trial and return its id in this file."""
        if trial.emg_uv.shape[1:] != (len(self.montage.channels),):
            raise FormatError(
                f"trial {trial.id} has {trial.emg_uv.shape[1:]} channels, the session's montage "
                f"has {len(self.montage.channels)}", self.path,
            )
        tw = self.begin_trial(
            trial.task, trial.fs_hz, accel=trial.accel_g is not None,
            package_num=trial.package_num is not None, timestamps=trial.timestamps_s is not None,
            start_time=trial.start_time, source=trial.source, notes=trial.notes,
        )
        tw.append(trial.emg_uv, trial.accel_g, trial.package_num, trial.timestamps_s)
        tw.add_events(trial.events)
        tw.close(trial.completed, trial.measured_fs_hz)
        return tw.id

    def close(self) -> None:
        """Close the file (trials still open stay marked incomplete) and release its lock."""
        try:
            if self.file.id.valid:
                try:
                    self.file.flush()
                finally:  # closed even when the flush fails (a full disk)
                    self.file.close()
        finally:
            if self._lock is not None:
                lock.release(self._lock)
                self._lock = None


def create_session(
    path: str | PathLike, subject: str, device: Device, montage: Montage
) -> None:
    """Create a new, empty session file at ``path`` (atomically; never overwrites).

    Raises
    ------
    FormatError
        If ``path`` exists already.
    """
    p = Path(path)
    if p.exists():
        raise FormatError("file exists already; refusing to overwrite a session", p)
    with atomic_path(p) as tmp, h5py.File(tmp, "w") as f:
        init_session_file(f, subject, device, montage)


def write_session(path: str | PathLike, session: Session, overwrite: bool = False) -> None:
    """Write a whole :class:`Session` to ``path`` atomically.

    Trial ids are assigned in order (``t001``...), whatever the in-memory ids.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise FormatError("file exists already; refusing to overwrite a session", p)
    with atomic_path(p) as tmp:
        with h5py.File(tmp, "w") as f:
            init_session_file(f, session.subject, session.device, session.montage)
        with SessionWriter(tmp) as sw:
            for t in session.trials:
                sw.write_trial(t)
