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
        try:
            emg_in, mk_in = _inlet(name, "EMG"), _inlet(name, "Markers")
            info = emg_in.info()
            ch = info.desc().child("channels").child("channel")
            assert ch.child_value("unit") == "microvolts"
            assert ch.child_value("muscle") and ch.child_value("side") in ("left", "right")
            assert info.channel_format() == pylsl.cf_float32
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
    emg, emg_t = np.asarray(emg, np.float32), np.asarray(emg_t)
    mk = [m[0] for m in mk]
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
