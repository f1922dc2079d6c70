"""Orchestration: inventory + meter data + factors -> :class:`~carbon_core.results.Results`.

The flow is one way, and the whole of it is here (see ``docs/design.md``):

1. read and validate the inventory and the meter data (units converted once, to canonical units;
   meter data behind :class:`carbon_core.backends.MeterBackend`);
2. resolve every factor the inventory needs, by key, region and declared rule, with provenance;
3. build one *activity line* per (meter or activity, gas): monthly activity x factor;
4. compute all emissions with one vectorized multiply, then totals as exact sums of line items;
5. energy in tce (当量值 and 等价值), the sector plugins (which see the factory read-only), the
   dataset, the electricity series by role, the net-zero balance, the metrics and provenance;
6. hand the finished parts to :class:`~carbon_core.results.Results`, a record.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # xarray is imported where a Dataset is built
    import xarray as xr

from ._gcpause import gc_paused
from ._version import __version__
from .backends import INTERVALS, MeterBackend, as_backend
from .backends.memory import interval_grid
from .balance import BALANCE_METRICS, BalanceInputs, BalanceResult, compute_balance
from .balance.market import ElectricitySeries
from .carriers import CARRIERS, is_mass_unit, metered_unit
from .errors import FactorNotFoundError, InputError, Problem, UnitError
from .factors import Factor, FactorLibrary, SelectionRule, Source
from .io.inventory import Inventory, load_inventory
from .io.meters import MeterData, file_sha256, read_meter_data
from .io.paths import confine_data_files
from .lineitems import CATEGORIES, ActivityLine, LineItem
from .metrics import CORE_METRICS, MetricInfo
from .results import Results
from .sector import CarrierEnergy, FactoryView
from .scopes import CO2_PER_C, combustion_co2_factor, emissions, hot_water_to_gj, steam_to_gj
from .scope3 import (SCOPE3_METRICS, biomass_lines, build_scope3, parse_biogenic,
                     scope3_sections)
from .units import conversion_factor, gwp

__all__ = ["compute", "resolve_factor", "available_metrics", "ENGINE_METRICS", "core_metric_values",
           "electricity_series", "role_electricity", "run_balance", "factory_view"]

#: Every metric the engine itself computes: the core's and the balance's, each declared once.
ENGINE_METRICS: dict[str, MetricInfo] = (dict(CORE_METRICS) | dict(BALANCE_METRICS)
                                          | dict(SCOPE3_METRICS))

_GJ_PER_TCE = 29.3076  # GB/T 2589-2020: 1 kgce = 29 307.6 kJ (7 000 kcal x 4.1868)


def available_metrics(plugin_manager=None) -> dict[str, MetricInfo]:
    """Every metric the engine and the loaded plugins can provide.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        If given, metrics declared by its plugins (hook ``carbon_metric_definitions``) are added.

    Returns
    -------
    dict of str to MetricInfo
        :data:`ENGINE_METRICS` plus the plugins' ``sector.<plugin>.<name>`` metrics.

    Raises
    ------
    PluginError
        A plugin declaring a metric that the engine or another plugin already declares (no
        plugin ever replaces a metric silently).
    """
    metrics = dict(ENGINE_METRICS)
    if plugin_manager is not None:
        from .plugin_manager import metric_definitions

        metrics |= metric_definitions(plugin_manager, taken=metrics)
    return metrics


def resolve_factor(library: FactorLibrary, key: str, unit: str, *, region: str = "CN",
                   rule: SelectionRule | str | None = None, reporting_year: int | None = None,
                   edition: str | None = None) -> tuple[float, Factor]:
    """Look up a factor and convert its value to ``unit`` (the kernel's unit).

    Parameters
    ----------
    library : FactorLibrary
        The factor library to look in (shipped defaults, plugin tables, measured values).
    key : str
        Factor key (``"fuel.natural_gas.ncv"``).
    unit : str
        Unit the kernel works in (``"GJ/万Nm3"``); the factor's own unit must convert to it.
    region, rule, reporting_year, edition
        As in :meth:`FactorLibrary.get` (no fallback to another region, year or edition).

    Returns
    -------
    value : float
        The factor's value [``unit``].
    factor : Factor
        The factor with its source, for the line item's citation.

    Raises
    ------
    FactorNotFoundError
        Naming the request and what exists for the key.
    """
    f = library.get(key, region, rule=rule, reporting_year=reporting_year, edition=edition)
    return f.value * conversion_factor(f.unit, unit), f


@lru_cache(maxsize=4096)
def _citation(factors: tuple[Factor, ...]) -> str:
    if not factors:
        return "no factor: the activity is the emitted mass of the gas"
    return "; ".join(f"{f.key}={f.value:g} {f.unit}: {f.citation()}" for f in factors)


class _Builder:
    """Collects activity lines and factor problems for one inventory."""

    def __init__(self, inv: Inventory, library: FactorLibrary):
        self.inv = inv
        self.lib = library
        self.lines: list[ActivityLine] = []
        self.energy: list[dict] = []
        self.problems: list[Problem] = []
        self.used: dict[tuple, Factor] = {}
        self._resolved: dict[tuple, tuple[float, Factor]] = {}
        self.biogenic: list = []  # biogenic CO2 records (carbon_core.scope3.biogenic)
        #: electricity by role over the year [kWh], for energy and the balance
        self.electricity = {"grid_purchase": 0.0, "onsite_generation": 0.0,
                            "onsite_renewable": 0.0, "export": 0.0}

    def factor(self, key, unit, *, where, **kw) -> tuple[float, Factor] | None:
        """A factor in ``unit`` (memoised), or None with a problem recorded at ``where``."""
        kw.setdefault("reporting_year", self.inv.reporting_year)
        memo = (key, unit, *sorted(kw.items()))  # names are unique: values never compared
        if memo in self._resolved:  # 1,000 meters on one grid factor: one lookup
            return self._resolved[memo]
        try:
            value, f = resolve_factor(self.lib, key, unit, **kw)
        except FactorNotFoundError as exc:
            self.problems.append(Problem(file=str(self.inv.path), row=where, field="factor",
                                         message=str(exc), expected=f"a factor {key!r}"))
            return None
        self.used[(f.key, f.region, f.data_year, f.source.id)] = f
        self._resolved[memo] = (value, f)
        return value, f

    # -- dispatch by role ----------------------------------------------------------------------

    def add(self, src, months: np.ndarray, unallocated: float) -> None:
        """One meter or activity: the handler of its role (GB/T 32150-2015 category)."""
        handler = getattr(self, f"_role_{src.role}")
        handler(src, months, unallocated)

    def _tally(self, key: str, months: np.ndarray, unallocated: float) -> None:
        self.electricity[key] += months.sum() + unallocated

    def _role_fuel(self, src, months, unallocated):
        if CARRIERS[src.carrier].kind == "biomass":  # CO2 biogenic, apart (carbon_core.scope3)
            specs, record, energy = biomass_lines(self.factor, src, months, unallocated)
            self.lines.extend(specs)
            self.biogenic.extend([record] if record else [])
            self.energy.extend([energy] if energy else [])
            return
        self.fuel(src.id, src.carrier, months, unallocated, src.table)

    def _role_fugitive(self, src, months, unallocated):
        self.fugitive(src.id, src.carrier, months, unallocated)

    def _role_grid_purchase(self, src, months, unallocated):
        self.grid(src.id, "purchased_electricity", months, unallocated, src.table)
        self._tally("grid_purchase", months, unallocated)

    def _role_export(self, src, months, unallocated):
        self.grid(src.id, "exported_electricity", months, unallocated, src.table, sign=-1.0)
        self._tally("export", months, unallocated)

    def _role_onsite_generation(self, src, months, unallocated):
        # no line: renewable output emits nothing, fossil on-site generation is counted by its fuel
        self._tally("onsite_generation", months, unallocated)
        if getattr(src, "renewable", False):
            self._tally("onsite_renewable", months, unallocated)

    def _role_heat_purchase(self, src, months, unallocated, sign=1.0):
        mass = CARRIERS[src.carrier].kind in ("steam", "hot_water") and is_mass_unit(src.unit)
        self.heat(src.id, src.carrier, "purchased_heat" if sign > 0 else "exported_heat",
                  months, unallocated, src.table, src.enthalpy_kj_per_kg, src.temperature_c,
                  mass, sign=sign)

    def _role_heat_export(self, src, months, unallocated):
        self._role_heat_purchase(src, months, unallocated, sign=-1.0)

    def _role_submeter(self, src, months, unallocated):
        """Informational: a submeter is inside a main meter, never accounted (no double count)."""

    # -- per carrier kind ---------------------------------------------------------------------

    def fuel(self, sid, carrier, monthly, unallocated, where):
        """GB/T 32150-2015 combustion: FC x NCV x CC x OF x 44/12, and energy FC x NCV."""
        unit = CARRIERS[carrier].canonical_unit
        ed = self.inv.fuel_edition
        ncv = self.factor(f"fuel.{carrier}.ncv", f"GJ/{unit}", where=where, edition=ed)
        cc = self.factor(f"fuel.{carrier}.carbon_content", "tC/GJ", where=where, edition=ed)
        of = self.factor(f"fuel.{carrier}.oxidation", "dimensionless", where=where, edition=ed)
        if not (ncv and cc and of):
            return
        ef = float(combustion_co2_factor(ncv[0], cc[0], of[0]))
        self.lines.append(ActivityLine(
            id=f"fuel_combustion:{sid}:CO2", category="fuel_combustion", source=sid,
            carrier=carrier, monthly=monthly, unallocated=unallocated, activity_unit=unit,
            factor=ef, factor_unit=f"tCO2/{unit}", factors=(ncv[1], cc[1], of[1]),
            formula="E = FC x NCV x CC x OF x 44/12 (GB/T 32150-2015 §6.1; NDRC 2015 eq. 2)",
            details={"ncv_gj_per_unit": ncv[0], "carbon_content_tc_per_gj": cc[0],
                     "oxidation": of[0], "co2_per_c": CO2_PER_C}))
        for gas, key in (("CH4", "ch4"), ("N2O", "n2o")):
            k = f"fuel.{carrier}.{key}"
            if k in self.lib:
                f = self.factor(k, f"t {gas}/GJ", where=where, edition=ed)
                if f:
                    self.lines.append(ActivityLine(
                        id=f"fuel_combustion:{sid}:{gas}", category="fuel_combustion",
                        source=sid, carrier=carrier, monthly=monthly, unallocated=unallocated,
                        activity_unit=unit, factor=ncv[0] * f[0], factor_unit=f"t{gas}/{unit}",
                        factors=(ncv[1], f[1]), gas=gas, formula="E = FC x NCV x EF_gas"))
        self.energy.append(_fuel_energy(self, sid, carrier, float(monthly.sum() + unallocated),
                                        unit, ncv, where))

    def grid(self, sid, category, monthly, unallocated, where, sign=1.0):
        """Purchased (or, with ``sign=-1``, exported) electricity [kWh in, MWh on the line] x
        the grid factor [tCO2/MWh] the inventory selects (GB/T 32150-2015 §6.3-6.4)."""
        choice = self.inv.electricity
        f = self.factor(choice.key, "tCO2/MWh", where=where, region=choice.region,
                        rule=choice.rule)
        if not f:
            return
        self.lines.append(ActivityLine(
            id=f"{category}:{sid}:CO2", category=category, source=sid, carrier="electricity",
            monthly=monthly * 1e-3, unallocated=unallocated * 1e-3, activity_unit="MWh",
            factor=f[0], factor_unit="tCO2/MWh", factors=(f[1],), sign=sign,
            formula=("E = AD x EF_grid (GB/T 32150-2015 §6.3)" if sign > 0 else
                     "E = -AD x EF_grid, exported electricity deducted (GB/T 32150-2015 §6.4)"),
            details={"basis": "location", "factor_kind": choice.kind, "region": choice.region,
                     "selection": str(choice.rule)}))

    def fugitive(self, sid, gas, monthly, unallocated):
        """Refrigerant / SF6 top-up: the mass added replaces what leaked (IPCC 2006 Vol. 3
        §7.5.2, top-up method; GB/T 32150-2015 counts HFC/SF6 among the gases)."""
        self.lines.append(ActivityLine(
            id=f"fugitive:{sid}:{gas}", category="fugitive", source=sid, carrier=gas,
            monthly=monthly, unallocated=unallocated, activity_unit="t", factor=1.0,
            factor_unit=f"t{gas}/t", factors=(), gas=gas,
            formula="E = mass topped up x GWP (IPCC 2006 Vol. 3 §7.5.2, top-up method)"))

    def heat(self, sid, carrier, category, monthly, unallocated, where, enthalpy, temperature,
             metered_as_mass, sign=1.0):
        """Purchased (or exported) heat [GJ] x the heat factor [tCO2/GJ] (GB/T 32150-2015
        §6.3); steam by mass x (enthalpy - 83.74 kJ/kg), hot water by mass x (T - 20 °C) x
        4.1868 kJ/(kg K) (GB/T 32150-2015 appendix; NDRC 2015 guideline)."""
        if metered_as_mass and carrier == "steam":
            monthly, unallocated = (steam_to_gj(monthly, enthalpy),
                                    float(steam_to_gj(unallocated, enthalpy)))
            how = f"steam: AD = Ma x (En - 83.74) x 1e-3 GJ, En = {enthalpy} kJ/kg"
        elif metered_as_mass and carrier == "hot_water":
            monthly, unallocated = (hot_water_to_gj(monthly, temperature),
                                    float(hot_water_to_gj(unallocated, temperature)))
            how = f"hot water: AD = Ma x (T - 20) x 4.1868e-3 GJ, T = {temperature} °C"
        else:
            how = "heat metered in GJ"
        f = self.factor("heat.purchased.co2", "tCO2/GJ", where=where, region="CN")
        if f:
            self.lines.append(ActivityLine(
                id=f"{category}:{sid}:CO2", category=category, source=sid, carrier=carrier,
                monthly=monthly, unallocated=unallocated, activity_unit="GJ", factor=f[0],
                factor_unit="tCO2/GJ", factors=(f[1],), sign=sign,
                formula=f"E = AD x EF_heat (GB/T 32150-2015 §6.3); {how}"))
        self.energy.append(dict(id=sid, carrier=carrier, role="heat_export" if sign < 0 else
                                "heat_purchase", activity=float(monthly.sum() + unallocated),
                                unit="GJ", gj=float(sign * (monthly.sum() + unallocated)),
                                method="heat GJ x tce.heat.calorific (GB/T 2589-2020)",
                                factors=()))


#: Key families only the engine looks up: a measured value of one that no line used is refused.
_ENGINE_KEYS = ("tce.", "fuel.", "electricity.", "heat.")


def _unused_measured(inv: Inventory, b: "_Builder") -> None:
    used = {(f.key, f.region) for f in b.used.values() if f.measured}
    for i, f in enumerate(inv.measured_factors):
        if f.key.startswith(_ENGINE_KEYS) and (f.key, f.region) not in used:
            b.problems.append(Problem(
                file=str(inv.path), row=f"measured_factors[{i}]", field="key", found=f.key,
                message="measured factor not used by any line of this inventory (it would be "
                        "ignored)",
                expected="a key a line looks up (fuel.<carrier>.ncv, tce.<carrier>.calorific, "
                         "...) for a carrier and region the inventory uses; fix or remove it"))


def _fuel_energy(b: "_Builder", sid, carrier, amount, unit, ncv, where) -> dict:
    """A fuel's 综合能耗 in tce by GB/T 2589-2020: the factory's measured low calorific value
    (实测低位发热量) when it has one, else the standard's reference coefficient for the energy kind
    (附录A, ``tce.<fuel>.calorific``, or a measured override of it); the NDRC guideline's NCV only
    when neither applies (recorded as such). ``tce_basis`` names what was used on every line.

    References
    ----------
    GB/T 2589-2020 综合能耗计算通则, §4.2 (energy converted by its low calorific value; the
    reference coefficients of Appendix A where it is not measured).
    """
    base = dict(id=sid, carrier=carrier, role="fuel", activity=amount, unit=unit)
    if ncv[1].measured:
        return base | dict(gj=amount * ncv[0], tce_basis="measured_ncv",
                           method="FC x measured NCV / 29.3076 GJ/tce (GB/T 2589-2020 §4.2)",
                           factors=(ncv[1],))
    key = f"tce.{carrier}.calorific"
    if key in b.lib:
        try:
            coef = b.factor(key, f"tce/({unit})", where=where, region="CN")
        except UnitError:
            coef = None
            note = f"{key} is per a unit not convertible to {unit}"
        else:
            note = f"{key} not found"
        if coef:
            return base | dict(gj=amount * coef[0] * _GJ_PER_TCE, tce_basis="gbt2589_reference"
                               if not coef[1].measured else "measured_coefficient",
                               method=f"FC x {key} (GB/T 2589-2020 Appendix A"
                                      + (", measured override)" if coef[1].measured else ")"),
                               factors=(coef[1],))
        if b.problems and b.problems[-1].row == where and key in b.problems[-1].message:
            b.problems.pop()  # the coefficient does not apply to this unit: NCV below, recorded
    else:
        note = f"no GB/T 2589-2020 reference coefficient {key}"
    return base | dict(gj=amount * ncv[0], tce_basis="ndrc_ncv",
                       method=f"FC x NCV / 29.3076 GJ/tce ({note}; NCV of the emission "
                              "guideline used)", factors=(ncv[1],))


def _activity_monthly(a, year) -> tuple[np.ndarray, float]:
    """An activity's amount as (12 monthly values, unallocated)."""
    amount = a.amount * a.to_canonical
    months = np.zeros(12)
    if len(a.period) == 7:  # "YYYY-MM"
        months[int(a.period[5:]) - 1] = amount
        return months, 0.0
    return months, amount


def compute(inventory: Inventory | str | Path, *, library: FactorLibrary | None = None,
            meter_data: MeterBackend | MeterData | None = None, plugins: bool = True, ledger=None,
            progress: Callable[..., None] | None = None, commit_claims: bool = True,
            allow_outside: bool = False, as_of=None) -> Results:
    """Compute a factory's emissions, energy and balance for its reporting year.

    Parameters
    ----------
    inventory : Inventory or path
        The factory inventory (TOML path or a loaded :class:`Inventory`).
    library : FactorLibrary, optional
        Default: the shipped factor files, merged with every plugin's tables.
    meter_data : MeterBackend or MeterData, optional
        Already-read meter data: anything following :class:`carbon_core.backends.MeterBackend`
        (a chunked or dask backend), or the readers' :class:`~carbon_core.io.meters.MeterData`;
        default: read the inventory's files.
    plugins : bool
        Run the sector plugins the inventory names (default True).
    ledger : path, optional
        SQLite claims ledger in which certificate and offset claims are recorded and checked.
        The claims are checked during the run and recorded as its last step.
    commit_claims : bool
        Record the checked claims before returning (default). False leaves them on
        ``Results.pending_claims`` (``.commit()``), for a caller that must first write its output
        (``carbon compute``: validate, write to a temporary file, commit, rename).
    allow_outside : bool
        Accept data files outside the inventory's folder (absolute paths, ``..``); refused by
        default.
    progress : callable, optional
        Receives short stage descriptions.
    as_of : datetime.date or str, optional
        Use only factor editions published on or before this day
        (:meth:`FactorLibrary.as_of`); default the run date. Recorded in
        ``provenance.as_of``.

    Returns
    -------
    Results
        The record of the computation: line items [tCO2e], energy [tce], metrics, the balance,
        provenance.

    Raises
    ------
    InputError
        Every problem of the inventory, the meter files, the factors it needs, the sectors'
        inputs and the balance's tables, each naming file, row and field.
    PluginError
        A sector plugin broke its contract or raised (naming the plugin).

    References
    ----------
    GB/T 32150-2015 工业企业温室气体排放核算和报告通则; GB/T 2589-2020 综合能耗计算通则; GHG
    Protocol Scope 2 Guidance (2015); ISO 14068-1:2023.
    """
    inv = inventory if isinstance(inventory, Inventory) else load_inventory(inventory)
    confine_data_files(inv, allow_outside=allow_outside)
    pm = None
    if library is None:
        library = FactorLibrary.default()
        if plugins:
            from .plugin_manager import factor_library, get_plugin_manager

            pm = get_plugin_manager()
            library = factor_library(library, pm)
    from .factors import as_of_record, resolve_as_of

    as_of_day = resolve_as_of(as_of)
    library = library.as_of(as_of_day)
    if inv.measured_factors:
        library = library.with_measured(inv.measured_factors)
    backend = as_backend(meter_data if meter_data is not None
                         else read_meter_data(inv, progress=progress))
    if progress:
        progress("computing")
    if inv.factory.sectors and not plugins:
        raise InputError([Problem(file=str(inv.path), row="factory", field="sectors",
                                  found=list(inv.factory.sectors),
                                  message="the inventory names sectors but plugins are off",
                                  expected="plugins=True, or no sectors")])
    b = _Builder(inv, library)
    meter_ids, monthly = backend.monthly()
    row_of = {m: i for i, m in enumerate(meter_ids)}
    for m in inv.meters:
        b.add(m, monthly[row_of[m.id]], 0.0)
    for a in inv.activities:
        b.add(a, *_activity_monthly(a, inv.reporting_year))
    electricity = b.electricity

    s3 = build_scope3(inv, library, b.problems)  # carbon_core.scope3: categories, methods, DQ
    b.lines.extend(s3.lines)
    b.used.update(s3.factors_used)
    feedstocks, removals = parse_biogenic(inv.raw.get("biogenic"), str(inv.path), b.problems)
    energy = _energy(inv, b, electricity)
    _unused_measured(inv, b)  # a measured tce.* (or fuel.*) value is used or refused
    if b.problems:
        raise InputError(b.problems, title=f"{len(b.problems)} problem(s) with the lines of "
                                           f"{inv.path} (factors, quantities)")

    _gwp_factors(inv, b)  # the GWP of each non-CO2 line, with its confidence, is a factor used
    line_items, monthly_e, unalloc_e = _multiply(inv, b.lines)

    sector = None
    if plugins and inv.factory.sectors:
        from .plugin_manager import get_plugin_manager, run_sectors

        pm = pm or get_plugin_manager()
        sector = run_sectors(inv, library, plugin_manager=pm, factory=factory_view(inv, energy))
        _refuse_claimed_fuels(inv, sector.claims)
        line_items.extend(sector.line_items)
        monthly_e = np.vstack([monthly_e, np.zeros((len(sector.line_items), 12))])
        unalloc_e = np.concatenate([unalloc_e, [li.emissions_tco2e for li in sector.line_items]])

    res = _finish(inv, library, b, backend, line_items, monthly_e, unalloc_e, energy,
                  electricity, sector, ledger,
                  as_of_record(library, as_of_day, given=as_of is not None),
                  (s3, b.biogenic + feedstocks, removals))
    pending = res.pending_claims
    if commit_claims and pending is not None:
        pending.commit()  # the last step: nothing is claimed by a failed run
    return res


def _finish(inv, library, b, backend, line_items, monthly_e, unalloc_e, energy, electricity,
            sector, ledger, as_of_info, scope3_parts) -> Results:
    """Everything after the line items: dataset, balance, metrics, provenance -> Results."""
    meter_ids, activity = backend.monthly()
    series = role_electricity(inv, backend)
    scope1 = _fsum(li.emissions_tco2e for li in line_items if li.scope == 1)
    location = _fsum(li.emissions_tco2e for li in line_items if li.scope == 2)
    market, basis, balance, balance_metrics = location, (
        "equal to location-based: no contractual instruments were evaluated "
        "(the net-zero balance was not computed)"), None, {}
    bal = run_balance(inv, line_items, series, library, ledger)
    pending = getattr(bal, "pending_claims", None)  # committed last, by compute or the CLI
    if bal is not None:
        balance = bal.to_dict()
        # the balance prices electricity; heat and steam have no contractual instruments, so
        # their market-based figure is the location-based one (GHG Protocol Scope 2, 2015)
        heat = _fsum(li.emissions_tco2e for li in line_items
                     if li.category in ("purchased_heat", "exported_heat"))
        market = float(bal.scope2_market_tco2e) + heat
        basis = ("market-based per the GHG Protocol Scope 2 hierarchy under policy "
                 f"{balance.get('policy', {}).get('name')}: electricity from instruments and "
                 "the residual factor (exports are not deducted; exported on-site generation "
                 "reduces self-consumption), heat and steam as location-based")
        balance_metrics = dict(bal.metrics)
    scope3 = _fsum(li.emissions_tco2e for li in line_items if li.scope == 3)
    metrics = (core_metric_values(inv, scope1=scope1, scope2_location=location,
                                  scope2_market=market, scope3=scope3, energy=energy,
                                  electricity=electricity)
               | balance_metrics | (dict(sector.metrics) if sector else {}))
    # the plain name the results JSON promises (metrics.renewable_electricity_share)
    metrics["renewable_electricity_share"] = metrics.get("balance.renewable_electricity_share")
    # Scope 3 detail, ISO 14064-1 view, biogenic CO2 (carbon_core.scope3, issue 13)
    sections, s3_metrics = scope3_sections(line_items, *scope3_parts)
    metrics.update(s3_metrics)
    provenance = _provenance(inv, backend, list(b.used.values()), __version__, sector)
    # plugins cite their own factors on their line items: list those resting on unconfirmed ones
    provenance["unconfirmed_line_items"] = [li.id for li in line_items if not li.confirmed]
    provenance["as_of"] = as_of_info  # factor editions published by this day (issue 12)
    provenance["files"] = influencing_files(library)  # GWP table, factor files, policy (issue 9)
    provenance["files"]["policy"] = policy_file(balance)
    from .io.meter_checks import intensity_warnings  # implausible magnitudes, never clamped

    warnings = list(getattr(backend, "warnings", [])) + intensity_warnings(
        {k.removeprefix("intensity."): v for k, v in metrics.items()
         if k.startswith("intensity.")},
        _fsum(li.emissions_tco2e for li in line_items if li.scope in (1, 2)),
        float(energy["total_tce_calorific"]))
    return Results(
        inventory=inv, line_items=line_items, metrics=metrics, energy=energy,
        electricity=electricity, provenance=provenance,
        data_quality={"fills": list(backend.fills), "rollovers": list(backend.rollovers),
                      "gap_policy": inv.gap_policy, "warnings": warnings},
        scope2_market_tco2e=market, scope2_market_basis=basis, balance=balance,
        sectors=({"plugins": dict(sector.plugins), "metrics": dict(sector.metrics)}
                 if sector is not None else {}),
        role_series=series, meter_data=backend, sections=dict(sections),
        emissions_monthly=np.asarray(monthly_e, float).reshape(len(line_items), 12),
        emissions_unallocated=np.asarray(unalloc_e, float), meter_ids=list(meter_ids),
        activity_monthly=activity,
        pending_claims=pending)


def policy_file(balance: dict | None) -> dict | None:
    """The balance policy's file with its SHA-256 (None without a balance)."""
    from .io.paths import file_digest

    if not balance:
        return None
    pol = balance.get("policy", {})
    path = pol.get("file") or None
    return {"name": pol.get("name"), "file": Path(path).name if path else None,
            "sha256": file_digest(path)}  # the name only: results do not depend on where it lies


def influencing_files(library) -> dict:
    """Every file that can influence a number, with its SHA-256: the GWP table and every factor
    file of the library (shipped and plugin tables); the policy is added beside them."""
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


def factory_view(inv: Inventory, energy: dict) -> FactoryView:
    """What sector plugins see of the factory: energy by carrier, production, year, region.

    Parameters
    ----------
    inv : Inventory
        The validated inventory (reporting year, grid province and region, production).
    energy : dict
        The engine's energy accounting (items with carrier, activity, unit and tce, GB/T
        2589-2020).

    Returns
    -------
    FactoryView
        Read-only; fuels by carrier, ``electricity`` net and ``heat`` net [tce].
    """
    by: dict[str, list[dict]] = {}
    for item in energy["items"]:
        by.setdefault(item["carrier"], []).append(item)
    view = {c: CarrierEnergy(c, _fsum(i["activity"] for i in items), items[0]["unit"],
                             _fsum(i["tce_calorific"] for i in items),
                             _fsum(i["tce_equivalent"] for i in items))
            for c, items in by.items()}
    p = inv.production
    return FactoryView(reporting_year=inv.reporting_year, region=inv.factory.grid_province
                       or "CN", grid_region=inv.factory.grid_region or "", energy=view,
                       output=p.output, output_unit=p.output_unit or "",
                       value_added_wan_cny=p.value_added_wan_cny,
                       energy_totals=(energy["total_tce_calorific"],
                                      energy["total_tce_equivalent"]))


def _refuse_claimed_fuels(inv: Inventory, claims: dict[str, str]) -> None:
    """A carrier a sector plugin accounts itself must not also be a core fuel line."""
    problems = []
    sources: list[Any] = [*inv.meters, *inv.activities]
    for src in sources:
        if src.role == "fuel" and src.carrier in claims:
            problems.append(Problem(
                file=str(inv.path), row=src.table, field="carrier", found=src.carrier,
                message=f"sector plugin {claims[src.carrier]!r} accounts the carbon of "
                        f"{src.carrier!r} itself (it claims the carrier); a fuel line "
                        f"{src.id!r} for it would count it twice",
                expected=f"no fuel meter or activity for {src.carrier!r}, or its amount in "
                         f"[process.{claims[src.carrier]}] only"))
    if problems:
        raise InputError(problems)


def _fsum(values) -> float:
    return float(math.fsum(values))


def core_metric_values(inv: Inventory, *, scope1: float, scope2_location: float,
                       scope2_market: float, scope3: float, energy: dict,
                       electricity: dict) -> dict[str, float | None]:
    """The values of the core metrics (:data:`carbon_core.metrics.CORE_METRICS`).

    Parameters
    ----------
    inv : Inventory
        For the production (output, value added [万元]).
    scope1, scope2_location, scope2_market, scope3 : float
        Emissions [tCO2e].
    energy : dict
        ``total_tce_calorific``, ``total_tce_equivalent`` [tce], ``electricity_consumed_kwh``
        [kWh] (GB/T 2589-2020).
    electricity : dict
        Electricity by role over the year [kWh].

    Returns
    -------
    dict of str to float or None
        Intensities are None when their denominator is zero or missing.
    """
    total = scope1 + scope2_location
    tce = energy["total_tce_calorific"]
    out = inv.production.output
    va = inv.production.value_added_wan_cny
    div = (lambda a, b: a / b if b else None)
    return {
        "emissions.scope1_tco2e": scope1,
        "emissions.scope2_location_tco2e": scope2_location,
        "emissions.scope2_market_tco2e": scope2_market,
        "emissions.scope3_tco2e": scope3,
        "emissions.total_tco2e": total,
        "energy.total_tce_calorific": tce,
        "energy.total_tce_equivalent": energy["total_tce_equivalent"],
        "electricity.consumed_mwh": energy["electricity_consumed_kwh"] / 1000.0,
        "electricity.onsite_renewable_mwh":
            (electricity["onsite_renewable"] - min(electricity["export"],
                                                   electricity["onsite_renewable"])) / 1000.0,
        "intensity.tco2e_per_output": div(total, out),
        "intensity.tco2e_per_wan_cny": div(total, va),
        "intensity.tce_per_output": div(tce, out),
        "intensity.tce_per_wan_cny": div(tce, va),
        "intensity.tco2e_per_tce": div(total, tce),
        "intensity.market_tco2e_per_tce": div(scope1 + scope2_market, tce),
    }


def _provenance(inv, backend, factors_used, engine_version, sector) -> dict:
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
        "input_files": backend.files,
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
    }


#: Electricity roles on the balance's time axis -> variable names [kWh per interval].
_ROLES = {"grid_purchase": "grid_purchase_kwh", "onsite_generation": "onsite_generation_kwh",
          "export": "export_kwh"}


def electricity_series(inv: Inventory, data: MeterBackend) -> xr.Dataset:
    """:func:`role_electricity` as an :class:`xarray.Dataset` (see there).

    Parameters
    ----------
    inv : Inventory
        The validated inventory (its meters' carrier, role and renewable flag).
    data : MeterBackend
        The meter data read for it.

    Returns
    -------
    xarray.Dataset
        On dim ``time``: the variables of :func:`role_electricity` [kWh per interval];
        attribute ``interval``.
    """
    return role_electricity(inv, data).to_dataset()


def role_electricity(inv: Inventory, data: MeterBackend) -> ElectricitySeries:
    """Electricity by role on one time axis: metered and invoiced (activities) together.

    Everything is brought to the coarsest resolution present (15 min -> hour -> day -> month ->
    year): an invoice for a month makes the axis monthly, an annual invoice makes it one bin for
    the year. Nothing finer is ever invented, so the balance reports the finer matching modes as
    unavailable rather than guessing a profile.

    Parameters
    ----------
    inv : Inventory
        Meters and activities with carrier ``electricity`` and role ``grid_purchase``,
        ``onsite_generation`` or ``export``.
    data : MeterBackend
        The meter data (:mod:`carbon_core.backends`).

    Returns
    -------
    carbon_core.balance.market.ElectricitySeries
        On ``time`` (interval starts, China time): ``grid_purchase_kwh``,
        ``onsite_generation_kwh``, ``export_kwh``, ``onsite_renewable_kwh``, ``consumed_kwh``
        [kWh per interval], at ``interval``.
    """
    data = as_backend(data)
    meters = [m for m in inv.meters if m.carrier == "electricity" and m.role in _ROLES]
    acts = [a for a in inv.activities if a.carrier == "electricity" and a.role in _ROLES]
    intervals = [m.interval for m in meters] + \
        ["1MS" if len(a.period) == 7 else "1Y" for a in acts]
    coarsest = max(intervals, key=INTERVALS.index) if intervals else "1h"
    weights: dict[str, dict[str, float]] = {v: {} for v in _ROLES.values()}
    weights["onsite_renewable_kwh"] = {}
    for m in meters:
        weights[_ROLES[m.role]][m.id] = 1.0
        if m.role == "onsite_generation" and m.renewable:
            weights["onsite_renewable_kwh"][m.id] = 1.0
    out = data.role_series(weights, coarsest, inv.reporting_year)
    for a in acts:
        k = 0 if coarsest == "1Y" else int(a.period[5:]) - 1
        out[_ROLES[a.role]][k] += a.amount * a.to_canonical
    out["consumed_kwh"] = out["grid_purchase_kwh"] + out["onsite_generation_kwh"] - \
        out["export_kwh"]
    return ElectricitySeries(time=interval_grid(inv.reporting_year, coarsest),
                             interval=coarsest, arrays=out)


def run_balance(inv: Inventory, line_items: list[LineItem],
                series: ElectricitySeries | xr.Dataset,
                library: FactorLibrary, ledger=None) -> BalanceResult:
    """The net-zero balance (:func:`carbon_core.balance.compute_balance`) of a computed inventory.

    Always computed: without instruments it still gives market-based Scope 2 at the policy's
    residual factor and the CFE scores of on-site generation.

    Parameters
    ----------
    inv : Inventory
        Its ``[[instruments]]``, ``[[offsets]]`` and ``[balance]`` tables.
    line_items : list of LineItem
        Every line item of the inventory (Scope 1, 2, 3) [tCO2e].
    series : ElectricitySeries or xarray.Dataset
        :func:`role_electricity` (or :func:`electricity_series`) [kWh per interval].
    library : FactorLibrary
        For the policy's residual factor.
    ledger : str or Path, optional
        SQLite claims ledger.

    Returns
    -------
    carbon_core.balance.BalanceResult
    """
    interval = (series.interval if isinstance(series, ElectricitySeries)
                else series.attrs["interval"])
    days = int((np.datetime64(f"{inv.reporting_year + 1}-01-01") -
                np.datetime64(f"{inv.reporting_year}-01-01")).astype(int))
    step = {"15min": np.timedelta64(15, "m"), "1h": np.timedelta64(1, "h"),
            "1D": np.timedelta64(1, "D"), "1MS": np.timedelta64(31, "D"),
            "1Y": np.timedelta64(days, "D")}[interval]
    scope3: dict[str, float] = {}
    for li in line_items:
        if li.scope == 3:
            key = str(li.details.get("scope3_category", "other"))
            scope3[key] = scope3.get(key, 0.0) + li.emissions_tco2e

    def total(*categories):
        """Exact sum of the line items of ``categories`` [tCO2e]."""
        return _fsum(li.emissions_tco2e for li in line_items if li.category in categories)

    inputs = BalanceInputs(
        reporting_year=inv.reporting_year, factory_id=inv.factory.credit_code,
        factory_name=inv.factory.name, source_file=str(inv.path),
        instruments_raw=list(inv.sections("instruments")),
        offsets_raw=list(inv.sections("offsets")), balance_raw=dict(inv.sections("balance")),
        electricity=series, interval=step,
        scope1_tco2e=_fsum(li.emissions_tco2e for li in line_items if li.scope == 1),
        scope2_location_tco2e=total("purchased_electricity") + total("exported_electricity"),
        scope2_heat_tco2e=total("purchased_heat") + total("exported_heat"),
        scope3_tco2e=scope3, library=library, grid_region=inv.factory.grid_region,
        grid_province=inv.factory.grid_province, ledger=ledger, gwp_set=inv.gwp_set,
        commit_claims=False)  # claims are committed last, by the caller (compute, the CLI)
    return compute_balance(inputs)


def _energy(inv: Inventory, b: _Builder, electricity: dict) -> dict:
    """Comprehensive energy consumption in tce, 当量值 and 等价值 (GB/T 2589-2020)."""
    items = []
    for e in b.energy:
        if e["role"] == "fuel":
            tce = e["gj"] / _GJ_PER_TCE
            items.append({**e, "tce_calorific": tce, "tce_equivalent": tce})
    heat_gj = math.fsum(e["gj"] for e in b.energy if e["role"].startswith("heat"))
    if any(e["role"].startswith("heat") for e in b.energy):
        f = b.factor("tce.heat.calorific", "tce/GJ", where="energy", region="CN")
        if f:
            items.append({"id": "heat", "carrier": "heat", "role": "heat_net", "activity": heat_gj,
                          "unit": "GJ", "tce_calorific": heat_gj * f[0],
                          "tce_equivalent": heat_gj * f[0],
                          "method": "net purchased heat GJ x tce.heat.calorific",
                          "factors": (f[1],)})
    consumed_kwh = (electricity["grid_purchase"] + electricity["onsite_renewable"]
                    - electricity["export"])
    if any(electricity.values()):
        cal = b.factor("tce.electricity.calorific", "tce/kWh", where="energy", region="CN")
        eq = b.factor("tce.electricity.equivalent", "tce/kWh", where="energy", region="CN",
                      rule=SelectionRule.parse("latest:Y-1"))
        if cal and eq:
            items.append({"id": "electricity", "carrier": "electricity", "role": "electricity_net",
                          "activity": consumed_kwh, "unit": "kWh",
                          "tce_calorific": consumed_kwh * cal[0],
                          "tce_equivalent": consumed_kwh * eq[0],
                          "method": "(grid purchase + on-site renewable - export) kWh x "
                                    "tce.electricity.calorific / .equivalent",
                          "factors": (cal[1], eq[1])})
    return {"items": items,
            "total_tce_calorific": math.fsum(i["tce_calorific"] for i in items),
            "total_tce_equivalent": math.fsum(i["tce_equivalent"] for i in items),
            "electricity_consumed_kwh": consumed_kwh}


def _gwp_factors(inv: Inventory, b: _Builder) -> None:
    """Add each non-CO2 line's GWP (``gwp.<SET>.<gas>`` in ``factors/ipcc-gwp.toml``) to its
    factors, so an S or X value (AR6 SF6) is listed in ``provenance.unconfirmed_factors`` and
    marks the line unconfirmed, and the GWP file is listed with its SHA-256."""
    from .units import GASES

    for ln in b.lines:
        if ln.gas == "CO2":
            continue
        ident = GASES.get(ln.gas, ln.gas)
        suffix = "_non_fossil" if ln.details.get("carbon_origin") == "non_fossil" else ""
        key = next((k for k in (f"gwp.{inv.gwp_set}.{ln.gas}{suffix}",
                                f"gwp.{inv.gwp_set}.{ident}{suffix}",
                                f"gwp.{inv.gwp_set}.{ln.gas}") if k in b.lib), None)
        if key is None:
            continue
        f = b.factor(key, "dimensionless", where=ln.id, region="GLOBAL")
        if f:
            ln.factors = (*ln.factors, f[1])


def _multiply(inv: Inventory, lines: list[ActivityLine]):
    """All emissions in one vectorized multiply; line items with annual values."""
    if not lines:
        return [], np.zeros((0, 12)), np.zeros(0)
    activity = np.stack([ln.monthly for ln in lines])
    unalloc = np.array([ln.unallocated for ln in lines])
    factor = np.array([ln.factor for ln in lines])
    gwps = np.array([gwp(ln.gas, inv.gwp_set, ln.details.get("carbon_origin", "fossil"))
                     for ln in lines])
    sign = np.array([ln.sign for ln in lines])
    t_gas_monthly = emissions(activity, factor)
    t_gas_unalloc = unalloc * factor
    co2e_monthly = t_gas_monthly * (gwps * sign)[:, None]
    co2e_unalloc = t_gas_unalloc * gwps * sign
    # annual values per line: the 12 months plus what no month can hold, summed for all lines at
    # once (the totals of a result are then exact sums, math.fsum, of these line values)
    annual_activity = (activity.sum(axis=1) + unalloc).tolist()
    annual_t_gas = ((t_gas_monthly.sum(axis=1) + t_gas_unalloc) * sign).tolist()
    annual_co2e = (co2e_monthly.sum(axis=1) + co2e_unalloc).tolist()
    gwp_list = gwps.tolist()
    items = []
    # (citation, keys, confirmed) per factor combination: 100,000 Scope 3 lines on a few factors
    cited: dict[tuple[int, ...], tuple[str, tuple[str, ...], bool]] = {}
    with gc_paused():  # a line item per line, all alive: no cycles to look for
        for k, ln in enumerate(lines):
            ident = tuple(map(id, ln.factors))  # the factors outlive the loop: ids are stable
            c = cited.get(ident)
            if c is None:
                c = cited[ident] = (_citation(ln.factors), tuple(f.key for f in ln.factors),
                                    all(f.confirmed for f in ln.factors))
            items.append(LineItem(
                id=ln.id, category=ln.category, scope=CATEGORIES[ln.category][0],
                source=ln.source, carrier=ln.carrier, activity=annual_activity[k],
                activity_unit=ln.activity_unit, factor_value=ln.factor,
                factor_unit=ln.factor_unit, factor_source=c[0], factor_keys=c[1], gas=ln.gas,
                gwp_set=inv.gwp_set, gwp=gwp_list[k], emissions_t_gas=annual_t_gas[k],
                emissions_tco2e=annual_co2e[k], confirmed=c[2], plugin=None,
                formula=ln.formula, details=dict(ln.details)))
    return items, co2e_monthly, co2e_unalloc

