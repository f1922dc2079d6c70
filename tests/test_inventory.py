"""Inventory validation: every problem at once, each with table and key."""

import pytest

from carbon_core.errors import InputError
from carbon_core.io.inventory import check_credit_code, load_inventory
from factories import VALID_CODE, write_inventory


@pytest.mark.parametrize("code", ["91350100M000100Y43", VALID_CODE])
def test_valid_credit_codes(code):
    # 91350100M000100Y43 is the worked example printed with GB 32100-2015
    assert check_credit_code(code) is None


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y44", "check digit is '4', expected '3'"),
    ("91350100M000100Y4", "must be 18 characters"),
    ("91350100M000100I43", "not allowed"),
])
def test_invalid_credit_codes(code, reason):
    assert reason in check_credit_code(code)


def test_many_problems_reported_at_once(tmp_path):
    path = write_inventory(
        tmp_path, credit_code="91350100M000100Y44", gwp_set="AR7",
        electricity={"factor": "cheapest", "selection": "newest"},
        meters=[{"id": "m1", "carrier": "coal_gas", "unit": "kWh", "role": "grid_purchase"},
                {"id": "m1", "carrier": "electricity", "unit": "tons", "role": "grid_purchase"},
                {"id": "m3", "carrier": "natural_gas", "unit": "kWh", "role": "fuel"},
                {"id": "m4", "carrier": "electricity", "unit": "kWh", "role": "fuel"}],
        activities=[{"id": "a1", "carrier": "diesel", "role": "fuel", "amount": -2.0,
                     "unit": "t", "period": "2023"}],
        files=("missing.csv",))
    with pytest.raises(InputError) as e:
        load_inventory(path)
    found = {(p.row, p.field) for p in e.value.problems}
    expected = {
        ("factory", "credit_code"), (None, "gwp_set"), ("electricity", "factor"),
        ("electricity", "selection"), ("meters[0]", "carrier"), ("meters[1]", "id"),
        ("meters[1]", "unit"), ("meters[2]", "unit"), ("meters[3]", "role"),
        ("activities[0]", "amount"), ("activities[0]", "period"), ("data", "files[0]"),
    }
    assert expected <= found, expected - found
    text = str(e.value)
    assert "inventory.toml" in text and "check digit" in text and "ambiguous unit 'tons'" in text


def test_steam_by_mass_needs_enthalpy(tmp_path):
    path = write_inventory(tmp_path, activities=[
        {"id": "s", "carrier": "steam", "role": "heat_purchase", "amount": 10.0, "unit": "t"}])
    with pytest.raises(InputError, match="enthalpy"):
        load_inventory(path)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_inventory(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("reporting_year = = 2024\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_inventory(bad)
