"""Property tests: more certificates never raise market-based emissions; finer matching never
matches more than coarser; net = gross - reductions - offsets; gross - reductions = market basis."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from carbon_core.balance import BalanceInputs, compute_balance
from carbon_core.balance.matching import match, match_totals, to_coarser
from carbon_core.factors import FactorLibrary

FACTORY = "91340100MA2N0K1X3B"
LIB = FactorLibrary.from_tables([({
    "schema": "carbon_core.factors/1",
    "source": {"id": "test-grid", "title": "test", "publisher": "test"},
    "factor": [{"key": "electricity.grid.excl_market_nonfossil", "value": 0.58,
                "unit": "tCO2/MWh", "region": "CN", "data_year": 2022, "confidence": "C"}],
}, "t.toml", "0")])

kwh = st.floats(0, 5000, allow_nan=False, allow_infinity=False)
HOURS = 48  # two days of hourly data, 15-min would be 192


def balance(grid, onsite, gec_mwh, contract_monthly, offsets_t, cap=None):
    t = pd.date_range("2024-01-31", periods=len(grid), freq="1h").values
    export = np.minimum(onsite, 100.0)
    ds = xr.Dataset({"grid_purchase_kwh": ("time", grid), "onsite_renewable_kwh": ("time", onsite),
                     "export_kwh": ("time", export),
                     "consumed_kwh": ("time", grid + onsite - export)}, coords={"time": t})
    instruments = []
    if gec_mwh:
        instruments.append({"id": "gec", "type": "gec", "technology": "solar",
                            "certificates": [f"G#1..{gec_mwh}"], "generation_start": "2024-01",
                            "generation_end": "2024-01", "beneficiary": FACTORY,
                            "retired_on": "2024-12-31", "evidence": "e"})
    if sum(contract_monthly):
        instruments.append({"id": "gpt", "type": "green_power_contract", "technology": "wind",
                            "monthly_mwh": contract_monthly,
                            "certificates": [f"W#1..{int(np.ceil(sum(contract_monthly)))}"],
                            "evidence": "e"})
    offsets = []
    if offsets_t:
        offsets.append({"id": "o", "standard": "CCER", "registry": "r", "project": "p",
                        "vintage": 2024, "tco2e": offsets_t, "kind": "removal",
                        "serials": [f"C#1..{offsets_t}"], "retired_on": "2025-01-01",
                        "beneficiary": FACTORY, "evidence": "e"})
    bal = {"policy_overrides": {"offset_cap_share": cap}} if cap is not None else {}
    return compute_balance(BalanceInputs(
        reporting_year=2024, factory_id=FACTORY, factory_name="F", source_file="inv.toml",
        instruments_raw=instruments, offsets_raw=offsets, balance_raw=bal, electricity=ds,
        interval=np.timedelta64(1, "h"), scope1_tco2e=3.0, scope2_location_tco2e=0.0,
        scope2_heat_tco2e=1.0, scope3_tco2e={}, library=LIB, grid_region="CN-GRID-EAST",
        grid_province="CN-AH"))


common = dict(
    grid=arrays(np.float64, HOURS, elements=kwh),
    onsite=arrays(np.float64, HOURS, elements=st.floats(0, 500)),
    contract=st.lists(st.floats(0, 100), min_size=2, max_size=2),
)
PROFILE = settings(max_examples=40, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(**common, gec1=st.integers(0, 200), more=st.integers(0, 200))
def test_more_certificates_never_raise_market_emissions(grid, onsite, contract, gec1, more):
    monthly = [contract[0], contract[1]] + [0.0] * 10
    base = balance(grid, onsite, gec1, monthly, 0)
    plus = balance(grid, onsite, gec1 + more, monthly, 0)
    for mode in ("annual", "monthly", "hourly"):
        assert plus.modes[mode].market_based_tco2e <= base.modes[mode].market_based_tco2e + 1e-9
        assert plus.modes[mode].market_based_tco2e >= 0.0


@PROFILE
@given(**common, gec1=st.integers(0, 200), offsets_t=st.integers(0, 300),
       cap=st.one_of(st.none(), st.floats(0, 1)))
def test_balance_identities(grid, onsite, contract, gec1, offsets_t, cap):
    monthly = [contract[0], contract[1]] + [0.0] * 10
    r = balance(grid, onsite, gec1, monthly, offsets_t, cap)
    reductions = r.green_electricity_tco2e + r.certificates_tco2e
    assert r.net_tco2e == pytest.approx(r.gross_tco2e - reductions - r.offsets_tco2e, abs=1e-9)
    assert r.gross_tco2e - reductions == pytest.approx(
        3.0 + r.scope2_market_tco2e + 1.0, abs=1e-9)
    assert r.net_tco2e >= -1e-9
    if cap is not None:
        assert r.offsets_tco2e <= cap * r.gross_tco2e + 1e-9
    m = r.modes
    assert m["hourly"].matched_mwh <= m["monthly"].matched_mwh + 1e-9
    assert m["monthly"].matched_mwh <= m["annual"].matched_mwh + 1e-9
    for mode in m.values():
        if mode.available and mode.cfe_score is not None:
            assert 0.0 <= mode.cfe_score <= 1.0 + 1e-12


@settings(max_examples=60, deadline=None)
@given(d=arrays(np.float64, (3, 96), elements=st.floats(0, 1e6)),
       s=arrays(np.float64, (3, 96), elements=st.floats(0, 1e6)))
def test_finer_matching_never_exceeds_coarser(d, s):
    quarter = match(d, s).sum(-1)
    hourly = match(to_coarser(d, 4), to_coarser(s, 4)).sum(-1)
    annual = np.minimum(d.sum(-1), s.sum(-1))
    assert (quarter <= hourly * (1 + 1e-12) + 1e-6).all()
    assert (hourly <= annual * (1 + 1e-12) + 1e-6).all()
    m, tot = match_totals(d, s)
    np.testing.assert_allclose(m, quarter, rtol=1e-12, atol=1e-6)
    assert (m <= tot + 1e-6).all()
