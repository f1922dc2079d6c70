"""Fixtures of the register tests (helpers in register_helpers.py)."""

import pytest

from carbon_core.register import Register
from register_helpers import CLOCK


@pytest.fixture(scope="session", autouse=True)
def _no_flush():
    """Throwaway registers: no disk flush per command (production keeps synchronous FULL)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CARBON_REGISTER_SQLITE_SYNCHRONOUS", "OFF")
    yield
    mp.undo()


@pytest.fixture
def reg(tmp_path):
    r = Register(tmp_path / "register.sqlite", clock=lambda: CLOCK)
    yield r
    r.close()
