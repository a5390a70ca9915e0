"""Session files are untrusted input: a structural pass before any signal is read.

The pass reads only metadata (links, shapes, dtypes, storage sizes, attributes) and
refuses, with one sentence naming what is wrong:

* links out of the file: HDF5 external links, soft links, virtual datasets and
  datasets stored in external raw files are never followed (a trial linked to another
  file would pass ``check`` and end up in a BIDS export);
* declared sizes the file cannot hold: a dataset whose chunks are mostly not
  allocated (a 920 KB file can declare 60,000,000 x 8 samples and have every reader
  materialise 1.9 GB of fill value), or an uncompressed one larger than the file;
* wrong shapes and types: EMG must be 2-D float32 with the montage's columns,
  accelerometer ``(n, 3)`` float32, the packet counter ``(n,)`` integer, the time
  stamps ``(n,)`` float64, events the compound type of :mod:`emgkit.io.schema`;
* implausible attributes: a sampling rate outside 1 Hz-100 kHz or not a number,
  ``n_samples`` that disagrees with the rows, an unknown task, a load that is not a
  finite number of kilograms, text that is not UTF-8.

Reading a dataset that passed can still fail on damaged bytes (a flipped bit in a
compressed chunk): :func:`damaged` turns such errors into the same one-line
:class:`~emgkit.errors.FormatError`.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from os import PathLike

import h5py
import numpy as np

from emgkit.errors import ConfigError, FormatError
from emgkit.io import schema
from emgkit.model.session import FS_HZ_RANGE
from emgkit.model.tasks import parse_task

#: A dataset whose allocated chunks cover less than this fraction of what it declares is
#: refused: emgkit writes every row, so only damage or hostility leaves holes (a
#: recording cut short leaves at most the last chunk partly unwritten).
MIN_ALLOCATED_FRACTION = 0.5
#: At most this many trials, events per trial and montage rows: far above any session.
MAX_TRIALS = 10_000
MAX_EVENTS = 10_000_000
MAX_CHANNELS = 1024

_TRIAL_ID = re.compile(r"t\d{3,6}")
_SIGNALS = {  # name -> (kind of dtype, number of columns or None for 1-D)
    "emg": ("f4", "montage"),
    "accel": ("f4", 3),
    "package_num": ("int", None),
    "timestamps": ("f8", None),
}


@contextlib.contextmanager
def damaged(path: str | PathLike, what: str) -> Iterator[None]:
    """Turn a low-level read error on ``what`` into a one-line FormatError naming the file."""
    try:
        yield
    except (FormatError, ConfigError):
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, UnicodeDecodeError,
            OverflowError) as e:
        raise FormatError(f"damaged session file: cannot read {what} ({_short(e)})",
                          path) from None


def check_links(f: h5py.File, path: str | PathLike) -> None:
    """Raise FormatError if anything in the file points outside it.

    Every link is looked at without being followed; datasets are checked for virtual
    layouts and external raw storage.
    """
    stack = [f]
    while stack:
        group = stack.pop()
        for name in group:
            link = group.get(name, getlink=True)
            where = f"{group.name.rstrip('/')}/{name}"
            if isinstance(link, h5py.ExternalLink):
                raise FormatError(f"{where} is an external link to {link.filename}:"
                                  f"{link.path}; session files must be self-contained", path)
            if isinstance(link, h5py.SoftLink):
                raise FormatError(f"{where} is a soft link to {link.path}; session files "
                                  "hold no links", path)
            obj = group[name]
            if isinstance(obj, h5py.Group):
                stack.append(obj)
            elif isinstance(obj, h5py.Dataset) and (obj.is_virtual or obj.external):
                raise FormatError(f"{where} keeps its data outside the file (virtual or "
                                  "external storage); session files must be self-contained",
                                  path)


def check_storage(ds: h5py.Dataset, file_size: int, path: str | PathLike) -> None:
    """Raise FormatError if a dataset declares more data than the file holds."""
    declared = int(np.prod(ds.shape, dtype=np.float64)) * ds.dtype.itemsize
    if declared == 0:
        return
    if ds.chunks is None:
        stored = ds.id.get_storage_size()
        if declared > file_size or stored < declared:
            raise FormatError(f"{ds.name} declares {_shape(ds)} ({_mb(declared)}) but the file "
                              f"holds {_mb(min(stored, file_size))} of it", path)
        return
    per_chunk = [math.ceil(n / c) for n, c in zip(ds.shape, ds.chunks)]
    expected = int(np.prod(per_chunk, dtype=np.float64))
    allocated = ds.id.get_num_chunks()
    if allocated < MIN_ALLOCATED_FRACTION * expected - 1:
        raise FormatError(f"{ds.name} declares {_shape(ds)} ({_mb(declared)}) but stores "
                          f"only {allocated} of its {expected} chunks: not a recording", path)


def check_session_header(f: h5py.File, path: str | PathLike) -> None:
    """Validate the root, ``/device``, ``/montage`` and ``/trials`` before they are used."""
    check_links(f, path)
    for name, kind in (("device", h5py.Group), ("montage", h5py.Dataset),
                       ("trials", h5py.Group)):
        if not isinstance(f.get(name), kind):
            raise FormatError(f"invalid session file: '/{name}' is missing or not a "
                              f"{'group' if kind is h5py.Group else 'dataset'}", path)
    text_attr(f.attrs, "subject", path, "/")
    _check_rate(f["device"].attrs, "/device", path)
    text_attr(f["device"].attrs, "board", path, "/device")
    montage = f["montage"]
    if montage.ndim != 1 or montage.dtype.names is None or \
            not set(schema.MONTAGE_DTYPE.names) <= set(montage.dtype.names):
        raise FormatError(f"/montage: expected a table with fields "
                          f"{', '.join(schema.MONTAGE_DTYPE.names)}, found {montage.dtype}", path)
    if not 1 <= montage.shape[0] <= MAX_CHANNELS:
        raise FormatError(f"/montage: expected 1 to {MAX_CHANNELS} channels, found "
                          f"{montage.shape[0]}", path)
    trials = f["trials"]
    if len(trials) > MAX_TRIALS:
        raise FormatError(f"/trials: expected at most {MAX_TRIALS} trials, found {len(trials)}",
                          path)
    for tid in trials:
        if not _TRIAL_ID.fullmatch(tid) or not isinstance(trials[tid], h5py.Group):
            raise FormatError(f"/trials/{tid}: expected trial groups named t001, t002, ...",
                              path)


def check_trial(g: h5py.Group, n_channels: int, file_size: int,
                path: str | PathLike) -> list[str]:
    """Return the problems of one trial group (shapes, types, storage, attributes)."""
    tid = g.name.rsplit("/", 1)[-1]
    problems: list[str] = []

    def bad(text: str) -> None:
        problems.append(f"trial {tid}: {text}")

    if not isinstance(g.get("emg"), h5py.Dataset):
        return [f"trial {tid}: no 'emg' dataset"]
    n = g["emg"].shape[0] if g["emg"].ndim >= 1 else -1
    for name, (kind, cols) in _SIGNALS.items():
        ds = g.get(name)
        if ds is None:
            continue
        if not isinstance(ds, h5py.Dataset):
            bad(f"'{name}' is not a dataset")
            continue
        want_cols = n_channels if cols == "montage" else cols
        shape = (n,) if want_cols is None else (n, want_cols)
        if ds.shape != shape:
            bad(f"{name} has shape {ds.shape}, expected {shape}")
        if not _dtype_ok(ds.dtype, kind):
            bad(f"{name} has type {ds.dtype}, expected {_kind_name(kind)}")
        try:
            check_storage(ds, file_size, path)
        except FormatError as e:
            bad(e.message)
    ev = g.get("events")
    if ev is not None:
        if not isinstance(ev, h5py.Dataset) or ev.ndim != 1 or ev.dtype.names is None or \
                not set(schema.EVENT_DTYPE.names) <= set(ev.dtype.names):
            bad("events is not the event table (sample, kind, label, value)")
        elif ev.shape[0] > MAX_EVENTS:
            bad(f"{ev.shape[0]} events, more than {MAX_EVENTS}")
    problems += [f"trial {tid}: {p}" for p in _trial_attr_problems(g.attrs, n, path)]
    return problems


def _trial_attr_problems(a, n_rows: int, path) -> list[str]:
    out = []
    try:
        _check_rate(a, "fs_hz", path)
    except FormatError as e:
        out.append(e.message)
    load_kg = None
    if "load_kg" in a:
        load_kg = _number(a["load_kg"])
        if load_kg is None:
            out.append(f"load_kg must be a finite number of kg >= 0, found {a['load_kg']!r}")
    try:
        parse_task(text_attr(a, "task", path, "task"),
                   text_attr(a, "target", path, "target") if "target" in a else None,
                   text_attr(a, "variant", path, "variant") if "variant" in a else None,
                   load_kg)
    except (FormatError, ConfigError) as e:
        out.append(e.message)
    if "n_samples" in a and bool(a.get("completed", False)):
        declared = _number(a["n_samples"])
        if declared != n_rows:
            out.append(f"n_samples says {a['n_samples']!r} but emg has {n_rows} rows")
    for key in ("notes", "start_time_utc", "source_path", "source_sha256", "source_format"):
        if key in a:
            try:
                text_attr(a, key, path, key)
            except FormatError as e:
                out.append(e.message)
    return out


def text_attr(attrs, key: str, path: str | PathLike, where: str) -> str:
    """Return a text attribute, or raise FormatError if it is missing or not UTF-8 text."""
    if key not in attrs:
        raise FormatError(f"{where}: attribute '{key}' is missing", path)
    value = attrs[key]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if not isinstance(value, bytes | str):
        raise FormatError(f"{where}: attribute '{key}' must be text, found {type(value).__name__}",
                          path)
    try:
        return schema.decode(value)
    except UnicodeDecodeError:
        raise FormatError(f"{where}: attribute '{key}' is not UTF-8 text", path) from None


def _check_rate(attrs, where: str, path) -> float:
    if "fs_hz" not in attrs:
        raise FormatError(f"{where}: attribute 'fs_hz' is missing", path)
    value = _number(attrs["fs_hz"])
    lo, hi = FS_HZ_RANGE
    if value is None or not lo <= value <= hi:
        raise FormatError(f"{where}: fs_hz must be {lo:g} to {hi:g} Hz, found "
                          f"{attrs['fs_hz']!r}", path)
    return value


def positive_number(value) -> float | None:
    """Return ``value`` as a float if it is a finite real number > 0, else None."""
    v = _number(value)
    return v if v is not None and v > 0 else None


def _number(value) -> float | None:
    """Return a real scalar attribute as float, or None if it is not one."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return None
        value = value.reshape(())[()]
    if isinstance(value, bool | np.bool_ | complex | np.complexfloating) or \
            not isinstance(value, int | float | np.number):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _dtype_ok(dtype: np.dtype, kind: str) -> bool:
    if kind == "int":
        return dtype.kind in "iu" and dtype.itemsize <= 8
    return dtype == np.dtype(kind)


def _kind_name(kind: str) -> str:
    return {"f4": "float32", "f8": "float64", "int": "integer"}[kind]


def _shape(ds: h5py.Dataset) -> str:
    return " x ".join(str(s) for s in ds.shape)


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.3g} MB"


def _short(e: BaseException) -> str:
    return str(e).split("(")[0].strip().rstrip(",") or type(e).__name__
