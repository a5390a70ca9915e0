"""One compliance test that every reader passes on every sample file.

Like python-neo's common reader tests: whatever the format, a reader returns a
:class:`~emgkit.io.readers.base.Recording` with the same guarantees.
"""

from __future__ import annotations

import numpy as np
import pytest

from emgkit.io.readers import (
    read_brainflow_csv,
    read_edf,
    read_openbci_txt,
    read_recording,
    read_sdcard,
)


def _specific(path, board, fmt):
    if fmt.startswith("openbci-gui"):
        return read_openbci_txt(path)
    if fmt == "openbci-sd":
        return read_sdcard(path, board)
    if fmt == "brainflow-csv":
        return read_brainflow_csv(path, board)
    return read_edf(path)


@pytest.mark.parametrize("reader", ["read_recording", "specific"])
def test_reader_compliance(sample_file, sample_id, reader, check_recording):
    path, board = sample_file(sample_id)
    rec = read_recording(path, board=board)
    if reader == "specific":
        rec2 = _specific(path, board, rec.format)
        np.testing.assert_array_equal(rec2.emg_uv, rec.emg_uv)
        assert rec2.events == rec.events
        rec = rec2
    check_recording(rec, path)
    assert rec.emg_uv.shape[0] > 0
