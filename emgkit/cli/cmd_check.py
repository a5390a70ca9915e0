"""Validate a session file and print its subject, device, montage and trials.

Exit code 0 if the file is valid (quality flags are reported, not failed), 2 if it is
not a readable, valid emgkit session.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from emgkit.errors import FormatError

if TYPE_CHECKING:
    from emgkit.io.reader import SessionFile

NAME = "check"
HELP = "validate a session file and print its trials and quality flags"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``check`` options."""
    p.add_argument("session", metavar="SESSION.h5", help="session file")


def describe(sf: SessionFile) -> list[str]:
    """Return the human-readable summary lines of an open session file."""
    d = sf.device
    dev = [f"board {d.board}", f"{d.fs_hz:g} Hz"]
    if d.gain is not None:
        dev.append(f"gain {d.gain:g}")
    if d.uv_per_count is not None:
        dev.append(f"{d.uv_per_count:.5g} uV/count")
    if d.mains_hz is not None:
        dev.append(f"mains {d.mains_hz:g} Hz")
    lines = [
        f"session  {sf.path} (format v{sf.format_version})",
        f"subject  {sf.subject}",
        f"device   {', '.join(dev)}",
        f"montage  {sf.montage.name}: {len(sf.montage.channels)} channels",
    ]
    for c in sf.montage.channels:
        where = f"  [{c.placement}]" if c.placement else ""
        lines.append(f"  ch {c.number:>2}  {c.name}{where}")
    infos = sf.trial_infos()
    lines.append(f"trials   {len(infos)}")
    for t in infos:
        task = t.task.name
        if t.task.target:
            task += f" ({t.task.target})"
        if t.task.variant:
            task += f" {t.task.variant}"
        if t.task.load_kg is not None:
            task += f" {t.task.load_kg:g} kg"
        gaps = f"{t.n_gaps} gaps ({t.missing_samples} samples lost)" if t.n_gaps else "no gaps"
        state = "" if t.completed else "  INCOMPLETE (recording interrupted)"
        lines.append(
            f"  {t.id}  {task:<32} {t.duration_s:8.2f} s  {t.fs_hz:g} Hz  "
            f"{t.n_channels} ch  {gaps}{state}"
        )
        lines.append(f"         {timing_line(sf.rate_audit(t.id))}")
        lines.append(f"         {mains_line(sf, t)}")
    return lines


def mains_line(sf: SessionFile, info) -> str:
    """Return the mains frequency of a trial in words: measured, recorded, notched."""
    from emgkit.core.mains import decide_mains
    from emgkit.model.config import FilterConfig

    if info.n_samples < info.fs_hz:
        return "mains: too short to measure"
    return decide_mains(FilterConfig(), info.fs_hz, sf.read_emg(info.id),
                        sf.device.mains_hz).sentence()


def timing_line(audit) -> str:
    """Return the timing audit of a trial in words (``WARNING`` when off by more than 0.2 %)."""
    if audit is None:
        return "timing: no time stamps to measure the rate (nominal rate used)"
    return ("timing: WARNING " if audit.exceeds_limit else "timing: ") + audit.describe()


def quality_lines(qualities) -> list[str]:
    """Return one line per trial with its flagged channels (``ok`` when none)."""
    lines = ["quality"]
    for q in qualities:
        if q.report is None:
            lines.append(f"  {q.trial}  too short to judge")
            continue
        flagged = q.flagged()
        text = "; ".join(f"{name}: {', '.join(f)}" for name, f in flagged.items())
        lines.append(f"  {q.trial}  {text or 'ok'}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the summary; exit 2 if the file is invalid."""
    from emgkit.analysis.quality import session_quality
    from emgkit.io.reader import SessionFile

    with SessionFile(args.session) as sf:
        for line in describe(sf):
            print(line)
        problems = sf.validate()
        if not problems:
            for line in quality_lines(session_quality(sf)):
                print(line)
    if problems:
        raise FormatError(f"invalid session: {'; '.join(problems)}", args.session)
    print("valid")
    return 0
