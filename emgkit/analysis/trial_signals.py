"""What the metrics take from a trial's whole filtered signal, side by side in threads.

The onsets of each channel over the whole trial and the median and mean frequency of
each repetition (:func:`emgkit.analysis.metrics.trial_metrics`) are independent of one
another, so they are computed in threads (:func:`emgkit.core.parallel.map_threads`),
with the numbers of one thread. The signal is read a channel or a repetition at a time:
it may be an array on disk (:mod:`emgkit.io.scratch`).
"""

from __future__ import annotations

import numpy as np

from emgkit.core import detect_bursts, spectral_frequencies
from emgkit.core.onset import BOUNDED_SAMPLES
from emgkit.core.parallel import map_threads, threads_within
from emgkit.errors import AnalysisError
from emgkit.model.config import OnsetConfig, SpectralConfig

#: Samples of the channels searched for onsets side by side, together: each channel holds
#: about 12 bytes a sample meanwhile (itself in float32, its detection signal in float64,
#: :func:`emgkit.core.onset.detection_signal`; 480 MB at this total), so an hour at 2 kHz
#: (7.2 M samples a channel) goes up to five channels at a time (as many as there are
#: threads) and 10 minutes at 16 kHz (9.6 M) up to four; a longer channel is searched in
#: blocks (:data:`emgkit.core.onset.BOUNDED_SAMPLES`) and counts as that many samples.
ONSET_SAMPLES_IN_FLIGHT = 40 * 2**20
#: Repetitions shorter than this have no spectrum (NaN).
MIN_SPECTRUM_SAMPLES = 8


class _Column:
    """One column of a ``(n_samples, n_channels)`` array on disk, read by slices of rows."""

    def __init__(self, data, j: int):
        self.data, self.j, self.shape = data, j, (data.shape[0],)

    def __getitem__(self, rows: slice) -> np.ndarray:
        return np.asarray(self.data[rows, self.j])


def channel_bursts(filtered: np.ndarray, fs_hz: float, config: OnsetConfig) -> list[np.ndarray]:
    """Bursts of each channel over the whole trial (empty where detection is impossible).

    A channel longer than :data:`emgkit.core.onset.BOUNDED_SAMPLES` left on disk is read a
    block of rows at a time, never whole.
    """
    n = filtered.shape[0]
    on_disk = not isinstance(filtered, np.ndarray) and n > BOUNDED_SAMPLES

    def bursts(j: int) -> np.ndarray:
        x = _Column(filtered, j) if on_disk else np.asarray(filtered[:, j])
        try:
            return detect_bursts(x, fs_hz, config)
        except AnalysisError:
            return np.zeros((0, 2), np.int64)

    return map_threads(bursts, [(j,) for j in range(filtered.shape[1])],
                       threads_within(min(n, BOUNDED_SAMPLES), ONSET_SAMPLES_IN_FLIGHT))


def repetition_spectra(filtered: np.ndarray, reps, fs_hz: float, config: SpectralConfig
                       ) -> list[tuple]:
    """``(median_hz, mean_hz)`` per channel of each repetition (NaN if too short)."""

    def spectrum(r) -> tuple:
        x = np.asarray(filtered[r.start:r.end])
        if len(x) < MIN_SPECTRUM_SAMPLES:
            return np.nan, np.nan
        return spectral_frequencies(x, fs_hz, config)

    return map_threads(spectrum, [(r,) for r in reps])
