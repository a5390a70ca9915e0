"""An LSL EMG stream as a source: ``emgkit record --board lsl --lsl-stream NAME``.

Any Lab Streaming Layer stream with a regular rate (an amplifier's LSL app, another
emgkit's ``--lsl-out``, OpenBCI GUI's LSL widget) is recorded through the same recorder,
protocols and viewer as a board. Values are taken as microvolts unless the stream's
``desc/channels/channel/unit`` says volts or millivolts. LSL moves samples over TCP, so
none are lost in transit: the packet counter is a running count (no gaps).

Clocks: the inlet measures LSL's clock offset (``time_correction``: add it to the
sender's time stamps to get this machine's LSL time) when it starts and every
``offset_interval_s``; :attr:`LslSource.clock_offsets` keeps them, and the
:class:`~acquisition.recorder.Recorder` (``emgkit record``, ``emgkit view --live --out``)
stores them as ``note`` events labelled ``lsl_clock_offset_s`` (value: the offset in
seconds) in the trial being recorded. Block time stamps are the sender's time stamps
corrected to this machine's clock, as Unix time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from acquisition.sources.base import Block, Source, SourceInfo, empty_block, select_channels
from emgkit.errors import AcquisitionError, ConfigError

#: Stream units -> microvolts.
UNIT_TO_UV = {"microvolts": 1.0, "microvolt": 1.0, "uv": 1.0, "µv": 1.0, "millivolts": 1e3,
              "millivolt": 1e3, "mv": 1e3, "volts": 1e6, "volt": 1e6, "v": 1e6}


class LslSource(Source):
    """Records an LSL stream found by name.

    Parameters
    ----------
    stream_name : str
        The stream's ``name`` (as LabRecorder lists it).
    channels : sequence of int, optional
        1-based stream channels to deliver, in order (the montage's inputs); all if None.
    resolve_timeout_s : float
        How long to look for the stream.
    stall_timeout_s : float
        :meth:`read` raises :class:`AcquisitionError` after this long without a sample.
    offset_interval_s : float
        How often the clock offset is measured again.
    """

    def __init__(self, stream_name: str, channels: Sequence[int] | None = None, *,
                 resolve_timeout_s: float = 10.0, stall_timeout_s: float = 3.0,
                 offset_interval_s: float = 5.0):
        from acquisition.lsl import import_pylsl

        self._pylsl = pylsl = import_pylsl()
        found = pylsl.resolve_byprop("name", stream_name, 1, float(resolve_timeout_s))
        if not found:
            raise AcquisitionError(f"no LSL stream named {stream_name!r} was found within "
                                   f"{resolve_timeout_s:g} s")
        self.stream_name = stream_name
        self._inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=False)
        full = self._inlet.info(float(resolve_timeout_s))
        fs = full.nominal_srate()
        if not fs > 0:
            raise ConfigError(f"LSL stream {stream_name!r} has an irregular rate; an EMG "
                              "stream needs a nominal sampling rate")
        n = full.channel_count()
        chans = select_channels(channels, n, "lsl")
        self._cols = [c - 1 for c in chans]
        unit = full.desc().child("channels").child("channel").child_value("unit")
        self.scale = UNIT_TO_UV.get(unit.strip().lower(), 1.0) if unit else 1.0
        self.info = SourceInfo(board="lsl", fs_hz=float(fs), channels=chans,
                               n_board_channels=n, has_accel=False,
                               address=f"LSL stream {stream_name!r} ({full.hostname()})")
        self.stall_timeout_s = float(stall_timeout_s)
        self.offset_interval_s = float(offset_interval_s)
        #: (local LSL time, offset in s) measurements of the sender's clock offset.
        self.clock_offsets: list[tuple[float, float]] = []
        self._offset = 0.0
        self._next_offset = 0.0
        self._count = 0
        self._streaming = False
        self._last_data = 0.0
        self._unix_minus_lsl = time.time() - pylsl.local_clock()

    def start(self) -> None:
        """Subscribe to the stream and measure the clock offset."""
        if self._streaming:
            return
        try:
            self._inlet.open_stream(10.0)
        except Exception as e:
            raise AcquisitionError(f"opening {self.info.address} failed: {e}") from None
        self._measure_offset()
        self._streaming = True
        self._last_data = time.monotonic()

    def _measure_offset(self) -> None:
        try:
            self._offset = float(self._inlet.time_correction(2.0))
        except Exception:  # a lost stream shows in read(); keep the last offset
            return
        now = self._pylsl.local_clock()
        self.clock_offsets.append((now, self._offset))
        self._next_offset = time.monotonic() + self.offset_interval_s

    def read(self, timeout_s: float = 0.1) -> Block | None:
        """Return the samples received since the last call (waits up to ``timeout_s``)."""
        if not self._streaming:
            raise AcquisitionError("lsl: read() before start()")
        if time.monotonic() >= self._next_offset:
            self._measure_offset()
        try:
            data, ts = self._inlet.pull_chunk(timeout=float(timeout_s), max_samples=8192)
        except self._pylsl.util.LostError:
            raise AcquisitionError(f"{self.info.address} was lost (the sender stopped)") from None
        now = time.monotonic()
        if not ts:
            if now - self._last_data > self.stall_timeout_s:
                raise AcquisitionError(f"{self.info.address} sent no data for "
                                       f"{now - self._last_data:.1f} s")
            return empty_block(len(self._cols), False)
        self._last_data = now
        x = np.asarray(data, dtype=np.float64)[:, self._cols] * self.scale
        n = x.shape[0]
        counter = (self._count + np.arange(n)) % 256
        self._count += n
        unix = np.asarray(ts, np.float64) + self._offset + self._unix_minus_lsl
        return Block(x.astype(np.float32), counter.astype(np.int64), unix, None, np.zeros(n))

    def stop(self) -> None:
        """Unsubscribe."""
        if self._streaming:
            self._streaming = False
            try:
                self._inlet.close_stream()
            except Exception:  # the stream may be gone already
                pass

    def close(self) -> None:
        """Stop; the inlet is freed with the object."""
        self.stop()
