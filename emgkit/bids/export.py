"""Export sessions as a BIDS-EMG dataset (BIDS 1.11): BDF recordings with sidecars.

>>> export_bids(["s01.h5", "s02.h5"], "study-bids")     # doctest: +SKIP

Per trial, under ``sub-<label>/[ses-<label>/]emg/``:

- ``*_emg.bdf``: 24-bit BDF in µV, each channel's physical range the data's own
  minimum and maximum rounded outwards to whole µV (resolution
  ``(max - min) / (2**24 - 1)``);
- ``*_emg.json``: the required fields (``EMGPlacementScheme``, ``EMGReference``,
  ``SamplingFrequency``, ``PowerLineFrequency``, ``RecordingType``,
  ``SoftwareFilters``, ``TaskName``) and the recommended ones the session knows;
- ``*_channels.tsv`` (+ ``.json`` for the ``board_input`` column);
- ``*_events.tsv`` (+ ``.json``): repetitions, sets, markers, packet gaps.

and ``dataset_description.json``, ``participants.tsv`` / ``.json`` and ``README.md`` at
the top. No ``_electrodes.tsv`` / ``_coordsystem.json`` are written: a montage holds
placement descriptions, not coordinates, and BIDS asks for electrode files only with
``EMGPlacementScheme: "Measured"`` (see ``docs/bids.md``). The dataset is written in a
temporary folder beside ``out_dir`` and renamed into place when complete.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from emgkit.bids.labels import BIDS_VERSION, DATATYPE, bids_label, file_stem, task_label
from emgkit.errors import ConfigError, FormatError
from emgkit.io.atomic import atomic_folder
from emgkit.io.cells import neutralise_cell
from emgkit.model.session import Session, Trial

#: Model names of the OpenBCI boards emgkit knows.
MODEL_NAMES = {
    "cyton": "Cyton", "cyton-daisy": "Cyton + Daisy", "ganglion": "Ganglion",
    "cyton-wifi": "Cyton + WiFi Shield", "cyton-daisy-wifi": "Cyton + Daisy + WiFi Shield",
    "ganglion-wifi": "Ganglion + WiFi Shield",
}
#: -3 dB bandwidth of the ADS1299's sinc3 decimation filter, as a fraction of the data rate.
ADS1299_BANDWIDTH = 0.262
#: Digital range of a 24-bit BDF signal.
BDF_DIGITAL = (-(2**23), 2**23 - 1)
#: Events exported, by emgkit event kind (the ``trial_type`` column holds the kind).
EVENT_LEVELS = {
    "rep_start": "start of a repetition (value: repetition number)",
    "rep_end": "end of a repetition (value: repetition number)",
    "set_start": "start of a set (value: set number)",
    "set_end": "end of a set (value: set number)",
    "phase": "start of a movement phase (value: lowering, bottom, lifting or top)",
    "marker": "operator or board marker (value: its text)",
    "gap": "lost packets before this sample; duration: the missing time",
    "note": "free-text note (value: its text)",
}
_README = """# {name}

Surface EMG exported by emgkit {version} as BIDS {bids} (EMG).

- One BDF file per trial (24-bit, µV), tasks `mvc`, `hinge`, `squat`, `rest`
  (others by name); several trials of one task are runs.
- `*_channels.tsv`: target muscle and side, placement, board input, quality status.
- `*_events.tsv`: repetitions, sets, markers and packet gaps.
- Raw data: no software filters were applied.
"""


@dataclass(frozen=True)
class _Source:
    """A session to export with its channel quality (None when unknown)."""

    session: Session
    quality: dict | None  # trial id -> tuple of flags per channel


def _load(item) -> _Source:
    if isinstance(item, Session):
        return _Source(item, None)
    from emgkit.analysis.quality import session_quality
    from emgkit.io.reader import SessionFile

    with SessionFile(item) as sf:
        session = sf.read_session()
        quality = {q.trial: (None if q.report is None else tuple(q.report.flags))
                    for q in session_quality(sf)}
    return _Source(session, quality)


def _is_openbci(board: str) -> bool:
    return board in MODEL_NAMES


def physical_range(x_uv: np.ndarray) -> tuple[float, float]:
    """Return a channel's BDF physical range: its extremes rounded outwards to whole µV.

    A flat channel gets a range of 1 µV around its value.
    """
    lo = float(np.floor(np.min(x_uv))) if x_uv.size else 0.0
    hi = float(np.ceil(np.max(x_uv))) if x_uv.size else 1.0
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _record_samples(n: int, fs_hz: float) -> int:
    """Return the samples per BDF data record.

    The largest divisor of ``n`` up to one second's worth whose record duration is
    written exactly in the header's 8 characters.
    """
    for k in range(max(1, min(n, int(fs_hz))), 0, -1):
        if n % k == 0:
            d = k / fs_hz
            if len(f"{d:g}") <= 8 and float(f"{d:g}") * fs_hz == k:
                return k
    raise ConfigError(f"cannot split {n} samples at {fs_hz:g} Hz into BDF data records")


def write_bdf(path: str | PathLike, trial: Trial, names: Sequence[str]) -> None:
    """Write a trial's EMG as a 24-bit BDF file in µV.

    Parameters
    ----------
    path : path-like
        The ``.bdf`` file.
    trial : Trial
        Its ``emg_uv`` ``(n_samples, n_channels)`` is written, one signal per column.
    names : sequence of str
        Signal labels (at most 16 characters are kept by the format).
    """
    import edfio

    emg = np.asarray(trial.emg_uv, dtype=np.float64)
    if emg.shape[0] == 0:
        raise FormatError(f"trial {trial.id} holds no samples; nothing to export")
    signals = [
        edfio.BdfSignal(emg[:, i], trial.fs_hz, label=name[:16], physical_dimension="uV",
                        physical_range=physical_range(emg[:, i]), digital_range=BDF_DIGITAL,
                        transducer_type="surface EMG electrode")
        for i, name in enumerate(names)]
    start = _start(trial.start_time)
    kwargs = {}
    if start is not None:
        kwargs = {"starttime": start.time().replace(microsecond=0, tzinfo=None),
                  "recording": edfio.Recording(startdate=start.date())}
    k = _record_samples(emg.shape[0], trial.fs_hz)
    edfio.Bdf(signals, data_record_duration=k / trial.fs_hz, **kwargs).write(path)


def _start(iso: str | None) -> _dt.datetime | None:
    if not iso:
        return None
    try:
        return _dt.datetime.fromisoformat(iso)
    except ValueError:
        return None


def _tsv(path: Path, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    def cell(v) -> str:
        if v is None or (isinstance(v, float) and not np.isfinite(v)) or v == "":
            return "n/a"
        if isinstance(v, float):
            return f"{v:.10g}"
        return neutralise_cell(str(v).replace("\t", " ").replace("\n", " "))

    lines = ["\t".join(columns)] + ["\t".join(cell(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")


def _placement(session: Session) -> tuple[str, str]:
    texts = [c.placement for c in session.montage.channels]
    if texts and all(t.upper().startswith("SENIAM") for t in texts):
        how = "SENIAM recommendations"
    elif any(texts):
        how = "as described per channel"
    else:
        return "Other", ("Not recorded in the session's montage "
                         f"{session.montage.name!r}; target muscles are in _channels.tsv.")
    return "Other", (f"Electrodes placed {how}; the site of each channel is given in the "
                     "placement_description column of _channels.tsv (from the montage "
                     f"{session.montage.name!r}).")


def emg_sidecar(session: Session, trial: Trial) -> dict:
    """Return the ``_emg.json`` content of a trial (BIDS required and recommended fields)."""
    dev = session.device
    scheme, scheme_text = _placement(session)
    d: dict = {
        "TaskName": trial.task.name,
        "TaskDescription": _task_description(trial),
        "EMGPlacementScheme": scheme,
        "EMGPlacementSchemeDescription": scheme_text,
        "EMGReference": "Bipolar",
        "SamplingFrequency": float(trial.fs_hz),
        "PowerLineFrequency": _power_line_hz(session, trial),
        "RecordingType": "continuous",
        "SoftwareFilters": "n/a",
        "EMGChannelCount": len(session.montage.channels),
        "RecordingDuration": round(trial.n_samples / trial.fs_hz, 6),
    }
    if _is_openbci(dev.board):
        d["Manufacturer"] = "OpenBCI"
        d["ManufacturersModelName"] = MODEL_NAMES[dev.board]
        if dev.board.startswith("cyton"):
            d["HardwareFilters"] = {"ADS1299 sinc3 decimation filter": {
                "-3 dB cutoff (Hz)": round(ADS1299_BANDWIDTH * trial.fs_hz, 3)}}
    if dev.firmware:
        d["SoftwareVersions"] = dev.firmware
    if dev.gain:
        d["Gain"] = float(dev.gain)
    return d


def _power_line_hz(session: Session, trial: Trial) -> float | str:
    """Return the mains frequency in the trial's data, else the session's, else ``"n/a"``.

    The session's ``mains_hz`` is a claim typed at import; the line in the signal is the
    evidence (:func:`emgkit.core.mains.decide_mains`). ``EmgkitTrial`` keeps the claim.
    """
    from emgkit.core.mains import decide_mains
    from emgkit.model.config import FilterConfig

    hz = decide_mains(FilterConfig(), trial.fs_hz, trial.emg_uv, session.device.mains_hz).notch_hz
    return "n/a" if hz is None else float(hz)


def _task_description(trial: Trial) -> str:
    t = trial.task
    words = {"mvc": "maximal voluntary contraction", "hinge": "hip hinge",
             "squat": "squat", "rest": "quiet rest"}.get(t.name, t.name.split(":", 1)[-1])
    if t.target:
        words += f" targeting the {t.target.replace('_', ' ')}"
    if t.variant:
        words += f" ({t.variant.replace('_', ' ')})"
    if t.load_kg is not None:
        words += f", external load {t.load_kg:g} kg"
    return words[0].upper() + words[1:]


def emgkit_record(session: Session, trial: Trial) -> dict:
    """Return what emgkit needs to restore the trial exactly.

    The ``_emg.json`` key ``EmgkitTrial``: trial id and task qualifiers, start time,
    the rate measured from the trial's time stamps (``SamplingFrequency`` stays the
    nominal rate, as BIDS defines it), device.
    """
    dev = session.device
    t = trial.task
    return {"id": trial.id, "task": t.name, "target": t.target, "variant": t.variant,
            "load_kg": t.load_kg, "start_time": trial.start_time,
            "completed": bool(trial.completed), "notes": trial.notes,
            "measured_fs_hz": trial.measured_fs_hz,
            "montage": session.montage.name, "montage_board": session.montage.board,
            "device": {"board": dev.board, "fs_hz": dev.fs_hz, "gain": dev.gain,
                       "uv_per_count": dev.uv_per_count, "full_scale_uv": dev.full_scale_uv,
                       "mains_hz": dev.mains_hz, "firmware": dev.firmware}}


CHANNEL_COLUMNS = ("name", "type", "units", "target_muscle", "placement_scheme",
                   "placement_description", "signal_electrode", "reference", "group",
                   "low_cutoff", "high_cutoff", "status", "status_description",
                   "board_input")
CHANNELS_JSON = {"board_input": {
    "LongName": "Board input",
    "Description": "Amplifier input of the channel on the board, 1-based (OpenBCI N1P = 1; "
                   "Daisy inputs 9-16)."}}


def channel_rows(session: Session, trial: Trial, flags: tuple | None) -> list[tuple]:
    """Return the ``_channels.tsv`` rows of a trial."""
    high = (round(ADS1299_BANDWIDTH * trial.fs_hz, 3)
            if session.device.board.startswith("cyton") else None)
    rows = []
    for i, c in enumerate(session.montage.channels):
        f = None if flags is None else flags[i]
        status = "n/a" if f is None else ("bad" if f else "good")
        rows.append((c.name, "EMG", "uV", f"{c.side} {c.muscle.replace('_', ' ')}",
                     "other", c.placement or None, c.name, "bipolar", c.side,
                     None, high, status, "; ".join(f) if f else None, c.number))
    return rows


EVENT_COLUMNS = ("onset", "duration", "trial_type", "value", "sample")


def event_rows(trial: Trial) -> list[tuple]:
    """Return the ``_events.tsv`` rows of a trial, in sample order.

    ``duration`` is 0 except for a ``gap``, whose duration is its missing time.
    """
    ev = trial.events
    order = np.argsort(ev.sample, kind="stable")
    rows = []
    for i in order:
        kind = str(ev.kind[i])
        s = int(ev.sample[i])
        dur = float(ev.value[i]) / trial.fs_hz if kind == "gap" and np.isfinite(ev.value[i]) \
            else 0.0
        rows.append((round(s / trial.fs_hz, 9), dur, kind, str(ev.label[i]) or None, s))
    return rows


EVENTS_JSON = {
    "trial_type": {"LongName": "Event kind", "Description": "The emgkit event kind.",
                   "Levels": EVENT_LEVELS},
    "value": {"Description": "Repetition or set number, or the marker's text."},
    "sample": {"Description": "Sample index of the event in the recording, from 0."},
}


@dataclass(frozen=True)
class _Recording:
    sub: str
    ses: str | None
    stem: str
    source: _Source
    trial: Trial


def plan(sources: Sequence[_Source]) -> list[_Recording]:
    """Assign every trial its subject, session, task and run entities.

    Subjects are the alphanumeric part of their ids (two ids that collide are an
    error); a subject with several sessions gets ``ses-1``, ``ses-2``... in the order
    given; several trials of one task in a session are ``run-1``, ``run-2``...
    """
    by_label: dict[str, list[_Source]] = {}
    origin: dict[str, str] = {}
    for src in sources:
        sub = bids_label(src.session.subject, "subject label")
        if origin.setdefault(sub, src.session.subject) != src.session.subject:
            raise ConfigError(f"subject ids {origin[sub]!r} and {src.session.subject!r} both "
                              f"become the BIDS label {sub!r}; rename one")
        by_label.setdefault(sub, []).append(src)
    out = []
    for sub, srcs in by_label.items():
        for k, src in enumerate(srcs, 1):
            ses = str(k) if len(srcs) > 1 else None
            tasks = [task_label(t.task.name) for t in src.session.trials]
            seen: dict[str, int] = {}
            for t, task in zip(src.session.trials, tasks):
                seen[task] = seen.get(task, 0) + 1
                run = seen[task] if tasks.count(task) > 1 else None
                out.append(_Recording(sub, ses, file_stem(sub, task, ses, run), src, t))
    return out


def _write_recording(root: Path, rec: _Recording) -> None:
    session, trial = rec.source.session, rec.trial
    d = root / f"sub-{rec.sub}"
    if rec.ses:
        d = d / f"ses-{rec.ses}"
    d = d / DATATYPE
    d.mkdir(parents=True, exist_ok=True)
    base = d / rec.stem
    write_bdf(f"{base}_emg.bdf", trial, session.montage.names)
    sidecar = emg_sidecar(session, trial)
    sidecar["EmgkitTrial"] = emgkit_record(session, trial)
    _json(Path(f"{base}_emg.json"), sidecar)
    flags = None if rec.source.quality is None else rec.source.quality.get(trial.id)
    _tsv(Path(f"{base}_channels.tsv"), CHANNEL_COLUMNS, channel_rows(session, trial, flags))
    _json(Path(f"{base}_channels.json"), CHANNELS_JSON)
    _tsv(Path(f"{base}_events.tsv"), EVENT_COLUMNS, event_rows(trial))
    _json(Path(f"{base}_events.json"), EVENTS_JSON)


def _write_top(root: Path, recs: Sequence[_Recording], name: str, authors, license_) -> None:
    from emgkit._version import __version__

    desc = {"Name": name, "BIDSVersion": BIDS_VERSION, "DatasetType": "raw",
            "GeneratedBy": [{"Name": "emgkit", "Version": __version__,
                             "Description": "emgkit export bids"}]}
    if license_:
        desc["License"] = license_
    if authors:
        desc["Authors"] = list(authors)
    _json(root / "dataset_description.json", desc)
    subjects = dict.fromkeys((r.sub, r.source.session.subject) for r in recs)
    _tsv(root / "participants.tsv", ("participant_id", "subject_id"),
         [(f"sub-{s}", orig) for s, orig in subjects])
    _json(root / "participants.json", {
        "participant_id": {"Description": "BIDS participant label"},
        "subject_id": {"Description": "The pseudonymous subject id of the emgkit session "
                                      "(the label without its non-alphanumeric characters)"}})
    (root / "README.md").write_text(
        _README.format(name=name, version=__version__, bids=BIDS_VERSION), encoding="utf-8")


def export_bids(sessions: Sequence[Session | str | PathLike], out_dir: str | PathLike, *,
                name: str = "emgkit EMG study", authors: Sequence[str] | None = None,
                license: str | None = None) -> list[Path]:
    """Write sessions as a BIDS-EMG dataset.

    Parameters
    ----------
    sessions : sequence of Session or path-like
        Sessions in memory, or session files (whose channel quality is then assessed
        and written to the ``status`` column; ``n/a`` for sessions in memory).
    out_dir : path-like
        The dataset folder; it must not exist or be empty. The dataset is written to a
        temporary folder beside it and renamed into place when complete.
    name, authors, license : str, optional
        ``dataset_description.json`` fields.

    Returns
    -------
    list of Path
        The BDF files written, in the dataset.

    Raises
    ------
    ConfigError
        If ``out_dir`` holds files, two subject ids collide, or nothing is given.
    FormatError
        If a session file cannot be read.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError("output folder exists and is not empty; choose a new one", out)
    if not sessions:
        raise ConfigError("no sessions to export")
    recs = plan([_load(s) for s in sessions])
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_folder(out) as tmp:
        for rec in recs:
            _write_recording(tmp, rec)
        _write_top(tmp, recs, name, authors, license)
    return [out / r.stem.split("_")[0] / (f"ses-{r.ses}" if r.ses else "") / DATATYPE
            / f"{r.stem}_emg.bdf" for r in recs]
