"""``carbon ledger``: show and check the claims ledger (registered in the ``carbon`` group)."""

from __future__ import annotations

import json

import click

from ..errors import InputError
from ..balance.ledger import LEDGER_ENV, Ledger, default_ledger_path, open_ledger
from ._errors import CheckFailed, SafeGroup

__all__ = ["ledger"]

_db_option = click.option(
    "--db", "db", type=click.Path(dir_okay=False), default=None,
    help=f"Ledger file (default: ${LEDGER_ENV} or ./carbon-ledger.sqlite).")


def _open(db: str | None) -> Ledger:
    """The ledger opened read-only (``show`` and ``check`` never create or change it)."""
    return open_ledger(db or str(default_ledger_path()), readonly=True)


@click.group(cls=SafeGroup)
def ledger():
    """The claims ledger: every certificate and offset serial claimed once."""


@ledger.command()
@_db_option
@click.option("--factory", default=None, help="Claimant credit code or factory name.")
@click.option("--year", type=int, default=None, help="Reporting year.")
@click.option("--serial", default=None, help="A serial PREFIX#N or range PREFIX#A..B.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(db, factory, year, serial, as_json):
    """List claims, optionally filtered by factory, year or serial."""
    with _open(db) as led:
        try:
            rows = led.claims(claimant=factory, reporting_year=year, serial=serial)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--serial") from None
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no claims")
        return
    for r in rows:
        click.echo(f"{r['claimant']} {r['claimant_name']} {r['reporting_year']}  "
                   f"{r['item_type']} {r['item_id']}  {r['amount']:g} {r['unit']}  "
                   f"{', '.join(r['serials'])}")
    click.echo(f"{len(rows)} claims")


@ledger.command()
@_db_option
def check(db):
    """Re-verify the ledger: no overlapping serials, no claim beyond its serials."""
    with _open(db) as led:
        problems = led.check()
        n = len(led.claims()) if not problems else 0
    if problems:
        raise CheckFailed(str(InputError(problems, title=f"{len(problems)} problems in the "
                                                         f"ledger")))
    click.echo(f"ledger OK: {n} claims, no overlapping serials, no claim beyond its serials, "
               "no serials held beyond a claim")
