"""Helpers shared by the core modules: the low-rate warning, rate and window checks."""

from __future__ import annotations

import math
import warnings

import numpy as np

from emgkit._validate import check_positive
from emgkit.errors import ConfigError

#: Below this sampling rate surface EMG is under-sampled (its content reaches ~450 Hz).
MIN_SEMG_FS_HZ = 1000.0


class LowSampleRateWarning(UserWarning):
    """The sampling rate is below 1 kHz: the band is cut at 0.45 fs, sEMG is under-sampled."""


def check_fs(fs_hz: float) -> float:
    """Return ``fs_hz`` as float, or raise :class:`ConfigError` if it is not > 0."""
    return check_positive("fs_hz", fs_hz, "Hz")


def warn_low_fs(fs_hz: float, what: str, stacklevel: int = 3) -> None:
    """Warn with :class:`LowSampleRateWarning` if ``fs_hz`` < 1 kHz, naming the consequence."""
    if fs_hz < MIN_SEMG_FS_HZ:
        warnings.warn(
            f"fs_hz={fs_hz:g} is below {MIN_SEMG_FS_HZ:g} Hz: {what}; surface EMG (content up "
            f"to ~450 Hz) is under-sampled, so amplitudes and frequencies are comparable only "
            f"between recordings at the same rate",
            LowSampleRateWarning,
            stacklevel=stacklevel,
        )


def window_samples(window_s: float, fs_hz: float, name: str = "window_s") -> int:
    """Return the odd number of samples nearest to ``window_s * fs_hz`` (at least 3).

    Raises
    ------
    ConfigError
        If the window is not positive or holds fewer than 3 samples.
    """
    if not (isinstance(window_s, (int, float)) and math.isfinite(window_s) and window_s > 0):
        raise ConfigError(f"{name} must be a positive number (in s), but got {window_s!r}")
    n = 2 * math.floor(window_s * fs_hz / 2.0) + 1
    if n < 3:
        raise ConfigError(
            f"{name}={window_s:g} s holds fewer than 3 samples at fs_hz={fs_hz:g} "
            f"(need at least {3 / fs_hz:.4g} s)"
        )
    return n


def as_2d(x: np.ndarray, name: str = "x") -> tuple[np.ndarray, bool]:
    """Return ``x`` as ``(n_samples, n_channels)`` and whether it was 1-D."""
    x = np.asarray(x)
    if x.ndim == 1:
        return x[:, None], True
    if x.ndim != 2:
        raise ConfigError(f"{name} must be (n_samples,) or (n_samples, n_channels), got {x.shape}")
    return x, False


def float_dtype(x: np.ndarray) -> np.dtype:
    """Return float32 for float32 input, else float64."""
    return np.dtype(np.float32) if x.dtype == np.float32 else np.dtype(np.float64)
