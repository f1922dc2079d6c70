"""Scope 3: methods with published worked examples, screening, data quality, the ISO 14064-1 view,
biogenic CO2, the balance, and bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import carbon_core
from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary
from carbon_core.engine import available_metrics
from carbon_core.results import validate_results
from carbon_core.scope3 import SCOPE3_CATEGORIES, category_number

from .conftest import MONEY


def compute(path):
    return carbon_core.compute(path, plugins=False)


def line(doc, lid):
    return next(li for li in doc["line_items"] if li["source"] == lid)


def s3(*rows, head='factor_selection = "year:2025"', more=""):
    """A [scope3] table with these [[scope3.lines]] (dicts)."""
    from factories import toml_value

    out = ["", "[scope3]", head]
    for r in rows:
        out.append("\n[[scope3.lines]]")
        for k, v in r.items():
            if isinstance(v, dict):
                v = "{ " + ", ".join(f"{a} = {toml_value(b)}" for a, b in v.items()) + " }"
                out.append(f"{k} = {v}")
            else:
                out.append(f"{k} = {toml_value(v)}")
    return "\n".join(out) + "\n" + more


# -- the fifteen categories -------------------------------------------------------------------

def test_fifteen_categories_named_in_chinese_and_english():
    # Scope 3 Standard (WRI/WBCSD 2011) Table 5.3: categories 1-8 upstream, 9-15 downstream
    assert sorted(SCOPE3_CATEGORIES) == list(range(1, 16))
    assert [c.stream for c in SCOPE3_CATEGORIES.values()] == ["upstream"] * 8 + ["downstream"] * 7
    assert SCOPE3_CATEGORIES[6].name_en == "business travel"
    assert SCOPE3_CATEGORIES[6].name_zh == "商务差旅"
    assert all(c.name_zh and c.methods for c in SCOPE3_CATEGORIES.values())
    assert category_number(99) is None and category_number("cat7") == 7


# -- known answers --------------------------------------------------------------------------

def test_supplier_allocation_technical_guidance_example_4_3(make):
    # Technical Guidance for Calculating Scope 3 Emissions (2013), Category 4, Example 4.3
    # (Deutsche Post DHL), option II: a vehicle's 31.5 kg CO2 allocated by the shortest
    # theoretical distance, 240 / 150 / 100 tkm of 490 -> 15.43 / 9.64 / 6.43 kg CO2.
    rows = [{"id": f"shipment-{k}", "category": 4, "method": "supplier_specific",
             "supplier": "Deutsche Post DHL", "supplier_emissions": 31.5,
             "supplier_emissions_unit": "kgCO2e", "allocation_ours": tkm,
             "allocation_total": 490, "allocation_unit": "t*km",
             "evidence": "carrier's shipment report"} for k, tkm in ((1, 240), (2, 150), (3, 100))]
    doc = compute(make(s3(*rows))).to_dict()
    kg = [round(line(doc, f"shipment-{k}")["emissions_tco2e"] * 1000, 2) for k in (1, 2, 3)]
    assert kg == [15.43, 9.64, 6.43]
    assert doc["scope3"]["total_tco2e"] * 1000 == pytest.approx(31.5, rel=1e-12)
    assert line(doc, "shipment-1")["details"]["method"] == "supplier_specific"
    # supplier data: no factor region to judge, so no foreign-factor warning
    assert doc["scope3"]["warnings"] == []


def test_wood_biogenic_co2_from_ipcc_defaults(make):
    # IPCC 2006 Vol. 2: wood/wood waste NCV 15.6 TJ/Gg (Table 1.2), CO2 112,000 kg/TJ (Table 1.4),
    # CH4 30 and N2O 4 kg/TJ (Table 2.3). 1 t -> 15.6 GJ -> 1.7472 t biogenic CO2, 0.468 kg CH4,
    # 0.0624 kg N2O (derived from the published defaults).
    wood = {"id": "wood", "carrier": "wood", "role": "fuel", "amount": 1.0, "unit": "t",
            "period": "2024"}
    doc = compute(make("", activities=[wood])).to_dict()
    assert doc["biogenic"]["co2_t"] == pytest.approx(1.7472, rel=1e-12)
    assert line(doc, "wood")["scope"] == 1
    gases = {li["gas"]: li["emissions_t_gas"] for li in doc["line_items"] if li["source"] == "wood"}
    assert gases == pytest.approx({"CH4": 0.468e-3, "N2O": 0.0624e-3}, rel=1e-12)
    # its CO2 is not in Scope 1 or the total (GB/T 32150-2015)
    assert "CO2" not in gases
    assert doc["total_tco2e"] == pytest.approx(0.468e-3 * 28 + 0.0624e-3 * 265, rel=1e-12)
    validate_results(doc)


def test_desnz_and_epa_values_as_published():
    # the shipped factor editions hold the published values (flat file IDs in the notes)
    lib = FactorLibrary.default()
    f = lib.get("scope3.freight.hgv_diesel.all_hgvs.average_laden", "GB", rule="year:2025")
    assert (f.value, f.unit, f.confidence) == (0.10163, "kgCO2e/(t*km)", "S")
    assert lib.get("scope3.travel.rail.national_rail", "GB", rule="year:2025").value == 0.03546
    assert lib.get("scope3.waste.commercial_industrial.landfill", "GB",
                   rule="year:2025").value == 520.5327
    e = lib.get("scope3.spend.naics.331110", "US", rule="year:2022")
    assert (e.value, e.unit) == (0.787, "kgCO2e/USD")


# -- methods ----------------------------------------------------------------------------------

def test_each_method_records_itself(make):
    rows = [
        {"id": "rail", "category": 4, "method": "distance_based", "mass": 100, "mass_unit": "t",
         "distance": 500, "distance_unit": "km", "factor_key": "scope3.freight.rail.freight_train",
         "factor_region": "GB"},
        {"id": "flights", "category": 6, "method": "distance_based", "amount": 20000,
         "unit": "passenger*km",
         "factor_key": "scope3.travel.air.international_non_uk.economy.with_rf",
         "factor_region": "GB"},
        {"id": "waste", "category": 5, "method": "waste_type", "amount": 10, "unit": "t",
         "waste_type": "commercial_industrial", "treatment": "landfill", "factor_region": "GB"},
        {"id": "steel", "category": 1, "method": "average_data", "amount": 100, "unit": "t",
         "factor": 2.0, "factor_unit": "tCO2e/t", "factor_source": "steel EPD 2023",
         "factor_region": "CN", "factor_year": 2023},
        {"id": "spend", "category": 1, "method": "spend_based", "amount": 700000, "unit": "CNY",
         "price_year": 2024, "factor_key": "scope3.spend.naics.331110", "factor_region": "US",
         "factor_selection": "year:2022"},
        {"id": "use", "category": 11, "method": "use_phase", "units_sold": 1000,
         "lifetime_uses": 10000, "energy_per_use": 1.0, "energy_unit": "kWh",
         "factor_key": "electricity.grid.average", "factor_region": "CN",
         "factor_selection": "latest:Y-2"},
    ]
    doc = compute(make(s3(*rows, more=MONEY))).to_dict()
    got = {r["id"]: line(doc, r["id"]) for r in rows}
    assert {k: v["details"]["method"] for k, v in got.items()} == {r["id"]: r["method"]
                                                                   for r in rows}
    assert got["rail"]["activity"] == 50000.0 and got["rail"]["emissions_tco2e"] == \
        pytest.approx(50000 * 0.02779e-3)
    assert got["flights"]["emissions_tco2e"] == pytest.approx(20000 * 0.10916e-3)
    assert got["waste"]["emissions_tco2e"] == pytest.approx(10 * 0.5205327)
    assert got["steel"]["emissions_tco2e"] == pytest.approx(200.0)
    # 700,000 CNY / 7.0 CNY per USD = 100,000 USD (2024) x 100/125 = 80,000 USD (2022)
    assert got["spend"]["activity"] == pytest.approx(80000.0)
    conv = got["spend"]["details"]["conversion"]
    assert [s["step"] for s in conv["steps"]] == ["exchange rate", "price index"]
    # MEE/NBS 2022 national average 0.5366 tCO2/MWh (latest:Y-2 for 2024)
    assert got["use"]["emissions_tco2e"] == pytest.approx(1e7 * 0.5366e-3)
    by_cat = {c["category"]: c for c in doc["scope3"]["categories"]}
    assert by_cat[1]["by_method_tco2e"].keys() == {"average_data", "spend_based"}
    validate_results(doc)
    # every shipped Scope 3 value is unconfirmed (S): the result says so
    unconfirmed = " ".join(doc["provenance"]["unconfirmed_factors"])
    assert "scope3.freight.rail.freight_train" in unconfirmed
    assert "scope3.spend.naics.331110" in unconfirmed


def test_unknown_scope3_setting_suggests_the_nearest(make):
    (p,) = problems(make("\n[scope3]\nfactor_selecton = 'year:2025'\n"))
    assert p.field == "factor_selecton" and "did you mean 'factor_selection'" in p.expected


def test_hybrid_adds_allocated_supplier_emissions_and_inputs(make):
    row = {"id": "castings", "category": 1, "method": "hybrid", "amount": 50, "unit": "t",
           "supplier": "某铸造厂", "supplier_emissions": 1000, "supplier_emissions_unit": "tCO2e",
           "allocation_share": 0.1, "evidence": "supplier's 2024 GHG report",
           "inputs": [{"id": "pig-iron", "amount": 55, "unit": "t", "factor": 1.9,
                       "factor_unit": "tCO2e/t", "factor_source": "worldsteel 2023",
                       "factor_region": "GLOBAL", "factor_year": 2023}]}
    extra = s3() + """
[[scope3.lines]]
id = "castings"
category = 1
method = "hybrid"
amount = 50
unit = "t"
supplier = "某铸造厂"
supplier_emissions = 1000
supplier_emissions_unit = "tCO2e"
allocation_share = 0.1
evidence = "supplier's 2024 GHG report"

[[scope3.lines.inputs]]
id = "pig-iron"
amount = 55
unit = "t"
factor = 1.9
factor_unit = "tCO2e/t"
factor_source = "worldsteel 2023"
factor_region = "GLOBAL"
factor_year = 2023
"""
    doc = compute(make(extra)).to_dict()
    li = line(doc, row["id"])
    assert li["emissions_tco2e"] == pytest.approx(100.0 + 55 * 1.9)
    assert li["details"]["supplier_allocated_tco2e"] == pytest.approx(100.0)
    # the secondary input factor is GLOBAL: flagged as foreign for a Chinese factory
    assert li["details"]["data_quality"]["levels"]["geographical"] == "fair"


def test_older_inventory_form_still_works(make):
    extra = """
[[scope3]]
id = "purchased-steel"
category = 1
amount = 1200
unit = "t"
factor = 2.1
factor_unit = "tCO2e/t"
factor_source = "supplier EPD No. 1 (2024)"
"""
    doc = compute(make(extra)).to_dict()
    li = line(doc, "purchased-steel")
    assert li["emissions_tco2e"] == pytest.approx(2520.0)
    assert li["details"]["method"] == "declared" and li["scope"] == 3
    assert doc["scope3"]["by_category"] == {"1": pytest.approx(2520.0)}
    assert doc["scope3"]["inventory_form"].startswith("[[scope3]]")


# -- screening and data quality ---------------------------------------------------------------

def test_screening_shows_all_fifteen(make):
    extra = s3({"id": "rail", "category": 4, "method": "distance_based", "amount": 1000,
                "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
                "factor_region": "GB"}, more="""
[scope3.screening]
1 = "relevant"
upstream_transportation_and_distribution = "relevant"
7 = { status = "not_relevant", reason = "staff live on the site" }
""")
    doc = compute(make(extra)).to_dict()
    cats = doc["scope3"]["categories"]
    assert [c["category"] for c in cats] == list(range(1, 16))
    status = {c["category"]: c["screening"]["status"] for c in cats}
    assert status[1] == status[4] == "relevant" and status[7] == "not_relevant"
    assert sum(s == "not_assessed" for s in status.values()) == 12
    assert any("declared relevant but not quantified" in w for w in doc["scope3"]["warnings"])
    m = doc["metrics"]
    assert m["scope3.categories_not_assessed"] == 12.0
    assert m["emissions.scope3.cat07_tco2e"] == 0.0 and m["emissions.scope3.cat02_tco2e"] is None


def test_foreign_factor_flagged_never_silent(make):
    extra = s3({"id": "rail", "category": 4, "method": "distance_based", "amount": 1000,
                "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
                "factor_region": "GB"},
               {"id": "steel", "category": 1, "method": "average_data", "amount": 1, "unit": "t",
                "factor": 2.0, "factor_unit": "tCO2e/t", "factor_source": "Anhui steel EPD",
                "factor_region": "CN-AH", "factor_year": 2024,
                "data_quality": {"technological": "good", "completeness": "good",
                                 "reliability": "very_good"}})
    doc = compute(make(extra)).to_dict()
    rail = line(doc, "rail")["details"]["data_quality"]
    steel = line(doc, "steel")["details"]["data_quality"]
    assert rail["levels"]["geographical"] == "fair" and rail["warnings"]
    assert any("GB is outside the factory's country CN" in w for w in doc["scope3"]["warnings"])
    assert steel["levels"] == {"technological": "good", "temporal": "very_good",
                               "geographical": "very_good", "completeness": "good",
                               "reliability": "very_good"}
    assert steel["score"] == pytest.approx(1.4) and steel["not_assessed"] == []
    # rail: technological, completeness, reliability undeclared -> poor, listed as not assessed
    assert sorted(rail["not_assessed"]) == ["completeness", "reliability", "technological"]
    assert 1.0 <= doc["scope3"]["data_quality"]["score"] <= 4.0
    assert doc["metrics"]["scope3.foreign_factor_share"] == pytest.approx(
        27.79e-3 / (27.79e-3 + 2.0))


def test_declared_level_better_than_the_factor_is_not_taken(make):
    extra = s3({"id": "rail", "category": 4, "method": "distance_based", "amount": 1000,
                "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
                "factor_region": "GB", "data_quality": {"geographical": "very_good"}})
    q = line(compute(make(extra)).to_dict(), "rail")["details"]["data_quality"]
    assert q["levels"]["geographical"] == "fair" and q["notes"]


# -- ISO 14064-1 and the balance ------------------------------------------------------------

def test_iso_view_totals_equal_scope_totals(make):
    extra = s3({"id": "rail", "category": 4, "method": "distance_based", "amount": 1000,
                "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
                "factor_region": "GB"},
               {"id": "franchise", "category": 14, "method": "average_data", "amount": 3,
                "unit": "dimensionless", "factor": 10, "factor_unit": "tCO2e",
                "factor_source": "franchisee reports", "factor_region": "CN"})
    r = compute(make(extra))
    doc = r.to_dict()
    iso = {c["category"]: c["total_tco2e"] for c in doc["iso14064"]["categories"]}
    assert iso[1] == r.scope1_tco2e and iso[2] == r.scope2_location_tco2e
    assert iso[3] == pytest.approx(27.79e-3) and iso[6] == pytest.approx(30.0)
    assert doc["iso14064"]["total_tco2e"] == pytest.approx(
        r.scope1_tco2e + r.scope2_location_tco2e + r.scope3_tco2e, rel=1e-15)


def test_type_ii_balance_includes_declared_categories(make):
    extra = s3({"id": "rail", "category": 4, "method": "distance_based", "amount": 100000,
                "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
                "factor_region": "GB"},
               {"id": "travel", "category": 6, "method": "distance_based", "amount": 1000,
                "unit": "passenger*km", "factor_key": "scope3.travel.rail.national_rail",
                "factor_region": "GB"},
               more='\n[balance]\nboundary = "II"\n'
                    'scope3_categories = ["upstream_transportation_and_distribution"]\n')
    r = compute(make(extra))
    assert r.balance["boundary"]["scope3_categories"] == ["4"]
    assert r.balance["gross_components"]["scope3_tco2e"] == pytest.approx(100000 * 0.02779e-3)


def test_scope3_metrics_are_declared_for_the_indicator_system():
    names = available_metrics()
    assert {"scope3.data_quality", "emissions.scope3.cat01_tco2e",
            "emissions.scope3.cat15_tco2e", "emissions.biogenic_co2_t"} <= set(names)
    assert names["scope3.data_quality"].higher_is_better is False


# -- biogenic feedstocks and removals ---------------------------------------------------------

def test_removals_shown_separately_never_netted(make):
    base = compute(make("")).to_dict()
    extra = """
[[biogenic.feedstocks]]
id = "fermentation"
amount = 12
unit = "tCO2"
evidence = "process mass balance 2024"

[[biogenic.removals]]
id = "mineralisation"
amount = 5
unit = "tCO2"
method = "carbonation of process slag, measured"
evidence = "lab report 2024-11"
"""
    doc = compute(make(extra)).to_dict()
    assert doc["biogenic"]["feedstock_co2_t"] == 12.0
    assert doc["biogenic"]["removals"]["total_tco2"] == 5.0
    assert doc["total_tco2e"] == base["total_tco2e"]
    assert doc["scope1"]["total_tco2e"] == base["scope1"]["total_tco2e"]
    assert doc["metrics"]["removals.inside_boundary_tco2"] == 5.0


# -- bad inputs -------------------------------------------------------------------------------

def problems(path):
    with pytest.raises(InputError) as err:
        compute(path)
    return err.value.problems


def test_category_99_refused_in_both_forms(make):
    legacy = "\n[[scope3]]\nid = 'x'\ncategory = 99\namount = 1\nunit = 't'\nfactor = 1\n" \
             "factor_unit = 'tCO2e/t'\nfactor_source = 'x'\n"
    for extra in (legacy, s3({"id": "x", "category": 99, "method": "average_data", "amount": 1,
                              "unit": "t", "factor": 1, "factor_unit": "tCO2e/t",
                              "factor_source": "x", "factor_region": "CN"})):
        (p,) = [q for q in problems(make(extra)) if q.field == "category"]
        assert p.found == 99 and "1..15" in p.expected


def test_unknown_method_suggests_the_nearest(make):
    (p,) = problems(make(s3({"id": "x", "category": 1, "method": "spend_base", "amount": 1,
                             "unit": "CNY"})))
    assert p.field == "method" and "did you mean 'spend_based'" in p.expected


def test_method_not_of_the_category(make):
    (p,) = problems(make(s3({"id": "x", "category": 1, "method": "use_phase", "units_sold": 1,
                             "lifetime_uses": 1, "energy_per_use": 1, "energy_unit": "kWh",
                             "factor": 1, "factor_unit": "tCO2e/kWh", "factor_source": "x",
                             "factor_region": "CN"})))
    assert p.field == "method" and "purchased goods" in p.message


def test_no_factor_and_no_supplier_data_is_an_error(make):
    ps = problems(make(s3({"id": "x", "category": 1, "method": "average_data", "amount": 1,
                           "unit": "t"},
                          {"id": "y", "category": 1, "method": "supplier_specific",
                           "amount": 1, "unit": "t"})))
    by = {str(p.row): p for p in ps}
    assert "no factor" in by["scope3.lines[0]"].message
    assert "no supplier data" in by["scope3.lines[1]"].message


def test_currency_without_rate_names_what_is_missing(make):
    ps = problems(make(s3({"id": "x", "category": 1, "method": "spend_based",
                           "amount": 1000, "unit": "万元", "price_year": 2024,
                           "factor_key": "scope3.spend.naics.331110", "factor_region": "US",
                           "factor_selection": "year:2022"})))
    assert len(ps) == 2
    assert "exchange rate CNY per USD for 2024" in ps[0].message
    assert "USD price index with values for [2024, 2022]" in ps[1].message
    # with the rate but no price index: the index years are named
    more = MONEY.split("[[scope3.price_indices]]")[0]
    (p,) = problems(make(s3({"id": "x", "category": 1, "method": "spend_based",
                             "amount": 1000, "unit": "万元", "price_year": 2024,
                             "factor_key": "scope3.spend.naics.331110", "factor_region": "US",
                             "factor_selection": "year:2022"}, more=more)))
    assert "USD price index" in p.message and "2024" in p.message


def test_spend_without_price_year_and_non_money_unit(make):
    ps = problems(make(s3({"id": "x", "category": 1, "method": "spend_based", "amount": 1,
                           "unit": "t", "price_year": 2024, "factor_key": "scope3.spend.naics."
                           "331110", "factor_region": "US", "factor_selection": "year:2022"},
                          {"id": "y", "category": 1, "method": "spend_based", "amount": 1,
                           "unit": "USD", "factor_key": "scope3.spend.naics.331110",
                           "factor_region": "US"})))
    fields = {(str(p.row), p.field) for p in ps}
    assert ("scope3.lines[0]", "unit") in fields and ("scope3.lines[1]", "price_year") in fields


def test_unit_mismatch_and_unknown_keys(make):
    ps = problems(make(s3({"id": "x", "category": 4, "method": "distance_based", "amount": 10,
                           "unit": "passenger*km", "factor_key": "scope3.freight.rail."
                           "freight_train", "factor_region": "GB", "factor_regoin": "GB"})))
    msgs = {p.field: p for p in ps}
    assert "does not fit the activity" in msgs["factor_key"].message
    assert "did you mean 'factor_region'" in msgs["factor_regoin"].expected


def test_dated_factor_needs_a_selection_rule(make):
    (p,) = problems(make(s3({"id": "x", "category": 4, "method": "distance_based", "amount": 1,
                             "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
                             "factor_region": "GB"}, head="")))
    assert "give a rule" in p.message


def test_screening_errors(make):
    ps = problems(make(s3({"id": "rail", "category": 4, "method": "distance_based",
                           "amount": 1, "unit": "t*km",
                           "factor_key": "scope3.freight.rail.freight_train",
                           "factor_region": "GB"}, more="""
[scope3.screening]
4 = { status = "not_relevant", reason = "no freight" }
6 = "not_relevant"
99 = "relevant"
8 = "maybe"
""")))
    rows = {str(p.row) for p in ps}
    assert {"scope3.screening.4", "scope3.screening.6", "scope3.screening.99",
            "scope3.screening.8"} <= rows


def test_bad_removal_and_unknown_biogenic_key(make):
    ps = problems(make("\n[biogenic]\nremoval = []\n[[biogenic.removals]]\nid = 'r'\n"
                       "amount = -3\nunit = 'tCO2'\nmethod = 'x'\nevidence = 'y'\n"))
    fields = {p.field for p in ps}
    assert {"removal", "amount"} <= fields


def test_cli_reports_bad_scope3_without_traceback(make):
    path = make(s3({"id": "x", "category": 99, "method": "average_data"}))
    out = subprocess.run([sys.executable, "-c", "from carbon_core.cli import main; main()",
                          "compute", str(path)], capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "Traceback" not in text and "category" in text


def test_results_json_validates(make):
    doc = compute(make(s3({"id": "rail", "category": 4, "method": "distance_based",
                           "amount": 1, "unit": "t*km",
                           "factor_key": "scope3.freight.rail.freight_train",
                           "factor_region": "GB"}))).to_dict()
    validate_results(json.loads(json.dumps(doc)))


def test_example_factory_scope3_leaves_scope1_and_2_identical():
    # regression pins: the example's Scope 1 and 2 before its Scope 3 lines were added
    from pathlib import Path

    example = Path(__file__).parents[2] / "examples" / "hefei-appliance" / "inventory.toml"
    r = carbon_core.compute(example)
    assert r.scope1_tco2e == 1757.6988032344893
    assert r.scope2_location_tco2e == 14873.33081596
    doc = r.to_dict()
    assert doc["total_tco2e"] == 16631.02961919449
    assert set(doc["scope3"]["by_category"]) == {"1", "4", "5", "6", "11"}
    assert doc["balance"]["gross_components"]["scope3_tco2e"] == 0.0   # type I boundary
    validate_results(doc)


def test_non_finite_and_negative_amounts_refused(make):
    extra = s3() + """
[[scope3.lines]]
id = "a"
category = 1
method = "average_data"
amount = nan
unit = "t"
factor = 1.0
factor_unit = "tCO2e/t"
factor_source = "x"
factor_region = "CN"

[[scope3.lines]]
id = "b"
category = 1
method = "average_data"
amount = -5
unit = "t"
factor = inf
factor_unit = "tCO2e/t"
factor_source = "x"
factor_region = "CN"
"""
    ps = problems(make(extra))
    assert {(str(p.row), p.field) for p in ps} >= {("scope3.lines[0]", "amount"),
                                                  ("scope3.lines[1]", "amount")}


BASE = {"category": 1, "factor_region": "CN"}


@pytest.mark.parametrize("row, field, text", [
    ({"id": "a", "category": 4, "method": "supplier_specific", "supplier": "s",
      "supplier_emissions": 10, "supplier_emissions_unit": "tCO2e", "evidence": "e",
      "allocation_ours": 600, "allocation_total": 490, "allocation_unit": "t*km"},
     "allocation_ours", "exceeds the supplier's total"),
    ({"id": "a", "category": 4, "method": "supplier_specific", "supplier": "s",
      "supplier_emissions": 10, "supplier_emissions_unit": "tCO2e", "evidence": "e",
      "allocation_share": 1.5}, "allocation_share", "out of range"),
    ({"id": "a", "category": 4, "method": "supplier_specific", "supplier": "s",
      "supplier_emissions": 10, "supplier_emissions_unit": "t", "evidence": "e"},
     "supplier_emissions_unit", "cannot convert"),
    ({"id": "a", "method": "average_data", "amount": 1, "unit": "t", "factor": 1,
      "factor_unit": "tCO2e/t", "factor_source": "x", "factor_key": "scope3.waste.wood.landfill",
      **BASE}, "factor", "both factor_key and factor"),
    ({"id": "a", "method": "supplier_specific", "amount": 1, "unit": "t", "supplier": "s",
      "factor_key": "scope3.waste.wood.landfill", **BASE}, "factor_key",
     "takes the supplier's data"),
    ({"id": "a", "method": "hybrid", "amount": 1, "unit": "t", "supplier": "s",
      "supplier_emissions": 1, "supplier_emissions_unit": "tCO2e", "evidence": "e", **BASE},
     "inputs", "needs its input data"),
    ({"id": "a", "category": 5, "method": "waste_type", "amount": 1, "unit": "t",
      "waste_type": "wood", "treatment": "landfil", "factor_region": "GB"}, "treatment",
     "unknown waste treatment"),
    ({"id": "a", "category": 5, "method": "waste_type", "amount": 1, "unit": "kWh",
      "waste_type": "wood", "treatment": "landfill", "factor_region": "GB"}, "unit",
     "waste is a mass"),
    ({"id": "a", "category": 11, "method": "use_phase", "units_sold": 10,
      "energy_per_use": 1, "energy_unit": "kWh", "factor": 0.5, "factor_unit": "tCO2/MWh",
      "factor_source": "x", "factor_region": "CN"}, "lifetime_uses", "missing key"),
    ({"id": "a", "method": "average_data", "amount": 1, "unit": "t", "factor": 1,
      "factor_unit": "tCO2e/t", "factor_source": "x", "category": 1}, "factor_region",
     "missing key"),
    ({"id": "a", "method": "average_data", "amount": 1, "unit": "t", "factor": 1,
      "factor_unit": "tCO2e/t", "factor_source": "x", "data_quality": {"reliablity": "good"},
      **BASE}, "data_quality.reliablity", "unknown data quality indicator"),
    ({"id": "a", "method": "average_data", "amount": 1, "unit": "t", "factor": 1,
      "factor_unit": "tCO2e/t", "factor_source": "x", "data_quality": {"reliability": "ok"},
      **BASE}, "data_quality.reliability", "unknown data quality level"),
])
def test_bad_line(make, row, field, text):
    ps = problems(make(s3(row)))
    hit = [p for p in ps if p.field == field]
    assert hit and text in (hit[0].message + " " + str(hit[0].expected)), ps


def test_bad_money_tables(make):
    more = """
[[scope3.exchange_rates]]
currency = "RMB"
per = "USD"
year = 2024
rate = -7.0
source = "x"

[[scope3.price_indices]]
currency = "USD"
series = "s"
values = { 2022 = 0.0 }
source = "x"
"""
    fields = {p.field for p in problems(make(s3(more=more)))}
    assert {"currency", "rate", "values.2022"} <= fields


def test_older_form_still_reports_incomplete_rows(make):
    extra = "\n[[scope3]]\nid = 'x'\ncategory = 1\namount = 1\nunit = 't'\nfactor = 2\n" \
            "factor_unit = 'tCO2e/t'\n"
    (p,) = problems(make(extra))
    assert p.field == "factor_source" and p.row == "scope3[0]"


def test_indicator_system_reads_scope3_metrics():
    # an indicator on the Scope 3 data quality score and one on category 4: the system loads
    # (metrics declared) and scores the example factory's result
    import sys as _sys
    from pathlib import Path

    _sys.path.insert(0, str(Path(__file__).parents[1] / "scoring"))
    from scoring_fakes import MINI_SYSTEM

    from carbon_core.scoring import evaluate, loads_system

    text = MINI_SYSTEM.replace('metric = "intensity.tce_per_wan_cny"',
                               'metric = "scope3.data_quality"')
    system = loads_system(text)
    example = Path(__file__).parents[2] / "examples" / "hefei-appliance" / "inventory.toml"
    res = carbon_core.compute(example)
    ev = evaluate(res, system=system)
    ind = next(i for i in ev.to_dict()["indicators"] if i["id"] == "O3")
    assert ind["source"] == {"kind": "metric", "name": "scope3.data_quality"}
    assert ind["status"] == "scored"
    assert ind["value"] == res.metrics["scope3.data_quality"]
    assert 1.0 <= ind["value"] <= 4.0


def test_lines_from_a_csv_file(make, tmp_path):
    (tmp_path / "scope3-lines.csv").write_text(
        "id,category,method,amount,unit,price_year,factor_key,factor_region,factor_selection,"
        "mass,mass_unit,distance,distance_unit,dq_reliability\n"
        "s1,1,spend_based,700000,CNY,2024,scope3.spend.naics.331110,US,year:2022,,,,,good\n"
        "d1,upstream_transportation_and_distribution,distance_based,,,,"
        "scope3.freight.rail.freight_train,GB,,100,t,500,km,\n", encoding="utf-8")
    doc = compute(make(s3(more="") .replace("[scope3]\n", '[scope3]\nlines_files = '
                                                          '["scope3-lines.csv"]\n') + MONEY)
                  ).to_dict()
    assert line(doc, "s1")["activity"] == pytest.approx(80000.0)
    assert line(doc, "s1")["details"]["data_quality"]["levels"]["reliability"] == "good"
    assert line(doc, "d1")["emissions_tco2e"] == pytest.approx(50000 * 0.02779e-3)


def test_csv_lines_bad_rows_and_paths(make, tmp_path):
    (tmp_path / "bad.csv").write_text("id,category,method,amount,unit\n"
                                      "x,99,average_data,abc,t\n", encoding="utf-8")
    ps = problems(make('\n[scope3]\nlines_files = ["bad.csv", "../outside.csv", "none.csv"]\n'))
    rows = {(str(p.row), p.field) for p in ps}
    assert ("bad.csv row 2", "category") in rows
    assert ("scope3", "lines_files[1]") in rows and ("scope3", "lines_files[2]") in rows


def test_report_shows_fifteen_categories_iso_view(tmp_path):
    # the self-evaluation report (carbon report) carries the Scope 3 screening with data quality
    # and the ISO 14064-1 view, each number read from the results JSON
    from pathlib import Path

    example = Path(__file__).parents[2] / "examples" / "hefei-appliance" / "inventory.toml"
    out = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "-c", "from carbon_core.cli import main; main()",
                          "report", str(example), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert 'id="scope3-screening"' in html and 'id="iso14064"' in html
    for c in SCOPE3_CATEGORIES.values():
        assert c.name_zh in html


def test_one_warning_shared_by_many_lines_is_written_once_naming_the_first_five(make):
    """100,000 lines on one foreign factor gave 100,000 copies of one warning; now one."""
    rows = [{"id": f"lot{i}", "category": 4, "method": "distance_based", "amount": 10.0 + i,
             "unit": "t*km", "factor_key": "scope3.freight.rail.freight_train",
             "factor_region": "GB"} for i in range(7)]
    doc = compute(make(s3(*rows))).to_dict()
    foreign = [w for w in doc["scope3"]["warnings"] if "outside the factory's country" in w]
    assert foreign == ["lot0, lot1, lot2, lot3, lot4 and 2 more lines: factor region GB is "
                       "outside the factory's country CN: a foreign factor (geographical data "
                       "quality 'fair')"]
    # every line still carries its own warning
    assert all(line(doc, f"lot{i}")["details"]["data_quality"]["warnings"] for i in range(7))
