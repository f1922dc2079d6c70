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

Both tables are declared with the schema layer (:data:`TARGETS`, :data:`DYNAMIC`,
:mod:`carbon_core.schema`), like every other input table, so unknown keys are refused by
construction and ``docs/inventory.md``'s field reference is generated from the same
declarations. What needs more than one field (base values need their base year, a name change
needs the former name, a target declared twice) is checked here. Every problem is reported at
once with its table path and key (:func:`check_tables`, called by
:func:`carbon_core.io.inventory.parse_inventory`).

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
from ..schema import Field, Table, validate_into

__all__ = ["Target", "Targets", "Project", "DynamicFields", "PROJECT_KINDS", "PROJECT_STATUS",
           "TABLES", "TARGETS", "DYNAMIC", "check_tables", "parse_targets", "parse_dynamic"]

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
_METRIC_DOC = "a dotted metric name of the results such as intensity.tco2e_per_wan_cny"


def _year_field(name: str, doc: str, required: bool = True) -> Field:
    return Field(name, kind="integer", minimum=1990, maximum=2100, required=required, doc=doc)


def _text(name: str, doc: str) -> Field:
    return Field(name, kind="text", allow_empty=True, required=False, default="", doc=doc)


def _texts(name: str, doc: str) -> Field:
    return Field(name, kind="list", item=Field("item", kind="text", allow_empty=True),
                 required=False, default=[], doc=doc)


#: One ``[[targets.annual]]`` row.
ANNUAL = Table("targets.annual", (
    _year_field("year", "the year the target is for (年度目标)"),
    Field("metric", kind="text", pattern=_METRIC.pattern, doc=_METRIC_DOC),
    Field("value", kind="number", minimum=None,
          doc="the target value, a finite number in the metric's unit"),
    _text("note", "where the target is set (e.g. the zero-carbon plan's section)"),
), doc="One quantified annual target; the plan's quantified targets "
       "(`[[evidence.plan.targets]]`) are merged in.")

#: The ``[targets]`` table.
TARGETS = Table("targets", (
    _year_field("base_year", "the base year (基准年); required beside base_values",
                required=False),
    Field("base_values", kind="any", required=False, default={},
          doc="the base year's figures: a table of metric name = number (e.g. "
              "`{ \"intensity.tco2e_per_wan_cny\" = 0.262 }`)"),
    _text("base_source", "the source of the base-year figures (a verification report ...)"),
    Field("annual", kind="rows", table=ANNUAL, required=False, default=[]),
), rows=False, doc="Base year and quantified annual targets, for the report and the dynamic "
                   "management table; read by nothing that computes a number.")

#: One ``[[dynamic.projects]]`` row.
PROJECT = Table("dynamic.projects", (
    Field("name", kind="text", doc="the project's name (a non-empty string)"),
    Field("kind", kind="choice", choices=tuple(PROJECT_KINDS), required=False, default="other",
          doc="节能改造 energy saving, 可再生能源 renewable, 工艺降碳 process, 能碳管理 "
              "management, 其他 other"),
    Field("status", kind="choice", choices=tuple(PROJECT_STATUS), required=False,
          default="completed", doc="已完成 completed, 实施中 ongoing, 计划中 planned"),
    Field("completed_on", kind="date", required=False, doc="the day it was completed"),
    Field("investment_wan_cny", required=False, doc="investment [万元]"),
    Field("saving_tce", required=False, doc="expected energy saving per year [tce]"),
    Field("reduction_tco2e", required=False, doc="expected emission reduction per year [tCO2e]"),
    _text("description", "what was done"),
), doc="One energy or carbon project carried out in the reporting year (节能降碳项目).")

#: The ``[dynamic.changes]`` table.
CHANGES = Table("dynamic.changes", (
    Field("name_changed", kind="bool", required=False, default=False,
          doc="the factory's name changed (名称变更)"),
    _text("former_name", "the name before the change; required when name_changed"),
    Field("restructured", kind="bool", required=False, default=False,
          doc="merger, split, transfer of the site ... (重组)"),
    _text("description", "what changed; required when restructured"),
), doc="Major changes in the reporting year (名称变更、重组等重大变化).")

#: The ``[dynamic]`` table.
DYNAMIC = Table("dynamic", (
    _text("filled_by", "who filled in the table (填报人)"),
    Field("filled_on", kind="date", required=False, doc="the day it was filled in (填报日期)"),
    _texts("problems", "problems found (存在的问题); one string counts as a list of one"),
    _texts("next_year_plan", "the next year's work plan (下一年度工作计划); one string counts "
                             "as a list of one"),
    Field("projects", kind="rows", table=PROJECT, required=False, default=[]),
    Field("changes", kind="table", table=CHANGES, required=False),
), rows=False, doc="The fields the factory fills in its year-end dynamic management table "
                   "(动态管理表); read by nothing that computes a number.")


@dataclass(frozen=True)
class Target:
    """One quantified annual target.

    Attributes
    ----------
    year : int
        The year the target is for.
    metric : str
        A metric name of the results (``intensity.tco2e_per_wan_cny``...).
    value : float
        The target value, in the metric's unit.
    note : str
        Where the target is set (free text, may be empty).
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
    """The base year, its declared figures, and the annual targets (sorted by year, metric).

    Attributes
    ----------
    base_year : int or None
        The base year (基准年), when declared.
    base_values : mapping of str to float
        The base year's figures by metric name, each in the metric's unit.
    base_source : str
        The source of the base-year figures.
    annual : tuple of Target
        Every annual target, from ``[targets]`` and the plan, sorted by (year, metric).
    """

    base_year: int | None = None
    base_values: Mapping[str, float] = field(default_factory=dict)
    base_source: str = ""
    annual: tuple[Target, ...] = ()

    def for_year(self, year: int) -> list[Target]:
        """The targets of one year.

        Parameters
        ----------
        year : int
            The target year.

        Returns
        -------
        list of Target
            In (year, metric) order; empty when the year has none.
        """
        return [t for t in self.annual if t.year == year]

    def metrics(self) -> list[str]:
        """Every metric that has a target or a base value, in first-seen order."""
        return list(dict.fromkeys([t.metric for t in self.annual] + list(self.base_values)))


@dataclass(frozen=True)
class Project:
    """An energy or carbon project carried out (节能降碳项目).

    Attributes
    ----------
    name : str
        The project's name.
    kind : str
        A key of :data:`PROJECT_KINDS`.
    status : str
        A key of :data:`PROJECT_STATUS`.
    completed_on : str
        ISO date it was completed, or ``""``.
    investment_wan_cny : float or None
        Investment [万元].
    saving_tce : float or None
        Expected energy saving per year [tce].
    reduction_tco2e : float or None
        Expected emission reduction per year [tCO2e].
    description : str
        What was done.
    """

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
    """What the factory fills in its dynamic management table.

    Attributes
    ----------
    filled_by, filled_on : str
        Who filled it in, and the ISO date (``""`` when not given).
    projects : tuple of Project
        The projects carried out in the reporting year.
    name_changed, restructured : bool
        Major changes in the year.
    former_name, change_description : str
        The former name, and what changed.
    problems, next_year_plan : tuple of str
        Problems found and the next year's plan, blank entries left out.
    """

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


def _table(p: ProblemCollector, raw: Mapping[str, Any], decl: Table) -> dict[str, Any]:
    """``raw[decl.name]`` validated against ``decl`` into ``p`` ({} when not a table)."""
    table = raw.get(decl.name, {})
    if isinstance(table, Mapping):
        # one string where a list of strings is declared counts as a list of one
        lists = {f.name for f in decl.fields if f.kind == "list"}
        table = {k: [v] if k in lists and isinstance(v, str) else v for k, v in table.items()}
    out = validate_into(decl, table, p.problems, file=p.file, where=decl.name, rows=False)
    return out if out is not None else {}


def _date_text(v: Any) -> str:
    return v.isoformat() if isinstance(v, datetime.date) else ""


def parse_targets(raw: Mapping[str, Any], p: ProblemCollector | None = None) -> Targets:
    """The ``[targets]`` table and the plan's quantified targets of an inventory.

    Parameters
    ----------
    raw : mapping
        The whole parsed inventory (``Inventory.raw``).
    p : ProblemCollector, optional
        Where problems go; when None, they are raised at once as an
        :class:`~carbon_core.errors.InputError`.

    Returns
    -------
    Targets
        The base year and values, and every well-formed annual target; a target declared in
        both ``[targets]`` and ``[evidence.plan]`` for the same year and metric is taken once,
        and with two different values it is a problem.
    """
    own = p is None
    p = ProblemCollector("inventory") if p is None else p
    table = _table(p, raw, TARGETS)
    base_year = table.get("base_year")
    base_values: dict[str, float] = {}
    bv = table.get("base_values") or {}
    if not isinstance(bv, Mapping):
        p.add("wrong type", row="targets", field="base_values", found=bv,
              expected="a table of metric name = number")
        bv = {}
    for k, v in bv.items():
        if not _METRIC.match(str(k)):
            p.add("not a metric name", row="targets.base_values", field=str(k),
                  expected=_METRIC_DOC)
        elif not _number(v):
            p.add("not a number", row="targets.base_values", field=str(k), found=v,
                  expected="a finite number")
        else:
            base_values[str(k)] = float(v)
    if base_values and base_year is None:
        p.add("base values need their base year", row="targets", field="base_year",
              expected="base_year = YYYY beside base_values")

    found: dict[tuple[int, str], Target] = {}

    def add(t: Target) -> None:
        prior = found.get((t.year, t.metric))
        if prior is None:
            found[(t.year, t.metric)] = t
        elif prior.value != t.value:
            p.add("the same target is declared twice with different values", row=t.origin,
                  field="value", found=t.value,
                  expected=f"{prior.value!r} as in {prior.origin}, or one declaration")

    for i, row in enumerate(table.get("annual") or []):
        if row is not None and None not in (row["year"], row["metric"], row["value"]):
            add(Target(row["year"], row["metric"], row["value"], row["note"] or "",
                       f"targets.annual[{i}]"))

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
    return Targets(base_year, base_values, table.get("base_source") or "", annual)


def parse_dynamic(raw: Mapping[str, Any], p: ProblemCollector | None = None) -> DynamicFields:
    """The ``[dynamic]`` table of an inventory (see the module docstring).

    Parameters
    ----------
    raw : mapping
        The whole parsed inventory.
    p : ProblemCollector, optional
        Where problems go; when None they are raised at once.

    Returns
    -------
    DynamicFields
        The declared fields; invalid values (already recorded as problems) take their defaults.
    """
    own = p is None
    p = ProblemCollector("inventory") if p is None else p
    table = _table(p, raw, DYNAMIC)
    projects = []
    for row in table.get("projects") or []:
        if row is None:
            continue
        projects.append(Project(row["name"] or "", row["kind"] or "other",
                                row["status"] or "completed", _date_text(row["completed_on"]),
                                row["investment_wan_cny"], row["saving_tce"],
                                row["reduction_tco2e"], row["description"] or ""))
    ch = table.get("changes") or {}
    name_changed = ch.get("name_changed") is True
    restructured = ch.get("restructured") is True
    former = ch.get("former_name") or ""
    desc = ch.get("description") or ""
    if name_changed and not former.strip():
        p.add("a name change needs the former name", row="dynamic.changes", field="former_name",
              expected="the factory's name before the change")
    if restructured and not desc.strip():
        p.add("a restructuring needs its description", row="dynamic.changes", field="description",
              expected="what changed (merger, split, transfer of the site...)")
    if own:
        p.raise_if_any()

    def texts(key: str) -> tuple[str, ...]:
        return tuple(s for s in table.get(key) or () if s is not None and s.strip())

    return DynamicFields(table.get("filled_by") or "", _date_text(table.get("filled_on")),
                         tuple(projects), name_changed, former, restructured, desc,
                         texts("problems"), texts("next_year_plan"))


def check_tables(raw: Mapping[str, Any], p: ProblemCollector) -> None:
    """Validate ``[targets]`` and ``[dynamic]`` into an inventory's problem collector.

    Parameters
    ----------
    raw : mapping
        The whole parsed inventory.
    p : ProblemCollector
        The inventory's collector; the problems of both tables are added to it, nothing raised.
    """
    if "targets" in raw:
        parse_targets(raw, p)
    if "dynamic" in raw:
        parse_dynamic(raw, p)
