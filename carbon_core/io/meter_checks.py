"""Checks on meter data beyond the format: integrity, registers, coarser blocks, magnitudes.

Called from :mod:`carbon_core.io.meters` (the readers stay about reading):

- **Parquet integrity.** :func:`parquet_checksums` says whether a file's data pages carry CRC-32
  page checksums (the optional ``crc`` field of the Parquet ``PageHeader``,
  https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift); the
  readers verify them (``page_checksum_verification=True``), so a flipped bit in a value is an
  error, not a silently different Scope 2. A file without checksums is read and its absence noted
  in ``provenance.input_files[].page_checksums``. :data:`WRITE_OPTIONS` are the options every
  Parquet file the project writes uses.
- **Registers.** :func:`register_problem` reports a register that goes backwards, or a decrease
  that the declared rollover modulus does not explain, with the meter, the timestamp, both
  readings and the data file and row of the reading (located in the files only on this failure
  path). Negative register readings are refused by the readers.
- **Coarser blocks.** :func:`coarse_blocks` finds stretches of a finer meter where readings come
  only every k-th interval, aligned to a coarser grid (hourly sums in a 15-minute meter): the gaps
  between them are not missing data to interpolate; ``gap_policy = "linear"`` would multiply the
  block's consumption. They are refused under ``"error"`` and ``"linear"`` and named; under
  ``"zero"`` (which keeps each sum once) they are a data-quality warning.
- **Magnitudes.** :func:`magnitude_warnings` flags readings orders of magnitude above the
  meter's own median and intensities below any physical value, as data-quality warnings in
  ``data_quality.warnings`` and on the terminal; nothing is clamped or dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import Problem

__all__ = ["WRITE_OPTIONS", "parquet_checksums", "register_problem", "coarse_blocks",
           "coarse_block_problems", "magnitude_warnings", "spikes", "spike_warning", "intensity_warnings",
           "SPIKE_RATIO", "describe_unreadable", "after_read", "file_warnings"]

#: Options for every Parquet file carbon_core writes: page checksums on (verified on read).
WRITE_OPTIONS = {"write_page_checksum": True}

#: A reading this many times the meter's own median of positive readings is flagged.
SPIKE_RATIO = 1000.0


# -- Parquet page checksums ------------------------------------------------------------------

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while i < len(buf):
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
    raise ValueError("truncated varint")


def _page_has_crc(header: bytes) -> bool:
    """Whether a Thrift-compact ``PageHeader`` has field 4 (``crc``).

    Fields 1-3 (type, uncompressed and compressed size) are required i32 fields written in
    order, each as a field header byte ``0x15`` (delta 1, type i32) and a zigzag varint; the
    ``crc`` is the optional i32 field 4 that follows them.
    """
    i = 0
    for _ in range(3):
        if i >= len(header) or header[i] != 0x15:
            raise ValueError("not a Parquet page header")
        _, i = _varint(header, i + 1)
    return i < len(header) and header[i] == 0x15


def parquet_checksums(path: str | Path) -> str:
    """``"present"`` (every column chunk's first page has a CRC), ``"absent"``, ``"partial"``,
    or ``"unknown"`` (the footer cannot be read: the reader reports why).

    Only the first page of each column chunk (its dictionary page when it has one) is looked
    at.

    Parameters
    ----------
    path : str or Path
        A Parquet file.

    Returns
    -------
    str
        ``"present"``, ``"absent"``, ``"partial"`` or ``"unknown"``; never raises.

    References
    ----------
    Apache Parquet format, ``parquet.thrift``: ``PageHeader`` field 4, the optional CRC-32
    checksum of the page (https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift).

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"x": [1.0, 2.0]}), os.path.join(d, "a.parquet"), **WRITE_OPTIONS)
    >>> parquet_checksums(os.path.join(d, "a.parquet"))
    'present'
    >>> pq.write_table(pa.table({"x": [1.0, 2.0]}), os.path.join(d, "b.parquet"))
    >>> parquet_checksums(os.path.join(d, "b.parquet"))
    'absent'
    """
    import pyarrow.parquet as pq

    try:
        md = pq.ParquetFile(path).metadata
        flags = []
        with open(path, "rb") as fh:
            for rg in range(md.num_row_groups):
                group = md.row_group(rg)
                for c in range(group.num_columns):
                    col = group.column(c)
                    off = (col.dictionary_page_offset if col.has_dictionary_page
                           and col.dictionary_page_offset else col.data_page_offset)
                    fh.seek(off)
                    flags.append(_page_has_crc(fh.read(32)))
    except Exception:  # noqa: BLE001 - a damaged footer is reported by the reader itself
        return "unknown"
    if flags and all(flags):
        return "present"
    return "partial" if any(flags) else "absent"


# -- registers -------------------------------------------------------------------------------

def _fmt(ns: int) -> str:
    return str(np.datetime64(int(ns), "ns").astype("datetime64[s]"))


def register_problem(inv, meter, grid: np.ndarray, regs: np.ndarray, i: int,
                     kind: str, locate=None) -> Problem:
    """A register problem at interval ``i`` (reading ``i`` -> ``i + 1``), named fully.

    Parameters
    ----------
    inv : Inventory
        The inventory (its path, data files and reporting year name the problem).
    meter : Meter
        The cumulative meter.
    grid : ndarray of datetime64[ns]
        Interval starts; reading ``i + 1`` is at ``grid[i + 1]`` (or the next year's start).
    regs : ndarray
        The register readings, one more than intervals.
    i : int
        Index of the first reading of the decreasing pair.
    kind : {"backwards", "modulus"}
        A decrease without a declared rollover, or one the declared modulus does not explain.
    locate : callable, optional
        ``locate(files, meter_id, ts_ns) -> (file, row) or None``, the reader's way of finding
        the reading in its file (:func:`carbon_core.io.meters.locate_reading`); without it the
        problem names the inventory's meter table.

    Returns
    -------
    Problem
        Naming the meter, both readings and their timestamps, and the data file and row of the
        second reading when it was found (else the meter's table in the inventory).
    """
    n = grid.size
    nxt = (int(grid[i + 1].view("int64")) if i + 1 < n else
           int(np.datetime64(f"{inv.reporting_year + 1}-01-01", "ns").view("int64")))
    before, after = float(regs[i]), float(regs[i + 1])
    where = None if locate is None else locate(inv.data_files, meter.id, nxt)
    found = f"({before} -> {after}) from {_fmt(int(grid[i].view('int64')))} to {_fmt(nxt)}"
    if kind == "backwards":
        message = (f"cumulative meter {meter.id!r} decreases (goes backwards) at {_fmt(nxt)}"
                   + (f" (declared in {meter.table})" if meter.table else ""))
        expected = ("a non-decreasing register, or its rollover modulus in [[meters]] "
                    "(e.g. rollover = 100000000)")
        field = "value"
    else:
        message = (f"meter {meter.id!r}: the decrease at {_fmt(nxt)} is not one rollover of "
                   f"the declared modulus {meter.rollover:g} ({meter.table})")
        expected = ("the register's real modulus (after a rollover the reading restarts near "
                    "0: consumption = modulus - before + after must be small and >= 0)")
        field = "value"
    if where is None:
        return Problem(file=str(inv.path), row=meter.table, field="rollover", found=found,
                       message=message, expected=expected)
    return Problem(file=where[0], row=where[1], field=field, found=found, message=message,
                   expected=expected)


# -- coarser blocks --------------------------------------------------------------------------

_FACTORS = {"15min": {"1h": 4}, "1h": {"1D": 24}}


def coarse_blocks(present: np.ndarray, interval: str, *, min_periods: int = 2
                  ) -> list[tuple[int, int, str]]:
    """Stretches where a meter's readings come only every k-th interval.

    Parameters
    ----------
    present : ndarray of bool, shape (n,)
        Intervals with a reading.
    interval : str
        The meter's declared interval (``"15min"``, ``"1h"``).
    min_periods : int
        Coarser periods in a row needed to call it a block.

    Returns
    -------
    list of (first interval, last interval, coarser interval)
        Inclusive interval indices of each block.

    Examples
    --------
    >>> p = np.ones(24, bool); p[8:16] = False; p[8:16:4] = True   # hourly in 15-min, 2 hours
    >>> coarse_blocks(p, "15min")
    [(8, 15, '1h')]
    """
    out = []
    for coarser, k in _FACTORS.get(interval, {}).items():
        n = present.size - present.size % k
        if n < k * min_periods:
            continue
        periods = present[:n].reshape(-1, k)
        pattern = periods[:, 0] & ~periods[:, 1:].any(axis=1)  # only the first of each period
        if not pattern.any():
            continue
        edges = np.flatnonzero(np.diff(np.r_[0, pattern.astype(np.int8), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= min_periods:
                out.append((int(a * k), int(b * k - 1), coarser))
    return out


def coarse_block_problems(inv, members: Sequence[int], grid: np.ndarray, absent: np.ndarray,
                          interval: str) -> tuple[list[Problem], list[dict], np.ndarray]:
    """Coarser blocks of every meter of a group: (problems, warnings, mask of their cells).

    Under ``gap_policy`` ``"error"`` or ``"linear"`` each block is a problem (linear would
    interpolate across it); under ``"zero"`` a warning. The returned mask marks the block's
    empty intervals, so the gap filler never interpolates there.

    Parameters
    ----------
    inv : Inventory
        The inventory (meters, path and ``gap_policy``).
    members : sequence of int
        Index in ``inv.meters`` of each row of ``absent``.
    grid : numpy.ndarray of datetime64[ns]
        The group's interval starts.
    absent : numpy.ndarray of bool, shape (meters, n or more)
        True where an interval has no reading; only the first ``grid.size`` columns are used.
    interval : str
        The group's interval (``"15min"``, ``"1h"``; other intervals have no coarser blocks
        to look for).

    Returns
    -------
    problems : list of Problem
        One per block under ``"error"`` or ``"linear"``.
    warnings : list of dict
        One ``"coarser_block"`` warning per block under ``"zero"``.
    mask : numpy.ndarray of bool
        Shape of ``absent``: True on the empty intervals inside a block.
    """
    n = grid.size
    mask = np.zeros_like(absent)
    problems, warnings = [], []
    for r, k in enumerate(members):
        if not absent[r, :n].any():
            continue
        for a, b, coarser in coarse_blocks(~absent[r, :n], interval):
            m = inv.meters[k]
            mask[r, a:b + 1] = absent[r, a:b + 1]
            text = (f"meter {m.id!r}: {coarser} readings inside a {interval} meter from "
                    f"{_fmt(int(grid[a].view('int64')))} to {_fmt(int(grid[b].view('int64')))} "
                    f"(one reading every {_FACTORS[interval][coarser]} intervals)")
            if inv.gap_policy == "zero":
                warnings.append({"kind": "coarser_block", "meter": m.id, "message": text
                                 + "; kept as read, the gaps between filled with zero"})
            else:
                problems.append(Problem(
                    file=str(inv.path), row=m.table, field="interval", found=text,
                    message=f"coarser data inside a finer meter ({coarser} sums in a "
                            f"{interval} meter); not interpolated",
                    expected=f"{interval} readings, or the block declared as a separate "
                             f"{coarser} meter (gap_policy 'linear' never interpolates across "
                             "it)"))
    return problems, warnings, mask


# -- magnitudes ------------------------------------------------------------------------------

def magnitude_warnings(groups: dict, inv, threads: int = 1) -> list[dict]:
    """Readings more than :data:`SPIKE_RATIO` times the meter's own median positive reading.

    A heuristic screen, not a rule: the reading is kept; the warning names meter, time and value
    so a person can check the source (a unit slip, a register glitch).

    Parameters
    ----------
    groups : dict of str to SeriesGroup
        The read meter data by interval (:attr:`carbon_core.io.meters.MeterData.groups`).
    inv : Inventory
        The inventory read (not used by the screen; taken for a uniform call).
    threads : int
        Threads that screen blocks of meters at once (:func:`spikes`).

    Returns
    -------
    list of dict
        One ``"implausible_reading"`` warning per meter with such readings
        (:func:`spike_warning`).
    """
    out = []
    for g in groups.values():
        for r, count, i, med in spikes(g.values, threads=threads):
            out.append(spike_warning(g.meters[r], count, int(g.time[i].view("int64")),
                                     float(g.values[r, i]), med))
    return out


#: Readings per block of meter rows the spike screen works on: its two boolean masks are this
#: many bytes each, per thread (1 MiB: in cache, and 0.06 s for 1,000 meters x a year on two
#: threads, against 0.08 s for blocks four times as large).
SPIKE_BLOCK = 1 << 20


def spikes(values: np.ndarray, threads: int = 1) -> list[tuple[int, int, int, float]]:
    """Readings above :data:`SPIKE_RATIO` times their meter's median positive reading.

    Works through the meters in blocks of about :data:`SPIKE_BLOCK` readings, so that its
    temporaries (two boolean masks of a block, :data:`SPIKE_BLOCK` bytes each, per thread)
    stay the same whatever the size of ``values``. No median is taken for a meter that cannot
    have such a reading: when fewer than half of its ``k`` positive readings (``ceil(k / 2)``)
    lie below its largest reading divided by the ratio, the median is at least that quotient,
    and no reading exceeds the ratio times the median (the quotient is raised by 1e-9
    relative, far above the rounding of the ratio's product, so the test never passes over a
    flagged meter). The median of the others is the ``numpy.median`` of their positive
    readings, as before.

    Parameters
    ----------
    values : numpy.ndarray
        Consumption per meter and interval [canonical unit], shape (meters, intervals).
    threads : int
        Blocks screened at once (numpy releases the GIL); the result does not depend on it.

    Returns
    -------
    list of (int, int, int, float)
        For each meter with such readings, in row order: its row, how many, the index of the
        first, and the median. A meter with fewer than ten positive readings is not judged.
    """
    if values.size == 0:
        return []
    step = max(1, SPIKE_BLOCK // max(values.shape[1], 1))
    starts = range(0, values.shape[0], step)
    if threads <= 1 or len(starts) == 1:
        found = [_block_spikes(values, r0, step) for r0 in starts]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:  # map keeps the blocks' order
            found = list(pool.map(lambda r0: _block_spikes(values, r0, step), starts))
    return [hit for block in found for hit in block]


def _block_spikes(values: np.ndarray, r0: int, rows: int) -> list[tuple[int, int, int, float]]:
    """:func:`spikes` of the meters ``r0`` to ``r0 + rows``."""
    block = values[r0:r0 + rows]
    n = block.shape[1]
    positive = block > 0  # NaN is not positive
    count = np.count_nonzero(positive, axis=1)
    enough = count >= 10
    if not enough.any():
        return []
    # the largest positive reading, 0 where none: fmax passes over NaN, and the maximum of the
    # positive readings is the maximum of all readings whenever one is positive
    top = np.fmax.reduce(block, axis=1, initial=0.0)
    quotient = top / SPIKE_RATIO * (1.0 + 1e-9)
    low = np.less(block, quotient[:, None])
    low &= positive
    below = np.count_nonzero(low, axis=1)
    out = []
    for k in np.flatnonzero(enough & (below >= (count + 1) // 2)):
        row = block[k]
        med = float(np.median(row if count[k] == n else row[positive[k]]))
        hit = np.flatnonzero(row > SPIKE_RATIO * med)
        if hit.size:
            out.append((r0 + int(k), int(hit.size), int(hit[0]), med))
    return out


def spike_warning(meter_id: str, count: int, first_ns: int, value: float, median: float,
                  over: str = "") -> dict:
    """The data-quality warning of :func:`spikes` for one meter.

    Parameters
    ----------
    meter_id : str
        The meter.
    count : int
        Intervals above the ratio.
    first_ns : int
        Start of the first such interval [ns since the epoch, China time].
    value : float
        Its reading [canonical unit].
    median : float
        The median it is compared with [canonical unit].
    over : str
        What the median was taken over, when not the whole year (the chunked reader: a chunk).

    Returns
    -------
    dict
        ``kind = "implausible_reading"``, ``meter`` and ``message``.
    """
    span = f" over {over}" if over else ""
    return {"kind": "implausible_reading", "meter": meter_id,
            "message": f"meter {meter_id!r}: {count} interval(s) above {SPIKE_RATIO:g} x its "
                       f"median{span} ({median:.6g}); first at {_fmt(first_ns)}: {value:.6g} "
                       "(canonical unit); kept as read"}


#: Intensities below these cannot be physical for a factory that used any energy: 1 gram
#: CO2e or 1 gram of coal equivalent per 万元 of value added (heuristic floors, far below the
#: least carbon-intensive industries).
_INTENSITY_FLOORS = {"tco2e_per_wan_cny": 1e-6, "tce_per_wan_cny": 1e-6}


def intensity_warnings(intensities: dict[str, Any], total_tco2e: float,
                       total_tce: float) -> list[dict]:
    """Intensities below any physical value (a value added or output typed in the wrong unit).

    The floors are heuristic, far below the least carbon-intensive industries: 1e-6 tCO2e and
    1e-6 tce per 万元 of value added (one gram per 万元).

    Parameters
    ----------
    intensities : dict of str to float or None
        Intensities by name; ``tco2e_per_wan_cny`` [tCO2e/万元] and ``tce_per_wan_cny``
        [tce/万元] are screened, others ignored.
    total_tco2e : float
        Total emissions [tCO2e]; the CO2e intensity is only judged when it is positive.
    total_tce : float
        Comprehensive energy consumption [tce]; likewise for the energy intensity.

    Returns
    -------
    list of dict
        One ``"implausible_intensity"`` warning per intensity below its floor.
    """
    out = []
    for key, floor in _INTENSITY_FLOORS.items():
        v = intensities.get(key)
        basis = total_tco2e if key.startswith("tco2e") else total_tce
        if v is not None and basis > 0 and 0 <= v < floor:
            out.append({"kind": "implausible_intensity", "metric": key,
                        "message": f"intensity {key} = {v:.3g} is below {floor:g}, less than a "
                                   "gram per 万元: check the value added and its unit "
                                   "(value_added_unit)"})
    return out


def after_read(inv, data, threads: int = 1) -> None:
    """The one call after reading: note page checksums per file, add magnitude warnings.

    Parameters
    ----------
    inv : Inventory
        The inventory read.
    data : MeterData
        The in-memory meter data; ``data.files`` and ``data.warnings`` are updated in place
        (:func:`file_warnings`, :func:`magnitude_warnings`).
    threads : int
        Threads of the magnitude screen (the reader passes its own, idle again by then).
    """
    file_warnings(data)
    data.warnings.extend(magnitude_warnings(data.groups, inv, threads=threads))


def file_warnings(data) -> None:
    """Note page checksums in each Parquet file's provenance entry (``page_checksums``) and warn
    of a file without them (a flipped bit could not be detected).

    Parameters
    ----------
    data : MeterData or ChunkedMeterData
        Read meter data; ``data.files`` and ``data.warnings`` are updated in place.
    """
    for f in data.files:
        if str(f["path"]).lower().endswith((".parquet", ".pq")):
            status = parquet_checksums(f["path"])
            f["page_checksums"] = status
            if status != "present":
                data.warnings.append({
                    "kind": "no_page_checksums", "file": f["path"],
                    "message": f"{Path(f['path']).name}: Parquet without page checksums "
                               f"({status}): a corrupted value cannot be detected (write it "
                               "with write_page_checksum=True)"})


def describe_unreadable(path: Path, exc: BaseException) -> str:
    """Why a meter file cannot be read, in words a person can act on (only on failure).

    Parameters
    ----------
    path : Path
        The meter file.
    exc : BaseException
        What the reader raised.

    Returns
    -------
    str
        For a CSV in UTF-16 or another encoding than UTF-8 (judged on its first 4 MiB; a
        GBK/GB18030 file is named as such, with the line of the first bad byte): that, and to
        save it as UTF-8; otherwise "damaged, truncated or not this format" with the reader's
        message.
    """
    import codecs

    text = str(exc)
    if Path(path).suffix.lower() == ".csv":
        try:
            with open(path, "rb") as fh:
                head = fh.read(1 << 22)
        except OSError:
            head = b""
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "the CSV is UTF-16 text; expected UTF-8 (save it as UTF-8)"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 4:  # not a character cut by the 4 MiB window
                guess = "GBK/GB18030" if _decodes(head, "gb18030") else "an unknown encoding"
                line = head[:err.start].count(b"\n") + 1
                return (f"the CSV is not UTF-8 (it looks like {guess}; first bad byte at line "
                        f"{line}); expected UTF-8 (save it as UTF-8)")
    return f"damaged, truncated or not this format ({text})"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False
