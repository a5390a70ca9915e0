"""What every recording reader returns: a :class:`Recording`.

A reader turns one file into microvolts (float32) with the board inputs each column
came from; the import step then picks the montage's channels. Every reader passes the
compliance tests in ``tests/io/test_reader_compliance.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emgkit.model.session import Events


@dataclass
class Recording:
    """A recording read from a file, before montage selection.

    Parameters
    ----------
    path : str
        The file read.
    format : str
        Detected format, e.g. ``openbci-gui-v6``, ``openbci-gui-v5``,
        ``openbci-gui-legacy``, ``brainflow-csv``, ``edf``, ``bdf``.
    board : str
        Board name (``cyton``, ``cyton-daisy``, ``ganglion``, ``cyton-wifi``,
        ``cyton-daisy-wifi``, ``ganglion-wifi``, ``synthetic``) or ``unknown``.
    fs_hz : float
        Sampling rate in Hz (> 0).
    channel_numbers : tuple of int
        1-based board input of each column of ``emg_uv``.
    emg_uv : numpy.ndarray
        float32 ``(n_samples, n_channels)`` in microvolts.
    channel_labels : tuple of str
        Labels the file gives its channels (EDF labels, CSV headers), else empty strings.
    accel_g : numpy.ndarray, optional
        float32 ``(n_samples, 3)`` accelerometer in g.
    package_num : numpy.ndarray, optional
        int16 ``(n_samples,)`` packet counter (0-255 on OpenBCI boards).
    timestamps_s : numpy.ndarray, optional
        float64 ``(n_samples,)`` Unix time in seconds.
    events : Events
        Markers from the file, and ``gap`` events from the packet counter.
    start_time : str, optional
        ISO 8601 UTC start.
    gain, uv_per_count, full_scale_uv : float, optional
        Amplifier settings if the file or board implies them.
    sha256 : str
        Hex sha256 of the file's bytes.
    """

    path: str
    format: str
    board: str
    fs_hz: float
    channel_numbers: tuple[int, ...]
    emg_uv: np.ndarray
    channel_labels: tuple[str, ...] = ()
    accel_g: np.ndarray | None = None
    package_num: np.ndarray | None = None
    timestamps_s: np.ndarray | None = None
    events: Events = field(default_factory=Events)
    start_time: str | None = None
    gain: float | None = None
    uv_per_count: float | None = None
    full_scale_uv: float | None = None
    sha256: str = ""
