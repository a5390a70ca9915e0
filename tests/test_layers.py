"""The package layering of DESIGN.md, checked on the source's import statements.

model -> core -> io -> analysis -> report, viewer, batch -> cli; a layer never imports
one above it; the core imports neither Qt, BrainFlow, h5py nor pandas. ``acquisition``
(a package of its own) depends on emgkit's lower floors, never on the floors that reach
it (the command line, the live viewer, the demo) and never on Qt; emgkit reaches
``acquisition`` only from the command line, the live viewer and the demo. Every module
of both packages is checked, and none may exceed :data:`MAX_LINES` (DESIGN/STYLE: ~600).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "emgkit"
ACQ = ROOT / "acquisition"
#: The module size DESIGN.md and STYLE.md ask for.
MAX_LINES = 600

#: Layer rank of each emgkit sub-package (a module may import its own rank or lower).
RANK = {
    "errors": 0, "_validate": 0, "_version": 0, "_malloc": 0,
    "model": 1,
    "core": 2, "simulate": 2,
    "io": 3,
    "analysis": 4,
    "report": 5, "viewer": 5, "batch": 5, "bids": 5, "demo": 5, "bridges": 5,
    "cli": 6, "__main__": 6, "__init__": 6,
}
THIRD_PARTY_BANNED = {
    "model": {"h5py", "pandas", "PySide6", "pyqtgraph", "brainflow", "matplotlib", "dask"},
    "core": {"h5py", "pandas", "PySide6", "pyqtgraph", "brainflow", "matplotlib", "dask"},
    "simulate": {"h5py", "pandas", "PySide6", "pyqtgraph", "brainflow", "matplotlib", "dask"},
    # io may ask an installed BrainFlow for a board's CSV layout (static table otherwise)
    "io": {"PySide6", "pyqtgraph", "matplotlib", "dask"},
    "analysis": {"PySide6", "pyqtgraph", "brainflow"},
}
#: emgkit modules that may import acquisition: the command line, the live viewer and the
#: demo (which records through the emulator, as ``emgkit demo``). The review viewer may not.
MAY_IMPORT_ACQUISITION = {"cli", "__main__", "demo"}
LIVE_VIEWER = {"viewer/live_window.py", "viewer/stream.py", "viewer/feed.py"}
#: What acquisition may not import: the floors that import it, and Qt.
ACQUISITION_BANNED_EMGKIT = {"cli", "viewer", "demo", "__main__", "report", "batch", "bids"}
ACQUISITION_BANNED = {"PySide6", "pyqtgraph", "matplotlib", "dask"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0].removesuffix(".py")


MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
ACQ_MODULES = sorted(p for p in ACQ.rglob("*.py") if "__pycache__" not in p.parts)


def _may_import_acquisition(path: Path, layer: str) -> bool:
    rel = path.relative_to(PKG).as_posix()
    return layer in MAY_IMPORT_ACQUISITION or rel in LIVE_VIEWER


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_layering(path):
    layer = _layer(path)
    if path == PKG / "__init__.py":
        layer = "errors"  # the package root re-exports only errors and the version
    assert layer in RANK, f"{path}: add the new sub-package {layer!r} to RANK in {__file__}"
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "emgkit" and "." in name:
            target = name.split(".")[1]
            assert RANK.get(target, 99) <= RANK[layer] or target == layer, (
                f"{path.relative_to(ROOT)} ({layer}) imports {name}, a higher layer"
            )
        if top == "acquisition":
            assert _may_import_acquisition(path, layer), (
                f"{path.relative_to(ROOT)}: only the CLI, the live viewer and the demo may "
                "import acquisition"
            )
        assert top not in THIRD_PARTY_BANNED.get(layer, set()), (
            f"{path.relative_to(ROOT)} ({layer}) must not import {top}"
        )


@pytest.mark.parametrize("path", ACQ_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_acquisition_layering(path):
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "emgkit" and len(parts) > 1:
            assert parts[1].removesuffix(".py") not in ACQUISITION_BANNED_EMGKIT, (
                f"{path.relative_to(ROOT)} imports {name}: acquisition sits below the floors "
                "that import it"
            )
        assert parts[0] not in ACQUISITION_BANNED, (
            f"{path.relative_to(ROOT)} (acquisition) must not import {parts[0]}"
        )


def test_every_package_is_covered():
    tops = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert tops <= {"emgkit", "acquisition", "benchmarks", "tests"}, tops
    assert ACQ_MODULES and MODULES


def test_no_module_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*MODULES, *ACQ_MODULES]
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
