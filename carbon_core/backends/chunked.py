"""Meter data larger than memory: the year read in time chunks, peak memory bounded by the chunk.

Monthly totals per meter and electricity series by role are sums over time, so they can be
built month by month and combine exactly. Each chunk (one or more calendar months) is read from
the files (Parquet row groups whose timestamp statistics miss the chunk are skipped; a CSV is
streamed again for each chunk), checked and scattered into a (meters x chunk intervals) block
exactly as the in-memory fast path does, reduced to its monthly totals and role series, and freed.
Each month is summed by the same kernel over the same values as in memory
(``np.add.reduceat`` on the month's intervals; :func:`~carbon_core.io.meters.sum_rows` for the
roles), so the numbers are identical to :func:`~carbon_core.io.meters.read_meter_data`'s.

Every row belongs to exactly one chunk (the one its timestamp falls in; rows before the year or
without a timestamp to the first, rows after it to the last), which checks it. Bad rows are named
as the in-memory reader names them: file and row, meter and timestamp, what was found and what
was expected (timestamps outside the year or off the meter's grid, duplicated intervals, unknown
meters, empty, infinite or negative readings), and missing intervals per meter with their first
runs. Every problem of every chunk is reported at once. Gaps are not filled here (the inventory's
``gap_policy`` needs the in-memory reader): they are reported.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..io import meter_checks
from ..io.inventory import Inventory
from ..io.meters import (CHINA_OFFSET_NS, COLUMNS, INTERVAL_NS, PARQUET_STREAM_OPTIONS,
                         ROLE_SERIES, TIMESTAMP_UNIT_NS, NotFast, as_numpy, csv_batches,
                         file_sha256, parse_text_readings, parse_text_timestamps,
                         readings_to_consumption, resample_sum, role_rows, sum_rows, year_grid)

__all__ = ["ChunkedMeterData", "read_chunked", "months_per_chunk", "parse_bytes",
           "array_bytes", "read_within"]

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_bytes(text: str | int) -> int:
    """A memory size: ``"512MB"``, ``"2GiB"``, ``"1.5 GB"`` or a number of bytes.

    Parameters
    ----------
    text : str or int
        A number with an optional unit, case-insensitive: B, kB, MB, GB, TB (powers of 1000)
        or KiB, MiB, GiB, TiB (powers of 1024); an int is taken as bytes.

    Returns
    -------
    int
        The size [bytes], rounded down to a whole byte.

    Raises
    ------
    InputError
        For text that is not a memory size (reported as the ``memory-limit`` option of the
        command line).

    Examples
    --------
    >>> parse_bytes("2GiB"), parse_bytes("500 MB"), parse_bytes(1024)
    (2147483648, 500000000, 1024)
    """
    if isinstance(text, int):
        return text
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise InputError([Problem("command line", "not a memory size", field="memory-limit",
                                  found=text, expected="e.g. 512MB, 2GiB or bytes")])
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def array_bytes(inv: Inventory) -> int:
    """Size of the in-memory (meters x intervals) float64 arrays of ``inv`` [bytes].

    Parameters
    ----------
    inv : Inventory
        The inventory whose meters are counted (each on its own interval's grid of the
        reporting year, plus one value).

    Returns
    -------
    int
        8 bytes per meter and interval [bytes].
    """
    return sum(8 * (year_grid(inv.reporting_year, m.interval).size + 1) for m in inv.meters)


def read_within(inv: Inventory, memory_bytes: int, *, progress=None):
    """The in-memory reader when its arrays fit in half of ``memory_bytes``, else chunked.

    Parameters
    ----------
    inv : Inventory
        The inventory whose meter files are read.
    memory_bytes : int
        The memory the read may use [bytes]; the in-memory reader is used when
        :func:`array_bytes` is at most half of it.
    progress : callable, optional
        Passed on to the reader chosen (see :func:`carbon_core.io.meters.read_meter_data` and
        :func:`read_chunked`).

    Returns
    -------
    MeterData or ChunkedMeterData

    Raises
    ------
    InputError
        Whatever the chosen reader finds wrong in the meter files.
    """
    if array_bytes(inv) * 2 <= memory_bytes:
        from ..io.meters import read_meter_data

        return read_meter_data(inv, progress=progress)
    return read_chunked(inv, memory_bytes=memory_bytes, progress=progress)


@dataclass
class ChunkedMeterData:
    """Meter data reduced chunk by chunk: what the engine needs, never the full array.

    Same interface as :class:`~carbon_core.io.meters.MeterData` for the engine and the results:
    :meth:`monthly`, :meth:`role_sums`, ``files``, ``fills``, ``rollovers``.

    Attributes
    ----------
    meter_ids : list of str
        The inventory's meters, grouped by interval: the row order of ``monthly_totals``.
    monthly_totals : numpy.ndarray
        Consumption by meter and calendar month, shape (meters, 12) [canonical unit of each
        meter's carrier per month].
    roles : list of tuple
        ``(interval, time, series)`` per meter interval that holds an electricity role meter:
        the interval text, its interval starts
        (datetime64) and the electricity series by role name
        (:data:`~carbon_core.io.meters.ROLE_SERIES`) [kWh per interval].
    files : list of dict
        The input files read (path, sha256, rows), for provenance.
    fills : list of dict
        Always empty: gaps are reported, not filled, by the chunked reader.
    rollovers : list of dict
        Register rollovers detected.
    warnings : list of dict
        Data-quality warnings of the meter checks (:mod:`carbon_core.io.meter_checks`).
    chunks : int
        How many chunks the year was read in.
    peak_block_bytes : int
        Largest (meters x chunk intervals) block held at once [bytes].
    groups : dict
        Always empty: no full arrays are kept (see :meth:`role_sums`).
    members : dict
        Interval -> {series name: frozenset of meter ids, ``"all"``: every meter of the
        interval}, used by :meth:`role_series` to find the series a request matches.
    """

    meter_ids: list[str]
    monthly_totals: np.ndarray                                  # [meters, 12]
    roles: list[tuple[str, np.ndarray, dict[str, np.ndarray]]]  # (interval, time, series)
    files: list[dict]
    fills: list[dict] = field(default_factory=list)
    rollovers: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # data-quality warnings (meter checks)
    chunks: int = 0
    peak_block_bytes: int = 0
    groups: dict = field(default_factory=dict)  # no full arrays: see role_sums
    members: dict = field(default_factory=dict)  # interval -> {series name: meter ids, "all"}

    def monthly(self) -> tuple[list[str], np.ndarray]:
        """Monthly totals by meter, summed while reading.

        Returns
        -------
        meter_ids : list of str
            The meters, in row order.
        monthly_totals : numpy.ndarray
            Consumption by meter and calendar month, shape (meters, 12), in each meter's canonical
            carrier unit (e.g. [kWh]).
        """
        return self.meter_ids, self.monthly_totals

    def role_sums(self, inv: Inventory) -> list[tuple[str, np.ndarray, dict[str, np.ndarray]]]:
        """The series by role, summed while the chunks were read.

        Parameters
        ----------
        inv : Inventory
            The factory inventory (not read: the sums were made while reading; taken for the
            interface of :class:`~carbon_core.io.meters.MeterData`).

        Returns
        -------
        list of tuple
            ``(interval, time, series)`` by interval: the interval text, the interval start times
            and the summed series by name.
        """
        return self.roles

    def role_series(self, weights, interval: str, year: int) -> dict[str, np.ndarray]:
        """The backend protocol's role series, from the series summed while reading.

        Only the electricity series by role (:data:`~carbon_core.io.meters.ROLE_SERIES`, weight 1
        per meter) were kept; any other request is refused (the arrays are gone).

        Parameters
        ----------
        weights : mapping of str to mapping of str to float
            Output variable -> {meter id: weight}; every weight 0 or 1, and the meters of
            weight 1 in each interval group exactly those of one series summed while reading.
        interval : {"15min", "1h", "1D", "1MS", "1Y"}
            Target resolution, not finer than the meters' own.
        year : int
            Reporting year of the grid.

        Returns
        -------
        dict of str to numpy.ndarray
            One float64 array per variable, one value per interval [kWh per interval]; zeros
            for a variable whose meters are in no group.

        Raises
        ------
        ValueError
            For a weight other than 0 or 1, or a set of meters no kept series matches.
        """
        out = {}
        for var, w in weights.items():
            ids = frozenset(m for m, x in w.items() if x != 0.0)
            if any(x not in (0.0, 1.0) for x in w.values()):
                raise ValueError("the chunked backend keeps unweighted role sums only")
            total = None
            for iv, time, sums in self.roles:
                members = self.members[iv]
                want = ids & members["all"]
                if not want:
                    continue
                name = next((n for n in sums if members[n] == want), None)
                if name is None:
                    raise ValueError(f"{var}: no series summed while reading matches its meters")
                part = resample_sum(sums[name], time, iv, interval, year)
                total = part if total is None else total + part
            out[var] = total if total is not None else np.zeros(
                1 if interval == "1Y" else year_grid(year, interval).size)
        return out


#: Rows named per kind of problem before the rest are summarised (as the in-memory reader does).
_MAX_NAMED = 20
_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max
#: Rows per batch of the chunked read (65,536, as the in-memory reader's), so that a batch and
#: its index temporaries (about 100 bytes a row) stay a small, fixed part of the limit.
_CHUNK_BATCH_ROWS = 1 << 16


def _read_overhead(inv: Inventory) -> int:
    """Memory the chunked read needs besides the chunk's block [bytes] (an upper estimate).

    It allows 32 bytes a row of the largest Parquet row group, as if the group's three columns
    were decoded whole. With :data:`~carbon_core.io.meters.PARQUET_STREAM_OPTIONS` (no
    pre-buffering, 1 MiB reads) pyarrow decodes a group batch by batch, so this is an upper
    bound; the peaks measured in ``benchmarks/README.md`` were below the limit. Each batch and
    its index temporaries take ~100 bytes a row, pyarrow's CSV reader holds a few 1 MiB
    blocks, and the year's role series and monthly totals are small.
    """
    rg_rows = 0
    for path in inv.data_files:
        if path.suffix.lower() in (".parquet", ".pq") and path.exists():
            try:
                md = pq.ParquetFile(path).metadata
            except (pa.ArrowInvalid, OSError):
                continue
            rg_rows = max([rg_rows] + [md.row_group(k).num_rows for k in range(md.num_row_groups)])
    per_series = sum(8 * year_grid(inv.reporting_year, iv).size
                     for iv in {m.interval for m in inv.meters}) * len(ROLE_SERIES)
    return 32 * rg_rows + 100 * _CHUNK_BATCH_ROWS + 16 * 2**20 + per_series


def months_per_chunk(inv: Inventory, memory_bytes: int | None) -> int:
    """Calendar months per chunk so that a chunk's block and the read's buffers fit in
    ``memory_bytes``; one month at least (the smallest chunk), twelve when no limit is given.

    A group holding a cumulative register needs its block twice (the readings and their
    differences); other groups are turned into consumption in place. One month is the floor: a
    limit below one month's block plus the read's buffers (:func:`_read_overhead`) is exceeded
    by that much (``benchmarks/README.md`` gives measured peaks against the limit).

    Parameters
    ----------
    inv : Inventory
        The inventory whose meters (count, intervals, register kind) and Parquet row groups
        set the sizes.
    memory_bytes : int or None
        The memory the read may use [bytes]; None or 0 for no limit.

    Returns
    -------
    int
        Months per chunk, 1 to 12.
    """
    if not memory_bytes:
        return 12
    year = inv.reporting_year
    per_month = 0.0
    for iv in {m.interval for m in inv.meters}:
        ms = [m for m in inv.meters if m.interval == iv]
        copies = 2 if any(m.reading == "cumulative" for m in ms) else 1
        per_month += copies * 8 * len(ms) * (year_grid(year, iv).size / 12 + 1)
    budget = memory_bytes - _read_overhead(inv)
    return int(max(1, min(12, budget // max(per_month, 1.0))))


def _row_label(path: Path, i) -> int:
    """1-based row as a person counts it (the in-memory reader's convention): CSV line (the
    header is line 1), Parquet data row."""
    return int(i) + 2 if path.suffix.lower() == ".csv" else int(i) + 1


def _fmt_ts(ns) -> str:
    return str(np.datetime64(int(ns), "ns").astype("datetime64[s]"))


class _Report:
    """Problems found while reading, by kind, the first :data:`_MAX_NAMED` rows of each named."""

    #: kinds in the order they are reported (the in-memory reader's order)
    ORDER = ("timestamp is not ISO 8601", "missing timestamp", "reading is not finite",
             "reading is not a number", "unknown meter",
             "no data", "timestamp outside the reporting year", "off grid",
             "duplicated interval", "missing intervals", "negative reading", "register")

    def __init__(self, meters: int) -> None:
        self.meter_rows = np.zeros(meters, np.int64)  # rows naming each declared meter
        self.named: dict[str, list[Problem]] = {k: [] for k in self.ORDER}
        self.counts: dict[str, int] = dict.fromkeys(self.ORDER, 0)
        self.fields: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        self.unknown: dict[Path, list] = {}  # path -> [rows, names, first row]

    def rows(self, kind: str, path: Path, idx: np.ndarray, *, message: str, field: str,
             found: Callable[[int], object], expected: str) -> None:
        """Name the rows ``idx`` (positions in ``path``, 0-based) of one kind."""
        if not idx.size:
            return
        room = _MAX_NAMED - len(self.named[kind])
        for j in range(min(room, idx.size)):
            self.named[kind].append(Problem(file=str(path), row=_row_label(path, idx[j]),
                                            field=field, found=found(j), message=message,
                                            expected=expected))
        self.counts[kind] += int(idx.size)
        self.fields[kind] = field
        self.messages.setdefault(kind, message)

    def add(self, kind: str, problem: Problem) -> None:
        self.named[kind].append(problem)
        self.counts[kind] += 1

    def __bool__(self) -> bool:
        return any(self.counts.values()) or bool(self.unknown)

    def problems(self, inv: Inventory, plan: "_Plan") -> list[Problem]:
        meter_names = list(plan.pos_of)
        out: list[Problem] = []
        for kind in self.ORDER:
            out.extend(self.named[kind])
            n = self.counts[kind]
            if kind in self.fields and n > _MAX_NAMED:
                out.append(Problem(file="meter data", field=self.fields[kind],
                                   message=f"{self.messages[kind]}: {n - _MAX_NAMED} more rows "
                                           f"like these ({n} in all)"))
            if kind == "unknown meter":
                for path, (rows, names, first) in self.unknown.items():
                    uniq = sorted(names)
                    out.append(Problem(
                        file=str(path), field="meter", found=uniq[:20],
                        message=f"{rows} rows name meters the inventory does not declare "
                                f"(first at row {_row_label(path, first)})",
                        expected=f"one of {sorted(meter_names)} — declare them in [[meters]]"))
        return out


@dataclass
class _Plan:
    """What every chunk needs to know about the inventory's meters."""

    inv: Inventory
    members: dict[str, list[int]]        # interval -> inventory meter positions
    ivs: list[str]
    group_of: np.ndarray                 # int64 [meters]: index into ivs
    local: np.ndarray                    # int64 [meters]: row in its group's block
    cumulative: np.ndarray               # bool [meters]
    grids: dict[str, np.ndarray]         # interval -> int64 ns interval starts
    pos_of: dict[str, int]
    start_ns: int
    end_ns: int
    text_csv: set = field(default_factory=set)  # CSV files that only parse as text
    _last: list = field(default_factory=lambda: [None, None])

    def lookup(self, dictionary: pa.Array) -> np.ndarray:
        """Inventory position of each dictionary entry, -1 unknown, plus -1 for an empty cell
        (the batches of one file usually share their dictionary: mapped once)."""
        if self._last[0] is None or not self._last[0].equals(dictionary):
            self._last[:] = [dictionary, np.array(
                [-1 if s is None else self.pos_of.get(str(s), -1) for s in dictionary.to_pylist()]
                + [-1], np.int64)]
        return self._last[1]

    @classmethod
    def of(cls, inv: Inventory) -> "_Plan":
        year = inv.reporting_year
        members = inv.meters_by_interval()
        ivs = list(members)
        group_of = np.zeros(len(inv.meters), np.int64)
        local = np.zeros(len(inv.meters), np.int64)
        for gi, iv in enumerate(ivs):
            group_of[members[iv]] = gi
            local[members[iv]] = np.arange(len(members[iv]))
        return cls(inv, members, ivs, group_of, local,
                   np.array([m.reading == "cumulative" for m in inv.meters], dtype=bool),
                   {iv: year_grid(year, iv).view("int64") for iv in members},
                   {m.id: k for k, m in enumerate(inv.meters)},
                   int(np.datetime64(f"{year}-01-01", "ns").view("int64")),
                   int(np.datetime64(f"{year + 1}-01-01", "ns").view("int64")))


def _parquet_chunk_batches(path: Path, lo: int, hi: int, nulls_too: bool
                           ) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``(first row in the file, batch)`` of the row groups whose timestamp range meets
    ``[lo, hi]`` (China-time ns); with ``nulls_too``, also the groups with empty timestamps."""
    pf = pq.ParquetFile(path, **PARQUET_STREAM_OPTIONS)
    ts_field = pf.schema_arrow.field("timestamp").type
    if not pa.types.is_timestamp(ts_field):
        raise NotFast
    col = pf.schema_arrow.get_field_index("timestamp")
    raw_ns = _raw_timestamp_ns(pf, col)
    shift = CHINA_OFFSET_NS if ts_field.tz is not None else 0
    first = 0
    for rg in range(pf.num_row_groups):
        meta = pf.metadata.row_group(rg)
        offset, first = first, first + meta.num_rows
        st = meta.column(col).statistics
        if raw_ns and st is not None and st.has_min_max and not (nulls_too and st.null_count):
            if st.max_raw * raw_ns + shift < lo or st.min_raw * raw_ns + shift > hi:
                continue
        for batch in pf.iter_batches(batch_size=_CHUNK_BATCH_ROWS, row_groups=[rg],
                                     columns=list(COLUMNS), use_threads=False):
            yield offset, batch
            offset += batch.num_rows


#: Nanoseconds per unit of a Parquet timestamp's time unit (the logical type's ``timeUnit``).
_PARQUET_TIME_UNIT_NS = {"milliseconds": 10**6, "microseconds": 10**3, "nanoseconds": 1}


def _raw_timestamp_ns(pf: pq.ParquetFile, col: int) -> int | None:
    """Nanoseconds per unit of the raw (INT64) statistics of timestamp column ``col``.

    The statistics are read as stored (``min_raw``, ``max_raw``), in the unit of the file's
    Parquet logical type, which can differ from the Arrow type pyarrow restores (``st.min``
    converts them to Python objects, for nanoseconds to ``pandas.Timestamp``: a pandas import
    in every chunked read). None when the column is not an INT64 timestamp (legacy INT96): its
    row groups are then all read, none skipped.
    """
    column = pf.schema.column(col)
    if column.physical_type != "INT64":
        return None
    try:
        unit = json.loads(column.logical_type.to_json()).get("timeUnit")
    except (ValueError, AttributeError):
        return None
    return _PARQUET_TIME_UNIT_NS.get(unit)


def _csv_chunk_batches(path: Path) -> Iterator[tuple[int, pa.RecordBatch]]:
    offset = 0
    for batch in csv_batches(path, None):
        yield offset, batch
        offset += batch.num_rows


def _file_problems(path: Path) -> list[Problem]:
    """A file that cannot be opened, or lacks a column, worded as the in-memory reader words it."""
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            names = pq.ParquetFile(path).schema_arrow.names
        else:
            import pyarrow.csv as pacsv

            with pacsv.open_csv(path) as reader:
                names = reader.schema.names
    except (pa.ArrowInvalid, OSError) as exc:
        return [Problem(file=str(path), message=f"cannot read the file: {exc}",
                        expected="a CSV or Parquet file with columns timestamp, meter, value")]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        return [Problem(file=str(path), field=", ".join(missing), found=names,
                        message="missing columns",
                        expected=f"columns {list(COLUMNS)} (long format)")]
    return []


def _text_problems(path: Path) -> list[Problem]:
    """A CSV file that does not even parse as text (a row with too many cells...)."""
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                   include_columns=list(COLUMNS))
    try:
        for _ in pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20),
                                convert_options=convert):
            pass
    except (pa.ArrowInvalid, OSError) as exc:
        return [Problem(file=str(path), message=f"cannot read the file: {exc}",
                        expected="a CSV or Parquet file with columns timestamp, meter, value")]
    return []


def _parses_typed(path: Path) -> bool:
    """Whether a CSV file streams through pyarrow's typed reader (one pass, nothing kept)."""
    try:
        for _ in csv_batches(path, None):
            pass
    except NotFast:
        return False
    return True


def _text_csv_batches(path: Path, report: "_Report | None"
                      ) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``(first row, batch)`` of a CSV read as text, each batch typed as the in-memory reader
    types text: ISO 8601 timestamps (with an offset or ``Z``: converted to China time), numbers.
    Cells that do not parse are named (timestamps in ``report``, when given; readings by the
    chunk that owns the row, from the ``_invalid`` and ``_text`` columns)."""
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                   include_columns=list(COLUMNS), strings_can_be_null=True,
                                   null_values=[""])
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20),
                                convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        raise NotFast from exc
    offset = 0
    nat = np.iinfo(np.int64).min
    for batch in reader:
        text = batch.column("timestamp").to_pandas()
        ns, nulls = parse_text_timestamps(text)
        unparsed = (ns == nat) & ~nulls
        if report is not None:
            idx = np.flatnonzero(unparsed)
            report.rows("timestamp is not ISO 8601", path, offset + idx,
                        message="timestamp is not an ISO 8601 date-time", field="timestamp",
                        found=_pick(text.iloc[idx].to_numpy()),
                        expected="e.g. 2024-01-01T00:15:00 (China time) or with +08:00")
        values, invalid = parse_text_readings(batch.column("value").to_pandas())
        yield offset, pa.RecordBatch.from_arrays(
            [pa.array(ns, type=pa.timestamp("ns"), mask=ns == nat), batch.column("meter"),
             pa.array(values), pa.array(invalid), batch.column("value"),
             pa.array(unparsed)],  # named above: not "missing" as well
            names=[*COLUMNS, "_invalid", "_text", "_ts_named"])
        offset += batch.num_rows


def _refuse(inv: Inventory, what: str, where: str) -> InputError:
    return InputError([Problem(
        file=str(inv.path), field="data", found=where, message=f"chunked read: {what}",
        expected="a CSV or Parquet file with typed columns timestamp, meter, value (read it "
                 "in memory, `carbon compute` without a memory limit, for the row-by-row "
                 "report of text cells)")])


@dataclass
class _Chunk:
    """One chunk's bounds and blocks: rows with timestamps in ``[own_lo, own_hi)`` are its own."""

    lo: int
    hi: int
    own_lo: int
    own_hi: int
    first: bool
    last: bool
    spans: dict[str, tuple[int, int, np.ndarray]]  # interval -> (slot a, slot b, block)
    counted: dict[str, int] = field(default_factory=dict)  # rows copied into each block


def _rows(plan: _Plan, chunk: _Chunk, path: Path, offset: int, batch: pa.RecordBatch,
          report: _Report | None, seen: list[int]):
    """The rows of one batch that go into the chunk's blocks, checked.

    Yields ``(interval, local rows, chunk slots, values, file rows)`` per interval group. With a
    ``report``, every owned bad row is named in it (and left out); ``seen[0]`` counts the
    batch's rows the chunk owns.
    """
    inv = plan.inv
    ts_col, m_col, v_col = (batch.column(c) for c in COLUMNS)
    n = batch.num_rows
    if not n:
        return
    ts = ts_col.view(pa.int64())  # int64 ns; as_numpy: pyarrow's to_numpy imports pandas
    ts = as_numpy(pc.fill_null(ts, 0) if ts_col.null_count else ts)
    unit = TIMESTAMP_UNIT_NS[ts_col.type.unit]
    if unit != 1:
        ts = ts * unit
    if ts_col.type.tz is not None:
        ts = ts + CHINA_OFFSET_NS
    ts_null = np.asarray(ts_col.is_null()) if ts_col.null_count else None
    own = (ts >= chunk.own_lo) & (ts < chunk.own_hi)
    if ts_null is not None:
        own &= ~ts_null
        if chunk.first:
            own |= ts_null
    # a register's reading at the chunk's end closes its last interval (owned by the next chunk)
    closing = (ts == chunk.hi) & ~own if not chunk.last else None
    seen[0] += int(np.count_nonzero(own))
    if closing is not None and closing.any():
        take = own | closing
    else:
        take, closing = own, None
    if not take.any():
        return
    rows = np.flatnonzero(take)
    ts = ts[rows]
    own_r = own[rows]
    if not pa.types.is_dictionary(m_col.type):
        m_col = pc.dictionary_encode(m_col)
    lookup = plan.lookup(m_col.dictionary)
    codes = m_col.indices
    codes = as_numpy(pc.fill_null(codes, 0) if m_col.null_count else codes).astype(np.int64)
    if m_col.null_count:
        codes[np.asarray(m_col.is_null())] = len(lookup) - 1
    pos = lookup[codes[rows]]
    if v_col.null_count:
        values = as_numpy(pc.fill_null(pc.cast(v_col, pa.float64()), np.nan))[rows]
    else:
        values = as_numpy(v_col)[rows].astype(np.float64, copy=False)
    bad_text = None
    if "_invalid" in batch.schema.names:  # text that is not a number: named, not a gap
        invalid = batch.column("_invalid").to_numpy(zero_copy_only=False)[rows]
        if invalid.any():
            bad_text = (invalid, batch.column("_text"), rows)
            values = np.where(invalid, 0.0, values)
    keep = pos >= 0
    if closing is not None:  # only registers read at the chunk's end
        keep &= own_r | plan.cumulative[np.maximum(pos, 0)]
    if report is not None:
        known = (pos >= 0) & own_r
        report.meter_rows += np.bincount(pos[known], minlength=report.meter_rows.size)
        null_t = ts_null[rows] if ts_null is not None else None
        if null_t is not None and null_t.any():
            missing = null_t
            if "_ts_named" in batch.schema.names:  # unparsed text, already named once
                missing = null_t & ~np.asarray(batch.column("_ts_named"))[rows]
            idx = np.flatnonzero(missing)
            report.rows("missing timestamp", path, offset + rows[idx], message="missing timestamp",
                        field="timestamp", found=lambda j: None, expected="a date-time")
            keep &= ~null_t
        unknown = (pos < 0) & own_r
        if null_t is not None:
            unknown &= ~null_t
        if unknown.any():
            names = m_col.dictionary.to_pylist() + [None]
            idx = np.flatnonzero(unknown)
            entry = report.unknown.setdefault(path, [0, set(), offset + rows[idx[0]]])
            entry[0] += int(idx.size)
            entry[1].update(str(names[c]) for c in np.unique(codes[rows[idx]]))
            entry[2] = min(entry[2], offset + rows[idx[0]])
        if bad_text is not None:
            idx = np.flatnonzero(bad_text[0] & own_r)
            report.rows("reading is not a number", path, offset + rows[idx],
                        message="reading is not a number", field="value",
                        found=_pick(rows[idx], lambda k: bad_text[1][int(k)].as_py()),
                        expected="a finite number")
        inf = np.isinf(values) & keep & own_r
        if inf.any():
            idx = np.flatnonzero(inf)
            report.rows("reading is not finite", path, offset + rows[idx],
                        message="reading is not finite", field="value",
                        found=_pick(values[idx], float), expected="a finite number")
    elif ts_null is not None:
        keep &= ~ts_null[rows]
    for gi, iv in enumerate(plan.ivs):
        mine = keep & (plan.group_of[np.maximum(pos, 0)] == gi) if len(plan.ivs) > 1 else keep
        if not mine.any():
            continue
        sel = np.flatnonzero(mine)
        p, t, v, o = pos[sel], ts[sel], values[sel], own_r[sel]
        cum = plan.cumulative[p]
        n_grid = plan.grids[iv].size
        if iv == "1MS":
            months = t.view("datetime64[ns]").astype("datetime64[M]")
            slot = (months - np.datetime64(f"{inv.reporting_year}-01", "M")).astype(np.int64)
            aligned = months.astype("datetime64[ns]").view("int64") == t
        else:
            rel = t - plan.start_ns
            slot = rel // INTERVAL_NS[iv]
            aligned = slot * INTERVAL_NS[iv] == rel
        outside = (slot < 0) | (slot > np.where(cum, n_grid, n_grid - 1))
        off = ~aligned & ~outside
        ok = ~outside & ~off
        if report is not None:
            if outside.any():
                idx = np.flatnonzero(outside & o)
                report.rows("timestamp outside the reporting year", path, offset + rows[sel[idx]],
                            message="timestamp outside the reporting year", field="timestamp",
                            found=_pick(t[idx], _fmt_ts),
                            expected=f"interval starts in {inv.reporting_year} (cumulative "
                                     f"registers: up to {inv.reporting_year + 1}-01-01T00:00)")
            if off.any():
                idx = np.flatnonzero(off & o)
                report.rows("off grid", path, offset + rows[sel[idx]],
                            message=f"timestamp is not on the meter's {iv} grid",
                            field="timestamp", found=_pick(t[idx], _fmt_ts),
                            expected=f"the start of a {iv} interval")
            neg = (v < 0) & ~cum & ok & o
            if neg.any():
                idx = np.flatnonzero(neg)
                report.rows("negative reading", path, offset + rows[sel[idx]],
                            message="negative reading", field="value",
                            found=_pick(v[idx], float),
                            expected="a consumption >= 0 (exports are separate meters with "
                                     "role 'export')")
        if not ok.all():
            p, slot, v, sel = p[ok], slot[ok], v[ok], sel[ok]
        a, b, _ = chunk.spans[iv]
        yield iv, plan.local[p], slot - a, v, offset + rows[sel]


def _batches(plan: _Plan, path: Path, chunk: _Chunk, report: _Report | None
             ) -> Iterator[tuple[int, pa.RecordBatch]]:
    if path.suffix.lower() in (".parquet", ".pq"):
        lo = _INT64_MIN if chunk.first else chunk.lo
        hi = _INT64_MAX if chunk.last else chunk.hi
        return _parquet_chunk_batches(path, lo, hi, chunk.first)
    if path in plan.text_csv:
        return _text_csv_batches(path, report if chunk.first else None)
    return _csv_chunk_batches(path)


def _read_pass(plan: _Plan, chunk: _Chunk, report: _Report | None, seen: dict[Path, int],
               sink: Callable) -> None:
    """Read the chunk's rows from every file once, handing each group's rows to ``sink``."""
    inv = plan.inv
    for path in inv.data_files:
        count = [0]
        try:
            for offset, batch in _batches(plan, path, chunk, report):
                missing = [c for c in COLUMNS if c not in batch.schema.names]
                if missing:
                    raise NotFast
                for part in _rows(plan, chunk, path, offset, batch, report, count):
                    sink(path, *part)
        except (pa.ArrowInvalid, OSError) as exc:
            raise _refuse(inv, f"cannot read {path.name}: {exc}",
                          f"months of {inv.reporting_year}") from None
        except (NotFast, KeyError, AttributeError):
            raise _refuse(inv, f"{path.name} does not read as typed columns (timestamp, "
                               "meter, value)", f"months of {inv.reporting_year}") from None
        if report is not None:
            seen[path] = seen.get(path, 0) + count[0]


def read_chunked(inv: Inventory, *, memory_bytes: int | None = None, months: int | None = None,
                 progress: Callable[..., None] | None = None) -> ChunkedMeterData:
    """Read an inventory's meter files chunk by chunk.

    Parameters
    ----------
    inv : Inventory
        The inventory whose ``data_files`` are read, for its meters and reporting year.
    memory_bytes : int, optional
        Memory the chunk may use [bytes]; sets the months per chunk (:func:`months_per_chunk`).
    months : int, optional
        Months per chunk (overrides ``memory_bytes``).
    progress : callable, optional
        Called as ``progress(text, months_done, 12)`` before each chunk is read.

    Returns
    -------
    ChunkedMeterData
        Monthly totals and role series identical to the in-memory reader's.

    Raises
    ------
    InputError
        Every bad row of every file (file, row, meter, timestamp, found and expected, as the
        in-memory reader names them) and every meter's missing intervals, at once.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: overlap it
        digests = {p: pool.submit(file_sha256, p) for p in inv.data_files if p.exists()}
        data = _read_chunks(inv, months or months_per_chunk(inv, memory_bytes), progress)
        for f in data.files:
            f["sha256"] = digests[Path(f["path"])].result()
    # page checksums noted as in memory; the spike screen ran chunk by chunk (_read_chunks)
    meter_checks.file_warnings(data)
    return data


def _read_chunks(inv: Inventory, step_months: int, progress: Callable | None
                 ) -> ChunkedMeterData:
    year = inv.reporting_year
    plan = _Plan.of(inv)
    opening = [q for p in inv.data_files for q in _file_problems(p)]
    if opening:
        raise InputError(opening, title=f"problems in the meter files of {inv.path}")
    plan.text_csv = {p for p in inv.data_files
                     if p.suffix.lower() == ".csv" and not _parses_typed(p)}
    broken = [q for p in plan.text_csv for q in _text_problems(p)]
    if broken:
        raise InputError(broken, title=f"problems in the meter files of {inv.path}")
    members, grids, cumulative = plan.members, plan.grids, plan.cumulative
    month_bounds = np.arange(np.datetime64(f"{year}-01", "M"), np.datetime64(f"{year + 1}-02", "M"),
                             dtype="datetime64[M]").astype("datetime64[ns]").view("int64")
    monthly = np.zeros((len(inv.meters), 12))
    roles_acc = {iv: {name: np.zeros(g.size) for name in ROLE_SERIES} for iv, g in grids.items()}
    role_idx = {iv: role_rows(inv, [inv.meters[k].id for k in ks]) for iv, ks in members.items()}
    rollovers: list[dict] = []
    spiked: dict[str, list] = {}  # meter -> [count, first ns, value, median, chunk]
    report = _Report(len(inv.meters))
    seen: dict[Path, int] = {}
    gaps: dict[int, list] = {}  # meter -> [missing intervals, [[first slot, last slot], ...]]
    peak = 0
    nchunks = 0
    for c0 in range(0, 12, step_months):
        c1 = min(12, c0 + step_months)
        lo, hi = int(month_bounds[c0]), int(month_bounds[c1])
        nchunks += 1
        if progress:
            progress(f"reading months {c0 + 1}-{c1} of {year}", c0, 12)
        spans = {}
        for iv, g in grids.items():
            a, b = int(np.searchsorted(g, lo)), int(np.searchsorted(g, hi))
            spans[iv] = (a, b, np.full((len(members[iv]), b - a + 1), np.nan))
        peak = max(peak, sum(s[2].nbytes for s in spans.values()))
        chunk = _Chunk(lo, hi, _INT64_MIN if c0 == 0 else lo, _INT64_MAX if c1 == 12 else hi,
                       c0 == 0, c1 == 12, spans)
        _read_pass(plan, chunk, report, seen, _scatter_sink(chunk))
        for iv, ks in members.items():
            a, b, block = spans[iv]
            w = b - a
            cum = cumulative[ks]
            block[~cum, w] = 0.0  # only registers carry a closing reading
            missing = _missing_rows(block)
            nan_cells = sum(int(np.isnan(block[r]).sum()) for r in missing)
            # every row filled one cell: more rows than filled cells means duplicates
            filled = block.size - nan_cells - int(np.count_nonzero(~cum))
            duplicated = chunk.counted[iv] > filled
            for r in missing:
                # a register's missing closing reading is the next chunk's first interval
                row = block[r, :w + 1] if chunk.last and cum[r] else block[r, :w]
                _add_gaps(gaps, ks[r], np.flatnonzero(np.isnan(row)) + a)
            if duplicated:
                _name_duplicates(plan, chunk, iv, report)
            if report or missing:
                continue  # bad data: keep reading, to name every problem, compute nothing
            grid = grids[iv][a:b].view("datetime64[ns]")
            problems: list[Problem] = []
            consumption = readings_to_consumption(
                inv, ks, grid, block if cum.any() else block[:, :w], cum, problems, rollovers)
            for p in problems:
                report.add("register", p)
            if problems:
                continue
            months_of = grid.astype("datetime64[M]")
            starts = np.flatnonzero(np.r_[True, months_of[1:] != months_of[:-1]])
            first = int((months_of[0] - np.datetime64(f"{year}-01", "M")).astype(int))
            monthly[ks, first:first + starts.size] = np.add.reduceat(consumption, starts, axis=-1)
            for name, role_rows_ in role_idx[iv].items():
                if role_rows_:
                    roles_acc[iv][name][a:b] = sum_rows(consumption, role_rows_)
            # the spike screen, each meter against its median over this chunk (the whole
            # year's median would need the whole series)
            for j, count, i, med in meter_checks.spikes(consumption):
                mid = inv.meters[ks[j]].id
                if mid in spiked:
                    spiked[mid][0] += count
                else:
                    spiked[mid] = [count, int(grid[i].view("int64")), float(consumption[j, i]),
                                   med, f"months {c0 + 1}-{c1} of {year}"]
            del consumption
        # free this chunk's blocks before the next chunk allocates its own
        del spans, block, chunk
    _report_gaps(inv, plan, gaps, report)
    if report:
        raise InputError(report.problems(inv, plan),
                         title=f"problems in the meter data of {inv.path} (read in chunks)")
    files = []
    for path in inv.data_files:
        rows = seen.get(path, 0)
        if path.suffix.lower() in (".parquet", ".pq") and \
                pq.ParquetFile(path).metadata.num_rows != rows:
            raise _refuse(inv, f"{path.name}: rows read in no chunk", f"year {year}")
        files.append({"path": str(path), "rows": rows})
    roles = [(iv, grids[iv].view("datetime64[ns]"), roles_acc[iv]) for iv, ks in members.items()
             if any(role_idx[iv].values())]
    ids = [inv.meters[k].id for ks in members.values() for k in ks]
    order = [k for ks in members.values() for k in ks]
    members_of = {}
    for iv, ks in members.items():
        group_ids = [inv.meters[k].id for k in ks]
        members_of[iv] = {name: frozenset(group_ids[j] for j in r)
                          for name, r in role_idx[iv].items()}
        members_of[iv]["all"] = frozenset(group_ids)
    warnings = [meter_checks.spike_warning(mid, *hit) for mid, hit in spiked.items()]
    return ChunkedMeterData(meter_ids=ids, monthly_totals=monthly[order], roles=roles,
                            files=files, rollovers=rollovers, chunks=nchunks,
                            peak_block_bytes=peak, members=members_of, warnings=warnings)


def _pick(values, convert: Callable[[Any], object] | None = None) -> Callable[[int], object]:
    """``found(j)`` for :meth:`_Report.rows`: the ``j``-th of ``values`` (converted)."""
    def found(j: int) -> object:
        return values[j] if convert is None else convert(values[j])
    return found


def _scatter_sink(chunk: _Chunk) -> Callable:
    """Copy each group's rows into its block, counting them (``chunk.counted``)."""
    chunk.counted = dict.fromkeys(chunk.spans, 0)

    def sink(path, iv, rows, slots, values, file_rows):
        real = ~np.isnan(values)  # an empty or NaN reading is a missing one: the cell stays empty
        if not real.all():
            rows, slots, values = rows[real], slots[real], values[real]
        chunk.spans[iv][2][rows, slots] = values
        chunk.counted[iv] += rows.size
    return sink


def _missing_rows(block: np.ndarray, slab: int = 256) -> list[int]:
    """Rows of ``block`` with an empty cell, checked a slab of rows at a time (no full-size
    boolean temporary)."""
    out: list[int] = []
    for r0 in range(0, block.shape[0], slab):
        part = np.isnan(block[r0:r0 + slab]).any(axis=1)
        out.extend((np.flatnonzero(part) + r0).tolist())
    return out


def _add_gaps(gaps: dict[int, list], meter: int, slots: np.ndarray) -> None:
    """Record a meter's missing slots as runs, joining a run that goes on from the last chunk."""
    if not slots.size:
        return
    entry = gaps.setdefault(meter, [0, []])
    entry[0] += int(slots.size)
    breaks = np.flatnonzero(np.diff(slots) > 1)
    starts = np.r_[slots[0], slots[breaks + 1]]
    ends = np.r_[slots[breaks], slots[-1]]
    runs = entry[1]
    for s0, s1 in zip(starts.tolist(), ends.tolist()):
        if runs and runs[-1][1] + 1 == s0:
            runs[-1][1] = s1
        elif len(runs) <= 5:  # five are shown, a sixth says there are more
            runs.append([s0, s1])


def _report_gaps(inv: Inventory, plan: _Plan, gaps: dict[int, list], report: _Report) -> None:
    """Missing intervals per meter, worded as the in-memory reader words them."""
    files = [p.name for p in inv.data_files]
    for k, m in enumerate(inv.meters):
        if report.meter_rows[k] == 0:
            report.add("no data", Problem(file=str(inv.path), row=m.table, field="id", found=m.id,
                                          message="declared meter has no data in any file",
                                          expected=f"rows with meter={m.id!r} in {files}"))
    for iv, ks in plan.members.items():
        grid = plan.grids[iv]
        n = grid.size
        for k in ks:
            if k not in gaps:
                continue
            count, runs = gaps[k]
            m = inv.meters[k]

            def label(g0: int, g1: int) -> str:
                start = _fmt_ts(grid[g0]) if g0 < n else _fmt_ts(plan.end_ns)
                return start + (f" .. {_fmt_ts(grid[min(g1, n - 1)])}" if g1 > g0 else "")

            shown = ", ".join(label(*r) for r in runs[:5])
            policy = "" if inv.gap_policy == "error" else (
                f" (gap_policy {inv.gap_policy!r} is applied by the in-memory reader only: "
                "compute without a memory limit to fill them)")
            report.add("missing intervals", Problem(
                file=str(inv.path), row=m.table, field="data",
                found=f"{count} missing intervals: {shown}" + (" ..." if len(runs) > 5 else ""),
                message=f"meter {m.id!r} has missing intervals" + policy,
                expected="a reading for every interval, or [data] gap_policy = 'zero' or "
                         "'linear' to fill them (fills are reported)"))


def _name_duplicates(plan: _Plan, chunk: _Chunk, iv: str, report: _Report) -> None:
    """Name the rows of group ``iv`` that share a cell: two more passes over the chunk, the
    block reused to count the rows of each cell (no memory beyond the chunk's)."""
    a, b, occupancy = chunk.spans[iv]
    occupancy[:] = 0.0
    grid = plan.grids[iv]
    ks = plan.members[iv]

    def count(path, g, rows, slots, values, file_rows):
        if g == iv:
            np.add.at(occupancy, (rows, slots), 1.0)

    def name(path, g, rows, slots, values, file_rows):
        if g != iv:
            return
        dup = np.flatnonzero(occupancy[rows, slots] > 1)
        if dup.size:
            at = slots[dup] + a
            when = np.where(at < grid.size, grid[np.minimum(at, grid.size - 1)], plan.end_ns)
            report.rows("duplicated interval", path, file_rows[dup],
                        message="duplicated interval", field="timestamp",
                        found=lambda j: f"{plan.inv.meters[ks[rows[dup[j]]]].id} at "
                                        f"{_fmt_ts(when[j])}",
                        expected="one reading per meter and interval")

    _read_pass(plan, chunk, None, {}, count)
    _read_pass(plan, chunk, None, {}, name)
