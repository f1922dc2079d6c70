"""Meter data larger than memory: the year read in time chunks, peak memory bounded by the chunk.

Monthly totals per meter and electricity series by role are sums over time, so they can be
built month by month and combine exactly. Each chunk (one or more calendar months) is read from
the files (Parquet row groups whose timestamp statistics miss the chunk are skipped; a CSV is
streamed again for each chunk), checked and scattered into a (meters x chunk intervals) block
exactly as the in-memory fast path does, reduced to its monthly totals and role series, and freed.
Each month is summed by the same kernel over the same values as in memory
(``np.add.reduceat`` on the month's intervals; :func:`~carbon_core.io.meters.sum_rows` for the
roles), so the numbers are identical to :func:`~carbon_core.io.meters.read_meter_data`'s.

Scope: the chunked path takes complete, valid data (what a metering system exports for a large
site). A file with gaps or duplicates, off-grid or out-of-year timestamps, unknown meters or
invalid readings is refused with the chunk and the kind of problem; the row-by-row report of the
in-memory reader needs the file in memory. Gap filling is not done here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..io import meter_checks
from ..io.inventory import Inventory
from ..io.meters import (COLUMNS, _BATCH_ROWS, _CHINA_OFFSET_NS, _NS, ROLE_SERIES, _consumption,
                         _csv_batches, _NotFast, file_sha256, resample_sum, role_rows, sum_rows,
                         year_grid)

__all__ = ["ChunkedMeterData", "read_chunked", "months_per_chunk", "parse_bytes",
           "array_bytes", "read_within"]

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_bytes(text: str | int) -> int:
    """A memory size: ``"512MB"``, ``"2GiB"``, ``"1.5 GB"`` or a number of bytes.

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
    """Size of the in-memory (meters x intervals) float64 arrays of ``inv`` [bytes]."""
    return sum(8 * (year_grid(inv.reporting_year, m.interval).size + 1) for m in inv.meters)


def read_within(inv: Inventory, memory_bytes: int, *, progress=None):
    """The in-memory reader when its arrays fit in half of ``memory_bytes``, else chunked."""
    if array_bytes(inv) * 2 <= memory_bytes:
        from ..io.meters import read_meter_data

        return read_meter_data(inv, progress=progress)
    return read_chunked(inv, memory_bytes=memory_bytes, progress=progress)


@dataclass
class ChunkedMeterData:
    """Meter data reduced chunk by chunk: what the engine needs, never the full array.

    Same interface as :class:`~carbon_core.io.meters.MeterData` for the engine and the results:
    :meth:`monthly`, :meth:`role_sums`, ``files``, ``fills``, ``rollovers``.
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
        return self.meter_ids, self.monthly_totals

    def role_sums(self, inv: Inventory) -> list[tuple[str, np.ndarray, dict[str, np.ndarray]]]:
        return self.roles

    def role_series(self, weights, interval: str, year: int) -> dict[str, np.ndarray]:
        """The backend protocol's role series, from the series summed while reading.

        Only the electricity series by role (:data:`~carbon_core.io.meters.ROLE_SERIES`, weight 1
        per meter) were kept; any other request is refused (the arrays are gone).
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


def months_per_chunk(inv: Inventory, memory_bytes: int | None) -> int:
    """Calendar months per chunk so that a chunk's block (and its read batches) fits in
    ``memory_bytes``; one month at least, twelve when no limit is given."""
    if not memory_bytes:
        return 12
    per_month = sum(8 * (year_grid(inv.reporting_year, m.interval).size / 12 + 1)
                    for m in inv.meters)
    budget = memory_bytes - min(64 * _BATCH_ROWS, memory_bytes // 2)  # the batches being read
    return int(max(1, min(12, budget // (2 * per_month))))


def _parquet_chunk_batches(path: Path, lo: int, hi: int) -> Iterator[pa.RecordBatch]:
    """Batches of the row groups whose timestamp range meets [lo, hi] (China-time ns)."""
    pf = pq.ParquetFile(path, read_dictionary=["meter"], page_checksum_verification=True)
    ts_field = pf.schema_arrow.field("timestamp").type
    col = pf.schema_arrow.get_field_index("timestamp")
    unit = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[ts_field.unit]
    shift = _CHINA_OFFSET_NS if ts_field.tz is not None else 0
    keep = []
    for rg in range(pf.num_row_groups):
        st = pf.metadata.row_group(rg).column(col).statistics
        if st is not None and st.has_min_max:
            a = np.datetime64(st.min, "ns").view("int64") if not isinstance(st.min, int) \
                else st.min * unit
            b = np.datetime64(st.max, "ns").view("int64") if not isinstance(st.max, int) \
                else st.max * unit
            if b + shift < lo or a + shift > hi:
                continue
        keep.append(rg)
    if keep:
        yield from pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=keep,
                                   columns=list(COLUMNS), use_threads=True)


def _refuse(inv: Inventory, what: str, where: str) -> InputError:
    return InputError([Problem(
        file=str(inv.path), field="data", found=where, message=f"chunked read: {what}",
        expected="complete, valid meter data (read the file in memory, `carbon compute` "
                 "without a memory limit, for the row-by-row report)")])


def read_chunked(inv: Inventory, *, memory_bytes: int | None = None, months: int | None = None,
                 progress: Callable[..., None] | None = None) -> ChunkedMeterData:
    """Read an inventory's meter files chunk by chunk.

    Parameters
    ----------
    inv : Inventory
    memory_bytes : int, optional
        Memory the chunk may use [bytes]; sets the months per chunk (:func:`months_per_chunk`).
    months : int, optional
        Months per chunk (overrides ``memory_bytes``).

    Returns
    -------
    ChunkedMeterData
        Monthly totals and role series identical to the in-memory reader's.

    Raises
    ------
    InputError
        Data the chunked path does not take (see the module docstring), naming the chunk.
    """
    year = inv.reporting_year
    step_months = months or months_per_chunk(inv, memory_bytes)
    members: dict[str, list[int]] = {}
    for k, m in enumerate(inv.meters):
        members.setdefault(m.interval, []).append(k)
    grids = {iv: year_grid(year, iv) for iv in members}
    month_bounds = np.arange(np.datetime64(f"{year}-01", "M"), np.datetime64(f"{year + 1}-02", "M"),
                             dtype="datetime64[M]").astype("datetime64[ns]").view("int64")
    pos_of = {m.id: k for k, m in enumerate(inv.meters)}
    cumulative = np.array([m.reading == "cumulative" for m in inv.meters], dtype=bool)
    monthly = np.zeros((len(inv.meters), 12))
    roles_acc = {iv: {name: np.zeros(g.size) for name in ROLE_SERIES} for iv, g in grids.items()}
    role_idx = {iv: role_rows(inv, [inv.meters[k].id for k in ks]) for iv, ks in members.items()}
    rollovers: list[dict] = []
    rows_seen = {p: 0 for p in inv.data_files}
    peak = 0
    nchunks = 0
    start_ns = np.datetime64(f"{year}-01-01", "ns").view("int64")
    for c0 in range(0, 12, step_months):
        c1 = min(12, c0 + step_months)
        lo, hi = int(month_bounds[c0]), int(month_bounds[c1])  # [lo, hi), plus hi for registers
        nchunks += 1
        label = f"months {c0 + 1}-{c1} of {year}"
        if progress:
            progress(f"reading {label}", c0, 12)
        # per interval group: the chunk's slots [a, b) and a closing column b
        spans = {}
        for iv, g in grids.items():
            gi = g.view("int64")
            a, b = int(np.searchsorted(gi, lo)), int(np.searchsorted(gi, hi))
            spans[iv] = (a, b, np.full((len(members[iv]), b - a + 1), np.nan))
        peak = max(peak, sum(s[2].nbytes for s in spans.values()))
        local = np.zeros(len(inv.meters), np.int64)
        for iv, ks in members.items():
            local[ks] = np.arange(len(ks))
        group_of = np.zeros(len(inv.meters), np.int64)
        ivs = list(members)
        for gi, iv in enumerate(ivs):
            group_of[members[iv]] = gi
        counted = 0
        for path in inv.data_files:
            suffix = path.suffix.lower()
            try:
                batches = (_parquet_chunk_batches(path, lo, hi) if suffix in (".parquet", ".pq")
                           else _csv_batches(path, None))
                for batch in batches:
                    counted += _scatter_chunk(inv, batch, pos_of, members, ivs, group_of, local,
                                              spans, start_ns, lo, hi, rows_seen, path, label)
            except (pa.ArrowInvalid, OSError) as exc:
                raise _refuse(inv, f"cannot read {path.name}: {exc}", label) from None
            except _NotFast:
                raise _refuse(inv, f"{path.name} does not parse as typed CSV (timestamp, "
                                   "meter, value)", label) from None
        expected = sum(len(ks) * (spans[iv][1] - spans[iv][0]) for iv, ks in members.items())
        if counted != expected:
            raise _refuse(inv, f"{counted} readings for {expected} intervals (gaps or "
                               "duplicates)", label)
        for iv, ks in members.items():
            a, b, block = spans[iv]
            if np.isnan(block[:, :b - a]).any():
                raise _refuse(inv, "missing or duplicated intervals", label)
            cum = cumulative[ks]
            if cum.any() and np.isnan(block[cum, b - a]).any():
                raise _refuse(inv, "a cumulative register without its closing reading", label)
            problems: list[Problem] = []
            grid = grids[iv][a:b]
            if not cum.any():
                block = block[:, :b - a]
            consumption = _consumption(inv, ks, grid, block, cum, problems, rollovers)
            if problems:
                raise InputError(problems)
            # months of this group inside the chunk, each summed as in memory
            months_of = grid.astype("datetime64[M]")
            starts = np.flatnonzero(np.r_[True, months_of[1:] != months_of[:-1]])
            sums = np.add.reduceat(consumption, starts, axis=-1)
            first = int((months_of[0] - np.datetime64(f"{year}-01", "M")).astype(int))
            monthly[ks, first:first + starts.size] = sums
            for name, r in role_idx[iv].items():
                if r:
                    roles_acc[iv][name][a:b] = sum_rows(consumption, r)
        del spans
    files = []
    for p in inv.data_files:
        files.append({"path": str(p), "rows": _file_rows(p), "sha256": file_sha256(p)})
        if files[-1]["rows"] != rows_seen[p]:  # every row was in exactly one chunk
            raise _refuse(inv, f"{files[-1]['rows'] - rows_seen[p]} rows of {p.name} outside "
                               "the reporting year", f"year {year}")
    roles = [(iv, grids[iv], roles_acc[iv]) for iv, ks in members.items()
             if any(role_idx[iv].values())]
    ids = [inv.meters[k].id for ks in members.values() for k in ks]
    order = [k for ks in members.values() for k in ks]
    members_of = {}
    for iv, ks in members.items():
        group_ids = [inv.meters[k].id for k in ks]
        members_of[iv] = {name: frozenset(group_ids[j] for j in r)
                          for name, r in role_idx[iv].items()}
        members_of[iv]["all"] = frozenset(group_ids)
    data = ChunkedMeterData(meter_ids=ids, monthly_totals=monthly[order], roles=roles,
                            files=files, rollovers=rollovers, chunks=nchunks,
                            peak_block_bytes=peak, members=members_of)
    # page checksums noted as in memory; the spike screen (meter_checks.magnitude_warnings)
    # needs each meter's whole series and is not run on this path
    meter_checks.file_warnings(data)
    return data


def _file_rows(path: Path) -> int:
    if path.suffix.lower() in (".parquet", ".pq"):
        return pq.ParquetFile(path).metadata.num_rows
    return sum(b.num_rows for b in _csv_batches(path, None))


def _scatter_chunk(inv, batch, pos_of, members, ivs, group_of, local, spans, start_ns, lo, hi,
                   rows_seen, path, label) -> int:
    """Scatter the rows of one batch that fall in the chunk; return the rows in [lo, hi)."""
    ts_col, m_col, v_col = (batch.column(c) for c in COLUMNS)
    if ts_col.null_count or m_col.null_count or v_col.null_count:
        raise _refuse(inv, f"empty cells in {path.name}", label)
    if not pa.types.is_dictionary(m_col.type):
        m_col = pc.dictionary_encode(m_col)
    unit = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[ts_col.type.unit]
    ts = ts_col.to_numpy(zero_copy_only=True).view(np.int64) * unit
    if ts_col.type.tz is not None:
        ts = ts + _CHINA_OFFSET_NS
    sel = (ts >= lo) & (ts <= hi)
    rows_seen[path] += int(np.count_nonzero(ts < hi) - np.count_nonzero(ts < lo))
    if not sel.any():
        return 0
    last_chunk = hi == int(np.datetime64(f"{inv.reporting_year + 1}-01-01", "ns").view("int64"))
    lookup = np.array([pos_of.get(s, -1) for s in m_col.dictionary.to_pylist()], np.int64)
    pos = lookup[m_col.indices.to_numpy()[sel]]
    if pos.size and pos.min() < 0:
        raise _refuse(inv, f"{path.name} names meters the inventory does not declare", label)
    values = v_col.to_numpy()[sel].astype(np.float64, copy=False)
    ts = ts[sel]
    if not np.isfinite(values).all():
        raise _refuse(inv, f"readings that are not finite numbers in {path.name}", label)
    counted = 0
    for gi, iv in enumerate(ivs):
        mine = group_of[pos] == gi if len(ivs) > 1 else slice(None)
        p, t, v = pos[mine], ts[mine], values[mine]
        a, b, block = spans[iv]
        if iv == "1MS":
            months = t.view("datetime64[ns]").astype("datetime64[M]")
            slot = (months - np.datetime64(f"{inv.reporting_year}-01", "M")).astype(np.int64)
            aligned = months.astype("datetime64[ns]").view("int64") == t
        else:
            rel = t - start_ns
            slot = rel // _NS[iv]
            aligned = slot * _NS[iv] == rel
        if not aligned.all():
            raise _refuse(inv, f"timestamps off the {iv} grid in {path.name}", label)
        cum = np.array([inv.meters[k].reading == "cumulative" for k in members[iv]])
        if (v < 0).any() and not cum[local[p[v < 0]]].all():
            raise _refuse(inv, f"negative readings on interval meters in {path.name}", label)
        inside = slot < b
        counted += int(np.count_nonzero(inside))
        closing = slot == b
        if closing.any():  # only registers carry a reading at the chunk's end, others skipped
            reg = closing & cum[local[p]]
            if last_chunk:  # the year's closing readings belong to no later chunk
                rows_seen[path] += int(np.count_nonzero(reg))
            keep = inside | reg
            p, slot, v = p[keep], slot[keep], v[keep]
        block[local[p], slot - a] = v
    return counted
