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
