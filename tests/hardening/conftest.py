"""Fixtures of the hardening suite: a private copy of the example factory, the CLI runner."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hefei-appliance"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/factories.py


@pytest.fixture
def example(tmp_path) -> Path:
    """A copy of examples/hefei-appliance in a temporary folder; returns the inventory path."""
    for f in EXAMPLE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path / "inventory.toml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def no_traceback(result) -> None:
    """The CLI printed no Python traceback and raised nothing but SystemExit."""
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
