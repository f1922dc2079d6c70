"""Scope 3 lines: the ``[scope3]`` inventory table validated, each line computed by its method.

Inventory form (``docs/scope3.md``)::

    [scope3]
    factor_selection = "latest:Y"          # data-year rule for dated library factors

    [scope3.screening]                      # all fifteen categories are reported
    1 = "relevant"
    7 = { status = "not_relevant", reason = "..." }

    [[scope3.lines]]
    id = "coil"
    category = 1                            # 1..15 or its slug
    method = "average_data"                 # see METHODS
    amount = 1200
    unit = "t"
    factor = 2.1                            # or factor_key = "..." from the factor library
    factor_unit = "tCO2e/t"
    factor_source = "supplier EPD ..."
    factor_region = "CN"
    data_quality = { technological = "good", completeness = "fair", reliability = "good" }

The older form ``[[scope3]]`` (an array of lines with ``id, category, amount, unit, factor,
factor_unit, factor_source``) still works; its lines carry method ``"declared"``.

Every problem is collected (file, row, field, found, expected); unknown keys are refused with the
nearest known key. No line gets a factor it did not name: a line with no factor and no supplier
data is an error saying what is missing.

References
----------
WRI/WBCSD and Carbon Trust, *Technical Guidance for Calculating Scope 3 Emissions*, 2013: the
methods of each category (supplier-specific, hybrid, average-data, spend-based, distance-based,
waste-type-specific, direct use-phase emissions).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Mapping
from typing import Callable

import numpy as np

from .._gcpause import gc_paused
from ..errors import FactorNotFoundError, Problem, UnitError
from ..factors import Factor, FactorLibrary, SelectionRule, Source
from ..lineitems import ActivityLine
from ..units import conversion_factor as _conversion_factor
from ..units import check_unit, parse_unit
from .categories import SCOPE3_CATEGORIES, category_number
from .checks import unknown_keys
from .dq import INDICATORS, LEVELS, LineQuality, score_line
from .kernels import distance_activity, spend_activity
from .money import MoneyTables, currency_of, parse_money_tables

__all__ = ["LineSpec", "Scope3Build", "METHODS", "SCREENING_STATUSES", "build_scope3",
           "unknown_keys", "WASTE_TREATMENTS"]

#: Screening statuses a factory declares per category.
SCREENING_STATUSES = {
    "relevant": "相关 relevant",
    "not_relevant": "不相关 not relevant (reason given)",
    "not_assessed": "未评估 not yet assessed",
}

#: Waste treatments of the waste-type-specific method (DESNZ waste disposal columns).
WASTE_TREATMENTS = ("landfill", "incineration_energy_recovery", "incineration", "closed_loop",
                    "open_loop", "composting", "anaerobic_digestion", "reuse")


#: The engine's activity line record (:class:`carbon_core.lineitems.ActivityLine`), the name
#: Scope 3 has always used for it.
LineSpec = ActivityLine


@dataclass
class Scope3Build:
    """What :func:`build_scope3` found: lines, the screening, warnings.

    Attributes
    ----------
    lines : list of LineSpec
        The line specs, multiplied by the engine with every other line.
    quality : dict of str to LineQuality
        Data quality per line id.
    screening : dict of int to dict
        The declared status of each of the fifteen categories (with reason and evidence).
    warnings : list of str
        What the user should know (foreign factors, categories not assessed ...).
    legacy_form : bool
        The inventory used the older form, ``[[scope3]]`` lines with their own factors.
    factors_used : dict
        Every factor used, by (key, region, data year, source id).
    """

    lines: list[LineSpec] = field(default_factory=list)
    quality: dict[str, LineQuality] = field(default_factory=dict)
    screening: dict[int, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    legacy_form: bool = False
    factors_used: dict[tuple, Factor] = field(default_factory=dict)


# -- helpers ----------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _rule(text) -> SelectionRule:
    return SelectionRule.parse(text)


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """carbon_core.units.conversion_factor, memoized (100,000 lines use a handful of units)."""
    return _conversion_factor(from_unit, to_unit)


class _Ctx:
    def __init__(self, inv, library: FactorLibrary, problems: list[Problem]):
        self.inv = inv
        self.lib = library
        self.p = problems
        self.file = str(inv.path)
        self.year = inv.reporting_year
        regions = [r for r in (inv.factory.grid_province, inv.factory.grid_region,
                               inv.electricity.region) if r]
        country = (regions[0].split("-")[0] if regions else "CN")
        specific = tuple(dict.fromkeys(r for r in regions if r != country))
        self.factory_regions = specific + (country,)
        self.used: dict[tuple, Factor] = {}
        self.memo: dict[tuple, Factor] = {}
        self.quality: dict[tuple, tuple] = {}
        self.money = MoneyTables()
        self.selection: str | None = None

    def add(self, where, field_, message, found=None, expected=None):
        self.p.append(Problem(file=self.file, row=where, field=field_, message=message,
                              found=found, expected=expected))

    def get(self, row, where, key, kind, expected, required=True):
        if key not in row:
            if required:
                self.add(where, key, "missing key", expected=expected)
            return None
        v = row[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(v, bool) and bool not in kinds) or not isinstance(v, kinds):
            self.add(where, key, "wrong type", found=v, expected=expected)
            return None
        return v

    def number(self, row, where, key, expected="a number >= 0", required=True, positive=False):
        v = self.get(row, where, key, (int, float), expected, required)
        if v is None:
            return None
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            self.add(where, key, "out of range", found=v, expected=expected)
            return None
        return float(v)

    def unit(self, row, where, key, required=True):
        u = self.get(row, where, key, str, "a unit such as t, kg, t*km, passenger*km, kWh",
                     required)
        if u is None:
            return None
        try:
            check_unit(u)
        except UnitError as exc:
            self.add(where, key, str(exc), found=u)
            return None
        return u


# -- factor resolution ------------------------------------------------------------------------

def _factor(ctx: _Ctx, row, where, per_unit: str) -> tuple[float, Factor] | None:
    """The line's factor in tCO2e per ``per_unit``: from the library or declared inline."""
    f = _lookup(ctx, row, where)
    return None if f is None else _convert(ctx, row, where, f, per_unit)


def _convert(ctx: _Ctx, row, where, f: Factor, per_unit: str) -> tuple[float, Factor] | None:
    try:
        per = conversion_factor(f.unit, f"tCO2e/({per_unit})")
    except UnitError as exc:
        ctx.add(where, "factor_unit" if "factor" in row else "factor_key",
                f"the factor does not fit the activity: {exc}", found=f.unit,
                expected=f"a factor in CO2e per {per_unit}")
        return None
    ctx.used[(f.key, f.region, f.data_year, f.source.id)] = f
    return f.value * per, f


def _lookup(ctx: _Ctx, row, where) -> Factor | None:
    """The factor a line names: a library key (with its region) or an inline declaration."""
    has_key, has_inline = "factor_key" in row, "factor" in row
    if has_key and has_inline:
        ctx.add(where, "factor", "both factor_key and factor given",
                expected="one of them: a library factor_key, or an inline factor with its source")
        return None
    if not (has_key or has_inline):
        ctx.add(where, "factor", "no factor: a Scope 3 line needs a factor or supplier data "
                "(there is no default)", expected="factor_key + factor_region (library), or "
                "factor + factor_unit + factor_source + factor_region (declared)")
        return None
    region = ctx.get(row, where, "factor_region", str,
                     "the factor's region, e.g. CN, GB, US (foreign factors are flagged)")
    if has_key:
        key = ctx.get(row, where, "factor_key", str, "a factor key, e.g. scope3.freight.rail."
                      "freight_train (carbon factors list --prefix scope3.)")
        if key is None or region is None:
            return None
        rule = row.get("factor_selection", ctx.selection)
        try:
            rule_obj = _rule(rule) if rule is not None else None
        except ValueError as exc:
            ctx.add(where, "factor_selection", str(exc), found=rule)
            return None
        memo = (key, region, str(rule_obj), row.get("factor_edition"))
        try:
            f = ctx.memo.get(memo)
            if f is None:  # 100,000 lines on a few factors: a few lookups
                f = ctx.memo[memo] = ctx.lib.get(key, region, rule=rule_obj,
                                                 reporting_year=ctx.year,
                                                 edition=row.get("factor_edition"))
        except FactorNotFoundError as exc:
            ctx.add(where, "factor_key", str(exc), found=key,
                    expected="a key and region the library has, and for dated factors a "
                             "factor_selection (here or in [scope3])")
            return None
    else:
        value = ctx.number(row, where, "factor", "the factor value, >= 0")
        unit = ctx.unit(row, where, "factor_unit")
        source = ctx.get(row, where, "factor_source", str,
                         "the document the factor comes from (EPD, supplier report, database)")
        year = ctx.get(row, where, "factor_year", int, "the factor's data year",
                       required=False)
        conf = row.get("confidence", "S")
        if conf not in ("C", "S", "M", "X"):
            ctx.add(where, "confidence", "unknown confidence mark", found=conf,
                    expected="C, S, M or X")
            return None
        if None in (value, unit, source, region):
            return None
        f = Factor(key=f"scope3.inventory.{row.get('id', where)}", value=value, unit=unit,
                   region=region, data_year=year, confidence=conf,
                   source=Source(id=f"inventory:{source[:40]}", title=source,
                                 publisher="declared in the inventory", file=ctx.file))
    return f


# -- methods ----------------------------------------------------------------------------------

@dataclass
class _Computed:
    activity: float
    activity_unit: str
    factor: float                 # tCO2e per activity_unit
    factors: tuple[Factor, ...]
    formula: str
    details: dict = field(default_factory=dict)
    supplier: bool = False
    #: activity computed later for all lines at once (carbon_core.scope3.kernels):
    #: ("spend", amount, currency multiplier, price ratio) or ("distance", mass t, distance km)
    deferred: tuple | None = None


_COMMON = {"id", "category", "method", "description", "data_quality", "evidence", "note"}
_FACTOR = {"factor_key", "factor_region", "factor_selection", "factor_edition", "factor",
           "factor_unit", "factor_source", "factor_year", "confidence"}


def _activity(ctx, row, where):
    amount = ctx.number(row, where, "amount")
    unit = ctx.unit(row, where, "unit")
    return amount, unit


def _average_data(ctx: _Ctx, row, where) -> _Computed | None:
    """Average-data method: mass, volume or units x a secondary factor (TG 2013 §1, §2)."""
    amount, unit = _activity(ctx, row, where)
    if amount is None or unit is None:
        return None
    f = _factor(ctx, row, where, unit)
    if f is None:
        return None
    return _Computed(amount, unit, f[0], (f[1],),
                     "E = activity x average emission factor (Scope 3 Technical Guidance 2013, "
                     "average-data method)")


def _declared(ctx: _Ctx, row, where) -> _Computed | None:
    """The older ``[[scope3]]`` form: activity x a factor declared in the inventory."""
    row = dict(row)  # the old form's region key and its default "CN", kept as they were
    row.setdefault("factor_region", row.pop("region", "CN"))
    out = _average_data(ctx, row, where)
    if out is not None:
        out.formula = "E = AD x EF (factor supplied in the inventory; method not stated)"
    return out


def _allocated(ctx: _Ctx, row, where):
    """Supplier-reported emissions and the share allocated to this company."""
    total = ctx.number(row, where, "supplier_emissions", "the supplier's emissions, >= 0")
    unit = ctx.get(row, where, "supplier_emissions_unit", str, "tCO2e or kgCO2e")
    supplier = ctx.get(row, where, "supplier", str, "the supplier's name")
    evidence = ctx.get(row, where, "evidence", str,
                       "the supplier's report or data sheet the figure comes from")
    if None in (total, unit, supplier, evidence):
        return None
    try:
        to_t = conversion_factor(unit, "tCO2e")
    except UnitError as exc:
        ctx.add(where, "supplier_emissions_unit", str(exc), found=unit, expected="tCO2e or kgCO2e")
        return None
    ours = row.get("allocation_ours")
    of_total = row.get("allocation_total")
    share = row.get("allocation_share")
    basis = row.get("allocation_unit", "1")
    if share is not None and (ours is not None or of_total is not None):
        ctx.add(where, "allocation_share", "give allocation_share or allocation_ours/"
                "allocation_total, not both")
        return None
    if share is not None:
        s = ctx.number(row, where, "allocation_share", "a fraction between 0 and 1")
        if s is None or s > 1:
            if s is not None:
                ctx.add(where, "allocation_share", "out of range", found=s, expected="0..1")
            return None
        return dict(t=total * to_t, ours=s, of=1.0, basis="1", supplier=supplier)
    if ours is None and of_total is None:
        return dict(t=total * to_t, ours=1.0, of=1.0, basis="1", supplier=supplier)
    o = ctx.number(row, where, "allocation_ours", "this company's amount of the basis")
    a = ctx.number(row, where, "allocation_total", "the supplier's total amount of the basis",
                   positive=True)
    try:
        check_unit(basis)
    except UnitError as exc:
        ctx.add(where, "allocation_unit", str(exc), found=basis)
        return None
    if o is None or a is None:
        return None
    if o > a:
        ctx.add(where, "allocation_ours", "this company's share exceeds the supplier's total",
                found=o, expected=f"<= allocation_total ({a:g})")
        return None
    return dict(t=total * to_t, ours=o, of=a, basis=basis, supplier=supplier)


def _supplier_specific(ctx: _Ctx, row, where) -> _Computed | None:
    """Supplier-specific method: the supplier's own cradle-to-gate or allocated emissions.

    Either ``supplier_emissions`` (+ allocation by ``allocation_share`` or ``allocation_ours``
    of ``allocation_total`` in ``allocation_unit``; TG 2013 §1 supplier-specific method and
    Example 4.3, allocation of a carrier's emissions by t·km), or ``amount`` x a product
    footprint the supplier published (inline ``factor`` with ``factor_source``).
    """
    if "supplier_emissions" in row:
        a = _allocated(ctx, row, where)
        if a is None:
            return None
        factor = a["t"] / a["of"]
        return _Computed(a["ours"], a["basis"], factor, (), (
            "E = supplier emissions x (our amount / supplier total) (Scope 3 Technical Guidance "
            "2013, supplier-specific method; allocation as in Example 4.3)"),
            {"supplier": a["supplier"], "supplier_emissions_tco2e": a["t"],
             "allocation": {"ours": a["ours"], "total": a["of"], "unit": a["basis"]}},
            supplier=True)
    if "factor_key" in row:
        ctx.add(where, "factor_key", "a supplier-specific line takes the supplier's data, not a "
                "library factor", expected="supplier_emissions, or an inline factor with "
                "factor_source naming the supplier's product footprint (else method = "
                "'average_data')")
        return None
    if "factor" not in row:
        ctx.add(where, "supplier_emissions", "no supplier data: a supplier-specific line needs "
                "the supplier's emissions or product footprint",
                expected="supplier_emissions + supplier_emissions_unit + supplier + evidence, "
                         "or amount + unit + factor + factor_unit + factor_source")
        return None
    supplier = ctx.get(row, where, "supplier", str, "the supplier's name")
    out = _average_data(ctx, row, where)
    if out is None or supplier is None:
        return None
    out.formula = ("E = amount x supplier-specific product emission factor (Scope 3 Technical "
                   "Guidance 2013, supplier-specific method)")
    out.details["supplier"] = supplier
    out.supplier = True
    return out


def _hybrid(ctx: _Ctx, row, where) -> _Computed | None:
    """Hybrid method: the supplier's allocated Scope 1+2 plus secondary data for its inputs.

    ``amount`` and ``unit`` of the purchased good; ``supplier_emissions`` allocated as in the
    supplier-specific method; ``inputs``: a list of {``id``, ``amount``, ``unit``, factor ...}
    for the material inputs, waste and transport the supplier reports (TG 2013 §1, hybrid
    method, equation 1.3).
    """
    amount, unit = _activity(ctx, row, where)
    a = _allocated(ctx, row, where)
    inputs = row.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        ctx.add(where, "inputs", "a hybrid line needs its input data", found=inputs,
                expected="[[scope3.lines.inputs]] tables: id, amount, unit, and a factor")
        return None
    parts, factors = [], []
    for j, inp in enumerate(inputs):
        w = f"{where}.inputs[{j}]"
        if not isinstance(inp, Mapping):
            ctx.add(w, None, "an input must be a table")
            continue
        unknown_keys(inp, {"id", "description", "amount", "unit"} | _FACTOR, ctx.file, w, ctx.p)
        ia, iu = _activity(ctx, inp, w)
        if ia is None or iu is None:
            continue
        f = _factor(ctx, {"id": f"{row.get('id')}.{inp.get('id', j)}", **inp}, w, iu)
        if f is None:
            continue
        parts.append({"id": inp.get("id", str(j)), "amount": ia, "unit": iu,
                      "factor_tco2e_per_unit": f[0], "tco2e": ia * f[0], "factor": f[1].key})
        factors.append(f[1])
    if amount is None or unit is None or a is None or len(parts) != len(inputs):
        return None
    if amount == 0:
        ctx.add(where, "amount", "a hybrid line spreads the supplier's emissions over the "
                "amount purchased", found=amount, expected="> 0")
        return None
    supplier_t = a["t"] * a["ours"] / a["of"]
    total = supplier_t + sum(p["tco2e"] for p in parts)
    return _Computed(amount, unit, total / amount, tuple(factors), (
        "E = allocated supplier Scope 1+2 + sum(input amount x factor) (Scope 3 Technical "
        "Guidance 2013, hybrid method, eq. 1.3)"),
        {"supplier": a["supplier"], "supplier_allocated_tco2e": supplier_t, "inputs": parts},
        supplier=True)


def _spend_based(ctx: _Ctx, row, where) -> _Computed | None:
    """Spend-based method: money x an EEIO factor, currency and price year converted explicitly
    (:mod:`carbon_core.scope3.money`)."""
    amount, unit = _activity(ctx, row, where)
    price_year = ctx.get(row, where, "price_year", int,
                         "the price year of the amount (the year the money was spent)")
    if amount is None or unit is None or price_year is None:
        return None
    spend = currency_of(unit)
    if spend is None:
        ctx.add(where, "unit", "a spend-based amount is money", found=unit,
                expected="CNY, 万元, USD, EUR or GBP")
        return None
    spend_ccy, to_code = spend
    # the factor decides the target currency: the currency its unit is per
    fac = _lookup(ctx, row, where)
    if fac is None:
        return None
    target = _per_currency(fac.unit)
    if target is None:
        ctx.add(where, "factor_unit" if "factor" in row else "factor_key",
                "a spend-based factor is per unit of money", found=fac.unit,
                expected="a factor in CO2e per USD, CNY, EUR or GBP")
        return None
    f = _convert(ctx, row, where, fac, target)
    if f is None:
        return None
    factor_year = f[1].data_year if "factor_key" in row else row.get("factor_price_year")
    if not isinstance(factor_year, int) or isinstance(factor_year, bool):
        ctx.add(where, "factor_price_year", "the factor's price year is not known",
                found=factor_year, expected="factor_price_year = the year of the factor's "
                "currency unit (library factors carry it as data_year)")
        return None
    mult, steps, missing = ctx.money.convert(spend_ccy, price_year, target, factor_year)
    if missing or mult is None:
        for m in missing:
            ctx.add(where, "unit", f"spend in {spend_ccy} ({price_year} prices) needs {m} to use "
                    f"a factor per {factor_year} {target}", found=unit,
                    expected="the rate and index declared in [scope3] with their sources")
        return None
    fx = 1.0
    ratio = 1.0
    for st in steps:
        if st["step"] == "exchange rate":
            fx = 1.0 / st["rate"] if st["operation"] == "divide" else st["rate"]
        else:
            ratio = st["ratio"]
    return _Computed(float("nan"), target, f[0], (f[1],), (
        f"E = spend converted to {factor_year} {target} x EEIO factor (Scope 3 Technical "
        "Guidance 2013, spend-based method)"),
        {"spend": {"amount": amount, "unit": unit, "currency": spend_ccy,
                   "price_year": price_year},
         "conversion": {"multiplier": to_code * mult, "to": f"{factor_year} {target}",
                        "steps": steps}}, deferred=("spend", amount * to_code, fx, ratio))


@lru_cache(maxsize=256)
def _per_currency(unit: str) -> str | None:
    """The currency code a factor unit is per (``kgCO2e/USD`` -> ``USD``)."""
    from .money import CURRENCIES

    try:
        dims = dict(parse_unit(unit).dimensionality)
    except UnitError:
        return None
    found = [code for dim, code in CURRENCIES.items() if dims.get(dim) == -1]
    return found[0] if len(found) == 1 else None


def _distance_based(ctx: _Ctx, row, where) -> _Computed | None:
    """Distance-based method: t·km or passenger·km (or mass x distance) x a mode factor
    (TG 2013 §4 eq. 4.2, §6 eq. 6.2)."""
    if "amount" in row or "unit" in row:
        amount, unit = _activity(ctx, row, where)
        how = None
    else:
        mass = ctx.number(row, where, "mass", "the mass carried, >= 0 (or amount + unit)")
        mu = ctx.unit(row, where, "mass_unit")
        dist = ctx.number(row, where, "distance", "the distance of the leg, >= 0")
        du = ctx.unit(row, where, "distance_unit")
        if None in (mass, mu, dist, du):
            return None
        try:
            amount = mass * conversion_factor(mu, "t") * dist * conversion_factor(du, "km")
        except UnitError as exc:
            ctx.add(where, "mass_unit", str(exc), found=f"{mu}, {du}", expected="a mass and a "
                    "length (use amount + unit for passenger*km)")
            return None
        unit, how = "t*km", {"mass_t": mass * conversion_factor(mu, "t"),
                             "distance_km": dist * conversion_factor(du, "km")}
        amount = float("nan")  # computed with every line at once (kernels.distance_activity)
    if amount is None or unit is None:
        return None
    f = _factor(ctx, row, where, unit)
    if f is None:
        return None
    return _Computed(amount, unit, f[0], (f[1],),
                     "E = sum(mass x distance or passenger x distance) x mode factor (Scope 3 "
                     "Technical Guidance 2013, distance-based method, eq. 4.2 / 6.2)",
                     {"mass_distance": how} if how else {},
                     deferred=("distance", how["mass_t"], how["distance_km"]) if how else None)


def _waste_type(ctx: _Ctx, row, where) -> _Computed | None:
    """Waste-type-specific method: mass of waste by type and treatment x the treatment factor
    (TG 2013 §5 eq. 5.2; §12)."""
    amount, unit = _activity(ctx, row, where)
    wtype = ctx.get(row, where, "waste_type", str, "the waste type, e.g. commercial_industrial, "
                    "paper_board_mixed, plastics_average, metal_scrap, food_drink, wood")
    treat = ctx.get(row, where, "treatment", str, f"one of {list(WASTE_TREATMENTS)}")
    if treat is not None and treat not in WASTE_TREATMENTS:
        near = difflib.get_close_matches(treat, WASTE_TREATMENTS, n=1)
        ctx.add(where, "treatment", "unknown waste treatment", found=treat,
                expected=(f"did you mean {near[0]!r}? " if near else "")
                + f"one of {list(WASTE_TREATMENTS)}")
        return None
    if None in (amount, unit, wtype, treat):
        return None
    try:
        conversion_factor(unit, "t")
    except UnitError as exc:
        ctx.add(where, "unit", f"waste is a mass: {exc}", found=unit, expected="t or kg")
        return None
    r = dict(row)
    if "factor" not in r:
        r.setdefault("factor_key", f"scope3.waste.{wtype}.{treat}")
    f = _factor(ctx, r, where, unit)
    if f is None:
        return None
    return _Computed(amount, unit, f[0], (f[1],),
                     "E = sum(waste mass by type and treatment x treatment factor) (Scope 3 "
                     "Technical Guidance 2013, waste-type-specific method, eq. 5.2)",
                     {"waste_type": wtype, "treatment": treat})


def _use_phase(ctx: _Ctx, row, where) -> _Computed | None:
    """Direct use-phase emissions of sold energy-using products: units sold x uses over the
    lifetime x energy per use x the energy's factor (TG 2013 §11 eq. 11.1)."""
    units = ctx.number(row, where, "units_sold", "the number of products sold in the year")
    uses = ctx.number(row, where, "lifetime_uses", "uses (e.g. hours, cycles) over a product's "
                      "expected lifetime")
    energy = ctx.number(row, where, "energy_per_use", "energy per use, >= 0")
    eu = ctx.unit(row, where, "energy_unit")
    if None in (units, uses, energy, eu):
        return None
    f = _factor(ctx, row, where, eu)
    if f is None:
        return None
    return _Computed(units * uses * energy, eu, f[0], (f[1],),
                     "E = units sold x lifetime uses x energy per use x factor (Scope 3 "
                     "Technical Guidance 2013, direct use-phase emissions, eq. 11.1)",
                     {"units_sold": units, "lifetime_uses": uses, "energy_per_use": energy})


#: method -> (handler, method-specific keys, description).
METHODS: dict[str, tuple[Callable, set, str]] = {
    "supplier_specific": (_supplier_specific, {"amount", "unit", "supplier", "supplier_emissions",
                          "supplier_emissions_unit", "allocation_share", "allocation_ours",
                          "allocation_total", "allocation_unit"},
                          "供应商特定法 supplier-specific"),
    "hybrid": (_hybrid, {"amount", "unit", "supplier", "supplier_emissions",
               "supplier_emissions_unit", "allocation_share", "allocation_ours",
               "allocation_total", "allocation_unit", "inputs"}, "混合法 hybrid"),
    "average_data": (_average_data, {"amount", "unit"}, "平均数据法 average-data"),
    "spend_based": (_spend_based, {"amount", "unit", "price_year", "factor_price_year"},
                    "支出法 spend-based"),
    "distance_based": (_distance_based, {"amount", "unit", "mass", "mass_unit", "distance",
                       "distance_unit", "mode"}, "距离法 distance-based"),
    "waste_type": (_waste_type, {"amount", "unit", "waste_type", "treatment"},
                   "废弃物类型法 waste-type-specific"),
    "use_phase": (_use_phase, {"units_sold", "lifetime_uses", "energy_per_use", "energy_unit"},
                  "使用阶段直接排放 direct use-phase emissions"),
    "declared": (_declared, {"amount", "unit", "region"},
                 "声明因子 declared factor (older [[scope3]] form)"),
}


#: every key a line of each method may have
_KNOWN = {m: frozenset(_COMMON | _FACTOR | keys) for m, (_, keys, _) in METHODS.items()}


# -- screening --------------------------------------------------------------------------------

def _screening(ctx: _Ctx, raw) -> dict[int, dict]:
    out: dict[int, dict] = {}
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        ctx.add("scope3.screening", None, "[scope3.screening] must be a table", found=raw)
        return out
    for k, v in raw.items():
        where = f"scope3.screening.{k}"
        n = category_number(k)
        if n is None:
            ctx.add(where, str(k), "unknown Scope 3 category", found=k,
                    expected="1..15 or a category slug such as business_travel")
            continue
        if n in out:
            ctx.add(where, str(k), "category screened twice", found=k)
            continue
        entry = {"status": v} if isinstance(v, str) else v
        if not isinstance(entry, Mapping):
            ctx.add(where, str(k), "a screening entry is a status or a table", found=v,
                    expected="'relevant', or { status = 'not_relevant', reason = '...' }")
            continue
        unknown_keys(entry, {"status", "reason", "evidence"}, ctx.file, where, ctx.p)
        status = entry.get("status")
        if status not in SCREENING_STATUSES:
            ctx.add(where, "status", "unknown screening status", found=status,
                    expected=f"one of {list(SCREENING_STATUSES)}")
            continue
        reason = entry.get("reason")
        if status == "not_relevant" and not (isinstance(reason, str) and reason.strip()):
            ctx.add(where, "reason", "a category declared not relevant needs its reason",
                    expected="why the category does not apply (Scope 3 Standard §6.3)")
            continue
        out[n] = {"status": status, "reason": reason, "evidence": entry.get("evidence")}
    return out


# -- the build --------------------------------------------------------------------------------

_SETTINGS = {"lines", "lines_files", "screening", "exchange_rates", "price_indices",
             "factor_selection"}

#: CSV columns read as numbers / integers; ``dq_<indicator>`` columns fill ``data_quality``.
_CSV_FLOATS = {"amount", "factor", "mass", "distance", "supplier_emissions", "allocation_share",
               "allocation_ours", "allocation_total", "units_sold", "lifetime_uses",
               "energy_per_use"}
_CSV_INTS = {"category", "price_year", "factor_year", "factor_price_year"}
#: Upper bound on the rows of one lines file (a bigger file is refused, not truncated).
MAX_CSV_ROWS = 1_000_000


def _csv_lines(ctx: "_Ctx", names) -> list[tuple[str, dict]]:
    """Rows of ``[scope3] lines_files`` (CSV, header row, UTF-8), typed like TOML lines.

    Paths are relative to the inventory and must stay inside its folder. Empty cells are
    absent keys; a cell that should be a number and is not is a problem naming file, row and
    column (CSV rows are numbered from 2, the header being row 1).
    """
    import csv
    from pathlib import Path

    out: list[tuple[str, dict]] = []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        ctx.add("scope3", "lines_files", "lines_files must be a list of file names", found=names)
        return out
    base = Path(ctx.file).resolve().parent
    for j, name in enumerate(names):
        path = (base / name).resolve()
        if base not in path.parents or path.suffix.lower() != ".csv":
            ctx.add("scope3", f"lines_files[{j}]", "a lines file must be a .csv inside the "
                    "inventory's folder", found=name, expected=f"a CSV file under {base}")
            continue
        if not path.is_file():
            ctx.add("scope3", f"lines_files[{j}]", "lines file does not exist", found=name)
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            out += _csv_rows(ctx, name, csv.reader(fh))
    return out


def _csv_rows(ctx: "_Ctx", name: str, reader) -> list[tuple[str, dict]]:
    """The rows of one lines file as :func:`csv.DictReader` would give them (blank lines
    skipped and not counted), typed by column: each column's kind is decided once."""
    header = next(reader, None)
    while header == []:
        header = next(reader, None)
    if header is None:
        return []
    width = len(header)
    # per column: 0 text, 1 number (int if it looks like one, for the int columns), 2 float,
    # 3 data quality indicator
    kinds = [3 if k.startswith("dq_") else 1 if k in _CSV_INTS else 2 if k in _CSV_FLOATS
             else 0 for k in header]
    dq_names = [k[3:] for k in header]
    out: list[tuple[str, dict]] = []
    n = 1
    for cells in reader:
        if not cells:
            continue
        n += 1
        where = f"{name} row {n}"
        if n - 1 > MAX_CSV_ROWS:
            ctx.add(where, None, "too many rows in a lines file",
                    expected=f"at most {MAX_CSV_ROWS:,} rows per file")
            break
        row: dict = {}
        dq: dict = {}
        for j, v in enumerate(cells[:width]):
            v = v.strip()
            if not v:
                continue
            kind = kinds[j]
            if kind == 0:
                row[header[j]] = v
            elif kind == 3:
                dq[dq_names[j]] = v
            else:
                try:
                    row[header[j]] = int(v) if kind == 1 and v.lstrip("-").isdigit() \
                        else float(v)
                except ValueError:
                    row[header[j]] = v  # reported as the wrong type by the line's validation
        if len(cells) > width:
            ctx.add(where, None, "more cells than header columns", found=cells[width:])
        if dq:
            row["data_quality"] = dq
        out.append((where, row))
    return out


def build_scope3(inv, library: FactorLibrary, problems: list[Problem]) -> Scope3Build:
    """Validate the inventory's Scope 3 tables and compute every line's activity and factor.

    Parameters
    ----------
    inv : Inventory
    library : FactorLibrary
    problems : list of Problem
        Appended to; the engine raises them together with its own.

    Returns
    -------
    Scope3Build
    """
    with gc_paused():  # 100,000 lines are ~2 M live objects and no cycles
        return _build(inv, library, problems)


def _build(inv, library: FactorLibrary, problems: list[Problem]) -> Scope3Build:
    ctx = _Ctx(inv, library, problems)
    out = Scope3Build()
    raw = inv.raw.get("scope3")
    if raw is None:
        return out
    if isinstance(raw, list):  # the older form: [[scope3]] lines with their own factors
        out.legacy_form = True
        rows = [(f"scope3[{i}]", r) for i, r in enumerate(raw)]
        settings: Mapping = {}
    elif isinstance(raw, Mapping):
        unknown_keys(raw, _SETTINGS, ctx.file, "scope3", problems)
        settings = raw
        lines = raw.get("lines", [])
        if not isinstance(lines, list):
            ctx.add("scope3", "lines", "[[scope3.lines]] must be an array of tables", found=lines)
            lines = []
        rows = [(f"scope3.lines[{i}]", r) for i, r in enumerate(lines)]
        if "lines_files" in raw:
            rows += _csv_lines(ctx, raw["lines_files"])
    else:
        ctx.add("scope3", "scope3", "[scope3] must be a table (or the older [[scope3]] array)",
                found=type(raw).__name__, expected="a table [scope3] or an array [[scope3]]")
        return out
    if "factor_selection" in settings:
        ctx.selection = settings["factor_selection"]
    ctx.money = parse_money_tables(settings, ctx.file, problems)
    out.screening = _screening(ctx, settings.get("screening"))
    seen: dict[str, str] = {}
    for where, row in rows:
        if not isinstance(row, Mapping):
            ctx.add(where, None, "a Scope 3 line must be a table", found=row)
            continue
        spec = _line(ctx, out, where, row, seen)
        if spec is not None:
            out.lines.append(spec)
    _deferred_activity(out.lines)
    for n, s in out.screening.items():
        has = [ln for ln in out.lines if ln.details["scope3_category"] == n]
        if s["status"] == "not_relevant" and has:
            ctx.add(f"scope3.screening.{n}", "status", "category declared not relevant has "
                    "lines", found=[ln.source for ln in has],
                    expected="status 'relevant', or remove the lines")
        if s["status"] == "relevant" and not has:
            out.warnings.append(f"category {SCOPE3_CATEGORIES[n].label}: declared relevant but "
                                "not quantified (no lines)")
    out.factors_used = ctx.used
    return out


def _deferred_activity(lines: list[LineSpec]) -> None:
    """Spend and mass x distance activities of all lines in one vectorized pass."""
    for kind, kernel in (("spend", spend_activity), ("distance", distance_activity)):
        rows = [ln for ln in lines if (ln.details.get("_deferred") or ("",))[0] == kind]
        if not rows:
            continue
        cols = np.array([ln.details["_deferred"][1:] for ln in rows], dtype=np.float64).T
        values = kernel(*cols).tolist()
        for ln, v in zip(rows, values):
            ln.unallocated = v
    for ln in lines:
        ln.details.pop("_deferred", None)


def _line(ctx: _Ctx, out: Scope3Build, where: str, row: Mapping, seen) -> LineSpec | None:
    legacy = out.legacy_form
    method = "declared" if legacy and "method" not in row else row.get("method")
    if method not in METHODS:
        near = difflib.get_close_matches(str(method), METHODS, n=1)
        ctx.add(where, "method", "unknown or missing calculation method", found=method,
                expected=(f"did you mean {near[0]!r}? " if near else "")
                + f"one of {[m for m in METHODS if m != 'declared']}")
        return None
    handler, keys, _ = METHODS[method]
    unknown_keys(row, _KNOWN[method], ctx.file, where, ctx.p)
    lid = ctx.get(row, where, "id", str, "a unique line id")
    if lid in seen:
        ctx.add(where, "id", "duplicate Scope 3 line id", found=lid,
                expected=f"a unique id (also used by {seen[lid]})")
        return None
    if lid:
        seen[lid] = where
    cat_raw = row.get("category")
    n = category_number(cat_raw)
    if n is None:
        ctx.add(where, "category", "unknown Scope 3 category", found=cat_raw,
                expected="a GHG Protocol category 1..15 or its slug (e.g. 4 or "
                         "'upstream_transportation_and_distribution')")
        return None
    cat = SCOPE3_CATEGORIES[n]
    if method != "declared" and method not in cat.methods:
        ctx.add(where, "method", f"method {method!r} is not a method of category {cat.label}",
                found=method, expected=f"one of {list(cat.methods)} (Scope 3 Technical "
                                       "Guidance 2013)")
        return None
    declared = _declared_dq(ctx, row, where)
    computed = handler(ctx, row, where)
    if computed is None or lid is None or declared is None:
        return None
    # supplier-specific data describe the supplier's own operations: no factor region to judge
    # (an imported part's supplier abroad is representative of that part); hybrid inputs and
    # every other method use secondary factors whose age and region are scored
    secondary = computed.factors if method != "supplier_specific" else ()
    memo = (tuple(sorted(declared.items())), method, tuple(f.data_year for f in secondary),
            tuple(f.region for f in secondary))
    if memo not in ctx.quality:  # lines alike in every input share one (read-only) score
        q = score_line(declared, method=method, factor_years=list(memo[2]),
                       factor_regions=list(memo[3]), reporting_year=ctx.year,
                       factory_regions=ctx.factory_regions)
        ctx.quality[memo] = (q, q.to_dict())
    q, q_dict = ctx.quality[memo]
    out.quality[lid] = q
    details = {"scope3_category": n, "scope3_category_slug": cat.slug,
               "scope3_category_name": f"{cat.name_zh} {cat.name_en}", "method": method,
               "iso14064_category": cat.iso14064, "data_quality": q_dict,
               "description": str(row.get("description", "")),
               "evidence": str(row.get("evidence", "")), **computed.details}
    if computed.deferred is not None:
        details["_deferred"] = computed.deferred
    return LineSpec(
        id=f"scope3:{lid}:CO2e", category="scope3", source=lid,
        carrier=str(row.get("description", lid)), monthly=np.zeros(12),
        unallocated=float(computed.activity), activity_unit=computed.activity_unit,
        factor=float(computed.factor), factor_unit=f"tCO2e/({computed.activity_unit})",
        factors=computed.factors, gas="CO2", formula=computed.formula, details=details)


def _declared_dq(ctx: _Ctx, row, where) -> dict[str, str] | None:
    raw = row.get("data_quality", {})
    if not isinstance(raw, Mapping):
        ctx.add(where, "data_quality", "data_quality must be a table", found=raw,
                expected="{ technological = 'good', ... }")
        return None
    out = {}
    ok = True
    for k, v in raw.items():
        if k not in INDICATORS:
            near = difflib.get_close_matches(str(k), INDICATORS, n=1)
            ctx.add(where, f"data_quality.{k}", "unknown data quality indicator",
                    expected=(f"did you mean {near[0]!r}? " if near else "")
                    + f"one of {list(INDICATORS)}")
            ok = False
        elif v not in LEVELS:
            ctx.add(where, f"data_quality.{k}", "unknown data quality level", found=v,
                    expected=f"one of {list(LEVELS)} (Scope 3 Standard Table 7.6)")
            ok = False
        else:
            out[k] = v
    return out if ok else None
