"""Known answers, hand-computed from the cited equations (values in the comments)."""

import math

import pytest

from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary
from carbon_core.plugin_manager import build_plugin_manager, factor_library
from carbon_core.sector import FactoryView
from carbon_core_plugins.appliances import Appliances
from carbon_core_plugins.cement import Cement
from carbon_core_plugins.electronics import Electronics
from carbon_core_plugins.machinery import Machinery
from carbon_core_plugins.steel import Steel

# the core's editions and the built-in plugins' own files (plugins/data/*.toml), loaded the way
# production loads them
LIB = factor_library(FactorLibrary.default(), build_plugin_manager())


def t_by_id(result):
    return {i.id: i.emissions_t_gas for i in result.line_items}


def test_electronics_ipcc_eq_6_2_and_6_3():
    # IPCC 2006 Vol. 3 Eq. 6.2: E = (1-h) FC (1-U) (1 - a d UT); h = 0.10, Table 6.3 etch CF4
    # 1-U = 0.7, Table 6.6 d = 0.9: 1000 kg x 0.9 x 0.7 x (1 - 0.8 x 0.9 x 0.95) = 199.08 kg
    # Eq. 6.3 by-product of etch C2F6 (B_CF4 = 0.4): 500 kg x 0.9 x 0.4 = 180 kg CF4
    res = Electronics().compute(Electronics.example_inputs()[0], library=LIB, gwp_set="AR5")
    got = t_by_id(res)
    assert got["electronics:gas:etch-CF4:CF4"] == pytest.approx(0.19908, rel=1e-12)
    assert got["electronics:gas:etch-C2F6:C2F6"] == pytest.approx(0.5 * 0.9 * 0.4, rel=1e-12)
    assert got["electronics:byproduct-CF4:etch-C2F6:CF4"] == pytest.approx(0.18, rel=1e-12)
    # NF3 remote, measured d = 0.98, UT = 0.9: 2000 x 0.9 x 0.02 x (1 - 0.98 x 0.9) = 4.248 kg
    assert got["electronics:gas:cvd-NF3:NF3"] == pytest.approx(0.004248, rel=1e-12)
    # measured heel 0.05 and (1-U) 0.25, no abatement: 300 x 0.95 x 0.25 = 71.25 kg SF6
    assert got["electronics:gas:etch-SF6:SF6"] == pytest.approx(0.07125, rel=1e-12)
    sf6 = next(i for i in res.line_items if i.gas == "SF6")
    assert sf6.confirmed and "measured" in sf6.factor_source
    cf4 = next(i for i in res.line_items if i.id == "electronics:gas:etch-CF4:CF4")
    assert not cf4.confirmed and "unconfirmed" in cf4.factor_source
    assert all(i.plugin == "electronics" for i in res.line_items)
    assert res.metrics["sector.electronics.fgas_tco2e"] == pytest.approx(
        sum(i.emissions_tco2e for i in res.line_items))


def test_electronics_needs_uptime_with_abatement():
    bad = {"gas_use": [{"process": "etch", "gas": "CF4", "consumed": 10, "unit": "kg",
                        "abated_fraction": 0.5}]}
    with pytest.raises(InputError, match="uptime"):
        Electronics().compute(bad, library=LIB)


def test_appliances_mass_balance_and_blend():
    # R-410A: 2000 - 1500 + 30000 - 30200 - 100 = 200 kg, split 50/50 (ASHRAE 34)
    res = Appliances().compute(Appliances.example_inputs()[0], library=LIB, gwp_set="AR5")
    got = t_by_id(res)
    assert got["appliances:refrigerant:R410A:HFC-32"] == pytest.approx(0.1)
    assert got["appliances:refrigerant:R410A:HFC-125"] == pytest.approx(0.1)
    assert got["appliances:refrigerant:R134a:HFC-134a"] == pytest.approx(0.1)
    assert got["appliances:foam:cabinet-foam:HFC-245fa"] == pytest.approx(0.4)
    assert got["appliances:foam:door-foam:HFC-245fa"] == pytest.approx(0.04)
    # loss rate = 300 kg lost / (30200 + 11900) kg charged
    assert res.metrics["sector.appliances.refrigerant_loss_rate"] == pytest.approx(300 / 42100)


def test_appliances_negative_balance_is_an_input_error():
    bad = {"refrigerant": [{"refrigerant": "R-32", "purchased": 10, "unit": "kg",
                            "charged_into_products": 12}]}
    with pytest.raises(InputError) as exc:
        Appliances().compute(bad, library=LIB, file="inv.toml")
    p = exc.value.problems[0]
    assert (p.file, p.row, p.field) == ("inv.toml", "process.appliances.refrigerant[0]",
                                        "charged_into_products")


def test_machinery_gbt_32151_29():
    res = Machinery().compute(Machinery.example_inputs()[0], library=LIB, gwp_set="AR5")
    got = t_by_id(res)
    assert got["machinery:co2_gas:weld-co2:CO2"] == pytest.approx(40.0)
    # 50 000 Nm3 x 20 % x 1.977 kg/Nm3 = 19.77 t
    assert got["machinery:co2_gas:weld-mix:CO2"] == pytest.approx(19.77)
    # SF6: 100 - 80 + 500 - 505 - 5 = 10 kg
    assert got["machinery:fgas:switchgear-sf6:SF6"] == pytest.approx(0.010)
    # 120 t x 0.6 x 0.95 x 44/12 = 250.8 t
    assert got["machinery:solvent:paint-rto-1:CO2"] == pytest.approx(250.8)


def test_cement_clinker_calcination():
    # GB/T 32151.8-2015: EF = 0.65 x 44/56 + 0.02 x 44/40 = 0.532714... t/t
    ef = 0.65 * 44 / 56 + 0.02 * 44 / 40
    # the factory's energy (from the core): 238 050 tce / 2 300 000 t clinker = 103.5 kgce/t
    res = Cement().compute(Cement.example_inputs()[0], library=LIB,
                           factory=FactoryView.from_tce({"raw_coal": 200000.0,
                                                         "electricity": 38050.0}))
    got = t_by_id(res)
    assert got["cement:clinker:line-1:CO2"] == pytest.approx(1.5e6 * ef, rel=1e-12)
    assert got["cement:dust:line-1:CO2"] == pytest.approx(3000 * ef, rel=1e-12)
    # raw meal organic carbon: default 0.1 % x 44/12
    assert got["cement:organic_carbon:line-1:CO2"] == pytest.approx(2325000 * 0.001 * 44 / 12)
    ef2 = (0.655 - 0.01) * 44 / 56 + 0.018 * 44 / 40
    assert got["cement:clinker:line-2:CO2"] == pytest.approx(8e5 * ef2, rel=1e-12)
    # 103.5 kgce/t is between grade 1 (100) and grade 2 (105) of GB 16780-2021
    assert res.metrics["sector.cement.clinker_energy_kgce_per_t"] == pytest.approx(103.5)
    assert res.metrics["sector.cement.clinker_energy_grade"] == 2


def test_cement_without_the_factory_energy_has_no_grade():
    res = Cement().compute(Cement.example_inputs()[0], library=LIB)
    assert res.metrics["sector.cement.clinker_energy_kgce_per_t"] is None
    assert res.metrics["sector.cement.clinker_energy_grade"] is None


def test_cement_has_no_energy_table_of_its_own():
    inputs = {**Cement.example_inputs()[0], "energy": {"comparable_clinker_energy": 103.5}}
    with pytest.raises(InputError, match="unknown input table"):
        Cement().validate(inputs)


def test_cement_known_answer_one_tonne():
    res = Cement().compute({"kiln": [{"clinker": 1, "cao": 0.56, "mgo": 0.40, "raw_meal": 0,
                                      "raw_meal_organic_carbon": 0}]}, library=LIB)
    assert res.totals_t_gas()["CO2"] == pytest.approx(0.44 + 0.44)


def test_steel_carbon_balance():
    res = Steel().compute(Steel.example_inputs()[0], library=LIB)
    got = t_by_id(res)
    assert got["steel:inputs:limestone:CO2"] == pytest.approx(200000 * 0.440)
    assert got["steel:inputs:electrodes:CO2"] == pytest.approx(1500 * 3.663)
    assert got["steel:inputs:coke:CO2"] == pytest.approx(1e6 * 0.85 * 44 / 12)
    assert got["steel:outputs:crude-steel:CO2"] == pytest.approx(-3e6 * 0.0154)
    deduction = next(i for i in res.line_items if i.id == "steel:outputs:crude-steel:CO2")
    assert deduction.details["deduction"] is True
    total = 88000 + 80000 * 0.471 + 5494.5 + 1e6 * 0.85 * 44 / 12 - 46200 - 100000 * 0.172
    assert res.metrics["sector.steel.process_tco2"] == pytest.approx(total)
    assert res.metrics["sector.steel.blast_furnace_energy_grade"] == 2  # 361 < 365 <= 370


@pytest.mark.parametrize("calorific, equivalent, grade", [
    (355.0, None, 2),    # at the advanced value on the 当量值 figure alone: grade 1 is not awarded
    (355.0, 359.0, 1),   # the 等价值 figure within the advanced value 361
    (355.0, 362.0, 2),   # the 等价值 figure above it
    (370.0, None, 2),    # at the entry value 370
    (371.0, None, 3),    # above entry, within the limit 435
    (436.0, 300.0, 4),   # above the limit: the 等价值 figure cannot rescue it
])
def test_steel_quota_grades_use_the_standards_electricity_bases(calorific, equivalent, grade):
    # GB 21256-2013 blast furnace: advanced 361 (electricity at 等价值), entry 370 and limit 435
    # (electricity at 当量值); values as shipped in plugins/data/steel.toml [M]
    inp = Steel.example_inputs()[0]
    inp["energy"] = {"blast_furnace": calorific, "unit": "kgce/t"}
    if equivalent is not None:
        inp["energy"]["blast_furnace_equivalent"] = equivalent
    res = Steel().compute(inp, library=LIB)
    assert res.metrics["sector.steel.blast_furnace_energy_grade"] == grade


def test_steel_negative_balance_refused():
    with pytest.raises(InputError, match="carbon balance is negative"):
        Steel().compute({"outputs": [{"material": "crude_steel", "amount": 10}]}, library=LIB)


@pytest.mark.parametrize("scale", [0.5, 2.0, 10.0])
def test_linearity_in_activity(scale):
    base = Cement().compute(Cement.example_inputs()[0], library=LIB).totals_t_gas()["CO2"]
    inp = Cement.example_inputs()[0]
    for row in inp["kiln"]:
        for k in ("clinker", "kiln_dust", "bypass_dust", "raw_meal"):
            if k in row:
                row[k] *= scale
    got = Cement().compute(inp, library=LIB).totals_t_gas()["CO2"]
    assert math.isclose(got, base * scale, rel_tol=1e-12)
