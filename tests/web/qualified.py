"""A qualifying variant of the example factory, for the end-to-end web tests.

The example (examples/hefei-appliance) is eligible but not qualified: its net emissions are not
zero (mandatory F1) and its disclosure report is dated after the reporting year (F3). The
variant retires enough CCER offsets to reach net zero and dates the disclosure inside the year;
everything else, meter data included, is the example's own, so the engine computes it for real.
"""

from __future__ import annotations

from pathlib import Path

from webtest import EXAMPLE


def qualified_inventory() -> bytes:
    """The example's inventory with 9,200 t of offsets and a disclosure dated 2024-12-20."""
    text = (EXAMPLE / "inventory.toml").read_text(encoding="utf-8")
    text = text.replace('serials = ["CCER-14-2024-0001#1..1500"]',
                        'serials = ["CCER-14-2024-0001#1..9200"]')
    text = text.replace("tco2e = 1500\n", "tco2e = 9200\n", 1)
    text = text.replace("date = 2025-03-31                      # after 2024-12-31",
                        "date = 2024-12-20                      # inside the year")
    assert "#1..9200" in text and "2024-12-20" in text, "the example changed: update the variant"
    return text.encode("utf-8")


def example_files(inventory: bytes | None = None) -> list[tuple[str, bytes]]:
    """(name, bytes) of an upload: an inventory and the example's meter file."""
    return [("inventory.toml", inventory or qualified_inventory()),
            ("meters.parquet", (Path(EXAMPLE) / "meters.parquet").read_bytes())]
