"""Reader for generic delimited-text tables (the CSV/TXT exports of other EMG systems).

Such a table cannot be recognised from its content, so the user describes it with a
:class:`~emgkit.io.readers.delimited_layout.TableLayout` (``--columns``, ``--fs-hz``,
``--unit``... or ``--layout FILE.toml``): which columns are EMG, the rate (or a time
column), the unit. The reader finds the header and the delimiter, checks the mapping
against the header before reading any data, parses the numbers exactly (numpy's
``loadtxt``) and converts them once to microvolts (float32). See
``docs/import-tables.md``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from os import PathLike

import numpy as np

from emgkit.errors import FormatError
from emgkit.io.readers._common import (
    as_float32,
    check_field_counts,
    check_fs_range,
    decode_text,
    iso_utc,
    load_bytes,
    marker_events,
    parse_numeric,
    split_lines,
    unix_seconds,
)
from emgkit.io.readers.base import Recording
from emgkit.io.readers.delimited_layout import (
    TIME_UNITS,
    TableLayout,
    layout_from_options,
    layout_from_toml,
    parse_columns,
)
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMAT = "delimited"
#: The board a table's Recording names: the table does not say (as for EDF).
BOARD = "unknown"

__all__ = ["BOARD", "FORMAT", "TableLayout", "layout_from_options", "layout_from_toml",
           "parse_columns", "parse_delimited", "read_delimited"]

#: Delimiters tried when the layout does not give one, in order of preference.
_SNIFF_ORDER = ("\t", ";", ",", " ")
#: At most this many lines (after ``skip_rows``) may precede the first line of numbers.
_MAX_PREAMBLE_LINES = 200
#: Lines of data looked at to choose the delimiter.
_SNIFF_DATA_LINES = 50
_NAMES_SHOWN = 30
#: Lines starting with these are passed over when the header is detected (not as data).
_COMMENT_MARKS = ("#", "%")


@dataclass(frozen=True)
class _Table:
    """Where a table's data start and how its lines split."""

    sep: str
    n_fields: int
    names: tuple[str, ...]  # header names, or () if there is no header
    first_data: int  # 0-based index into the file's lines


def read_delimited(path: str | PathLike, layout: TableLayout) -> Recording:
    """Read a delimited-text table (gzip allowed) described by ``layout``.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    layout : TableLayout
        The EMG columns, the rate or time column, the unit (see
        :func:`~emgkit.io.readers.delimited_layout.layout_from_options`).

    Returns
    -------
    Recording
        The EMG columns in microvolts as board inputs ``layout.inputs``, labelled
        with their header names; ``board`` is ``"unknown"``.

    Raises
    ------
    FormatError
        Naming the file and the column, if a column is missing or out of range, a cell
        is not a number, the time stamps go backwards or the rate is implausible.
    """
    data, sha = load_bytes(path)
    return parse_delimited(data, path, sha, layout)


def parse_delimited(
    data: bytes, path: str | PathLike, sha256: str, layout: TableLayout
) -> Recording:
    """Parse the (decompressed) bytes of a table; see :func:`read_delimited`."""
    if layout.fs_hz is not None:
        check_fs_range(layout.fs_hz, path, "fs_hz")
    lines, _ = split_lines(decode_text(data, path))
    table = _find_table(lines, layout, path)
    emg_cols = [_resolve(c, table, path) for c in layout.columns]
    extra = {name: _resolve(getattr(layout, name), table, path)
             for name in ("time_column", "marker_column") if getattr(layout, name) is not None}
    usecols = [*emg_cols, *extra.values()]
    dup = [c for i, c in enumerate(usecols) if c in usecols[:i]]
    if dup:
        raise FormatError(f"column {dup[0] + 1} is named twice in the layout "
                          f"({_label(table, dup[0])})", path)
    values, line_no = _parse_rows(lines, table, layout, usecols, path)
    n_emg = len(emg_cols)
    emg_uv = as_float32(values[:, :n_emg] * layout.uv_per_unit, path,
                        None, "microvolt value")
    fs_hz, timestamps_s, gaps = layout.fs_hz, None, Events()
    if "time_column" in extra:
        what = f"the rate from time column {layout.time_column!r}"
        t_s = _check_time(values[:, n_emg], line_no, what, path) * TIME_UNITS[layout.time_unit]
        fs_hz, gaps = _rate_from_time(t_s, what, path)
        timestamps_s = unix_seconds(t_s)
    events = gaps
    if "marker_column" in extra:
        events = Events.concat([gaps, marker_events(values[:, -1])])
    return Recording(
        path=str(path), format=FORMAT, board=BOARD, fs_hz=float(fs_hz),
        channel_numbers=tuple(layout.inputs), emg_uv=emg_uv,
        channel_labels=tuple(_label(table, c, "") for c in emg_cols),
        timestamps_s=timestamps_s, events=events,
        start_time=None if timestamps_s is None else iso_utc(timestamps_s[0]),
        uv_per_count=layout.scale_uv_per_count, sha256=sha256,
    )


# --- header and delimiter ----------------------------------------------------------------

def _split(line: str, sep: str) -> list[str]:
    return line.split() if sep == " " else line.split(sep)


def _is_number(s: str, decimal: str) -> bool:
    """Whether a field is a finite number as loadtxt reads it (no nan/inf, no '_')."""
    s = s.strip()
    if decimal == ",":
        s = s.replace(",", ".")
    if not s or "_" in s or s.lower().lstrip("+-").startswith(("nan", "inf")):
        return False
    try:
        float(s)
    except ValueError:
        return False
    return True


def _fields(line: str, sep: str, decimal: str) -> tuple[int, tuple[int, ...], int]:
    """Return a line's field count, the fields that are not numbers, and the count of values.

    An empty field after a trailing delimiter is not a value.
    """
    f = _split(line, sep)
    vals = f[:-1] if len(f) > 1 and not f[-1].strip() else f
    return len(f), tuple(i for i, x in enumerate(vals) if not _is_number(x, decimal)), len(vals)


def _is_skipped(line: str, comment: str | None) -> bool:
    s = line.strip()
    return not s or (comment is not None and s.startswith(comment))


def _content(lines: list[str], start: int, comment: str | None, limit: int) -> list[int]:
    """Return the indices of the first ``limit`` non-blank, non-comment lines from ``start``."""
    out: list[int] = []
    if limit <= 0:
        return out
    for i in range(start, len(lines)):
        if not _is_skipped(lines[i], comment):
            out.append(i)
            if len(out) == limit:
                break
    return out


def _sniff(lines: list[str], idx: list[int], layout: TableLayout) -> tuple[str, int, int]:
    """Choose the delimiter: the one under which most lines are numbers with one field count.

    If no line is all numbers under any delimiter, a few text columns (a date, a label)
    are allowed: fewer than half the values, in the same columns on every line, and only
    under a header line with as many names. Returns ``(sep, n_fields, k)``: ``idx[k]``
    is the first data line (``k = -1``: none).
    """
    seps = (layout.delimiter,) if layout.delimiter else tuple(
        s for s in _SNIFF_ORDER if not (s == "," and layout.decimal == ","))
    info = {sep: [_fields(lines[i], sep, layout.decimal) for i in idx] for sep in seps}
    best = None
    for rank, sep in enumerate(seps):  # lines of numbers only
        counts = [n for n, text, _ in info[sep] if not text]
        if counts:
            n = max(set(counts), key=lambda c: (counts.count(c), c))
            k = next(j for j, (m, text, _) in enumerate(info[sep]) if m == n and not text)
            best = max(best or (), ((counts.count(n), n, -rank), sep, n, k))
    if best is None and layout.header_rows != 0:  # text columns among the numbers
        for rank, sep in enumerate(seps):
            rows = info[sep]
            k = next((j for j, (_, t, nv) in enumerate(rows) if nv > 2 and 2 * len(t) < nv), -1)
            if k < 0 or any(r[:2] != rows[k][:2] for r in rows[k:]):
                continue
            pre = [i for i in idx[:k] if not lines[i].lstrip().startswith(_COMMENT_MARKS)]
            if layout.header_rows is None and not (
                    pre and _is_header(lines[pre[-1]], sep, rows[k][0], layout.decimal)):
                continue
            best = max(best or (), ((len(rows) - k, rows[k][0], -rank), sep, rows[k][0], k))
    return ("", 0, -1) if best is None else best[1:]


def _find_table(lines: list[str], layout: TableLayout, path) -> _Table:
    """Find the header line, the first data line and the delimiter (reads no data)."""
    start = layout.skip_rows
    if layout.header_rows is not None:  # an explicit header: data follow it
        head = _content(lines, start, layout.comment, layout.header_rows)
        if len(head) < layout.header_rows:
            raise FormatError(f"expected {layout.header_rows} header line(s) after "
                              f"{start} skipped line(s), found {len(head)}", path)
        start = head[-1] + 1 if head else start
        idx = _content(lines, start, layout.comment, _SNIFF_DATA_LINES)
    else:
        idx = _content(lines, start, layout.comment, _MAX_PREAMBLE_LINES + _SNIFF_DATA_LINES)
        head = []
    sep, n, k = _sniff(lines, idx, layout)
    if k < 0 or (layout.header_rows is not None and k > 0):
        _no_numbers(lines, idx, layout, path)
    first = idx[k]
    if layout.header_rows is None:
        if k > _MAX_PREAMBLE_LINES:
            raise FormatError(f"expected the data within {_MAX_PREAMBLE_LINES} lines, found "
                              f"{k} lines of text first (give --skip-rows)", path)
        pre = [i for i in idx[:k] if not lines[i].lstrip().startswith(_COMMENT_MARKS)]
        head = pre[-1:] if pre and _is_header(lines[pre[-1]], sep, n, layout.decimal) else []
        if k > len(head):
            log.info("%s: %d line(s) before the data skipped", path, k - len(head))
    names = ()
    if head:
        names = tuple(f.strip().strip("\"'").strip() for f in _split(lines[head[-1]], sep))
        if len(names) != n:
            raise FormatError(f"line {head[-1] + 1}: expected a header of {n} names "
                              f"(the data have {n} columns), found {len(names)}", path)
    return _Table(sep, n, names, first)


def _no_numbers(lines, idx, layout: TableLayout, path):
    """Raise FormatError: no line of numbers where the data should start."""
    if not idx:
        raise FormatError("expected a table of numbers, found no data lines", path)
    sep = "" if layout.delimiter is None else f" separated by {_sep_name(layout.delimiter)}"
    hint = "; a decimal comma? give --decimal ," if layout.decimal == "." else ""
    if layout.header_rows is not None:
        raise FormatError(f"line {idx[0] + 1}: expected a line of numbers{sep} after the "
                          f"header, found {lines[idx[0]][:60]!r}{hint}", path)
    raise FormatError(f"expected lines of numbers{sep} within {len(idx)} lines, found "
                      f"none (line {idx[0] + 1} is {lines[idx[0]][:60]!r}){hint}", path)


def _is_header(line: str, sep: str, n: int, decimal: str) -> bool:
    """Whether a line before the data names its columns: n fields, none a number."""
    f = _split(line, sep)
    return len(f) == n and not any(_is_number(x, decimal) for x in f)


def _sep_name(sep: str) -> str:
    return {"\t": "tabs", " ": "whitespace"}.get(sep, repr(sep))


def _resolve(col, table: _Table, path) -> int:
    """0-based index of a column reference, or FormatError naming it and the header."""
    if isinstance(col, int):
        if col > table.n_fields:
            raise FormatError(f"column {col} out of range: the file has {table.n_fields} "
                              "columns", path)
        return col - 1
    if not table.names:
        raise FormatError(f"column {col!r} not found: the file has no header line (name the "
                          f"columns by number, 1-{table.n_fields})", path)
    if col in table.names:
        return table.names.index(col)
    folded = [i for i, s in enumerate(table.names) if s.casefold() == col.casefold()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(table.names[:_NAMES_SHOWN])
    more = f" (+{len(table.names) - _NAMES_SHOWN} more)" if len(table.names) > _NAMES_SHOWN else ""
    raise FormatError(f"column {col!r} not found; the header has: {shown}{more}", path)


def _label(table: _Table, col: int, default: str | None = None) -> str:
    if table.names:
        return table.names[col]
    return f"column {col + 1}" if default is None else default


# --- data --------------------------------------------------------------------------------

def _parse_rows(lines, table: _Table, layout: TableLayout, usecols: list[int], path):
    """Parse the data lines (in runs between skipped lines); return values and line numbers."""
    end = len(lines)
    while end > table.first_data and not lines[end - 1].replace(table.sep, "").strip():
        end -= 1  # trailing blank or delimiter-only lines (e.g. a row of empty cells)
    keep = [i for i in range(table.first_data, end) if not _is_skipped(lines[i], layout.comment)]
    if not keep:
        raise FormatError("expected rows of numbers after the header, found none", path)
    sep = "\t" if table.sep == " " else table.sep  # whitespace runs are re-joined by tabs
    what = f"{table.n_fields} columns like line {table.first_data + 1}"
    blocks, numbers = [], []
    for run in np.split(np.asarray(keep), np.nonzero(np.diff(keep) != 1)[0] + 1):
        a, b = int(run[0]), int(run[-1]) + 1
        block = lines[a:b]
        if layout.decimal == ",":
            block = [ln.replace(",", ".") for ln in block]
        if table.sep == " ":
            block = ["\t".join(ln.split()) for ln in block]
        check_field_counts(block, sep, table.n_fields, a + 1, path, what)
        blocks.append(parse_numeric(block, sep, usecols, a + 1, path))
        numbers.append(np.arange(a + 1, b + 1))
    return np.concatenate(blocks), np.concatenate(numbers)


def _check_time(t: np.ndarray, line_no: np.ndarray, what: str, path) -> np.ndarray:
    """Return time stamps (file units) if they never go backwards and advance overall."""
    if t.size < 2:
        raise FormatError(f"{what}: expected at least 2 time stamps, found {t.size}", path)
    back = np.nonzero(np.diff(t) < 0)[0]
    if back.size:
        i = int(back[0]) + 1
        raise FormatError(f"line {line_no[i]}: expected increasing time stamps, found "
                          f"{float(t[i]):g} after {float(t[i - 1]):g}", path)
    if t[-1] <= t[0]:
        raise FormatError(f"{what}: expected time stamps that advance, found all "
                          f"{float(t[0]):g}", path)
    return t


def _rate_from_time(t_s: np.ndarray, what: str, path) -> tuple[float, Events]:
    """Effective rate (Hz) of checked time stamps, and ``gap`` events where samples are missing.

    The rate is the mean step over the steps not more than 1.5 times the median step
    (so gaps do not lower it), rounded to 6 significant digits; time may repeat (coarse
    stamps, then no gaps are looked for).
    """
    d = np.diff(t_s)
    med = float(np.median(d))
    regular = d[d <= 1.5 * med] if med > 0 else d
    fs_hz = check_fs_range(float(f"{1.0 / float(np.mean(regular)):.6g}"), path, what)
    if med <= 0:
        return fs_hz, Events()
    at = np.nonzero(d > 1.5 * med)[0]
    missing = np.rint(d[at] * fs_hz) - 1
    at, missing = at[missing >= 1] + 1, missing[missing >= 1]
    if at.size:
        log.info("%s: %d gap(s) in the time column, %d samples missing", path, at.size,
                 int(missing.sum()))
    return fs_hz, Events(at, ["gap"] * at.size, [""] * at.size, missing)
