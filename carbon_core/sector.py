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
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Iterable, Mapping, Sequence

import numpy as np

from . import units as _units
from .errors import FactorNotFoundError, InputError, PluginError, Problem, UnitError
from .factors import Factor, FactorLibrary, SelectionRule
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
    "FactoryView",
    "CarrierEnergy",
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
# What a plugin may read of the factory
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarrierEnergy:
    """The factory's use of one energy carrier over the reporting year, as the core counted it.

    Attributes
    ----------
    carrier : str
        ``natural_gas``, ``raw_coal`` ..., ``electricity`` (net: grid purchase + on-site
        renewable - export) or ``heat`` (net purchased heat, steam and hot water).
    activity : float
        Amount [``unit``].
    unit : str
        Canonical unit of the carrier (t, 万Nm3, kWh, GJ).
    tce_calorific, tce_equivalent : float
        Energy [tce], electricity at 当量值 and at 等价值 (GB/T 2589-2020; equal for other carriers).
    """

    carrier: str
    activity: float
    unit: str
    tce_calorific: float
    tce_equivalent: float


@dataclass(frozen=True)
class FactoryView:
    """What a sector plugin sees of the factory, read-only: its energy, production, year, region.

    The engine fills it from the inventory and the core's energy accounting, so that no user
    types energy twice. A plugin run on its own (the conformance suite, a notebook) gets an
    empty view unless it passes one (:meth:`SectorPlugin.example_factory`).

    Attributes
    ----------
    reporting_year : int or None
    region : str
        The factory's province code (``CN-xx``, GB/T 2260), ``"CN"`` when unknown.
    grid_region : str
        Its regional grid (``CN-GRID-...``), empty when unknown.
    energy : mapping of str to CarrierEnergy
        By carrier, read-only.
    output : float or None
        Production in the year [``output_unit``].
    output_unit : str
    value_added_wan_cny : float or None
        Industrial value added [万元].
    energy_totals : (float, float) or None
        The core's own totals [tce] (当量值, 等价值), the exact sums of its energy items; None: the
        sums over :attr:`energy`.
    """

    reporting_year: int | None = None
    region: str = "CN"
    grid_region: str = ""
    energy: Mapping[str, CarrierEnergy] = field(default_factory=lambda: MappingProxyType({}))
    output: float | None = None
    output_unit: str = ""
    value_added_wan_cny: float | None = None
    energy_totals: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "energy", MappingProxyType(dict(self.energy)))

    @property
    def total_tce_calorific(self) -> float:
        """Comprehensive energy consumption [tce], electricity at 当量值 (GB/T 2589-2020).

        References
        ----------
        GB/T 2589-2020 综合能耗计算通则 (General rules for calculation of the comprehensive energy
        consumption).
        """
        if self.energy_totals is not None:
            return self.energy_totals[0]
        return float(math.fsum(e.tce_calorific for e in self.energy.values()))

    @property
    def total_tce_equivalent(self) -> float:
        """Comprehensive energy consumption [tce], electricity at 等价值 (GB/T 2589-2020).

        References
        ----------
        GB/T 2589-2020 综合能耗计算通则 (General rules for calculation of the comprehensive energy
        consumption).
        """
        if self.energy_totals is not None:
            return self.energy_totals[1]
        return float(math.fsum(e.tce_equivalent for e in self.energy.values()))

    @classmethod
    def from_tce(cls, tce_by_carrier: Mapping[str, float], **kw: Any) -> "FactoryView":
        """A view from energy in tce by carrier (当量值 = 等价值), e.g. for examples and tests.

        Parameters
        ----------
        tce_by_carrier : mapping of str to float
            Energy by carrier [tce].
        **kw
            The other fields of the view (``reporting_year``, ``region``, ``output`` ...).

        Examples
        --------
        >>> FactoryView.from_tce({"raw_coal": 1000.0}, reporting_year=2024).total_tce_calorific
        1000.0
        """
        energy = {c: CarrierEnergy(c, float(v), "tce", float(v), float(v))
                  for c, v in tce_by_carrier.items()}
        return cls(energy=energy, **kw)


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
    """What one sector returns: line items (Scope 1) and metrics (``sector.<name>.*``).

    Attributes
    ----------
    plugin : str
        The plugin's name.
    version : str
        The plugin's version.
    line_items : list of LineItem
        Its line items (Scope 1 by default), each in tCO2e.
    metrics : dict of str to float or None
        Its ``sector.<name>.*`` metrics.
    factors : list of Factor
        The factors it used.
    claims : tuple of str
        The carriers it accounts for itself (the engine refuses a core fuel line for them).
    """

    plugin: str
    version: str
    line_items: list[LineItem]
    metrics: dict[str, float | None]
    factors: list[Factor] = field(default_factory=list)
    claims: tuple[str, ...] = ()

    def total_tco2e(self) -> float:
        """Exact sum of the line items [tCO2e]."""
        return float(math.fsum(i.emissions_tco2e for i in self.line_items))

    def totals_t_gas(self) -> dict[str, float]:
        """Tonnes of each gas emitted [t gas], by gas."""
        out: dict[str, float] = {}
        for i in self.line_items:
            out[i.gas] = out.get(i.gas, 0.0) + i.emissions_t_gas
        return out


class SectorContext:
    """What a kernel may use: factor lookups, the factory (read-only), problems, :meth:`emit`.

    Parameters
    ----------
    plugin : SectorPlugin
        The plugin whose kernel runs (it names the line items).
    library : FactorLibrary
        The factor library of the run (the plugin's own factor tables included).
    gwp_set : str
        The inventory's GWP set (``"AR5"`` ...), for CO2e totals.
    file : str
        The inventory file, for problems.
    reporting_year : int or None
        The reporting year (for the selection of dated factors).
    region : str
        Default region of factor lookups (``"CN"``).
    factory : FactoryView, optional
        The factory's energy by carrier, production, reporting year and region, read-only
        (default: an empty view of the year).

    The keywords are kept as attributes of the same names.
    """

    def __init__(self, plugin: "SectorPlugin", library: FactorLibrary, *, gwp_set: str,
                 file: str, reporting_year: int | None, region: str,
                 factory: FactoryView | None = None):
        self.plugin = plugin
        self.library = library
        self.gwp_set = gwp_set
        self.file = file
        self.reporting_year = reporting_year
        self.region = region
        self.factory = factory if factory is not None else FactoryView(
            reporting_year=reporting_year)
        self.problems: list[Problem] = []
        self.factors_used: dict[tuple[str, str, str], Factor] = {}
        self._batches: list[_Batch] = []

    # -- factors --------------------------------------------------------------------------------

    def factor(self, key: str, region: str | None = None,
               rule: SelectionRule | str | None = "timeless") -> Factor:
        """One factor, remembered for provenance.

        Parameters
        ----------
        key : str
            Factor key, ``sector.<plugin>.*`` for the plugin's own defaults.
        region : str, optional
            Region code (``"CN"``, ``"GLOBAL"``, ``"CN-AH"``); default :attr:`region`. No
            fallback to a wider region.
        rule : SelectionRule or str, optional
            Data-year rule (``"timeless"``, the default; ``"year:2022"``; ``"latest:Y-1"``,
            relative to the reporting year).

        Raises
        ------
        FactorNotFoundError
            Naming the request and what exists for the key.
        """
        region = region or self.region
        memo_key = (key, region, str(rule))
        memo = self.factors_used.get(memo_key)
        if memo is None:
            memo = self.library.get(key, region, rule=rule, reporting_year=self.reporting_year)
            self.factors_used[memo_key] = memo
        return memo

    def lookup(self, keys: Sequence[str] | np.ndarray, rows: Rows, field: str, *,
               region: str | None = None, rule: SelectionRule | str | None = "timeless",
               index: Sequence[int] | np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised default lookup: one key per row.

        Parameters
        ----------
        keys : sequence of str
            One factor key per row looked up.
        rows : Rows
            The table the rows come from (for the labels of problems).
        field : str
            The field the default stands for (for problems).
        region, rule
            As in :meth:`factor`.
        index : sequence of int, optional
            Positions in ``rows`` of the rows looked up (``len(index) == len(keys)``); default:
            every row.

        Returns
        -------
        values : numpy.ndarray
            float64 [unit of the factor]; NaN where no factor exists.
        citations : numpy.ndarray of str
        confirmed : numpy.ndarray of bool

        A key without a factor is a problem on that row and field (value NaN), reported with the
        other problems of the pass.
        """
        keys = np.asarray(keys, dtype=object)
        labels = rows.labels if index is None else [rows.labels[int(i)] for i in index]
        values = np.full(len(keys), np.nan)
        cites = np.full(len(keys), "", dtype=object)
        confirmed = np.ones(len(keys), dtype=bool)
        for key in dict.fromkeys(keys.tolist()):
            mask = keys == key
            try:
                f = self.factor(key, region, rule)
            except FactorNotFoundError as exc:
                for i in np.flatnonzero(mask):
                    self.problem(f"no default value for this row ({exc})", row=labels[i],
                                 field=field, expected=f"a measured value for {field!r}, or a "
                                 "row the plugin has defaults for")
                continue
            values[mask] = f.value
            cites[mask] = f"{key} = {f.value:g} {f.unit}: {f.citation()}"
            confirmed[mask] = f.confirmed
        return values, cites, confirmed

    def problem(self, message: str, *, row=None, field=None, found=None, expected=None) -> None:
        """Record a data problem; all problems are raised together after the kernel ran.

        Parameters
        ----------
        message : str
            What is wrong.
        row, field : str, optional
            Where (``process.<sector>.<table>[i]`` and the key).
        found, expected : optional
            What was found and what was expected.
        """
        self.problems.append(Problem(file=self.file, message=message, row=row, field=field,
                                     found=found, expected=expected))

    # -- emissions ------------------------------------------------------------------------------

    def emit(self, category: str, *, gas, source, carrier, activity, activity_unit: str,
             factor_value, factor_unit: str, factor_source="", emissions=None,
             factor_keys: Iterable[str] | Sequence[tuple] = (), confirmed=True, formula: str = "",
             details: Sequence[dict] | dict | None = None, tag: str | None = None) -> None:
        """Record line items for whole arrays at once.

        Parameters
        ----------
        category : {"process", "fugitive"}
            GB/T 32150-2015 Scope 1 category.
        gas : str or array of str
            Gas as named in :data:`carbon_core.units.GASES` (``"CO2"``, ``"CF4"`` ...).
        source, carrier : array of str
            Input row id and what was emitted from.
        activity : array of float
            [``activity_unit``].
        activity_unit, factor_unit : str
            Units; ``activity_unit x factor_unit`` must convert to tonnes.
        factor_value : array of float
            [``factor_unit``].
        factor_source : str or array of str
            Citation of the factor.
        emissions : array of float, optional
            [t of ``gas``]; default ``activity x factor_value`` converted to tonnes.
        factor_keys : sequence
            Factor keys used (one tuple per row, or one for all).
        confirmed : bool or array of bool
            Whether the factors used are confirmed (confidence C).
        formula : str
        details : dict or sequence of dict, optional
        tag : str, optional
            Distinguishes several items of one row and gas in the line-item id
            ``<plugin>:<tag>:<source>:<gas>`` (default: the category).

        Scalars broadcast over the rows.
        """
        source = np.atleast_1d(np.asarray(source, dtype=object))
        n = len(source)

        def arr(x, dtype):
            a = np.asarray(x, dtype=dtype)
            return np.broadcast_to(a, (n,)).copy() if a.ndim == 0 or len(a) != n else a

        activity = arr(activity, float)
        factor_value = arr(factor_value, float)
        if emissions is None:
            scale = _units.product_factor(activity_unit, factor_unit, "t")
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
        """Tonnes of ``gas`` emitted so far (all gases when None: then only meaningful for CO2).

        Parameters
        ----------
        gas : str, optional
            The gas (``"CO2"``, ``"CH4"`` ...).
        tag : str, optional
            Only the items emitted with this tag.
        """
        total = 0.0
        for b in self._batches:
            if tag is not None and b.tag != tag:
                continue
            mask = np.ones(len(b.gas), bool) if gas is None else (b.gas == gas)
            total += float(b.emissions[mask].sum())
        return total

    def total_tco2e(self, *, tag: str | None = None) -> float:
        """CO2e emitted so far [tCO2e] with the inventory's GWP set (only items of ``tag``).

        Parameters
        ----------
        tag : str, optional
            Only the items emitted with this tag.
        """
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
        Factor files (format of ``factors/README.md``) inside ``factor_package``, as
        ``/``-separated paths (``"data/glass.toml"``).
    factor_package : str or None
        Package holding ``factor_files``; default (None): the package of the plugin's own module,
        so a plugin ships its data beside its code (as package data).
    claimed_carriers : tuple of str
        Carriers whose carbon the plugin may account itself (a feedstock, a reductant): the
        engine refuses a core fuel line for a claimed carrier (it would be counted twice).
        :meth:`claims` returns the ones actually claimed for given inputs (default: all).
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
    version: str = ""  # class attribute; the manager sets the distribution's on the instance
    method: ClassVar[str] = ""
    references: ClassVar[tuple[str, ...]] = ()
    tables: ClassVar[tuple[Table, ...]] = ()
    factor_files: ClassVar[tuple[str, ...]] = ()
    factor_package: ClassVar[str | None] = None
    claimed_carriers: ClassVar[tuple[str, ...]] = ()
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

    @classmethod
    def example_factory(cls) -> FactoryView | None:
        """The factory (energy, production) the conformance suite runs the examples in; None: an
        empty view. Plugins reading :attr:`SectorContext.factory` give one."""
        return None

    def claims(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        """Carriers this plugin accounts itself for these validated inputs (default:
        :attr:`claimed_carriers`); the engine refuses a core fuel line for any of them.

        Parameters
        ----------
        data : mapping
            The plugin's validated inputs (:meth:`validate`).

        Returns
        -------
        tuple of str
            Carrier ids.
        """
        return tuple(self.claimed_carriers)

    # -- hooks (a SectorPlugin instance is itself a pluggy plugin) ----------------------------

    @hookimpl
    def carbon_sector_plugins(self):
        """This sector (hook :func:`carbon_core.hookspecs.carbon_sector_plugins`)."""
        return [self]

    @hookimpl
    def carbon_factor_tables(self):
        """:meth:`factor_tables` (hook :func:`carbon_core.hookspecs.carbon_factor_tables`)."""
        return self.factor_tables()

    @hookimpl
    def carbon_metric_definitions(self):
        """:meth:`metric_infos` (hook :func:`carbon_core.hookspecs.carbon_metric_definitions`)."""
        return self.metric_infos()

    @hookimpl
    def carbon_indicator_contributions(self):
        """:attr:`indicator_contributions` (hook of the same name)."""
        return [dict(c) for c in self.indicator_contributions]

    @hookimpl
    def carbon_unit_definitions(self):
        """:attr:`unit_definitions` (hook of the same name)."""
        return list(self.unit_definitions)

    # -- public API -----------------------------------------------------------------------------

    def package(self) -> str:
        """The package holding the plugin's factor files: :attr:`factor_package`, or the package
        of the module defining the plugin's class."""
        if self.factor_package:
            return self.factor_package
        module = type(self).__module__
        return module.rpartition(".")[0] or module

    def factor_tables(self) -> list:
        """The plugin's factor files, as ``importlib.resources`` Traversables.

        Raises
        ------
        PluginError
            A file listed in :attr:`factor_files` that its package does not contain (naming the
            plugin, the file and the package).
        """
        package = self.package()
        root: Any
        module = sys.modules.get(package)
        if module is not None and not hasattr(module, "__path__") and getattr(
                module, "__file__", None):
            root = Path(str(module.__file__)).parent   # a top-level module: its folder
        else:
            try:
                root = resources.files(package)
            except (ModuleNotFoundError, TypeError) as exc:
                raise PluginError(f"plugin {self.name!r}: factor package {package!r} cannot be "
                                  f"found ({exc})") from None
        out = []
        for name in self.factor_files:
            path = root
            for part in name.split("/"):
                path = path / part
            if not path.is_file():
                raise PluginError(f"plugin {self.name!r}: factor file {name!r} is not in package "
                                  f"{package!r}; ship it as package data beside the plugin, or "
                                  "set factor_package")
            out.append(path)
        return out

    def metric_infos(self) -> list[MetricInfo]:
        """The declared metrics under their published names ``sector.<name>.<short>``."""
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
            "claimed_carriers": list(self.claimed_carriers),
            "metrics": [m.name for m in self.metric_infos()],
            "indicators": [c.get("id") for c in self.indicator_contributions],
            "units": list(self.unit_definitions),
        }

    def validate(self, inputs: Mapping | None, *, file: str = "inventory") -> dict[str, Any]:
        """Check ``inputs`` against :attr:`tables`; return arrays in canonical units.

        Parameters
        ----------
        inputs : mapping or None
            The inventory's ``[process.<sector>]`` table.
        file : str
            The inventory file, for problems.

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
                region: str = "CN", factory: FactoryView | None = None) -> SectorResult:
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
        reporting_year : int, optional
            For factor rules relative to the year (``latest:Y-1``).
        region : str
            Default region of factor lookups.
        factory : FactoryView, optional
            The factory as the core counted it (energy by carrier, production); default empty.

        Returns
        -------
        SectorResult
            Line items (Scope 1, [t gas] and [tCO2e]), metrics ``sector.<name>.*``, claims.

        Raises
        ------
        InputError
            Every problem of the inputs, and every data problem the kernel found, at once.
        PluginError
            The kernel broke the contract, or raised any other exception (wrapped, naming the
            plugin).
        """
        data = self.validate(inputs, file=file)
        ctx = SectorContext(self, library, gwp_set=gwp_set, file=file,
                            reporting_year=reporting_year, region=region, factory=factory)
        self._guarded(self._compute, data, ctx)
        if ctx.problems:
            raise InputError(ctx.problems)
        items = ctx._line_items()
        short = self._guarded(self._metrics, data, ctx) or {}
        declared = {m.name for m in self.metric_definitions}
        undeclared = sorted(set(short) - declared)
        if undeclared:
            raise PluginError(f"plugin {self.name!r} returned undeclared metrics {undeclared}; "
                              f"declare them in metric_definitions")
        metrics = {f"sector.{self.name}.{k}": (None if v is None else float(v))
                   for k, v in short.items()}
        claims = tuple(self._guarded(self.claims, data))
        return SectorResult(plugin=self.name, version=self.version, line_items=items,
                            metrics=metrics, factors=list(ctx.factors_used.values()),
                            claims=claims)

    def _guarded(self, fn, *args):
        """Call plugin code; any exception but the contract's own becomes a PluginError."""
        try:
            return fn(*args)
        except (InputError, PluginError):
            raise
        except FactorNotFoundError as exc:
            raise PluginError(f"plugin {self.name!r} ({type(self).__module__}) looked up a "
                              f"factor that does not exist in {fn.__name__}: {exc}") from exc
        except Exception as exc:
            raise PluginError(f"plugin {self.name!r} ({type(self).__module__}) raised "
                              f"{type(exc).__name__} in {fn.__name__}: {exc}") from exc

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sector {self.name!r} {self.version}>"


# --------------------------------------------------------------------------------------------------
# Shared kernels
# --------------------------------------------------------------------------------------------------


def mass_balance(start, end, purchased, shipped, recovered) -> np.ndarray:
    """Emissions of a stored gas by mass balance, element-wise [same unit as the inputs].

    ``E = (start - end) + purchased - shipped - recovered``: the stock decrease plus purchases, less
    the gas that left the site in products (charged into refrigerators, vehicles, switchgear) or was
    sent back for recycling or destruction (IPCC 2006 Vol. 3 ch. 7 §7.5.2 and ch. 8 §8.2, the
    factory-level form of the mass-balance approach).

    Parameters
    ----------
    start, end : array_like
        Stock of the gas at the start and the end of the year.
    purchased : array_like
        Gas bought in the year.
    shipped : array_like
        Gas that left the site in products.
    recovered : array_like
        Gas sent back for recycling or destruction.

    Returns
    -------
    numpy.ndarray
        Emissions, float64, in the unit of the inputs (one unit for all five, e.g. kg).

    References
    ----------
    IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 3 ch. 7 §7.5.2
    (refrigeration, mass-balance approach) and ch. 8 §8.2 (electrical equipment, SF6).

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
