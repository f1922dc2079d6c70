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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .lineitems import CATEGORIES, LineItem
from .carriers import CARRIERS
from .io.inventory import _is_mass
from .io.meters import file_sha256, year_grid
from .scopes import month_starts, monthly_totals

__all__ = ["Results", "SCHEMA_VERSION", "load_schema", "validate_results"]

SCHEMA_VERSION = "1.0"


def load_schema(name: str) -> dict:
    """A JSON Schema shipped in ``carbon_core/schemas`` (``results``, ``score``, ``balance``...)."""
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
    """Validate a results JSON document; raises jsonschema.ValidationError."""
    import jsonschema

    jsonschema.validate(doc, load_schema("results"))


def _fsum(values) -> float:
    return float(math.fsum(values))


@dataclass
class Results:
    """The outcome of :func:`carbon_core.compute` for one factory and reporting year.

    Attributes
    ----------
    inventory : Inventory
    dataset : xarray.Dataset
        ``emissions_tco2e(line_item, month)``, ``emissions_unallocated_tco2e(line_item)``,
        ``activity(meter, month)`` in canonical units, with category/scope/gas coordinates.
    line_items : list of LineItem
    metrics : dict
        Named numbers for the scoring layer (see :mod:`carbon_core.metrics`).
    energy : dict
        tce by carrier, 当量值 and 等价值.
    provenance : dict
    balance : dict or None
        The net-zero balance section, when computed.
    """

    inventory: Any
    dataset: xr.Dataset
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
    meter_data: Any = None

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def build(cls, *, inventory, library, line_items, monthly, unallocated, energy, electricity,
              meter_data, factors_used, sector, engine_version, ledger=None) -> "Results":
        inv = inventory
        ids = [li.id for li in line_items]
        months = np.arange(1, 13)
        meter_ids, activity = meter_data.monthly()
        units = [_canonical_unit(inv, m) for m in meter_ids]
        ds = xr.Dataset(
            {
                "emissions_tco2e": (("line_item", "month"), np.asarray(monthly, float).reshape(
                    len(ids), 12), {"units": "tCO2e", "long_name": "monthly emissions"}),
                "emissions_unallocated_tco2e": (("line_item",), np.asarray(unallocated, float),
                                                {"units": "tCO2e", "long_name":
                                                 "emissions not attributable to a month "
                                                 "(annual invoices, plugin totals)"}),
                "activity": (("meter", "month"), activity,
                             {"long_name": "metered activity per month, canonical unit of the "
                                           "carrier (see coordinate 'unit')"}),
            },
            coords={
                "line_item": ids, "month": months, "meter": meter_ids,
                "unit": ("meter", units),
                "category": ("line_item", [li.category for li in line_items]),
                "scope": ("line_item", [li.scope for li in line_items]),
                "gas": ("line_item", [li.gas for li in line_items]),
            },
            attrs={"factory": inv.factory.name, "reporting_year": inv.reporting_year,
                   "gwp_set": inv.gwp_set, "engine_version": engine_version},
        )
        # market-based Scope 2 and the balance
        location = _fsum(li.emissions_tco2e for li in line_items if li.scope == 2)
        market, basis, balance, extra_metrics = location, (
            "equal to location-based: no contractual instruments were evaluated "
            "(the net-zero balance was not computed)"), None, {}
        self = cls(inventory=inv, dataset=ds, line_items=line_items, metrics={}, energy=energy,
                   electricity=electricity, provenance={}, data_quality={},
                   scope2_market_tco2e=market, scope2_market_basis=basis, balance=balance,
                   sectors={}, meter_data=meter_data)
        bal = _run_balance(self, library, ledger)
        self.pending_claims = getattr(bal, "pending_claims", None)
        if bal is not None:
            self.balance = bal.to_dict()
            # the balance prices electricity; heat and steam have no contractual instruments, so
            # their market-based figure is the location-based one (GHG Protocol Scope 2, 2015)
            heat = _fsum(li.emissions_tco2e for li in line_items
                         if li.category in ("purchased_heat", "exported_heat"))
            self.scope2_market_tco2e = float(bal.scope2_market_tco2e) + heat
            self.scope2_market_basis = (
                "market-based per the GHG Protocol Scope 2 hierarchy under policy "
                f"{self.balance.get('policy', {}).get('name')}: electricity from instruments and "
                "the residual factor (exports are not deducted; exported on-site generation "
                "reduces self-consumption), heat and steam as location-based")
            extra_metrics = dict(bal.metrics)
        if sector is not None:
            self.sectors = {"plugins": dict(sector.plugins), "metrics": dict(sector.metrics)}
        self.metrics = self._metrics() | extra_metrics | (dict(sector.metrics) if sector else {})
        # the plain name the results JSON promises (metrics.renewable_electricity_share)
        self.metrics["renewable_electricity_share"] = self.metrics.get(
            "balance.renewable_electricity_share")
        self.data_quality = {"fills": list(meter_data.fills),
                             "rollovers": list(meter_data.rollovers),
                             "gap_policy": inv.gap_policy,
                             "warnings": list(getattr(meter_data, "warnings", []))}
        from .io.meter_checks import intensity_warnings  # implausible magnitudes, never clamped

        self.data_quality["warnings"] += intensity_warnings(
            {k.removeprefix("intensity."): v for k, v in self.metrics.items()
             if k.startswith("intensity.")},
            _fsum(li.emissions_tco2e for li in line_items if li.scope in (1, 2)),
            float(energy["total_tce_calorific"]))
        self.provenance = _provenance(inv, meter_data, factors_used, library, engine_version,
                                      sector)
        self.provenance["files"]["policy"] = _policy_file(self.balance)
        # plugins cite their own factors on their line items: list those resting on unconfirmed ones
        self.provenance["unconfirmed_line_items"] = [
            li.id for li in line_items if not li.confirmed]
        return self

    # -- totals -------------------------------------------------------------------------------

    def total(self, *, scope: int | None = None, category: str | None = None) -> float:
        """Exact sum of the line items of a scope and/or category (tCO2e)."""
        return _fsum(li.emissions_tco2e for li in self.line_items
                     if (scope is None or li.scope == scope)
                     and (category is None or li.category == category))

    @property
    def scope1_tco2e(self) -> float:
        return self.total(scope=1)

    @property
    def scope2_location_tco2e(self) -> float:
        return self.total(scope=2)

    @property
    def scope3_tco2e(self) -> float:
        return self.total(scope=3)

    def _metrics(self) -> dict[str, float | None]:
        inv = self.inventory
        s1, s2 = self.scope1_tco2e, self.scope2_location_tco2e
        total = s1 + s2
        tce = self.energy["total_tce_calorific"]
        out = inv.production.output
        va = inv.production.value_added_wan_cny
        div = (lambda a, b: a / b if b else None)
        return {
            "emissions.scope1_tco2e": s1,
            "emissions.scope2_location_tco2e": s2,
            "emissions.scope2_market_tco2e": self.scope2_market_tco2e,
            "emissions.scope3_tco2e": self.scope3_tco2e,
            "emissions.total_tco2e": total,
            "energy.total_tce_calorific": tce,
            "energy.total_tce_equivalent": self.energy["total_tce_equivalent"],
            "electricity.consumed_mwh": self.energy["electricity_consumed_kwh"] / 1000.0,
            "electricity.onsite_renewable_mwh":
                (self.electricity["onsite_renewable"] - min(self.electricity["export"],
                                                            self.electricity["onsite_renewable"]))
                / 1000.0,
            "intensity.tco2e_per_output": div(total, out),
            "intensity.tco2e_per_wan_cny": div(total, va),
            "intensity.tce_per_output": div(tce, out),
            "intensity.tce_per_wan_cny": div(tce, va),
            "intensity.tco2e_per_tce": div(total, tce),
            "intensity.market_tco2e_per_tce": div(s1 + self.scope2_market_tco2e, tce),
        }

    # -- views --------------------------------------------------------------------------------

    def monthly_table(self) -> list[dict]:
        """Monthly totals by scope, plus the part not attributable to a month."""
        ds = self.dataset
        scope = ds["scope"].values
        em = ds["emissions_tco2e"].values
        un = ds["emissions_unallocated_tco2e"].values
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

    def electricity_series(self) -> xr.Dataset:
        """Electricity by role on one time axis, for temporal matching in the balance."""
        return electricity_series(self.inventory, self.meter_data)

    def to_dict(self) -> dict:
        """The results JSON document (see ``carbon schema results``)."""
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
            "line_items": [li.to_dict() for li in self.line_items],
            "metrics": dict(self.metrics),
            "data_quality": self.data_quality,
            "provenance": self.provenance,
        }
        if self.balance is not None:
            doc["balance"] = self.balance
        if self.sectors:
            doc["sectors"] = self.sectors
        return _jsonable(doc)

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
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


def _canonical_unit(inv, meter_id: str) -> str:
    m = inv.meter(meter_id)
    return _canonical_unit_of(m.carrier, m.unit)


@lru_cache(maxsize=256)
def _canonical_unit_of(carrier: str, unit: str) -> str:
    c = CARRIERS[carrier]
    if c.kind in ("steam", "hot_water") and not _is_mass(unit):
        return "GJ"
    return c.canonical_unit


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _provenance(inv, meter_data, factors_used, library, engine_version, sector) -> dict:
    sources = {}
    for f in factors_used:
        s = f.source
        sources[s.id] = {"id": s.id, "file": Path(s.file).name if s.file else None,
                         "sha256": s.sha256 or None, "citation": s.citation(),
                         "url": s.url or None}
    el = inv.electricity
    grid = [f for f in factors_used if f.key == el.key]
    return {
        "engine": {"name": "carbon_core", "version": engine_version},
        "inventory": {"path": str(inv.path), "sha256": file_sha256(inv.path)
                      if Path(inv.path).exists() else None},
        "input_files": meter_data.files,
        "factor_files": sorted(sources.values(), key=lambda d: d["id"]),
        "factors_used": [f.to_dict() for f in factors_used],
        "unconfirmed_factors": [
            f"{f.key} = {f.value:g} {f.unit} ({f.region}"
            + (f", data year {f.data_year}" if f.data_year is not None else "")
            + f"; {f.source.id}; confidence {f.confidence})"
            for f in factors_used if not f.confirmed],
        "measured_factors": [f.to_dict() for f in factors_used if f.measured],
        "gwp_set": inv.gwp_set,
        "selection_rules": {
            "electricity": {"key": el.key, "region": el.region, "rule": str(el.rule),
                            "described": el.rule.describe(inv.reporting_year),
                            "data_year": grid[0].data_year if grid else None,
                            "edition": grid[0].source.id if grid else None},
            "fuels": {"edition": inv.fuel_edition or "the single edition that matches"},
            "electricity_equivalent_tce": {"rule": "latest:Y-1"},
        },
        "plugins": dict(sector.plugins) if sector is not None else {},
        "files": _influencing_files(library),
    }


def _policy_file(balance: dict | None) -> dict | None:
    """The balance policy's file with its SHA-256 (None without a balance)."""
    from .io.paths import file_digest

    if not balance:
        return None
    pol = balance.get("policy", {})
    path = pol.get("file") or None
    return {"name": pol.get("name"), "file": Path(path).name if path else None,
            "sha256": file_digest(path)}  # the name only: results do not depend on where it lies


def _influencing_files(library) -> dict:
    """Every file that can influence a number, with its SHA-256: the GWP table and every factor
    file of the library (shipped and plugin tables); the policy is added by ``Results.build``."""
    gwp = None  # the GWP table the library holds (a verifier's bundle brings its own)
    for f in library:
        if f.key.startswith("gwp."):
            gwp = {"file": Path(f.source.file).name if f.source.file else None,
                   "sha256": f.source.sha256 or None}
            break
    seen: dict[str, dict] = {}
    for f in library:
        src = f.source
        if src.file and src.file not in seen:
            seen[src.file] = {"id": src.id, "file": Path(src.file).name,
                              "sha256": src.sha256 or None}
    return {"gwp_table": gwp, "factor_library": sorted(seen.values(), key=lambda d: d["file"])}


#: Time resolutions from finest to coarsest; "1Y" is one bin for the whole year.
_ORDER = ("15min", "1h", "1D", "1MS", "1Y")
_ROLES = {"grid_purchase": "grid_purchase_kwh", "onsite_generation": "onsite_generation_kwh",
          "export": "export_kwh"}


def _grid(year: int, interval: str) -> np.ndarray:
    if interval == "1Y":
        return np.array([np.datetime64(f"{year}-01-01", "ns")])
    return year_grid(year, interval)


def electricity_series(inv, data) -> xr.Dataset:
    """Electricity by role on one time axis: metered and invoiced (activities) together.

    Everything is brought to the coarsest resolution present (15 min -> hour -> day -> month ->
    year): an invoice for a month makes the axis monthly, an annual invoice makes it one bin for
    the year. Nothing finer is ever invented, so the balance reports the finer matching modes as
    unavailable rather than guessing a profile.
    """
    meters = [m for m in inv.meters if m.carrier == "electricity" and m.role in _ROLES]
    acts = [a for a in inv.activities if a.carrier == "electricity" and a.role in _ROLES]
    intervals = [m.interval for m in meters] + \
        ["1MS" if len(a.period) == 7 else "1Y" for a in acts]
    coarsest = max(intervals, key=_ORDER.index) if intervals else "1h"
    grid = _grid(inv.reporting_year, coarsest)
    names = list(_ROLES.values()) + ["onsite_renewable_kwh"]
    out = {v: np.zeros(grid.size) for v in names}
    for g in data.groups.values():
        # one weight matrix (variables x meters) per interval group: a single BLAS pass over the
        # data sums every meter into its role, instead of one temporary array per meter
        weights = np.zeros((len(names), len(g.meters)))
        for j, mid in enumerate(g.meters):
            m = inv.meter(mid)
            if m.carrier == "electricity" and m.role in _ROLES:
                weights[names.index(_ROLES[m.role]), j] = 1.0
                if m.role == "onsite_generation" and m.renewable:
                    weights[names.index("onsite_renewable_kwh"), j] = 1.0
        if not weights.any():
            continue
        summed = weights @ g.values
        for i, v in enumerate(names):
            out[v] += _resample(summed[i], g.time, g.interval, coarsest, grid)
    for a in acts:
        k = 0 if coarsest == "1Y" else int(a.period[5:]) - 1
        out[_ROLES[a.role]][k] += a.amount * a.to_canonical
    out["consumed_kwh"] = out["grid_purchase_kwh"] + out["onsite_generation_kwh"] - \
        out["export_kwh"]
    return xr.Dataset({k: ("time", v, {"units": "kWh"}) for k, v in out.items()},
                      coords={"time": grid}, attrs={"interval": coarsest})


def _resample(values: np.ndarray, time: np.ndarray, src: str, dst: str, grid: np.ndarray):
    if src == dst:
        return values
    if dst == "1Y":
        return np.array([values.sum()])
    if dst == "1MS":
        return monthly_totals(values, month_starts(time))
    k = values.size // grid.size
    return values.reshape(grid.size, k).sum(axis=1)


def _run_balance(results: Results, library, ledger):
    """The net-zero balance (``carbon_core.balance``): market-based Scope 2, matching, offsets.

    Always computed: without instruments it still gives market-based Scope 2 at the policy's
    residual factor and the CFE scores of on-site generation.
    """
    from .balance import BalanceInputs, compute_balance

    inv = results.inventory
    series = results.electricity_series()
    interval = series.attrs["interval"]
    days = int((np.datetime64(f"{inv.reporting_year + 1}-01-01") -
                np.datetime64(f"{inv.reporting_year}-01-01")).astype(int))
    step = {"15min": np.timedelta64(15, "m"), "1h": np.timedelta64(1, "h"),
            "1D": np.timedelta64(1, "D"), "1MS": np.timedelta64(31, "D"),
            "1Y": np.timedelta64(days, "D")}[interval]
    scope3 = {}
    for li in results.line_items:
        if li.scope == 3:
            key = str(li.details.get("scope3_category", "other"))
            scope3[key] = scope3.get(key, 0.0) + li.emissions_tco2e
    inputs = BalanceInputs(
        reporting_year=inv.reporting_year, factory_id=inv.factory.credit_code,
        factory_name=inv.factory.name, source_file=str(inv.path),
        instruments_raw=list(inv.sections("instruments")),
        offsets_raw=list(inv.sections("offsets")), balance_raw=dict(inv.sections("balance")),
        electricity=series, interval=step, scope1_tco2e=results.scope1_tco2e,
        scope2_location_tco2e=results.total(category="purchased_electricity")
        + results.total(category="exported_electricity"),
        scope2_heat_tco2e=results.total(category="purchased_heat")
        + results.total(category="exported_heat"),
        scope3_tco2e=scope3, library=library, grid_region=inv.factory.grid_region,
        grid_province=inv.factory.grid_province, ledger=ledger, gwp_set=inv.gwp_set,
        commit_claims=False)  # claims are committed last, by the caller (engine.compute, CLI)
    return compute_balance(inputs)
