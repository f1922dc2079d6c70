"""Shared set-up of the benchmarks."""

from __future__ import annotations

import compileall
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def bytecode():
    """Compile the package's bytecode before any benchmark spawns a ``carbon`` process.

    An installed package has its bytecode (pip compiles at install), but an editable checkout
    run with ``PYTHONDONTWRITEBYTECODE=1`` (set on some development machines, this one among
    them) compiles about 50 modules from source in every fresh process: 0.2-0.3 s of start-up
    that no user pays, and that would count against the CLI in every end-to-end ratio.
    """
    root = Path(__file__).parents[1]
    for folder in ("carbon_core", "plugins"):
        compileall.compile_dir(str(root / folder), quiet=1)
