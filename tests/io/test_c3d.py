"""C3D files written by ezc3d itself (the real writer) and read by
:func:`emgkit.io.readers.c3d.read_c3d`: analog EMG, rates, units, events, the delay."""

from __future__ import annotations

import gzip
import struct
import time

import numpy as np
import pytest

from emgkit.errors import FormatError
from emgkit.io.readers.c3d import is_c3d, read_c3d

ezc3d = pytest.importorskip("ezc3d")

POINT_HZ = 100.0
ANALOG_HZ = 2000.0
FRAMES = 300  # 3 s
N = FRAMES * 20
LABELS = ["EMG1", "EMG2", "Fz", "Sensor 4"]
DESCRIPTIONS = ["Trigno", "Trigno", "force plate", "Delsys EMG"]
EVENTS = [("Left", "Foot Strike", 0.05), ("Right", "Foot Off", 1.2345), ("General", "Go", 2.9)]


def _analogs(n_ch: int = 4, n: int = N) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.standard_normal((1, n_ch, n)) * 1e-4  # about 100 uV, in volts


def _c3d(tmp_path, name="trial.c3d", labels=LABELS, units=("V", "V", "N", "mV"),
         scale=None, gen_scale=1.0, events=EVENTS, first_frame=0, points=True,
         point_rate=POINT_HZ, analog_rate=ANALOG_HZ, frames=FRAMES, analogs=None):
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = np.array([point_rate])
    c["parameters"]["ANALOG"]["RATE"]["value"] = np.array([analog_rate])
    if points:
        c["parameters"]["POINT"]["LABELS"]["value"] = ["LHEE"]
        c["data"]["points"] = np.ones((4, 1, frames))
    else:  # no markers: ezc3d takes the frame count from an empty point array
        c["data"]["points"] = np.ones((4, 0, frames))
        del c["data"]["rotations"]
    c["parameters"]["ANALOG"]["LABELS"]["value"] = list(labels)
    c["parameters"]["ANALOG"]["DESCRIPTIONS"]["value"] = DESCRIPTIONS[:len(labels)]
    c["parameters"]["ANALOG"]["UNITS"]["value"] = list(units)
    c["parameters"]["ANALOG"]["SCALE"]["value"] = np.ones(len(labels)) if scale is None \
        else np.asarray(scale, dtype=float)
    c["parameters"]["ANALOG"]["GEN_SCALE"]["value"] = np.array([gen_scale])
    n = frames * int(analog_rate / point_rate) if points else frames
    c["data"]["analogs"] = _analogs(len(labels), n) if analogs is None else analogs
    c["header"]["points"]["first_frame"] = first_frame
    for context, label, t in events:
        c.add_event([0, t], context=context, label=label)
    p = tmp_path / name
    c.write(str(p))
    return p


def _expected_uv(channels=(0, 1), factors=(1e6, 1e6), start=0) -> np.ndarray:
    v = _analogs()[0].astype(np.float32).astype(np.float64)  # stored as float32
    return np.stack([v[c, start:] * f for c, f in zip(channels, factors)], axis=1) \
        .astype(np.float32)


def _one_line_error(call, match: str) -> str:
    t0 = time.perf_counter()
    with pytest.raises(FormatError, match=match) as e:
        call()
    assert time.perf_counter() - t0 < 5.0
    assert "\n" not in str(e.value)
    return str(e.value)


def test_read_c3d_emg_channels_rate_units_events(tmp_path):
    p = _c3d(tmp_path)
    assert is_c3d(p.read_bytes()[:16]) and not is_c3d(b"XDF:") and not is_c3d(b"")
    rec = read_c3d(p)
    assert rec.format == "c3d" and rec.board == "unknown"
    assert rec.fs_hz == ANALOG_HZ and isinstance(rec.fs_hz, float)
    # default: labels or descriptions that say EMG ("Sensor 4" is described "Delsys EMG")
    assert rec.channel_numbers == (1, 2, 4)
    assert rec.channel_labels == ("EMG1", "EMG2", "Sensor 4")
    np.testing.assert_array_equal(rec.emg_uv, _expected_uv((0, 1, 3), (1e6, 1e6, 1e3)))
    assert rec.emg_uv.dtype == np.float32 and rec.emg_uv.flags.c_contiguous
    ev = rec.events
    assert list(ev.kind) == ["marker"] * 3
    assert list(ev.label) == ["Left Foot Strike", "Right Foot Off", "General Go"]
    assert list(ev.sample) == [round(t * ANALOG_HZ) for _, _, t in EVENTS]
    np.testing.assert_allclose(ev.value, [t for *_, t in EVENTS], rtol=1e-6)
    assert rec.timestamps_s is None and len(rec.sha256) == 64


def test_channels_by_label_or_number(tmp_path):
    p = _c3d(tmp_path)
    rec = read_c3d(p, channels=["EMG2", 1])
    assert rec.channel_numbers == (2, 1)
    np.testing.assert_array_equal(rec.emg_uv, _expected_uv((1, 0)))
    assert read_c3d(p, channels=["4"]).channel_labels == ("Sensor 4",)
    msg = _one_line_error(lambda: read_c3d(p, channels=["EMG9"]), "found 'EMG9'")
    assert "1 'EMG1', 2 'EMG2', 3 'Fz', 4 'Sensor 4'" in msg
    _one_line_error(lambda: read_c3d(p, channels=[1, "EMG1"]), "each channel once")
    # a force channel is not EMG: its unit says so
    _one_line_error(lambda: read_c3d(p, channels=["Fz"]), "expected ANALOG:UNITS V, mV or uV")


def test_ezc3d_analogs_are_already_scaled(tmp_path):
    """ezc3d divides by SCALE x GEN_SCALE when writing and multiplies when reading."""
    p = _c3d(tmp_path, scale=[0.5, 0.25, 1.0, 1.0], gen_scale=2.0)
    raw = p.read_bytes()
    data_block, spf = struct.unpack_from("<2H", raw, 16)
    frame = np.frombuffer(raw, "<f4", 4 + 4 * spf, (data_block - 1) * 512)
    first = frame[4:8]  # the first analog sample of each channel, as stored
    physical = _analogs()[0, :, 0]
    np.testing.assert_allclose(first * np.array([0.5, 0.25, 1.0, 1.0]) * 2.0, physical,
                               rtol=1e-6)
    rec = read_c3d(p, channels=[1, 2])
    np.testing.assert_allclose(rec.emg_uv, _expected_uv(), rtol=1e-6)


def test_first_frame_and_delay(tmp_path):
    p = _c3d(tmp_path, first_frame=50)  # the trial starts 0.5 s into the capture
    events = [("Left", "Foot Strike", 0.75), ("General", "Early", 0.2)]
    p = _c3d(tmp_path, "late.c3d", first_frame=50, events=events)
    rec = read_c3d(p)
    assert list(rec.events.sample) == [round(0.25 * ANALOG_HZ)]  # 0.2 s is before the trial
    delayed = read_c3d(p, delay_s=0.048)  # Delsys Trigno
    shift = round(0.048 * ANALOG_HZ)
    np.testing.assert_array_equal(delayed.emg_uv, read_c3d(p).emg_uv[shift:])
    assert delayed.emg_uv.shape[0] == N - shift
    assert list(delayed.events.sample) == list(rec.events.sample)  # event times line up
    # an event in the last 48 ms has no sample left
    end = _c3d(tmp_path, "end.c3d", events=[("General", "End", 2.99)])
    assert len(read_c3d(end).events) == 1 and len(read_c3d(end, delay_s=0.048).events) == 0
    _one_line_error(lambda: read_c3d(p, delay_s=-0.01), "delay_s: expected 0 to 1 s")
    _one_line_error(lambda: read_c3d(p, delay_s=2.0), "delay_s: expected 0 to 1 s")


def test_emg_only_file_and_gzip(tmp_path):
    p = _c3d(tmp_path, points=False, point_rate=ANALOG_HZ, frames=N)
    rec = read_c3d(p)
    np.testing.assert_array_equal(rec.emg_uv, _expected_uv((0, 1, 3), (1e6, 1e6, 1e3)))
    gz = tmp_path / "trial.c3d.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    np.testing.assert_array_equal(read_c3d(gz).emg_uv, rec.emg_uv)


def test_units(tmp_path):
    p = _c3d(tmp_path, units=("uV", "mV", "N", ""))
    rec = read_c3d(p, channels=[1, 2])
    np.testing.assert_array_equal(rec.emg_uv, _expected_uv(factors=(1.0, 1e3)))
    _one_line_error(lambda: read_c3d(p), "channel 4 .*found ''; give the unit")
    rec = read_c3d(p, channels=[4], unit="V")
    np.testing.assert_array_equal(rec.emg_uv, _expected_uv((3,), (1e6,)))


# --- bad files: one line, quickly ---------------------------------------------------------------


def test_no_emg_channels(tmp_path):
    p = _c3d(tmp_path, labels=["Fx", "Fy"], units=("N", "N"))
    msg = _one_line_error(lambda: read_c3d(p), "labelled or described as EMG, found none")
    assert "1 'Fx', 2 'Fy'" in msg and "--analog" in msg
    none = _c3d(tmp_path, "none.c3d", labels=[], units=(), analogs=np.zeros((1, 0, N)))
    _one_line_error(lambda: read_c3d(none), "found none; channels: none")


def test_mismatched_rates(tmp_path):
    # no points: one analog sample per 100 Hz frame, yet ANALOG:RATE says 2000 Hz
    p = _c3d(tmp_path, points=False, frames=N)
    _one_line_error(lambda: read_c3d(p), r"ANALOG:RATE = frame rate x analog samples per frame "
                                         r"\(100 x 1\), found 2000 Hz")


def test_implausible_rate(tmp_path):
    p = _c3d(tmp_path, points=False, point_rate=0.5, analog_rate=0.5, frames=10)
    _one_line_error(lambda: read_c3d(p), "expected 1 to 100000 Hz")


@pytest.mark.parametrize("cut", [0, 1, 100, 511, 512, 700, 1600, -600, -4000])
def test_truncated(tmp_path, cut):
    raw = _c3d(tmp_path).read_bytes()
    p = tmp_path / "cut.c3d"
    p.write_bytes(raw[:cut])
    _one_line_error(lambda: read_c3d(p), "(truncated|expected a C3D header|processor type|"
                                         "parameter)")


def test_damaged_parameter_section(tmp_path):
    """ezc3d crashes or hangs on some damaged parameter sections: they never reach it.

    Each damaged file is read in a child process, so a crash would fail the test
    instead of ending the run.
    """
    import subprocess
    import sys

    raw = _c3d(tmp_path, frames=20).read_bytes()
    rng = np.random.default_rng(11)
    files = []
    for k in range(40):
        b = bytearray(raw)
        for j in rng.integers(512, 1536, rng.integers(1, 6)):
            b[j] = int(rng.integers(256))
        f = tmp_path / f"fuzz{k}.c3d"
        f.write_bytes(bytes(b))
        files.append(str(f))
    # the damage found to crash or hang ezc3d 1.7.2 (each refused by the header pass)
    for k, patch in enumerate((_patch_after(raw, b"FRAMES", 3, 2),  # POINT:FRAMES emptied
                               _patch_after(raw, b"OFFSET", -4, 0xBD),  # ANALOG:OFFSET renamed
                               _patch_after(raw, b"RATIO", 5, 0x9D))):  # ROTATION:RATIO -25344
        f = tmp_path / f"known{k}.c3d"
        f.write_bytes(patch)
        files.append(str(f))
    script = (
        "import sys\n"
        "from emgkit.errors import FormatError\n"
        "from emgkit.io.readers.c3d import read_c3d\n"
        "for f in sys.argv[1:]:\n"
        "    try:\n"
        "        read_c3d(f)\n"
        "    except FormatError as e:\n"
        "        assert '\\n' not in str(e)\n"
        "print('done')\n"
    )
    r = subprocess.run([sys.executable, "-c", script, *files], capture_output=True, text=True,
                       timeout=120, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert r.returncode == 0 and r.stdout.strip() == "done", r.stderr[-2000:]


def _patch_after(raw: bytes, name: bytes, offset: int, value: int) -> bytes:
    """``raw`` with the byte ``offset`` bytes after the end of parameter ``name`` set."""
    i = raw.index(name) + len(name) + offset
    return raw[:i] + bytes([value]) + raw[i + 1:]
