"""Verifier benchmarks (issue 12), as ratios to one ``compute``; subject and floor alternate.

- ``bundle_verify``: ``make_bundle`` + ``verify_bundle`` of the example factory vs one
  ``carbon_core.compute`` of it (read + compute + balance, plugins on); target <= 2x. A bundle
  computes once and a verification computes once, so 2x is the floor of this design: the figure
  shows what the archive, the hashes, the score and the comparison add to two computes.
- ``monte_carlo``: ``carbon_core.uncertainty.propagate`` with 10,000 draws on a factory of 1,000
  meters (every meter with an accuracy class, plus a natural-gas line with NCV and carbon content
  ranges) vs one ``carbon_core.compute`` of that factory from its Parquet file; target <= 3x.
  Draws act on line-item totals, never on the 35 M readings.

Run: ``python -m pytest benchmarks/bench_verify.py --benchmark-only`` (about a minute).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon_core import compute
from carbon_core.io.meters import year_grid

EXAMPLE = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"
N_METERS = int(os.environ.get("CARBON_BENCH_METERS", "1000"))
YEAR = 2023
ROUNDS = int(os.environ.get("CARBON_BENCH_ROUNDS", "5"))


def _alternate(subject, floor, rounds=ROUNDS):
    """Best and median times of subject and floor, run alternately (warm-up first)."""
    subject()
    floor()
    s, f = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        floor()
        f.append(time.perf_counter() - t)
        t = time.perf_counter()
        subject()
        s.append(time.perf_counter() - t)
    return min(s), min(f), statistics.median(s), statistics.median(f)


def test_bundle_verify(benchmark, tmp_path):
    from carbon_core.verify import make_bundle, verify_bundle

    out = tmp_path / "ex.bundle"
    times = {"bundle": [], "verify": []}

    def bundle_and_verify():
        t = time.perf_counter()
        make_bundle(EXAMPLE, out)
        times["bundle"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rep = verify_bundle(out)
        times["verify"].append(time.perf_counter() - t)
        assert rep.ok

    def one_compute():
        compute(EXAMPLE)

    s, f, s_med, f_med = _alternate(bundle_and_verify, one_compute)
    benchmark.pedantic(bundle_and_verify, rounds=1, iterations=1)
    benchmark.extra_info.update({
        "compute_seconds_best": f, "subject_seconds_best": s,
        "ratio_best": s / f, "ratio_median": s_med / f_med,
        "bundle_ratio_best": min(times["bundle"]) / f,
        "verify_ratio_best": min(times["verify"]) / f,
    })
    print(f"\nbundle+verify {s:.3f} s vs compute {f:.3f} s: {s / f:.2f}x (median "
          f"{s_med / f_med:.2f}x); bundle {min(times['bundle']) / f:.2f}x, verify "
          f"{min(times['verify']) / f:.2f}x")


@pytest.fixture(scope="module")
def big_factory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mc")
    rng = np.random.default_rng(0)
    t = year_grid(YEAR, "15min")
    values = rng.gamma(2.0, 10.0, size=(N_METERS, t.size))
    ids = pa.array([f"m{k:04d}" for k in range(N_METERS)]).dictionary_encode()
    pq.write_table(pa.table({
        "timestamp": pa.array(np.tile(t, N_METERS)),
        "meter": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(N_METERS, dtype=np.int32), t.size)), ids.dictionary),
        "value": pa.array(values.reshape(-1)),
    }), folder / "meters.parquet", row_group_size=1 << 22)
    lines = ['schema = "carbon_core.inventory/1"', f"reporting_year = {YEAR}",
             'gwp_set = "AR5"', "", "[factory]", 'name = "bench"',
             'credit_code = "91340100MA2N0K1X3U"', 'grid_province = "CN-AH"',
             'grid_region = "CN-GRID-EAST"', "", "[electricity]", 'factor = "average"',
             'region = "CN-AH"', 'selection = "latest:Y-1"', "", "[data]",
             'files = ["meters.parquet"]', "", "[production]", "output = 1000.0",
             'output_unit = "t"', "value_added = 5000.0", 'value_added_unit = "万元"']
    classes = ["0.5S", "0.2S", "1", "0.5"]
    for k in range(N_METERS):
        role = "grid_purchase" if k % 50 else ("onsite_generation" if k % 100 else "export")
        lines += ["", "[[meters]]", f'id = "m{k:04d}"', 'carrier = "electricity"',
                  'unit = "kWh"', f'role = "{role}"', 'interval = "15min"',
                  f'accuracy_class = "{classes[k % 4]}"']
        if role == "onsite_generation":
            lines.append("renewable = true")
    lines += ["", "[[activities]]", 'id = "boiler-gas"', 'carrier = "natural_gas"',
              'role = "fuel"', "amount = 120.0", 'unit = "万Nm3"', f'period = "{YEAR}"']
    inv = folder / "inventory.toml"
    inv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return inv


def test_monte_carlo(benchmark, big_factory):
    from carbon_core.uncertainty import propagate

    res = compute(big_factory, plugins=False)

    def mc():
        return propagate(res, draws=10_000, seed=1)

    def one_compute():
        compute(big_factory, plugins=False)

    s, f, s_med, f_med = _alternate(mc, one_compute, rounds=3)
    u = benchmark.pedantic(mc, rounds=1, iterations=1)
    benchmark.extra_info.update({"compute_seconds_best": f, "mc_seconds_best": s,
                                 "ratio_best": s / f, "ratio_median": s_med / f_med,
                                 "parameters": len(u["parameters"]),
                                 "line_items": len(res.line_items)})
    print(f"\n10,000 draws {s:.3f} s vs compute {f:.3f} s: {s / f:.2f}x (median "
          f"{s_med / f_med:.2f}x); {len(u['parameters'])} parameters, "
          f"{len(res.line_items)} line items")
    assert len(u["parameters"]) == N_METERS + 2
