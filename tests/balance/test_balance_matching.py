"""Temporal matching: annual, monthly, hourly and 15-minute results side by side.

Hand cases: a factory drawing 1 MWh every hour of one day, a solar contract delivering 3 MWh in
each of 8 midday hours (24 MWh). Annual matching covers the day (24/24); hourly matching covers 8
of the 24 hours (surplus at noon never covers the night): CFE 1/3, 16 MWh unmatched.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbon_core.balance import BalanceInputs, compute_balance
from carbon_core.balance.matching import (allocate, bin_sum, match_hierarchy, match_totals,
                                          month_starts, to_coarser)
from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary

R = 0.6
FACTORY = "91340100MA2N0K1X3B"


def lib():
    return FactorLibrary.from_tables([({
        "schema": "carbon_core.factors/1",
        "source": {"id": "test-grid", "title": "test", "publisher": "test"},
        "factor": [{"key": "electricity.grid.excl_market_nonfossil", "value": R,
                    "unit": "tCO2/MWh", "region": "CN", "data_year": 2022, "confidence": "C"}],
    }, "t.toml", "0")])


def dataset(grid_kwh, freq="1h", start="2024-06-01"):
    g = np.asarray(grid_kwh, dtype="float64")
    z = np.zeros_like(g)
    t = pd.date_range(start, periods=len(g), freq=freq).values
    return xr.Dataset({"grid_purchase_kwh": ("time", g), "onsite_renewable_kwh": ("time", z),
                       "export_kwh": ("time", z), "consumed_kwh": ("time", g)},
                      coords={"time": t})


def inputs(ds, instruments, interval, tmp_path, balance=None):
    return BalanceInputs(
        reporting_year=2024, factory_id=FACTORY, factory_name="F",
        source_file=str(tmp_path / "inventory.toml"), instruments_raw=instruments,
        offsets_raw=[], balance_raw=balance or {}, electricity=ds,
        interval=pd.Timedelta(interval).to_timedelta64(), scope1_tco2e=0.0,
        scope2_location_tco2e=0.0, scope2_heat_tco2e=0.0, scope3_tco2e={}, library=lib(),
        grid_region="CN-GRID-EAST", grid_province="CN-AH")


def solar_contract(tmp_path, freq="1h", per_hour_mwh=3.0):
    t = pd.date_range("2024-06-01", periods=24 if freq == "1h" else 96, freq=freq)
    hours = t.hour
    k = 1 if freq == "1h" else 4
    mwh = np.where((hours >= 10) & (hours < 18), per_hour_mwh / k, 0.0)
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M"), "kwh": mwh * 1000}).to_csv(
        tmp_path / "solar.csv", index=False)
    return {"id": "pv-gpt", "type": "green_power_contract", "technology": "solar",
            "profile_file": "solar.csv", "certificates": ["GEC-PV#1..24"],
            "evidence": "绿电交易结算单 (15-min)"}


def test_hourly_differs_from_annual(tmp_path):
    ds = dataset(np.full(24, 1000.0))
    r = compute_balance(inputs(ds, [solar_contract(tmp_path)], "1h", tmp_path))
    a, h = r.modes["annual"], r.modes["hourly"]
    assert a.matched_mwh == pytest.approx(24.0) and a.cfe_score == pytest.approx(1.0)
    assert h.matched_mwh == pytest.approx(8.0) and h.cfe_score == pytest.approx(1 / 3)
    assert h.unmatched_mwh == pytest.approx(16.0)
    assert h.unmatched_tco2e == pytest.approx(16 * R)
    assert h.excess_mwh == pytest.approx(16.0)  # noon surplus stays surplus
    assert r.modes["15min"].available is False
    assert "not available at this data resolution" in r.modes["15min"].reason
    # the default policy counts annual matching
    assert r.scope2_market_tco2e == 0.0
    d = r.to_dict()["matching"]
    assert d["15min"] == {"available": False, "reason": r.modes["15min"].reason,
                          "cfe_score": None}


def test_policy_hourly_counts_for_balance(tmp_path):
    ds = dataset(np.full(24, 1000.0))
    r = compute_balance(inputs(ds, [solar_contract(tmp_path)], "1h", tmp_path,
                               balance={"policy_overrides": {"matching_for_balance": "hourly"}}))
    assert r.scope2_market_tco2e == pytest.approx(16 * R)
    assert r.green_electricity_tco2e == pytest.approx(8 * R)
    assert r.metrics["balance.renewable_electricity_share"] == pytest.approx(1 / 3)


def test_quarter_hour_data_and_profile(tmp_path):
    # demand 0.25 MWh per quarter hour, except 0 in the first quarter of each hour
    g = np.tile([0.0, 333.0, 333.0, 334.0], 24)
    ds = dataset(g, freq="15min")
    row = solar_contract(tmp_path, freq="15min")  # 0.75 MWh per quarter, 10:00-18:00
    r = compute_balance(inputs(ds, [row], "15min", tmp_path))
    h, q = r.modes["hourly"], r.modes["15min"]
    assert h.matched_mwh == pytest.approx(8.0)  # 1 MWh per hour over 8 hours
    assert q.matched_mwh == pytest.approx(8.0)  # 3 quarters x 1/3 MWh
    assert q.matched_mwh <= h.matched_mwh <= r.modes["annual"].matched_mwh


def test_coarse_instruments_not_matched_in_fine_modes(tmp_path):
    ds = dataset(np.full(24, 1000.0))
    row = {"id": "y", "type": "green_power_contract", "technology": "wind",
           "monthly_mwh": [0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0], "certificates": ["W#1..30"],
           "evidence": "monthly settlement"}
    r = compute_balance(inputs(ds, [row], "1h", tmp_path))
    assert r.modes["monthly"].matched_mwh == pytest.approx(24.0)
    assert r.modes["hourly"].matched_mwh == 0.0
    assert r.modes["hourly"].not_time_stamped_mwh == pytest.approx(30.0)


def test_daily_data_reports_finer_modes_unavailable(tmp_path):
    ds = dataset(np.full(30, 24000.0), freq="1D")
    r = compute_balance(inputs(ds, [], "1D", tmp_path))
    assert not r.modes["hourly"].available and not r.modes["15min"].available
    assert r.metrics["balance.cfe_score.hourly"] is None
    with pytest.raises(InputError, match="counts hourly matching"):
        compute_balance(inputs(ds, [], "1D", tmp_path, balance={"policy": "ghgp-2025-hourly"}))


def test_kernels_small_cases():
    x = np.arange(16.0).reshape(2, 8)
    np.testing.assert_array_equal(to_coarser(x, 4), [[6, 22], [38, 54]])
    with pytest.raises(ValueError):
        to_coarser(np.ones(5), 4)
    t = pd.date_range("2024-01-30", periods=72, freq="1D").values
    starts, numbers = month_starts(t)
    assert list(numbers) == [1, 2, 3, 4]
    assert bin_sum(np.ones(72), starts).sum() == 72
    m, rest = match_hierarchy(np.ones(3), [np.array([0.5, 2, 0]), np.array([1.0, 1, 1])])
    np.testing.assert_allclose(m[0] + m[1] + rest, np.ones(3))
    np.testing.assert_allclose(allocate(np.array([1.0]), np.array([[1.0], [3.0]])), [0.25, 0.75])


def test_match_totals_equals_naive():
    rng = np.random.default_rng(0)
    d, s = rng.random((37, 200)), rng.random((37, 200))
    m, tot = match_totals(d, s)
    np.testing.assert_allclose(m, np.minimum(d, s).sum(-1))
    np.testing.assert_allclose(tot, d.sum(-1))
