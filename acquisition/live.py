"""Live per-channel quality for the recorder's status line and the live viewer.

The flags are the signal core's, with its thresholds: a
:class:`~emgkit.core.quality.QualityMonitor` keeps the last
``QualityConfig.live_window_s`` seconds and judges them with
:func:`~emgkit.core.quality.assess_quality` every ``live_interval_s``, the function the
offline checks and the report use, so the status line and the report agree on the same
samples. The judging runs in a worker thread (acquisition never waits for it); the
band-passed RMS of the status line comes from the core's causal
:class:`~emgkit.core.filters.StreamingFilter` on every block.
"""

from __future__ import annotations

import threading

import numpy as np

from emgkit.core.filters import StreamingFilter, design_bandpass
from emgkit.core.quality import QualityMonitor, QualityReport, first_flag
from emgkit.core.quality_measures import quality_band
from emgkit.model.config import QualityConfig


class LiveQuality:
    """Per-channel quality of the last seconds of data.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    n_channels : int
        Number of channels.
    full_scale_uv : float, optional
        The board's +/- range; rail detection is off if None.
    window_s : float, optional
        Length of the judged window (default ``QualityConfig.live_window_s``).
    mains_hz : float, optional
        Mains frequency (detected in each window if None).
    config : QualityConfig, optional
        Thresholds (the defaults the offline checks use if None).
    background : bool
        Judge in a worker thread (default) or inside :meth:`update`.
    """

    def __init__(self, fs_hz: float, n_channels: int, full_scale_uv: float | None,
                 window_s: float | None = None, *, mains_hz: float | None = None,
                 config: QualityConfig | None = None, background: bool = True):
        cfg = QualityConfig() if config is None else config
        if window_s is not None:
            cfg = QualityConfig.from_dict(cfg.to_dict() | {"live_window_s": window_s})
        self.fs_hz = float(fs_hz)
        self.n_channels = n_channels
        self.full_scale_uv = full_scale_uv
        self.monitor = QualityMonitor(self.fs_hz, n_channels, full_scale_uv=full_scale_uv,
                                      mains_hz=mains_hz, config=cfg)
        low, high = quality_band(self.fs_hz)
        self._filter = StreamingFilter(design_bandpass(self.fs_hz, low, high), n_channels,
                                       dtype=np.float32)
        self.alpha = 1.0 / max(1.0, cfg.window_s * self.fs_hz)
        self._ms = np.zeros(n_channels)
        self.rms_uv = np.full(n_channels, np.nan)
        self.background = background
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    @property
    def report(self) -> QualityReport | None:
        """The latest assessment (None before the first)."""
        return self.monitor.report

    @property
    def railed(self) -> np.ndarray:
        """Fraction of the window's live samples at full scale, per channel."""
        r = self.report
        return np.zeros(self.n_channels) if r is None else np.nan_to_num(r.clipping_fraction)

    @property
    def sd_uv(self) -> np.ndarray:
        """Standard deviation of the window's live samples, per channel (µV)."""
        r = self.report
        return np.full(self.n_channels, np.nan) if r is None else r.sd_uv

    def update(self, emg_uv: np.ndarray) -> None:
        """Take a block ``(n_samples, n_channels)`` of raw microvolts."""
        x = np.asarray(emg_uv, dtype=np.float32)
        if x.shape[0] == 0:
            return
        y = self._filter.process(x).astype(np.float64)
        w = 1.0 - (1.0 - self.alpha) ** x.shape[0]  # weight of this block (~250 ms memory)
        self._ms += w * (np.mean(y * y, axis=0) - self._ms)
        self.rms_uv = np.sqrt(self._ms)
        with self._lock:
            due = self.monitor.push(x)
            if not due:
                return
            if not self.background:
                self.monitor.assess()
                return
            if self._worker is not None and self._worker.is_alive():
                return  # still judging the previous window: skip this one
            snapshot = self.monitor.take()
        self._worker = threading.Thread(target=self._judge, args=(snapshot,), daemon=True,
                                        name="emgkit-live-quality")
        self._worker.start()

    def _judge(self, snapshot: np.ndarray) -> None:
        self.monitor.assess(snapshot)

    def assess_now(self) -> QualityReport | None:
        """Judge the current window at once (waits for a running worker); return the report."""
        w = self._worker
        if w is not None:
            w.join()
        with self._lock:
            return self.monitor.assess()

    def close(self, timeout_s: float = 30.0) -> None:
        """Wait for an assessment still running in the background.

        Call before the process ends: a daemon thread still inside SciPy's FFT when the
        interpreter exits is ended by ``pthread_exit`` within a C++ GIL guard, and the
        whole process then aborts (``terminate called without an active exception``,
        exit 134) after its work is done. Seen in 3 of 45 disk-full recordings run three
        at a time (``tests/acquisition/test_disk_full.py``).
        """
        w = self._worker
        if w is not None:
            w.join(timeout_s)

    def flags(self) -> tuple[tuple[str, ...], ...]:
        """Return the latest flags per channel (empty before the first assessment)."""
        r = self.report
        return tuple(() for _ in range(self.n_channels)) if r is None else r.flags

    def labels(self) -> list[str]:
        """Return one word per channel: ``ok`` or its most important flag.

        The flag names are the core's (``railed``, ``flat``, ``lead_off``, ``clipping``,
        ``spikes``, ``mains``, ``motion``, ``ecg``), in the priority of
        :data:`emgkit.core.quality.FLAG_ORDER`.
        """
        return [first_flag(f) for f in self.flags()]
