"""Record a lab session (a protocol) or one trial from a board into an HDF5 session.

Two forms:

- ``emgkit record --board B [--serial-port P | --ip-address A] --montage M --protocol P
  --subject ID --out SESSION.h5 [--unattended]`` runs a protocol, prompting each step
  (or on its own timings with ``--unattended``).
- ``emgkit record --board B ... --montage M --task TASK --duration SECONDS --out
  SESSION.h5`` records one trial, added to SESSION.h5 if it exists. SIGINT or SIGTERM ends
  the trial early and keeps what was recorded.

A live status line (elapsed, samples, gaps, per-channel quality) goes to stderr. A
board that disconnects ends the trial with everything so far saved and exit code 2.

Synchronisation (``docs/synchronisation.md``): ``--lsl-out`` publishes the EMG and the
session's events as Lab Streaming Layer outlets; ``--board lsl --lsl-stream NAME``
records an LSL EMG stream; ``--trigger-pin D11`` records a Cyton trigger input's rising
edges as ``marker`` events.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from emgkit.cli.board_options import (
    add_board_arguments,
    add_sync_arguments,
    open_board_source,
)
from emgkit.errors import AcquisitionError, ConfigError

NAME = "record"
HELP = "record a protocol session or one trial from an OpenBCI board (or the emulator)"

def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``record`` options."""
    add_board_arguments(p, extra_boards=("lsl",), required=True)
    p.add_argument("--montage", required=True,
                   help="montage TOML file, or a shipped one (e.g. cyton8-posterior-chain)")
    form = p.add_mutually_exclusive_group(required=True)
    form.add_argument("--protocol", help="protocol TOML file, or a shipped one (lab-full, short)")
    form.add_argument("--task", help="one trial: mvc, hinge, squat, rest or other:<name>")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="length of the one trial (with --task)")
    p.add_argument("--target", help="MVC target muscle or group (with --task mvc)")
    p.add_argument("--variant", help="hinge/squat variant, e.g. romanian_deadlift")
    p.add_argument("--load-kg", type=float, help="external load in kg")
    p.add_argument("--subject", help="pseudonymous subject id (required for a new file)")
    p.add_argument("--out", required=True, metavar="SESSION.h5", help="session file")
    p.add_argument("--unattended", action="store_true",
                   help="run the protocol on its own timings, without prompts")
    p.add_argument("--mains-hz", type=float, choices=(50.0, 60.0),
                   help="mains frequency where the recording is made")
    sync = add_sync_arguments(p)
    sync.add_argument("--lsl-wait", type=float, default=0.0, metavar="SECONDS",
                      help="with --lsl-out: wait up to this long for a recorder (LabRecorder) "
                           "to subscribe before recording")


def _check_args(args: argparse.Namespace):
    from acquisition.protocol import load_protocol
    from acquisition.setups import find_setup
    from emgkit.model.montage import load_montage
    from emgkit.model.tasks import parse_task

    montage = load_montage(find_setup(args.montage, "montage"))
    protocol = task = None
    if args.protocol:
        for opt in ("duration", "target", "variant", "load_kg"):
            if getattr(args, opt) is not None:
                raise ConfigError(f"--{opt.replace('_', '-')} is for the one-trial form "
                                  "(--task), not with --protocol")
        protocol = load_protocol(args.protocol)
    else:
        if args.duration is None or not args.duration > 0:
            raise ConfigError("--task needs --duration SECONDS > 0")
        task = parse_task(args.task, args.target, args.variant, args.load_kg)
    out = Path(args.out)
    if out.exists():
        from emgkit.io.reader import SessionFile

        with SessionFile(out) as sf:
            if tuple(sf.montage.numbers) != tuple(montage.numbers) or \
                    sf.montage.names != montage.names:
                raise ConfigError(f"the session's montage ({', '.join(sf.montage.names)}) "
                                  f"differs from --montage {args.montage}", out)
            if sf.device.board != args.board:
                raise ConfigError(f"the session was recorded with board {sf.device.board!r}, "
                                  f"not {args.board!r}", out)
            if args.subject and args.subject != sf.subject:
                raise ConfigError(f"the session's subject is {sf.subject!r}, not "
                                  f"{args.subject!r}", out)
    elif not args.subject:
        raise ConfigError(f"{out} does not exist: --subject is needed to create it")
    return montage, protocol, task


def _status_printer(n_channels: int):
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(st) -> None:
        now = time.monotonic()
        if not tty and now - last[0] < 5.0:
            return
        last[0] = now
        q = " ".join(_short(w) for w in st.quality[:n_channels]) if st.quality else "-"
        line = (f"{st.trial_id or '-'}  {st.elapsed_s:6.1f} s  {st.n_samples:8d} samples  "
                f"{st.n_gaps} gaps ({st.missing_samples} lost)  quality [{q}]")
        if tty:
            sys.stderr.write("\r" + line[:150].ljust(100))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return show


def _short(word: str) -> str:
    return {"ok": ".", "railed": "R", "flat": "F", "noisy": "N"}.get(word, "?")


def run(args: argparse.Namespace) -> int:
    """Record; exit 0 when the data were saved, 2 on bad input or a lost board."""
    from acquisition.protocol import RunnerUI, TerminalUI, run_protocol
    from acquisition.recorder import Recorder
    from emgkit.io.writer import create_session
    from emgkit.model.session import Device

    montage, protocol, task = _check_args(args)
    source = open_board_source(args, montage)
    info = source.info
    if info.fs_hz < 1000:
        sys.stderr.write(f"emgkit record: note: {info.fs_hz:g} Hz under-samples surface EMG "
                         "(SENIAM: >= 1 kHz); amplitude (RMS, %MVC) is usable, spectra are not\n")
    out = Path(args.out)
    created = False
    stop = threading.Event()
    old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    n_trials = 0
    try:
        source.open()
        if not out.exists():
            create_session(out, args.subject, Device(
                args.board, info.fs_hz, info.gain, info.uv_per_count, info.full_scale_uv,
                args.mains_hz), montage)
            created = True
        rec = Recorder(source, out)
        publisher = _publisher(args, rec, montage)
        with rec:
            status = _status_printer(len(montage.channels))
            if protocol is not None:
                ui = RunnerUI() if args.unattended else TerminalUI()
                ui.status = status
                report = run_protocol(protocol, rec, ui, stop, timeline=args.unattended)
                results = report.results
            else:
                results = [rec.record_trial(task, args.duration, stop=stop, on_status=status)]
            n_trials = len(results)
        if publisher is not None:
            publisher.close()
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        for r in results:
            print(f"{out}: {r.message}")
        if rec.error is not None:
            raise AcquisitionError(f"{rec.error.message}; everything recorded so far is saved "
                                   f"in {out} (run 'emgkit check {out}')")
        return 0
    except BaseException:
        if created and n_trials == 0 and not _has_trials(out):
            out.unlink(missing_ok=True)
        raise
    finally:
        source.close()
        for s, h in old.items():
            signal.signal(s, h)


def _publisher(args: argparse.Namespace, rec, montage):
    """Start the LSL outlets for ``--lsl-out`` (None without it)."""
    if not args.lsl_out:
        return None
    from acquisition.lsl import LslPublisher

    pub = LslPublisher(rec.info, montage, recorder=rec, name=args.lsl_name,
                       source_id=str(Path(args.out).name))
    if args.lsl_wait > 0 and not pub.wait_for_consumers(args.lsl_wait):
        sys.stderr.write(f"emgkit record: note: no LSL recorder subscribed within "
                         f"{args.lsl_wait:g} s; recording anyway\n")
    return pub


def _has_trials(path: Path) -> bool:
    try:
        import h5py

        with h5py.File(path, "r") as f:
            return len(f["trials"]) > 0
    except (OSError, KeyError):
        return False
