"""The ``--help`` text of every command, and the blocks of ``docs/cli.md`` that show it.

``python3 tests/docs/cli_help.py`` rewrites those blocks from the program (at a fixed
width of 100 columns); ``tests/docs/test_cli_reference.py`` fails when they differ.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
WIDTH = 100
_BLOCK = re.compile(r"```\n(usage: emgkit [^\n]*\n.*?)```", re.DOTALL)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return action.choices[name]
    raise KeyError(f"no command {name!r} under {parser.prog!r}")


def help_text(words: list[str]) -> str:
    """Return the ``--help`` of ``emgkit WORDS...`` as printed at :data:`WIDTH` columns."""
    from emgkit.cli.main import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(WIDTH)
    try:
        p = build_parser()
        for w in words:
            p = _subparser(p, w)
        return p.format_help()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def command_of(block: str) -> list[str]:
    """Return the command words of a help block (``usage: emgkit export bids ...``)."""
    words = block.split("\n", 1)[0].split()[2:]
    return [w for w in words[:2] if re.fullmatch(r"[a-z]+", w)][: 2 if words[:1] == ["export"]
                                                                   else 1]


def blocks(text: str) -> list[tuple[list[str], str]]:
    """Return (command words, shown help) of every help block in ``text``."""
    return [(command_of(m.group(1)), m.group(1)) for m in _BLOCK.finditer(text)]


def update(path: Path = CLI_MD) -> int:
    """Rewrite the help blocks of ``path`` from the program; return how many changed."""
    text = path.read_text(encoding="utf-8")
    changed = 0

    def repl(m: re.Match) -> str:
        nonlocal changed
        new = help_text(command_of(m.group(1)))
        changed += new != m.group(1)
        return f"```\n{new}```"

    path.write_text(_BLOCK.sub(repl, text), encoding="utf-8")
    return changed


if __name__ == "__main__":
    sys.path.insert(0, str(CLI_MD.parents[1]))
    print(f"{update()} help block(s) of {CLI_MD} rewritten")
