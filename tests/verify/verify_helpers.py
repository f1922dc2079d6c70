"""Paths shared by the verifier tests."""

from __future__ import annotations

from pathlib import Path

EXAMPLE_DIR = Path(__file__).parents[2] / "examples" / "hefei-appliance"
EXAMPLE = EXAMPLE_DIR / "inventory.toml"
