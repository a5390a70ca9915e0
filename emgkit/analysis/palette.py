"""Colours of the tasks, one definition for the report's figures and the viewer.

>>> TASK_COLOURS["hinge"], task_rgb("squat")
('#c0392b', (36, 113, 163))
"""

from __future__ import annotations

#: Hinge and squat, as ``#rrggbb``.
TASK_COLOURS = {"hinge": "#c0392b", "squat": "#2471a3"}
#: Colours of further tasks (``other:...``, MVC, rest), taken in order of first use.
OTHER_TASK_COLOURS = ("#1e8449", "#7d3c98", "#b9770e", "#566573", "#a04000", "#117a65")


def task_colour(task: str, others: tuple[str, ...] = ()) -> str:
    """Return the colour of ``task``: its own, else one of :data:`OTHER_TASK_COLOURS`.

    Parameters
    ----------
    task : str
        The task's name.
    others : tuple of str
        The tasks without a colour of their own, in the order they are shown, so that
        each gets a distinct colour (cycling after six).
    """
    if task in TASK_COLOURS:
        return TASK_COLOURS[task]
    k = others.index(task) if task in others else sum(map(ord, task))
    return OTHER_TASK_COLOURS[k % len(OTHER_TASK_COLOURS)]


def task_rgb(task: str, others: tuple[str, ...] = ()) -> tuple[int, int, int]:
    """Return :func:`task_colour` as an ``(r, g, b)`` tuple of 0-255 integers (pyqtgraph)."""
    h = task_colour(task, others).lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
