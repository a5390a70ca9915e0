"""The report as one self-contained HTML page (figures as base64 PNG, no network).

Responsive (readable on a phone: tables scroll sideways, figures shrink) and printable
(``@media print``). Every string is HTML-escaped, whatever its source.
"""

from __future__ import annotations

import base64
import html

from emgkit.report.content import Table

CSS = """
:root { --fg: #1b1f23; --muted: #5f6b76; --line: #d8dee4; --accent: #c0392b; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--fg); margin: 0; padding: 0 1rem 3rem; }
main { max-width: 60rem; margin: 0 auto; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--line); padding-bottom: 0.2rem;
     margin-top: 2rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.findings li { margin: 0.35rem 0; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 0.6rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.85rem; min-width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.45rem; text-align: left;
         vertical-align: top; }
th { background: #f4f6f8; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 0.8rem;
          padding-top: 0.3rem; }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.85rem; }
.warn { background: #fff7e6; border-left: 4px solid #e5a000; padding: 0.4rem 0.7rem; }
ol.refs li { font-size: 0.85rem; margin: 0.2rem 0; }
nav a { margin-right: 0.8rem; }
@media (max-width: 600px) { body { font-size: 14px; padding: 0 0.5rem 2rem; }
  h1 { font-size: 1.3rem; } th, td { padding: 0.25rem 0.3rem; } }
@media print { body { font-size: 10pt; padding: 0; } nav { display: none; }
  h2 { break-after: avoid; } figure, table { break-inside: avoid; }
  .table-wrap { overflow: visible; } th { position: static; } }
"""


def esc(text) -> str:
    """Escape any value for HTML (quotes too)."""
    return html.escape(str(text), quote=True)


def _num(cell: str) -> bool:
    c = cell.replace("-", "").replace(".", "").replace(" to ", "").replace("< ", "")
    return bool(c) and c.replace("(", "").replace(")", "").replace(" ", "").isdigit()


def table_html(t: Table) -> str:
    """Return a :class:`Table` as an HTML table in a sideways-scrolling wrapper."""
    head = "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in t.columns)
    num = ' class="num"'
    body = "\n".join(
        "<tr>" + "".join(f"<td{num if _num(str(c)) else ''}>{esc(c)}</td>" for c in row)
        + "</tr>" for row in t.rows)
    if not t.rows:
        body = f"<tr><td colspan=\"{len(t.columns)}\">none</td></tr>"
    return (f"<div class=\"table-wrap\"><table id=\"{esc(t.id)}\">"
            f"<caption>{esc(t.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>\n{body}\n</tbody></table></div>")


def summary_tables(report) -> list[Table]:
    """Return the summary's tables that have rows: hinge vs squat, per task, indices."""
    tables = (report.summary, report.activation, report.indices)
    return [t for t in tables if t is not None and t.rows]


def render_html(report) -> str:
    """Return the report (:class:`~emgkit.report.Report`) as a self-contained HTML page."""
    p = []
    p.append(f"<h1>{esc(report.title)}</h1>")
    p.append("<p class=\"meta\">" + "<br>".join(esc(x) for x in report.meta) + "</p>")
    group = ("<a href=\"#group-statistics\">Group statistics</a>"
             if report.group is not None else "")
    p.append(f"<nav><a href=\"#summary\">Summary</a>{group}<a href=\"#figures\">Figures</a>"
             "<a href=\"#quality\">Quality</a><a href=\"#methods\">Methods</a></nav>")
    p.append("<section id=\"summary\"><h2>Summary</h2>")
    p.append("<ul class=\"findings\">" + "".join(f"<li>{esc(s)}</li>" for s in report.findings)
             + "</ul>")
    p += [table_html(t) for t in summary_tables(report)]
    if report.group is not None:
        p.append("</section><section id=\"group-statistics\"><h2>Group statistics</h2>")
        p.append("<ul class=\"findings\">" + "".join(
            f"<li>{esc(s)}</li>" for s in report.group.sentences) + "</ul>")
        p += [table_html(t) for t in report.group.tables]
    p.append("</section><section id=\"figures\"><h2>Figures</h2>")
    for f in report.figures:
        data = base64.b64encode(f.png()).decode("ascii")
        p.append(f"<figure id=\"{esc(f.id)}\"><img src=\"data:image/png;base64,{data}\" "
                 f"alt=\"{esc(f.title)}\"><figcaption><strong>{esc(f.title)}.</strong> "
                 f"{esc(f.caption)}</figcaption></figure>")
    p.append("</section><section id=\"quality\"><h2>Quality</h2>")
    for w in report.warnings:
        p.append(f"<p class=\"warn\">{esc(w)}</p>")
    p.append(table_html(report.quality))
    p.append("<h3>Excluded</h3><ul>" + "".join(f"<li>{esc(s)}</li>" for s in report.excluded)
             + "</ul>")
    p.append(table_html(report.trials))
    p.append("</section><section id=\"methods\"><h2>Methods</h2>")
    p += [f"<p>{esc(s)}</p>" for s in report.methods]
    p.append(table_html(report.montage))
    if report.reference is not None and report.reference.rows:
        p.append(table_html(report.reference))
    p.append(table_html(report.inputs))
    p.append("<h3>References</h3><ol class=\"refs\">" + "".join(
        f"<li>{esc(r.split('] ', 1)[-1])}</li>" for r in report.references) + "</ol>")
    p.append(f"<p class=\"meta\">{esc(report.footer)}</p></section>")
    body = "\n".join(p)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{esc(report.title)}</title><style>{CSS}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")
