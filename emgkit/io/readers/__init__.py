"""Recording readers: one function, :func:`read_recording`, that detects the format.

The format is told from the content, not the name: gzip data (``.gz``) is
decompressed first, then the first bytes decide -- ``%OpenBCI`` is an OpenBCI GUI
text file, ``0`` + 7 spaces an EDF, ``0xFF BIOSEMI`` a BDF, a line of tab-separated
numbers a BrainFlow ``write_file`` CSV (which needs ``board``). The sha256 recorded is
that of the file as given. See ``docs/formats.md``.
"""

from __future__ import annotations

from os import PathLike

from emgkit.errors import FormatError
from emgkit.io.readers import brainflow_csv, edf, openbci_txt
from emgkit.io.readers._common import UTF8_BOM, load_bytes
from emgkit.io.readers.base import Recording
from emgkit.io.readers.brainflow_csv import read_brainflow_csv
from emgkit.io.readers.edf import read_edf
from emgkit.io.readers.openbci_txt import read_openbci_txt

#: Every format a reader can return in :attr:`Recording.format`.
FORMATS: tuple[str, ...] = (*openbci_txt.FORMATS, brainflow_csv.FORMAT, *edf.FORMATS)

__all__ = [
    "FORMATS",
    "Recording",
    "detect_format",
    "read_brainflow_csv",
    "read_edf",
    "read_openbci_txt",
    "read_recording",
]


def detect_format(data: bytes) -> str | None:
    """Return the format of a file's (decompressed) content, or None if unknown.

    The result is ``"openbci-txt"``, ``"brainflow-csv"``, ``"edf"`` or ``"bdf"``.
    """
    head = data[:4096]
    text_head = head.removeprefix(UTF8_BOM)
    if openbci_txt.is_openbci_txt(text_head):
        return "openbci-txt"
    kind = edf.edf_kind(head)
    if kind is not None:
        return kind
    if brainflow_csv.is_brainflow_csv(text_head):
        return brainflow_csv.FORMAT
    return None


def read_recording(path: str | PathLike, board: str | None = None) -> Recording:
    """Read any supported recording file, detecting its format from the content.

    Parameters
    ----------
    path : str or os.PathLike
        An OpenBCI GUI ``OpenBCI-RAW-*.txt`` file (v6, v5 or pre-v5), a BrainFlow
        ``write_file`` CSV, or an EDF/BDF file; any of them may be gzip-compressed.
    board : str, optional
        The board a BrainFlow CSV was recorded from (required for that format, which
        does not name it; ignored for the others).

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
    data, sha = load_bytes(path)
    kind = detect_format(data)
    if kind == "openbci-txt":
        return openbci_txt.parse_openbci_txt(data, path, sha)
    if kind in edf.FORMATS:
        return edf.parse_edf(data, path, sha)
    if kind == brainflow_csv.FORMAT:
        return brainflow_csv.parse_brainflow_csv(data, path, sha, board)
    raise FormatError("unknown format: expected an OpenBCI GUI text file, a BrainFlow CSV "
                      f"(give --board) or EDF/BDF, found {_describe(data)}", path)


def _describe(data: bytes) -> str:
    """Describe briefly unrecognised content for error messages."""
    if not data:
        return "an empty file"
    head = data[:40]
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > 2:
        return f"binary data starting {head[:16]!r}"
    first = head.split(b"\n", 1)[0].decode("latin-1").rstrip("\r")
    return f"text starting {first!r}"
