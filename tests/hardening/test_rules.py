"""Known answers for the rule fixes of issue 9, each with its published source beside it."""

from __future__ import annotations

import json

import pytest

import carbon_core
from carbon_core.units import gwp

from factories import write_inventory


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
