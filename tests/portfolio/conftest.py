"""A small portfolio: copies of the example factory in three districts, one with a broken file.

The builder is a fixture (``make_portfolio``), not a module the tests import by name: a bare
``from conftest import ...`` finds whichever ``conftest`` is first on ``sys.path``, which in the
full suite is another folder's (and a dask worker, which imports by name what it unpickles, finds
it too).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hefei-appliance"


def _make_portfolio(root: Path, *, broken: bool = True, goal: bool = True) -> Path:
    rows = []
    for k, district in enumerate(["蜀山区", "包河区", "蜀山区"]):
        d = root / f"f{k}"
        shutil.copytree(EXAMPLE, d)
        rows.append(f'[[factories]]\ninventory = "f{k}/inventory.toml"\nname = "factory {k}"\n'
                    f'district = "{district}"\n')
    if broken:
        d = root / "bad"
        shutil.copytree(EXAMPLE, d)
        (d / "meters.parquet").write_bytes(b"not a parquet file")
        rows.append('[[factories]]\ninventory = "bad/inventory.toml"\nname = "broken factory"\n')
    head = 'schema = "carbon_core.portfolio/1"\nname = "test city"\n'
    if goal:
        head += "[goal]\ndemonstration_factories = 2\nnet_tco2e = 20000.0\n"
    path = root / "portfolio.toml"
    path.write_text(head + "\n" + "\n".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def make_portfolio():
    """``make_portfolio(root, broken=True, goal=True)`` -> the manifest path written in root."""
    return _make_portfolio


@pytest.fixture
def portfolio_manifest(tmp_path):
    return _make_portfolio(tmp_path)
