"""The hourly series behind the heatmap agree with the balance, with time-stamped instruments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbon_core import compute
from carbon_core.outputs.self_report import hourly_matching

from factories import grid, write_inventory, write_long_csv


def test_profile_instrument_matched_hour_by_hour(tmp_path):
    t = grid(2024, "1h")
    hours = pd.DatetimeIndex(t).hour
    write_long_csv(tmp_path / "meters.csv", {"grid": (t, np.full(t.size, 1000.0))})
    mwh = np.where((hours >= 10) & (hours < 16), 2.0, 0.0)  # 2 MWh in 6 midday hours
    pd.DataFrame({"timestamp": pd.DatetimeIndex(t).strftime("%Y-%m-%d %H:%M"),
                  "kwh": mwh * 1000}).to_csv(tmp_path / "solar.csv", index=False)
    extra = f"""
[balance]
boundary = "I"

[[instruments]]
id = "pv-gpt"
type = "green_power_contract"
technology = "solar"
province = "CN-AH"
profile_file = "solar.csv"
certificates = ["GEC-PV#1..{int(mwh.sum())}"]
evidence = "绿电交易结算单 (hourly)"
"""
    inv = write_inventory(tmp_path, meters=[{"id": "grid", "carrier": "electricity",
                                              "unit": "kWh", "role": "grid_purchase",
                                              "interval": "1h"}], extra=extra)
    res = compute(inv, plugins=False)
    h = hourly_matching(res)  # raises if its sums disagree with the balance
    hourly = res.balance["matching"]["hourly"]
    # each midday hour: demand 1 MWh, supply 2 MWh -> 1 MWh matched, surplus never carried
    assert hourly["matched_mwh"] == 6 * 366
    assert h["instruments"].sum() == hourly["matched_mwh"]
    assert h["instruments"].max() == 1.0 and h["onsite"].sum() == 0.0
    assert h["unmatched"].sum() == hourly["unmatched_mwh"]


def test_daily_data_have_no_heatmap(tmp_path):
    t = grid(2024, "1D")
    write_long_csv(tmp_path / "meters.csv", {"grid": (t, np.full(t.size, 24000.0))})
    inv = write_inventory(tmp_path, meters=[{"id": "grid", "carrier": "electricity",
                                              "unit": "kWh", "role": "grid_purchase",
                                              "interval": "1D"}])
    assert hourly_matching(compute(inv, plugins=False)) is None
