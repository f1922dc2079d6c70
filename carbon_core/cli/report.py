"""``carbon report``: the self-evaluation report, the dynamic management table, the district
summary, as HTML, PDF, XLSX (and JSON for the two tables).

::

    carbon report INVENTORY [--previous FILE]... [--programme NAME] [--kind self|dynamic]
                  [--format html|pdf|xlsx|json] -o FILE
    carbon report --kind district TABLE... -o FILE     # TABLE: dynamic-table .json or .xlsx

The format defaults to the output file's suffix. Everything is built by
:func:`carbon_core.outputs.build.make_report` and written by the writer the output registry
(:mod:`carbon_core.outputs`) names for the format.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from ..errors import CarbonCoreError

__all__ = ["report"]

_FORMATS = ("html", "pdf", "xlsx", "json")


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@click.command("report")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["self", "dynamic", "district"]), default="self",
              show_default=True, help="self: 评价报告 self-evaluation report; dynamic: 动态管理表 "
              "annual dynamic management table; district: 区级汇总 summary of many factories' "
              "dynamic tables (INPUTS are their .json or .xlsx files).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default=None,
              help="Output format (default: from the suffix of -o).")
@click.option("--previous", multiple=True, type=click.Path(dir_okay=False),
              help="An earlier year's results, score or dynamic-table JSON (repeat for several "
              "years).")
@click.option("--programme", default=None, help="Programme bundle (default hefei-template): "
              "its indicator system and its report title.")
@click.option("--system", "system_path", type=click.Path(dir_okay=False), default=None,
              help="Indicator-system TOML replacing the programme's.")
@click.option("--as-of", "as_of", callback=_date, default=None, metavar="DATE",
              help="Judge dated evidence on this day (default 31 December of the year).")
@click.option("--ledger", type=click.Path(dir_okay=False), default=None,
              help="SQLite claims ledger in which to record and check certificate claims.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write.")
def report(inputs, kind, fmt, previous, programme, system_path, as_of, ledger, output):
    """Write the self-evaluation report, the dynamic management table or the district summary."""
    from ..outputs import document_writer
    from ..outputs.build import make_report

    fmt = fmt or output.suffix.lower().lstrip(".") or "html"
    if fmt == "htm":
        fmt = "html"
    if fmt not in _FORMATS:
        raise click.BadParameter(f"cannot tell the format from {output.name!r}; give --format "
                                 f"({', '.join(_FORMATS)})", param_hint="--format")
    if fmt == "json" and kind == "self":
        raise click.ClickException("the self-evaluation report is not written as JSON: its data "
                                   "are `carbon compute --json` and `carbon score --json`")
    if not output.parent.is_dir():
        raise click.ClickException(f"{output.parent} is not a folder")
    try:
        writer = document_writer(fmt)
        if fmt == "pdf":  # fail before computing when there is no browser to print with
            from ..outputs.pdf import find_chromium

            find_chromium()
        doc = make_report(inputs, kind=kind, previous=previous, programme=programme,
                          system=system_path, as_of=as_of, ledger=ledger)
        writer(doc, output)
    except (CarbonCoreError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{doc.title_zh} ({fmt}) written to {output}")
