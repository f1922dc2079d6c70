"""Core benchmarks: Scope 1+2 for 1,000 meters x one year of 15-minute data (35,040 intervals).

Every figure is reported as a ratio to plain numpy on the same data, stored in
``benchmark.extra_info`` (see ``benchmarks/README.md``):

- ``compute``: the compute step on validated data vs ``data.sum()`` (memory-bandwidth floor);
  target <= 3x;
- ``read_parquet``: reading + validating + shaping the long-format Parquet file vs pyarrow's own
  ``pq.read_table`` of the same file; target <= 2x;
- ``naive_pint``: a per-row pint Quantity loop, for contrast (on one meter, extrapolated);
- peak memory (tracemalloc, which sees numpy's allocations) vs the data's size; target <= 3x.

Run: ``python -m pytest benchmarks/bench_core.py --benchmark-only``. Sizes can be reduced with
``CARBON_BENCH_METERS=100`` for a quick look.
"""

from __future__ import annotations

import os
import timeit
import tracemalloc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon_core import compute
from carbon_core.factors import FactorLibrary
from carbon_core.io.inventory import parse_inventory
from carbon_core.io.meters import MeterData, SeriesGroup, read_meter_data, year_grid

N_METERS = int(os.environ.get("CARBON_BENCH_METERS", "1000"))
YEAR = 2023  # 365 days -> 35,040 quarter hours


def _floor(data: np.ndarray) -> float:
    return min(timeit.repeat(data.sum, number=1, repeat=5))


def _inventory(folder, files=()):
    meters = []
    for k in range(N_METERS):
        role = "grid_purchase" if k % 50 else ("onsite_generation" if k % 100 else "export")
        meters.append({"id": f"m{k:04d}", "carrier": "electricity", "unit": "kWh", "role": role,
                       "interval": "15min", "renewable": role == "onsite_generation"})
    raw = {"schema": "carbon_core.inventory/1", "reporting_year": YEAR, "gwp_set": "AR5",
           "factory": {"name": "bench", "credit_code": "91340100MA2N0K1X3U",
                       "grid_province": "CN-AH", "grid_region": "CN-GRID-EAST"},
           "electricity": {"factor": "average", "region": "CN-AH", "selection": "latest:Y-1"},
           "data": {"files": list(files)}, "meters": meters}
    return parse_inventory(raw, folder / "inventory.toml")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    rng = np.random.default_rng(0)
    t = year_grid(YEAR, "15min")
    values = rng.gamma(2.0, 10.0, size=(N_METERS, t.size))
    return folder, t, values


@pytest.fixture(scope="module")
def parquet_file(dataset):
    folder, t, values = dataset
    path = folder / "meters.parquet"
    ids = pa.array([f"m{k:04d}" for k in range(N_METERS)]).dictionary_encode()
    table = pa.table({
        "timestamp": pa.array(np.tile(t, N_METERS)),
        "meter": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(N_METERS, dtype=np.int32), t.size)),
            ids.dictionary),
        "value": pa.array(values.reshape(-1)),
    })
    pq.write_table(table, path, row_group_size=1 << 22)
    return path


def test_compute_step(benchmark, dataset, parquet_file):
    folder, t, values = dataset
    inv = _inventory(folder, files=[parquet_file.name])
    group = SeriesGroup(interval="15min", meters=tuple(m.id for m in inv.meters), time=t,
                        values=values, filled=np.zeros(values.shape, bool))
    lib = FactorLibrary.default()

    def fresh():  # a new MeterData each round: nothing cached from the previous round
        return (MeterData(groups={"15min": group}, files=[]),), {}

    def run(data):
        return compute(inv, library=lib, meter_data=data, plugins=False)

    res = benchmark.pedantic(run, setup=fresh, rounds=5, iterations=1, warmup_rounds=1)
    floor = _floor(values)
    tracemalloc.start()
    run(*fresh()[0])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    benchmark.extra_info.update({
        "floor_seconds": floor,
        "ratio_to_numpy_sum": benchmark.stats.stats.min / floor,
        "data_bytes": values.nbytes,
        "peak_extra_bytes": peak,
        "peak_ratio_to_data": (values.nbytes + peak) / values.nbytes,
    })
    assert res.scope2_location_tco2e > 0


def test_read_parquet(benchmark, dataset, parquet_file):
    folder, t, values = dataset
    inv = _inventory(folder, files=[parquet_file.name])
    # both sides measured the same way: best of 5 after a warm-up (the first reads after writing
    # the file pay for the page cache and fresh memory pages, on either side)
    pyarrow_read = min(timeit.repeat(lambda: pq.read_table(parquet_file), number=1, repeat=6)[1:])
    md = benchmark.pedantic(read_meter_data, args=(inv,), rounds=5, iterations=1,
                            warmup_rounds=1)
    long_bytes = pq.read_table(parquet_file).nbytes
    tracemalloc.start()
    read_meter_data(inv)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    benchmark.extra_info.update({
        "pyarrow_read_seconds": pyarrow_read,
        "ratio_to_pyarrow_read": benchmark.stats.stats.min / pyarrow_read,
        "long_table_bytes": long_bytes,
        "peak_bytes": peak,
        "peak_ratio_to_long_table": peak / long_bytes,
    })
    np.testing.assert_array_equal(md.groups["15min"].values, values)


def test_naive_per_row_pint(benchmark, dataset):
    """The slow path the design avoids: one pint Quantity per reading (one meter, extrapolated)."""
    from carbon_core.units import Q_

    _, t, values = dataset
    row = values[0]
    factor = Q_(0.6782, "tCO2/MWh")

    def naive():
        total = Q_(0.0, "tCO2")
        for v in row:
            total = total + (Q_(float(v), "kWh") * factor).to("tCO2")
        return total

    benchmark.pedantic(naive, rounds=1, iterations=1)
    floor_one = _floor(row)
    benchmark.extra_info.update({
        "rows": row.size,
        "ratio_to_numpy_sum_same_rows": benchmark.stats.stats.min / floor_one,
        "extrapolated_seconds_all_meters": benchmark.stats.stats.min * N_METERS,
    })
