"""Benchmark: the self-evaluation report as a ratio to the compute alone.

Two factories: the bundled example (9 meters at 15 min / 1 h / 1 day, a year) and a factory
with 1,000 electricity meters at 15 minutes for a year (``CARBON_BENCH_METERS`` to change;
35 M readings in Parquet). For each, in one run and alternating subject and floor round by round:

- floor: ``compute(inventory).to_dict()``, the results document a report is built from;
- subject: what ``carbon report INVENTORY -o report.html`` does: the same compute and results
  document, the score against the programme's indicator system, the hourly matching series,
  the document and the HTML file.

Figure: ``ratio = best subject / best floor`` in wall time and in CPU time of the process (the
steadier figure on a shared machine), medians beside them; the order of the two is reversed
every other round. Target: the document adds under 50 % (ratio < 1.5). Stored in
``extra_info``; see ``benchmarks/README.md``.

Run: ``python -m pytest benchmarks/bench_report.py --benchmark-only``.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon_core import compute
from carbon_core.io.meters import year_grid
from carbon_core.outputs.build import make_report
from carbon_core.outputs.html import write_html

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hefei-appliance" / "inventory.toml"
N_METERS = int(os.environ.get("CARBON_BENCH_METERS", "1000"))
ROUNDS = int(os.environ.get("CARBON_BENCH_ROUNDS", "5"))


def _big_factory(folder: Path) -> Path:
    year = 2024
    t = year_grid(year, "15min")
    rng = np.random.default_rng(1)
    values = rng.gamma(2.0, 10.0, size=(N_METERS, t.size))
    ids = [f"m{k:04d}" for k in range(N_METERS)]
    table = pa.table({
        "timestamp": pa.array(np.tile(t, N_METERS)),
        "meter": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(N_METERS, dtype=np.int32), t.size)),
            pa.array(ids)),
        "value": pa.array(values.reshape(-1)),
    })
    pq.write_table(table, folder / "meters.parquet", row_group_size=1 << 22)
    lines = ['schema = "carbon_core.inventory/1"', f"reporting_year = {year}",
             'gwp_set = "AR5"', "", "[factory]", 'name = "基准工厂 benchmark factory"',
             'credit_code = "91340100MA2N0K1X3U"', 'district = "包河区"',
             'grid_province = "CN-AH"', 'grid_region = "CN-GRID-EAST"', "",
             "[electricity]", 'factor = "average"', 'region = "CN-AH"',
             'selection = "latest:Y-2"', "", "[data]", 'files = ["meters.parquet"]', "",
             "[production]", "output = 100000", 'output_unit = "t"', "value_added = 50000", ""]
    for k, mid in enumerate(ids):
        role = "grid_purchase" if k % 50 else ("onsite_generation" if k % 100 else "export")
        lines += ["[[meters]]", f'id = "{mid}"', 'carrier = "electricity"', 'unit = "kWh"',
                  f'role = "{role}"', 'interval = "15min"',
                  f"renewable = {'true' if role == 'onsite_generation' else 'false'}", ""]
    path = folder / "inventory.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _alternate(inventory: Path, out: Path, rounds: int) -> dict:
    def floor():
        compute(inventory).to_dict()

    def subject():
        write_html(make_report([inventory], kind="self"), out)

    floor()
    subject()  # warm-up: page cache, imports, registries
    wall = {"floor": [], "subject": []}
    cpu = {"floor": [], "subject": []}
    order = (("floor", floor), ("subject", subject))
    for r in range(rounds):
        for name, fn in (order if r % 2 == 0 else order[::-1]):  # reversed every other round
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    best_f, best_s = min(wall["floor"]), min(wall["subject"])
    cpu_f, cpu_s = min(cpu["floor"]), min(cpu["subject"])
    return {"floor_seconds": best_f, "report_seconds": best_s, "ratio": best_s / best_f,
            "ratio_median": statistics.median(wall["subject"]) / statistics.median(
                wall["floor"]),
            "added_share": best_s / best_f - 1.0, "rounds": rounds,
            # CPU time of the process (all threads): on a shared machine the steadier measure
            "floor_cpu_seconds": cpu_f, "report_cpu_seconds": cpu_s, "cpu_ratio": cpu_s / cpu_f,
            "cpu_ratio_median": statistics.median(cpu["subject"]) / statistics.median(
                cpu["floor"]),
            "html_bytes": out.stat().st_size}


@pytest.mark.parametrize("factory", ["example", "1000-meters"])
def test_report_vs_compute(benchmark, factory, tmp_path):
    inventory = EXAMPLE if factory == "example" else _big_factory(tmp_path)
    figures = _alternate(inventory, tmp_path / "report.html", ROUNDS)
    # one more report through pytest-benchmark for its usual statistics
    benchmark.pedantic(lambda: write_html(make_report([inventory]), tmp_path / "r.html"),
                       rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    print(f"\n{factory}: compute {figures['floor_seconds']:.3f} s, report "
          f"{figures['report_seconds']:.3f} s, ratio {figures['ratio']:.2f} (median "
          f"{figures['ratio_median']:.2f}); CPU {figures['floor_cpu_seconds']:.3f} s vs "
          f"{figures['report_cpu_seconds']:.3f} s, ratio {figures['cpu_ratio']:.2f} (median "
          f"{figures['cpu_ratio_median']:.2f})")
    assert figures["html_bytes"] > 50_000
