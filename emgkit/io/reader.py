"""Reading HDF5 session files, lazily: metadata first, signals by slice.

>>> with SessionFile("session.h5") as sf:          # doctest: +SKIP
...     print(sf.subject, sf.trial_ids)
...     trial = sf.read_trial("t002")
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import h5py
import numpy as np

from emgkit.core.timing import RateAudit
from emgkit.errors import ConfigError, FormatError
from emgkit.io import schema
from emgkit.io.clock import MEASURED_FS_ATTR, audit_trial_group
from emgkit.io.validation import (
    check_session_header,
    check_trial,
    damaged,
    positive_number,
    text_attr,
)
from emgkit.model.montage import Channel, Montage
from emgkit.model.muscles import Muscle
from emgkit.model.session import Device, Events, Session, Source, Trial, check_subject
from emgkit.model.tasks import Task

#: Values read at once when ``validate`` scans a trial's EMG (bounded memory).
VALUE_BLOCK = 4_000_000
#: A trial's EMG larger than this (bytes) stays on disk in :meth:`SessionFile.read_session`
#: (:class:`StoredEMG`): about 8 minutes of 16 channels at 2 kHz.
IN_MEMORY_BYTES = 64 * 2**20


@dataclass(frozen=True)
class TrialInfo:
    """A trial's metadata, read without its signals."""

    id: str
    task: Task
    fs_hz: float
    n_samples: int
    n_channels: int
    completed: bool
    start_time: str | None
    has_accel: bool
    has_package_num: bool
    n_gaps: int
    missing_samples: int
    source: Source | None
    notes: str
    measured_fs_hz: float | None = None

    @property
    def duration_s(self) -> float:
        """Duration in seconds (by the measured rate where the trial has one)."""
        return self.n_samples / self.clock_fs_hz

    @property
    def clock_fs_hz(self) -> float:
        """The rate that turns sample numbers into seconds: measured if known, else nominal."""
        return self.measured_fs_hz or self.fs_hz


class SessionFile:
    """An open emgkit session file (read-only).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.h5`` file.

    Raises
    ------
    FormatError
        If the file is missing, not HDF5, not an emgkit session, of a format version
        this emgkit cannot read, or structurally invalid.
    """

    def __init__(self, path: str | PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise FormatError("file not found", self.path)
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as e:
            raise FormatError(_open_failure(e), self.path) from None
        self.file_size = self.path.stat().st_size
        try:
            with damaged(self.path, "the session header"):
                self._check_header()
                check_session_header(self.file, self.path)
                self.subject = check_subject_of(self.file.attrs, self.path)
                self.device = self._read_device()
                self.montage = self._read_montage()
        except BaseException:
            self.file.close()
            raise

    # -- context management -------------------------------------------------------------
    def __enter__(self) -> SessionFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        if self.file.id.valid:
            self.file.close()

    # -- header ---------------------------------------------------------------------------
    def _check_header(self) -> None:
        attrs = self.file.attrs
        if schema.decode(attrs.get("format", b"")) != schema.FORMAT_NAME:
            raise FormatError(
                f"not an emgkit session file: expected root attribute format="
                f"{schema.FORMAT_NAME!r}, found {attrs.get('format')!r}", self.path,
            )
        version = int(attrs.get("format_version", -1))
        self.format_version = version
        if version not in schema.READABLE_VERSIONS:
            if version > max(schema.READABLE_VERSIONS):
                why = "is newer than this emgkit reads (upgrade emgkit)"
            else:
                why = "is unknown"
            raise FormatError(
                f"session format version {version} {why}; readable versions: "
                f"{list(schema.READABLE_VERSIONS)}", self.path,
            )
        for name in ("device", "montage", "trials"):
            if name not in self.file:
                raise FormatError(f"invalid session file: '/{name}' is missing", self.path)
        if "subject" not in attrs:
            raise FormatError("invalid session file: root attribute 'subject' is missing",
                              self.path)

    def _read_device(self) -> Device:
        a = self.file["device"].attrs
        try:
            opt = {k: _scalar(a[k]) for k in schema.DEVICE_OPTIONAL if k in a}
            return Device(board=schema.decode(a["board"]), fs_hz=float(a["fs_hz"]), **opt)
        except KeyError as e:
            raise FormatError(f"invalid session file: /device lacks attribute {e}",
                              self.path) from None

    def _read_montage(self) -> Montage:
        ds = self.file["montage"]
        rows = ds[()]
        extra = {
            name: Muscle(name, tuple(spec.get("groups", ())), spec.get("region", "limb"))
            for name, spec in json.loads(schema.decode(ds.attrs.get("extra_muscles", "{}"))).items()
        }
        channels = tuple(
            Channel(int(r["number"]), schema.decode(r["muscle"]), schema.decode(r["side"]),
                    schema.decode(r["label"]), schema.decode(r["placement"]))
            for r in rows
        )
        board = ds.attrs.get("board")
        try:
            return Montage(schema.decode(ds.attrs.get("name", "montage")), channels,
                           None if board is None else schema.decode(board), extra)
        except ConfigError as e:
            raise FormatError(f"invalid montage in session: {e.message}", self.path) from None

    # -- trials ---------------------------------------------------------------------------
    @property
    def trial_ids(self) -> list[str]:
        """Trial ids in recording order."""
        return sorted(self.file["trials"].keys())

    def _group(self, trial_id: str) -> h5py.Group:
        if trial_id not in self.file["trials"]:
            raise FormatError(f"no trial {trial_id!r}; trials are {self.trial_ids}", self.path)
        return self.file["trials"][trial_id]

    def trial_info(self, trial_id: str) -> TrialInfo:
        """Return a trial's metadata without reading its signals.

        Raises
        ------
        FormatError
            If the trial's structure or attributes are invalid (see
            :mod:`emgkit.io.validation`), naming the first problem.
        """
        g = self._group(trial_id)
        with damaged(self.path, f"trial {trial_id}"):
            problems = check_trial(g, len(self.montage.channels), self.file_size, self.path)
            if problems:
                raise FormatError(f"invalid {problems[0]}", self.path)
            return self._trial_info(trial_id, g)

    def _trial_info(self, trial_id: str, g: h5py.Group) -> TrialInfo:
        a = g.attrs
        if "emg" not in g or "task" not in a or "fs_hz" not in a:
            raise FormatError(f"invalid trial {trial_id}: needs 'emg', task and fs_hz",
                              self.path)
        emg = g["emg"]
        ev = self._events(g)
        gaps = ev.of_kind("gap")
        src = None
        if "source_sha256" in a:
            src = Source(schema.decode(a.get("source_path", "")),
                         schema.decode(a["source_sha256"]),
                         schema.decode(a.get("source_format", "")))
        task = Task(
            schema.decode(a["task"]),
            schema.decode(a["target"]) if "target" in a else None,
            schema.decode(a["variant"]) if "variant" in a else None,
            float(a["load_kg"]) if "load_kg" in a else None,
        )
        return TrialInfo(
            id=trial_id, task=task, fs_hz=float(a["fs_hz"]), n_samples=int(emg.shape[0]),
            n_channels=int(emg.shape[1]), completed=bool(a.get("completed", False)),
            start_time=schema.decode(a["start_time_utc"]) if "start_time_utc" in a else None,
            has_accel="accel" in g, has_package_num="package_num" in g,
            n_gaps=len(gaps), missing_samples=int(np.nansum(gaps.value)) if len(gaps) else 0,
            source=src, notes=schema.decode(a.get("notes", "")),
            measured_fs_hz=positive_number(a.get(MEASURED_FS_ATTR)),
        )

    def rate_audit(self, trial_id: str) -> RateAudit | None:
        """Return the timing audit of a trial, measured from its stored time stamps."""
        return audit_trial_group(self._group(trial_id))

    def trial_infos(self) -> list[TrialInfo]:
        """Metadata of every trial, in order."""
        return [self.trial_info(t) for t in self.trial_ids]

    def _events(self, g: h5py.Group) -> Events:
        if "events" not in g:
            return Events()
        with damaged(self.path, f"the events of {g.name}"):
            rows = g["events"][()]
            return Events(
                rows["sample"],
                [schema.decode(k) for k in rows["kind"]],
                [schema.decode(s) for s in rows["label"]],
                rows["value"],
            )

    def read_emg(self, trial_id: str, start: int | None = None, stop: int | None = None,
                 channels: slice | list[int] | None = None) -> np.ndarray:
        """Read a slice of a trial's EMG, float32 ``(n, n_channels)`` µV."""
        ds = self._group(trial_id)["emg"]
        sl = slice(start, stop)
        with damaged(self.path, f"the EMG of trial {trial_id}"):
            return ds[sl] if channels is None else ds[sl][:, channels]

    def read_trial(self, trial_id: str, start: int | None = None,
                   stop: int | None = None) -> Trial:
        """Read a trial (or the slice ``start:stop`` of it) with its signals and events."""
        info = self.trial_info(trial_id)
        g = self._group(trial_id)
        sl = slice(start, stop)
        n0 = sl.indices(info.n_samples)[0]

        def opt(name):
            return g[name][sl] if name in g else None

        ev = self._events(g)
        if start is not None or stop is not None:
            n1 = sl.indices(info.n_samples)[1]
            keep = (ev.sample >= n0) & (ev.sample < max(n1, n0))
            ev = Events(ev.sample[keep] - n0, ev.kind[keep], ev.label[keep], ev.value[keep])
        with damaged(self.path, f"the signals of trial {trial_id}"):
            emg = g["emg"][sl]
            self._refuse_nonfinite(trial_id, emg, n0)
            return Trial(
                id=trial_id, task=info.task, fs_hz=info.fs_hz, emg_uv=emg,
                accel_g=opt("accel"), package_num=opt("package_num"),
                timestamps_s=opt("timestamps"), events=ev, start_time=info.start_time,
                completed=info.completed, source=info.source, notes=info.notes,
                measured_fs_hz=info.measured_fs_hz,
            )

    def read_session(self, in_memory_bytes: int | None = None) -> Session:
        """Read the session: metadata, events and signals.

        Parameters
        ----------
        in_memory_bytes : int, optional
            A trial whose EMG is larger than this is not read: its ``emg_uv`` is a
            :class:`StoredEMG` that reads slices from the file when asked (None: every
            trial in memory).
        """
        trials = []
        for tid in self.trial_ids:
            info = self.trial_info(tid)
            big = in_memory_bytes is not None and \
                info.n_samples * info.n_channels * 4 > in_memory_bytes
            if not big:
                trials.append(self.read_trial(tid))
                continue
            trial = self.read_trial(tid, 0, 0)  # metadata and events, no samples
            bad = self._value_problems(tid, self._group(tid)["emg"])  # a pass in blocks
            if bad:
                raise FormatError(f"{bad[0]}; a session's EMG must be finite", self.path)
            ev = self._events(self._group(tid))
            g = self._group(tid)

            def opt(name, g=g):
                return g[name][...] if name in g else None

            with damaged(self.path, f"the signals of trial {tid}"):
                trials.append(dataclasses.replace(
                    trial, emg_uv=StoredEMG(self.path, tid, (info.n_samples, info.n_channels)),
                    accel_g=opt("accel"), package_num=opt("package_num"),
                    timestamps_s=opt("timestamps"), events=ev))
        return Session(self.subject, self.device, self.montage, trials)

    def validate(self) -> list[str]:
        """Return the problems of the file (empty if it is valid).

        Structure, types, storage and attributes of every trial (without reading its
        signals), events inside their trial, then every EMG value read block by block:
        a non-finite value or a damaged chunk is a problem too.
        """
        problems = []
        nch = len(self.montage.channels)
        for tid in self.trial_ids:
            g = self._group(tid)
            with damaged(self.path, f"trial {tid}"):
                found = check_trial(g, nch, self.file_size, self.path)
            if found:
                problems += found
                continue
            info = self.trial_info(tid)
            ev = self._events(g)
            out = (ev.sample < 0) | (ev.sample > info.n_samples)
            if out.any():
                problems.append(f"trial {tid}: {int(out.sum())} event(s) outside the trial")
            problems += self._value_problems(tid, g["emg"])
        return problems

    def _refuse_nonfinite(self, tid: str, emg: np.ndarray, offset: int) -> None:
        """Raise FormatError if a block of a trial's EMG holds NaN or inf."""
        bad = ~np.isfinite(emg)
        if bad.any():
            first = offset + int(np.argwhere(bad)[0][0])
            raise FormatError(f"{_nonfinite(tid, int(bad.sum()), first)}; a session's EMG "
                              "must be finite", self.path)

    def _value_problems(self, tid: str, ds: h5py.Dataset) -> list[str]:
        """Read a trial's EMG in blocks; report damaged chunks and non-finite values."""
        rows = max(1, VALUE_BLOCK // max(1, ds.shape[1]))
        n_bad, first = 0, None
        for a in range(0, ds.shape[0], rows):
            try:
                block = ds[a:a + rows]
            except (OSError, RuntimeError, ValueError) as e:
                return [f"trial {tid}: damaged EMG data near sample {a} ({_short(e)})"]
            bad = ~np.isfinite(block)
            if bad.any():
                n_bad += int(bad.sum())
                first = a + int(np.argwhere(bad)[0][0]) if first is None else first
        if n_bad:
            return [_nonfinite(tid, n_bad, first)]
        return []


def _nonfinite(tid: str, n_bad: int, first: int) -> str:
    """Say that a trial's EMG holds NaN or inf (for check and for every reader)."""
    return (f"trial {tid}: emg holds {n_bad} non-finite value(s) (NaN or inf), the first at "
            f"sample {first}")


class StoredEMG:
    """A trial's EMG left in its session file, read by slice when used.

    It has an array's ``shape``, ``dtype``, ``ndim`` and indexing (``emg[a:b]``,
    ``emg[:, j]``, ``emg[a:b, j:k]``).

    Each read opens the file afresh (the analysis may outlive the :class:`SessionFile`).

    Parameters
    ----------
    path : str or os.PathLike
        The session file.
    trial_id : str
        The trial.
    shape : tuple of int
        ``(n_samples, n_channels)`` as validated when the session was opened.
    """

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, path: str | PathLike, trial_id: str, shape: tuple[int, int]):
        self.path, self.trial_id = Path(path), trial_id
        self.shape = (int(shape[0]), int(shape[1]))

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes the whole array would take in memory."""
        return self.shape[0] * self.shape[1] * self.dtype.itemsize

    def __getitem__(self, key) -> np.ndarray:
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        with h5py.File(self.path, "r") as f, damaged(self.path,
                                                      f"the EMG of trial {self.trial_id}"):
            ds = f["trials"][self.trial_id]["emg"]
            if isinstance(cols, (slice, int, np.integer)):
                return np.asarray(ds[rows, cols], dtype=self.dtype)
            return np.asarray(ds[rows], dtype=self.dtype)[:, cols]

    def blocks(self, n_rows: int):
        """Yield ``(start, block)`` of whole rows, ``n_rows`` at a time, from one opening."""
        with h5py.File(self.path, "r") as f, damaged(self.path,
                                                      f"the EMG of trial {self.trial_id}"):
            ds = f["trials"][self.trial_id]["emg"]
            for a in range(0, self.shape[0], n_rows):
                yield a, np.asarray(ds[a : a + n_rows], dtype=self.dtype)

    def __array__(self, dtype=None, copy=None):
        a = self[:]
        return a if dtype is None else a.astype(dtype)


def read_session(path: str | PathLike) -> Session:
    """Read a whole session file into memory."""
    with SessionFile(path) as sf:
        return sf.read_session()


def _scalar(v):
    if isinstance(v, bytes | str):
        return schema.decode(v)
    return v.item() if hasattr(v, "item") else v


def _short(e: BaseException) -> str:
    return str(e).split("(")[0].strip().rstrip(",") or type(e).__name__


def _open_failure(e: OSError) -> str:
    """Say why h5py could not open a file: in use by another process, or not HDF5."""
    text = str(e)
    if "lock" in text.lower() or getattr(e, "errno", None) in (11, 35):
        return ("in use by another process (a recording or an import into it?): try again "
                "when it has finished, or work on a copy")
    return f"not a readable HDF5 file ({_short(e)})"


def check_subject_of(attrs, path) -> str:
    """Return the root attribute ``subject``, validated as a pseudonymous id."""
    subject = text_attr(attrs, "subject", path, "/")
    try:
        return check_subject(subject)
    except ConfigError as e:
        raise FormatError(f"invalid session file: {e.message}", path) from None
