"""Results of a computation: an xarray Dataset, the line items, metrics and provenance.

:class:`Results` is the Python API other programs use; :meth:`Results.to_dict` is the results JSON,
validated against ``carbon_core/schemas/results.schema.json`` (``carbon schema results``).

Every total is the exactly rounded sum (:func:`math.fsum`) of its line items, so a verifier who
adds the line items in any order with exact summation gets the same number to the last digit.
"""

from __future__ import annotations

import hashlib
import json
import math
from math import isfinite
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotations only: xarray is imported where a Dataset is built
    import xarray as xr

from ._gcpause import gc_paused
from .lineitems import CATEGORIES, LINE_FIELDS, LineItem

__all__ = ["Results", "SCHEMA_VERSION", "load_schema", "validate_results"]

SCHEMA_VERSION = "1.0"


def load_schema(name: str) -> dict:
    """A JSON Schema shipped in ``carbon_core/schemas`` (``results``, ``score``, ``balance``...).

    Parameters
    ----------
    name : str
        The schema's name: the file ``<name>.schema.json`` without the suffix.

    Returns
    -------
    dict
        The parsed schema; for ``results``, with the ``balance`` schema inlined as the
        ``balance`` property.

    Raises
    ------
    KeyError
        For a name with no schema file; the message lists the available ones.
    """
    path = resources.files("carbon_core") / "schemas" / f"{name}.schema.json"
    if not path.is_file():
        have = sorted(p.name.removesuffix(".schema.json")
                      for p in (resources.files("carbon_core") / "schemas").iterdir()
                      if p.name.endswith(".schema.json"))
        raise KeyError(f"no schema {name!r}; available: {have}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    if name == "results":  # the balance section has its own schema, owned by carbon_core.balance
        schema["properties"]["balance"] = load_schema("balance")
    return schema


def validate_results(doc: dict) -> None:
    """Validate a results JSON document against the results schema.

    Parameters
    ----------
    doc : dict
        A results document, as :meth:`Results.to_dict` makes it or as read back from JSON.

    Raises
    ------
    jsonschema.ValidationError
        At the first place the document does not fit the schema.
    """
    _validator().validate(doc)


@lru_cache(maxsize=1)
def _validator():
    """The results schema compiled once per process (building a validator costs ~0.3 s)."""
    import jsonschema

    schema = load_schema("results")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _fsum(values) -> float:
    return float(math.fsum(values))


@dataclass
class Results:
    """The outcome of :func:`carbon_core.compute` for one factory and reporting year: a record.

    :func:`carbon_core.engine.compute` runs the whole pipeline and fills every field; this class
    computes nothing but views over what it holds (exact sums of line items, the monthly table,
    the results JSON).

    Attributes
    ----------
    inventory : Inventory
        The validated inventory the result was computed from.
    line_items : list of LineItem
        Every activity x factor, the unit of truth; totals are their :func:`math.fsum`.
    metrics : dict of str to float or None
        Named numbers for the scoring layer (see :func:`carbon_core.engine.available_metrics`).
    energy : dict
        Comprehensive energy consumption [tce], 当量值 and 等价值, with its items by carrier
        (GB/T 2589-2020).
    electricity : dict of str to float
        Electricity over the year by role [kWh]: ``grid_purchase``, ``onsite_generation``,
        ``onsite_renewable``, ``export``.
    provenance : dict
        Engine version, input and factor files with hashes, factors used, selection rules.
    data_quality : dict
        Gap fills and register rollovers of the meter data, and the gap policy.
    scope2_market_tco2e : float
        Market-based Scope 2 [tCO2e] (GHG Protocol Scope 2 Guidance 2015).
    scope2_market_basis : str
        How the market-based figure was obtained.
    balance : dict or None
        The net-zero balance section (``schemas/balance.schema.json``).
    sectors : dict
        Sector plugins used (name -> version) and their metrics.
    role_series : carbon_core.balance.market.ElectricitySeries or None
        Electricity by role on one time axis [kWh per interval], as the balance matched it
        (plain arrays; :attr:`electricity_series` is the same as an xarray Dataset).
    meter_data : MeterBackend or None
        The meter data the result was computed from (:mod:`carbon_core.backends`).
    emissions_monthly : numpy.ndarray
        Emissions per line item and month [tCO2e], shape (line items, 12).
    emissions_unallocated : numpy.ndarray
        Emissions per line item not attributable to a month [tCO2e] (annual invoices, plugin
        totals).
    sections : dict
        Further sections of the results JSON by name (Scope 3 detail, ``iso14064``,
        ``biogenic``).
    pending_claims : carbon_core.balance.ledger.PendingClaims or None
        Claims checked against the ledger but not yet recorded: committed as the run's last
        step (:func:`carbon_core.compute` does it, the CLI after writing the output).
    meter_ids : list of str
        The meters of ``activity_monthly``, in its row order.
    activity_monthly : numpy.ndarray
        Metered activity per meter and month [canonical unit of each meter's carrier].

    Notes
    -----
    :attr:`dataset` and :attr:`electricity_series` are built from these arrays the first time
    they are read (xarray is imported then, not by a compute).
    """

    inventory: Any
    line_items: list[LineItem]
    metrics: dict[str, float | None]
    energy: dict
    electricity: dict
    provenance: dict
    data_quality: dict
    scope2_market_tco2e: float
    scope2_market_basis: str
    balance: dict | None = None
    sectors: dict = field(default_factory=dict)
    role_series: Any = None
    meter_data: Any = None
    #: further sections of the results JSON by name (Scope 3 detail, iso14064, biogenic)
    sections: dict = field(default_factory=dict)
    #: claims checked against the ledger but not yet recorded: committed as the run's last step
    #: (``carbon_core.compute`` does it, the CLI after writing the output)
    pending_claims: Any = None
    emissions_monthly: np.ndarray = field(default_factory=lambda: np.zeros((0, 12)))
    emissions_unallocated: np.ndarray = field(default_factory=lambda: np.zeros(0))
    meter_ids: list[str] = field(default_factory=list)
    activity_monthly: np.ndarray = field(default_factory=lambda: np.zeros((0, 12)))

    # -- xarray views, built on first use --------------------------------------------------------

    @cached_property
    def dataset(self) -> xr.Dataset:
        """The result as an :class:`xarray.Dataset`.

        ``emissions_tco2e(line_item, month)`` [tCO2e], ``emissions_unallocated_tco2e(line_item)``
        [tCO2e], ``activity(meter, month)`` [canonical unit of each meter, coordinate ``unit``],
        with category/scope/gas coordinates.
        """
        import xarray as xr

        from ._version import __version__
        from .carriers import metered_unit

        inv, items = self.inventory, self.line_items
        units = [metered_unit(inv.meter(m).carrier, inv.meter(m).unit) for m in self.meter_ids]
        return xr.Dataset(
            {
                "emissions_tco2e": (("line_item", "month"), self.emissions_monthly,
                                    {"units": "tCO2e", "long_name": "monthly emissions"}),
                "emissions_unallocated_tco2e": (("line_item",), self.emissions_unallocated,
                                                {"units": "tCO2e", "long_name":
                                                 "emissions not attributable to a month "
                                                 "(annual invoices, plugin totals)"}),
                "activity": (("meter", "month"), self.activity_monthly,
                             {"long_name": "metered activity per month, canonical unit of the "
                                           "carrier (see coordinate 'unit')"}),
            },
            coords={
                "line_item": [li.id for li in items], "month": np.arange(1, 13),
                "meter": self.meter_ids, "unit": ("meter", units),
                "category": ("line_item", [li.category for li in items]),
                "scope": ("line_item", [li.scope for li in items]),
                "gas": ("line_item", [li.gas for li in items]),
            },
            attrs={"factory": inv.factory.name, "reporting_year": inv.reporting_year,
                   "gwp_set": inv.gwp_set, "engine_version": __version__},
        )

    @cached_property
    def electricity_series(self) -> xr.Dataset | None:
        """Electricity by role on one time axis [kWh per interval], as the balance matched it:
        :attr:`role_series` as an :class:`xarray.Dataset` (attribute ``interval``)."""
        return None if self.role_series is None else self.role_series.to_dataset()

    # -- totals -------------------------------------------------------------------------------

    def total(self, *, scope: int | None = None, category: str | None = None) -> float:
        """Exact sum (:func:`math.fsum`) of the line items of a scope and/or category.

        Parameters
        ----------
        scope : {1, 2, 3}, optional
            Only the line items of this scope (all scopes when None).
        category : str, optional
            A category of :data:`carbon_core.lineitems.CATEGORIES` (GB/T 32150-2015).

        Returns
        -------
        float
            [tCO2e]; exported electricity and heat count negative (GB/T 32150-2015 §6.4).
        """
        return _fsum(li.emissions_tco2e for li in self.line_items
                     if (scope is None or li.scope == scope)
                     and (category is None or li.category == category))

    @property
    def scope1_tco2e(self) -> float:
        """Scope 1 [tCO2e]: combustion, process and fugitive (GB/T 32150-2015)."""
        return self.total(scope=1)

    @property
    def scope2_location_tco2e(self) -> float:
        """Location-based Scope 2 [tCO2e], exports deducted (GB/T 32150-2015 §6.3-6.4)."""
        return self.total(scope=2)

    @property
    def scope3_tco2e(self) -> float:
        """Scope 3 [tCO2e] of the categories the inventory declares (GHG Protocol Scope 3)."""
        return self.total(scope=3)

    # -- views --------------------------------------------------------------------------------

    def monthly_table(self) -> list[dict]:
        """Monthly totals by scope [tCO2e], plus the part not attributable to a month.

        Returns
        -------
        list of dict
            Twelve rows ``{"month": "YYYY-MM", "scope1_tco2e", "scope2_location_tco2e",
            "scope3_tco2e"}`` and one row ``"unallocated"`` (annual invoices, plugin totals).
        """
        scope = np.array([li.scope for li in self.line_items], dtype=int)
        em, un = self.emissions_monthly, self.emissions_unallocated
        year = self.inventory.reporting_year
        rows = []
        for k in range(12):
            col = em[:, k]
            rows.append({"month": f"{year}-{k + 1:02d}",
                         "scope1_tco2e": _fsum(col[scope == 1]),
                         "scope2_location_tco2e": _fsum(col[scope == 2]),
                         "scope3_tco2e": _fsum(col[scope == 3])})
        rows.append({"month": "unallocated",
                     "scope1_tco2e": _fsum(un[scope == 1]),
                     "scope2_location_tco2e": _fsum(un[scope == 2]),
                     "scope3_tco2e": _fsum(un[scope == 3])})
        return rows

    def to_dict(self) -> dict:
        """The results JSON document (``carbon schema results``), JSON-ready.

        Returns
        -------
        dict
            Emissions [tCO2e] by scope, category and gas; energy [tce] (当量值 and 等价值, GB/T
            2589-2020); electricity [kWh]; intensities; monthly table; line items; metrics;
            data quality; provenance; the balance and the sectors when present. Non-finite
            numbers become null.
        """
        with gc_paused():  # ~10 M values for 100,000 Scope 3 lines: no cycles to look for
            return self._to_dict()

    def _to_dict(self) -> dict:
        inv = self.inventory
        by_cat = {c: self.total(category=c) for c in CATEGORIES
                  if any(li.category == c for li in self.line_items)}
        by_gas: dict[str, float] = {}
        for gas in sorted({li.gas for li in self.line_items if li.scope == 1}):
            by_gas[gas] = _fsum(li.emissions_tco2e for li in self.line_items
                                if li.scope == 1 and li.gas == gas)
        doc = {
            "schema_version": SCHEMA_VERSION,
            "factory": {"name": inv.factory.name, "credit_code": inv.factory.credit_code,
                        "district": inv.factory.district, "sectors": list(inv.factory.sectors),
                        "grid_province": inv.factory.grid_province,
                        "grid_region": inv.factory.grid_region},
            "reporting_year": inv.reporting_year,
            "gwp_set": inv.gwp_set,
            "scope1": {"total_tco2e": self.scope1_tco2e,
                       "by_category": {c: v for c, v in by_cat.items() if CATEGORIES[c][0] == 1},
                       "by_gas_tco2e": by_gas},
            "scope2": {"location_based_tco2e": self.scope2_location_tco2e,
                       "market_based_tco2e": self.scope2_market_tco2e,
                       "market_based_basis": self.scope2_market_basis,
                       "by_category": {c: v for c, v in by_cat.items() if CATEGORIES[c][0] == 2}},
            "scope3": {"total_tco2e": self.scope3_tco2e,
                       "by_category": _scope3_by_category(self.line_items)},
            "total_tco2e": self.scope1_tco2e + self.scope2_location_tco2e,
            "total_basis": "Scope 1 + location-based Scope 2, exports deducted (GB/T 32150-2015)",
            "energy": {
                "total_tce": self.energy["total_tce_calorific"],
                "total_tce_basis": "当量值 calorific value (GB/T 2589-2020)",
                "total_tce_calorific": self.energy["total_tce_calorific"],
                "total_tce_equivalent": self.energy["total_tce_equivalent"],
                "items": [_energy_item(e) for e in self.energy["items"]],
            },
            "electricity_kwh": {k: float(v) for k, v in self.electricity.items()}
            | {"consumed": float(self.energy["electricity_consumed_kwh"]),
               # export is attributed to on-site generation first (the conservative reading)
               "onsite_self_consumed": float(max(self.electricity["onsite_generation"]
                                                 - self.electricity["export"], 0.0))},
            "intensities": {k.removeprefix("intensity."): v for k, v in self.metrics.items()
                            if k.startswith("intensity.")},
            "production": {"output": inv.production.output,
                           "output_unit": inv.production.output_unit,
                           "value_added_wan_cny": inv.production.value_added_wan_cny},
            "monthly": self.monthly_table(),
            "line_items": [],  # filled below, in place (one pass over each line item)
            "metrics": dict(self.metrics),
            "data_quality": self.data_quality,
            "provenance": self.provenance,
        }
        if self.balance is not None:
            doc["balance"] = self.balance
        if self.sectors:
            doc["sectors"] = self.sectors
        doc.update(self.sections)
        out = _jsonable(doc)
        out["line_items"] = [_line_item_json(li) for li in self.line_items]
        return out

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """The results JSON as text (UTF-8 characters unescaped); written to ``path`` if given.

        Parameters
        ----------
        path : str or Path, optional
            File to write the JSON to (UTF-8, with a final newline).
        indent : int
            Spaces per indentation level (default 2).

        Returns
        -------
        str
            The JSON text (without the final newline).
        """
        from .outputs.json import dumps

        text = dumps(self.to_dict(), indent=indent)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text


def _scope3_by_category(items) -> dict:
    out: dict[str, list[float]] = {}
    for li in items:
        if li.scope == 3:
            out.setdefault(str(li.details.get("scope3_category", "other")), []).append(
                li.emissions_tco2e)
    return {k: _fsum(v) for k, v in out.items()}


def _energy_item(e: dict) -> dict:
    return {k: v for k, v in e.items() if k != "factors"} | {
        "factors": [f.to_dict() for f in e.get("factors", ())]}


def _jsonable(obj):
    """A JSON-ready copy of ``obj``: str keys, lists for tuples, Python numbers for numpy
    scalars, None for non-finite floats, str for paths, dicts for dataclass records.

    The exact built-in types are tested first: a results document of 100,000 Scope 3 lines
    holds ~10 M values, nearly all of them str, float, int or dict.
    """
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is float:
        return obj if isfinite(obj) else None
    if t is dict:  # leaves inline: most values of a dict are str or numbers
        out = {}
        for k, v in obj.items():
            if type(k) is not str:
                k = str(k)
            tv = type(v)
            if tv is str or tv is int or tv is bool or v is None:
                out[k] = v
            elif tv is float:
                out[k] = v if isfinite(v) else None
            else:
                out[k] = _jsonable(v)
        return out
    if t is list or t is tuple:
        return [v if type(v) is str else _jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    if is_dataclass(obj) and not isinstance(obj, type):  # a plugin's record, as asdict gives it
        return _jsonable(asdict(obj))
    return obj


def _line_item_json(li: LineItem) -> dict:
    """``_jsonable(li.to_dict())`` in one pass (the line items are most of a large document)."""
    return {name: _jsonable(getattr(li, name)) for name in LINE_FIELDS}
