"""Helpers of the acquisition tests: emulators, sessions, alignment."""

from __future__ import annotations

import socket

import numpy as np

from acquisition.setups import find_setup
from emgkit.io.writer import create_session
from emgkit.model import Device, load_montage

BF_BOARDS = ("cyton", "cyton-daisy", "cyton-wifi", "cyton-daisy-wifi")
MONTAGES = {"cyton": "cyton8-posterior-chain", "cyton-wifi": "cyton8-posterior-chain",
            "cyton-daisy": "daisy16-bilateral", "cyton-daisy-wifi": "daisy16-bilateral"}


def free_port() -> int:
    """A fresh local TCP port (BrainFlow's WiFi listening socket is not reusable at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def montage_for(board: str):
    return load_montage(find_setup(MONTAGES[board], "montage"))


def new_session(path, board: str, fs_hz: float, montage=None):
    montage = montage or montage_for(board)
    create_session(path, "S01", Device(board, fs_hz, 24.0), montage)
    return montage


def source_for(emu, board: str, montage, **kw):
    from acquisition.sources import open_source

    if board.endswith("wifi"):
        return open_source(board, montage.numbers, ip_address=emu.ip_address,
                           ip_port=free_port(), **kw)
    return open_source(board, montage.numbers, serial_port=emu.port, **kw)


def align(log, first_row_uv: np.ndarray, uv_per_count: float) -> int:
    """Index of the logged sample whose µV equal ``first_row_uv`` (the trial's first row)."""
    counts = np.rint(np.asarray(first_row_uv, dtype=np.float64) / uv_per_count)
    hits = np.nonzero((log.counts == counts).all(axis=1) & ~log.dropped)[0]
    assert hits.size >= 1, "the recorded first sample was never sent"
    return int(hits[0])


def expected_gaps(log, start: int, n_stored: int):
    """(stored index, missing) of each run of dropped samples between stored samples."""
    ok = np.nonzero(~log.dropped[start:])[0][:n_stored] + start
    steps = np.diff(ok)
    at = np.nonzero(steps > 1)[0]
    return list(zip((at + 1).tolist(), (steps[at] - 1).tolist()))
