"""Discovery, blocking, duplicates, broken plugins, and the engine entry points."""

import json
import subprocess
import sys
from importlib import metadata
from types import SimpleNamespace

import pytest

import carbon_core.plugin_manager as P
from carbon_core.errors import InputError, PluginError
from carbon_core.factors import FactorLibrary
from carbon_core.engine import available_metrics
from carbon_core_plugins.cement import Cement


def test_nothing_loads_at_import():
    code = ("import sys, carbon_core.plugin_manager, carbon_core.hookspecs; "
            "print([m for m in sys.modules if m.startswith('carbon_core_plugins.')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_builtins_load_through_entry_points():
    pm = P.get_plugin_manager()
    assert pm is P.get_plugin_manager()  # cached
    rep = P.report(pm)
    names = {i.name for i in rep.loaded}
    assert {"electronics", "appliances", "machinery", "cement", "steel"} <= names
    assert all(i.version for i in rep.loaded)
    assert rep.failed == []


@pytest.mark.parametrize("value", ["1", "all"])
def test_env_blocks_all(monkeypatch, value):
    monkeypatch.setenv(P.ENV_DISABLE, value)
    pm = P.build_plugin_manager()
    assert P.sectors(pm) == {} and P.report(pm).autoload is False


def test_env_blocks_named(monkeypatch):
    monkeypatch.setenv(P.ENV_DISABLE, "cement, steel")
    pm = P.build_plugin_manager()
    assert "cement" not in P.sectors(pm) and "electronics" in P.sectors(pm)
    assert sorted(P.report(pm).blocked) == ["cement", "steel"]


def test_duplicate_sector_names_both():
    class OtherCement(Cement):
        pass

    with pytest.raises(PluginError, match=r"sector 'cement' is provided by two plugins: "
                                          r"'cement'.*'my_cement'"):
        P.build_plugin_manager(plugins=[("my_cement", OtherCement)])


def _fake_eps(monkeypatch, extra):
    real = P._entry_points()
    eps = real + [metadata.EntryPoint(name=n, value=v, group="carbon_core.plugins")
                  for n, v in extra]
    monkeypatch.setattr(P, "_entry_points", lambda: sorted(eps, key=lambda e: e.name))


def test_broken_plugin_is_reported_and_others_load(monkeypatch):
    _fake_eps(monkeypatch, [("zz_broken", "no_such_module_xyz:Plugin")])
    pm = P.build_plugin_manager()
    (fail,) = P.report(pm).failed
    assert fail.name == "zz_broken" and "ModuleNotFoundError" in fail.reason
    assert "cement" in P.sectors(pm)


def test_same_entry_point_name_twice(monkeypatch):
    _fake_eps(monkeypatch, [("cement", "carbon_core_plugins.steel:Steel")])
    with pytest.raises(PluginError, match="two plugins are named 'cement'"):
        P.build_plugin_manager()


def test_unit_redefinition_refused():
    class Bad(Cement):
        name = "bad_units"
        unit_definitions = ("tce = 1 kg",)

    with pytest.raises(PluginError, match="redefines unit 'tce'"):
        P.build_plugin_manager(autoload=False, plugins=[("bad_units", Bad)])


def test_metrics_and_indicators_via_hooks():
    pm = P.get_plugin_manager()
    metrics = available_metrics(pm)
    assert metrics["sector.cement.clinker_energy_grade"].provider == "cement"
    ids = {c["id"] for c in P.indicator_contributions(pm)}
    assert "sector.steel.blast_furnace_energy_grade" in ids


def test_plugin_factor_files_live_with_the_plugins():
    base = FactorLibrary.default()
    assert not any(f.key.startswith("sector.") for f in base)  # none in the core's package
    lib = P.factor_library(base)
    assert "sector.cement.quota.clinker.grade1" in lib
    assert len(lib) > len(base)
    again = P.factor_library(lib)
    assert len(again) == len(lib)  # sources already in the base (same content) are skipped
    empty = P.factor_library(FactorLibrary())
    assert "sector.cement.quota.clinker.grade1" in empty
    assert P.factor_library(base) is lib  # cached


def _inventory(sectors, process, path="inv.toml"):
    return SimpleNamespace(factory=SimpleNamespace(sectors=tuple(sectors)),
                           raw={"process": process}, path=path, reporting_year=2024,
                           gwp_set="AR5")


def test_run_sectors_collects_items_metrics_versions():
    inv = _inventory(["cement", "steel"], {"cement": Cement.example_inputs()[0],
                                           "steel": __import__("carbon_core_plugins.steel",
                                                               fromlist=["Steel"]
                                                               ).Steel.example_inputs()[0]})
    lib = P.factor_library(FactorLibrary.default())
    out = P.run_sectors(inv, lib)
    assert {i.plugin for i in out.line_items} == {"cement", "steel"}
    assert out.plugins == {"cement": "0.1.0", "steel": "0.1.0"} or all(out.plugins.values())
    assert "sector.cement.process_tco2" in out.metrics
    assert all(i.scope == 1 and i.category in ("process", "fugitive") for i in out.line_items)
    json.dumps([i.to_dict() for i in out.line_items])


def test_run_sectors_unknown_and_undeclared_sectors():
    inv = _inventory(["glassworks"], {"cement": {}}, path="f.toml")
    with pytest.raises(InputError) as exc:
        P.run_sectors(inv, FactorLibrary.default())
    text = str(exc.value)
    assert "glassworks" in text and "cement" in text and "electronics" in text
    assert {p.row for p in exc.value.problems} == {"factory", "process.cement"}


def test_run_sectors_reports_problems_of_all_sectors():
    inv = _inventory(["cement", "steel"], {"cement": {"kiln": [{"clinker": -1}]},
                                           "steel": {"inputs": [{"material": "coal"}]}})
    with pytest.raises(InputError) as exc:
        P.run_sectors(inv, FactorLibrary.default())
    rows = {p.row for p in exc.value.problems}
    assert "process.cement.kiln[0]" in rows and "process.steel.inputs[0]" in rows
    assert all(p.file == "inv.toml" for p in exc.value.problems)


def test_run_sectors_without_sectors_touches_no_manager(monkeypatch):
    monkeypatch.setattr(P, "get_plugin_manager", lambda **k: pytest.fail("built"))
    out = P.run_sectors(_inventory([], {}), FactorLibrary())
    assert out.line_items == [] and out.plugins == {}
