"""Property tests (hypothesis): linearity, additivity, resampling invariance."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_core import compute
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meters import read_meter_data
from carbon_core.engine import electricity_series
from factories import grid, write_inventory, write_long_csv

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

amounts = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
FUELS = ["natural_gas", "diesel", "gasoline", "fuel_oil", "lpg", "coke", "raw_coal"]
UNITS = {"natural_gas": "万Nm3"}


def _activities(values: dict[str, float], scale=1.0):
    out = []
    for k, (carrier, v) in enumerate(values.items()):
        role = "grid_purchase" if carrier == "electricity" else "fuel"
        unit = "MWh" if carrier == "electricity" else UNITS.get(carrier, "t")
        out.append({"id": f"a{k}", "carrier": carrier, "role": role, "amount": v * scale,
                    "unit": unit})
    return out


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(FUELS + ["electricity"]), amounts, min_size=1),
       k=st.floats(min_value=0.001, max_value=1000.0))
def test_emissions_are_linear_in_activity(tmp_path, values, k):
    base = compute(write_inventory(tmp_path, activities=_activities(values)), plugins=False)
    scaled = compute(write_inventory(tmp_path, activities=_activities(values, k)), plugins=False)
    for a, b in zip(base.line_items, scaled.line_items):
        assert b.emissions_tco2e == pytest.approx(k * a.emissions_tco2e, rel=1e-12, abs=1e-9)


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(FUELS + ["electricity"]), amounts, min_size=1))
def test_totals_equal_the_sum_of_their_parts(tmp_path, values):
    res = compute(write_inventory(tmp_path, activities=_activities(values)), plugins=False)
    d = res.to_dict()
    assert d["scope1"]["total_tco2e"] == math.fsum(
        li.emissions_tco2e for li in res.line_items if li.scope == 1)
    # categories are themselves exact sums, so adding them again can differ by one rounding
    assert d["scope1"]["total_tco2e"] == pytest.approx(
        math.fsum(d["scope1"]["by_category"].values()), rel=1e-15, abs=1e-12)
    assert d["total_tco2e"] == d["scope1"]["total_tco2e"] + d["scope2"]["location_based_tco2e"]
    assert d["energy"]["total_tce"] == math.fsum(i["tce_calorific"] for i in d["energy"]["items"])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), coarse=st.sampled_from(["1h", "1D", "1MS"]))
def test_resampling_does_not_change_annual_totals(tmp_path, seed, coarse):
    """The same 15-minute consumption, delivered at a coarser interval, gives the same year."""
    rng = np.random.default_rng(seed)
    fine_t = grid(2023, "15min")
    fine = rng.gamma(2.0, 50.0, fine_t.size)
    coarse_t = grid(2023, coarse)
    # aggregate by interval start
    idx = np.searchsorted(coarse_t, fine_t, side="right") - 1
    coarse_v = np.bincount(idx, weights=fine, minlength=coarse_t.size)
    totals = []
    for interval, (t, v) in (("15min", (fine_t, fine)), (coarse, (coarse_t, coarse_v))):
        folder = tmp_path / interval
        folder.mkdir(exist_ok=True)
        write_long_csv(folder / "meters.csv", {"grid": (t, v)})
        m = {"id": "grid", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
             "interval": interval}
        path = write_inventory(folder, meters=[m], year=2023,
                               electricity={"factor": "average", "region": "CN-AH",
                                            "selection": "year:2022"})
        res = compute(path, plugins=False)
        totals.append((res.scope2_location_tco2e, res.dataset["emissions_tco2e"].sum("line_item")
                       .values))
    assert totals[0][0] == pytest.approx(totals[1][0], rel=1e-12)
    np.testing.assert_allclose(totals[0][1], totals[1][1], rtol=1e-12)


def test_electricity_series_uses_the_coarsest_common_interval(tmp_path):
    t15, th = grid(2023, "15min"), grid(2023, "1h")
    write_long_csv(tmp_path / "meters.csv", {"g": (t15, np.ones(t15.size)),
                                             "pv": (th, np.full(th.size, 2.0))})
    ms = [{"id": "g", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
           "interval": "15min"},
          {"id": "pv", "carrier": "electricity", "unit": "kWh", "role": "onsite_generation",
           "interval": "1h", "renewable": True}]
    inv = load_inventory(write_inventory(tmp_path, meters=ms, year=2023))
    ds = electricity_series(inv, read_meter_data(inv))
    assert ds.attrs["interval"] == "1h" and ds.sizes["time"] == 8760
    np.testing.assert_array_equal(ds["grid_purchase_kwh"].values, 4.0)
    np.testing.assert_array_equal(ds["consumed_kwh"].values, 6.0)
