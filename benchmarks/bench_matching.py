"""Benchmarks of the temporal matching kernels, as ratios to the numpy floor on the same arrays.

Run: ``python -m pytest benchmarks/bench_matching.py --benchmark-only -p no:cacheprovider``.
Skipped in the default test run (``--benchmark-skip`` in pyproject; ``benchmarks/`` is not in
``testpaths``).

Each benchmark stores in ``benchmark.extra_info``:

- ``ratio_to_sum``: kernel time / ``demand.sum()`` on the same array (the floor named in the
  contract; the kernel must read two arrays, so 2 is the least it can be);
- ``ratio_to_sum_of_inputs``: kernel time / (``demand.sum()`` + ``supply.sum()``), the floor of
  reading every input once. Target: within 3x.
"""

import time

import numpy as np
import pytest

from carbon_core.balance.matching import cfe_score, match_totals, to_coarser

SIZES = {
    "hourly-1000x8760": (1000, 8760),
    "15min-1000x35040": (1000, 35040),
}


def _best(fn, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _arrays(rows, t):
    rng = np.random.default_rng(42)
    demand = rng.random((rows, t))
    supply = rng.random((rows, t)) * 1.2
    return demand, supply


def _kernel(demand, supply, consumed_total):
    matched, total = match_totals(demand, supply)
    return cfe_score(matched, consumed_total), total - matched


@pytest.mark.parametrize("name", list(SIZES))
def test_matching_kernel(benchmark, name):
    rows, t = SIZES[name]
    demand, supply = _arrays(rows, t)
    consumed_total = demand.sum(-1)
    floor = _best(lambda: demand.sum())
    floor_inputs = _best(lambda: (demand.sum(), supply.sum()))
    benchmark.pedantic(_kernel, args=(demand, supply, consumed_total), rounds=5, iterations=1,
                       warmup_rounds=1)
    kernel = benchmark.stats.stats.min
    benchmark.extra_info.update(
        shape=[rows, t], floor_sum_s=floor, floor_inputs_s=floor_inputs,
        ratio_to_sum=kernel / floor, ratio_to_sum_of_inputs=kernel / floor_inputs)
    score, unmatched = _kernel(demand, supply, consumed_total)
    np.testing.assert_allclose(score[:3], np.minimum(demand[:3], supply[:3]).sum(-1)
                               / consumed_total[:3])
    assert (unmatched >= -1e-9).all()


def test_hourly_from_quarter_hours(benchmark):
    """15-min -> hourly by reshape-sum, 1,000 meters x 35,040 intervals."""
    demand, _ = _arrays(1000, 35040)
    floor = _best(lambda: demand.sum())
    benchmark.pedantic(to_coarser, args=(demand, 4), rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(ratio_to_sum=benchmark.stats.stats.min / floor)
