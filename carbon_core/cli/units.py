"""``carbon units``: the units an inventory may use, their definitions, and refused spellings."""

from __future__ import annotations

import click

from ._errors import SafeCommand

__all__ = ["units"]


@click.command("units", cls=SafeCommand)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              help="Output format.")
def units(fmt: str) -> None:
    """List the units carbon_core defines beyond pint's own (tce, 万kWh, Nm3, scf, MMBtu,
    therm...), the Chinese spellings accepted, and the ambiguous spellings refused.

    Any other unit pint knows (kWh, MWh, GJ, t, kg...) is accepted too.
    """
    from ..outputs.terminal import print_rows
    from ..units import unit_listing

    print_rows(unit_listing(), ["unit", "definition", "kind"], fmt, title="units")
