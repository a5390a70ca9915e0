"""Recording readers: one function, :func:`read_recording`, that detects the format.

The format is told from the content, not the name: gzip data (``.gz``) is
decompressed first, then the first bytes decide -- ``%OpenBCI`` is an OpenBCI GUI
text file, ``0`` + 7 spaces an EDF, ``0xFF BIOSEMI`` a BDF, lines of hex counts a
Cyton SD-card file, a line of tab-separated numbers with a board's column count a
BrainFlow ``write_file`` CSV (which needs ``board``). Any other delimited table is
read with a user's :class:`TableLayout` (``docs/import-tables.md``). The sha256
recorded is that of the file as given. See ``docs/formats.md``.
"""

from __future__ import annotations

from os import PathLike

from emgkit.errors import FormatError
from emgkit.io.readers import brainflow_csv, c3d, delimited, edf, openbci_txt, sdcard, xdf
from emgkit.io.readers._common import UTF8_BOM, load_bytes, read_head
from emgkit.io.readers.base import Recording
from emgkit.io.readers.brainflow_csv import read_brainflow_csv
from emgkit.io.readers.c3d import read_c3d
from emgkit.io.readers.delimited import read_delimited
from emgkit.io.readers.delimited_layout import TableLayout, layout_from_options, layout_from_toml
from emgkit.io.readers.edf import read_edf
from emgkit.io.readers.openbci_txt import read_openbci_txt
from emgkit.io.readers.sdcard import read_sdcard
from emgkit.io.readers.xdf import read_xdf

#: Every format a reader can return in :attr:`Recording.format`.
FORMATS: tuple[str, ...] = (*openbci_txt.FORMATS, sdcard.FORMAT, brainflow_csv.FORMAT,
                            *edf.FORMATS, xdf.FORMAT, c3d.FORMAT, delimited.FORMAT)

__all__ = [
    "FORMATS",
    "Recording",
    "TableLayout",
    "detect_format",
    "layout_from_options",
    "layout_from_toml",
    "read_brainflow_csv",
    "read_c3d",
    "read_delimited",
    "read_edf",
    "read_openbci_txt",
    "read_recording",
    "read_sdcard",
    "read_xdf",
]


def detect_format(data: bytes) -> str | None:
    """Return the format of a file's (decompressed) content, or None if unknown.

    The result is ``"openbci-txt"``, ``"openbci-sd"``, ``"brainflow-csv"``, ``"edf"``,
    ``"bdf"``, ``"xdf"`` or ``"c3d"``. Delimited tables are never detected: they need a
    layout.
    """
    head = data[:4096]
    text_head = head.removeprefix(UTF8_BOM)
    if openbci_txt.is_openbci_txt(text_head):
        return "openbci-txt"
    kind = edf.edf_kind(head)
    if kind is not None:
        return kind
    if xdf.is_xdf(head):
        return xdf.FORMAT
    if c3d.is_c3d(head):
        return c3d.FORMAT
    if sdcard.is_sdcard(text_head):
        return sdcard.FORMAT
    if brainflow_csv.is_brainflow_csv(text_head):
        return brainflow_csv.FORMAT
    return None


def read_recording(
    path: str | PathLike,
    board: str | None = None,
    *,
    fs_hz: float | None = None,
    gain: float | None = None,
    layout: TableLayout | None = None,
    stream: str | None = None,
    marker_stream: str | None = None,
    analog: list[str | int] | None = None,
    delay_s: float = 0.0,
    unit: str | None = None,
) -> Recording:
    """Read any supported recording file, detecting its format from the content.

    Parameters
    ----------
    path : str or os.PathLike
        An OpenBCI GUI ``OpenBCI-RAW-*.txt`` file (every generation), a Cyton SD-card
        file (``OBCI_xx.TXT``), a BrainFlow ``write_file`` CSV, or an EDF/BDF file; any
        of them may be gzip-compressed. With ``layout``, any delimited-text table.
    board : str, optional
        The board a BrainFlow CSV was recorded from (required for that format, which
        does not name it); for SD-card files, ``cyton`` or ``cyton-daisy`` (detected
        if None); ignored for the others.
    fs_hz : float, optional
        SD-card files: the sampling rate (default: the file's footer, else 250 Hz).
    gain : float, optional
        SD-card files: the ADS1299 gain the channels were set to (default 24).
    layout : TableLayout, optional
        Read the file as a delimited-text table with this column mapping
        (:mod:`emgkit.io.readers.delimited`); no format detection then.
    stream, marker_stream : str, optional
        XDF files: the EMG and marker streams by name (see :func:`read_xdf`).
    analog : list of str or int, optional
        C3D files: the analog EMG channels by label or number (see :func:`read_c3d`).
    delay_s : float
        C3D files: the analog output delay of the EMG system (Delsys Trigno: 0.048).
    unit : str, optional
        XDF and C3D files: the unit of the EMG channels when the file does not say it.

    Returns
    -------
    Recording
        Microvolts, channel numbers, events and metadata; ``sha256`` is that of the
        file as given.

    Raises
    ------
    FormatError
        If the file is missing, of an unknown format, or malformed.
    """
    if layout is not None:
        return read_delimited(path, layout)
    head = read_head(path)
    if xdf.is_xdf(head):
        return read_xdf(path, stream=stream, marker_stream=marker_stream, unit=unit)
    if c3d.is_c3d(head):
        return read_c3d(path, channels=analog, delay_s=delay_s, unit=unit)
    given = [opt for opt, v in (("--stream", stream), ("--marker-stream", marker_stream),
                                ("--analog", analog), ("--delay-s", delay_s or None),
                                ("--unit", unit)) if v is not None]
    if given:
        raise FormatError(f"{', '.join(given)}: only for XDF or C3D files (and --unit for a "
                          "table given with --columns); this file is neither", path)
    if sdcard.is_sdcard(head.removeprefix(UTF8_BOM)) and not openbci_txt.is_openbci_txt(
            head.removeprefix(UTF8_BOM)):
        # before loading: an SD file is preallocated, mostly erased space
        return read_sdcard(path, board=board, fs_hz=fs_hz, gain=gain)
    data, sha = load_bytes(path)
    kind = detect_format(data)
    if kind == "openbci-txt":
        return openbci_txt.parse_openbci_txt(data, path, sha)
    if kind in edf.FORMATS:
        return edf.parse_edf(data, path, sha)
    if kind == brainflow_csv.FORMAT:
        return brainflow_csv.parse_brainflow_csv(data, path, sha, board)
    raise FormatError("unknown format: expected an OpenBCI GUI text file, a Cyton SD-card "
                      "file, a BrainFlow CSV (give --board) or EDF/BDF, found "
                      f"{_describe(data)}; for another system's table give --columns and "
                      "--fs-hz (docs/import-tables.md)", path)


def _describe(data: bytes) -> str:
    """Describe briefly unrecognised content for error messages."""
    if not data:
        return "an empty file"
    head = data[:40]
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > 2:
        return f"binary data starting {head[:16]!r}"
    first = head.split(b"\n", 1)[0].decode("latin-1").rstrip("\r")
    return f"text starting {first!r}"
