"""The chunked backend gives the in-memory numbers exactly, month by month or in larger chunks."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon_core import compute
from carbon_core.backends.chunked import months_per_chunk, read_chunked
from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meters import read_meter_data, year_grid
from factories import write_inventory

YEAR = 2024


def _meters():
    ms = [{"id": f"g{k}", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
           "interval": "1h"} for k in range(5)]
    ms.append({"id": "pv", "carrier": "electricity", "unit": "kWh", "role": "onsite_generation",
               "interval": "1h", "renewable": True})
    ms.append({"id": "exp", "carrier": "electricity", "unit": "MWh", "role": "export",
               "interval": "15min"})
    ms.append({"id": "reg", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
               "interval": "1h", "reading": "cumulative"})
    ms.append({"id": "gas", "carrier": "natural_gas", "unit": "Nm3", "role": "fuel",
               "interval": "1D"})
    return ms


def _write(tmp_path, fmt="parquet", row_group_size=5000, shuffle=True):
    rng = np.random.default_rng(3)
    ts, ids, vals = [], [], []
    for m in _meters():
        t = year_grid(YEAR, m["interval"])
        if m.get("reading") == "cumulative":
            t = np.r_[t, np.datetime64(f"{YEAR + 1}-01-01", "ns")]
            v = np.cumsum(rng.gamma(2.0, 3.0, t.size)) + 1000.0
        else:
            v = rng.gamma(2.0, 3.0, t.size) * (1e-3 if m["unit"] == "MWh" else 1.0)
        ts.append(t), ids.extend([m["id"]] * t.size), vals.append(v)
    ts, vals = np.concatenate(ts), np.concatenate(vals)
    ids = np.array(ids)
    order = rng.permutation(ts.size) if shuffle else np.argsort(ts, kind="stable")
    table = pa.table({"timestamp": ts[order], "meter": ids[order], "value": vals[order]})
    name = f"meters.{fmt}"
    if fmt == "parquet":
        pq.write_table(table, tmp_path / name, row_group_size=row_group_size)
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, tmp_path / name)
    return load_inventory(write_inventory(tmp_path, meters=_meters(), year=YEAR,
                                          files=(name,)))


@pytest.mark.parametrize("months", [1, 2, 5, 12])
@pytest.mark.parametrize("shuffle", [True, False])
def test_chunked_equals_in_memory_exactly(tmp_path, months, shuffle):
    inv = _write(tmp_path, shuffle=shuffle)
    mem = read_meter_data(inv)
    ch = read_chunked(inv, months=months)
    ids, m1 = mem.monthly()
    ids2, m2 = ch.monthly()
    assert ids == ids2 and np.array_equal(m1, m2)  # bit for bit
    r1, r2 = mem.role_sums(inv), ch.role_sums(inv)
    assert [(iv, sorted(s)) for iv, _, s in r1] == [(iv, sorted(s)) for iv, _, s in r2]
    for (_, t1, s1), (_, t2, s2) in zip(r1, r2):
        assert np.array_equal(t1, t2)
        for k in s1:
            assert np.array_equal(s1[k], s2[k]), k
    assert ch.chunks == -(-12 // months)
    assert [f["sha256"] for f in ch.files] == [f["sha256"] for f in mem.files]


def test_chunked_compute_gives_the_same_results_document(tmp_path):
    inv = _write(tmp_path, fmt="csv")
    a = compute(inv, plugins=False).to_dict()
    b = compute(inv, plugins=False, meter_data=read_chunked(inv, months=3)).to_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_chunk_bounded_by_memory(tmp_path):
    inv = _write(tmp_path)
    assert months_per_chunk(inv, None) == 12
    small = read_chunked(inv, memory_bytes=600_000)
    assert small.chunks > 1
    full = read_meter_data(inv)
    full_bytes = sum(g.values.nbytes for g in full.groups.values())
    assert small.peak_block_bytes < full_bytes / 2
    assert np.array_equal(small.monthly()[1], full.monthly()[1])


def test_chunked_refuses_gaps_and_outside_rows(tmp_path):
    inv = _write(tmp_path, shuffle=False)
    path = tmp_path / "meters.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, table.num_rows - 10), path)  # drop December's last rows
    with pytest.raises(InputError, match="missing intervals"):
        read_chunked(inv, months=1)
    extra = pa.table({"timestamp": pa.array([np.datetime64(f"{YEAR - 1}-06-01", "ns")]),
                      "meter": ["g0"], "value": [1.0]})
    pq.write_table(pa.concat_tables([table, extra.cast(table.schema)]), path)
    with pytest.raises(InputError, match="outside the reporting year"):
        read_chunked(inv, months=4)


def test_cli_memory_limit_and_validate(tmp_path):
    from click.testing import CliRunner

    from carbon_core.cli import main
    from carbon_core.results import validate_results

    inv = _write(tmp_path, shuffle=True)
    r1 = CliRunner().invoke(main, ["compute", str(inv.path), "--json", "--no-plugins"])
    r2 = CliRunner().invoke(main, ["compute", str(inv.path), "--json", "--no-plugins",
                                   "--memory-limit", "300kB", "--validate"])
    assert r1.exit_code == 0 and r2.exit_code == 0, r2.output
    assert r1.output == r2.output
    validate_results(json.loads(r2.output))
    bad = CliRunner().invoke(main, ["compute", str(inv.path), "--memory-limit", "lots"])
    assert bad.exit_code == 2 and "not a memory size" in bad.output
    assert "Traceback" not in bad.output


def test_role_series_protocol_equal(tmp_path):
    inv = _write(tmp_path)
    mem, ch = read_meter_data(inv), read_chunked(inv, months=2)
    weights = {"grid": {m.id: 1.0 for m in inv.meters if m.role == "grid_purchase"},
               "pv": {"pv": 1.0}}
    for interval in ("1h", "1D", "1MS", "1Y"):
        a = mem.role_series(weights, interval, YEAR)
        b = ch.role_series(weights, interval, YEAR)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="finer"):  # hourly data is never made 15-minute
        mem.role_series({"x": {"pv": 1.0}}, "15min", YEAR)
    with pytest.raises(ValueError, match="no series"):  # not a role sum kept while reading
        ch.role_series({"x": {"g0": 1.0}}, "1h", YEAR)


@pytest.mark.parametrize("unit,tz", [("ms", None), ("us", None), ("ns", None), ("ns", "UTC"),
                                     ("ms", "UTC")])
def test_row_groups_outside_a_chunk_are_skipped_by_their_raw_statistics(tmp_path, unit, tz):
    """A time-major file's row groups whose timestamp statistics miss the chunk are not read,
    in every timestamp unit and for UTC instants (China time = UTC + 8 h); the statistics are
    read raw, in the file's own unit, so pandas is never needed to convert them, and the chunked
    numbers equal the in-memory ones."""
    import sys

    from carbon_core.backends import chunked
    from carbon_core.io.meters import CHINA_OFFSET_NS

    inv = _write(tmp_path, shuffle=False)
    table = pq.read_table(tmp_path / "meters.parquet")
    ts = table.column("timestamp").to_numpy().view("int64")
    if tz:
        ts = ts - CHINA_OFFSET_NS  # the same China-time readings, written as UTC instants
    stamp = pa.array(ts, pa.int64()).cast(pa.timestamp("ns")).cast(pa.timestamp(unit, tz=tz))
    pq.write_table(table.set_column(0, "timestamp", stamp), tmp_path / "meters.parquet",
                   row_group_size=5000)
    mem = read_meter_data(inv)
    pandas_before = "pandas" in sys.modules
    ch = read_chunked(inv, months=1)
    assert np.array_equal(mem.monthly()[1], ch.monthly()[1])
    lo = int(np.datetime64(f"{YEAR}-01-01", "ns").view("int64"))
    hi = int(np.datetime64(f"{YEAR}-01-31T23:59", "ns").view("int64"))
    january = sum(b.num_rows for _, b in chunked._parquet_chunk_batches(
        tmp_path / "meters.parquet", lo, hi, nulls_too=False))
    total = pq.ParquetFile(tmp_path / "meters.parquet").metadata.num_rows
    china = ts + (CHINA_OFFSET_NS if tz else 0)
    in_january = int(((china >= lo) & (china <= hi)).sum())
    assert in_january <= january < in_january + 2 * 5000  # at most the two row groups at its edges
    assert january < total / 6
    if not pandas_before:
        assert "pandas" not in sys.modules


def test_chunked_cli_reads_nanosecond_statistics_without_pandas(tmp_path):
    """``carbon compute --memory-limit`` of a file with nanosecond timestamps, in a fresh
    interpreter, loads no pandas: pyarrow converts nanosecond statistics to
    ``pandas.Timestamp`` when they are read as objects (40-50 MB and 0.2-0.5 s of import)."""
    import subprocess
    import sys

    inv = _write(tmp_path, shuffle=False)
    assert pq.ParquetFile(tmp_path / "meters.parquet").schema_arrow.field(
        "timestamp").type.unit == "ns"
    code = ("import contextlib, io, sys\nfrom carbon_core.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            f"        main(['compute', {str(inv.path)!r}, '--json', '--memory-limit', '200KiB'])\n"
            "    except SystemExit as exc:\n"
            "        assert not exc.code, exc.code\n"
            "print('pandas' in sys.modules, 'carbon_core.backends.chunked' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split()[-2:] == ["False", "True"]
