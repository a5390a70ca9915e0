"""Reader for EDF/EDF+ and BDF/BDF+ files, through :mod:`edfio`.

Every ordinary signal whose physical dimension is a voltage (``uV``, ``µV``, ``mV``,
``V``, ``nV``) is an EMG channel, numbered 1..n in file order and converted to
microvolts; three signals in ``g`` are the accelerometer; an EDF+/BDF+ annotation
signal gives ``marker`` events. The OpenBCI GUI's own BDF files hold amplitudes about
44.7 times too small (GUI issue #1078): they are recognised by their header and a
warning is logged.
"""

from __future__ import annotations

import logging
import re
import warnings
from os import PathLike

import numpy as np

from emgkit.errors import FormatError
from emgkit.io.readers._common import as_float32, load_bytes
from emgkit.io.readers.base import Recording
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMATS = ("edf", "bdf")

#: Factor from each accepted physical dimension to microvolts.
UV_PER_UNIT = {"uV": 1.0, "µV": 1.0, "μV": 1.0, "mV": 1e3, "V": 1e6, "nV": 1e-3}
_ACCEL_UNITS = ("g",)
_GUI_LABEL = re.compile(r"^EEG \d+$")


def edf_kind(head: bytes) -> str | None:
    """``"edf"`` or ``"bdf"`` from a file's first 8 bytes, else None."""
    if head[:8] == b"0       ":
        return "edf"
    if head[:8] == b"\xffBIOSEMI":
        return "bdf"
    return None


def read_edf(path: str | PathLike) -> Recording:
    """Read an EDF(+) or BDF(+) file (gzip allowed) as microvolts.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Recording
        The voltage signals in microvolts, labels from the file, accelerometer if
        three ``g`` signals are present, annotations as ``marker`` events.

    Raises
    ------
    FormatError
        If the file is not valid EDF/BDF, has a signal of unknown physical dimension,
        or EMG signals at different sampling rates.
    """
    data, sha = load_bytes(path)
    return parse_edf(data, path, sha)


def parse_edf(data: bytes, path: str | PathLike, sha256: str) -> Recording:
    """Parse the (decompressed) bytes of an EDF/BDF file; see :func:`read_edf`."""
    kind = edf_kind(data[:8])
    if kind is None:
        raise FormatError(f"expected an EDF ('0       ') or BDF ('\\xffBIOSEMI') header, found "
                          f"{data[:8]!r}", path)
    edf = _load(data, kind, path)
    emg, accel = [], []
    for s in edf.signals:
        dim = s.physical_dimension.strip()
        if dim in UV_PER_UNIT:
            emg.append((s, UV_PER_UNIT[dim]))
        elif dim in _ACCEL_UNITS:
            accel.append(s)
        else:
            raise FormatError(f"signal {s.label!r}: expected a physical dimension of "
                              f"{', '.join(UV_PER_UNIT)} (or g for an accelerometer), "
                              f"found {dim!r}", path)
    if not emg:
        raise FormatError("expected at least one voltage (EMG) signal, found none", path)
    rates = {float(s.sampling_frequency) for s, _ in emg}
    if len(rates) > 1:
        shown = ", ".join(f"{s.label!r} {s.sampling_frequency:g} Hz" for s, _ in emg)
        raise FormatError(f"expected every EMG signal at one sampling rate, found {shown}", path)
    fs_hz = rates.pop()
    if not np.isfinite(fs_hz) or fs_hz <= 0:
        raise FormatError(f"expected a positive sampling rate, found {fs_hz!r} Hz", path)
    columns = [np.asarray(s.data, dtype=np.float64) * f for s, f in emg]
    n = min(c.size for c in columns)
    if n == 0:
        raise FormatError("expected samples in the data records, found none", path)
    emg_uv = as_float32(np.stack([c[:n] for c in columns], axis=1), path, what="microvolt value")
    if _looks_like_openbci_gui(edf, emg):
        log.warning("%s: this looks like a BDF written by the OpenBCI GUI, whose amplitudes are "
                    "about 44.7x too small (GUI issue #1078): do not trust them; import the "
                    "GUI's OpenBCI-RAW .txt file instead", path)
    return Recording(
        path=str(path), format=kind, board="unknown", fs_hz=fs_hz,
        channel_numbers=tuple(range(1, len(emg) + 1)), emg_uv=emg_uv,
        channel_labels=tuple(s.label.strip() for s, _ in emg),
        accel_g=_accel(accel, fs_hz, n, path), events=_annotations(edf, fs_hz, n, path),
        start_time=_start_time(edf), sha256=sha256,
    )


def _load(data: bytes, kind: str, path):
    import edfio

    reader = edfio.read_edf if kind == "edf" else edfio.read_bdf
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            edf = reader(data, header_encoding="latin-1")
            for s in edf.signals:  # decode every header field and the data once, here
                _ = (s.label, s.transducer_type, s.physical_dimension, s.sampling_frequency,
                     s.physical_max, s.digital_max, s.data)
            _ = edf.annotations, edf.local_patient_identification
            _ = edf.local_recording_identification
    except Exception as e:  # edfio raises ValueError, IndexError, struct errors...
        raise FormatError(f"not a valid {kind.upper()} file: {type(e).__name__}: {e}",
                          path) from None
    for w in caught:
        log.warning("%s: %s", path, w.message)
    return edf


def _accel(signals, fs_hz: float, n: int, path):
    if len(signals) != 3 or any(float(s.sampling_frequency) != fs_hz for s in signals):
        if signals:
            log.info("accelerometer signals ignored: expected 3 at %g Hz, found %d", fs_hz,
                     len(signals))
        return None
    cols = [np.asarray(s.data, dtype=np.float64) for s in signals]
    if min(c.size for c in cols) < n:
        return None
    return as_float32(np.stack([c[:n] for c in cols], axis=1), path, what="acceleration in g")


def _annotations(edf, fs_hz: float, n: int, path) -> Events:
    samples, labels = [], []
    for a in edf.annotations:
        onset_s = float(a.onset)
        k = round(onset_s * fs_hz) if np.isfinite(onset_s) else -1
        if 0 <= k < n:
            samples.append(k)
            labels.append(str(a.text))
        else:
            log.info("%s: annotation %r at %g s is outside the recording; ignored", path,
                     a.text, a.onset)
    return Events(samples, ["marker"] * len(samples), labels)


def _start_time(edf) -> str | None:
    """Return the header's start date and time as ISO 8601 (EDF stores no time zone)."""
    try:
        return edf.startdatetime.isoformat()
    except Exception:  # anonymised or invalid dates
        return None


def _looks_like_openbci_gui(edf, emg) -> bool:
    """Whether the header matches the OpenBCI GUI's BDF writer (``DataWriterBDF.pde``).

    The GUI labels its channels ``EEG 1``..``EEG n``, sets the transducer to
    ``AgAgCl electrode``, the range to +-187500 uV (Ganglion +-15686) over 24-bit
    digital values, and fills the identification fields with ``X``.
    """
    labels_ok = all(_GUI_LABEL.match(s.label.strip()) for s, _ in emg)
    transducer_ok = all(s.transducer_type.strip() == "AgAgCl electrode" for s, _ in emg)
    range_ok = all(abs(s.physical_max) in (187500.0, 15686.0) and s.digital_max == 8388607
                   for s, _ in emg)
    ids = (edf.local_patient_identification + edf.local_recording_identification).split()
    ids_ok = bool(ids) and set(ids) == {"X"}
    return labels_ok and transducer_ok and (range_ok or ids_ok)
