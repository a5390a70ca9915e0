"""The OpenBCI GUI's BDF+ writer, modelled for tests: files byte for byte as the GUI writes them.

Written from ``OpenBCI_GUI/DataWriterBDF.pde`` of OpenBCI/OpenBCI_GUI (read at tags
v5.0.0-beta.0, v5.0.0, v5.0.1, v5.0.2 and v6.0.0-beta.1; the file is the same from v5.0.2 to
the ``development`` HEAD) and how ``DataLogger.saveNewData`` calls it
(``writeRawData_dataPacket(currentBoard.getFrameData())``, ``closeFile()`` on stop). The
bytes are written here with struct/numpy, not with a BDF library, so that the GUI's quirks
are reproduced:

- Header: ``0xFF BIOSEMI``; patient id ``"X X X X "`` and recording id ``"X X X X X "``
  (``joinStringArray`` leaves a trailing space), padded to 80; start date ``dd.MM.yy`` and
  time ``HH.mm.ss`` of the first sample, local time (``hh.mm.ss``, a 12-hour clock without
  AM/PM, up to v5.0.1: GUI issue #904); header bytes ``256 * (ns + 1)``; reserved ``24BIT``
  (not ``BDF+C``); number of records; duration ``1``; ns.
- Signals: ``EEG 1``..``EEG n`` (``AgAgCl electrode``, ``uV``, -187500..187500 over
  -8388608..8388607, for every board, Ganglion included), then for ``eegDataSource ==
  DATASOURCE_CYTON`` (Cyton, Daisy, their WiFi variants) ``Accel X/Y/Z`` (``MEMS``, ``g``,
  -4..4 over -2048..2047), then ``BDF Annotations`` (transducer and dimension blank, physical
  -187500..187500, or -15686..15686 for ``DATASOURCE_GANGLION``, 20 samples per record).
  Prefiltering and reserved are blank; samples per record are the board's rate.
- Data records of one second: per EXG channel ``fs`` samples of ``(int)uV`` (Java's cast:
  truncated toward zero) as the low 3 bytes, little-endian (GUI issue #1078: the header
  declares the ADC's range but the value is whole microvolts); the accelerometer ``(int)g``
  passed through ``writeAuxDataValues``'s nibble shuffle; a TAL ``+<s>\\x14\\x14`` padded
  with zeros to 60 bytes, ``<s>`` the whole seconds of wall clock since the first sample when
  the record was flushed (``(millis() - timeDataRecordStart) / 1000``). No markers.
- The last partial record (fewer than ``fs`` samples) is never written.
- With no sample at all ``startTime`` is null: ``writeHeader`` throws after the first 168 bytes
  and the exception is swallowed, so the file is those 168 bytes.

Before v5 the same header was written by ``OutputFile_BDF`` in ``DataLogging.pde`` (v2.0.0 to
v4.2.0), with the ADC's bytes bit-reversed (``swapByte``); that generation is not modelled.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

SOURCES = ("cyton", "ganglion", "synthetic")  # the GUI's eegDataSource kinds
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
ANNOTATION_BYTES = 20 * 3


def java_int(x) -> np.ndarray:
    """Java's ``(int)`` of doubles: toward zero, NaN -> 0, saturating at the int range."""
    x = np.asarray(x, dtype=np.float64)
    out = np.where(np.isnan(x), 0.0, np.trunc(np.clip(x, _INT_MIN, _INT_MAX)))
    return out.astype(np.int64)


def _le24(values: np.ndarray) -> np.ndarray:
    """Low 3 bytes of each int, little-endian: ``(..., 3)`` uint8."""
    v = np.asarray(values, dtype=np.int64) & 0xFFFFFF
    return np.stack([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF], axis=-1).astype(np.uint8)


def _sbyte(v: np.ndarray) -> np.ndarray:
    """Java's ``(byte)``: the low 8 bits as a signed value."""
    v = np.asarray(v, dtype=np.int64) & 0xFF
    return np.where(v >= 128, v - 256, v)


def accel_bytes(accel_g) -> np.ndarray:
    """``writeAuxDataValues``: the 3 bytes the GUI stores for each ``(int)g`` value."""
    a = java_int(accel_g)
    hi, lo = _sbyte(a >> 8), _sbyte(a)  # bytes[2], bytes[3] of the big-endian int
    t = hi & 0x0F
    v0 = _sbyte(hi >> 4)  # -8..7: "values[0] >= 8" never holds, so zeroPack stays true
    v1 = _sbyte(_sbyte(lo >> 4) | t)
    return np.stack([v1 & 0xFF, v0 & 0xFF, np.zeros_like(v0)], axis=-1).astype(np.uint8)


def _pad(s: str, size: int) -> bytes:
    """``padStringRight``: cut or space-pad to ``size`` (chars written as their low byte)."""
    return s[:size].ljust(size).encode("latin-1")


def header(n_exg: int, fs_hz: int, n_records: int, start: datetime,
           source: str = "cyton", version: str = "5.0.2") -> bytes:
    """``writeHeader``: the BDF header the GUI writes on ``closeFile()``."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    aux = source == "cyton"
    ns = n_exg + (3 if aux else 0) + 1
    ann_range = ("-15686", "15686") if source == "ganglion" else ("-187500", "187500")
    sig = {  # field: (EXG value, aux values or None, annotation value, width)
        "label": ([f"EEG {i}" for i in range(1, n_exg + 1)], ["Accel X", "Accel Y", "Accel Z"],
                  "BDF Annotations ", 16),
        "transducer": (["AgAgCl electrode"] * n_exg, ["MEMS"] * 3, " ", 80),
        "dimension": (["uV"] * n_exg, ["g"] * 3, " ", 8),
        "phys_min": (["-187500"] * n_exg, ["-4"] * 3, ann_range[0], 8),
        "phys_max": (["187500"] * n_exg, ["4"] * 3, ann_range[1], 8),
        "dig_min": (["-8388608"] * n_exg, ["-2048"] * 3, "-8388608", 8),
        "dig_max": (["8388607"] * n_exg, ["2047"] * 3, "8388607", 8),
        "prefilter": ([" "] * n_exg, [" "] * 3, " ", 80),
        "samples": ([str(fs_hz)] * n_exg, [str(fs_hz)] * 3, "20", 8),
        "reserved": ([" "] * n_exg, [" "] * 3, " ", 32),
    }
    hh = "%I" if version in ("5.0.0-beta.0", "5.0.0-beta.2", "5.0.0", "5.0.1") else "%H"
    out = [b"\xff", _pad("BIOSEMI", 7), _pad("X X X X ", 80), _pad("X X X X X ", 80),
           start.strftime("%d.%m.%y").encode(), start.strftime(f"{hh}.%M.%S").encode(),
           _pad(str(256 + 256 * ns), 8), _pad("24BIT", 44), _pad(str(n_records), 8),
           _pad("1", 8), _pad(str(ns), 4)]
    for exg, auxv, ann, width in sig.values():
        out += [_pad(s, width) for s in exg + (auxv if aux else []) + [ann]]
    return b"".join(out)


def _tal(stamp_s: int) -> bytes:
    t = b"+" + str(int(stamp_s)).encode() + b"\x14\x14"
    return t + b"\x00" * (ANNOTATION_BYTES - len(t))


def gui_bdf(exg_uv, fs_hz: int, source: str = "cyton", accel_g=None,
            start: datetime = datetime(2024, 5, 6, 14, 3, 9), version: str = "5.0.2",
            stamps_s=None) -> bytes:
    """Return the bytes of the ``OpenBCI-BDF-*.bdf`` file the GUI writes for these samples.

    Parameters
    ----------
    exg_uv : array_like
        ``(n_samples, n_exg)`` the EXG rows of ``getFrameData()`` in microvolts (doubles).
    fs_hz : int
        ``currentBoard.getSampleRate()``: samples per one-second data record.
    source : {"cyton", "ganglion", "synthetic"}
        The GUI's ``eegDataSource``: Cyton (and Daisy, WiFi) adds the three accelerometer
        signals; Ganglion changes the annotation signal's range; synthetic/streaming neither.
    accel_g : array_like, optional
        ``(n_samples, 3)`` accelerometer rows in g (cyton source only; default zeros).
    start : datetime
        Wall-clock time of the first sample (local time, no zone).
    version : str
        GUI version; up to 5.0.1 the start time is on a 12-hour clock.
    stamps_s : sequence of int, optional
        Whole seconds written in each record's TAL (default ``k`` for record ``k``).

    Returns
    -------
    bytes
        The file: header, then ``n_samples // fs_hz`` records (the partial last one dropped).
    """
    exg = np.asarray(exg_uv, dtype=np.float64)
    n, n_exg = exg.shape
    if n == 0:  # startTime is null: writeHeader dies after the two id fields
        return header(n_exg, fs_hz, 0, start, source, version)[:168]
    n_rec = n // fs_hz
    stamps = list(range(n_rec)) if stamps_s is None else list(stamps_s)[:n_rec]
    chan = _le24(java_int(exg[: n_rec * fs_hz]))  # (samples, n_exg, 3)
    acc = None
    if source == "cyton":
        a = np.zeros((n, 3)) if accel_g is None else np.asarray(accel_g, dtype=np.float64)
        acc = accel_bytes(a[: n_rec * fs_hz])
    records = []
    for k in range(n_rec):
        sl = slice(k * fs_hz, (k + 1) * fs_hz)
        parts = [chan[sl].transpose(1, 0, 2).tobytes()]  # channel-major, fs samples each
        if acc is not None:
            parts.append(acc[sl].transpose(1, 0, 2).tobytes())
        parts.append(_tal(stamps[k]))
        records.append(b"".join(parts))
    return header(n_exg, fs_hz, n_rec, start, source, version) + b"".join(records)
