"""Meter data: every bad input gets a clear error naming file, row and field; nothing is dropped."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meters import read_meter_data
from factories import grid, write_inventory, write_long_csv

ELEC = {"id": "grid", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
        "interval": "1D"}


def _read(tmp_path, series, meters=(ELEC,), **kw):
    write_long_csv(tmp_path / "meters.csv", series)
    inv = load_inventory(write_inventory(tmp_path, meters=list(meters), **kw))
    return read_meter_data(inv)


def _problems(exc_info):
    return exc_info.value.problems


def daily(values=None, year=2024):
    t = grid(year, "1D")
    return t, np.ones(t.size) if values is None else values


def test_clean_daily_data(tmp_path):
    data = _read(tmp_path, {"grid": daily()})
    ids, monthly = data.monthly()
    assert ids == ["grid"] and monthly.sum() == 366.0 and monthly[0, 1] == 29.0  # leap February


def test_duplicated_interval(tmp_path):
    t, v = daily()
    t2, v2 = np.append(t, t[10]), np.append(v, 5.0)
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": (t2, v2)})
    probs = [p for p in _problems(e) if p.message == "duplicated interval"]
    # both rows of the pair are named: CSV line 12 (header is line 1) and the appended last line
    assert sorted(p.row for p in probs) == [12, 368]
    assert probs[0].file.endswith("meters.csv") and probs[0].field == "timestamp"


def test_missing_intervals_listed_as_ranges(tmp_path):
    t, v = daily()
    keep = np.ones(t.size, bool)
    keep[40:45] = False
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": (t[keep], v[keep])})
    (p,) = _problems(e)
    assert "5 missing intervals: 2024-02-10T00:00:00 .. 2024-02-14T00:00:00" in p.found
    assert p.row == "meters[0]" and "gap_policy" in p.expected


@pytest.mark.parametrize("policy, expected_total", [("zero", 361.0), ("linear", 366.0)])
def test_gap_policy_fills_and_records(tmp_path, policy, expected_total):
    t, v = daily()
    keep = np.ones(t.size, bool)
    keep[40:45] = False
    data = _read(tmp_path, {"grid": (t[keep], v[keep])}, gap_policy=policy)
    assert data.monthly()[1].sum() == pytest.approx(expected_total)
    assert data.fills == [{"meter": "grid", "policy": policy, "intervals": 5,
                           "first": "2024-02-10T00:00:00"}]
    assert data.groups["1D"].filled.sum() == 5


def test_negative_and_non_numeric_readings(tmp_path):
    t, v = daily()
    v = v.astype(object)
    v[3] = -2.0
    v[7] = "n/a"
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": (t, v)})
    by_msg = {p.message: p for p in _problems(e)}
    assert by_msg["negative reading"].row == 5 and by_msg["negative reading"].found == -2.0
    assert by_msg["reading is not a number"].row == 9
    assert by_msg["reading is not a number"].found == "n/a"
    # the bad reading is reported once, not a second time as a missing interval
    assert not any("missing intervals" in p.message for p in _problems(e))


def test_infinite_reading_in_parquet(tmp_path):
    t, v = daily()
    v = v.copy()
    v[2] = np.inf
    inv = _parquet(tmp_path, t, v)
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    (p,) = _problems(e)
    assert (p.message, p.row, p.found) == ("reading is not finite", 3, float("inf"))


def test_timestamps_outside_year_and_off_grid(tmp_path):
    t, v = daily()
    t = t.copy()
    t[0] = np.datetime64("2023-12-31T00:00", "ns")
    t[1] = np.datetime64("2024-01-02T06:00", "ns")
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": (t, v)})
    msgs = {p.message: p for p in _problems(e)}
    assert msgs["timestamp outside the reporting year"].row == 2
    assert msgs["timestamp is not on the meter's 1D grid"].found == "2024-01-02T06:00:00"


def test_unknown_meter_and_meter_without_data(tmp_path):
    other = dict(ELEC, id="spare")
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": daily(), "ghost": daily()}, meters=(ELEC, other))
    msgs = {p.message.split(" (")[0]: p for p in _problems(e)}
    assert "366 rows name meters the inventory does not declare" in msgs
    assert msgs["366 rows name meters the inventory does not declare"].found == ["ghost"]
    assert msgs["declared meter has no data in any file"].found == "spare"


def test_cumulative_register_and_rollover(tmp_path):
    t = grid(2024, "1MS", closing=True)
    reg = np.array([900, 950, 990, 20, 60, 100, 150, 200, 250, 300, 350, 400, 450], float)
    gas = {"id": "gas", "carrier": "natural_gas", "unit": "Nm3", "role": "fuel",
           "reading": "cumulative", "interval": "1MS"}
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"gas": (t, reg)}, meters=(gas,))
    (p,) = _problems(e)
    assert "decreases" in p.message and "(990.0 -> 20.0)" in p.found
    data = _read(tmp_path, {"gas": (t, reg)}, meters=(dict(gas, rollover=1000),))
    monthly = data.monthly()[1][0] * 1e4  # canonical unit is 万Nm3
    assert monthly[2] == pytest.approx(30.0)  # 990 -> 1000 -> 20
    assert monthly.sum() == pytest.approx(550.0)
    assert data.rollovers == [{"meter": "gas", "interval_start": "2024-03-01T00:00:00",
                               "modulus": 1000.0, "consumption": 30.0}]


def test_cumulative_register_needs_closing_reading(tmp_path):
    t = grid(2024, "1MS")
    gas = {"id": "gas", "carrier": "natural_gas", "unit": "Nm3", "role": "fuel",
           "reading": "cumulative", "interval": "1MS"}
    with pytest.raises(InputError, match="missing intervals: 2025-01-01"):
        _read(tmp_path, {"gas": (t, np.arange(12.0))}, meters=(gas,))


def test_unit_mismatch_is_refused(tmp_path):
    gas = {"id": "gas", "carrier": "natural_gas", "unit": "kWh", "role": "fuel", "interval": "1D"}
    with pytest.raises(InputError, match="unit does not fit the carrier"):
        _read(tmp_path, {"gas": daily()}, meters=(gas,))


def test_units_converted_once_at_the_boundary(tmp_path):
    m = dict(ELEC, unit="万千瓦时")
    data = _read(tmp_path, {"grid": daily()}, meters=(m,))
    assert data.monthly()[1].sum() == pytest.approx(366e4)  # canonical kWh


def test_timezone_offsets_converted_to_china_time(tmp_path):
    t, v = daily()
    lines = ["timestamp,meter,value"]
    for ts in t:  # the same instants written in UTC
        utc = (ts - np.timedelta64(8, "h")).astype("datetime64[s]")
        lines.append(f"{utc}Z,grid,1.0")
    (tmp_path / "meters.csv").write_text("\n".join(lines) + "\n")
    inv = load_inventory(write_inventory(tmp_path, meters=[ELEC]))
    assert read_meter_data(inv).monthly()[1].sum() == 366.0


def test_bad_timestamp_text(tmp_path):
    (tmp_path / "meters.csv").write_text("timestamp,meter,value\nyesterday,grid,1\n")
    inv = load_inventory(write_inventory(tmp_path, meters=[ELEC]))
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    p = next(p for p in _problems(e) if p.field == "timestamp")
    assert p.row == 2 and p.found == "yesterday"


def test_missing_columns(tmp_path):
    (tmp_path / "meters.csv").write_text("time,meter,kwh\n2024-01-01,grid,1\n")
    inv = load_inventory(write_inventory(tmp_path, meters=[ELEC]))
    with pytest.raises(InputError, match="missing columns"):
        read_meter_data(inv)


def test_parquet_and_csv_agree(tmp_path):
    t = grid(2024, "15min")
    rng = np.random.default_rng(1)
    v = rng.uniform(0, 10, t.size).round(3)
    m = dict(ELEC, interval="15min")
    csv = _read(tmp_path, {"grid": (t, v)}, meters=(m,))
    pq.write_table(pa.table({"timestamp": t, "meter": ["grid"] * t.size, "value": v}),
                   tmp_path / "meters.parquet")
    inv = load_inventory(write_inventory(tmp_path, meters=[m], files=("meters.parquet",)))
    par = read_meter_data(inv)
    np.testing.assert_array_equal(csv.groups["15min"].values, par.groups["15min"].values)
    assert par.files[0]["rows"] == t.size and len(par.files[0]["sha256"]) == 64


def test_nothing_is_dropped(tmp_path):
    # a file full of problems keeps every row: the error counts them all
    t, v = daily()
    v = -v
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": (t, v)})
    summary = [p for p in _problems(e) if "more rows like these" in p.message]
    assert summary and "(366 in all)" in summary[0].message


def _parquet(tmp_path, t, v, meter="grid", ts_type=None):
    ts = pa.array(t) if ts_type is None else pa.array(t).cast(ts_type)
    pq.write_table(pa.table({"timestamp": ts, "meter": [meter] * len(v), "value": v}),
                   tmp_path / "meters.parquet")
    return load_inventory(write_inventory(tmp_path, meters=[ELEC], files=("meters.parquet",)))


def test_parquet_fast_path_falls_back_to_full_report(tmp_path):
    # a duplicated row in an otherwise clean Parquet file: the row-level report still names it
    t, v = daily()
    inv = _parquet(tmp_path, np.r_[t, t[5:6]], np.r_[v, 1.0])
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    rows = sorted(p.row for p in _problems(e) if p.message == "duplicated interval")
    assert rows == [6, 367]  # Parquet rows are counted from 1


def test_parquet_timezone_aware_timestamps(tmp_path):
    t, v = daily()
    utc = pa.array(t - np.timedelta64(8, "h")).cast(pa.timestamp("ns", tz="UTC"))
    pq.write_table(pa.table({"timestamp": utc, "meter": ["grid"] * v.size, "value": v}),
                   tmp_path / "meters.parquet")
    inv = load_inventory(write_inventory(tmp_path, meters=[ELEC], files=("meters.parquet",)))
    assert read_meter_data(inv).monthly()[1].sum() == 366.0


def test_parquet_seconds_resolution_and_nan(tmp_path):
    t, v = daily()
    inv = _parquet(tmp_path, t, v, ts_type=pa.timestamp("s"))
    assert read_meter_data(inv).monthly()[1].sum() == 366.0
    v2 = v.copy()
    v2[3] = np.nan  # an explicit NaN is a missing reading
    inv = _parquet(tmp_path, t, v2)
    with pytest.raises(InputError, match="1 missing intervals: 2024-01-04"):
        read_meter_data(inv)


def test_progress_reports_row_groups(tmp_path):
    t, v = daily()
    pq.write_table(pa.table({"timestamp": t, "meter": ["grid"] * v.size, "value": v}),
                   tmp_path / "meters.parquet", row_group_size=100)
    inv = load_inventory(write_inventory(tmp_path, meters=[ELEC], files=("meters.parquet",)))
    calls = []
    read_meter_data(inv, progress=lambda *a: calls.append(a))
    # row groups done of 4, from 0 (several threads read them; each is reported as it ends)
    assert calls == [("reading meters.parquet",)] + [
        ("reading meters.parquet", k, 4) for k in range(5)]


def test_as_numpy_equals_pyarrow_on_slices_timestamps_and_indices():
    """The pandas-free view gives pyarrow's own values: offsets of slices, timestamps as int64
    ns, a sliced dictionary's indices, and falls back to pyarrow where nulls are present."""
    from carbon_core.io.meters import as_numpy

    ts = pa.array([0, 900, 1800, 2700], pa.int64()).cast(pa.timestamp("s")).slice(1, 2)
    np.testing.assert_array_equal(as_numpy(ts), [900, 1800])
    assert as_numpy(ts).dtype == np.int64
    d = pa.array(["m2", "m1", "m2", "m3"]).dictionary_encode().slice(2)
    np.testing.assert_array_equal(as_numpy(d.indices), d.indices.to_numpy())
    for typ in (pa.float32(), pa.float64(), pa.int32(), pa.uint16()):
        a = pa.array([3, 1, 4, 1, 5], typ).slice(1, 3)
        got = as_numpy(a)
        assert got.dtype == a.to_numpy().dtype
        np.testing.assert_array_equal(got, a.to_numpy())
    with_null = pa.array([1.0, None, 2.0])
    np.testing.assert_array_equal(as_numpy(with_null), [1.0, np.nan, 2.0])
