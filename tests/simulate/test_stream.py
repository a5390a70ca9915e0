import numpy as np
import pytest

from emgkit.errors import ConfigError
from emgkit.simulate import (
    LabProtocol,
    PacketLoss,
    SessionStream,
    TrialSpec,
    default_montage,
    simulate_blocks,
    simulate_session,
)

PROTOCOL = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "quadriceps"),
                       hinge=TrialSpec("hinge", n_reps=2), squat=TrialSpec("squat", n_reps=2))


@pytest.mark.parametrize("block", [37, 1000])
def test_stream_equals_session_exactly(block):
    kw = dict(protocol=PROTOCOL, markers=True, faults={"t004": [PacketLoss(n_gaps=2)]})
    session, truth = simulate_session(default_montage("cyton"), 250.0, 3, **kw)
    stream = SessionStream(default_montage("cyton"), 250.0, 3, **kw)
    blocks = list(stream.blocks(block))
    emg = np.concatenate([b.emg_uv for b in blocks])
    pn = np.concatenate([b.package_num for b in blocks])
    rows = {}
    offset = 0
    for b in blocks:
        for lo, hi, tid in b.segments:
            rows.setdefault(tid, []).extend(range(offset + lo, offset + hi))
        offset += b.emg_uv.shape[0]
    for t in session.trials:
        idx = np.array(rows[t.id])
        np.testing.assert_array_equal(emg[idx], t.emg_uv)
        np.testing.assert_array_equal(pn[idx], t.package_num)
    d = np.diff(pn.astype(int)) % 256
    assert np.sum(d != 1) == len(truth.trial("t004").gaps)
    assert stream.truth == truth
    # markers arrive on the right rows
    starts = [offset_b + s for offset_b, b in zip(np.cumsum([0] + [x.emg_uv.shape[0]
              for x in blocks[:-1]]), blocks) for s, k in zip(b.events.sample, b.events.kind)
              if k == "rep_start"]
    want = [rows[t.id][s] for t in session.trials for s in t.events.of_kind("rep_start").sample]
    assert starts == want


def test_stream_time_and_loop():
    spec = TrialSpec("hinge", n_reps=2)
    blocks = list(simulate_blocks(default_montage("cyton-daisy"), 2000.0, 2000, protocol=[spec],
                                  loop=True, duration_s=40.0))
    assert sum(b.emg_uv.shape[0] for b in blocks) == 80_000
    assert blocks[-1].start == 78_000 and all(b.emg_uv.shape == (2000, 16) for b in blocks)
    notes = [lab for b in blocks for lab, k in zip(b.events.label, b.events.kind) if k == "note"]
    assert "trial_start t003 hinge" in notes


def test_real_time_block_sizes_are_cheap():
    stream = SessionStream(None, 250.0, 0, board="cyton")
    first = stream.read(1)
    assert first.emg_uv.shape == (1, 8)
    assert stream.read(0) is None or stream.read(0).emg_uv.shape[0] == 0


def test_bad_fault_key():
    with pytest.raises(ConfigError, match="names no trial"):
        SessionStream(None, 250.0, protocol=PROTOCOL, faults={"t099": []})
