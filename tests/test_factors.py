"""Factor lookup: declared rules, no silent fallback, measured overrides, bad files."""

import pytest

from carbon_core.errors import FactorNotFoundError, InputError
from carbon_core.factors import FactorLibrary, SelectionRule, measured_factor


def _lib(*factors, source_id="test-edition", schema=True):
    data = {"source": {"id": source_id, "title": "Test", "publisher": "Test", "year": 2024},
            "factor": list(factors)}
    if schema:
        data["schema"] = "carbon_core.factors/1"
    return FactorLibrary.from_tables([(data, f"{source_id}.toml", "0" * 64)])


def _grid(year, value, region="CN-AH", conf="C"):
    return {"key": "electricity.grid.average", "value": value, "unit": "tCO2/MWh",
            "region": region, "data_year": year, "confidence": conf, "table": "t"}


def test_latest_rule_picks_latest_allowed_year():
    lib = _lib(_grid(2021, 0.70), _grid(2022, 0.68), _grid(2023, 0.65))
    f = lib.get("electricity.grid.average", "CN-AH", rule="latest:Y-2", reporting_year=2025)
    assert (f.data_year, f.value) == (2023, 0.65)
    f = lib.get("electricity.grid.average", "CN-AH", rule="latest:Y-2", reporting_year=2024)
    assert (f.data_year, f.value) == (2022, 0.68)


def test_explicit_year_has_no_fallback():
    lib = _lib(_grid(2021, 0.70), _grid(2022, 0.68))
    with pytest.raises(FactorNotFoundError) as e:
        lib.get("electricity.grid.average", "CN-AH", rule="year:2023")
    msg = str(e.value)
    assert "data year 2023" in msg and "CN-AH/2021/test-edition" in msg and "CN-AH/2022" in msg


def test_no_fallback_to_another_region():
    lib = _lib(_grid(2022, 0.68, region="CN-AH"), _grid(2022, 0.54, region="CN"))
    with pytest.raises(FactorNotFoundError, match="region 'CN-JS'.*Available.*CN-AH/2022"):
        lib.get("electricity.grid.average", "CN-JS", rule="year:2022")


def test_latest_rule_with_nothing_old_enough():
    lib = _lib(_grid(2023, 0.65))
    with pytest.raises(FactorNotFoundError, match="no data year <= 2022"):
        lib.get("electricity.grid.average", "CN-AH", rule="latest:Y-2", reporting_year=2024)


def test_time_varying_factor_needs_a_rule():
    lib = _lib(_grid(2022, 0.68))
    with pytest.raises(FactorNotFoundError, match="varies by data year; give a rule"):
        lib.get("electricity.grid.average", "CN-AH")


def test_unknown_key_lists_family():
    lib = _lib(_grid(2022, 0.68))
    with pytest.raises(FactorNotFoundError, match="No factor has key 'electricity.grid.fossil'"):
        lib.get("electricity.grid.fossil", "CN", rule="year:2022")


def test_confirmed_preferred_and_ambiguity_is_an_error():
    a = _lib(_grid(2022, 0.68, conf="C"), source_id="a")
    b = _lib(_grid(2022, 0.69, conf="S"), source_id="b")
    lib = a.merged(b)
    assert lib.get("electricity.grid.average", "CN-AH", rule="year:2022").value == 0.68
    c = _lib(_grid(2022, 0.70, conf="C"), source_id="c")
    with pytest.raises(FactorNotFoundError, match="2 confirmed editions"):
        lib.merged(c).get("electricity.grid.average", "CN-AH", rule="year:2022")
    assert lib.merged(c).get("electricity.grid.average", "CN-AH", rule="year:2022",
                             edition="c").value == 0.70


def test_measured_value_overrides_and_is_marked():
    lib = _lib({"key": "fuel.natural_gas.ncv", "value": 389.31, "unit": "GJ/wan_Nm3",
                "region": "CN", "confidence": "S"})
    m = measured_factor("fuel.natural_gas.ncv", 391.2, "GJ/wan_Nm3", evidence="lab report 7")
    f = lib.with_measured([m]).get("fuel.natural_gas.ncv")
    assert f.value == 391.2 and f.measured and f.confirmed
    assert lib.get("fuel.natural_gas.ncv").value == 389.31  # the original is untouched


def test_unconfirmed_values_say_so():
    f = _lib(_grid(2022, 0.68, conf="M")).get("electricity.grid.average", "CN-AH",
                                               rule="year:2022")
    assert not f.confirmed and "[unconfirmed: M]" in f.citation()


def test_bad_factor_file_reports_every_problem():
    with pytest.raises(InputError) as e:
        _lib({"key": "Bad Key", "value": "x", "unit": "tons", "region": "", "confidence": "Q"},
             {"key": "fuel.diesel.ncv", "value": 1, "unit": "GJ/t", "region": "CN",
              "confidence": "C", "data_year": "2022"})
    fields = sorted(p.field for p in e.value.problems)
    assert fields == ["confidence", "data_year", "key", "region", "unit", "value"]
    assert all(p.file == "test-edition.toml" for p in e.value.problems)


def test_duplicate_factor_is_an_error():
    with pytest.raises(InputError, match="duplicate factor"):
        _lib(_grid(2022, 0.68), _grid(2022, 0.69))


def test_selection_rule_parsing():
    assert str(SelectionRule.parse("latest:Y-2")) == "latest:Y-2"
    assert SelectionRule.parse("year:2022").year == 2022
    with pytest.raises(ValueError, match="unknown selection rule"):
        SelectionRule.parse("newest")


def test_default_library_loads_and_every_value_is_cited():
    lib = FactorLibrary.default()
    assert len(lib) > 50
    for f in lib:
        assert f.source.title and f.source.publisher and f.confidence in "CSMX"
        assert f.source.sha256 and len(f.source.sha256) == 64
