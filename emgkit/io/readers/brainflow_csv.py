"""Reader for files written by BrainFlow's ``DataFilter.write_file``.

Such a file is tab-separated text, one sample a line, every row of the board's data
array as a column, and no header: the board cannot be told from the content, so the
caller names it (``emgkit import --board``). The row layout comes from BrainFlow itself
(``BoardShim.get_exg_channels`` and friends) when it is installed, else from
:data:`BRAINFLOW_LAYOUTS`, read off BrainFlow 5.23.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

from emgkit.errors import FormatError
from emgkit.io.readers._common import (
    as_counter,
    as_float32,
    board_amplifier,
    check_field_counts,
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
from emgkit.model.boards import BOARDS
from emgkit.model.session import Events

FORMAT = "brainflow-csv"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_ROW = re.compile(rf"^\s*(?:{_NUMBER})(?:\t\s*(?:{_NUMBER}))+\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class BrainFlowLayout:
    """Rows of a board's BrainFlow data array (0-based), and its sampling rate.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    exg : tuple of int
        Rows of the EXG channels (microvolts), board inputs 1..n in order.
    accel : tuple of int
        Rows of the accelerometer (g), or empty.
    package_num : int
        Row of the packet counter.
    timestamp : int
        Row of the Unix timestamp in seconds.
    marker : int
        Row of the marker channel.
    n_rows : int
        Number of rows (columns of the file).
    """

    fs_hz: float
    exg: tuple[int, ...]
    accel: tuple[int, ...]
    package_num: int
    timestamp: int
    marker: int
    n_rows: int


def _r(a: int, b: int) -> tuple[int, ...]:
    return tuple(range(a, b + 1))


#: Static layouts (BrainFlow 5.23, see OPENBCI.md), used when BrainFlow is not installed.
BRAINFLOW_LAYOUTS: dict[str, BrainFlowLayout] = {
    "cyton": BrainFlowLayout(250.0, _r(1, 8), _r(9, 11), 0, 22, 23, 24),
    "cyton-daisy": BrainFlowLayout(125.0, _r(1, 16), _r(17, 19), 0, 30, 31, 32),
    "ganglion": BrainFlowLayout(200.0, _r(1, 4), _r(5, 7), 0, 13, 14, 15),
    "cyton-wifi": BrainFlowLayout(1000.0, _r(1, 8), _r(9, 11), 0, 22, 23, 24),
    "cyton-daisy-wifi": BrainFlowLayout(1000.0, _r(1, 16), _r(17, 19), 0, 30, 31, 32),
    "ganglion-wifi": BrainFlowLayout(1600.0, _r(1, 4), _r(5, 7), 0, 23, 24, 25),
    "synthetic": BrainFlowLayout(250.0, _r(1, 16), _r(17, 19), 0, 30, 31, 32),
}


def brainflow_layout(board: str) -> BrainFlowLayout:
    """Return the row layout of ``board``'s BrainFlow array, asking BrainFlow if installed.

    Raises
    ------
    FormatError
        If ``board`` is not a board emgkit reads BrainFlow files of.
    """
    if board not in BRAINFLOW_LAYOUTS:
        raise FormatError(f"unknown board {board!r}: expected one of "
                          f"{', '.join(BRAINFLOW_LAYOUTS)}")
    try:
        from brainflow.board_shim import BoardShim
    except ImportError:
        return BRAINFLOW_LAYOUTS[board]
    bid = BOARDS[board].brainflow_id
    return BrainFlowLayout(
        fs_hz=float(BoardShim.get_sampling_rate(bid)),
        exg=tuple(BoardShim.get_exg_channels(bid)),
        accel=tuple(BoardShim.get_accel_channels(bid)),
        package_num=BoardShim.get_package_num_channel(bid),
        timestamp=BoardShim.get_timestamp_channel(bid),
        marker=BoardShim.get_marker_channel(bid),
        n_rows=BoardShim.get_num_rows(bid),
    )


#: Complete lines of a file's head that :func:`is_brainflow_csv` checks.
_DETECT_LINES = 8


def is_brainflow_csv(head: bytes) -> bool:
    """Whether a file's head looks like BrainFlow's ``write_file`` output.

    Every complete line of the head (up to :data:`_DETECT_LINES`) must be tab-separated
    numbers, all with the column count of a board in :data:`BRAINFLOW_LAYOUTS`, and that
    board's packet-counter column must be integral 0-255. A generic table of numbers
    (e.g. the 8 tab-separated columns of a Delsys export) is therefore not taken for one.
    """
    lines = head.split(b"\n")
    if len(lines) > 1:  # the last piece may be cut off by the head's size
        lines = lines[:-1]
    lines = [ln.rstrip(b"\r") for ln in lines if ln.strip()][:_DETECT_LINES]
    try:
        rows = [ln.decode("ascii") for ln in lines]
    except UnicodeDecodeError:
        return False
    if not rows or not all(_ROW.match(r) for r in rows):
        return False
    n_fields = {r.count("\t") + 1 for r in rows}
    if len(n_fields) != 1:
        return False
    n = n_fields.pop()
    counters = {lay.package_num for lay in BRAINFLOW_LAYOUTS.values() if lay.n_rows == n}
    return any(all(_is_counter(r.split("\t")[c]) for r in rows) for c in counters)


def _is_counter(field: str) -> bool:
    """Whether a field is an integral packet counter 0-255 (``write_file`` prints ``%f``)."""
    try:
        v = float(field)
    except ValueError:
        return False
    return 0 <= v <= 255 and v == int(v)


def read_brainflow_csv(path: str | PathLike, board: str | None) -> Recording:
    """Read a file written by BrainFlow's ``DataFilter.write_file`` (gzip allowed).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    board : str
        emgkit board name the file was recorded from (``cyton``, ``cyton-daisy``,
        ``ganglion``, ``cyton-wifi``, ``cyton-daisy-wifi``, ``ganglion-wifi``,
        ``synthetic``): the file does not say.

    Returns
    -------
    Recording
        EXG microvolts, accelerometer (g), packet counter, timestamps, ``gap`` and
        ``marker`` events.

    Raises
    ------
    FormatError
        If ``board`` is missing or unknown, or the file does not match its layout.
    """
    data, sha = load_bytes(path)
    return parse_brainflow_csv(data, path, sha, board)


def parse_brainflow_csv(
    data: bytes, path: str | PathLike, sha256: str, board: str | None
) -> Recording:
    """Parse the (decompressed) bytes of a BrainFlow file; see :func:`read_brainflow_csv`."""
    if board is None:
        raise FormatError("a BrainFlow CSV file does not name its board: expected --board "
                          f"(one of {', '.join(BRAINFLOW_LAYOUTS)}), found none", path)
    layout = brainflow_layout(board)
    lines, _ = split_lines(decode_text(data, path))
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise FormatError("expected tab-separated samples, found an empty file", path)
    n_fields = lines[0].count("\t") + 1
    if n_fields != layout.n_rows:
        raise FormatError(f"expected {layout.n_rows} columns for board {board}, "
                          f"found {n_fields}", path)
    check_field_counts(lines, "\t", layout.n_rows, 1, path, f"the rows of board {board}")
    cols = [layout.package_num, *layout.exg, *layout.accel, layout.timestamp, layout.marker]
    values = parse_numeric(lines, "\t", cols, 1, path)
    n_exg = len(layout.exg)
    package_num = as_counter(values[:, 0], path)
    emg_uv = as_float32(values[:, 1:1 + n_exg], path, 1, "microvolt value")
    k = 1 + n_exg + len(layout.accel)
    accel_g = (as_float32(values[:, 1 + n_exg:k], path, 1, "acceleration in g")
               if layout.accel else None)
    timestamps_s = unix_seconds(values[:, k])
    events = Events.concat([gap_events(package_num, board, path),
                            marker_events(values[:, k + 1])])
    gain, uv_per_count, full_scale_uv = board_amplifier(board)
    return Recording(
        path=str(path), format=FORMAT, board=board, fs_hz=layout.fs_hz,
        channel_numbers=tuple(range(1, n_exg + 1)), emg_uv=emg_uv,
        channel_labels=("",) * n_exg, accel_g=accel_g, package_num=package_num,
        timestamps_s=timestamps_s, events=events,
        start_time=None if timestamps_s is None else iso_utc(timestamps_s[0]),
        gain=gain, uv_per_count=uv_per_count, full_scale_uv=full_scale_uv, sha256=sha256,
    )
