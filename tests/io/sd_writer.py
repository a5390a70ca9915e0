"""The Cyton firmware's SD-card writer, modelled for tests: files as the board writes them.

Written from ``examples/DefaultBoard/SD_Card_Stuff.ino`` of OpenBCI/OpenBCI_Cyton_Library
at tags v3.1.2 and v3.1.5 (see ``tests/io/test_sdcard.py`` for what the tests check and
``emgkit/io/readers/sdcard.py`` for the format).
"""

from __future__ import annotations

import numpy as np

BLOCK = 512


class FirmwareSD:
    """The firmware's SD writer, for one ``OBCI_xx.TXT`` file of ``block_count`` blocks."""

    def __init__(self, version="3.1.5", block_count=64, fs_hz=250, erased=0x00):
        self.version, self.block_count, self.fs_hz, self.erased = (
            version, block_count, fs_hz, erased)
        self.cache = bytearray(BLOCK)
        self.byte_counter = 0
        self.blocks: list[bytes] = []
        self.open = True
        self.pos = 0  # bytes of lines and stamps written so far (the footer excluded)
        self.data_blocks = 0  # blocks holding lines, before the footer's
        self.in_footer = False
        self.lines: list[tuple[int, int, int]] = []  # per sample: start, EXG end, end

    def _put(self, byte: int) -> None:
        self.cache[self.byte_counter] = byte
        self.byte_counter += 1
        if not self.in_footer:
            self.pos += 1
        if self.byte_counter == BLOCK:
            self._write_cache()

    def _hex(self, value: int, num_nibbles: int, comma: bool) -> None:
        """``convertToHex``: ``num_nibbles + 1`` upper-case digits, then ``,`` or ``\\n``."""
        for nib in range(num_nibbles, -1, -1):
            d = (value >> (nib * 4)) & 0xF
            self._put(d + (55 if d > 9 else 48))
        self._put(ord(",") if comma else ord("\n"))

    def _write_cache(self) -> None:
        """``writeCache``: write the block; the footer when one block is left."""
        if not self.open:
            self.byte_counter = 0
            return
        self.blocks.append(bytes(self.cache))
        if not self.in_footer:
            self.data_blocks += 1
        self.byte_counter = 0
        if len(self.blocks) == self.block_count - 1:
            self._footer()
        if len(self.blocks) == self.block_count:
            self.open = False

    def _footer(self) -> None:
        self.in_footer = True
        text = []
        if self.version == "3.1.5":
            text.append((b"\n%SamplingFreq:\n", self.fs_hz, 4))
            text.append((b"%Total time mS:\n\x00", 123456, 7))
        else:
            text.append((b"\n%Total time mS:\n", 123456, 7))
        text += [(b"%min Write time uS:\n", 900, 7), (b"%max Write time uS:\n", 2100, 7),
                 (b"%Over:\n", 1, 7), (b"%block, uS\n", None, 0)]
        for label, value, nibbles in text:
            for b in label:
                self.cache[self.byte_counter] = b
                self.byte_counter += 1
            if value is not None:
                self._hex(value, nibbles, False)
        self._hex(17, 7, True)  # one overrun: block, micros
        self._hex(2100, 7, False)
        for i in range(self.byte_counter, BLOCK):
            self.cache[i] = 0
        self._write_cache()
        self.in_footer = False  # the rest of the cut line goes into the cache, never written

    def sample(self, counter: int, board_counts, daisy_counts=None, extra=None) -> None:
        """``writeDataToSDcard``: one line; ``extra`` is 3 accelerometer or aux values."""
        if not self.open:
            return
        start = self.pos
        n_ch = 8 if daisy_counts is None else 16
        daisy_counts = [] if daisy_counts is None else daisy_counts
        values = [int(v) for v in board_counts] + [int(v) for v in daisy_counts if n_ch == 16]
        self._hex(counter, 1, True)
        for k, v in enumerate(values):
            self._hex(v, 5, k < n_ch - 1 or extra is not None)
        exg_end = self.pos - 1
        if extra is not None:
            for k, v in enumerate(extra):
                self._hex(int(v), 3, k < 2)
        self.lines.append((start, exg_end, self.pos - 1))

    def stamp(self, activate: bool, ms: int) -> None:
        """``stampSD``: ``s`` writes ``%START AT``, ``b`` writes ``%STOP AT``, then millis."""
        if not self.open:
            return
        for b in b"%START AT\n" if activate else b"%STOP AT\n":
            self._put(b)
        self._hex(ms, 7, False)

    def close(self) -> None:
        """``closeSDfile`` (command ``j``): the partial block is not written."""
        self.open = False

    def file(self) -> bytes:
        """The file as the card holds it: written blocks, then erased space."""
        data = b"".join(self.blocks)
        return data + bytes([self.erased]) * (self.block_count * BLOCK - len(data))

    def kept(self) -> tuple[np.ndarray, np.ndarray]:
        """Which samples' EXG values, and which samples' extra values, reached the card."""
        end = self.data_blocks * BLOCK
        exg = np.array([e <= end for _, e, _ in self.lines])
        full = np.array([f <= end for _, _, f in self.lines])
        return exg, full


def record(n, n_ch=8, accel=True, aux=False, seed=0, skip=(), **kw):
    """Record ``n`` samples as the firmware does; returns the writer and what it wrote.

    The accelerometer has a new reading every 10th sample (25 Hz at 250 Hz); with
    ``aux`` every line has aux values. ``skip`` lists samples not written (lost).
    """
    rng = np.random.default_rng(seed)
    counts = rng.integers(-2**23, 2**23, (n, n_ch))
    counts[0, :2] = -2**23, 2**23 - 1  # the extremes
    extra = rng.integers(-2**15, 2**15, (n, 3))
    extra[0] = -2**15, 2**15 - 1, 0
    has_extra = np.full(n, aux) if aux else (np.arange(n) % 10 == 0) & accel
    w = FirmwareSD(**kw)
    w.stamp(False, 1000)  # 'b': streaming starts (the firmware writes %STOP AT)
    written = [i for i in range(n) if i not in set(skip)]
    for i in written:
        w.sample(i % 256, counts[i, :8], counts[i, 8:] if n_ch == 16 else None,
                 extra[i] if has_extra[i] else None)
    return w, counts[written], extra[written], has_extra[written], np.array(written)
