"""Simulated trials, sessions and streams with their ground truth.

A session is laid out as one continuous recording: the protocol's trials in order with
``between_s`` of rest between them. :func:`simulate_session` returns the trials as
:class:`~emgkit.model.Trial` objects; :class:`SessionStream` yields the same recording
(trials and the rests between them) block by block, and the trial rows of the stream are
identical, sample for sample, to the trials of :func:`simulate_session` with the same
arguments.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from emgkit._validate import check_nonnegative, check_positive
from emgkit.errors import ConfigError
from emgkit.model.boards import BOARDS
from emgkit.model.montage import Montage
from emgkit.model.session import Device, Events, Session, Trial
from emgkit.simulate.activation import TrialSpec, plan_trial
from emgkit.simulate.artefacts import (
    REFERENCE_FULL_SCALE_UV,
    Artefacts,
    ChannelModel,
    draw_channels,
)
from emgkit.simulate.faults import check_faults
from emgkit.simulate.montages import default_montage
from emgkit.simulate.render import Filters, TrialRenderer
from emgkit.simulate.truth import SessionTruth, TrialTruth

#: Full scale used when the board is unknown (Cyton at gain 24), in microvolts.
DEFAULT_FULL_SCALE_UV = REFERENCE_FULL_SCALE_UV
#: Order of MVC targets in the default protocol.
MVC_ORDER = ("hamstrings", "gluteals", "back_extensors", "quadriceps", "abdominals",
             "triceps_surae", "shank")
START_TIME = "2025-01-01T09:00:00+00:00"
_RENDER_BLOCK = 65536


@dataclass(frozen=True)
class LabProtocol:
    """The default lab session: rest, MVCs, hinge sets, squat sets.

    Parameters
    ----------
    rest_s : float
        Duration of a quiet rest trial first (0 for none).
    mvc_targets : tuple of str, optional
        MVC targets in order; by default one per muscle group of the montage, ordered as
        :data:`MVC_ORDER` (the broadest group of each channel's muscle).
    mvc_efforts : int
        Efforts per MVC trial (5 s each: 1 s ramp, 3 s plateau, 1 s ramp; 5 s apart).
    hinge, squat : TrialSpec
        One set of each task (a trial per set).
    hinge_sets, squat_sets : int
        Number of sets (trials) of each.
    """

    rest_s: float = 5.0
    mvc_targets: tuple[str, ...] | None = None
    mvc_efforts: int = 1
    hinge: TrialSpec = field(default_factory=lambda: TrialSpec(
        "hinge", variant="romanian_deadlift", load_kg=60.0))
    hinge_sets: int = 1
    squat: TrialSpec = field(default_factory=lambda: TrialSpec(
        "squat", variant="back_squat", load_kg=80.0))
    squat_sets: int = 1

    def trials(self, montage: Montage) -> tuple[TrialSpec, ...]:
        """Return the trial specifications in recording order."""
        out = []
        if self.rest_s > 0:
            out.append(TrialSpec("rest", duration_s=self.rest_s))
        targets = self.mvc_targets
        if targets is None:
            groups = []
            for c in montage.channels:
                m = montage.muscle(c.muscle)
                g = m.groups[-1] if m.groups else m.name
                if g not in groups:
                    groups.append(g)
            targets = tuple(sorted(groups, key=lambda g: (
                MVC_ORDER.index(g) if g in MVC_ORDER else len(MVC_ORDER), g)))
        out += [TrialSpec("mvc", target=t, n_reps=self.mvc_efforts) for t in targets]
        out += [self.hinge] * self.hinge_sets + [self.squat] * self.squat_sets
        return tuple(out)


def _protocol_specs(protocol, montage: Montage) -> tuple[TrialSpec, ...]:
    if protocol is None:
        protocol = LabProtocol()
    if isinstance(protocol, LabProtocol):
        return protocol.trials(montage)
    specs = tuple(TrialSpec(p) if isinstance(p, str) else p for p in protocol)
    if not specs or not all(isinstance(s, TrialSpec) for s in specs):
        raise ConfigError("protocol must be a LabProtocol or a non-empty sequence of TrialSpec "
                          f"(or task names), but got {protocol!r}")
    return specs


def _device(board: str | None, montage: Montage, fs_hz: float, artefacts: Artefacts) -> Device:
    board = board or montage.board or "synthetic"
    info = BOARDS.get(board)
    return Device(board=board, fs_hz=fs_hz, gain=info.gain if info else None,
                  uv_per_count=info.uv_per_count if info else None,
                  full_scale_uv=info.full_scale_uv if info else DEFAULT_FULL_SCALE_UV,
                  mains_hz=artefacts.mains_hz, firmware="emgkit-simulator")


class _Simulator:
    """What trials of one simulated subject share: channels, filters, device, seeds."""

    def __init__(self, montage, fs_hz, seed, artefacts, board, channels, mvc_rms_range_uv,
                 env_window_s):
        self.montage = montage if montage is not None else default_montage(board or "cyton")
        self.fs_hz = check_positive("fs_hz", fs_hz, "Hz")
        self.seed = int(seed)
        self.artefacts = artefacts if artefacts is not None else Artefacts()
        self.env_window_s = check_positive("env_window_s", env_window_s, "s")
        self.device = _device(board, self.montage, self.fs_hz, self.artefacts)
        self.cm: ChannelModel = channels if channels is not None else draw_channels(
            self.montage, self.artefacts, np.random.default_rng(self.seq(0)), mvc_rms_range_uv,
            self.device.full_scale_uv)
        if len(self.cm.mvc_rms_uv) != len(self.montage.channels):
            raise ConfigError(f"channels has {len(self.cm.mvc_rms_uv)} channels, the montage "
                              f"{len(self.montage.channels)}")
        self.filters = Filters(self.cm, self.fs_hz)

    def seq(self, *key: int) -> np.random.SeedSequence:
        """Return the seed sequence of one random stream of the simulation."""
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def renderer(self, spec: TrialSpec, kind: int, index: int, stream_start: int,
                 faults=()) -> TrialRenderer:
        """Plan and return the renderer of trial ``index`` (kind 1: trial, 2: rest gap)."""
        plan = plan_trial(spec, self.montage, self.fs_hz, self.cm.tone,
                          np.random.default_rng(self.seq(kind, index, 1000)))
        return TrialRenderer(plan, self.montage, self.cm, self.filters, self.artefacts,
                             float(self.device.full_scale_uv), check_faults(faults, self.montage),
                             self.seq(kind, index), stream_start)

    def trial(self, r: TrialRenderer, trial_id: str, markers: bool) -> tuple[Trial, TrialTruth]:
        """Render a whole trial."""
        n, n_ch = r.n_stored, len(self.montage.channels)
        emg, acc = np.empty((n, n_ch), np.float32), np.empty((n, 3), np.float32)
        pn, k = np.empty(n, np.int16), 0
        while r.pos < r.n_samples:
            b = r.read(_RENDER_BLOCK)
            m = b.emg_uv.shape[0]
            emg[k : k + m], acc[k : k + m], pn[k : k + m] = b.emg_uv, b.accel_g, b.package_num
            k += m
        start = _dt.datetime.fromisoformat(START_TIME) + _dt.timedelta(
            seconds=r.stream_start / self.fs_hz)
        trial = Trial(trial_id, r.plan.spec.task_obj, self.fs_hz, emg, accel_g=acc,
                      package_num=pn, events=r.events(markers), start_time=start.isoformat(),
                      notes="simulated by emgkit.simulate")
        return trial, r.truth(trial_id, self.env_window_s)

    def session_truth(self, subject: str, truths) -> SessionTruth:
        """Collect trial truths into a :class:`SessionTruth`."""
        return SessionTruth(subject, self.seed, self.fs_hz, self.montage.names,
                            tuple(round(float(v), 3) for v in self.cm.mvc_rms_uv), tuple(truths))


def simulate_trial(montage: Montage | None, fs_hz: float, spec: TrialSpec | str = "hinge", *,
                   seed: int = 0, markers: bool = False, artefacts: Artefacts | None = None,
                   faults: Sequence = (), channels: ChannelModel | None = None,
                   board: str | None = None, trial_id: str = "t001",
                   mvc_rms_range_uv: tuple[float, float] = (150.0, 600.0),
                   env_window_s: float = 0.25) -> tuple[Trial, TrialTruth]:
    """Simulate one trial.

    Parameters
    ----------
    montage : Montage or None
        Channels (None: :func:`default_montage` of ``board`` or ``cyton``).
    fs_hz : float
        Sampling rate in Hz (any: 125, 250, 1000, 2000, 16000...).
    spec : TrialSpec or str
        The trial, or a task name for its defaults (an ``mvc`` needs a TrialSpec).
    seed : int
        Everything is reproducible from it.
    markers : bool
        Add ``set_start``/``set_end``/``rep_start``/``rep_end`` events.
    artefacts : Artefacts, optional
        Defaults to :class:`Artefacts` (``Artefacts.none()`` for clean EMG).
    faults : sequence
        :class:`RailedChannel`, :class:`LeadOff`, :class:`Clipping`, :class:`PacketLoss`.
    channels : ChannelModel, optional
        The subject's channel constants (e.g. from :func:`draw_channels`); drawn from
        ``seed`` if not given.
    board : str, optional
        Board for the device facts (full scale); default the montage's board.
    trial_id : str
        The trial id.
    mvc_rms_range_uv : tuple of float
        Range of each channel's RMS at 100 % MVC.
    env_window_s : float
        Window of the noise-free envelope truths.

    Returns
    -------
    trial : emgkit.model.Trial
    truth : TrialTruth
    """
    sim = _Simulator(montage, fs_hz, seed, artefacts, board, channels, mvc_rms_range_uv,
                     env_window_s)
    spec = TrialSpec(spec) if isinstance(spec, str) else spec
    return sim.trial(sim.renderer(spec, 1, 0, 0, faults), trial_id, markers)


def _fault_map(faults, specs) -> dict[int, tuple]:
    out: dict[int, tuple] = {}
    for key, fl in (faults or {}).items():
        i = int(key[1:]) - 1 if isinstance(key, str) and key[:1] == "t" and key[1:].isdigit() \
            else key
        if not isinstance(i, int) or not 0 <= i < len(specs):
            raise ConfigError(f"faults key {key!r} names no trial; use 0..{len(specs) - 1} or "
                              f"'t001'..'t{len(specs):03d}'")
        out[i] = tuple(fl)
    return out


def simulate_session(montage: Montage | None, fs_hz: float, seed: int = 0, protocol=None, *,
                     subject: str = "sim01", markers: bool = False,
                     artefacts: Artefacts | None = None,
                     faults: Mapping[int | str, Sequence] | None = None,
                     board: str | None = None, between_s: float = 3.0,
                     mvc_rms_range_uv: tuple[float, float] = (150.0, 600.0),
                     env_window_s: float = 0.25) -> tuple[Session, SessionTruth]:
    """Simulate a lab session.

    Parameters
    ----------
    montage : Montage or None
        Channels (None: :func:`default_montage` of ``board`` or ``cyton``).
    fs_hz : float
        Sampling rate in Hz.
    seed : int
        Everything is reproducible from it.
    protocol : LabProtocol or sequence of TrialSpec, optional
        Default :class:`LabProtocol`: 5 s rest, one MVC trial per muscle group, one set of
        5 Romanian deadlifts (60 kg) and one of 5 back squats (80 kg).
    subject : str
        Pseudonymous subject id.
    markers : bool
        Add set and repetition events to the trials.
    artefacts : Artefacts, optional
        Artefact configuration.
    faults : mapping, optional
        Trial (0-based index or id ``"t003"``) to its faults.
    board : str, optional
        Board name of the device (default: the montage's board, else ``synthetic``).
    between_s : float
        Rest between trials in the continuous layout (stream time and packet counter).
    mvc_rms_range_uv : tuple of float
        Range of each channel's RMS at 100 % MVC.
    env_window_s : float
        Window of the noise-free envelope truths.

    Returns
    -------
    session : emgkit.model.Session
    truth : SessionTruth
    """
    stream = SessionStream(montage, fs_hz, seed, protocol, subject=subject, markers=markers,
                           artefacts=artefacts, faults=faults, board=board, between_s=between_s,
                           mvc_rms_range_uv=mvc_rms_range_uv, env_window_s=env_window_s)
    trials, truths = [], []
    for i, spec in enumerate(stream.specs):
        r = stream.sim.renderer(spec, 1, i, stream.layout(i), stream.faults.get(i, ()))
        t, tt = stream.sim.trial(r, f"t{i + 1:03d}", markers)
        trials.append(t)
        truths.append(tt)
    sim = stream.sim
    session = Session(subject, sim.device, sim.montage, trials)
    return session, sim.session_truth(subject, truths)


@dataclass(frozen=True)
class Block:
    """A block of a simulated stream.

    Attributes
    ----------
    start : int
        Session sample index (stream time x fs) of the block's first original sample.
    emg_uv : numpy.ndarray
        float32 ``(n, n_channels)``; rows of lost packets are absent.
    accel_g : numpy.ndarray
        float32 ``(n, 3)``.
    package_num : numpy.ndarray
        int16 ``(n,)``, 0-255, jumping over lost packets.
    events : Events
        Sample = row in this block: ``note`` events ``trial_start``/``trial_end`` (label
        ``t001 hinge``...), markers if asked for, and ``gap`` events.
    segments : tuple of (int, int, str)
        Row ranges and the trial id they belong to (``""`` for the rest between trials).
    """

    start: int
    emg_uv: np.ndarray
    accel_g: np.ndarray
    package_num: np.ndarray
    events: Events
    segments: tuple[tuple[int, int, str], ...]


class SessionStream:
    """A simulated session as a continuous stream, generated as it is read.

    Memory stays flat whatever the duration: only the current trial's schedule and the
    shaping filters' state are held. Parameters are those of :func:`simulate_session`,
    plus:

    Parameters
    ----------
    loop : bool
        Repeat the protocol for ever (trial ids go on: ``t011``, ``t012``...).
    duration_s : float, optional
        Stop after this much stream time.
    """

    def __init__(self, montage: Montage | None, fs_hz: float, seed: int = 0, protocol=None, *,
                 subject: str = "sim01", markers: bool = False,
                 artefacts: Artefacts | None = None,
                 faults: Mapping[int | str, Sequence] | None = None, board: str | None = None,
                 between_s: float = 3.0, loop: bool = False, duration_s: float | None = None,
                 mvc_rms_range_uv: tuple[float, float] = (150.0, 600.0),
                 env_window_s: float = 0.25):
        self.sim = _Simulator(montage, fs_hz, seed, artefacts, board, None, mvc_rms_range_uv,
                              env_window_s)
        self.specs = _protocol_specs(protocol, self.sim.montage)
        self.faults = _fault_map(faults, self.specs)
        self.subject, self.markers, self.loop = subject, markers, loop
        self._gap_n = round(check_nonnegative("between_s", between_s, "s") * self.sim.fs_hz)
        self.n_total = (None if duration_s is None
                        else round(check_positive("duration_s", duration_s, "s") * fs_hz))
        self._starts = [0]
        self._seg = 0  # segment counter: 2 i = trial i, 2 i + 1 = the rest after it
        self._cur: TrialRenderer | None = None
        self._cur_id = ""
        self._emitted = 0  # stored rows of the current segment emitted so far
        self._seg_events = Events()
        self.pos = 0
        self._truths: list[TrialTruth] = []

    def layout(self, i: int) -> int:
        """Return the stream sample where trial ``i`` starts (plans trials before it)."""
        while len(self._starts) <= i:
            k = len(self._starts) - 1
            plan = plan_trial(self._spec(k), self.sim.montage, self.sim.fs_hz, self.sim.cm.tone,
                              np.random.default_rng(self.sim.seq(1, k, 1000)))
            self._starts.append(self._starts[k] + plan.n_samples + self._gap_n)
        return self._starts[i]

    def _spec(self, i: int) -> TrialSpec:
        return self.specs[i % len(self.specs)]

    @property
    def truth(self) -> SessionTruth:
        """Truth of the trials the stream has started so far."""
        return self.sim.session_truth(self.subject, self._truths)

    def _next_segment(self) -> TrialRenderer | None:
        while True:
            i, is_gap = divmod(self._seg, 2)
            self._seg += 1
            if not self.loop and i >= len(self.specs):
                return None
            if is_gap:
                if self._gap_n == 0 or (not self.loop and i == len(self.specs) - 1):
                    continue
                spec = TrialSpec("rest", duration_s=self._gap_n / self.sim.fs_hz)
                self._cur_id, self._seg_events = "", Events()
                return self.sim.renderer(spec, 2, i, self.layout(i + 1) - self._gap_n)
            r = self.sim.renderer(self._spec(i), 1, i, self.layout(i), self.faults.get(i, ()))
            self._cur_id = f"t{i + 1:03d}"
            self._truths.append(r.truth(self._cur_id, self.sim.env_window_s))
            label = f"{self._cur_id} {r.plan.spec.task}"
            self._seg_events = Events.concat([
                Events([0], ["note"], [f"trial_start {label}"]), r.events(self.markers),
                Events([r.n_stored - 1], ["note"], [f"trial_end {label}"])])
            return r

    def read(self, n_samples: int) -> Block | None:
        """Return the next ``n_samples`` of stream time (None when the stream has ended).

        Fewer rows come back where packets were lost, and at the end of the stream.
        """
        if self.n_total is not None:
            n_samples = min(n_samples, self.n_total - self.pos)
        parts, evs, segs, rows, start = [], [], [], 0, self.pos
        while n_samples > 0:
            if self._cur is None or self._cur.pos >= self._cur.n_samples:
                self._cur, self._emitted = self._next_segment(), 0
                if self._cur is None:
                    break
            r = self._cur
            before = r.pos
            b = r.read(min(n_samples, r.n_samples - r.pos))
            n_samples -= r.pos - before
            self.pos += r.pos - before
            m = b.emg_uv.shape[0]
            e = self._seg_events
            sel = (e.sample >= self._emitted) & (e.sample < self._emitted + m)
            evs.append(Events(e.sample[sel] - self._emitted + rows, e.kind[sel], e.label[sel],
                              e.value[sel]))
            segs.append((rows, rows + m, self._cur_id))
            parts.append(b)
            self._emitted += m
            rows += m
        if not parts:
            return None
        return Block(start, np.concatenate([p.emg_uv for p in parts]),
                     np.concatenate([p.accel_g for p in parts]),
                     np.concatenate([p.package_num for p in parts]), Events.concat(evs),
                     tuple(segs))

    def blocks(self, block_size: int) -> Iterator[Block]:
        """Yield consecutive blocks of ``block_size`` samples of stream time."""
        while (b := self.read(block_size)) is not None:
            yield b


def simulate_blocks(montage: Montage | None, fs_hz: float, block_size: int, seed: int = 0,
                    protocol=None, **kwargs) -> Iterator[Block]:
    """Yield a simulated session stream in blocks; see :class:`SessionStream`.

    Examples
    --------
    Ten minutes of 16 channels at 16 kHz, one second at a time::

        spec = TrialSpec("hinge", n_reps=150)
        for block in simulate_blocks(default_montage("cyton-daisy"), 16000, 16000,
                                     protocol=[spec], loop=True, duration_s=600):
            ...
    """
    yield from SessionStream(montage, fs_hz, seed, protocol, **kwargs).blocks(block_size)
