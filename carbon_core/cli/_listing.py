"""Listings as text, JSON or CSV: text never wraps mid-word when stdout is not a terminal."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys

import click

__all__ = ["emit"]


def emit(rows: list[dict], columns: list[str], fmt: str, *, title: str = "") -> None:
    """Print ``rows`` (dicts with ``columns``) as ``text`` (a table), ``json`` or ``csv``.

    Text goes through a rich table on a terminal; piped, one tab-separated line per row with a
    header, so no value is ever wrapped or cut.
    """
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
        return
    if not sys.stdout.isatty():
        click.echo("\t".join(columns))
        for r in rows:
            click.echo("\t".join(str(r.get(c, "")) for c in columns))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{title} ({len(rows)})" if title else None)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*(str(r.get(c, "")) for c in columns))
    Console(width=max(shutil.get_terminal_size().columns, 80)).print(t)
