"""Shared inventory pieces for the Scope 3 tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from factories import write_inventory  # noqa: E402

#: A diesel invoice, so every test factory has Scope 1 to compare.
DIESEL = {"id": "diesel", "carrier": "diesel", "role": "fuel", "amount": 10.0, "unit": "t",
          "period": "2024"}

MONEY = '''
[[scope3.exchange_rates]]
currency = "CNY"
per = "USD"
year = 2024
rate = 7.0
source = "test rate (declared)"

[[scope3.price_indices]]
currency = "USD"
series = "test deflator"
values = { 2022 = 100.0, 2024 = 125.0 }
source = "test index (declared)"
'''


@pytest.fixture
def make(tmp_path):
    """make(extra_toml, activities=...) -> inventory path."""

    def _make(extra: str, activities=(DIESEL,), **kw):
        return write_inventory(tmp_path, activities=activities, extra=extra, **kw)

    return _make
