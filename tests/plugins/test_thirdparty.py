"""Install a small third-party plugin from tests/ and see it used in a computation."""

import pathlib
import subprocess
import sys
from types import SimpleNamespace

import pytest

import carbon_core.plugin_manager as P
from carbon_core.factors import FactorLibrary
from carbon_core.testing import check_plugin

DEMO = pathlib.Path(__file__).parent / "thirdparty_demo"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(DEMO)],
                   check=True, capture_output=True)
    return target


@pytest.mark.slow
def test_thirdparty_plugin_through_entry_point(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    pm = P.build_plugin_manager()
    rep = P.report(pm)
    glass = next(i for i in rep.loaded if i.name == "glass")
    assert (glass.version, glass.distribution) == ("0.3.1", "carbon-core-glass-demo")
    # the broken plugin of the same distribution is reported, and the others still load
    (fail,) = [f for f in rep.failed if f.name == "broken_demo"]
    assert "glassmelt_sdk" in fail.reason and "ImportError" in fail.reason
    assert {"glass", "cement", "electronics"} <= set(P.sectors(pm))

    lib = P.factor_library(FactorLibrary.default(), pm)
    plugin = P.sectors(pm)["glass"]
    inv = SimpleNamespace(factory=SimpleNamespace(sectors=("glass",)),
                          raw={"process": {"glass": plugin.example_inputs()[0]}},
                          path="glass.toml", reporting_year=2024, gwp_set="AR5")
    out = P.run_sectors(inv, lib, plugin_manager=pm)
    # 1000 t soda ash x 0.41492 + 2 glass_batch_demo (its own unit, 2 t) x 0.43971
    assert out.metrics["sector.glass.process_tco2"] == pytest.approx(414.92 + 2 * 0.43971)
    assert {i.plugin for i in out.line_items} == {"glass"}
    assert out.plugins == {"glass": "0.3.1"}
    check_plugin(plugin, library=lib)


@pytest.mark.slow
def test_thirdparty_plugin_in_a_full_computation(site, monkeypatch, tmp_path):
    """The installed plugin, found by its entry point, adds line items to `carbon_core.compute`."""
    import carbon_core

    monkeypatch.syspath_prepend(str(site))
    P.reset_plugin_manager()
    plugin = P.sectors(P.get_plugin_manager())["glass"]
    rows = plugin.example_inputs()[0]
    lines = ['schema = "carbon_core.inventory/1"', "reporting_year = 2024", 'gwp_set = "AR5"',
             "[factory]", 'name = "Demo glassworks"', 'credit_code = "91340100MA2N0K1X3U"',
             'sectors = ["glass"]', 'grid_province = "CN-AH"',
             "[[activities]]", 'id = "g"', 'carrier = "electricity"', 'role = "grid_purchase"',
             "amount = 100.0", 'unit = "MWh"']
    for table, entries in rows.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            lines.append(f"[[process.glass.{table}]]" if isinstance(entries, list)
                         else f"[process.glass.{table}]")
            for k, v in entry.items():
                lines.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"')
    path = tmp_path / "inventory.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = carbon_core.compute(path)
    glass = [li for li in res.line_items if li.plugin == "glass"]
    assert glass and res.to_dict()["sectors"]["plugins"] == {"glass": "0.3.1"}
    assert res.metrics["sector.glass.process_tco2"] == pytest.approx(414.92 + 2 * 0.43971)
    # the plugin's process emissions are part of Scope 1, next to nothing else
    assert res.scope1_tco2e == pytest.approx(sum(li.emissions_tco2e for li in glass))
