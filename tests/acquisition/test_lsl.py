"""LSL: ``emgkit record --lsl-out`` outlets, and the LSL source (traffic stays on this machine)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import lsl_local  # sets LSLAPICFG before pylsl loads liblsl
import numpy as np
import pytest

from acquisition.emulator import CytonSerialEmulator
from emgkit.io.reader import SessionFile

pylsl = pytest.importorskip("pylsl")


def _inlet(name: str, kind: str):
    found = pylsl.resolve_byprop("name", f"{name}-{kind}", 1, 30.0)
    assert found, f"no LSL stream {name}-{kind}"
    inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=False)
    inlet.open_stream(10.0)
    return inlet


def _drain(inlet, into: list, stamps: list) -> None:
    while True:
        try:
            data, ts = inlet.pull_chunk(timeout=0.0, max_samples=10000)
        except pylsl.util.LostError:  # the recorder has exited; what it sent is in
            return
        if not ts:
            return
        into.extend(data)
        stamps.extend(ts)


def _receive(proc, name: str, check_info) -> tuple:
    """Pull the ``NAME-EMG`` and ``NAME-Markers`` streams until ``proc`` exits.

    ``check_info(emg_inlet_info)`` asserts on the EMG stream's description. Returns the
    EMG samples (float32) and their time stamps, the marker strings and theirs, and the
    process's stderr; the process is killed if anything fails first.
    """
    try:
        emg_in, mk_in = _inlet(name, "EMG"), _inlet(name, "Markers")
        check_info(emg_in.info())
        emg, emg_t, mk, mk_t = [], [], [], []
        while proc.poll() is None:
            _drain(emg_in, emg, emg_t)
            _drain(mk_in, mk, mk_t)
            time.sleep(0.05)
        time.sleep(0.5)
        _drain(emg_in, emg, emg_t)
        _drain(mk_in, mk, mk_t)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()[-2000:]
    return np.asarray(emg, np.float32), np.asarray(emg_t), [m[0] for m in mk], mk_t


def test_record_lsl_out_is_received_sample_for_sample(tmp_path):
    name = f"emgkit-test-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "session.h5"
    with CytonSerialEmulator("cyton", log=False) as emu:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emgkit", "record", "--board", "cyton", "--serial-port",
             emu.port, "--montage", "cyton8-posterior-chain", "--protocol", "short",
             "--unattended", "--subject", "S01", "--out", str(out), "--lsl-out",
             "--lsl-name", name, "--lsl-wait", "60"],
            env=lsl_local.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def check_info(info):
            ch = info.desc().child("channels").child("channel")
            assert ch.child_value("unit") == "microvolts"
            assert ch.child_value("muscle") and ch.child_value("side") in ("left", "right")
            assert info.channel_format() == pylsl.cf_float32

        emg, emg_t, mk, mk_t = _receive(proc, name, check_info)
    with SessionFile(out) as sf:
        trials = [sf.read_trial(i.id) for i in sf.trial_infos()]
    assert len(trials) >= 2
    for t in trials:
        k = mk.index(next(m for m in mk if m.startswith(f"trial_start {t.id}")))
        i0 = int(np.argmin(np.abs(emg_t - mk_t[k])))
        assert abs(emg_t[i0] - mk_t[k]) < 1e-6  # the marker's time is its sample's time
        np.testing.assert_array_equal(emg[i0:i0 + t.n_samples], t.emg_uv)
        for s, kind, label in zip(t.events.sample, t.events.kind, t.events.label):
            text = f"{kind} {label}".strip()
            hits = [mk_t[j] for j, m in enumerate(mk) if m == text]
            assert any(abs(h - emg_t[i0 + s]) < 1e-6 for h in hits), text
    assert any(m.startswith("rep_start") for m in mk)


def _outlet(name: str, fs: float, n_ch: int):
    info = pylsl.StreamInfo(name, "EMG", n_ch, fs, pylsl.cf_float32, name)
    chans = info.desc().append_child("channels")
    for _ in range(n_ch):
        chans.append_child("channel").append_child_value("unit", "microvolts")
    return pylsl.StreamOutlet(info)


def test_lsl_source_records_a_test_outlet_exactly(tmp_path):
    import threading

    from emgkit.cli.main import main

    name = f"emgkit-src-{uuid.uuid4().hex[:8]}"
    fs, n_ch = 500.0, 8
    outlet = _outlet(name, fs, n_ch)
    stop = threading.Event()

    def push():
        i = 0
        while not stop.is_set():
            rows = (i + np.arange(10))[:, None] + 1000.0 * np.arange(n_ch)[None, :]
            outlet.push_chunk(rows.astype(np.float32))
            i += 10
            time.sleep(10 / fs)

    th = threading.Thread(target=push, daemon=True)
    th.start()
    out = tmp_path / "lsl.h5"
    try:
        rc = main(["record", "--board", "lsl", "--lsl-stream", name, "--montage",
                   "cyton8-posterior-chain", "--task", "rest", "--duration", "2",
                   "--subject", "S01", "--out", str(out)])
    finally:
        stop.set()
        th.join(5)
    assert rc == 0
    with SessionFile(out) as sf:
        assert sf.device.board == "lsl" and sf.device.fs_hz == fs
        t = sf.read_trial("t001")
    assert t.n_samples == 1000
    first = t.emg_uv[0, 0]
    expect = (first + np.arange(1000))[:, None] + 1000.0 * np.arange(n_ch)[None, :]
    np.testing.assert_array_equal(t.emg_uv, expect.astype(np.float32))
    notes = t.events.of_kind("note")
    assert "lsl_clock_offset_s" in set(notes.label)
    assert np.all(np.abs(notes.value) < 1.0)  # the same machine: a tiny offset


def test_view_live_lsl_out_publishes_what_it_shows(tmp_path):
    """``view --live --lsl-out`` without a recorder: the replayed trial's samples arrive
    unchanged and its board markers arrive as ``marker VALUE`` on their samples."""
    import dataclasses

    from emgkit.io.writer import write_session
    from emgkit.model.session import Events
    from emgkit.simulate import simulate_session

    session, _ = simulate_session(None, 500.0, seed=4)
    trial = session.trials[0]
    marks = np.arange(250, trial.n_samples, 500)  # a foot switch every second
    trial = dataclasses.replace(trial, events=Events(marks, ["marker"] * len(marks),
                                                     ["11"] * len(marks)))
    path = tmp_path / "replay.h5"
    write_session(path, dataclasses.replace(session, trials=[trial]))
    name = f"emgkit-view-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "emgkit", "view", "--live", "--board", "stored",
         "--playback-file", str(path), "--trial", trial.id, "--lsl-out", "--lsl-name", name,
         "--screenshot", str(tmp_path / "live.png"), "--seconds", "8"],
        env={**lsl_local.env(), "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def check_info(info):
        ch = info.desc().child("channels").child("channel")
        assert ch.child_value("unit") == "microvolts" and ch.child_value("muscle")

    emg, emg_t, mk, mk_t = _receive(proc, name, check_info)
    assert len(emg) >= 1500  # at least 3 of the 8 s replayed reached the inlet
    # the inlet joined after the first blocks: find where its samples start in the trial
    i0 = np.flatnonzero(np.all(trial.emg_uv == emg[0], axis=1))
    assert len(i0) == 1
    i0 = int(i0[0])
    np.testing.assert_array_equal(emg, trial.emg_uv[i0:i0 + len(emg)])
    expected = [int(s) for s in marks if i0 <= s < i0 + len(emg) - 1]
    got = [i0 + int(np.argmin(np.abs(emg_t - t))) for t in mk_t]
    assert mk == ["marker 11"] * len(mk)
    # each on its sample; the markers' inlet may join after the first of them were pushed
    assert len(got) >= 2 and got == expected[-len(got):]
