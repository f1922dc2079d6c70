"""The in-memory backend: :class:`carbon_core.io.meters.MeterData` behind the meter protocol.

The readers (:func:`carbon_core.io.meters.read_meter_data`) build one float64 ``(meters, time)``
array per interval; this adapter answers the protocol of :mod:`carbon_core.backends` over them,
with one matrix product per interval group (every meter summed into its variable in one BLAS pass,
no temporary array per meter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..io.meters import MeterData, year_grid
from ..scopes import month_starts, monthly_totals

__all__ = ["InMemoryMeters", "resample", "interval_grid"]


def interval_grid(year: int, interval: str) -> np.ndarray:
    """Interval starts of ``year`` at ``interval``, datetime64[ns] China time.

    Parameters
    ----------
    year : int
        The calendar year of the grid.
    interval : {"15min", "1h", "1D", "1MS", "1Y"}
        ``"1Y"`` is one bin starting on 1 January.

    Returns
    -------
    numpy.ndarray of datetime64[ns]
        Every interval start from 1 January 00:00 to the last interval of 31 December.

    Examples
    --------
    >>> interval_grid(2024, "1Y")
    array(['2024-01-01T00:00:00.000000000'], dtype='datetime64[ns]')
    >>> interval_grid(2023, "1D").size
    365
    """
    if interval == "1Y":
        return np.array([np.datetime64(f"{year}-01-01", "ns")])
    return year_grid(year, interval)


def resample(values: np.ndarray, time: np.ndarray, src: str, dst: str,
             grid: np.ndarray) -> np.ndarray:
    """Sum a series from interval ``src`` to the coarser (or equal) interval ``dst``.

    Parameters
    ----------
    values : numpy.ndarray
        One value per interval of ``time`` [any unit per interval].
    time : numpy.ndarray
        Interval starts of ``values``, datetime64.
    src, dst : str
        Intervals (``"15min"``, ``"1h"``, ``"1D"``, ``"1MS"``, ``"1Y"``), ``dst`` not finer.
    grid : numpy.ndarray
        Interval starts at ``dst`` (:func:`interval_grid`).

    Returns
    -------
    numpy.ndarray
        Sums per interval of ``grid`` [same unit per interval of ``dst``].

    Examples
    --------
    >>> t = interval_grid(2023, "1h")[:48]
    >>> resample(np.ones(48), t, "1h", "1D", interval_grid(2023, "1D")[:2])
    array([24., 24.])
    """
    if src == dst:
        return values
    if dst == "1Y":
        return np.array([values.sum()])
    if dst == "1MS":
        return monthly_totals(values, month_starts(time))
    k = values.size // grid.size
    return values.reshape(grid.size, k).sum(axis=1)


@dataclass
class InMemoryMeters:
    """:class:`~carbon_core.io.meters.MeterData` answering :class:`~carbon_core.backends.MeterBackend`.

    Attributes
    ----------
    data : MeterData
        The validated arrays, one :class:`~carbon_core.io.meters.SeriesGroup` per interval.
    """

    data: MeterData

    @classmethod
    def adapt(cls, data: Any) -> "InMemoryMeters":
        """Wrap a :class:`MeterData` (``TypeError`` for anything else).

        Parameters
        ----------
        data : MeterData
            The arrays of :func:`carbon_core.io.meters.read_meter_data`.

        Returns
        -------
        InMemoryMeters

        Raises
        ------
        TypeError
            When ``data`` is not a :class:`MeterData`.
        """
        if not isinstance(data, MeterData):
            raise TypeError(f"meter data must follow carbon_core.backends.MeterBackend or be a "
                            f"carbon_core.io.meters.MeterData; got {type(data).__name__}")
        return cls(data)

    @property
    def files(self) -> list[dict]:
        """Input files read (path, sha256, rows), for provenance."""
        return self.data.files

    @property
    def fills(self) -> list[dict]:
        """Gaps filled by the inventory's gap policy."""
        return self.data.fills

    @property
    def rollovers(self) -> list[dict]:
        """Register rollovers detected."""
        return self.data.rollovers

    def monthly(self) -> tuple[list[str], np.ndarray]:
        """Meter ids and monthly totals ``(n_meters, 12)`` [canonical unit per month]."""
        return self.data.monthly()

    def role_series(self, weights: Mapping[str, Mapping[str, float]], interval: str,
                    year: int) -> dict[str, np.ndarray]:
        """Weighted sums of meters at ``interval`` (see :class:`carbon_core.backends.MeterBackend`).

        :meth:`carbon_core.io.meters.MeterData.role_series` itself: each group's meters summed
        row after row in array order, then brought to ``interval`` (the same digits as the
        chunked backend's).

        Parameters
        ----------
        weights : mapping of str to mapping of str to float
            Output variable -> {meter id: weight [1]}; a meter not named has weight 0.
        interval : {"15min", "1h", "1D", "1MS", "1Y"}
            Target resolution, not finer than the interval of any group with a weighted meter.
        year : int
            Reporting year of the grid (:func:`interval_grid`).

        Returns
        -------
        dict of str to numpy.ndarray
            One float64 array per variable, one value per interval of the grid [canonical unit
            of the meters per interval].
        """
        return self.data.role_series(weights, interval, year)
