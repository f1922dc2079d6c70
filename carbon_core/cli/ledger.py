"""``carbon ledger``: show and check the claims ledger (registered in the ``carbon`` group)."""

from __future__ import annotations

import json

import click

from ..errors import InputError, Problem
from ..balance.ledger import LEDGER_ENV, Ledger, default_ledger_path, open_ledger
from ._errors import CheckFailed, SafeGroup

__all__ = ["ledger", "finish_run"]

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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default=None,
              help="Output format (csv: one row per claim, serial ranges joined by ';').")
def show(db, factory, year, serial, as_json, fmt=None):
    """List claims, optionally filtered by factory, year or serial."""
    with _open(db) as led:
        try:
            rows = led.claims(claimant=factory, reporting_year=year, serial=serial)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--serial") from None
    if as_json or fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        from ..outputs.terminal import print_rows

        cols = ["claimant", "claimant_name", "reporting_year", "item_type", "item_id", "amount",
                "unit", "serials", "beneficiary", "recorded_at"]
        print_rows([r | {"serials": ";".join(r["serials"])} for r in rows], cols, "csv")
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


#: Test hook called after the output is written to its temporary file and before the claims are
#: committed (the kill -9 test sets it to sleep). Never set it in production code.
_TEST_HOOK = None


def finish_run(write_to, output, pending) -> None:
    """The end of ``carbon compute``: write the output, record the claims, in that order.

    The output is written (by ``write_to``) to a temporary file beside ``output`` and flushed to
    disk; then the claims are committed; then the temporary file is renamed onto ``output``
    (atomic on one file system). A failure at any step leaves no claim recorded (the commit is
    one SQLite transaction, re-checked under the write lock) and no partial output file. Without
    ``output`` the claims are committed once the results are complete, before anything is
    printed.

    Parameters
    ----------
    write_to : callable
        ``write_to(path)`` writes the whole output (any format) to ``path``.
    output : Path or None
        The file the user asked for (``-o``), or None.
    pending : carbon_core.balance.PendingClaims or None
        The claims checked during the run, committed here.
    """
    import os
    import tempfile
    from pathlib import Path

    if output is None:
        if pending is not None:
            pending.commit()
        return
    output = Path(output)
    if output.is_dir():
        raise InputError([Problem(str(output), "the output path is a directory",
                                  field="-o", expected="a file name")])
    if not output.parent.is_dir():
        raise InputError([Problem(str(output), f"the folder {output.parent} does not exist",
                                  field="-o", expected="an existing folder (nothing was written "
                                                       "and nothing claimed)")])
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    try:
        write_to(Path(tmp))
        with open(tmp, "rb+") as fh:  # on disk before the claims are committed
            os.fsync(fh.fileno())
        if _TEST_HOOK is not None:
            _TEST_HOOK("written")
        if pending is not None:
            pending.commit()
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
