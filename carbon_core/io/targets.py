"""Inventory tables for the report and the annual dynamic management table (动态管理表).

Two top-level inventory tables, both optional and both read by nothing that computes a number
(the engine and the scoring never look at them, so declaring them changes no result):

``[targets]``
    The base year (基准年) and quantified annual targets (年度目标) that the report and the dynamic
    table set actual figures against::

        [targets]
        base_year = 2022
        base_values = { "intensity.tco2e_per_wan_cny" = 0.262 }   # optional: the base year's
        base_source = "2022年度温室气体核查报告"                    # figures, with their source

        [[targets.annual]]
        year = 2025
        metric = "intensity.tco2e_per_wan_cny"     # any metric name of the results
        value = 0.18
        note = "零碳工厂建设方案 第3.2节"            # optional

    The quantified targets of the zero-carbon plan (``[[evidence.plan.targets]]`` with ``metric``
    and ``value``, which the indicator system scores) are targets too and are merged in, so no
    target is typed twice; the same year and metric declared in both places with different values
    is an error.

``[dynamic]``
    The fields the factory fills in its year-end dynamic management table::

        [dynamic]
        filled_by = "能源管理部 李某"
        filled_on = 2025-01-15
        problems = ["..."]                 # 存在的问题
        next_year_plan = ["..."]           # 下一年度工作计划

        [[dynamic.projects]]               # 节能降碳项目 carried out in the reporting year
        name = "空压站群控改造"
        kind = "energy_saving"             # energy_saving | renewable | process | management | other
        status = "completed"               # completed | ongoing | planned
        completed_on = 2024-09-30          # optional
        investment_wan_cny = 320.0         # optional [万元]
        saving_tce = 180.0                 # optional, expected per year [tce]
        reduction_tco2e = 510.0            # optional, expected per year [tCO2e]
        description = "..."                # optional

        [dynamic.changes]                  # 名称变更、重组等重大变化
        name_changed = false
        former_name = ""                   # required when name_changed
        restructured = false
        description = ""                   # required when restructured

Every problem is reported at once with its table path and key (:func:`check_tables`, called by
:func:`carbon_core.io.inventory.parse_inventory`), unknown keys included.

Examples
--------
>>> t = parse_targets({"targets": {"base_year": 2022, "annual": [
...     {"year": 2025, "metric": "intensity.tco2e_per_wan_cny", "value": 0.18}]}})
>>> t.base_year, [(a.year, a.metric, a.value, a.origin) for a in t.annual]
(2022, [(2025, 'intensity.tco2e_per_wan_cny', 0.18, 'targets.annual[0]')])
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ProblemCollector

__all__ = ["Target", "Targets", "Project", "DynamicFields", "PROJECT_KINDS", "PROJECT_STATUS",
           "TABLES", "check_tables", "parse_targets", "parse_dynamic"]

#: Project kind -> (中文, English).
PROJECT_KINDS: dict[str, tuple[str, str]] = {
    "energy_saving": ("节能改造", "energy saving"),
    "renewable": ("可再生能源", "renewable energy"),
    "process": ("工艺降碳", "process emissions"),
    "management": ("能碳管理", "energy and carbon management"),
    "other": ("其他", "other"),
}
#: Project status -> (中文, English).
PROJECT_STATUS: dict[str, tuple[str, str]] = {
    "completed": ("已完成", "completed"),
    "ongoing": ("实施中", "ongoing"),
    "planned": ("计划中", "planned"),
}

#: The top-level inventory tables this module declares.
TABLES = ("targets", "dynamic")

_METRIC = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$")
_TARGET_KEYS = {"base_year", "base_values", "base_source", "annual"}
_ANNUAL_KEYS = {"year", "metric", "value", "note"}
_DYNAMIC_KEYS = {"filled_by", "filled_on", "problems", "next_year_plan", "projects", "changes"}
_PROJECT_KEYS = {"name", "kind", "status", "completed_on", "investment_wan_cny", "saving_tce",
                 "reduction_tco2e", "description"}
_CHANGE_KEYS = {"name_changed", "former_name", "restructured", "description"}


@dataclass(frozen=True)
class Target:
    """One quantified annual target.

    Attributes
    ----------
    year : int
    metric : str
        A metric name of the results (``intensity.tco2e_per_wan_cny``...).
    value : float
        The target value, in the metric's unit.
    note : str
    origin : str
        Where it was declared (``targets.annual[0]`` or ``evidence.plan.targets[1]``).
    """

    year: int
    metric: str
    value: float
    note: str = ""
    origin: str = ""


@dataclass(frozen=True)
class Targets:
    """The base year, its declared figures, and the annual targets (sorted by year, metric)."""

    base_year: int | None = None
    base_values: Mapping[str, float] = field(default_factory=dict)
    base_source: str = ""
    annual: tuple[Target, ...] = ()

    def for_year(self, year: int) -> list[Target]:
        """The targets of one year."""
        return [t for t in self.annual if t.year == year]

    def metrics(self) -> list[str]:
        """Every metric that has a target or a base value, in first-seen order."""
        return list(dict.fromkeys([t.metric for t in self.annual] + list(self.base_values)))


@dataclass(frozen=True)
class Project:
    """An energy or carbon project carried out (节能降碳项目)."""

    name: str
    kind: str = "other"
    status: str = "completed"
    completed_on: str = ""
    investment_wan_cny: float | None = None
    saving_tce: float | None = None
    reduction_tco2e: float | None = None
    description: str = ""


@dataclass(frozen=True)
class DynamicFields:
    """What the factory fills in its dynamic management table."""

    filled_by: str = ""
    filled_on: str = ""
    projects: tuple[Project, ...] = ()
    name_changed: bool = False
    former_name: str = ""
    restructured: bool = False
    change_description: str = ""
    problems: tuple[str, ...] = ()
    next_year_plan: tuple[str, ...] = ()


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _unknown(p: ProblemCollector, table: Mapping, known: set, where: str) -> None:
    for k in table:
        if k not in known:
            p.add("unknown key", row=where, field=str(k), expected=f"one of {sorted(known)}")


def _year(p: ProblemCollector, v: Any, where: str, key: str) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int) or not 1990 <= v <= 2100:
        p.add("not a year", row=where, field=key, found=v, expected="a year such as 2025")
        return None
    return v


def _strings(p: ProblemCollector, v: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        p.add("wrong type", row=where, field=key, found=v, expected="a list of strings")
        return ()
    return tuple(s for s in v if s.strip())


def _date(p: ProblemCollector, v: Any, where: str, key: str) -> str:
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, str):
        try:
            return datetime.date.fromisoformat(v).isoformat()
        except ValueError:
            pass
    p.add("not a date", row=where, field=key, found=v, expected="a TOML date such as 2025-01-15")
    return ""


def parse_targets(raw: Mapping[str, Any], p: ProblemCollector | None = None) -> Targets:
    """The ``[targets]`` table and the plan's quantified targets of an inventory.

    Parameters
    ----------
    raw : mapping
        The whole parsed inventory (``Inventory.raw``).
    p : ProblemCollector, optional
        Where problems go; when None, they are raised at once as an
        :class:`~carbon_core.errors.InputError`.
    """
    own = p is None
    p = ProblemCollector("inventory") if p is None else p
    table = raw.get("targets", {})
    if not isinstance(table, Mapping):
        p.add("[targets] must be a table", field="targets", found=type(table).__name__)
        table = {}
    _unknown(p, table, _TARGET_KEYS, "targets")
    base_year = None
    if "base_year" in table:
        base_year = _year(p, table["base_year"], "targets", "base_year")
    base_values: dict[str, float] = {}
    bv = table.get("base_values", {})
    if not isinstance(bv, Mapping):
        p.add("wrong type", row="targets", field="base_values", found=bv,
              expected="a table of metric name = number")
        bv = {}
    for k, v in bv.items():
        if not _METRIC.match(str(k)):
            p.add("not a metric name", row="targets.base_values", field=str(k),
                  expected="a dotted metric name such as intensity.tco2e_per_wan_cny")
        elif not _number(v):
            p.add("not a number", row="targets.base_values", field=str(k), found=v,
                  expected="a finite number")
        else:
            base_values[str(k)] = float(v)
    if base_values and base_year is None:
        p.add("base values need their base year", row="targets", field="base_year",
              expected="base_year = YYYY beside base_values")
    base_source = table.get("base_source", "")
    if not isinstance(base_source, str):
        p.add("wrong type", row="targets", field="base_source", found=base_source,
              expected="a string naming the source of the base-year figures")
        base_source = ""

    found: dict[tuple[int, str], Target] = {}

    def add(t: Target) -> None:
        prior = found.get((t.year, t.metric))
        if prior is None:
            found[(t.year, t.metric)] = t
        elif prior.value != t.value:
            p.add("the same target is declared twice with different values", row=t.origin,
                  field="value", found=t.value,
                  expected=f"{prior.value!r} as in {prior.origin}, or one declaration")

    rows = table.get("annual", [])
    if not isinstance(rows, list):
        p.add("wrong type", row="targets", field="annual", found=type(rows).__name__,
              expected="[[targets.annual]] rows")
        rows = []
    for i, row in enumerate(rows):
        where = f"targets.annual[{i}]"
        if not isinstance(row, Mapping):
            p.add("wrong type", row=where, found=row, expected="a table")
            continue
        _unknown(p, row, _ANNUAL_KEYS, where)
        year = _year(p, row.get("year"), where, "year")
        metric = row.get("metric")
        if not isinstance(metric, str) or not _METRIC.match(metric):
            p.add("not a metric name", row=where, field="metric", found=metric,
                  expected="a dotted metric name such as intensity.tco2e_per_wan_cny")
            metric = None
        value = row.get("value")
        if not _number(value):
            p.add("not a number", row=where, field="value", found=value,
                  expected="the target value, a finite number in the metric's unit")
            value = None
        note = row.get("note", "")
        if not isinstance(note, str):
            p.add("wrong type", row=where, field="note", found=note, expected="a string")
            note = ""
        if year is not None and metric and value is not None:
            add(Target(year, metric, float(value), note, where))

    plan = raw.get("evidence", {}).get("plan", {}) if isinstance(raw.get("evidence"), Mapping) \
        else {}
    plan_rows = plan.get("targets", []) if isinstance(plan, Mapping) else []
    for i, row in enumerate(plan_rows if isinstance(plan_rows, list) else []):
        # validated by the scoring layer; only well-formed quantified rows are taken here
        if isinstance(row, Mapping) and isinstance(row.get("year"), int) \
                and isinstance(row.get("metric"), str) and _number(row.get("value")):
            add(Target(row["year"], row["metric"], float(row["value"]),
                       str(row.get("description", "")), f"evidence.plan.targets[{i}]"))
    if own:
        p.raise_if_any()
    annual = tuple(sorted(found.values(), key=lambda t: (t.year, t.metric)))
    return Targets(base_year, base_values, base_source, annual)


def parse_dynamic(raw: Mapping[str, Any], p: ProblemCollector | None = None) -> DynamicFields:
    """The ``[dynamic]`` table of an inventory (see the module docstring).

    Parameters
    ----------
    raw : mapping
        The whole parsed inventory.
    p : ProblemCollector, optional
        Where problems go; when None they are raised at once.
    """
    own = p is None
    p = ProblemCollector("inventory") if p is None else p
    table = raw.get("dynamic", {})
    if not isinstance(table, Mapping):
        p.add("[dynamic] must be a table", field="dynamic", found=type(table).__name__)
        table = {}
    _unknown(p, table, _DYNAMIC_KEYS, "dynamic")
    filled_by = table.get("filled_by", "")
    if not isinstance(filled_by, str):
        p.add("wrong type", row="dynamic", field="filled_by", found=filled_by, expected="a string")
        filled_by = ""
    filled_on = _date(p, table["filled_on"], "dynamic", "filled_on") if "filled_on" in table \
        else ""
    problems = _strings(p, table.get("problems", []), "dynamic", "problems")
    plan = _strings(p, table.get("next_year_plan", []), "dynamic", "next_year_plan")

    projects = []
    rows = table.get("projects", [])
    if not isinstance(rows, list):
        p.add("wrong type", row="dynamic", field="projects", expected="[[dynamic.projects]] rows")
        rows = []
    for i, row in enumerate(rows):
        where = f"dynamic.projects[{i}]"
        if not isinstance(row, Mapping):
            p.add("wrong type", row=where, found=row, expected="a table")
            continue
        _unknown(p, row, _PROJECT_KEYS, where)
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            p.add("a project needs its name", row=where, field="name", found=name,
                  expected="a non-empty string")
            name = ""
        kind = row.get("kind", "other")
        if kind not in PROJECT_KINDS:
            p.add("unknown project kind", row=where, field="kind", found=kind,
                  expected=f"one of {list(PROJECT_KINDS)}")
            kind = "other"
        status = row.get("status", "completed")
        if status not in PROJECT_STATUS:
            p.add("unknown project status", row=where, field="status", found=status,
                  expected=f"one of {list(PROJECT_STATUS)}")
            status = "completed"
        nums: dict[str, float | None] = {}
        for k in ("investment_wan_cny", "saving_tce", "reduction_tco2e"):
            v = row.get(k)
            if v is not None and (not _number(v) or v < 0):
                p.add("not a number >= 0", row=where, field=k, found=v,
                      expected="a finite number >= 0")
                v = None
            nums[k] = None if v is None else float(v)
        done = _date(p, row["completed_on"], where, "completed_on") if "completed_on" in row \
            else ""
        desc = row.get("description", "")
        if not isinstance(desc, str):
            p.add("wrong type", row=where, field="description", found=desc, expected="a string")
            desc = ""
        projects.append(Project(name, kind, status, done, nums["investment_wan_cny"],
                                nums["saving_tce"], nums["reduction_tco2e"], desc))

    ch = table.get("changes", {})
    if not isinstance(ch, Mapping):
        p.add("wrong type", row="dynamic", field="changes", expected="a [dynamic.changes] table")
        ch = {}
    _unknown(p, ch, _CHANGE_KEYS, "dynamic.changes")
    flags = {}
    for k in ("name_changed", "restructured"):
        v = ch.get(k, False)
        if not isinstance(v, bool):
            p.add("wrong type", row="dynamic.changes", field=k, found=v, expected="true or false")
            v = False
        flags[k] = v
    former = ch.get("former_name", "")
    desc = ch.get("description", "")
    for k, v in (("former_name", former), ("description", desc)):
        if not isinstance(v, str):
            p.add("wrong type", row="dynamic.changes", field=k, found=v, expected="a string")
    former = former if isinstance(former, str) else ""
    desc = desc if isinstance(desc, str) else ""
    if flags["name_changed"] and not former.strip():
        p.add("a name change needs the former name", row="dynamic.changes", field="former_name",
              expected="the factory's name before the change")
    if flags["restructured"] and not desc.strip():
        p.add("a restructuring needs its description", row="dynamic.changes", field="description",
              expected="what changed (merger, split, transfer of the site...)")
    if own:
        p.raise_if_any()
    return DynamicFields(filled_by, filled_on, tuple(projects), flags["name_changed"], former,
                         flags["restructured"], desc, problems, plan)


def check_tables(raw: Mapping[str, Any], p: ProblemCollector) -> None:
    """Validate ``[targets]`` and ``[dynamic]`` into an inventory's problem collector."""
    if "targets" in raw:
        parse_targets(raw, p)
    if "dynamic" in raw:
        parse_dynamic(raw, p)
