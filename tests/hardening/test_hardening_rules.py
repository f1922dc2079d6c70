"""Known answers for the rule fixes of issue 9, each with its published source beside it."""

from __future__ import annotations

import json

import pytest

import carbon_core
from carbon_core.units import gwp

from factories import write_inventory
from hardening_helpers import EXAMPLE  # noqa: F401  (tests/factories.py on the path)


def test_ar6_ch4_fossil_and_non_fossil():
    # IPCC AR6 WG1 (2021) ch. 7 Table 7.15: CH4 fossil 29.8, non-fossil 27.0 (GWP-100)
    assert gwp("CH4", "AR6") == 29.8
    assert gwp("CH4", "AR6", origin="fossil") == 29.8
    assert gwp("CH4", "AR6", origin="non_fossil") == 27.0
    # IPCC AR5 WG1 (2013) Table 8.7: one value used for both in AR5 reporting (28)
    assert gwp("CH4", "AR5", origin="non_fossil") == 28.0


def _sf6_inventory(tmp_path, gwp_set):
    return write_inventory(tmp_path, gwp_set=gwp_set, activities=[{
        "id": "gis-topup", "role": "fugitive", "gas": "SF6", "amount": 10.0, "unit": "kg",
        "period": "2024", "evidence": "GIS maintenance log"}])


def test_unconfirmed_gwp_listed_like_any_factor(tmp_path):
    """AR6 SF6 is X in factors/ipcc-gwp.toml (25,200 in AR6 WG1 Table 7.SM.7 against 24,300
    quoted elsewhere): a result using it is not confirmed and lists it."""
    res = carbon_core.compute(_sf6_inventory(tmp_path, "AR6"), plugins=False)
    doc = res.to_dict()
    (li,) = [li for li in doc["line_items"] if li["gas"] == "SF6"]
    assert li["emissions_tco2e"] == pytest.approx(0.010 * 25200)
    assert li["confirmed"] is False
    assert any(u.startswith("gwp.AR6.SF6 = 25200") and "confidence X" in u
               for u in doc["provenance"]["unconfirmed_factors"])
    assert "ipcc-gwp.toml" in {f["file"] for f in doc["provenance"]["factor_files"]}


def test_confirmed_gwp_stays_confirmed(tmp_path):
    # IPCC AR4 WG1 (2007) Table 2.14: SF6 22,800 (C in factors/ipcc-gwp.toml)
    res = carbon_core.compute(_sf6_inventory(tmp_path, "AR4"), plugins=False)
    doc = res.to_dict()
    (li,) = [li for li in doc["line_items"] if li["gas"] == "SF6"]
    assert li["emissions_tco2e"] == pytest.approx(0.010 * 22800)
    assert li["confirmed"] is True
    assert not any(u.startswith("gwp.") for u in doc["provenance"]["unconfirmed_factors"])


# -- US units for 40 CFR 98 users ------------------------------------------------------------

def test_standard_cubic_foot_at_40_cfr_98_6_conditions():
    """40 CFR 98.6: standard conditions are 68 °F and 14.7 psia. 1 ft³ = 0.028316846592 m³
    (exact, NIST SP 811); to 0 °C and 101.325 kPa by the ideal-gas law."""
    from carbon_core.units import conversion_factor

    expected = 0.028316846592 * (273.15 / 293.15) * (14.7 * 6894.757293168361 / 101325)
    assert conversion_factor("scf", "Nm3") == pytest.approx(expected, rel=1e-12)
    assert conversion_factor("MMscf", "Nm3") == pytest.approx(1e6 * expected, rel=1e-12)
    assert conversion_factor("Mscf", "scf") == pytest.approx(1e3)


def test_mmbtu_and_therm():
    # NIST SP 811 (2008) B.8: Btu (International Table) = 1.055056 E+03 J
    from carbon_core.units import conversion_factor

    assert conversion_factor("MMBtu", "GJ") == pytest.approx(1.055056, rel=1e-9)
    assert conversion_factor("therm", "MJ") == pytest.approx(105.5056, rel=1e-9)


def test_mbtu_refused_with_both_meanings():
    from carbon_core.errors import UnitError
    from carbon_core.units import parse_unit

    with pytest.raises(UnitError) as err:
        parse_unit("MBtu")
    assert "1,000 Btu" in str(err.value) and "1,000,000 Btu" in str(err.value)


def test_carbon_units_listing_formats():
    from click.testing import CliRunner

    from carbon_core.cli import main

    r = CliRunner().invoke(main, ["units", "--format", "json"])
    rows = json.loads(r.output)
    names = {x["unit"] for x in rows}
    assert any("scf" in n for n in names) and "MBtu" in names and "万kWh" in names
    r = CliRunner().invoke(main, ["units", "--format", "csv"])
    assert r.output.splitlines()[0] == "unit,definition,kind"


def test_piped_listing_never_wraps():
    from click.testing import CliRunner

    from carbon_core.cli import main

    r = CliRunner().invoke(main, ["factors", "list", "--prefix", "gwp.AR6.SF6"])
    lines = r.output.splitlines()
    assert lines[0].split("\t") == ["key", "value", "unit", "region", "year", "confidence",
                                    "source"]
    assert lines[1].split("\t")[:2] == ["gwp.AR6.SF6", "25200"] and len(lines) == 2


# -- --previous belongs to the same factory --------------------------------------------------

def test_previous_of_another_factory_refused(runner, example, tmp_path):
    from carbon_core.cli import main

    prev = json.loads(runner.invoke(main, ["compute", str(example), "--json"]).output)
    prev["reporting_year"] = 2023
    other = dict(prev, factory=dict(prev["factory"], credit_code="91350100M000100Y43"))
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    r = runner.invoke(main, ["score", str(example), "--previous", str(tmp_path / "other.json")])
    assert r.exit_code == 2
    assert "previous results belong to another factory" in r.output
    assert "91350100M000100Y43" in r.output and "91340100MA2N0K1X3U" in r.output
    (tmp_path / "same.json").write_text(json.dumps(prev), encoding="utf-8")
    r = runner.invoke(main, ["score", str(example), "--previous", str(tmp_path / "same.json")])
    assert r.exit_code == 0, r.output


# -- evidence dates --------------------------------------------------------------------------

def _gate(record: dict, as_of):
    import datetime as dt

    from carbon_core.scoring.evidence import check_eligibility, parse_evidence

    import tomllib

    raw = tomllib.loads((EXAMPLE / "inventory.toml").read_text(encoding="utf-8"))["evidence"]
    raw["record"] = {**raw["record"], **record}
    ev = parse_evidence(raw, file="inventory.toml", as_of=as_of or dt.date(2024, 12, 31))
    el = check_eligibility(ev, {"credit_code": "91340100MA2N0K1X3U"})
    return {c.id: c for c in el.checks}


@pytest.mark.parametrize("date, excluded", [
    ("2021-12-31", False),  # before the window 2022-01-01 .. 2024-12-31: reported, not counted
    ("2022-01-01", True),
    ("2024-12-31", True),
])
def test_exclusion_counts_only_inside_the_three_year_window(date, excluded):
    import datetime as dt

    checks = _gate({"blacklisted": {"occurred": True, "date": dt.date.fromisoformat(date)}},
                   None)
    c = checks["exclusion.blacklisted"]
    assert c.passed is (not excluded)
    if not excluded:
        assert "outside the record window" in c.detail


@pytest.mark.parametrize("severity, excluded", [("一般", False), ("较大", True), ("重大", True),
                                                ("特别重大", True), ("", True)])
def test_accident_severity(severity, excluded):
    """生产安全事故报告和调查处理条例 (国务院令第493号, 2007) Art. 3 grades accidents 一般 < 较大 <
    重大 < 特别重大; the template excludes 较大及以上. An undeclared grade counts."""
    import datetime as dt

    item = {"occurred": True, "date": dt.date(2023, 7, 1)}
    if severity:
        item["severity"] = severity
    c = _gate({"major_accident": item}, None)["exclusion.major_accident"]
    assert c.passed is (not excluded), c.detail


def test_record_period_must_cover_the_window():
    checks = _gate({"period": "2023-2024"}, None)
    c = checks["exclusion.blacklisted"]
    assert not c.passed and "does not cover the window" in c.detail and "2022" in c.detail


# -- energy in tce (GB/T 2589-2020) ----------------------------------------------------------

DIESEL = {"id": "diesel", "carrier": "diesel", "role": "fuel", "amount": 18.6, "unit": "t",
          "period": "2024", "evidence": "invoices"}


def _energy_items(tmp_path, extra=""):
    inv = write_inventory(tmp_path, activities=[DIESEL], extra=extra)
    return {e["id"]: e for e in carbon_core.compute(inv, plugins=False).to_dict()["energy"]
            ["items"]}


def test_fuel_tce_uses_the_gbt2589_reference_coefficient(tmp_path):
    # GB/T 2589-2020 Appendix A: 柴油 diesel 42,652 kJ/kg -> 1.4571 kgce/kg
    e = _energy_items(tmp_path)["diesel"]
    assert e["tce_basis"] == "gbt2589_reference"
    assert e["tce_calorific"] == pytest.approx(18.6 * 1.4571)


def test_fuel_tce_uses_the_measured_low_calorific_value(tmp_path):
    # a measured NCV of 42.0 GJ/t: 18.6 t x 42.0 GJ/t / 29.3076 GJ/tce (1 kgce = 29,307.6 kJ)
    extra = ('\n[[measured_factors]]\nkey = "fuel.diesel.ncv"\nvalue = 42.0\nunit = "GJ/t"\n'
             'evidence = "lab report 2024-03"\n')
    e = _energy_items(tmp_path, extra)["diesel"]
    assert e["tce_basis"] == "measured_ncv"
    assert e["tce_calorific"] == pytest.approx(18.6 * 42.0 / 29.3076)


def test_measured_tce_coefficient_is_used(tmp_path):
    extra = ('\n[[measured_factors]]\nkey = "tce.diesel.calorific"\nvalue = 1.46\n'
             'unit = "kgce/kg"\nevidence = "lab report"\n')
    e = _energy_items(tmp_path, extra)["diesel"]
    assert e["tce_basis"] == "measured_coefficient"
    assert e["tce_calorific"] == pytest.approx(18.6 * 1.46)


def test_measured_tce_coefficient_never_ignored(tmp_path):
    from carbon_core.errors import InputError

    extra = ('\n[[measured_factors]]\nkey = "tce.coke.calorific"\nvalue = 0.97\n'
             'unit = "kgce/kg"\nevidence = "lab report"\n')
    with pytest.raises(InputError) as err:
        _energy_items(tmp_path, extra)
    assert "measured_factors[0]" in str(err.value) and "not used by any line" in str(err.value)


# -- factor attribution ----------------------------------------------------------------------

def test_bituminous_row_named_and_raw_coal_marked():
    """NDRC 2015 other-industry guideline, 附录二 表2.1: 烟煤 19.570 GJ/t, 26.1 tC/TJ, 93%; the
    table has no 原煤 row, so the raw-coal keys are a marked proxy (X), never a silent default."""
    from carbon_core.factors import FactorLibrary

    lib = FactorLibrary.default()
    assert lib.get("fuel.bituminous_coal.ncv", "CN").value == 19.57
    assert lib.get("fuel.bituminous_coal.carbon_content", "CN").value == 26.1
    assert lib.get("fuel.bituminous_coal.oxidation", "CN").value == 0.93
    for k in ("ncv", "carbon_content", "oxidation"):
        f = lib.get(f"fuel.raw_coal.{k}", "CN")
        assert f.confidence == "X" and "烟煤" in f.note


def test_crude_oil_carbon_content_is_the_enterprise_guideline_value():
    # NDRC 2015 enterprise guideline 附录二 表2.1: 原油 20.1 tC/TJ (20.08: provincial inventory)
    from carbon_core.factors import FactorLibrary

    assert FactorLibrary.default().get("fuel.crude_oil.carbon_content", "CN").value == 20.1


# -- provenance completeness -----------------------------------------------------------------

def test_provenance_lists_every_influencing_file_with_sha256(runner, example):
    import hashlib
    from importlib import resources

    from carbon_core.cli import main

    doc = json.loads(runner.invoke(main, ["compute", str(example), "--json"]).output)
    files = doc["provenance"]["files"]
    gwp_bytes = (resources.files("carbon_core_factors") / "ipcc-gwp.toml").read_bytes()
    assert files["gwp_table"]["sha256"] == hashlib.sha256(gwp_bytes).hexdigest()
    assert files["policy"]["name"] == "hefei-template" and len(files["policy"]["sha256"]) == 64
    names = {f["file"] for f in files["factor_library"]}
    assert "appliances.toml" in {n.rsplit("/", 1)[-1] for n in names}  # a plugin's table
    assert all(f["sha256"] for f in files["factor_library"])
    score = json.loads(runner.invoke(main, ["score", str(example), "--json"]).output)
    assert len(score["system"]["sha256"]) == 64


# -- what a person sees ----------------------------------------------------------------------

def test_summary_names_grid_factor_gross_gap_excess_and_categories(runner, example):
    from carbon_core.cli import main

    out = runner.invoke(main, ["compute", str(example)]).output
    # MEE/NBS 公告2024年第33号, table 3: Anhui 2022 average grid factor 0.6782 tCO2/MWh
    assert "grid factor used: 0.6782 tCO2/MWh, region CN-AH, data year 2022" in out
    assert "公告2024年第33号" in out
    assert "vs location-based total" in out and "residual factor" in out
    assert "excess certificates" in out and "offset surplus" in out
    assert "化石燃料燃烧排放 fuel combustion" in out and "  fuel_combustion " not in out
    assert all(len(line) <= 400 for line in out.splitlines())  # piped: lines unwrapped
    assert "grid factor used: 0.6782 tCO2/MWh, region CN-AH, data year 2022 (latest:Y-2); " in out
