"""Exact percentiles of values read a block at a time.

:func:`percentile_of_blocks` gives ``float(np.percentile(values, q))`` (method
``linear``, numpy 1.24 to 2.x) for float64 values that are never all held at once (a
channel of a long trial on disk, a signal computed a block of rows at a time). The two
order statistics around the percentile are selected by radix selection on integer keys
in the order of the values, a few passes over the blocks, then interpolated as numpy's
``_quantile`` and ``_lerp`` do, in the same float64 operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

#: A source of values: each call returns a fresh iterator over 1-D float64 blocks, the
#: values in order (a call is a pass over them); a block may be overwritten by the next.
Blocks = Callable[[], Iterator[np.ndarray]]

#: Candidates gathered at once and partitioned (8 MB of float64): the selection passes
#: stop when the values that may hold the order statistic are no more; a source of no
#: more values is gathered whole and given to ``np.percentile``.
GATHER_VALUES = 1 << 20
#: Bits of the key counted per pass: a histogram of 2**16 int64 counts (512 KB), at most
#: 4 passes of selection (usually 1 or 2 before the candidates fit), then one to gather.
_DIGIT_BITS = 16
#: Values given keys at a time (each a few temporaries of 8 bytes a value: 2 MB each).
_PIECE = 1 << 18
#: The sign bit of a float64 (and the top bit of its key).
_SIGN = 1 << 63


def percentile_of_blocks(blocks: Blocks, n: int, q: float, gather: int | None = None) -> float:
    """``float(np.percentile(values, q))`` of values read a block at a time, bit for bit.

    Parameters
    ----------
    blocks : callable
        Returns a fresh iterator over the values as 1-D float64 blocks, in any order;
        called once per pass (2 to 6 passes when ``n`` is over ``gather``, else 1).
    n : int
        Number of values.
    q : float
        Percentile, 0 to 100.
    gather : int, optional
        Values gathered at once; :data:`GATHER_VALUES` if None.

    Returns
    -------
    float
        NaN if a value is NaN, as numpy gives (or where numpy subtracts ``inf`` from
        ``inf``, without its warning). Where the two order statistics are zeros
        of both signs, the sign of a zero result may differ from numpy's (numpy's own
        depends on how its partition orders equal values; ``-0.0 == 0.0``).
    """
    gather = GATHER_VALUES if gather is None else int(gather)
    if n <= gather:  # one copy of at most `gather` values: numpy's own number
        whole, a = np.empty(n), 0
        for x in blocks():
            whole[a : a + x.size] = x
            a += x.size
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, silently as below
            return float(np.percentile(whole, q))
    if not 0 <= q <= 100:
        raise ValueError(f"Percentiles must be in the range [0, 100], got q={q}")
    index = (n - 1) * (q / 100)  # numpy's virtual index, floor, weight and _lerp
    floor = math.floor(index)
    if index >= n - 1:
        i = j = n - 1
        floor = -1
    else:
        i, j = floor, floor + 1
    gamma = index - floor

    def pieces() -> Iterator[np.ndarray]:  # a pass's temporaries are a piece's, not a block's
        return (x[a : a + _PIECE] for x in blocks() for a in range(0, x.size, _PIECE))

    a, b = _order_statistics(pieces, n, i, j, gather)
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def _keys(x: np.ndarray) -> np.ndarray:
    """Return uint64 keys in the order of the float64 values ``x`` (not NaN); one key for ±0.0."""
    k = (x + 0.0).view(np.uint64)  # -0.0 + 0.0 is 0.0
    flip = (k.view(np.int64) >> 63).view(np.uint64)  # all ones where negative
    flip |= np.uint64(_SIGN)
    k ^= flip  # negative: all bits flipped; positive: the sign bit set
    return k


def _order_statistics(blocks: Blocks, n: int, i: int, j: int,
                      gather: int) -> tuple[float, float]:
    """Return the ``i``-th and ``j``-th smallest of ``n`` values; NaN if a value is NaN.

    ``j`` is ``i`` or ``i + 1``. Radix selection: each pass counts the next 16 bits of
    the keys that share the bits chosen so far, until at most ``gather`` candidates are
    left (gathered, partitioned) or all their bits are chosen (they are one value).
    """
    prefix, shift, below, left = 0, 64, 0, n  # `below` keys are under the prefix
    while left > gather and shift > 0:
        top, shift = shift, shift - _DIGIT_BITS
        hist = np.zeros(1 << _DIGIT_BITS, np.int64)
        for x in blocks():
            if top == 64 and x.size and np.isnan(np.min(x)):
                return math.nan, math.nan
            k = _keys(x)
            if top < 64:
                first = prefix << top  # the keys whose bits from `top` up are `prefix`
                k = k[(k >= np.uint64(first)) & (k <= np.uint64(first + (1 << top) - 1))]
            k >>= np.uint64(shift)
            k &= np.uint64((1 << _DIGIT_BITS) - 1)
            hist += np.bincount(k.view(np.int64), minlength=1 << _DIGIT_BITS)
        cum = np.cumsum(hist)
        digit = int(np.searchsorted(cum, i - below, side="right"))
        below += int(cum[digit] - hist[digit])
        prefix, left = (prefix << _DIGIT_BITS) | digit, int(hist[digit])
    ri, rj = i - below, j - below
    if left <= gather:
        c, a = np.empty(left), 0
        for x in blocks():
            x = x[(_keys(x) >> np.uint64(shift)) == np.uint64(prefix)]
            c[a : a + x.size] = x
            a += x.size
        c.partition(sorted({ri, min(rj, left - 1)}))
        lo, hi = float(c[ri]), float(c[rj]) if rj < left else None
    else:  # more than `gather` of one value: one of them (0.0 and -0.0 share a key)
        lo = next(float(v[0]) for x in blocks() if (v := x[_keys(x) == np.uint64(prefix)]).size)
        hi = lo if rj < left else None
    if hi is None:  # the next value is the smallest above the candidates
        hi = min(float(np.min(x, where=x > lo, initial=np.inf)) for x in blocks())
    return lo, hi


__all__ = ["GATHER_VALUES", "percentile_of_blocks"]
