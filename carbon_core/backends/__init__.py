"""Meter data behind one small protocol, so the engine never depends on how data is held.

The engine asks meter data for exactly three things (``docs/design.md``):

1. **monthly totals per meter**: ``monthly() -> (meter_ids, array of shape (n_meters, 12))``,
   canonical units of each meter's carrier (kWh, Nm3, t, GJ ...) per calendar month of the
   reporting year;
2. **series by role at a resolution**: ``role_series(weights, interval, year)`` sums meters
   into named variables (for example ``grid_purchase_kwh``), each on the interval grid of the
   reporting year (``"15min"``, ``"1h"``, ``"1D"``, ``"1MS"`` or ``"1Y"``);
3. **provenance and data quality**: ``files`` (path, sha256, rows of each input file),
   ``fills`` (gaps filled under the inventory's gap policy) and ``rollovers`` (register
   rollovers), lists of JSON-ready dicts.

Both are sums, so chunks of a file, files of a factory or factories of a city combine by addition
and any backend (in memory, streamed in chunks, dask) gives the same numbers.

A new backend is one new module in this package whose class has these members; nothing else in
the core changes. :class:`carbon_core.io.meters.MeterData`, the numpy arrays the readers build,
is adapted by :class:`carbon_core.backends.memory.InMemoryMeters`; :func:`as_backend` does
the adapting.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

__all__ = ["MeterBackend", "as_backend", "INTERVALS"]

#: Resolutions from finest to coarsest; ``"1Y"`` is one bin for the whole year.
INTERVALS = ("15min", "1h", "1D", "1MS", "1Y")


@runtime_checkable
class MeterBackend(Protocol):
    """What the engine needs of meter data (see the module docstring).

    Attributes
    ----------
    files : sequence of dict
        One dict per input file read (``path``, ``sha256``, ``rows`` ...), for provenance.
    fills : sequence of dict
        Gaps filled by the gap policy (meter, interval start, value), for data quality.
    rollovers : sequence of dict
        Register rollovers detected (meter, timestamp, register maximum), for data quality.
    """

    @property
    def files(self) -> Sequence[Mapping[str, Any]]:
        """Input files read, for provenance."""
        ...

    @property
    def fills(self) -> Sequence[Mapping[str, Any]]:
        """Gaps filled by the gap policy, for data quality."""
        ...

    @property
    def rollovers(self) -> Sequence[Mapping[str, Any]]:
        """Register rollovers, for data quality."""
        ...

    def monthly(self) -> tuple[list[str], np.ndarray]:
        """Meter ids and their monthly totals.

        Returns
        -------
        meter_ids : list of str
        totals : numpy.ndarray
            float64, shape ``(len(meter_ids), 12)`` [canonical unit of each meter per month].
        """
        ...

    def role_series(self, weights: Mapping[str, Mapping[str, float]], interval: str,
                    year: int) -> dict[str, np.ndarray]:
        """Weighted sums of meters on the interval grid of ``year``.

        Parameters
        ----------
        weights : mapping of str to mapping of str to float
            Output variable -> {meter id: weight [1]}; a meter not named has weight 0.
        interval : {"15min", "1h", "1D", "1MS", "1Y"}
            Target resolution; never finer than the meters named (a backend refuses, it never
            invents a profile).
        year : int
            Reporting year (the grid runs from 1 January to 31 December, China time).

        Returns
        -------
        dict of str to numpy.ndarray
            One float64 array per variable of ``weights``, one value per interval [canonical
            unit of the meters per interval].
        """
        ...


def as_backend(data: Any) -> MeterBackend:
    """``data`` itself when it follows :class:`MeterBackend`, else the in-memory adapter.

    Parameters
    ----------
    data : MeterBackend or carbon_core.io.meters.MeterData
        Meter data from a reader (:func:`carbon_core.io.meters.read_meter_data`,
        :func:`carbon_core.backends.chunked.read_chunked`) or any other backend.

    Returns
    -------
    MeterBackend

    Raises
    ------
    TypeError
        When ``data`` is neither.
    """
    if isinstance(data, MeterBackend):
        return data
    from .memory import InMemoryMeters

    return InMemoryMeters.adapt(data)
