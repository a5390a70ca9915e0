"""Reader for the OpenBCI GUI's ``OpenBCI-RAW-*.txt`` recordings, every generation.

Written from the GUI's writers at each release tag of ``OpenBCI/OpenBCI_GUI`` (see
``docs/formats.md`` and ``tests/io/gui_writers.py``, which writes each generation as the
GUI does):

* ``openbci-gui-v6``: ``%OpenBCI Raw EXG Data`` (``DataWriterODF``, GUI 5.2.0 and 6.x),
  ``%Number of channels``, ``%Sample Rate = 250 Hz``, ``%Board``, then a column-name line
  (``Sample Index, EXG Channel 0, ..., Timestamp, Marker Channel, Timestamp
  (Formatted)``; GUI 5.2 names the marker row ``Other``). Columns are found by name.
* ``openbci-gui-v5``: ``%OpenBCI Raw EEG Data`` with a ``%Board`` line (``DataWriterODF``,
  GUI 5.0.0-5.1.x): the same column-name line, no ``Marker Channel`` (5.0.0-5.0.3 have no
  marker row at all, 5.0.4+ an unnamed ``Other``). OpenBCI's converted v4 demo data has no
  names but a row of zeros instead: read by position, the zero row dropped.
* ``openbci-gui-legacy`` (``OutputFile_rawtxt``, GUI 1.x-4.x): ``%OpenBCI Raw EEG Data``,
  ``%Number of channels = N`` (v4) or a bare ``%`` (v2-v3), ``%Sample Rate = 250.0 Hz``,
  ``%First Column = SampleIndex`` ...: counter, EXG (``%.2f``), 3 accel (``%.3f``) or 1-5
  integer aux values (board modes), a time of day (``12:00:53.329``) and from v4 Unix ms.

The header is read and validated from the first bytes before any data row is parsed.
Values are microvolts already and are kept exactly (float32 of the parsed value);
``EXG Channel 0`` is board input 1.
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
_DECIMAL_COMMA = re.compile(r"\d,\d")
#: The header (and the column-name line) must lie within the file's first bytes.
_HEADER_BYTES = 64 * 1024
#: Most EXG channels a GUI file can declare (the GUI's boards have 4, 8 or 16).
MAX_CHANNELS = 64


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


@dataclass(frozen=True)
class _Header:
    """The validated header: generation, rate, declared channels, board class, names."""

    fmt: str
    fs_hz: float
    n_declared: int | None
    board_class: str | None
    names: list[str] | None
    n_lines: int


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
    hdr = _read_header(data, path)
    lines, unterminated = split_lines(decode_text(data, path))
    while lines and not lines[-1].strip():
        lines.pop()
        unterminated = False
    first = hdr.n_lines
    body = lines[first:]
    if hdr.names is None and hdr.fmt == FORMAT_V5 and body and _all_zero(body[0]):
        # OpenBCI's converted demo data has a row of zeros where the names belong
        log.info("%s: line %d is a row of zeros (OpenBCI's converter writes one where the "
                 "GUI writes column names); dropped", path, first + 1)
        body = body[1:]
        first += 1
    if not body:
        raise FormatError(f"expected data rows after the header, found none "
                          f"({len(lines)} lines in all)", path)
    if hdr.fmt == FORMAT_LEGACY and _DECIMAL_COMMA.search(body[0]):
        log.info("%s: decimal commas (GUI 2.0-2.1 on a non-English system); read as points",
                 path)
        body = [",".join(f.replace(",", ".") for f in ln.split(", ")) for ln in body]
    layout = _layout(hdr, body[0], first + 1, path)
    if unterminated and body[-1].count(",") + 1 < layout.n_fields:
        log.warning("%s: the last line (%d) is incomplete (the recording was cut off while "
                    "being written); dropped", path, first + len(body))
        body = body[:-1]
        if not body:
            raise FormatError("expected complete data rows, found only an incomplete one", path)
    check_field_counts(body, ",", layout.n_fields, first + 1, path, layout.what)
    return _recording(hdr, layout, body, first + 1, path, sha256)


def _recording(hdr: _Header, layout: _Layout, body: list[str], first_line: int, path,
               sha256: str) -> Recording:
    """Parse the data rows by ``layout`` into a :class:`Recording`."""
    cols = [layout.counter, *layout.exg, *layout.accel]
    if layout.timestamp is not None:
        cols.append(layout.timestamp)
    if layout.marker is not None:
        cols.append(layout.marker)
    values = parse_numeric(body, ",", cols, first_line, path)
    n_exg = len(layout.exg)
    package_num = as_counter(values[:, 0], path, first_line)
    emg_uv = as_float32(values[:, 1:1 + n_exg], path, first_line, "microvolt value")
    k = 1 + n_exg
    accel_g = None
    if layout.accel:
        accel_g = as_float32(values[:, k:k + _N_ACCEL], path, first_line, "acceleration in g")
        k += _N_ACCEL
    timestamps_s = None
    if layout.timestamp is not None:
        timestamps_s = unix_seconds(values[:, k])
        k += 1
    board = _board(hdr.board_class, n_exg, hdr.fs_hz)
    events = gap_events(package_num, board, path)
    if layout.marker is not None:
        events = Events.concat([events, marker_events(values[:, k])])
    gain, uv_per_count, full_scale_uv = board_amplifier(board)
    return Recording(
        path=str(path), format=hdr.fmt, board=board, fs_hz=hdr.fs_hz,
        channel_numbers=layout.channel_numbers, emg_uv=emg_uv, channel_labels=layout.labels,
        accel_g=accel_g, package_num=package_num, timestamps_s=timestamps_s, events=events,
        start_time=None if timestamps_s is None else iso_utc(timestamps_s[0]),
        gain=gain, uv_per_count=uv_per_count, full_scale_uv=full_scale_uv, sha256=sha256,
    )


def _read_header(data: bytes, path) -> _Header:
    """Read and validate the header from the file's first bytes only (bounded work)."""
    head = data[:_HEADER_BYTES]
    lines = split_lines(decode_text(head, path))[0]
    if len(data) > _HEADER_BYTES and lines:
        lines.pop()  # may be cut off
    if not lines or not is_openbci_txt(lines[0].encode("utf-8", "replace")):
        found = repr(lines[0][:40]) if lines else "an empty file"
        raise FormatError(f"expected an OpenBCI GUI header ('{_FIRST_V6}' or '{_FIRST_EEG}'), "
                          f"found {found}", path)
    n_header = next((i for i, ln in enumerate(lines) if not ln.startswith("%")), None)
    if n_header is None:
        if len(data) > _HEADER_BYTES:
            raise FormatError(f"expected the header to end within the first "
                              f"{_HEADER_BYTES // 1024} KiB, found no data line", path)
        n_header = len(lines)
    header = lines[:n_header]
    fmt = _generation(header, path)
    fs_hz = _sample_rate(header, path)
    n_declared = _n_channels(header, path)
    board_class = _match(header, _BOARD)
    nxt = lines[n_header].lstrip("\ufeff").strip() if n_header < len(lines) else None
    names = None
    if nxt is not None and nxt.startswith("Sample Index"):
        names = [n.strip() for n in nxt.split(",")]
        _check_names(names, n_declared, n_header + 1, path)
    elif fmt == FORMAT_V6:
        found = repr(nxt[:40]) if nxt is not None else "the end of the file"
        raise FormatError(f"line {n_header + 1}: expected the column-name line ('Sample Index, "
                          f"EXG Channel 0, ...'), found {found}", path)
    elif fmt == FORMAT_V5 and n_declared is None:
        raise FormatError("expected a '%Number of channels = N' header line, found none", path)
    return _Header(fmt, fs_hz, n_declared, board_class, names,
                   n_header + (names is not None))


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
    return check_fs_range(text, path, "'%Sample Rate'")


def _n_channels(header: list[str], path) -> int | None:
    text = _match(header, _NCHAN)
    if text is None:
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_CHANNELS:
        raise FormatError(f"'%Number of channels': expected an integer 1 to {MAX_CHANNELS}, "
                          f"found {text[:40]!r}", path)
    return n


def _check_names(names: list[str], n_declared: int | None, line_no: int, path) -> None:
    """Validate a column-name line: sample index, EXG 0..N-1 once each, N as declared."""
    exg = [int(m.group(1)) for n in names if (m := _EXG_NAME.match(n))]
    where = f"line {line_no} (column names)"
    if not exg:
        raise FormatError(f"{where}: expected 'EXG Channel 0' ..., found none", path)
    if n_declared is not None and n_declared != len(exg):
        raise FormatError(f"{where}: expected {n_declared} EXG columns ('%Number of channels = "
                          f"{n_declared}'), found {len(exg)}", path)
    if sorted(exg) != list(range(len(exg))):
        raise FormatError(f"{where}: expected 'EXG Channel 0' to 'EXG Channel {len(exg) - 1}' "
                          f"once each, found {sorted(exg)[:20]}", path)
    if len(exg) > MAX_CHANNELS:
        raise FormatError(f"{where}: expected at most {MAX_CHANNELS} EXG columns, found "
                          f"{len(exg)}", path)
    if names.count("Sample Index") != 1:
        raise FormatError(f"{where}: expected one 'Sample Index', found "
                          f"{names.count('Sample Index')}", path)


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


def _layout(hdr: _Header, row: str, line_no: int, path) -> _Layout:
    if hdr.names is not None:
        return _layout_named(hdr.names)
    fields = [f.strip() for f in row.split(",")]
    if hdr.fmt == FORMAT_V5:
        n_exg = hdr.n_declared
        # counter, EXG, [accel, other...], timestamp, formatted time
        if len(fields) < n_exg + 3:
            raise FormatError(f"line {line_no}: expected at least {n_exg + 3} fields (sample "
                              f"index, {n_exg} EXG, timestamp, time), found {len(fields)}", path)
        accel = tuple(range(n_exg + 1, n_exg + 4)) if len(fields) >= n_exg + 6 else ()
        return _Layout(len(fields), tuple(range(1, n_exg + 1)), tuple(range(1, n_exg + 1)),
                       ("",) * n_exg, accel, timestamp=len(fields) - 2,
                       what=f"sample index, {n_exg} EXG, accel, other, timestamp, time")
    return _layout_legacy(hdr, fields, line_no, path)


def _layout_legacy(hdr: _Header, fields: list[str], line_no: int, path) -> _Layout:
    """counter, EXG, accel or aux, then optionally a time of day and Unix ms."""
    end = len(fields)
    timestamp = None
    while end > 1 and (":" in fields[end - 1] or (_is_number(fields[end - 1])
                                                   and float(fields[end - 1]) > 1e11)):
        if ":" not in fields[end - 1]:
            timestamp = end - 1
        end -= 1
    n_core = end - 1
    n_exg = hdr.n_declared or _legacy_channels(n_core, hdr.fs_hz)
    if n_exg < 1 or n_exg > n_core:
        raise FormatError(f"line {line_no}: expected a sample index and "
                          f"{n_exg if n_exg >= 1 else 'some'} EXG values, found {len(fields)} "
                          f"fields", path)
    aux = fields[n_exg + 1:end]
    # accel is printed "%.3f"; the board modes' aux values are integers (writeAuxValues)
    is_accel = len(aux) == _N_ACCEL and all("." in f for f in aux)
    accel = tuple(range(n_exg + 1, n_exg + 4)) if is_accel else ()
    what = (f"sample index, {n_exg} EXG, {len(aux)} {'accel' if is_accel else 'aux'}"
            + (", time" if end < len(fields) else ""))
    return _Layout(len(fields), tuple(range(1, n_exg + 1)), tuple(range(1, n_exg + 1)),
                   ("",) * n_exg, accel, timestamp=timestamp, what=what)


def _legacy_channels(n_core: int, fs_hz: float) -> int:
    """EXG count of a pre-v4 row without ``%Number of channels``: 16, 8 or 4 boards' inputs.

    The aux columns (``OutputFile_rawtxt.writeAuxValues``) number 3 (accel, or analog and
    other modes), 1 (marker), 2 (analog over WiFi), 5 (digital) or 3 (digital over WiFi).
    """
    for n_aux in (3, 1, 2, 5):
        for n_exg in ((4, 8, 16) if fs_hz in (200.0, 1600.0) else (8, 16, 4)):
            if n_core - n_exg == n_aux:
                return n_exg
    return n_core - _N_ACCEL if n_core > _N_ACCEL else n_core


def _layout_named(names: list[str]) -> _Layout:
    exg = sorted((int(m.group(1)), i) for i, n in enumerate(names) if (m := _EXG_NAME.match(n)))
    accel = sorted((int(m.group(1)), i) for i, n in enumerate(names)
                   if (m := _ACCEL_NAME.match(n)))
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
