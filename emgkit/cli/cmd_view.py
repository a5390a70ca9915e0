"""Open the pyqtgraph viewer: review a stored session, or watch (and record) a board live.

Forms:

- ``emgkit view SESSION.h5`` reviews a session: trials, repetitions shaded, quality flags,
  metrics of the selected repetition; zoom and pan read only the visible slice.
- ``emgkit view --live --board B [--serial-port P | --ip-address A] --montage M
  [--out SESSION.h5 [--subject ID]] [--protocol P [--unattended]]`` shows a board (or
  ``--board simulated``, the built-in sEMG simulator, or ``--board stored
  --playback-file SESSION.h5 --trial ID``, or ``--board lsl --lsl-stream NAME``, an LSL
  EMG stream) live; with ``--out`` trials can be recorded. ``--lsl-out`` publishes what
  is shown as LSL outlets (the EMG in µV and the events, as ``emgkit record --lsl-out``);
  ``--trigger-pin D11`` records a Cyton trigger input's rising edges as markers.
- ``--config C.toml``: the processing configuration of ``emgkit process``
  (:func:`emgkit.analysis.files.load_config`): a review's analysis (repetitions, MVC
  references, %MVC) and its filtered and envelope views use it; live, the causal core
  and the MVC references do. ``--scale common|row`` chooses the amplitude scaling.
- Either form with ``--screenshot PNG [--seconds S]`` runs the window offscreen-capable
  for S seconds (default 2; a review also until its analysis has finished, at most
  :data:`ANALYSIS_WAIT_S` more), saves a screenshot and exits.

Qt and pyqtgraph are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

from emgkit.cli.board_options import (
    add_board_arguments,
    add_sync_arguments,
    open_board_source,
)
from emgkit.errors import ConfigError

NAME = "view"
#: With --screenshot, longest wait past --seconds for a review's analysis to finish.
ANALYSIS_WAIT_S = 120.0
HELP = "the viewer: review a session file, or watch a board live (--live)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``view`` options."""
    p.add_argument("session", nargs="?", metavar="SESSION.h5", help="session file to review")
    p.add_argument("--live", action="store_true", help="watch a board live")
    add_board_arguments(p, extra_boards=("simulated", "stored", "lsl"), playback_help=(
        "--board playback: a BrainFlow file; --board stored: a session file"))
    p.add_argument("--trial", help="--board stored: the trial to replay (default: the first)")
    p.add_argument("--fs-hz", type=float, default=1000.0,
                   help="--board simulated: sampling rate (default 1000)")
    p.add_argument("--montage", help="montage TOML file or a shipped name (with --live)")
    p.add_argument("--out", metavar="SESSION.h5",
                   help="record into this session file (created if --subject is given)")
    p.add_argument("--subject", help="pseudonymous subject id for a new --out file")
    p.add_argument("--protocol", help="run this protocol (needs --out)")
    p.add_argument("--unattended", action="store_true", help="run the protocol on its timings")
    p.add_argument("--mvc-from", metavar="SESSION.h5",
                   help="MVC references from this session (default: --out if it exists)")
    p.add_argument("--mains-hz", type=float, choices=(50.0, 60.0), help="mains frequency")
    p.add_argument("--view", choices=("raw", "filtered", "envelope"), default="filtered",
                   help="initial view (default filtered)")
    p.add_argument("--config", metavar="C.toml",
                   help="processing configuration, as for emgkit process (segmentation, "
                        "normalisation, filters, envelope)")
    p.add_argument("--scale", choices=("common", "row"), default="common",
                   help="amplitude scaling: every row the same span (common, default) or "
                        "each row its own (row); the A key toggles it")
    p.add_argument("--window", type=float, default=10.0, metavar="S",
                   help="live scrolling window in seconds, 2-30 (default 10)")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot after --seconds, exit")
    p.add_argument("--seconds", type=float, default=2.0,
                   help="with --screenshot: how long to run first (default 2); a review "
                        "also waits for its analysis (repetitions, metrics) to finish")
    add_sync_arguments(p)


def _check(args: argparse.Namespace) -> None:
    if args.live == bool(args.session):
        raise ConfigError("give either a SESSION.h5 to review or --live --board B --montage M")
    if args.live and (not args.board or not (args.montage or args.board == "stored")):
        raise ConfigError("--live needs --board and --montage")
    if args.protocol and not args.out:
        raise ConfigError("--protocol needs --out SESSION.h5 to record into")
    if not 2.0 <= args.window <= 30.0:
        raise ConfigError(f"--window must be 2-30 s, but got {args.window:g}")
    if args.seconds < 0:
        raise ConfigError(f"--seconds must be >= 0, but got {args.seconds:g}")
    if not args.live and (args.lsl_out or args.trigger_pin or args.lsl_stream):
        raise ConfigError("--lsl-out, --lsl-stream and --trigger-pin need --live")
    if args.trigger_pin and args.board in ("simulated", "stored"):
        raise ConfigError(f"--trigger-pin reads a Cyton's pins, not --board {args.board}")
    if args.screenshot and not Path(args.screenshot).parent.resolve().is_dir():
        raise ConfigError("the screenshot's folder does not exist", args.screenshot)


def _source(args, montage):
    if args.board == "simulated":
        from emgkit.viewer.stream import simulated_session_source

        return simulated_session_source(montage, args.fs_hz)
    if args.board == "stored":
        from acquisition.sources import StoredTrialSource
        from emgkit.io.reader import SessionFile

        if not args.playback_file:
            raise ConfigError("--board stored needs --playback-file SESSION.h5")
        trial = args.trial
        if trial is None:
            with SessionFile(args.playback_file) as sf:
                trial = sf.trial_ids[0]
        return StoredTrialSource(args.playback_file, trial, channels=montage.numbers)
    return open_board_source(args, montage)


def _publisher(args, montage, info, recorder):
    """Return the LSL outlets of ``--lsl-out`` for the live feed (its recorder, if any)."""
    from acquisition.lsl import LslPublisher

    sid = Path(args.out).name if args.out else f"{info.board}-{info.address}"
    return LslPublisher(info, montage, recorder=recorder, name=args.lsl_name, source_id=sid)


def _live_window(args, config):
    from acquisition.protocol import load_protocol
    from acquisition.setups import find_setup
    from emgkit.io.reader import SessionFile
    from emgkit.io.writer import create_session
    from emgkit.model.montage import load_montage
    from emgkit.model.session import Device
    from emgkit.viewer.live_window import LiveWindow
    from emgkit.viewer.stream import session_mvc_reference

    if args.montage:
        montage = load_montage(find_setup(args.montage, "montage"))
    elif args.playback_file:
        with SessionFile(args.playback_file) as sf:  # --board stored: the session's montage
            montage = sf.montage
    else:
        raise ConfigError("--board stored needs --playback-file SESSION.h5")
    protocol = load_protocol(args.protocol) if args.protocol else None
    source = _source(args, montage)
    info = source.info
    publish = functools.partial(_publisher, args, montage, info) if args.lsl_out else None
    mains = args.mains_hz or getattr(source, "mains_hz", None)
    task = source.trial.task.name if hasattr(source, "trial") else None
    ref = None
    mvc_from = args.mvc_from or (args.out if args.out and Path(args.out).exists() else None)
    if mvc_from:
        with SessionFile(mvc_from) as sf:
            if sf.montage.names != montage.names:
                raise ConfigError("the session's montage differs from --montage", mvc_from)
            ref = session_mvc_reference(sf, config)
            mains = mains or sf.device.mains_hz
    if args.out and not Path(args.out).exists():
        if not args.subject:
            raise ConfigError(f"{args.out} does not exist: --subject is needed to create it")
        create_session(args.out, args.subject, Device(
            info.board, info.fs_hz, info.gain, info.uv_per_count, info.full_scale_uv, mains),
            montage)
    return LiveWindow(source, montage, session_path=args.out, reference_uv=ref,
                      mains_hz=mains, protocol=protocol, unattended=args.unattended,
                      window_s=args.window, view=args.view, task=task, config=config,
                      scale=args.scale, publish=publish)


def run(args: argparse.Namespace) -> int:
    """Open the viewer; exit 0 when it is closed (or the screenshot is saved)."""
    _check(args)
    import pyqtgraph as pg
    from PySide6 import QtCore

    from emgkit.analysis.files import load_config
    from emgkit.viewer.review_window import ReviewWindow

    config = load_config(args.config)
    app = pg.mkQApp("emgkit")
    win = (_live_window(args, config) if args.live else
           ReviewWindow(args.session, view=args.view, config=config, scale=args.scale))
    saved: list[Path] = []
    if args.screenshot:
        deadline = time.monotonic() + args.seconds + ANALYSIS_WAIT_S

        def shoot() -> None:
            # Review mode: the repetitions and metrics come from an analysis in a worker
            # thread; a screenshot taken before it ends would show none of them.
            ready = getattr(win, "analysis_ready", None)
            if ready is not None and not ready() and time.monotonic() < deadline:
                QtCore.QTimer.singleShot(100, shoot)
                return
            saved.append(win.save_screenshot(args.screenshot))
            win.close()

        QtCore.QTimer.singleShot(int(args.seconds * 1000), shoot)
    win.show()
    app.exec()
    if args.screenshot:
        if not saved:
            raise ConfigError("the window closed before the screenshot", args.screenshot)
        print(saved[0])
    sys.stdout.flush()
    return 0
