"""Meter time series in: CSV and Parquet, long format, validated at the boundary.

Files hold three columns, ``timestamp``, ``meter``, ``value``, one reading a row. Timestamps are the
*start* of the interval in China time (UTC+8, no daylight saving): naive timestamps are taken as
China time; timestamps with an offset are converted to it. Cumulative registers hold the reading at
the timestamp.

Everything is checked in vectorized passes and reported at once: unknown meters, declared meters
without data, non-numeric or negative readings, timestamps outside the reporting year or off the
meter's interval grid, duplicated and missing intervals, registers that decrease without a declared
rollover. Missing intervals are filled only under the inventory's declared ``gap_policy`` and every
fill is recorded in :attr:`MeterData.fills`; register rollovers are recorded in
:attr:`MeterData.rollovers`. No row is dropped.

The result is one float64 matrix per interval (meters x intervals, time last and contiguous), in the
carrier's canonical unit, consumption per interval.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from . import meter_checks
from .inventory import Inventory, Meter
from ..scopes import month_starts, monthly_totals

__all__ = ["SeriesGroup", "MeterData", "read_meter_data", "year_grid", "COLUMNS", "ROLE_SERIES",
           "role_rows", "sum_rows", "resample_sum", "file_sha256", "locate_reading",
           # the batch reader's pieces, shared with the chunked backend (carbon_core.backends)
           "INTERVAL_NS", "CHINA_OFFSET_NS", "BATCH_ROWS", "NotFast", "readings_to_consumption",
           "csv_batches", "as_numpy", "TIMESTAMP_UNIT_NS", "parse_text_timestamps",
           "parse_text_readings"]

COLUMNS = ("timestamp", "meter", "value")
#: Length of each fixed interval [ns] (monthly meters use calendar arithmetic instead).
INTERVAL_NS = {"15min": 15 * 60 * 10**9, "1h": 3600 * 10**9, "1D": 86400 * 10**9}
#: China Standard Time is UTC+8 all year (no daylight saving) [ns].
CHINA_OFFSET_NS = 8 * 3600 * 10**9
#: Problems listed per kind before summarising, so a broken file does not print a million lines.
_MAX_ROWS_PER_KIND = 20


def year_grid(year: int, interval: str) -> np.ndarray:
    """Interval starts of a reporting year, datetime64[ns], China time.

    Parameters
    ----------
    year : int
        The reporting year.
    interval : {"15min", "1h", "1D", "1MS"}
        A meter interval; ``"1MS"`` is calendar months (one start on the 1st of each month).

    Returns
    -------
    numpy.ndarray of datetime64[ns]
        Every interval start from 1 January 00:00 up to, not including, 1 January of the next
        year (naive, read as China time, UTC+8).

    Raises
    ------
    KeyError
        For another interval.

    Examples
    --------
    >>> year_grid(2024, "15min").size   # 2024 is a leap year
    35136
    >>> year_grid(2023, "1MS")[:2]
    array(['2023-01-01T00:00:00.000000000', '2023-02-01T00:00:00.000000000'],
          dtype='datetime64[ns]')
    """
    start = np.datetime64(f"{year}-01-01", "ns")
    end = np.datetime64(f"{year + 1}-01-01", "ns")
    if interval == "1MS":
        return np.arange(np.datetime64(f"{year}-01", "M"), np.datetime64(f"{year + 1}-01", "M"),
                         dtype="datetime64[M]").astype("datetime64[ns]")
    return np.arange(start, end, np.timedelta64(INTERVAL_NS[interval], "ns"))


@dataclass
class SeriesGroup:
    """Meters sharing one interval: ``values[meter, time]`` in canonical units per interval.

    Attributes
    ----------
    interval : str
        The meters' interval (``"15min"``, ``"1h"``, ``"1D"``, ``"1MS"``).
    meters : tuple of str
        Meter ids, in row order of ``values``.
    time : numpy.ndarray of datetime64[ns]
        Interval starts of the reporting year (:func:`year_grid`).
    values : numpy.ndarray
        float64, shape (meters, intervals): consumption per interval [canonical unit of each
        meter's carrier], time last and contiguous.
    filled : numpy.ndarray
        bool, same shape: True where the value was filled by the gap policy.
    """

    interval: str
    meters: tuple[str, ...]
    time: np.ndarray
    values: np.ndarray
    filled: np.ndarray  # bool, same shape: True where the value was filled by the gap policy

    def monthly(self) -> np.ndarray:
        """Monthly totals, shape (meters, 12), one pass over the data."""
        return monthly_totals(self.values, month_starts(self.time))


@dataclass
class MeterData:
    """Validated meter data of one inventory.

    Attributes
    ----------
    groups : dict of str to SeriesGroup
        One group per meter interval, by interval.
    files : list of dict
        The input files read (path, sha256, rows), for provenance.
    fills : list of dict
        Missing intervals filled under the inventory's ``gap_policy``, each recorded.
    rollovers : list of dict
        Register rollovers added back (meter, interval start, modulus, consumption).
    warnings : list of dict
        Data-quality warnings of the meter checks (:mod:`carbon_core.io.meter_checks`).
    """

    groups: dict[str, SeriesGroup]
    files: list[dict]
    fills: list[dict] = field(default_factory=list)
    rollovers: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # data-quality warnings (meter_checks)
    _monthly: tuple | None = field(default=None, repr=False, compare=False)

    def monthly(self) -> tuple[list[str], np.ndarray]:
        """(meter ids, monthly totals [meters, 12]) over every group (computed once, cached)."""
        if self._monthly is None:
            self._monthly = self._compute_monthly()
        return self._monthly

    def _compute_monthly(self) -> tuple[list[str], np.ndarray]:
        ids: list[str] = []
        blocks = []
        for g in self.groups.values():
            ids.extend(g.meters)
            blocks.append(g.monthly())
        if not blocks:
            return [], np.zeros((0, 12))
        return ids, np.concatenate(blocks, axis=0)

    def role_sums(self, inv: Inventory) -> list[tuple[str, np.ndarray, dict[str, np.ndarray]]]:
        """Electricity by role (:data:`ROLE_SERIES`) per interval group: ``(interval, time,
        {series name: kWh per interval})``, each the sum of its meters row after row
        (:func:`sum_rows`), so a chunked backend gives the same sums to the last digit.

        Parameters
        ----------
        inv : Inventory
            The inventory the data was read for (its meters' carrier, role and renewable flag).

        Returns
        -------
        list of tuple
            ``(interval, time, series)`` for each group holding an electricity role meter
            [kWh per interval].
        """
        out = []
        for g in self.groups.values():
            rows = role_rows(inv, g.meters)
            if any(rows.values()):
                out.append((g.interval, g.time,
                            {name: sum_rows(g.values, r) for name, r in rows.items()}))
        return out

    def role_series(self, weights, interval: str, year: int) -> dict[str, np.ndarray]:
        """Weighted sums of meters on the ``interval`` grid of ``year`` (the backend protocol).

        Each group's meters are summed row after row in array order (:func:`sum_rows`,
        chunk-stable), then brought to ``interval`` by :func:`resample_sum`.

        Parameters
        ----------
        weights : mapping of str to mapping of str to float
            Output variable -> {meter id: weight [1]}; a meter not named has weight 0.
        interval : {"15min", "1h", "1D", "1MS", "1Y"}
            Target resolution, not finer than the interval of any group with a weighted meter.
        year : int
            Reporting year of the grid.

        Returns
        -------
        dict of str to numpy.ndarray
            One float64 array per variable, one value per interval [canonical unit of the
            meters per interval]; zeros for a variable with no weighted meter.

        Raises
        ------
        ValueError
            When ``interval`` is finer than a weighted meter's (no profile is invented).
        """
        out = {}
        for var, w in weights.items():
            total = None
            for g in self.groups.values():
                rows = [j for j, mid in enumerate(g.meters) if w.get(mid, 0.0) != 0.0]
                if not rows:
                    continue
                scale = [w[g.meters[j]] for j in rows]
                if all(x == 1.0 for x in scale):
                    summed = sum_rows(g.values, rows)
                else:
                    summed = np.zeros(g.values.shape[-1])
                    for j, x in zip(rows, scale):
                        summed += x * g.values[j]
                part = resample_sum(summed, g.time, g.interval, interval, year)
                total = part if total is None else total + part
            out[var] = total if total is not None else np.zeros(_grid_size(interval, year))
        return out

    def series(self, meter_id: str) -> tuple[SeriesGroup, int]:
        """Where a meter's series is stored: its group and its row in the group.

        Parameters
        ----------
        meter_id : str
            The meter's id.

        Returns
        -------
        tuple of (SeriesGroup, int)

        Raises
        ------
        KeyError
            When no group holds the meter.
        """
        for g in self.groups.values():
            if meter_id in g.meters:
                return g, g.meters.index(meter_id)
        raise KeyError(meter_id)


#: The electricity series by role that the balance matches: name -> (meter role, renewable only).
ROLE_SERIES: dict[str, tuple[str, bool]] = {
    "grid_purchase_kwh": ("grid_purchase", False),
    "onsite_generation_kwh": ("onsite_generation", False),
    "export_kwh": ("export", False),
    "onsite_renewable_kwh": ("onsite_generation", True),
}


def role_rows(inv: Inventory, meters: Sequence[str]) -> dict[str, list[int]]:
    """Rows of ``meters`` (ids, in array order) that each :data:`ROLE_SERIES` series sums.

    Parameters
    ----------
    inv : Inventory
        The inventory declaring the meters (carrier, role, renewable flag).
    meters : sequence of str
        Meter ids, in the row order of a block.

    Returns
    -------
    dict of str to list of int
        Series name -> rows of its electricity meters (empty lists for series with none).
    """
    out: dict[str, list[int]] = {name: [] for name in ROLE_SERIES}
    for j, mid in enumerate(meters):
        m = inv.meter(mid)
        if m.carrier != "electricity":
            continue
        for name, (role, renewable_only) in ROLE_SERIES.items():
            if m.role == role and (m.renewable or not renewable_only):
                out[name].append(j)
    return out


def sum_rows(values: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """Sum of ``values[rows]`` over meters, one row after the other in the given order.

    Each time step is a plain sequential sum, independent of how long the time axis is, so
    summing a year at once or month by month gives identical numbers (a BLAS product does not:
    its blocking depends on the shape). One pass over the selected rows, no temporary copy.

    Parameters
    ----------
    values : numpy.ndarray
        float64, shape (meters, time) [any unit per interval].
    rows : sequence of int
        The rows to add, in order.

    Returns
    -------
    numpy.ndarray
        Shape (time,) [the unit of ``values``]; zeros when ``rows`` is empty.
    """
    out = np.zeros(values.shape[-1])
    for r in rows:
        np.add(out, values[r], out=out)
    return out


_ORDER = ("15min", "1h", "1D", "1MS", "1Y")


def _grid_size(interval: str, year: int) -> int:
    return 1 if interval == "1Y" else year_grid(year, interval).size


def resample_sum(values: np.ndarray, time: np.ndarray, src: str, dst: str, year: int
                 ) -> np.ndarray:
    """Sum a series on the ``src`` grid into the coarser ``dst`` grid of ``year``.

    Parameters
    ----------
    values : numpy.ndarray
        One value per interval of ``time`` [any unit per interval].
    time : numpy.ndarray of datetime64
        Interval starts of ``values`` on the ``src`` grid.
    src, dst : {"15min", "1h", "1D", "1MS", "1Y"}
        The intervals of ``values`` and of the result; ``dst`` not finer than ``src``.
    year : int
        The reporting year of the grids.

    Returns
    -------
    numpy.ndarray
        Sums per interval of ``dst`` [the unit of ``values`` per interval]; ``values`` itself
        when ``src == dst``.

    Raises
    ------
    ValueError
        When ``dst`` is finer than ``src``: no profile is invented.
    """
    if src == dst:
        return values
    if _ORDER.index(dst) < _ORDER.index(src):
        raise ValueError(f"cannot resample {src} data to the finer {dst}: no profile is invented")
    if dst == "1Y":
        return np.array([values.sum()])
    if dst == "1MS":
        return monthly_totals(values, month_starts(time))
    n = year_grid(year, dst).size
    return values.reshape(n, values.size // n).sum(axis=1)


# -- reading files ----------------------------------------------------------------------------

def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (the input hashes of provenance).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str
        The digest [hex].

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_table(path: Path) -> pa.Table:
    if path.suffix.lower() == ".csv":
        # a clean file parses typed in pyarrow's C++ reader; anything it refuses (offsets, text
        # in the value column...) is read again as strings so each bad row can be named
        typed = pacsv.ConvertOptions(
            column_types={"timestamp": pa.timestamp("ns"), "meter": pa.string(),
                          "value": pa.float64()}, null_values=[""])
        try:
            return pacsv.read_csv(path, convert_options=typed)
        except pa.ArrowInvalid:
            pass
        opts = pacsv.ConvertOptions(
            column_types={"timestamp": pa.string(), "meter": pa.string(), "value": pa.string()},
            strings_can_be_null=True, null_values=[""])
        return pacsv.read_csv(path, convert_options=opts)
    return pq.read_table(path, page_checksum_verification=True)  # CRCs checked where present


def _row_label(path: Path, i: int) -> int:
    """1-based row as a person counts it: CSV line (header is line 1), Parquet data row."""
    return int(i) + 2 if path.suffix.lower() == ".csv" else int(i) + 1


def _bad_rows(problems, path, mask_or_idx, message, *, field, found, expected):
    idx = np.flatnonzero(mask_or_idx) if mask_or_idx.dtype == bool else mask_or_idx
    for i in idx[:_MAX_ROWS_PER_KIND]:
        problems.append(Problem(file=str(path), row=_row_label(path, i), field=field,
                                found=found(i), message=message, expected=expected))
    if idx.size > _MAX_ROWS_PER_KIND:
        problems.append(Problem(file=str(path), field=field,
                                message=f"{message}: {idx.size - _MAX_ROWS_PER_KIND} more rows "
                                        f"like these ({idx.size} in all)"))


#: The int64 value of NaT: a row whose timestamp is missing or could not be parsed.
_NAT = np.iinfo(np.int64).min
#: Nanoseconds per unit of a pyarrow timestamp type.
TIMESTAMP_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def parse_text_timestamps(text) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 text to int64 ns in China time, as both meter readers read a text column.

    A timestamp with an offset or ``Z`` is an instant, converted to China time (UTC+8 all
    year); one without is China time already.

    Parameters
    ----------
    text : pandas.Series of str
        The timestamp cells, empty ones missing (None or NaN).

    Returns
    -------
    ns : numpy.ndarray
        int64 ns since the epoch, China time; NaT (``numpy.iinfo(np.int64).min``) where a cell
        is empty or does not parse.
    nulls : numpy.ndarray of bool
        The empty cells (so that ``(ns == NaT) & ~nulls`` are the cells that do not parse).
    """
    import pandas as pd

    nulls = text.isna().to_numpy()
    has_tz = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False).to_numpy()
    ns = np.full(len(text), _NAT, dtype=np.int64)
    local = ~has_tz & ~nulls
    if local.any():
        parsed = pd.to_datetime(text[local], format="ISO8601", errors="coerce")
        ns[local] = parsed.to_numpy().astype("datetime64[ns]").view("int64")
    if has_tz.any():
        parsed = pd.to_datetime(text[has_tz], format="ISO8601", errors="coerce", utc=True)
        ns[has_tz] = parsed.dt.tz_localize(None).to_numpy().astype(
            "datetime64[ns]").view("int64") + CHINA_OFFSET_NS
    return ns, nulls


def parse_text_readings(text) -> tuple[np.ndarray, np.ndarray]:
    """Readings from text cells, as both meter readers read a text column.

    Parameters
    ----------
    text : pandas.Series of str
        The value cells, empty ones missing (None or NaN).

    Returns
    -------
    values : numpy.ndarray
        float64 [the meter's unit]; NaN for an empty or blank cell (a missing reading, left to
        the gap policy) and for text that is not a number.
    invalid : numpy.ndarray of bool
        The cells to name: text that is not a number, or a number that is not finite.
    """
    import pandas as pd

    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    invalid = (np.isnan(values) & text.notna().to_numpy()
               & (text.str.strip() != "").to_numpy()) | np.isinf(values)
    return values, invalid


def _timestamps(path: Path, col: pa.ChunkedArray, problems: list[Problem]) -> np.ndarray:
    """int64 ns since epoch, China local time; NaT -> problem.

    Each row without a usable timestamp is named once, as missing or as not ISO 8601, and
    carries the NaT value (``numpy.iinfo(np.int64).min``), which the later checks skip.
    """
    import pyarrow.compute as pc  # the general path only: 0.15 s of import

    t = col.type
    if pa.types.is_timestamp(t):
        arr = pc.cast(col, pa.timestamp("ns", tz=t.tz)) if t.unit != "ns" else col
        ns = arr.to_numpy().astype("datetime64[ns]").view("int64")
        if t.tz is not None:  # stored as UTC instants
            ns = ns + CHINA_OFFSET_NS
        nulls = np.asarray(pc.is_null(col))
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        text = col.to_pandas()
        ns, nulls = parse_text_timestamps(text)
        bad = (ns == _NAT) & ~nulls
        _bad_rows(problems, path, bad, "timestamp is not an ISO 8601 date-time",
                  field="timestamp", found=lambda i: text.iloc[i],
                  expected="e.g. 2024-01-01T00:15:00 (China time) or with +08:00")
    else:
        problems.append(Problem(file=str(path), field="timestamp", found=str(t),
                                message="timestamp column has the wrong type",
                                expected="timestamps or ISO 8601 strings"))
        return np.zeros(len(col), dtype=np.int64)
    if nulls.any():  # empty cells only: unparsed text was named above, once
        _bad_rows(problems, path, nulls, "missing timestamp", field="timestamp",
                  found=lambda i: None, expected="a date-time")
    return ns


def _values(path: Path, col: pa.ChunkedArray, problems: list[Problem]
            ) -> tuple[np.ndarray, np.ndarray]:
    """(float64 readings, mask of rows already reported as invalid). Empty cells become NaN:
    a missing reading, handled by the gap policy like an absent row."""
    import pyarrow.compute as pc  # the general path only: 0.15 s of import

    t = col.type
    if pa.types.is_floating(t) or pa.types.is_integer(t):
        values = col.to_numpy().astype(np.float64, copy=False) if col.null_count == 0 else \
            pc.fill_null(pc.cast(col, pa.float64()), np.nan).to_numpy()
        bad = np.isinf(values)
        _bad_rows(problems, path, bad, "reading is not finite", field="value",
                  found=lambda i: float(values[i]), expected="a finite number")
        return values, bad
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = col.to_pandas()
        values, bad = parse_text_readings(text)
        _bad_rows(problems, path, bad, "reading is not a number", field="value",
                  found=lambda i: text.iloc[i], expected="a finite number")
        return values, bad
    problems.append(Problem(file=str(path), field="value", found=str(t),
                            message="value column has the wrong type", expected="numbers"))
    return np.full(len(col), np.nan), np.ones(len(col), dtype=bool)


@dataclass
class _Rows:
    """All rows of all files, as flat arrays (no row is ever dropped)."""

    ts: np.ndarray      # int64 ns, China time
    meter: np.ndarray   # int32 index into inventory meters, -1 unknown
    value: np.ndarray   # float64 as read (meter unit)
    invalid: np.ndarray  # bool: the reading was already reported (not a number, not finite)
    paths: list[Path]
    offsets: np.ndarray

    def where(self, idx: np.ndarray) -> list[tuple[Path, int]]:
        f = np.searchsorted(self.offsets, idx, side="right") - 1
        return [(self.paths[k], _row_label(self.paths[k], i - self.offsets[k]))
                for k, i in zip(f, idx)]


def _read_rows(inv: Inventory, problems: list[Problem], progress: Callable | None
               ) -> tuple[_Rows, list[dict]]:
    import pyarrow.compute as pc  # the general path only: 0.15 s of import

    meter_pos = {m.id: k for k, m in enumerate(inv.meters)}
    ts_parts, m_parts, v_parts, bad_parts, offsets, files = [], [], [], [], [0], []
    for k, path in enumerate(inv.data_files):
        if progress:
            progress(f"reading {path.name}")
        try:
            table = _read_table(path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            problems.append(Problem(file=str(path), message="cannot read the file: "
                                    + meter_checks.describe_unreadable(path, exc),
                                    expected="a CSV or Parquet file with columns "
                                             "timestamp, meter, value"))
            offsets.append(offsets[-1])
            continue
        missing = [c for c in COLUMNS if c not in table.column_names]
        if missing:
            problems.append(Problem(file=str(path), field=", ".join(missing),
                                    found=table.column_names, message="missing columns",
                                    expected=f"columns {list(COLUMNS)} (long format)"))
            offsets.append(offsets[-1])
            continue
        n = table.num_rows
        ts = _timestamps(path, table.column("timestamp"), problems)
        values, invalid = _values(path, table.column("value"), problems)
        mcol = table.column("meter")
        if not pa.types.is_dictionary(mcol.type):
            mcol = pc.dictionary_encode(mcol)
        mcol = mcol.combine_chunks() if isinstance(mcol, pa.ChunkedArray) else mcol
        dictionary = [None if s is None else str(s) for s in mcol.dictionary.to_pylist()]
        lookup = np.array([-1 if s is None else meter_pos.get(s, -1) for s in dictionary] + [-1],
                          dtype=np.int32)
        null_meter = np.asarray(pc.is_null(mcol.indices)) if mcol.null_count else None
        codes = (pc.fill_null(mcol.indices, len(dictionary)) if mcol.null_count
                 else mcol.indices).to_numpy(zero_copy_only=False).astype(np.int64)
        if null_meter is not None:
            _bad_rows(problems, path, null_meter, "missing meter id", field="meter",
                      found=lambda i: None, expected="the id of a meter declared in [[meters]]")
        mpos = lookup[codes]
        unknown = mpos < 0
        if null_meter is not None:
            unknown = unknown & ~null_meter  # reported above as missing ids
        if unknown.any():
            names = np.array(dictionary + [None], dtype=object)[codes[unknown]]
            uniq = sorted({str(x) for x in names})
            problems.append(Problem(
                file=str(path), field="meter", found=uniq[:20],
                message=f"{int(unknown.sum())} rows name meters the inventory does not declare "
                        f"(first at row {_row_label(path, np.flatnonzero(unknown)[0])})",
                expected=f"one of {sorted(meter_pos)} — declare them in [[meters]]"))
        ts_parts.append(ts)
        m_parts.append(mpos)
        v_parts.append(values)
        bad_parts.append(invalid)
        offsets.append(offsets[-1] + n)
        files.append({"path": str(path), "rows": n})
    cat = (lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dtype=dt))
    rows = _Rows(ts=cat(ts_parts, np.int64), meter=cat(m_parts, np.int32),
                 value=cat(v_parts, np.float64), invalid=cat(bad_parts, bool),
                 paths=list(inv.data_files), offsets=np.asarray(offsets[:-1] or [0]))
    return rows, files


# -- validation and shaping -------------------------------------------------------------------

def _row_problems(problems, rows: _Rows, idx: np.ndarray, message, *, field, found, expected):
    for (path, row), i in zip(rows.where(idx[:_MAX_ROWS_PER_KIND]), idx[:_MAX_ROWS_PER_KIND]):
        problems.append(Problem(file=str(path), row=row, field=field, found=found(i),
                                message=message, expected=expected))
    if idx.size > _MAX_ROWS_PER_KIND:
        problems.append(Problem(file="meter data", field=field,
                                message=f"{message}: {idx.size - _MAX_ROWS_PER_KIND} more rows "
                                        f"like these ({idx.size} in all)"))


def _fmt_ts(ns) -> str:
    return str(np.datetime64(int(ns), "ns").astype("datetime64[s]"))


def _slots(ts: np.ndarray, year: int, interval: str) -> tuple[np.ndarray, np.ndarray]:
    """(slot index, aligned?) of each timestamp on the year's interval grid."""
    start = np.datetime64(f"{year}-01-01", "ns").view("int64")
    if interval == "1MS":
        t = ts.view("datetime64[ns]")
        months = t.astype("datetime64[M]")
        slot = (months - np.datetime64(f"{year}-01", "M")).astype(np.int64)
        aligned = months.astype("datetime64[ns]") == t
        return slot, aligned
    step = INTERVAL_NS[interval]
    rel = ts - start
    return np.floor_divide(rel, step), (rel % step) == 0


def _fill_gaps(block: np.ndarray, missing: np.ndarray, policy: str) -> None:
    """Fill NaN gaps in place along time: zero, or linear between neighbours (rows with gaps only)."""
    if policy == "zero":
        block[missing] = 0.0
        return
    for r in np.flatnonzero(missing.any(axis=1)):
        y = block[r]
        ok = ~missing[r]
        if ok.sum() < 2:
            raise ValueError("too few readings to interpolate")
        x = np.arange(y.size)
        y[~ok] = np.interp(x[~ok], x[ok], y[ok])


def locate_reading(files: Sequence[Path], meter_id: str, ts_ns: int) -> tuple[str, int] | None:
    """(file, 1-based row) of ``meter_id``'s reading at ``ts_ns`` (China time), or None.

    Only called when a problem is reported, so the files are read again only on that path.

    Parameters
    ----------
    files : sequence of Path
        The meter files to search, in order.
    meter_id : str
        The meter.
    ts_ns : int
        The interval start, as the int64 nanoseconds of the naive China-time timestamp.

    Returns
    -------
    tuple of (str, int) or None
        The first file holding the reading and its row number as the problem reports name it;
        None when no file does (a file that cannot be read is passed over).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for path in files:
        try:
            table = _read_table(Path(path))
            ts = _timestamps(Path(path), table.column("timestamp"), [])
            meters = table.column("meter")
            if pa.types.is_dictionary(meters.type):
                meters = pc.cast(meters, pa.string())
            hit = np.flatnonzero((ts == ts_ns) & np.asarray(
                pc.fill_null(pc.equal(meters, meter_id), False)))
        except Exception:  # noqa: BLE001 - locating is a courtesy; the problem stands anyway
            continue
        if hit.size:
            return str(path), _row_label(Path(path), int(hit[0]))
    return None


def readings_to_consumption(inv: Inventory, members: Sequence[int], grid: np.ndarray,
                            block: np.ndarray, cumulative: np.ndarray, problems: list[Problem],
                            rollovers: list[dict]) -> np.ndarray:
    """Consumption per interval in canonical units from a (meters, n + 1) block of readings.

    Interval meters: the first n columns. Cumulative registers: differences of consecutive
    readings, with declared rollovers added back (each one recorded) and undeclared decreases
    reported. Then one multiply per meter to the carrier's canonical unit.

    Parameters
    ----------
    inv : Inventory
        The inventory declaring the meters (rollover modulus, factor to the canonical unit).
    members : sequence of int
        Index in ``inv.meters`` of each row of ``block``.
    grid : numpy.ndarray of datetime64[ns]
        The n interval starts the consumption is for.
    block : numpy.ndarray
        float64, shape (meters, n + 1): readings in each meter's own unit; the last column is
        the reading at the start of the next interval (used by cumulative registers). Without
        cumulative rows it may have n columns, and is then converted in place.
    cumulative : numpy.ndarray of bool
        Per row: True for a cumulative register, False for an interval meter.
    problems : list of Problem
        Where a decreasing register without a declared rollover, or a rollover that does not
        fit its modulus (negative or more than half of it), is appended (five per meter at
        most).
    rollovers : list of dict
        Where each rollover added back is recorded (meter, interval start, modulus,
        consumption).

    Returns
    -------
    numpy.ndarray
        Consumption, shape (meters, n) [canonical unit of each meter's carrier per interval].
    """
    n = grid.size
    if not cumulative.any():
        consumption = block[:, :n] if block.shape[1] == n else block[:, :n].copy()
    else:
        consumption = np.empty((len(members), n))
        consumption[~cumulative] = block[~cumulative, :n]
        cum_rows = np.flatnonzero(cumulative)
        regs = block[cum_rows]
        diff = np.diff(regs, axis=1)
        for j, r in enumerate(cum_rows):
            m: Meter = inv.meters[members[int(r)]]
            d = diff[j]
            dec = np.flatnonzero(d < 0)
            if not dec.size:
                continue
            if m.rollover is None:
                problems.extend(meter_checks.register_problem(
                    inv, m, grid, regs[j], int(i), "backwards", locate_reading) for i in dec[:5])
                continue
            d[dec] += m.rollover
            rollovers.extend(
                {"meter": m.id, "interval_start": _fmt_ts(grid[i].view("int64")),
                 "modulus": m.rollover, "consumption": float(d[i])} for i in dec)
            wrong = dec[(d[dec] < 0) | (d[dec] > m.rollover / 2)]
            problems.extend(meter_checks.register_problem(
                inv, m, grid, regs[j], int(i), "modulus", locate_reading) for i in wrong[:5])
        consumption[cum_rows] = diff
    factors = np.array([inv.meters[k].to_canonical for k in members])
    if not np.all(factors == 1.0):
        consumption *= factors[:, None]
    return consumption


# -- the fast path: any row order, Parquet or CSV, read in parts by several threads ---------------

#: Rows per batch on the fast path: small enough that the batches and index temporaries of every
#: reading thread stay a few percent of the (meters x intervals) array, large enough that numpy
#: runs at memory speed (1,000 meters x a year, two threads: 262,144 rows took +0.1x the array in
#: peak memory for no speed, ``benchmarks/README.md``).
BATCH_ROWS = 1 << 16


class NotFast(Exception):
    """Raised inside the fast path when a file has something to name: the general path takes over."""


#: How a Parquet meter file is opened to be streamed (this fast path, the chunked backend):
#: meter ids as a dictionary; page CRCs checked where the file has them (a flipped bit never
#: passes unnoticed); column chunks read 1 MiB at a time, not a whole row group's at once
#: (pyarrow's default pre_buffer=True held 15 MB per reading thread on 1M-row row groups, 6.7 MB
#: without it; the page cache serves the reads either way).
PARQUET_STREAM_OPTIONS = dict(read_dictionary=["meter"], page_checksum_verification=True,
                              buffer_size=1 << 20, pre_buffer=False)


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        pf = pq.ParquetFile(path, **PARQUET_STREAM_OPTIONS)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise NotFast from exc
    schema = pf.schema_arrow
    if any(c not in schema.names for c in COLUMNS):
        raise NotFast
    ts_type, v_type = schema.field("timestamp").type, schema.field("value").type
    if not (pa.types.is_timestamp(ts_type)
            and (pa.types.is_floating(v_type) or pa.types.is_integer(v_type))):
        raise NotFast
    return pf


def _row_group(pf: pq.ParquetFile, rg: int) -> Iterator[pa.RecordBatch]:
    try:  # damaged pages (checksum, decompression): the general path names the file
        yield from pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[rg], columns=list(COLUMNS),
                                   use_threads=False)  # row groups are read by several threads
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise NotFast from exc


def _parquet_groups(path: Path) -> tuple[int, Callable[[int], Iterator[pa.RecordBatch]]]:
    """The row groups of a Parquet file and a reader of one, for threads that read them at once.

    Each thread opens the file once (a :class:`pyarrow.parquet.ParquetFile` of its own) and
    decodes its row groups single-threaded: row groups decode in parallel, as DuckDB and Polars
    read them, instead of one row group at a time on pyarrow's threads.
    """
    pf = _open_parquet(path)
    local = threading.local()

    def read(rg: int) -> Iterator[pa.RecordBatch]:
        mine = getattr(local, "pf", None)
        if mine is None:
            mine = local.pf = _open_parquet(path)
        return _row_group(mine, rg)

    return pf.num_row_groups, read


def csv_batches(path: Path, progress: Callable | None) -> Iterator[pa.RecordBatch]:
    """Record batches of a long-format CSV meter file, typed by pyarrow's parser.

    Parameters
    ----------
    path : Path
        A CSV file with the columns :data:`COLUMNS`.
    progress : callable, optional
        Called with a stage name as the file is read.

    Raises
    ------
    NotFast
        When the parser refuses the file; the general (naming) path reads it instead.
    """
    # typed in pyarrow's C++ parser, meter ids dictionary-encoded as they are parsed; anything it
    # refuses (offsets, text in the value column, missing columns...) goes to the general path
    convert = pacsv.ConvertOptions(**_CSV_CONVERT)
    try:
        # 1 MiB blocks: the streaming reader reads several blocks ahead, so larger blocks cost
        # memory (8 MiB blocks: ~2x the array at 1,000 meters) and no speed
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20),
                                convert_options=convert)
        yield from reader
    except (pa.ArrowInvalid, pa.ArrowKeyError, OSError) as exc:
        raise NotFast from exc


#: Bytes of a CSV file one thread parses at once on the fast path (cut at a line end). Small
#: enough that the threads' text and parsed tables stay a few percent of a large meter array
#: (on 1,000 meters x a year, peak memory 1.08x the array with 4 MiB, 1.23x with 8 MiB), large
#: enough that a file of 2 GB is some 480 tasks.
CSV_CHUNK_BYTES = 4 << 20

_CSV_CONVERT = dict(
    column_types={"timestamp": pa.timestamp("ns"),
                  "meter": pa.dictionary(pa.int32(), pa.string()), "value": pa.float64()},
    include_columns=list(COLUMNS), null_values=[""])


def _csv_chunks(path: Path) -> tuple[int, Callable[[int], Iterator[pa.RecordBatch]]]:
    """Byte ranges of a CSV file cut at line ends, and a parser of one, for threads that parse
    them at once.

    pyarrow's streaming reader parses one block after the other on one core (9 s for 1.9 GB
    here); the ranges parsed by two threads take half that. Each range is parsed with the
    streaming reader's options (:func:`csv_batches`: typed columns, meter ids
    dictionary-encoded, quoted values without line breaks) and the header's column names.

    Raises
    ------
    NotFast
        When the file cannot be read or its header parsed; a range the parser refuses raises it
        from the reader. The general (naming) path reads the file instead.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header = fh.readline()
            starts = [fh.tell()]
            cut = starts[0] + CSV_CHUNK_BYTES
            while cut < size:
                fh.seek(cut - 1)  # a range ends after a line break: a line is never split
                fh.readline()
                cut = fh.tell()
                if cut >= size:
                    break
                starts.append(cut)
                cut += CSV_CHUNK_BYTES
        names = pacsv.read_csv(pa.py_buffer(header)).column_names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise NotFast from exc
    if starts[0] >= size:
        return 0, lambda k: iter(())  # a header alone: the row count sends it to the general path
    ends = starts[1:] + [size]
    options = pacsv.ReadOptions(column_names=names, use_threads=False,
                                block_size=CSV_CHUNK_BYTES + (1 << 20))
    convert = pacsv.ConvertOptions(**_CSV_CONVERT)

    def read(k: int) -> Iterator[pa.RecordBatch]:
        try:
            with path.open("rb") as fh:
                fh.seek(starts[k])
                text = fh.read(ends[k] - starts[k])
            table = pacsv.read_csv(pa.py_buffer(text), read_options=options,
                                   convert_options=convert)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise NotFast from exc
        return iter(table.to_batches(max_chunksize=BATCH_ROWS))

    return len(starts), read


#: The readers of the fast path: a file's parts (row groups, byte ranges) and a reader of one.
_PARTS: dict[str, Callable[[Path], tuple[int, Callable[[int], Iterator[pa.RecordBatch]]]]] = {
    ".parquet": _parquet_groups, ".pq": _parquet_groups, ".csv": _csv_chunks,
}


@dataclass
class _Layout:
    """Where each meter's intervals sit in the one flat buffer that backs every group's block.

    Meters are ordered group by group, so each group's block is a contiguous (members, width)
    view of the buffer; width is the grid size, plus one closing column when the group holds a
    cumulative register.
    """

    year: int
    members: dict[str, list[int]]          # interval -> inventory meter positions
    grids: dict[str, np.ndarray]           # interval -> int64 ns interval starts
    base: np.ndarray                       # int64 [meters]: flat offset of each meter's row
    width: np.ndarray                      # int64 [meters]: cells in each meter's row
    limit: np.ndarray                      # int64 [meters]: last slot a row may name
    step: np.ndarray                       # int64 [meters]: interval [ns], 0 for months
    cumulative: np.ndarray                 # bool [meters]
    buffer: np.ndarray                     # float64, every group's block back to back
    spans: dict[str, tuple[int, int, int]]  # interval -> (start, rows, width) in the buffer
    uniform: tuple[int, int] | None = None  # (step [ns], width) when one grid serves every meter

    @classmethod
    def of(cls, inv: Inventory) -> "_Layout":
        year = inv.reporting_year
        members = inv.meters_by_interval()
        grids = {iv: year_grid(year, iv).view("int64") for iv in members}
        nm = len(inv.meters)
        base, width, limit, step = (np.zeros(nm, np.int64) for _ in range(4))
        cumulative = np.array([m.reading == "cumulative" for m in inv.meters], dtype=bool)
        spans, offset = {}, 0
        for iv, ks in members.items():
            n = grids[iv].size
            w = n + 1 if cumulative[ks].any() else n  # no closing column unless a register needs it
            for r, k in enumerate(ks):
                base[k] = offset + r * w
                width[k] = n + 1 if cumulative[k] else n
                limit[k] = width[k] - 1
                step[k] = INTERVAL_NS.get(iv, 0)
            spans[iv] = (offset, len(ks), w)
            offset += len(ks) * w
        # NaN marks a cell no row has filled (the readings themselves are checked finite)
        buffer = _nan_filled(offset)
        uniform = None
        if len(spans) == 1:  # one interval for every meter
            (only, (_, _, w)), = spans.items()
            uniform = (int(INTERVAL_NS[only]), int(w)) if only in INTERVAL_NS else None
        return cls(year, members, grids, base, width, limit, step, cumulative, buffer, spans,
                   uniform)

    def block(self, interval: str) -> np.ndarray:
        start, rows, w = self.spans[interval]
        return self.buffer[start:start + rows * w].reshape(rows, w)

    def cells(self) -> int:
        """Cells a complete data set fills: every interval of every meter, plus closing readings."""
        return int(self.width.sum())


#: numpy dtype of each fixed-width pyarrow type the fast path reads.
_NUMPY_TYPES = {pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32,
                pa.int64(): np.int64, pa.uint8(): np.uint8, pa.uint16(): np.uint16,
                pa.uint32(): np.uint32, pa.uint64(): np.uint64, pa.float32(): np.float32,
                pa.float64(): np.float64}


def as_numpy(arr: pa.Array) -> np.ndarray:
    """A read-only numpy view of a fixed-width pyarrow array without nulls, zero-copy.

    The same values as ``arr.to_numpy(zero_copy_only=True)``, read from the array's data buffer
    directly: pyarrow's own conversion imports pandas on first use (0.2-0.5 s of every
    ``carbon compute``, although no pandas object is made). A timestamp array is read as its
    int64 values (``arr.view(pa.int64())``); a type without a numpy twin goes through pyarrow.

    Parameters
    ----------
    arr : pyarrow.Array
        A primitive (integer, float or timestamp) array with no nulls.

    Returns
    -------
    numpy.ndarray
        ``len(arr)`` values of the matching dtype (int64 for timestamps), sharing memory with
        ``arr``.

    Examples
    --------
    >>> as_numpy(pa.array([1.5, 2.5, 4.0]).slice(1))
    array([2.5, 4. ])
    """
    if pa.types.is_timestamp(arr.type):
        arr = arr.view(pa.int64())
    dtype = _NUMPY_TYPES.get(arr.type)
    if dtype is None or arr.null_count:
        return arr.to_numpy(zero_copy_only=not arr.null_count)
    item = np.dtype(dtype).itemsize
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * item)


def _is_identity(lookup: np.ndarray) -> bool:
    return lookup.size > 0 and lookup[0] == 0 and lookup[-1] == lookup.size - 1 and \
        bool((np.diff(lookup) == 1).all())


class _Scratch:
    """Integer work arrays of the batch scatter, allocated once and reused from batch to batch.

    A fresh temporary per step and batch (2 MiB for 262,144 rows) is returned to the system by
    glibc when freed and page-faulted in again by the next batch: on 1,000 meters x a year that
    was about half of the whole read (1.8-2.2 s against 0.9-1.1 s with the arrays reused).
    """

    def __init__(self) -> None:
        self.size = 0

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Views of ``n`` elements: positions, offsets, slots, products (int64), a mask."""
        if n > self.size:
            self.pos, self.rel, self.slot, self.prod = (np.empty(n, np.int64) for _ in range(4))
            self.eq = np.empty(n, bool)
            self.size = n
        return self.pos[:n], self.rel[:n], self.slot[:n], self.prod[:n], self.eq[:n]


def _scatter(layout: _Layout, lookup_of: Callable, batch: pa.RecordBatch,
             scratch: _Scratch | None = None) -> int:
    """Check one batch and copy its readings into their cells; raise NotFast on anything to name.

    Vectorized over the batch: meter ids to inventory positions through the dictionary, timestamps
    to slots with integer arithmetic, readings checked finite (and >= 0 on interval meters). The
    integer work arrays are ``scratch``'s (a new one when None).
    """
    ts_col, m_col, v_col = (batch.column(c) for c in COLUMNS)
    if ts_col.null_count or m_col.null_count or v_col.null_count:
        raise NotFast
    if not pa.types.is_dictionary(m_col.type):  # Parquet and CSV are read dictionary-encoded
        import pyarrow.compute as pc

        m_col = pc.dictionary_encode(m_col)
    ts_type = ts_col.type
    ts = as_numpy(ts_col)  # int64 ns, zero-copy
    unit_ns = TIMESTAMP_UNIT_NS[ts_type.unit]
    if unit_ns != 1:
        ts = ts * unit_ns
    if ts_type.tz is not None:  # UTC instants: China time is UTC+8 all year
        ts = ts + CHINA_OFFSET_NS
    lookup = lookup_of(m_col.dictionary)
    codes = as_numpy(m_col.indices)
    pos, rel, slot, prod, eq = (scratch or _Scratch()).take(codes.size)
    # a dictionary in inventory order (the usual case) needs no gather, only a widening copy
    if _is_identity(lookup):
        np.copyto(pos, codes)
    else:  # intp indices and mode="clip" keep take from copying (codes index the dictionary)
        np.copyto(prod, codes)
        np.take(lookup, prod, out=pos, mode="clip")
    if pos.size and pos.min() < 0:
        raise NotFast  # a meter the inventory does not declare
    values = as_numpy(v_col)
    if values.dtype != np.float64:
        values = values.astype(np.float64)
    if not values.size:
        return 0
    lo, hi = values.min(), values.max()  # NaN and inf show in the extremes: no mask needed
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise NotFast
    if lo < 0:
        raise NotFast  # a negative reading, interval meter or register: never valid, named
    start = np.datetime64(f"{layout.year}-01-01", "ns").view("int64")
    if layout.uniform is not None:  # one grid for every meter: scalar integer arithmetic
        step, width = layout.uniform
        np.subtract(ts, start, out=rel)
        np.floor_divide(rel, step, out=slot)  # by a scalar: numpy divides by multiplication
        np.multiply(slot, step, out=prod)
        if not np.equal(prod, rel, out=eq).all():
            raise NotFast  # off the meter's grid
        limit = layout.limit
        if slot.min() < 0 or (slot.max() > limit.min() and (slot > limit[pos]).any()):
            raise NotFast  # outside the reporting year
        pos *= width  # the group is the whole buffer: row k starts at k x width
        pos += slot
        layout.buffer[pos] = values
        return ts.size
    step = layout.step[pos]
    if step.min() == 0:  # monthly meters: calendar arithmetic
        slot = np.empty(ts.size, np.int64)
        monthly = step == 0
        t = ts[monthly].view("datetime64[ns]")
        months = t.astype("datetime64[M]")
        if not (months.astype("datetime64[ns]") == t).all():
            raise NotFast
        slot[monthly] = (months - np.datetime64(f"{layout.year}-01", "M")).astype(np.int64)
        if not monthly.all():
            rest = ~monthly
            rel = ts[rest] - start
            s = step[rest]
            slot[rest] = rel // s
            if ((rel % s) != 0).any():
                raise NotFast
    else:
        rel = ts - start
        slot = rel // step
        if (slot * step != rel).any():
            raise NotFast  # off the meter's grid
    if slot.min() < 0 or (slot > layout.limit[pos]).any():
        raise NotFast  # outside the reporting year
    slot += layout.base[pos]
    layout.buffer[slot] = values
    return ts.size


def _read_fast(inv: Inventory, progress: Callable | None) -> MeterData | None:
    """Read CSV and Parquet files of any row order straight into the (meters x intervals) arrays.

    Each file is read in parts (row groups, byte ranges) by :data:`SCATTER_THREADS` threads at
    once. Every batch is checked vectorized while it is scattered into a preallocated buffer:
    meter ids known, timestamps on the meter's grid inside the reporting year, readings finite,
    interval readings >= 0. A complete data set has exactly one row per cell, so when the rows counted
    equal the cells and no cell is left unfilled, there is neither a duplicate nor a gap
    (pigeonhole), without an occupancy count. Anything else returns None and the general path
    reads the files again and names every problem with its row.
    """
    if not inv.data_files or any(p.suffix.lower() not in _PARTS for p in inv.data_files):
        return None
    layout = _Layout.of(inv)
    pos_of = {m.id: k for k, m in enumerate(inv.meters)}
    local = threading.local()  # per reading thread: its work arrays and its last dictionary

    def lookup_of(dictionary: pa.Array) -> np.ndarray:
        # the batches of a row group or CSV range share their dictionary: map its ids once
        last = getattr(local, "last", None)
        if last is None or not last[0].equals(dictionary):
            last = local.last = (dictionary, np.array([pos_of.get(s, -1)
                                                       for s in dictionary.to_pylist()],
                                                      dtype=np.int64))
        return last[1]

    def scatter(batch: pa.RecordBatch) -> int:
        if not hasattr(local, "scratch"):
            local.scratch = _Scratch()
        return _scatter(layout, lookup_of, batch, local.scratch)

    files, total = [], 0

    try:
        with ThreadPoolExecutor(max_workers=SCATTER_THREADS) as workers:
            for path in inv.data_files:
                if progress:
                    progress(f"reading {path.name}")
                # parts of the file (row groups, byte ranges) read and scattered at once
                n, read = _PARTS[path.suffix.lower()](path)
                rows = _in_parallel(lambda k: sum(scatter(b) for b in read(k)), n, workers,
                                    progress and functools.partial(progress,
                                                                   f"reading {path.name}"))
                files.append({"path": str(path), "rows": rows})
                total += rows
    except NotFast:
        return None
    for iv, ks in layout.members.items():  # the closing column only registers fill
        block = layout.block(iv)
        if block.shape[1] > layout.grids[iv].size:
            block[~layout.cumulative[ks], -1] = 0.0
    if total != layout.cells() or _any_nan(layout.buffer):
        return None  # a gap or a duplicate (or both): the general path names them
    groups = {}
    problems: list[Problem] = []
    rollovers: list[dict] = []
    for iv, ks in layout.members.items():
        grid = layout.grids[iv].view("datetime64[ns]")
        consumption = readings_to_consumption(inv, ks, grid, layout.block(iv),
                                              layout.cumulative[ks], problems, rollovers)
        if problems:
            return None
        groups[iv] = SeriesGroup(interval=iv, meters=tuple(inv.meters[k].id for k in ks),
                                 time=grid, values=consumption,
                                 filled=np.zeros(consumption.shape, dtype=bool))
    return MeterData(groups=groups, files=files, fills=[], rollovers=rollovers)


def _read_threads() -> int:
    env = os.environ.get("CARBON_CORE_READ_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


#: Threads that read parts of a file (Parquet row groups, CSV byte ranges) and scatter them into
#: the buffer at once: pyarrow decodes and numpy computes with the GIL released, so a file is
#: decoded, checked and copied on every core, the way DuckDB and Polars read row groups. The
#: cores this process may use, at most 4, or ``CARBON_CORE_READ_THREADS``: each thread beyond
#: the first costs about 10-20 MB at the peak (a row group's pages being decoded, a CSV range
#: and its table, the allocator's caches), so ``CARBON_CORE_READ_THREADS=1`` reads with the
#: least memory.
SCATTER_THREADS = _read_threads()


def _nan_filled(n: int) -> np.ndarray:
    """``np.full(n, np.nan)``, filled by the reading threads at once.

    Filling is the buffer's first touch: the kernel's page faults (0.05-0.5 s for 1,000 meters x
    a year here) are taken on every core instead of one.
    """
    buffer = np.empty(n)
    parts = max(1, min(SCATTER_THREADS, n >> 20))  # below a million cells one thread is enough
    if parts == 1:
        buffer.fill(np.nan)
        return buffer
    cuts = np.linspace(0, n, parts + 1).astype(int)
    with ThreadPoolExecutor(max_workers=parts) as pool:
        list(pool.map(lambda k: np.copyto(buffer[cuts[k]:cuts[k + 1]], np.nan), range(parts)))
    return buffer


def _in_parallel(task: Callable[[int], int], n: int, workers: ThreadPoolExecutor,
                 progress: Callable[[int, int], None] | None) -> int:
    """``sum(task(k) for k in range(n))`` with the tasks run in ``workers``.

    Progress (tasks done of ``n``, from 0) is reported from the calling thread as tasks end.
    The first ``NotFast`` is raised once every task has ended or been cancelled (none is left
    writing after the read returned).
    """
    if progress:
        progress(0, n)
    futures = [workers.submit(task, k) for k in range(n)]
    rows = 0
    try:
        for done, fut in enumerate(as_completed(futures), 1):
            rows += fut.result()
            if progress:
                progress(done, n)
    finally:
        for fut in futures:
            fut.cancel()
        wait(futures)
    return rows


def _any_nan(a: np.ndarray, chunk: int = 1 << 20) -> bool:
    """NaN anywhere in ``a``, checked in chunks (no full-size boolean temporary)."""
    flat = a.reshape(-1)
    return any(np.isnan(flat[i:i + chunk]).any() for i in range(0, flat.size, chunk))


def read_meter_data(inv: Inventory, *, progress: Callable[..., None] | None = None
                    ) -> MeterData:
    """Read, validate and shape every meter series of an inventory.

    Parameters
    ----------
    inv : Inventory
        The validated inventory: its meters and ``data_files``, reporting year and
        ``gap_policy``.
    progress : callable, optional
        Called as ``progress(text)`` at each stage and ``progress(text, done, total)`` while
        large Parquet files are read row group by row group (the CLI shows a progress bar).

    Returns
    -------
    MeterData

    Raises
    ------
    InputError
        Every problem in every file at once, each naming file, row and field.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: overlap it
        digests = {p: pool.submit(file_sha256, p) for p in inv.data_files if p.exists()}
        data = _read_fast(inv, progress)
        if data is None:
            data = _read_general(inv, progress)
        for f in data.files:
            f["sha256"] = digests[Path(f["path"])].result()
    # page checksums noted, magnitude warnings (screened by the reading threads' count)
    meter_checks.after_read(inv, data, threads=SCATTER_THREADS)
    return data


def _read_general(inv: Inventory, progress: Callable | None) -> MeterData:
    problems: list[Problem] = []
    rows, files = _read_rows(inv, problems, progress)
    if any(p.message.startswith("cannot read the file") for p in problems):
        # a damaged file: its meters' "no data" would only repeat it
        raise InputError(problems, title=f"{len(problems)} meter file(s) cannot be read")
    year = inv.reporting_year
    fills: list[dict] = []
    rollovers: list[dict] = []
    coarse_warnings: list[dict] = []
    groups: dict[str, SeriesGroup] = {}

    by_interval = inv.meters_by_interval()

    counts = np.bincount(rows.meter[rows.meter >= 0], minlength=len(inv.meters))
    for k, m in enumerate(inv.meters):
        if counts[k] == 0:
            problems.append(Problem(file=str(inv.path), row=m.table, field="id", found=m.id,
                                    message="declared meter has no data in any file",
                                    expected=f"rows with meter={m.id!r} in {[p.name for p in rows.paths]}"))

    if progress:
        progress("validating")
    for interval, members in by_interval.items():
        grid = year_grid(year, interval)
        n = grid.size
        local = np.full(len(inv.meters) + 1, -1, dtype=np.int64)
        local[members] = np.arange(len(members))
        sel_mask = local[rows.meter] >= 0 if rows.meter.size else np.zeros(0, bool)
        sel_mask &= rows.meter >= 0
        sel = np.flatnonzero(sel_mask) if not sel_mask.all() else None
        ts = rows.ts if sel is None else rows.ts[sel]
        mp = rows.meter if sel is None else rows.meter[sel]
        val = rows.value if sel is None else rows.value[sel]
        gidx = (lambda i: i) if sel is None else (lambda i: sel[i])
        lm = local[mp]
        cumulative = np.array([inv.meters[k].reading == "cumulative" for k in members])
        width = n + 1  # room for the closing reading of cumulative registers
        slot, aligned = _slots(ts, year, interval)
        limit = np.where(cumulative[lm], n, n - 1) if lm.size else np.zeros(0, np.int64)
        nat = ts == _NAT  # missing or unparsed: already named by _timestamps
        bad_time = ((slot < 0) | (slot > limit)) & ~nat
        if bad_time.any():
            idx = np.flatnonzero(bad_time)
            _row_problems(problems, rows, gidx(idx), "timestamp outside the reporting year",
                          field="timestamp", found=lambda i: _fmt_ts(rows.ts[i]),
                          expected=f"interval starts in {year} (cumulative registers: up to "
                                   f"{year + 1}-01-01T00:00)")
        misaligned = ~aligned & ~bad_time & ~nat
        if misaligned.any():
            idx = np.flatnonzero(misaligned)
            _row_problems(problems, rows, gidx(idx),
                          f"timestamp is not on the meter's {interval} grid",
                          field="timestamp", found=lambda i: _fmt_ts(rows.ts[i]),
                          expected=f"the start of a {interval} interval")
        ok = ~bad_time & ~misaligned & ~nat
        flat = lm * width + np.where(ok, slot, 0)
        if not ok.all():
            flat = np.where(ok, flat, -1)
        occupancy = np.bincount(flat[flat >= 0], minlength=len(members) * width)
        dup_cells = occupancy > 1
        if dup_cells.any():
            dup_rows = np.flatnonzero(np.isin(flat, np.flatnonzero(dup_cells)))
            _row_problems(problems, rows, gidx(dup_rows), "duplicated interval",
                          field="timestamp",
                          found=lambda i: f"{inv.meters[rows.meter[i]].id} at {_fmt_ts(rows.ts[i])}",
                          expected="one reading per meter and interval")
        block = np.full((len(members), width), np.nan)
        if ok.all():
            block.reshape(-1)[flat] = val
        else:
            block.reshape(-1)[flat[ok]] = val[ok]
        # an explicit NaN in a file is a missing reading, the same as an absent row
        absent = np.isnan(block)
        invalid = rows.invalid if sel is None else rows.invalid[sel]
        if invalid.any():  # reported as invalid readings: not reported again as missing
            absent.reshape(-1)[flat[ok & invalid]] = False
        absent[~cumulative, n] = False
        filled_block = np.zeros_like(absent)
        if absent.any():
            coarse, warned, no_fill = meter_checks.coarse_block_problems(
                inv, members, grid, absent, interval)  # hourly sums in a 15-min meter...
            problems.extend(coarse)
            coarse_warnings.extend(warned)
            if inv.gap_policy == "error":
                for r in np.flatnonzero(absent.any(axis=1)):
                    gaps = np.flatnonzero(absent[r])
                    runs = np.split(gaps, np.flatnonzero(np.diff(gaps) > 1) + 1)
                    labels = [
                        _fmt_ts(np.datetime64(grid[g[0]] if g[0] < n else
                                              np.datetime64(f"{year + 1}-01-01", "ns")).view("int64"))
                        + (f" .. {_fmt_ts(grid[min(g[-1], n - 1)].view('int64'))}"
                           if g.size > 1 else "")
                        for g in runs[:5]]
                    problems.append(Problem(
                        file=str(inv.path), row=inv.meters[members[r]].table, field="data",
                        found=f"{gaps.size} missing intervals: {', '.join(labels)}"
                              + (" ..." if len(runs) > 5 else ""),
                        message=f"meter {inv.meters[members[r]].id!r} has missing intervals",
                        expected="a reading for every interval, or [data] gap_policy = "
                                 "'zero' or 'linear' to fill them (fills are reported)"))
            else:
                if inv.gap_policy == "linear" and no_fill.any():
                    absent &= ~no_fill  # refused above: never interpolated across
                filled_block = absent.copy()
                try:
                    _fill_gaps(block, absent, inv.gap_policy)
                except ValueError:
                    problems.append(Problem(file=str(inv.path), field="data.gap_policy",
                                            found=inv.gap_policy,
                                            message="cannot interpolate a meter with fewer "
                                                    "than two readings"))
                for r in np.flatnonzero(filled_block.any(axis=1)):
                    fills.append({"meter": inv.meters[members[r]].id,
                                  "policy": inv.gap_policy,
                                  "intervals": int(filled_block[r].sum()),
                                  "first": _fmt_ts(grid[np.flatnonzero(filled_block[r])[0]
                                                        .clip(max=n - 1)].view("int64"))})
        # negative readings: never valid, for interval meters nor registers
        neg_reg = (val < 0) & cumulative[lm]
        if neg_reg.any():
            _row_problems(problems, rows, gidx(np.flatnonzero(neg_reg)),
                          "negative register reading", field="value",
                          found=lambda i: float(rows.value[i]),
                          expected="a register reading >= 0")
        interval_rows = ~cumulative[lm]
        neg = (val < 0) & interval_rows
        if neg.any():
            idx = np.flatnonzero(neg)
            _row_problems(problems, rows, gidx(idx), "negative reading", field="value",
                          found=lambda i: float(rows.value[i]),
                          expected="a consumption >= 0 (exports are separate meters with "
                                   "role 'export')")
        consumption = readings_to_consumption(inv, members, grid, block, cumulative, problems,
                                              rollovers)
        groups[interval] = SeriesGroup(
            interval=interval, meters=tuple(inv.meters[k].id for k in members), time=grid,
            values=consumption, filled=filled_block[:, :n])
    if problems:
        raise InputError(problems, title=f"{len(problems)} problem(s) in the meter data of "
                                         f"{inv.path}")
    return MeterData(groups=groups, files=files, fills=fills, rollovers=rollovers,
                     warnings=coarse_warnings)
