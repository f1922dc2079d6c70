"""Benchmark: scoring 10,000 factories against the default (Hefei template) system.

Run with ``python -m pytest benchmarks/bench_scoring.py --benchmark-only -p no:cacheprovider``.
The figure to read is the mean time of one round divided by the number of factories (printed as
``per factory`` in ``extra_info``). Evidence is parsed once per factory outside the timed loop in
``evaluate_only``, and inside it in ``evaluate_with_evidence`` (the cost a scoring module pays when
it hands over raw ``[evidence]`` tables).
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from carbon_core.scoring import evaluate, load_system, parse_evidence, rank

N_FACTORIES = 10_000
AS_OF = datetime.date(2024, 12, 31)


def _evidence(i: int) -> dict:
    d = datetime.date
    until = d(2025, 6, 30) if i % 17 else d(2024, 6, 30)          # ~6 % with an expired cert
    return {
        "registered_city": "合肥市",
        "certifications": [{"standard": s, "number": f"{i}-{s}", "issuer": "CQC",
                            "valid_from": d(2022, 1, 1), "valid_until": until}
                           for s in ("ISO 9001", "ISO 14001", "ISO 45001", "ISO 50001")],
        "organisation": {"name": "零碳办", "established": d(2023, 1, 1), "head": "厂长"},
        "plan": {"title": "零碳方案", "adopted": d(2023, 1, 1),
                 "targets": [{"year": 2024, "metric": "intensity.tco2e_per_wan_cny",
                              "value": 0.6}]},
        "record": {k: False for k in ("not_in_normal_operation", "blacklisted", "major_accident",
                                      "removed_from_lists", "inspection_problems")},
        "qualitative": {name: {"in_place": bool((i >> j) & 1), "reference": "ref"}
                        for j, name in enumerate(["ghg_inventory_verified",
                                                  "energy_metering_gb17167",
                                                  "product_carbon_footprint",
                                                  "digital_energy_carbon_platform",
                                                  "disclosure_report"])},
    }


def _factories(n: int, seed: int = 20241231):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        m = {
            "balance.net_tco2e": float(rng.normal(0.0, 500.0)),
            "balance.renewable_electricity_share": float(rng.uniform(0, 1)),
            "balance.offset_share": float(rng.uniform(0, 1)),
            "intensity.tce_per_wan_cny": float(rng.uniform(0.02, 0.8)),
            "intensity.tco2e_per_wan_cny": float(rng.uniform(0.1, 1.5)),
            "electricity.onsite_renewable_mwh": float(rng.uniform(0, 5000)),
            "electricity.consumed_mwh": float(rng.uniform(5000, 50000)),
            "emissions.scope1_tco2e": float(rng.uniform(0, 5000)),
            "emissions.scope2_market_tco2e": float(rng.uniform(0, 20000)),
            "energy.total_tce_equivalent": float(rng.uniform(1000, 20000)),
        }
        if i % 3 == 0:
            m["sector.steel.blast_furnace_energy_grade"] = float(rng.integers(1, 5))
        prev = {"metrics": {"intensity.tco2e_per_wan_cny": m["intensity.tco2e_per_wan_cny"]
                            * float(rng.uniform(1.0, 1.2))}}
        out.append((m, _evidence(i), prev,
                    {"name": f"factory {i}", "credit_code": "91340100MA2N0K1X3B"}))
    return out


@pytest.fixture(scope="module")
def factories():
    return _factories(N_FACTORIES)


@pytest.fixture(scope="module")
def system():
    return load_system()


def test_evaluate_with_evidence(benchmark, factories, system):
    def run():
        return [evaluate(m, system=system, evidence=ev, previous=prev, factory=f, as_of=AS_OF)
                for m, ev, prev, f in factories]

    evals = benchmark.pedantic(run, rounds=3, iterations=1)
    assert len(evals) == N_FACTORIES
    assert all(0.0 <= e.total_score <= 100.0 for e in evals)
    benchmark.extra_info["factories"] = N_FACTORIES
    benchmark.extra_info["per factory [us]"] = benchmark.stats.stats.mean / N_FACTORIES * 1e6


def test_evaluate_only(benchmark, factories, system):
    parsed = [(m, parse_evidence(ev, file=f"f{i}", as_of=AS_OF), prev, f)
              for i, (m, ev, prev, f) in enumerate(factories)]

    def run():
        return [evaluate(m, system=system, evidence=ev, previous=prev, factory=f, as_of=AS_OF)
                for m, ev, prev, f in parsed]

    evals = benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["per factory [us]"] = benchmark.stats.stats.mean / N_FACTORIES * 1e6
    assert len(rank(evals[:2000])) == 2000
