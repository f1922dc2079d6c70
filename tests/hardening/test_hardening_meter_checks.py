"""Meter data checks (carbon_core.io.meter_checks): registers, coarser blocks, negative registers,
fill counts, magnitudes, Parquet page checksums."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from carbon_core.cli import main
from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.meter_checks import coarse_blocks, parquet_checksums
from carbon_core.io.meters import read_meter_data

from factories import grid, write_inventory, write_long_csv

GAS = {"id": "gas", "carrier": "natural_gas", "unit": "Nm3", "role": "fuel",
       "reading": "cumulative", "interval": "1D"}
ELEC = {"id": "grid", "carrier": "electricity", "unit": "kWh", "role": "grid_purchase",
        "interval": "15min"}


def _read(tmp_path, series, meters, **kw):
    write_long_csv(tmp_path / "meters.csv", series)
    return read_meter_data(load_inventory(write_inventory(tmp_path, meters=list(meters), **kw)))


def _register(n_back_at=None, value=None):
    t = grid(2024, "1D", closing=True)
    reg = 1000.0 + 10.0 * np.arange(t.size)
    if n_back_at is not None:
        reg[n_back_at:] -= 500.0
    return t, reg


def test_register_backwards_names_meter_timestamp_and_row(tmp_path):
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"gas": _register(n_back_at=100)}, (GAS,))
    (p,) = e.value.problems
    assert p.file.endswith("meters.csv") and p.row == 102  # CSV line: header + 100 rows + 1
    assert "'gas'" in p.message and "2024-04-10T00:00:00" in p.message
    assert "(1990.0 -> 1500.0)" in p.found


def test_wrong_rollover_modulus(tmp_path):
    """A register declared to roll over at 100,000 drops by 500: not a rollover of it."""
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"gas": _register(n_back_at=100)}, (dict(GAS, rollover=100000),))
    (p,) = e.value.problems
    assert "not one rollover of the declared modulus 100000" in p.message
    assert p.row == 102 and "2024-04-10" in p.message


def test_negative_register_reading_refused(tmp_path):
    t, reg = _register()
    reg = reg - 2000.0  # starts at -1000
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"gas": (t, reg)}, (GAS,))
    msgs = {p.message for p in e.value.problems}
    assert "negative register reading" in msgs


def _hourly_block_in_15min():
    t = grid(2024, "15min")
    v = np.full(t.size, 1.0)
    present = np.ones(t.size, bool)
    a = 4 * 24 * 10  # 11 January, 00:00: eight hours of hourly sums
    for h in range(8):
        v[a + 4 * h] = 4.0
        present[a + 4 * h + 1: a + 4 * h + 4] = False
    return t[present], v[present]


def test_coarse_block_detected_and_named(tmp_path):
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": _hourly_block_in_15min()}, (ELEC,))
    coarse = [p for p in e.value.problems if "coarser data" in p.message]
    assert coarse and "1h readings inside a 15min meter from 2024-01-11T00:00:00" in \
        coarse[0].found


def test_linear_never_interpolates_across_a_coarse_block(tmp_path):
    with pytest.raises(InputError) as e:
        _read(tmp_path, {"grid": _hourly_block_in_15min()}, (ELEC,), gap_policy="linear")
    assert any("not interpolated" in p.message for p in e.value.problems)


def test_zero_policy_keeps_the_sums_and_warns(tmp_path):
    data = _read(tmp_path, {"grid": _hourly_block_in_15min()}, (ELEC,), gap_policy="zero")
    _, monthly = data.monthly()
    assert monthly.sum() == grid(2024, "15min").size  # every hourly sum counted once
    assert any(w["kind"] == "coarser_block" for w in data.warnings)


def test_coarse_blocks_function():
    p = np.ones(96, bool)
    assert coarse_blocks(p, "15min") == []
    p[4:12] = False
    p[4:12:4] = True  # two hours of hourly readings
    assert coarse_blocks(p, "15min") == [(4, 11, "1h")]
    q = np.ones(96, bool)
    q[5:8] = False  # one gap of three: not a block (one period only)
    assert coarse_blocks(q, "15min") == []


def test_fill_counts_are_intervals(tmp_path):
    t = grid(2024, "15min")
    keep = np.ones(t.size, bool)
    keep[10:20] = False   # one gap of 10 intervals
    keep[500:503] = False  # a second gap of 3
    data = _read(tmp_path, {"grid": (t[keep], np.ones(keep.sum()))}, (ELEC,),
                 gap_policy="zero")
    (fill,) = data.fills
    assert fill["intervals"] == 13


def test_spike_reported_not_clamped(tmp_path):
    t = grid(2024, "15min")
    v = np.full(t.size, 10.0)
    v[1234] = 1e6  # a reading 100,000 x the meter's median
    data = _read(tmp_path, {"grid": (t, v)}, (ELEC,))
    (w,) = [w for w in data.warnings if w["kind"] == "implausible_reading"]
    assert "'grid'" in w["message"] and "2024-01-13T20:30:00" in w["message"]
    _, monthly = data.monthly()
    assert monthly.sum() == 10.0 * (t.size - 1) + 1e6  # kept as read


def test_spike_reported_by_the_chunked_reader(tmp_path):
    """--memory-limit reads month by month: the same spike is reported (against the meter's
    median over the chunk, which the warning names) and kept as read."""
    from carbon_core.backends.chunked import read_chunked

    t = grid(2024, "15min")
    v = np.full(t.size, 10.0)
    v[1234] = 1e6
    write_long_csv(tmp_path / "meters.csv", {"grid": (t, v)})
    inv = load_inventory(write_inventory(tmp_path, meters=[ELEC]))
    data = read_chunked(inv, months=1)
    (w,) = [w for w in data.warnings if w["kind"] == "implausible_reading"]
    assert "'grid'" in w["message"] and "2024-01-13T20:30:00" in w["message"]
    assert "over months 1-1 of 2024" in w["message"]
    _, monthly = data.monthly()
    assert monthly.sum() == 10.0 * (t.size - 1) + 1e6


def _spikes_by_definition(values, ratio):
    """The screen as defined: each judged meter's median of positive readings, every reading
    compared with ratio x that median (full-size temporaries, no shortcut)."""
    positive = values > 0
    enough = positive.sum(axis=1) >= 10
    out = []
    for r in np.flatnonzero(enough):
        med = float(np.median(values[r][positive[r]]))
        hit = np.flatnonzero(values[r] > ratio * med)
        if hit.size:
            out.append((int(r), int(hit.size), int(hit[0]), med))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_spike_screen_equals_its_definition(seed, monkeypatch):
    """The blocked screen, which skips the median of meters that cannot hold a spike, flags
    exactly the meters, counts, first intervals and medians of the definition: zeros, NaN,
    negative readings, meters exactly at the ratio, blocks of any size, screened by one thread
    or several."""
    from carbon_core.io import meter_checks

    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(1, 60)), int(rng.integers(1, 1500))
    v = rng.gamma(rng.uniform(0.05, 3), 3, (m, n))
    v[rng.random((m, n)) < rng.random() * 0.95] = 0
    v[rng.random((m, n)) < rng.random() * 0.01] *= 10 ** rng.uniform(2, 6)
    if seed % 3 == 0:
        v[: m // 2] = 0
    if seed % 4 == 0:
        v[rng.random((m, n)) < 0.01] = np.nan
    if seed % 5 == 0:
        v[rng.random((m, n)) < 0.05] *= -1
    if seed % 6 == 0 and n >= 12:  # at the ratio and one step above it
        v[0, :] = 1.0
        v[0, 0], v[0, 1] = 1000.0, np.nextafter(1000.0, 2000.0)
    monkeypatch.setattr(meter_checks, "SPIKE_BLOCK", int(rng.integers(1, 1 << 14)))
    expected = _spikes_by_definition(v, meter_checks.SPIKE_RATIO)
    assert meter_checks.spikes(v) == expected
    assert meter_checks.spikes(v, threads=3) == expected


def test_spike_screen_at_the_half_count_boundary():
    """Meters whose spike rests on exactly ceil(k/2) readings below max / ratio (the least the
    shortcut lets through) are flagged, with the median the definition gives."""
    from carbon_core.io.meter_checks import spikes

    odd = [1.0] * 6 + [5000.0] * 5  # k = 11: median 1.0, 5000 > 1000 x 1.0
    even = [1.0] * 5 + [6.0] + [5000.0] * 4 + [0.0]  # k = 10: median 3.5; 5 below 5.0
    calm = [1.0] * 5 + [2000.0] * 5 + [0.0]  # k = 10: median 1000.5, nothing above it x 1000
    v = np.array([odd, even, calm])
    assert spikes(v) == [(0, 5, 6, 1.0), (1, 4, 6, 3.5)]
    assert spikes(v) == _spikes_by_definition(v, 1000.0)


def test_intensity_below_physical_value_warned(runner, example):
    text = example.read_text(encoding="utf-8").replace("value_added = 86000",
                                                       "value_added = 8.6e13")
    example.write_text(text, encoding="utf-8")
    r = runner.invoke(main, ["compute", str(example), "--json"])
    doc = json.loads(r.output)
    kinds = {w["kind"] for w in doc["data_quality"]["warnings"]}
    assert "implausible_intensity" in kinds
    r = runner.invoke(main, ["compute", str(example)])
    assert "data-quality warning" in r.output


def test_example_has_page_checksums_verified(runner, example):
    assert parquet_checksums(example.parent / "meters.parquet") == "present"
    doc = json.loads(runner.invoke(main, ["compute", str(example), "--json"]).output)
    assert doc["provenance"]["input_files"][0]["page_checksums"] == "present"
    assert doc["data_quality"]["warnings"] == []


def test_file_without_checksums_read_and_noted(runner, example):
    path = example.parent / "meters.parquet"
    base = json.loads(runner.invoke(main, ["compute", str(example), "--json"]).output)
    pq.write_table(pq.read_table(path), path, compression="zstd")  # no checksums
    assert parquet_checksums(path) == "absent"
    doc = json.loads(runner.invoke(main, ["compute", str(example), "--json"]).output)
    assert doc["scope2"] == base["scope2"]
    assert doc["provenance"]["input_files"][0]["page_checksums"] == "absent"
    assert any(w["kind"] == "no_page_checksums" for w in doc["data_quality"]["warnings"])


def test_bit_flip_in_values_never_changes_scope2_silently(runner, example):
    """Flip one bit in each of 12 places of the value pages: every run fails or gives the same
    Scope 2 (a flip in padding or statistics), never a different number without a word."""
    path = example.parent / "meters.parquet"
    data = path.read_bytes()
    base = json.loads(runner.invoke(main, ["compute", str(example), "--json"]).output)
    md = pq.ParquetFile(path).metadata.row_group(0).column(2)  # the value column chunk
    start = md.dictionary_page_offset if md.has_dictionary_page else md.data_page_offset
    size = md.total_compressed_size
    for k in range(12):
        pos = start + 64 + (size - 128) * k // 12
        flipped = bytearray(data)
        flipped[pos] ^= 1 << (k % 8)
        path.write_bytes(bytes(flipped))
        r = runner.invoke(main, ["compute", str(example), "--json"])
        assert "Traceback" not in r.output
        if r.exit_code == 0:
            assert json.loads(r.output)["scope2"] == base["scope2"], pos
        else:
            assert r.exit_code == 2 and "meters.parquet" in r.output
