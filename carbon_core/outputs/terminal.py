"""The terminal: the readable summary of a result and the factor listings (rich tables).

Registered as the output ``terminal`` (kind ``results``); :func:`factor_rows`, :func:`print_rows` and
:func:`print_factor_details` serve ``carbon factors list`` and ``carbon factors show``.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, Iterable

from rich.console import Console
from rich.table import Table

from .registry import open_target, register_output

__all__ = ["print_summary", "write_terminal", "factor_rows", "FACTOR_COLUMNS", "print_rows",
           "print_factor_details", "fmt_number"]

#: Line items named in a list on the terminal; the rest are counted (all are in the JSON).
_MAX_LISTED = 12


def fmt_number(v: float | None, digits: int = 3) -> str:
    """``v`` with thousands separators and ``digits`` decimals; an em dash for None.

    Parameters
    ----------
    v : float or None
        The number, in whatever unit the caller prints beside it ([tCO2e], [tce], ...).
    digits : int
        Decimals after the point.

    Returns
    -------
    str
        E.g. ``"12,345.679"``; ``"—"`` when ``v`` is None.

    Examples
    --------
    >>> fmt_number(12345.6789), fmt_number(None)
    ('12,345.679', '—')
    """
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def _console() -> Console:
    """A console for stdout as it is now: on a terminal rich's layout; piped, lines are never
    wrapped (soft wrap, wide tables), so no word is split."""
    import sys

    if sys.stdout.isatty():
        return Console()
    return Console(soft_wrap=True, width=200)


def _category(key: str) -> str:
    """The Chinese and English name of an emission category (``fuel_combustion`` ->
    ``化石燃料燃烧排放 fuel combustion``), the key itself when it has none."""
    from ..lineitems import CATEGORIES

    return CATEGORIES.get(key, (0, key))[1]


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
    console = console or _console()
    f = doc["factory"]
    console.print(f"[bold]{f['name']}[/]  {f['credit_code']}  {f.get('district', '')}  "
                  f"reporting year {doc['reporting_year']}  GWP {doc['gwp_set']}")
    t = Table(title="温室气体排放 Emissions (tCO2e)", show_lines=False)
    t.add_column("item")
    t.add_column("tCO2e", justify="right")
    t.add_row("范围一 Scope 1", fmt_number(doc["scope1"]["total_tco2e"]))
    for k, v in doc["scope1"]["by_category"].items():
        t.add_row(f"  {_category(k)}", fmt_number(v))
    t.add_row("范围二 Scope 2 (location-based 基于位置)", fmt_number(doc["scope2"]["location_based_tco2e"]))
    for k, v in doc["scope2"]["by_category"].items():
        t.add_row(f"  {_category(k)}", fmt_number(v))
    t.add_row("范围二 Scope 2 (market-based 基于市场)", fmt_number(doc["scope2"]["market_based_tco2e"]))
    if doc["scope3"]["total_tco2e"]:
        t.add_row("范围三 Scope 3", fmt_number(doc["scope3"]["total_tco2e"]))
    t.add_row("[bold]合计 Total (Scope 1 + 2 location)[/]", f"[bold]{fmt_number(doc['total_tco2e'])}[/]")
    console.print(t)
    grid = doc["provenance"].get("selection_rules", {}).get("electricity", {})
    for g in doc["provenance"].get("factors_used", []):
        if g["key"] == grid.get("key") and g["region"] == grid.get("region"):
            console.print(f"  电网排放因子 grid factor used: {g['value']:g} {g['unit']}, region "
                          f"{g['region']}, data year {g.get('data_year')} ({grid.get('rule')}); "
                          f"{g['citation']}", highlight=False, markup=False)
            break
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
        adj = bal.get("residual_mix_adjustment_tco2e")
        rf = bal.get("residual_factor") or {}
        if adj is not None:
            console.print(
                f"  gross {fmt_number(bal.get('gross_tco2e'))} vs location-based total "
                f"{fmt_number(bal.get('location_based_gross_tco2e'))} ({adj:+,.3f} tCO2e): the "
                f"balance values grid electricity before instruments at the residual factor "
                f"{rf.get('value', 0):.4g} tCO2/MWh ({rf.get('key') or rf.get('source')}), not "
                "the location-based grid factor, and does not deduct exports (the GB/T 32150 "
                "location-based total does)",
                highlight=False, markup=False)
        surplus = (bal.get("offset_cap") or {}).get("surplus_tco2e") or 0.0
        console.print(f"  excess certificates 超额绿证 (not counted): "
                      f"{fmt_number(bal.get('excess_certificates_mwh') or 0.0)} MWh; offset "
                      f"surplus 抵销盈余 (not counted): {fmt_number(surplus)} tCO2e",
                      highlight=False)
        if bal.get("claims_checked") is False:
            console.print("[yellow]double claims not checked 未核对重复声明:[/] "
                          f"{bal['claims_unchecked_reason']}", highlight=False)
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
        shown = ", ".join(uli[:_MAX_LISTED]) + (
            f" and {len(uli) - _MAX_LISTED:,} more (provenance.unconfirmed_line_items)"
            if len(uli) > _MAX_LISTED else "")
        console.print(f"[yellow]{len(uli):,} line item(s) rest on unconfirmed factors:[/] "
                      + shown, highlight=False)
    if "uncertainty" in doc:
        from ..uncertainty import print_uncertainty

        print_uncertainty(doc["uncertainty"], console)
    dq = doc["data_quality"]
    if dq["fills"] or dq["rollovers"]:
        filled = sum(int(f.get("intervals", 0)) for f in dq["fills"])
        console.print(f"data quality: {filled} interval(s) filled in {len(dq['fills'])} "
                      f"meter(s) (policy {dq['gap_policy']}), {len(dq['rollovers'])} register "
                      "rollover(s)", highlight=False)
    for w in dq.get("warnings", []):
        console.print(f"[yellow]data-quality warning 数据质量警告:[/] {w['message']}",
                      highlight=False)


@register_output("terminal", description="readable summary with rich tables")
def write_terminal(doc: dict, target: Any = None, **_: Any) -> None:
    """Write :func:`print_summary` of ``doc`` to ``target``.

    Parameters
    ----------
    doc : dict
        A results JSON document (:meth:`carbon_core.results.Results.to_dict`).
    target : str, path-like, text stream or None
        Where to write (:func:`carbon_core.outputs.registry.open_target`); None: standard
        output, with colours only on a terminal. A path or stream gets the summary laid
        out 120 columns wide.
    """
    out: IO
    if target is None:
        print_summary(doc)
        return
    with open_target(target) as out:
        print_summary(doc, Console(file=out, width=120))


def factor_rows(factors: Iterable, *, prefix: str = "", region: str | None = None,
                text: bool = False) -> list[dict]:
    """One row per factor (key, value, unit, region, year, confidence, source), sorted.

    Parameters
    ----------
    factors : iterable of carbon_core.factors.Factor
    prefix : str
        Only keys starting with this (e.g. ``"electricity."``).
    region : str, optional
        Only this region (e.g. ``"CN-AH"``).
    text : bool
        Values as short text (``f"{value:g}"``) instead of numbers.

    Returns
    -------
    list of dict
        Columns :data:`FACTOR_COLUMNS`.
    """
    return [{"key": f.key, "value": f"{f.value:g}" if text else f.value, "unit": f.unit,
             "region": f.region, "year": f.data_year or "", "confidence": f.confidence,
             "source": f.source.id}
            for f in sorted(factors, key=lambda f: (f.key, f.region, f.data_year or 0,
                                                    f.source.id))
            if f.key.startswith(prefix) and (region is None or f.region == region)]


#: The columns of :func:`factor_rows`.
FACTOR_COLUMNS = ["key", "value", "unit", "region", "year", "confidence", "source"]


def print_rows(rows: list[dict], columns: list[str], fmt: str = "text", *,
               title: str = "") -> None:
    """Print a listing: ``text`` (a table), ``json`` or ``csv``, on standard output.

    Text is a rich table on a terminal; piped, one tab-separated line per row under a header
    line, so no value is ever wrapped or cut.

    Parameters
    ----------
    rows : list of dict
        One dict per row, holding (at least) ``columns``.
    columns : list of str
    fmt : {"text", "json", "csv"}
    title : str
        Title of the terminal table (with the row count).
    """
    import csv
    import io
    import json
    import shutil
    import sys

    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    if not sys.stdout.isatty():
        lines = ["\t".join(columns)] + ["\t".join(str(r.get(c, "")) for c in columns)
                                        for r in rows]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    t = Table(title=f"{title} ({len(rows)})" if title else None)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*(str(r.get(c, "")) for c in columns))
    Console(width=max(shutil.get_terminal_size().columns, 80)).print(t)


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
