"""Biogenic CO2: from biomass fuels and biogenic feedstocks, reported apart from the scopes.

Biomass fuels (carriers of kind ``"biomass"``: wood, charcoal, other solid biomass) are burned
like fuels: their CH4 and N2O are Scope 1 line items (``fuel_combustion``), their CO2 is biogenic
and reported separately, never added to a scope or the total (GB/T 32150-2015 reports biomass CO2
separately and excludes it from the total; GHG Protocol Corporate Standard and Scope 3
Standard: biogenic CO2 reported outside the scopes; ISO 14064-1:2018: biogenic
CO2 reported separately).

``E_CO2,bio = FC x NCV x EF_CO2`` and ``E_gas = FC x NCV x EF_gas`` (IPCC 2006 Vol. 2 ch. 2,
Tier 1, eq. 2.1), with the keys ``biomass.<carrier>.ncv``, ``.co2``, ``.ch4``, ``.n2o``.

An inventory can also declare ``[[biogenic.feedstocks]]`` (biogenic CO2 released from biogenic
feedstocks, e.g. fermentation, in t CO2) and ``[[biogenic.removals]]`` (CO2 removed inside the
boundary, in t CO2, with its method and evidence). Removals are shown as their own figure and
never netted from emissions.

References
----------
GB/T 32150-2015 工业企业温室气体排放核算和报告通则. IPCC, *2006 IPCC Guidelines for National
Greenhouse Gas Inventories*, Vol. 2, ch. 1 Tables 1.2 and 1.4, ch. 2 Table 2.3.
ISO 14064-1:2018 (biogenic CO2 quantified and reported separately; the annex letter was not checked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from ..errors import Problem, UnitError
from ..units import conversion_factor
from .checks import unknown_keys
from .lines import LineSpec

__all__ = ["BiogenicRecord", "biomass_lines", "parse_biogenic", "biogenic_section"]

_GAS_KEYS = (("CH4", "ch4"), ("N2O", "n2o"))


@dataclass
class BiogenicRecord:
    """Biogenic CO2 of one source [t CO2].

    Attributes
    ----------
    id : str
        The meter, activity or feedstock id.
    kind : str
        ``"biomass_fuel"`` (a biomass carrier burnt) or ``"feedstock"`` (declared biogenic CO2).
    carrier : str
        The carrier, or the feedstock's description.
    co2_t : float
        Biogenic CO2 [tCO2], reported outside the scopes.
    activity : float or None
        The fuel's activity in ``activity_unit`` (None for a declared feedstock).
    activity_unit : str
        Unit of ``activity``.
    formula : str
        How ``co2_t`` was obtained, in words.
    factors : tuple of Factor
        The library factors used (NCV, CO2 factor).
    evidence : str
        The evidence document of a declared feedstock.
    details : dict
        Further fields copied into the results JSON.
    """

    id: str
    kind: str            # "biomass_fuel" | "feedstock"
    carrier: str
    co2_t: float
    activity: float | None = None
    activity_unit: str = ""
    formula: str = ""
    factors: tuple = ()
    evidence: str = ""
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as the results JSON's ``biogenic.sources`` entry (factors as dicts)."""
        return {"id": self.id, "kind": self.kind, "carrier": self.carrier,
                "co2_t": self.co2_t, "activity": self.activity,
                "activity_unit": self.activity_unit, "formula": self.formula,
                "factors": [f.to_dict() for f in self.factors], "evidence": self.evidence,
                **self.details}


def biomass_lines(resolve: Callable, src, months: np.ndarray, unallocated: float
                  ) -> tuple[list[LineSpec], BiogenicRecord | None, dict | None]:
    """Scope 1 CH4/N2O line specs, the biogenic CO2 record and the energy entry of one biomass
    meter or activity.

    Parameters
    ----------
    resolve : callable
        ``resolve(key, unit, where=..., region=...)`` -> (value in unit, Factor) or None after
        recording a problem (the engine's factor resolver).
    src : Meter or Activity
        Carrier of kind ``"biomass"``, activity in t.
    months : ndarray (12,)
        Monthly activity [t].
    unallocated : float
        Activity not attributable to a month [t].
    """
    c = src.carrier
    where = src.table
    ncv = resolve(f"biomass.{c}.ncv", "GJ/t", where=where, region="GLOBAL")
    co2 = resolve(f"biomass.{c}.co2", "tCO2/GJ", where=where, region="GLOBAL")
    gases = [(gas, resolve(f"biomass.{c}.{k}", f"t {gas}/GJ", where=where, region="GLOBAL"))
             for gas, k in _GAS_KEYS]
    if not (ncv and co2 and all(g[1] for g in gases)):
        return [], None, None
    total_t = float(months.sum() + unallocated)
    specs = [LineSpec(
        id=f"fuel_combustion:{src.id}:{gas}", category="fuel_combustion", source=src.id,
        carrier=c, monthly=months, unallocated=unallocated, activity_unit="t",
        factor=ncv[0] * f[0], factor_unit=f"t{gas}/t", factors=(ncv[1], f[1]), gas=gas,
        formula="E = FC x NCV x EF_gas, biomass fuel (IPCC 2006 Vol. 2 ch. 2 eq. 2.1); its CO2 "
                "is biogenic and reported apart (GB/T 32150-2015)",
        details={"biomass": True}) for gas, f in gases]
    record = BiogenicRecord(
        id=src.id, kind="biomass_fuel", carrier=c, co2_t=total_t * ncv[0] * co2[0],
        activity=total_t, activity_unit="t", factors=(ncv[1], co2[1]),
        formula="E_CO2,bio = FC x NCV x EF_CO2 (IPCC 2006 Vol. 2 ch. 2 eq. 2.1)",
        details={"ncv_gj_per_t": ncv[0], "co2_t_per_gj": co2[0]})
    energy = dict(id=src.id, carrier=c, role="fuel", activity=total_t, unit="t",
                  gj=total_t * ncv[0],
                  method="FC x NCV / 29.3076 GJ/tce (GB/T 2589-2020 §4; biomass NCV of IPCC "
                         "2006 Vol. 2 Table 1.2 unless measured)", factors=(ncv[1],))
    return specs, record, energy


def parse_biogenic(raw: Mapping | None, file: str, problems: list[Problem]
                   ) -> tuple[list[BiogenicRecord], list[dict]]:
    """Validate ``[biogenic]``: ``[[biogenic.feedstocks]]`` and ``[[biogenic.removals]]``.

    Parameters
    ----------
    raw : mapping or None
        The inventory's ``[biogenic]`` table (None: not declared).
    file : str
        The inventory file, for problems.
    problems : list of Problem
        Appended to: unknown and missing keys, amounts that are not a mass of CO2 >= 0, units
        not convertible to tCO2.

    Returns
    -------
    feedstocks : list of BiogenicRecord
        The declared biogenic feedstocks [tCO2].
    removals : list of dict
        The declared removals (``removal_tco2`` [tCO2], method, permanence, evidence), reported
        beside the inventory and never netted against it.
    """
    feedstocks: list[BiogenicRecord] = []
    removals: list[dict] = []
    if raw is None:
        return feedstocks, removals
    if not isinstance(raw, Mapping):
        problems.append(Problem(file=file, row="biogenic", message="[biogenic] must be a table",
                                found=type(raw).__name__))
        return feedstocks, removals
    unknown_keys(raw, {"feedstocks", "removals"}, file, "biogenic", problems)
    for name in ("feedstocks", "removals"):
        rows = raw.get(name, [])
        if not isinstance(rows, list):
            problems.append(Problem(file=file, row="biogenic", field=name,
                                    message=f"[[biogenic.{name}]] must be an array of tables"))
            continue
        for i, row in enumerate(rows):
            where = f"biogenic.{name}[{i}]"
            known = {"id", "description", "amount", "unit", "evidence", "note"}
            if name == "removals":
                known |= {"method", "permanence"}
            if not isinstance(row, Mapping):
                problems.append(Problem(file=file, row=where, message="must be a table"))
                continue
            unknown_keys(row, known, file, where, problems)
            miss = [k for k in ("id", "amount", "unit", "evidence")
                    + (("method",) if name == "removals" else ()) if k not in row]
            if miss:
                problems.append(Problem(file=file, row=where, field=", ".join(miss),
                                        message="missing key", expected=f"keys {sorted(known)}"))
                continue
            amount = row["amount"]
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0 \
                    or not math.isfinite(amount):
                problems.append(Problem(file=file, row=where, field="amount", found=amount,
                                        message="bad amount",
                                        expected="a mass of CO2 >= 0 (removals as positive "
                                                 "amounts)"))
                continue
            try:
                t = float(amount) * conversion_factor(str(row["unit"]), "tCO2")
            except UnitError as exc:
                problems.append(Problem(file=file, row=where, field="unit", found=row["unit"],
                                        message=str(exc), expected="tCO2 or kgCO2"))
                continue
            if name == "feedstocks":
                feedstocks.append(BiogenicRecord(id=str(row["id"]), kind="feedstock",
                                          carrier=str(row.get("description", row["id"])),
                                          co2_t=t, evidence=str(row["evidence"]),
                                          formula="declared biogenic CO2 of a biogenic "
                                                  "feedstock"))
            else:
                removals.append({"id": str(row["id"]), "description": str(row.get("description", "")),
                            "removal_tco2": t, "method": str(row["method"]),
                            "permanence": row.get("permanence"),
                            "evidence": str(row["evidence"])})
    return feedstocks, removals


def biogenic_section(records: list[BiogenicRecord], removals: list[dict]) -> dict[str, Any]:
    """The ``biogenic`` section of the results JSON.

    Parameters
    ----------
    records : list of BiogenicRecord
        Biomass fuel and feedstock records of the run.
    removals : list of dict
        The declared removals (:func:`parse_biogenic`).

    Returns
    -------
    dict
        Totals [tCO2] of biomass fuel and feedstock CO2, the basis of the separate reporting, every
        source, and the removals with their total [tCO2].
    """
    fuel = math.fsum(r.co2_t for r in records if r.kind == "biomass_fuel")
    feed = math.fsum(r.co2_t for r in records if r.kind == "feedstock")
    removed = math.fsum(r["removal_tco2"] for r in removals)
    return {
        "co2_t": fuel + feed,
        "biomass_fuel_co2_t": fuel,
        "feedstock_co2_t": feed,
        "basis": "生物质燃烧的CO2单独报告，不计入排放总量 biogenic CO2 reported separately, not "
                 "in Scope 1, 2, 3 or the total (GB/T 32150-2015; ISO 14064-1:2018); "
                 "the CH4 and N2O of biomass fuels are in Scope 1",
        "sources": [r.to_dict() for r in records],
        "removals": {"total_tco2": removed, "items": removals,
                     "basis": "清除量单独报告，未从排放中扣减 removals inside the boundary, shown "
                              "separately and never netted from emissions (ISO 14064-1:2018 "
                              "§5.2.4 a, removals quantified separately)"},
    }
