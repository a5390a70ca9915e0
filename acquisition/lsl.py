"""LSL outlets for ``emgkit record --lsl-out`` and ``emgkit view --live --lsl-out``.

Two outlets share LSL's clock, so LabRecorder (or motion-capture software with LSL
support) records them with the other lab streams in one XDF file:

- ``NAME-EMG`` (type ``EMG``): float32 microvolts, one channel per montage input, at the
  board's nominal rate; ``desc/channels/channel/{label,unit,type,muscle,side,input}``
  describes each channel, ``desc/acquisition`` the board.
- ``NAME-Markers`` (type ``Markers``, irregular, one string channel): every event the
  recorder stores in a trial (``rep_start 3``, ``marker 11``, ``gap 12``...) and
  ``trial_start t003 hinge`` / ``trial_end t003`` around each trial, time-stamped with the
  LSL time of the sample the event is on. Without a recorder (``view --live`` with no
  ``--out``) nothing is stored, and the board's own markers (the M key, a trigger pin's
  rising edges) are published as ``marker VALUE``.

Time stamps: a block's last sample gets the board's host time stamp of that sample
(BrainFlow's parse time) moved to LSL's clock (``local_clock``); earlier samples are
back-dated at the nominal rate, as ``pylsl``'s ``push_chunk`` does. pylsl (MIT) ships
liblsl in its wheel.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from acquisition.sources.base import Block
from emgkit.errors import AcquisitionError

__all__ = ["LslPublisher", "import_pylsl"]


def import_pylsl():
    """Import ``pylsl`` or raise :class:`AcquisitionError` saying how to install it."""
    try:
        import pylsl
    except ImportError as e:  # pragma: no cover - installed in tests
        raise AcquisitionError("LSL needs pylsl: pip install pylsl") from e
    except RuntimeError as e:  # pragma: no cover - pylsl without liblsl
        raise AcquisitionError(f"pylsl cannot load liblsl: {e}") from e
    return pylsl


def emg_stream_info(pylsl, name: str, montage, fs_hz: float, source_id: str, board: str):
    """Return the ``StreamInfo`` of the EMG outlet, with the channel descriptions."""
    info = pylsl.StreamInfo(f"{name}-EMG", "EMG", len(montage.channels), float(fs_hz),
                            pylsl.cf_float32, f"{source_id}-EMG")
    chans = info.desc().append_child("channels")
    for ch in montage.channels:
        c = chans.append_child("channel")
        c.append_child_value("label", ch.name)
        c.append_child_value("unit", "microvolts")
        c.append_child_value("type", "EMG")
        c.append_child_value("muscle", ch.muscle)
        c.append_child_value("side", ch.side)
        c.append_child_value("input", str(ch.number))
    acq = info.desc().append_child("acquisition")
    acq.append_child_value("manufacturer", "OpenBCI")
    acq.append_child_value("board", board)
    acq.append_child_value("software", "emgkit")
    return info


class LslPublisher:
    """Publishes a live source's blocks, and a recorder's events, as LSL outlets.

    Parameters
    ----------
    info : acquisition.sources.base.SourceInfo
        The source's description (rate, board).
    montage : Montage
        The session's montage (channel labels, muscles, sides).
    recorder : Recorder, optional
        The recorder (not yet started, so that no block is missed): the publisher
        subscribes to its blocks and publishes the events it stores. Without one, call
        :meth:`on_block` for every block; the blocks' markers are published.
    name : str
        Prefix of the outlets' names (``NAME-EMG``, ``NAME-Markers``).
    source_id : str
        Stable id of the outlets (lets LSL clients reconnect after a restart).

    Examples
    --------
    >>> rec = Recorder(source, "session.h5")                           # doctest: +SKIP
    >>> pub = LslPublisher(rec.info, montage, recorder=rec, name="lab1")  # doctest: +SKIP
    >>> with rec: rec.record_trial(Task("rest"), 10.0)                 # doctest: +SKIP
    """

    def __init__(self, info, montage, *, recorder=None, name: str = "emgkit",
                 source_id: str = ""):
        pylsl = import_pylsl()
        self._pylsl = pylsl
        self.recorder = recorder
        self.fs_hz = float(info.fs_hz)
        sid = source_id or f"emgkit-{name}"
        self.emg = pylsl.StreamOutlet(emg_stream_info(pylsl, name, montage, self.fs_hz, sid,
                                                      info.board), 0, 360)
        minfo = pylsl.StreamInfo(f"{name}-Markers", "Markers", 1, pylsl.IRREGULAR_RATE,
                                 pylsl.cf_string, f"{sid}-Markers")
        self.markers = pylsl.StreamOutlet(minfo)
        #: Unix time minus LSL time (both read together at start).
        self._unix_minus_lsl = time.time() - pylsl.local_clock()
        self._lock = threading.Lock()
        self._closed = False
        self.n_pushed = 0
        self._trial: dict | None = None  # the trial whose events are being published
        self._last_id: str | None = None
        if recorder is not None:
            recorder.subscribe(self.on_block)

    def wait_for_consumers(self, timeout_s: float) -> bool:
        """Wait until both outlets have a subscriber (e.g. LabRecorder); True if they do."""
        deadline = time.monotonic() + timeout_s
        for outlet in (self.emg, self.markers):
            left = deadline - time.monotonic()
            if left <= 0 or not outlet.wait_for_consumers(left):
                return False
        return True

    def close(self, linger_s: float = 0.3) -> None:
        """Stop publishing; give subscribers ``linger_s`` to receive the last samples."""
        with self._lock:
            self._closed = True
        if linger_s > 0 and self.emg.have_consumers():
            time.sleep(linger_s)

    # -- writer thread ----------------------------------------------------------------------
    def _lsl_time(self, block: Block) -> float:
        """LSL time of the block's last sample (its host time stamp, else now)."""
        now = self._pylsl.local_clock()
        ts = float(block.timestamps_s[-1]) - self._unix_minus_lsl if block.n_samples else now
        return ts if now - 10.0 < ts <= now + 0.01 else now

    def on_block(self, block: Block) -> None:
        """Publish a block (and the events stored with it); any thread, one at a time."""
        with self._lock:
            if self._closed or block.n_samples == 0:
                return
            t_last = self._lsl_time(block)
            self.emg.push_chunk(np.ascontiguousarray(block.emg_uv, np.float32), t_last)
            self.n_pushed += block.n_samples
            if self.recorder is not None:
                self._publish_events(block.n_samples, t_last)
            elif block.marker is not None:
                self._publish_markers(block, t_last)

    def _publish_markers(self, block: Block, t_last: float) -> None:
        """Push the block's board markers (no recorder: nothing else marks the stream)."""
        n = block.n_samples
        for i in np.flatnonzero(block.marker):
            self._push(f"marker {float(block.marker[i]):g}", t_last - (n - 1 - i) / self.fs_hz)

    def _publish_events(self, n_block: int, t_last: float) -> None:
        """Push the events the recorder wrote into the trial(s) this block touched.

        Runs in the recorder's writer thread, which owns the open trial. A trial's
        samples in a block always start at the block's first row (a trial begins with a
        block; one that fills up mid-block ends there).
        """
        rec = self.recorder
        current = rec._trial
        tid = None if current is None else current.tw.id
        if self._trial is not None and self._trial["id"] != tid:
            self._drain(n_block, t_last, end=True)  # closed since the last block
        if current is not None and self._trial is None:
            self._begin(tid, current.tw.group)
        last = rec.last_result.trial_id if rec.last_result is not None else None
        if current is None and last is not None and last != self._last_id:
            self._begin(last, rec._sw.file["trials"][last])  # began and ended in this block
            self._drain(n_block, t_last, end=True)
        elif self._trial is not None:
            self._drain(n_block, t_last, end=False)

    def _begin(self, tid: str, group) -> None:
        self._trial = {"id": tid, "group": group, "seen": 0, "n": 0, "ref": None}
        self._last_id = tid

    def _drain(self, n_block: int, t_last: float, end: bool) -> None:
        """Push the trial's new events; at its end, ``trial_end``."""
        tr = self._trial
        group = tr["group"]
        n_now = int(group["emg"].shape[0])
        if n_now > tr["n"] or tr["ref"] is None:  # this block holds samples tr["n"]..n_now-1
            tr["ref"] = (t_last, n_block, tr["n"])
            if tr["n"] == 0:
                task = str(group.attrs.get("task", ""))
                self._push(f"trial_start {tr['id']} {task}".strip(), self._time_of(0))
            tr["n"] = n_now
        ds = group["events"]
        rows = ds[tr["seen"]:] if ds.shape[0] > tr["seen"] else []
        for r in rows:
            text = f"{_text(r['kind'])} {_text(r['label'])}".strip()
            self._push(text, self._time_of(int(r["sample"])))
        tr["seen"] += len(rows)
        if end:
            self._push(f"trial_end {tr['id']}", self._time_of(max(0, n_now - 1)))
            self._trial = None

    def _time_of(self, sample: int) -> float:
        """LSL time of trial sample ``sample``, from the last block that held the trial."""
        t_last, n_block, n_before = self._trial["ref"]
        return t_last - (n_block - 1 - (sample - n_before)) / self.fs_hz

    def _push(self, text: str, t: float) -> None:
        self.markers.push_sample([text], t)


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)
