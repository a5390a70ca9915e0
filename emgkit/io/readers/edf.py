"""Reader for EDF/EDF+ and BDF/BDF+ files, through :mod:`edfio`.

Every ordinary signal whose physical dimension is a voltage (``uV``, ``µV``, ``mV``,
``V``, ``nV``) is an EMG channel, numbered 1..n in file order and converted to
microvolts; three signals in ``g`` are the accelerometer; an EDF+/BDF+ annotation
signal gives ``marker`` events.

The OpenBCI GUI's own BDF files (``DataWriterBDF.pde``, GUI 5.0 to 6.x; the header is the
same since v2.0.0) store ``(int)uV`` as the 24-bit digital value under a header that
declares the ADC's range, so a plain BDF reader gets amplitudes about 44.7 times too small
(GUI issue #1078). A header exactly as that writer sets it is read here without edfio: the
digital values are the microvolts (whole, truncated toward zero), the size is checked
against the header before any data are decoded, and the board follows from the layout. A
header that only resembles the GUI's is read as an ordinary BDF with a warning.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from os import PathLike

import numpy as np

from emgkit.errors import FormatError
from emgkit.io.readers._common import as_float32, board_amplifier, check_fs_range, load_bytes
from emgkit.io.readers.base import Recording
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMATS = ("edf", "bdf")

#: Factor from each accepted physical dimension to microvolts.
UV_PER_UNIT = {"uV": 1.0, "µV": 1.0, "μV": 1.0, "mV": 1e3, "V": 1e6, "nV": 1e-3}
_ACCEL_UNITS = ("g",)
_GUI_LABEL = re.compile(r"^EEG \d+$")


def edf_kind(head: bytes) -> str | None:
    """``"edf"`` or ``"bdf"`` from a file's first 8 bytes, else None."""
    if head[:8] == b"0       ":
        return "edf"
    if head[:8] == b"\xffBIOSEMI":
        return "bdf"
    return None


def read_edf(path: str | PathLike) -> Recording:
    """Read an EDF(+) or BDF(+) file (gzip allowed) as microvolts.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Recording
        The voltage signals in microvolts, labels from the file, accelerometer if
        three ``g`` signals are present, annotations as ``marker`` events. An OpenBCI
        GUI BDF (header exactly as ``DataWriterBDF.pde`` writes it) gives its stored
        whole microvolts, the board its layout implies, no accelerometer and no events.

    Raises
    ------
    FormatError
        If the file is not valid EDF/BDF, has a signal of unknown physical dimension,
        or EMG signals at different sampling rates; for a GUI BDF, if its rate is
        implausible or the file is not the size its header declares.
    """
    data, sha = load_bytes(path)
    return parse_edf(data, path, sha)


def parse_edf(data: bytes, path: str | PathLike, sha256: str) -> Recording:
    """Parse the (decompressed) bytes of an EDF/BDF file; see :func:`read_edf`."""
    kind = edf_kind(data[:8])
    if kind is None:
        raise FormatError(f"expected an EDF ('0       ') or BDF ('\\xffBIOSEMI') header, found "
                          f"{data[:8]!r}", path)
    gui = _gui_layout(data, path) if kind == "bdf" else None
    if gui is not None:
        return _read_gui_bdf(data, gui, path, sha256)
    edf = _load(data, kind, path)
    emg, accel = [], []
    for s in edf.signals:
        dim = s.physical_dimension.strip()
        if dim in UV_PER_UNIT:
            emg.append((s, UV_PER_UNIT[dim]))
        elif dim in _ACCEL_UNITS:
            accel.append(s)
        else:
            raise FormatError(f"signal {s.label!r}: expected a physical dimension of "
                              f"{', '.join(UV_PER_UNIT)} (or g for an accelerometer), "
                              f"found {dim!r}", path)
    if not emg:
        raise FormatError("expected at least one voltage (EMG) signal, found none", path)
    rates = {float(s.sampling_frequency) for s, _ in emg}
    if len(rates) > 1:
        shown = ", ".join(f"{s.label!r} {s.sampling_frequency:g} Hz" for s, _ in emg)
        raise FormatError(f"expected every EMG signal at one sampling rate, found {shown}", path)
    fs_hz = rates.pop()
    if not np.isfinite(fs_hz) or fs_hz <= 0:
        raise FormatError(f"expected a positive sampling rate, found {fs_hz!r} Hz", path)
    columns = [np.asarray(s.data, dtype=np.float64) * f for s, f in emg]
    n = min(c.size for c in columns)
    if n == 0:
        raise FormatError("expected samples in the data records, found none", path)
    emg_uv = as_float32(np.stack([c[:n] for c in columns], axis=1), path, what="microvolt value")
    if _looks_like_openbci_gui(edf, emg):
        log.warning("%s: this looks like a BDF written by the OpenBCI GUI, but its header is "
                    "not exactly the GUI's (saved again by another program?); GUI amplitudes "
                    "read this way are about 44.7x too small (GUI issue #1078): do not trust "
                    "them; import the GUI's OpenBCI-RAW .txt file instead", path)
    return Recording(
        path=str(path), format=kind, board="unknown", fs_hz=fs_hz,
        channel_numbers=tuple(range(1, len(emg) + 1)), emg_uv=emg_uv,
        channel_labels=tuple(s.label.strip() for s, _ in emg),
        accel_g=_accel(accel, fs_hz, n, path), events=_annotations(edf, fs_hz, n, path),
        start_time=_start_time(edf), sha256=sha256,
    )


def _load(data: bytes, kind: str, path):
    import edfio

    reader = edfio.read_edf if kind == "edf" else edfio.read_bdf
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            edf = reader(data, header_encoding="latin-1")
            for s in edf.signals:  # decode every header field and the data once, here
                _ = (s.label, s.transducer_type, s.physical_dimension, s.sampling_frequency,
                     s.physical_max, s.digital_max, s.data)
            _ = edf.annotations, edf.local_patient_identification
            _ = edf.local_recording_identification
    except Exception as e:  # edfio raises ValueError, IndexError, struct errors...
        raise FormatError(f"not a valid {kind.upper()} file: {type(e).__name__}: {e}",
                          path) from None
    for w in caught:
        log.warning("%s: %s", path, w.message)
    return edf


def _accel(signals, fs_hz: float, n: int, path):
    if len(signals) != 3 or any(float(s.sampling_frequency) != fs_hz for s in signals):
        if signals:
            log.info("accelerometer signals ignored: expected 3 at %g Hz, found %d", fs_hz,
                     len(signals))
        return None
    cols = [np.asarray(s.data, dtype=np.float64) for s in signals]
    if min(c.size for c in cols) < n:
        return None
    return as_float32(np.stack([c[:n] for c in cols], axis=1), path, what="acceleration in g")


def _annotations(edf, fs_hz: float, n: int, path) -> Events:
    samples, labels = [], []
    for a in edf.annotations:
        onset_s = float(a.onset)
        k = round(onset_s * fs_hz) if np.isfinite(onset_s) else -1
        if 0 <= k < n:
            samples.append(k)
            labels.append(str(a.text))
        else:
            log.info("%s: annotation %r at %g s is outside the recording; ignored", path,
                     a.text, a.onset)
    return Events(samples, ["marker"] * len(samples), labels)


def _start_time(edf) -> str | None:
    """Return the header's start date and time as ISO 8601 (EDF stores no time zone)."""
    try:
        return edf.startdatetime.isoformat()
    except Exception:  # anonymised or invalid dates
        return None


def _looks_like_openbci_gui(edf, emg) -> bool:
    """Whether a header that is not exactly the GUI's still resembles it (see _gui_layout).

    The GUI labels its channels ``EEG 1``..``EEG n``, sets the transducer to
    ``AgAgCl electrode``, the range to +-187500 uV over 24-bit digital values (+-15686 is
    its Ganglion annotation signal's), and fills the identification fields with ``X``.
    """
    labels_ok = all(_GUI_LABEL.match(s.label.strip()) for s, _ in emg)
    transducer_ok = all(s.transducer_type.strip() == "AgAgCl electrode" for s, _ in emg)
    range_ok = all(abs(s.physical_max) in (187500.0, 15686.0) and s.digital_max == 8388607
                   for s, _ in emg)
    ids = (edf.local_patient_identification + edf.local_recording_identification).split()
    ids_ok = bool(ids) and set(ids) == {"X"}
    return labels_ok and transducer_ok and (range_ok or ids_ok)


# --- The OpenBCI GUI's own BDF files ------------------------------------------------------
# Read from OpenBCI_GUI/DataWriterBDF.pde (tags v5.0.0 to v6.0.0-beta.1; tests/io/
# gui_bdf_writer.py models it byte for byte): every field below is a constant of that writer
# except the start date/time, the number of records, the channel count and the rate.

_GUI_PREFIX = b"\xffBIOSEMI" + b"X X X X".ljust(80) + b"X X X X X".ljust(80)
_GUI_DATE = re.compile(rb"\d\d\.\d\d\.\d\d\d\d\.\d\d\.\d\d")
_GUI_AUX = ["Accel X", "Accel Y", "Accel Z"]
_GUI_ANNOTATIONS = "BDF Annotations"
_GUI_TAL_BYTES = 20 * 3  # the annotation signal: 20 samples of 3 bytes per record


@dataclass(frozen=True)
class _GuiLayout:
    """What varies between the GUI's BDF files: channels, rate, records, data source."""

    n_exg: int
    fs_hz: int
    n_records: int
    source: str  # the GUI's eegDataSource: "cyton" (accelerometer signals), "ganglion", "other"
    start: bytes  # dd.MM.yyHH.mm.ss

    @property
    def n_aux(self) -> int:
        return 3 if self.source == "cyton" else 0

    @property
    def header_bytes(self) -> int:
        return 256 * (self.n_exg + self.n_aux + 2)

    @property
    def record_bytes(self) -> int:
        return (self.n_exg + self.n_aux) * self.fs_hz * 3 + _GUI_TAL_BYTES


def _gui_header(g: _GuiLayout, fs_text: bytes) -> bytes:
    """Return the header ``DataWriterBDF.writeHeader`` writes for this layout."""
    n, aux = g.n_exg, g.n_aux == 3
    ann_max = "15686" if g.source == "ganglion" else "187500"

    def fields(exg: str | list, aux_value: str | list, ann: str, width: int) -> bytes:
        cells = (exg if isinstance(exg, list) else [exg] * n)
        cells = cells + ((aux_value if isinstance(aux_value, list) else [aux_value] * 3)
                         if aux else []) + [ann]
        return b"".join(c.encode("latin-1").ljust(width)[:width] for c in cells)

    fs = fs_text.decode("ascii").strip()
    return b"".join([
        _GUI_PREFIX, g.start, str(g.header_bytes).encode().ljust(8), b"24BIT".ljust(44),
        str(g.n_records).encode().ljust(8), b"1".ljust(8), str(n + g.n_aux + 1).encode().ljust(4),
        fields([f"EEG {i}" for i in range(1, n + 1)], _GUI_AUX, _GUI_ANNOTATIONS, 16),
        fields("AgAgCl electrode", "MEMS", "", 80), fields("uV", "g", "", 8),
        fields("-187500", "-4", "-" + ann_max, 8), fields("187500", "4", ann_max, 8),
        fields("-8388608", "-2048", "-8388608", 8), fields("8388607", "2047", "8388607", 8),
        fields("", "", "", 80), fields(fs, fs, "20", 8), fields("", "", "", 32),
    ])


def _gui_layout(data: bytes, path) -> _GuiLayout | None:
    """Return the layout if ``data`` starts with a header exactly as the GUI writes it.

    None if it does not.

    Raises FormatError when the GUI's identification fields are there but the header or
    the data records are cut short, or the header's rate or size cannot be the file's.
    """
    if data[:168] != _GUI_PREFIX:
        return None
    if len(data) < 256:
        raise FormatError(f"OpenBCI GUI BDF: expected a header of at least 256 bytes, found "
                          f"a file of {len(data)} bytes (truncated)", path)
    ns_text, records_text = data[252:256], data[236:244]
    if not (ns_text.strip().isdigit() and records_text.strip().isdigit()
            and _GUI_DATE.fullmatch(data[168:184])):
        return None
    ns = int(ns_text)
    if len(data) < 256 * (ns + 1):
        raise FormatError(f"OpenBCI GUI BDF: expected a header of {256 * (ns + 1)} bytes "
                          f"({ns} signals), found a file of {len(data)} bytes (truncated)", path)
    labels = [data[256 + 16 * i: 272 + 16 * i].decode("latin-1").strip() for i in range(ns)]
    n_exg = next((i for i, s in enumerate(labels) if s != f"EEG {i + 1}"), ns)
    rest = labels[n_exg:]
    if n_exg == 0 or rest not in ([*_GUI_AUX, _GUI_ANNOTATIONS], [_GUI_ANNOTATIONS]):
        return None
    off = 256 + ns * 112  # the physical maxima (after label, transducer, dimension, minima)
    ann_max = data[off + 8 * (ns - 1): off + 8 * ns].strip()
    source = ("cyton" if len(rest) == 4 else "ganglion" if ann_max == b"15686" else "other")
    fs_text = data[256 + ns * 216: 256 + ns * 216 + 8]  # samples per record of EEG 1
    if not fs_text.strip().isdigit():
        return None
    g = _GuiLayout(n_exg, int(fs_text), int(records_text), source, data[168:184])
    if data[:g.header_bytes] != _gui_header(g, fs_text):
        return None
    check_fs_range(g.fs_hz, path, "OpenBCI GUI BDF samples per 1 s data record")
    size = g.header_bytes + g.n_records * g.record_bytes
    if len(data) != size:
        raise FormatError(f"OpenBCI GUI BDF: the header declares {g.n_records} data records "
                          f"of {g.record_bytes} bytes ({size} bytes in all), found "
                          f"{len(data)} bytes", path)
    return g


def _read_gui_bdf(data: bytes, g: _GuiLayout, path, sha256: str) -> Recording:
    """Decode a GUI BDF whose size :func:`_gui_layout` has checked: digital value = uV."""
    if g.n_records == 0:
        raise FormatError("expected samples in the data records, found none", path)
    body = np.frombuffer(data, np.uint8, g.n_records * g.record_bytes, g.header_bytes)
    exg = body.reshape(g.n_records, g.record_bytes)[:, : g.n_exg * g.fs_hz * 3]
    b = exg.reshape(g.n_records, g.n_exg, g.fs_hz, 3).astype(np.int32)
    counts = b[..., 0] | (b[..., 1] << 8) | (b[..., 2] << 16)
    counts = (counts ^ 0x800000) - 0x800000  # sign of the 24-bit value
    emg_uv = np.ascontiguousarray(counts.transpose(0, 2, 1).reshape(-1, g.n_exg),
                                  dtype=np.float32)
    log.warning("%s: OpenBCI GUI BDF: values are whole microvolts, truncated toward zero "
                "(GUI issue #1078); the GUI's text files keep 0.01 µV", path)
    if g.n_aux:
        log.info("%s: OpenBCI GUI BDF accelerometer signals not read: the GUI stores (int)g "
                 "through a byte shuffle, not the acceleration", path)
    board = _gui_board(g)
    gain, uv_per_count, full_scale_uv = board_amplifier(board)
    return Recording(
        path=str(path), format="bdf", board=board, fs_hz=float(g.fs_hz),
        channel_numbers=tuple(range(1, g.n_exg + 1)), emg_uv=emg_uv,
        channel_labels=tuple(f"EEG {i}" for i in range(1, g.n_exg + 1)),
        start_time=_gui_start(g.start), sha256=sha256, gain=gain,
        uv_per_count=uv_per_count, full_scale_uv=full_scale_uv,
    )


def _gui_board(g: _GuiLayout) -> str:
    """Return the board the layout implies (Cyton sources add the accelerometer signals)."""
    nominal = {("cyton", 8): (250, "cyton"), ("cyton", 16): (125, "cyton-daisy"),
               ("ganglion", 4): (200, "ganglion")}.get((g.source, g.n_exg))
    if nominal is None:
        return "unknown"
    fs_serial, name = nominal
    return name if g.fs_hz == fs_serial else f"{name}-wifi"


def _gui_start(stamp: bytes) -> str | None:
    """``dd.MM.yyHH.mm.ss`` (local time, no zone) as ISO 8601, years 85-99 in the 1900s."""
    d, mo, y, h, mi, s = (int(stamp[i:i + 2]) for i in (0, 3, 6, 8, 11, 14))
    try:
        return datetime(y + (1900 if y >= 85 else 2000), mo, d, h, mi, s).isoformat()
    except ValueError:
        return None
