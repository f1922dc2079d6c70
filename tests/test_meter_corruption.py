"""Property tests on meter files: clean data round-trips exactly; any corruption is reported by row.

Whatever is done to a well-formed file (a row removed, duplicated, made negative, made
non-numeric, moved outside the year or off the grid), reading it must fail with a problem that
names the file and, where a row exists, that row: never a silent result.
"""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meters import read_meter_data
from factories import grid, write_inventory

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
METERS = [{"id": f"m{k}", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
           "interval": "1D"} for k in range(3)]
T = grid(2023, "1D")


def _table(values: np.ndarray):
    n = T.size
    return {
        "timestamp": np.tile(T, len(METERS)),
        "meter": np.repeat([m["id"] for m in METERS], n).astype(object),
        "value": values.reshape(-1).astype(object),
    }


def _write(tmp_path, cols, fmt):
    if fmt == "parquet":
        values = cols["value"]
        numeric = all(isinstance(v, (float, int)) for v in values)
        value_arr = pa.array(values.astype(float) if numeric else [str(v) for v in values])
        pq.write_table(pa.table({"timestamp": pa.array(cols["timestamp"].astype("datetime64[ns]")),
                                 "meter": pa.array(list(cols["meter"])), "value": value_arr}),
                       tmp_path / "m.parquet")
        name = "m.parquet"
    else:
        lines = ["timestamp,meter,value"] + [
            f"{np.datetime_as_string(t, unit='s')},{m},{v}"
            for t, m, v in zip(cols["timestamp"], cols["meter"], cols["value"])]
        (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
        name = "m.csv"
    return load_inventory(write_inventory(tmp_path, meters=METERS, year=2023, files=(name,)))


values_strategy = st.integers(0, 2**32 - 1).map(
    lambda seed: np.random.default_rng(seed).gamma(2.0, 5.0, (len(METERS), T.size)).round(3))


@SETTINGS
@given(values=values_strategy, fmt=st.sampled_from(["csv", "parquet"]))
def test_clean_files_round_trip_exactly(tmp_path, values, fmt):
    data = read_meter_data(_write(tmp_path, _table(values), fmt))
    np.testing.assert_array_equal(data.groups["1D"].values, values)


CORRUPTIONS = ["drop", "duplicate", "negative", "text", "outside_year", "off_grid"]


@SETTINGS
@given(values=values_strategy, fmt=st.sampled_from(["csv", "parquet"]),
       kind=st.sampled_from(CORRUPTIONS), where=st.integers(0, len(METERS) * T.size - 1))
def test_every_corruption_is_reported(tmp_path, values, fmt, kind, where):
    cols = _table(values)
    ts, meter, val = cols["timestamp"].copy(), cols["meter"].copy(), cols["value"].copy()
    if kind == "drop":
        ts, meter, val = (np.delete(a, where) for a in (ts, meter, val))
    elif kind == "duplicate":
        ts, meter, val = (np.append(a, a[where]) for a in (ts, meter, val))
    elif kind == "negative":
        val[where] = -1.0 - val[where]
    elif kind == "text":
        val[where] = "n.a."
    elif kind == "outside_year":
        ts[where] = np.datetime64("2022-12-31", "ns")
    elif kind == "off_grid":
        ts[where] = ts[where] + np.timedelta64(3, "h")
    inv = _write(tmp_path, {"timestamp": ts, "meter": meter, "value": val}, fmt)
    with pytest.raises(InputError) as e:
        read_meter_data(inv)
    problems = e.value.problems
    assert problems
    if kind in ("negative", "text", "outside_year", "off_grid", "duplicate"):
        # the corrupted row is named (CSV: header is line 1; Parquet: rows counted from 1)
        row = where + (2 if fmt == "csv" else 1)
        assert any(p.row == row for p in problems), [str(p) for p in problems]
    else:
        assert any("missing intervals" in p.message for p in problems)
