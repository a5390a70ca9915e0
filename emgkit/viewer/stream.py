"""The live data path of the viewer, without Qt: blocks -> causal core -> ring -> frames.

A :class:`LiveProcessor` owns a worker thread. Blocks arrive through :meth:`LiveProcessor.push`
(from the recorder's writer thread or from a plain source reader,
:class:`~emgkit.viewer.feed.LiveFeed`) into a
bounded queue that is never waited on; the worker runs the signal core's
:class:`~emgkit.core.StreamingProcessor` (causal filters and RMS envelope with carried state)
and :class:`~acquisition.live.LiveQuality` on every sample, keeps the last 30 s in ring
buffers, and at most ``frame_rate_hz`` times a second, once the GUI has taken the previous
one (a frame nobody will draw is not built), builds a :class:`Frame`: the visible
window as one min/max pair per pixel column, the columns anchored to absolute sample
indices by the core (:func:`~emgkit.core.anchored_minmax`) so that a complete column never
changes (the GUI draws only the new ones, :mod:`emgkit.viewer.rolling`; the worker reuses
the previous frame's and reduces only the new ones), the y bounds of the window, levels,
%MVC, quality words and markers. The GUI only draws the latest frame: a slow GUI skips
frames, never samples, and the recorder never waits for either.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from acquisition.live import LiveQuality
from acquisition.protocol import RunnerUI
from emgkit.core import (
    StreamingProcessor,
    anchored_minmax,
    complete_columns,
    mvc_reference,
    normalise,
    process_trial_emg,
)
from emgkit.model.config import NormalisationConfig, ProcessingConfig
from emgkit.model.montage import Montage
from emgkit.viewer.display import MAX_WINDOW_S, MIN_WINDOW_S, VIEWS, regions_of

log = logging.getLogger("emgkit")

#: Seconds of envelope averaged for the bars and the dominance index.
LEVEL_S = 0.5


@dataclass(frozen=True)
class Frame:
    """What the GUI draws once; everything already computed.

    Attributes
    ----------
    seq : int
        Frame number (increases by one per frame built).
    view : str
        One of :data:`VIEWS`.
    t_s : numpy.ndarray
        ``(2 * n_columns,)`` time of each point of ``y`` in seconds relative to the newest
        sample: the start and the middle of its column (at most ``1 / fs_hz`` after the
        newest sample: an empty column at the end of a window with fewer samples than
        columns starts there).
    y : numpy.ndarray
        ``(2 * n_columns, n_channels)`` float32, the window in microvolts as the two
        extremes of each pixel column in time order (:func:`~emgkit.core.anchored_minmax`;
        rows ``2 i`` and ``2 i + 1`` are column ``last_column - n_columns + 1 + i``), NaN
        for columns before the first sample.
    last_column : int
        Absolute index of the newest complete column (the last pair of ``y``); columns are
        anchored to sample 0, ``window samples / n_columns`` samples each, so the GUI can
        tell how many are new since the frame it drew last.
    window_s : float
        The window shown (``n_columns`` columns; ``n_columns`` is the plot width in pixels
        the GUI asked for).
    y_lo, y_hi : numpy.ndarray
        ``(n_channels,)`` float64 extremes of ``y`` per channel (NaN before any data).
    level_uv : numpy.ndarray
        ``(n_channels,)`` mean envelope over the last :data:`LEVEL_S` seconds.
    pct_mvc : numpy.ndarray
        ``(n_channels,)`` ``level_uv`` in % of the MVC reference; NaN without one.
    quality : list of str
        :meth:`acquisition.live.LiveQuality.labels` (``ok``, ``railed``, ``flat``, ``noisy``).
    markers : list of (float, str)
        Markers inside the window: (time relative to the newest sample, label).
    dominance : float or None
        Low-back dominance index (erector spinae over the mean of glutes and hamstrings),
        None when the montage lacks either side of the ratio.
    n_samples : int
        Samples processed since the start.
    dropped_blocks : int
        Blocks the display queue had to refuse (0 unless the machine is overloaded; the
        recorder still stores them).
    """

    seq: int
    view: str
    t_s: np.ndarray
    y: np.ndarray
    last_column: int
    window_s: float
    y_lo: np.ndarray
    y_hi: np.ndarray
    level_uv: np.ndarray
    pct_mvc: np.ndarray
    quality: list[str]
    markers: list[tuple[float, str]]
    dominance: float | None
    n_samples: int
    dropped_blocks: int = 0


def dominance_channels(montage: Montage) -> tuple[list[int], list[int]]:
    """Return the columns of the back extensors and of the glutes plus hamstrings.

    Integration point: if :mod:`emgkit.analysis` grows a low-back dominance function,
    the index of :class:`LiveProcessor` should call it instead of this grouping.
    """
    back, hip = [], []
    for j, c in enumerate(montage.channels):
        groups = montage.muscle(c.muscle).groups
        if "back_extensors" in groups:
            back.append(j)
        elif "gluteals" in groups or "hamstrings" in groups:
            hip.append(j)
    return back, hip


def session_mvc_reference(sf, config: ProcessingConfig | None = None) -> np.ndarray | None:
    """Per-channel MVC reference of a stored session for the live %MVC bars.

    Read from the session's MVC trials as the analysis reads it
    (:func:`emgkit.core.mvc_reference` with the config's normalisation), but of the
    live, causal envelope (:func:`~emgkit.core.process_trial_emg` with ``causal=True``),
    the one the bars divide. Review mode never calls this: it shows the analysis'
    references.

    Parameters
    ----------
    sf : emgkit.io.reader.SessionFile
        The open session.
    config : ProcessingConfig, optional
        Filters, envelope and normalisation (defaults if None).

    Returns
    -------
    numpy.ndarray or None
        ``(n_channels,)`` microvolts, NaN for a channel no MVC trial reached; None
        without MVC trials.
    """
    cfg = ProcessingConfig() if config is None else config
    regions = regions_of(sf.montage)
    infos = [i for i in sf.trial_infos() if i.task.name == "mvc" and i.n_samples > 0]
    envs = [process_trial_emg(sf.read_emg(i.id), i.fs_hz, regions, cfg, causal=True,
                              mains_hz=sf.device.mains_hz) for i in infos]
    if not envs:
        return None
    return mvc_reference(envs, cfg.normalisation, infos[0].fs_hz)


def percent_of_reference(level_uv: np.ndarray, reference_uv: np.ndarray | None) -> np.ndarray:
    """Normalise levels with the core's :func:`~emgkit.core.normalise`; NaN without a reference."""
    out = np.full(level_uv.shape, np.nan)
    if reference_uv is None:
        return out
    ok = np.isfinite(reference_uv) & (reference_uv > 0)
    if ok.any():
        out[ok] = normalise(level_uv[None, ok], reference_uv[ok])[0]
    return out


class LiveProcessor:
    """Worker thread turning raw blocks into drawable :class:`Frame` objects.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    montage : Montage
        Channels in the blocks' column order.
    full_scale_uv : float, optional
        The board's range (railed detection).
    mains_hz : float, optional
        Mains frequency for the notch.
    quality : LiveQuality, optional
        A quality tracker another thread updates (the recorder's); else one of its own.
    reference_uv : numpy.ndarray, optional
        ``(n_channels,)`` MVC references (same causal envelope), NaN where missing.
    frame_rate_hz : float
        Most frames built per second.
    queue_blocks : int
        Capacity of the input queue in blocks.
    normalisation : NormalisationConfig, optional
        How an MVC trial recorded live raises the references (default: the config's,
        ``NormalisationConfig()``: the highest 1 s mean of the envelope, as the analysis).
    config : ProcessingConfig, optional
        The causal core's filters and envelope (``emgkit view --config``); defaults if None.
    """

    def __init__(self, fs_hz: float, montage: Montage, *, full_scale_uv: float | None = None,
                 mains_hz: float | None = None, quality: LiveQuality | None = None,
                 reference_uv: np.ndarray | None = None, frame_rate_hz: float = 60.0,
                 queue_blocks: int = 4096, normalisation: NormalisationConfig | None = None,
                 config: ProcessingConfig | None = None):
        self.fs_hz = float(fs_hz)
        self.montage = montage
        n = len(montage.channels)
        self.n_channels = n
        config = ProcessingConfig() if config is None else config
        self.core = StreamingProcessor(self.fs_hz, regions_of(montage), config,
                                       mains_hz=mains_hz)
        self.own_quality = quality is None
        self.quality = quality or LiveQuality(self.fs_hz, n, full_scale_uv)
        self.reference_uv = (np.full(n, np.nan) if reference_uv is None
                             else np.asarray(reference_uv, dtype=np.float64).copy())
        self.normalisation = normalisation or config.normalisation
        self.back, self.hip = dominance_channels(montage)
        self.frame_interval_s = 1.0 / float(frame_rate_hz)
        # The longest window, the incomplete column after it (up to 1/16 of the window
        # for plots at least 16 px wide), the sample before it (a column without samples
        # repeats it) and one for rounding the fractional columns.
        longest = round(MAX_WINDOW_S * self.fs_hz)
        self.cap = longest + longest // 16 + 2
        self._rings = {v: np.zeros((self.cap, n), np.float32) for v in VIEWS}
        self._pos = 0
        self.n_samples = 0
        self._markers: list[tuple[int, str]] = []
        self._q: queue.Queue = queue.Queue(maxsize=int(queue_blocks))
        self.dropped_blocks = 0
        self._request = ("raw", 10.0, 800)
        self._latest: Frame | None = None
        self._taken = True  # the GUI has fetched the latest frame: build the next one
        self._seq = 0
        self._columns_key: tuple | None = None  # (view, samples per column) of _columns
        self._columns = np.zeros((0, n), np.float32)  # the last frame's y
        self._columns_last = -1  # its last column
        self._mvc = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_built = 0

    # -- thread-safe inputs ------------------------------------------------------------
    def push(self, block) -> None:
        """Queue a :class:`~acquisition.sources.base.Block` (never blocks the caller)."""
        try:
            self._q.put_nowait(block)
        except queue.Full:
            self.dropped_blocks += 1

    def request(self, view: str, window_s: float, n_columns: int) -> None:
        """Set what the next frames show: view, window length, plot width in pixels."""
        window_s = float(min(MAX_WINDOW_S, max(MIN_WINDOW_S, window_s)))
        self._request = (view, window_s, max(1, int(n_columns)))

    def track_mvc(self, on: bool) -> None:
        """While on (an MVC trial is recorded), raise the references as it goes.

        To the MVC reference of the envelope so far, read as the analysis reads it
        (:func:`emgkit.core.mvc_reference`).
        """
        self._mvc = bool(on)

    def add_marker(self, label: str) -> None:
        """Mark the newest sample (for sources without hardware markers)."""
        self._markers.append((self.n_samples, label))

    def latest(self) -> Frame | None:
        """Return the newest frame (the GUI polls this; frames it misses are skipped)."""
        self._taken = True
        return self._latest

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> LiveProcessor:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name="viewer-processor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the worker thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self.quality.close()

    # -- worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        # Frames on a fixed schedule (due every frame_interval_s), not "interval after the
        # last one": waking up late would otherwise lower the rate (60/s gave ~45/s).
        # Blocks are taken once per frame, all that queued meanwhile: one core call per
        # frame rather than one per source block keeps this thread's share of the GIL
        # small, so the GUI thread drawing the frames is not kept waiting for it.
        due = 0.0
        while not self._stop.is_set():
            delay = due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            blocks = []
            try:
                blocks.append(self._q.get(timeout=self.frame_interval_s / 2))
                while len(blocks) < 1024:
                    blocks.append(self._q.get_nowait())
            except queue.Empty:
                pass
            if blocks:
                try:
                    self.process(blocks)
                except Exception:  # a bug must not kill the display thread silently
                    log.exception("viewer processing failed")
                    return
            now = time.monotonic()
            if now >= due:
                due = max(due + self.frame_interval_s, now - self.frame_interval_s)
                if self.n_samples and self._taken:
                    self._taken = False
                    self._latest = self.build_frame()

    def process(self, blocks: Sequence) -> None:
        """Run the core on consecutive blocks and store the results (worker thread)."""
        raw = np.concatenate([b.emg_uv for b in blocks]) if len(blocks) > 1 else blocks[0].emg_uv
        if raw.shape[0] == 0:
            return
        out = self.core.process(raw)
        if self.own_quality:
            self.quality.update(raw)
        n0 = self.n_samples
        for b in blocks:
            if b.marker is not None:
                for i in np.nonzero(b.marker)[0]:
                    self._markers.append((n0 + int(i), f"{b.marker[i]:g}"))
            n0 += b.n_samples
        for v, data in zip(VIEWS, (raw, out.filtered, out.envelope)):
            self._write(self._rings[v], data)
        self._pos = (self._pos + raw.shape[0]) % self.cap
        self.n_samples += raw.shape[0]
        if self._mvc:
            # Every stretch ending in these samples: they and what precedes them.
            cfg = self.normalisation
            before = (0 if cfg.mvc_reference == "peak"
                      else max(0, round(cfg.mvc_plateau_s * self.fs_hz) - 1))
            env = self.last("envelope", raw.shape[0] + before)
            self.reference_uv = np.fmax(self.reference_uv,
                                        mvc_reference([env], cfg, self.fs_hz))
        oldest = self.n_samples - self.cap
        self._markers = [m for m in self._markers if m[0] >= oldest]

    def _write(self, ring: np.ndarray, data: np.ndarray) -> None:
        n = data.shape[0]
        m = min(n, self.cap)
        start = (self._pos + n - m) % self.cap
        first = min(m, self.cap - start)
        ring[start:start + first] = data[n - m:n - m + first]
        ring[:m - first] = data[n - m + first:]

    def last(self, view: str, n: int) -> np.ndarray:
        """Return the newest ``n`` samples of a view, oldest first (a copy)."""
        n = min(n, self.n_samples, self.cap)
        ring = self._rings[view]
        start = (self._pos - n) % self.cap
        if start + n <= self.cap:
            return ring[start:start + n].copy()
        return np.concatenate([ring[start:], ring[:self._pos]])

    def build_frame(self) -> Frame:
        """Build a frame from the current buffers and request."""
        view, window_s, n_columns = self._request
        m = round(window_s * self.fs_hz)
        spp = m / n_columns
        last = complete_columns(self.n_samples, spp) - 1
        y = self._window_columns(view, spp, n_columns, last)
        newest = self.n_samples - 1
        edges = np.floor(np.arange(last - n_columns + 1, last + 2) * spp)
        t_s = np.empty(2 * n_columns)
        t_s[0::2] = edges[:-1]
        t_s[1::2] = (edges[:-1] + edges[1:]) / 2.0
        t_s = (t_s - newest) / self.fs_hz
        env = self.last("envelope", max(1, int(LEVEL_S * self.fs_hz)))
        level = env.mean(axis=0).astype(np.float64)
        pct = percent_of_reference(level, self.reference_uv)
        markers = [((s - newest) / self.fs_hz, lab) for s, lab in self._markers
                   if newest - s < m]
        self._seq += 1
        self.frames_built += 1
        return Frame(self._seq, view, t_s, y, last, window_s,
                     np.fmin.reduce(y, axis=0).astype(np.float64),
                     np.fmax.reduce(y, axis=0).astype(np.float64), level, pct,
                     self.quality.labels(), markers, self._dominance(level, pct),
                     self.n_samples, self.dropped_blocks)

    def _window_columns(self, view: str, spp: float, n_columns: int, last: int) -> np.ndarray:
        """Columns ``last - n_columns + 1 .. last`` of a view, ``(2 * n_columns, n_channels)``.

        Complete columns never change: those the previous frame had (same view and
        samples per column) are copied, only the newer ones are reduced.
        """
        first = last - n_columns + 1
        out = np.full((2 * n_columns, self.n_channels), np.nan, np.float32)
        todo = first
        old, old_last = self._columns, self._columns_last
        old_first = old_last - old.shape[0] // 2 + 1
        if self._columns_key == (view, spp) and old_first <= first <= old_last:
            todo = min(old_last, last) + 1
            out[:2 * (todo - first)] = old[2 * (first - old_first):2 * (todo - old_first)]
        oldest = self.n_samples - min(self.n_samples, self.cap)  # oldest sample kept
        if oldest > 0:  # from the first column whose previous sample is still kept
            todo = max(todo, complete_columns(oldest, spp) + 1)
        else:  # columns before sample 0 stay NaN
            todo = max(todo, 0)
        if todo <= last:
            start = max(int(np.floor(todo * spp)) - 1, oldest)
            data = self.last(view, self.n_samples - start)
            out[2 * (todo - first):] = anchored_minmax(data, start, spp, todo, last - todo + 1)
        self._columns_key, self._columns, self._columns_last = (view, spp), out, last
        return out

    def _dominance(self, level_uv: np.ndarray, pct: np.ndarray) -> float | None:
        if not self.back or not self.hip:
            return None
        use = pct if np.isfinite(pct[self.back + self.hip]).all() else level_uv
        hip = float(np.mean(use[self.hip]))
        return float(np.mean(use[self.back])) / hip if hip > 0 else None


@dataclass
class PromptUI(RunnerUI):
    """Protocol-runner hooks that hand prompts to the viewer (any thread).

    Parameters
    ----------
    on_text : callable
        ``on_text(kind, text)`` with kind ``show``, ``cue`` or ``ask``.
    on_trial : callable
        ``on_trial(task_name or None)`` when a trial starts or ends.
    unattended : bool
        Answer ``go`` at once instead of waiting for :meth:`answer`.
    """

    on_text: Callable[[str, str], None]
    on_trial: Callable[[str | None], None]
    unattended: bool = False
    time_scale: float = 1.0
    _answer: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=1))

    def __post_init__(self):
        self.out = lambda s: self.on_text("show", s)

    def show(self, text: str) -> None:
        """Forward a message."""
        self.on_text("show", text)

    def cue(self, text: str) -> None:
        """Forward a cue; ``GO`` starts the trial's task."""
        self.on_text("cue", text)

    def ask(self, trial, index: int, total: int) -> str:
        """Prompt before a trial; wait for :meth:`answer` unless unattended."""
        self.on_trial(None)
        text = f"[{index}/{total}] {trial.title} ({trial.duration_s:g} s)"
        if trial.instructions:
            text += f" - {trial.instructions}"
        if self.unattended:
            self.on_text("ask", text)
            choice = "go"
        else:
            self.on_text("ask", text + "   Space = start, N = skip, Esc = quit")
            choice = self._answer.get()
        if choice == "go":
            self.on_trial(trial.task.name)
        return choice

    def answer(self, choice: str) -> None:
        """Answer the pending prompt: ``go``, ``skip``, ``repeat`` or ``quit``."""
        try:
            self._answer.put_nowait(choice)
        except queue.Full:
            pass


def simulated_session_source(montage: Montage, fs_hz: float, seed: int = 0,
                             realtime: bool = True, block_s: float = 0.02):
    """Return a live source replaying the sEMG simulator (rest, MVCs, hinge, squat) for ever.

    For demos, tests, screenshots and benchmarks without a board.
    """
    from acquisition.sources.simulated import SimulatedSource
    from emgkit.simulate import SessionStream

    stream = SessionStream(montage, fs_hz, seed, loop=True, markers=True)
    n_ch = len(montage.channels)

    def feed(n: int) -> np.ndarray:
        b = stream.read(n)
        out = np.zeros((n, n_ch), np.float32)
        if b is not None:
            out[:b.emg_uv.shape[0]] = b.emg_uv[:n]
        return out

    src = SimulatedSource(fs_hz, n_ch, feed, realtime=realtime, block_s=block_s,
                          board="simulated")
    if tuple(src.info.channels) != tuple(montage.numbers):
        import dataclasses

        src.info = dataclasses.replace(src.info, channels=tuple(montage.numbers),
                                       n_board_channels=max(montage.numbers))
    src.mains_hz = stream.sim.device.mains_hz
    return src
