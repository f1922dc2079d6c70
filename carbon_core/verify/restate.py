"""Restatement: why two results of one factory and reporting year differ, cause by cause.

:func:`explain_difference` compares an earlier and a later results JSON and sorts what changed
into the causes a verifier asks about (ISO 14064-1:2018 §6.4.2 recalculation of a base year asks
for the same separation: methodology, data, errors):

- **inputs**: the inventory's or a meter file's SHA-256 changed (``provenance.inventory``,
  ``provenance.input_files``);
- **factor editions**: an edition used by one and not the other, the same edition with other
  content (``provenance.factor_files``), a factor whose value, data year or edition changed
  (``provenance.factors_used``), the as-of day;
- **engine**: the engine or a plugin version.

Each line item whose emissions moved beyond the tolerance is listed with its causes: its factor
value changed (factor editions), its activity changed (inputs), or neither (the engine, or the
way it combines them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from .recompute import Tolerance

__all__ = ["Restatement", "explain_difference", "load_results"]


@dataclass
class Restatement:
    """The causes of the difference between two results.

    Attributes
    ----------
    inputs : list of str
        Input files whose SHA-256 changed (the inventory, meter files).
    factor_editions : list of str
        Factor editions added or removed between the two runs.
    factors : list of str
        Factors whose value changed.
    engine : list of str
        A change of engine version.
    line_items : list of dict
        Per changed line item: old and new emissions [tCO2e], the change [tCO2e] and its causes.
    totals : list of dict
        Totals that changed (Scope 1, Scope 2 both ways, total, balance net) [tCO2e].
    """

    inputs: list[str] = field(default_factory=list)
    factor_editions: list[str] = field(default_factory=list)
    factors: list[str] = field(default_factory=list)
    engine: list[str] = field(default_factory=list)
    line_items: list[dict] = field(default_factory=list)
    totals: list[dict] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """True when nothing differs between the two results."""
        return not (self.inputs or self.factor_editions or self.factors or self.engine
                    or self.line_items or self.totals)

    def to_dict(self) -> dict[str, Any]:
        """The restatement as a JSON-ready dict (``carbon verify --restate --json``)."""
        return {"inputs": self.inputs, "factor_editions": self.factor_editions,
                "factors": self.factors, "engine": self.engine, "line_items": self.line_items,
                "totals": self.totals}


def load_results(path: str | Path) -> dict:
    """A results JSON document from a file (``carbon compute -o``) or a bundle's results.

    Parameters
    ----------
    path : str or Path
        A results JSON file (``carbon compute --json -o``).

    Returns
    -------
    dict
        The results document.

    Raises
    ------
    InputError
        The file is missing, unreadable, not JSON, or not a results document (no ``line_items``
        or ``provenance``).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(str(p), "file not found", expected="a results JSON")]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(str(p), f"not a results JSON: {exc}",
                                  expected="the output of carbon compute --json")]) from None
    if not isinstance(doc, dict) or "line_items" not in doc or "provenance" not in doc:
        raise InputError([Problem(str(p), "not a results JSON (no line_items / provenance)",
                                  expected="the output of carbon compute --json")])
    return doc


def _files(doc: dict) -> dict[str, str | None]:
    prov = doc.get("provenance", {})
    out = {"inventory": (prov.get("inventory") or {}).get("sha256")}
    for f in prov.get("input_files", []):
        out[Path(str(f.get("path"))).name] = f.get("sha256")
    return out


def explain_difference(old: dict, new: dict, *, tolerance: Tolerance = Tolerance()
                       ) -> Restatement:
    """Explain by cause how ``new`` differs from ``old`` (two results documents).

    Parameters
    ----------
    old : dict
        The earlier results document.
    new : dict
        The later results document of the same factory and year.
    tolerance : Tolerance
        Numbers within it are the same.

    Returns
    -------
    Restatement
        Each difference by cause: inputs, factor editions, factor values, engine, per line item
        and in the totals.

    Raises
    ------
    InputError
        The two results are not of the same factory (credit code) and reporting year.
    """
    problems = []
    for what, a, b in (("factory.credit_code", old.get("factory", {}).get("credit_code"),
                        new.get("factory", {}).get("credit_code")),
                       ("reporting_year", old.get("reporting_year"), new.get("reporting_year"))):
        if a != b:
            problems.append(Problem("results", "the two results are not of the same factory "
                                    "and year", field=what, found=f"{a} and {b}",
                                    expected="one factory and one reporting year"))
    if problems:
        raise InputError(problems)
    r = Restatement()
    fa, fb = _files(old), _files(new)
    for name in sorted(set(fa) | set(fb)):
        if fa.get(name) != fb.get(name):
            if name not in fa:
                r.inputs.append(f"{name}: new input file")
            elif name not in fb:
                r.inputs.append(f"{name}: input file no longer used")
            else:
                r.inputs.append(f"{name}: content changed (sha256 {str(fa[name])[:12]}… -> "
                                f"{str(fb[name])[:12]}…)")
    ea = {f["id"]: f for f in old.get("provenance", {}).get("factor_files", [])}
    eb = {f["id"]: f for f in new.get("provenance", {}).get("factor_files", [])}
    for sid in sorted(set(ea) | set(eb)):
        if sid not in ea:
            r.factor_editions.append(f"{sid}: edition now used")
        elif sid not in eb:
            r.factor_editions.append(f"{sid}: edition no longer used")
        elif ea[sid].get("sha256") != eb[sid].get("sha256"):
            r.factor_editions.append(f"{sid}: same edition id, different file content")
    asof_a = (old.get("provenance", {}).get("as_of") or {}).get("date")
    asof_b = (new.get("provenance", {}).get("as_of") or {}).get("date")
    if asof_a != asof_b:
        r.factor_editions.append(f"as-of date {asof_a} -> {asof_b}")
    ua = {(f["key"], f["region"]): f for f in old.get("provenance", {}).get("factors_used", [])}
    ub = {(f["key"], f["region"]): f for f in new.get("provenance", {}).get("factors_used", [])}
    changed_keys = set()
    for k in sorted(set(ua) | set(ub)):
        a, b = ua.get(k), ub.get(k)
        if a is None or b is None:
            r.factors.append(f"{k[0]} ({k[1]}): " + ("now used" if a is None else "no longer used"))
            changed_keys.add(k[0])
            continue
        sig_a = (a.get("value"), a.get("data_year"), a.get("source_id"))
        sig_b = (b.get("value"), b.get("data_year"), b.get("source_id"))
        if sig_a != sig_b:
            r.factors.append(f"{k[0]} ({k[1]}): {a.get('value')} (data year {a.get('data_year')}"
                             f", {a.get('source_id')}) -> {b.get('value')} (data year "
                             f"{b.get('data_year')}, {b.get('source_id')})")
            changed_keys.add(k[0])
    va = old.get("provenance", {}).get("engine", {}).get("version")
    vb = new.get("provenance", {}).get("engine", {}).get("version")
    if va != vb:
        r.engine.append(f"engine {va} -> {vb}")
    pa = old.get("provenance", {}).get("plugins", {}) or {}
    pb = new.get("provenance", {}).get("plugins", {}) or {}
    for name in sorted(set(pa) | set(pb)):
        if pa.get(name) != pb.get(name):
            r.engine.append(f"plugin {name} {pa.get(name)} -> {pb.get(name)}")
    la = {li["id"]: li for li in old.get("line_items", [])}
    lb = {li["id"]: li for li in new.get("line_items", [])}
    for lid in sorted(set(la) | set(lb)):
        a, b = la.get(lid), lb.get(lid)
        ea_ = a["emissions_tco2e"] if a else 0.0
        eb_ = b["emissions_tco2e"] if b else 0.0
        if a and b and tolerance.close(ea_, eb_):
            continue
        causes = []
        if a is None or b is None:
            causes.append("line item added" if a is None else "line item removed")
        else:
            if not tolerance.close(a.get("activity", 0.0), b.get("activity", 0.0)):
                causes.append("activity changed (inputs)")
            if not tolerance.close(a.get("factor_value", 0.0), b.get("factor_value", 0.0)) or \
                    set(a.get("factor_keys", [])) & changed_keys:
                causes.append("factor changed (factor editions)")
            if a.get("gwp") != b.get("gwp"):
                causes.append("GWP changed")
            if not causes:
                causes.append("neither activity nor factor changed (engine)")
        r.line_items.append({"id": lid, "old_tco2e": ea_ if a else None,
                             "new_tco2e": eb_ if b else None, "change_tco2e": eb_ - ea_,
                             "causes": causes})
    for label, path in (("Scope 1", ("scope1", "total_tco2e")),
                        ("Scope 2 location-based", ("scope2", "location_based_tco2e")),
                        ("Scope 2 market-based", ("scope2", "market_based_tco2e")),
                        ("total", ("total_tco2e",)), ("balance net", ("balance", "net_tco2e"))):
        x: Any = old
        y: Any = new
        for p in path:
            x = x.get(p) if isinstance(x, dict) else None
            y = y.get(p) if isinstance(y, dict) else None
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and \
                not tolerance.close(x, y):
            r.totals.append({"quantity": label, "old": x, "new": y, "change": y - x})
    return r
