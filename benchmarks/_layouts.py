"""Meter files of one factory in every layout a metering system exports, for the benchmarks.

The same year of 15-minute readings (2023: 35,040 intervals) for ``n`` meters, written as:

- ``meter-major``: Parquet, each meter's rows contiguous in time order (what the old fast path
  needed), dictionary-encoded meter ids;
- ``time-major``: Parquet, rows ordered by timestamp then meter, plain (not dictionary) meter ids;
- ``shuffled``: Parquet, rows in random order;
- ``csv``: time-major CSV text.

Every layout holds identical content, so every reader must give identical arrays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["LAYOUTS", "YEAR", "write_factory", "inventory_text"]

YEAR = 2023
LAYOUTS = ("meter-major", "time-major", "shuffled", "csv")


def _grid() -> np.ndarray:
    return np.arange(np.datetime64(f"{YEAR}-01-01", "ns"), np.datetime64(f"{YEAR + 1}-01-01", "ns"),
                     np.timedelta64(15, "m"))


def inventory_text(n: int, files: list[str], *, name: str = "bench", district: str = "蜀山区",
                   code: str = "91340100MA2N0K1X3U", prefix: str = "m") -> str:
    """An inventory TOML for ``n`` electricity meters (a few on-site generation and export)."""
    lines = ['schema = "carbon_core.inventory/1"', f"reporting_year = {YEAR}", 'gwp_set = "AR5"',
             "", "[factory]", f'name = "{name}"', f'credit_code = "{code}"',
             f'district = "{district}"', 'grid_province = "CN-AH"',
             'grid_region = "CN-GRID-EAST"', "", "[production]", "output = 1000.0",
             'output_unit = "t"', "value_added = 5000.0", 'value_added_unit = "万元"', "",
             "[electricity]", 'factor = "average"', 'region = "CN-AH"',
             'selection = "latest:Y-1"', "", "[data]",
             "files = [" + ", ".join(f'"{f}"' for f in files) + "]"]
    for k in range(n):
        role = "grid_purchase" if k % 50 else ("onsite_generation" if k % 100 else "export")
        lines += ["", "[[meters]]", f'id = "{prefix}{k:04d}"', 'carrier = "electricity"',
                  'unit = "kWh"', f'role = "{role}"', 'interval = "15min"']
        if role == "onsite_generation":
            lines.append("renewable = true")
    return "\n".join(lines) + "\n"


def write_factory(folder: Path, n: int, layout: str, *, seed: int = 0, prefix: str = "m",
                  name: str = "bench", district: str = "蜀山区",
                  code: str = "91340100MA2N0K1X3U", row_group_size: int = 1 << 20) -> Path:
    """Write one factory's inventory and meter file in ``layout``; returns the inventory path."""
    folder.mkdir(parents=True, exist_ok=True)
    t = _grid()
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 10.0, size=(n, t.size))
    ids = pa.array([f"{prefix}{k:04d}" for k in range(n)])
    if layout == "meter-major":
        order = None
        meter = pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(n, dtype=np.int32), t.size)), ids)
        table = pa.table({"timestamp": pa.array(np.tile(t, n)), "meter": meter,
                          "value": pa.array(values.reshape(-1))})
    else:
        # time-major: timestamp outer, meter inner
        m_idx = np.tile(np.arange(n, dtype=np.int32), t.size)
        t_idx = np.repeat(np.arange(t.size), n)
        if layout == "shuffled":
            order = rng.permutation(m_idx.size)
            m_idx, t_idx = m_idx[order], t_idx[order]
        table = pa.table({"timestamp": pa.array(t[t_idx]), "meter": ids.take(pa.array(m_idx)),
                          "value": pa.array(values[m_idx, t_idx])})
    if layout == "csv":
        path = folder / "meters.csv"
        pacsv.write_csv(table, path)
    else:
        path = folder / "meters.parquet"
        pq.write_table(table, path, row_group_size=row_group_size)
    inv = folder / "inventory.toml"
    inv.write_text(inventory_text(n, [path.name], name=name, district=district, code=code,
                                  prefix=prefix), encoding="utf-8")
    return inv
