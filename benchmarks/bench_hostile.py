"""Damaged and hostile inputs through the command line: hangs, memory, exit codes, messages.

Usage: ``python benchmarks/bench_hostile.py [--per-class 30] [--seed 1] [--timeout-s 10]
[--json results.json]``

Each mutant runs one command of the real command line (``emgkit.cli.main.main``) in a
forked child of a process that has imported everything once (so a run costs the work, not
the interpreter's start), with its own working directory, a 10 s budget (killed after, and
counted as a hang) and its peak resident memory taken from the kernel (``wait4``). The
mutation classes are those of issue 15:

* session files: bit flips (half of them in the first 8 KiB, where the metadata is),
  overwritten byte runs, truncation, hostile attribute values, and the structural edits of
  ``tests/io/test_hostile_sessions.py`` (links, virtual and sparse datasets, wrong shapes
  and types), each through ``check``, ``process``, ``report`` and ``export bids``;
* recordings of every reader (OpenBCI GUI v6, v5, pre-v5 and Ganglion text, BrainFlow CSV
  written by BrainFlow's own ``DataFilter.write_file``, BDF written by ``export bids``):
  header values, data cells, lines and bytes mutated, files truncated, through ``import``;
* configuration and montage TOML with the hostile values of
  ``tests/cli/test_hostile_toml.py``, and garbled TOML text;
* hostile strings as subject ids and montage labels.

A run fails the bar when it hangs, goes above 1 GB resident, ends in an internal error
(exit 1) or a signal, prints a traceback, or refuses (exit 2) in other than one line naming
the file (or option) at fault, or leaves an output behind after refusing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gzip
import io
import json
import os
import platform
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a forked child never waits on a pool
os.environ.setdefault("MPLBACKEND", "Agg")

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "io"), str(ROOT / "tests" / "cli")]

from test_hostile_sessions import CASES  # noqa: E402  (the suite's structural edits)
from test_hostile_toml import FIELDS, HOSTILE  # noqa: E402  (the suite's hostile values)

from emgkit.cli.main import main  # noqa: E402
from emgkit.io.writer import write_session  # noqa: E402
from emgkit.simulate import LabProtocol, TrialSpec, default_montage, simulate_session  # noqa: E402

RSS_LIMIT_MB = 1024.0
#: Address space a child may take: a runaway allocation fails there instead of taking the
#: machine (it is then an internal error, or a run above the 1 GB bar, and is counted).
AS_LIMIT_BYTES = 8 * 2**30
PROTOCOL = LabProtocol(rest_s=2.0, mvc_targets=("hamstrings", "quadriceps"),
                       hinge=TrialSpec("hinge", n_reps=2, lead_s=0.5, tail_s=0.5),
                       squat=TrialSpec("squat", n_reps=2, lead_s=0.5, tail_s=0.5))
HOSTILE_NUMBERS = ["nan", "inf", "-inf", "-1", "0", "1e15", "1e308", "250000000", "abc", "",
                   "9" * 400, "0x10", "1,5", "-0"]
HOSTILE_STRINGS = ["S01\n", "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "@SUM(A1)", "../../x",
                   "S\x0001", "S" * 10_000, "S01\u202e", "", " ", "S01;rm -rf", "-S01"]
ATTR_VALUES = [np.nan, np.inf, -1, 0, 10**15, "abc", "", np.void(b"\xff\xfe"), np.int8(3),
               np.array([1.0, 2.0]), np.float16(250), True]


@dataclass
class Outcome:
    """One command on one mutant."""

    mutant: str
    command: str
    rc: int
    wall_s: float
    rss_mb: float
    hang: bool
    traceback: bool
    lines: int
    names_it: bool
    left_output: bool
    first_line: str = ""

    @property
    def failures(self) -> list[str]:
        """What of the bar this run misses."""
        out = []
        if self.hang:
            out.append("hang")
        if self.rss_mb > RSS_LIMIT_MB:
            out.append("memory")
        if self.rc == 1:
            out.append("internal error")
        elif self.rc not in (0, 1, 2):
            out.append(f"exit {self.rc}")
        if self.traceback:
            out.append("traceback")
        if self.rc == 2 and (self.lines != 1 or not self.names_it):
            out.append("message")
        if self.rc != 0 and self.left_output:
            out.append("partial output")
        return out


@dataclass
class Mutant:
    """A damaged input and the commands to run on it."""

    cls: str
    name: str
    commands: list[tuple[str, list[str], str | None]]  # (command, argv, its output path)
    names: list[str]  # strings of which a refusal must name one
    files: dict[str, bytes] = field(default_factory=dict)  # written into the work dir


def run_cli(argv: list[str], workdir: Path, timeout_s: float):
    """Run ``main(argv)`` in a forked child; return (rc, wall_s, rss_mb, hang, stderr)."""
    err_path = workdir / ".stderr"
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        rc = 1
        try:
            fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT_BYTES, AS_LIMIT_BYTES))
            os.chdir(workdir)
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
        except BaseException:  # what escapes main is what a user would see
            traceback.print_exc()
            rc = 1
        finally:
            sys.stderr.flush()
            os._exit(rc)
    hang = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - t0 > timeout_s:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            hang = True
            break
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    rc = 128 - rc if rc < 0 else rc  # a signal as the shell says it
    err = err_path.read_text(encoding="utf-8", errors="replace") if err_path.exists() else ""
    return rc, wall, usage.ru_maxrss / 1024.0, hang, err


def run_mutant(m: Mutant, base: Path, timeout_s: float) -> list[Outcome]:
    """Every command of one mutant, each in a fresh copy of its files."""
    out = []
    for command, argv, output in m.commands:
        work = Path(tempfile.mkdtemp(dir=base))
        for name, data in m.files.items():
            (work / name).write_bytes(data)
        rc, wall, rss, hang, err = run_cli(argv, work, timeout_s)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        refusals = [ln for ln in lines if ": error:" in ln] or lines
        first = refusals[0] if refusals else ""
        out.append(Outcome(
            mutant=f"{m.cls}: {m.name}", command=command, rc=rc, wall_s=round(wall, 3),
            rss_mb=round(rss, 1), hang=hang, traceback="Traceback (most recent" in err,
            lines=len(refusals), names_it=any(n in first for n in m.names),
            left_output=bool(output) and (work / output).exists(), first_line=first[:300]))
        shutil.rmtree(work, ignore_errors=True)
    return out


# ---------------------------------------------------------------- seeds


def make_seeds(tmp: Path) -> dict[str, bytes]:
    """Valid inputs of every kind, as bytes."""
    s, _ = simulate_session(default_montage("cyton"), 250.0, seed=2, protocol=PROTOCOL,
                            subject="S01")
    good = tmp / "s.h5"
    write_session(good, s)
    seeds = {"session": good.read_bytes()}
    gui = ROOT / "datasets" / "openbci_gui_cyton"
    for key, name in [("gui-v6", "OpenBCI_GUI-v6-blinks-jawClench-alpha.txt.gz"),
                      ("gui-v5", "OpenBCI_GUI-v5-blinks-jawClench-alpha.txt.gz"),
                      ("gui-legacy", "OpenBCI-sampleData-1-blinks-jawClench-alpha.txt.gz"),
                      ("gui-jordan", "OpenBCI_2016-02-13_Jordan_focus.txt.gz")]:
        seeds[key] = _head(gzip.decompress((gui / name).read_bytes()), 2500)
    ganglion = ROOT / "datasets" / "openbci_ganglion_myoware" / "OpenBCI-RAW-S02_S1REST.txt.gz"
    seeds["gui-ganglion"] = _head(gzip.decompress(ganglion.read_bytes()), 2500)
    seeds["brainflow-csv"] = _brainflow_csv(tmp)
    bids = tmp / "bids"
    assert main(["export", "bids", str(good), "--out", str(bids)]) == 0
    seeds["bdf"] = next(bids.rglob("*.bdf")).read_bytes()
    return seeds


def _head(text: bytes, n_lines: int) -> bytes:
    return b"".join(text.splitlines(keepends=True)[:n_lines])


def _brainflow_csv(tmp: Path) -> bytes:
    """Ten seconds of the synthetic Cyton, written by BrainFlow itself."""
    from brainflow.board_shim import BoardIds, BoardShim
    from brainflow.data_filter import DataFilter

    board = BoardIds.CYTON_BOARD.value
    n_rows = BoardShim.get_num_rows(board)
    rng = np.random.default_rng(0)
    data = np.zeros((n_rows, 2500))
    data[BoardShim.get_package_num_channel(board)] = np.arange(2500) % 256
    for ch in BoardShim.get_exg_channels(board):
        data[ch] = rng.normal(0, 30, 2500)
    data[BoardShim.get_timestamp_channel(board)] = 1.7e9 + np.arange(2500) / 250.0
    path = tmp / "bf.csv"
    DataFilter.write_file(data, str(path), "w")
    return path.read_bytes()


# ---------------------------------------------------------------- mutants


def _session_commands(name: str) -> list[tuple[str, list[str], str | None]]:
    return [("check", ["check", name], None),
            ("process", ["process", name, "--out", "m.csv"], "m.csv"),
            ("report", ["report", name, "--out", "r.html"], "r.html"),
            ("export", ["export", "bids", name, "--out", "bids"], "bids")]


def _import(name: str, *extra: str, montage: str = "cyton8-posterior-chain",
            subject: str = "S01"):
    return [("import", ["import", name, "--montage", montage, "--task", "hinge",
                        "--subject", subject, "--into", "new.h5", *extra], "new.h5")]


def session_mutants(seed: bytes, rng, n: int, tmp: Path) -> list[Mutant]:
    """Byte-level and structural damage to a session file."""
    out = []
    name = "s.h5"
    for i in range(n):
        raw = bytearray(seed)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(0, 8192 if rng.random() < 0.5 else len(raw)))
            raw[pos] ^= 1 << int(rng.integers(8))
        out.append(Mutant("session", f"bit flips {i}", _session_commands(name), [name],
                          {name: bytes(raw)}))
    for i in range(n):
        raw = bytearray(seed)
        pos, k = int(rng.integers(0, len(raw))), int(rng.integers(1, 65))
        fill = [rng.integers(0, 256, k, dtype=np.uint8).tobytes(), b"\0" * k, b"\xff" * k]
        raw[pos:pos + k] = fill[int(rng.integers(3))][:len(raw) - pos]
        out.append(Mutant("session", f"byte run {i}", _session_commands(name), [name],
                          {name: bytes(raw)}))
    for i in range(max(1, n // 3)):
        cut = seed[:int(rng.integers(0, len(seed)))]
        out.append(Mutant("session", f"truncated {i}", _session_commands(name), [name],
                          {name: cut}))
    for i in range(n):
        out.append(Mutant("session", f"attribute {i}", _session_commands(name), [name],
                          {name: _edit_attribute(seed, rng, tmp)}))
    for case, (edit, _message) in CASES.items():
        path = tmp / "case" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(seed)
        for other in path.parent.glob("other.h5"):
            other.unlink()
        edit(path)
        files = {name: path.read_bytes()}
        if (path.parent / "other.h5").exists():
            files["other.h5"] = (path.parent / "other.h5").read_bytes()
        out.append(Mutant("session", f"structural: {case}", _session_commands(name), [name],
                          files))
    return out


def _edit_attribute(seed: bytes, rng, tmp: Path) -> bytes:
    path = tmp / "attr.h5"
    path.write_bytes(seed)
    with h5py.File(path, "r+") as f:
        objs = [f, *(f["trials"][k] for k in f["trials"])]
        obj = objs[int(rng.integers(len(objs)))]
        keys = list(obj.attrs)
        key = keys[int(rng.integers(len(keys)))]
        obj.attrs[key] = ATTR_VALUES[int(rng.integers(len(ATTR_VALUES)))]
    return path.read_bytes()


READER_ARGS = {"gui-v6": (), "gui-v5": (), "gui-legacy": (), "gui-jordan": (),
               "gui-ganglion": ("ganglion4-hamstrings",), "brainflow-csv": ("--board", "cyton"),
               "bdf": ()}


def recording_mutants(seeds: dict[str, bytes], rng, n: int) -> list[Mutant]:
    """Header values, cells, lines and bytes of every reader's input, mutated."""
    out = []
    for key, args in READER_ARGS.items():
        montage = "cyton8-posterior-chain"
        if args and not args[0].startswith("--"):
            montage, args = args[0], args[1:]
        suffix = {"bdf": ".bdf", "brainflow-csv": ".csv"}.get(key, ".txt")
        name = f"rec{suffix}"
        for i in range(n):
            kind = ("header", "cell", "line", "bytes", "truncate")[i % 5]
            data = _mutate_text(seeds[key], kind, rng) if key != "bdf" else \
                _mutate_bytes(seeds[key], kind, rng)
            out.append(Mutant(f"import {key}", f"{kind} {i}",
                              _import(name, *args, montage=montage), [name], {name: data}))
    return out


def _mutate_text(seed: bytes, kind: str, rng) -> bytes:
    lines = seed.splitlines(keepends=True)
    hostile = HOSTILE_NUMBERS[int(rng.integers(len(HOSTILE_NUMBERS)))].encode()
    n_header = sum(1 for ln in lines[:50] if ln.startswith(b"%"))
    if kind in ("header", "cell"):
        i = int(rng.integers(0, max(n_header, 1))) if kind == "header" else \
            int(rng.integers(n_header, len(lines)))
        sep = b"=" if kind == "header" and b"=" in lines[i] else \
            b"\t" if b"\t" in lines[i] else b","
        fields = lines[i].split(sep)
        j = int(rng.integers(1 if len(fields) > 1 else 0, len(fields)))
        fields[j] = b" " + hostile + (b"\n" if fields[j].endswith(b"\n") else b"")
        lines[i] = sep.join(fields)
    elif kind == "line":
        i = int(rng.integers(len(lines)))
        op = int(rng.integers(3))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i] * int(rng.integers(1, 4)))
        else:
            lines[i] = lines[i][:int(rng.integers(0, len(lines[i]) + 1))]
    else:
        return _mutate_bytes(b"".join(lines), kind, rng)
    return b"".join(lines)


def _mutate_bytes(seed: bytes, kind: str, rng) -> bytes:
    raw = bytearray(seed)
    if kind == "truncate":
        return bytes(raw[:int(rng.integers(0, len(raw)))])
    for _ in range(int(rng.integers(1, 9))):
        pos = int(rng.integers(0, 512 if rng.random() < 0.5 else len(raw)))
        raw[pos] = int(rng.integers(256))
    return bytes(raw)


def toml_mutants(seeds: dict[str, bytes], rng, n: int) -> list[Mutant]:
    """Hostile configuration and montage values, garbled TOML, hostile strings."""
    out = []
    session = {"s.h5": seeds["session"]}
    for i in range(n):
        entries = {}
        for _ in range(int(rng.integers(1, 4))):
            section, key = FIELDS[int(rng.integers(len(FIELDS)))]
            entries.setdefault(section, {})[key] = HOSTILE[int(rng.integers(len(HOSTILE)))]
        text = "".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items())
                       for s, kv in entries.items())
        if i % 3 == 2:  # garbled bytes in the text
            raw = bytearray(text.encode())
            raw[int(rng.integers(len(raw)))] = int(rng.integers(256))
            text = raw.decode("latin-1")
        out.append(Mutant("config toml", str(i), [
            ("process", ["process", "s.h5", "--config", "c.toml", "--out", "m.csv"], "m.csv")],
            ["c.toml"], {**session, "c.toml": text.encode("latin-1")}))
    montage = (ROOT / "acquisition" / "setups" / "cyton8-posterior-chain.toml").read_bytes()
    for i in range(n):
        data = _mutate_text(montage, ("cell", "line", "bytes")[i % 3], rng) if i % 2 else \
            _montage_value(montage, rng)
        out.append(Mutant("montage toml", str(i),
                          _import("rec.txt", montage="m.toml"), ["m.toml"],
                          {"rec.txt": seeds["gui-v6"], "m.toml": data}))
    for i, s in enumerate(HOSTILE_STRINGS):
        out.append(Mutant("hostile string", f"subject {i}", _import("rec.txt", subject=s),
                          ["--subject", "subject"], {"rec.txt": seeds["gui-v6"]}))
        label = montage.replace(b'side = "right"\n', b'side = "right"\nlabel = ' +
                                json.dumps(s).encode() + b"\n", 1)
        out.append(Mutant("hostile string", f"label {i}", _import("rec.txt", montage="m.toml"),
                          ["m.toml"], {"rec.txt": seeds["gui-v6"], "m.toml": label}))
    return out


def _montage_value(montage: bytes, rng) -> bytes:
    lines = montage.splitlines(keepends=True)
    idx = [i for i, ln in enumerate(lines) if b"=" in ln and not ln.startswith(b"#")]
    i = idx[int(rng.integers(len(idx)))]
    key = lines[i].split(b"=", 1)[0]
    lines[i] = key + b"= " + HOSTILE[int(rng.integers(len(HOSTILE)))].encode() + b"\n"
    return b"".join(lines)


# ---------------------------------------------------------------- the run


def summarise(results: list[Outcome]) -> list[dict]:
    """One row per mutation class and command."""
    rows: dict[tuple[str, str], dict] = {}
    for r in results:
        cls = r.mutant.split(":")[0]
        row = rows.setdefault((cls, r.command), {
            "class": cls, "command": r.command, "runs": 0, "exit 0": 0, "exit 2": 0,
            "failures": 0, "max wall s": 0.0, "max RSS MB": 0.0})
        row["runs"] += 1
        row["exit 0"] += r.rc == 0
        row["exit 2"] += r.rc == 2
        row["failures"] += bool(r.failures)
        row["max wall s"] = max(row["max wall s"], r.wall_s)
        row["max RSS MB"] = max(row["max RSS MB"], r.rss_mb)
    return list(rows.values())


def _markdown(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        lines.append("| " + " | ".join(
            f"{row[k]:.2f}" if isinstance(row[k], float) and k.startswith("max wall")
            else f"{row[k]:.0f}" if isinstance(row[k], float) else str(row[k])
            for k in keys) + " |")
    return "\n".join(lines)


def main_bench(argv=None) -> int:
    """Run the mutation benchmark and print its table; return 1 if any run misses the bar."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-class", type=int, default=30,
                    help="random mutants per kind (structural cases are all run)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout-s", type=float, default=10.0)
    ap.add_argument("--json", help="write every run's outcome here")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        seeds = make_seeds(tmp)
        mutants = [*session_mutants(seeds["session"], rng, args.per_class, tmp),
                   *recording_mutants(seeds, rng, args.per_class),
                   *toml_mutants(seeds, rng, args.per_class)]
        # warm: every command once on valid input in this process, so children fork with
        # everything imported (and a valid input is seen to pass)
        warm = Mutant("valid", "seeds", [*_session_commands("s.h5"), *_import("rec.txt")],
                      ["s.h5"], {"s.h5": seeds["session"], "rec.txt": seeds["gui-v6"]})
        for c, a, _ in warm.commands:
            work = Path(tempfile.mkdtemp(dir=tmp))
            for name, data in warm.files.items():
                (work / name).write_bytes(data)
            cwd = Path.cwd()
            os.chdir(work)
            try:
                with contextlib.redirect_stdout(io.StringIO()), \
                        contextlib.redirect_stderr(io.StringIO()):
                    assert main(a) == 0, c
            finally:
                os.chdir(cwd)
        # the same commands on the valid seeds, forked as the mutants are: the time a command
        # takes on good input here, against which the budget is read
        valid = run_mutant(warm, tmp, args.timeout_s)
        t0 = time.perf_counter()
        results = []
        for m in mutants:
            results.extend(run_mutant(m, tmp, args.timeout_s))
        elapsed = time.perf_counter() - t0
    failed = [r for r in results if r.failures]
    print(f"# {len(results)} runs of {len(mutants)} mutants in {elapsed:.0f} s, "
          f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, seed {args.seed}")
    print("valid input: " + ", ".join(f"{r.command} {r.wall_s:.1f} s {r.rss_mb:.0f} MB"
                                      for r in valid))
    print(_markdown(summarise(results)))
    print(f"\nhangs {sum(r.hang for r in results)}, above 1 GB "
          f"{sum(r.rss_mb > RSS_LIMIT_MB for r in results)}, internal errors "
          f"{sum(r.rc == 1 for r in results)}, tracebacks {sum(r.traceback for r in results)}, "
          f"bad messages {sum('message' in r.failures for r in results)}, partial outputs "
          f"{sum('partial output' in r.failures for r in results)}")
    for r in failed[:40]:
        print(f"FAIL {r.mutant} | {r.command} | {', '.join(r.failures)} | rc {r.rc} | "
              f"{r.wall_s:.1f} s | {r.rss_mb:.0f} MB | {r.first_line}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            [asdict(r) | {"failures": r.failures} for r in results], indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main_bench())
