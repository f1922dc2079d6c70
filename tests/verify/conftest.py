"""Shared fixtures of the verifier tests: one bundle of the example, built once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from verify_helpers import EXAMPLE, EXAMPLE_DIR


@pytest.fixture(scope="session")
def example_bundle(tmp_path_factory) -> Path:
    from carbon_core.verify import make_bundle

    out = tmp_path_factory.mktemp("bundle") / "example.bundle"
    make_bundle(EXAMPLE, out)
    return out


@pytest.fixture
def example_copy(tmp_path) -> Path:
    """The example inventory and its meter file in a folder of its own (safe to edit)."""
    for name in ("inventory.toml", "meters.parquet"):
        shutil.copy(EXAMPLE_DIR / name, tmp_path / name)
    return tmp_path / "inventory.toml"
