"""Sessions, trials, devices and events: the in-memory data model.

Signals are float32 microvolts, shaped ``(n_samples, n_channels)`` with columns in
montage order. Events are sample indices into the trial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from emgkit.errors import ConfigError
from emgkit.model.montage import Montage
from emgkit.model.tasks import Task

#: Event kinds with a meaning emgkit knows; ``value`` is the count of missing samples
#: for ``gap`` and unused (NaN) otherwise unless stated.
EVENT_KINDS = (
    "marker",  # an operator or board marker; label holds its value or text
    "gap",  # lost packets before this sample; value = number of missing samples
    "rep_start",
    "rep_end",
    "set_start",
    "set_end",
    "phase",  # the first sample of a movement phase; label names it (one of PHASES)
    "note",
)

#: Movement phases of a repetition, in the order a hinge or a squat goes through them
#: from standing: the eccentric lowering, a pause at the bottom, the concentric lifting
#: and a pause at the top (a protocol's ``tempo_s``).
PHASES = ("lowering", "bottom", "lifting", "top")

_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")  # whole string (fullmatch)


def check_subject(subject: str) -> str:
    """Return ``subject`` if it is a safe pseudonymous id, else raise :class:`ConfigError`.

    Ids are 1-64 characters of letters, digits, ``_`` and ``-`` (safe in file paths
    and BIDS labels), starting with a letter or digit.
    """
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
        raise ConfigError(
            "subject id must be 1-64 letters, digits, '_' or '-' (a pseudonym, safe for "
            f"paths), but got {subject!r}"
        )
    return subject


#: Sampling rates a recording may claim, in Hz: below 1 Hz or above 100 kHz no sEMG
#: device records, and such a header is damage or hostility (a reader refuses it
#: before reading data).
FS_HZ_RANGE: tuple[float, float] = (1.0, 100_000.0)


@dataclass(frozen=True)
class Device:
    """The recording device of a session.

    Parameters
    ----------
    board : str
        Board name (``cyton``, ``cyton-daisy``, ``ganglion``, ``cyton-wifi``,
        ``cyton-daisy-wifi``, ``synthetic``, or a file-derived name such as ``edf``).
    fs_hz : float
        Nominal sampling rate in Hz.
    gain : float, optional
        Amplifier gain (24 by default on Cyton).
    uv_per_count : float, optional
        Microvolts per ADC count.
    full_scale_uv : float, optional
        Input range (+/-) in microvolts; values at it are railed.
    mains_hz : float, optional
        Mains frequency (50 or 60) if known.
    firmware : str, optional
        Firmware version if known.
    """

    board: str
    fs_hz: float
    gain: float | None = None
    uv_per_count: float | None = None
    full_scale_uv: float | None = None
    mains_hz: float | None = None
    firmware: str | None = None


class Events:
    """Trial events as parallel arrays (sample, kind, label, value).

    Parameters
    ----------
    sample : array_like of int
        Sample index of each event in the trial.
    kind : array_like of str
        One of :data:`EVENT_KINDS`.
    label : array_like of str, optional
        Free text (marker value, repetition number...).
    value : array_like of float, optional
        A number attached to the event (e.g. missing samples of a gap), NaN if none.
    """

    def __init__(self, sample=(), kind=(), label=None, value=None):
        self.sample = np.asarray(sample, dtype=np.int64).reshape(-1)
        self.kind = np.asarray(kind, dtype=object).reshape(-1)
        n = self.sample.size
        self.label = (
            np.asarray(label, dtype=object).reshape(-1) if label is not None
            else np.full(n, "", dtype=object)
        )
        self.value = (
            np.asarray(value, dtype=np.float64).reshape(-1) if value is not None
            else np.full(n, np.nan)
        )
        if not (self.kind.size == self.label.size == self.value.size == n):
            raise ValueError("event arrays must all have the same length")
        bad = sorted({str(k) for k in self.kind if k not in EVENT_KINDS})
        if bad:
            raise ConfigError(f"unknown event kind(s) {bad}; known kinds are {EVENT_KINDS}")

    def __len__(self) -> int:
        return int(self.sample.size)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Events)
            and np.array_equal(self.sample, other.sample)
            and list(self.kind) == list(other.kind)
            and list(self.label) == list(other.label)
            and np.array_equal(self.value, other.value, equal_nan=True)
        )

    def __repr__(self) -> str:
        return f"Events(n={len(self)})"

    def of_kind(self, kind: str) -> Events:
        """Return the events of one kind, in sample order."""
        m = self.kind == kind
        order = np.argsort(self.sample[m], kind="stable")
        return Events(
            self.sample[m][order], self.kind[m][order], self.label[m][order], self.value[m][order]
        )

    def append(self, sample: int, kind: str, label: str = "", value: float = np.nan) -> Events:
        """Return new events with one more event."""
        return Events.concat([self, Events([sample], [kind], [label], [value])])

    @staticmethod
    def concat(parts) -> Events:
        """Concatenate several :class:`Events`."""
        parts = list(parts)
        if not parts:
            return Events()
        return Events(
            np.concatenate([p.sample for p in parts]),
            np.concatenate([p.kind for p in parts]),
            np.concatenate([p.label for p in parts]),
            np.concatenate([p.value for p in parts]),
        )

    def shifted(self, offset: int) -> Events:
        """Return the events with ``offset`` added to every sample index."""
        return Events(self.sample + offset, self.kind, self.label, self.value)


@dataclass(frozen=True)
class Source:
    """Where an imported trial came from."""

    path: str
    sha256: str
    format: str


@dataclass(frozen=True)
class Trial:
    """One trial of a session.

    Parameters
    ----------
    id : str
        Trial id within the session (``t001``, ``t002``...).
    task : Task
        What the subject did.
    fs_hz : float
        Sampling rate in Hz.
    emg_uv : numpy.ndarray
        float32 ``(n_samples, n_channels)`` in microvolts, columns in montage order.
    accel_g : numpy.ndarray, optional
        float32 ``(n_samples, 3)`` accelerometer in g.
    package_num : numpy.ndarray, optional
        int16 ``(n_samples,)`` board packet counter.
    timestamps_s : numpy.ndarray, optional
        float64 ``(n_samples,)`` host Unix time at parse (not sample time).
    events : Events
        Markers, gaps, repetitions.
    start_time : str, optional
        ISO 8601 UTC start of the recording.
    completed : bool
        False if the recording was interrupted.
    source : Source, optional
        The imported file, with its sha256.
    notes : str
        Free text.
    measured_fs_hz : float, optional
        The effective rate the trial's time stamps imply (see
        :mod:`emgkit.core.timing`); None when unknown.
    """

    id: str
    task: Task
    fs_hz: float
    emg_uv: np.ndarray
    accel_g: np.ndarray | None = None
    package_num: np.ndarray | None = None
    timestamps_s: np.ndarray | None = None
    events: Events = field(default_factory=Events)
    start_time: str | None = None
    completed: bool = True
    source: Source | None = None
    notes: str = ""
    measured_fs_hz: float | None = None

    @property
    def clock_fs_hz(self) -> float:
        """The rate that turns sample numbers into seconds: measured if known, else nominal.

        Filters and spectra use the nominal ``fs_hz`` (the design the methods report);
        event times, durations and time integrals use this one.
        """
        return self.measured_fs_hz or self.fs_hz

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.emg_uv.shape[0])

    @property
    def duration_s(self) -> float:
        """Duration in seconds."""
        return self.n_samples / self.fs_hz


@dataclass
class Session:
    """A subject's recording session: device, montage and trials.

    Parameters
    ----------
    subject : str
        Pseudonymous subject id.
    device : Device
        The board and its settings.
    montage : Montage
        The channels; trial columns follow its order.
    trials : list of Trial
        In recording order.
    """

    subject: str
    device: Device
    montage: Montage
    trials: list[Trial] = field(default_factory=list)

    def __post_init__(self):
        check_subject(self.subject)

    def trial(self, trial_id: str) -> Trial:
        """Return the trial with id ``trial_id``."""
        for t in self.trials:
            if t.id == trial_id:
                return t
        raise KeyError(f"no trial {trial_id!r}; trials are {[t.id for t in self.trials]}")

    def trials_of(self, task: str) -> list[Trial]:
        """Return the trials whose task name is ``task``."""
        return [t for t in self.trials if t.task.name == task]
