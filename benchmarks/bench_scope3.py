"""Scope 3 at 100,000 lines (half spend-based, half freight by mass x distance), as ratios to
the numpy floor on the same arrays.

Run: ``python -m pytest benchmarks/bench_scope3.py --benchmark-only -p no:cacheprovider``.

- ``test_scope3_kernels``: the vectorized pass every Scope 3 result runs
  (:mod:`carbon_core.scope3.kernels`: spend converted to the factor's currency and price year,
  mass x distance, x factor, category totals) against the same arithmetic written inline in
  numpy. Subject and floor are alternated in one run; the best of each is compared.
  Target: within 3x.
- ``test_build_scope3_100k``: the whole :func:`~carbon_core.scope3.build_scope3` on an
  inventory of 100,000 ``[[scope3.lines]]`` (validation of every key, factor lookup, data
  quality per line, the vectorized pass), reported as seconds and as a ratio to the same floor.
  This is per-row Python by nature (every row is checked and named in errors); it is a
  contrast figure, not held to the 3x target.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from carbon_core.factors import FactorLibrary
from carbon_core.io.inventory import parse_inventory
from carbon_core.scope3 import build_scope3
from carbon_core.scope3.kernels import (distance_activity, line_emissions, spend_activity,
                                        totals_by_code)

N = 100_000


def _arrays(n=N):
    rng = np.random.default_rng(7)
    h = n // 2
    return dict(
        amount=rng.random(h) * 1e5, fx=np.full(h, 1 / 7.1), ratio=np.full(h, 0.93),
        f_spend=rng.random(h) * 1e-3, mass=rng.random(h) * 40, dist=rng.random(h) * 2000,
        f_dist=rng.random(h) * 1e-4, cat_spend=rng.integers(0, 15, h),
        cat_dist=rng.integers(0, 15, h))


def _subject(a):
    e1 = line_emissions(spend_activity(a["amount"], a["fx"], a["ratio"]), a["f_spend"])
    e2 = line_emissions(distance_activity(a["mass"], a["dist"]), a["f_dist"])
    return totals_by_code(e1, a["cat_spend"], 15) + totals_by_code(e2, a["cat_dist"], 15)


def _floor(a):
    e1 = a["amount"] * a["fx"] * a["ratio"] * a["f_spend"]
    e2 = a["mass"] * a["dist"] * a["f_dist"]
    return (np.bincount(a["cat_spend"], e1, 15) + np.bincount(a["cat_dist"], e2, 15))


def _alternate(subject, floor, rounds=15):
    best_s = best_f = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        floor()
        t1 = time.perf_counter()
        subject()
        t2 = time.perf_counter()
        best_f, best_s = min(best_f, t1 - t0), min(best_s, t2 - t1)
    return best_s, best_f


def test_scope3_kernels(benchmark):
    a = _arrays()
    np.testing.assert_allclose(_subject(a), _floor(a), rtol=1e-12)
    s, f = _alternate(lambda: _subject(a), lambda: _floor(a))
    benchmark.pedantic(_subject, args=(a,), rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(lines=N, subject_s=s, floor_s=f, ratio_to_floor=s / f)


def _inventory(n=N):
    half = n // 2
    rng = np.random.default_rng(7)
    spend = [{"id": f"s{i}", "category": 1, "method": "spend_based",
              "amount": float(x), "unit": "CNY", "price_year": 2024,
              "factor_key": "scope3.spend.naics.331110", "factor_region": "US",
              "factor_selection": "year:2022"} for i, x in enumerate(rng.random(half) * 1e5)]
    freight = [{"id": f"d{i}", "category": 4, "method": "distance_based",
                "mass": float(m), "mass_unit": "t", "distance": float(d), "distance_unit": "km",
                "factor_key": "scope3.freight.hgv_diesel.all_hgvs.average_laden",
                "factor_region": "GB"}
               for i, (m, d) in enumerate(zip(rng.random(half) * 40, rng.random(half) * 2000))]
    raw = {"schema": "carbon_core.inventory/1", "reporting_year": 2024, "gwp_set": "AR5",
           "factory": {"name": "bench", "credit_code": "91340100MA2N0K1X3U",
                       "grid_province": "CN-AH"},
           "scope3": {"factor_selection": "year:2025", "lines": spend + freight,
                      "exchange_rates": [{"currency": "CNY", "per": "USD", "year": 2024,
                                          "rate": 7.1, "source": "bench"}],
                      "price_indices": [{"currency": "USD", "series": "bench",
                                         "values": {"2022": 100.0, "2024": 107.5},
                                         "source": "bench"}]}}
    return parse_inventory(raw, Path("bench.toml")), spend, freight


def test_build_scope3_100k(benchmark):
    inv, spend, freight = _inventory()
    lib = FactorLibrary.default()

    def run():
        problems = []
        out = build_scope3(inv, lib, problems)
        assert not problems
        return out

    out = benchmark.pedantic(run, rounds=2, iterations=1, warmup_rounds=0)
    assert len(out.lines) == N
    a = dict(amount=np.array([r["amount"] for r in spend]), fx=np.full(N // 2, 1 / 7.1),
             ratio=np.full(N // 2, 100 / 107.5), f_spend=np.full(N // 2, 0.787e-3),
             mass=np.array([r["mass"] for r in freight]),
             dist=np.array([r["distance"] for r in freight]),
             f_dist=np.full(N // 2, 0.10163e-3), cat_spend=np.zeros(N // 2, int),
             cat_dist=np.full(N // 2, 3))
    got = np.array([ln.unallocated * ln.factor for ln in out.lines])
    want = np.concatenate([a["amount"] * a["fx"] * a["ratio"] * a["f_spend"],
                           a["mass"] * a["dist"] * a["f_dist"]])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    _, f = _alternate(lambda: None, lambda: _floor(a), rounds=5)
    benchmark.extra_info.update(lines=N, build_s=benchmark.stats.stats.min, floor_s=f,
                                ratio_to_floor=benchmark.stats.stats.min / f,
                                per_line_us=benchmark.stats.stats.min / N * 1e6)


# -- the real path: carbon compute with a lines file --------------------------------------------

SCOPE3_FLOOR = """
import sys, json, pyarrow.csv as pacsv, pyarrow.compute as pc
t = pacsv.read_csv(sys.argv[1])
e = pc.multiply(pc.multiply(t.column("mass"), t.column("distance")), 0.10163e-3)
rows = [{"id": i, "tco2e": v} for i, v in zip(t.column("id").to_pylist(), e.to_pylist())]
open(sys.argv[2], "w").write(json.dumps(rows))
"""


def _example_with_lines(folder: Path, n: int) -> tuple[Path, Path]:
    """The bundled example with ``n`` freight lines in a ``[scope3] lines_files`` CSV."""
    import csv
    import shutil

    example = Path(__file__).parents[1] / "examples" / "hefei-appliance"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(example / "meters.parquet", folder / "meters.parquet")
    rng = np.random.default_rng(7)
    with (folder / "lines.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "category", "method", "description", "mass", "mass_unit", "distance",
                    "distance_unit", "factor_key", "factor_region", "dq_technological",
                    "dq_temporal"])
        for i in range(n):
            w.writerow([f"d{i}", 4, "distance_based", f"inbound lot {i}",
                        f"{rng.random() * 40:.3f}", "t", f"{rng.random() * 2000:.1f}", "km",
                        "scope3.freight.hgv_diesel.all_hgvs.average_laden", "GB", "fair",
                        "good"])
    text = (example / "inventory.toml").read_text(encoding="utf-8")
    head = '[scope3]\nfactor_selection = "year:2025"'
    assert head in text
    (folder / "inventory.toml").write_text(
        text.replace(head, head + '\nlines_files = ["lines.csv"]', 1), encoding="utf-8")
    return folder / "inventory.toml", folder / "lines.csv"


def test_cli_scope3_lines_csv(benchmark, tmp_path):
    """``carbon compute INVENTORY --json`` of the example with 100,000 Scope 3 lines in a CSV
    (``CARBON_BENCH_SCOPE3_LINES``), alternated round by round with the example alone (the
    fixed part) and a floor process that reads the same CSV with pyarrow, multiplies mass x
    distance x factor and writes one JSON record per line; fresh processes, min and median."""
    import os
    import statistics
    import subprocess
    import sys

    n = int(os.environ.get("CARBON_BENCH_SCOPE3_LINES", "100000"))
    rounds = int(os.environ.get("CARBON_BENCH_ROUNDS", "3"))
    inv, csv_path = _example_with_lines(tmp_path / "lines", n)
    carbon = str(Path(sys.executable).with_name("carbon"))
    example = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"
    cmds = {"cli": [carbon, "compute", str(inv), "--json"],
            "example": [carbon, "compute", str(example), "--json"],
            "floor": [sys.executable, "-c", SCOPE3_FLOOR, str(csv_path), str(tmp_path / "f.json")]}
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for r in range(rounds):
        for k in (list(cmds) if r % 2 == 0 else list(cmds)[::-1]):
            t0 = time.perf_counter()
            subprocess.run(cmds[k], check=True, stdout=subprocess.DEVNULL)
            times[k].append(time.perf_counter() - t0)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info = {"lines": n}
    for k, v in times.items():
        info[f"{k}_min_s"], info[f"{k}_median_s"] = min(v), statistics.median(v)
    info["cli_over_floor_min"] = info["cli_min_s"] / info["floor_min_s"]
    info["per_line_us"] = (info["cli_min_s"] - info["example_min_s"]) / n * 1e6
    benchmark.extra_info.update(info)
    print("\n" + ", ".join(f"{k} {v:.3f}" for k, v in info.items()))
