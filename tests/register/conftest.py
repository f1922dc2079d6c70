"""Fixtures of the register tests (helpers in register_helpers.py)."""

import pytest

from carbon_core.register import Register
from register_helpers import CLOCK


@pytest.fixture
def reg(tmp_path):
    r = Register(tmp_path / "register.sqlite", clock=lambda: CLOCK)
    yield r
    r.close()
