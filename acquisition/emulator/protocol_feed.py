"""The emulator plays the protocol being recorded: a simulated subject who follows it.

A recorder starts the board's stream once and keeps it for the whole session; the
unattended runner (:func:`acquisition.protocol.run_protocol` with ``timeline=True``)
begins trial ``k`` at a fixed sample of that stream, :func:`trial_starts`. The feed here
plays the sEMG simulator's version of the same trials at the same samples, from the
moment the stream starts (``b``): rest during countdowns and rests, ramp-plateau-ramp
efforts in the MVC trials, one burst per repetition at the protocol's tempo in the sets.
So the file recorded through the no-hardware path holds a coherent session.
"""

from __future__ import annotations

import numpy as np

from acquisition.protocol import PlannedTrial, Protocol
from acquisition.sources.simulated import read_stream


def trial_spec(pt: PlannedTrial):
    """Return the simulator's :class:`~emgkit.simulate.TrialSpec` for a planned trial.

    Sets: the protocol's lead-in, repetitions of ``sum(tempo_s)`` back to back and
    ``lead_in_s / 2`` after (no duration jitter, so each burst sits on its repetition's
    markers). MVCs: an effort ramping up and down within the trial. Other tasks: rest.
    """
    from emgkit.simulate import TrialSpec

    task = pt.task
    if task.name in ("hinge", "squat"):
        starts = [t for t, kind, _ in pt.events_s if kind == "rep_start"]
        ends = [t for t, kind, _ in pt.events_s if kind == "rep_end"]
        lead = starts[0]
        return TrialSpec(task.name, variant=task.variant, load_kg=task.load_kg,
                         n_reps=len(starts), rep_s=ends[0] - starts[0], pause_s=0.0,
                         dur_jitter=0.0, lead_s=lead, tail_s=pt.duration_s - ends[-1])
    if task.name == "mvc":
        d = pt.duration_s
        edge, ramp = min(0.5, d / 10), min(0.5, d / 5)
        return TrialSpec("mvc", target=task.target, n_reps=1, mvc_ramp_s=ramp,
                         mvc_hold_s=d - 2 * edge - 2 * ramp, lead_s=edge, tail_s=edge)
    return TrialSpec("rest", duration_s=pt.duration_s)


def timeline_specs(protocol: Protocol) -> list:
    """Return the simulator trials of the whole timeline: rests, and each planned trial."""
    from emgkit.simulate import TrialSpec

    specs = []
    for pt in protocol.trials:
        if pt.countdown_s > 0:
            specs.append(TrialSpec("rest", duration_s=pt.countdown_s))
        specs.append(trial_spec(pt))
        if pt.rest_s > 0:
            specs.append(TrialSpec("rest", duration_s=pt.rest_s))
    return specs


class ProtocolFeed:
    """A feed playing ``protocol`` from the start of each stream, then rest.

    Parameters
    ----------
    protocol : Protocol
        The protocol the recorder runs.
    board : str
        The emulated board (the simulator's default montage for it gives the columns).
    fs_hz : float
        The board's rate.
    seed : int
        Simulator seed.
    """

    def __init__(self, protocol: Protocol, board: str, fs_hz: float, seed: int = 0):
        self.protocol, self.board, self.fs_hz, self.seed = protocol, board, fs_hz, seed
        self.restart()

    def restart(self) -> None:
        """Start the timeline again (the board was told to stream: ``b``)."""
        from emgkit.simulate import SessionStream, TrialSpec, default_montage

        # after the protocol, the subject rests (an hour at a time)
        specs = [*timeline_specs(self.protocol), TrialSpec("rest", duration_s=3600.0)]
        self._stream = SessionStream(default_montage(self.board), self.fs_hz, self.seed, specs,
                                     loop=True, between_s=0.0, board=self.board)

    def __call__(self, n_samples: int) -> np.ndarray:
        """Return the next ``n_samples`` of the timeline, float32 ``(n, n_channels)`` µV."""
        return read_stream(self._stream, n_samples)


def protocol_feed(protocol: str | Protocol, board: str, seed: int = 0) -> ProtocolFeed:
    """Return a :class:`ProtocolFeed` for a protocol name, TOML path or :class:`Protocol`."""
    from acquisition.emulator.board import BOARD_LAYOUTS
    from acquisition.protocol import load_protocol

    if not isinstance(protocol, Protocol):
        protocol = load_protocol(protocol)
    return ProtocolFeed(protocol, board, BOARD_LAYOUTS[board][1], seed)
