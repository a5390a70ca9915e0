"""The file readers against real recordings and files in their writers' exact formats."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging

import numpy as np
import pytest

from emgkit.errors import FormatError
from emgkit.io.readers import (
    FORMATS,
    read_brainflow_csv,
    read_edf,
    read_openbci_txt,
    read_recording,
)
from emgkit.io.readers.brainflow_csv import BRAINFLOW_LAYOUTS, brainflow_layout


def independent_parse(text: str, n_ch: int):
    """The rows of an OpenBCI GUI file with the csv module: (counter, EXG as float32)."""
    rows = []
    lines = text.splitlines()
    complete = text.endswith("\n")
    for i, fields in enumerate(csv.reader(io.StringIO(text))):
        if not fields or fields[0].startswith("%") or fields[0].startswith("Sample Index"):
            continue
        if i == len(lines) - 1 and not complete and len(fields) < len(rows[-1][2]):
            continue  # the cut-off last line of Jordan_focus
        rows.append((float(fields[0]), [np.float32(float(f)) for f in fields[1:1 + n_ch]],
                     fields))
    if all(float(f) == 0 for f in rows[0][2]):
        rows = rows[1:]  # the GUI's v5 row of zeros
    counter = np.array([r[0] for r in rows])
    exg = np.array([r[1] for r in rows], dtype=np.float32)
    return counter, exg


# --- the real OpenBCI recordings ---------------------------------------------------------

def test_openbci_file_values_identical(rh, openbci_name):
    rel, n_ch, fs_hz, n_rows, fmt = rh.OPENBCI_FILES[openbci_name]
    rec = read_recording(rh.dataset(rel))
    assert rec.format == fmt
    assert rec.fs_hz == fs_hz
    assert rec.emg_uv.shape == (n_rows, n_ch)
    assert rec.channel_numbers == tuple(range(1, n_ch + 1))
    assert rec.board == ("ganglion" if n_ch == 4 else "cyton")
    counter, exg = independent_parse(rh.gui_text(rel), n_ch)
    np.testing.assert_array_equal(rec.emg_uv, exg)
    np.testing.assert_array_equal(rec.package_num, counter.astype(np.int16))
    assert rec.sha256 == hashlib.sha256(rh.dataset(rel).read_bytes()).hexdigest()
    assert rec.accel_g is not None and rec.accel_g.shape == (n_rows, 3)


def test_jordan_focus_railed_values_exact(rh):
    rec = read_openbci_txt(rh.dataset(rh.OPENBCI_FILES["cyton-jordan"][0]))
    assert rec.emg_uv.min() == np.float32(-187500.02)
    assert rec.emg_uv.max() == np.float32(187500.00)
    assert np.all(rec.emg_uv[:, 2][:10] == np.float32(-187500.02))
    assert np.all(rec.emg_uv[:, 4][:10] == np.float32(187500.0))


def test_jordan_focus_cut_off_line_dropped_with_log(rh, caplog):
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        rec = read_openbci_txt(rh.dataset(rh.OPENBCI_FILES["cyton-jordan"][0]))
    assert rec.emg_uv.shape[0] == 30646
    assert "incomplete" in caplog.text and "30652" in caplog.text


def test_jordan_focus_has_real_gaps(rh):
    rec = read_openbci_txt(rh.dataset(rh.OPENBCI_FILES["cyton-jordan"][0]))
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample[:3]) == [2047, 3055, 3229]
    assert list(gaps.value[:3]) == [1, 16, 82]


def test_v6_metadata(rh):
    rec = read_recording(rh.dataset(rh.OPENBCI_FILES["cyton-v6"][0]))
    assert rec.channel_labels == tuple(f"EXG Channel {i}" for i in range(8))
    assert rec.timestamps_s[0] == pytest.approx(1557936053.329)
    assert rec.start_time == "2019-05-15T16:00:53.329000+00:00"
    assert rec.gain == 24.0 and rec.full_scale_uv == pytest.approx(187500.0)
    np.testing.assert_array_equal(rec.accel_g[0], np.float32([0.040, 0.420, 0.238]))
    assert len(rec.events) == 0


def test_v5_zero_row_dropped(rh):
    rec = read_recording(rh.dataset(rh.OPENBCI_FILES["cyton-v5"][0]))
    v6 = read_recording(rh.dataset(rh.OPENBCI_FILES["cyton-v6"][0]))
    assert rec.format == "openbci-gui-v5" and rec.board == "cyton"
    np.testing.assert_array_equal(rec.emg_uv, v6.emg_uv)
    np.testing.assert_array_equal(rec.timestamps_s, v6.timestamps_s)
    assert len(rec.events.of_kind("gap")) == 0


def test_legacy_without_unix_time_has_no_timestamps(rh):
    rec = read_recording(rh.dataset(rh.OPENBCI_FILES["ganglion-r0"][0]))
    assert rec.timestamps_s is None and rec.start_time is None
    assert np.all(rec.emg_uv[:, 2:] == 0)


def test_ganglion_counter_wraps_after_200_no_false_gaps(rh):
    rec = read_recording(rh.dataset(rh.OPENBCI_FILES["ganglion-r0"][0]))
    assert rec.package_num.max() == 200
    assert len(rec.events.of_kind("gap")) == 0


# --- gaps from deleted rows --------------------------------------------------------------

def _delete_data_rows(text: str, n_header: int, rows) -> str:
    lines = text.splitlines(keepends=True)
    drop = {n_header + r for r in rows}
    return "".join(ln for i, ln in enumerate(lines) if i not in drop)


def test_gaps_from_deleted_rows_v6(rh, tmp_path):
    rel = rh.OPENBCI_FILES["cyton-v6"][0]
    # 5 header lines (4 % + column names); delete rows 100-102, 5000, and 250-260 (wrap at 256)
    deleted = [100, 101, 102, *range(250, 261), 5000]
    p = tmp_path / "gappy.txt"
    p.write_text(_delete_data_rows(rh.gui_text(rel), 5, deleted), newline="")
    rec = read_recording(p)
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample) == [100, 247, 4986]
    assert list(gaps.value) == [3, 11, 1]
    assert rec.emg_uv.shape[0] == 22490 - len(deleted)


def test_gaps_from_deleted_rows_ganglion(rh, tmp_path):
    rel = rh.OPENBCI_FILES["ganglion-rest"][0]
    # counter 0..200: delete 198..203 across the wrap (6 samples)
    p = tmp_path / "gappy.txt"
    p.write_text(_delete_data_rows(rh.gui_text(rel), 6, range(198, 204)), newline="")
    gaps = read_recording(p).events.of_kind("gap")
    assert list(gaps.sample) == [198] and list(gaps.value) == [6]


# --- synthetic GUI v6 files: Daisy, WiFi, Ganglion ----------------------------------------

def test_daisy_v6_16_channels_counter_step_2(rh, write_gui_v6, rng):
    exg = rh.random_uv(rng, 400, 16)
    counter = (2 * np.arange(400)) % 256
    keep = np.r_[0:50, 53:400]  # 3 samples lost
    p = write_gui_v6("daisy.txt", "BoardCytonSerialDaisy", exg[keep], 125.0, counter[keep])
    rec = read_recording(p)
    assert rec.board == "cyton-daisy" and rec.fs_hz == 125.0
    assert rec.channel_numbers == tuple(range(1, 17))
    np.testing.assert_array_equal(rec.emg_uv, exg[keep].astype(np.float32))
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample) == [50] and list(gaps.value) == [3]
    assert rec.timestamps_s[0] == pytest.approx(1.7e9)


@pytest.mark.parametrize(("board_class", "n_ch", "fs_hz", "board"), [
    ("BoardCytonWifi", 8, 1000.0, "cyton-wifi"),
    ("BoardCytonWifiDaisy", 16, 1000.0, "cyton-daisy-wifi"),
    ("BoardGanglionWifi", 4, 1600.0, "ganglion-wifi"),
    ("BoardGanglionBLE", 4, 200.0, "ganglion"),
    ("BoardGanglionNative", 4, 200.0, "ganglion"),
    ("BoardCytonSerial", 8, 250.0, "cyton"),
])
def test_v6_boards(rh, write_gui_v6, rng, board_class, n_ch, fs_hz, board):
    exg = rh.random_uv(rng, 300, n_ch)
    p = write_gui_v6("f.txt", board_class, exg, fs_hz, np.arange(300) % 256)
    rec = read_recording(p)
    assert (rec.board, rec.fs_hz, rec.emg_uv.shape) == (board, fs_hz, (300, n_ch))
    np.testing.assert_array_equal(rec.emg_uv, exg.astype(np.float32))
    assert rec.format == "openbci-gui-v6"


def test_v6_markers(rh, write_gui_v6, rng):
    marker = np.zeros(200)
    marker[[10, 150]] = [1, 3.5]
    p = write_gui_v6("m.txt", "BoardCytonSerial", rh.random_uv(rng, 200, 8), 250.0,
                     np.arange(200) % 256, marker)
    ev = read_recording(p).events.of_kind("marker")
    assert list(ev.sample) == [10, 150] and list(ev.label) == ["1", "3.5"]


def test_board_inferred_without_board_line(rh, tmp_path, rng):
    text = rh.gui_v6_text("X", rh.random_uv(rng, 50, 16), 125.0, np.arange(50) % 256)
    text = "\r\n".join(ln for ln in text.split("\r\n") if not ln.startswith("%Board"))
    p = tmp_path / "f.txt"
    p.write_text(text, newline="")
    assert read_recording(p).board == "cyton-daisy"


# --- malformed OpenBCI files -------------------------------------------------------------

def _small_v6(rh) -> list[str]:
    return rh.gui_text(rh.OPENBCI_FILES["cyton-v6"][0]).splitlines()[:40]


def test_truncated_last_line_terminated_is_error(rh, tmp_path):
    lines = _small_v6(rh)
    lines[-1] = ",".join(lines[-1].split(",")[:7])
    p = tmp_path / "t.txt"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"line 40: expected 25 fields .*found 7") as e:
        read_recording(p)
    assert str(p) in str(e.value)


def test_garbled_value_is_error(rh, tmp_path):
    lines = _small_v6(rh)
    f = lines[20].split(",")
    f[3] = " 12x.5"
    lines[20] = ",".join(f)
    p = tmp_path / "g.txt"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"line 21, field 4: expected a number, found '12x.5'"):
        read_recording(p)


@pytest.mark.parametrize(("rate_line", "match"), [
    (None, "Sample Rate"), ("%Sample Rate = 0 Hz", "expected 1 to 100000 Hz, found '0'"),
    ("%Sample Rate = -250 Hz", "expected 1 to 100000 Hz"),
    ("%Sample Rate = fast Hz", "expected a number"),
    ("%Sample Rate = nan Hz", "expected 1 to 100000 Hz"),
    ("%Sample Rate = 0.0001 Hz", "expected 1 to 100000 Hz, found '0.0001'"),
    ("%Sample Rate = 250000000 Hz", "expected 1 to 100000 Hz, found '250000000'"),
])
def test_bad_sample_rate(rh, tmp_path, rate_line, match):
    lines = [ln for ln in _small_v6(rh) if not ln.startswith("%Sample Rate")]
    if rate_line:
        lines.insert(2, rate_line)
    p = tmp_path / "r.txt"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=match):
        read_recording(p)


def test_header_only_and_wrong_channel_count(rh, tmp_path):
    lines = _small_v6(rh)
    p = tmp_path / "h.txt"
    p.write_text("\n".join(lines[:5]) + "\n")
    with pytest.raises(FormatError, match="expected data rows"):
        read_recording(p)
    lines[1] = "%Number of channels = 16"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="expected 16 EXG columns"):
        read_recording(p)


# --- detection, gzip, missing files ------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(FormatError, match="file not found"):
        read_recording(tmp_path / "nope.txt")


def test_unknown_format_message(rh, tmp_path):
    p = rh.dataset("biosppy/emg_1.txt")
    with pytest.raises(FormatError, match=r"unknown format: expected an OpenBCI GUI text file, "
                       r"a Cyton SD-card file, a BrainFlow CSV \(give --board\) or EDF/BDF, "
                       r"found text starting .*; for another system's table give --columns "
                       r"and --fs-hz \(docs/import-tables.md\)"):
        read_recording(p)
    with pytest.raises(FormatError, match="unknown format"):
        read_recording(rh.dataset("santuz_gait/ID0012_TW_01_emg.csv"))


def test_gzip_and_plain_give_same_data_different_sha(rh, tmp_path):
    rel = rh.OPENBCI_FILES["ganglion-rest"][0]
    plain = tmp_path / "OpenBCI-RAW-S02_S1REST.txt"
    plain.write_bytes(gzip.decompress(rh.dataset(rel).read_bytes()))
    a, b = read_recording(plain), read_recording(rh.dataset(rel))
    np.testing.assert_array_equal(a.emg_uv, b.emg_uv)
    assert a.sha256 == hashlib.sha256(plain.read_bytes()).hexdigest() != b.sha256
    # detection is by content: a gzip file without .gz is read too
    odd = tmp_path / "no_extension"
    odd.write_bytes(rh.dataset(rel).read_bytes())
    assert read_recording(odd).emg_uv.shape == b.emg_uv.shape


def test_formats_listed():
    assert set(FORMATS) == {"openbci-gui-v6", "openbci-gui-v5", "openbci-gui-legacy",
                            "openbci-sd", "brainflow-csv", "edf", "bdf", "xdf", "c3d",
                            "delimited"}


# --- BrainFlow CSV -----------------------------------------------------------------------

@pytest.mark.parametrize("board", list(BRAINFLOW_LAYOUTS))
def test_static_layouts_match_brainflow(board):
    from brainflow.board_shim import BoardShim

    from emgkit.model.boards import BOARDS

    bid = BOARDS[board].brainflow_id
    lay = BRAINFLOW_LAYOUTS[board]
    assert lay == brainflow_layout(board)
    assert lay.n_rows == BoardShim.get_num_rows(bid)


def test_brainflow_synthetic_session(rh, tmp_path):
    from brainflow.board_shim import BoardIds, BoardShim, BrainFlowInputParams

    BoardShim.disable_board_logger()
    shim = BoardShim(BoardIds.SYNTHETIC_BOARD, BrainFlowInputParams())
    shim.prepare_session()
    try:
        shim.start_stream()
        import time

        time.sleep(1.0)
        data = shim.get_board_data()
        shim.stop_stream()
    finally:
        shim.release_session()
    p = rh.write_brainflow(tmp_path / "synthetic.csv", data)
    rec = read_recording(p, board="synthetic")
    assert rec.format == "brainflow-csv" and rec.fs_hz == 250.0
    expected = np.loadtxt(p, delimiter="\t")  # an independent parse of the same file
    np.testing.assert_array_equal(rec.emg_uv, expected[:, 1:17].astype(np.float32))
    np.testing.assert_array_equal(rec.package_num, expected[:, 0].astype(np.int16))
    np.testing.assert_allclose(rec.timestamps_s, expected[:, 30])
    assert rec.accel_g.shape == (data.shape[1], 3)


def test_brainflow_cyton_markers_and_gaps(rh, tmp_path, rng):
    data = rh.brainflow_array("cyton", 500, rng)
    data[23, [5, 400]] = [2, 7]
    data = np.delete(data, [100, 101, 300], axis=1)
    p = rh.write_brainflow(tmp_path / "c.csv", data)
    rec = read_brainflow_csv(p, "cyton")
    np.testing.assert_array_equal(rec.emg_uv, data[1:9].T.astype(np.float32))
    gaps, markers = rec.events.of_kind("gap"), rec.events.of_kind("marker")
    assert list(gaps.sample) == [100, 298] and list(gaps.value) == [2, 1]
    assert list(markers.sample) == [5, 397] and list(markers.label) == ["2", "7"]


def test_brainflow_needs_board_and_matching_columns(rh, tmp_path, rng):
    p = rh.write_brainflow(tmp_path / "c.csv", rh.brainflow_array("cyton", 20, rng))
    with pytest.raises(FormatError, match="--board"):
        read_recording(p)
    with pytest.raises(FormatError, match="expected 32 columns for board cyton-daisy, found 24"):
        read_recording(p, board="cyton-daisy")
    with pytest.raises(FormatError, match="unknown board"):
        read_recording(p, board="muse")


# --- EDF / BDF ---------------------------------------------------------------------------

def test_edf_units_labels_annotations(rh, tmp_path, rng):
    x = np.round(rng.normal(0, 200, 2000), 1)
    p = rh.write_edf(tmp_path / "u.edf", [
        (x, 1000, "TA", "uV"), (x / 1e3, 1000, "GM", "mV"), (x / 1e6, 1000, "SO", "V"),
    ], annotations=[(0.25, "start"), (1.5, "stop")])
    rec = read_edf(p)
    assert rec.format == "edf" and rec.fs_hz == 1000.0
    assert rec.channel_numbers == (1, 2, 3) and rec.channel_labels == ("TA", "GM", "SO")
    for c in range(3):  # 16-bit EDF: within one digital step of the range
        np.testing.assert_allclose(rec.emg_uv[:, c], x, atol=np.ptp(x) / 65535 * 1.01 + 1e-3)
    ev = rec.events.of_kind("marker")
    assert list(ev.sample) == [250, 1500] and list(ev.label) == ["start", "stop"]


def test_bdf_and_accel(rh, tmp_path, rng):
    x = rng.normal(0, 200, 500)
    p = rh.write_edf(tmp_path / "a.bdf", [(x, 250, "EMG", "uV")]
                  + [(np.full(500, 0.5), 250, f"Accel {a}", "g") for a in "XYZ"], bdf=True)
    rec = read_recording(p)
    assert rec.format == "bdf" and rec.accel_g.shape == (500, 3)
    np.testing.assert_allclose(rec.accel_g, 0.5, atol=1e-5)


def test_edf_errors(rh, tmp_path, rng):
    x = rng.normal(0, 1, 1000)
    p = rh.write_edf(tmp_path / "m.edf", [(x, 1000, "A", "uV"), (x[:500], 500, "B", "uV")])
    with pytest.raises(FormatError, match=r"one sampling rate, found 'A' 1000 Hz, 'B' 500 Hz"):
        read_recording(p)
    p = rh.write_edf(tmp_path / "d.edf", [(x, 1000, "A", "uV"), (x, 1000, "Knee", "deg")])
    with pytest.raises(FormatError, match=r"signal 'Knee'.*found 'deg'"):
        read_recording(p)


def test_openbci_gui_bdf_warns(rh, tmp_path, rng, caplog):
    import edfio

    x = rng.normal(0, 50, 500).round()
    gui = {"transducer_type": "AgAgCl electrode", "physical_range": (-187500, 187500)}
    p = rh.write_edf(tmp_path / "OpenBCI-BDF-2024.bdf",
                  [(x, 250, f"EEG {i}", "uV", gui) for i in (1, 2)], bdf=True,
                  patient=edfio.Patient(), recording=edfio.Recording())
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        read_recording(p)
    assert "44.7" in caplog.text and "#1078" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="emgkit"):
        read_recording(rh.write_edf(tmp_path / "other.bdf", [(x, 250, "TA", "uV")], bdf=True))
    assert "44.7" not in caplog.text
