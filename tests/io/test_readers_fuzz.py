"""Property tests: damaged or random input ends in FormatError, never another exception.

Every reader, given truncated, garbled, random or empty input, either raises
:class:`emgkit.errors.FormatError` or returns a Recording that passes the compliance
checks.
"""

from __future__ import annotations

import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emgkit.errors import FormatError
from emgkit.io.readers import read_brainflow_csv, read_edf, read_openbci_txt, read_recording

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="session")
def seeds(rh, synthetic_files, tmp_path_factory) -> dict[str, bytes]:
    """Small valid files of every format, as bytes, to damage."""
    out = {}
    for name in ("cyton-v6", "cyton-v5", "cyton-legacy", "cyton-jordan", "ganglion-rest"):
        lines = rh.gui_text(rh.OPENBCI_FILES[name][0]).splitlines(keepends=True)
        out[name] = "".join(lines[:40]).encode("ascii")
    for name in ("daisy-v6", "brainflow-cyton", "edf", "bdf"):
        out[name] = synthetic_files[name][0].read_bytes()[:20000]
    return out


@pytest.fixture(scope="session")
def fuzz_path(tmp_path_factory):
    """One file path that every example overwrites."""
    return tmp_path_factory.mktemp("fuzz") / "input"


def assert_formaterror_or_valid(path, data: bytes, check_recording) -> None:
    """Write ``data`` and run every reader on it."""
    path.write_bytes(data)
    readers = [
        lambda: read_recording(path),
        lambda: read_recording(path, board="cyton"),
        lambda: read_openbci_txt(path),
        lambda: read_brainflow_csv(path, "cyton"),
        lambda: read_edf(path),
    ]
    for read in readers:
        try:
            rec = read()
        except FormatError as e:
            assert str(path) in str(e)
        else:
            check_recording(rec, path)


SEED_NAMES = ["cyton-v6", "cyton-v5", "cyton-legacy", "cyton-jordan", "ganglion-rest",
              "daisy-v6", "brainflow-cyton", "edf", "bdf"]


@FUZZ
@given(name=st.sampled_from(SEED_NAMES), frac=st.floats(0, 1), gz=st.booleans())
def test_truncated(seeds, fuzz_path, check_recording, name, frac, gz):
    data = seeds[name]
    cut = data[: int(frac * len(data))]
    if gz:  # a truncated gzip stream
        z = gzip.compress(data, mtime=0)
        cut = z[: int(frac * len(z))]
    assert_formaterror_or_valid(fuzz_path, cut, check_recording)


@FUZZ
@given(name=st.sampled_from(SEED_NAMES), data=st.data())
def test_garbled(seeds, fuzz_path, check_recording, name, data):
    buf = bytearray(seeds[name])
    n_changes = data.draw(st.integers(1, 8))
    for _ in range(n_changes):
        i = data.draw(st.integers(0, len(buf) - 1))
        buf[i] = data.draw(st.sampled_from(
            [ord(c) for c in "0123456789-+.,eE \t\n\r%:xnaNA"] + [0, 0x80, 0xFF]))
    assert_formaterror_or_valid(fuzz_path, bytes(buf), check_recording)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes(fuzz_path, check_recording, data):
    assert_formaterror_or_valid(fuzz_path, data, check_recording)


PREFIXES = ["", "%OpenBCI Raw EXG Data\n", "%OpenBCI Raw EEG Data\n%Sample Rate = 250 Hz\n",
            "%OpenBCI Raw EXG Data\n%Number of channels = 4\n%Sample Rate = 200 Hz\n"
            "%Board = OpenBCI_GUI$BoardGanglionBLE\nSample Index, EXG Channel 0, Timestamp\n",
            "0       ", "\xffBIOSEMI", "1.0\t2.0\t3.0\n"]


@FUZZ
@given(prefix=st.sampled_from(PREFIXES),
       text=st.text(alphabet=st.sampled_from(list("0123456789-., \t\n%:=abcHzE")), max_size=800)
       | st.text(max_size=300))
def test_random_text(fuzz_path, check_recording, prefix, text):
    data = (prefix + text).encode("utf-8", "surrogatepass") if "\xff" not in prefix else (
        b"\xffBIOSEMI" + text.encode("utf-8", "surrogatepass"))
    assert_formaterror_or_valid(fuzz_path, data, check_recording)


@pytest.mark.parametrize("data", [
    b"", b"\n", b"\r\n\r\n", gzip.compress(b"", mtime=0), b"\x1f\x8b", b"%OpenBCI Raw EXG Data",
])
def test_empty(fuzz_path, check_recording, data):
    assert_formaterror_or_valid(fuzz_path, data, check_recording)


@pytest.mark.parametrize("name", ["cyton-v6", "cyton-v5", "cyton-legacy", "cyton-jordan",
                                  "ganglion-rest"])
def test_header_only(seeds, fuzz_path, check_recording, name):
    header = b"".join(ln for ln in seeds[name].splitlines(keepends=True)
                      if ln.startswith((b"%", b"Sample Index")))
    assert_formaterror_or_valid(fuzz_path, header, check_recording)
    with pytest.raises(FormatError):
        read_recording(fuzz_path)


def test_counter_out_of_range(fuzz_path, seeds):
    lines = seeds["cyton-v6"].decode().splitlines()
    lines[10] = "300" + lines[10][lines[10].index(","):]
    fuzz_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="line 11: expected a packet counter"):
        read_recording(fuzz_path)


@pytest.mark.parametrize("bad", [" nan", " NaN", "", " 1_000"])
def test_nan_and_empty_values_are_errors(fuzz_path, seeds, bad):
    lines = seeds["cyton-v6"].decode().splitlines()
    f = lines[10].split(",")
    f[2] = bad
    lines[10] = ",".join(f)
    fuzz_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=f"line 11, field 3: expected a number, found "
                       f"{bad.strip()!r}"):
        read_recording(fuzz_path)


@pytest.mark.parametrize(("bad", "match"), [
    (" 1e50", "line 11: expected a finite microvolt value"),
    (" inf", "line 11, field 3: expected a number, found 'inf'"),
    (" -Infinity", "line 11, field 3: expected a number, found '-Infinity'"),
])
def test_values_beyond_float32_are_errors(fuzz_path, seeds, bad, match):
    lines = seeds["cyton-v6"].decode().splitlines()
    f = lines[10].split(",")
    f[2] = bad
    lines[10] = ",".join(f)
    fuzz_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=match):
        read_recording(fuzz_path)
