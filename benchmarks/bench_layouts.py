"""The real path, end to end: ``carbon compute`` in a fresh process on every file layout.

For each layout (Parquet meter-major, time-major, shuffled; CSV time-major) and size (meters x
35,040 quarter hours of 2023), in one run and alternated round by round:

- ``cli``: ``carbon compute INVENTORY --json`` (read, validate, shape, compute, balance, JSON);
- ``floor``: a fresh Python process that reads the three columns with pyarrow and sums the values;
- ``duckdb``: ``GROUP BY meter, month`` over the file (the peer a user would pick instead);
- ``polars``: a lazy group-by on meter and month;
- ``pandas``: ``read_parquet``/``read_csv`` then ``groupby([meter, month]).sum()``.

``extra_info`` holds min and median of each, the ratios cli/floor and cli/duckdb, and the CLI's
peak memory above a fixed baseline (the same command on a 10-meter factory) as a multiple of the
final float64 array. Peers that are not installed (``pip install -e '.[bench]'``) are skipped.

Sizes: ``CARBON_BENCH_LAYOUT_SIZES`` (default ``10,100,1000``; the issue's 4000 is
``10,100,1000,4000``: 140 M rows, a 1.2 GB Parquet and an 8 GB CSV); rounds
``CARBON_BENCH_ROUNDS`` (default 3); layouts ``CARBON_BENCH_LAYOUTS`` (default all).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from _layouts import LAYOUTS, YEAR, write_factory

SIZES = [int(s) for s in os.environ.get("CARBON_BENCH_LAYOUT_SIZES", "10,100,1000").split(",")]
ROUNDS = int(os.environ.get("CARBON_BENCH_ROUNDS", "3"))
CHOSEN = os.environ.get("CARBON_BENCH_LAYOUTS", ",".join(LAYOUTS)).split(",")
CARBON = str(Path(sys.executable).with_name("carbon"))

FLOOR = """
import sys, pyarrow.compute as pc
p = sys.argv[1]
if p.endswith(".csv"):
    import pyarrow.csv as pacsv
    t = pacsv.read_csv(p)
else:
    import pyarrow.parquet as pq
    t = pq.read_table(p, columns=["timestamp", "meter", "value"])
print(pc.sum(t.column("value")))
"""
DUCKDB = """
import sys, duckdb
p = sys.argv[1]
src = f"read_csv_auto('{p}')" if p.endswith(".csv") else f"read_parquet('{p}')"
r = duckdb.sql(f"SELECT meter, month(timestamp) AS m, sum(value) FROM {src} GROUP BY ALL").fetchall()
print(len(r))
"""
POLARS = """
import sys, polars as pl
p = sys.argv[1]
lf = pl.scan_csv(p, try_parse_dates=True) if p.endswith(".csv") else pl.scan_parquet(p)
r = lf.group_by("meter", pl.col("timestamp").dt.month().alias("m")).agg(pl.col("value").sum())
print(r.collect().height)
"""
PANDAS = """
import sys, pandas as pd
p = sys.argv[1]
df = pd.read_csv(p, parse_dates=["timestamp"]) if p.endswith(".csv") else pd.read_parquet(p)
print(df.groupby(["meter", df["timestamp"].dt.month])["value"].sum().size)
"""


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS [MB]) of one fresh process."""
    import time

    import tempfile

    # the peak RSS comes from /usr/bin/time: a child forked from this (large) pytest process
    # would report this process's RSS as its own maximum
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
                              stdout=subprocess.DEVNULL, stderr=err)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd} failed: {err.read().decode()[-2000:]}")
        peak_kb = float(rss.read().split()[-1])
    return wall, peak_kb / 1024.0


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    root = Path(os.environ.get("CARBON_BENCH_DATA") or tmp_path_factory.mktemp("layouts"))
    return root


def _factory(root: Path, n: int, layout: str) -> Path:
    folder = root / f"{layout}-{n}"
    inv = folder / "inventory.toml"
    if not inv.exists():
        write_factory(folder, n, layout)
    return inv


@pytest.mark.parametrize("layout", [x for x in LAYOUTS if x in CHOSEN])
@pytest.mark.parametrize("n", SIZES)
def test_cli_end_to_end(benchmark, files, n, layout):
    inv = _factory(files, n, layout)
    data = next(p for p in inv.parent.iterdir() if p.name.startswith("meters."))
    base_inv = _factory(files, 10, "time-major")
    contenders = {"cli": [CARBON, "compute", str(inv), "--json"],
                  "floor": [sys.executable, "-c", FLOOR, str(data)]}
    for name, code, module in (("duckdb", DUCKDB, "duckdb"), ("polars", POLARS, "polars"),
                               ("pandas", PANDAS, "pandas")):
        if _have(module):
            contenders[name] = [sys.executable, "-c", code, str(data)]
    baseline = [CARBON, "compute", str(base_inv), "--json"]
    run_measured(baseline)  # page cache and pint cache warm
    times: dict[str, list[float]] = {k: [] for k in contenders}
    rss: dict[str, list[float]] = {k: [] for k in contenders}
    base_rss = []
    for r in range(ROUNDS):
        order = list(contenders) if r % 2 == 0 else list(contenders)[::-1]
        for name in order:
            t, m = run_measured(contenders[name])
            times[name].append(t)
            rss[name].append(m)
        base_rss.append(run_measured(baseline)[1])
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    array_mb = n * (35040 if YEAR % 4 else 35136) * 8 / 2**20
    info = {"meters": n, "layout": layout, "rows": n * 35040, "array_mb": array_mb,
            "baseline_rss_mb": min(base_rss)}
    for k in contenders:
        info[f"{k}_min_s"] = min(times[k])
        info[f"{k}_median_s"] = statistics.median(times[k])
        info[f"{k}_peak_rss_mb"] = min(rss[k])
    info["cli_over_floor_min"] = info["cli_min_s"] / info["floor_min_s"]
    info["cli_over_floor_median"] = info["cli_median_s"] / info["floor_median_s"]
    if "duckdb" in contenders:
        info["cli_over_duckdb_min"] = info["cli_min_s"] / info["duckdb_min_s"]
    info["cli_memory_over_array"] = (info["cli_peak_rss_mb"] - info["baseline_rss_mb"]) / array_mb
    benchmark.extra_info.update(info)
    print(f"\n{layout} {n} meters: " + ", ".join(
        f"{k} {info[f'{k}_min_s']:.2f}/{info[f'{k}_median_s']:.2f} s" for k in contenders)
        + f"; cli/floor {info['cli_over_floor_min']:.2f} (min) "
          f"{info['cli_over_floor_median']:.2f} (median); cli memory above baseline "
          f"{info['cli_memory_over_array']:.2f}x the array ({array_mb:.0f} MB)")
