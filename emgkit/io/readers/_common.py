"""Helpers shared by the recording readers: file loading, numeric tables, events.

Private to :mod:`emgkit.io.readers`; every function raises
:class:`~emgkit.errors.FormatError` naming the file on bad input.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path

import numpy as np

from emgkit.core.packets import counter_step, find_gaps
from emgkit.errors import FormatError
from emgkit.io.hashing import sha256_file
from emgkit.model.boards import BOARDS
from emgkit.model.session import FS_HZ_RANGE, Events

log = logging.getLogger("emgkit")

GZIP_MAGIC = b"\x1f\x8b"
#: The UTF-8 byte-order mark that Windows editors put before text.
UTF8_BOM = b"\xef\xbb\xbf"

#: Unix times before this (2000-01-01) are taken as "no timestamp".
_MIN_UNIX_S = 946684800.0


def load_bytes(path: str | PathLike) -> tuple[bytes, str]:
    """Return a file's content (gunzipped if it is gzip data) and the sha256 of the file.

    Parameters
    ----------
    path : str or os.PathLike
        The file; gzip data is recognised by its magic bytes, whatever the extension.

    Returns
    -------
    data : bytes
        The (decompressed) content.
    sha256 : str
        Hex sha256 of the file's bytes as given (compressed if it is compressed).
    """
    p = Path(path)
    if not p.is_file():
        what = "a directory" if p.is_dir() else "nothing"
        raise FormatError(f"file not found: expected a recording file, found {what}", path)
    try:
        raw = p.read_bytes()
        sha = sha256_file(p)
    except OSError as e:
        raise FormatError(f"cannot read the file: {e.strerror or e}", path) from None
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise FormatError(
                f"corrupt gzip data: expected a complete gzip stream, found an error ({e})", path
            ) from None
    return raw, sha


def read_head(path: str | PathLike, n_bytes: int = 4096) -> bytes:
    """Return the first ``n_bytes`` of a file's content (decompressed if it is gzip data).

    Only what is needed is read, so the format of a file of any size is told cheaply.
    A missing, unreadable or corrupt file gives its one-line FormatError.
    """
    p = Path(path)
    if not p.is_file():
        what = "a directory" if p.is_dir() else "nothing"
        raise FormatError(f"file not found: expected a recording file, found {what}", path)
    try:
        with p.open("rb") as f:
            head = f.read(n_bytes)
        if head[:2] != GZIP_MAGIC:
            return head
        with gzip.open(p, "rb") as g:
            return g.read(n_bytes)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise FormatError(
            f"corrupt gzip data: expected a complete gzip stream, found an error ({e})", path
        ) from None
    except OSError as e:
        raise FormatError(f"cannot read the file: {e.strerror or e}", path) from None


def decode_text(data: bytes, path: str | PathLike) -> str:
    """Decode a text recording (UTF-8, else Latin-1; a BOM dropped) or raise FormatError."""
    if b"\x00" in data:
        raise FormatError("expected a text file, found binary data (NUL bytes)", path)
    data = data.removeprefix(UTF8_BOM)  # a byte-order mark is not content
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_numeric(
    lines: list[str], sep: str, usecols: list[int], first_line: int, path: str | PathLike
) -> np.ndarray:
    """Parse the numeric columns ``usecols`` of delimited ``lines`` as float64.

    Numbers are parsed exactly (round-trip); ``nan``, ``inf`` and empty fields are errors.

    Parameters
    ----------
    lines : list of str
        Data lines, each already checked to have the expected number of fields.
    sep : str
        Field separator (a comma or a tab).
    usecols : list of int
        0-based columns to parse.
    first_line : int
        1-based line number in the file of ``lines[0]`` (for error messages).
    path : str or os.PathLike
        The file, for error messages.

    Returns
    -------
    numpy.ndarray
        float64 ``(len(lines), len(usecols))``, columns in ``usecols`` order.
    """
    if not lines:
        return np.zeros((0, len(usecols)))
    try:
        # numpy's C reader converts with correct rounding (exact for any printed value)
        arr = np.loadtxt(lines, delimiter=sep, usecols=usecols, dtype=np.float64, ndmin=2,
                         comments=None, quotechar=None)
    except ValueError:
        _raise_bad_cell(lines, sep, usecols, first_line, path)
        raise  # pragma: no cover - _raise_bad_cell always raises
    if not np.isfinite(arr).all():
        _raise_bad_cell(lines, sep, usecols, first_line, path)
    if arr.shape[0] != len(lines):  # pragma: no cover - guarded by the field-count check
        raise FormatError(f"expected {len(lines)} data rows, parsed {arr.shape[0]}", path)
    return arr


def _raise_bad_cell(lines, sep, usecols, first_line, path):
    """Find the first value in ``usecols`` that is not a number and raise FormatError."""
    for i, line in enumerate(lines):
        fields = line.split(sep)
        for c in usecols:
            s = fields[c].strip() if c < len(fields) else ""
            try:
                if "_" in s or s.lower().lstrip("+-").startswith(("nan", "inf")):  # not numbers
                    raise ValueError(s)
                float(s)
            except ValueError:
                raise FormatError(
                    f"line {first_line + i}, field {c + 1}: expected a number, found {s[:40]!r}",
                    path,
                ) from None
    raise FormatError(f"lines {first_line}-{first_line + len(lines) - 1}: unparseable numbers",
                      path)


def check_fs_range(fs_hz: float, path: str | PathLike, what: str = "sample rate") -> float:
    """Return ``fs_hz`` as float if it is a plausible sampling rate, else raise FormatError.

    Plausible is finite and within :data:`~emgkit.model.session.FS_HZ_RANGE` (1 Hz to
    100 kHz); ``what`` names the header field in the message.
    """
    lo, hi = FS_HZ_RANGE
    try:
        v = float(fs_hz)
    except (TypeError, ValueError):
        raise FormatError(f"{what}: expected a number of Hz, found {str(fs_hz)[:40]!r}",
                          path) from None
    if not (lo <= v <= hi):
        raise FormatError(f"{what}: expected {lo:g} to {hi:g} Hz, found {fs_hz!r}", path)
    return v


def check_field_counts(
    lines: list[str], sep: str, expected: int, first_line: int, path: str | PathLike, what: str
) -> None:
    """Raise FormatError naming the first line that does not have ``expected`` fields."""
    counts = np.fromiter((ln.count(sep) for ln in lines), dtype=np.int64, count=len(lines)) + 1
    bad = np.nonzero(counts != expected)[0]
    if bad.size:
        i = int(bad[0])
        raise FormatError(
            f"line {first_line + i}: expected {expected} fields ({what}), found {counts[i]}",
            path,
        )


def split_lines(text: str) -> tuple[list[str], bool]:
    """Split text into lines; also return whether the last line lacks its line ending."""
    lines = text.splitlines()
    unterminated = bool(text) and not text.endswith(("\n", "\r"))
    return lines, unterminated


def counter_modulo(package_num: np.ndarray, board: str) -> int:
    """Return the wrap of a packet counter: 201 for Ganglion files whose counter stops at 200.

    The OpenBCI GUI's Ganglion sample index counts 0..200 (the Ganglion's packet ids);
    Cyton counters count 0..255.
    """
    if board.startswith("ganglion") and package_num.size and int(package_num.max()) <= 200:
        return 201
    return 256


def gap_events(package_num: np.ndarray, board: str, path: str | PathLike) -> Events:
    """Return ``gap`` events (value = missing samples) from a packet counter."""
    pn = np.asarray(package_num, dtype=np.int64)
    if pn.size < 2:
        return Events()
    modulo = counter_modulo(pn, board)
    d = np.mod(np.diff(pn), modulo)
    if np.mean(d == 0) > 0.1:
        log.warning("%s: the packet counter repeats values (%.0f%% of samples): not a per-sample "
                    "counter, no gap detection", path, 100 * np.mean(d == 0))
        return Events()
    at, missing = find_gaps(pn, step=counter_step(pn, modulo), modulo=modulo)
    if at.size:
        log.info("%s: %d gap(s) in the packet counter, %d samples lost", path, at.size,
                 int(missing.sum()))
    return Events(at, ["gap"] * at.size, [""] * at.size, missing.astype(np.float64))


def marker_events(marker: np.ndarray) -> Events:
    """Return ``marker`` events at the non-zero (and non-NaN) samples of a marker column."""
    m = np.asarray(marker, dtype=np.float64)
    at = np.nonzero(np.nan_to_num(m) != 0)[0]
    return Events(at, ["marker"] * at.size, [f"{v:g}" for v in m[at]], m[at])


def unix_seconds(ts: np.ndarray) -> np.ndarray | None:
    """Return timestamps as Unix seconds (milliseconds are recognised), or None if implausible."""
    ts = np.asarray(ts, dtype=np.float64)
    if ts.size == 0 or not np.all(np.isfinite(ts)):
        return None
    if np.median(ts) > 1e11:  # milliseconds (1e11 s is the year 5138)
        ts = ts / 1000.0
    if np.median(ts) < _MIN_UNIX_S:
        return None
    return ts


def iso_utc(unix_s: float) -> str | None:
    """ISO 8601 UTC of a Unix time in seconds, or None if it is out of range."""
    try:
        return datetime.fromtimestamp(float(unix_s), tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def board_amplifier(board: str) -> tuple[float | None, float | None, float | None]:
    """Nominal (gain, uV per count, full scale uV) of a board at its default settings."""
    info = BOARDS.get(board)
    if info is None:
        return None, None, None
    return info.gain, info.uv_per_count, info.full_scale_uv


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_float32(
    values: np.ndarray, path: str | PathLike, first_line: int | None = None, what: str = "value"
) -> np.ndarray:
    """Return float32 C-contiguous values, or raise FormatError at the first non-finite one.

    ``first_line`` is the 1-based line of ``values[0]`` in a text file (None: say sample).
    """
    v = np.asarray(values, dtype=np.float64)
    bad = ~(np.abs(v) <= _FLOAT32_MAX)
    if bad.any():
        row, *col = np.argwhere(bad)[0]
        where = f"sample {row}" if first_line is None else f"line {first_line + row}"
        raise FormatError(f"{where}: expected a finite {what} within float32 range, found "
                          f"{v[(row, *col)]!r}", path)
    return np.ascontiguousarray(v, dtype=np.float32)


def as_counter(values: np.ndarray, path: str | PathLike, first_line: int = 1) -> np.ndarray:
    """Return a packet-counter column as int16, or raise FormatError if it is not 0-255.

    ``first_line`` is the 1-based line number of ``values[0]`` in the file.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size and (not np.all(np.isfinite(v)) or v.min() < 0 or v.max() > 255
                   or np.any(v != np.round(v))):
        bad = int(np.nonzero(~np.isfinite(v) | (v < 0) | (v > 255) | (v != np.round(v)))[0][0])
        raise FormatError(
            f"line {first_line + bad}: expected a packet counter (an integer 0-255), "
            f"found {v[bad]!r}",
            path,
        )
    return v.astype(np.int16)
