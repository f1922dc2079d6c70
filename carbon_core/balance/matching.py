"""Temporal matching kernels: green supply against consumption, interval by interval.

Pure numpy on float64 2-D arrays ``(rows, time)`` (rows are factories, meters or instruments; time
is the last, contiguous axis). In every interval the matched volume is ``min(demand, supply)``:
surplus in one interval never covers another (GHG Protocol Scope 2 revision proposal, 2025;
EnergyTag Granular Certificate Scheme). Coarser modes aggregate first (hourly from 15-minute by a
reshape-sum, months by ``np.add.reduceat``), then match.

The carbon-free-energy score of a mode is matched / consumed (EnergyTag / 24/7 CFE usage); the
volume left unmatched is valued at the residual factor by :mod:`carbon_core.balance.market`.

Examples
--------
>>> demand = np.array([[1.0, 1.0, 1.0, 1.0]])
>>> supply = np.array([[0.0, 2.0, 2.0, 0.0]])
>>> match(demand, supply).sum(), match(demand.sum(-1), supply.sum(-1)).sum()
(np.float64(2.0), np.float64(4.0))
>>> cfe_score(match(demand, supply).sum(-1), demand.sum(-1))
array([0.5])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..scopes import month_starts as core_month_starts

__all__ = [
    "to_coarser",
    "bin_sum",
    "month_starts",
    "match",
    "match_hierarchy",
    "match_totals",
    "allocate",
    "cfe_score",
]

#: Target size of one row block in :func:`match_totals` [bytes]; about half an L2 cache.
_BLOCK_BYTES = 1 << 20


def to_coarser(x: np.ndarray, factor: int) -> np.ndarray:
    """Sum consecutive groups of ``factor`` intervals on the last axis (15-min -> hourly: 4).

    Parameters
    ----------
    x : numpy.ndarray
        ``(..., T)`` with ``T`` a multiple of ``factor`` and the first interval at a group start
        [any unit per interval, e.g. MWh].
    factor : int
        Intervals per coarser interval (15-minute to hourly: 4).

    Returns
    -------
    numpy.ndarray
        ``(..., T // factor)`` float64 [the unit of ``x`` per coarser interval].

    Raises
    ------
    ValueError
        When ``T`` is not a multiple of ``factor``.

    Examples
    --------
    >>> to_coarser(np.arange(8.0), 4)
    array([ 6., 22.])
    """
    x = np.asarray(x, dtype="float64")
    t = x.shape[-1]
    if t % factor:
        raise ValueError(f"{t} intervals are not a whole number of groups of {factor}")
    lead = x.shape[:-1]
    v = np.ascontiguousarray(x).reshape(-1, t // factor, factor)
    out = np.empty(v.shape[:2])
    # strided adds in cache-sized row blocks: ~5x faster than .sum(axis=-1) over a short axis
    rows = max(1, _BLOCK_BYTES // max(1, 8 * t))
    for i in range(0, len(v), rows):  # blocks of rows, not single meters
        w, o = v[i:i + rows], out[i:i + rows]
        np.copyto(o, w[..., 0])
        for j in range(1, factor):  # the few intervals of one group (4 for 15-min -> hourly)
            o += w[..., j]
    return out.reshape(*lead, t // factor)


def bin_sum(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum the last axis over bins beginning at the sorted indices ``starts`` (first is 0).

    Parameters
    ----------
    x : numpy.ndarray
        ``(..., T)`` [any unit per interval].
    starts : numpy.ndarray of int
        Sorted index of each bin's first interval; the last bin runs to the end.

    Returns
    -------
    numpy.ndarray
        ``(..., len(starts))`` [the unit of ``x`` per bin].

    Examples
    --------
    >>> bin_sum(np.arange(6.0), np.array([0, 2, 5]))
    array([1., 9., 5.])
    """
    return np.add.reduceat(x, starts, axis=-1)


def month_starts(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first interval of each month present, and the month numbers (1-12).

    Parameters
    ----------
    times : numpy.ndarray of datetime64
        Sorted interval starts of one year.

    Returns
    -------
    starts : numpy.ndarray of int
        Index of the first interval of each month present (:func:`carbon_core.scopes.month_starts`).
    months : numpy.ndarray of int
        The calendar month of each, 1-12.

    Examples
    --------
    >>> t = np.array(["2024-01-31T23:00", "2024-02-01T00:00", "2024-02-01T01:00"],
    ...              dtype="datetime64[ns]")
    >>> month_starts(t)
    (array([0, 1]), array([1, 2]))
    """
    starts = core_month_starts(times)
    numbers = (times[starts].astype("datetime64[M]").astype("int64") % 12) + 1
    return starts, numbers


def match(demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """Matched volume per interval: ``min(demand, supply)``, never above either.

    Surplus supply in one interval never covers demand in another.

    Parameters
    ----------
    demand : numpy.ndarray
        Consumption per interval [MWh] (any shape; broadcast with ``supply``).
    supply : numpy.ndarray
        Green supply per interval [MWh].

    Returns
    -------
    numpy.ndarray
        Matched volume per interval [MWh].

    References
    ----------
    GHG Protocol Scope 2 revision proposal (consultation 2025-10-20), hourly matching;
    EnergyTag Granular Certificate Scheme Standard.
    """
    return np.minimum(demand, supply)


def match_hierarchy(demand: np.ndarray, supplies: Sequence[np.ndarray]
                    ) -> tuple[list[np.ndarray], np.ndarray]:
    """Apply supply classes in order (GHG Protocol hierarchy) to the same demand.

    Each class takes ``min(remaining, supply)`` in each interval; what it leaves is offered to the
    next class.

    Parameters
    ----------
    demand : numpy.ndarray
        Consumption per interval [MWh] (not modified).
    supplies : sequence of numpy.ndarray
        Supply of each class per interval, in the order of the hierarchy [MWh], each
        broadcastable to ``demand``.

    Returns
    -------
    matched : list of numpy.ndarray
        One array per class, shape of ``demand``.
    remaining : numpy.ndarray
        Demand left unmatched.

    Examples
    --------
    >>> m, rest = match_hierarchy(np.array([3.0, 3.0]), [np.array([2.0, 0.0]),
    ...                                                   np.array([2.0, 5.0])])
    >>> m[0], m[1], rest
    (array([2., 0.]), array([1., 3.]), array([0., 0.]))
    """
    remaining = np.array(demand, dtype="float64", copy=True)
    matched = []
    for s in supplies:  # a loop over a handful of instrument classes, not over time
        m = np.minimum(remaining, s)
        remaining -= m
        matched.append(m)
    return matched, remaining


def match_totals(demand: np.ndarray, supply: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matched and demanded totals per row of ``(rows, T)`` arrays.

    The fleet kernel (1,000 factories x 8,760 hours): one pass over both arrays, in row blocks
    that fit in cache so the ``min`` is never written to main memory.

    Parameters
    ----------
    demand : numpy.ndarray
        ``(rows, T)`` consumption per interval [MWh].
    supply : numpy.ndarray
        ``(rows, T)`` supply per interval [MWh], same shape.

    Returns
    -------
    matched_total, demand_total : numpy.ndarray
        Shape ``(rows,)`` [MWh].

    Raises
    ------
    ValueError
        When the shapes differ or the arrays are not 2-D.

    Examples
    --------
    >>> match_totals(np.array([[1.0, 2.0], [3.0, 0.0]]), np.array([[2.0, 1.0], [0.0, 9.0]]))
    (array([2., 0.]), array([3., 3.]))
    """
    demand = np.ascontiguousarray(demand, dtype="float64")
    supply = np.ascontiguousarray(supply, dtype="float64")
    if demand.shape != supply.shape or demand.ndim != 2:
        raise ValueError(f"demand {demand.shape} and supply {supply.shape}: need equal (rows, T)")
    n, t = demand.shape
    rows = max(1, min(n, _BLOCK_BYTES // max(1, 8 * t)))
    buf = np.empty((rows, t))
    matched = np.empty(n)
    total = np.empty(n)
    for i in range(0, n, rows):  # cache blocking: blocks of rows, not single factories
        d, s = demand[i:i + rows], supply[i:i + rows]
        m = np.minimum(d, s, out=buf[: len(d)])
        m.sum(axis=-1, out=matched[i:i + rows])
        d.sum(axis=-1, out=total[i:i + rows])
    return matched, total


def allocate(class_matched: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Share a class's matched volume among its instruments, pro rata to supply per interval.

    Parameters
    ----------
    class_matched : numpy.ndarray
        ``(T,)`` matched volume of the class.
    members : numpy.ndarray
        ``(k, T)`` supply of each instrument of the class.

    Returns
    -------
    numpy.ndarray
        ``(k,)`` matched volume of each instrument; sums to ``class_matched.sum()``.

    Examples
    --------
    >>> allocate(np.array([2.0, 1.0]), np.array([[1.0, 2.0], [3.0, 0.0]]))
    array([1.5, 1.5])
    """
    total = members.sum(axis=0)
    share = np.divide(class_matched, total, out=np.zeros_like(total), where=total > 0)
    return members @ share


def cfe_score(carbon_free: np.ndarray | float, consumed: np.ndarray | float):
    """Carbon-free-energy score: carbon-free volume matched / consumed; NaN when nothing consumed.

    Parameters
    ----------
    carbon_free : numpy.ndarray or float
        Carbon-free volume matched [MWh].
    consumed : numpy.ndarray or float
        Volume consumed [MWh], same shape.

    Returns
    -------
    numpy.ndarray or float
        The score [fraction, 0..1] (a float for scalar input); capped at 1, since separately
        rounded sums of volumes matched interval by interval can exceed the consumption by a
        rounding error; NaN where nothing was consumed.

    References
    ----------
    EnergyTag Granular Certificate Scheme Standard and 24/7 Carbon-Free Energy usage: the CFE
    score is matched / consumed.

    Examples
    --------
    >>> cfe_score(5.0, 10.0)
    0.5
    """
    carbon_free = np.asarray(carbon_free, dtype="float64")
    consumed = np.asarray(consumed, dtype="float64")
    out = np.divide(carbon_free, consumed, out=np.full_like(consumed, np.nan),
                    where=consumed > 0)
    # carbon-free volume never exceeds consumption interval by interval; their separately
    # rounded sums can (e.g. subnormal volumes), so the ratio is capped at its definition's 1
    out = np.minimum(out, 1.0, where=~np.isnan(out), out=out)
    return out if out.ndim else float(out)
