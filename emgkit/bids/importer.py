"""Import a BIDS-EMG dataset written by :func:`emgkit.bids.export_bids` back to sessions.

Signals come back in µV within the BDF resolution (the channel's physical range over
``2**24 - 1``); montage, tasks, events and device from the sidecars. Datasets from
other tools are read too where they follow the same conventions: channels of type EMG,
``target_muscle`` as ``"<side> <muscle words>"``, ``trial_type`` holding emgkit
event kinds (other rows become ``marker`` events).
"""

from __future__ import annotations

import csv
import json
from os import PathLike
from pathlib import Path

import numpy as np

from emgkit.bids.labels import DATATYPE, parse_entities
from emgkit.errors import ConfigError, FormatError
from emgkit.io.validation import positive_number
from emgkit.model.montage import parse_montage
from emgkit.model.session import EVENT_KINDS, Device, Events, Session, Trial
from emgkit.model.tasks import parse_task


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [{k: ("" if v == "n/a" else v) for k, v in r.items()} for r in rows]


def _channels(rows: list[dict], path: Path) -> tuple[list[dict], list[str]]:
    """Montage channel entries and names of the EMG rows of a ``_channels.tsv``."""
    chans, names = [], []
    for i, r in enumerate((r for r in rows if r.get("type", "").upper() == "EMG"), 1):
        words = r.get("target_muscle", "").split()
        if len(words) < 2 or words[0] not in ("left", "right"):
            raise FormatError(f"channel {r.get('name')!r}: expected target_muscle "
                              f"'<left|right> <muscle>', found {r.get('target_muscle')!r}",
                              path)
        side, muscle = words[0], "_".join(words[1:])
        name = r["name"]
        base = f"{muscle}_{side}"
        label = name[len(base) + 1:] if name.startswith(base + "_") else ""
        ch = {"number": int(r.get("board_input") or i), "muscle": muscle, "side": side}
        if label:
            ch["label"] = label
        if r.get("placement_description"):
            ch["placement"] = r["placement_description"]
        chans.append(ch)
        names.append(name)
    if not chans:
        raise FormatError("expected at least one channel of type EMG", path)
    return chans, names


def _events(path: Path, fs_hz: float, n: int) -> Events:
    if not path.exists():
        return Events()
    samples, kinds, labels, values = [], [], [], []
    for r in _read_tsv(path):
        s = int(r["sample"]) if r.get("sample") else round(float(r["onset"]) * fs_hz)
        if not 0 <= s < n:
            continue
        kind = r.get("trial_type") or "marker"
        label = r.get("value", "")
        if kind not in EVENT_KINDS:
            kind, label = "marker", label or kind
        value = np.nan
        if kind == "gap" and r.get("duration"):
            value = float(round(float(r["duration"]) * fs_hz))
        samples.append(s)
        kinds.append(kind)
        labels.append(label)
        values.append(value)
    return Events(samples, kinds, labels, values)


def _device(rec: dict, sidecar: dict, fs_hz: float) -> Device:
    d = rec.get("device")
    if d:
        return Device(**d)
    mains = sidecar.get("PowerLineFrequency")
    return Device(board="bids", fs_hz=fs_hz,
                  mains_hz=float(mains) if isinstance(mains, int | float) else None)


def _read_trial(bdf: Path, index: int) -> tuple[Trial, dict, list[dict], Device]:
    from emgkit.io.readers.edf import read_edf

    stem = bdf.name[: -len("_emg.bdf")]
    sidecar = json.loads(bdf.with_name(f"{stem}_emg.json").read_text(encoding="utf-8"))
    chans, names = _channels(_read_tsv(bdf.with_name(f"{stem}_channels.tsv")),
                             bdf.with_name(f"{stem}_channels.tsv"))
    rec = read_edf(bdf)
    labels = list(rec.channel_labels)
    try:
        cols = [labels.index(n[:16]) for n in names]
    except ValueError:
        raise FormatError(f"the BDF signals {labels} do not match the EMG channels "
                          f"{names} of _channels.tsv", bdf) from None
    emg = np.ascontiguousarray(rec.emg_uv[:, cols])
    fs = float(sidecar.get("SamplingFrequency", rec.fs_hz))
    meta = sidecar.get("EmgkitTrial", {})
    task = parse_task(meta.get("task") or sidecar.get("TaskName") or
                      parse_entities(stem)["task"], meta.get("target"), meta.get("variant"),
                      meta.get("load_kg"))
    trial = Trial(id=meta.get("id") or f"t{index:03d}", task=task, fs_hz=fs, emg_uv=emg,
                  events=_events(bdf.with_name(f"{stem}_events.tsv"), fs, emg.shape[0]),
                  start_time=meta.get("start_time", rec.start_time),
                  completed=bool(meta.get("completed", True)), notes=meta.get("notes", ""),
                  measured_fs_hz=positive_number(meta.get("measured_fs_hz")))
    return trial, meta, chans, _device(meta, sidecar, fs)


def _order(bdf: Path) -> tuple:
    meta = {}
    js = bdf.with_name(bdf.name[: -len("_emg.bdf")] + "_emg.json")
    if js.exists():
        meta = json.loads(js.read_text(encoding="utf-8")).get("EmgkitTrial", {})
    return (meta.get("id") or "", bdf.name)


def import_bids(bids_dir: str | PathLike) -> list[Session]:
    """Read a BIDS-EMG dataset into sessions, one per subject and BIDS session.

    Parameters
    ----------
    bids_dir : path-like
        The dataset root (with ``dataset_description.json``).

    Returns
    -------
    list of Session
        In subject then session order; trials in their original order (by the trial id
        recorded in ``EmgkitTrial``, else by file name).

    Raises
    ------
    FormatError
        If the folder is not a BIDS dataset or a recording cannot be read.
    ConfigError
        If the trials of one session disagree on the channels.
    """
    root = Path(bids_dir)
    if not (root / "dataset_description.json").is_file():
        raise FormatError("not a BIDS dataset (no dataset_description.json)", root)
    ids = {}
    if (root / "participants.tsv").is_file():
        ids = {r["participant_id"]: r.get("subject_id") or r["participant_id"][4:]
               for r in _read_tsv(root / "participants.tsv")}
    groups: dict[Path, list[Path]] = {}
    for bdf in sorted(root.glob(f"sub-*/**/{DATATYPE}/*_emg.bdf")):
        groups.setdefault(bdf.parent, []).append(bdf)
    sessions = []
    for folder, files in sorted(groups.items()):
        sub = next(p for p in folder.relative_to(root).parts if p.startswith("sub-"))
        trials, montage, device = [], None, None
        for i, bdf in enumerate(sorted(files, key=_order), 1):
            trial, meta, chans, dev = _read_trial(bdf, i)
            m = parse_montage({"name": meta.get("montage") or "bids",
                               "board": meta.get("montage_board"), "channel": chans},
                              str(bdf))
            if montage is None:
                montage, device = m, dev
            elif m.channels != montage.channels:
                raise ConfigError(f"{bdf.name}: channels differ from the session's other "
                                  "recordings", folder)
            trials.append(trial)
        sessions.append(Session(subject=ids.get(sub, sub[4:]), device=device,
                                montage=montage, trials=trials))
    if not sessions:
        raise FormatError(f"no {DATATYPE} recordings (*_emg.bdf) found", root)
    return sessions
