"""The wider sector contract: what a plugin sees of the factory, carrier claims, its own factor
files, and errors that name the plugin."""

import dataclasses

import numpy as np
import pytest

import carbon_core.plugin_manager as P
from carbon_core import compute
from carbon_core.engine import available_metrics
from carbon_core.errors import InputError, PluginError
from carbon_core.factors import FactorLibrary
from carbon_core.hookspecs import hookimpl
from carbon_core.metrics import MetricInfo
from carbon_core.sector import CarrierEnergy, Field, SectorPlugin, Table
from carbon_core.testing import check_plugin
from carbon_core_plugins.steel import Steel
from factories import write_inventory

# diesel without a measured NCV: GB/T 2589-2020 附录A 表A.1 reference coefficient 柴油
# 1.4571 kgce/kg (issue 9: tce uses the standard's coefficient, not the NDRC guideline's NCV):
# 10 t diesel = 14.571 tce
DIESEL_TCE_PER_T = 1.4571


class Probe(SectorPlugin):
    """Emits nothing of its own but reports what it saw of the factory."""

    name = "probe"
    title = "Probe (test)"
    method = "reads ctx.factory"
    references = ("none",)
    tables = (Table("rows", (Field("amount", unit="t", unit_key="unit"),)),)
    metric_definitions = (MetricInfo("tce", "tce", "factory energy seen", None),
                          MetricInfo("diesel_t", "t", "diesel seen", None),
                          MetricInfo("year", "1", "year seen", None),
                          MetricInfo("output", "1", "output seen", None))
    claimed_carriers = ("gasoline",)
    seen: list = []

    def _compute(self, data, ctx):
        type(self).seen.append(ctx.factory)
        rows = data["rows"]
        ctx.emit("process", gas="CO2", source=rows.ids, carrier="x", activity=rows["amount"],
                 activity_unit="t", factor_value=0.0, factor_unit="t/t", factor_source="test",
                 formula="E = 0")

    def _metrics(self, data, ctx):
        f = ctx.factory
        return {"tce": f.total_tce_calorific, "diesel_t": f.energy["diesel"].activity if "diesel" in f.energy else None,
                "year": f.reporting_year, "output": f.output}


@pytest.fixture
def probe_manager(monkeypatch):
    Probe.seen = []
    pm = P.build_plugin_manager(autoload=False, plugins=[("probe", Probe)])
    monkeypatch.setattr(P, "_MANAGER", pm)
    monkeypatch.setattr(P, "_MANAGER_AUTOLOAD", True)
    return pm


def _inventory(tmp_path, activities):
    return write_inventory(tmp_path, activities=activities, sectors=["probe"],
                           production={"output": 1000.0, "output_unit": "t"},
                           extra='\n[[process.probe.rows]]\nid = "r1"\namount = 1.0\n'
                                 'unit = "t"\n')


def test_plugins_see_the_factory_read_only(tmp_path, probe_manager):
    path = _inventory(tmp_path, [{"id": "d", "carrier": "diesel", "role": "fuel",
                                  "amount": 10.0, "unit": "t", "period": "2024"}])
    res = compute(path)
    assert res.metrics["sector.probe.diesel_t"] == pytest.approx(10.0)
    assert res.metrics["sector.probe.tce"] == pytest.approx(10 * DIESEL_TCE_PER_T, rel=1e-9)
    assert res.metrics["sector.probe.tce"] == res.energy["total_tce_calorific"]  # the same number
    assert res.metrics["sector.probe.year"] == 2024 and res.metrics["sector.probe.output"] == 1e3
    view = Probe.seen[-1]
    assert view.region == "CN-AH" and view.grid_region == "CN-GRID-EAST"
    with pytest.raises(TypeError):
        view.energy["diesel"] = CarrierEnergy("diesel", 0, "t", 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.output = 1.0


def test_a_claimed_carrier_refuses_a_core_fuel_line(tmp_path, probe_manager):
    path = _inventory(tmp_path, [{"id": "car-petrol", "carrier": "gasoline", "role": "fuel",
                                  "amount": 2.0, "unit": "t", "period": "2024"}])
    with pytest.raises(InputError) as exc:
        compute(path)
    (p,) = exc.value.problems
    assert p.field == "carrier" and p.found == "gasoline"
    assert "'probe'" in p.message and "car-petrol" in p.message and p.row.startswith("activit")


def test_steel_claims_coke_only_when_it_balances_it():
    steel = Steel()
    assert steel.claims(steel.validate(Steel.example_inputs()[0])) == ("coke",)
    no_coke = {"inputs": [{"id": "l", "material": "limestone", "amount": 1.0, "unit": "t"}]}
    assert steel.claims(steel.validate(no_coke)) == ()


class Boom(Probe):
    name = "boom"
    claimed_carriers = ()

    def _compute(self, data, ctx):
        raise ZeroDivisionError("bad kernel")


def test_an_exception_in_a_plugin_names_the_plugin():
    with pytest.raises(PluginError, match=r"plugin 'boom'.*ZeroDivisionError.*bad kernel"):
        Boom().compute({"rows": [{"amount": 1.0, "unit": "t"}]}, library=FactorLibrary())


class _BadHook:
    @hookimpl
    def carbon_metric_definitions(self):
        raise RuntimeError("cannot list")


def test_an_exception_in_a_hook_names_the_plugin():
    pm = P.build_plugin_manager(autoload=False, plugins=[("bad_hook", _BadHook())])
    with pytest.raises(PluginError, match=r"plugin 'bad_hook' raised RuntimeError"):
        available_metrics(pm)


class _Shadow:
    @hookimpl
    def carbon_metric_definitions(self):
        return [MetricInfo("emissions.scope1_tco2e", "tCO2e", "my own Scope 1", False, "shadow")]


class _Twice:
    @hookimpl
    def carbon_metric_definitions(self):
        return [MetricInfo("sector.probe.tce", "tce", "again", None, "twice")]


def test_a_metric_declared_twice_is_an_error():
    pm = P.build_plugin_manager(autoload=False, plugins=[("shadow", _Shadow())])
    with pytest.raises(PluginError, match="emissions.scope1_tco2e.*'core' already declares"):
        available_metrics(pm)
    pm = P.build_plugin_manager(autoload=False, plugins=[("probe", Probe), ("twice", _Twice())])
    with pytest.raises(PluginError, match="sector.probe.tce.*'probe'.*'twice'|'twice'.*'probe'"):
        available_metrics(pm)


class Lime(SectorPlugin):
    """Ships its factor file beside its own module (tests/lime_demo.toml)."""

    name = "lime_demo"
    title = "Lime (test)"
    method = "CaO x EF"
    references = ("test",)
    factor_files = ("lime_demo.toml",)
    tables = (Table("kiln", (Field("cao", unit="t", unit_key="unit"),)),)

    @classmethod
    def example_inputs(cls):
        return [{"kiln": [{"id": "a", "cao": 1.0, "unit": "t"}, {"id": "b", "cao": 2.0,
                                                               "unit": "t"}]}]

    def _compute(self, data, ctx):
        k = data["kiln"]
        ef, cite, ok = ctx.lookup(np.full(len(k), "sector.lime_demo.co2_factor"), k, "cao")
        ctx.emit("process", gas="CO2", source=k.ids, carrier="CaO", activity=k["cao"],
                 activity_unit="t", factor_value=ef, factor_unit="t/t", factor_source=cite,
                 confirmed=ok, factor_keys=("sector.lime_demo.co2_factor",),
                 formula="E = CaO x EF")


def test_factor_files_default_to_the_plugins_own_package():
    # the plugin class lives in this test module: its factor file is found beside it
    assert [p.name for p in Lime().factor_tables()] == ["lime_demo.toml"]
    check_plugin(Lime(), library=FactorLibrary())
    res = Lime().compute(Lime.example_inputs()[0],
                         library=P.factor_library(FactorLibrary(), P.build_plugin_manager(
                             autoload=False, plugins=[("lime_demo", Lime)])))
    # 44/56 = 0.785714 tCO2 per t CaO (molar masses CO2 44, CaO 56)
    assert [i.emissions_t_gas for i in res.line_items] == pytest.approx([44 / 56, 88 / 56])


def test_a_missing_factor_file_names_plugin_file_and_package():
    class Lost(Lime):
        name = "lost"
        factor_files = ("data/nowhere.toml",)

    with pytest.raises(PluginError, match=r"plugin 'lost'.*'data/nowhere.toml'.*package"):
        Lost().factor_tables()


def test_ctx_factor_takes_region_and_rule():
    lib = FactorLibrary.from_tables([({
        "schema": "carbon_core.factors/1",
        "source": {"id": "t", "title": "t", "publisher": "p", "year": 2024},
        "factor": [
            {"key": "sector.x.k", "value": 1.0, "unit": "t/t", "region": "CN", "data_year": 2022,
             "confidence": "C", "table": "T1"},
            {"key": "sector.x.k", "value": 2.0, "unit": "t/t", "region": "CN", "data_year": 2023,
             "confidence": "C", "table": "T1"},
            {"key": "sector.x.k", "value": 3.0, "unit": "t/t", "region": "CN-AH",
             "data_year": 2023, "confidence": "C", "table": "T1"},
        ]}, "t.toml", "0")])
    from carbon_core.sector import SectorContext

    ctx = SectorContext(Lime(), lib, gwp_set="AR5", file="f", reporting_year=2024, region="CN")
    assert ctx.factor("sector.x.k", rule="year:2022").value == 1.0
    assert ctx.factor("sector.x.k", rule="latest:Y-1").value == 2.0
    assert ctx.factor("sector.x.k", "CN-AH", rule="latest:Y").value == 3.0
