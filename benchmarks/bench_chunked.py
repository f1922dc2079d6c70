"""One factory larger than the memory it is given: ``carbon compute --memory-limit``.

``test_chunked_under_memory_limit``: one factory of ``CARBON_BENCH_CHUNKED_METERS`` electricity
meters (default 4,000, the issue's size: 140 M rows, a 1.07 GiB float64 array) x 35,040 quarter
hours of 2023 in a time-major Parquet file (plain meter ids, 1 M-row row groups), written once
batch by batch (``CARBON_BENCH_DATA`` keeps it between runs). Then, once each (a run takes
minutes here):

- ``carbon compute INVENTORY --json`` (in memory);
- ``carbon compute INVENTORY --json --memory-limit LIMIT``, LIMIT ``CARBON_BENCH_CHUNKED_LIMIT``
  (default a quarter of the array, rounded down to MiB);
- the same command on a 10-meter factory, the baseline (interpreter, libraries, one factory's
  bookkeeping).

Peak RSS comes from ``/usr/bin/time``; ``extra_info`` gives each run's time, its peak RSS above
the baseline against the limit and against the array, and whether the two JSON documents are
identical (asserted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from _layouts import YEAR, inventory_text, write_factory

METERS = int(os.environ.get("CARBON_BENCH_CHUNKED_METERS", "4000"))
CARBON = str(Path(sys.executable).with_name("carbon"))
INTERVALS = 35040  # 2023, quarter hours


def write_time_major(folder: Path, n: int, row_group_rows: int = 1 << 20) -> Path:
    """A time-major Parquet of ``n`` meters written one row group at a time (bounded memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    inv = folder / "inventory.toml"
    path = folder / "meters.parquet"
    if inv.exists() and path.exists():
        return inv
    t = np.arange(np.datetime64(f"{YEAR}-01-01", "ns"), np.datetime64(f"{YEAR + 1}-01-01", "ns"),
                  np.timedelta64(15, "m"))
    ids = pa.array([f"m{k:04d}" for k in range(n)])
    per = max(1, row_group_rows // n)  # timestamps per row group
    rng = np.random.default_rng(0)
    schema = pa.schema([("timestamp", pa.timestamp("ns")), ("meter", pa.string()),
                        ("value", pa.float64())])
    with pq.ParquetWriter(path, schema) as w:
        for s in range(0, t.size, per):
            block = t[s:s + per]
            table = pa.table({"timestamp": pa.array(np.repeat(block, n)),
                              "meter": ids.take(pa.array(np.tile(np.arange(n), block.size))),
                              "value": pa.array(rng.gamma(2.0, 10.0, n * block.size))},
                             schema=schema)
            w.write_table(table, row_group_size=table.num_rows)
    inv.write_text(inventory_text(n, ["meters.parquet"]), encoding="utf-8")
    return inv


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """(wall [s], peak RSS [MiB], stdout) of one fresh process."""
    with tempfile.NamedTemporaryFile("r") as rss, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], stdout=out,
                              stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        out.seek(0)
        return wall, float(rss.read().split()[-1]) / 1024.0, out.read().decode()


def test_chunked_under_memory_limit(benchmark, tmp_path_factory):
    root = Path(os.environ.get("CARBON_BENCH_DATA") or tmp_path_factory.mktemp("chunked"))
    t0 = time.perf_counter()
    inv = write_time_major(root / f"chunked-{METERS}", METERS)
    written = time.perf_counter() - t0
    array_mib = METERS * INTERVALS * 8 / 2**20
    limit = os.environ.get("CARBON_BENCH_CHUNKED_LIMIT") or f"{int(array_mib / 4)}MiB"
    limit_mib = float(limit.removesuffix("MiB")) if limit.endswith("MiB") else float("nan")
    base_inv = write_factory(root / "chunked-base-10", 10, "time-major")
    _, rss_base, _ = _run([CARBON, "compute", str(base_inv), "--json"])
    t_ch, rss_ch, out_ch = _run([CARBON, "compute", str(inv), "--json", "--memory-limit", limit])
    t_mem, rss_mem, out_mem = _run([CARBON, "compute", str(inv), "--json"])
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info = {"meters": METERS, "rows": METERS * INTERVALS, "array_mib": array_mib,
            "file_mib": (inv.parent / "meters.parquet").stat().st_size / 2**20,
            "write_s": written, "memory_limit": limit, "baseline_rss_mib": rss_base,
            "in_memory_s": t_mem, "chunked_s": t_ch,
            "in_memory_rss_above_baseline_mib": rss_mem - rss_base,
            "chunked_rss_above_baseline_mib": rss_ch - rss_base,
            "chunked_above_baseline_over_limit": (rss_ch - rss_base) / limit_mib,
            "chunked_above_baseline_over_array": (rss_ch - rss_base) / array_mib,
            "in_memory_above_baseline_over_array": (rss_mem - rss_base) / array_mib,
            "identical_json": out_mem == out_ch}
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info, indent=1))
    assert out_mem == out_ch
