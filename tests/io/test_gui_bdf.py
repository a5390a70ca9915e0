"""The OpenBCI GUI's own BDF+ files (``DataWriterBDF.pde``), as ``tests/io/gui_bdf_writer.py``
writes them byte for byte, read back exactly: the digital value is the GUI's ``(int)uV``.
"""

from __future__ import annotations

import gzip
import logging
import time
from datetime import datetime

import numpy as np
import pytest
from gui_bdf_writer import accel_bytes, gui_bdf, header, java_int

from emgkit.errors import FormatError
from emgkit.io.readers import read_edf, read_recording

BOARDS = {  # id: (source, EXG channels, rate, board emgkit names)
    "cyton": ("cyton", 8, 250, "cyton"),
    "daisy": ("cyton", 16, 125, "cyton-daisy"),
    "ganglion": ("ganglion", 4, 200, "ganglion"),
    "cyton-wifi": ("cyton", 8, 1000, "cyton-wifi"),
    "ganglion-wifi": ("ganglion", 4, 1600, "ganglion-wifi"),
    "synthetic": ("synthetic", 8, 250, "unknown"),
}
START = datetime(2024, 5, 6, 14, 3, 9)


def _uv(rng, n, n_ch):
    """Microvolts as BrainFlow gives them, with the values truncation must get right."""
    x = rng.normal(0, 150, (n, n_ch))
    x[:6, 0] = [-0.7, 0.7, -1.5, 1.99, -187499.9, 187499.9]
    x[6, :] = -0.0
    return x


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("board_id", list(BOARDS))
@pytest.mark.parametrize("reader", [read_edf, read_recording])
def test_gui_bdf_reads_back_whole_microvolts(board_id, reader, tmp_path, rng, caplog,
                                             check_recording):
    source, n_ch, fs, board = BOARDS[board_id]
    x = _uv(rng, 3 * fs + fs // 2, n_ch)  # the last half second is never written
    acc = rng.normal(0, 1, (x.shape[0], 3))
    p = _write(tmp_path, "OpenBCI-BDF-2024-05-06_14-03-09.bdf",
               gui_bdf(x, fs, source, accel_g=acc, start=START, stamps_s=[1, 1, 3]))
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = reader(p)
    check_recording(rec, p)
    np.testing.assert_array_equal(rec.emg_uv, np.trunc(x[: 3 * fs]).astype(np.float32))
    assert rec.emg_uv[6, 0] == 0 and rec.emg_uv[0, 0] == 0 and rec.emg_uv[2, 0] == -1
    assert rec.fs_hz == float(fs) and rec.format == "bdf" and rec.board == board
    assert rec.channel_numbers == tuple(range(1, n_ch + 1))  # EXG Channel 0 = input 1
    assert rec.channel_labels == tuple(f"EEG {i}" for i in range(1, n_ch + 1))
    assert rec.accel_g is None and len(rec.events.sample) == 0  # the GUI writes no markers
    assert rec.start_time == "2024-05-06T14:03:09"
    assert "whole microvolts, truncated toward zero (GUI issue #1078)" in caplog.text
    assert "0.01 µV" in caplog.text and "44.7" not in caplog.text


def test_gui_bdf_bytes_as_the_writer_writes_them():
    """Spot checks of the generator against DataWriterBDF.pde (v5.0.2 .. v6.0.0-beta.1)."""
    x = np.zeros((251, 8))
    x[0, 0], x[1, 0], x[0, 1] = -1.0, 1.9, 8388608.0  # beyond 24 bits: the low 3 bytes
    d = gui_bdf(x, 250, "cyton", start=START)
    ns = 8 + 3 + 1
    assert d[:8] == b"\xffBIOSEMI" and d[8:16] == b"X X X X " and d[88:98] == b"X X X X X "
    assert d[168:184] == b"06.05.2414.03.09" and d[184:192] == b"3328    "
    assert d[192:236] == b"24BIT".ljust(44) and d[236:252] == b"1       1       "
    assert d[252:256] == b"12  " and len(d) == 256 * (ns + 1) + (11 * 250 * 3 + 60)
    labels = [d[256 + 16 * i: 272 + 16 * i] for i in range(ns)]
    assert labels[0] == b"EEG 1".ljust(16) and labels[8] == b"Accel X".ljust(16)
    assert labels[11] == b"BDF Annotations "
    rec = d[256 * (ns + 1):]
    assert rec[:6] == b"\xff\xff\xff\x01\x00\x00" and rec[750:753] == b"\x00\x00\x80"
    assert rec[-60:] == b"+0\x14\x14" + b"\x00" * 56
    g = gui_bdf(np.zeros((200, 4)), 200, "ganglion", start=START, version="5.0.1")
    assert g[176:184] == b"02.03.09"  # hh.mm.ss up to 5.0.1 (GUI issue #904)
    off = 256 + 5 * 104  # physical minima: EEG -187500 even on the Ganglion; annotations
    assert g[off: off + 40] == b"-187500 " * 4 + b"-15686  "
    assert len(gui_bdf(np.zeros((0, 8)), 250)) == 168  # no sample: writeHeader throws


def test_java_casts():
    assert list(java_int([-0.9, 0.9, -2.5, np.nan, 1e12, -1e12])) == [
        0, 0, -2, 0, 2**31 - 1, -(2**31)]
    # (int)g through writeAuxDataValues: -1 -> 0xFFFF, small positives -> 0
    assert accel_bytes(np.array([-1.0, 0.98, 1.0, -2.0])).tolist() == [
        [255, 255, 0], [0, 0, 0], [0, 0, 0], [255, 255, 0]]


def test_gui_bdf_12_hour_clock_and_gzip(tmp_path, rng):
    x = _uv(rng, 400, 4)
    d = gui_bdf(x, 200, "ganglion", start=START, version="5.0.0")
    p = _write(tmp_path, "g.bdf.gz", gzip.compress(d, mtime=0))
    rec = read_recording(p)
    assert rec.start_time == "2024-05-06T02:03:09"  # the header says 02: GUI <= 5.0.1
    np.testing.assert_array_equal(rec.emg_uv, np.trunc(x).astype(np.float32))


def test_gui_bdf_saved_again_reads_as_plain_bdf(tmp_path, rng, caplog):
    """A header not exactly the GUI's is an ordinary BDF, with the old warning."""
    x = _uv(rng, 500, 8)
    d = bytearray(gui_bdf(x, 250, "cyton", start=START))
    d[192:236] = b"BDF+C".ljust(44)
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = read_recording(_write(tmp_path, "resaved.bdf", bytes(d)))
    assert "44.7" in caplog.text and "whole microvolts" not in caplog.text
    scale = 375000 / 16777215  # the declared range: what GUI issue #1078 is about
    np.testing.assert_allclose(rec.emg_uv, (np.trunc(x) + 8388608) * scale - 187500, atol=1e-3)


def _fails_fast(path, match):
    t0 = time.perf_counter()
    with pytest.raises(FormatError, match=match) as e:
        read_recording(path)
    assert time.perf_counter() - t0 < 1.0
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(path))
    return msg


def test_gui_bdf_bad_input(tmp_path, rng):
    d = gui_bdf(_uv(rng, 750, 8), 250, "cyton", start=START)
    hdr = 256 * 13
    _fails_fast(_write(tmp_path, "cut.bdf", d[:-100]),
                r"declares 3 data records of 8310 bytes \(28258 bytes in all\), found 28158")
    _fails_fast(_write(tmp_path, "cuthdr.bdf", d[:1000]),
                r"header of 3328 bytes \(12 signals\), found a file of 1000 bytes")
    _fails_fast(_write(tmp_path, "short.bdf", d[:200]), "at least 256 bytes")
    _fails_fast(_write(tmp_path, "nosample.bdf", gui_bdf(np.zeros((0, 8)), 250)),
                "at least 256 bytes")
    many = d[:236] + b"99999999" + d[244:]
    _fails_fast(_write(tmp_path, "many.bdf", many), "declares 99999999 data records")
    _fails_fast(_write(tmp_path, "none.bdf", header(8, 250, 0, START)),
                "expected samples in the data records, found none")
    for fs in (10**7, 0):
        bad = header(4, fs, 1, START, "ganglion")
        _fails_fast(_write(tmp_path, f"rate{fs}.bdf", bad + bytes(100)),
                    rf"samples per 1 s data record: expected 1 to 100000 Hz, found {fs}")
    assert len(d) == hdr + 3 * 8310
