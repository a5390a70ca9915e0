"""The trial being recorded: appending blocks, its events, closing it, and its result.

Used by the writer thread of :class:`acquisition.recorder.Recorder`; nothing here
touches the acquisition thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import h5py
import numpy as np

from acquisition.sources.base import Block
from emgkit.io.writer import TrialWriter
from emgkit.model.session import Events

#: A scheduled event of a trial: (sample offset, kind, label).
ScheduledEvent = tuple[int, str, str]
#: The signal datasets of a live trial.
SIGNALS = ("emg", "accel", "package_num", "timestamps", "events")


@dataclass(frozen=True)
class TrialResult:
    """How a trial ended.

    Attributes
    ----------
    trial_id : str
        Id in the session file.
    n_samples : int
        Samples stored.
    n_gaps, missing_samples : int
        Packet-counter gaps found and samples lost in them.
    completed : bool
        The ``completed`` flag written to the file.
    reason : str
        ``duration`` (reached its length), ``stopped`` (ended by the operator or a
        signal), ``end`` (the source ran out), ``error`` (disconnect, overflow, disk).
    message : str
        A sentence for the operator.
    """

    trial_id: str
    n_samples: int
    n_gaps: int
    missing_samples: int
    completed: bool
    reason: str
    message: str = ""


@dataclass
class RecorderStatus:
    """A snapshot for status lines and viewers."""

    trial_id: str | None
    elapsed_s: float
    n_samples: int
    n_gaps: int
    missing_samples: int
    n_markers: int
    queue_blocks: int
    quality: list[str] = field(default_factory=list)
    rms_uv: list[float] = field(default_factory=list)
    error: str | None = None


class OpenTrial:
    """A trial being written: its writer, target length, pending events and counts.

    Parameters
    ----------
    tw : TrialWriter
        The trial's writer.
    n_target : int, optional
        Samples to store before the trial closes itself.
    events : iterable of (int, str, str)
        Scheduled events (sample offset, kind, label).
    """

    def __init__(self, tw: TrialWriter, n_target: int | None, events: Iterable[ScheduledEvent]):
        self.tw = tw
        self.n_target = n_target
        self.pending = sorted(events)
        self.n_gaps = 0
        self.missing = 0
        self.n_markers = 0
        self.t0 = time.monotonic()
        self.done = threading.Event()
        self.result: TrialResult | None = None
        #: Samples written by the last successful flush.
        self.flushed = 0
        #: Stream sample the trial starts at (None: the next block).
        self.start_at: int | None = None
        #: Clock offsets of the source already stored as events (None: none yet).
        self.offsets_done: int | None = None
        # Held open so that HDF5 writes a dataset's chunks at the file's flush, where a
        # failed write (a full disk) raises, instead of when a transient handle is
        # released, where h5py can only print the error and carry on.
        self._held = [_open_dataset(tw.group, name) for name in SIGNALS if name in tw.group]

    def write(self, block: Block, has_accel: bool, at: np.ndarray, missing: np.ndarray,
              labels: np.ndarray) -> bool:
        """Append as much of ``block`` as the trial takes; True once it is full.

        ``at``, ``missing`` and ``labels`` are the block's gaps (from
        :func:`emgkit.core.packets.find_gaps` and :func:`~emgkit.core.packets.size_gaps`).
        """
        tw = self.tw
        n0 = tw.n_samples
        take = block.n_samples
        if self.n_target is not None:
            take = min(take, self.n_target - n0)
        part = block if take == block.n_samples else block.slice(0, take)
        tw.append(part.emg_uv, part.accel_g if has_accel else None, part.package_num,
                  part.timestamps_s)
        inside = at < take
        self._add_events(part, n0, at[inside], missing[inside], labels[inside])
        return self.n_target is not None and tw.n_samples >= self.n_target

    def _add_events(self, part: Block, n0: int, at: np.ndarray, missing: np.ndarray,
                    labels: np.ndarray) -> None:
        rows: list[tuple[int, str, str, float]] = []
        for a, m, lab in zip(at, missing, labels):
            if n0 + a == 0:  # lost before the trial's first sample: not this trial's
                continue
            rows.append((n0 + int(a), "gap", str(lab), float(m)))
            self.n_gaps += 1
            self.missing += int(m)  # a Daisy half sample (0.5) loses no whole sample
        if part.marker is not None:
            for i in np.nonzero(part.marker)[0]:
                value = float(part.marker[i])
                rows.append((n0 + int(i), "marker", f"{value:g}", value))
                self.n_markers += 1
        n1 = n0 + part.n_samples
        while self.pending and self.pending[0][0] <= n1 and (
                self.pending[0][0] < n1 or self.n_target == n1):
            off, kind, label = self.pending.pop(0)
            rows.append((int(off), kind, label, np.nan))
        self.add_rows(rows)

    def add_rows(self, rows: list[tuple[int, str, str, float]]) -> None:
        """Write events given as (sample, kind, label, value) rows, in sample order."""
        if not rows:
            return
        rows = sorted(rows, key=lambda r: r[0])
        self.tw.add_events(Events([r[0] for r in rows], np.array([r[1] for r in rows], object),
                                  np.array([r[2] for r in rows], object),
                                  [r[3] for r in rows]))

    def close(self, completed: bool, note: str, reason: str, fs_hz: float) -> TrialResult:
        """Write the late scheduled events and the note, close the trial, return its result."""
        tw = self.tw
        self.add_rows([(e[0], e[1], e[2], np.nan) for e in self.pending
                       if e[0] <= tw.n_samples])
        self.pending = []
        if note:
            old = tw.group.attrs.get("notes", "")
            tw.group.attrs["notes"] = f"{old}; {note}" if old else note
        tw.close(completed)
        self._held = []
        return self.result_of(completed, note, reason, fs_hz)

    def result_of(self, completed: bool, note: str, reason: str, fs_hz: float) -> TrialResult:
        """Return (and keep) the trial's :class:`TrialResult`."""
        tw = self.tw
        message = (f"trial {tw.id}: {tw.n_samples} samples ({tw.n_samples / fs_hz:.2f} s) "
                   f"saved, {self.n_gaps} gaps ({self.missing} samples lost)")
        if note:
            message += f"; {note}"
        self.result = TrialResult(tw.id, tw.n_samples, self.n_gaps, self.missing, completed,
                                  reason, message)
        return self.result


def _open_dataset(group: h5py.Group, name: str) -> h5py.h5d.DatasetID:
    """Open a dataset of ``group`` with a chunk cache of two chunks (memory stays flat)."""
    ds = group[name]
    nbytes = 2 * int(np.prod(ds.chunks)) * ds.dtype.itemsize
    dapl = h5py.h5p.create(h5py.h5p.DATASET_ACCESS)
    dapl.set_chunk_cache(521, nbytes, 1.0)  # w0 = 1: written chunks leave the cache first
    del ds
    return h5py.h5d.open(group.id, name.encode(), dapl)


def merge_blocks(blocks: list[Block]) -> Block | None:
    """Concatenate consecutive blocks (None if there are none)."""
    if not blocks:
        return None
    if len(blocks) == 1:
        return blocks[0]

    def cat(name):
        parts = [getattr(b, name) for b in blocks]
        return None if any(p is None for p in parts) else np.concatenate(parts)

    return Block(cat("emg_uv"), cat("package_num"), cat("timestamps_s"), cat("accel_g"),
                 cat("marker"))
