"""Compliance of the OpenBCI GUI reader with every GUI text-writer generation.

The files are written by ``tests/io/gui_writers.py``, which follows the writers' source
at each release tag of ``OpenBCI/OpenBCI_GUI`` (not sample files). Every generation x board
x (LF, CRLF) x (BOM or not) x (plain, gzip) must read back exactly: EXG and accel are the
float32 of the printed decimals, bit for bit; the counter, timestamps and markers equal
what was printed; board, rate and channel numbers are right.
"""

from __future__ import annotations

import gzip
import logging
import re
import time
import zlib
from functools import cache

import numpy as np
import pytest
from gui_writers import (
    BOARDS,
    GENERATIONS,
    encode,
    gui_lines,
    java_double,
    java_fixed,
    make_signals,
    odf_lines,
)

from emgkit.errors import FormatError
from emgkit.io.readers import read_openbci_txt, read_recording

N = 200  # samples a file: small and fast

#: Boards each generation's GUI could record (Ganglion Native came with GUI 5.2.0).
CASES = [(g, b) for g in GENERATIONS for b in BOARDS
         if not (b == "ganglion-native" and g in ("legacy-v2", "legacy-v4", "v5.0.0", "v5.0.4"))]
LEGACY = ("legacy-v2", "legacy-v4")


@cache
def _written(generation: str, board: str):
    """(lines, signals) of one generation and board; the same for every encoding."""
    rng = np.random.default_rng(zlib.crc32(f"{generation}/{board}".encode()))
    b = BOARDS[board]
    sig = make_signals(b, N, rng)
    if generation != "v6.0.0":
        sig.markers[:] = 0.0  # the GUI inserts markers only from 6.0 (insert_marker)
    return gui_lines(generation, b, sig), sig


def _expected_exg(generation: str, sig) -> np.ndarray:
    """float32 of each printed EXG value (the legacy writer prints '%.2f' of a float)."""
    if generation in LEGACY:
        fixed = np.vectorize(lambda v: float(java_fixed(v, 2)))
        return fixed(sig.exg_uv).astype(np.float32)
    return sig.exg_uv.astype(np.float32)  # Double.toString round-trips exactly


def _expected_accel(generation: str, sig) -> np.ndarray:
    if generation in LEGACY:
        return np.vectorize(lambda v: float(java_fixed(v, 3)))(sig.accel_g).astype(np.float32)
    return sig.accel_g.astype(np.float32)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("bom", [False, True], ids=["nobom", "bom"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize(("generation", "board"), CASES)
def test_generation_round_trip(tmp_path, generation, board, crlf, bom, gz):
    lines, sig = _written(generation, board)
    b = BOARDS[board]
    p = tmp_path / ("OpenBCI-RAW-x.txt" + (".gz" if gz else ""))
    p.write_bytes(encode(lines, crlf=crlf, bom=bom, gz=gz))
    rec = read_recording(p)

    assert rec.format == GENERATIONS[generation][1]
    assert rec.board == b.emgkit_board
    assert rec.fs_hz == b.fs_hz
    assert rec.channel_numbers == tuple(range(1, b.n_exg + 1))
    assert rec.emg_uv.shape == (N, b.n_exg)
    # exact: the float32 of every printed value, bit for bit
    np.testing.assert_array_equal(rec.emg_uv, _expected_exg(generation, sig))
    np.testing.assert_array_equal(rec.accel_g, _expected_accel(generation, sig))
    np.testing.assert_array_equal(rec.package_num, sig.counter)
    if generation == "legacy-v2":
        assert rec.timestamps_s is None  # a time of day only, no date
    elif generation == "legacy-v4":
        ms = np.array([int(t * 1000.0) for t in sig.timestamps_s])  # Java (long)(t * 1000.0)
        np.testing.assert_array_equal(rec.timestamps_s, ms / 1000.0)
    else:
        np.testing.assert_array_equal(rec.timestamps_s, sig.timestamps_s)
    markers = rec.events.of_kind("marker")
    at = np.nonzero(sig.markers)[0]
    np.testing.assert_array_equal(markers.sample, at)
    np.testing.assert_array_equal(markers.value, sig.markers[at])
    assert len(rec.events.of_kind("gap").sample) == 0


@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_writer_rounding_tolerance(generation):
    """What was given to the writer comes back within the writer's printed precision.

    Legacy: '%.2f' of the float, so |read - given| <= 0.005 + one float32 spacing (the
    float32 of the printed value); v5/v6 print full doubles: exact to float32 rounding.
    """
    _, sig = _written(generation, "cyton")
    exg = _expected_exg(generation, sig).astype(np.float64)
    spacing = np.spacing(np.abs(exg).astype(np.float32)).astype(np.float64)
    tol = (0.005 if generation in LEGACY else 0.0) + spacing
    assert np.all(np.abs(exg - sig.exg_uv) <= tol)


@pytest.mark.parametrize(("generation", "board"), CASES[::3])
def test_specific_reader_equals_detection(tmp_path, generation, board):
    lines, _ = _written(generation, board)
    p = tmp_path / "f.txt"
    p.write_bytes(encode(lines, crlf=True))
    a, b = read_openbci_txt(p), read_recording(p)
    assert (a.format, a.board, a.fs_hz, a.channel_numbers) == (b.format, b.board, b.fs_hz,
                                                              b.channel_numbers)
    np.testing.assert_array_equal(a.emg_uv, b.emg_uv)


# --- the case of issue 12 ------------------------------------------------------------------

@pytest.mark.parametrize("generation", ["v5.0.0", "v5.0.4"])
def test_issue_12_gui_5_0_file_imports(tmp_path, generation):
    """A GUI 5.0 Cyton recording, written as DataWriterODF at v5.0.x writes it."""
    b = BOARDS["cyton"]
    sig = make_signals(b, N, np.random.default_rng(12))
    sig.markers[:] = 0.0
    lines = odf_lines(generation, b, sig)
    assert lines[0] == "%OpenBCI Raw EEG Data"
    assert lines[3] == "%Board = OpenBCI_GUI$BoardCytonSerial"
    assert lines[4].startswith("Sample Index, EXG Channel 0, ")
    tail = "Timestamp, Other, " if generation == "v5.0.4" else "Analog Channel 2, Timestamp, "
    assert lines[4].endswith(tail + "Timestamp (Formatted)")
    p = tmp_path / "OpenBCI-RAW-2021-05-01_10-00-00.txt"
    p.write_bytes(encode(lines, crlf=True))
    rec = read_recording(p)
    assert (rec.format, rec.board, rec.fs_hz) == ("openbci-gui-v5", "cyton", 250.0)
    assert rec.channel_labels == tuple(f"EXG Channel {i}" for i in range(8))
    np.testing.assert_array_equal(rec.emg_uv, sig.exg_uv.astype(np.float32))
    assert rec.start_time is not None and rec.start_time.startswith("2023-11-14T22:13:20")


# --- pre-v5 variants ---------------------------------------------------------------------------

@pytest.mark.parametrize("generation", LEGACY)
@pytest.mark.parametrize(("board", "aux_mode", "n_aux"), [
    ("cyton", "digital", 5), ("cyton", "analog", 3), ("cyton", "marker", 1),
    ("cyton", "raw", 3), ("cyton-wifi", "digital", 3), ("cyton-wifi", "analog", 2),
    ("cyton-daisy", "digital", 5), ("cyton-daisy", "marker", 1),
])
def test_legacy_aux_modes(tmp_path, generation, board, aux_mode, n_aux):
    """Stop byte 0xC1 (GUI 3.2-4.x): integer aux values instead of accel; EXG still right."""
    b = BOARDS[board]
    sig = make_signals(b, 50, np.random.default_rng(3))
    lines = gui_lines(generation, b, sig, aux_mode=aux_mode)
    assert len(lines[6].split(", ")) == 1 + b.n_exg + n_aux + (1 if generation == "legacy-v2"
                                                               else 2)
    p = tmp_path / "aux.txt"
    p.write_bytes(encode(lines))
    rec = read_recording(p)
    assert rec.channel_numbers == tuple(range(1, b.n_exg + 1)) and rec.board == b.emgkit_board
    assert rec.accel_g is None  # integers are not accelerations
    np.testing.assert_array_equal(rec.emg_uv, _expected_exg("legacy-v2", sig))


def test_legacy_decimal_commas(tmp_path):
    """GUI 2.0-2.1 formatted with the default locale: '12,34' on a German system."""
    b = BOARDS["cyton"]
    sig = make_signals(b, 50, np.random.default_rng(4))
    p = tmp_path / "de.txt"
    p.write_bytes(encode(gui_lines("legacy-v2", b, sig, decimal_comma=True), crlf=True))
    assert re.search(r"^0, -?\d+,\d\d, ", p.read_text().splitlines()[6])
    rec = read_recording(p)
    np.testing.assert_array_equal(rec.emg_uv, _expected_exg("legacy-v2", sig))
    np.testing.assert_array_equal(rec.accel_g, _expected_accel("legacy-v2", sig))


def test_legacy_cut_off_last_row(tmp_path, caplog):
    lines, _ = _written("legacy-v4", "cyton")
    data = encode(lines)[:-25]  # stopped while writing the last row
    p = tmp_path / "cut.txt"
    p.write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = read_recording(p)
    assert rec.emg_uv.shape == (N - 1, 8) and "incomplete" in caplog.text


def test_java_number_printing():
    assert [java_double(v) for v in (0.0, 1.0, 1e-4, 1e7, 1.557936053329e9, -16597.05920410156)] \
        == ["0.0", "1.0", "1.0E-4", "1.0E7", "1.557936053329E9", "-16597.05920410156"]
    assert [java_fixed(v, 2) for v in (0.125, 0.3, -0.001)] == ["0.13", "0.30", "-0.00"]


# --- bad input: one-line FormatError, quickly ----------------------------------------------------

_V6 = odf_lines("v6.0.0", BOARDS["cyton"],
                make_signals(BOARDS["cyton"], 20, np.random.default_rng(5)))
_V5 = odf_lines("v5.0.4", BOARDS["cyton"],
                make_signals(BOARDS["cyton"], 20, np.random.default_rng(6)))
_LEG = gui_lines("legacy-v4", BOARDS["ganglion"],
                 make_signals(BOARDS["ganglion"], 20, np.random.default_rng(7)))


def _names_with(n_exg_names: int) -> str:
    return ", ".join(["Sample Index", *(f"EXG Channel {i}" for i in range(n_exg_names)),
                      "Timestamp", "Timestamp (Formatted)"])


BAD = {
    "empty": (b"", "expected an OpenBCI GUI"),
    "bom only": (b"\xef\xbb\xbf", "expected an OpenBCI GUI"),
    "bom then garbage": (b"\xef\xbb\xbfhello, world\n1, 2\n", "expected an OpenBCI GUI"),
    "second bom before names": (encode(_V6[:4]) + b"\xef\xbb\xbf\xef\xbb\xbfx, y\n",
                                "expected the column-name line"),
    "garbled first line": (encode(["%OpenBCI Raw XYZ Data", *_V6[1:]]), "line 1: expected"),
    "header only v6": (encode(_V6[:4]), "expected the column-name line"),
    "header and names only": (encode(_V6[:5]), "expected data rows"),
    "header only legacy": (encode(_LEG[:6]), "expected data rows"),
    "truncated in header": (encode(_V6[:2])[:-5], "Sample Rate"),
    "no sample rate": (encode([_V6[0], _V6[1], _V6[3], *_V6[4:]]), "Sample Rate"),
    "rate 0.0001 Hz": (encode([*_V6[:2], "%Sample Rate = 0.0001 Hz", *_V6[3:]]), "1 to"),
    "rate 250 MHz": (encode([*_V6[:2], "%Sample Rate = 250000000 Hz", *_V6[3:]]), "1 to"),
    "rate nan": (encode([*_V5[:2], "%Sample Rate = NaN Hz", *_V5[3:]]), "Sample Rate"),
    "rate words": (encode([*_LEG[:2], "%Sample Rate = fast Hz", *_LEG[3:]]), "Sample Rate"),
    "rate negative": (encode([*_LEG[:2], "%Sample Rate = -200.0 Hz", *_LEG[3:]]), "1 to"),
    "channels 0": (encode([_V6[0], "%Number of channels = 0", *_V6[2:]]), "1 to 64"),
    "channels 100000": (encode([_V5[0], "%Number of channels = 100000", *_V5[2:]]),
                        "1 to 64"),
    "channels words": (encode([_LEG[0], "%Number of channels = eight", *_LEG[2:]]),
                       "Number of channels"),
    "names disagree v6": (encode([*_V6[:4], _names_with(4), *_V6[5:]]),
                          "expected 8 EXG columns"),
    "names disagree v5": (encode([*_V5[:4], _names_with(16), *_V5[5:]]),
                          "expected 8 EXG columns"),
    "names duplicated": (encode([*_V6[:4], _V6[4].replace("EXG Channel 7", "EXG Channel 6"),
                                 *_V6[5:]]), "once each"),
    "names no EXG": (encode([*_V6[:4], "Sample Index, Timestamp", *_V6[5:]]),
                     "'EXG Channel 0' ..., found none"),
    "row too short": (encode([*_V6[:7], _V6[7].rsplit(", ", 3)[0], *_V6[8:]]),
                      "line 8: expected 25 fields"),
    "cut-off row with eol": (encode([*_V6[:-1], _V6[-1][:30]]), "expected 25 fields"),
    "text in data": (encode([*_LEG[:8], _LEG[8].replace(", ", ", abc, ", 1)[:-15] + "x",
                             *_LEG[9:]]), "line 9"),
    "binary": (encode(_V6[:5]) + b"\x00\x01\x02" * 10, "binary"),
    "header without end": (b"%OpenBCI Raw EXG Data\n" + b"%" * 200_000 + b"\n1\n",
                           "within the first 64 KiB"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_format_error(tmp_path, case):
    data, match = BAD[case]
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    for reader in (read_recording, read_openbci_txt):
        with pytest.raises(FormatError, match=match) as ei:
            reader(p)
        msg = str(ei.value)
        assert "\n" not in msg and "expected" in msg and "found" in msg, msg


def test_bad_gzip(tmp_path):
    p = tmp_path / "cut.txt.gz"
    p.write_bytes(gzip.compress(encode(_V6))[:-20])
    with pytest.raises(FormatError, match="gzip"):
        read_recording(p)


@pytest.mark.parametrize("header", [
    [_V6[0], "%Number of channels = 8", "%Sample Rate = 0.0001 Hz"],
    [*_V6[:4], _names_with(3)],
    [_LEG[0], "%Number of channels = 999", _LEG[2]],
])
def test_bad_header_fails_before_reading_data(tmp_path, header):
    """A bad header is refused from the first bytes: a big body costs (almost) nothing."""
    body = ("0.0, " + "1.0, " * 23 + "2023-11-14 22:13:20.000\n").encode() * 80_000  # ~10 MB
    p = tmp_path / "big.txt"
    p.write_bytes(encode(header) + body)
    t0 = time.perf_counter()
    with pytest.raises(FormatError):
        read_openbci_txt(p)
    assert time.perf_counter() - t0 < 1.0
