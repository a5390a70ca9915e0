"""docs/cli.md shows each command's --help exactly as the program prints it."""

from __future__ import annotations

import pytest
from cli_help import CLI_MD, blocks, help_text

from emgkit.cli.main import COMMANDS

SHOWN = blocks(CLI_MD.read_text(encoding="utf-8"))


def test_every_command_is_documented_with_its_help():
    shown = {" ".join(words) for words, _ in SHOWN}
    assert {m.NAME for m in COMMANDS} <= shown


@pytest.mark.parametrize(("words", "text"), SHOWN, ids=[" ".join(w) for w, _ in SHOWN])
def test_the_help_shown_is_the_help_printed(words, text):
    assert text == help_text(words), (
        f"docs/cli.md shows another --help for 'emgkit {' '.join(words)}': "
        "run `python3 tests/docs/cli_help.py` to rewrite it from the program")
