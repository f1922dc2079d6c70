"""Known answers for the engine, with the source of every number beside it."""

import math

import numpy as np
import pytest

from carbon_core import compute
from carbon_core.errors import InputError
from carbon_core.results import validate_results
from factories import grid, write_inventory, write_long_csv

# Factors used below (all from the shipped factor files):
#   natural gas (NDRC 2015 other-industry guideline, appendix table): NCV 389.31 GJ/10^4 Nm3,
#   CC 15.3 tC/TJ, OF 0.99  ->  389.31 x 0.0153 x 0.99 x 44/12 = 21.6219 tCO2 per 10^4 Nm3
#   diesel (same table): NCV 42.652 GJ/t, CC 20.2 tC/TJ, OF 0.98 -> 3.0961 tCO2/t
#   Anhui 2022 average grid factor (MEE/NBS announcement 2024 No. 33): 0.6782 tCO2/MWh
#   purchased heat: 0.11 tCO2/GJ
#   GB/T 2589-2020 electricity 当量值 0.1229 kgce/kWh; 1 tce = 29.3076 GJ
NG_EF = 389.31 * 0.0153 * 0.99 * 44 / 12
DIESEL_EF = 42.652 * 0.0202 * 0.98 * 44 / 12
ANHUI_2022 = 0.6782


def _run(tmp_path, activities=(), meters=(), series=None, **kw):
    if series:
        write_long_csv(tmp_path / "meters.csv", series)
    path = write_inventory(tmp_path, activities=list(activities), meters=list(meters), **kw)
    return compute(path, plugins=False)


def act(id, carrier, role, amount, unit, **extra):
    return {"id": id, "carrier": carrier, "role": role, "amount": amount, "unit": unit, **extra}


def test_natural_gas_known_answer(tmp_path):
    res = _run(tmp_path, [act("ng", "natural_gas", "fuel", 1.0, "万Nm3")])
    assert round(NG_EF, 4) == 21.6219
    assert res.scope1_tco2e == pytest.approx(21.6219, abs=5e-5)
    (li,) = res.line_items
    assert li.factor_value == pytest.approx(NG_EF, rel=1e-12)
    assert li.factor_keys == ("fuel.natural_gas.ncv", "fuel.natural_gas.carbon_content",
                              "fuel.natural_gas.oxidation")
    assert "1722号" in li.factor_source and li.gwp_set == "AR5" and li.gas == "CO2"


def test_natural_gas_in_nm3_and_chinese_units(tmp_path):
    res = _run(tmp_path, [act("ng", "natural_gas", "fuel", 10000.0, "标准立方米")])
    assert res.scope1_tco2e == pytest.approx(NG_EF, rel=1e-12)


def test_diesel_known_answer(tmp_path):
    # NDRC 2015 other-industry guideline defaults: diesel EF 3.096 tCO2/t
    res = _run(tmp_path, [act("d", "diesel", "fuel", 10.0, "t")])
    assert res.scope1_tco2e == pytest.approx(10 * DIESEL_EF, rel=1e-12)
    assert round(DIESEL_EF, 3) == 3.096


def test_purchased_and_exported_electricity(tmp_path):
    res = _run(tmp_path, [act("g", "electricity", "grid_purchase", 1000.0, "MWh"),
                          act("x", "electricity", "export", 100.0, "MWh")])
    d = res.to_dict()
    assert d["scope2"]["by_category"]["purchased_electricity"] == pytest.approx(678.2)
    assert d["scope2"]["by_category"]["exported_electricity"] == pytest.approx(-67.82)
    assert d["scope2"]["location_based_tco2e"] == pytest.approx(ANHUI_2022 * 900)
    sel = d["provenance"]["selection_rules"]["electricity"]
    assert sel["data_year"] == 2022 and sel["rule"] == "latest:Y-2"
    assert "market_based_tco2e" in d["scope2"]


def test_steam_and_hot_water(tmp_path):
    res = _run(tmp_path, [
        act("s", "steam", "heat_purchase", 100.0, "t", enthalpy_kj_per_kg=2780.0),
        act("w", "hot_water", "heat_purchase", 1000.0, "t", temperature_c=80.0),
        act("h", "heat", "heat_purchase", 50.0, "GJ")])
    # NDRC 2015: steam AD = 100 x (2780 - 83.74) x 1e-3 = 269.626 GJ;
    # hot water AD = 1000 x (80 - 20) x 4.1868e-3 = 251.208 GJ
    gj = 269.626 + 251.208 + 50.0
    assert res.scope2_location_tco2e == pytest.approx(gj * 0.11, rel=1e-12)


def test_exported_heat_deducted(tmp_path):
    res = _run(tmp_path, [act("h", "heat", "heat_purchase", 100.0, "GJ"),
                          act("hx", "heat", "heat_export", 30.0, "GJ")])
    assert res.scope2_location_tco2e == pytest.approx(70 * 0.11)


def test_energy_tce_both_bases(tmp_path):
    res = _run(tmp_path, [act("g", "electricity", "grid_purchase", 1000.0, "MWh"),
                          act("ng", "natural_gas", "fuel", 1.0, "万Nm3")])
    e = res.to_dict()["energy"]
    gas_tce = 389.31 / 29.3076
    assert e["total_tce_calorific"] == pytest.approx(1000 * 0.1229 + gas_tce, rel=1e-12)
    assert e["total_tce"] == e["total_tce_calorific"]
    assert e["total_tce_equivalent"] > e["total_tce_calorific"]  # 等价值 > 当量值 for electricity
    assert "当量值" in e["total_tce_basis"]


def test_intensities(tmp_path):
    res = _run(tmp_path, [act("g", "electricity", "grid_purchase", 1000.0, "MWh")],
               production={"output": 500.0, "output_unit": "t", "value_added": 2.0,
                           "value_added_unit": "亿元"})
    it = res.to_dict()["intensities"]
    assert it["tco2e_per_output"] == pytest.approx(678.2 / 500)
    assert it["tco2e_per_wan_cny"] == pytest.approx(678.2 / 20000)  # 2 亿元 = 20 000 万元
    assert it["tco2e_per_tce"] == pytest.approx(678.2 / 122.9)


def test_totals_are_exact_sums_of_line_items(tmp_path):
    res = _run(tmp_path, [act("ng", "natural_gas", "fuel", 1.234567, "万Nm3"),
                          act("d", "diesel", "fuel", 7.7, "t"),
                          act("g", "electricity", "grid_purchase", 3333.3, "MWh"),
                          act("x", "electricity", "export", 11.1, "MWh")])
    d = res.to_dict()
    s1 = [li["emissions_tco2e"] for li in d["line_items"] if li["scope"] == 1]
    s2 = [li["emissions_tco2e"] for li in d["line_items"] if li["scope"] == 2]
    assert d["scope1"]["total_tco2e"] == math.fsum(s1)
    assert d["scope2"]["location_based_tco2e"] == math.fsum(s2)
    assert d["total_tco2e"] == d["scope1"]["total_tco2e"] + d["scope2"]["location_based_tco2e"]
    validate_results(d)


def test_monthly_breakdown_adds_up(tmp_path):
    t = grid(2024, "1h")
    v = np.linspace(100, 200, t.size)
    m = {"id": "grid", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
         "interval": "1h"}
    res = _run(tmp_path, [act("d", "diesel", "fuel", 2.0, "t")], meters=[m],
               series={"grid": (t, v)})
    rows = res.monthly_table()
    assert rows[-1]["month"] == "unallocated"
    assert rows[-1]["scope1_tco2e"] == pytest.approx(2 * DIESEL_EF)  # annual invoice
    monthly_s2 = math.fsum(r["scope2_location_tco2e"] for r in rows)
    assert monthly_s2 == pytest.approx(res.scope2_location_tco2e, rel=1e-12)
    assert res.dataset["emissions_tco2e"].sizes == {"line_item": 2, "month": 12}


def test_submeters_are_never_counted(tmp_path):
    t = grid(2024, "1D")
    ms = [{"id": "main", "carrier": "electricity", "unit": "MWh", "role": "grid_purchase",
           "interval": "1D"},
          {"id": "sub", "carrier": "electricity", "unit": "MWh", "role": "submeter",
           "interval": "1D"}]
    res = _run(tmp_path, meters=ms, series={"main": (t, np.ones(t.size)),
                                           "sub": (t, np.ones(t.size) * 0.5)})
    assert res.scope2_location_tco2e == pytest.approx(366 * ANHUI_2022)


def test_missing_factor_is_an_error_naming_request(tmp_path):
    with pytest.raises(InputError) as e:
        _run(tmp_path, [act("g", "electricity", "grid_purchase", 1.0, "MWh")],
             electricity={"factor": "average", "region": "CN-AH", "selection": "year:2019"})
    text = str(e.value)
    assert "electricity.grid.average" in text and "data year 2019" in text
    assert "CN-AH/2022" in text  # what exists is listed


def test_measured_factor_overrides_default(tmp_path):
    extra = ('\n[[measured_factors]]\nkey = "fuel.natural_gas.ncv"\nvalue = 400.0\n'
             'unit = "GJ/wan_Nm3"\nevidence = "gas quality report 2024-06"\n')
    res = _run(tmp_path, [act("ng", "natural_gas", "fuel", 1.0, "万Nm3")], extra=extra)
    assert res.scope1_tco2e == pytest.approx(400.0 * 0.0153 * 0.99 * 44 / 12, rel=1e-12)
    measured = res.to_dict()["provenance"]["measured_factors"]
    assert [m["key"] for m in measured] == ["fuel.natural_gas.ncv"]


def test_unconfirmed_factors_are_reported(tmp_path):
    res = _run(tmp_path, [act("ng", "natural_gas", "fuel", 1.0, "万Nm3")])
    d = res.to_dict()
    used = {f["key"]: f for f in d["provenance"]["factors_used"]}
    unconfirmed = [k for k, f in used.items() if not f["confirmed"]]
    assert len(d["provenance"]["unconfirmed_factors"]) == len(unconfirmed)
    li = d["line_items"][0]
    assert li["confirmed"] == all(used[k]["confirmed"] for k in li["factor_keys"])


def test_gwp_set_changes_non_co2_only(tmp_path):
    a = _run(tmp_path, [act("d", "diesel", "fuel", 1.0, "t")], gwp_set="SAR")
    b = _run(tmp_path, [act("d", "diesel", "fuel", 1.0, "t")], gwp_set="AR6")
    assert a.scope1_tco2e == b.scope1_tco2e  # CO2 only at the NDRC defaults
    assert {li.gwp_set for li in a.line_items} == {"SAR"}


def test_example_factory_runs_and_validates():
    from pathlib import Path

    path = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"
    res = compute(path)
    d = res.to_dict()
    validate_results(d)
    assert d["sectors"]["plugins"] == {"appliances": "0.1.0"}
    fugitive = [li for li in res.line_items if li.plugin == "appliances"]
    assert fugitive and d["scope1"]["by_category"]["fugitive"] == pytest.approx(
        math.fsum(li.emissions_tco2e for li in fugitive))
    b = d["balance"]
    assert b["net_tco2e"] == pytest.approx(b["gross_tco2e"] - b["green_electricity_tco2e"]
                                           - b["certificates_tco2e"] - b["offsets_tco2e"])
    assert d["scope2"]["market_based_tco2e"] < d["scope2"]["location_based_tco2e"]
    # market-based Scope 2 = electricity from the balance + heat (no instruments for heat)
    heat = d["scope2"]["by_category"]["purchased_heat"]
    assert d["scope2"]["market_based_tco2e"] == pytest.approx(b["scope2_market_tco2e"] + heat)
    # the balance's gross is Scope 1 + market-basis Scope 2 before instruments
    assert b["gross_tco2e"] - b["green_electricity_tco2e"] - b["certificates_tco2e"] == \
        pytest.approx(d["scope1"]["total_tco2e"] + d["scope2"]["market_based_tco2e"])
    assert d["data_quality"]["rollovers"]  # the gas register wraps once in the example
    assert d["scope1"]["total_tco2e"] > 0 and d["scope2"]["location_based_tco2e"] > 0
    # on-site PV: consumed = grid + PV - export
    kwh = d["electricity_kwh"]
    assert kwh["consumed"] == pytest.approx(kwh["grid_purchase"] + kwh["onsite_renewable"]
                                            - kwh["export"])
    assert kwh["onsite_self_consumed"] == pytest.approx(kwh["onsite_generation"] - kwh["export"])
    assert d["metrics"]["electricity.onsite_renewable_mwh"] == pytest.approx(
        kwh["onsite_self_consumed"] / 1000)


def test_refrigerant_top_up_is_fugitive(tmp_path):
    # IPCC 2006 Vol. 3 §7.5.2 top-up method: 25 kg HFC-134a added x GWP (AR5 WG1 Table 8.A.1: 1300)
    res = _run(tmp_path, [{"id": "chiller", "role": "fugitive", "gas": "HFC-134a",
                           "amount": 25.0, "unit": "kg", "evidence": "maintenance log"}])
    (li,) = res.line_items
    assert (li.category, li.scope, li.gas) == ("fugitive", 1, "HFC-134a")
    assert li.emissions_tco2e == pytest.approx(0.025 * 1300)


def test_fugitive_needs_a_known_gas_and_a_mass(tmp_path):
    with pytest.raises(InputError) as e:
        _run(tmp_path, [{"id": "x", "role": "fugitive", "gas": "R-410A", "amount": 1.0,
                         "unit": "kWh"}])
    fields = {p.field for p in e.value.problems}
    assert fields == {"gas", "unit"}


# Balance through the engine, by hand. Residual factor: national average excluding market-traded
# non-fossil electricity, data year 2022 (MEE/NBS announcement 2024 No. 33): 0.5856 tCO2/MWh.
RESIDUAL_2022 = 0.5856
GEC = '''
[[instruments]]
id = "gec"
type = "gec"
technology = "solar"
province = "CN-QH"
certificates = ["GEC-2024-QH-S#1..400"]
generation_start = "2024-03"
generation_end = "2024-05"
beneficiary = "91340100MA2N0K1X3U"
retired_on = 2025-01-20
evidence = "retirement certificate"
'''


def test_market_based_from_invoiced_electricity(tmp_path):
    res = _run(tmp_path, [act("g", "electricity", "grid_purchase", 1000.0, "MWh"),
                          act("h", "heat", "heat_purchase", 100.0, "GJ")], extra=GEC)
    d = res.to_dict()
    # 1,000 MWh of demand, 400 MWh covered by GECs, 600 MWh at the residual factor; heat as is
    assert d["scope2"]["market_based_tco2e"] == pytest.approx(600 * RESIDUAL_2022 + 100 * 0.11)
    b = d["balance"]
    assert b["certificates_tco2e"] == pytest.approx(400 * RESIDUAL_2022)
    assert b["gross_tco2e"] == pytest.approx(1000 * RESIDUAL_2022 + 100 * 0.11)
    # an annual invoice has no time profile: only annual matching is available
    assert d["metrics"]["balance.cfe_score.annual"] == pytest.approx(0.4)
    assert d["metrics"]["balance.cfe_score.hourly"] is None


def test_excess_certificates_never_go_negative(tmp_path):
    res = _run(tmp_path, [act("g", "electricity", "grid_purchase", 300.0, "MWh")], extra=GEC)
    d = res.to_dict()
    assert d["scope2"]["market_based_tco2e"] == 0.0
    assert d["balance"]["excess_certificates_mwh"] == pytest.approx(100.0)


def test_every_role_has_a_handler():
    from carbon_core.carriers import ROLES
    from carbon_core.engine import _Builder

    assert all(callable(getattr(_Builder, f"_role_{role}", None)) for role in ROLES)
