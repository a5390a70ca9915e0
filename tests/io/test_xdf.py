"""XDF (Lab Streaming Layer / LabRecorder) files: written here chunk by chunk, checked with
pyxdf itself, then read by :func:`emgkit.io.readers.xdf.read_xdf`."""

from __future__ import annotations

import gzip
import time

import numpy as np
import pytest
from xdf_writer import Stream, xdf_bytes

from emgkit.errors import FormatError
from emgkit.io.readers.xdf import is_xdf, read_xdf

pyxdf = pytest.importorskip("pyxdf")

FS_HZ = 2000.0
N = 12_000  # 6 s
TRUE_FS_HZ = 2000.4  # the amplifier's clock, 200 ppm fast
T0_S = 5000.0  # LSL clock of the first sample on the recording computer
OFFSET_S = 3.25  # recording computer's clock minus the amplifier computer's clock
MARKER_AT = [1000, 4321, 9000, 11_999]
MARKER_LABELS = ["start", "7", "rest", "stop"]
LABELS = [f"EMG{i}" for i in range(1, 9)]


def _true_times(n: int = N) -> np.ndarray:
    return T0_S + np.arange(n) / TRUE_FS_HZ


def _emg(n: int = N, unit: str = "microvolts", name: str = "Trigno", sid: int = 1,
         fmt: str = "float32", type_: str = "EMG", stamps: np.ndarray | None = None,
         srate: float = FS_HZ) -> Stream:
    rng = np.random.default_rng(sid)
    values = (rng.standard_normal((n, 8)) * 50).astype(np.float32)
    if fmt.startswith("int"):
        values = np.round(values).astype(np.int32)
    jitter = rng.uniform(-2e-4, 2e-4, n)  # host jitter, 0.2 ms
    ts = _true_times(n) - OFFSET_S + jitter if stamps is None else stamps
    offsets = [(float(t), OFFSET_S) for t in ts[::4000]]
    return Stream(sid, name, type_, fmt, srate, ts, values, LABELS, [unit] * 8, offsets)


def _markers(sid: int = 2, name: str = "PsychoPy") -> Stream:
    t = _true_times()[MARKER_AT]  # stamped on the recording computer: no offset
    return Stream(sid, name, "Markers", "string", 0.0, t, [[s] for s in MARKER_LABELS],
                  clock_offsets=[(T0_S, 0.0), (T0_S + 5, 0.0)])


def _write(tmp_path, streams, name="rec.xdf", **kw):
    p = tmp_path / name
    p.write_bytes(xdf_bytes(streams, **kw))
    return p


@pytest.fixture
def xdf_file(tmp_path):
    return _write(tmp_path, [_emg(), _markers()])


def _one_line_error(call, match: str) -> str:
    t0 = time.perf_counter()
    with pytest.raises(FormatError, match=match) as e:
        call()
    assert time.perf_counter() - t0 < 5.0
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# --- the file is valid XDF: pyxdf reads what was written ---------------------------------------


def test_written_file_is_valid_for_pyxdf(xdf_file):
    emg = _emg()
    streams, header = pyxdf.load_xdf(str(xdf_file), synchronize_clocks=False,
                                     dejitter_timestamps=False)
    assert header["info"]["version"] == ["1.0"]
    by_name = {s["info"]["name"][0]: s for s in streams}
    s = by_name["Trigno"]
    np.testing.assert_array_equal(s["time_series"], emg.values)
    np.testing.assert_array_equal(s["time_stamps"], emg.time_stamps)
    assert s["clock_values"] == [OFFSET_S] * 3
    assert [c["label"][0] for c in s["info"]["desc"][0]["channels"][0]["channel"]] == LABELS
    assert by_name["PsychoPy"]["time_series"] == [[m] for m in MARKER_LABELS]
    assert int(s["footer"]["info"]["sample_count"][0]) == N
    synced, _ = pyxdf.load_xdf(str(xdf_file))
    t = {x["info"]["name"][0]: x for x in synced}["Trigno"]["time_stamps"]
    assert np.max(np.abs(t - _true_times())) < 1e-4  # offset applied, jitter removed


def test_deduced_time_stamps_are_valid_for_pyxdf(tmp_path):
    p = _write(tmp_path, [_emg()], stamp_every=8)
    (s,), _ = pyxdf.load_xdf(str(p), synchronize_clocks=False, dejitter_timestamps=False)
    written = _emg().time_stamps
    stamped = (np.arange(N) % 500) % 8 == 0  # chunks of 500 samples, each stamped from 0
    np.testing.assert_array_equal(s["time_stamps"][stamped], written[stamped])
    np.testing.assert_allclose(np.diff(s["time_stamps"])[~stamped[1:]], 1 / FS_HZ, rtol=1e-9)
    assert read_xdf(p).emg_uv.shape == (N, 8)


# --- reading ------------------------------------------------------------------------------------


def test_read_xdf_samples_rate_events_and_clock(xdf_file):
    rec = read_xdf(xdf_file)
    assert rec.format == "xdf" and rec.board == "unknown"
    assert rec.fs_hz == FS_HZ and isinstance(rec.fs_hz, float)
    np.testing.assert_array_equal(rec.emg_uv, _emg().values)
    assert rec.emg_uv.dtype == np.float32 and rec.emg_uv.flags.c_contiguous
    assert rec.channel_labels == tuple(LABELS)
    assert rec.channel_numbers == tuple(range(1, 9))
    # LSL clock of the recording computer: the clock offset applied, the jitter removed
    assert rec.timestamps_s.dtype == np.float64
    assert np.max(np.abs(rec.timestamps_s - _true_times())) < 1e-4
    d = np.diff(rec.timestamps_s)
    assert np.ptp(d) < 1e-9  # dejittered: evenly spaced
    np.testing.assert_allclose(1 / d.mean(), TRUE_FS_HZ, rtol=1e-6)
    mk = rec.events.of_kind("marker")
    assert list(mk.label) == MARKER_LABELS
    assert np.all(np.abs(mk.sample - np.array(MARKER_AT)) <= 1)
    np.testing.assert_array_equal(mk.value[[1]], [7.0])
    assert np.isnan(mk.value[0])
    assert len(rec.events.of_kind("gap")) == 0
    assert len(rec.sha256) == 64


def test_without_the_clock_offset_markers_would_be_seconds_off(xdf_file):
    streams, _ = pyxdf.load_xdf(str(xdf_file), synchronize_clocks=False)
    t = {x["info"]["name"][0]: x for x in streams}["Trigno"]["time_stamps"]
    assert abs(np.searchsorted(t, _true_times()[MARKER_AT[0]]) - MARKER_AT[0]) > 6000


def test_gzip_and_int_formats_and_deduced_stamps(tmp_path):
    raw = xdf_bytes([_emg(fmt="int16"), _markers()], stamp_every=3)
    p = tmp_path / "rec.xdf.gz"
    p.write_bytes(gzip.compress(raw))
    rec = read_xdf(p)
    np.testing.assert_array_equal(rec.emg_uv, _emg(fmt="int16").values.astype(np.float32))
    assert len(rec.events) == len(MARKER_AT)
    assert is_xdf(raw[:16]) and not is_xdf(b"0       ") and not is_xdf(b"")


@pytest.mark.parametrize(("unit", "factor"), [("millivolts", 1e3), ("volts", 1e6), ("uV", 1.0),
                                              ("µV", 1.0), ("mV", 1e3)])
def test_units_to_microvolts(tmp_path, unit, factor):
    rec = read_xdf(_write(tmp_path, [_emg(unit=unit)]))
    np.testing.assert_array_equal(rec.emg_uv, (_emg().values * np.float64(factor))
                                  .astype(np.float32))
    assert len(rec.events) == 0  # no marker stream


def test_unknown_unit_needs_the_user(tmp_path):
    p = _write(tmp_path, [_emg(unit="counts")])
    msg = _one_line_error(lambda: read_xdf(p), "expected a unit of microvolts")
    assert "'counts'" in msg and "--unit" in msg
    rec = read_xdf(p, unit="mV")
    np.testing.assert_array_equal(rec.emg_uv, (_emg().values * 1e3).astype(np.float32))
    with pytest.raises(FormatError, match="found 'furlongs'"):
        read_xdf(p, unit="furlongs")


def test_stream_choice(tmp_path):
    two = _write(tmp_path, [_emg(name="Left", sid=1), _emg(name="Right", sid=3, type_="ExG"),
                            _markers()])
    msg = _one_line_error(lambda: read_xdf(two), "expected one EMG")
    assert "'Left'" in msg and "'Right'" in msg and "--stream" in msg
    right = read_xdf(two, stream="Right")
    np.testing.assert_array_equal(right.emg_uv, _emg(sid=3).values)
    _one_line_error(lambda: read_xdf(two, stream="Nope"), "one stream named 'Nope', found none")
    two_mk = _write(tmp_path, [_emg(), _markers(2, "A"), _markers(4, "B")], "mk.xdf")
    _one_line_error(lambda: read_xdf(two_mk), "expected one marker .*--marker-stream")
    assert list(read_xdf(two_mk, marker_stream="B").events.label) == MARKER_LABELS


def _pyxdf_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(x) for x in version("pyxdf").split(".")[:2])


@pytest.mark.xfail(_pyxdf_version() < (1, 17), raises=FormatError, strict=True,
                   reason="pyxdf < 1.17 dejitters across a break; emgkit then refuses the file "
                          "(its rate check) instead of reporting the gap")
def test_a_break_in_the_stream_is_a_gap(tmp_path):
    ts = _true_times() - OFFSET_S
    ts[6000:] += 2.0  # 2 s (4000 samples) not recorded
    rec = read_xdf(_write(tmp_path, [_emg(stamps=ts)]))
    gaps = rec.events.of_kind("gap")
    assert list(gaps.sample) == [6000]
    assert abs(gaps.value[0] - 2.0 * TRUE_FS_HZ) <= 2


# --- bad files: one line, quickly ---------------------------------------------------------------


@pytest.mark.parametrize("cut", [3, 10, 200, 1500, 60_000, -7])
def test_truncated(tmp_path, cut):
    raw = xdf_bytes([_emg(), _markers()])
    p = tmp_path / "cut.xdf"
    p.write_bytes(raw[:cut])
    _one_line_error(lambda: read_xdf(p), "(truncated|magic|end of the file)")


def test_no_emg_stream(tmp_path):
    p = _write(tmp_path, [_emg(type_="EEG"), _markers()])
    msg = _one_line_error(lambda: read_xdf(p), "expected an EMG stream .* found none")
    assert "'Trigno' (EEG, float32, 2000 Hz)" in msg and "'PsychoPy'" in msg


def test_markers_only_and_empty_stream(tmp_path):
    _one_line_error(lambda: read_xdf(_write(tmp_path, [_markers()])), "found none")
    empty = _write(tmp_path, [_emg(n=0), _markers()], "empty.xdf")
    _one_line_error(lambda: read_xdf(empty), "'Trigno': expected samples, found none")
    _one_line_error(lambda: read_xdf(empty, stream="PsychoPy"), "expected numeric samples")


def test_mismatched_rate(tmp_path):
    ts = T0_S + np.arange(N) / 1000.0  # stamps at 1000 Hz under a 2000 Hz header
    p = _write(tmp_path, [_emg(stamps=ts)])
    _one_line_error(lambda: read_xdf(p), "nominal 2000 Hz, found 1000.000 Hz")


@pytest.mark.parametrize("srate", [0.0, 1e9])
def test_implausible_nominal_rate(tmp_path, srate):
    p = _write(tmp_path, [_emg(n=50, srate=srate)])
    _one_line_error(lambda: read_xdf(p), "nominal_srate: expected 1 to 100000 Hz")


@pytest.mark.parametrize(("old", "new", "match"), [
    (b"<channel_count>8<", b"<channel_count>9999<", "expected 1-1024 channels"),
    (b"<channel_format>float32<", b"<channel_format>float16<", "channel_format"),
    (b"<nominal_srate>2000.0<", b"<nominal_srate>fast<", "numeric nominal_srate"),
    (b"<name>Trigno</name>", b"<name>Trigno</nam>", "expected XML"),
])
def test_bad_stream_header(tmp_path, old, new, match):
    raw = xdf_bytes([_emg(n=100)])
    assert raw.count(old) == 1
    bad = raw.replace(old, new)
    p = tmp_path / "bad.xdf"
    # keep the chunk length right so the header pass reaches the XML
    p.write_bytes(_fix_header_length(bad, len(new) - len(old)))
    _one_line_error(lambda: read_xdf(p), match)


def _fix_header_length(raw: bytes, delta: int) -> bytes:
    """Adjust the 4-byte length of the first StreamHeader chunk by ``delta``."""
    i = raw.index(b"<info><name>Trigno")
    start = raw.rindex(b"\x02\x00\x01\x00\x00\x00", 0, i)  # tag 2, stream id 1
    size_at = start - 4
    if raw[size_at - 1] == 4:
        n = int.from_bytes(raw[size_at:start], "little") + delta
        return raw[:size_at] + n.to_bytes(4, "little") + raw[start:]
    n = raw[start - 1] + delta
    return raw[:start - 1] + bytes([n]) + raw[start:]


def test_samples_chunk_of_the_wrong_size(tmp_path):
    raw = bytearray(xdf_bytes([_emg(n=100)]))
    i = raw.index(b"\x03\x00\x01\x00\x00\x00")  # the first Samples chunk
    raw[i + 6:i + 8] = b"\x01\x63"  # says 99 samples, holds 100
    p = tmp_path / "bad.xdf"
    p.write_bytes(bytes(raw))
    _one_line_error(lambda: read_xdf(p), "expected 99 samples of 8 float32 values")


def test_not_xdf(tmp_path):
    p = tmp_path / "x.xdf"
    p.write_bytes(b"0       this is an EDF")
    _one_line_error(lambda: read_xdf(p), "expected the XDF magic")
    _one_line_error(lambda: read_xdf(tmp_path / "missing.xdf"), "file not found")


def test_damaged_bytes_give_format_error_or_a_recording(tmp_path):
    """Random byte changes: a FormatError of one line, or a valid recording, never a crash."""
    raw = xdf_bytes([_emg(n=3000), _markers()], chunk_samples=200)
    rng = np.random.default_rng(7)
    p = tmp_path / "fuzz.xdf"
    for _ in range(60):
        b = bytearray(raw)
        for j in rng.integers(0, len(b), rng.integers(1, 5)):
            b[j] = int(rng.integers(256))
        p.write_bytes(bytes(b))
        try:
            rec = read_xdf(p)
        except FormatError as e:
            assert "\n" not in str(e)
        else:
            assert rec.emg_uv.shape == (3000, 8)
