"""Every valid layout takes the fast path and gives identical arrays: any row order, several
files, Parquet and CSV, dictionary-encoded or plain meter ids (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon_core.io.meters as meters_mod
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meters import read_meter_data, year_grid
from factories import write_inventory

YEAR = 2024
METERS = [
    {"id": "a", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase", "interval": "1D"},
    {"id": "b", "carrier": "electricity", "unit": "MWh", "role": "grid_purchase", "interval": "1D"},
    {"id": "pv", "carrier": "electricity", "unit": "kWh", "role": "onsite_generation",
     "interval": "1h", "renewable": True},
    {"id": "r", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
     "interval": "1D", "reading": "cumulative"},
]


def _rows():
    rng = np.random.default_rng(7)
    ts, ids, vals = [], [], []
    for m in METERS:
        t = year_grid(YEAR, m["interval"])
        if m.get("reading") == "cumulative":
            t = np.r_[t, np.datetime64(f"{YEAR + 1}-01-01", "ns")]
            v = np.cumsum(rng.gamma(2.0, 3.0, t.size))
        else:
            v = rng.gamma(2.0, 3.0, t.size)
        ts.append(t), ids.extend([m["id"]] * t.size), vals.append(v)
    return np.concatenate(ts), np.array(ids), np.concatenate(vals)


TS, IDS, VALS = _rows()


def _write(folder, order, fmt, parts, dictionary):
    names = []
    for k, idx in enumerate(np.array_split(order, parts)):
        meter = pa.array(IDS[idx])
        if dictionary:
            meter = meter.dictionary_encode()
        table = pa.table({"timestamp": pa.array(TS[idx]), "meter": meter,
                          "value": pa.array(VALS[idx])})
        name = f"part{k}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(table, folder / name)
        else:
            pq.write_table(table, folder / name, row_group_size=997)
        names.append(name)
    return load_inventory(write_inventory(folder, meters=METERS, year=YEAR, files=names))


def _arrays(data, inv):
    ids, monthly = data.monthly()
    groups = {iv: (g.meters, g.values.copy()) for iv, g in data.groups.items()}
    roles = [(iv, {k: v.copy() for k, v in s.items()}) for iv, _, s in data.role_sums(inv)]
    return ids, monthly, groups, roles


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref")
    inv = _write(folder, np.arange(TS.size), "parquet", 1, True)
    return _arrays(read_meter_data(inv), inv)


def _same(a, b):
    ids, monthly, groups, roles = a
    ids2, monthly2, groups2, roles2 = b
    assert ids == ids2 and np.array_equal(monthly, monthly2)
    assert groups.keys() == groups2.keys()
    for iv in groups:
        assert groups[iv][0] == groups2[iv][0] and np.array_equal(groups[iv][1], groups2[iv][1])
    assert [r[0] for r in roles] == [r[0] for r in roles2]
    for (_, s), (_, s2) in zip(roles, roles2):
        assert s.keys() == s2.keys() and all(np.array_equal(s[k], s2[k]) for k in s)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), fmt=st.sampled_from(["csv", "parquet"]),
       parts=st.integers(1, 3), dictionary=st.booleans(),
       layout=st.sampled_from(["shuffled", "time-major", "reversed"]))
def test_any_row_order_gives_identical_arrays_on_the_fast_path(
        tmp_path_factory, monkeypatch, reference, seed, fmt, parts, dictionary, layout):
    order = {"shuffled": np.random.default_rng(seed).permutation(TS.size),
             "time-major": np.lexsort((IDS, TS)),
             "reversed": np.arange(TS.size)[::-1]}[layout]
    folder = tmp_path_factory.mktemp("lay")
    inv = _write(folder, order, fmt, parts, dictionary)

    def no_general(*a, **k):
        raise AssertionError("a valid file fell to the general path")

    monkeypatch.setattr(meters_mod, "_read_general", no_general)
    _same(reference, _arrays(read_meter_data(inv), inv))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_duplicate_and_gap_in_shuffled_file_are_named(tmp_path, fmt):
    from carbon_core.errors import InputError

    order = np.random.default_rng(1).permutation(TS.size)
    # swap one row's timestamp for another day of the same meter: one duplicate, one gap
    i = int(np.flatnonzero(IDS[order] == "a")[5])
    j = int(np.flatnonzero(IDS[order] == "a")[9])
    ts = TS.copy()
    ts[order[i]] = TS[order[j]]
    table = pa.table({"timestamp": pa.array(ts[order]), "meter": pa.array(IDS[order]),
                      "value": pa.array(VALS[order])})
    name = f"m.{fmt}"
    (pacsv.write_csv if fmt == "csv" else pq.write_table)(table, tmp_path / name)
    inv = load_inventory(write_inventory(tmp_path, meters=METERS, year=YEAR, files=[name]))
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    msgs = {p.message for p in e.value.problems}
    assert "duplicated interval" in msgs and "meter 'a' has missing intervals" in msgs
    dup_rows = sorted(p.row for p in e.value.problems if p.message == "duplicated interval")
    offset = 2 if fmt == "csv" else 1
    assert dup_rows == sorted([i + offset, j + offset])


@pytest.mark.parametrize("threads", [1, 3])
def test_row_groups_read_in_parallel_give_the_same_arrays(tmp_path, monkeypatch, reference,
                                                         threads):
    """Parquet row groups are decoded and scattered by several threads at once (``io.meters``,
    ``SCATTER_THREADS``); any thread count gives the reference arrays."""
    monkeypatch.setattr(meters_mod, "SCATTER_THREADS", threads)
    inv = _write(tmp_path, np.random.default_rng(3).permutation(TS.size), "parquet", 1, False)
    assert pq.ParquetFile(inv.data_files[0]).num_row_groups > 2 * threads  # several row groups per thread
    _same(reference, _arrays(read_meter_data(inv), inv))


@pytest.mark.parametrize("threads", [1, 3])
def test_a_bad_reading_in_one_row_group_is_named_by_its_row(tmp_path, monkeypatch, threads):
    """A negative reading in a middle row group stops the parallel read (no cell is left being
    written) and the general path names its row."""
    from carbon_core.errors import InputError

    monkeypatch.setattr(meters_mod, "SCATTER_THREADS", threads)
    order = np.lexsort((IDS, TS))  # time-major
    vals = VALS[order].copy()
    bad = TS.size // 2 + 11
    vals[bad] = -4.0
    table = pa.table({"timestamp": pa.array(TS[order]), "meter": pa.array(IDS[order]),
                      "value": pa.array(vals)})
    pq.write_table(table, tmp_path / "m.parquet", row_group_size=997)
    inv = load_inventory(write_inventory(tmp_path, meters=METERS, year=YEAR, files=["m.parquet"]))
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    rows = [p.row for p in e.value.problems]
    assert rows == [bad + 1], [str(p) for p in e.value.problems]


@pytest.mark.parametrize("chunk, crlf", [(1000, False), (4093, True), (1 << 30, False)])
def test_csv_byte_ranges_parsed_in_parallel_give_the_same_arrays(tmp_path, monkeypatch,
                                                                  reference, chunk, crlf):
    """A CSV file is cut at line ends into ranges parsed by several threads
    (``io.meters.CSV_CHUNK_BYTES``); any cut, with LF or CRLF line ends, gives the reference."""
    monkeypatch.setattr(meters_mod, "CSV_CHUNK_BYTES", chunk)
    monkeypatch.setattr(meters_mod, "SCATTER_THREADS", 3)

    def no_general(*a, **k):
        raise AssertionError("a valid file fell to the general path")

    monkeypatch.setattr(meters_mod, "_read_general", no_general)
    inv = _write(tmp_path, np.random.default_rng(5).permutation(TS.size), "csv", 1, False)
    if crlf:
        path = inv.data_files[0]
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    n, _ = meters_mod._csv_chunks(inv.data_files[0])
    assert n == 1 if chunk > 1 << 20 else n > 50
    _same(reference, _arrays(read_meter_data(inv), inv))


def test_a_bad_reading_in_one_csv_range_is_named_by_its_row(tmp_path, monkeypatch):
    from carbon_core.errors import InputError

    monkeypatch.setattr(meters_mod, "CSV_CHUNK_BYTES", 2000)
    order = np.lexsort((IDS, TS))
    vals = VALS[order].copy()
    bad = TS.size // 3 + 5
    vals[bad] = -4.0
    table = pa.table({"timestamp": pa.array(TS[order]), "meter": pa.array(IDS[order]),
                      "value": pa.array(vals)})
    pacsv.write_csv(table, tmp_path / "m.csv")
    inv = load_inventory(write_inventory(tmp_path, meters=METERS, year=YEAR, files=["m.csv"]))
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    assert [p.row for p in e.value.problems] == [bad + 2], [str(p) for p in e.value.problems]


@pytest.mark.parametrize("env, want", [("1", 1), ("3", 3), ("0", None), ("many", None), ("", None)])
def test_read_threads_from_the_environment(monkeypatch, env, want):
    monkeypatch.setenv("CARBON_CORE_READ_THREADS", env)
    got = meters_mod._read_threads()
    assert got == want if want else 1 <= got <= 4


@pytest.mark.parametrize("n, threads", [(0, 2), (5, 2), ((1 << 21) + 7, 2), ((1 << 22) + 3, 3)])
def test_nan_filled_buffer_is_nan_everywhere(monkeypatch, n, threads):
    monkeypatch.setattr(meters_mod, "SCATTER_THREADS", threads)
    buf = meters_mod._nan_filled(n)
    assert buf.shape == (n,) and buf.dtype == np.float64 and np.isnan(buf).all()
