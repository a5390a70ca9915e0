"""Read the documentation pages as ``test_docs_run.py`` checks them, and run their blocks.

The conventions (also stated in ``docs/architecture.md``, "Documentation that runs"):

- A fenced block whose info string has the word ``run`` after its language is executed:
  ```` ```bash run ```` (or ``sh``) as a bash script (``set -e -o pipefail``) in a fresh
  temporary folder, where ``datasets/`` and ``acquisition/`` of the repository are reachable
  by those relative paths and ``emgkit`` is a shim for ``python3 -m emgkit`` of this checkout;
  ```` ```python run ```` in one namespace per page, in page order, with that folder as the
  current directory.
- ```` ```text output ```` (any language) is the expected standard output of the runnable block
  before it on the page (``output=stderr``: its standard error). A line ``...`` matches any
  number of lines, ``...`` inside a line any text. Trailing blanks are ignored.
- ``exit=N`` on a runnable block: the exit status it must end with (default 0).
- ``file=NAME`` (e.g. ```` ```toml file=my-montage.toml ````): the block's text is written to
  ``NAME`` in the temporary folder before the later blocks run; it is not executed.
- ``session=NAME`` on a runnable block: before it runs, a simulated lab session (the
  simulator's default Cyton session: rest, one MVC per muscle group, a hinge and a squat set
  with repetition markers) is copied to ``NAME`` unless a block already made that file.

Every page is also checked without running anything: each repository path it names in code,
in a link or as a bare ``NAME.md`` exists (``<name>`` and ``*`` are wildcards), and every
``--option`` of an ``emgkit COMMAND`` line (or of ``python -m acquisition.emulator``) is an
option of that command; an option alone in inline code belongs to the last command named
in code in the same section (any emgkit command if none).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import io
import os
import re
import shutil
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The pages checked, relative to the repository.
PAGE_NAMES = ["README.md", *sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md"))]
#: Top-level folders of the repository whose paths the docs may name.
REPO_DIRS = ("docs", "datasets", "acquisition", "emgkit", "tests", "benchmarks", ".ci")
#: Folders of the repository linked into the folder where runnable blocks run.
LINKED = ("datasets", "acquisition")
SHELLS = ("bash", "sh")

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(.*)$")
_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_DIRS = "|".join(re.escape(d) for d in REPO_DIRS)
_PATH = re.compile(rf"(?<![\w.\-/$~])((?:{_DIRS})/[\w.*<>/\-]*)(.?)")
_MD_NAME = re.compile(r"(?<![\w/.\-])([A-Za-z][\w\-]*\.md)\b")
_OPTION = re.compile(r"--[a-z0-9][a-z0-9-]*")
_PROGRAM = re.compile(r"python3?|pip3?|dask|srun|bash|sh|git|kill|apt-get|h5clear|h5dump"
                      r"|bids-validator-deno|pytest|[\w./-]+\.py")
_SEPARATORS = {"&&", "||", "|", ";", "&", "do", "then"}


@dataclass
class Block:
    """A fenced code block: where it is, its language, attributes and text."""

    line: int
    lang: str
    attrs: dict[str, str]
    text: str

    @property
    def runnable(self) -> bool:
        return "run" in self.attrs

    @property
    def is_output(self) -> bool:
        return "output" in self.attrs


@dataclass
class Item:
    """Something on a page the static checks read: a block, inline code, a heading, a link."""

    line: int
    kind: str  # "block", "code", "heading", "link", "prose"
    text: str
    block: Block | None = None


@dataclass
class Page:
    """A parsed page."""

    name: str
    blocks: list[Block] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


def _attrs(info: str) -> tuple[str, dict[str, str]]:
    words = info.split()
    lang = words[0] if words else ""
    attrs = {}
    for w in words[1:]:
        k, _, v = w.partition("=")
        attrs[k] = v
    return lang, attrs


def _indented_command(line: str) -> bool:
    s = line.strip()
    return line.startswith("    ") and bool(
        re.match(r"(\$ )?(emgkit|python3? -m (emgkit|acquisition\.emulator))\b", s))


def parse_page(text: str, name: str = "<page>") -> Page:
    """Split a Markdown page into blocks, inline code, headings, links and prose."""
    page = Page(name)
    lines = text.split("\n")
    para: list[str] = []
    para_start = 0

    def flush() -> None:
        if not para:
            return
        chunk = "\n".join(para)
        page.items.append(Item(para_start, "prose", chunk))
        for m in _SPAN.finditer(chunk):
            page.items.append(Item(para_start + chunk.count("\n", 0, m.start()), "code",
                                   m.group(2)))
        for m in _LINK.finditer(chunk):
            page.items.append(Item(para_start + chunk.count("\n", 0, m.start()), "link",
                                   m.group(1)))
        para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if m:
            flush()
            indent, fence, info = m.groups()
            body, j = [], i + 1
            while j < len(lines):
                s = lines[j].strip()
                if s.startswith(fence) and not s.strip(fence[0]):
                    break
                body.append(lines[j][len(indent):] if lines[j].startswith(indent)
                            else lines[j].lstrip())
                j += 1
            lang, attrs = _attrs(info)
            block = Block(i + 1, lang, attrs, "".join(b + "\n" for b in body))
            page.blocks.append(block)
            page.items.append(Item(i + 2, "block", block.text, block))
            i = j + 1
            continue
        if re.match(r"#{1,6}\s", line):
            flush()
            page.items.append(Item(i + 1, "heading", line.lstrip("#").strip()))
            page.items.append(Item(i + 1, "prose", line))
        elif not line.strip():
            flush()
        elif _indented_command(line):
            flush()
            start, cmd = i + 1, line
            while cmd.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd += "\n" + lines[i]
            page.items.append(Item(start, "code", cmd))
        else:
            if not para:
                para_start = i + 1
            para.append(line)
        i += 1
    flush()
    return page


def load_page(name: str) -> Page:
    """Parse the page ``name`` (relative to the repository)."""
    return parse_page((REPO / name).read_text(encoding="utf-8"), name)


# -- files --------------------------------------------------------------------------------
def _exists(rel: str, base: Path = REPO) -> bool:
    rel = re.sub(r"<[^>]*>", "*", rel).rstrip("/") or "."
    if "*" in rel:
        return any(base.glob(rel))
    return (base / rel).exists()


def path_problems(page: Page) -> list[str]:
    """Return ``page:line: ...`` for every repository file the page names that is missing."""
    out = []
    here = (REPO / page.name).parent
    for it in page.items:
        if it.kind in ("code", "block"):
            for m in _PATH.finditer(it.text):
                rel, after = m.group(1).rstrip(".,:;"), m.group(2)
                if after in ("$", "{"):
                    rel += "*"
                if not _exists(rel):
                    out.append(f"{page.name}:{it.line + it.text.count(chr(10), 0, m.start())}:"
                               f" names {rel}, which is not in the repository")
        if it.kind == "link":
            target = it.text.split("#", 1)[0]
            if target and not re.match(r"[a-z]+:", target) and not _exists(target, here):
                out.append(f"{page.name}:{it.line}: links to {target}, which does not exist")
        if it.kind in ("prose", "block"):
            for m in _MD_NAME.finditer(it.text):
                md = m.group(1)
                if md not in _md_names():
                    line = it.line + it.text.count("\n", 0, m.start())
                    out.append(f"{page.name}:{line}: cites {md}, which is not in the repository")
    return sorted(set(out), key=_line_key)


@functools.cache
def _md_names() -> frozenset[str]:
    skip = {".git", ".hypothesis", ".ruff_cache", ".benchmarks"}
    return frozenset(p.name for p in REPO.rglob("*.md")
                     if not skip & set(p.relative_to(REPO).parts))


def _line_key(problem: str) -> tuple[str, int, str]:
    name, line, rest = problem.split(":", 2)
    return name, int(line), rest


# -- commands and options -----------------------------------------------------------------
def emgkit_options() -> dict[str, set[str]]:
    """Return the long options of every command: ``{"import": {...}, "export bids": ...}``.

    ``""`` holds the global options, ``"*"`` the union of all, ``"emulator"`` those of
    ``python -m acquisition.emulator``.
    """
    import argparse

    from emgkit.cli.main import build_parser

    def longs(p: argparse.ArgumentParser) -> set[str]:
        return {s for a in p._actions for s in a.option_strings if s.startswith("--")}

    def subs(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                return dict(a.choices)
        return {}

    root = build_parser()
    opts = {"": longs(root)}
    for name, p in subs(root).items():
        opts[name] = longs(p) | opts[""]
        for sub, q in subs(p).items():
            opts[f"{name} {sub}"] = longs(q) | opts[""]
    opts["*"] = set().union(*opts.values())
    opts["emulator"] = _emulator_options()
    return opts


def _emulator_options() -> set[str]:
    try:
        from acquisition.emulator.__main__ import main
    except ImportError:  # pragma: no cover - the acquisition extra is missing
        return set()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        main(["--help"])
    return set(_OPTION.findall(buf.getvalue()))


def _commands(text: str) -> list[tuple[int, list[str]]]:
    """Split shell-like text into commands: (line offset in ``text``, words)."""
    out: list[tuple[int, list[str]]] = []
    lines = text.split("\n")
    k = 0
    while k < len(lines):
        start, line = k, lines[k]
        while line.rstrip().endswith("\\") and k + 1 < len(lines):
            k += 1
            line = line.rstrip()[:-1] + " " + lines[k]
        k += 1
        line = re.sub(r"(^|\s)#.*$", "", line)
        words = re.findall(r"'[^']*'|\"[^\"]*\"|[^\s;]+|;", line)
        cur: list[str] = []
        for j, w in enumerate(words):
            nxt = words[j + 1] if j + 1 < len(words) else ""
            if w in _SEPARATORS and not nxt.startswith("-"):
                out.append((start, cur))
                cur = []
            else:
                cur.append(w)
        out.append((start, cur))
    return [(n, c) for n, c in out if c]


def _invocation(words: list[str]) -> tuple[str | None, list[str]] | None:
    """Return (command, its words) if ``words`` runs emgkit or the emulator, else None.

    The command is ``"import"``, ``"export bids"``, ``"emulator"``, or None for a
    placeholder (``emgkit COMMAND``); the words are those after it.
    """
    while words and (words[0] in ("$", "time", "sudo") or re.fullmatch(r"\w+=\S*", words[0])):
        words = words[1:]
    if words[:3] in (["python3", "-m", "acquisition.emulator"],
                     ["python", "-m", "acquisition.emulator"]):
        return "emulator", words[3:]
    if words[:3] in (["python3", "-m", "emgkit"], ["python", "-m", "emgkit"]):
        words = words[3:]
    elif words[:1] == ["emgkit"]:
        words = words[1:]
    else:
        return None
    while words and words[0] in ("-v", "-vv", "--verbose", "--debug"):
        words = words[1:]
    if not words or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
        return None, words
    if words[0] == "export" and len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]):
        return f"export {words[1]}", words[2:]
    return words[0], words[1:]


def _option_words(words: list[str]) -> list[str]:
    found = []
    for w in words:
        w = w.strip("[](){},.:`'\"")
        for part in w.split("|"):
            name = part.split("=", 1)[0]
            if _OPTION.fullmatch(name):
                found.append(name)
    return found


def option_problems(page: Page, opts: dict[str, set[str]]) -> list[str]:
    """Return ``page:line: ...`` for every unknown command or option in the page's code.

    An option alone (inline code such as ``--fs-hz``, or a line of a block that starts with
    one) must be an option of a command named in code earlier in the same section (of any
    emgkit command if none is).
    """
    out = []
    section: set[str] = set()
    other = False  # the last command named was another program's (its options are its own)
    for it in page.items:
        if it.kind == "heading":
            inv = _invocation(it.text.strip("`").split())
            section = {inv[0]} if inv and inv[0] in opts else set()
            other = False
            continue
        if it.kind not in ("code", "block") or (it.block and it.block.is_output):
            continue
        for offset, words in _commands(it.text):
            line = it.line + offset
            inv = _invocation(words)
            if inv is None:
                other = other or bool(_PROGRAM.fullmatch(words[0].lstrip("$")))
                if words[0].startswith("--") and not other:
                    known = set().union(*(opts[c] for c in section)) if section else opts["*"]
                    names = " or ".join(_label(c) for c in sorted(section)) or "any command"
                    out += [f"{page.name}:{line}: {o} is not an option of {names}"
                            for o in _option_words(words) if o not in known]
                continue
            cmd, rest = inv
            if cmd is None:
                continue
            if cmd not in opts:
                out.append(f"{page.name}:{line}: 'emgkit {cmd}' is not an emgkit command")
                continue
            section.add(cmd)
            other = False
            out += [f"{page.name}:{line}: {o} is not an option of {_label(cmd)}"
                    for o in _option_words(rest) if o not in opts[cmd] and o != "--help"]
    return out


def _label(cmd: str) -> str:
    return "python -m acquisition.emulator" if cmd == "emulator" else f"emgkit {cmd}"


# -- running ------------------------------------------------------------------------------
def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` output matches ``expected`` (``...`` lines and parts are wildcards)."""
    parts = []
    for line in expected.rstrip().split("\n"):
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*".join(re.escape(p) for p in line.rstrip().split("...")) + "\n")
    text = "".join(line.rstrip() + "\n" for line in actual.rstrip().split("\n"))
    return re.fullmatch("".join(parts), text) is not None


def prepare_folder(root: Path) -> tuple[Path, dict[str, str]]:
    """Make the folder runnable blocks run in and return it with their environment."""
    work, bindir = root / "work", root / "bin"
    work.mkdir(parents=True)
    bindir.mkdir()
    for d in LINKED:
        (work / d).symlink_to(REPO / d, target_is_directory=True)
    shim = bindir / "emgkit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m emgkit "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = dict(os.environ)
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", MPLBACKEND="Agg",
               QT_QPA_PLATFORM="offscreen", COLUMNS="100",
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p))
    return work, env


def _safe(work: Path, name: str) -> Path:
    p = (work / name).resolve()
    if not p.is_relative_to(work.resolve()) or any(p.is_relative_to(work / d) for d in LINKED):
        raise ValueError(f"file={name} would be written outside the temporary folder")
    return p


def _run_python(block: Block, ns: dict, work: Path, where: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(work)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("default")  # as a reader's session shows them, not errors
            exec(compile(block.text, where, "exec"), ns)  # the docs' own code
        rc = 0
    except Exception:
        err.write(traceback.format_exc(limit=-3))
        rc = 1
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


def run_page(page: Page, root: Path, session: Callable[[], Path] | None = None) -> list[str]:
    """Run the runnable blocks of ``page`` in a fresh folder under ``root``; return problems."""
    work, env = prepare_folder(root)
    ns: dict = {"__name__": "__docs__"}
    problems = []
    last: tuple[Block, str, str] | None = None
    for b in page.blocks:
        where = f"{page.name}:{b.line}"
        if "file" in b.attrs:
            p = _safe(work, b.attrs["file"])
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(b.text, encoding="utf-8")
        if b.is_output:
            if last is None:
                problems.append(f"{where}: an output block without a runnable block before it")
                continue
            run_block, out, err = last
            shown = err if b.attrs["output"] == "stderr" else out
            if not matches(b.text, shown):
                diff = "\n".join(difflib.unified_diff(
                    b.text.rstrip().split("\n"), shown.rstrip().split("\n"),
                    "documented", "printed", lineterm="", n=1))
                problems.append(f"{where}: the output of the block at line {run_block.line} "
                                f"differs:\n{diff}")
            last = None
            continue
        last = None
        if not b.runnable:
            continue
        if "session" in b.attrs and session is not None:
            target = _safe(work, b.attrs["session"])
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(session(), target)
        if b.lang in SHELLS:
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", b.text], cwd=work,
                               env=env, capture_output=True, text=True, timeout=300)
            rc, out, err = r.returncode, r.stdout, r.stderr
        elif b.lang == "python":
            rc, out, err = _run_python(b, ns, work, where)
        else:
            problems.append(f"{where}: cannot run a '{b.lang}' block (bash, sh or python)")
            continue
        want = int(b.attrs.get("exit") or 0)
        if rc != want:
            tail = "\n".join((err or out).rstrip().split("\n")[-12:])
            problems.append(f"{where}: exited {rc}, expected {want}:\n{tail}")
        last = (b, out, err)
    return problems
