"""Helpers of the hardening suite (a module of its own: several test folders have a conftest)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hefei-appliance"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/factories.py


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def no_traceback(result) -> None:
    """The CLI printed no Python traceback and raised nothing but SystemExit."""
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
