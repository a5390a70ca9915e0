"""The recorder: acquisition thread -> bounded queue -> writer thread -> HDF5 session.

Guarantees (see ``docs/acquisition.md``):

- Acquisition never waits on disk: the acquisition thread only reads the source and puts
  blocks into a bounded queue. If the queue is full the recorder fails loudly (the trial
  is closed incomplete with a message), it never drops blocks silently.
- The writer thread appends every block to the open trial through
  :class:`~emgkit.io.writer.TrialWriter` and flushes at least every ``flush_interval_s``
  (0.5 s by default), so a killed process loses at most that much.
- Packet-counter gaps are found across block boundaries and stored as ``gap`` events
  (sample = first stored sample after the gap, value = missing samples). Samples are not
  filled in: sample indices follow the stored rows (``docs/session-format.md``).
- A trial is marked ``completed`` only when it is closed normally; a disconnect or an
  overflow closes it with ``completed = False`` and a note, keeping every sample so far.
- A full disk closes the trial incomplete while there is room (:mod:`acquisition.diskguard`);
  a write that fails anyway leaves the file as at its last flush, and stops the recorder.
- Memory is flat: nothing grows with the recording's length but the events.

The trial being written, and the results, are in :mod:`acquisition.trials`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from os import PathLike

import numpy as np

from acquisition.diskguard import DiskFullError, DiskGuard, bytes_per_sample, fence, write_error
from acquisition.live import LiveQuality
from acquisition.sources.base import Block, Source
from acquisition.trials import (
    OpenTrial,
    RecorderStatus,
    ScheduledEvent,
    TrialResult,
    merge_blocks,
)
from emgkit.core.packets import (
    GAP_BY_COUNTER,
    GAP_HALF_SAMPLE,
    find_gaps,
    repeated_rows,
    size_gaps,
)
from emgkit.errors import AcquisitionError
from emgkit.io.writer import SessionWriter, utc_now
from emgkit.model.tasks import Task

log = logging.getLogger("emgkit")

__all__ = ["Recorder", "RecorderStatus", "ScheduledEvent", "TrialResult"]


class Recorder:
    """Records trials from a :class:`~acquisition.sources.base.Source` into a session file.

    Parameters
    ----------
    source : Source
        An opened (or openable) source; :meth:`start` starts it and it streams until
        :meth:`close`, so gap detection is continuous across trials.
    session_path : str or os.PathLike
        An existing session file (see :func:`emgkit.io.writer.create_session`).
    queue_blocks : int
        Capacity of the queue between acquisition and writing, in blocks (about 20 ms
        each from BrainFlow sources: 1000 blocks hold 20 s).
    flush_interval_s : float
        The writer flushes the file at least this often (<= 1 s).
    read_timeout_s : float
        How long one source read waits for data.
    on_flush : callable, optional
        ``on_flush(trial_id, n_samples)`` after each flush of a trial (tests, progress).
    batch_s : float
        The writer gathers up to this much data (or waits this long) per HDF5 append.
    disk_reserve_bytes : int, optional
        Free disk space below which the open trial is closed (incomplete) and recording
        stops; a few seconds of data plus 512 KiB if None, 0 for no check
        (:class:`~acquisition.diskguard.DiskGuard`).

    Examples
    --------
    >>> with Recorder(source, "session.h5") as rec:               # doctest: +SKIP
    ...     result = rec.record_trial(Task("rest"), duration_s=5.0)
    """

    def __init__(self, source: Source, session_path: str | PathLike, *, queue_blocks: int = 1000,
                 flush_interval_s: float = 0.5, read_timeout_s: float = 0.05,
                 on_flush: Callable[[str, int], None] | None = None, batch_s: float = 0.1,
                 disk_reserve_bytes: int | None = None):
        if not 0 < flush_interval_s <= 1.0:
            raise ValueError(f"flush_interval_s must be in (0, 1], got {flush_interval_s}")
        self.source = source
        self.info = source.info
        self.path = session_path
        self.flush_interval_s = float(flush_interval_s)
        self.read_timeout_s = float(read_timeout_s)
        self.on_flush = on_flush
        self.batch_s = float(batch_s)
        self._q: queue.Queue = queue.Queue(maxsize=int(queue_blocks))
        self._sw: SessionWriter | None = None
        self._acq: threading.Thread | None = None
        self._wri: threading.Thread | None = None
        self._running = threading.Event()
        self._trial: OpenTrial | None = None
        self._prev_counter: int | None = None
        self._prev_ts: float | None = None
        #: Samples of the board's timeline since the first one received, lost ones included.
        self.stream_samples = 0
        self._guard = DiskGuard(session_path, self.info.fs_hz * bytes_per_sample(
            len(self.info.channels)), disk_reserve_bytes)
        self._last_flush = time.monotonic()
        self.error: AcquisitionError | None = None
        self.quality = LiveQuality(self.info.fs_hz, len(self.info.channels),
                                   self.info.full_scale_uv)
        self._subscribers: list[Callable[[Block], None]] = []
        self.n_blocks = 0
        self.max_queue_blocks = 0
        self._ended = False
        # a finite source (a stored trial) is read from the first trial on, not discarded
        self._go = threading.Event()
        if not getattr(source, "finite", False):
            self._go.set()

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> Recorder:
        """Open the session file, start the source and both threads; returns self."""
        if self._running.is_set():
            return self
        sw = SessionWriter(self.path)
        self._check_montage(sw)
        self._sw = sw
        try:
            self.source.start()
        except BaseException:
            sw.close()
            self._sw = None
            raise
        self._running.set()
        self._wri = threading.Thread(target=self._writer_loop, name="recorder-writer",
                                     daemon=True)
        self._acq = threading.Thread(target=self._acquire_loop, name="recorder-acquire",
                                     daemon=True)
        self._wri.start()
        self._acq.start()
        return self

    def _check_montage(self, sw: SessionWriter) -> None:
        numbers = tuple(sw.montage.numbers)
        if numbers != tuple(self.info.channels):
            sw.close()
            raise AcquisitionError(
                f"the source delivers inputs {list(self.info.channels)} but the session's "
                f"montage records {list(numbers)}", self.path)

    def close(self) -> None:
        """End any open trial (incomplete), stop the source and the threads, close the file."""
        if self._trial is not None and self._wri is not None and self._wri.is_alive():
            self.end_trial(completed=False, note="recorder closed while the trial was running")
        self._running.clear()
        if self._acq is not None:
            self._acq.join(timeout=5.0)
        if self._wri is not None:
            self._q.put(("quit",))
            self._wri.join(timeout=10.0)
        self.quality.close()  # its background judge must not outlive the process
        try:
            self.source.stop()
        finally:
            sw, self._sw = self._sw, None
            if sw is not None:
                try:
                    sw.close()
                except (OSError, RuntimeError) as e:
                    if self.error is None:
                        raise
                    # after a failed write HDF5's last flush fails too: the file stays as
                    # it was last flushed, and the failure has been said already
                    log.debug("closing %s after a failed write: %s", self.path, e)

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def subscribe(self, callback: Callable[[Block], None]) -> None:
        """Call ``callback(block)`` from the writer thread for every block (live views).

        The callback must be quick; it runs after the block is written.
        """
        self._subscribers.append(callback)

    # -- trials ----------------------------------------------------------------------------
    def begin_trial(self, task: Task, *, duration_s: float | None = None, notes: str = "",
                    events: Iterable[ScheduledEvent] = (),
                    at_stream_sample: int | None = None) -> None:
        """Start a trial with the next block; it ends after ``duration_s`` or :meth:`end_trial`.

        Parameters
        ----------
        task : Task
            The trial's task.
        duration_s : float, optional
            Store exactly ``round(duration_s * fs)`` samples, then close the trial.
        notes : str
            Free text stored with the trial.
        events : iterable of (int, str, str)
            Events to write at sample offsets (e.g. a protocol's repetitions).
        at_stream_sample : int, optional
            Start with this sample of the board's timeline (:attr:`stream_samples`)
            instead of the next block, if it has not passed yet.
        """
        self._raise_if_failed()
        if self._trial is not None:
            raise AcquisitionError("a trial is already being recorded")
        n_target = None if duration_s is None else max(1, round(duration_s * self.info.fs_hz))
        done = threading.Event()
        box: list = []
        self._q.put(("begin", task, n_target, notes, list(events), at_stream_sample, box, done))
        done.wait()
        if box and isinstance(box[0], BaseException):
            raise box[0]

    def add_event(self, kind: str, label: str = "", value: float = np.nan) -> None:
        """Add an event at the current sample of the open trial."""
        self._q.put(("event", kind, label, value))

    def insert_marker(self, value: float) -> None:
        """Send a marker through the source (stored as a ``marker`` event on its sample)."""
        self.source.insert_marker(value)

    def end_trial(self, completed: bool = True, note: str = "",
                  reason: str = "stopped") -> TrialResult | None:
        """Close the open trial after the blocks already queued; return its result."""
        t = self._trial
        if t is None:
            return None
        if not t.done.is_set():
            self._q.put(("end", completed, note, reason))
        t.done.wait(timeout=15.0)
        return t.result

    def wait_trial(self, timeout_s: float | None = None) -> TrialResult | None:
        """Wait until the open trial ends by itself; its result, or None on timeout."""
        t = self._trial
        if t is None:
            return self.last_result
        if t.done.wait(timeout_s):
            return t.result
        return None

    last_result: TrialResult | None = None

    def record_trial(self, task: Task, duration_s: float | None = None, *,
                     stop: threading.Event | None = None, notes: str = "",
                     events: Iterable[ScheduledEvent] = (),
                     on_status: Callable[[RecorderStatus], None] | None = None,
                     status_interval_s: float = 0.5,
                     at_stream_sample: int | None = None) -> TrialResult:
        """Record one trial and return how it ended.

        Parameters
        ----------
        task : Task
            The trial's task.
        duration_s : float, optional
            Length of the trial; until ``stop`` is set if None.
        stop : threading.Event, optional
            Setting it ends the trial early, keeping what was recorded.
        notes : str
            Free text stored with the trial.
        events : iterable of (int, str, str)
            Scheduled events (sample offset, kind, label).
        on_status : callable, optional
            Called with a :class:`RecorderStatus` every ``status_interval_s``.
        status_interval_s : float
            Status period.
        at_stream_sample : int, optional
            Begin at this sample of the stream (see :meth:`begin_trial`).
        """
        if duration_s is None and stop is None:
            raise ValueError("record_trial needs a duration or a stop event")
        self.begin_trial(task, duration_s=duration_s, notes=notes, events=events,
                         at_stream_sample=at_stream_sample)
        t0 = time.monotonic()
        while True:
            res = self.wait_trial(status_interval_s)
            if on_status is not None:
                on_status(self.status())
            if res is not None:
                return res
            if not self._acq.is_alive() and self._q.empty():
                # The acquisition thread has ended (its error, or the end of the source,
                # closes the trial, and a trial begun behind either is refused): should
                # anything else leave one open, never wait for ever. Close the trial
                # with what was stored, as incomplete.
                why = str(self.error) if self.error is not None else "acquisition stopped"
                res = self.end_trial(False, f"acquisition ended: {why}", "error")
                if res is not None:
                    return res
            if stop is not None and stop.is_set():
                secs = time.monotonic() - t0
                return self.end_trial(True, f"ended early by the operator after {secs:.1f} s")

    def status(self) -> RecorderStatus:
        """Return a snapshot of the recording state."""
        t = self._trial
        q = self.quality
        return RecorderStatus(
            trial_id=None if t is None else t.tw.id,
            elapsed_s=0.0 if t is None else time.monotonic() - t.t0,
            n_samples=0 if t is None else t.tw.n_samples,
            n_gaps=0 if t is None else t.n_gaps,
            missing_samples=0 if t is None else t.missing,
            n_markers=0 if t is None else t.n_markers,
            queue_blocks=self._q.qsize(),
            quality=q.labels(), rms_uv=[float(v) for v in q.rms_uv],
            error=None if self.error is None else str(self.error),
        )

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error
        if not self._running.is_set():
            raise AcquisitionError("the recorder is not running (call start())")

    # -- acquisition thread ----------------------------------------------------------------------
    def _acquire_loop(self) -> None:
        src = self.source
        realtime = getattr(src, "realtime", True)
        try:
            while self._running.is_set():
                if not self._go.wait(self.read_timeout_s):
                    continue
                block = src.read(self.read_timeout_s)
                if block is None:
                    self._q.put(("eos",))
                    return
                if block.n_samples == 0:
                    continue
                if not realtime:  # a replay or simulation can wait for the disk
                    self._q.put(block)
                    continue
                try:
                    self._q.put_nowait(block)
                except queue.Full:
                    secs = self._q.maxsize * block.n_samples / self.info.fs_hz
                    raise AcquisitionError(
                        f"recorder queue overflow: the writer fell {self._q.maxsize} blocks "
                        f"(~{secs:.0f} s) behind (disk too slow or blocked?); acquisition "
                        "stopped so that no data are lost silently") from None
                self.max_queue_blocks = max(self.max_queue_blocks, self._q.qsize())
        except AcquisitionError as e:
            self._q.put(("fatal", e))
        except Exception as e:  # a bug in a source must still end the trial cleanly
            log.exception("acquisition thread failed")
            self._q.put(("fatal", AcquisitionError(f"acquisition failed: {type(e).__name__}: "
                                                   f"{e}")))

    # -- writer thread -----------------------------------------------------------------------
    def _writer_loop(self) -> None:
        while True:
            batch, control = self._next_batch()
            try:
                if batch is not None:
                    self._on_block(batch)
                if control is not None:
                    if control[0] == "quit":
                        self._flush()
                        return
                    self._on_control(control)
                self._maybe_flush()
            except DiskFullError as e:  # the guard: there is still room to close the trial
                self._fail(e)
            except (OSError, RuntimeError) as e:  # a failed write: keep the file as flushed
                self._write_failed(e)
            except Exception as e:  # a bug: close the trial with what we have
                log.debug("recorder writer failed", exc_info=True)
                self._fail(AcquisitionError(f"writing {self.path} failed: "
                                            f"{type(e).__name__}: {e}"))

    def _next_batch(self) -> tuple[Block | None, tuple | None]:
        """Collect queued blocks into one (an HDF5 append costs ~3 ms whatever its size).

        Waits up to ``batch_s`` for ``batch_s`` worth of samples; stops early at a control
        message (returned second, to be handled after the blocks before it).
        """
        blocks: list[Block] = []
        n = 0
        deadline = time.monotonic() + self.batch_s
        want = max(1, int(self.batch_s * self.info.fs_hz))
        while n < want:
            timeout = deadline - time.monotonic()
            try:
                item = self._q.get(timeout=timeout) if timeout > 0 else self._q.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, Block):
                return merge_blocks(blocks), item
            blocks.append(item)
            n += item.n_samples
        return merge_blocks(blocks), None

    def _on_control(self, item: tuple) -> None:
        kind = item[0]
        if kind == "begin":
            self._open_trial(*item[1:])
        elif kind == "event":
            t = self._trial
            if t is not None:
                t.add_rows([(t.tw.n_samples, item[1], item[2], item[3])])
        elif kind == "end":
            self._close_trial(item[1], item[2], item[3])
        elif kind == "eos":
            self._ended = True
            self._close_trial(True, "the source ended", "end")
        elif kind == "fatal":
            self._fail(item[1])

    def _open_trial(self, task: Task, n_target: int | None, notes: str, events: list,
                    start_at: int | None, box: list, done: threading.Event) -> None:
        # begin_trial checked for a failure before queueing this, but a "fatal" or "eos"
        # queued ahead of it may have been handled since: then there is no acquisition
        # left to fill the trial, which would never end.
        try:
            if self.error is not None or self._ended:
                raise self.error or AcquisitionError(
                    f"the source {self.info.address} has ended")
            self._guard.check()
            tw = self._sw.begin_trial(task, self.info.fs_hz, accel=self.info.has_accel,
                                      package_num=True, timestamps=True,
                                      start_time=utc_now(), notes=notes, compress=False)
            self._trial = OpenTrial(tw, n_target, events)
            self._trial.start_at = start_at
            self.last_result = None
            self._go.set()
        except Exception as e:
            box.append(e)
        done.set()

    def _fail(self, err: AcquisitionError) -> None:
        self.error = err
        self._running.clear()
        if self._trial is not None:
            try:
                self._close_trial(False, str(err), "error")
            except (OSError, RuntimeError) as e:  # the file cannot take the close
                self._write_failed(e)
                self.error = err

    def _write_failed(self, exc: BaseException) -> None:
        """Fence the file after a failed write (kept as last flushed), end the trial, stop."""
        log.debug("recorder write failed", exc_info=True)
        t = self._trial
        err = write_error(self.path, exc, None if t is None else t.flushed)
        if self._sw is not None:
            fence(self._sw.file)
        self.error = err
        self._running.clear()
        if t is not None:
            t.result_of(False, str(err), "error", self.info.fs_hz)
            self._finish(t)

    def _on_block(self, block: Block) -> None:
        self.n_blocks += 1
        at, missing, labels, lost = self._gaps_of(block)
        pos0 = self.stream_samples
        self.stream_samples += block.n_samples + lost
        self.quality.update(block.emg_uv)
        t = self._trial
        if t is not None and t.start_at is not None:
            block, at, missing, labels = _from_stream_sample(block, at, missing, labels, pos0,
                                                             t.start_at)
            if block.n_samples:
                t.start_at = None
        if t is not None and block.n_samples:
            self._note_clock_offsets(t)
            if t.write(block, self.info.has_accel, at, missing, labels):
                self._close_trial(True, "", "duration")
        for cb in self._subscribers:
            cb(block)

    def _note_clock_offsets(self, t: OpenTrial) -> None:
        """Store a clock-synchronised source's offsets as ``note`` events of the trial.

        A source with ``clock_offsets`` (an LSL stream: ``(when, offset_s)`` pairs) gets
        the latest offset stored when a trial starts and every new measurement after,
        each labelled ``lsl_clock_offset_s`` at the sample it arrived at.
        """
        offsets = getattr(self.source, "clock_offsets", None)
        if not offsets:
            return
        if t.offsets_done is None:
            t.offsets_done = len(offsets) - 1
        new = offsets[t.offsets_done:]
        t.offsets_done += len(new)
        t.add_rows([(t.tw.n_samples, "note", "lsl_clock_offset_s", float(off))
                    for _, off in new])

    def _gaps_of(self, block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Gaps of a block, following on from the last: (at, missing, labels, samples lost).

        Counter gaps are sized from the time stamps where a counter cycle is too short
        to tell (:func:`~emgkit.core.packets.size_gaps`); a Daisy sample that lost one
        of its packets is a gap of 0.5 (:func:`~emgkit.core.packets.repeated_rows`).
        """
        info = self.info
        step, modulo, prev = info.counter_step, info.counter_modulo, self._prev_counter
        pn = block.package_num
        at, missing = find_gaps(pn, step, modulo, previous=prev)
        labels = np.full(at.size, GAP_BY_COUNTER, dtype=object)
        if at.size:
            missing, labels = size_gaps(at, missing, block.timestamps_s, info.fs_hz, step,
                                        modulo, previous_s=self._prev_ts)
        lost = int(missing.sum())
        half = repeated_rows(pn, step, modulo, previous=prev)
        missing = missing.astype(np.float64)
        if half.size:
            at = np.concatenate([at, half])
            missing = np.concatenate([missing, np.full(half.size, 0.5)])
            labels = np.concatenate([labels, np.full(half.size, GAP_HALF_SAMPLE, object)])
            order = np.argsort(at, kind="stable")
            at, missing, labels = at[order], missing[order], labels[order]
        last = int(pn[-1])
        if half.size and half[-1] == pn.size - 1:  # the next block counts from this one
            last = (last + step) % modulo
        self._prev_counter = last
        self._prev_ts = float(block.timestamps_s[-1])
        return at, missing, labels, lost

    def _close_trial(self, completed: bool, note: str, reason: str) -> None:
        t = self._trial
        if t is None:
            return
        t.close(completed, note, reason, self.info.fs_hz)
        self._finish(t)

    def _finish(self, t: OpenTrial) -> None:
        self._last_flush = time.monotonic()
        self.last_result = t.result
        self._trial = None
        if self.on_flush is not None:
            self.on_flush(t.tw.id, t.tw.n_samples)
        t.done.set()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self._flush()

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        t = self._trial
        if t is not None:
            self._guard.check()
            t.tw.flush()
            t.flushed = t.tw.n_samples
            if self.on_flush is not None:
                self.on_flush(t.tw.id, t.tw.n_samples)


def _from_stream_sample(block: Block, at: np.ndarray, missing: np.ndarray, labels: np.ndarray,
                        pos0: int, start: int):
    """Return the part of ``block`` from stream sample ``start`` on (``pos0``: its first).

    Stream samples count the lost ones too, so a trial begun at a stream sample starts
    where the board's own timeline says, whatever was lost before.
    """
    extra = np.zeros(block.n_samples, np.int64)
    np.add.at(extra, at, np.floor(missing).astype(np.int64))  # halves lose no sample
    index = pos0 + np.arange(block.n_samples) + np.cumsum(extra)
    first = int(np.searchsorted(index, start))
    keep = at >= first
    return (block.slice(first, block.n_samples), at[keep] - first, missing[keep],
            labels[keep])
