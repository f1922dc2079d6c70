"""``carbon plugins``: list installed plugins, their versions and what each contributes."""

from __future__ import annotations

import json

import click

from ._errors import SafeCommand

__all__ = ["plugins"]


def _rows(pm):
    from ..plugin_manager import report, sectors

    rep = report(pm)
    index = sectors(pm)
    rows = []
    for info in rep.loaded:
        obj = pm.get_plugin(info.name)
        hooks = sorted(h.name for h in pm.get_hookcallers(obj) or ())
        entry = {"name": info.name, "version": info.version, "distribution": info.distribution,
                 "entry_point": info.value, "sectors": list(info.sectors), "hooks": hooks}
        for s in info.sectors:
            d = index[s].describe()
            entry.setdefault("contributes", {})[s] = {
                "method": d["method"], "factor_files": d["factor_files"],
                "metrics": d["metrics"], "indicators": d["indicators"], "units": d["units"],
                "inputs": d["inputs"]}
        rows.append(entry)
    return rep, rows


@click.command("plugins", cls=SafeCommand)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """List installed sector plugins, their versions and what each contributes.

    Plugins load from the entry-point group ``carbon_core.plugins``; set
    CARBON_CORE_DISABLE_PLUGINS=all (or a comma list of names) to block them.
    """
    from ..plugin_manager import get_plugin_manager

    pm = get_plugin_manager()
    rep, rows = _rows(pm)
    if as_json:
        click.echo(json.dumps({
            "autoload": rep.autoload, "plugins": rows, "blocked": rep.blocked,
            "failed": [{"name": f.name, "distribution": f.distribution, "entry_point": f.value,
                        "reason": f.reason} for f in rep.failed]},
            ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    table = Table(title="carbon_core plugins (entry-point group carbon_core.plugins)")
    for col in ("plugin", "version", "distribution", "sectors", "contributes"):
        table.add_column(col)
    for r in rows:
        parts = []
        for s, c in r.get("contributes", {}).items():
            parts.append(f"{len(c['factor_files'])} factor file(s), {len(c['metrics'])} "
                         f"metric(s), {len(c['indicators'])} indicator(s), "
                         f"{len(c['units'])} unit(s)")
        if not parts:
            parts.append(", ".join(r["hooks"]) or "-")
        table.add_row(r["name"], r["version"], r["distribution"], ", ".join(r["sectors"]) or "-",
                      "; ".join(parts))
    console.print(table)
    if not rep.autoload:
        console.print("autoloading is off (CARBON_CORE_DISABLE_PLUGINS)")
    for name in rep.blocked:
        console.print(f"blocked: {name}")
    for f in rep.failed:
        console.print(f"[red]failed[/red]: {f}")
