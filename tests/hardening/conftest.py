"""Fixtures of the hardening suite: a private copy of the example factory, the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardening_helpers import EXAMPLE


@pytest.fixture
def example(tmp_path) -> Path:
    """A copy of examples/hefei-appliance in a temporary folder; returns the inventory path."""
    for f in EXAMPLE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path / "inventory.toml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
