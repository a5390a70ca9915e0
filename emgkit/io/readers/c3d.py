"""Reader for C3D files (Vicon, Qualisys; Noraxon and Delsys exports): analog EMG channels.

A C3D file (c3d.org, "The C3D File Format User Guide") is a 512-byte header (16-bit
words: the parameter block and the key ``0x50``, point count, analog values per frame,
first and last frame, scale, data start block, analog samples per frame, frame rate), a
parameter section (groups such as ``POINT``, ``ANALOG``, ``EVENT``; the processor type
byte: 84 Intel, 85 DEC, 86 MIPS) and the frames. :mod:`ezc3d` parses it, but crashes or
hangs on a damaged parameter section and silently reads a truncated file short, so a
header pass here checks first: the header, every parameter record (lengths, links and
types within the section) and the file size the frames need.

``ezc3d``'s ``data["analogs"]`` is already in physical units: it applies
``(raw - ANALOG:OFFSET) * ANALOG:SCALE * ANALOG:GEN_SCALE`` when reading (and divides by
them when writing; checked in ``tests/io/test_c3d.py``), so only ``ANALOG:UNITS`` is
applied here.
"""

from __future__ import annotations

import logging
import os
import struct
import tempfile
from math import prod
from os import PathLike

import numpy as np

from emgkit.errors import FormatError
from emgkit.io.readers._common import GZIP_MAGIC, as_float32, check_fs_range, load_bytes
from emgkit.io.readers.base import Recording
from emgkit.io.readers.xdf import uv_per_unit
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMAT = "c3d"
_PROCESSORS = {84: "<", 85: "<", 86: ">"}  # Intel, DEC (little-endian integers), MIPS
_TYPES = (-1, 1, 2, 4)  # char, byte, int16, float
#: The delay an acquisition system may add to its analog output, at most (s).
MAX_DELAY_S = 1.0


def is_c3d(head: bytes) -> bool:
    """Whether a file's first bytes are a C3D header (byte 2 is the key ``0x50``)."""
    # byte 1 is the C3D key 0x50 ('P'); byte 0, the parameter section's first 512-byte
    # block, is 2 in every writer and never a printable character (a text line "%P...")
    return len(head) >= 2 and head[1] == 0x50 and 2 <= head[0] < 0x20


def read_c3d(
    path: str | PathLike,
    channels: list[str | int] | None = None,
    delay_s: float = 0.0,
    unit: str | None = None,
) -> Recording:
    """Read the analog EMG channels of a C3D file (gzip allowed) with its events.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    channels : list of str or int, optional
        Analog channels by label (``ANALOG:LABELS``) or 1-based number; if None, every
        channel whose label or description contains ``EMG``.
    delay_s : float
        The delay the EMG system adds to its analog output (Delsys Trigno documents
        0.048 s); the first ``round(delay_s * rate)`` samples are dropped so the samples
        line up with the events and the motion data. 0 to 1 s.
    unit : str, optional
        The unit of the chosen channels (``V``, ``mV``, ``uV``), overriding
        ``ANALOG:UNITS``; required when the file gives none or one emgkit does not know.

    Returns
    -------
    Recording
        Microvolts (float32; ezc3d's scaled values times the unit's factor), the analog
        channel numbers and labels, ``ANALOG:RATE``, and each ``EVENT`` as a ``marker``
        event labelled ``"<context> <label>"`` (``Left Foot Strike``) at sample
        ``round((time - first frame time) * rate)``.

    Raises
    ------
    FormatError
        If the file is truncated or malformed, has no EMG channel (or a named one is
        missing), a unit emgkit does not know, or rates that disagree.
    """
    data, sha = load_bytes(path)
    layout = scan_c3d(data, path)
    if not 0.0 <= float(delay_s) <= MAX_DELAY_S:
        raise FormatError(f"delay_s: expected 0 to {MAX_DELAY_S:g} s, found {delay_s!r}", path)
    c = _load(path, data, layout, _is_gzip(path))
    p = c["parameters"]
    fs_hz = _rate(p, layout, path)
    labels = _strings(p, "ANALOG", "LABELS")
    descriptions = _strings(p, "ANALOG", "DESCRIPTIONS")
    picked = _pick_channels(labels, descriptions, channels, path)
    units = [unit] * len(picked) if unit is not None else [
        _at(_strings(p, "ANALOG", "UNITS"), i) for i in picked]
    factors = []
    for i, u in zip(picked, units):
        f = uv_per_unit(u)
        if f is None:
            raise FormatError(f"analog channel {i + 1} ({labels[i]!r}): expected ANALOG:UNITS "
                              f"V, mV or uV, found {u[:20]!r}; give the unit (--unit)", path)
        factors.append(f)
    analogs = np.asarray(c["data"]["analogs"], dtype=np.float64)
    n = layout.n_frames * layout.analog_per_frame
    if analogs.ndim != 3 or analogs.shape[1] < len(labels) or analogs.shape[2] != n:
        raise FormatError(f"expected {n} analog samples of {len(labels)} channels, ezc3d read "
                          f"{analogs.shape}", path)
    shift = round(float(delay_s) * fs_hz)
    if shift >= n:
        raise FormatError(f"delay_s {delay_s:g} s is longer than the recording "
                          f"({n / fs_hz:g} s)", path)
    emg_uv = as_float32(analogs[0, picked, shift:].T * np.asarray(factors), path,
                        what="microvolt value")
    t_first = layout.first_frame_0 / layout.frame_rate_hz
    return Recording(
        path=str(path), format=FORMAT, board="unknown", fs_hz=fs_hz,
        channel_numbers=tuple(i + 1 for i in picked), emg_uv=emg_uv,
        channel_labels=tuple(labels[i] for i in picked),
        events=_events(p, t_first, fs_hz, emg_uv.shape[0], path), sha256=sha,
    )


# --- the header pass ----------------------------------------------------------------------


class C3dLayout:
    """What the header pass read: byte order, frames, sizes, and the parameters' floats."""

    def __init__(self, endian, n_frames, first_frame_0, analog_per_frame, frame_rate_hz,
                 floats):
        self.endian = endian
        self.n_frames = n_frames
        self.first_frame_0 = first_frame_0
        self.analog_per_frame = analog_per_frame
        self.frame_rate_hz = frame_rate_hz
        #: ``(GROUP, PARAM)`` -> first float value, for Intel and MIPS files (None: DEC)
        self.floats = floats


def scan_c3d(data: bytes, path: str | PathLike) -> C3dLayout:
    """Check a C3D file's header, parameter section and size before ezc3d reads it.

    Raises
    ------
    FormatError
        If the header or a parameter record is malformed, or the file is shorter than
        its frames need.
    """
    if len(data) < 512 or not is_c3d(data):
        raise FormatError(f"expected a C3D header (512 bytes, byte 2 = 0x50), found "
                          f"{len(data)} bytes starting {data[:4]!r}", path)
    pstart = (data[0] - 1) * 512
    if pstart + 4 > len(data) or data[pstart + 3] not in _PROCESSORS:
        found = "the end of the file" if pstart + 4 > len(data) else f"{data[pstart + 3]}"
        raise FormatError(f"parameter section at block {data[0]}: expected a processor type "
                          f"84, 85 or 86, found {found}", path)
    e = _PROCESSORS[data[pstart + 3]]
    n_blocks = data[pstart + 2]
    pend = pstart + 512 * n_blocks
    if n_blocks == 0 or pend > len(data):
        raise FormatError(f"parameter section: expected {n_blocks} blocks of 512 bytes, found "
                          f"{max(len(data) - pstart, 0)} bytes (truncated?)", path)
    groups, params = _walk(data, pstart, pend, e, path)
    missing = sorted({g for g, _ in params} - set(groups))
    if missing:
        raise FormatError(f"parameter section: expected the groups of every parameter, "
                          f"found none with id {missing[0]}", path)
    (n_points, n_analog, first, last, _gap), = [struct.unpack_from(e + "5H", data, 2)]
    scale_raw = data[12:16]
    data_block, spf = struct.unpack_from(e + "2H", data, 16)
    dec = data[pstart + 3] == 85
    rate = None if dec else struct.unpack_from(e + "f", data, 20)[0]
    scale_negative = bool(scale_raw[{"<": 1 if dec else 3, ">": 0}[e]] & 0x80)
    if first < 1 or last < first or (spf and n_analog % spf) or data_block * 512 < pend + 1:
        raise FormatError(f"C3D header: expected frames first <= last, analog values a "
                          f"multiple of samples per frame and data after the parameters, "
                          f"found frames {first}-{last}, {n_analog} values / {spf} per frame, "
                          f"data at block {data_block}", path)
    n_frames = last - first + 1
    frame_bytes = (4 if scale_negative else 2) * (4 * n_points + n_analog)
    need = (data_block - 1) * 512 + n_frames * frame_bytes
    if len(data) < need:
        raise FormatError(f"expected {need} bytes for {n_frames} frames, found {len(data)} "
                          "(truncated?)", path)
    named = {(groups[g], name): v for (g, name), v in params.items()}
    _check_counts(named, n_points, n_analog // spf if spf else 0, e, path)
    _check_rotations(named, n_frames, len(data), e, path)
    floats = {} if dec else {k: v for k, v in
                             ((k, _first_float(t, raw, e)) for k, (t, _, raw) in named.items())
                             if v is not None}
    if rate is not None:  # the rates, before any frame is read (DEC: after ezc3d's)
        check_fs_range(rate, path, "C3D header frame rate")
    if ("ANALOG", "RATE") in floats:
        check_fs_range(floats[("ANALOG", "RATE")], path, "ANALOG:RATE")
    return C3dLayout(e, n_frames, first - 1, spf, rate, floats)


def _walk(data: bytes, pos: int, end: int, e: str, path):
    """Walk the parameter records; return {group id: name}, {(id, name): (type, dims, bytes)}."""
    groups: dict[int, str] = {}
    params: dict[tuple[int, str], tuple[int, bytes, bytes]] = {}
    pos += 4
    while pos + 2 <= end:
        n_chars, gid = struct.unpack_from("bb", data, pos)
        if n_chars == 0:
            break
        name_end = pos + 2 + abs(n_chars)
        if name_end + 2 > end or gid == 0:
            raise FormatError(f"parameter record at byte {pos}: expected a name and a group "
                              f"id within the section, found id {gid}, {abs(n_chars)} chars", path)
        name = data[pos + 2:name_end].decode("latin-1").strip().upper()
        if not name.isascii() or not name.isprintable():
            raise FormatError(f"parameter record at byte {pos}: expected an ASCII name, found "
                              f"{name[:20]!r}", path)
        link = struct.unpack_from(e + "h", data, name_end)[0]
        body = name_end + 2
        nxt = name_end + link if link else end
        if link < 0 or (link and nxt <= name_end) or nxt > end:
            raise FormatError(f"parameter {name!r} at byte {pos}: expected a link to the next "
                              f"record within the section, found {link}", path)
        if gid < 0:
            groups[-gid] = name
            rec_end = body + 1 + (data[body] if body < end else 0)
        else:
            rec_end, typ, dims, raw = _param_body(data, body, nxt, name, path)
            params[(gid, name)] = (typ, dims, raw)
        if rec_end > nxt:
            raise FormatError(f"parameter {name!r} at byte {pos}: expected {rec_end - body} "
                              f"bytes before the next record, found {nxt - body}", path)
        if not link:
            break
        pos = nxt
    return groups, params


def _param_body(data: bytes, body: int, nxt: int, name: str, path):
    """Check a parameter's type, dimensions and data; return its end, type and bytes."""
    if body + 2 > nxt:
        raise FormatError(f"parameter {name!r}: expected a type and dimensions, found the "
                          "next record", path)
    typ, n_dims = struct.unpack_from("bB", data, body)
    if typ not in _TYPES or n_dims > 7:
        raise FormatError(f"parameter {name!r}: expected a type of -1, 1, 2 or 4 and at most "
                          f"7 dimensions, found type {typ}, {n_dims} dimensions", path)
    dims = data[body + 2:body + 2 + n_dims]
    start = body + 2 + n_dims
    size = abs(typ) * prod(dims)
    if start + size + 1 > nxt:
        raise FormatError(f"parameter {name!r}: expected {size} bytes of values, found "
                          f"{max(nxt - start, 0)}", path)
    return start + size + 1 + data[start + size], typ, dims, bytes(data[start:start + size])


#: Parameters ezc3d indexes for every point or analog channel (it does not check them).
_PER_POINT = ("LABELS", "SCALE", "RATE")
_PER_ANALOG = ("LABELS", "SCALE", "OFFSET", "GEN_SCALE", "RATE")
#: Numeric parameters ezc3d reads a first value of, in any group, when present.
_SCALARS = ("USED", "FRAMES", "DATA_START", "RATE", "SCALE", "GEN_SCALE", "RATIO")


def _check_counts(named: dict, n_points: int, n_analogs: int, e: str, path) -> None:
    """Check that USED agrees with the header and every per-channel parameter is there."""
    for (group, name), (typ, dims, _) in named.items():
        if name in _SCALARS and (group, name) != ("ANALOG", "SCALE") and typ != -1 \
                and prod(dims) == 0:  # ANALOG:SCALE is per channel, checked below
            raise FormatError(f"{group}:{name}: expected a value, found none", path)
    for group, n, needed in (("POINT", n_points, _PER_POINT),
                             ("ANALOG", n_analogs, _PER_ANALOG)):
        if n == 0:
            continue
        used = named.get((group, "USED"))
        found = _first_float(used[0], used[2], e) if used else None
        if found != float(n):
            raise FormatError(f"{group}:USED: expected {n} as the header says, found "
                              f"{'none' if found is None else f'{found:g}'}", path)
        for name in needed:
            want = 1 if name in ("RATE", "GEN_SCALE") else n
            typ, dims, _ = named.get((group, name), (0, b"", b""))
            have = prod(dims[1:] if typ == -1 else dims) if (group, name) in named else 0
            if have < want:
                raise FormatError(f"{group}:{name}: expected {want} value(s), found {have}",
                                  path)


def _check_rotations(named: dict, n_frames: int, size: int, e: str, path) -> None:
    """Check ezc3d's ROTATION group: the data its USED, RATIO and DATA_START imply fit."""
    def number(name: str) -> float:
        v = named.get(("ROTATION", name))
        return (_first_float(v[0], v[2], e) or 0.0) if v else 0.0

    used, ratio, block = number("USED"), number("RATIO"), number("DATA_START")
    need = (block - 1) * 512 + used * ratio * n_frames * 16 * 4  # 4x4 floats each
    if not (0 <= ratio <= 100 and used >= 0 and (not used or (block >= 1 and need <= size))):
        raise FormatError(f"ROTATION: expected RATIO 0-100 and the rotations within the file, "
                          f"found USED {used:g}, RATIO {ratio:g}, DATA_START {block:g} in a "
                          f"file of {size} bytes", path)


def _first_float(typ: int, raw: bytes, e: str) -> float | None:
    if typ == 4 and len(raw) >= 4:
        return struct.unpack_from(e + "f", raw)[0]
    if typ == 2 and len(raw) >= 2:
        return float(struct.unpack_from(e + "h", raw)[0])
    return None


# --- reading through ezc3d ---------------------------------------------------------------


def _is_gzip(path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _load(path, data: bytes, layout: C3dLayout, gzipped: bool):
    """Parse the (checked) file with ezc3d; a gzip file through a temporary copy."""
    import ezc3d  # deferred: only C3D files need it

    tmp = None
    try:
        if gzipped:
            fd, tmp = tempfile.mkstemp(suffix=".c3d")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        return ezc3d.c3d(str(tmp or path))
    except (RuntimeError, OSError, ValueError, IndexError, MemoryError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise FormatError(f"expected a valid C3D file, ezc3d found an error ({msg})", path) \
            from None
    finally:
        if tmp is not None:
            os.unlink(tmp)


def _value(p, group: str, name: str):
    try:
        return p[group][name]["value"]
    except KeyError:
        return None


def _strings(p, group: str, name: str) -> list[str]:
    """Return a string parameter and its continuations (``LABELS2``...), stripped."""
    out, k = [], 1
    while (v := _value(p, group, name if k == 1 else f"{name}{k}")) is not None:
        out += [str(s).strip() for s in v]
        k += 1
    return out


def _at(values: list[str], i: int) -> str:
    return values[i] if i < len(values) else ""


def _rate(p, layout: C3dLayout, path) -> float:
    """``ANALOG:RATE``, checked against the frame rate times the samples per frame."""
    v = _value(p, "ANALOG", "RATE")
    if v is None or len(v) == 0:
        raise FormatError("expected an ANALOG:RATE parameter, found none", path)
    fs_hz = check_fs_range(float(v[0]), path, "ANALOG:RATE")
    frame_hz = layout.frame_rate_hz
    if frame_hz is None:  # DEC floats: the value ezc3d decoded
        frame_hz = float(_value(p, "POINT", "RATE")[0])
        layout.frame_rate_hz = frame_hz
    check_fs_range(frame_hz, path, "frame rate")
    if not np.isclose(fs_hz, frame_hz * layout.analog_per_frame, rtol=1e-6):
        raise FormatError(f"expected ANALOG:RATE = frame rate x analog samples per frame "
                          f"({frame_hz:g} x {layout.analog_per_frame}), found {fs_hz:g} Hz",
                          path)
    return fs_hz


def _pick_channels(labels, descriptions, channels, path) -> list[int]:
    """0-based analog channels named by ``channels``, else those that say EMG."""
    shown = ", ".join(f"{i + 1} {lab!r}" for i, lab in enumerate(labels)) or "none"
    if channels is None:
        picked = [i for i, lab in enumerate(labels)
                  if "EMG" in lab.upper() or "EMG" in _at(descriptions, i).upper()]
        if not picked:
            raise FormatError(f"expected analog channels labelled or described as EMG, found "
                              f"none; channels: {shown}; name them with --analog", path)
        return picked
    picked = []
    for ch in channels:
        if isinstance(ch, str) and ch.strip() in labels:
            picked.append(labels.index(ch.strip()))
        elif str(ch).strip().isdigit() and 1 <= int(ch) <= len(labels):
            picked.append(int(ch) - 1)
        else:
            raise FormatError(f"expected an analog channel label or number 1-{len(labels)}, "
                              f"found {ch!r}; channels: {shown}", path)
    if len(set(picked)) != len(picked):
        raise FormatError(f"expected each channel once, found {list(channels)!r}", path)
    return picked


def _events(p, t_first: float, fs_hz: float, n: int, path) -> Events:
    """``EVENT:TIMES/CONTEXTS/LABELS`` as ``marker`` events (``Left Foot Strike``)."""
    times = _value(p, "EVENT", "TIMES")
    if times is None or np.size(times) == 0:
        return Events()
    t = np.asarray(times, dtype=np.float64).reshape(2, -1)
    seconds = 60.0 * t[0] + t[1]
    labels, contexts = _strings(p, "EVENT", "LABELS"), _strings(p, "EVENT", "CONTEXTS")
    names = [f"{_at(contexts, i)} {_at(labels, i)}".strip() for i in range(seconds.size)]
    at = np.round((seconds - t_first) * fs_hz)
    inside = np.isfinite(at) & (at >= 0) & (at < n)
    if not inside.all():
        log.warning("%s: %d event(s) outside the recording left out", path,
                    int((~inside).sum()))
    order = np.argsort(at[inside], kind="stable")
    keep = np.nonzero(inside)[0][order]
    return Events(at[keep].astype(np.int64), ["marker"] * keep.size,
                  [names[i] for i in keep], seconds[keep])
