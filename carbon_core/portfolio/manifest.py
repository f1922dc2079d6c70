"""A portfolio manifest: the factories of a city (or a district), where each inventory is, and
the programme goal the aggregate measures progress against.

A manifest is a TOML file::

    schema = "carbon_core.portfolio/1"
    name = "某市 2024 零碳工厂 (a city)"
    system = "indicators.toml"        # optional: indicator system (default: the programme's)

    [goal]                            # optional: what the programme aims at
    demonstration_factories = 20      #   factories whose score verdict passes
    net_tco2e = 150000.0              #   the city's net emissions at most this

    [[factories]]
    inventory = "a/inventory.toml"    # relative to the manifest
    district = "蜀山区"                 # optional: default the inventory's [factory] district
    sector = "<sector>"               # optional: default the inventory's first sector

Or a folder: every ``inventory.toml`` below it (and every ``*.toml`` directly in it) is one
factory, with no goal.
"""

from __future__ import annotations

import tomli
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem

__all__ = ["Manifest", "FactoryEntry", "load_manifest", "SCHEMA"]

SCHEMA = "carbon_core.portfolio/1"
_TOP_KEYS = {"schema", "name", "system", "goal", "factories"}
_FACTORY_KEYS = {"inventory", "district", "sector", "name"}
_GOAL_KEYS = {"demonstration_factories", "net_tco2e"}


@dataclass(frozen=True)
class FactoryEntry:
    """One factory of the portfolio: its inventory and, optionally, district and sector labels.

    Attributes
    ----------
    name : str
        The factory's name in the portfolio (unique in the manifest): the entry's ``name``, else
        its inventory path as written (for a folder: the path relative to the folder).
    inventory : Path
        The inventory TOML, resolved against the manifest's folder.
    district, sector : str or None
        Grouping labels for the aggregate; None: the inventory's own (its ``[factory]``
        district, its first sector) are used when the factory is run.
    """

    name: str
    inventory: Path
    district: str | None = None
    sector: str | None = None


@dataclass(frozen=True)
class Manifest:
    """The factories of a portfolio, the indicator system they are scored with and the goal.

    Attributes
    ----------
    name : str
        The portfolio's name (the manifest's ``name``, else the file's stem or the folder's
        name).
    factories : tuple of FactoryEntry
        The factories, in manifest order.
    system : Path or None
        The indicator-system TOML to score with; None: the programme's.
    goal : dict
        ``demonstration_factories`` (the number of factories whose verdict is ``qualified``
        aimed at) and/or ``net_tco2e`` (the city's net emissions at most this [tCO2e]);
        empty for a folder.
    path : Path or None
        The manifest file or folder it was read from.
    """

    name: str
    factories: tuple[FactoryEntry, ...]
    system: Path | None = None
    goal: dict = field(default_factory=dict)
    path: Path | None = None


def _one_of(keys: set[str]) -> str:
    return "one of " + ", ".join(sorted(keys))


def _entry_name(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def load_manifest(path: str | Path) -> Manifest:
    """Read a manifest TOML, or collect the inventories of a folder.

    Parameters
    ----------
    path : str or Path
        A manifest TOML (schema :data:`SCHEMA`), or a folder: every ``inventory.toml`` below
        it and every ``*.toml`` directly in it is one factory, and there is no goal.

    Returns
    -------
    Manifest
        Inventory and system paths resolved against the manifest's folder.

    Raises
    ------
    InputError
        Unreadable file, unknown keys, a factory without an inventory or whose inventory does not
        exist, two entries with the same name, an empty portfolio.
    """
    p = Path(path)
    if p.is_dir():
        found = sorted(set(p.glob("**/inventory.toml")) | set(p.glob("*.toml")))
        factories = tuple(FactoryEntry(name=_entry_name(f, p), inventory=f) for f in found)
        if not factories:
            raise InputError([Problem(str(p), "no inventories in the folder",
                                      expected="inventory.toml files (or *.toml directly in it)")])
        return Manifest(name=p.name, factories=factories, path=p)
    try:
        data = tomli.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as exc:
        raise InputError([Problem(str(p), f"cannot read the manifest: {exc}")]) from None
    problems: list[Problem] = []
    if data.get("schema") != SCHEMA:
        problems.append(Problem(str(p), "not a portfolio manifest", field="schema",
                                found=data.get("schema"), expected=repr(SCHEMA)))
    for k in sorted(set(data) - _TOP_KEYS):
        problems.append(Problem(str(p), "unknown key", field=k, expected=_one_of(_TOP_KEYS)))
    goal = data.get("goal", {})
    if not isinstance(goal, dict):
        problems.append(Problem(str(p), "goal must be a table", field="goal", found=goal))
        goal = {}
    for k in sorted(set(goal) - _GOAL_KEYS):
        problems.append(Problem(str(p), "unknown goal", field=f"goal.{k}",
                                expected=_one_of(_GOAL_KEYS)))
    for k in sorted(set(goal) & _GOAL_KEYS):
        v = goal[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            problems.append(Problem(str(p), "goal must be a number >= 0", field=f"goal.{k}",
                                    found=v))
    entries, seen = [], set()
    rows = data.get("factories", [])
    if not isinstance(rows, list) or not rows:
        problems.append(Problem(str(p), "no factories", field="factories",
                                expected="[[factories]] tables with inventory = \"...\""))
        rows = []
    for i, row in enumerate(rows):
        where = f"factories[{i}]"
        if not isinstance(row, dict):
            problems.append(Problem(str(p), "not a table", row=where, found=row))
            continue
        for k in sorted(set(row) - _FACTORY_KEYS):
            problems.append(Problem(str(p), "unknown key", row=where, field=k,
                                    expected=_one_of(_FACTORY_KEYS)))
        inv = row.get("inventory")
        if not isinstance(inv, str) or not inv:
            problems.append(Problem(str(p), "a factory needs its inventory", row=where,
                                    field="inventory", found=inv, expected="a path"))
            continue
        inv_path = (p.parent / inv).resolve()
        if not inv_path.is_file():
            problems.append(Problem(str(p), "inventory not found", row=where, field="inventory",
                                    found=inv))
            continue
        name = str(row.get("name") or inv)
        if name in seen:
            problems.append(Problem(str(p), "two factories with one name", row=where,
                                    field="name", found=name))
        seen.add(name)
        entries.append(FactoryEntry(name=name, inventory=inv_path,
                                    district=row.get("district"), sector=row.get("sector")))
    system = data.get("system")
    system_path = (p.parent / system).resolve() if isinstance(system, str) else None
    if system is not None and (system_path is None or not system_path.is_file()):
        problems.append(Problem(str(p), "indicator system not found", field="system",
                                found=system))
    if problems:
        raise InputError(problems, title=f"{len(problems)} problem(s) in the manifest {p}")
    return Manifest(name=str(data.get("name") or p.stem), factories=tuple(entries),
                    system=system_path, goal=dict(goal), path=p)
