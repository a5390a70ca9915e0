"""Entry point of the ``emgkit`` command.

Exit codes: 0 success (also when the reader of a pipe closes it early); 2 bad input
(usage, unreadable or invalid file, impossible parameters, a missing optional extra)
with one line on stderr; 1 an internal error; 130 interrupted. Warnings are one plain
line each (``emgkit CMD: warning: ...``).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import traceback
import warnings

from emgkit._version import __version__
from emgkit.cli import (
    cmd_batch,
    cmd_check,
    cmd_demo,
    cmd_export,
    cmd_import,
    cmd_process,
    cmd_record,
    cmd_recover,
    cmd_report,
    cmd_view,
)
from emgkit.errors import EmgkitError
from emgkit.io.atomic import disk_error_reason

#: Sub-command modules; each has ``NAME``, ``HELP``, ``add_arguments(p)`` and ``run(args)``.
COMMANDS = (cmd_import, cmd_check, cmd_process, cmd_report, cmd_record, cmd_recover, cmd_view,
            cmd_demo, cmd_export, cmd_batch)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2."""

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``emgkit`` argument parser with every sub-command."""
    parser = _Parser(
        prog="emgkit",
        description="Surface-EMG toolkit for OpenBCI lab sessions: import recordings into "
        "HDF5 sessions, check them, process and report activation.",
    )
    parser.add_argument("--version", action="version", version=f"emgkit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-vv for debug)")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in COMMANDS:
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.__doc__.strip().splitlines()[0])
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run, _analysis=getattr(mod, "ANALYSIS", False))
    return parser


def main(argv: list[str] | None = None, *, own_process: bool = False) -> int:
    """Run the command line and return its exit code.

    ``own_process``: the process is the command's own (the ``emgkit`` program, ``python
    -m emgkit``) and ends with it, so an analysis command may tune it for itself
    (:func:`emgkit._malloc.keep_freed_memory`); never when called from a program.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    if own_process and args._analysis:
        from emgkit._malloc import keep_freed_memory

        keep_freed_memory()
    # -v and -vv open emgkit's own log; other libraries' records stay at WARNING and up
    logging.basicConfig(level=logging.WARNING, format="emgkit: %(levelname)s: %(message)s")
    log = logging.getLogger("emgkit")
    before = log.level
    log.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)])
    try:
        return _run_command(args, f"emgkit {args.command}")
    finally:
        log.setLevel(before)  # main() may be called again in this process (tests, scripts)


def _run_command(args: argparse.Namespace, prog: str) -> int:
    """Run the parsed command; turn its errors into one line and an exit code."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _plain_warning(prog)
            rc = int(args._run(args) or 0)
            sys.stdout.flush()  # a closed pipe is found here, not at exit
        return rc
    except BrokenPipeError:
        # the reader (e.g. `| head`) has all it wanted: end quietly, as `cat` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except EmgkitError as e:
        sys.stderr.write(f"{prog}: error: {_one_line(str(e))}\n")
        return 2
    except ImportError as e:
        module = _missing_module(e)
        extra = _extra_for(module)
        if extra is None:
            return _internal_error(prog, args, e)
        sys.stderr.write(f"{prog}: error: this command needs {module}, which is not installed "
                         f"(or does not import here): pip install 'emgkit[{extra}]'\n")
        return 2
    except OSError as e:
        reason = disk_error_reason(e)
        if reason is None:
            return _internal_error(prog, args, e)
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        sys.stderr.write(f"{prog}: error: {where}cannot write: {reason}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    except Exception as e:  # an internal error: a bug, not bad input
        return _internal_error(prog, args, e)


def _internal_error(prog: str, args: argparse.Namespace, e: BaseException) -> int:
    """Say an internal error in one line (the traceback with --debug) and return 1."""
    if args.debug or os.environ.get("EMGKIT_DEBUG"):
        traceback.print_exception(e)
    sys.stderr.write(
        f"{prog}: internal error: {type(e).__name__}: {_one_line(str(e))} "
        "(please report it; --debug shows the traceback)\n"
    )
    return 1


#: Optional packages and the extra that installs each (pyproject.toml).
EXTRAS = {"brainflow": "acquisition", "pyqtgraph": "viewer", "PySide6": "viewer",
          "matplotlib": "report", "dask": "cluster", "distributed": "cluster",
          "mne": "mne", "pyarrow": "all"}


def _missing_module(e: ImportError) -> str:
    """Return the package an ImportError says is missing (pandas' optional ones too)."""
    m = re.search(r"[Mm]issing optional dependency '([\w.]+)'", str(e))
    return (m.group(1) if m else e.name or "").split(".")[0]


def _extra_for(module: str | None) -> str | None:
    """Return the extra that installs ``module``, or None if it is not an optional one."""
    return EXTRAS.get((module or "").split(".")[0])


def _plain_warning(prog: str):
    """Return a ``warnings.showwarning`` that prints one plain line, without source lines."""

    def show(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(f"{prog}: warning: {_one_line(str(message))}\n")

    return show


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run() -> None:
    """Run the ``emgkit`` program: the command line in its own process, then exit."""
    sys.exit(main(own_process=True))


if __name__ == "__main__":  # pragma: no cover
    run()
