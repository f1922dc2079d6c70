"""Hand-computed market-based Scope 2 and balance cases.

Residual factor in these tests: 0.6 tCO2/MWh (a test library, not a published value). Each case
states the hand calculation beside the assertion (GHG Protocol Scope 2 Guidance 2015, ch. 6:
instruments first, residual factor for the rest; excess never negative).
"""

import json
from importlib import resources

import jsonschema
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbon_core.balance import BALANCE_METRICS, BalanceInputs, compute_balance
from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary

R = 0.6
FACTORY = "91340100MA2N0K1X3B"


def lib(value=R):
    return FactorLibrary.from_tables([({
        "schema": "carbon_core.factors/1",
        "source": {"id": "test-grid", "title": "test grid factors", "publisher": "test"},
        "factor": [{"key": "electricity.grid.excl_market_nonfossil", "value": value,
                    "unit": "tCO2/MWh", "region": "CN", "data_year": 2022, "confidence": "C"}],
    }, "test-grid.toml", "0")])


def dataset(grid_kwh, onsite_kwh=None, export_kwh=None, start="2024-01-01", freq="1h"):
    g = np.asarray(grid_kwh, dtype="float64")
    o = np.zeros_like(g) if onsite_kwh is None else np.asarray(onsite_kwh, dtype="float64")
    e = np.zeros_like(g) if export_kwh is None else np.asarray(export_kwh, dtype="float64")
    t = pd.date_range(start, periods=len(g), freq=freq).values
    return xr.Dataset({"grid_purchase_kwh": ("time", g), "onsite_renewable_kwh": ("time", o),
                       "export_kwh": ("time", e), "consumed_kwh": ("time", g + o - e)},
                      coords={"time": t})


def inputs(ds, instruments=(), offsets=(), balance=None, interval="1h", **kw):
    args = dict(reporting_year=2024, factory_id=FACTORY, factory_name="合肥测试工厂",
                source_file="inventory.toml", instruments_raw=list(instruments),
                offsets_raw=list(offsets), balance_raw=balance or {}, electricity=ds,
                interval=pd.Timedelta(interval).to_timedelta64(), scope1_tco2e=10.0,
                scope2_location_tco2e=0.0, scope2_heat_tco2e=2.0, scope3_tco2e={},
                library=lib(), grid_region="CN-GRID-EAST", grid_province="CN-AH", ledger=None)
    args.update(kw)
    return BalanceInputs(**args)


def contract(id="gpt-1", mwh=60.0, serials="GEC-W-2024#1..60", **kw):
    row = {"id": id, "type": "green_power_contract", "technology": "wind", "volume_mwh": mwh,
           "certificates": [serials], "evidence": "交易结算单 2024"}
    row.update(kw)
    return row


def gec(id="gec-1", serials="GEC-S-2024#1..70", **kw):
    row = {"id": id, "type": "gec", "technology": "solar", "certificates": [serials],
           "generation_start": "2024-01", "generation_end": "2024-06", "province": "CN-QH",
           "beneficiary": FACTORY, "retired_on": "2025-01-15", "evidence": "绿证核销凭证"}
    row.update(kw)
    return row


def ccer(id="ccer-1", t=5.0, serials="CCER-14#1..5", **kw):
    row = {"id": id, "standard": "CCER", "registry": "全国温室气体自愿减排注册登记系统",
           "project": "林业碳汇", "vintage": 2024, "tco2e": t, "kind": "removal",
           "serials": [serials], "retired_on": "2025-02-01", "beneficiary": FACTORY,
           "evidence": "注销证明"}
    row.update(kw)
    return row


HUNDRED = dataset(np.full(100, 1000.0))  # 100 h x 1 MWh = 100 MWh grid purchase


def test_no_instruments_residual_for_everything():
    r = compute_balance(inputs(HUNDRED))
    # 100 MWh x 0.6 = 60 t; gross = 10 + 60 + 2 = 72
    assert r.scope2_market_tco2e == pytest.approx(60.0)
    assert r.gross_tco2e == pytest.approx(72.0)
    assert r.net_tco2e == pytest.approx(72.0)
    assert r.metrics["balance.renewable_electricity_share"] == 0.0


def test_hierarchy_contract_first_then_certificates_with_excess():
    r = compute_balance(inputs(HUNDRED, [gec(), contract()]))
    m = r.modes["annual"]
    # contract 60 MWh first, GEC covers the remaining 40 of its 70, 30 MWh excess
    assert m.matched_by_instrument == {"gpt-1": 60.0, "gec-1": 40.0}
    assert m.excess_by_instrument["gec-1"] == pytest.approx(30.0)
    assert r.scope2_market_tco2e == 0.0  # never negative
    assert r.green_electricity_tco2e == pytest.approx(60 * R)
    assert r.certificates_tco2e == pytest.approx(40 * R)
    assert r.to_dict()["excess_certificates"] == [{"id": "gec-1", "excess_mwh": 30.0}]
    assert r.net_tco2e == pytest.approx(12.0)  # scope 1 + heat


def test_supplier_specific_factor():
    row = {"id": "sup", "type": "supplier_specific", "supplier": "某燃机电厂",
           "factor_tco2_per_mwh": 0.3, "volume_mwh": 50.0, "evidence": "supplier disclosure"}
    r = compute_balance(inputs(HUNDRED, [row]))
    # 50 x 0.3 + 50 x 0.6 = 45; reduction 50 x (0.6 - 0.3) = 15
    assert r.scope2_market_tco2e == pytest.approx(45.0)
    assert r.green_electricity_tco2e == pytest.approx(15.0)
    assert r.metrics["balance.renewable_electricity_share"] == 0.0
    assert sum(li.emissions_tco2e for li in r.line_items) == pytest.approx(45.0)


def test_onsite_self_consumption_and_export():
    # per hour: grid 0.8, on-site PV 0.3, export 0.1 -> self-consumed 0.2, consumed 1.0
    ds = dataset(np.full(10, 800.0), np.full(10, 300.0), np.full(10, 100.0))
    r = compute_balance(inputs(ds))
    assert r.electricity["onsite_renewable_self_consumed_mwh"] == pytest.approx(2.0)
    assert r.electricity["grid_demand_mwh"] == pytest.approx(8.0)
    assert r.scope2_market_tco2e == pytest.approx(8 * R)
    assert r.metrics["balance.renewable_electricity_share"] == pytest.approx(0.2)
    assert r.metrics["balance.cfe_score.hourly"] == pytest.approx(0.2)


def test_offsets_only_in_balance_and_capped():
    bal = {"policy_overrides": {"offset_cap_share": 0.05}}
    r = compute_balance(inputs(HUNDRED, offsets=[ccer(t=5.0)], balance=bal))
    # gross 72, cap 3.6 -> 3.6 counted, 1.4 beyond the cap, reported
    assert r.offsets_tco2e == pytest.approx(3.6)
    assert r.offset_status["cap_breached"] is True
    assert r.offset_status["beyond_cap_tco2e"] == pytest.approx(1.4)
    assert r.scope2_market_tco2e == pytest.approx(60.0)  # offsets never in scope totals
    assert r.net_tco2e == pytest.approx(72.0 - 3.6)
    assert r.policy.name == "hefei-template+overrides"
    assert r.to_dict()["policy"]["overridden"] == ["offset_cap_share"]
    assert any("beyond the cap" in label for label, _ in r.summary_rows())


def test_offsets_never_make_net_negative():
    r = compute_balance(inputs(HUNDRED, [contract(mwh=100, serials="G#1..100")],
                               offsets=[ccer(t=50, serials="C#1..50")]))
    assert r.net_tco2e == 0.0
    assert r.offset_status["surplus_tco2e"] == pytest.approx(38.0)


def test_type_ii_boundary_scope3():
    # Scope 3 categories by GHG Protocol number or slug; the core's totals are keyed "1".."15"
    r = compute_balance(inputs(HUNDRED, balance={"boundary": "II", "scope3_categories": [
        "purchased_goods_and_services"]}, scope3_tco2e={"1": 7.0, "4": 3.0}))
    assert r.gross_tco2e == pytest.approx(79.0)
    r = compute_balance(inputs(HUNDRED, balance={"boundary": "II", "scope3_categories": [1, 4]},
                               scope3_tco2e={"1": 7.0, "4": 3.0}))
    assert r.gross_tco2e == pytest.approx(82.0) and r.scope3_categories == ("1", "4")
    with pytest.raises(InputError, match="Scope 3 category not computed"):
        compute_balance(inputs(HUNDRED, balance={"boundary": "II",
                                                 "scope3_categories": ["business_travel"]}))
    with pytest.raises(InputError, match="unknown Scope 3 category"):
        compute_balance(inputs(HUNDRED, balance={"boundary": "II",
                                                 "scope3_categories": ["travel"]}))


def test_result_validates_against_schema_and_metrics_declared():
    r = compute_balance(inputs(HUNDRED, [gec(), contract()], [ccer()]))
    schema = json.loads(resources.files("carbon_core").joinpath(
        "schemas/balance.schema.json").read_text())
    d = r.to_dict()
    jsonschema.validate(json.loads(json.dumps(d)), schema)
    for key in ("gross_tco2e", "green_electricity_tco2e", "certificates_tco2e", "offsets_tco2e",
                "net_tco2e"):
        assert key in d
    assert set(r.metrics) <= set(BALANCE_METRICS)
    assert all(d["matching"][m]["cfe_score"] is not None for m in ("annual", "hourly"))
    assert r.summary_rows()[0][1] == pytest.approx(r.gross_tco2e)
    assert r.summary_rows()[-1][1] == pytest.approx(r.net_tco2e)


def test_policy_shanghai_excludes_unbundled_and_uses_fixed_factor():
    r = compute_balance(inputs(HUNDRED, [gec(), contract()], balance={"policy": "shanghai-2023"}))
    by_id = {i.id: i for i in r.instruments}
    assert by_id["gec-1"].status == "excluded" and "not accepted" in by_id["gec-1"].reason
    # 40 MWh uncovered x 0.42 (沪环气候〔2023〕89号)
    assert r.scope2_market_tco2e == pytest.approx(40 * 0.42)
    assert r.residual_factor["value"] == 0.42


def test_market_boundary_grid_region():
    bal = {"policy_overrides": {"market_boundary": "grid_region"}}
    r = compute_balance(inputs(HUNDRED, [contract(grid_region="CN-GRID-NORTHWEST")],
                               balance=bal))
    assert r.instruments[0].status == "excluded"
    assert "grid region" in r.instruments[0].reason


def test_every_problem_at_once():
    bad = [gec(id="a", generation_start="2021-01", serials="X#1..10"),  # expired
           gec(id="b", beneficiary="someone-else", serials="Y#1..10"),  # retired for other
           gec(id="c", volume_mwh=20.0, serials="Z#1..10"),  # beyond issued
           {"id": "d", "type": "ppa", "technology": "coal", "volume_mwh": 1.0,
            "certificates": ["P#1"], "evidence": "x"}]
    with pytest.raises(InputError) as err:
        compute_balance(inputs(HUNDRED, bad, balance={"policy": "nope"}))
    text = str(err.value)
    for needle in ("expired vintage", "retired for someone else", "beyond the issued volume",
                   "not a renewable technology", "unknown balance policy"):
        assert needle in text
    assert all(p.file == "inventory.toml" for p in err.value.problems)


def test_missing_residual_factor_is_named():
    with pytest.raises(InputError, match="residual factor not found"):
        compute_balance(inputs(HUNDRED, library=FactorLibrary()))
