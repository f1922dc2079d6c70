"""Helpers shared by the core tests: small factories written to a temporary folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from carbon_core.io.meters import year_grid

VALID_CODE = "91340100MA2N0K1X3U"  # check digit valid (GB 32100-2015)

EXAMPLE = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"


def compute_example_in_a_process(then: str, *options: str, env: dict | None = None) -> str:
    """``carbon compute`` of the example (``--json`` and ``options``) in a fresh interpreter,
    then the code ``then`` in it; the process's own output.

    The command runs in process (``cli.main``) with its output caught in ``out`` (a StringIO)
    and must succeed, so ``then`` sees what the command left: modules loaded, pyarrow's pool,
    the JSON in ``out.getvalue()``.
    """
    code = ("import contextlib, io\nfrom carbon_core.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    try:\n"
            f"        main(['compute', {str(EXAMPLE)!r}, '--json', *{list(options)!r}])\n"
            "    except SystemExit as exc:\n"
            "        assert not exc.code, exc.code\n" + then)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env).stdout


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
