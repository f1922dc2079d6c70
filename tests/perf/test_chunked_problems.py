"""The chunked reader names bad rows as the in-memory reader does: file, row, meter, timestamp.

Each case corrupts a valid year of meter data in one way and reads it both ways; the chunked
reader (one month per chunk, and larger chunks) must raise an InputError whose problems are the
in-memory reader's: the same files, rows, fields, found values and messages.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from carbon_core.backends.chunked import read_chunked
from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meters import read_meter_data, year_grid
from factories import write_inventory

YEAR = 2024
METERS = [
    {"id": "g0", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
     "interval": "1h"},
    {"id": "g1", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
     "interval": "1h"},
    {"id": "exp", "carrier": "electricity", "unit": "MWh", "role": "export",
     "interval": "15min"},
    {"id": "reg", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
     "interval": "1h", "reading": "cumulative"},
    {"id": "gas", "carrier": "natural_gas", "unit": "Nm3", "role": "fuel", "interval": "1D"},
]


def _table(seed: int = 5) -> pa.Table:
    """A complete, valid year for METERS, rows by timestamp then meter (time-major)."""
    rng = np.random.default_rng(seed)
    ts, ids, vals = [], [], []
    for m in METERS:
        t = year_grid(YEAR, m["interval"])
        if m.get("reading") == "cumulative":
            t = np.r_[t, np.datetime64(f"{YEAR + 1}-01-01", "ns")]
            v = np.cumsum(rng.gamma(2.0, 3.0, t.size)) + 1000.0
        else:
            v = rng.gamma(2.0, 3.0, t.size)
        ts.append(t), ids.extend([m["id"]] * t.size), vals.append(v)
    ts, vals, ids = np.concatenate(ts), np.concatenate(vals), np.array(ids)
    order = np.lexsort((ids, ts))
    return pa.table({"timestamp": ts[order], "meter": ids[order], "value": vals[order]})


def _write(tmp_path, table: pa.Table, fmt: str):
    name = f"meters.{fmt}"
    if fmt == "parquet":
        pq.write_table(table, tmp_path / name, row_group_size=4000)
    else:
        pacsv.write_csv(table, tmp_path / name)
    return load_inventory(write_inventory(tmp_path, meters=METERS, year=YEAR, files=(name,)))


def _set(table: pa.Table, column: str, rows: list[int], values) -> pa.Table:
    col = table.column(column).to_pylist()
    for r, v in zip(rows, values):
        col[r] = v
    return table.set_column(table.schema.get_field_index(column), column,
                            pa.array(col, type=table.schema.field(column).type))


def _find(table: pa.Table, meter: str, when: str) -> int:
    ts = table.column("timestamp").to_numpy()
    ids = np.array(table.column("meter").to_pylist())
    return int(np.flatnonzero((ids == meter) & (ts == np.datetime64(when, "ns")))[0])


def _append(table: pa.Table, rows: list[tuple[str, str, float]]) -> pa.Table:
    extra = pa.table({"timestamp": pa.array([np.datetime64(t, "ns") for t, _, _ in rows]),
                      "meter": [m for _, m, _ in rows], "value": [v for _, _, v in rows]})
    return pa.concat_tables([table, extra.cast(table.schema)])


def _corrupt(kind: str, t: pa.Table) -> pa.Table:
    if kind == "gap":
        drop = {_find(t, "g0", f"{YEAR}-03-10T05:00"), _find(t, "g0", f"{YEAR}-03-10T06:00"),
                _find(t, "exp", f"{YEAR}-11-30T23:45"), _find(t, "exp", f"{YEAR}-12-01T00:00"),
                _find(t, "reg", f"{YEAR + 1}-01-01T00:00")}
        return t.filter(pa.array([i not in drop for i in range(t.num_rows)]))
    if kind == "duplicate":
        return _append(t, [(f"{YEAR}-05-02T03:00", "g1", 1.0), (f"{YEAR}-08-31T23:45", "exp", 2.0),
                           (f"{YEAR}-05-02T03:00", "g1", 3.0)])
    if kind == "off-grid":
        r = _find(t, "g0", f"{YEAR}-07-04T10:00")
        return _set(t, "timestamp", [r], [np.datetime64(f"{YEAR}-07-04T10:07", "ns")])
    if kind == "outside":
        return _append(t, [(f"{YEAR - 1}-12-31T23:00", "g0", 1.0),
                           (f"{YEAR + 1}-01-01T00:00", "g1", 1.0),
                           (f"{YEAR + 1}-03-01T00:00", "gas", 1.0)])
    if kind == "unknown":
        return _append(t, [(f"{YEAR}-02-01T00:00", "nobody", 1.0),
                           (f"{YEAR}-09-01T00:00", "ghost", 1.0)])
    if kind == "negative":
        rows = [_find(t, "g1", f"{YEAR}-01-15T00:00"), _find(t, "gas", f"{YEAR}-10-01T00:00")]
        return _set(t, "value", rows, [-4.0, -1.0])
    if kind == "infinite":
        return _set(t, "value", [_find(t, "exp", f"{YEAR}-06-01T12:15")], [float("inf")])
    if kind == "empty reading":
        return _set(t, "value", [_find(t, "g1", f"{YEAR}-04-01T00:00")], [None])
    if kind == "no data":
        ids = np.array(t.column("meter").to_pylist())
        return t.filter(pa.array(ids != "g1"))
    if kind == "many":  # more bad rows than are named one by one
        rows = [_find(t, "g0", f"{YEAR}-{mo:02d}-02T00:00") for mo in range(1, 13)]
        rows += [_find(t, "g1", f"{YEAR}-{mo:02d}-03T00:00") for mo in range(1, 13)]
        return _set(t, "value", rows, [-1.0] * len(rows))
    raise AssertionError(kind)


def _key(p):
    return (p.file, p.row, p.field, str(p.found), p.message, p.expected)


KINDS = ["gap", "duplicate", "off-grid", "outside", "unknown", "negative", "infinite",
         "empty reading", "no data", "many"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("kind", KINDS)
def test_chunked_names_the_rows_the_in_memory_reader_names(tmp_path, kind, fmt):
    inv = _write(tmp_path, _corrupt(kind, _table()), fmt)
    with pytest.raises(InputError) as mem:
        read_meter_data(inv)
    expected = sorted(map(_key, mem.value.problems))
    assert expected  # the corruption is a problem at all
    for months in (1, 5, 12):
        with pytest.raises(InputError) as ch:
            read_chunked(inv, months=months)
        assert sorted(map(_key, ch.value.problems)) == expected, months


def test_named_rows_carry_meter_timestamp_row_and_file(tmp_path):
    inv = _write(tmp_path, _corrupt("duplicate", _table()), "csv")
    with pytest.raises(InputError) as ch:
        read_chunked(inv, months=2)
    dups = [p for p in ch.value.problems if p.message == "duplicated interval"]
    assert {p.found for p in dups} == {f"g1 at {YEAR}-05-02T03:00:00",
                                       f"exp at {YEAR}-08-31T23:45:00"}
    assert all(p.file.endswith("meters.csv") and p.row >= 2 for p in dups)
    assert len(dups) == 5  # the two original rows and the three appended ones
    n = _table().num_rows
    assert {p.row for p in dups} >= {n + 2, n + 3, n + 4}  # CSV lines of the appended rows


def test_clean_file_after_a_bad_one_still_equal(tmp_path):
    """The checks do not change the numbers of valid data (same as in memory, bit for bit)."""
    inv = _write(tmp_path, _table(), "parquet")
    mem = read_meter_data(inv)
    for months in (1, 3, 12):
        ch = read_chunked(inv, months=months)
        assert np.array_equal(mem.monthly()[1], ch.monthly()[1])
        assert [f["rows"] for f in ch.files] == [f["rows"] for f in mem.files]


def _csv_text(tmp_path, edit) -> object:
    """The valid year as CSV text, lines changed by ``edit(lines)``."""
    inv = _write(tmp_path, _table(), "csv")
    path = tmp_path / "meters.csv"
    lines = path.read_text().splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n")
    return inv


@pytest.mark.parametrize("case", ["text reading", "bad timestamp", "offsets"])
def test_text_csv_named_like_in_memory(tmp_path, case):
    def edit(lines):
        if case == "text reading":
            lines[100] = lines[100].rsplit(",", 1)[0] + ",n/a"
            lines[40000] = lines[40000].rsplit(",", 1)[0] + ",1e999"  # not finite
        elif case == "bad timestamp":
            ts, rest = lines[500].split(",", 1)
            lines[500] = "31/01/2024 10:00," + rest
        else:  # every timestamp with its offset: valid, read as text
            for i in range(1, len(lines)):
                ts, rest = lines[i].split(",", 1)
                lines[i] = ts.strip('"').replace(" ", "T")[:19] + "+08:00," + rest
    inv = _csv_text(tmp_path, edit)
    if case == "offsets":
        mem = read_meter_data(inv)
        ch = read_chunked(inv, months=4)
        assert np.array_equal(mem.monthly()[1], ch.monthly()[1])
        return
    with pytest.raises(InputError) as mem:
        read_meter_data(inv)
    with pytest.raises(InputError) as ch:
        read_chunked(inv, months=3)
    assert sorted(map(_key, ch.value.problems)) == sorted(map(_key, mem.value.problems))
    assert any(p.row for p in ch.value.problems)
    # each bad cell is named once, by both readers (not also as missing, or outside the year)
    for err in (mem, ch):
        named = [(p.file, p.row) for p in err.value.problems if p.row is not None]
        assert len(named) == len(set(named))
        assert not any(p.found == "NaT" for p in err.value.problems)


def test_missing_column_and_unreadable_file(tmp_path):
    inv = _write(tmp_path, _table().drop_columns(["value"]), "parquet")
    with pytest.raises(InputError) as mem:
        read_meter_data(inv)
    with pytest.raises(InputError) as ch:
        read_chunked(inv, months=1)
    # the same file problem; the in-memory reader also lists every meter as without data
    assert [p.message for p in ch.value.problems] == ["missing columns"]
    assert set(map(_key, ch.value.problems)) <= set(map(_key, mem.value.problems))
    (tmp_path / "meters.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(InputError, match="cannot read the file"):
        read_chunked(inv, months=1)
    inv = _csv_text(tmp_path, lambda lines: lines.__setitem__(
        40000, lines[40000].rsplit(",", 1)[0] + ",12,5"))  # a decimal comma: four cells
    with pytest.raises(InputError, match="cannot read the file") as ch:
        read_chunked(inv, months=1)
    assert ch.value.problems[0].file.endswith("meters.csv")


def test_missing_timestamps_named(tmp_path):
    t = _table()
    rows = [_find(t, "g0", f"{YEAR}-06-01T00:00"), _find(t, "gas", f"{YEAR}-12-31T00:00")]
    inv = _write(tmp_path, _set(t, "timestamp", rows, [None, None]), "parquet")
    with pytest.raises(InputError) as ch:
        read_chunked(inv, months=2)
    named = [p for p in ch.value.problems if p.message == "missing timestamp"]
    assert sorted(p.row for p in named) == sorted(r + 1 for r in rows)
    gaps = {p.message for p in ch.value.problems if p.field == "data"}
    assert gaps == {"meter 'g0' has missing intervals", "meter 'gas' has missing intervals"}


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "many"])  # "many" names the first
def test_shuffled_rows_named_alike(tmp_path, kind):                 # 20 rows in file order
    table = _corrupt(kind, _table())
    table = table.take(np.random.default_rng(11).permutation(table.num_rows))
    inv = _write(tmp_path, table, "parquet")
    with pytest.raises(InputError) as mem:
        read_meter_data(inv)
    with pytest.raises(InputError) as ch:
        read_chunked(inv, months=2)
    assert sorted(map(_key, ch.value.problems)) == sorted(map(_key, mem.value.problems))


def test_integer_meter_ids_match_declared_ids(tmp_path):
    """Meter ids stored as integers in Parquet match the inventory's ids as text (as in memory)."""
    meters = [dict(m, id=str(100 + k)) for k, m in enumerate(METERS)]
    t = _table()
    names = {m["id"]: str(100 + k) for k, m in enumerate(METERS)}
    t = t.set_column(1, "meter", pa.array([int(names[x]) for x in t.column("meter").to_pylist()]))
    pq.write_table(t, tmp_path / "meters.parquet", row_group_size=4000)
    inv = load_inventory(write_inventory(tmp_path, meters=meters, year=YEAR,
                                         files=("meters.parquet",)))
    mem, ch = read_meter_data(inv), read_chunked(inv, months=3)
    assert mem.monthly()[0] == ch.monthly()[0]
    assert np.array_equal(mem.monthly()[1], ch.monthly()[1])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_each_row_without_a_usable_timestamp_named_once(tmp_path, fmt):
    """An empty timestamp is named "missing timestamp", an unparsed one (CSV text) "not an ISO
    8601 date-time": once each, by both readers, never also "outside the reporting year" with
    found NaT; the intervals they leave empty are named as the meter's gaps."""
    t = _table()
    rows = [_find(t, "g0", f"{YEAR}-06-01T00:00"), _find(t, "gas", f"{YEAR}-12-31T00:00")]
    inv = _write(tmp_path, _set(t, "timestamp", rows[:1], [None]), fmt)
    if fmt == "csv":  # and one timestamp that is text, not a date
        path = tmp_path / "meters.csv"
        lines = path.read_text().splitlines()
        ts, rest = lines[rows[1] + 1].split(",", 1)
        lines[rows[1] + 1] = '"yesterday",' + rest
        path.write_text("\n".join(lines) + "\n")
    for read in (read_meter_data, lambda i: read_chunked(i, months=2)):
        with pytest.raises(InputError) as err:
            read(inv)
        named = [(p.row, p.message) for p in err.value.problems
                 if p.file.endswith(f"meters.{fmt}")]
        first = 2 if fmt == "csv" else 1  # a CSV row is its line (after the header line)
        want = [(rows[0] + first, "missing timestamp")]
        if fmt == "csv":
            want.append((rows[1] + first, "timestamp is not an ISO 8601 date-time"))
        assert sorted(named) == sorted(want)
        assert not any(p.found == "NaT" for p in err.value.problems)
        gaps = {p.message for p in err.value.problems if p.field == "data"}
        assert "meter 'g0' has missing intervals" in gaps
