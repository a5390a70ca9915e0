"""The PDF has no near-empty pages: each is at least a third full, or is the last page.

Measured on the rendered pages (pdftoppm): the fill of a page is the share of its height
from the top edge down to its lowest non-white pixel row; and from the layout engine's
own record (:func:`emgkit.report.pdf.write_pdf` returns each page's fill; checked against
the rendering in ``test_numbers.py`` on a hinge-only session).
"""

from __future__ import annotations

import subprocess

import matplotlib.image
import numpy as np

MIN_FILL = 1 / 3


def page_fills(pdf, tmp_path) -> list[float]:
    """Return, per rendered page, the share of its height down to its last ink row."""
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    fills = []
    for png in sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1])):
        img = matplotlib.image.imread(png)[..., :3].min(axis=2)
        ink = np.flatnonzero((img < 0.9).any(axis=1))
        fills.append((ink[-1] + 1) / img.shape[0] if ink.size else 0.0)
    return fills


def test_demo_pdf_has_no_near_empty_page(demo, tmp_path):
    out = demo[0]
    fills = page_fills(out / "report.pdf", tmp_path)
    assert len(fills) >= 4
    assert all(f >= MIN_FILL for f in fills[:-1]), [round(f, 2) for f in fills]
