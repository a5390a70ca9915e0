"""What both viewer modes show, without Qt and without the acquisition package.

Views and window limits, the amplitude scale of the rows (unit, common or per-row
span), task colours and the words of the low-back dominance indicator. Review mode
imports this, never :mod:`emgkit.viewer.stream` (which imports ``acquisition``).

Amplitude scaling (:data:`SCALES`):

- ``common`` (the default): every row shows the same span, a step of :data:`SPAN_STEPS`,
  in the unit of the view; review mode takes it from the whole session (a 6 uV rest
  trial stays small in its row, a 600 uV MVC fills it), live mode from the rows on
  screen. Raw rows are centred on their own level (DC offsets differ), filtered rows
  on zero, envelope rows start at zero.
- ``row``: each row fitted to its own visible signal.
"""

from __future__ import annotations

import numpy as np

from emgkit.analysis.indices import BALANCED_RATIO, low_back_word, ratio_band
from emgkit.analysis.palette import TASK_COLOURS as _TASK_HEX
from emgkit.analysis.palette import task_rgb
from emgkit.model.montage import Montage

#: Signal views the viewer offers, in the order the ``V`` key cycles them.
VIEWS = ("raw", "filtered", "envelope")
#: The live scrolling window's limits in seconds.
MIN_WINDOW_S, MAX_WINDOW_S = 2.0, 30.0
#: Amplitude scaling modes, the default first (the ``A`` key cycles them).
SCALES = ("common", "row")
#: Names of the amplitude scalings in the toolbars.
SCALE_NAMES = {"common": "common", "row": "per row"}
#: Display unit of the analysis' amplitude units, and of the signal views.
UNIT_LABELS = {"pct_mvc": "% MVC", "pct_peak": "% peak", "uv": "µV"}
#: Mantissas of the common spans (1, 1.5, 2, 3, 5, 7.5 times a power of ten).
SPAN_STEPS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.5)
#: Margin above and below a common span, as a fraction of it.
ROW_MARGIN = 0.06
#: Low-back indicator colour below, within and above :data:`BALANCED_RATIO`.
LOW_BACK_COLOURS = ("#207020", "#505050", "#c00000")


#: Colour (RGB) of each task's curves: the report's (:mod:`emgkit.analysis.palette`).
TASK_COLOURS = {task: task_rgb(task) for task in _TASK_HEX}


def regions_of(montage: Montage) -> list[str]:
    """Return ``limb`` or ``trunk`` per channel, as the core's processors need."""
    return [montage.muscle(c.muscle).region for c in montage.channels]


def nice_span(x: float) -> float:
    """Return the smallest span of :data:`SPAN_STEPS` times a power of ten that is >= ``x``."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    k = np.floor(np.log10(x))
    for step in (*SPAN_STEPS, 10.0):
        span = float(step * 10.0 ** k)
        if span >= x * (1 - 1e-12):
            return span
    return float(10.0 ** (k + 1))  # pragma: no cover (10.0 always qualifies)


def needed_span(view: str, lo: np.ndarray, hi: np.ndarray) -> float:
    """Return the span that shows every row's ``lo..hi`` under common scaling.

    Raw rows need their own extent, filtered rows twice their largest deviation from
    zero (they are centred on it), envelope rows their maximum (they start at zero).
    """
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return float("nan")
    lo, hi = lo[ok], hi[ok]
    if view == "raw":
        return float(np.max(hi - lo))
    if view == "filtered":
        return float(2.0 * np.max(np.maximum(np.abs(lo), np.abs(hi))))
    return float(np.max(hi))


def common_ranges(view: str, lo: np.ndarray, hi: np.ndarray, span: float) -> np.ndarray:
    """Return ``(n_rows, 2)`` y ranges showing ``span``: raw rows centred on their signal.

    Filtered rows are centred on zero and envelope rows start at zero, so every row of
    a view has the same range except for the raw ones' offsets. Each range adds
    :data:`ROW_MARGIN` of the span above and below (rows stay apart).
    """
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    n = lo.size
    if view == "raw":
        bottom = np.where(np.isfinite(lo + hi), (lo + hi) / 2.0, 0.0) - span / 2.0
    else:
        bottom = np.full(n, -span / 2.0 if view == "filtered" else 0.0)
    m = ROW_MARGIN * span
    return np.column_stack([bottom - m, bottom + span + m])


def fitted_range(lo: float, hi: float) -> tuple[float, float]:
    """Return a row's own range (per-row scaling): ``lo..hi`` with 10 % margins."""
    pad = 0.1 * max(hi - lo, 1.0)
    return float(lo - pad), float(hi + pad)


def low_back_text(dominance: float) -> tuple[str, str]:
    """Return the low-back indicator's word and colour for a dominance index.

    The word is :func:`emgkit.analysis.indices.low_back_word` (hip-driven below, balanced
    within, back-driven above :data:`~emgkit.analysis.indices.BALANCED_RATIO`).
    """
    return low_back_word(dominance), LOW_BACK_COLOURS[ratio_band(dominance) + 1]


#: How the low-back words are defined, for the indicator's text and the docs.
LOW_BACK_RULE = (f"hip-driven below {BALANCED_RATIO[0]:g}, balanced "
                 f"{BALANCED_RATIO[0]:g}-{BALANCED_RATIO[1]:g}, back-driven above "
                 f"{BALANCED_RATIO[1]:g}")
