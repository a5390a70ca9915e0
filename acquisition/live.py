"""Live per-channel quality for the recorder's status line: band-passed RMS, railed, flat.

Filtering is the signal core's causal :class:`~emgkit.core.filters.StreamingFilter`
(carried state, same design as offline); nothing is filtered here by hand.
"""

from __future__ import annotations

import numpy as np

#: Fraction of a second's samples at full scale above which a channel is ``railed``.
RAILED_FRACTION = 0.05
#: Raw standard deviation below which a channel is ``flat`` (µV).
FLAT_SD_UV = 0.5
#: Band-passed RMS above which a resting channel is ``noisy`` (µV).
NOISY_RMS_UV = 500.0


class LiveQuality:
    """Per-channel quality over about the last second of data.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz.
    n_channels : int
        Number of channels.
    full_scale_uv : float, optional
        The board's +/- range; railed detection is off if None.
    window_s : float
        Length of the running window.
    """

    def __init__(self, fs_hz: float, n_channels: int, full_scale_uv: float | None,
                 window_s: float = 1.0):
        self.fs_hz = float(fs_hz)
        self.n_channels = n_channels
        self.full_scale_uv = full_scale_uv
        self.alpha = 1.0 / max(1.0, window_s * fs_hz)
        self._filter = None
        try:
            from emgkit.core.filters import StreamingFilter, design_bandpass

            high = min(450.0, 0.45 * self.fs_hz)
            if high > 20.0:
                self._filter = StreamingFilter(design_bandpass(self.fs_hz, 20.0, high),
                                               n_channels, dtype=np.float32)
        except ImportError:  # pragma: no cover - the core ships with emgkit
            self._filter = None
        self.rms_uv = np.full(n_channels, np.nan)
        self.railed = np.zeros(n_channels)
        self.sd_uv = np.full(n_channels, np.nan)
        self._ms = np.zeros(n_channels)
        self._mean = None
        self._var = np.zeros(n_channels)

    def update(self, emg_uv: np.ndarray) -> None:
        """Take a block ``(n_samples, n_channels)`` of raw microvolts."""
        x = np.asarray(emg_uv, dtype=np.float32)
        n = x.shape[0]
        if n == 0:
            return
        w = 1.0 - (1.0 - self.alpha) ** n  # weight of this block in the running window
        if self._filter is not None:
            y = self._filter.process(x).astype(np.float64)
            self._ms += w * (np.mean(y * y, axis=0) - self._ms)
            self.rms_uv = np.sqrt(self._ms)
        xd = x.astype(np.float64)
        m = xd.mean(axis=0)
        if self._mean is None:
            self._mean = m
        self._mean = self._mean + w * (m - self._mean)
        self._var += w * (np.mean((xd - self._mean) ** 2, axis=0) - self._var)
        self.sd_uv = np.sqrt(self._var)
        if self.full_scale_uv:
            at_rail = np.mean(np.abs(xd) >= 0.99 * self.full_scale_uv, axis=0)
            self.railed += w * (at_rail - self.railed)

    def labels(self) -> list[str]:
        """One word per channel: ``ok``, ``railed``, ``flat`` or ``noisy``."""
        out = []
        for i in range(self.n_channels):
            if self.railed[i] > RAILED_FRACTION:
                out.append("railed")
            elif self.sd_uv[i] < FLAT_SD_UV:
                out.append("flat")
            elif self.rms_uv[i] > NOISY_RMS_UV:
                out.append("noisy")
            else:
                out.append("ok")
        return out
