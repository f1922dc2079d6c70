"""The factory inventory: one TOML file per factory and reporting year.

:func:`load_inventory` reads and validates the file and reports every problem at once, each with the
file, the table path (``meters[2]``) and the key. The format is documented in ``docs/inventory.md``.
Every key of every table is declared (:func:`inventory_schema`, :mod:`carbon_core.schema`): an
unknown key is refused with the closest declared key suggested. Sections owned by other layers
(``instruments``, ``offsets``, ``balance``, ``evidence``, ``process``) are declared here as reserved
keys, kept raw on :attr:`Inventory.raw` and validated in depth by those layers. Later layers add
their own tables with :func:`register_inventory_table` and fields with
:func:`extend_inventory_table`.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..carriers import CARRIERS, ROLES, is_mass_unit
from ..errors import InputError, PluginError, ProblemCollector, UnitError
from ..factors import SelectionRule, measured_factor, Factor
from ..meter_accuracy import ACCURACY_CLASSES
from ..schema import MISSPELLING_CUTOFF, Field, Table, suggest, validate_into
from ..units import GWP_SETS, conversion_factor

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
    "inventory_schema",
    "register_inventory_table",
    "extend_inventory_table",
    "INVENTORY_EXTENSIONS",
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

    Parameters
    ----------
    code : str
        The code as written (lower case is accepted).

    Returns
    -------
    str or None
        None for a valid code; else why not (length, a character outside the set, or the check
        digit found and expected).

    References
    ----------
    GB 32100-2015 法人和其他组织统一社会信用代码编码规则 (coding rules of the unified social
    credit code), check character computed modulo 31.

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
    """Who reports: the inventory's ``[factory]`` table.

    Attributes
    ----------
    name : str
        The legal entity's name.
    credit_code : str
        Unified social credit code 统一社会信用代码 (18 characters, GB 32100-2015), upper case.
    district : str
        District or park, as the programme names it.
    sectors : tuple of str
        The sector plugins to run (their inputs are ``[process.<sector>]``).
    grid_province : str
        ISO 3166-2 province of the grid connection, e.g. ``"CN-AH"``.
    grid_region : str
        Regional grid, e.g. ``"CN-GRID-EAST"``.
    """
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

    Attributes
    ----------
    id : str
        Unique among meters and activities; the ``meter`` column of the data files.
    carrier : str
        What is metered, a key of :data:`carbon_core.carriers.CARRIERS`.
    unit : str
        The unit of the values in the data files, as written.
    role : str
        A key of :data:`carbon_core.carriers.ROLES` (submeters are informational, never
        counted twice).
    reading : str
        ``"interval"`` or ``"cumulative"``.
    interval : str
        ``"15min"``, ``"1h"``, ``"1D"`` or ``"1MS"`` (monthly).
    rollover : float or None
        Cumulative registers: the modulus the register wraps at, in ``unit`` (an 8-digit
        register: 100000000).
    renewable : bool
        ``onsite_generation`` from renewable sources.
    enthalpy_kj_per_kg : float or None
        Steam metered by mass: its specific enthalpy [kJ/kg] (the row's, else ``[steam]``'s).
    temperature_c : float or None
        Hot water metered by mass: its temperature [°C].
    to_canonical : float
        Multiplier from ``unit`` to the carrier's canonical unit (steam and hot water metered
        as heat: to GJ) [canonical unit per unit].
    table : str
        Where it is declared (``"meters[2]"``).
    accuracy_class : str or None
        The meter's accuracy class (:mod:`carbon_core.meter_accuracy`), e.g. ``"0.5S"``.
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
    accuracy_class: str | None = None  # e.g. "0.5S": carbon_core.meter_accuracy (issue 12)


@dataclass(frozen=True)
class Activity:
    """Activity not metered: fuel by invoice, heat by bill, refrigerant top-ups.

    Attributes
    ----------
    id : str
        Unique among meters and activities.
    carrier : str
        A key of :data:`carbon_core.carriers.CARRIERS`; for a ``fugitive`` top-up, the gas
        (a key of :data:`carbon_core.units.GASES`).
    role : str
        A key of :data:`carbon_core.carriers.ROLES`.
    amount : float
        The amount, in ``unit`` (NaN when it was missing: a problem was raised).
    unit : str
        Unit of ``amount``, as written (fugitive: a mass).
    period : str
        ``"YYYY"`` (the reporting year, the default) or a month ``"YYYY-MM"``.
    evidence : str
        The invoice, bill or log the amount comes from.
    enthalpy_kj_per_kg : float or None
        Steam by mass: its specific enthalpy [kJ/kg].
    temperature_c : float or None
        Hot water by mass: its temperature [°C].
    to_canonical : float
        Multiplier from ``unit`` to the carrier's canonical unit (fugitive: to t).
    table : str
        Where it is declared (``"activities[0]"``).
    """

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
    """The year's production, for intensity metrics.

    Attributes
    ----------
    output : float or None
        Quantity produced, in ``output_unit``.
    output_unit : str
        Unit of ``output`` as written.
    value_added_wan_cny : float or None
        Industrial value added [10^4 CNY] (万元).
    """
    output: float | None = None
    output_unit: str = ""
    value_added_wan_cny: float | None = None


@dataclass(frozen=True)
class ElectricityChoice:
    """Which grid factor location-based Scope 2 uses.

    Attributes
    ----------
    kind : str
        A key of :data:`GRID_FACTOR_KINDS` (``"average"``, ``"excl_market_nonfossil"``,
        ``"fossil"``, ``"operational"``).
    region : str
        The factor's region: ``[electricity] region``, else the factory's grid province, else
        ``"CN"``.
    rule : SelectionRule
        The data-year rule (default ``latest:Y-2``).
    """

    kind: str = "average"
    region: str = "CN"
    rule: SelectionRule = field(default_factory=lambda: SelectionRule.parse("latest:Y-2"))

    @property
    def key(self) -> str:
        """The factor key of the chosen grid-factor kind (:data:`GRID_FACTOR_KINDS`)."""
        return GRID_FACTOR_KINDS[self.kind]


@dataclass(frozen=True)
class Inventory:
    """A validated factory inventory.

    Build it with :func:`load_inventory`; other layers read their own sections from :attr:`raw`
    through :meth:`sections`.

    Attributes
    ----------
    path : Path
        The inventory file; the files it names are relative to its folder.
    raw : mapping
        The parsed TOML as written.
    reporting_year : int
        The reporting year.
    gwp_set : str
        The GWP set, one of :data:`carbon_core.units.GWP_SETS`.
    factory : Factory
        The ``[factory]`` table.
    electricity : ElectricityChoice
        The location-based grid factor choice.
    meters : tuple of Meter
        The ``[[meters]]``, in order.
    activities : tuple of Activity
        The ``[[activities]]``, in order.
    production : Production
        The ``[production]`` table.
    data_files : tuple of Path
        The meter data files (a relative path resolved against the inventory's folder).
    gap_policy : str
        ``"error"``, ``"zero"`` or ``"linear"``: what is done with missing intervals.
    fuel_edition : str or None
        ``[fuels] edition``: the default fuel factor edition.
    measured_factors : tuple of Factor
        The ``[[measured_factors]]`` (实测) that override defaults.
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
        """Raw table of a section owned by another layer (``[]``/``{}`` when absent).

        Parameters
        ----------
        name : str
            The top-level key (``"instruments"``, ``"offsets"``, ``"balance"``...).

        Returns
        -------
        Any
            The value as written; ``[]`` for an absent ``instruments`` or ``offsets``, ``{}``
            for any other absent section.
        """
        default: Any = [] if name in ("instruments", "offsets") else {}
        return self.raw.get(name, default)

    def meter(self, meter_id: str) -> Meter:
        """The meter called ``meter_id`` (KeyError if none).

        Parameters
        ----------
        meter_id : str
            A meter id.

        Returns
        -------
        Meter

        Raises
        ------
        KeyError
            When no meter has that id.
        """
        index = self.__dict__.get("_meter_index")
        if index is None:  # built once; the dataclass is frozen, so bypass __setattr__
            index = {m.id: m for m in self.meters}
            object.__setattr__(self, "_meter_index", index)
        return index[meter_id]

    def meters_by_interval(self) -> dict[str, list[int]]:
        """Positions in :attr:`meters` of the meters of each interval, in inventory order.

        Returns
        -------
        dict of str to list of int
            Interval (``"15min"``, ``"1h"``, ``"1D"``, ``"1MS"``) -> meter positions; intervals
            in the order their first meter is declared.
        """
        groups: dict[str, list[int]] = {}
        for k, m in enumerate(self.meters):
            groups.setdefault(m.interval, []).append(k)
        return groups


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate an inventory TOML file.

    Parameters
    ----------
    path : str or Path
        The inventory file (UTF-8 TOML; a byte-order mark is accepted).

    Returns
    -------
    Inventory

    Raises
    ------
    InputError
        With every problem found, each naming the file, table and key.
    """
    from .toml_text import read_toml  # UTF-8 (BOM accepted, GBK named)

    path = Path(path)
    # numbers (finite, bounded) and table shapes are checked by the schema layer with every other
    # problem at once; here only what it cannot see: the encoding
    raw = read_toml(path, check_numbers=False)
    from .toml_text import nonfinite_problems

    huge = [p for p in nonfinite_problems(raw, str(path)) if "magnitude" in p.message]
    if huge:  # 1e308 is finite but overflows float64 products with factors
        raise InputError(huge, title=f"{len(huge)} number(s) refused in {path}")
    from .toml_text import shape_problems  # a table given as text: refused before reading

    shape = shape_problems(raw, str(path))
    if shape:
        raise InputError(shape, title=f"{len(shape)} problem(s) in inventory {path}")
    return parse_inventory(raw, path)


def _heat_params(p, row, given, where, carrier, unit, steam_enthalpy):
    """Enthalpy or temperature needed to turn steam / hot water in t into GJ (``given``: the row
    as written, so that a value already refused is not reported twice)."""
    enthalpy = row["enthalpy_kj_per_kg"]
    if "enthalpy_kj_per_kg" not in given:
        enthalpy = steam_enthalpy
    temperature = row["temperature_c"]
    needs_mass = carrier in ("steam", "hot_water") and is_mass_unit(unit)
    if needs_mass and carrier == "steam" and enthalpy is None and (
            "enthalpy_kj_per_kg" not in given):
        p.add("steam measured by mass needs its enthalpy to convert to GJ", row=where,
              field="enthalpy_kj_per_kg", expected="enthalpy in kJ/kg on the meter/activity or "
              "in [steam]")
    if needs_mass and carrier == "hot_water" and "temperature_c" not in given:
        p.add("hot water measured by mass needs its temperature to convert to GJ", row=where,
              field="temperature_c", expected="temperature in °C")
    return enthalpy, temperature


def _canonical_factor(p, carrier: str, unit: str, where: str) -> float:
    """Conversion factor from ``unit`` to the carrier's canonical unit (heat: to GJ)."""
    c = CARRIERS[carrier]
    target = c.canonical_unit
    if c.kind in ("steam", "hot_water") and not is_mass_unit(unit):
        target = "GJ"  # steam or hot water already metered as heat
    try:
        return conversion_factor(unit, target)
    except UnitError as exc:
        p.add("unit does not fit the carrier", row=where, field="unit", found=unit,
              expected=f"a unit convertible to {target} for {carrier} ({exc})")
        return float("nan")


def _fugitive_activity(p: ProblemCollector, row: Mapping, given: Mapping, where: str, aid,
                       year) -> "Activity":
    """A refrigerant / SF6 top-up: ``gas`` and a mass; the carrier is the gas itself."""
    from ..units import GASES

    gas = row["gas"]
    if "gas" not in given:
        p.add("missing key", row=where, field="gas", expected="a gas such as HFC-134a, SF6")
    elif gas is not None and gas not in GASES:
        p.add("unknown gas", row=where, field="gas", found=gas, expected=f"one of {sorted(GASES)}"
              + " (blends such as R-410A: declare each component, or use a sector plugin)")
        gas = None
    unit, amount = row["unit"], row["amount"]
    factor = float("nan")
    if unit is not None:
        try:
            factor = conversion_factor(unit, "t")
        except UnitError as exc:
            p.add("a top-up is a mass", row=where, field="unit", found=unit,
                  expected=f"kg or t ({exc})")
    period = str(row["period"] if row["period"] is not None else year)
    return Activity(id=aid or f"<{where}>", carrier=gas or "", role="fugitive",
                    amount=float("nan") if amount is None else amount,
                    unit=unit or "", period=period, evidence=row["evidence"] or "",
                    to_canonical=factor, table=where)


# --------------------------------------------------------------------------------------------------
# Declarations (carbon_core.schema): every key of every core table; unknown keys are refused
# --------------------------------------------------------------------------------------------------


FACTORY = Table("factory", (
    Field("name", kind="text", doc="the legal entity's name"),
    Field("credit_code", kind="text",
          doc="an 18-character unified social credit code 统一社会信用代码 (GB 32100-2015, "
              "check digit verified)"),
    Field("district", kind="text", allow_empty=True, default="", required=False,
          doc="district or park, as the programme names it"),
    Field("sectors", kind="list", item=Field("sector", kind="text"), default=[], required=False,
          doc="sector plugins to run (`carbon plugins`); their inputs are `[process.<sector>]`"),
    Field("grid_province", kind="text", allow_empty=True, default="", required=False,
          doc="ISO 3166-2 province of the grid connection, e.g. CN-AH"),
    Field("grid_region", kind="text", allow_empty=True, default="", required=False,
          doc="regional grid, e.g. CN-GRID-EAST"),
), rows=False, required=True, doc="Who reports.")

ELECTRICITY = Table("electricity", (
    Field("factor", kind="choice", choices=tuple(sorted(GRID_FACTOR_KINDS)), default="average",
          required=False, doc="which grid factor location-based Scope 2 uses"),
    Field("region", kind="text", required=False, doc="factor region; default: factory.grid_province, "
          "else CN"),
    Field("selection", kind="text", default="latest:Y-2", required=False,
          doc="data-year selection rule (carbon_core.factors.SelectionRule), e.g. latest:Y-2"),
), rows=False, doc="The location-based Scope 2 factor choice.")

FUELS = Table("fuels", (
    Field("edition", kind="text", required=False,
          doc="default fuel factor edition (optional if only one matches)"),
), rows=False)

DATA = Table("data", (
    Field("files", kind="list", item=Field("file", kind="text"), default=[], required=False,
          doc="meter data files, long format timestamp, meter, value (CSV or Parquet), "
              "relative to the inventory"),
    Field("gap_policy", kind="choice", choices=("error", "zero", "linear"), default="error",
          required=False, doc="what to do with missing intervals"),
), rows=False)

_HEAT = (
    Field("enthalpy_kj_per_kg", kind="number", minimum=0.0, exclusive_minimum=True, required=False,
          doc="steam measured by mass: its specific enthalpy (else [steam])"),
    Field("temperature_c", kind="number", minimum=0.0, required=False,
          doc="hot water measured by mass: its temperature"),
)

METER = Table("meters", (
    Field("id", kind="text", doc="unique among meters and activities; the data files' meter"),
    Field("carrier", kind="choice", choices=tuple(sorted(CARRIERS)), doc="what is metered"),
    Field("unit", kind="unit", doc="the unit of the values in the data files"),
    Field("role", kind="choice", choices=tuple(sorted(ROLES)),
          doc="submeters are informational, never counted twice"),
    Field("reading", kind="choice", choices=("interval", "cumulative"), default="interval",
          required=False, doc="consumption per interval, or register values"),
    Field("interval", kind="choice", choices=tuple(INTERVALS), default="15min", required=False,
          doc="1MS = monthly"),
    Field("rollover", kind="number", minimum=0.0, exclusive_minimum=True, required=False,
          doc="cumulative registers: the modulus (an 8-digit register wraps at 100000000)"),
    Field("renewable", kind="bool", default=False, required=False,
          doc="onsite_generation from renewable sources"),
    Field("accuracy_class", kind="choice", choices=tuple(sorted(ACCURACY_CLASSES)),
          required=False,
          doc="the meter's accuracy class (IEC 62053 / GB/T 17215, OIML R 137, EN 1434), "
              "for the uncertainty of metered activity"),
    *_HEAT,
    Field("description", kind="text", required=False, doc="free text"),
    Field("note", kind="text", allow_empty=True, required=False, doc="free text"),
), doc="One time series in the data files.")

ACTIVITY = Table("activities", (
    Field("id", kind="text", doc="unique among meters and activities"),
    Field("role", kind="choice", choices=tuple(sorted(ROLES)),
          doc="`fugitive` for refrigerant / SF6 top-ups"),
    Field("carrier", kind="choice", choices=tuple(sorted(CARRIERS)), required=False,
          doc="required except for fugitive top-ups"),
    Field("gas", kind="text", required=False,
          doc="fugitive: a gas of carbon_core.units.GASES (blends: one row per component)"),
    Field("amount", kind="number", minimum=0.0,
          doc="the amount; exports are declared with role 'export'"),
    Field("unit", kind="unit", doc="unit of amount (fugitive: kg or t)"),
    Field("period", kind="text", required=False,
          doc="'YYYY' (the reporting year, default) or a month 'YYYY-MM'"),
    Field("evidence", kind="text", allow_empty=True, default="", required=False,
          doc="invoice, bill or log the amount comes from"),
    *_HEAT,
    Field("description", kind="text", required=False, doc="free text"),
    Field("note", kind="text", allow_empty=True, required=False, doc="free text"),
), doc="Activity not metered: fuel by invoice, heat by bill, refrigerant top-ups.")

MEASURED_FACTOR = Table("measured_factors", (
    Field("key", kind="text", doc="the factor key it overrides, e.g. fuel.natural_gas.ncv"),
    Field("value", kind="number", minimum=0.0, doc="the measured value"),
    Field("unit", kind="unit", doc="unit of value"),
    Field("region", kind="text", default="CN", required=False, doc="region of the overridden factor"),
    Field("evidence", kind="text", doc="the lab report or certificate the value comes from"),
    Field("note", kind="text", allow_empty=True, required=False, doc="free text"),
), doc="实测 values that override defaults.")

STEAM = Table("steam", (
    Field("enthalpy_kj_per_kg", kind="number", minimum=0.0, exclusive_minimum=True, required=False,
          doc="default specific enthalpy of purchased steam metered in t"),
), rows=False)

PRODUCTION = Table("production", (
    Field("output", kind="number", minimum=0.0, exclusive_minimum=True, required=False,
          doc="physical output of the year (denominator of intensities)"),
    Field("output_unit", kind="text", allow_empty=True, default="", required=False,
          doc="unit of output, e.g. 台, t"),
    Field("value_added", kind="number", minimum=0.0, exclusive_minimum=True, required=False,
          doc="industrial value added"),
    Field("value_added_unit", kind="unit", unit="wan_CNY", default="万元", required=False,
          doc="万元, 元 or 亿元"),
), rows=False)

_CORE_TABLES: tuple[Field, ...] = (
    Field("schema", kind="choice", choices=(SCHEMA,), default=SCHEMA, required=False,
          doc="the file format"),
    Field("reporting_year", kind="integer", minimum=2000, maximum=2100,
          doc="a year such as 2024"),
    Field("gwp_set", kind="choice", choices=tuple(GWP_SETS), doc="recorded in every result"),
    Field("factory", kind="table", table=FACTORY, doc="who reports"),
    Field("electricity", kind="table", table=ELECTRICITY, default={}, required=False,
          doc="location-based Scope 2 factor choice"),
    Field("fuels", kind="table", table=FUELS, default={}, required=False),
    Field("data", kind="table", table=DATA, default={}, required=False, doc="meter data files"),
    Field("meters", kind="rows", table=METER, default=[], required=False),
    Field("activities", kind="rows", table=ACTIVITY, default=[], required=False),
    Field("measured_factors", kind="rows", table=MEASURED_FACTOR, default=[], required=False),
    Field("steam", kind="table", table=STEAM, default={}, required=False),
    Field("production", kind="table", table=PRODUCTION, default={}, required=False),
    Field("scope3", kind="any", required=False,
          doc="`[scope3]` (screening, lines, money) or the older `[[scope3]]` rows, validated by "
              "carbon_core.scope3 (docs/scope3.md)"),
    Field("biogenic", kind="any", required=False,
          doc="`[biogenic]`: biogenic feedstocks and removals, validated by "
              "carbon_core.scope3.biogenic (docs/scope3.md)"),
    Field("process", kind="any", required=False,
          doc="sector inputs `[process.<sector>]`, validated by each sector plugin "
              "(docs/plugins.md)"),
    Field("balance", kind="any", required=False,
          doc="boundary and policy, validated by carbon_core.balance (docs/balance.md)"),
    Field("instruments", kind="any", required=False,
          doc="`[[instruments]]`: green-power contracts, GECs ... (reference below)"),
    Field("offsets", kind="any", required=False, doc="`[[offsets]]`: CCER and other credits "
          "(reference below)"),
    Field("evidence", kind="any", required=False,
          doc="`[evidence]`: certifications, organisation, plan, record (reference below)"),
    Field("targets", kind="any", required=False,
          doc="`[targets]`: base year and annual targets, validated by carbon_core.io.targets "
              "(docs/report.md)"),
    Field("dynamic", kind="any", required=False,
          doc="`[dynamic]`: the dynamic management table's fields, validated by "
              "carbon_core.io.targets (docs/report.md)"),
)


# -- the registry other layers extend --------------------------------------------------------------

_EXTRA_TABLES: dict[str, Field] = {}
_EXTRA_FIELDS: dict[str, list[Field]] = {}
_SCHEMA_CACHE: list[Table] = []


def register_inventory_table(declaration: Field) -> None:
    """Declare a new top-level inventory table (e.g. ``[[targets]]``), validated with the rest.

    Call it at import time of a small declaration module that imports only
    :mod:`carbon_core.schema`, and list that module in :data:`INVENTORY_EXTENSIONS` (see
    ``docs/design.md``). A ``kind="any"`` declaration reserves the key for a layer that validates
    the table itself.

    Parameters
    ----------
    declaration : Field
        The table's declaration (:class:`carbon_core.schema.Field` of kind ``"table"``,
        ``"rows"`` or ``"any"``), named by its top-level key.

    Raises
    ------
    PluginError
        The key is already declared.
    """
    names = {f.name for f in _CORE_TABLES} | set(_EXTRA_TABLES)
    if declaration.name in names:
        raise PluginError(f"inventory table {declaration.name!r} is already declared")
    _EXTRA_TABLES[declaration.name] = declaration
    _SCHEMA_CACHE.clear()


def extend_inventory_table(table: str, *fields: Field) -> None:
    """Add fields to a declared inventory table (e.g. an uncertainty on every ``[[meters]]`` row).

    Parameters
    ----------
    table : str
        The top-level key of a declared table (core or registered) that has fields.
    *fields : Field
        The new fields' declarations.

    Raises
    ------
    PluginError
        Unknown table, or a field already declared there.
    """
    base = {f.name: f for f in _CORE_TABLES} | _EXTRA_TABLES
    decl = base.get(table)
    if decl is None or decl.table is None:
        raise PluginError(f"no declared inventory table {table!r} to extend; tables: "
                          f"{sorted(k for k, f in base.items() if f.table is not None)}")
    have = set(decl.table.keys()) | {f.name for f in _EXTRA_FIELDS.get(table, [])}
    for f in fields:
        if f.name in have:
            raise PluginError(f"field {f.name!r} of inventory table {table!r} already declared")
        have.add(f.name)
    _EXTRA_FIELDS.setdefault(table, []).extend(fields)
    _SCHEMA_CACHE.clear()


#: Declaration modules imported before the inventory schema is first built. Each imports only
#: carbon_core.schema (and this module's registry functions) and registers its tables.
INVENTORY_EXTENSIONS: list[str] = []


def inventory_schema() -> Table:
    """The whole inventory declaration: the core tables, then every registered extension."""
    if _SCHEMA_CACHE:
        return _SCHEMA_CACHE[0]
    for module in INVENTORY_EXTENSIONS:
        importlib.import_module(module)
    top = []
    for f in (*_CORE_TABLES, *_EXTRA_TABLES.values()):
        extra = _EXTRA_FIELDS.get(f.name)
        if extra and f.table is not None:
            f = dataclasses.replace(f, table=f.table.with_fields(*extra))
        top.append(f)
    table = Table("inventory", tuple(top), rows=False,
                  doc="One file per factory and reporting year; paths are relative to the file.")
    _SCHEMA_CACHE.append(table)
    return table


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def parse_inventory(raw: Mapping[str, Any], path: str | Path = "inventory.toml") -> Inventory:
    """Validate a parsed inventory (see :func:`load_inventory`).

    The structure (keys, types, bounds, choices, units) is checked against
    :func:`inventory_schema`; what needs several fields (a role that takes no such carrier, steam
    by mass without its enthalpy, the credit code's check digit) is checked here.

    Parameters
    ----------
    raw : mapping
        The parsed TOML document.
    path : str or Path, optional
        The inventory's path: named in problems, and the folder data files are relative to.

    Returns
    -------
    Inventory

    Raises
    ------
    InputError
        With every problem found, each naming the file, table and key.
    """
    path = Path(path)
    p = ProblemCollector(str(path))
    doc = validate_into(inventory_schema(), raw, p.problems, file=str(path)) or {}
    year = doc.get("reporting_year")
    gwp_set = doc.get("gwp_set")

    # -- factory ------------------------------------------------------------------------------
    fac = doc.get("factory") or {}
    code = fac.get("credit_code")
    if isinstance(code, str):
        reason = check_credit_code(code)
        if reason:
            p.add(f"invalid unified social credit code: {reason}", row="factory",
                  field="credit_code", found=code,
                  expected="a valid code per GB 32100-2015 (check digit over the first 17)")
    province = fac.get("grid_province") or ""
    factory = Factory(name=fac.get("name") or "", credit_code=(code or "").upper(),
                      district=fac.get("district") or "",
                      sectors=tuple(str(s) for s in fac.get("sectors") or ()),
                      grid_province=province, grid_region=fac.get("grid_region") or "")

    # -- electricity factor choice ------------------------------------------------------------
    el = doc.get("electricity") or {}
    kind = el.get("factor") or "average"
    el_region = el.get("region") or province or "CN"
    rule = SelectionRule.parse("latest:Y-2")
    if el.get("selection") is not None:
        try:
            rule = SelectionRule.parse(el["selection"])
        except ValueError as exc:
            p.add(str(exc), row="electricity", field="selection", found=el["selection"])
    electricity = ElectricityChoice(kind=kind, region=el_region, rule=rule)

    steam_enthalpy = (doc.get("steam") or {}).get("enthalpy_kj_per_kg")

    # -- meters -------------------------------------------------------------------------------
    meters = []
    seen: dict[str, str] = {}
    raw_meters = raw.get("meters") or []
    for i, row in enumerate(doc.get("meters") or []):
        if row is None:
            continue
        where = f"meters[{i}]"
        mid = row["id"]
        if mid in seen:
            p.add("duplicate meter id", row=where, field="id", found=mid,
                  expected=f"a unique id (also used by {seen[mid]})")
        elif mid:
            seen[mid] = where
        carrier, unit, role = row["carrier"], row["unit"], row["role"]
        _role_takes_carrier(p, role, carrier, where)
        factor = 1.0
        enthalpy = temperature = None
        if carrier and unit:
            factor = _canonical_factor(p, carrier, unit, where)
            enthalpy, temperature = _heat_params(p, row, raw_meters[i], where, carrier, unit,
                                                 steam_enthalpy)
        accuracy = row["accuracy_class"]
        meters.append(Meter(
            id=mid or f"<meters[{i}]>", carrier=carrier or "", unit=unit or "",
            role=role or "", reading=row["reading"] or "interval",
            interval=row["interval"] or "15min", rollover=row["rollover"],
            renewable=bool(row["renewable"]), enthalpy_kj_per_kg=enthalpy,
            temperature_c=temperature, to_canonical=factor, table=where,
            accuracy_class=str(accuracy) if accuracy is not None else None))

    # -- activities ---------------------------------------------------------------------------
    activities = []
    raw_activities = raw.get("activities") or []
    for i, row in enumerate(doc.get("activities") or []):
        if row is None:
            continue
        where = f"activities[{i}]"
        aid = row["id"]
        if aid in seen:
            p.add("duplicate id (meters and activities share one namespace)", row=where,
                  field="id", found=aid, expected=f"a unique id (also used by {seen[aid]})")
        elif aid:
            seen[aid] = where
        role = row["role"]
        if role == "fugitive":
            activities.append(_fugitive_activity(p, row, raw_activities[i], where, aid, year))
            continue
        carrier, unit, amount = row["carrier"], row["unit"], row["amount"]
        if "carrier" not in raw_activities[i]:
            p.add("missing key", row=where, field="carrier",
                  expected=f"one of {sorted(CARRIERS)}")
        _role_takes_carrier(p, role, carrier, where)
        period = str(row["period"] if row["period"] is not None else year)
        if isinstance(year, int) and not re.fullmatch(rf"{year}(-(0[1-9]|1[0-2]))?", period):
            p.add("period outside the reporting year", row=where, field="period", found=period,
                  expected=f"'{year}' or a month '{year}-MM'")
        factor = 1.0
        enthalpy = temperature = None
        if carrier and unit:
            factor = _canonical_factor(p, carrier, unit, where)
            enthalpy, temperature = _heat_params(p, row, raw_activities[i], where, carrier, unit,
                                                 steam_enthalpy)
        activities.append(Activity(
            id=aid or f"<activities[{i}]>", carrier=carrier or "", role=role or "",
            amount=float("nan") if amount is None else amount,
            unit=unit or "", period=period, evidence=row["evidence"] or "",
            enthalpy_kj_per_kg=enthalpy, temperature_c=temperature, to_canonical=factor,
            table=where))

    # -- measured factors ---------------------------------------------------------------------
    measured = []
    for i, row in enumerate(doc.get("measured_factors") or []):
        if row is None:
            continue
        where = f"measured_factors[{i}]"
        if row["key"] and row["value"] is not None and row["unit"] and row["evidence"]:
            try:
                measured.append(measured_factor(row["key"], row["value"], row["unit"],
                                                row["region"] or "CN", evidence=row["evidence"],
                                                file=str(path)))
            except UnitError as exc:
                p.add(str(exc), row=where, field="unit", found=row["unit"])

    # -- production ---------------------------------------------------------------------------
    prod = doc.get("production") or {}
    va_wan = None
    if prod.get("value_added") is not None and prod.get("value_added_unit"):
        va_wan = prod["value_added"] * conversion_factor(prod["value_added_unit"], "wan_CNY")
    production = Production(output=prod.get("output"),
                            output_unit=str(prod.get("output_unit") or ""),
                            value_added_wan_cny=va_wan)

    # -- data ---------------------------------------------------------------------------------
    data = doc.get("data") or {}
    files = []
    for j, f in enumerate(data.get("files") or []):
        if f is None:
            continue
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
    gap_policy = data.get("gap_policy") or "error"

    # -- report tables: [targets], [dynamic] (carbon_core.io.targets) -------------------------
    from .targets import check_tables
    check_tables(raw, p)
    _misspelt_metric_names(raw, p)

    p.raise_if_any(title=f"{len(p.problems)} problem(s) in inventory {path}")
    assert isinstance(year, int) and isinstance(gwp_set, str)  # else a problem was raised
    return Inventory(
        path=path, raw=raw, reporting_year=year, gwp_set=gwp_set, factory=factory,
        electricity=electricity, meters=tuple(meters), activities=tuple(activities),
        production=production, data_files=tuple(files), gap_policy=gap_policy,
        fuel_edition=(doc.get("fuels") or {}).get("edition"), measured_factors=tuple(measured))


#: Metric families a target may name without being a core or balance metric (plugins, derived,
#: Scope 3 categories): never judged as misspellings.
_OPEN_METRIC_FAMILIES = ("sector.", "yoy.", "scope3.", "derived.")


def _misspelt_metric_names(raw: Mapping[str, Any], p: ProblemCollector) -> None:
    """Refuse a metric name in ``[targets]`` that is not a metric but is within a letter or two
    of one (``balance.renewable_electricity_sharx``): the target would otherwise never be
    compared with anything, silently. Names of the open families (plugins' ``sector.*``,
    ``yoy.*``, ``scope3.*``) and names far from every metric are left to the report, which
    states a target it cannot compare."""
    from ..balance import BALANCE_METRICS
    from ..metrics import CORE_METRICS

    targets = raw.get("targets")
    if not isinstance(targets, Mapping):
        return
    known = sorted(set(CORE_METRICS) | set(BALANCE_METRICS))
    named: list[tuple[str, str]] = []
    if isinstance(targets.get("base_values"), Mapping):
        named += [("targets.base_values", str(k)) for k in targets["base_values"]]
    for i, row in enumerate(targets.get("annual") or []):
        if isinstance(row, Mapping) and isinstance(row.get("metric"), str):
            named.append((f"targets.annual[{i}]", row["metric"]))
    for where, name in named:
        if name in known or name.startswith(_OPEN_METRIC_FAMILIES):
            continue
        near = suggest(name, known, cutoff=MISSPELLING_CUTOFF)
        if near:
            p.add("not a metric name (a misspelling?)", row=where, field=name, found=name,
                  expected=repr(near))


def _role_takes_carrier(p: ProblemCollector, role, carrier, where: str) -> None:
    if role and carrier and CARRIERS[carrier].kind not in ROLES[role]:
        p.add(f"role {role!r} does not take carrier {carrier!r}", row=where, field="role",
              found=role, expected=f"a carrier of kind {ROLES[role]}")
