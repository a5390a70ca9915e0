r"""Reader for the text files a Cyton board writes to its own micro-SD card (``OBCI_xx.TXT``).

The format is defined by the firmware's writer, ``examples/DefaultBoard/SD_Card_Stuff.ino``
of OpenBCI/OpenBCI_Cyton_Library (read at tags v3.1.2 and v3.1.5; v2.0.0-v3.1.2 write
the same lines, v3.1.4 added the ``%SamplingFreq`` footer), and by what the OpenBCI
GUI's converters accept (``convertSDFile`` in ``DataLogging.pde`` at GUI v2.0.0-v4.2.0,
``DataSourceSDCard.pde`` at v5.0.0-v6.0.0-beta.1):

* one line a sample, ``\n`` ends, fields joined by commas, upper-case hex
  (``convertToHex``): the 8-bit sample counter (2 digits), 8 channels (16 with a Daisy,
  board channels first) as 24-bit two's complement counts (6 digits), then on some
  lines three 16-bit two's complement values (4 digits): the accelerometer on the lines
  where it has a new reading (25 Hz), or the aux values on every line when the
  accelerometer is off;
* ``%STOP AT`` / ``%START AT`` then the board's ``millis()`` (8 digits) when streaming
  is started (``b``) / stopped (``s``) -- the firmware has the two names swapped;
* a footer when the file's preallocated size is reached: (v3.1.4+) ``%SamplingFreq:``
  and the rate (5 digits), ``%Total time mS:``, ``%min Write time uS:``, ``%max Write
  time uS:``, ``%Over:`` (each followed by 8 digits), ``%block, uS`` and
  ``block,micros`` pairs; NUL bytes inside and after it;
* the rest of the preallocated file is erased space (NUL or 0xFF bytes). A recording
  stopped or powered off before the end stops at a 512-byte block, usually inside a
  line; the footer also cuts the line it interrupts. That last line is dropped (or its
  partial aux values are) with a warning, as the GUI skips it.

Counts become microvolts once: ``4.5 V / gain / (2**23 - 1) * 1e6`` per count (the
GUI's ``scale_fac_uVolts_per_count``), the accelerometer ``0.002 / 16`` g per count
(``accelScale``). See ``docs/formats.md``.
"""

from __future__ import annotations

import itertools
import logging
import re
from os import PathLike
from pathlib import Path

import numpy as np

from emgkit.errors import FormatError
from emgkit.io.hashing import sha256_file
from emgkit.io.readers._common import GZIP_MAGIC, check_fs_range, gap_events, load_bytes
from emgkit.io.readers.base import Recording
from emgkit.model.boards import ads1299_uv_per_count
from emgkit.model.session import Events

log = logging.getLogger("emgkit")

FORMAT = "openbci-sd"
#: Gains the ADS1299 can be set to.
ADS1299_GAINS: tuple[int, ...] = (1, 2, 4, 6, 8, 12, 24)
#: The firmware's rate when the file does not state one (``curSampleRate = SAMPLE_RATE_250``).
DEFAULT_FS_HZ = 250.0
#: g per accelerometer count (LIS3DH at +-4 g, 12 bits left-justified in 16).
ACCEL_G_PER_COUNT = 0.002 / 16
#: Boards whose SD files this reader reads, by channel count.
SD_BOARDS = {"cyton": 8, "cyton-daisy": 16, "cyton-wifi": 8, "cyton-daisy-wifi": 16}

_PADDING = b"\x00\xff"  # erased SD space and the footer block's fill
_CHUNK = 1 << 20
_FOOTER = re.compile(rb"%SamplingFreq:|%Total time mS:")
_BINARY = re.compile(rb"[\x00\x80-\xff]")
_STAMP = {"%STOP AT": "STOP AT", "%START AT": "START AT"}
_HEX_VALUE = re.compile(r"[0-9A-F]{1,8}")
_AUX_LEN = 15  # ",HHHH,HHHH,HHHH"
_DIGITS = "0123456789ABCDEF"
_LUT = np.full(256, 255, dtype=np.uint8)
_LUT[np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)


def is_sdcard(head: bytes) -> bool:
    """Whether a file's first bytes are a Cyton SD-card file.

    True if, after any ``%START AT``/``%STOP AT`` stamps, the first complete lines are
    sample lines exactly as the firmware writes them (2-digit counter, 8 or 16 fields
    of 6 upper-case hex digits, optionally 3 of 4) with counters that step by one.
    """
    lines = _head_samples(head)
    counters = []
    for k, (_, ln) in enumerate(lines):
        m = _full_line_pattern(ln.count(","))
        if m is None or not m.fullmatch(ln):
            if counters and k == len(lines) - 1:
                break  # the line a footer cut
            return False
        counters.append(int(ln[:2], 16))
    return bool(counters) and all((b - a) % 256 == 1 for a, b in itertools.pairwise(counters))


def _head_samples(head: bytes, max_lines: int = 16) -> list[tuple[int, str]]:
    """Return ``(line number, line)`` of the first lines of ``head`` that are not stamps.

    Skipped: ``%`` lines, the lone hex number after one, blank lines; the last line of
    ``head`` if it may be cut by the head's length.
    """
    lines = head[:4096].decode("latin-1").replace("\r\n", "\n").split("\n")
    if len(lines) > 1:
        lines = lines[:-1]
    out = []
    for i, ln in enumerate(lines):
        if not ln or ln.startswith("%") or (not out and _HEX_VALUE.fullmatch(ln)):
            continue
        out.append((i + 1, ln))
        if len(out) == max_lines:
            break
    return out


def _full_line_pattern(n_commas: int) -> re.Pattern | None:
    """Return the pattern of a complete sample line with ``n_commas`` commas, or None."""
    n_aux = 3 if n_commas in (11, 19) else 0
    n_ch = n_commas - n_aux
    if n_ch not in (8, 16):
        return None
    return re.compile(r"[0-9A-F]{2}" + r",[0-9A-F]{6}" * n_ch + r",[0-9A-F]{4}" * n_aux)


def read_sdcard(
    path: str | PathLike, board: str | None = None, fs_hz: float | None = None,
    gain: float | None = None,
) -> Recording:
    """Read a Cyton SD-card file (``OBCI_xx.TXT``; gzip allowed).

    The erased space after the recording is not read into memory (an ``OBCI`` file is
    preallocated to the size chosen when recording began, up to 24 h).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    board : str, optional
        ``cyton`` or ``cyton-daisy`` (also ``cyton-wifi``, ``cyton-daisy-wifi``);
        detected from the channel count if None.
    fs_hz : float, optional
        Sampling rate in Hz; if None, the file's ``%SamplingFreq`` footer, else the
        firmware default of 250 Hz (with a warning).
    gain : float, optional
        The ADS1299 gain the channels were set to (1, 2, 4, 6, 8, 12 or 24; default 24).

    Returns
    -------
    Recording
        EXG microvolts, accelerometer (g) if recorded, the 0-255 sample counter, ``gap``
        events from it and ``note`` events for the firmware's stamps.

    Raises
    ------
    FormatError
        If the file is missing or malformed, or a parameter is out of range; the
        message names the line.
    """
    data, sha = _load_recorded(path)
    return parse_sdcard(data, path, sha, board=board, fs_hz=fs_hz, gain=gain)


def _load_recorded(path: str | PathLike) -> tuple[bytes, str]:
    """Return a file's content up to its erased space (whole if gzip), and its sha256."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            if f.read(2) == GZIP_MAGIC:
                return load_bytes(path)
            f.seek(0)
            parts = []
            while chunk := f.read(_CHUNK):
                if not chunk.strip(_PADDING):
                    break  # a whole chunk of erased space: the recording ended before it
                parts.append(chunk)
    except OSError:
        return load_bytes(path)  # its one-line error for a missing or unreadable file
    return b"".join(parts), sha256_file(p)


def parse_sdcard(
    data: bytes, path: str | PathLike, sha256: str, board: str | None = None,
    fs_hz: float | None = None, gain: float | None = None,
) -> Recording:
    """Parse the (decompressed) bytes of a Cyton SD-card file; see :func:`read_sdcard`."""
    gain = _check_gain(gain, path)
    if fs_hz is not None:
        fs_hz = check_fs_range(fs_hz, path, "fs_hz")
    if board is not None and board not in SD_BOARDS:
        shown = ", ".join(SD_BOARDS)
        raise FormatError(f"board: expected one of {shown} for an SD-card file, found "
                          f"{board!r}", path)
    content = data.rstrip(_PADDING)
    if not content:
        found = "an empty file" if not data else "only erased space (NUL/0xFF bytes)"
        raise FormatError(f"expected Cyton SD-card lines (hex sample counter and channels), "
                          f"found {found}", path)
    m = _FOOTER.search(content)
    body = content[:m.start()] if m else content
    footer_rate = _footer_rate(content[m.start():], body.count(b"\n") + 1, path) if m else None
    first = _head_samples(body[:4096] + b"\n", 1)  # refuse another format before splitting
    pattern = _full_line_pattern(first[0][1].count(",")) if first else None
    if pattern is None or not pattern.fullmatch(first[0][1]):
        where, found = (f"line {first[0][0]}: ", repr(first[0][1][:40])) if first else (
            "", "the end of the file")
        raise FormatError(f"{where}expected Cyton SD-card lines (a 2-digit hex sample counter, "
                          f"8 or 16 channels of 6 hex digits), found {found}", path)
    if not body.isascii() or b"\x00" in body:
        i = _BINARY.search(body).start()
        line_no = body.count(b"\n", 0, i) + 1
        raise FormatError(f"line {line_no}: expected hex text, found binary data "
                          f"(byte 0x{body[i]:02X})", path)
    # the last line may be cut: by the end of the written blocks or by the footer
    cut_last = bool(m) or not body.endswith(b"\n")
    lines = body.decode("ascii").replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    data_idx, stamps = _classify(lines)
    n_ch = SD_BOARDS[board] if board else _n_channels(lines[data_idx[0]])
    last_is_cut = cut_last and data_idx[-1] == _last_nonblank(lines)
    counts, counter, aux_at, aux = _parse_samples(lines, data_idx, n_ch, last_is_cut, path)
    n = counter.size
    if board is None:
        board = "cyton" if n_ch == 8 else "cyton-daisy"
    fs = _rate(fs_hz, footer_rate, path)
    uv_per_count = ads1299_uv_per_count(float(gain))
    emg_uv = np.ascontiguousarray(counts.astype(np.float64) * uv_per_count, dtype=np.float32)
    events = _events(counter, stamps, board, fs, path)
    return Recording(
        path=str(path), format=FORMAT, board=board, fs_hz=fs,
        channel_numbers=tuple(range(1, n_ch + 1)), emg_uv=emg_uv,
        channel_labels=("",) * n_ch, accel_g=_accel(aux_at, aux, n, path),
        package_num=counter.astype(np.int16), events=events, gain=float(gain),
        uv_per_count=uv_per_count, full_scale_uv=uv_per_count * (2**23 - 1), sha256=sha256,
    )


def _check_gain(gain, path) -> float:
    """Return the gain (24 if None) or raise FormatError if the ADS1299 has no such gain."""
    if gain is None:
        return 24.0
    try:
        g = float(gain)
    except (TypeError, ValueError):
        g = float("nan")
    if g not in ADS1299_GAINS:
        shown = ", ".join(str(x) for x in ADS1299_GAINS)
        raise FormatError(f"gain: expected one of the ADS1299 gains {shown}, found {gain!r}",
                          path)
    return g


def _footer_rate(footer: bytes, first_line: int, path) -> float | None:
    """Return the rate of a ``%SamplingFreq:`` footer (firmware v3.1.4+), or None if absent."""
    lines = footer.replace(b"\x00", b"").decode("latin-1").replace("\r\n", "\n").split("\n")
    for i, ln in enumerate(lines[:-1]):
        if ln.strip() == "%SamplingFreq:":
            value = lines[i + 1].strip()
            if not _HEX_VALUE.fullmatch(value):
                raise FormatError(f"line {first_line + i + 1}: expected the sampling rate in "
                                  f"hex after '%SamplingFreq:', found {value[:40]!r}", path)
            return check_fs_range(int(value, 16), path, "%SamplingFreq footer")
    return None


def _classify(lines: list[str]) -> tuple[list[int], list[tuple[int, str, float]]]:
    """Split lines into sample lines and stamps ``(n samples before, name, board ms)``.

    A ``%`` line followed by a lone hex number is a label and its value (the GUI also
    reads the line after a ``%`` line as a value); blank lines are skipped.
    """
    data_idx: list[int] = []
    stamps: list[tuple[int, str, float]] = []
    skip = -1
    for i, ln in enumerate(lines):
        if i == skip or not ln or (ln[0] != "%" and not ln.strip()):
            continue
        if ln[0] != "%":
            data_idx.append(i)
            continue
        label = ln.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        ms = float("nan")
        if _HEX_VALUE.fullmatch(nxt):
            ms, skip = float(int(nxt, 16)), i + 1
        if label in _STAMP:
            stamps.append((len(data_idx), _STAMP[label], ms))
        else:
            log.warning("line %d: %r is not a line the Cyton firmware writes; skipped", i + 1,
                        label[:40])
    return data_idx, stamps


def _last_nonblank(lines: list[str]) -> int:
    return next(i for i in range(len(lines) - 1, -1, -1) if lines[i].strip())


def _n_channels(line: str) -> int:
    """8 or 16 channels from a sample line's comma count (8 or 11, 16 or 19)."""
    return 16 if line.count(",") >= 16 else 8


def _template(n_ch: int) -> str:
    """Return a sample line with aux values, ``H`` standing for a hex digit."""
    return "HH" + ",HHHHHH" * n_ch + ",HHHH" * 3


def _expected(n_ch: int) -> str:
    return (f"expected a 2-digit hex sample counter and {n_ch} channels of 6 hex digits "
            "(and optionally 3 values of 4)")


def _parse_samples(lines, data_idx, n_ch, last_is_cut, path):
    """Validate and decode the sample lines.

    Returns counts ``(n, n_ch)`` int64, counter ``(n,)``, the sample indices with aux
    values and those values ``(m, 3)`` (int16 two's complement).
    """
    base = 2 + 7 * n_ch
    sample = [lines[i] for i in data_idx]
    if last_is_cut and len(sample[-1]) not in (base, base + _AUX_LEN):
        ln = sample[-1]
        t = _template(n_ch)
        if len(ln) < len(t) and all(c in _DIGITS if h == "H" else c == h for c, h in zip(ln, t)):
            what = "its aux values are" if len(ln) > base else "the line is"
            log.warning("%s: line %d is cut short (the board stopped writing inside it: the "
                        "recording was stopped, or the file was full); %s dropped", path,
                        data_idx[-1] + 1, what)
            if len(ln) > base:
                sample[-1] = ln[:base]
            else:
                sample.pop()
                data_idx = data_idx[:-1]
    if not sample:
        raise FormatError("expected complete sample lines, found only a cut one", path)
    lens = np.fromiter(map(len, sample), dtype=np.int64, count=len(sample))
    bad = np.nonzero((lens != base) & (lens != base + _AUX_LEN))[0]
    if bad.size:
        _raise_bad(lines[data_idx[bad[0]]], data_idx[bad[0]] + 1, n_ch, path)
    buf = np.frombuffer("".join(s[:base] for s in sample).encode("ascii"),
                        dtype=np.uint8).reshape(-1, base)
    nib = _decode(buf, [2 + 7 * k for k in range(n_ch)], lines, data_idx, n_ch, path)
    counter = nib[:, 0] * 16 + nib[:, 1]
    digits = nib[:, 2:].reshape(-1, n_ch, 6)
    counts = digits @ (16 ** np.arange(5, -1, -1, dtype=np.int64))
    counts -= (counts >= 2**23) * 2**24
    aux_at = np.nonzero(lens == base + _AUX_LEN)[0]
    tail = np.frombuffer("".join(sample[i][base:] for i in aux_at).encode("ascii"),
                         dtype=np.uint8).reshape(-1, _AUX_LEN)
    tnib = _decode(tail, [0, 5, 10], lines, [data_idx[i] for i in aux_at], n_ch, path)
    aux = tnib.reshape(-1, 3, 4) @ (16 ** np.arange(3, -1, -1, dtype=np.int64))
    aux -= (aux >= 2**15) * 2**16
    return counts, counter, aux_at, aux


def _decode(buf, comma_cols, lines, line_idx, n_ch, path) -> np.ndarray:
    """Hex digit values of a ``(n, width)`` byte matrix whose ``comma_cols`` are commas."""
    is_comma = np.zeros(buf.shape[1], dtype=bool)
    is_comma[comma_cols] = True
    nib = _LUT[buf[:, ~is_comma]].astype(np.int64)
    bad = (nib == 255).any(axis=1) | (buf[:, is_comma] != ord(",")).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        _raise_bad(lines[line_idx[i]], line_idx[i] + 1, n_ch, path)
    return nib


def _raise_bad(line: str, line_no: int, n_ch: int, path) -> None:
    """Raise the one-line FormatError for a malformed sample line."""
    fields = line.split(",")
    n_hex = sum(len(f) == 6 and _HEX_VALUE.fullmatch(f) is not None for f in fields[1:])
    raise FormatError(f"line {line_no}: {_expected(n_ch)}, found {len(fields)} fields "
                      f"({n_hex} of 6 hex digits): {line[:60]!r}", path)


def _accel(aux_at: np.ndarray, aux: np.ndarray, n: int, path) -> np.ndarray | None:
    """Accelerometer in g, held between readings, or None (no readings, or aux values)."""
    if aux_at.size == 0:
        return None
    if aux_at.size > n / 2:
        # on every line: the accelerometer was off and these are aux values (analog,
        # digital or marker board modes), whose meaning the file does not say
        log.warning("%s: every sample has 3 aux values (the accelerometer was off); they are "
                    "not read", path)
        return None
    held = np.searchsorted(aux_at, np.arange(n), side="right") - 1
    held[held < 0] = 0  # before the first reading (at most 40 ms at 25 Hz): the first
    return np.ascontiguousarray(aux[held] * ACCEL_G_PER_COUNT, dtype=np.float32)


def _rate(fs_hz: float | None, footer_rate: float | None, path) -> float:
    """Return the rate to use: the caller's, else the footer's, else the default (warned)."""
    if fs_hz is not None:
        if footer_rate is not None and footer_rate != fs_hz:
            log.warning("%s: fs_hz=%g given, but the file's footer says %g Hz; %g Hz used",
                        path, fs_hz, footer_rate, fs_hz)
        return fs_hz
    if footer_rate is not None:
        return footer_rate
    log.warning("%s: the SD file does not state its sampling rate (firmware before v3.1.4, "
                "or a recording stopped before the file was full, writes none); assumed the "
                "firmware default %g Hz. If the board was set to another rate, give it "
                "(emgkit import --fs-hz, or fs_hz=)", path, DEFAULT_FS_HZ)
    return DEFAULT_FS_HZ


def _events(counter, stamps, board, fs_hz, path) -> Events:
    """``gap`` events from the counter, per stretch of streaming, and stamp ``note`` events.

    The counter restarts at 0 when streaming restarts (``startADS``), so gaps are found
    within each stretch; a pause measured by the stamps' board times is a gap too.
    """
    n = counter.size
    cuts = sorted({s for s, name, _ in stamps if name == "STOP AT" and 0 < s < n})
    samples, kinds, labels, values = [], [], [], []
    for lo, hi in zip([0, *cuts], [*cuts, n]):
        g = gap_events(counter[lo:hi], board, path)
        samples += list(g.sample + lo)
        kinds += list(g.kind)
        labels += list(g.label)
        values += list(g.value)
    stopped = float("nan")
    for s, name, ms in stamps:
        at = min(s, n - 1)
        samples.append(at)
        kinds.append("note")
        labels.append(f"SD card stamp {name}" + ("" if np.isnan(ms) else f" {ms:.0f} ms"))
        values.append(ms)
        if name == "START AT":  # written when streaming stops
            stopped = ms
        elif s in cuts and not np.isnan(stopped) and not np.isnan(ms):
            missing = round((ms - stopped) / 1000.0 * fs_hz)
            if missing >= 1:
                samples.append(at)
                kinds.append("gap")
                labels.append("streaming paused")
                values.append(float(missing))
    order = np.argsort(np.asarray(samples, dtype=np.int64), kind="stable")
    pick = [list(np.asarray(x, dtype=object)[order]) for x in (samples, kinds, labels)]
    return Events(np.asarray(pick[0], dtype=np.int64), pick[1], pick[2],
                  np.asarray(values, dtype=np.float64)[order])
