"""``emgkit demo``: a simulated subject recorded through the real acquisition path.

The sEMG simulator (:mod:`emgkit.simulate`) renders a short lab session for the
simulator's default Cyton montage: a rest, one MVC per muscle group, a set of five
Romanian deadlifts (hip hinge) and a set of five back squats. The Cyton board emulator
(:mod:`acquisition.emulator`, 33-byte packets on a pseudo-terminal) sends it to
BrainFlow's real Cyton driver; the session recorder writes the HDF5 file while the
protocol runner (:func:`acquisition.protocol.run_protocol`, unattended) steps through
the trials and stores the repetition markers. The file is then processed and reported
exactly as ``emgkit process`` and ``emgkit report`` do.

The emulator plays each simulated trial when the runner starts recording it (a scripted
feed; between trials it plays the rest trial). It runs ``speed`` times faster than real
time: BrainFlow's driver parses the packets whatever their pace, and the file records
the board's nominal 250 Hz. Nothing is read from the repository's folders: the montage
and the protocol are built here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from acquisition.protocol import RunnerUI, parse_protocol
from emgkit.model.session import Device, Session

if TYPE_CHECKING:
    from emgkit.simulate import SessionTruth, TrialSpec

log = logging.getLogger("emgkit")

BOARD = "cyton"
FS_HZ = 250.0
SUBJECT = "demo01"
#: MVC targets, one trial each (the groups of the default Cyton montage).
MVC_TARGETS = ("hamstrings", "gluteals", "back_extensors", "quadriceps", "abdominals")
REPS = 5
REP_S = 3.0
LEAD_S = 1.0
#: Default pace of the emulator, in multiples of real time (measured: see docs/cli.md).
DEFAULT_SPEED = 4.0


@dataclass(frozen=True)
class DemoPlan:
    """What the demo records: the simulated trials, their truth and the protocol.

    Attributes
    ----------
    session : Session
        The simulated session (trial ``k`` of the protocol plays ``session.trials[k]``).
    truth : SessionTruth
        The simulator's truth of those trials (sample times within each trial).
    protocol : acquisition.protocol.Protocol
        The unattended protocol the runner records, trial for trial.
    """

    session: Session
    truth: SessionTruth
    protocol: object


def demo_specs() -> list[TrialSpec]:
    """Return the simulated trials: rest, one MVC per group, a hinge set and a squat set."""
    from emgkit.simulate import TrialSpec

    mvc = {"n_reps": 1, "mvc_ramp_s": 0.5, "mvc_hold_s": 2.0, "lead_s": 0.5, "tail_s": 0.5}
    sets = {"n_reps": REPS, "rep_s": REP_S, "pause_s": 0.0, "dur_jitter": 0.0,
            "lead_s": LEAD_S, "tail_s": LEAD_S / 2}
    return [TrialSpec("rest", duration_s=3.0),
            *(TrialSpec("mvc", target=t, **mvc) for t in MVC_TARGETS),
            TrialSpec("hinge", variant="romanian_deadlift", load_kg=60.0, **sets),
            TrialSpec("squat", variant="back_squat", load_kg=80.0, **sets)]


def demo_plan(seed: int = 0) -> DemoPlan:
    """Simulate the demo session and build the matching protocol.

    The protocol's set trials last ``lead + reps x rep + lead / 2`` with repetition
    markers every ``rep`` seconds, the simulated sets exactly so; MVC and rest trials
    last as long as their simulated trial.
    """
    from emgkit.simulate import default_montage, simulate_session

    specs = demo_specs()
    session, truth = simulate_session(default_montage(BOARD), FS_HZ, seed=seed,
                                      protocol=specs, subject=SUBJECT, board=BOARD)
    steps = []
    for spec, trial in zip(specs, session.trials):
        step = {"task": spec.task}
        if spec.task in ("hinge", "squat"):
            step.update(variant=spec.variant, load_kg=spec.load_kg, reps=REPS,
                        tempo_s=[REP_S / 2, 0.0, REP_S / 2, 0.0], lead_in_s=LEAD_S)
        else:
            step["duration_s"] = trial.n_samples / FS_HZ
            if spec.target:
                step["target"] = spec.target
        steps.append(step)
    protocol = parse_protocol({"name": "demo", "countdown_s": 0, "rest_s": 1.0,
                               "step": steps}, "demo protocol")
    return DemoPlan(session, truth, protocol)


class ScriptedFeed:
    """A feed that plays a simulated trial when armed and the rest trial otherwise.

    Parameters
    ----------
    session : Session
        The simulated session; its first trial (a rest) fills the time between trials.
    """

    def __init__(self, session: Session):
        self._trials = [np.asarray(t.emg_uv, dtype=np.float32) for t in session.trials]
        self._rest = self._trials[0]
        self._lock = threading.Lock()
        self._cur: np.ndarray | None = None
        self._pos = 0
        self._rest_pos = 0

    def arm(self, index: int) -> None:
        """Play trial ``index`` from its first sample on."""
        with self._lock:
            self._cur, self._pos = self._trials[index], 0

    def __call__(self, n: int) -> np.ndarray:
        """Return the next ``n`` samples, ``(n, n_channels)`` µV."""
        out = np.empty((n, self._rest.shape[1]), np.float32)
        got = 0
        with self._lock:
            while got < n:
                if self._cur is not None and self._pos < len(self._cur):
                    k = min(n - got, len(self._cur) - self._pos)
                    out[got:got + k] = self._cur[self._pos:self._pos + k]
                    self._pos += k
                else:
                    self._cur = None
                    k = min(n - got, len(self._rest) - self._rest_pos)
                    out[got:got + k] = self._rest[self._rest_pos:self._rest_pos + k]
                    self._rest_pos = (self._rest_pos + k) % len(self._rest)
                got += k
        return out


class _ArmingRecorder:
    """A recorder whose next trial starts the feed's next simulated trial."""

    def __init__(self, recorder, feed: ScriptedFeed, plan: DemoPlan):
        self._rec, self._feed = recorder, feed
        self._titles = [t.title for t in plan.protocol.trials]
        self._next = 0

    def __getattr__(self, name):
        return getattr(self._rec, name)

    def record_trial(self, task, duration_s=None, *, events=(), **kwargs):
        self._feed.arm(self._next)
        self._next += 1
        return self._rec.record_trial(task, duration_s, events=events, **kwargs)


def record_demo(out: Path, plan: DemoPlan, speed: float = DEFAULT_SPEED,
                progress: Callable[[str], None] | None = None) -> list:
    """Record the plan into the new session file ``out`` through the Cyton emulator.

    Parameters
    ----------
    out : Path
        The session file to create (must not exist).
    plan : DemoPlan
        From :func:`demo_plan`.
    speed : float
        Emulator pace in multiples of real time (1 = a real Cyton's pace).
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    list of acquisition.recorder.TrialResult
    """
    from acquisition.emulator import make_emulator
    from acquisition.protocol import run_protocol
    from acquisition.recorder import Recorder
    from acquisition.sources import open_source
    from acquisition.sources.brainflow_source import silence_brainflow
    from emgkit.errors import AcquisitionError
    from emgkit.io.writer import create_session

    say = progress or (lambda s: None)
    montage = plan.session.montage
    feed = ScriptedFeed(plan.session)
    silence_brainflow()
    with make_emulator(BOARD, feed, log=False) as emu:
        emu.board.fs_hz = FS_HZ * speed  # the streamer's pace; the packets are a Cyton's
        source = open_source(BOARD, montage.numbers, serial_port=emu.port)
        with source:
            info = source.info
            create_session(out, SUBJECT, Device(
                BOARD, info.fs_hz, info.gain, info.uv_per_count, info.full_scale_uv,
                plan.session.device.mains_hz), montage)
            with Recorder(source, out) as rec:
                ui = _ProgressUI(say, 1.0 / speed)
                report = run_protocol(plan.protocol, _ArmingRecorder(rec, feed, plan), ui)
                if rec.error is not None:
                    raise AcquisitionError(f"the emulated board failed: {rec.error.message}",
                                           out)
    return report.results


class _ProgressUI(RunnerUI):
    """Unattended runner hooks that report each trial in one line."""

    def __init__(self, say: Callable[[str], None], time_scale: float):
        super().__init__(out=say, time_scale=time_scale)
        self.t0 = time.monotonic()

    def show(self, text: str) -> None:
        """Report, except the rests between trials."""
        if not text.startswith("rest"):
            self.out(f"  [{time.monotonic() - self.t0:5.1f} s] {text}")

    def cue(self, text: str) -> None:
        """Announce each trial (not each repetition)."""
        if text.startswith("GO: "):
            self.show(f"recording {text[4:]}")


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` made.

    Attributes
    ----------
    paths : dict of str to Path
        ``session``, ``metrics``, ``report`` and (if made) ``pdf``.
    truth : SessionTruth
        The simulator's truth of the recorded trials.
    seconds : dict of str to float
        Wall time of each stage (``record``, ``process``, ``report``).
    """

    paths: dict
    truth: SessionTruth
    seconds: dict


def run_demo(out_dir, seed: int = 0, speed: float = DEFAULT_SPEED, pdf: bool = True,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    """Record, process and report a simulated subject in ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Output folder (created); ``session.h5``, ``metrics.csv`` (with the tables and
        provenance of ``emgkit process`` beside it), ``report.html`` and ``report.pdf``
        in it are replaced.
    seed : int
        Simulator seed.
    speed : float
        Emulator pace in multiples of real time.
    pdf : bool
        Also write ``report.pdf``.
    progress : callable, optional
        Receives progress lines.

    Returns
    -------
    DemoResult
    """
    from emgkit.analysis.files import analyse_files, output_paths, write_outputs
    from emgkit.errors import ConfigError
    from emgkit.io.atomic import atomic_path
    from emgkit.model.config import ProcessingConfig

    say = progress or (lambda s: None)
    if not speed > 0:
        raise ConfigError(f"--speed must be > 0, got {speed:g}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"session": out_dir / "session.h5", "metrics": out_dir / "metrics.csv",
             "report": out_dir / "report.html"}
    if pdf:
        paths["pdf"] = out_dir / "report.pdf"
    secs = {}
    t0 = time.monotonic()
    plan = demo_plan(seed)
    say(f"simulated subject {SUBJECT}: {len(plan.protocol.trials)} trials, "
        f"{sum(t.duration_s for t in plan.protocol.trials):.0f} s of recording; sending it "
        f"through the Cyton emulator and BrainFlow at {speed:g}x real time")
    with atomic_path(paths["session"]) as tmp:
        record_demo(tmp, plan, speed, say)
    secs["record"] = time.monotonic() - t0
    say(f"recorded {paths['session']} in {secs['record']:.1f} s; processing")
    t1 = time.monotonic()
    run = analyse_files([paths["session"]], ProcessingConfig())
    for msg in run.warnings:  # e.g. the low sampling rate of the Cyton, once
        say(f"note: {msg}")
    write_outputs(run, output_paths(paths["metrics"]), "emgkit demo")
    secs["process"] = time.monotonic() - t1
    say(f"processed in {secs['process']:.1f} s; writing the report")
    t2 = time.monotonic()
    from emgkit.report import build_report, write_report

    write_report(build_report(run), paths["report"], paths.get("pdf"))
    secs["report"] = time.monotonic() - t2
    say(f"done in {time.monotonic() - t0:.1f} s")
    return DemoResult(paths, plan.truth, secs)
