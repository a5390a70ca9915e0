"""Fixtures for the reader tests: real OpenBCI files and small files in the exact
formats the OpenBCI GUI, BrainFlow and EDF/BDF writers produce."""

from __future__ import annotations

import gzip
import re
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from gui_bdf_writer import gui_bdf
from gui_writers import BOARDS as GUI_BOARDS
from gui_writers import channel_names, java_double
from sd_writer import record

from emgkit.io.readers import FORMATS
from emgkit.io.readers.base import Recording
from emgkit.model.boards import BOARDS
from emgkit.model.session import EVENT_KINDS

DATASETS = Path(__file__).resolve().parents[2] / "datasets"

#: The real OpenBCI GUI recordings: name -> (path, channels, rate Hz, data rows, generation).
OPENBCI_FILES = {
    "cyton-v6": ("openbci_gui_cyton/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz",
                 8, 250.0, 22490, "openbci-gui-v6"),
    "cyton-v5": ("openbci_gui_cyton/OpenBCI_GUI-v5-blinks-jawClench-alpha.txt.gz",
                 8, 250.0, 22490, "openbci-gui-v5"),
    "cyton-legacy": ("openbci_gui_cyton/OpenBCI-sampleData-1-blinks-jawClench-alpha.txt.gz",
                     8, 250.0, 22490, "openbci-gui-legacy"),
    "cyton-jordan": ("openbci_gui_cyton/OpenBCI_2016-02-13_Jordan_focus.txt.gz",
                     8, 250.0, 30646, "openbci-gui-legacy"),
    "ganglion-r0": ("openbci_ganglion_myoware/OpenBCI-RAW-S02_S1R0.txt.gz",
                    4, 200.0, 26207, "openbci-gui-legacy"),
    "ganglion-rest": ("openbci_ganglion_myoware/OpenBCI-RAW-S02_S1REST.txt.gz",
                      4, 200.0, 6414, "openbci-gui-legacy"),
}


def dataset(rel: str) -> Path:
    """Path of a bundled dataset file."""
    return DATASETS / rel


def gui_text(rel: str) -> str:
    """The decompressed text of a bundled OpenBCI file (line endings kept)."""
    with gzip.open(dataset(rel), "rb") as f:
        return f.read().decode("ascii")


# --- the OpenBCI GUI v6 text format (DataWriterODF.pde) -------------------------------

_V6_BOARD_OF_CHANNELS = {8: "cyton", 16: "cyton-daisy", 4: "ganglion"}


def gui_v6_text(board_class: str, exg_uv: np.ndarray, fs_hz: float, counter: np.ndarray,
                marker: np.ndarray | None = None, t0_s: float = 1.7e9,
                crlf: bool = True) -> str:
    """A file as the GUI's v6 writer makes it: header, column names, then one row a sample.

    Column names from :func:`gui_writers.channel_names` (the board with ``exg_uv``'s channel
    count), values printed like Java's ``print(double)``: accel ``0.0, 0.5, -1.0``, other
    rows 0, the timestamp in seconds (``1.7000000004E9``), the formatted time last. See
    ``tests/io/gui_writers.py`` for every generation written exactly as the GUI does.
    """
    n, n_ch = exg_uv.shape
    names = channel_names(GUI_BOARDS[_V6_BOARD_OF_CHANNELS[n_ch]], "v6", True)
    n_other = len(names) - (1 + n_ch + 3 + 2)
    eol = "\r\n" if crlf else "\n"
    out = ["%OpenBCI Raw EXG Data", f"%Number of channels = {n_ch}",
           f"%Sample Rate = {fs_hz:g} Hz", f"%Board = OpenBCI_GUI${board_class}",
           ", ".join([*names, "Timestamp (Formatted)"])]
    marker = np.zeros(n) if marker is None else marker
    for i in range(n):
        t = t0_s + i / fs_hz
        vals = ([float(counter[i])] + [float(v) for v in exg_uv[i]] + [0.0, 0.5, -1.0]
                + [0.0] * n_other + [t, float(marker[i])])
        stamp = datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        out.append("".join(java_double(v) + ", " for v in vals) + stamp)
    return eol.join(out) + eol


@pytest.fixture
def write_gui_v6(tmp_path):
    """Write a GUI v6 file into ``tmp_path``; returns its path."""

    def write(name, board_class, exg_uv, fs_hz, counter, marker=None):
        p = tmp_path / name
        p.write_text(gui_v6_text(board_class, exg_uv, fs_hz, counter, marker), newline="")
        return p

    return write


def random_uv(rng: np.random.Generator, n: int, n_ch: int) -> np.ndarray:
    """Random microvolts with two decimals, as the GUI writes them."""
    return np.round(rng.normal(0, 50, (n, n_ch)), 2)


# --- BrainFlow write_file --------------------------------------------------------------

def write_brainflow(path: Path, data: np.ndarray) -> Path:
    """Write ``data`` (rows x samples) with BrainFlow's own ``DataFilter.write_file``."""
    from brainflow.data_filter import DataFilter

    DataFilter.write_file(np.ascontiguousarray(data, dtype=np.float64), str(path), "w")
    return path


def brainflow_array(board: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """A BrainFlow data array for ``board`` with known EXG, counter and timestamps."""
    from emgkit.io.readers.brainflow_csv import brainflow_layout

    lay = brainflow_layout(board)
    data = np.zeros((lay.n_rows, n))
    data[lay.package_num] = np.arange(n) % 256
    data[list(lay.exg)] = np.round(rng.normal(0, 100, (len(lay.exg), n)), 6)
    data[list(lay.accel)] = 0.25
    data[lay.timestamp] = 1.7e9 + np.arange(n) / lay.fs_hz
    return data


# --- EDF / BDF through edfio -----------------------------------------------------------

def write_edf(path: Path, signals, annotations=(), bdf: bool = False, **kw) -> Path:
    """Write an EDF (or BDF) with edfio; ``signals`` are (data, fs, label, dimension)."""
    import edfio

    sig_cls = edfio.BdfSignal if bdf else edfio.EdfSignal
    file_cls = edfio.Bdf if bdf else edfio.Edf
    sigs = []
    for data, fs, label, dim, *extra in signals:
        opts = extra[0] if extra else {}
        sigs.append(sig_cls(np.asarray(data, dtype=np.float64), fs, label=label,
                            physical_dimension=dim, **opts))
    ann = [edfio.EdfAnnotation(onset, None, text) for onset, text in annotations]
    file_cls(sigs, annotations=ann or None, **kw).write(path)
    return path


@pytest.fixture(scope="session")
def synthetic_files(tmp_path_factory) -> dict[str, tuple[Path, str | None]]:
    """Small generated files of every non-GUI-sample kind: id -> (path, board)."""
    rng = np.random.default_rng(7)
    d = tmp_path_factory.mktemp("synthetic")
    out: dict[str, tuple[Path, str | None]] = {}
    n = 300
    p = d / "daisy-v6.txt"
    p.write_text(gui_v6_text("BoardCytonSerialDaisy", random_uv(rng, n, 16), 125.0,
                             (2 * np.arange(n)) % 256), newline="")
    out["daisy-v6"] = (p, None)
    p = d / "wifi-v6.txt"
    p.write_text(gui_v6_text("BoardCytonWifi", random_uv(rng, n, 8), 1000.0,
                             np.arange(n) % 256), newline="")
    out["wifi-v6"] = (p, None)
    p = d / "ganglion-v6.txt"
    p.write_text(gui_v6_text("BoardGanglionBLE", random_uv(rng, n, 4), 200.0,
                             np.arange(n) % 201), newline="")
    out["ganglion-v6"] = (p, None)
    out["brainflow-cyton"] = (write_brainflow(d / "bf-cyton.csv",
                                              brainflow_array("cyton", n, rng)), "cyton")
    out["brainflow-daisy"] = (write_brainflow(d / "bf-daisy.csv",
                                              brainflow_array("cyton-daisy", n, rng)),
                              "cyton-daisy")
    x = rng.normal(0, 100, 1000)
    out["edf"] = (write_edf(d / "a.edf", [(x, 500, "EMG1", "uV"), (x / 1e3, 500, "EMG2", "mV")],
                            annotations=[(0.5, "go")]), None)
    out["bdf"] = (write_edf(d / "a.bdf", [(x, 500, "EMG1", "uV")], bdf=True), None)
    (d / "gui.bdf").write_bytes(gui_bdf(random_uv(rng, 500, 8), 250))
    out["gui-bdf"] = (d / "gui.bdf", None)
    for name, n_ch in (("sd-cyton", 8), ("sd-daisy", 16)):
        p = d / f"OBCI_{n_ch}.TXT"
        p.write_bytes(record(n, n_ch=n_ch, seed=n_ch)[0].file())
        out[name] = (p, None)
    gz = d / "daisy-v6.txt.gz"
    gz.write_bytes(gzip.compress(out["daisy-v6"][0].read_bytes(), mtime=0))
    out["daisy-v6-gz"] = (gz, None)
    return out


SYNTHETIC_IDS = ("daisy-v6", "wifi-v6", "ganglion-v6", "brainflow-cyton", "brainflow-daisy",
                 "edf", "bdf", "daisy-v6-gz", "sd-cyton", "sd-daisy", "gui-bdf")


def pytest_generate_tests(metafunc):
    """Parametrise ``openbci_name`` over the real GUI files, ``sample_id`` over all files."""
    if "openbci_name" in metafunc.fixturenames:
        metafunc.parametrize("openbci_name", list(OPENBCI_FILES))
    if "sample_id" in metafunc.fixturenames:
        metafunc.parametrize("sample_id", [*OPENBCI_FILES, *SYNTHETIC_IDS])


@pytest.fixture(scope="session")
def sample_file(synthetic_files):
    """Return (path, board) of any sample file by id (real GUI files or generated)."""

    def get(sample_id):
        if sample_id in OPENBCI_FILES:
            return dataset(OPENBCI_FILES[sample_id][0]), None
        return synthetic_files[sample_id]

    return get


@pytest.fixture(scope="session")
def rh():
    """The reader-test helpers of this module, as a namespace."""
    return SimpleNamespace(
        OPENBCI_FILES=OPENBCI_FILES, dataset=dataset, gui_text=gui_text,
        gui_v6_text=gui_v6_text, random_uv=random_uv, write_brainflow=write_brainflow,
        brainflow_array=brainflow_array, write_edf=write_edf,
    )


def _check_recording(rec: Recording, path=None) -> None:
    """Assert every guarantee a Recording gives."""
    assert isinstance(rec, Recording)
    if path is not None:
        assert rec.path == str(path)
    assert rec.format in FORMATS
    assert rec.board in (*BOARDS, "unknown")
    assert isinstance(rec.fs_hz, float) and np.isfinite(rec.fs_hz) and rec.fs_hz > 0
    x = rec.emg_uv
    assert isinstance(x, np.ndarray) and x.dtype == np.float32 and x.flags.c_contiguous
    assert x.ndim == 2
    n, c = x.shape
    assert c >= 1
    assert len(rec.channel_numbers) == c
    assert all(isinstance(k, int) and k >= 1 for k in rec.channel_numbers)
    assert len(set(rec.channel_numbers)) == c
    assert len(rec.channel_labels) == c and all(isinstance(s, str) for s in rec.channel_labels)
    if rec.accel_g is not None:
        assert rec.accel_g.dtype == np.float32 and rec.accel_g.shape == (n, 3)
    if rec.package_num is not None:
        assert rec.package_num.dtype == np.int16 and rec.package_num.shape == (n,)
    if rec.timestamps_s is not None:
        assert rec.timestamps_s.dtype == np.float64 and rec.timestamps_s.shape == (n,)
    ev = rec.events
    assert np.all((ev.sample >= 0) & (ev.sample < max(n, 1)))
    assert all(k in EVENT_KINDS for k in ev.kind)
    gaps = ev.of_kind("gap")
    assert np.all(gaps.value >= 1)
    assert re.fullmatch(r"[0-9a-f]{64}", rec.sha256)
    if rec.start_time is not None:
        assert isinstance(rec.start_time, str)


@pytest.fixture(scope="session")
def check_recording():
    """A function asserting every guarantee of a Recording (the compliance checks)."""
    return _check_recording
