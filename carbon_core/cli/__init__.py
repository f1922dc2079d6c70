"""The ``carbon`` command: a thin layer over the Python API.

Everything it does, a program can do with :func:`carbon_core.compute` and friends; this module only
parses arguments and prints. Other layers contribute their commands (``score``, ``rank``,
``ledger``, ``plugins``) from their own modules.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..errors import CarbonCoreError, InputError, Problem
from ._errors import SafeGroup

__all__ = ["main"]

console = Console()
err_console = Console(stderr=True)


def _fail(exc: Exception) -> None:
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
    sys.exit(2)


@contextmanager
def _errors_to_exit():
    try:
        yield
    except CarbonCoreError as exc:
        _fail(exc)


@click.group(cls=SafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="carbon_core")
def main() -> None:
    """carbon_core: factory carbon accounting (零碳示范工厂 carbon balance engine)."""


# -- compute ----------------------------------------------------------------------------------

@contextmanager
def _progress(enabled: bool):
    if not enabled:
        yield None
        return
    from rich.progress import (BarColumn, Progress, SpinnerColumn, TaskProgressColumn,
                               TextColumn, TimeElapsedColumn)

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TaskProgressColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True) as bar:
        stage = bar.add_task("loading", total=None)  # a pulsing bar for the current stage
        sized: list = []  # a second bar while a file is read row group by row group

        def update(text: str, done: int | None = None, total: int | None = None) -> None:
            if total is None:
                bar.update(stage, description=text)
                while sized:
                    bar.remove_task(sized.pop())
                return
            if not sized:
                sized.append(bar.add_task(text, total=total))
            bar.update(sized[0], description=text, completed=done, total=total)

        yield update


@main.command()
@click.argument("inventory", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results JSON to stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the results JSON to this file.")
@click.option("--no-plugins", is_flag=True, help="Do not load sector plugins.")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="CARBON_LEDGER", show_envvar=True,
              help="SQLite claims ledger in which to record and check certificate claims "
                   "(default: $CARBON_LEDGER). Claims are recorded last, only by a run that "
                   "succeeded.")
@click.option("--allow-outside-paths", is_flag=True,
              help="Accept data files outside the inventory's folder (absolute paths, '..'); "
                   "refused by default.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Use factor editions published by this day only (default: today, recorded).")
@click.option("--uncertainty", "draws", type=click.IntRange(min=100), default=None, metavar="N",
              help="Monte Carlo uncertainty with N draws (and IPCC approach 1 beside it).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of --uncertainty (the same seed gives the same digits).")
def compute(inventory: Path, as_json: bool, output: Path | None, no_plugins: bool,
            ledger: Path | None, allow_outside_paths: bool = False, as_of: str | None = None,
            draws: int | None = None, seed: int = 0) -> None:
    """Compute Scope 1, 2 (and 3), energy and the balance of INVENTORY (a TOML file)."""
    from ..engine import compute as run
    from ..results import validate_results
    from .ledger import finish_run

    if output is not None and not output.parent.is_dir():  # before any work: nothing claimed
        raise InputError([Problem(str(output), f"the folder {output.parent} does not exist",
                                  field="-o", expected="an existing folder")])
    with _errors_to_exit():
        with _progress(not as_json and err_console.is_terminal) as progress:
            res = run(inventory, plugins=not no_plugins, ledger=ledger, progress=progress,
                      commit_claims=False, allow_outside=allow_outside_paths, as_of=as_of)
        doc = res.to_dict()
        if draws:  # issue 12: a post-step of its own module, only when asked for
            from ..uncertainty import propagate

            doc["uncertainty"] = propagate(res, draws=draws, seed=seed)
        validate_results(doc)
        try:
            text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)
        except ValueError as exc:
            raise InputError(f"the results hold a non-finite number ({exc}); nothing was "
                             "written or claimed") from None
        finish_run(text, output, getattr(res, "pending_claims", None))
    if as_json:
        click.echo(text)
    else:
        print_summary(doc)
        if output:
            console.print(f"results written to {output}")


def _fmt(v, digits=3) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def _console() -> Console:
    """A console for stdout as it is now: on a terminal rich's layout; piped, lines are never
    wrapped (soft wrap, wide tables), so no word is split."""
    import sys as _sys

    if _sys.stdout.isatty():
        return Console()
    return Console(soft_wrap=True, width=200)


def _category(key: str) -> str:
    from ..lineitems import CATEGORIES

    return CATEGORIES.get(key, (0, key))[1]


def print_summary(doc: dict) -> None:
    """The readable summary of a results document."""
    console = _console()
    f = doc["factory"]
    console.print(f"[bold]{f['name']}[/]  {f['credit_code']}  {f.get('district', '')}  "
                  f"reporting year {doc['reporting_year']}  GWP {doc['gwp_set']}")
    t = Table(title="温室气体排放 Emissions (tCO2e)", show_lines=False)
    t.add_column("item")
    t.add_column("tCO2e", justify="right")
    t.add_row("范围一 Scope 1", _fmt(doc["scope1"]["total_tco2e"]))
    for k, v in doc["scope1"]["by_category"].items():
        t.add_row(f"  {_category(k)}", _fmt(v))
    t.add_row("范围二 Scope 2 (location-based 基于位置)", _fmt(doc["scope2"]["location_based_tco2e"]))
    for k, v in doc["scope2"]["by_category"].items():
        t.add_row(f"  {_category(k)}", _fmt(v))
    t.add_row("范围二 Scope 2 (market-based 基于市场)", _fmt(doc["scope2"]["market_based_tco2e"]))
    if doc["scope3"]["total_tco2e"]:
        t.add_row("范围三 Scope 3", _fmt(doc["scope3"]["total_tco2e"]))
    t.add_row("[bold]合计 Total (Scope 1 + 2 location)[/]", f"[bold]{_fmt(doc['total_tco2e'])}[/]")
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
    console.print(f"综合能耗 Energy: {_fmt(e['total_tce_calorific'])} tce (当量值 calorific), "
                  f"{_fmt(e['total_tce_equivalent'])} tce (等价值 equivalent)")
    it = doc["intensities"]
    unit = doc["production"]["output_unit"] or "unit"
    console.print(f"强度 Intensity: {_fmt(it.get('tco2e_per_output'), 6)} tCO2e/{unit}, "
                  f"{_fmt(it.get('tco2e_per_wan_cny'), 4)} tCO2e/万元, "
                  f"{_fmt(it.get('tce_per_wan_cny'), 4)} tce/万元")
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
            b.add_row(str(label), _fmt(value))
        console.print(b)
        adj = bal.get("residual_mix_adjustment_tco2e")
        rf = bal.get("residual_factor") or {}
        if adj is not None:
            console.print(
                f"  gross {_fmt(bal.get('gross_tco2e'))} vs location-based total "
                f"{_fmt(bal.get('location_based_gross_tco2e'))} ({adj:+,.3f} tCO2e): the balance "
                f"values grid electricity before instruments at the residual factor "
                f"{rf.get('value', 0):.4g} tCO2/MWh ({rf.get('key') or rf.get('source')}), not the "
                "location-based grid factor, and does not deduct exports (the GB/T 32150 location-based "
                "total does)",
                highlight=False, markup=False)
        surplus = (bal.get("offset_cap") or {}).get("surplus_tco2e") or 0.0
        console.print(f"  excess certificates 超额绿证 (not counted): "
                      f"{_fmt(bal.get('excess_certificates_mwh') or 0.0)} MWh; offset surplus "
                      f"抵销盈余 (not counted): {_fmt(surplus)} tCO2e", highlight=False)
        if bal.get("claims_checked") is False:
            console.print(f"[yellow]double claims not checked:[/] {bal['claims_unchecked_reason']}",
                          highlight=False)
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
        filled = sum(int(f.get("intervals", 0)) for f in dq["fills"])
        console.print(f"data quality: {filled} interval(s) filled in {len(dq['fills'])} "
                      f"meter(s) (policy {dq['gap_policy']}), {len(dq['rollovers'])} register "
                      "rollover(s)", highlight=False)
    for w in dq.get("warnings", []):
        console.print(f"[yellow]data-quality warning:[/] {w['message']}", highlight=False)


# -- factors ----------------------------------------------------------------------------------

@main.group()
def factors() -> None:
    """Browse the factor library (every value with its source)."""


@factors.command("list")
@click.option("--prefix", default="", help="Only keys starting with this, e.g. electricity.")
@click.option("--region", default=None, help="Only this region, e.g. CN-AH.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              help="Output format (text is a table on a terminal, tab-separated when piped).")
def factors_list(prefix: str, region: str | None, fmt: str = "text") -> None:
    """List every factor with its value, unit, region, year, confidence and source."""
    from ._listing import emit

    with _errors_to_exit():
        lib = _library()
    rows = [{"key": f.key, "value": f.value, "unit": f.unit, "region": f.region,
             "year": f.data_year or "", "confidence": f.confidence, "source": f.source.id}
            for f in sorted(lib, key=lambda f: (f.key, f.region, f.data_year or 0, f.source.id))
            if f.key.startswith(prefix) and (region is None or f.region == region)]
    if fmt == "text":
        for r in rows:
            r["value"] = f"{r['value']:g}"
    emit(rows, ["key", "value", "unit", "region", "year", "confidence", "source"], fmt,
         title="factors")


@factors.command("show")
@click.argument("key")
def factors_show(key: str) -> None:
    """Show every value stored under KEY, with full citations."""
    with _errors_to_exit():
        lib = _library()
    rows = lib.candidates(key)
    if not rows:
        near = [k for k in lib.keys() if key.split(".")[0] in k][:30]
        _fail(KeyError(f"no factor {key!r}; keys of that family: {near}"))
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


def _library():
    from ..factors import FactorLibrary

    lib = FactorLibrary.default()
    try:
        from ..plugin_manager import factor_library, get_plugin_manager
    except ImportError:
        return lib
    return factor_library(lib, get_plugin_manager())


# -- schema -----------------------------------------------------------------------------------

@main.command()
@click.argument("name")
def schema(name: str) -> None:
    """Print the JSON Schema NAME (results, score, balance...)."""
    from ..results import load_schema

    try:
        click.echo(json.dumps(load_schema(name), ensure_ascii=False, indent=2))
    except KeyError as exc:
        _fail(exc)


# -- commands contributed by the other layers -------------------------------------------------

def _register() -> None:
    from .ledger import ledger
    from .plugins import plugins
    from .programme import programme
    from .scoring import rank, score
    from .serve import serve
    from .units import units

    for cmd in (score, rank, ledger, plugins, programme, serve, units):
        main.add_command(cmd)
    from .verify import COMMANDS as verify_commands  # bundle, verify, keys, diff (issue 12)
    for cmd in verify_commands:
        main.add_command(cmd)
    from .report import report; main.add_command(report)  # noqa: E702


_register()
