"""The generic delimited-text reader: every datasets/ table, layouts, and bad mappings."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from emgkit.errors import ConfigError, EmgkitError, FormatError
from emgkit.io.importer import select_channels
from emgkit.io.readers import FORMATS, detect_format
from emgkit.io.readers._common import load_bytes
from emgkit.io.readers.brainflow_csv import BRAINFLOW_LAYOUTS, is_brainflow_csv
from emgkit.io.readers.delimited import (
    FORMAT,
    TableLayout,
    layout_from_options,
    layout_from_toml,
    parse_columns,
    read_delimited,
)
from emgkit.model.montage import load_montage

ELDERLY = ("VL", "BF", "TA", "LG")
ELDERLY_NAMES = "vastus_lateralis,biceps_femoris,tibialis_anterior,gastrocnemius_lateralis"

#: Every EMG table in datasets/: id -> (file, layout options, np.loadtxt options, factor).
TABLES = {
    **{f"elderly-{m}": (f"elderly_isometric/ID_1_EMG_{m}.csv",
                        dict(columns=ELDERLY_NAMES, fs_hz=2000.0, unit="uV"),
                        dict(delimiter=",", skiprows=1), 1.0) for m in ELDERLY},
    "santuz": ("santuz_gait/ID0012_TW_01_emg.csv",
               dict(columns="BF,VL,TA", time_column="time", unit="uV"),
               dict(delimiter=",", skiprows=1, usecols=(8, 6, 9)), 1.0),
    "uci-lower-N": ("uci_lower_limb/1Nsen.txt", dict(columns="1,2,3,4", fs_hz=1000.0, unit="mV"),
                    dict(delimiter="\t", skiprows=7, max_rows=15300, usecols=(0, 1, 2, 3)),
                    1e3),
    "uci-lower-A": ("uci_lower_limb/1Asen.txt",
                    dict(columns="1,2,3,4", fs_hz=1000.0, unit="mV", skip_rows=7),
                    dict(delimiter="\t", skiprows=7, max_rows=16854, usecols=(0, 1, 2, 3)),
                    1e3),
    "uci-physical": ("uci_physical_action/sub01_Bowing.txt",
                     dict(columns="1,2,3,4,5,6,7,8", fs_hz=1000.0, unit="counts",
                          scale_uv_per_count=1.0), dict(delimiter="\t"), 1.0),
    "biosppy": ("biosppy/emg_1.txt",
                dict(columns="1", fs_hz=1000.0, unit="counts", scale_uv_per_count=0.8057),
                dict(comments="#"), 0.8057),
}


def _one_line(exc: EmgkitError, *parts: str) -> str:
    msg = str(exc)
    assert "\n" not in msg and "Traceback" not in msg
    for p in parts:
        assert p in msg, (p, msg)
    return msg


@pytest.mark.parametrize("table_id", list(TABLES))
def test_dataset_tables_import(rh, table_id):
    rel, opts, np_opts, factor = TABLES[table_id]
    path = rh.dataset(rel)
    rec = read_delimited(path, layout_from_options(**opts))
    expected = np.loadtxt(path, ndmin=2, **np_opts) * factor  # an independent parse
    assert rec.format == FORMAT and rec.board == "unknown"
    np.testing.assert_array_equal(rec.emg_uv, expected.astype(np.float32))
    assert rec.emg_uv.dtype == np.float32 and rec.emg_uv.flags.c_contiguous
    assert rec.channel_numbers == tuple(range(1, expected.shape[1] + 1))
    assert rec.fs_hz == (opts.get("fs_hz") or 1000.0)  # santuz: 1 ms time stamps
    assert rec.timestamps_s is None and len(rec.events.sample) == 0  # no Unix times, no gaps


def test_dataset_labels_and_counts_scale(rh):
    def read(table_id):
        rel, opts, _, _ = TABLES[table_id]
        return read_delimited(rh.dataset(rel), layout_from_options(**opts))

    assert read("santuz").channel_labels == ("BF", "VL", "TA")
    rec = read("biosppy")
    assert rec.channel_labels == ("",) and rec.uv_per_count == 0.8057  # '#' lines: no header
    assert read("uci-lower-N").emg_uv.shape == (15300, 4)  # the last row, empty cells, dropped


def test_elderly_montage_selects_the_four_muscles(rh):
    montage = load_montage(rh.dataset("elderly_isometric/montage.toml"))
    rec = read_delimited(rh.dataset("elderly_isometric/ID_1_EMG_VL.csv"),
                         layout_from_options("1,2,3,4", fs_hz=2000, unit="uV"))
    assert [c.muscle for c in montage.channels] == ELDERLY_NAMES.split(",")
    np.testing.assert_array_equal(select_channels(rec, montage), rec.emg_uv)


@pytest.mark.xfail(FORMAT not in FORMATS, strict=True,
                   reason="emgkit.io.readers.FORMATS does not list 'delimited' yet (lead)")
def test_compliance(rh, check_recording):
    for rel, opts, _, _ in TABLES.values():
        check_recording(read_delimited(rh.dataset(rel), layout_from_options(**opts)),
                        rh.dataset(rel))


# --- layouts on small files ----------------------------------------------------------------

def test_time_column_rate_gaps_and_unix_time(tmp_path):
    t_ms = 1.7e12 + np.arange(600) * 2.0  # Unix ms at 500 Hz
    t_ms[300:] += 6.0  # three samples lost
    x = np.round(np.sin(np.arange(600)), 4)
    p = tmp_path / "t.csv"
    p.write_text("t_ms,EMG\n" + "".join(f"{t:.0f},{v}\n" for t, v in zip(t_ms, x)))
    rec = read_delimited(p, layout_from_options("EMG", time_column="t_ms", unit="mV",
                                                time_unit="ms"))
    assert rec.fs_hz == 500.0
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample) == [300] and list(gaps.value) == [3]
    np.testing.assert_allclose(rec.timestamps_s, t_ms / 1e3)
    assert rec.start_time.startswith("2023-11-14T22:13:20")
    np.testing.assert_array_equal(rec.emg_uv[:, 0], (x * 1e3).astype(np.float32))


def test_time_in_ms_relative(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("".join(f"{i * 0.5}\t{i}\n" for i in range(100)))  # ms, 2 kHz, no header
    lay = TableLayout(columns=(2,), unit="uV", time_column=1, time_unit="ms")
    rec = read_delimited(p, lay)
    assert rec.fs_hz == 2000.0 and rec.timestamps_s is None


def test_decimal_comma_with_semicolons(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_bytes("Zeit [s];EMG Rücken;EMG Bein\r\n0,000;1,5;-2,25\r\n0,001;0,125;3\r\n"
                  "0,002;-1e-3;4,0\r\n".encode("latin-1"))
    rec = read_delimited(p, layout_from_options("EMG Bein,EMG Rücken", time_column="Zeit [s]",
                                                unit="mV", decimal=","))
    assert rec.fs_hz == 1000.0 and rec.channel_labels == ("EMG Bein", "EMG Rücken")
    np.testing.assert_array_equal(rec.emg_uv, np.float32([[-2250, 1500], [3000, 125], [4000, -1]]))
    with pytest.raises(FormatError, match="decimal comma"):  # forgotten --decimal ,
        read_delimited(p, layout_from_options("2", fs_hz=1000, unit="mV"))


def test_semicolon_whitespace_and_mapping(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("a;b;c\n1;2;3\n4;5;6\n")
    rec = read_delimited(p, layout_from_options("3=a,1=c", fs_hz=100, unit="V"))
    assert rec.channel_numbers == (3, 1)
    np.testing.assert_array_equal(rec.emg_uv, np.float32([[1e6, 3e6], [4e6, 6e6]]))
    w = tmp_path / "w.txt"
    w.write_text("% exported by X\n  t    ch1   ch2\n 0.0   1.25  -3\n 0.5   2.5    7\n")
    rec = read_delimited(w, layout_from_options("ch2,ch1", fs_hz=2, unit="uV"))
    np.testing.assert_array_equal(rec.emg_uv, np.float32([[-3, 1.25], [7, 2.5]]))
    gz = tmp_path / "s.csv.gz"
    gz.write_bytes(gzip.compress(p.read_bytes(), mtime=0))
    assert read_delimited(gz, layout_from_options("b", fs_hz=100, unit="uV")).emg_uv.shape == (2, 1)


def test_comments_markers_and_header_rows(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("device X\nunits: uV\ntime,emg,trigger\n#start\n0,1,0\n1,2,5\n# pause\n2,3,0\n")
    lay = TableLayout(columns=("emg",), unit="uV", fs_hz=1.0, comment="#", header_rows=3,
                      marker_column="trigger")
    rec = read_delimited(p, lay)
    np.testing.assert_array_equal(rec.emg_uv[:, 0], [1, 2, 3])
    ev = rec.events.of_kind("marker")
    assert list(ev.sample) == [1] and list(ev.label) == ["5"]
    # detected header: '#start' is passed over, but '# pause' is not data
    with pytest.raises(FormatError, match="line 7: expected 3 fields"):
        read_delimited(p, layout_from_options("emg", fs_hz=1, unit="uV"))
    p.write_text("device X\ntime,emg,trigger\n#start\n0,1,0\n1,2,5\n")
    auto = read_delimited(p, layout_from_options("emg", fs_hz=1, unit="uV"))
    np.testing.assert_array_equal(auto.emg_uv[:, 0], [1, 2])


def test_text_column_trailing_delimiter_no_header(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("date,label,a,b,c,\n2024-05-01T10:00:00,rest,1,2,3,\n2024-05-01T10:00:01,go,4,5,6,\n")
    rec = read_delimited(p, layout_from_options("c,a", fs_hz=1, unit="uV"))
    np.testing.assert_array_equal(rec.emg_uv, np.float32([[3, 1], [6, 4]]))
    with pytest.raises(FormatError, match="line 2, field 2: expected a number, found 'rest'"):
        read_delimited(p, layout_from_options("label", fs_hz=1, unit="uV"))
    q = tmp_path / "n.txt"
    q.write_text("1 2\n3 4\n")
    lay = TableLayout(columns=(2,), unit="uV", fs_hz=1.0, header_rows=0)
    np.testing.assert_array_equal(read_delimited(q, lay).emg_uv[:, 0], [2, 4])


def test_toml_layout_and_options_override(tmp_path):
    toml = tmp_path / "layout.toml"
    toml.write_text('unit = "mV"\ntime_column = "time"\ndelimiter = "comma"\n'
                    '[columns]\n2 = "BF"\n1 = "VL"\n')
    lay = layout_from_toml(toml)
    assert lay.columns == ("BF", "VL") and lay.inputs == (2, 1) and lay.delimiter == ","
    over = layout_from_options("TA", fs_hz=1000, unit="uV", layout_path=toml)
    assert over.columns == ("TA",) and over.time_column is None and over.fs_hz == 1000.0
    assert over.unit == "uV" and over.delimiter == ","
    assert TableLayout(**{k: v for k, v in lay.to_dict().items()}) == lay
    bad = tmp_path / "bad.toml"
    bad.write_text('columns = ["BF"]\nunit = "uV"\nfs = 1000\n')
    with pytest.raises(ConfigError) as e:
        layout_from_toml(bad)
    _one_line(e.value, str(bad), "unknown layout key 'fs'", "fs_hz", "time_column")
    bad.write_text('columns = ["BF"]\nunit = "uV"\n')
    with pytest.raises(ConfigError, match="found neither") as e:
        layout_from_toml(bad)
    _one_line(e.value, str(bad))


def test_parse_columns():
    assert parse_columns("BF, VL,TA") == ("BF", "VL", "TA")
    assert parse_columns("2,3,4") == (2, 3, 4)
    assert parse_columns("1=BF,2=7") == {1: "BF", 2: 7}
    for bad in ("BF,,VL", "1=BF,VL", "x=BF"):
        with pytest.raises(ConfigError):
            parse_columns(bad)


# --- bad mappings: one line naming the column and the file -----------------------------------

@pytest.fixture
def santuz(rh):
    return rh.dataset(TABLES["santuz"][0])


def test_missing_column_name(santuz):
    with pytest.raises(FormatError) as e:
        read_delimited(santuz, layout_from_options("BF,XX", fs_hz=1000, unit="uV"))
    _one_line(e.value, str(santuz), "column 'XX' not found; the header has: time, ME, MA, FL")


def test_column_number_out_of_range(rh, santuz):
    with pytest.raises(FormatError) as e:
        read_delimited(santuz, layout_from_options("2,15", fs_hz=1000, unit="uV"))
    _one_line(e.value, str(santuz), "column 15 out of range: the file has 14 columns")
    path = rh.dataset(TABLES["uci-physical"][0])
    with pytest.raises(FormatError) as e:
        read_delimited(path, layout_from_options("R-Bic", fs_hz=1000, unit="uV"))
    _one_line(e.value, str(path), "column 'R-Bic' not found: the file has no header line",
              "1-8")


def test_non_numeric_cell(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text("t,a,b\n0,1,2\n1,oops,3\n2,4,5\n")
    with pytest.raises(FormatError) as e:
        read_delimited(p, layout_from_options("a,b", fs_hz=10, unit="uV"))
    _one_line(e.value, str(p), "line 3, field 2: expected a number, found 'oops'")
    p.write_text("t,a,b\n0,1,2\n1,2\n")
    with pytest.raises(FormatError) as e:
        read_delimited(p, layout_from_options("a", fs_hz=10, unit="uV"))
    _one_line(e.value, str(p), "line 3: expected 3 fields")


@pytest.mark.parametrize(("opts", "match"), [
    (dict(columns="BF", fs_hz=1000, unit="counts"), "unit 'counts' needs scale_uv_per_count"),
    (dict(columns="BF", unit="uV"), "expected fs_hz (--fs-hz) or time_column (--time-column), "
                                    "found neither"),
    (dict(columns="BF", fs_hz=1000, time_column="time", unit="uV"), "found both"),
    (dict(columns="BF", fs_hz=1000), "unit: expected one of"),
    (dict(columns="BF", fs_hz=1000, unit="mv"), "Allowed values are 'uV'"),
    (dict(columns="BF", fs_hz=1000, unit="uV", scale_uv_per_count=2), "only to unit 'counts'"),
    (dict(columns="BF", fs_hz=-5, unit="uV"), "fs_hz must be a positive number (in Hz)"),
    (dict(columns="BF,VL,BF", fs_hz=1000, unit="uV"), "columns 'BF' is given more than once"),
    (dict(columns="BF", time_column="BF", unit="uV"), "time_column 'BF' is also one of the EMG"),
    (dict(columns="BF", fs_hz=1, unit="uV", delimiter=",", decimal=","), "decimal comma"),
    (dict(columns="BF", fs_hz=1, unit="uV", delimiter="|"), "'delimiter' parameter"),
    (dict(fs_hz=1, unit="uV"), "columns: expected the EMG columns"),
])
def test_bad_layouts(opts, match):
    with pytest.raises(ConfigError) as e:
        layout_from_options(**opts)
    _one_line(e.value, match)


def test_absurd_rates(santuz, tmp_path):
    with pytest.raises(FormatError) as e:
        read_delimited(santuz, layout_from_options("BF", fs_hz=1e6, unit="uV"))
    _one_line(e.value, str(santuz), "fs_hz: expected 1 to 100000 Hz")
    ms = TableLayout(columns=("BF",), unit="uV", time_column="time", time_unit="ms")
    with pytest.raises(FormatError) as e:  # seconds taken for ms: 1 MHz
        read_delimited(santuz, ms)
    _one_line(e.value, str(santuz), "the rate from time column 'time': expected 1 to 100000 Hz")


def test_time_going_backwards(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("t,a\n0.0,1\n0.1,2\n0.05,3\n0.2,4\n")
    with pytest.raises(FormatError) as e:
        read_delimited(p, layout_from_options("a", time_column="t", unit="uV"))
    _one_line(e.value, str(p), "line 4: expected increasing time stamps, found 0.05 after 0.1")
    p.write_text("t,a\n1,1\n1,2\n")
    with pytest.raises(FormatError, match="time stamps that advance"):
        read_delimited(p, layout_from_options("a", time_column="t", unit="uV"))


def test_no_numbers(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("just,text\nmore,text\n")
    with pytest.raises(FormatError) as e:
        read_delimited(p, layout_from_options("1", fs_hz=1, unit="uV"))
    _one_line(e.value, str(p), "expected lines of numbers")
    p.write_text("")
    with pytest.raises(FormatError, match="no data lines"):
        read_delimited(p, layout_from_options("1", fs_hz=1, unit="uV"))


# --- detection: BrainFlow files still detected, generic tables not ----------------------------

@pytest.mark.parametrize("board", ["cyton", "cyton-daisy", "ganglion", "ganglion-wifi"])
def test_brainflow_files_still_detected(rh, tmp_path, rng, board):
    p = rh.write_brainflow(tmp_path / f"{board}.csv", rh.brainflow_array(board, 300, rng))
    data, _ = load_bytes(p)
    assert detect_format(data) == "brainflow-csv"


@pytest.mark.parametrize("table_id", list(TABLES))
def test_dataset_tables_not_detected(rh, table_id):
    data, _ = load_bytes(rh.dataset(TABLES[table_id][0]))
    assert detect_format(data) is None


def test_brainflow_detection_rules(tmp_path):
    row = "\t".join(["3.000000"] + ["1.500000"] * (BRAINFLOW_LAYOUTS["cyton"].n_rows - 1))
    assert is_brainflow_csv(((row + "\n") * 3).encode())
    assert not is_brainflow_csv(("\t".join(["3"] * 8) + "\n").encode() * 3)  # 8 columns
    assert not is_brainflow_csv((row.replace("3.000000", "3.5", 1) + "\n").encode())  # counter
    assert not is_brainflow_csv((row.replace("3.000000", "300", 1) + "\n").encode())
    assert not is_brainflow_csv((row + "\n" + row[:-9] + "\n").encode())  # ragged
