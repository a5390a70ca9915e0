"""`emgkit batch`: identical metrics on every executor, resuming, failures, CLI."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest

from emgkit.batch import find_sessions, run_batch
from emgkit.cli.cmd_batch import ProgressBar, _LogUnderBar
from emgkit.cli.main import main
from emgkit.model.config import EnvelopeConfig, ProcessingConfig

N_SESSIONS = 40


@pytest.fixture(scope="module")
def sessions(tmp_path_factory, session_maker):
    return session_maker(tmp_path_factory.mktemp("batch"), N_SESSIONS)


@pytest.fixture(scope="module")
def serial(sessions, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    res = run_batch(sessions, out, executor="serial")
    assert res.ok and res.count("done") == N_SESSIONS
    return out


def _metrics(out):
    return (out / "metrics.csv").read_bytes()


def test_serial_outputs(serial, sessions):
    df = pd.read_csv(serial / "metrics.csv")
    assert df.subject.nunique() == N_SESSIONS and (df.rep.isin([0, 1, 2])).all()
    prov = json.loads((serial / "sessions" / "s00" / "provenance.json").read_text())
    assert prov["command"] == "emgkit batch" and prov["batch"]["input_sha256"]
    assert prov["inputs"][0]["sha256"] == prov["batch"]["input_sha256"]
    for t in ("metrics", "comparisons", "indices", "curves"):
        assert (serial / "sessions" / "s39" / f"{t}.csv").is_file()


def test_same_metrics_as_process(serial, sessions, tmp_path):
    out = tmp_path / "p.csv"
    assert main(["process", *map(str, sessions[:3]), "--out", str(out)]) == 0
    # as text: the cells must be the same characters (a column that is empty in these
    # three sessions but not in others would otherwise differ only in inferred dtype)
    a = pd.read_csv(out, dtype=str, keep_default_na=False)
    b = pd.read_csv(serial / "metrics.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(a, b[b.subject.isin(a.subject.unique())]
                                  .reset_index(drop=True))


def test_process_pool_gives_identical_metrics(serial, sessions, tmp_path):
    res = run_batch(sessions, tmp_path, executor="pool", workers=2)
    assert res.ok and res.count("done") == N_SESSIONS
    assert _metrics(tmp_path) == _metrics(serial)


# distributed may warn while it tears a LocalCluster down (e.g. a worker's
# "Creating scratch directories is taking a surprisingly long time" on a slow disk);
# none of that touches the results, which the test compares byte for byte.
@pytest.mark.filterwarnings("ignore::UserWarning:distributed.*")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_dask_local_cluster_gives_identical_metrics(serial, sessions, tmp_path):
    pytest.importorskip("dask.distributed")
    res = run_batch(sessions, tmp_path, executor="dask", workers=2)
    assert res.ok and res.count("done") == N_SESSIONS
    assert _metrics(tmp_path) == _metrics(serial)


@pytest.mark.filterwarnings("ignore::UserWarning:distributed.*")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_local_dask_workers_keep_glibc_malloc_defaults(monkeypatch):
    # the nanny's default MALLOC_TRIM_THRESHOLD_ made every session ~1.5x slower
    pytest.importorskip("dask.distributed")
    from emgkit.batch.runner import _dask_client

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with _dask_client(None, 1) as client:
        env = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(env.values()) == [None]


@pytest.mark.filterwarnings("ignore::UserWarning:distributed.*")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_local_dask_cluster_logs_only_at_emgkit_level(sessions, tmp_path, caplog):
    # the in-process scheduler and nannies logged ~30 INFO lines into the CLI's stderr
    pytest.importorskip("dask.distributed")
    res = run_batch(sessions[:1], tmp_path, executor="dask", workers=1)
    assert res.ok
    chatter = [r.getMessage() for r in caplog.records
               if r.name.startswith("distributed") and r.levelno < logging.WARNING]
    assert chatter == []


def test_interrupted_batch_resumes_with_the_rest(serial, sessions, tmp_path):
    # an interruption after half the sessions: their complete outputs are on disk
    for p in sessions[: N_SESSIONS // 2]:
        shutil.copytree(serial / "sessions" / p.stem, tmp_path / "sessions" / p.stem)
    # and one session was cut off before its provenance (the completion mark) was written
    half = sessions[N_SESSIONS // 2].stem
    (tmp_path / "sessions" / half).mkdir()
    shutil.copy(serial / "sessions" / half / "metrics.csv", tmp_path / "sessions" / half)
    seen = []
    res = run_batch(sessions, tmp_path, executor="serial",
                    progress=lambda r, k, n: seen.append((r.status, k, n)))
    assert res.count("skipped") == N_SESSIONS // 2
    assert res.count("done") == N_SESSIONS - N_SESSIONS // 2
    assert [k for _, k, _ in seen] == list(range(1, N_SESSIONS + 1))
    assert _metrics(tmp_path) == _metrics(serial)
    # a changed input or configuration is processed again
    changed = ProcessingConfig(envelope=EnvelopeConfig(window_s=0.2))
    res = run_batch(sessions[:2], tmp_path, changed, executor="serial")
    assert res.count("done") == 2


def test_cli_reports_failures_and_exits_2(sessions, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in sessions[:2]:
        shutil.copy(p, folder / p.name)
    (folder / "broken.h5").write_bytes(b"this is not HDF5")
    out = tmp_path / "out"
    rc = main(["batch", str(folder), "--out", str(out), "--jobs", "1"])
    captured = capsys.readouterr()
    assert rc == 2
    failed = [ln for ln in captured.err.splitlines() if "failed:" in ln]
    assert len(failed) == 1 and "broken.h5" in failed[0]
    assert "2/3" in captured.err or "3/3 sessions" in captured.err  # the progress bar
    assert "2 processed, 0 up to date, 1 failed" in captured.out
    assert len(pd.read_csv(out / "metrics.csv").subject.unique()) == 2
    rc = main(["batch", str(folder / "s0*.h5"), "--out", str(out), "--jobs", "1",
               "--no-progress"])
    assert rc == 0 and "0 processed, 2 up to date" in capsys.readouterr().out


def test_find_sessions_paths_folders_globs(sessions, tmp_path):
    root = sessions[0].parent.parent
    assert find_sessions([root]) == sorted(p.resolve() for p in sessions)
    assert len(find_sessions([str(root / "a" / "*.h5"), sessions[1]])) == N_SESSIONS // 2 + 1
    assert main(["batch", str(tmp_path / "nothing*.h5"), "--out", str(tmp_path / "o")]) == 2
    assert main(["batch", str(root), "--out", str(tmp_path / "o"), "--jobs", "0"]) == 2


def test_log_lines_under_the_progress_bar_start_on_their_own_line():
    stream = io.StringIO()
    bar = ProgressBar(3, stream=stream)
    handler = logging.StreamHandler(stream)
    handler.addFilter(_LogUnderBar(bar))
    lg = logging.getLogger("emgkit.tests.bar")
    lg.addHandler(handler)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    try:
        done = SimpleNamespace(status="done", error=None)
        lg.info("before")
        bar(done, 1, 3)
        lg.info("between")
        lg.info("again")
        bar(done, 2, 3)
        bar(done, 3, 3)
        lg.info("after")
    finally:
        lg.removeHandler(handler)
    lines = stream.getvalue().split("\n")
    assert lines[0] == "before"
    assert lines[1].startswith("\r[") and "1/3 sessions" in lines[1]
    assert lines[2:4] == ["between", "again"]
    assert "2/3 sessions" in lines[4] and "3/3 sessions" in lines[4]  # redrawn in place
    assert lines[5:] == ["after", ""]


def test_the_batch_command_keeps_its_log_lines_off_the_bar(sessions, tmp_path, capsys,
                                                           monkeypatch):
    import sys

    import emgkit.batch.runner as runner

    handler = logging.StreamHandler(sys.stderr)  # the command's own handler, on stderr
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        rc = main(["-v", "batch", *map(str, sessions[:2]), "--out", str(tmp_path / "o"),
                   "--jobs", "1"])
        err = capsys.readouterr().err
        assert rc == 0
        logged = [ln for ln in err.split("\n") if "read and checked in" in ln]
        assert len(logged) == 2, err
        assert all(re.fullmatch(r"[\w.-]+\.h5: \d+ trial\(s\), .* in \d+\.\d s", ln)
                   for ln in logged), err  # each on a line of its own, not after the bar
        assert not handler.filters  # taken off again

        def interrupted(*args, progress=None, **kwargs):
            progress(SimpleNamespace(status="done", error=None), 1, 2)
            raise KeyboardInterrupt

        monkeypatch.setattr(runner, "run_batch", interrupted)
        rc = main(["batch", *map(str, sessions[:2]), "--out", str(tmp_path / "p"),
                   "--jobs", "1", "--force"])
        err = capsys.readouterr().err
        assert rc == 130
        assert err.split("\n")[-2].startswith("emgkit batch: interrupted"), err
        assert not handler.filters
    finally:
        root.removeHandler(handler)
