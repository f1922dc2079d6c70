"""Verifier benchmarks (issue 12), as ratios to one ``compute``; subject and floor alternate.

- ``bundle_verify``: ``make_bundle`` + ``verify_bundle`` of the example factory vs one
  ``carbon_core.compute`` of it (read + compute + balance, plugins on); target <= 2x. Measured
  both ways a user can bundle: computing again (``carbon bundle INVENTORY``: two computes in
  all, so 2x is out of reach by construction) and packaging the result already computed
  (``carbon bundle INVENTORY --results RESULTS.json``: the verification's recompute is the only
  compute), and each of bundle and verify alone. Wall and CPU (process) times are both kept: on
  a shared machine the CPU time is the steadier measure of the work done.
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


def _rounds(contenders: dict, rounds: int) -> dict:
    """Wall and CPU (process) times of each contender, run round by round in turn (the order
    reversed every other round), after one warm-up each."""
    for fn in contenders.values():
        fn()
    wall = {k: [] for k in contenders}
    cpu = {k: [] for k in contenders}
    names = list(contenders)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            t, c = time.perf_counter(), time.process_time()
            contenders[name]()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    return {"wall": wall, "cpu": cpu}


def test_bundle_verify(benchmark, tmp_path):
    """Bundle and verify of the example against one compute, three ways:

    - ``bundle``: ``make_bundle`` computing the inventory itself (``carbon bundle INVENTORY``);
    - ``bundle_results``: ``make_bundle(..., results=RESULTS.json)`` packaging the result the
      user already computed (``carbon bundle INVENTORY --results RESULTS.json``): the user's
      path compute -> bundle -> verify costs one compute plus this plus the verification;
    - ``verify``: ``verify_bundle``, which recomputes from the bundle alone.
    """
    import json

    from carbon_core.verify import make_bundle, verify_bundle

    out = tmp_path / "ex.bundle"
    given = tmp_path / "ex-given.bundle"
    results = tmp_path / "results.json"
    results.write_text(json.dumps(compute(EXAMPLE).to_dict(), ensure_ascii=False, indent=2),
                       encoding="utf-8")

    def verify():
        assert verify_bundle(given).ok

    contenders = {"compute": lambda: compute(EXAMPLE),
                  "bundle": lambda: make_bundle(EXAMPLE, out),
                  "bundle_results": lambda: make_bundle(EXAMPLE, given, results=results),
                  "verify": verify}
    make_bundle(EXAMPLE, given, results=results)
    t = _rounds(contenders, ROUNDS)
    benchmark.pedantic(verify, rounds=1, iterations=1)
    info = {"rounds": ROUNDS}
    lines = []
    for clock in ("wall", "cpu"):
        best = {k: min(v) for k, v in t[clock].items()}
        med = {k: statistics.median(v) for k, v in t[clock].items()}
        f, fm = best["compute"], med["compute"]
        row = {
            "compute_seconds": f,
            "bundle_ratio": best["bundle"] / f, "bundle_results_ratio":
                best["bundle_results"] / f, "verify_ratio": best["verify"] / f,
            "bundle_verify_ratio": (best["bundle"] + best["verify"]) / f,
            "results_bundle_verify_ratio": (best["bundle_results"] + best["verify"]) / f,
            "bundle_verify_ratio_median": (med["bundle"] + med["verify"]) / fm,
            "results_bundle_verify_ratio_median":
                (med["bundle_results"] + med["verify"]) / fm,
        }
        info[clock] = row
        lines.append(
            f"{clock}: compute {f * 1e3:.1f} ms; bundle {row['bundle_ratio']:.2f}x, bundle "
            f"--results {row['bundle_results_ratio']:.2f}x, verify {row['verify_ratio']:.2f}x; "
            f"bundle+verify {row['bundle_verify_ratio']:.2f}x (median "
            f"{row['bundle_verify_ratio_median']:.2f}x), bundle --results + verify "
            f"{row['results_bundle_verify_ratio']:.2f}x (median "
            f"{row['results_bundle_verify_ratio_median']:.2f}x)")
    benchmark.extra_info.update(info)
    print("\n" + "\n".join(lines))


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
