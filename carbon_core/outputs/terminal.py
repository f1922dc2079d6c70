"""The terminal: the readable summary of a result and the factor listings (rich tables).

Registered as the output ``terminal`` (kind ``results``); :func:`print_factor_list` and
:func:`print_factor_details` serve ``carbon factors list`` and ``carbon factors show``.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, Iterable

from rich.console import Console
from rich.table import Table

from .registry import open_target, register_output

__all__ = ["print_summary", "write_terminal", "print_factor_list", "print_factor_details",
           "fmt_number"]


def fmt_number(v: float | None, digits: int = 3) -> str:
    """``v`` with thousands separators and ``digits`` decimals; an em dash for None.

    Examples
    --------
    >>> fmt_number(12345.6789), fmt_number(None)
    ('12,345.679', '—')
    """
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def print_summary(doc: dict, console: Console | None = None) -> None:
    """Print the readable summary of a results document (Chinese terms first, English beside).

    Parameters
    ----------
    doc : dict
        A results JSON document (:meth:`carbon_core.results.Results.to_dict`): emissions
        [tCO2e], energy [tce], intensities, the balance, unconfirmed factors and data quality.
    console : rich.console.Console, optional
        Default: a console on standard output.
    """
    console = console or Console()
    f = doc["factory"]
    console.print(f"[bold]{f['name']}[/]  {f['credit_code']}  {f.get('district', '')}  "
                  f"reporting year {doc['reporting_year']}  GWP {doc['gwp_set']}")
    t = Table(title="温室气体排放 Emissions (tCO2e)", show_lines=False)
    t.add_column("item")
    t.add_column("tCO2e", justify="right")
    t.add_row("范围一 Scope 1", fmt_number(doc["scope1"]["total_tco2e"]))
    for k, v in doc["scope1"]["by_category"].items():
        t.add_row(f"  {k}", fmt_number(v))
    t.add_row("范围二 Scope 2 (location-based 基于位置)", fmt_number(doc["scope2"]["location_based_tco2e"]))
    for k, v in doc["scope2"]["by_category"].items():
        t.add_row(f"  {k}", fmt_number(v))
    t.add_row("范围二 Scope 2 (market-based 基于市场)", fmt_number(doc["scope2"]["market_based_tco2e"]))
    if doc["scope3"]["total_tco2e"]:
        t.add_row("范围三 Scope 3", fmt_number(doc["scope3"]["total_tco2e"]))
    t.add_row("[bold]合计 Total (Scope 1 + 2 location)[/]", f"[bold]{fmt_number(doc['total_tco2e'])}[/]")
    console.print(t)
    console.print(f"  market-based basis: {doc['scope2']['market_based_basis']}")
    e = doc["energy"]
    console.print(f"综合能耗 Energy: {fmt_number(e['total_tce_calorific'])} tce (当量值 calorific), "
                  f"{fmt_number(e['total_tce_equivalent'])} tce (等价值 equivalent)")
    it = doc["intensities"]
    unit = doc["production"]["output_unit"] or "unit"
    console.print(f"强度 Intensity: {fmt_number(it.get('tco2e_per_output'), 6)} tCO2e/{unit}, "
                  f"{fmt_number(it.get('tco2e_per_wan_cny'), 4)} tCO2e/万元, "
                  f"{fmt_number(it.get('tce_per_wan_cny'), 4)} tce/万元")
    bal = doc.get("balance")
    if bal:
        b = Table(title="碳平衡 Balance, gross to net (tCO2e)")
        b.add_column("step")
        b.add_column("tCO2e", justify="right")
        rows = bal.get("summary_rows") or [
            ("总排放 Gross", bal.get("gross_tco2e")),
            ("绿电 Green electricity", -(bal.get("green_electricity_tco2e") or 0)),
            ("绿证 Certificates", -(bal.get("certificates_tco2e") or 0)),
            ("抵销 Offsets", -(bal.get("offsets_tco2e") or 0)),
            ("净排放 Net", bal.get("net_tco2e")),
        ]
        for label, value in rows:
            b.add_row(str(label), fmt_number(value))
        console.print(b)
    if "sectors" in doc:
        console.print(f"sector plugins: {doc['sectors'].get('plugins')}")
    unconfirmed = doc["provenance"]["unconfirmed_factors"]
    if unconfirmed:
        console.print(f"[yellow]{len(unconfirmed)} unconfirmed factor(s) used[/] "
                      "(see provenance.unconfirmed_factors):")
        for u in unconfirmed:
            console.print(f"  - {u}", highlight=False, markup=False)
    uli = doc["provenance"].get("unconfirmed_line_items", [])
    if uli:
        console.print(f"[yellow]{len(uli)} line item(s) rest on unconfirmed factors:[/] "
                      + ", ".join(uli), highlight=False)
    if "uncertainty" in doc:
        from ..uncertainty import print_uncertainty

        print_uncertainty(doc["uncertainty"], console)
    dq = doc["data_quality"]
    if dq["fills"] or dq["rollovers"]:
        console.print(f"data quality: {len(dq['fills'])} filled gap(s) "
                      f"(policy {dq['gap_policy']}), {len(dq['rollovers'])} register rollover(s)")


@register_output("terminal", description="readable summary with rich tables")
def write_terminal(doc: dict, target: Any = None, **_: Any) -> None:
    """Write :func:`print_summary` of ``doc`` to ``target`` (stream, path, or None: stdout;
    colours only on a terminal)."""
    out: IO
    if target is None:
        print_summary(doc)
        return
    with open_target(target) as out:
        print_summary(doc, Console(file=out, width=120))


def print_factor_list(factors: Iterable, *, prefix: str = "", region: str | None = None,
                      total: int | None = None, console: Console | None = None) -> None:
    """Print a table of factors: key, value, unit, region, data year, confidence, source.

    Parameters
    ----------
    factors : iterable of carbon_core.factors.Factor
    prefix : str
        Only keys starting with this (e.g. ``"electricity."``).
    region : str, optional
        Only this region (e.g. ``"CN-AH"``).
    total : int, optional
        Size of the library, for the title.
    console : rich.console.Console, optional
    """
    console = console or Console()
    factors = list(factors)
    t = Table(title=f"factors ({len(factors) if total is None else total})")
    for col in ("key", "value", "unit", "region", "year", "conf.", "source"):
        t.add_column(col, overflow="fold")
    for f in sorted(factors, key=lambda f: (f.key, f.region, f.data_year or 0, f.source.id)):
        if f.key.startswith(prefix) and (region is None or f.region == region):
            t.add_row(f.key, f"{f.value:g}", f.unit, f.region, str(f.data_year or ""),
                      f.confidence, f.source.id)
    console.print(t)


def print_factor_details(rows: Iterable, console: Console | None = None) -> None:
    """Print every value of one factor key with its full citation, URL, note and file hash.

    Parameters
    ----------
    rows : iterable of carbon_core.factors.Factor
        The candidates of one key (:meth:`carbon_core.factors.FactorLibrary.candidates`).
    console : rich.console.Console, optional
    """
    console = console or Console()
    for f in sorted(rows, key=lambda f: (f.region, f.data_year or 0)):
        console.print(f"[bold]{f.key}[/] = {f.value:g} {f.unit}  region {f.region}"
                      + (f"  data year {f.data_year}" if f.data_year else "")
                      + f"  confidence {f.confidence}", highlight=False)
        console.print(f"  source: {f.citation()}", highlight=False)
        if f.source.url:
            console.print(f"  url: {f.source.url}", highlight=False)
        if f.note:
            console.print(f"  note: {f.note}", highlight=False)
        console.print(f"  file: {Path(f.source.file).name}  sha256 {f.source.sha256[:16]}…",
                      highlight=False)
