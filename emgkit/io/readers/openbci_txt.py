"""Reader for the OpenBCI GUI's ``OpenBCI-RAW-*.txt`` recordings, all three generations.

* v6 (GUI 5.x/6.x): ``%OpenBCI Raw EXG Data``, ``%Number of channels``,
  ``%Sample Rate``, ``%Board``, then a column-name line (``Sample Index, EXG Channel 0,
  ..., Timestamp, Marker Channel, Timestamp (Formatted)``); columns are found by name.
* v5 (GUI 5.0): ``%OpenBCI Raw EEG Data`` with a ``%Board`` line and no column names:
  BrainFlow's rows (counter, EXG, accel, other, timestamp) then a formatted time. The
  GUI writes a row of zeros right after the header: it is dropped (see below).
* pre-v5 ("legacy", GUI 1-4): ``%OpenBCI Raw EEG Data`` with ``%First Column =
  SampleIndex`` style lines: counter, EXG, 3 accel/aux columns, then optionally a time
  of day (``12:00:53.329``) and a Unix time in ms. ``%Number of channels`` may be
  missing (a bare ``%`` line): the count is then inferred from the columns.

Values are microvolts already and are kept exactly (float32 of the parsed value);
``EXG Channel 0`` is board input 1. See ``docs/formats.md``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from os import PathLike

from emgkit.errors import FormatError
from emgkit.io.readers._common import (
    as_counter,
    as_float32,
    board_amplifier,
    check_field_counts,
    check_fs_range,
    decode_text,
    gap_events,
    iso_utc,
    load_bytes,
    marker_events,
    parse_numeric,
    split_lines,
    unix_seconds,
)
from emgkit.io.readers.base import Recording
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMAT_V6 = "openbci-gui-v6"
FORMAT_V5 = "openbci-gui-v5"
FORMAT_LEGACY = "openbci-gui-legacy"
FORMATS = (FORMAT_V6, FORMAT_V5, FORMAT_LEGACY)

_FIRST_V6 = "%OpenBCI Raw EXG Data"
_FIRST_EEG = "%OpenBCI Raw EEG Data"
_RATE = re.compile(r"^%\s*Sample Rate\s*=\s*(.*?)\s*(?:Hz)?\s*$", re.IGNORECASE)
_NCHAN = re.compile(r"^%\s*Number of channels\s*=\s*(.*?)\s*$", re.IGNORECASE)
_BOARD = re.compile(r"^%\s*Board\s*=\s*(.*?)\s*$", re.IGNORECASE)
_EXG_NAME = re.compile(r"^EXG Channel (\d+)$")
_ACCEL_NAME = re.compile(r"^Accel Channel (\d+)$")
_N_ACCEL = 3


@dataclass(frozen=True)
class _Layout:
    """Where each kind of value is in a data row (0-based columns)."""

    n_fields: int
    exg: tuple[int, ...]
    channel_numbers: tuple[int, ...]
    labels: tuple[str, ...]
    accel: tuple[int, ...] = ()
    counter: int = 0
    timestamp: int | None = None
    marker: int | None = None
    what: str = ""


def is_openbci_txt(head: bytes) -> bool:
    """Whether a file's first bytes are an OpenBCI GUI text header."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"%OpenBCI")


def read_openbci_txt(path: str | PathLike) -> Recording:
    """Read an OpenBCI GUI ``OpenBCI-RAW-*.txt`` file (v6, v5 or pre-v5; gzip allowed).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Recording
        EXG microvolts, accelerometer (g), the 0-255 packet counter, Unix timestamps,
        ``gap`` events from the counter and ``marker`` events from the Marker Channel.

    Raises
    ------
    FormatError
        If the file is missing or malformed; the message names the line.
    """
    data, sha = load_bytes(path)
    return parse_openbci_txt(data, path, sha)


def parse_openbci_txt(data: bytes, path: str | PathLike, sha256: str) -> Recording:
    """Parse the (decompressed) bytes of an OpenBCI GUI text file; see :func:`read_openbci_txt`."""
    lines, unterminated = split_lines(decode_text(data, path))
    while lines and not lines[-1].strip():
        lines.pop()
        unterminated = False
    if not lines or not is_openbci_txt(lines[0].encode("utf-8", "replace")):
        found = repr(lines[0][:40]) if lines else "an empty file"
        raise FormatError(f"expected an OpenBCI GUI header ('{_FIRST_V6}' or '{_FIRST_EEG}'), "
                          f"found {found}", path)
    n_header = next((i for i, ln in enumerate(lines) if not ln.startswith("%")), len(lines))
    header = lines[:n_header]
    fmt = _generation(header, path)
    fs_hz = _sample_rate(header, path)
    n_declared = _n_channels(header, path)
    board_class = _match(header, _BOARD)

    first = n_header
    names = None
    if fmt == FORMAT_V6:
        if first >= len(lines) or not lines[first].lstrip().startswith("Sample Index"):
            found = repr(lines[first][:40]) if first < len(lines) else "the end of the file"
            raise FormatError(f"line {first + 1}: expected the column-name line ('Sample Index, "
                              f"EXG Channel 0, ...'), found {found}", path)
        names = [n.strip() for n in lines[first].split(",")]
        first += 1
    body = lines[first:]
    if body and _all_zero(body[0]):
        # The GUI (v5) writes a row of zeros before the first sample: not a sample.
        log.info("%s: line %d is a row of zeros written by the GUI before the first sample; "
                 "dropped", path, first + 1)
        body = body[1:]
        first += 1
    if not body:
        raise FormatError(f"expected data rows after the header, found none "
                          f"({len(lines)} lines in all)", path)

    layout = _layout(fmt, names, n_declared, board_class, body[0], first + 1, path)
    if unterminated and body[-1].count(",") + 1 < layout.n_fields:
        log.warning("%s: the last line (%d) is incomplete (the recording was cut off while "
                    "being written); dropped", path, first + len(body))
        body = body[:-1]
        if not body:
            raise FormatError("expected complete data rows, found only an incomplete one", path)
    check_field_counts(body, ",", layout.n_fields, first + 1, path, layout.what)

    cols = [layout.counter, *layout.exg, *layout.accel]
    if layout.timestamp is not None:
        cols.append(layout.timestamp)
    if layout.marker is not None:
        cols.append(layout.marker)
    values = parse_numeric(body, ",", cols, first + 1, path)
    n_exg = len(layout.exg)
    package_num = as_counter(values[:, 0], path, first + 1)
    emg_uv = as_float32(values[:, 1:1 + n_exg], path, first + 1, "microvolt value")
    k = 1 + n_exg
    accel_g = None
    if layout.accel:
        accel_g = as_float32(values[:, k:k + _N_ACCEL], path, first + 1, "acceleration in g")
        k += _N_ACCEL
    timestamps_s = None
    if layout.timestamp is not None:
        timestamps_s = unix_seconds(values[:, k])
        k += 1
    board = _board(board_class, n_exg, fs_hz)
    events = gap_events(package_num, board, path)
    if layout.marker is not None:
        events = Events.concat([events, marker_events(values[:, k])])
    gain, uv_per_count, full_scale_uv = board_amplifier(board)
    return Recording(
        path=str(path), format=fmt, board=board, fs_hz=fs_hz,
        channel_numbers=layout.channel_numbers, emg_uv=emg_uv, channel_labels=layout.labels,
        accel_g=accel_g, package_num=package_num, timestamps_s=timestamps_s, events=events,
        start_time=None if timestamps_s is None else iso_utc(timestamps_s[0]),
        gain=gain, uv_per_count=uv_per_count, full_scale_uv=full_scale_uv, sha256=sha256,
    )


def _generation(header: list[str], path) -> str:
    first = header[0].strip()
    if first == _FIRST_V6:
        return FORMAT_V6
    if first == _FIRST_EEG:
        has_board = _match(header, _BOARD) is not None
        legacy = any(ln.lower().startswith("%first column") for ln in header)
        return FORMAT_V5 if has_board and not legacy else FORMAT_LEGACY
    raise FormatError(f"line 1: expected '{_FIRST_V6}' or '{_FIRST_EEG}', found {first[:40]!r}",
                      path)


def _match(header: list[str], pattern: re.Pattern) -> str | None:
    for ln in header:
        m = pattern.match(ln.strip())
        if m:
            return m.group(1)
    return None


def _sample_rate(header: list[str], path) -> float:
    text = _match(header, _RATE)
    if text is None:
        raise FormatError("expected a '%Sample Rate = ... Hz' header line, found none", path)
    return check_fs_range(text, path)


def _n_channels(header: list[str], path) -> int | None:
    text = _match(header, _NCHAN)
    if text is None:
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n <= 0:
        raise FormatError(f"number of channels: expected a positive integer, found {text[:40]!r}",
                          path)
    return n


def _all_zero(line: str) -> bool:
    try:
        return all(float(f) == 0.0 for f in line.split(","))
    except ValueError:
        return False


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _layout(fmt, names, n_declared, board_class, row, line_no, path) -> _Layout:
    fields = [f.strip() for f in row.split(",")]
    if fmt == FORMAT_V6:
        return _layout_v6(names, n_declared, path)
    n_exg = n_declared or _channels_of_class(board_class)
    if fmt == FORMAT_V5:
        if n_exg is None:
            raise FormatError("expected a '%Number of channels = N' header line, found none",
                              path)
        # counter, EXG, [accel, other...], timestamp, formatted time
        if len(fields) < n_exg + 3:
            raise FormatError(f"line {line_no}: expected at least {n_exg + 3} fields (sample "
                              f"index, {n_exg} EXG, timestamp, time), found {len(fields)}", path)
        accel = tuple(range(n_exg + 1, n_exg + 4)) if len(fields) >= n_exg + 6 else ()
        return _Layout(len(fields), tuple(range(1, n_exg + 1)), tuple(range(1, n_exg + 1)),
                       ("",) * n_exg, accel, timestamp=len(fields) - 2,
                       what=f"sample index, {n_exg} EXG, accel, other, timestamp, time")
    # legacy: counter, EXG, accel/aux, then optional time of day and Unix ms
    end = len(fields)
    timestamp = None
    while end > 1 and (":" in fields[end - 1] or (_is_number(fields[end - 1])
                                                   and float(fields[end - 1]) > 1e11)):
        if ":" not in fields[end - 1]:
            timestamp = end - 1
        end -= 1
    n_core = end - 1
    if n_exg is None:
        n_exg = n_core - _N_ACCEL if n_core > _N_ACCEL else n_core
    if n_exg < 1 or n_exg > n_core:
        raise FormatError(f"line {line_no}: expected a sample index and "
                          f"{n_exg if n_exg >= 1 else 'some'} EXG values, found {len(fields)} "
                          f"fields", path)
    accel = tuple(range(n_exg + 1, n_exg + 4)) if n_core - n_exg >= _N_ACCEL else ()
    return _Layout(len(fields), tuple(range(1, n_exg + 1)), tuple(range(1, n_exg + 1)),
                   ("",) * n_exg, accel, timestamp=timestamp,
                   what=f"sample index, {n_exg} EXG, aux" + (", time" if end < len(fields) else ""))


def _layout_v6(names, n_declared, path) -> _Layout:
    exg = sorted((int(m.group(1)), i) for i, n in enumerate(names) if (m := _EXG_NAME.match(n)))
    if not exg:
        raise FormatError("column names: expected 'EXG Channel 0' ..., found none", path)
    if n_declared is not None and n_declared != len(exg):
        raise FormatError(f"expected {n_declared} EXG columns ('%Number of channels = "
                          f"{n_declared}'), found {len(exg)} in the column-name line", path)
    accel = sorted((int(m.group(1)), i) for i, n in enumerate(names)
                   if (m := _ACCEL_NAME.match(n)))
    if "Sample Index" not in names:
        raise FormatError("column names: expected 'Sample Index', found none", path)
    return _Layout(
        n_fields=len(names),
        exg=tuple(i for _, i in exg),
        channel_numbers=tuple(k + 1 for k, _ in exg),
        labels=tuple(names[i] for _, i in exg),
        accel=tuple(i for _, i in accel) if len(accel) == _N_ACCEL else (),
        counter=names.index("Sample Index"),
        timestamp=names.index("Timestamp") if "Timestamp" in names else None,
        marker=names.index("Marker Channel") if "Marker Channel" in names else None,
        what=f"{len(names)} named columns",
    )


def _channels_of_class(board_class: str | None) -> int | None:
    c = (board_class or "").lower()
    if "ganglion" in c:
        return 4
    if "daisy" in c:
        return 16
    if "cyton" in c:
        return 8
    return None


def _board(board_class: str | None, n_exg: int, fs_hz: float) -> str:
    """Return the emgkit board name from the GUI's board class, else from channels and rate."""
    c = (board_class or "").rsplit("$", 1)[-1].lower()
    wifi = "wifi" in c
    if "ganglion" in c:
        return "ganglion-wifi" if wifi else "ganglion"
    if "cyton" in c:
        name = "cyton-daisy" if ("daisy" in c or n_exg == 16) else "cyton"
        return name + "-wifi" if wifi else name
    if "synthetic" in c:
        return "synthetic"
    nominal = {8: (250.0, "cyton"), 16: (125.0, "cyton-daisy"), 4: (200.0, "ganglion")}
    if n_exg in nominal:
        fs_serial, name = nominal[n_exg]
        if fs_hz == fs_serial:
            return name
        if fs_hz > fs_serial:
            return name + "-wifi"
    return "unknown"
