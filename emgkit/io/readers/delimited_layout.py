"""The layout of a generic delimited-text table: which columns are EMG, rate, unit.

A table another EMG system exported cannot be recognised from its content, so the
user describes it, on the command line (``--columns BF,VL --fs-hz 1000 --unit mV``) or
in a small TOML file (``--layout table.toml``)::

    columns = ["BF", "VL", "TA"]   # header names or 1-based column numbers
    fs_hz = 2000.0                 # or: time_column = "time" (+ time_unit = "ms")
    unit = "uV"                    # "uV", "mV", "V" or "counts" (+ scale_uv_per_count)
    delimiter = ","                # default: sniffed (comma, semicolon, tab, whitespace)
    decimal = "."                  # "," for European exports (with ';' or tab separators)

:func:`layout_from_options` builds a :class:`TableLayout` from both (options override
the file); :mod:`emgkit.io.readers.delimited` reads the table. See
``docs/import-tables.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from os import PathLike
from typing import Any

from emgkit._validate import check_option, check_positive
from emgkit.errors import ConfigError
from emgkit.io.readers.edf import UV_PER_UNIT
from emgkit.model.tomlfile import read_toml

#: The units a table's EMG columns may be in ("counts" needs ``scale_uv_per_count``).
UNITS: tuple[str, ...] = (*UV_PER_UNIT, "counts")
#: Seconds per unit of a time column.
TIME_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3}
#: Accepted delimiter spellings -> the delimiter (``" "`` means any run of whitespace).
DELIMITERS: dict[str, str] = {
    ",": ",", "comma": ",", ";": ";", "semicolon": ";", "\t": "\t", "\\t": "\t", "tab": "\t",
    " ": " ", "space": " ", "whitespace": " ",
}
DECIMALS: tuple[str, ...] = (".", ",")

Column = str | int


@dataclass(frozen=True)
class TableLayout:
    """How to read a delimited-text table of EMG samples.

    Parameters
    ----------
    columns : tuple of (str or int), or dict
        The EMG columns, each a header name or a 1-based column number, mapped in
        order to board inputs 1..n; or a dict ``{input: column}`` giving the board
        input numbers explicitly (stored as ``columns`` + ``inputs``).
    unit : str
        Unit of the EMG columns: ``uV``, ``mV``, ``V`` or ``counts``.
    fs_hz : float, optional
        Sampling rate in Hz; exactly one of ``fs_hz`` and ``time_column``.
    time_column : str or int, optional
        A column of time stamps from which the rate is measured.
    time_unit : str
        ``s`` or ``ms``: the unit of ``time_column``.
    scale_uv_per_count : float, optional
        Microvolts of one count; required with (and only with) ``unit="counts"``.
    delimiter : str, optional
        ``,``, ``;``, tab or ``whitespace`` (any run of blanks); None sniffs it.
    decimal : str
        Decimal mark, ``.`` or ``,`` (a decimal comma needs another delimiter).
    header_rows : int, optional
        Lines of header after ``skip_rows`` (the last one names the columns); None
        detects it: a line of non-numbers right before the first line of numbers.
    skip_rows : int
        Lines skipped at the top of the file, before the header.
    comment : str, optional
        Lines starting with this prefix (e.g. ``#`` or ``%``) are ignored.
    marker_column : str or int, optional
        A column whose non-zero values are ``marker`` events.
    inputs : tuple of int
        Board input of each of ``columns``; empty means 1..n.
    """

    columns: tuple[Column, ...]
    unit: str
    fs_hz: float | None = None
    time_column: Column | None = None
    time_unit: str = "s"
    scale_uv_per_count: float | None = None
    delimiter: str | None = None
    decimal: str = "."
    header_rows: int | None = None
    skip_rows: int = 0
    comment: str | None = None
    marker_column: Column | None = None
    inputs: tuple[int, ...] = ()

    def __post_init__(self):
        cols = self.columns
        if isinstance(cols, Mapping):
            self._set("inputs", tuple(_check_int("input number", k, 1) for k in cols))
            cols = tuple(cols.values())
        elif isinstance(cols, (str, int)):
            cols = (cols,)
        cols = tuple(_check_column("columns", c) for c in cols)
        self._set("columns", cols)
        if not cols:
            raise ConfigError("columns: expected at least one EMG column, found none")
        _check_unique("columns", cols)
        self._check_inputs()
        self._check_rate()
        self._check_unit()
        if self.delimiter is not None:
            self._set("delimiter", DELIMITERS[check_option("delimiter", self.delimiter,
                                                           DELIMITERS)])
        check_option("decimal", self.decimal, DECIMALS)
        if self.decimal == "," and self.delimiter == ",":
            raise ConfigError("a decimal comma needs another delimiter (';', tab or "
                              "whitespace), but got delimiter ',' too")
        if self.header_rows is not None:
            self._set("header_rows", _check_int("header_rows", self.header_rows, 0))
        self._set("skip_rows", _check_int("skip_rows", self.skip_rows, 0))
        if self.comment is not None and (not isinstance(self.comment, str) or not self.comment):
            raise ConfigError(f"comment must be a non-empty prefix such as '#', "
                              f"but got {self.comment!r}")
        for name in ("time_column", "marker_column"):
            c = getattr(self, name)
            if c is not None:
                c = _check_column(name, c)
                self._set(name, c)
                if c in cols:
                    raise ConfigError(f"{name} {c!r} is also one of the EMG columns")
        if self.marker_column is not None and self.marker_column == self.time_column:
            raise ConfigError(f"marker_column {self.marker_column!r} is also the time_column")

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _check_inputs(self) -> None:
        inputs = tuple(_check_int("input number", i, 1) for i in self.inputs)
        if inputs and len(inputs) != len(self.columns):
            raise ConfigError(f"inputs: expected one board input per column "
                              f"({len(self.columns)}), but got {len(inputs)}")
        _check_unique("board input", inputs)
        self._set("inputs", inputs or tuple(range(1, len(self.columns) + 1)))

    def _check_rate(self) -> None:
        if (self.fs_hz is None) == (self.time_column is None):
            found = "neither" if self.fs_hz is None else "both"
            raise ConfigError("the sampling rate: expected fs_hz (--fs-hz) or time_column "
                              f"(--time-column), found {found}")
        if self.fs_hz is not None:
            self._set("fs_hz", check_positive("fs_hz", self.fs_hz, "Hz"))
        check_option("time_unit", self.time_unit, TIME_UNITS)

    def _check_unit(self) -> None:
        check_option("unit", self.unit, UNITS)
        if self.unit == "counts":
            if self.scale_uv_per_count is None:
                raise ConfigError("unit 'counts' needs scale_uv_per_count (--scale-uv-per-count,"
                                  " the microvolts of one count), but got none")
            self._set("scale_uv_per_count",
                      check_positive("scale_uv_per_count", self.scale_uv_per_count, "uV"))
        elif self.scale_uv_per_count is not None:
            raise ConfigError(f"scale_uv_per_count applies only to unit 'counts', but got unit "
                              f"{self.unit!r}")

    @property
    def uv_per_unit(self) -> float:
        """Microvolts per unit of the EMG columns."""
        if self.unit == "counts":
            return float(self.scale_uv_per_count)
        return UV_PER_UNIT[self.unit]

    def to_dict(self) -> dict:
        """Return the layout as TOML-ready plain data (None fields left out)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["columns"] = list(self.columns)
        d["inputs"] = list(self.inputs)
        if d["delimiter"] == " ":
            d["delimiter"] = "whitespace"
        return {k: v for k, v in d.items() if v is not None}


def _check_int(name: str, value: Any, minimum: int) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``, else raise ConfigError."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, but got {value!r}")
    return value


def _check_column(name: str, value: Any) -> Column:
    """Return a column reference: a stripped header name or a 1-based column number."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ConfigError(f"{name}: expected a header name or a 1-based column number, "
                      f"but got {value!r}")


def _check_unique(name: str, values: tuple) -> None:
    dup = [v for i, v in enumerate(values) if v in values[:i]]
    if dup:
        raise ConfigError(f"{name} {dup[0]!r} is given more than once")


def parse_columns(text: str) -> tuple[Column, ...] | dict[int, Column]:
    """Parse a ``--columns`` value: ``BF,VL,TA``, ``2,3,4`` or ``1=BF,2=VL`` (input=column).

    Digits are column numbers, anything else a header name.

    Raises
    ------
    ConfigError
        On an empty item or a mix of ``input=column`` and plain items.
    """
    items = [s.strip() for s in str(text).split(",")]
    if not all(items):
        raise ConfigError(f"columns: expected comma-separated header names or column numbers "
                          f"(e.g. 'BF,VL' or '2,3' or '1=BF,2=VL'), but got {text!r}")
    mapped = ["=" in s for s in items]
    if any(mapped) and not all(mapped):
        raise ConfigError(f"columns: give every item as input=column or none, but got {text!r}")
    if not any(mapped):
        return tuple(_column_ref(s) for s in items)
    out: dict[int, Column] = {}
    for s in items:
        k, v = (p.strip() for p in s.split("=", 1))
        out[_check_int(f"columns: the input number in {s!r}", k, 1)] = _column_ref(v)
    return out


def _column_ref(s: Any) -> Any:
    """Return a column given as text: digits are a column number, else a name."""
    return int(s) if isinstance(s, str) and s.strip().isdigit() else s


#: Keys a layout TOML file may have.
LAYOUT_KEYS: tuple[str, ...] = tuple(f.name for f in fields(TableLayout) if f.name != "inputs")


def layout_from_toml(path: str | PathLike) -> TableLayout:
    """Read a layout TOML file (keys: :data:`LAYOUT_KEYS`).

    ``columns`` is an array (``["BF", "VL"]`` or ``[2, 3]``) or a table of
    ``input = column`` (``[columns]`` ``1 = "BF"``).

    Raises
    ------
    ConfigError
        Naming the file, on an unknown key (the message lists the known ones) or an
        invalid value.
    """
    return layout_from_options(layout_path=path)


def _toml_dict(path: str | PathLike) -> dict:
    d = read_toml(path, "layout")
    unknown = sorted(set(d) - set(LAYOUT_KEYS))
    if unknown:
        raise ConfigError(f"unknown layout key {unknown[0]!r}; known keys are "
                          f"{', '.join(LAYOUT_KEYS)}", path)
    cols = d.get("columns")
    if isinstance(cols, str):
        d["columns"] = parse_columns(cols)
    elif isinstance(cols, Mapping):
        d["columns"] = {k: _column_ref(v) for k, v in cols.items()}
    elif isinstance(cols, list):
        d["columns"] = tuple(cols)
    return d


def layout_from_options(
    columns: str | None = None,
    fs_hz: float | None = None,
    time_column: str | int | None = None,
    unit: str | None = None,
    scale_uv_per_count: float | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    skip_rows: int | None = None,
    *,
    time_unit: str | None = None,
    layout_path: str | PathLike | None = None,
) -> TableLayout:
    """Build a :class:`TableLayout` from command-line options, over a TOML file if given.

    Every option that is not None overrides the file's value; ``fs_hz`` and
    ``time_column`` are one setting (giving either replaces the file's rate source).

    Parameters
    ----------
    columns : str, optional
        ``--columns``: ``BF,VL,TA`` (header names), ``2,3,4`` (1-based column
        numbers) or ``1=BF,2=VL`` (board input = column).
    fs_hz : float, optional
        ``--fs-hz``.
    time_column : str or int, optional
        ``--time-column``: a header name or a column number (digits).
    unit : str, optional
        ``--unit``: ``uV``, ``mV``, ``V`` or ``counts``.
    scale_uv_per_count : float, optional
        ``--scale-uv-per-count`` (with ``--unit counts``).
    delimiter : str, optional
        ``--delimiter``: ``,``, ``;``, ``tab`` or ``whitespace``; default sniffed.
    decimal : str, optional
        ``--decimal``: ``.`` or ``,``.
    skip_rows : int, optional
        ``--skip-rows``: lines to skip at the top of the file.
    time_unit : str, optional
        ``s`` (default) or ``ms``: the unit of the time column.
    layout_path : str or os.PathLike, optional
        ``--layout``: a layout TOML file.

    Raises
    ------
    ConfigError
        If the columns, the rate or the unit are missing or invalid (naming the layout
        file, if one was given).
    """
    d = _toml_dict(layout_path) if layout_path is not None else {}
    if fs_hz is not None:
        d.pop("time_column", None)
    if time_column is not None:
        d.pop("fs_hz", None)
    opts = {"columns": None if columns is None else parse_columns(columns), "fs_hz": fs_hz,
            "time_column": _column_ref(time_column), "unit": unit,
            "scale_uv_per_count": scale_uv_per_count, "delimiter": delimiter,
            "decimal": decimal, "skip_rows": skip_rows, "time_unit": time_unit}
    d.update({k: v for k, v in opts.items() if v is not None})
    try:
        if "columns" not in d:
            raise ConfigError("columns: expected the EMG columns (--columns, or columns = [...] "
                              "in a layout file), found none")
        if "unit" not in d:
            raise ConfigError(f"unit: expected one of {', '.join(UNITS)} (--unit), found none")
        return TableLayout(**d)
    except ConfigError as e:
        raise ConfigError(e.message, layout_path) from None
