"""A small XDF writer for the tests, following the XDF 1.0 chunk format.

From the specification in the ``sccn/xdf`` wiki ("Specifications"): the magic ``XDF:``,
then chunks ``[NumLengthBytes: 1|4|8][Length: uint of that size][Tag: uint16][Content]``
where Length counts the tag and the content. Tags: 1 FileHeader (XML), 2 StreamHeader
(uint32 stream id + XML ``<info>``), 3 Samples (stream id, a variable-length sample count,
then each sample: a time-stamp byte 0 or 8, the double time stamp if 8, the values
little-endian; a string value is a variable-length byte count and the bytes), 4
ClockOffset (stream id, double collection time, double offset value), 5 Boundary (16
bytes), 6 StreamFooter (stream id + XML). LabRecorder writes them in this order: file
header, stream headers, then samples and clock offsets interleaved, footers last.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

BOUNDARY = bytes.fromhex("43A5467DC9E54B4A9A4C6E0D7A6B7B2F")  # any 16 bytes will do here
_DTYPE = {"float32": "<f4", "double64": "<f8", "int8": "<i1", "int16": "<i2",
          "int32": "<i4", "int64": "<i8"}


def varlen(n: int) -> bytes:
    """An XDF variable-length unsigned integer."""
    if n < 256:
        return b"\x01" + struct.pack("<B", n)
    if n < 2 ** 32:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def chunk(tag: int, content: bytes) -> bytes:
    """One chunk: length (of tag + content), tag, content."""
    body = struct.pack("<H", tag) + content
    return varlen(len(body)) + body


@dataclass
class Stream:
    """One LSL stream to write: its header fields, samples and clock offsets."""

    stream_id: int
    name: str
    type: str
    channel_format: str
    nominal_srate: float
    time_stamps: np.ndarray
    values: object  # (n, n_channels) numbers, or a list of lists of str
    labels: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    clock_offsets: list[tuple[float, float]] = field(default_factory=list)

    @property
    def n_channels(self) -> int:
        if self.channel_format == "string":
            return len(self.values[0]) if len(self.values) else 1
        return int(np.asarray(self.values).shape[1])


def info_xml(s: Stream) -> bytes:
    """The StreamHeader ``<info>`` XML, as liblsl writes it, with desc/channels."""
    chans = "".join(
        "<channel>" + f"<label>{escape(lab)}</label>"
        + (f"<unit>{escape(s.units[i])}</unit>" if s.units else "")
        + f"<type>{escape(s.type)}</type></channel>"
        for i, lab in enumerate(s.labels))
    desc = f"<desc><channels>{chans}</channels></desc>" if s.labels else "<desc />"
    return (
        '<?xml version="1.0"?><info>'
        f"<name>{escape(s.name)}</name><type>{escape(s.type)}</type>"
        f"<channel_count>{s.n_channels}</channel_count>"
        f"<nominal_srate>{s.nominal_srate!r}</nominal_srate>"
        f"<channel_format>{s.channel_format}</channel_format>"
        f"<source_id>{s.name}-src</source_id><version>1.1000000000000001</version>"
        "<created_at>100.0</created_at><uid>0000-test</uid><session_id>default</session_id>"
        f"<hostname>testhost</hostname>{desc}</info>"
    ).encode()


def samples_chunk(s: Stream, start: int, stop: int, stamp_every: int = 1) -> bytes:
    """A Samples chunk of samples ``start:stop``; only every ``stamp_every``-th is stamped."""
    out = [struct.pack("<I", s.stream_id), varlen(stop - start)]
    numeric = s.channel_format != "string"
    arr = np.asarray(s.values, dtype=_DTYPE[s.channel_format]) if numeric else None
    for k in range(start, stop):
        if (k - start) % stamp_every == 0:
            out.append(b"\x08" + struct.pack("<d", float(s.time_stamps[k])))
        else:
            out.append(b"\x00")  # the reader deduces it: previous + 1 / nominal_srate
        if numeric:
            out.append(arr[k].tobytes())
        else:
            for v in s.values[k]:
                b = v.encode("utf-8")
                out.append(varlen(len(b)) + b)
    return chunk(3, b"".join(out))


def footer_xml(s: Stream) -> bytes:
    ts = np.asarray(s.time_stamps)
    offsets = "".join(f"<offset><time>{t!r}</time><value>{v!r}</value></offset>"
                      for t, v in s.clock_offsets)
    first = float(ts[0]) if ts.size else 0.0
    last = float(ts[-1]) if ts.size else 0.0
    return (f'<?xml version="1.0"?><info><first_timestamp>{first!r}</first_timestamp>'
            f"<last_timestamp>{last!r}</last_timestamp><sample_count>{ts.size}</sample_count>"
            f"<clock_offsets>{offsets}</clock_offsets></info>").encode()


def xdf_bytes(streams: list[Stream], chunk_samples: int = 500, footers: bool = True,
              stamp_every: int = 1) -> bytes:
    """A whole XDF file: file header, stream headers, interleaved samples and offsets.

    Only every ``stamp_every``-th sample of a chunk carries its time stamp (LabRecorder
    stamps every sample; liblsl may leave out stamps it can deduce).
    """
    out = [b"XDF:", chunk(1, b'<?xml version="1.0"?><info><version>1.0</version>'
                             b"<datetime>2024-05-01T10:00:00+0000</datetime></info>")]
    for s in streams:
        out.append(chunk(2, struct.pack("<I", s.stream_id) + info_xml(s)))
    out.append(chunk(5, BOUNDARY))
    pending = {s.stream_id: 0 for s in streams}
    offsets = {s.stream_id: list(s.clock_offsets) for s in streams}
    while any(pending[s.stream_id] < len(s.time_stamps) or offsets[s.stream_id]
              for s in streams):
        for s in streams:
            k = pending[s.stream_id]
            if k < len(s.time_stamps):
                stop = min(k + chunk_samples, len(s.time_stamps))
                out.append(samples_chunk(s, k, stop, stamp_every))
                pending[s.stream_id] = stop
            if offsets[s.stream_id]:
                t, v = offsets[s.stream_id].pop(0)
                out.append(chunk(4, struct.pack("<Idd", s.stream_id, t, v)))
    if footers:
        for s in streams:
            out.append(chunk(6, struct.pack("<I", s.stream_id) + footer_xml(s)))
    return b"".join(out)
