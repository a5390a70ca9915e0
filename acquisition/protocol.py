"""Session protocols (TOML) and the runner that records them step by step.

A protocol is a list of ``[[step]]`` tables run in order (format in
``docs/acquisition.md``)::

    name = "short"
    countdown_s = 3          # default lead-in before each trial
    rest_s = 60              # default rest after each trial

    [[step]]
    task = "mvc"             # mvc | hinge | squat | rest | other:<name>
    target = "hamstrings"    # mvc only: a muscle or group
    trials = 3               # repeated trials of this step
    duration_s = 5

    [[step]]
    task = "hinge"
    variant = "romanian_deadlift"
    load_kg = 40
    sets = 3                 # one trial per set
    reps = 8
    tempo_s = [2, 0.5, 1.5, 1]   # eccentric, bottom pause, concentric, top pause
    lead_in_s = 3            # before the first repetition

A set trial carries ``set_start``/``set_end`` and ``rep_start``/``rep_end`` events at
the tempo's times, and a ``phase`` event at the cued start of each phase of the tempo
that lasts (``lowering``, ``bottom``, ``lifting``, ``top``). The runner asks the operator
before each trial (go, repeat the last trial, skip, quit), or with ``unattended`` runs on
the protocol's own timings.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike

from emgkit.errors import ConfigError
from emgkit.model.muscles import GROUPS, MUSCLES
from emgkit.model.session import PHASES
from emgkit.model.tasks import Task, parse_task
from emgkit.model.tomlfile import read_toml

_STEP_KEYS = {"task", "target", "variant", "load_kg", "trials", "sets", "reps", "tempo_s",
              "lead_in_s", "duration_s", "rest_s", "countdown_s", "instructions"}


@dataclass(frozen=True)
class PlannedTrial:
    """One trial of a protocol, as the runner will record it.

    Attributes
    ----------
    task : Task
        The trial's task.
    duration_s : float
        Recording length.
    title : str
        A short heading (``MVC hamstrings 2/3``, ``hinge romanian_deadlift 40 kg set 1/3``).
    instructions : str
        What the subject does.
    events_s : tuple of (float, str, str)
        Events at times from the trial's start: (seconds, kind, label).
    countdown_s, rest_s : float
        Lead-in before, rest after.
    """

    task: Task
    duration_s: float
    title: str
    instructions: str = ""
    events_s: tuple[tuple[float, str, str], ...] = ()
    countdown_s: float = 0.0
    rest_s: float = 0.0

    def events(self, fs_hz: float) -> list[tuple[int, str, str]]:
        """Return the events as (sample offset, kind, label) at ``fs_hz``.

        ``rep_end`` and ``set_end`` mark the *last* sample of their repetition or set
        (inclusive), as in the session format, so a repetition's end never falls on
        the next one's ``rep_start``.
        """
        out = []
        for t, kind, label in self.events_s:
            sample = round(t * fs_hz)
            if kind in ("rep_end", "set_end"):
                sample = max(sample - 1, 0)
            out.append((sample, kind, label))
        return out


@dataclass(frozen=True)
class Protocol:
    """A parsed protocol: a name and the flat list of trials to record."""

    name: str
    trials: tuple[PlannedTrial, ...]
    description: str = ""

    @property
    def duration_s(self) -> float:
        """Total time including lead-ins and rests."""
        return sum(t.countdown_s + t.duration_s + t.rest_s for t in self.trials)


def _num(step: dict, key: str, default, where: str, minimum: float = 0.0) -> float:
    v = step.get(key, default)
    if v is None:
        raise ConfigError(f"{where}: '{key}' is required")
    if isinstance(v, bool) or not isinstance(v, int | float) or v < minimum:
        raise ConfigError(f"{where}: '{key}' must be a number >= {minimum:g}, got {v!r}")
    return float(v)


def _set_trial(step: dict, task: Task, where: str, k: int, n_sets: int, countdown: float,
               rest: float) -> PlannedTrial:
    reps = int(_num(step, "reps", None, where, 1))
    tempo = step.get("tempo_s", [1.5, 0.0, 1.5, 0.0])
    if (not isinstance(tempo, list) or len(tempo) != 4
            or not all(isinstance(x, int | float) and x >= 0 for x in tempo) or sum(tempo) <= 0):
        raise ConfigError(f"{where}: 'tempo_s' must be 4 non-negative seconds "
                          f"[eccentric, bottom, concentric, top], got {tempo!r}")
    lead = _num(step, "lead_in_s", 2.0, where)
    rep_s = float(sum(tempo))
    total = lead + reps * rep_s + lead / 2
    ev = [(0.0, "set_start", str(k))]
    for r in range(reps):
        t0 = lead + r * rep_s
        ev.append((t0, "rep_start", str(r + 1)))
        # the tempo's phases at their cued times (emgkit.analysis.phases)
        starts = [t0 + float(sum(tempo[:k])) for k in range(len(tempo))]
        ev += [(t, "phase", name) for t, name, d in zip(starts, PHASES, tempo) if d > 0]
        ev.append((t0 + rep_s, "rep_end", str(r + 1)))
    ev.append((total, "set_end", str(k)))
    load = f" {task.load_kg:g} kg" if task.load_kg is not None else ""
    title = f"{task.name} {task.variant or ''}{load} set {k}/{n_sets}: {reps} reps".replace(
        "  ", " ")
    return PlannedTrial(task, total, title, str(step.get("instructions", "")), tuple(ev),
                        countdown, rest)


#: Keys of a protocol file's top level (the steps have their own, ``_STEP_KEYS``).
_PROTOCOL_KEYS = frozenset({"name", "description", "countdown_s", "rest_s", "step"})


def parse_protocol(data: dict, where: str = "protocol") -> Protocol:
    """Validate a protocol mapping (parsed TOML) and expand it into trials."""
    unknown = sorted(set(data) - _PROTOCOL_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys are "
                          f"{sorted(_PROTOCOL_KEYS)}")
    steps = data.get("step")
    if not isinstance(steps, list) or not steps:
        raise ConfigError(f"{where}: no [[step]] tables")
    countdown = _num(data, "countdown_s", 3.0, where)
    rest = _num(data, "rest_s", 30.0, where)
    trials: list[PlannedTrial] = []
    for i, step in enumerate(steps, 1):
        w = f"{where}, step {i}"
        unknown = sorted(set(step) - _STEP_KEYS)
        if unknown:
            raise ConfigError(f"{w}: unknown key(s) {unknown}; known keys are "
                              f"{sorted(_STEP_KEYS)}")
        target = step.get("target")
        if target is not None and target not in GROUPS and target not in MUSCLES:
            raise ConfigError(f"{w}: unknown MVC target {target!r}; use a muscle or one of "
                              f"the groups {sorted(GROUPS)}")
        task = parse_task(str(step.get("task", "")), target, step.get("variant"),
                          step.get("load_kg"))
        cd = _num(step, "countdown_s", countdown, w)
        rs = _num(step, "rest_s", rest, w)
        instr = str(step.get("instructions", ""))
        if "reps" in step:
            n = int(_num(step, "sets", 1, w, 1))
            trials += [_set_trial(step, task, w, k, n, cd, rs) for k in range(1, n + 1)]
            continue
        dur = _num(step, "duration_s", None, w, 0.01)
        n = int(_num(step, "trials", 1, w, 1))
        name = f"MVC {task.target}" if task.name == "mvc" else task.name
        trials += [PlannedTrial(task, dur, f"{name} {k}/{n}" if n > 1 else name, instr, (),
                                cd, rs) for k in range(1, n + 1)]
    return Protocol(str(data.get("name", where)), tuple(trials), str(data.get("description", "")))


def trial_starts(protocol: Protocol, fs_hz: float) -> list[int]:
    """Return the stream sample at which each trial starts on the protocol's own timings.

    Trial ``k`` starts after every earlier trial's countdown, duration and rest and its
    own countdown, counted from the first sample of the stream. The unattended runner
    (``run_protocol(..., timeline=True)``) and the emulator's protocol feed
    (:mod:`acquisition.emulator.protocol_feed`) both follow it.
    """
    starts, t = [], 0.0
    for pt in protocol.trials:
        t += pt.countdown_s
        starts.append(round(t * fs_hz))
        t += pt.duration_s + pt.rest_s
    return starts


def load_protocol(path_or_name: str | PathLike) -> Protocol:
    """Load a protocol from a TOML file, or a shipped one by name (``short``, ``lab-full``)."""
    from acquisition.setups import find_setup

    path = find_setup(str(path_or_name), "protocol")
    return parse_protocol(read_toml(path, "protocol"), str(path))


# -- operator interaction ---------------------------------------------------------------------
class RunnerUI:
    """Hooks the runner calls; the base class runs unattended (the protocol's timings).

    Subclass it for a terminal (:class:`TerminalUI`) or a viewer.

    Parameters
    ----------
    out : callable
        Where messages go (``print`` to stderr by default).
    time_scale : float
        Multiplies rests and countdowns (tests use a small value).
    """

    def __init__(self, out: Callable[[str], None] | None = None, time_scale: float = 1.0):
        self.out = out or (lambda s: print(s, file=sys.stderr, flush=True))
        self.time_scale = time_scale

    def show(self, text: str) -> None:
        """Tell the operator something."""
        self.out(text)

    def ask(self, trial: PlannedTrial, index: int, total: int) -> str:
        """Before a trial: ``go``, ``repeat`` (the previous trial), ``skip`` or ``quit``."""
        return "go"

    def wait(self, seconds: float, text: str, stop: threading.Event) -> bool:
        """Rest or count down; False if ``stop`` was set meanwhile."""
        if seconds > 0:
            self.show(f"{text} {seconds:g} s")
        return not stop.wait(seconds * self.time_scale)

    def cue(self, text: str) -> None:
        """Show a cue during a trial (repetition phases)."""
        self.show(text)

    def status(self, status) -> None:
        """Receive a :class:`~acquisition.recorder.RecorderStatus` during a trial."""


class TerminalUI(RunnerUI):
    """Prompts on the terminal: Enter = go, r = repeat the last trial, s = skip, q = quit."""

    def __init__(self, out=None, read_line: Callable[[str], str] | None = None):
        super().__init__(out)
        self.read_line = read_line or input

    def ask(self, trial: PlannedTrial, index: int, total: int) -> str:
        """Prompt until the operator chooses."""
        self.show(f"\n[{index}/{total}] {trial.title} ({trial.duration_s:g} s)")
        if trial.instructions:
            self.show(f"    {trial.instructions}")
        while True:
            try:
                ans = self.read_line("    Enter = start, r = repeat last, s = skip, q = quit: ")
            except EOFError:
                return "quit"
            ans = ans.strip().lower()[:1]
            choice = {"": "go", "r": "repeat", "s": "skip", "q": "quit"}.get(ans)
            if choice:
                return choice


@dataclass
class RunReport:
    """What a protocol run recorded."""

    results: list = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    quit_early: bool = False


def run_protocol(protocol: Protocol, recorder, ui: RunnerUI | None = None,
                 stop: threading.Event | None = None, timeline: bool = False) -> RunReport:
    """Record a protocol's trials with a running :class:`~acquisition.recorder.Recorder`.

    Parameters
    ----------
    protocol : Protocol
        The protocol.
    recorder : Recorder
        Started recorder.
    ui : RunnerUI, optional
        Operator hooks; unattended if None.
    stop : threading.Event, optional
        Set it to end the current trial (kept) and stop the protocol.
    timeline : bool
        Unattended: begin each trial at its sample of the stream (:func:`trial_starts`)
        rather than after waiting out the countdown and rest, so that the session keeps
        to the protocol's timings from the stream's start, as a subject (or the
        emulator's protocol feed) following them does. A trial whose start has passed
        begins at once.

    Returns
    -------
    RunReport
        The :class:`~acquisition.recorder.TrialResult` of every trial recorded.
    """
    ui = ui or RunnerUI()
    stop = stop or threading.Event()
    fs = recorder.info.fs_hz
    report = RunReport()
    trials = protocol.trials
    starts = trial_starts(protocol, fs) if timeline else None
    i = 0
    last: int | None = None
    while i < len(trials) and not stop.is_set():
        choice = ui.ask(trials[i], i + 1, len(trials))
        if choice == "quit":
            report.quit_early = True
            break
        if choice == "skip":
            report.skipped.append(trials[i].title)
            ui.show(f"skipped: {trials[i].title}")
            i += 1
            continue
        idx = last if choice == "repeat" and last is not None else i
        pt = trials[idx]
        at = starts[idx] if starts is not None and idx == i else None
        countdown = pt.countdown_s if at is None else _until(recorder, at, fs)
        if not ui.wait(countdown, f"{pt.title}: starting in", stop):
            break
        ui.cue(f"GO: {pt.title}")
        notes = f"protocol {protocol.name}: {pt.title}"
        if idx != i:
            notes += " (repeated)"
        res = recorder.record_trial(pt.task, pt.duration_s, stop=stop, notes=notes,
                                    events=pt.events(fs), on_status=_cues(pt, ui, fs),
                                    at_stream_sample=at)
        report.results.append(res)
        ui.show(res.message)
        if recorder.error is not None:
            break
        last = idx
        if idx == i:
            i += 1
        rest = pt.rest_s if starts is None or i >= len(trials) else min(
            pt.rest_s, _until(recorder, starts[i], fs) - trials[i].countdown_s)
        if i < len(trials) and not ui.wait(max(rest, 0.0), "rest", stop):
            break
    if stop.is_set():
        report.quit_early = True
    return report


#: A trial begun on the timeline is asked for this long before its start sample.
_AHEAD_S = 0.3


def _until(recorder, sample: int, fs_hz: float) -> float:
    """Seconds until ``_AHEAD_S`` before stream sample ``sample`` (0 if past)."""
    return max(0.0, (sample - recorder.stream_samples) / fs_hz - _AHEAD_S)


def _cues(pt: PlannedTrial, ui: RunnerUI, fs_hz: float):
    """Return a status callback that forwards status and announces repetitions."""
    reps = [(round(t * fs_hz), lab) for t, k, lab in pt.events_s if k == "rep_start"]
    said: set[str] = set()

    def on_status(st) -> None:
        ui.status(st)
        for s, lab in reps:
            if st.n_samples >= s and lab not in said:
                said.add(lab)
                ui.cue(f"  rep {lab}/{len(reps)}")

    return on_status
