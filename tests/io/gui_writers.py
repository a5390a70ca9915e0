"""Files written exactly as the OpenBCI GUI's text writers write them, one function a generation.

Written from the writers' source in ``OpenBCI/OpenBCI_GUI`` at each release tag (read with
``git show TAG:PATH``), not from sample files. What each writer does is in the docstring of
its function; what they share:

* The file is a ``java.io.PrintWriter`` from Processing's ``createWriter`` (UTF-8, no BOM).
  ``println`` ends lines with the JVM's ``line.separator``: CRLF on Windows, LF on macOS and
  Linux, so both occur. A BOM or gzip come only from what users do to the file later.
* Pre-v5 (``OutputFile_rawtxt``) prints Java ``float`` values with ``String.format("%.2f")``
  (EXG) and ``"%.3f"`` (accel); Java formats the float widened to double from its shortest
  decimal digits, rounding half up (:func:`java_fixed`).
* v5/v6 (``DataWriterODF``) prints every BrainFlow row as a ``double`` with
  ``PrintWriter.print(double)``, i.e. ``Double.toString`` (:func:`java_double`), each value
  followed by ``", "``, then the formatted time.
* Time strings come from ``SimpleDateFormat`` in the JVM's default (local) time zone; here
  a ``tz`` argument (UTC by default) stands for it.

The BrainFlow row layouts (``src/board_controller/brainflow_boards.cpp`` or
``inc/brainflow_boards.h`` in ``brainflow-dev/brainflow``) are those of BrainFlow 3.7.2 (no
marker row; GUI 5.0.0-5.0.3) and 3.9-5.x (marker row last; GUI 5.0.4 on): see :data:`BOARDS`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

UTC = timezone.utc


# --- Java number printing ----------------------------------------------------------------

def _shortest_digits(a: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``a > 0`` and the exponent of the first digit."""
    t = Decimal(repr(a)).as_tuple()
    digits = "".join(map(str, t.digits)).rstrip("0") or "0"
    n_all = len(t.digits)
    return digits, n_all - 1 + t.exponent


def java_double(v: float) -> str:
    """``Double.toString(v)`` (what ``PrintWriter.print(double)`` writes).

    Decimal notation with at least one fraction digit for 1e-3 <= |v| < 1e7 (``0.0``,
    ``61379.356``), else ``d.dddE[-]n`` (``1.557936053329E9``, ``1.0E-4``). Digits are the
    shortest that round-trip (JDK 19+; older JDKs sometimes print one more digit, which
    still parses to the same double).
    """
    v = float(v)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0.0:
        return "-0.0" if np.signbit(v) else "0.0"
    sign = "-" if v < 0 else ""
    a = abs(v)
    digits, e = _shortest_digits(a)
    if 1e-3 <= a < 1e7:
        if e >= 0:
            whole = digits[:e + 1].ljust(e + 1, "0")
            frac = digits[e + 1:] or "0"
        else:
            whole, frac = "0", "0" * (-e - 1) + digits
        return f"{sign}{whole}.{frac}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{e}"


def java_float_str(v: float) -> str:
    """``Float.toString`` for the header rates (``250.0``, ``1600.0``)."""
    f = float(np.float32(v))
    return repr(f) if 1e-3 <= abs(f) < 1e7 else java_double(f)


def java_fixed(v: float, decimals: int, decimal_comma: bool = False) -> str:
    """``String.format("%.Nf", (float) v)``: the widened float's shortest digits, half up.

    ``decimal_comma`` is the default-locale formatting of GUI v2.0.x-v2.1.x on e.g. a German
    system (``String.format`` without ``Locale.US`` until v2.2.1).
    """
    d = Decimal(repr(float(np.float32(v))))
    s = str(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    return s.replace(".", ",") if decimal_comma else s


def printed_float32(text: str) -> np.float32:
    """The float32 of a printed value: what a reader must return for it, exactly."""
    return np.float32(float(text.replace(",", ".")))


# --- boards and BrainFlow row layouts ------------------------------------------------------

@dataclass(frozen=True)
class GuiBoard:
    """One board as the GUI records it.

    ``rows`` is BrainFlow's row layout (kinds in row order) with its marker row; ``wifi``
    boards have a user-chosen rate (the GUI's ``samplingRateCommands``), ``fs_hz`` is the
    default. ``class_v5`` is ``getClass().getName()`` of the GUI's board class.
    """

    key: str
    emgkit_board: str
    n_exg: int
    fs_hz: float
    class_v5: str
    rows: tuple[str, ...]
    cyton: bool = True
    first_gui: str = "5.0.0"

    def layout(self, with_marker: bool) -> tuple[str, ...]:
        """Rows of ``get_board_data`` for a BrainFlow with or without the marker row."""
        return self.rows if with_marker else self.rows[:-1]


def _rows(n_exg: int, parts: list[tuple[str, int]]) -> tuple[str, ...]:
    out = ["package", *(["exg"] * n_exg)]
    for kind, n in parts:
        out += [kind] * n
    return (*out, "timestamp", "marker")


# Cyton/Daisy: accel, other x7 (other[0] the stop byte; 1-4 and 6 digital), analog x3.
_CYTON_PARTS = [("accel", 3), ("other", 7), ("analog", 3)]
# Ganglion BLE: accel, resistance x5; Ganglion WiFi: accel, other x7, analog x3, resistance x5.
_GANGLION_PARTS = [("accel", 3), ("resistance", 5)]
_GANGLION_WIFI_PARTS = [("accel", 3), ("other", 7), ("analog", 3), ("resistance", 5)]

BOARDS: dict[str, GuiBoard] = {b.key: b for b in (
    GuiBoard("cyton", "cyton", 8, 250.0, "BoardCytonSerial", _rows(8, _CYTON_PARTS)),
    GuiBoard("cyton-daisy", "cyton-daisy", 16, 125.0, "BoardCytonSerialDaisy",
             _rows(16, _CYTON_PARTS)),
    GuiBoard("cyton-wifi", "cyton-wifi", 8, 1000.0, "BoardCytonWifi", _rows(8, _CYTON_PARTS)),
    GuiBoard("cyton-daisy-wifi", "cyton-daisy-wifi", 16, 1000.0, "BoardCytonWifiDaisy",
             _rows(16, _CYTON_PARTS)),
    GuiBoard("ganglion", "ganglion", 4, 200.0, "BoardGanglionBLE", _rows(4, _GANGLION_PARTS),
             cyton=False),
    GuiBoard("ganglion-native", "ganglion", 4, 200.0, "BoardGanglionNative",
             _rows(4, _GANGLION_PARTS), cyton=False, first_gui="5.2.0"),
    GuiBoard("ganglion-wifi", "ganglion-wifi", 4, 1600.0, "BoardGanglionWifi",
             _rows(4, _GANGLION_WIFI_PARTS), cyton=False),
)}


@dataclass
class Signals:
    """What a board delivered: the arrays a writer prints.

    ``exg_uv`` ``(n, n_ch)``, ``accel_g`` ``(n, 3)``, ``counter`` ``(n,)`` (0-255),
    ``timestamps_s`` Unix seconds ``(n,)``, ``markers`` ``(n,)`` (0 = none), ``aux``
    ``(n, k)`` integer aux values for the pre-v5 aux modes.
    """

    exg_uv: np.ndarray
    accel_g: np.ndarray
    counter: np.ndarray
    timestamps_s: np.ndarray
    markers: np.ndarray
    aux: np.ndarray | None = field(default=None)

    @property
    def n(self) -> int:
        return self.exg_uv.shape[0]


def make_signals(board: GuiBoard, n: int, rng: np.random.Generator, fs_hz: float | None = None,
                 t0_s: float = 1.7e9, decimals: int | None = None) -> Signals:
    """Random but board-like signals (``decimals`` rounds the microvolts, e.g. 2)."""
    fs = fs_hz or board.fs_hz
    exg = rng.normal(0, 80, (n, board.n_exg)) * rng.choice([1, 10, 1000], board.n_exg)
    if decimals is not None:
        exg = np.round(exg, decimals)
    accel = np.repeat(np.round(rng.normal(0, 0.5, (n // 10 + 1, 3)), 3), 10, axis=0)[:n]
    step = 2 if board.key == "cyton-daisy" else 1
    counter = (step * np.arange(n)) % 256
    ts = t0_s + np.arange(n) / fs + rng.uniform(0, 1e-3, n)
    markers = np.zeros(n)
    markers[rng.choice(n, 3, replace=False)] = [1.0, 2.0, 3.5]
    aux = rng.integers(0, 1024, (n, 5))
    return Signals(exg, accel, counter, ts, markers, aux)


# --- pre-v5: OutputFile_rawtxt (DataLogging.pde, GUI v2.0.0 .. v4.2.0) --------------------

_LEGACY_OTHER = ("%Other Columns = EEG data in microvolts followed by Accel Data (in G) "
                 "interleaved with Aux Data")


def _legacy_header(board_fs_hz: float, n_ch: int | None) -> list[str]:
    return ["%OpenBCI Raw EEG Data",
            "%" if n_ch is None else f"%Number of channels = {n_ch}",
            f"%Sample Rate = {java_float_str(board_fs_hz)} Hz",
            "%First Column = SampleIndex",
            "%Last Column = Timestamp ",  # sic: a trailing space
            _LEGACY_OTHER]


def _legacy_aux(sig: Signals, i: int, mode: str, wifi: bool, comma: bool) -> list[str]:
    """The aux fields of sample ``i``: accel (``%.3f``) or the 0xC1 aux modes (integers)."""
    if mode == "accel":
        return [java_fixed(v, 3, comma) for v in sig.accel_g[i]]
    a = [int(x) for x in sig.aux[i]]
    if mode == "digital":
        vals = ([(a[0] & 0xFF00) >> 8, a[0] & 0xFF, a[1]] if wifi else
                [(a[0] & 0xFF00) >> 8, a[0] & 0xFF, (a[1] & 0xFF00) >> 8, a[1] & 0xFF, a[2]])
    elif mode == "analog":
        vals = a[:2] if wifi else a[:3]
    elif mode == "marker":
        vals = a[:1]
    else:  # "raw": any other board mode, the three aux values
        vals = a[:3]
    return [str(v) for v in vals]


def legacy_v2_lines(board: GuiBoard, sig: Signals, fs_hz: float | None = None,
                    aux_mode: str = "accel", decimal_comma: bool = False,
                    tz: timezone = UTC) -> list[str]:
    """GUI v2.0.0-v3.4.x: ``OutputFile_rawtxt`` in ``OpenBCI_GUI/DataLogging.pde``.

    Read at v2.0.0, v2.2.1, v3.1.0, v3.2.0, v3.3.2 (v3.4.0-alpha identical to v3.3.2).
    ``writeHeader``: ``%OpenBCI Raw EEG Data``, a bare ``%`` (no channel count), ``%Sample
    Rate = `` + float + `` Hz`` (``250.0``), ``%First Column = SampleIndex``, ``%Last Column =
    Timestamp `` (trailing space), ``%Other Columns = ...``. A row: ``Integer.toString
    (sampleIndex)``, then ``", " + String.format("%.2f", scale * count)`` per EXG channel,
    ``", " + "%.3f"`` per accel value, then ``", " + dateFormat.format(new Date())`` with
    ``SimpleDateFormat("HH:mm:ss.SSS")``: a time of day, no date, no Unix time.
    From v3.2.0 a packet with stop byte 0xC1 prints the Cyton's aux values as integers
    (``writeAuxValues``: digital 5 values, WiFi 3; analog 3, WiFi 2; marker 1; else 3)
    instead of accel: ``aux_mode``. Until v2.2.1 ``String.format`` had no ``Locale.US``:
    ``decimal_comma`` gives a German-locale file (``12,34``). (v3.1.0-v3.2.x named the file
    ``.csv``; the content is the same.) Ganglion: 4 EXG, accel always.
    """
    fs = fs_hz or board.fs_hz
    out = _legacy_header(fs, None)
    for i in range(sig.n):
        f = [str(int(sig.counter[i]))]
        f += [java_fixed(v, 2, decimal_comma) for v in sig.exg_uv[i]]
        f += _legacy_aux(sig, i, aux_mode if board.cyton else "accel", "wifi" in board.key,
                         decimal_comma)
        f.append(_time_of_day(sig.timestamps_s[i], tz))
        out.append(", ".join(f))
    return out


def legacy_v4_lines(board: GuiBoard, sig: Signals, fs_hz: float | None = None,
                    aux_mode: str = "accel", tz: timezone = UTC) -> list[str]:
    """GUI v4.0.0-v4.2.0: ``OutputFile_rawtxt`` in ``OpenBCI_GUI/DataLogging.pde``.

    Read at v4.0.0, v4.1.7 and v4.2.0 (same output). As v3.x with two changes:
    ``%Number of channels = `` + ``nchan`` replaces the bare ``%``, and the row ends with
    ``", " + dateFormat.format(new Date(timestamp))`` and ``", " + timestamp``: the time of
    day of the packet and its Unix time in ms (a ``long``, from the Hub's JSON or
    ``new Date().getTime()`` on serial). ``Locale.US`` formatting throughout.
    """
    fs = fs_hz or board.fs_hz
    out = _legacy_header(fs, board.n_exg)
    for i in range(sig.n):
        ms = _unix_ms(sig.timestamps_s[i])
        f = [str(int(sig.counter[i]))]
        f += [java_fixed(v, 2) for v in sig.exg_uv[i]]
        f += _legacy_aux(sig, i, aux_mode if board.cyton else "accel", "wifi" in board.key,
                         False)
        f += [_time_of_day(ms / 1000.0, tz), str(ms)]
        out.append(", ".join(f))
    return out


def _unix_ms(t_s: float) -> int:
    """Java ``(long)(t * 1000.0)``: truncation toward zero."""
    return int(float(t_s) * 1000.0)


def _time_of_day(t_s: float, tz: timezone) -> str:
    t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=_unix_ms(t_s))
    return t.astimezone(tz).strftime("%H:%M:%S.%f")[:-3]


# --- v5/v6: DataWriterODF (GUI v5.0.0 .. 6.x) -----------------------------------------------

#: GUI generations of ``DataWriterODF``: header first line, names style, BrainFlow marker row.
ODF_GENERATIONS = {
    "v5.0.0": ("%OpenBCI Raw EEG Data", "v5", False),
    "v5.0.4": ("%OpenBCI Raw EEG Data", "v5", True),
    "v5.2.0": ("%OpenBCI Raw EXG Data", "v5", True),
    "v6.0.0": ("%OpenBCI Raw EXG Data", "v6", True),
}


def channel_names(board: GuiBoard, style: str, with_marker: bool) -> list[str]:
    """``Board.getChannelNames()`` + the board's ``addChannelNamesInternal``.

    ``Board.pde`` (v5.0.0-HEAD): ``Arrays.fill(names, "Other")``, then ``Timestamp``,
    ``Sample Index`` and ``EXG Channel i``. v5.x ``BoardCyton`` adds ``Accel Channel i`` and
    ``Analog Channel i``, ``BoardGanglion`` only ``Accel Channel i`` (so the marker row of
    BrainFlow >= 3.9 is ``Other``). v6 (``BoardCyton.pde`` at v6.0.0-beta.0): other[0] and
    other[5] ``Not Used``, the rest ``Digital Channel 0 (D11)`` .. ``4 (D18)``, and
    ``Marker Channel`` (Cyton and Ganglion).
    """
    kinds = board.layout(with_marker)
    names = []
    n = {"exg": 0, "accel": 0, "analog": 0, "other": 0}
    other_v6 = {0: "Not Used", 1: "Digital Channel 0 (D11)", 2: "Digital Channel 1 (D12)",
                3: "Digital Channel 2 (D13)", 4: "Digital Channel 3 (D17)", 5: "Not Used",
                6: "Digital Channel 4 (D18)"}
    for k in kinds:
        if k == "package":
            names.append("Sample Index")
        elif k == "timestamp":
            names.append("Timestamp")
        elif k == "exg":
            names.append(f"EXG Channel {n['exg']}")
        elif k == "accel":
            names.append(f"Accel Channel {n['accel']}")
        elif k == "analog" and board.cyton:
            names.append(f"Analog Channel {n['analog']}")
        elif k == "marker" and style == "v6":
            names.append("Marker Channel")
        elif k == "other" and board.cyton and style == "v6":
            names.append(other_v6[n["other"]])
        else:
            names.append("Other")
        if k in n:
            n[k] += 1
    return names


def _row_values(board: GuiBoard, sig: Signals, i: int, with_marker: bool) -> list[float]:
    vals: list[float] = []
    n = {"exg": 0, "accel": 0, "other": 0}
    for k in board.layout(with_marker):
        if k == "package":
            vals.append(float(sig.counter[i]))
        elif k == "exg":
            vals.append(float(sig.exg_uv[i, n["exg"]]))
        elif k == "accel":
            vals.append(float(sig.accel_g[i, n["accel"]]))
        elif k == "timestamp":
            vals.append(float(sig.timestamps_s[i]))
        elif k == "marker":
            vals.append(float(sig.markers[i]))
        elif k == "other" and board.cyton and n["other"] == 0:
            vals.append(192.0)  # BrainFlow puts the stop byte (0xC0) in other[0]
        else:
            vals.append(0.0)
        if k in n:
            n[k] += 1
    return vals


def odf_lines(generation: str, board: GuiBoard, sig: Signals, fs_hz: int | None = None,
              tz: timezone = UTC) -> list[str]:
    """GUI v5.0.0-6.x: ``DataWriterODF`` in ``OpenBCI_GUI/DataWriterODF.pde``.

    Read at v5.0.0 (same file through v5.1.0), v5.2.0 (through v5.2.2), v6.0.0-beta.0 (same
    through the current HEAD). ``writeHeader``: the first line (``%OpenBCI Raw EEG Data``
    until v5.1.x, ``%OpenBCI Raw EXG Data`` from v5.2.0), ``%Number of channels = `` +
    ``nchan``, ``%Sample Rate = `` + ``getSampleRate()`` (an ``int``: ``250``) + `` Hz``,
    ``%Board = `` + ``getClass().getName()`` (``OpenBCI_GUI$BoardCytonSerial``: a Processing
    inner class), then each of :func:`channel_names` followed by ``", "`` and finally
    ``Timestamp (Formatted)``. ``append``: for every BrainFlow row of ``getFrameData()``,
    ``print(double)`` and ``", "``; then ``SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS")`` of
    ``(long)(timestamp * 1000.0)`` ms. No zero row. GUI 5.0.0-5.0.3 bundled a BrainFlow
    without a marker row (CHANGELOG 5.0.4: "Update BrainFlow library to version that
    includes a marker channel"); the GUI inserts markers only from 6.0 (``insert_marker``).
    """
    first, style, with_marker = ODF_GENERATIONS[generation]
    fs = int(fs_hz or board.fs_hz)
    out = [first, f"%Number of channels = {board.n_exg}", f"%Sample Rate = {fs} Hz",
           f"%Board = OpenBCI_GUI${board.class_v5}",
           "".join(nm + ", " for nm in channel_names(board, style, with_marker))
           + "Timestamp (Formatted)"]
    for i in range(sig.n):
        vals = _row_values(board, sig, i, with_marker)
        t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            milliseconds=_unix_ms(sig.timestamps_s[i]))
        stamp = t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        out.append("".join(java_double(v) + ", " for v in vals) + stamp)
    return out


# --- all generations ----------------------------------------------------------------------

#: Generation id -> (function of (board, sig, fs_hz), format name emgkit reports).
GENERATIONS = {
    "legacy-v2": (legacy_v2_lines, "openbci-gui-legacy"),
    "legacy-v4": (legacy_v4_lines, "openbci-gui-legacy"),
    **{g: ((lambda b, s, fs=None, _g=g, **kw: odf_lines(_g, b, s, fs, **kw)),
           "openbci-gui-v5" if first.endswith("EEG Data") else "openbci-gui-v6")
       for g, (first, _s, _m) in ODF_GENERATIONS.items()},
}


def gui_lines(generation: str, board: GuiBoard, sig: Signals, fs_hz=None, **kw) -> list[str]:
    """The lines a generation's writer writes for ``board`` and ``sig``."""
    return GENERATIONS[generation][0](board, sig, fs_hz, **kw)


def encode(lines: list[str], crlf: bool = False, bom: bool = False, gz: bool = False) -> bytes:
    """The file's bytes: ``println`` after every line (CRLF or LF), optional BOM and gzip."""
    eol = "\r\n" if crlf else "\n"
    data = ("\ufeff" if bom else "").encode() + "".join(ln + eol for ln in lines).encode()
    return gzip.compress(data, mtime=0) if gz else data


def printed_fields(lines: list[str], header_lines: int) -> list[list[str]]:
    """The data rows split as the writer joined them (``", "``)."""
    return [ln.split(", ") for ln in lines[header_lines:]]
