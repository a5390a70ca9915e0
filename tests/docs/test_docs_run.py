"""The documentation is true: README.md and every docs/*.md page, checked against the program.

Conventions for the pages (stated for writers in docs/architecture.md, "Documentation that
runs"; the parsing is in ``docs_check.py``):

- ```` ```bash run ```` / ```` ```python run ````: the block is executed, bash blocks with
  ``set -e -o pipefail``, Python blocks in one namespace per page in page order; both in a
  fresh temporary folder in which ``datasets/`` and ``acquisition/`` are links to the
  repository's and ``emgkit`` runs ``python3 -m emgkit`` of this checkout. Nothing is
  written into the repository.
- ```` ```text output ```` (``output=stderr``): what the runnable block before it prints;
  a line ``...`` stands for any lines, ``...`` in a line for any text.
- ``exit=N``: the exit status expected (default 0). ``file=NAME``: the block is written to
  ``NAME`` for the later blocks. ``session=NAME``: a simulated lab session is put at
  ``NAME`` before the block runs.

Static checks on every page: the repository paths named in code, links and ``NAME.md``
citations exist; ``emgkit COMMAND`` lines use commands and options that exist.

Keep runnable blocks cheap (import, check, process of small sessions, a --help): this whole
file should run in well under 90 s on a 2-core machine.
"""

from __future__ import annotations

import shutil

import pytest
from docs_check import (
    PAGE_NAMES,
    emgkit_options,
    load_page,
    matches,
    option_problems,
    parse_page,
    path_problems,
    run_page,
)

RUNNABLE = [n for n in PAGE_NAMES if any(b.runnable for b in load_page(n).blocks)]


@pytest.fixture(scope="module")
def options() -> dict[str, set[str]]:
    return emgkit_options()


@pytest.fixture(scope="module")
def lab_session(tmp_path_factory):
    """A factory for one simulated lab session file, made on first use."""
    made = []

    def make():
        if not made:
            from emgkit.io.writer import write_session
            from emgkit.simulate import default_montage, simulate_session

            path = tmp_path_factory.mktemp("session") / "lab.h5"
            session, _ = simulate_session(default_montage("cyton"), 250.0, seed=1,
                                          subject="S07", markers=True)
            write_session(path, session)
            made.append(path)
        return made[0]

    return make


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_the_files_a_page_names_exist(name):
    problems = path_problems(load_page(name))
    assert not problems, _report(problems)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_the_commands_and_options_a_page_uses_exist(name, options):
    problems = option_problems(load_page(name), options)
    assert not problems, _report(problems)


@pytest.mark.parametrize("name", RUNNABLE)
def test_the_runnable_blocks_of_a_page_run(name, tmp_path, lab_session):
    problems = run_page(load_page(name), tmp_path, lab_session)
    assert not problems, _report(problems)


# -- the checks themselves fail when they should --------------------------------------------
FAKE = """# A page

See `docs/no-such-page.md`, [the guide](user-guide.md), DESIGN_NOTES.md and
`datasets/*/LICENSE*`.

## emgkit process

Give `--config C.toml` and `--no-such-flag`.

```bash
emgkit import datasets/santuz_gait/ID0012_TW_01_emg.csv --columns RF --fs-hz 1000 \\
    --montage m.toml --task rest --bogus-option 3 --into s.h5
emgkit frobnicate s.h5
python3 -m acquisition.emulator --board cyton --no-such-fault
```
"""


def test_a_missing_file_is_found():
    problems = path_problems(parse_page(FAKE, "docs/fake.md"))
    assert problems == [
        "docs/fake.md:3: cites DESIGN_NOTES.md, which is not in the repository",
        "docs/fake.md:3: names docs/no-such-page.md, which is not in the repository",
    ]


def test_an_unknown_command_or_option_is_found(options):
    problems = option_problems(parse_page(FAKE, "docs/fake.md"), options)
    assert problems == [
        "docs/fake.md:8: --no-such-flag is not an option of emgkit process",
        "docs/fake.md:11: --bogus-option is not an option of emgkit import",
        "docs/fake.md:13: 'emgkit frobnicate' is not an emgkit command",
        "docs/fake.md:14: --no-such-fault is not an option of python -m acquisition.emulator",
    ]


def test_a_documented_option_that_disappears_is_found(options):
    page = parse_page("Run `emgkit check --quick s.h5`.\n", "docs/fake.md")
    assert option_problems(page, options) == [
        "docs/fake.md:1: --quick is not an option of emgkit check"]
    page = parse_page("```bash\nemgkit import f.txt --montage m.toml --into s.h5\n```\n")
    assert option_problems(page, options) == []
    removed = {**options, "import": options["import"] - {"--montage"}}
    assert option_problems(page, removed) == [
        "<page>:2: --montage is not an option of emgkit import"]


def test_output_wildcards():
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("a\n...\nd", "a\nd")
    assert matches("x = ... s\n", "x = 12.5 s   \n\n")
    assert not matches("a\nd\n", "a\nb\nd\n")
    assert not matches("x = ... s\n", "y = 1 s\n")


RUN_FAKE = """
```toml file=conf/linear.toml
[envelope]
method = "linear"
```

```bash run
cat conf/linear.toml | head -1
ls datasets/MANIFEST.md
```

```text output
[envelope]
datasets/MANIFEST.md
```

```python run
x = 6 * 7
```

```python run
print(x)
```

```text output
...
```

```bash run exit=2
emgkit check no-such-file.h5
```

```text output=stderr
emgkit check: error: no-such-file.h5: file not found
```
"""


def test_runnable_blocks_run_with_files_and_outputs(tmp_path):
    assert run_page(parse_page(RUN_FAKE, "docs/fake.md"), tmp_path) == []


def test_a_changed_output_or_a_failing_block_is_found(tmp_path):
    text = RUN_FAKE.replace("[envelope]\ndatasets", "[filter]\ndatasets")
    text = text.replace("print(x)", "print(y)")
    problems = run_page(parse_page(text, "docs/fake.md"), tmp_path)
    assert len(problems) == 2, problems
    assert problems[0].startswith("docs/fake.md:12: the output of the block at line 7 differs")
    assert "-[envelope]\n+[filter]" not in problems[0] and "+[envelope]" in problems[0]
    assert problems[1].startswith("docs/fake.md:21: exited 1, expected 0")
    assert "NameError" in problems[1]
    orphan = parse_page("text\n\n```text output\nhello\n```\n", "docs/fake.md")
    assert run_page(orphan, tmp_path / "orphan") == [
        "docs/fake.md:3: an output block without a runnable block before it"]


def test_runnable_blocks_write_nothing_into_the_repository(tmp_path):
    page = parse_page("```bash file=datasets/x.txt\nno\n```\n", "docs/fake.md")
    with pytest.raises(ValueError, match="outside the temporary folder"):
        run_page(page, tmp_path)
    assert shutil.which("bash")
