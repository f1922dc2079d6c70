"""The factory inventory: one TOML file per factory and reporting year.

:func:`load_inventory` reads and validates the file and reports every problem at once, each with the
file, the table path (``meters[2]``) and the key. The format is documented in ``docs/inventory.md``.
Sections owned by other layers (``instruments``, ``offsets``, ``balance``, ``evidence``,
``process``) are kept raw on :attr:`Inventory.raw` and validated by those layers.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..carriers import CARRIERS, ROLES
from ..errors import InputError, ProblemCollector, UnitError
from ..factors import SelectionRule, measured_factor, Factor
from ..units import GWP_SETS, conversion_factor, parse_unit

__all__ = [
    "Factory",
    "Meter",
    "Activity",
    "Production",
    "ElectricityChoice",
    "Inventory",
    "load_inventory",
    "parse_inventory",
    "check_credit_code",
    "INTERVALS",
]

SCHEMA = "carbon_core.inventory/1"

#: Accepted meter intervals -> numpy timedelta / calendar step.
INTERVALS = {"15min": "15min", "1h": "1h", "1D": "1D", "1MS": "1MS"}

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

GRID_FACTOR_KINDS = {
    "average": "electricity.grid.average",
    "excl_market_nonfossil": "electricity.grid.excl_market_nonfossil",
    "fossil": "electricity.grid.fossil",
    "operational": "electricity.grid.operational",
}


def check_credit_code(code: str) -> str | None:
    """Check a unified social credit code (统一社会信用代码, GB 32100-2015).

    Returns None if valid, else the reason. The 18th character is a check digit over the first 17,
    weights 3^i mod 31, in the 31-character set without I, O, Z, S, V.

    Examples
    --------
    >>> check_credit_code("91350100M000100Y43") is None
    True
    >>> check_credit_code("91350100M000100Y44")
    "check digit is '4', expected '3'"
    """
    if not isinstance(code, str) or len(code) != 18:
        return "must be 18 characters"
    code = code.upper()
    bad = [c for c in code if c not in _USCC_CHARS]
    if bad:
        return f"characters {bad} are not allowed (I, O, Z, S, V are never used)"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"check digit is {code[17]!r}, expected {expected!r}"
    return None


@dataclass(frozen=True)
class Factory:
    name: str
    credit_code: str
    district: str = ""
    sectors: tuple[str, ...] = ()
    grid_province: str = ""
    grid_region: str = ""


@dataclass(frozen=True)
class Meter:
    """A meter: one time series in the data files.

    ``reading`` is ``"interval"`` (consumption per interval) or ``"cumulative"`` (register values;
    the consumption of the interval starting at t is R(t + step) - R(t), so a cumulative meter needs
    one reading more, at the start of the next year). ``to_canonical`` converts the meter's unit to
    the carrier's canonical unit.
    """

    id: str
    carrier: str
    unit: str
    role: str
    reading: str = "interval"
    interval: str = "15min"
    rollover: float | None = None
    renewable: bool = False
    enthalpy_kj_per_kg: float | None = None
    temperature_c: float | None = None
    to_canonical: float = 1.0
    table: str = ""


@dataclass(frozen=True)
class Activity:
    """Activity not metered: fuel by invoice, heat by bill."""

    id: str
    carrier: str
    role: str
    amount: float
    unit: str
    period: str
    evidence: str = ""
    enthalpy_kj_per_kg: float | None = None
    temperature_c: float | None = None
    to_canonical: float = 1.0
    table: str = ""


@dataclass(frozen=True)
class Production:
    output: float | None = None
    output_unit: str = ""
    value_added_wan_cny: float | None = None


@dataclass(frozen=True)
class ElectricityChoice:
    """Which grid factor location-based Scope 2 uses."""

    kind: str = "average"
    region: str = "CN"
    rule: SelectionRule = field(default_factory=lambda: SelectionRule.parse("latest:Y-2"))

    @property
    def key(self) -> str:
        return GRID_FACTOR_KINDS[self.kind]


@dataclass(frozen=True)
class Inventory:
    """A validated factory inventory.

    Build it with :func:`load_inventory`; other layers read their own sections from :attr:`raw`
    through :meth:`sections`.
    """

    path: Path
    raw: Mapping[str, Any]
    reporting_year: int
    gwp_set: str
    factory: Factory
    electricity: ElectricityChoice
    meters: tuple[Meter, ...]
    activities: tuple[Activity, ...]
    production: Production
    data_files: tuple[Path, ...] = ()
    gap_policy: str = "error"
    fuel_edition: str | None = None
    measured_factors: tuple[Factor, ...] = ()

    def sections(self, name: str) -> Any:
        """Raw table of a section owned by another layer (``[]``/``{}`` when absent)."""
        default: Any = [] if name in ("instruments", "offsets") else {}
        return self.raw.get(name, default)

    def meter(self, meter_id: str) -> Meter:
        """The meter called ``meter_id`` (KeyError if none)."""
        index = self.__dict__.get("_meter_index")
        if index is None:  # built once; the dataclass is frozen, so bypass __setattr__
            index = {m.id: m for m in self.meters}
            object.__setattr__(self, "_meter_index", index)
        return index[meter_id]


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate an inventory TOML file.

    Raises
    ------
    InputError
        With every problem found, each naming the file, table and key.
    """
    from .toml_text import read_toml, shape_problems  # UTF-8 (BOM accepted, GBK named)

    path = Path(path)
    raw = read_toml(path)
    shape = shape_problems(raw, str(path))
    if shape:
        raise InputError(shape, title=f"{len(shape)} problem(s) in inventory {path}")
    return parse_inventory(raw, path)


def _get(p: ProblemCollector, table: Mapping, key: str, kind, where: str, *,
         required=True, default=None, expected: str = ""):
    if key not in table:
        if required:
            p.add("missing key", row=where or None, field=key,
                  expected=expected or kind.__name__)
        return default
    value = table[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        p.add("wrong type", row=where or None, field=key, found=value,
              expected=expected or " or ".join(k.__name__ for k in kinds))
        return default
    return value


def _heat_params(p, row, where, carrier, unit, inv_raw):
    """Enthalpy or temperature needed to turn steam / hot water in t into GJ."""
    enthalpy = row.get("enthalpy_kj_per_kg", inv_raw.get("steam", {}).get("enthalpy_kj_per_kg"))
    temperature = row.get("temperature_c")
    needs_mass = carrier in ("steam", "hot_water") and _is_mass(unit)
    if needs_mass and carrier == "steam" and not isinstance(enthalpy, (int, float)):
        p.add("steam measured by mass needs its enthalpy to convert to GJ", row=where,
              field="enthalpy_kj_per_kg", found=enthalpy,
              expected="enthalpy in kJ/kg on the meter/activity or in [steam]")
    if needs_mass and carrier == "hot_water" and not isinstance(temperature, (int, float)):
        p.add("hot water measured by mass needs its temperature to convert to GJ", row=where,
              field="temperature_c", found=temperature, expected="temperature in °C")
    return (float(enthalpy) if isinstance(enthalpy, (int, float)) else None,
            float(temperature) if isinstance(temperature, (int, float)) else None)


def _is_mass(unit: str) -> bool:
    try:
        return parse_unit(unit).dimensionality == parse_unit("t").dimensionality
    except UnitError:
        return False


def _canonical_factor(p, carrier: str, unit: str, where: str) -> float:
    """Conversion factor from ``unit`` to the carrier's canonical unit (heat: to GJ)."""
    c = CARRIERS[carrier]
    target = c.canonical_unit
    if c.kind in ("steam", "hot_water") and not _is_mass(unit):
        target = "GJ"  # steam or hot water already metered as heat
    try:
        return conversion_factor(unit, target)
    except UnitError as exc:
        p.add("unit does not fit the carrier", row=where, field="unit", found=unit,
              expected=f"a unit convertible to {target} for {carrier} ({exc})")
        return float("nan")


def _fugitive_activity(p: ProblemCollector, row: Mapping, where: str, aid, year) -> "Activity":
    """A refrigerant / SF6 top-up: ``gas`` and a mass; the carrier is the gas itself."""
    from ..units import GASES

    gas = _get(p, row, "gas", str, where, expected="a gas such as HFC-134a, SF6")
    if gas is not None and gas not in GASES:
        p.add("unknown gas", row=where, field="gas", found=gas, expected=f"one of {sorted(GASES)}"
              + " (blends such as R-410A: declare each component, or use a sector plugin)")
        gas = None
    amount = _get(p, row, "amount", (int, float), where, expected="a mass >= 0")
    if isinstance(amount, (int, float)) and amount < 0:
        p.add("negative amount", row=where, field="amount", found=amount, expected="a mass >= 0")
    unit = _get(p, row, "unit", str, where, expected="a mass unit: kg or t")
    factor = float("nan")
    if unit is not None:
        try:
            factor = conversion_factor(unit, "t")
        except UnitError as exc:
            p.add("a top-up is a mass", row=where, field="unit", found=unit,
                  expected=f"kg or t ({exc})")
    period = str(row.get("period", year))
    return Activity(id=aid or f"<{where}>", carrier=gas or "", role="fugitive",
                    amount=float(amount) if isinstance(amount, (int, float)) else float("nan"),
                    unit=unit or "", period=period, evidence=str(row.get("evidence", "")),
                    to_canonical=factor, table=where)


def parse_inventory(raw: Mapping[str, Any], path: str | Path = "inventory.toml") -> Inventory:
    """Validate a parsed inventory (see :func:`load_inventory`)."""
    path = Path(path)
    p = ProblemCollector(str(path))
    schema = raw.get("schema", SCHEMA)
    if schema != SCHEMA:
        p.add("unknown schema", field="schema", found=schema, expected=repr(SCHEMA))
    year = _get(p, raw, "reporting_year", int, "", expected="a year such as 2024")
    if isinstance(year, int) and not 2000 <= year <= 2100:
        p.add("reporting year out of range", field="reporting_year", found=year,
              expected="a year between 2000 and 2100")
    gwp_set = _get(p, raw, "gwp_set", str, "", expected=f"one of {list(GWP_SETS)}")
    if isinstance(gwp_set, str) and gwp_set not in GWP_SETS:
        p.add("unknown GWP set", field="gwp_set", found=gwp_set, expected=f"one of {list(GWP_SETS)}")

    # -- factory ------------------------------------------------------------------------------
    fac = raw.get("factory")
    if not isinstance(fac, Mapping):
        p.add("missing [factory] table", field="factory", expected="a [factory] table")
        fac = {}
    name = _get(p, fac, "name", str, "factory")
    code = _get(p, fac, "credit_code", str, "factory",
                expected="an 18-character unified social credit code 统一社会信用代码")
    if isinstance(code, str):
        reason = check_credit_code(code)
        if reason:
            p.add(f"invalid unified social credit code: {reason}", row="factory",
                  field="credit_code", found=code,
                  expected="a valid code per GB 32100-2015 (check digit over the first 17)")
    sectors = _get(p, fac, "sectors", list, "factory", required=False, default=[])
    province = _get(p, fac, "grid_province", str, "factory", required=False, default="")
    region = _get(p, fac, "grid_region", str, "factory", required=False, default="")
    factory = Factory(name=name or "", credit_code=(code or "").upper(),
                      district=fac.get("district", ""),
                      sectors=tuple(str(s) for s in sectors), grid_province=province,
                      grid_region=region)

    # -- electricity factor choice ------------------------------------------------------------
    el = raw.get("electricity", {})
    kind = el.get("factor", "average")
    if kind not in GRID_FACTOR_KINDS:
        p.add("unknown grid factor kind", row="electricity", field="factor", found=kind,
              expected=f"one of {sorted(GRID_FACTOR_KINDS)}")
        kind = "average"
    el_region = el.get("region", province or "CN")
    try:
        rule = SelectionRule.parse(el.get("selection", "latest:Y-2"))
    except ValueError as exc:
        p.add(str(exc), row="electricity", field="selection", found=el.get("selection"))
        rule = SelectionRule.parse("latest:Y-2")
    electricity = ElectricityChoice(kind=kind, region=el_region, rule=rule)

    # -- meters -------------------------------------------------------------------------------
    meters = []
    seen: dict[str, str] = {}
    for i, row in enumerate(raw.get("meters", [])):
        where = f"meters[{i}]"
        mid = _get(p, row, "id", str, where)
        if mid in seen:
            p.add("duplicate meter id", row=where, field="id", found=mid,
                  expected=f"a unique id (also used by {seen[mid]})")
        elif mid:
            seen[mid] = where
        carrier = _get(p, row, "carrier", str, where)
        if carrier is not None and carrier not in CARRIERS:
            p.add("unknown carrier", row=where, field="carrier", found=carrier,
                  expected=f"one of {sorted(CARRIERS)}")
            carrier = None
        unit = _get(p, row, "unit", str, where)
        if unit is not None:
            try:
                parse_unit(unit)
            except UnitError as exc:
                p.add(str(exc), row=where, field="unit", found=unit)
                unit = None
        role = _get(p, row, "role", str, where, expected=f"one of {sorted(ROLES)}")
        if role is not None and role not in ROLES:
            p.add("unknown role", row=where, field="role", found=role,
                  expected=f"one of {sorted(ROLES)}")
            role = None
        if role and carrier and CARRIERS[carrier].kind not in ROLES[role]:
            p.add(f"role {role!r} does not take carrier {carrier!r}", row=where, field="role",
                  found=role, expected=f"a carrier of kind {ROLES[role]}")
        reading = row.get("reading", "interval")
        if reading not in ("interval", "cumulative"):
            p.add("unknown reading type", row=where, field="reading", found=reading,
                  expected="'interval' or 'cumulative'")
        interval = row.get("interval", "15min")
        if interval not in INTERVALS:
            p.add("unknown interval", row=where, field="interval", found=interval,
                  expected=f"one of {list(INTERVALS)}")
        rollover = row.get("rollover")
        if rollover is not None and (not isinstance(rollover, (int, float)) or rollover <= 0):
            p.add("rollover must be the positive register maximum", row=where, field="rollover",
                  found=rollover, expected="e.g. 99999999")
        factor = 1.0
        enthalpy = temperature = None
        if carrier and unit:
            factor = _canonical_factor(p, carrier, unit, where)
            enthalpy, temperature = _heat_params(p, row, where, carrier, unit, raw)
        meters.append(Meter(
            id=mid or f"<meters[{i}]>", carrier=carrier or "", unit=unit or "",
            role=role or "", reading=reading, interval=interval,
            rollover=float(rollover) if isinstance(rollover, (int, float)) else None,
            renewable=bool(row.get("renewable", False)), enthalpy_kj_per_kg=enthalpy,
            temperature_c=temperature, to_canonical=factor, table=where))

    # -- activities ---------------------------------------------------------------------------
    activities = []
    for i, row in enumerate(raw.get("activities", [])):
        where = f"activities[{i}]"
        aid = _get(p, row, "id", str, where)
        if aid in seen:
            p.add("duplicate id (meters and activities share one namespace)", row=where,
                  field="id", found=aid, expected=f"a unique id (also used by {seen[aid]})")
        elif aid:
            seen[aid] = where
        role = _get(p, row, "role", str, where, expected=f"one of {sorted(ROLES)}")
        if role is not None and role not in ROLES:
            p.add("unknown role", row=where, field="role", found=role,
                  expected=f"one of {sorted(ROLES)}")
            role = None
        if role == "fugitive":
            activities.append(_fugitive_activity(p, row, where, aid, year))
            continue
        carrier = _get(p, row, "carrier", str, where)
        if carrier is not None and carrier not in CARRIERS:
            p.add("unknown carrier", row=where, field="carrier", found=carrier,
                  expected=f"one of {sorted(CARRIERS)}")
            carrier = None
        if role and carrier and CARRIERS[carrier].kind not in ROLES[role]:
            p.add(f"role {role!r} does not take carrier {carrier!r}", row=where, field="role",
                  found=role, expected=f"a carrier of kind {ROLES[role]}")
        amount = _get(p, row, "amount", (int, float), where, expected="a number >= 0")
        if isinstance(amount, (int, float)) and amount < 0:
            p.add("negative amount", row=where, field="amount", found=amount,
                  expected="a number >= 0 (exports are declared with role 'export')")
        unit = _get(p, row, "unit", str, where)
        period = str(row.get("period", year))
        if isinstance(year, int) and not re.fullmatch(rf"{year}(-(0[1-9]|1[0-2]))?", period):
            p.add("period outside the reporting year", row=where, field="period", found=period,
                  expected=f"'{year}' or a month '{year}-MM'")
        factor = 1.0
        enthalpy = temperature = None
        if carrier and unit:
            try:
                parse_unit(unit)
                factor = _canonical_factor(p, carrier, unit, where)
                enthalpy, temperature = _heat_params(p, row, where, carrier, unit, raw)
            except UnitError as exc:
                p.add(str(exc), row=where, field="unit", found=unit)
        activities.append(Activity(
            id=aid or f"<activities[{i}]>", carrier=carrier or "", role=role or "",
            amount=float(amount) if isinstance(amount, (int, float)) else float("nan"),
            unit=unit or "", period=period, evidence=str(row.get("evidence", "")),
            enthalpy_kj_per_kg=enthalpy, temperature_c=temperature, to_canonical=factor,
            table=where))

    # -- measured factors ---------------------------------------------------------------------
    measured = []
    for i, row in enumerate(raw.get("measured_factors", [])):
        where = f"measured_factors[{i}]"
        key = _get(p, row, "key", str, where)
        value = _get(p, row, "value", (int, float), where)
        unit = _get(p, row, "unit", str, where)
        evidence = row.get("evidence", "")
        if not evidence:
            p.add("a measured factor needs its evidence", row=where, field="evidence",
                  expected="the lab report or certificate the value comes from")
        if key and value is not None and unit:
            try:
                measured.append(measured_factor(key, value, unit, row.get("region", "CN"),
                                                evidence=evidence, file=str(path)))
            except UnitError as exc:
                p.add(str(exc), row=where, field="unit", found=unit)

    # -- production ---------------------------------------------------------------------------
    prod = raw.get("production", {})
    output = prod.get("output")
    if output is not None and (not isinstance(output, (int, float)) or output <= 0):
        p.add("production output must be a positive number", row="production", field="output",
              found=output, expected="a number > 0")
        output = None
    va = prod.get("value_added")
    va_wan = None
    if va is not None:
        if not isinstance(va, (int, float)) or va <= 0:
            p.add("value added must be a positive number", row="production",
                  field="value_added", found=va, expected="a number > 0")
        else:
            try:
                va_wan = float(va) * conversion_factor(prod.get("value_added_unit", "万元"),
                                                       "wan_CNY")
            except UnitError as exc:
                p.add(str(exc), row="production", field="value_added_unit",
                      found=prod.get("value_added_unit"), expected="万元, 元 or 亿元")
    production = Production(output=float(output) if output else None,
                            output_unit=str(prod.get("output_unit", "")),
                            value_added_wan_cny=va_wan)

    # -- data ---------------------------------------------------------------------------------
    data = raw.get("data", {})
    files = []
    for j, f in enumerate(data.get("files", [])):
        fp = (path.parent / f).resolve() if not Path(f).is_absolute() else Path(f)
        if not fp.exists():
            p.add("data file does not exist", row="data", field=f"files[{j}]", found=str(f),
                  expected=f"a CSV or Parquet file relative to {path.parent}")
        elif fp.suffix.lower() not in (".csv", ".parquet", ".pq"):
            p.add("unknown data file type", row="data", field=f"files[{j}]", found=str(f),
                  expected=".csv or .parquet")
        files.append(fp)
    if meters and not files:
        p.add("meters are declared but no data files", row="data", field="files",
              expected="a list of CSV or Parquet files")
    gap_policy = data.get("gap_policy", "error")
    if gap_policy not in ("error", "zero", "linear"):
        p.add("unknown gap policy", row="data", field="gap_policy", found=gap_policy,
              expected="'error', 'zero' or 'linear'")

    # -- report tables: [targets], [dynamic] (carbon_core.io.targets) -------------------------
    from .targets import check_tables
    check_tables(raw, p)

    p.raise_if_any(title=f"{len(p.problems)} problem(s) in inventory {path}")
    return Inventory(
        path=path, raw=raw, reporting_year=year, gwp_set=gwp_set, factory=factory,
        electricity=electricity, meters=tuple(meters), activities=tuple(activities),
        production=production, data_files=tuple(files), gap_policy=gap_policy,
        fuel_edition=raw.get("fuels", {}).get("edition"), measured_factors=tuple(measured))
