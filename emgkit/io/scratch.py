"""Scratch arrays on disk for the signals derived from long trials.

The offline analysis of a trial too large to hold in memory several times over (an hour
of 16 channels at 2 kHz is 460 MB of float32 per signal) keeps its raw EMG, filtered
EMG and envelope here instead: one uncompressed HDF5 file in a temporary folder,
chunked by channel (:data:`CHUNK_ROWS` samples of one channel), so a channel, or a few
seconds of every channel, is read without touching the rest. The folder is removed when
the :class:`Scratch` is closed, whatever happened.
"""

from __future__ import annotations

import tempfile
from os import PathLike
from pathlib import Path

import h5py
import numpy as np

#: Samples of one channel per chunk (256 KB of float32).
CHUNK_ROWS = 1 << 16
#: Rows copied at once from a session file into a scratch array.
COPY_ROWS = 1 << 17


class Scratch:
    """A temporary HDF5 file of float32 ``(n_samples, n_channels)`` arrays.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        Where to make the temporary folder (the system's temporary folder if None; set
        ``TMPDIR`` to move it).

    Examples
    --------
    >>> with Scratch() as s:                          # doctest: +SKIP
    ...     env = s.array("t008/env", (n, 16))
    ...     env[:, 0:2] = block
    """

    def __init__(self, directory: str | PathLike | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="emgkit-scratch-", dir=directory)
        self.path = Path(self._dir.name) / "scratch.h5"
        self.file = h5py.File(self.path, "w")

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the file and remove the folder."""
        if self.file.id.valid:
            self.file.close()
        self._dir.cleanup()

    def array(self, name: str, shape: tuple[int, int]) -> h5py.Dataset:
        """Create an empty float32 array chunked by channel."""
        rows = max(1, min(int(shape[0]), CHUNK_ROWS))
        return self.file.create_dataset(name, shape=shape, dtype="<f4", chunks=(rows, 1))

    def copy_of(self, name: str, source) -> h5py.Dataset:
        """Copy ``source`` (an array or :class:`~emgkit.io.reader.StoredEMG`) in row blocks.

        The copy is then read a channel at a time without reading (or decompressing)
        the whole source again for each channel.
        """
        out = self.array(name, source.shape)
        if hasattr(source, "blocks"):
            for a, block in source.blocks(COPY_ROWS):
                out[a : a + block.shape[0]] = block
        else:
            for a in range(0, source.shape[0], COPY_ROWS):
                out[a : a + COPY_ROWS] = np.asarray(source[a : a + COPY_ROWS], dtype=np.float32)
        return out


__all__ = ["CHUNK_ROWS", "Scratch"]
