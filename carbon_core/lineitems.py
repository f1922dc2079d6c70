"""Line items: activity x factor = emissions, each with its source.

Every total in a result is the sum of line items, so every number can be traced to an activity
and a cited factor. Deductions (exported electricity and heat, GB/T 32150-2015 §6) carry a
negative ``emissions_tco2e``.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .factors import Factor

__all__ = ["LineItem", "ActivityLine", "CATEGORIES", "LINE_FIELDS"]

#: Emission categories of GB/T 32150-2015 (plus Scope 3 and sector process categories).
CATEGORIES = {
    "fuel_combustion": (1, "化石燃料燃烧排放 fuel combustion"),
    "process": (1, "工业生产过程排放 process emissions"),
    "fugitive": (1, "逸散排放 fugitive emissions (refrigerants, SF6)"),
    "purchased_electricity": (2, "购入电力排放 purchased electricity"),
    "purchased_heat": (2, "购入热力排放 purchased heat and steam"),
    "exported_electricity": (2, "输出电力排放 exported electricity (deducted)"),
    "exported_heat": (2, "输出热力排放 exported heat (deducted)"),
    "scope3": (3, "范围三 value-chain emissions"),
}


@dataclass(frozen=True)
class LineItem:
    """One activity multiplied by one (possibly composite) factor.

    Attributes
    ----------
    id : str
        Unique within a result, e.g. ``"fuel_combustion:gas-main:CO2"``.
    category : str
        One of :data:`CATEGORIES`.
    scope : int
        1, 2 or 3.
    source : str
        The meter id, activity id or plugin input the activity comes from.
    carrier : str
        Energy carrier or material (``"electricity"``, ``"natural_gas"``, ``"CF4"``...).
    activity : float
        Annual activity amount in ``activity_unit``.
    activity_unit : str
    factor_value : float
        Emission factor in ``factor_unit`` (for combustion: NCV x CC x OF x 44/12).
    factor_unit : str
        e.g. ``"tCO2/MWh"``; activity x factor has the unit of ``gas`` mass (t).
    factor_source : str
        Citation of the factor (document, table, year; marks unconfirmed values).
    factor_keys : tuple of str
        The library keys used (several for composite factors).
    gas : str
        Gas emitted (``"CO2"``, ``"CH4"``...).
    gwp_set : str
        GWP set used to convert ``gas`` to CO2e.
    gwp : float
    emissions_t_gas : float
        Tonnes of ``gas``.
    emissions_tco2e : float
        Tonnes CO2e = emissions_t_gas x gwp; negative for deductions.
    confirmed : bool
        False if any factor used is unconfirmed.
    plugin : str or None
        The plugin that produced the item, None for the core.
    formula : str
        The formula applied, with its source.
    details : dict
        Intermediate values of the computation (e.g. NCV, carbon content, matching basis).
    """

    id: str
    category: str
    scope: int
    source: str
    carrier: str
    activity: float
    activity_unit: str
    factor_value: float
    factor_unit: str
    factor_source: str
    gas: str
    gwp_set: str
    gwp: float
    emissions_t_gas: float
    emissions_tco2e: float
    factor_keys: tuple[str, ...] = ()
    confirmed: bool = True
    plugin: str | None = None
    formula: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The line item as a JSON-ready mapping (``factor_keys`` as a list).

        Returns
        -------
        dict
        """
        # what dataclasses.asdict gives, without its recursion into every field (4x faster:
        # 1,000 line items took 0.2 s): scalars as they are, containers copied
        d = {name: getattr(self, name) for name in LINE_FIELDS}
        d["factor_keys"] = list(self.factor_keys)
        d["details"] = _copied(self.details)
        return d


def _copied(value: Any) -> Any:
    """A copy of nested dicts, lists and tuples, and dataclasses as dicts, as
    :func:`dataclasses.asdict` copies them."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_copied(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):  # a plugin's record: a dict
        return asdict(value)
    return copy.deepcopy(value)


#: The fields of a line item, in the order of its JSON object.
LINE_FIELDS = tuple(f.name for f in fields(LineItem))


@dataclass
class ActivityLine:
    """An activity line before multiplication: monthly activity and one factor.

    The engine builds one per meter, activity and gas; Scope 3 and the sector plugins hand theirs
    in the same record. ``monthly`` is all zero for Scope 3: value-chain activity is annual
    (``unallocated``).

    Attributes
    ----------
    id : str
        The line id (``fuel_combustion:<source>:CO2``, ``scope3:<id>:CO2e`` ...).
    category : str
        The line's category (a key of :data:`CATEGORIES`).
    source : str
        The inventory id of the meter, activity or Scope 3 line.
    carrier : str
        What the activity is (a carrier, a material, a mode of transport, a waste type ...).
    monthly : numpy.ndarray
        Activity per month, shape (12,), in ``activity_unit``; all zero for annual-only lines.
    unallocated : float
        Annual activity not attributed to a month, in ``activity_unit``.
    activity_unit : str
        Unit of the activity (``t``, ``t*km``, ``CNY`` ...).
    factor : float
        Emission factor [tCO2e per ``activity_unit``] (or per ``factor_unit``).
    factor_unit : str
        Unit of ``factor``.
    factors : tuple of Factor
        The factors used, for the citation and the provenance.
    gas : str
        The gas column of the line item (``"CO2"``; a Scope 3 factor is already CO2e).
    sign : float
        +1.0 for an emission; -1.0 for an export line (the engine's convention).
    formula : str
        The computation in words, shown in the results.
    details : dict
        Method, data quality and conversion steps, copied into the line item.
    """

    id: str
    category: str
    source: str
    carrier: str
    monthly: np.ndarray
    unallocated: float
    activity_unit: str
    factor: float
    factor_unit: str
    factors: tuple[Factor, ...]
    gas: str = "CO2"
    sign: float = 1.0
    formula: str = ""
    details: dict = field(default_factory=dict)
