"""Reader for XDF files (Lab Streaming Layer recordings saved by LabRecorder), via :mod:`pyxdf`.

An XDF file (``sccn/xdf`` wiki, "Specifications") is the magic ``XDF:`` and a sequence of
chunks, each ``[NumLengthBytes: 1, 4 or 8][Length][Tag: uint16][Content]``: a FileHeader
(tag 1, XML), one StreamHeader per stream (tag 2: stream id and the LSL ``<info>`` XML),
Samples (tag 3), ClockOffset (tag 4: collection time and offset, two doubles), Boundary
(tag 5) and StreamFooter (tag 6). A header pass (:func:`scan_xdf`) walks every chunk
without decoding samples: chunk lengths within the file, every stream header's XML and
values (channel count, rate, format), the size of every Samples chunk of a numeric stream.
Only then does :func:`pyxdf.load_xdf` decode the chosen streams, with clock
synchronisation and jitter removal.
"""

from __future__ import annotations

import io
import itertools
import logging
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from os import PathLike

import numpy as np

from emgkit.core.timing import clock_index, measure_rate
from emgkit.errors import FormatError
from emgkit.io.readers._common import as_float32, check_fs_range, load_bytes
from emgkit.io.readers.base import Recording
from emgkit.io.readers.edf import UV_PER_UNIT
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMAT = "xdf"
MAGIC = b"XDF:"

#: Bytes per value of each numeric LSL channel format (``string`` is the other one).
_ITEMSIZE = {"float32": 4, "double64": 8, "int8": 1, "int16": 2, "int32": 4, "int64": 8}
#: Stream types taken for EMG when no stream is named (compared case-insensitively).
EMG_TYPES = ("emg", "exg")
#: Stream types taken for markers when no marker stream is named.
MARKER_TYPES = ("markers", "marker", "events")
#: LSL meta-data unit names (XDF "Meta-Data" conventions), besides the EDF symbols.
_UNIT_WORDS = {"microvolts": 1.0, "microvolt": 1.0, "millivolts": 1e3, "millivolt": 1e3,
               "volts": 1e6, "volt": 1e6, "nanovolts": 1e-3, "nanovolt": 1e-3}
_MAX_CHANNELS = 1024
#: An effective rate further than this fraction from the nominal one is a broken header.
_RATE_MISMATCH = 0.1
#: Time stamps beyond this many seconds (about 3000 years) are corrupt.
_MAX_TIME_S = 1e11


@dataclass(frozen=True)
class StreamInfo:
    """What the header pass learned about one stream of an XDF file.

    Parameters
    ----------
    stream_id : int
        The id the file's chunks use.
    name, type, channel_format : str
        From the StreamHeader's ``<info>``.
    n_channels : int
        ``channel_count``.
    nominal_srate : float
        ``nominal_srate`` in Hz (0 for irregular streams such as markers).
    labels, units : tuple of str
        ``desc/channels/channel/label`` and ``unit``; empty if the header has no channels.
    n_samples : int
        Samples counted over the stream's Samples chunks.
    """

    stream_id: int
    name: str
    type: str
    channel_format: str
    n_channels: int
    nominal_srate: float
    labels: tuple[str, ...]
    units: tuple[str, ...]
    n_samples: int = 0

    @property
    def numeric(self) -> bool:
        """Whether the channel format is a number format (not ``string``)."""
        return self.channel_format in _ITEMSIZE

    def describe(self) -> str:
        """``'name' (type, format, rate Hz)`` for error messages."""
        return (f"{self.name!r} ({self.type or 'no type'}, {self.channel_format}, "
                f"{self.nominal_srate:g} Hz)")


def is_xdf(head: bytes) -> bool:
    """Whether a file's first bytes are the XDF magic ``XDF:``."""
    return head[:4] == MAGIC


def read_xdf(
    path: str | PathLike,
    stream: str | None = None,
    marker_stream: str | None = None,
    unit: str | None = None,
) -> Recording:
    """Read the EMG stream of an XDF file (gzip allowed) with its markers as events.

    Parameters
    ----------
    path : str or os.PathLike
        The file, as LabRecorder writes it.
    stream : str, optional
        Name of the EMG stream; if None, the only stream of type ``EMG`` or ``ExG``
        with a numeric channel format.
    marker_stream : str, optional
        Name of the marker stream; if None, the only stream of type ``Markers`` (or
        ``Events``), else no events.
    unit : str, optional
        The unit of every EMG channel (``uV``, ``mV``, ``V``, ``microvolts``...),
        overriding the stream description; required when the description gives none
        or one emgkit does not know.

    Returns
    -------
    Recording
        Microvolts (float32, converted once from the description's units), labels from
        ``desc/channels``, the nominal rate from the header, ``timestamps_s`` the
        synchronised, dejittered time stamps in **LSL clock** seconds (the recording
        computer's ``local_clock``, not Unix time; clock offsets applied), ``marker``
        events at the sample nearest each marker's time stamp, and ``gap`` events where
        the stream breaks (pyxdf's segments).

    Raises
    ------
    FormatError
        If the file is truncated or malformed, has no (or no single) EMG stream, an
        empty one, a unit it does not know, or time stamps at a rate more than 10 % from
        the nominal one.
    """
    data, sha = load_bytes(path)
    return parse_xdf(data, path, sha, stream=stream, marker_stream=marker_stream, unit=unit)


def parse_xdf(
    data: bytes, path: str | PathLike, sha256: str, stream: str | None = None,
    marker_stream: str | None = None, unit: str | None = None,
) -> Recording:
    """Parse the (decompressed) bytes of an XDF file; see :func:`read_xdf`."""
    infos = scan_xdf(data, path)
    emg = _pick_emg(infos, stream, path)
    fs_hz = check_fs_range(emg.nominal_srate, path, f"stream {emg.name!r} nominal_srate")
    factors = _uv_factors(emg, unit, path)
    if emg.n_samples == 0:
        raise FormatError(f"stream {emg.name!r}: expected samples, found none", path)
    markers = _pick_markers(infos, marker_stream, path)
    ids = [emg.stream_id] + ([markers.stream_id] if markers is not None else [])
    loaded = {s["info"]["stream_id"]: s for s in _load(data, ids, path)}
    s = loaded[emg.stream_id]
    values = np.asarray(s["time_series"], dtype=np.float64)
    ts = np.asarray(s["time_stamps"], dtype=np.float64)
    if values.shape != (emg.n_samples, emg.n_channels) or ts.shape != (emg.n_samples,):
        raise FormatError(f"stream {emg.name!r}: expected {emg.n_samples} samples of "
                          f"{emg.n_channels} channels, decoded {values.shape}", path)
    events = _gap_events(ts, s["info"].get("segments", []), fs_hz)
    _check_rate(ts, fs_hz, events, emg, path)
    emg_uv = as_float32(values * factors, path, what="microvolt value")
    if markers is not None:
        events = Events.concat([events, _marker_events(loaded[markers.stream_id], ts, fs_hz,
                                                       path)])
    n_ch = emg.n_channels
    return Recording(
        path=str(path), format=FORMAT, board="unknown", fs_hz=fs_hz,
        channel_numbers=tuple(range(1, n_ch + 1)), emg_uv=emg_uv,
        channel_labels=emg.labels or ("",) * n_ch, timestamps_s=ts, events=events,
        sha256=sha256,
    )


# --- the header pass ----------------------------------------------------------------------


def scan_xdf(data: bytes, path: str | PathLike) -> dict[int, StreamInfo]:
    """Walk the chunks of an XDF file and return its streams, without decoding samples.

    Every chunk must lie within the file; stream headers must be valid XML with a
    channel count (1-1024), a format and a finite, non-negative nominal rate; Samples
    chunks of numeric streams must have the size their sample count implies.

    Raises
    ------
    FormatError
        At the first chunk that breaks these rules (the message gives its byte offset).
    """
    if data[:4] != MAGIC:
        raise FormatError(f"expected the XDF magic 'XDF:', found {data[:4]!r}", path)
    infos: dict[int, StreamInfo] = {}
    counts: dict[int, int] = {}
    pos, end = 4, len(data)
    while pos < end:
        at = pos
        length, pos = _varlen(data, pos, path, "chunk length")
        if length < 2 or pos + length > end:
            raise FormatError(f"chunk at byte {at}: expected {length} bytes, found "
                              f"{end - pos} before the end of the file (truncated?)", path)
        tag = struct.unpack_from("<H", data, pos)[0]
        content = memoryview(data)[pos + 2:pos + length]
        pos += length
        if tag in (2, 3, 4, 6):
            if len(content) < 4:
                raise FormatError(f"chunk at byte {at}: expected a stream id, found "
                                  f"{len(content)} bytes", path)
            sid = struct.unpack_from("<I", content)[0]
            if tag == 2:
                infos[sid] = _stream_info(bytes(content[4:]), sid, at, path)
            elif sid not in infos:
                raise FormatError(f"chunk at byte {at}: expected the header of stream {sid} "
                                  "before its data, found none", path)
            elif tag == 3:
                counts[sid] = counts.get(sid, 0) + _n_samples(content, infos[sid], at, path)
            elif tag == 4 and len(content) != 20:
                raise FormatError(f"chunk at byte {at}: expected a 16-byte clock offset, found "
                                  f"{len(content) - 4} bytes", path)
        elif tag not in (1, 5):
            log.debug("%s: chunk at byte %d has unknown tag %d, skipped", path, at, tag)
    return {sid: _with_count(info, counts.get(sid, 0)) for sid, info in infos.items()}


def _with_count(info: StreamInfo, n: int) -> StreamInfo:
    d = dict(info.__dict__)
    d["n_samples"] = n
    return StreamInfo(**d)


def _varlen(data, pos: int, path, what: str) -> tuple[int, int]:
    """Read an XDF variable-length integer at ``pos``; return it and the next position."""
    if pos >= len(data):
        raise FormatError(f"byte {pos}: expected a {what}, found the end of the file", path)
    n_bytes = data[pos]
    fmt = {1: "<B", 4: "<I", 8: "<Q"}.get(n_bytes)
    if fmt is None:
        raise FormatError(f"byte {pos}: expected a {what} of 1, 4 or 8 bytes, found a size "
                          f"byte of {n_bytes}", path)
    if pos + 1 + n_bytes > len(data):
        raise FormatError(f"byte {pos}: expected a {what}, found the end of the file "
                          "(truncated?)", path)
    return struct.unpack_from(fmt, data, pos + 1)[0], pos + 1 + n_bytes


def _stream_info(xml: bytes, sid: int, at: int, path) -> StreamInfo:
    """Parse and check a StreamHeader's ``<info>`` XML."""
    where = f"stream header at byte {at}"
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise FormatError(f"{where}: expected XML, found an error ({e})", path) from None

    def text(tag: str) -> str:
        return (root.findtext(tag) or "").strip()

    name, fmt = text("name"), text("channel_format")
    if fmt not in _ITEMSIZE and fmt != "string":
        raise FormatError(f"{where} ({name!r}): expected a channel_format of "
                          f"{', '.join([*_ITEMSIZE, 'string'])}, found {fmt[:40]!r}", path)
    try:
        n_ch, srate = int(text("channel_count")), float(text("nominal_srate"))
    except ValueError:
        raise FormatError(f"{where} ({name!r}): expected a whole channel_count and a numeric "
                          f"nominal_srate, found {text('channel_count')[:20]!r} and "
                          f"{text('nominal_srate')[:20]!r}", path) from None
    if not 1 <= n_ch <= _MAX_CHANNELS or not (np.isfinite(srate) and srate >= 0):
        raise FormatError(f"{where} ({name!r}): expected 1-{_MAX_CHANNELS} channels at a rate "
                          f">= 0 Hz, found {n_ch} at {srate!r} Hz", path)
    chans = root.findall("desc/channels/channel")
    if chans and len(chans) != n_ch:
        raise FormatError(f"{where} ({name!r}): expected {n_ch} channels in desc/channels, "
                          f"found {len(chans)}", path)
    labels = tuple((c.findtext("label") or "").strip() for c in chans)
    units = tuple((c.findtext("unit") or "").strip() for c in chans)
    return StreamInfo(sid, name, text("type"), fmt, n_ch, srate, labels, units)


def _n_samples(content: memoryview, info: StreamInfo, at: int, path) -> int:
    """Sample count of a Samples chunk; its size is checked for numeric streams."""
    n, pos = _varlen(content, 4, path, f"sample count (chunk at byte {at})")
    if info.numeric:
        # each sample: a time-stamp flag byte, optionally 8 bytes of time stamp, the values
        body = len(content) - pos - n * (1 + info.n_channels * _ITEMSIZE[info.channel_format])
        if body < 0 or body % 8 or body > 8 * n:
            raise FormatError(f"chunk at byte {at}: expected {n} samples of {info.n_channels} "
                              f"{info.channel_format} values for stream {info.name!r}, found "
                              f"{len(content) - pos} bytes", path)
    return n


# --- choosing and decoding the streams ------------------------------------------------------


def _pick(infos, name: str | None, wanted, what: str, option: str, path) -> StreamInfo | None:
    """Return the stream called ``name``, else the only one ``wanted`` accepts, or None."""
    listed = "; ".join(i.describe() for i in infos.values()) or "none"
    if name is not None:
        named = [i for i in infos.values() if i.name == name]
        if len(named) != 1:
            found = "several" if named else "none"
            raise FormatError(f"expected one stream named {name!r}, found {found}; streams: "
                              f"{listed}", path)
        return named[0]
    fits = [i for i in infos.values() if wanted(i)]
    if len(fits) > 1:
        raise FormatError(f"expected one {what} stream, found {len(fits)}: "
                          f"{'; '.join(i.describe() for i in fits)}; name one with {option}",
                          path)
    return fits[0] if fits else None


def _pick_emg(infos, stream: str | None, path) -> StreamInfo:
    info = _pick(infos, stream, lambda i: i.type.lower() in EMG_TYPES and i.numeric,
                 "EMG (type EMG or ExG, numeric)", "--stream", path)
    if info is None:
        listed = "; ".join(i.describe() for i in infos.values()) or "none"
        raise FormatError("expected an EMG stream (type EMG or ExG with a numeric format), "
                          f"found none; streams: {listed}; name one with --stream", path)
    if not info.numeric:
        raise FormatError(f"stream {info.name!r}: expected numeric samples for EMG, found "
                          f"{info.channel_format}", path)
    return info


def _pick_markers(infos, marker_stream: str | None, path) -> StreamInfo | None:
    return _pick(infos, marker_stream, lambda i: i.type.lower() in MARKER_TYPES,
                 "marker (type Markers)", "--marker-stream", path)


def _uv_factors(info: StreamInfo, unit: str | None, path) -> np.ndarray:
    """Microvolts per unit of each channel, from ``unit`` or the stream description."""
    units = (unit,) * info.n_channels if unit is not None else info.units
    if not units:
        raise FormatError(f"stream {info.name!r}: expected units in desc/channels, found none; "
                          "give the unit (e.g. --unit uV)", path)
    factors = []
    for label, u in zip(info.labels or ("",) * info.n_channels, units):
        f = uv_per_unit(u)
        if f is None:
            raise FormatError(f"stream {info.name!r}, channel {label!r}: expected a unit of "
                              f"microvolts, millivolts or volts, found {u[:40]!r}; give the "
                              "unit (e.g. --unit uV)", path)
        factors.append(f)
    return np.asarray(factors)


def uv_per_unit(unit: str) -> float | None:
    """Microvolts per ``unit`` (``uV``, ``µV``, ``mV``, ``V``, ``millivolts``...), or None."""
    u = unit.strip()
    return UV_PER_UNIT.get(u, _UNIT_WORDS.get(u.lower()))


def _load(data: bytes, ids: list[int], path) -> list[dict]:
    """Decode streams ``ids`` with pyxdf (clocks synchronised, jitter removed)."""
    import pyxdf  # deferred: only XDF files need it

    records = _Collect()
    pyxdf_log = logging.getLogger("pyxdf")
    saved = pyxdf_log.propagate
    pyxdf_log.addHandler(records)
    pyxdf_log.propagate = False  # pyxdf's log lines become ours, below
    try:
        streams, _ = pyxdf.load_xdf(io.BytesIO(data), select_streams=ids,
                                    synchronize_clocks=True, dejitter_timestamps=True)
    except (ValueError, KeyError, IndexError, TypeError, struct.error, ET.ParseError,
            OSError, EOFError, RuntimeError) as e:
        raise FormatError(f"expected a valid XDF file, pyxdf found an error ({e})", path) \
            from None
    finally:
        pyxdf_log.removeHandler(records)
        pyxdf_log.propagate = saved
    errors = [r.getMessage() for r in records.records if r.levelno >= logging.ERROR]
    if errors:
        raise FormatError(f"expected a valid XDF file, pyxdf found: {errors[0]}", path)
    for r in records.records:
        log.debug("%s: pyxdf: %s", path, r.getMessage())
    return streams


class _Collect(logging.Handler):
    """A logging handler that keeps the records it is given."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _check_rate(ts: np.ndarray, fs_hz: float, gaps: Events, info: StreamInfo, path) -> None:
    """Refuse time stamps whose rate is far from the nominal one; log the measured rate.

    The rate is :func:`~emgkit.core.timing.measure_rate`'s, over the sample numbers with
    the samples lost in ``gaps`` counted.
    """
    if not np.all(np.abs(ts) <= _MAX_TIME_S):
        bad = int(np.argmax(~(np.abs(ts) <= _MAX_TIME_S)))
        raise FormatError(f"stream {info.name!r}, sample {bad}: expected a finite time stamp "
                          f"within {_MAX_TIME_S:g} s, found {ts[bad]!r}", path)
    index = clock_index(np.arange(ts.size), gaps.sample, gaps.value)
    audit = measure_rate(ts, fs_hz, index)
    if audit is None:
        return
    if abs(audit.measured_hz / fs_hz - 1.0) > _RATE_MISMATCH:
        raise FormatError(f"stream {info.name!r}: expected time stamps at about the nominal "
                          f"{fs_hz:g} Hz, found {audit.measured_hz:.3f} Hz", path)
    log.info("%s: stream %r: %s", path, info.name, audit.describe())


def _gap_events(ts: np.ndarray, segments, fs_hz: float) -> Events:
    """``gap`` events where pyxdf found breaks in the stream (value = samples missing)."""
    at, missing = [], []
    for (_, prev_end), (start, _) in itertools.pairwise(segments):
        lost = round(float(ts[start] - ts[prev_end]) * fs_hz) - 1
        if lost >= 1:
            at.append(start)
            missing.append(float(lost))
    return Events(at, ["gap"] * len(at), [""] * len(at), missing)


def _marker_events(markers: dict, ts: np.ndarray, fs_hz: float, path) -> Events:
    """``marker`` events at the EMG sample nearest each marker's (synchronised) time."""
    t = np.asarray(markers["time_stamps"], dtype=np.float64)
    labels = [",".join(str(v) for v in np.atleast_1d(row)) for row in markers["time_series"]]
    half = 0.5 / fs_hz
    inside = (t >= ts[0] - half) & (t <= ts[-1] + half)
    if not inside.all():
        log.warning("%s: %d marker(s) outside the EMG stream's time span left out", path,
                    int((~inside).sum()))
    t = t[inside]
    labels = [lab for lab, keep in zip(labels, inside) if keep]
    right = np.clip(np.searchsorted(ts, t), 1, ts.size - 1) if ts.size > 1 else np.zeros(
        t.size, dtype=np.int64)
    left = np.maximum(right - 1, 0)
    nearest = np.where(np.abs(ts[left] - t) <= np.abs(ts[right] - t), left, right)
    return Events(nearest, ["marker"] * t.size, labels, [_number(lab) for lab in labels])


def _number(label: str) -> float:
    try:
        v = float(label)
    except ValueError:
        return np.nan
    return v if np.isfinite(v) else np.nan
