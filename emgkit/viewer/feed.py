"""The viewer's feed: a live source read through a recorder (recording on) or a plain thread.

:class:`LiveFeed` hands every block to the viewer's :class:`~emgkit.viewer.stream.LiveProcessor`
and, with ``--lsl-out``, to the LSL outlets; it never waits for either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class LiveFeed:
    """Reads a source for a :class:`~emgkit.viewer.stream.LiveProcessor` (recorder or thread).

    Parameters
    ----------
    source : acquisition.sources.base.Source
        An unopened source.
    session_path : str or os.PathLike, optional
        An existing session file (see :func:`emgkit.io.writer.create_session`): a
        :class:`~acquisition.recorder.Recorder` then reads the source, every block is
        recorded when a trial is open, and the viewer subscribes to it. Without it, a
        plain reader thread feeds the viewer and nothing can be recorded.
    publish : callable, optional
        ``publish(recorder_or_None)`` called once the source is open, before the first
        block, returning a publisher with ``on_block(block)`` and ``close()`` (the LSL
        outlets of ``--lsl-out``, :class:`acquisition.lsl.LslPublisher`). With a
        recorder, the publisher subscribes to it; without, the feed hands it every block.
    """

    def __init__(self, source, session_path=None, publish: Callable | None = None):
        self.source = source
        self.session_path = session_path
        self.recorder = None
        self._publish = publish
        self.publisher = None
        self._sink: Callable | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    @property
    def can_record(self) -> bool:
        """Whether a session file was given."""
        return self.session_path is not None

    def start(self, sink: Callable) -> None:
        """Open the source and call ``sink(block)`` for every block."""
        self._sink = sink
        self.source.open()
        if self.session_path is not None:
            from acquisition.recorder import Recorder

            self.recorder = Recorder(self.source, self.session_path)
            self.recorder.subscribe(sink)
            if self._publish is not None:
                self.publisher = self._publish(self.recorder)
            self.recorder.start()
            return
        if self._publish is not None:
            self.publisher = self._publish(None)
        self.source.start()
        self._thread = threading.Thread(target=self._read_loop, name="viewer-source",
                                        daemon=True)
        self._thread.start()

    def _read_loop(self) -> None:
        from emgkit.errors import AcquisitionError

        try:
            while not self._stop.is_set():
                block = self.source.read(0.05)
                if block is None:
                    return
                if block.n_samples:
                    self._sink(block)
                    if self.publisher is not None:
                        self.publisher.on_block(block)
        except AcquisitionError as e:
            self.error = str(e)

    def insert_marker(self, value: float) -> bool:
        """Send a marker through the source; False if the source cannot carry markers."""
        try:
            self.source.insert_marker(value)
        except NotImplementedError:
            if self.recorder is not None:
                self.recorder.add_event("marker", f"{value:g}", value)
            return False
        return True

    def close(self) -> None:
        """Stop reading; a recorder ends its open trial (kept, marked incomplete) and saves."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self.recorder is not None:
            self.recorder.close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            try:
                self.source.stop()
            finally:
                self.source.close()
        elif self.recorder is not None:
            self.source.close()
        if self.publisher is not None:
            self.publisher.close()
