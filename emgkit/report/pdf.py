"""The report as a PDF with the same content as the HTML page (matplotlib ``PdfPages``).

Pages (A4 portrait) flow headings, paragraphs, tables and figures with wrapping and page
breaks where a block does not fit (no forced breaks). A figure that does not fit on a page
less than :data:`MIN_FILL` full is shrunk to the room left rather than leave the page
near-empty; :attr:`_Flow.fills` records how full each page was. Text stays text in the
PDF (``pdftotext`` reads it); mathtext is off, so strings are drawn as they are.
"""

from __future__ import annotations

import io
import textwrap
from os import PathLike

import matplotlib
import matplotlib.image
import matplotlib.lines
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from emgkit.report.content import Table

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN = 0.6
TEXT_W = PAGE_W - 2 * MARGIN
#: Average character width per point of font size, in inches (DejaVu Sans).
CHAR_W = 0.55 / 72
#: A page is broken before a figure only when at least this fraction of it is used.
MIN_FILL = 0.4
#: A figure may shrink to this fraction of its height to stay on a page.
MIN_SCALE = 0.5


class _Flow:
    """Lays out text blocks on A4 pages, starting a new page when one is full."""

    def __init__(self, pdf: PdfPages):
        self.pdf = pdf
        self.fig: Figure | None = None
        self.y = 0.0
        self.fills: list[float] = []

    def _page(self) -> None:
        self.flush()
        self.fig = Figure(figsize=(PAGE_W, PAGE_H))
        self.y = MARGIN

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fills.append(self.y / PAGE_H)
            self.fig = None

    def _room(self, h: float) -> None:
        if self.fig is None or self.y + h > PAGE_H - MARGIN:
            self._page()

    def _text(self, x: float, y: float, s: str, size: float, **kw) -> None:
        self.fig.text(x / PAGE_W, 1 - y / PAGE_H, s, fontsize=size, va="top", ha="left",
                      parse_math=False, **kw)

    def lines(self, text: str, size: float = 9.0, weight: str = "normal",
              gap: float = 0.08, indent: float = 0.0) -> None:
        width = max(20, int((TEXT_W - indent) / (size * CHAR_W)))
        lh = size * 1.35 / 72
        for ln in textwrap.wrap(text, width) or [""]:
            self._room(lh)
            self._text(MARGIN + indent, self.y, ln, size, weight=weight)
            self.y += lh
        self.y += gap

    def heading(self, text: str, size: float = 13.0) -> None:
        self._room(0.9)
        self.y += 0.1
        self.lines(text, size, "bold", gap=0.1)

    def figure(self, title: str, png: bytes, caption: str) -> None:
        """Place a figure (PNG) at the text width, with its title and caption as text."""
        img = matplotlib.image.imread(io.BytesIO(png), format="png")
        h = min(TEXT_W * img.shape[0] / img.shape[1], PAGE_H - 2 * MARGIN - 1.2)
        room = PAGE_H - MARGIN - self.y - 0.9
        if self.fig is not None and h > room and self.y < MIN_FILL * PAGE_H:
            h = max(room, MIN_SCALE * h)  # shrink rather than leave this page near-empty
        w = h * img.shape[1] / img.shape[0]
        self._room(h + 0.9)
        self.lines(title, 10, "bold", gap=0.05)
        ax = self.fig.add_axes((MARGIN / PAGE_W, 1 - (self.y + h) / PAGE_H, w / PAGE_W,
                                h / PAGE_H))
        ax.imshow(img, interpolation="antialiased")
        ax.set_axis_off()
        self.y += h + 0.08
        self.lines(caption, 8, gap=0.25)

    def table(self, t: Table, size: float = 6.5) -> None:
        n = len(t.columns)
        lens = [max([len(str(c)) for c in t.columns] + [len(str(r[i])) for r in t.rows])
                for i in range(n)]
        weights = [min(max(v, 4), 40) for v in lens]
        widths = [TEXT_W * w / sum(weights) for w in weights]
        chars = [max(3, int(w / (size * CHAR_W)) - 1) for w in widths]
        lh = size * 1.3 / 72

        def row(cells, weight):
            wrapped = [textwrap.wrap(str(c), k) or [""] for c, k in zip(cells, chars)]
            h = max(len(w) for w in wrapped) * lh + 0.04
            self._room(h)
            x = MARGIN
            for w, cw in zip(wrapped, widths):
                self._text(x, self.y, "\n".join(w), size, weight=weight, linespacing=1.2)
                x += cw
            self.y += h
            self.fig.add_artist(matplotlib.lines.Line2D(
                [MARGIN / PAGE_W, 1 - MARGIN / PAGE_W], [1 - self.y / PAGE_H + 0.01 / PAGE_H] * 2,
                lw=0.3, color="#999999"))

        self._room(3 * lh + 0.1)  # the header with the first rows
        row(t.columns, "bold")
        for r in t.rows or [["none"] + [""] * (n - 1)]:
            row(r, "normal")
        self.y += 0.05
        self.lines(t.caption, 7.5, gap=0.15)


def write_pdf(report, path: str | PathLike) -> list[float]:
    """Write the report (:class:`~emgkit.report.Report`) as a PDF at ``path``.

    Returns
    -------
    list of float
        How full each page is (the fraction of its height used), page by page.
    """
    from emgkit.report.html import summary_tables

    meta = {"Title": report.title, "Creator": "emgkit", "Subject": "sEMG activation report"}
    with PdfPages(path, metadata=meta) as pdf:
        f = _Flow(pdf)
        f.heading(report.title, 16)
        for m in report.meta:
            f.lines(m, 8.5, gap=0.02)
        f.heading("Summary")
        for s in report.findings:
            f.lines("- " + s, 9)
        for t in summary_tables(report):
            f.table(t)
        if report.group is not None:
            f.heading("Group statistics")
            for s in report.group.sentences:
                f.lines("- " + s, 9)
            for t in report.group.tables:
                f.table(t, 6.0)
        f.heading("Figures")
        for i, fig in enumerate(report.figures, 1):
            f.figure(f"Figure {i}. {fig.title}", fig.png(), fig.caption)
        f.heading("Quality")
        for w in report.warnings:
            f.lines("Note: " + w, 8.5)
        f.table(report.quality)
        f.heading("Excluded", 11)
        for s in report.excluded:
            f.lines("- " + s, 8.5)
        f.table(report.trials)
        f.heading("Methods")
        for s in report.methods:
            f.lines(s, 9)
        f.table(report.montage)
        if report.reference is not None and report.reference.rows:
            f.table(report.reference)
        f.table(report.inputs, 5.5)
        f.heading("References", 11)
        for r in report.references:
            f.lines(r, 8)
        f.lines(report.footer, 7.5)
        f.flush()
    return f.fills
