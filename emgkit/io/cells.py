"""Text cells that a spreadsheet would run as a formula, made inert (OWASP's CSV rule).

A montage label or a subject's note such as ``=HYPERLINK("http://...")`` written as it
is into ``metrics.csv`` becomes a live formula when the table is opened in Excel or
LibreOffice. OWASP's "CSV Injection" guidance: a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote. Numbers are
left alone (``-1.5`` stays a number), so the rule can run on any column, even one read
back as text.
"""

from __future__ import annotations

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """Return ``text`` with a leading ``'`` if a spreadsheet would run it as a formula.

    Text that parses as a number is returned unchanged; so is text already neutralised.
    """
    if not text.startswith(FORMULA_STARTS):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def neutralise_frame(df):
    """Return a copy of a pandas DataFrame with every text cell neutralised."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = df.copy()
    for col in out.columns:
        if is_object_dtype(out[col]) or is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
    return out
