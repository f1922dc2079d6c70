"""Known-answer and consistency tests for the default factor data under ``factors/``.

Every number below carries the source it was checked against; the data files themselves hold the
full citation (``[source]`` table and each factor's ``note``).
"""

from __future__ import annotations

from collections import Counter

import pytest

from carbon_core.factors import FactorLibrary
from carbon_core.units import GASES, conversion_factor, gwp

PROVINCES = ["CN-BJ", "CN-TJ", "CN-HE", "CN-SX", "CN-NM", "CN-LN", "CN-JL", "CN-HL", "CN-SH", "CN-JS",
             "CN-ZJ", "CN-AH", "CN-FJ", "CN-JX", "CN-SD", "CN-HA", "CN-HB", "CN-HN", "CN-GD", "CN-GX",
             "CN-HI", "CN-CQ", "CN-SC", "CN-GZ", "CN-YN", "CN-SN", "CN-GS", "CN-QH", "CN-NX", "CN-XJ"]
GRIDS = ["CN-GRID-NORTH", "CN-GRID-NORTHEAST", "CN-GRID-EAST", "CN-GRID-CENTRAL", "CN-GRID-NORTHWEST",
         "CN-GRID-SOUTH", "CN-GRID-SOUTHWEST"]
GAS_FUELS = {"natural_gas", "coke_oven_gas", "blast_furnace_gas", "converter_gas"}


@pytest.fixture(scope="module")
def lib() -> FactorLibrary:
    return FactorLibrary.default()


def _grid(lib, region, year, key="electricity.grid.average"):
    return lib.get(key, region, rule=f"year:{year}")


# -- known answers -------------------------------------------------------------------------------

def test_natural_gas_emission_factor(lib):
    # NDRC 工业其他行业指南 (发改办气候〔2015〕1722号) 附录二: 389.31 GJ/万Nm3, 15.3 tC/TJ, 0.99
    ncv = lib.get("fuel.natural_gas.ncv", "CN", edition="ndrc-2015-other-industry")
    cc = lib.get("fuel.natural_gas.carbon_content", "CN", edition="ndrc-2015-other-industry")
    of = lib.get("fuel.natural_gas.oxidation", "CN", edition="ndrc-2015-other-industry")
    assert ncv.value * conversion_factor(ncv.unit, "GJ/wan_Nm3") == pytest.approx(389.31)
    assert cc.value * conversion_factor(cc.unit, "tC/TJ") == pytest.approx(15.3)
    assert of.value == pytest.approx(0.99)
    ef = ncv.value * cc.value / 1000 * of.value * 44 / 12          # tCO2 per 万Nm3
    assert round(ef, 4) == 21.6219                                  # NDRC 2015 guideline defaults (known answer)


@pytest.mark.parametrize("fuel,ncv,cc,of,ef", [
    ("diesel", 42.652, 20.2, 0.98, 3.096),      # NDRC 2015 guideline defaults [S]
    ("gasoline", 43.070, 18.9, 0.98, 2.925),    # idem
    ("fuel_oil", 41.816, 21.1, 0.98, 3.170),    # idem
    ("lpg", 50.179, 17.2, 0.98, 3.101),         # idem
])
def test_liquid_fuel_factors(lib, fuel, ncv, cc, of, ef):
    got = [lib.get(f"fuel.{fuel}.{p}", "CN", edition="ndrc-2015-other-industry").value
           for p in ("ncv", "carbon_content", "oxidation")]
    assert got == pytest.approx([ncv, cc, of])
    assert got[0] * got[1] / 1000 * got[2] * 44 / 12 == pytest.approx(ef, abs=5e-4)


def test_national_grid_factors(lib):
    # MEE/NBS 公告2024年第12号 (2021): 0.5568 / 0.5942 / 0.8426; 新京报 via daydaynews.cc,
    # 0.5942 beside 0.5568 in https://www.szcbn.com/newsinfo/7157203.html
    assert _grid(lib, "CN", 2021).value == 0.5568
    assert _grid(lib, "CN", 2021, "electricity.grid.fossil").value == 0.8426
    assert _grid(lib, "CN", 2021, "electricity.grid.excl_market_nonfossil").value == 0.5942
    # 公告2024年第33号 (2022): 0.5366 / 0.5856 / 0.8325, confirmed (daydaynews.cc reprint of 新京报)
    assert _grid(lib, "CN", 2022).value == 0.5366
    assert _grid(lib, "CN", 2022, "electricity.grid.excl_market_nonfossil").value == 0.5856
    assert _grid(lib, "CN", 2022, "electricity.grid.fossil").value == 0.8325
    # 公告2025年第47号 (2023): 0.5306 (光明日报), 0.6096 / 0.8273 (中国电力报)
    assert _grid(lib, "CN", 2023).value == 0.5306
    assert _grid(lib, "CN", 2023, "electricity.grid.excl_market_nonfossil").value == 0.6096
    assert _grid(lib, "CN", 2023, "electricity.grid.fossil").value == 0.8273
    for year in (2022, 2023):
        for key in ("electricity.grid.average", "electricity.grid.excl_market_nonfossil",
                    "electricity.grid.fossil"):
            assert _grid(lib, "CN", year, key).confirmed


def test_anhui_and_east_china(lib):
    f = _grid(lib, "CN-AH", 2022)
    assert f.value == 0.6782 and f.confirmed      # 安徽 2022, 新京报: top five incl. 安徽 0.6782
    assert _grid(lib, "CN-AH", 2021).value == 0.7075   # 安徽 2021 [S], two code sources
    assert _grid(lib, "CN-AH", 2023).value == 0.6553   # 安徽 2023 [S], two code sources (表3)
    assert not _grid(lib, "CN-AH", 2023).confirmed
    assert _grid(lib, "CN-GRID-EAST", 2022).value == 0.5617   # 华东 2022 [C]
    assert _grid(lib, "CN-GRID-EAST", 2023).value == 0.5500   # 华东 2023 [C] 光明日报


def test_regional_2023(lib):
    # 光明日报 2026-01: 华北 东北 华东 华中 西北 0.6361 0.5122 0.5500 0.5271 0.5543; 南方 西南 0.4042 0.2472
    expected = [0.6361, 0.5122, 0.5500, 0.5271, 0.5543, 0.4042, 0.2472]
    assert [_grid(lib, r, 2023).value for r in GRIDS] == expected


def test_province_direction_2022_to_2023(lib):
    # MEE statement on the 2023 factors: 20 provinces down (北京 among them), 10 up (广东 among them)
    ups = [p for p in PROVINCES if _grid(lib, p, 2023).value > _grid(lib, p, 2022).value]
    downs = [p for p in PROVINCES if _grid(lib, p, 2023).value < _grid(lib, p, 2022).value]
    assert (len(ups), len(downs)) == (10, 20)
    assert "CN-GD" in ups and "CN-BJ" in downs


def test_every_grid_region_and_province_each_year(lib):
    for year in (2021, 2022, 2023):
        for region in ["CN", *GRIDS, *PROVINCES]:
            assert _grid(lib, region, year).unit == "tCO2/MWh"


def test_operational_factors_are_separate_editions(lib):
    rows = lib.candidates("electricity.grid.operational")
    assert {f.source.id: f.value for f in rows} == {
        "mee-ets-operational-2019-2020": 0.6101,        # [M]
        "mee-ets-operational-2022": 0.5810,             # [S]
        "mee-ets-operational-2023-2025": 0.5703,        # [C] tanpaifang.com 2023-02-15
    }
    f = lib.get("electricity.grid.operational", "CN", rule="year:2022")
    assert f.value == 0.5703 and f.confirmed
    assert "electricity.grid.operational" not in {f.key for f in lib.candidates("electricity.grid.average")}


def test_heat_default(lib):
    f = lib.get("heat.purchased.co2", region="CN")   # NDRC guidelines: 0.11 tCO2/GJ
    assert (f.value, f.unit) == (0.11, "tCO2/GJ")


def test_tce_coefficients(lib):
    # GB/T 2589-2020 附录A: electricity 当量值 0.1229 kgce/kWh, heat 0.03412 kgce/MJ
    assert lib.get("tce.electricity.calorific", "CN").value == 0.1229
    assert lib.get("tce.heat.calorific", "CN").value == 0.03412
    assert lib.get("tce.raw_coal.calorific", "CN").value == 0.7143
    assert lib.get("tce.diesel.calorific", "CN").value == 1.4571
    assert lib.get("tce.natural_gas.calorific", "CN").value == 1.2143          # gas-field gas
    assert lib.get("tce.natural_gas_oilfield.calorific", "CN").value == 1.3300  # oil-field gas
    # 当量值 of electricity = 3600 kJ / 29307.6 kJ per kgce
    assert conversion_factor("kWh", "kgce") == pytest.approx(0.1229, abs=1e-4)
    eq = lib.candidates("tce.electricity.equivalent")
    assert eq and all(f.data_year is not None and not f.confirmed for f in eq)


def test_gwp(lib):
    # AR5 WG1 Table 8.A.1; SAR (CH4 21, N2O 310 -- a peer's 31/210 was wrong); AR6 Table 7.15 fossil CH4
    assert lib.get("gwp.AR5.CH4", "GLOBAL").value == 28
    assert gwp("CH4", "AR5") == 28.0
    assert gwp("N2O", "AR5") == 265.0
    assert (gwp("CH4", "SAR"), gwp("N2O", "SAR")) == (21.0, 310.0)
    assert (gwp("CH4", "AR4"), gwp("N2O", "AR4"), gwp("SF6", "AR4")) == (25.0, 298.0, 22800.0)
    assert (gwp("CH4", "AR6"), gwp("N2O", "AR6")) == (29.8, 273.0)
    assert gwp("HFC-134a", "AR6") == 1530.0     # Table 7.SM.7
    assert gwp("HFC-32", "AR6") == 771.0
    assert gwp("NF3", "AR6") == 17400.0
    assert conversion_factor("t CH4", "tCO2e", context="AR5") == 28.0


# -- consistency of the whole library -------------------------------------------------------------

CANONICAL = [
    ("fuel.", ".carbon_content", "tC/TJ"),
    ("fuel.", ".oxidation", "dimensionless"),
    ("electricity.grid.", "", "tCO2/MWh"),
    ("heat.", "", "tCO2/GJ"),
    ("tce.electricity.", "", "kgce/kWh"),
    ("tce.heat.", "", "kgce/MJ"),
    ("gwp.", "", "dimensionless"),
]


def _canonical(key: str) -> str | None:
    if key.startswith("fuel.") and key.endswith(".ncv"):
        return "GJ/wan_Nm3" if key.split(".")[1] in GAS_FUELS else "GJ/t"
    if key.startswith("tce.natural_gas"):
        return "kgce/m**3"
    for head, tail, unit in CANONICAL:
        if key.startswith(head) and key.endswith(tail):
            return unit
    if key.startswith("tce."):
        return "kgce/kg"
    return None  # a family this test does not know (e.g. sector.*): not checked here


def test_units_convert_to_canonical(lib):
    checked = 0
    for f in lib:
        canonical = _canonical(f.key)
        if canonical is None:
            continue
        assert conversion_factor(f.unit, canonical) == pytest.approx(1.0), (f.key, f.unit)
        checked += 1
    assert checked > 200


def test_oxidation_is_a_fraction(lib):
    for f in lib:
        if f.key.endswith(".oxidation"):
            assert 0.5 < f.value <= 1.0, f.key


def test_every_factor_is_cited(lib):
    for f in lib:
        assert f.source.title and f.source.publisher, f.key
        assert f.table, (f.key, f.source.id)
        assert f.confidence in ("C", "S", "M", "X", "measured"), f.key
        if f.confidence == "C":
            assert f.note or f.source.url or f.source.note, (f.key, f.source.id)


def test_time_varying_factors_have_a_data_year(lib):
    for f in lib:
        if f.key in ("electricity.grid.average", "electricity.grid.excl_market_nonfossil",
                     "electricity.grid.fossil", "tce.electricity.equivalent"):
            assert f.data_year is not None, (f.key, f.region, f.source.id)
        if f.key.startswith(("fuel.", "gwp.", "tce.")) and f.key != "tce.electricity.equivalent":
            assert f.data_year is None, (f.key, f.source.id)


def test_at_most_one_confirmed_value_per_key_region_year(lib):
    counts = Counter((f.key, f.region, f.data_year) for f in lib if f.confidence == "C")
    assert [k for k, n in counts.items() if n > 1] == []


def test_gwp_gases_are_registered(lib):
    for f in lib:
        if f.key.startswith("gwp."):
            _, gwp_set, gas = f.key.split(".", 2)
            assert gwp_set in ("SAR", "AR4", "AR5", "AR6")
            # AR6 gives CH4 a second, non-fossil value (IPCC AR6 WG1 Table 7.15)
            assert gas.removesuffix("_non_fossil") in GASES, f.key
