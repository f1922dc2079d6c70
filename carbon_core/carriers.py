"""Energy carriers: what a meter or an activity measures, and in which canonical unit.

Each carrier names its *kind* (how it is accounted) and the canonical unit its activity is
converted to once, at the input boundary. Fuels are accounted by the GB/T 32150-2015 combustion
formula with the factor keys ``fuel.<fuel>.*``; electricity by grid factors; heat, steam and hot
water by the purchased-heat factor after conversion to GJ.

A carrier not in :data:`CARRIERS` is refused with the list of known ones. Sector plugins add their
materials through their own inputs, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Carrier", "CARRIERS", "ROLES", "get_carrier", "is_mass_unit", "metered_unit"]


@dataclass(frozen=True)
class Carrier:
    """An energy carrier.

    Attributes
    ----------
    name : str
        Identifier used in inventories (``"natural_gas"``).
    kind : str
        ``"electricity"``, ``"fuel"``, ``"biomass"``, ``"heat"``, ``"steam"`` or ``"hot_water"``.
    canonical_unit : str
        Unit the activity is converted to at the boundary (kWh, t, wan_Nm3, GJ).
    name_zh : str
        Chinese name used in reports.
    """

    name: str
    kind: str
    canonical_unit: str
    name_zh: str


def _fuel(name, unit, zh):
    return name, Carrier(name, "fuel", unit, zh)


CARRIERS: dict[str, Carrier] = dict([
    ("electricity", Carrier("electricity", "electricity", "kWh", "电力")),
    ("heat", Carrier("heat", "heat", "GJ", "热力")),
    ("steam", Carrier("steam", "steam", "t", "蒸汽")),
    ("hot_water", Carrier("hot_water", "hot_water", "t", "热水")),
    _fuel("natural_gas", "wan_Nm3", "天然气"),
    _fuel("coke_oven_gas", "wan_Nm3", "焦炉煤气"),
    _fuel("blast_furnace_gas", "wan_Nm3", "高炉煤气"),
    _fuel("converter_gas", "wan_Nm3", "转炉煤气"),
    _fuel("diesel", "t", "柴油"),
    _fuel("gasoline", "t", "汽油"),
    _fuel("fuel_oil", "t", "燃料油"),
    _fuel("lpg", "t", "液化石油气"),
    _fuel("lng", "t", "液化天然气"),
    _fuel("kerosene", "t", "一般煤油"),
    _fuel("crude_oil", "t", "原油"),
    _fuel("coke", "t", "焦炭"),
    _fuel("washed_coal", "t", "洗精煤"),
    _fuel("raw_coal", "t", "原煤"),
    _fuel("bituminous_coal", "t", "烟煤"),
    # biomass fuels: their CO2 is biogenic and reported apart from the scopes (GB/T 32150-2015;
    # IPCC 2006 Vol. 2 ch. 2); their CH4 and N2O stay in Scope 1 (carbon_core.scope3.biogenic)
    ("wood", Carrier("wood", "biomass", "t", "木材及木质废料")),
    ("charcoal", Carrier("charcoal", "biomass", "t", "木炭")),
    ("solid_biomass", Carrier("solid_biomass", "biomass", "t", "其他固体生物质")),
])

#: Meter and activity roles, with the carrier kinds each accepts.
ROLES: dict[str, tuple[str, ...]] = {
    "grid_purchase": ("electricity",),
    "onsite_generation": ("electricity",),
    "export": ("electricity",),
    "fuel": ("fuel", "biomass"),
    "heat_purchase": ("heat", "steam", "hot_water"),
    "heat_export": ("heat", "steam", "hot_water"),
    "submeter": ("electricity", "fuel", "biomass", "heat", "steam", "hot_water"),
    # refrigerant or SF6 top-ups (activities only): the gas added to replace losses is emitted
    # (IPCC 2006 Vol. 3 §7.5.2, top-up method); written with `gas` instead of `carrier`
    "fugitive": (),
}


def get_carrier(name: str) -> Carrier:
    """The carrier called ``name``.

    Parameters
    ----------
    name : str
        A carrier identifier of :data:`CARRIERS` (``"natural_gas"``, ``"electricity"``...).

    Returns
    -------
    Carrier
        The carrier, with its kind and canonical unit.

    Raises
    ------
    KeyError
        For an unknown name; the message lists the known carriers.
    """
    try:
        return CARRIERS[name]
    except KeyError:
        raise KeyError(f"unknown carrier {name!r}; known carriers: {sorted(CARRIERS)}") from None


@lru_cache(maxsize=256)
def is_mass_unit(unit: str) -> bool:
    """Whether ``unit`` is a mass (t, kg ...): steam and hot water metered by mass need the
    enthalpy or temperature to become heat [GJ].

    Parameters
    ----------
    unit : str
        A unit as written in an inventory (``"t"``, ``"kg"``, ``"GJ"``...).

    Returns
    -------
    bool
        True when the unit has the dimension of mass; False for any other unit and for text
        that is not a unit at all (no error is raised).

    Examples
    --------
    >>> is_mass_unit("t"), is_mass_unit("GJ"), is_mass_unit("no such unit")
    (True, False, False)
    """
    from .errors import UnitError
    from .units import same_dimension

    try:
        return same_dimension(unit, "t")
    except UnitError:
        return False


@lru_cache(maxsize=256)
def metered_unit(carrier: str, unit: str) -> str:
    """The canonical unit a meter or activity of ``carrier`` written in ``unit`` is held in.

    The carrier's canonical unit, except steam or hot water already metered as heat: GJ.

    Parameters
    ----------
    carrier : str
        A carrier identifier of :data:`CARRIERS`.
    unit : str
        The unit the meter or activity is written in.

    Returns
    -------
    str
        The canonical unit (``"kWh"``, ``"t"``, ``"wan_Nm3"``, ``"GJ"``...).

    Raises
    ------
    KeyError
        For a carrier not in :data:`CARRIERS` (callers check the carrier first).

    Examples
    --------
    >>> metered_unit("steam", "GJ"), metered_unit("steam", "t"), metered_unit("electricity", "MWh")
    ('GJ', 't', 'kWh')
    """
    c = CARRIERS[carrier]
    if c.kind in ("steam", "hot_water") and not is_mass_unit(unit):
        return "GJ"
    return c.canonical_unit
