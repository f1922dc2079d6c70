"""Helpers shared by the core tests: small factories written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from carbon_core.io.meters import year_grid

VALID_CODE = "91340100MA2N0K1X3U"  # check digit valid (GB 32100-2015)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


def write_inventory(folder: Path, *, meters=(), activities=(), year=2024, files=("meters.csv",),
                    extra: str = "", gap_policy="error", electricity=None, production=None,
                    credit_code=VALID_CODE, gwp_set="AR5", sectors=()) -> Path:
    """Write an inventory TOML; meters/activities are dicts of keys."""
    electricity = electricity or {"factor": "average", "region": "CN-AH",
                                  "selection": "latest:Y-2"}
    lines = [
        'schema = "carbon_core.inventory/1"',
        f"reporting_year = {year}",
        f'gwp_set = "{gwp_set}"',
        "",
        "[factory]",
        'name = "Test factory"',
        f'credit_code = "{credit_code}"',
        'district = "包河区"',
        f"sectors = {toml_value(list(sectors))}",
        'grid_province = "CN-AH"',
        'grid_region = "CN-GRID-EAST"',
        "",
        "[electricity]",
        *[f"{k} = {toml_value(v)}" for k, v in electricity.items()],
        "",
        "[data]",
        f"files = {toml_value(list(files))}" if meters else "files = []",
        f'gap_policy = "{gap_policy}"',
    ]
    if production:
        lines += ["", "[production]", *[f"{k} = {toml_value(v)}" for k, v in production.items()]]
    for m in meters:
        lines += ["", "[[meters]]", *[f"{k} = {toml_value(v)}" for k, v in m.items()]]
    for a in activities:
        lines += ["", "[[activities]]", *[f"{k} = {toml_value(v)}" for k, v in a.items()]]
    path = folder / "inventory.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def write_long_csv(path: Path, series: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """series: meter -> (timestamps datetime64, values). Written in long format."""
    rows = ["timestamp,meter,value"]
    for meter, (ts, values) in series.items():
        for t, v in zip(ts.astype("datetime64[s]").astype(str), values):
            rows.append(f"{t},{meter},{v}" if isinstance(v, str) else f"{t},{meter},{float(v)!r}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def grid(year: int, interval: str, closing: bool = False) -> np.ndarray:
    g = year_grid(year, interval)
    if closing:
        g = np.append(g, np.datetime64(f"{year + 1}-01-01", "ns"))
    return g
