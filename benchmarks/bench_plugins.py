"""Hook-dispatch overhead of sector plugins (issue 4): target < 5 %.

"Plugins on": the computation goes through the plugin manager (entry-point discovery cached,
``sectors(pm)`` lookup, ``factor_library`` merge cached, ``run_sectors`` dispatch, per-sector
validation and LineItem building). "Plugins off": the same sector kernels called directly on their
classes, without the manager. Both produce identical line items; the ratio is the dispatch cost.

Run: python -m pytest benchmarks/bench_plugins.py --benchmark-only -p no:cacheprovider
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from _alternate import alternate

from carbon_core.factors import FactorLibrary
from carbon_core.plugin_manager import factor_library, get_plugin_manager, run_sectors, sectors

def _factories(n):
    pm = get_plugin_manager()
    index = sectors(pm)
    names = sorted(index)
    out = []
    for k in range(n):
        chosen = [names[k % len(names)], names[(k + 2) % len(names)]]
        raw = {s: index[s].example_inputs()[0] for s in chosen}
        out.append(SimpleNamespace(factory=SimpleNamespace(sectors=tuple(chosen)),
                                   raw={"process": raw}, path=f"f{k}.toml",
                                   reporting_year=2024, gwp_set="AR5"))
    return out


def _on(invs, base):
    pm = get_plugin_manager()
    lib = factor_library(base, pm)
    return [run_sectors(inv, lib, plugin_manager=pm) for inv in invs]


def _off(invs, lib, classes):
    out = []
    for inv in invs:
        items = []
        for s in inv.factory.sectors:
            items.extend(classes[s].compute(inv.raw["process"][s], library=lib,
                                            gwp_set=inv.gwp_set, file=str(inv.path)).line_items)
        out.append(items)
    return out


@pytest.mark.parametrize("n", [1, 1000], ids=["1-factory", "1000-factories"])
def test_dispatch_overhead(benchmark, n):
    base = FactorLibrary.default()
    invs = _factories(n)
    pm = get_plugin_manager()
    lib = factor_library(base, pm)
    classes = {name: type(p)() for name, p in sectors(pm).items()}
    # equal results
    on = _on(invs[:5], base)
    off = _off(invs[:5], lib, classes)
    assert [[i.emissions_tco2e for i in o.line_items] for o in on] == \
        [[i.emissions_tco2e for i in items] for items in off]

    reps = 3 if n > 1 else 200
    # on and off alternated round by round (min of each)
    res = alternate({"off": lambda: _off(invs, lib, classes), "on": lambda: _on(invs, base)},
                    rounds=reps)
    t_off, t_on = res["off"]["min"], res["on"]["min"]
    benchmark.pedantic(_on, args=(invs, base), rounds=1, iterations=1)
    ratio = t_on / t_off
    benchmark.extra_info.update({"factories": n, "t_plugins_on_s": t_on,
                                 "t_plugins_off_s": t_off, "overhead_ratio": ratio,
                                 "overhead_percent": 100 * (ratio - 1)})
    print(f"\n{n} factories: on {t_on:.4f} s, off {t_off:.4f} s, overhead "
          f"{100 * (ratio - 1):+.1f} %")


def _engine_inventory(tmp_path):
    """A factory with invoiced fuels and electricity, no sectors: the engine alone."""
    text = """
schema = "carbon_core.inventory/1"
reporting_year = 2024
gwp_set = "AR5"
[factory]
name = "bench"
credit_code = "91340100MA2N0K1X3U"
grid_province = "CN-AH"
[electricity]
region = "CN-AH"
[[activities]]
id = "g"
carrier = "electricity"
role = "grid_purchase"
amount = 5000.0
unit = "MWh"
[[activities]]
id = "ng"
carrier = "natural_gas"
role = "fuel"
amount = 30.0
unit = "万Nm3"
[[activities]]
id = "d"
carrier = "diesel"
role = "fuel"
amount = 12.0
unit = "t"
"""
    path = tmp_path / "inventory.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("n", [1, 1000], ids=["1-factory", "1000-factories"])
def test_engine_with_plugins_loaded_vs_off(benchmark, tmp_path, n):
    """The whole `compute` with every plugin loaded (manager, merged factor library) against
    `plugins=False`, for a factory that names no sector: the cost of having plugins at all."""
    from carbon_core import compute, load_inventory

    inv = load_inventory(_engine_inventory(tmp_path))
    compute(inv)  # build the plugin manager and the merged library once, as a session would

    def run(plugins):
        for _ in range(n):
            compute(inv, plugins=plugins)

    reps = 3 if n > 1 else 50
    res = alternate({"off": lambda: run(False), "on": lambda: run(True)}, rounds=reps,
                    warmup=False)
    t_off, t_on = res["off"]["min"], res["on"]["min"]
    benchmark.pedantic(run, args=(True,), rounds=1, iterations=1)
    ratio = t_on / t_off
    benchmark.extra_info.update({"factories": n, "t_plugins_on_s": t_on,
                                 "t_plugins_off_s": t_off, "overhead_ratio": ratio,
                                 "overhead_percent": 100 * (ratio - 1)})
