"""The base class of sector plugins: declare inputs, write one kernel, get validation for free.

A sector plugin is a subclass of :class:`SectorPlugin` that declares, as class attributes, its name,
its method and citations, its input tables (:class:`Table` of :class:`Field`), its factor files and its
metrics, and implements :meth:`SectorPlugin._compute` (and optionally :meth:`SectorPlugin._metrics`).
The public :meth:`SectorPlugin.compute` is a template method, as sktime's ``fit`` calls ``_fit``:

1. validate the raw ``[process.<sector>]`` TOML table against the declared tables, collecting every
   problem (unknown keys, missing values, wrong types, negative amounts, unknown units, duplicate row
   ids) into one :class:`~carbon_core.errors.InputError` naming file, row, field, found and expected;
2. convert every amount to its declared canonical unit, one float per distinct unit, and hand the
   kernel float64 numpy arrays (:class:`Rows`), one element per input row;
3. call ``_compute(data, ctx)``, where the kernel looks up defaults with :meth:`SectorContext.lookup`
   and records emissions with :meth:`SectorContext.emit` (whole arrays at a time);
4. check what the kernel emitted (known gases, categories, one line item per id, finite values) and
   build :class:`~carbon_core.lineitems.LineItem` objects with the GWP of the inventory's set;
5. call ``_metrics(data, ctx)`` and prefix the names with ``sector.<name>.``.

Plugin authors never write validation. See ``plugins/_template.py`` for a fill-in template and
:mod:`carbon_core.testing` for the conformance suite every plugin should pass.

Examples
--------
>>> import numpy as np
>>> from carbon_core.factors import FactorLibrary
>>> class Lime(SectorPlugin):
...     name = "lime_demo"
...     title = "Lime kiln (demo)"
...     method = "stoichiometry: CaCO3 -> CaO + CO2, 44/56 tCO2 per t CaO"
...     tables = (Table("kiln", (Field("cao", unit="t", unit_key="unit"),)),)
...     def _compute(self, data, ctx):
...         kiln = data["kiln"]
...         ctx.emit("process", gas="CO2", source=kiln.ids, carrier="CaO", activity=kiln["cao"],
...                  activity_unit="t", factor_value=44.0 / 56.0, factor_unit="t/t",
...                  factor_source="molar masses", formula="E = CaO x 44/56")
>>> out = Lime().compute({"kiln": [{"id": "k1", "cao": 56, "unit": "t"}]},
...                      library=FactorLibrary(), gwp_set="AR5")
>>> [(i.id, i.emissions_t_gas) for i in out.line_items]
[('lime_demo:process:k1:CO2', 44.0)]
>>> Lime().compute({"kiln": [{"cao": -1}]}, library=FactorLibrary())
Traceback (most recent call last):
...
carbon_core.errors.InputError: 1 problem in the input:
  - inventory, row process.lime_demo.kiln[0], field 'cao': value out of range; found -1; expected a number >= 0 (t)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, ClassVar, Iterable, Mapping, Sequence

import numpy as np

from . import units as _units
from .errors import FactorNotFoundError, InputError, PluginError, Problem, UnitError
from .factors import Factor, FactorLibrary
from .hookspecs import hookimpl
from .lineitems import LineItem
from .metrics import MetricInfo
from .schema import Field, Rows, Table, rows_to_arrays

__all__ = [
    "Field",
    "Table",
    "Rows",
    "SectorContext",
    "SectorResult",
    "SectorPlugin",
    "EMISSION_CATEGORIES",
    "mass_balance",
]

#: Line-item categories a sector plugin may emit (Scope 1, GB/T 32150-2015).
EMISSION_CATEGORIES = ("process", "fugitive")

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------------------------------
# Declared inputs
# --------------------------------------------------------------------------------------------------


# Field, Table and Rows live in carbon_core.schema (one schema layer for every input table).


# --------------------------------------------------------------------------------------------------
# The context a kernel works in
# --------------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    category: str
    gas: np.ndarray
    source: np.ndarray
    carrier: np.ndarray
    activity: np.ndarray
    activity_unit: str
    factor_value: np.ndarray
    factor_unit: str
    emissions: np.ndarray
    factor_source: np.ndarray
    factor_keys: list
    confirmed: np.ndarray
    formula: str
    details: list
    tag: str


@dataclass
class SectorResult:
    """What one sector returns: line items (Scope 1) and metrics (``sector.<name>.*``)."""

    plugin: str
    version: str
    line_items: list[LineItem]
    metrics: dict[str, float | None]
    factors: list[Factor] = field(default_factory=list)

    def total_tco2e(self) -> float:
        return float(math.fsum(i.emissions_tco2e for i in self.line_items))

    def totals_t_gas(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for i in self.line_items:
            out[i.gas] = out.get(i.gas, 0.0) + i.emissions_t_gas
        return out


class SectorContext:
    """What a kernel may use: factor lookups, problem reporting, and :meth:`emit`."""

    def __init__(self, plugin: "SectorPlugin", library: FactorLibrary, *, gwp_set: str,
                 file: str, reporting_year: int | None, region: str):
        self.plugin = plugin
        self.library = library
        self.gwp_set = gwp_set
        self.file = file
        self.reporting_year = reporting_year
        self.region = region
        self.problems: list[Problem] = []
        self.factors_used: dict[tuple[str, str], Factor] = {}
        self._batches: list[_Batch] = []

    # -- factors --------------------------------------------------------------------------------

    def factor(self, key: str, region: str | None = None) -> Factor:
        """One factor (timeless default), remembered for provenance."""
        region = region or self.region
        memo = self.factors_used.get((key, region))
        if memo is None:
            memo = self.library.get(key, region, rule="timeless")
            self.factors_used[(key, region)] = memo
        return memo

    def lookup(self, keys: Sequence[str] | np.ndarray, rows: Rows, field: str, *,
               region: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised default lookup: one key per row.

        Returns ``(values, citations, confirmed)`` arrays. A key without a factor is a problem on that
        row and field (value NaN), reported with the other problems of the pass.
        """
        keys = np.asarray(keys, dtype=object)
        values = np.full(len(keys), np.nan)
        cites = np.full(len(keys), "", dtype=object)
        confirmed = np.ones(len(keys), dtype=bool)
        for key in dict.fromkeys(keys.tolist()):
            mask = keys == key
            try:
                f = self.factor(key, region)
            except FactorNotFoundError as exc:
                for i in np.flatnonzero(mask):
                    self.problem(f"no default value for this row ({exc})", row=rows.labels[i],
                                 field=field, expected=f"a measured value for {field!r}, or a "
                                 "row the plugin has defaults for")
                continue
            values[mask] = f.value
            cites[mask] = f"{key} = {f.value:g} {f.unit}: {f.citation()}"
            confirmed[mask] = f.confirmed
        return values, cites, confirmed

    def problem(self, message: str, *, row=None, field=None, found=None, expected=None) -> None:
        """Record a data problem; all problems are raised together after the kernel ran."""
        self.problems.append(Problem(file=self.file, message=message, row=row, field=field,
                                     found=found, expected=expected))

    # -- emissions ------------------------------------------------------------------------------

    def emit(self, category: str, *, gas, source, carrier, activity, activity_unit: str,
             factor_value, factor_unit: str, factor_source="", emissions=None,
             factor_keys: Iterable[str] | Sequence[tuple] = (), confirmed=True, formula: str = "",
             details: Sequence[dict] | dict | None = None, tag: str | None = None) -> None:
        """Record line items for whole arrays at once.

        ``emissions`` (t of ``gas``) defaults to ``activity x factor_value`` converted from
        ``activity_unit x factor_unit`` to tonnes. Scalars broadcast. ``tag`` (default: the
        category) distinguishes several items of one row and gas in the line-item id
        ``<plugin>:<tag>:<source>:<gas>``.
        """
        source = np.atleast_1d(np.asarray(source, dtype=object))
        n = len(source)

        def arr(x, dtype):
            a = np.asarray(x, dtype=dtype)
            return np.broadcast_to(a, (n,)).copy() if a.ndim == 0 or len(a) != n else a

        activity = arr(activity, float)
        factor_value = arr(factor_value, float)
        if emissions is None:
            scale = _units.conversion_factor(_units.parse_unit(activity_unit)
                                             * _units.parse_unit(factor_unit), "t")
            emissions = activity * factor_value * scale
        if isinstance(details, Mapping) or details is None:
            details = [dict(details or {}) for _ in range(n)]
        keys = list(factor_keys)
        if not keys or isinstance(keys[0], str):
            keys = [tuple(keys)] * n
        self._batches.append(_Batch(
            category=category, gas=arr(gas, object), source=source, carrier=arr(carrier, object),
            activity=activity, activity_unit=activity_unit, factor_value=factor_value,
            factor_unit=factor_unit, emissions=arr(emissions, float),
            factor_source=arr(factor_source, object), factor_keys=keys,
            confirmed=arr(confirmed, bool), formula=formula, details=list(details),
            tag=tag or category))

    # -- read back, for metrics -------------------------------------------------------------------

    def total_t(self, gas: str | None = None, *, tag: str | None = None) -> float:
        """Tonnes of ``gas`` emitted so far (all gases when None: then only meaningful for CO2)."""
        total = 0.0
        for b in self._batches:
            if tag is not None and b.tag != tag:
                continue
            mask = np.ones(len(b.gas), bool) if gas is None else (b.gas == gas)
            total += float(b.emissions[mask].sum())
        return total

    def total_tco2e(self, *, tag: str | None = None) -> float:
        total = 0.0
        for b in self._batches:
            if tag is not None and b.tag != tag:
                continue
            for gas in dict.fromkeys(b.gas.tolist()):
                total += float(b.emissions[b.gas == gas].sum()) * _units.gwp(gas, self.gwp_set)
        return total

    def _line_items(self) -> list[LineItem]:
        plugin = self.plugin.name
        items: list[LineItem] = []
        seen: set[str] = set()
        gwps: dict[str, float] = {}
        for b in self._batches:
            if b.category not in EMISSION_CATEGORIES:
                raise PluginError(f"plugin {plugin!r} emitted category {b.category!r}; sector "
                                  f"plugins emit one of {EMISSION_CATEGORIES}")
            if not np.all(np.isfinite(b.emissions)):
                bad = [str(s) for s in b.source[~np.isfinite(b.emissions)]]
                raise PluginError(f"plugin {plugin!r} emitted non-finite emissions for {bad}")
            for i in range(len(b.source)):
                gas = str(b.gas[i])
                if gas not in gwps:
                    if gas not in _units.GASES:
                        raise PluginError(f"plugin {plugin!r} emitted unknown gas {gas!r}; gases are "
                                          f"named as in carbon_core.units.GASES")
                    gwps[gas] = _units.gwp(gas, self.gwp_set)
                item_id = f"{plugin}:{b.tag}:{b.source[i]}:{gas}"
                if item_id in seen:
                    raise PluginError(f"plugin {plugin!r} emitted line item {item_id!r} twice; "
                                      "give emit() a distinct tag")
                seen.add(item_id)
                t = float(b.emissions[i])
                items.append(LineItem(
                    id=item_id, category=b.category, scope=1, source=str(b.source[i]),
                    carrier=str(b.carrier[i]), activity=float(b.activity[i]),
                    activity_unit=b.activity_unit, factor_value=float(b.factor_value[i]),
                    factor_unit=b.factor_unit, factor_source=str(b.factor_source[i]), gas=gas,
                    gwp_set=self.gwp_set, gwp=gwps[gas], emissions_t_gas=t,
                    emissions_tco2e=t * gwps[gas], factor_keys=tuple(b.factor_keys[i]),
                    confirmed=bool(b.confirmed[i]), plugin=plugin, formula=b.formula,
                    details=b.details[i]))
        return items


# --------------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------------


class SectorPlugin:
    """Base class of sector plugins (template method: :meth:`compute` calls :meth:`_compute`).

    Class attributes to declare
    ---------------------------
    name : str
        Sector name, as a factory lists it in ``[factory] sectors`` (``^[a-z][a-z0-9_]*$``).
    title : str
        English and Chinese title.
    version : str
        Version of the plugin's method implementation (default: the distribution's version).
    method : str
        The method, with its citations: standard, edition, equation or table.
    references : tuple of str
        Every document the plugin relies on, one citation each.
    tables : tuple of Table
        Declared inputs of ``[process.<name>]``.
    factor_files : tuple of str
        Factor files (format of ``factors/README.md``) inside ``factor_package``.
    factor_package : str
        Package holding ``factor_files`` (default ``carbon_core_factors``).
    metric_definitions : tuple of MetricInfo
        Metrics with *short* names; published as ``sector.<name>.<short>``.
    indicator_contributions : tuple of dict
        Second-level indicators proposed to the scoring layer (see
        :func:`carbon_core.hookspecs.carbon_indicator_contributions`).
    unit_definitions : tuple of str
        pint definition lines.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    version: ClassVar[str] = ""
    method: ClassVar[str] = ""
    references: ClassVar[tuple[str, ...]] = ()
    tables: ClassVar[tuple[Table, ...]] = ()
    factor_files: ClassVar[tuple[str, ...]] = ()
    factor_package: ClassVar[str] = "carbon_core_factors"
    metric_definitions: ClassVar[tuple[MetricInfo, ...]] = ()
    indicator_contributions: ClassVar[tuple[dict, ...]] = ()
    unit_definitions: ClassVar[tuple[str, ...]] = ()

    # -- to implement -------------------------------------------------------------------------

    def _compute(self, data: dict[str, Any], ctx: SectorContext) -> None:
        """The kernel: read ``data`` (validated arrays), look up defaults, ``ctx.emit(...)``."""
        raise NotImplementedError

    def _metrics(self, data: dict[str, Any], ctx: SectorContext) -> dict[str, float | None]:
        """Sector metrics by short name (None when the inputs needed are absent)."""
        return {}

    @classmethod
    def example_inputs(cls) -> list[dict]:
        """Raw ``[process.<name>]`` tables used by the conformance suite (at least one, with at
        least two rows in each row table so that it can be split)."""
        return []

    # -- hooks (a SectorPlugin instance is itself a pluggy plugin) ----------------------------

    @hookimpl
    def carbon_sector_plugins(self):
        return [self]

    @hookimpl
    def carbon_factor_tables(self):
        return self.factor_tables()

    @hookimpl
    def carbon_metric_definitions(self):
        return self.metric_infos()

    @hookimpl
    def carbon_indicator_contributions(self):
        return [dict(c) for c in self.indicator_contributions]

    @hookimpl
    def carbon_unit_definitions(self):
        return list(self.unit_definitions)

    # -- public API -----------------------------------------------------------------------------

    def factor_tables(self) -> list:
        root = resources.files(self.factor_package)
        out = []
        for name in self.factor_files:
            path = root
            for part in name.split("/"):
                path = path / part
            out.append(path)
        return out

    def metric_infos(self) -> list[MetricInfo]:
        return [MetricInfo(name=f"sector.{self.name}.{m.name}", unit=m.unit,
                           description=m.description, higher_is_better=m.higher_is_better,
                           provider=self.name) for m in self.metric_definitions]

    def describe(self) -> dict[str, Any]:
        """What the plugin contributes, for ``carbon plugins`` and the docs."""
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "method": self.method,
            "references": list(self.references),
            "inputs": {t.name: [f.name for f in t.fields] for t in self.tables},
            "factor_files": list(self.factor_files),
            "metrics": [m.name for m in self.metric_infos()],
            "indicators": [c.get("id") for c in self.indicator_contributions],
            "units": list(self.unit_definitions),
        }

    def validate(self, inputs: Mapping | None, *, file: str = "inventory") -> dict[str, Any]:
        """Check ``inputs`` against :attr:`tables`; return arrays in canonical units.

        Raises
        ------
        InputError
            With every problem found: unknown tables and keys, missing required keys, wrong types,
            out-of-range numbers, unknown or unconvertible units, duplicate row ids.
        """
        inputs = {} if inputs is None else inputs
        base = f"process.{self.name}"
        problems: list[Problem] = []
        declared = {t.name: t for t in self.tables}
        if not isinstance(inputs, Mapping):
            raise InputError([Problem(file, "sector inputs must be a table", row=base,
                                      found=type(inputs).__name__,
                                      expected=f"a [{base}] table")])
        for key in inputs:
            if key not in declared:
                problems.append(Problem(file, "unknown input table", row=base, field=key,
                                        expected=f"one of {sorted(declared)}"))
        data: dict[str, Any] = {}
        for table in self.tables:
            raw = inputs.get(table.name)
            where = f"{base}.{table.name}"
            if raw is None and not table.rows and not table.required:
                data[table.name] = {f.name: f.default for f in table.fields}
                continue
            if raw is None:
                if table.required:
                    problems.append(Problem(file, "missing input table", row=base,
                                            field=table.name, expected=table.doc or "a table"))
                raw = [] if table.rows else {}
            if table.rows:
                if isinstance(raw, Mapping):
                    raw = [raw]
                if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
                    problems.append(Problem(file, "expected an array of tables", row=where,
                                            found=type(raw).__name__,
                                            expected=f"[[{where}]] entries"))
                    raw = []
                data[table.name] = self._validate_rows(table, raw, where, file, problems)
            else:
                if not isinstance(raw, Mapping):
                    problems.append(Problem(file, "expected a table", row=where,
                                            found=type(raw).__name__, expected=f"[{where}]"))
                    raw = {}
                rows = self._validate_rows(table, [raw], where, file, problems, single=True)
                values: dict[str, Any] = {}
                for k, f in table.field_map().items():
                    if rows.given[k][0]:
                        v = rows[k][0]
                        values[k] = float(v) if f.kind == "number" else v
                    else:
                        values[k] = f.default
                data[table.name] = values
        if problems:
            raise InputError(problems)
        return data

    def _validate_rows(self, table: Table, raw: list, where: str, file: str,
                       problems: list[Problem], single: bool = False) -> Rows:
        return rows_to_arrays(table, raw, where, file, problems, single=single)

    def compute(self, inputs: Mapping | None, *, library: FactorLibrary, gwp_set: str = "AR5",
                file: str = "inventory", reporting_year: int | None = None,
                region: str = "CN") -> SectorResult:
        """Validate ``inputs`` (the ``[process.<name>]`` table), run the kernel, return results.

        Parameters
        ----------
        inputs : mapping
            The raw TOML table of the sector's inputs.
        library : FactorLibrary
            The factor library, merged with the plugins' tables
            (:func:`carbon_core.plugin_manager.factor_library`).
        gwp_set : str
            ``"SAR"``, ``"AR4"``, ``"AR5"`` or ``"AR6"``.
        file : str
            The inventory path, for problems.

        Raises
        ------
        InputError
            Every problem of the inputs, and every data problem the kernel found, at once.
        """
        data = self.validate(inputs, file=file)
        ctx = SectorContext(self, library, gwp_set=gwp_set, file=file,
                            reporting_year=reporting_year, region=region)
        self._compute(data, ctx)
        if ctx.problems:
            raise InputError(ctx.problems)
        items = ctx._line_items()
        short = self._metrics(data, ctx) or {}
        declared = {m.name for m in self.metric_definitions}
        undeclared = sorted(set(short) - declared)
        if undeclared:
            raise PluginError(f"plugin {self.name!r} returned undeclared metrics {undeclared}; "
                              f"declare them in metric_definitions")
        metrics = {f"sector.{self.name}.{k}": (None if v is None else float(v))
                   for k, v in short.items()}
        return SectorResult(plugin=self.name, version=self.version, line_items=items,
                            metrics=metrics, factors=list(ctx.factors_used.values()))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sector {self.name!r} {self.version}>"


# --------------------------------------------------------------------------------------------------
# Shared kernels
# --------------------------------------------------------------------------------------------------


def mass_balance(start, end, purchased, shipped, recovered) -> np.ndarray:
    """Emissions of a stored gas by mass balance, element-wise [same unit as the inputs].

    ``E = (start - end) + purchased - shipped - recovered``: the stock decrease plus purchases, less
    the gas that left the site in products (charged into appliances, vehicles, switchgear) or was
    sent back for recycling or destruction (IPCC 2006 Vol. 3 ch. 7 §7.5.2 and ch. 8 §8.2, the
    factory-level form of the mass-balance approach).

    Examples
    --------
    >>> mass_balance([100.0], [80.0], [500.0], [505.0], [5.0])
    array([10.])
    """
    start, end, purchased, shipped, recovered = (np.asarray(x, dtype=float) for x in
                                                 (start, end, purchased, shipped, recovered))
    return (start - end) + purchased - shipped - recovered


def quota_grade(value: float | None, thresholds: Sequence[float]) -> float | None:
    """Grade of a unit-product energy consumption against ascending quota thresholds.

    Returns 1 for the best grade (value <= thresholds[0]), 2, 3 ..., and ``len(thresholds) + 1``
    when the value exceeds the last threshold (the quota's limit: not compliant); None without a
    value. Lower consumption is better, as in every 能耗限额 standard.

    Examples
    --------
    >>> quota_grade(103.0, [100.0, 105.0, 117.0])
    2
    >>> quota_grade(120.0, [100.0, 105.0, 117.0])
    4
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    for i, limit in enumerate(thresholds):
        if value <= limit:
            return i + 1
    return len(thresholds) + 1


__all__.append("quota_grade")
