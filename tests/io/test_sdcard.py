"""Tests of the Cyton SD-card reader (``emgkit.io.readers.sdcard``).

The files are made by :class:`FirmwareSD`, a byte-for-byte model of the firmware's
writer: ``examples/DefaultBoard/SD_Card_Stuff.ino`` and the SD part of ``loop()`` in
``examples/DefaultBoard/DefaultBoard.ino`` of OpenBCI/OpenBCI_Cyton_Library at tags
v3.1.2 (``"3.1.2"``: footer from ``%Total time mS:``) and v3.1.5 (``"3.1.5"``: footer
from ``%SamplingFreq:``; ``%Total time mS:`` copied with its NUL terminator). Like the
firmware it fills a 512-byte cache (``convertToHex``), writes whole blocks, writes the
footer into the last block (interrupting the line being written), loses the partial
block on ``j`` (``closeSDfile``) and leaves the rest of the preallocated file erased.
"""

from __future__ import annotations

import gzip
import logging
import time
from pathlib import Path

import numpy as np
import pytest
from sd_writer import FirmwareSD, record

from emgkit.errors import FormatError
from emgkit.io.readers import sdcard
from emgkit.io.readers.sdcard import FORMAT, is_sdcard, parse_sdcard, read_sdcard
from emgkit.model.boards import ads1299_uv_per_count

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def expected_uv(counts, gain=24.0):
    return (counts.astype(np.float64) * ads1299_uv_per_count(gain)).astype(np.float32)


def held_accel(extra, has_extra):
    idx = np.maximum(np.searchsorted(np.nonzero(has_extra)[0], np.arange(has_extra.size),
                                     side="right") - 1, 0)
    return (extra[np.nonzero(has_extra)[0]][idx] * (0.002 / 16)).astype(np.float32)


def parse(data: bytes, **kw):
    return parse_sdcard(data, "OBCI_01.TXT", "0" * 64, **kw)


# --- round trips --------------------------------------------------------------------------

@pytest.mark.parametrize("n_ch,board", [(8, "cyton"), (16, "cyton-daisy")])
@pytest.mark.parametrize("version", ["3.1.2", "3.1.5"])
def test_full_file_round_trip(n_ch, board, version, caplog):
    """A file filled to its preallocated size: footer, the line it cut, NUL fill."""
    w, counts, extra, has_extra, idx = record(3000, n_ch, version=version, block_count=300)
    assert not w.open  # the file filled up: footer written
    exg, full = w.kept()
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = parse(w.file())
    n = int(exg.sum())
    assert rec.format == FORMAT and rec.board == board
    assert rec.emg_uv.dtype == np.float32 and rec.emg_uv.flags.c_contiguous
    np.testing.assert_array_equal(rec.emg_uv, expected_uv(counts[:n]))
    np.testing.assert_array_equal(rec.package_num, idx[:n] % 256)
    assert rec.package_num.dtype == np.int16
    keep = has_extra[:n] & full[:n]
    np.testing.assert_array_equal(rec.accel_g, held_accel(extra[:n], keep))
    assert rec.channel_numbers == tuple(range(1, n_ch + 1))
    assert rec.gain == 24.0 and rec.uv_per_count == ads1299_uv_per_count(24.0)
    assert rec.full_scale_uv == pytest.approx(187500.0)
    assert rec.fs_hz == 250.0 and isinstance(rec.fs_hz, float)
    assert list(rec.events.of_kind("gap").sample) == []
    assert "assumed" in caplog.text if version == "3.1.2" else "assumed" not in caplog.text


def test_footer_rate_is_read():
    w, *_ = record(3000, version="3.1.5", block_count=300, fs_hz=1000)
    assert parse(w.file()).fs_hz == 1000.0


def test_stopped_early_cut_line_and_erased_space(tmp_path, caplog):
    """``j`` before the file is full: no footer, a cut last line, 0xFF erased space."""
    w, counts, *_ = record(700, erased=0xFF, block_count=8000)
    w.close()
    exg, _ = w.kept()
    assert not exg.all()  # the last line is cut
    p = tmp_path / "OBCI_02.TXT"
    p.write_bytes(w.file())
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = read_sdcard(p)
    n = int(exg.sum())
    np.testing.assert_array_equal(rec.emg_uv, expected_uv(counts[:n]))
    assert "cut short" in caplog.text and "assumed the firmware default 250 Hz" in caplog.text
    assert "--fs-hz" in caplog.text
    # only the written part is read into memory
    data, sha = sdcard._load_recorded(p)
    assert len(data) < 2 * sdcard._CHUNK < p.stat().st_size
    assert sha == __import__("hashlib").sha256(p.read_bytes()).hexdigest()


def test_gzip_and_crlf(tmp_path):
    w, *_ = record(500, block_count=2000)
    w.close()
    data = w.file().rstrip(b"\x00")
    crlf = data.replace(b"\n", b"\r\n")
    p = tmp_path / "OBCI_03.TXT.gz"
    p.write_bytes(gzip.compress(crlf))
    a, b = parse(data), read_sdcard(p)
    np.testing.assert_array_equal(a.emg_uv, b.emg_uv)
    np.testing.assert_array_equal(a.accel_g, b.accel_g)


def test_aux_values_on_every_line_are_not_accelerometer(caplog):
    w, counts, *_ = record(300, aux=True, block_count=2000)
    w.close()
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = parse(w.file())
    assert rec.accel_g is None and "aux values" in caplog.text
    np.testing.assert_array_equal(rec.emg_uv, expected_uv(counts[:rec.emg_uv.shape[0]]))


def test_no_extra_values_and_options():
    w, counts, *_ = record(300, accel=False, block_count=2000)
    w.close()
    rec = parse(w.file(), fs_hz=500, gain=8)
    assert rec.accel_g is None and rec.fs_hz == 500.0 and rec.gain == 8.0
    np.testing.assert_array_equal(rec.emg_uv, expected_uv(counts[:rec.emg_uv.shape[0]], 8.0))
    assert rec.full_scale_uv == pytest.approx(4.5 / 8 * 1e6)


def test_gaps_from_skipped_counters():
    w, *_ = record(1000, skip=[100, 101, 102, 600], block_count=4000)
    w.close()
    rec = parse(w.file())
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample) == [100, 597] and list(gaps.value) == [3.0, 1.0]


def test_stamps_and_restart():
    """``s`` then ``b``: stamps become notes; the counter restarts; the pause is a gap."""
    w = FirmwareSD(block_count=4000)
    w.stamp(False, 1000)
    for i in range(300):
        w.sample(i % 256, np.full(8, i))
    w.stamp(True, 2200)  # 's'
    w.stamp(False, 3200)  # 'b' one second later: 250 samples not recorded
    for i in range(100):
        w.sample(i, np.full(8, i))
    w.close()
    rec = parse(w.file())
    assert rec.emg_uv.shape[0] <= 400
    notes = rec.events.of_kind("note")
    assert list(notes.sample) == [0, 300, 300]
    assert [s.split(" ms")[0] for s in notes.label] == [
        "SD card stamp STOP AT 1000", "SD card stamp START AT 2200", "SD card stamp STOP AT 3200"]
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample) == [300] and list(gaps.value) == [250.0]


# --- detection ----------------------------------------------------------------------------

def test_is_sdcard_claims_firmware_files():
    for n_ch in (8, 16):
        w, *_ = record(50, n_ch, block_count=100)
        w.close()
        assert is_sdcard(w.file()[:4096])
    w = FirmwareSD(block_count=10)
    w.sample(5, range(8))
    assert is_sdcard(b"".join(w.blocks) + w.cache[:w.byte_counter])  # no stamp, one line


def _dataset_heads():
    for p in sorted(DATASETS.rglob("*")):
        if p.is_file() and p.suffix in (".txt", ".csv", ".gz", ".edf", ".bdf"):
            raw = p.read_bytes()
            yield p.name, gzip.decompress(raw)[:4096] if raw[:2] == b"\x1f\x8b" else raw[:4096]


def test_is_sdcard_refuses_other_formats(rh):
    heads = dict(_dataset_heads())
    assert len(heads) >= 10
    heads["gui-v6"] = rh.gui_v6_text("BoardCytonSerial", np.zeros((20, 8)), 250.0,
                                  np.arange(20)).encode()
    heads["brainflow"] = b"\n".join(b"\t".join(b"%d.000000" % (i + k) for k in range(24))
                                    for i in range(20))
    heads["edf"] = b"0       " + b" " * 248
    heads["decimal-csv"] = b"\n".join(b"%d," % i + b",".join([b"-12.50"] * 8)
                                      for i in range(20))
    heads["empty"] = b""
    for name, head in heads.items():
        assert not is_sdcard(head), name


def test_board_detection_and_mismatch():
    w, *_ = record(100, 16, block_count=400)
    w.close()
    assert parse(w.file()).board == "cyton-daisy"
    assert parse(w.file(), board="cyton-daisy-wifi").board == "cyton-daisy-wifi"
    with pytest.raises(FormatError, match=r"line 3: expected .* 8 channels of 6 hex digits"):
        parse(w.file(), board="cyton")
    with pytest.raises(FormatError, match="board: expected one of"):
        parse(w.file(), board="ganglion")


# --- bad input ----------------------------------------------------------------------------

def _lines(n=40) -> list[bytes]:
    w, *_ = record(n, block_count=400)
    w.close()
    return w.file().rstrip(b"\x00").split(b"\n")


def _at(i: int, new):
    """A mutation: line ``i`` (0-based) replaced by ``new(line)``."""
    return lambda ls: [*ls[:i], new(ls[i]), *ls[i + 1:]]


@pytest.mark.parametrize("mutate,message", [
    (_at(10, lambda ln: ln.replace(b"A", b"G").replace(b"0", b"G")),
     r"line 11: expected a 2-digit hex sample counter and 8 channels of 6 hex digits"),
    (_at(10, lambda ln: ln[:30]), r"line 11: expected .* found 5 fields"),
    (_at(10, bytes.lower), r"line 11: expected"),
    (_at(10, lambda ln: ln + b",00"), r"line 11: expected"),
    (lambda ls: [*ls[:-2], b"00,00ZZ"], r"line \d+: expected"),  # garbled, not a cut line
    (_at(25, lambda ln: b"\x00\x01"), r"line 26: expected hex text, found binary"),
    (lambda ls: [b"hello,world", *ls], r"line 1: expected Cyton SD-card lines"),
])
def test_malformed_lines_are_one_line_errors(mutate, message):
    data = b"\n".join(mutate(_lines()))
    t0 = time.perf_counter()
    with pytest.raises(FormatError, match=message) as e:
        parse(data)
    assert "\n" not in str(e.value) and time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("data,kw,message", [
    (b"", {}, "found an empty file"),
    (b"\x00" * 4096, {}, "found only erased space"),
    (b"\xff" * 100, {}, "found only erased space"),
    (b"%STOP AT\n000003E8\n", {}, "expected Cyton SD-card lines .* found the end"),
    (b"%STOP AT\n000003E8\n00,1234\n", {}, "line 3: expected Cyton SD-card lines .*'00,1234'"),
    (None, {"fs_hz": 1e9}, r"fs_hz: expected 1 to 100000 Hz"),
    (None, {"fs_hz": 0}, r"fs_hz: expected 1 to 100000 Hz"),
    (None, {"gain": 3}, r"gain: expected one of the ADS1299 gains 1, 2, 4, 6, 8, 12, 24"),
    (None, {"gain": "x"}, r"gain: expected one of the ADS1299 gains"),
])
def test_bad_input_and_parameters(data, kw, message):
    data = b"\n".join(_lines()) if data is None else data
    with pytest.raises(FormatError, match=message):
        parse(data, **kw)


def test_absurd_footer_rate():
    w, *_ = record(3000, version="3.1.5", block_count=300, fs_hz=0xFFFFF)
    with pytest.raises(FormatError, match="%SamplingFreq footer: expected 1 to 100000 Hz"):
        parse(w.file())


def test_missing_file(tmp_path):
    with pytest.raises(FormatError, match="file not found"):
        read_sdcard(tmp_path / "nope.TXT")


def test_an_hour_parses_quickly():
    """One hour of Cyton at 250 Hz with the accelerometer (900 000 lines)."""
    rng = np.random.default_rng(1)
    n = 900_000
    counts = rng.integers(0, 2**24, (1000, 8))
    body = ["".join(f",{v:06X}" for v in counts[k]) for k in range(1000)]
    lines = [f"{i % 256:02X}" + body[i % 1000] + (",0010,FFF0,0800" if i % 10 == 0 else "")
             for i in range(n)]
    data = ("\n".join(lines) + "\n").encode()
    t0 = time.perf_counter()
    rec = parse(data)
    assert rec.emg_uv.shape == (n, 8) and time.perf_counter() - t0 < 15
