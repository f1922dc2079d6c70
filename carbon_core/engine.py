"""Orchestration: inventory + meter data + factors -> :class:`~carbon_core.results.Results`.

The flow is one way (see ``docs/design.md``):

1. read and validate the inventory and the meter data (units converted once, to canonical units);
2. resolve every factor the inventory needs, by key, region and declared rule, with provenance;
3. build one *activity line* per (meter or activity, gas): monthly activity x factor;
4. compute all emissions with one vectorized multiply, then totals as exact sums of line items;
5. energy in tce (当量值 and 等价值), intensities, the sector plugins, the net-zero balance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from ._version import __version__
from .carriers import CARRIERS
from .errors import FactorNotFoundError, InputError, Problem, UnitError
from .factors import Factor, FactorLibrary, SelectionRule
from .io.inventory import Inventory, _is_mass, load_inventory
from .lineitems import CATEGORIES, LineItem
from .io.meters import MeterData, read_meter_data
from .io.paths import confine_data_files
from .results import Results
from .scopes import CO2_PER_C, combustion_co2_factor, emissions, hot_water_to_gj, steam_to_gj
from .units import conversion_factor, gwp

__all__ = ["compute", "resolve_factor"]

_GJ_PER_TCE = 29.3076  # GB/T 2589-2020: 1 kgce = 29 307.6 kJ (7 000 kcal x 4.1868)


@dataclass
class _Line:
    """An activity line before multiplication: monthly activity (12) and one factor."""

    id: str
    category: str
    source: str
    carrier: str
    monthly: np.ndarray  # shape (12,) activity per month; annual-only lines are all zero
    unallocated: float   # activity not attributable to a month (annual invoices)
    activity_unit: str
    factor: float
    factor_unit: str
    factors: tuple[Factor, ...]
    gas: str = "CO2"
    sign: float = 1.0
    formula: str = ""
    details: dict = field(default_factory=dict)


def resolve_factor(library: FactorLibrary, key: str, unit: str, *, region: str = "CN",
                   rule: SelectionRule | str | None = None, reporting_year: int | None = None,
                   edition: str | None = None) -> tuple[float, Factor]:
    """Look up a factor and convert its value to ``unit`` (the kernel's unit).

    Returns
    -------
    (value in ``unit``, Factor)
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
        self.lines: list[_Line] = []
        self.energy: list[dict] = []
        self.problems: list[Problem] = []
        self.used: dict[tuple, Factor] = {}
        self._resolved: dict[tuple, tuple[float, Factor]] = {}
        #: electricity by role over the year [kWh], for energy and the balance
        self.electricity = {"grid_purchase": 0.0, "onsite_generation": 0.0,
                            "onsite_renewable": 0.0, "export": 0.0}

    def factor(self, key, unit, *, where, **kw) -> tuple[float, Factor] | None:
        kw.setdefault("reporting_year", self.inv.reporting_year)
        memo = (key, unit, *sorted((k, str(v)) for k, v in kw.items()))
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
        mass = CARRIERS[src.carrier].kind in ("steam", "hot_water") and _is_mass(src.unit)
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
        self.lines.append(_Line(
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
                    self.lines.append(_Line(
                        id=f"fuel_combustion:{sid}:{gas}", category="fuel_combustion",
                        source=sid, carrier=carrier, monthly=monthly, unallocated=unallocated,
                        activity_unit=unit, factor=ncv[0] * f[0], factor_unit=f"t{gas}/{unit}",
                        factors=(ncv[1], f[1]), gas=gas, formula="E = FC x NCV x EF_gas"))
        self.energy.append(_fuel_energy(self, sid, carrier, float(monthly.sum() + unallocated),
                                        unit, ncv, where))

    def grid(self, sid, category, monthly, unallocated, where, sign=1.0):
        choice = self.inv.electricity
        f = self.factor(choice.key, "tCO2/MWh", where=where, region=choice.region,
                        rule=choice.rule)
        if not f:
            return
        self.lines.append(_Line(
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
        self.lines.append(_Line(
            id=f"fugitive:{sid}:{gas}", category="fugitive", source=sid, carrier=gas,
            monthly=monthly, unallocated=unallocated, activity_unit="t", factor=1.0,
            factor_unit=f"t{gas}/t", factors=(), gas=gas,
            formula="E = mass topped up x GWP (IPCC 2006 Vol. 3 §7.5.2, top-up method)"))

    def heat(self, sid, carrier, category, monthly, unallocated, where, enthalpy, temperature,
             metered_as_mass, sign=1.0):
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
            self.lines.append(_Line(
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
            meter_data: MeterData | None = None, plugins: bool = True, ledger=None,
            progress: Callable[..., None] | None = None, commit_claims: bool = True,
            allow_outside: bool = False, as_of=None) -> Results:
    """Compute a factory's emissions, energy and balance for its reporting year.

    Parameters
    ----------
    inventory : Inventory or path
        The factory inventory (TOML path or a loaded :class:`Inventory`).
    library : FactorLibrary, optional
        Default: the shipped factor files, merged with every plugin's tables.
    meter_data : MeterData, optional
        Already-read meter data (e.g. from a dask pipeline); default: read the inventory's files.
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
    data = meter_data if meter_data is not None else read_meter_data(inv, progress=progress)
    if progress:
        progress("computing")
    if inv.factory.sectors and not plugins:
        raise InputError([Problem(file=str(inv.path), row="factory", field="sectors",
                                  found=list(inv.factory.sectors),
                                  message="the inventory names sectors but plugins are off",
                                  expected="plugins=True, or no sectors")])
    b = _Builder(inv, library)
    meter_ids, monthly = data.monthly()
    row_of = {m: i for i, m in enumerate(meter_ids)}
    for m in inv.meters:
        b.add(m, monthly[row_of[m.id]], 0.0)
    for a in inv.activities:
        b.add(a, *_activity_monthly(a, inv.reporting_year))
    electricity = b.electricity

    scope3 = _scope3_lines(inv, b)
    b.lines.extend(scope3)
    energy = _energy(inv, b, electricity)
    _unused_measured(inv, b)  # a measured tce.* (or fuel.*) value is used or refused
    if b.problems:
        raise InputError(b.problems, title=f"{len(b.problems)} factor(s) missing for "
                                           f"{inv.path}")

    _gwp_factors(inv, b)  # the GWP of each non-CO2 line, with its confidence, is a factor used
    line_items, monthly_e, unalloc_e = _multiply(inv, b.lines)

    sector = None
    if plugins and inv.factory.sectors:
        from .plugin_manager import get_plugin_manager, run_sectors

        pm = pm or get_plugin_manager()
        sector = run_sectors(inv, library, plugin_manager=pm)
        line_items.extend(sector.line_items)
        monthly_e = np.vstack([monthly_e, np.zeros((len(sector.line_items), 12))])
        unalloc_e = np.concatenate([unalloc_e, [li.emissions_tco2e for li in sector.line_items]])

    res = Results.build(
        inventory=inv, library=library, line_items=line_items, monthly=monthly_e,
        unallocated=unalloc_e, energy=energy, electricity=electricity, meter_data=data,
        factors_used=list(b.used.values()), sector=sector, engine_version=__version__,
        ledger=ledger)
    res.provenance["as_of"] = as_of_record(library, as_of_day, given=as_of is not None)
    pending = getattr(res, "pending_claims", None)
    if commit_claims and pending is not None:
        pending.commit()  # the last step: nothing is claimed by a failed run
    return res


def _scope3_lines(inv: Inventory, b: _Builder) -> list[_Line]:
    """Scope 3 categories declared with their own cited factors (no default Scope 3 factors)."""
    out = []
    for i, row in enumerate(inv.raw.get("scope3", [])):
        where = f"scope3[{i}]"
        need = ("id", "category", "amount", "unit", "factor", "factor_unit", "factor_source")
        missing = [k for k in need if k not in row]
        if missing:
            b.problems.append(Problem(file=str(inv.path), row=where, field=", ".join(missing),
                                      message="incomplete Scope 3 entry",
                                      expected=f"keys {list(need)}"))
            continue
        try:
            per = conversion_factor(row["factor_unit"], f"tCO2e/({row['unit']})")
        except Exception as exc:  # noqa: BLE001 - any unit problem is reported with its row
            b.problems.append(Problem(file=str(inv.path), row=where, field="factor_unit",
                                      found=row["factor_unit"], message=str(exc),
                                      expected=f"tCO2e (or kgCO2e) per {row['unit']}"))
            continue
        src = Factor(key=f"scope3.{row['id']}", value=float(row["factor"]),
                     unit=row["factor_unit"], region=row.get("region", "CN"),
                     source=_user_source(inv, row["factor_source"]),
                     confidence=row.get("confidence", "S"))
        out.append(_Line(
            id=f"scope3:{row['id']}:CO2e", category="scope3", source=row["id"],
            carrier=str(row.get("description", row["id"])), monthly=np.zeros(12),
            unallocated=float(row["amount"]), activity_unit=row["unit"],
            factor=float(row["factor"]) * per, factor_unit=f"tCO2e/({row['unit']})",
            factors=(src,), gas="CO2", formula="E = AD x EF (factor supplied in the inventory)",
            details={"scope3_category": int(row["category"])}))
    return out


def _user_source(inv: Inventory, citation: str):
    from .factors import Source

    return Source(id=f"inventory:{citation[:40]}", title=citation, publisher="declared in the "
                  "inventory", file=str(inv.path))


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


def _multiply(inv: Inventory, lines: list[_Line]):
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
    for k, ln in enumerate(lines):
        items.append(LineItem(
            id=ln.id, category=ln.category, scope=CATEGORIES[ln.category][0], source=ln.source,
            carrier=ln.carrier, activity=annual_activity[k], activity_unit=ln.activity_unit,
            factor_value=ln.factor, factor_unit=ln.factor_unit,
            factor_source=_citation(ln.factors), factor_keys=tuple(f.key for f in ln.factors),
            gas=ln.gas, gwp_set=inv.gwp_set, gwp=gwp_list[k], emissions_t_gas=annual_t_gas[k],
            emissions_tco2e=annual_co2e[k], confirmed=all(f.confirmed for f in ln.factors),
            plugin=None, formula=ln.formula, details=dict(ln.details)))
    return items, co2e_monthly, co2e_unalloc

