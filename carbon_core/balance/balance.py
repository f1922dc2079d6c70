"""The net-zero balance, ISO 14068-1 style: gross -> green electricity -> certificates -> offsets
-> net.

Gross emissions are those of the declared boundary (type I: Scope 1 + 2; type II: adds the chosen
Scope 3 categories), with purchased electricity valued *before contractual instruments* at the
policy's residual factor, so that

    gross - green electricity - certificates = Scope 1 + market-based Scope 2 + heat (+ Scope 3)

exactly, and ``net = gross - green electricity - certificates - offsets``. Certificates are valued
at the residual factor, never netted from a location-based total (the error the GHG Protocol's
dual reporting exists to prevent). The location-based gross of the inventory is reported beside it
(``location_based_gross_tco2e``) with the difference (``residual_mix_adjustment_tco2e``).

Offsets are never netted into scope totals (ISO 14068-1:2023): they appear only here, after the
reductions; they are counted up to the policy's cap (a breach is reported) and up to the
emissions left (more is reported as surplus, never a negative net).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:  # annotations only
    import xarray as xr

from ..errors import FactorNotFoundError, InputError, ProblemCollector
from ..factors import FactorLibrary
from ..lineitems import LineItem
from ..metrics import MetricInfo
from .instruments import (Instrument, Offset, check_serial_overlaps, parse_instruments,
                          parse_offsets)
from .ledger import Claim, Ledger, PendingClaims
from .market import ElectricitySeries, ModeResult, electricity_arrays, format_interval, match_modes
from ..schema import unknown_key_problems
from .policy import DEFAULT_POLICY, MATCHING_MODES, Policy, load_policy

__all__ = ["BalanceInputs", "BalanceResult", "compute_balance", "parse_balance_table",
           "BALANCE_METRICS", "BOUNDARIES"]

BOUNDARIES = {"I": "type I: Scope 1 + Scope 2", "II": "type II: Scope 1 + 2 + chosen Scope 3"}


def _metric(name, unit, description, higher=None):
    return name, MetricInfo(name, unit, description, higher, "balance")


#: The balance's metrics, declared here once (values from :func:`compute_balance`; the engine
#: also publishes ``renewable_electricity_share``, the plain name of the results JSON).
BALANCE_METRICS: dict[str, MetricInfo] = dict([
    _metric("balance.gross_tco2e", "tCO2e", "gross emissions for the declared boundary, "
            "electricity before instruments at the residual factor 排放总量", False),
    _metric("balance.net_tco2e", "tCO2e", "net emissions after reductions and offsets 净排放",
            False),
    _metric("balance.renewable_electricity_share", "1", "renewable electricity share of "
            "consumption, matching mode of the policy 可再生能源电力消费占比", True),
    _metric("renewable_electricity_share", "1", "same as balance.renewable_electricity_share, "
            "under the plain name of the results JSON 可再生能源电力消费占比", True),
    _metric("balance.offset_share", "1", "offsets counted as a share of gross emissions "
            "抵销量占比", None),
    _metric("balance.green_electricity_tco2e", "tCO2e", "reduction from green electricity "
            "(green-power trading, PPAs, supplier-specific) 绿电减排量", True),
    _metric("balance.certificates_tco2e", "tCO2e", "reduction from unbundled certificates "
            "(GEC, I-REC) 绿证减排量", True),
    _metric("balance.offsets_tco2e", "tCO2e", "offsets counted 碳信用抵销量", None),
    _metric("balance.excess_certificates_mwh", "MWh", "instrument volume beyond consumption in "
            "the policy's matching mode 超额绿证电量", None),
    _metric("balance.offset_cap_breached", "1", "1 if offsets claimed exceed the policy cap, "
            "0 if not, None without a cap 抵销上限超出", False),
] + [
    _metric(f"balance.cfe_score.{m}", "1", f"carbon-free energy score, {m} matching "
            f"(matched / consumed) {m}匹配无碳电力比例", True) for m in MATCHING_MODES
])


@dataclass(frozen=True)
class BalanceInputs:
    """What the core passes to :func:`compute_balance` (docs/design.md).

    Attributes
    ----------
    reporting_year : int
        The inventory's reporting year.
    factory_id : str
        The factory's unified social credit code (the claimant, and the beneficiary
        certificates and credits must be retired for).
    factory_name : str
        The factory's name (accepted as beneficiary too).
    source_file : str
        The inventory path: named in problems; ``policy_file`` and profile files are relative
        to its folder.
    instruments_raw : list of dict
        The ``[[instruments]]`` tables as parsed.
    offsets_raw : list of dict
        The ``[[offsets]]`` tables as parsed.
    balance_raw : dict
        The ``[balance]`` table as parsed (boundary, Scope 3 categories, policy, overrides).
    electricity : ElectricitySeries or xarray.Dataset
        On dim ``time`` (datetime64[ns], interval start, China time UTC+8 naive), float64
        ``grid_purchase_kwh``, ``onsite_renewable_kwh``, ``export_kwh``, ``consumed_kwh`` [kWh].
    interval : numpy.timedelta64
        Resolution of ``electricity``.
    scope1_tco2e, scope2_location_tco2e, scope2_heat_tco2e : float
        From the core [tCO2e]; ``scope2_location_tco2e`` is the electricity part.
    scope3_tco2e : dict
        By category [tCO2e]; only the categories of a type II boundary count.
    library : FactorLibrary
        Where the policy's residual factor is looked up.
    grid_region, grid_province : str
        The factory's grid region and province, for the policy's market boundary.
    ledger : str or Path or None
        SQLite ledger where the claims are recorded and checked; None: no ledger check.
    gwp_set : str
        The inventory's GWP set, recorded on the market-based line items.
    commit_claims : bool
        Record the claims at once (True) or only check them and leave them on
        :attr:`BalanceResult.pending_claims` for the caller to commit as its last step (False).
    """

    reporting_year: int
    factory_id: str
    factory_name: str
    source_file: str
    instruments_raw: list[dict]
    offsets_raw: list[dict]
    balance_raw: dict
    electricity: ElectricitySeries | xr.Dataset
    interval: np.timedelta64
    scope1_tco2e: float
    scope2_location_tco2e: float
    scope2_heat_tco2e: float
    scope3_tco2e: dict[str, float]
    library: FactorLibrary
    grid_region: str
    grid_province: str
    ledger: str | Path | None = None
    gwp_set: str = ""
    #: Record the claims at once (True) or only check them and leave them on
    #: ``BalanceResult.pending_claims`` for the caller to commit as its last step (False).
    commit_claims: bool = True


@dataclass(frozen=True)
class BalanceSettings:
    """The parsed ``[balance]`` table."""

    boundary: str
    scope3_categories: tuple[str, ...]
    policy: Policy


def parse_balance_table(raw: Mapping[str, Any], p: ProblemCollector, base_dir: Path
                        ) -> BalanceSettings | None:
    """Validate ``[balance]``: ``boundary``, ``scope3_categories``, ``policy`` or
    ``policy_file``, ``policy_overrides``.

    Parameters
    ----------
    raw : mapping
        The ``[balance]`` table of the inventory (empty: boundary I, the default policy).
    p : ProblemCollector
        Receives every problem (unknown keys, boundary, categories, policy).
    base_dir : Path
        Folder of the inventory, for ``policy_file``.

    Returns
    -------
    BalanceSettings or None
        None only when ``raw`` is not a table (the problem is in ``p``).
    """
    raw = raw or {}
    if not isinstance(raw, Mapping):
        p.add("[balance] must be a table", field="balance", found=type(raw).__name__)
        return None
    known = {"boundary", "scope3_categories", "policy", "policy_file", "policy_overrides"}
    p.extend(unknown_key_problems(raw, sorted(known), file=p.file, row="balance"))
    boundary = str(raw.get("boundary", "I")).removeprefix("type_").removeprefix("type ")
    if boundary not in BOUNDARIES:
        p.add("unknown boundary", row="balance", field="boundary", found=raw.get("boundary"),
              expected="'I' (Scope 1+2) or 'II' (adds the chosen Scope 3 categories)")
    cats = raw.get("scope3_categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, (str, int)) for c in cats):
        p.add("scope3_categories must be a list of category names", row="balance",
              field="scope3_categories", found=cats)
        cats = []
    cats = _scope3_keys(cats, p)
    if boundary == "I" and cats:
        p.add("Scope 3 categories given for a type I boundary", row="balance",
              field="scope3_categories", found=cats, expected="boundary = 'II', or no categories")
    if boundary == "II" and not cats:
        p.add("a type II boundary needs its Scope 3 categories", row="balance",
              field="scope3_categories", expected="a non-empty list")
    policy = None
    try:
        if "policy_file" in raw:
            policy = load_policy(path=base_dir / str(raw["policy_file"]))
        else:
            policy = load_policy(str(raw.get("policy", DEFAULT_POLICY)))
        overrides = raw.get("policy_overrides", {})
        if not isinstance(overrides, Mapping):
            p.add("policy_overrides must be a table", row="balance", field="policy_overrides")
        else:
            policy = policy.with_overrides(overrides, file=p.file)
    except InputError as exc:
        p.extend(replace(q, file=p.file) if q.file == "inventory" else q for q in exc.problems)
        # keep validating the rest against the default policy, so every problem is reported
        return BalanceSettings(boundary, tuple(cats), load_policy(DEFAULT_POLICY))
    return BalanceSettings(boundary, tuple(cats), policy)


def _scope3_keys(cats: list, p: ProblemCollector) -> list[str]:
    """GHG Protocol Scope 3 categories (1..15 or slugs, carbon_core.scope3) as the keys of the
    core's Scope 3 totals ("1".."15")."""
    from ..scope3 import category_number

    out = []
    for c in cats:
        n = category_number(c)
        if n is None:
            p.add("unknown Scope 3 category", row="balance", field="scope3_categories", found=c,
                  expected="GHG Protocol categories 1..15 or their names, e.g. 1 or "
                           "'purchased_goods_and_services', 4 or "
                           "'upstream_transportation_and_distribution'")
        elif str(n) not in out:
            out.append(str(n))
    return out


@dataclass
class BalanceResult:
    """The balance of one factory and reporting year.

    Attributes
    ----------
    policy : Policy
        The balance policy applied (with the inventory's overrides).
    boundary : str
        ``"I"`` (Scope 1 + 2) or ``"II"`` (adds the chosen Scope 3 categories).
    scope3_categories : tuple of str
        The Scope 3 categories of a type II boundary, as ``"1"``..``"15"``.
    residual_factor : dict
        The residual factor used [tCO2/MWh]: value, unit, key, region, data year, confirmed,
        citation, source.
    gross_tco2e : float
        Gross emissions of the boundary, grid electricity before instruments at the residual
        factor [tCO2e].
    green_electricity_tco2e : float
        Reduction from bundled instruments (green-power contracts, PPAs, supplier-specific)
        [tCO2e].
    certificates_tco2e : float
        Reduction from unbundled certificates (GEC, I-REC) [tCO2e].
    offsets_tco2e : float
        Offsets counted: within the policy's cap and at most the emissions left [tCO2e].
    net_tco2e : float
        ``gross - green electricity - certificates - offsets`` [tCO2e], never negative
        through offsets.
    scope2_market_tco2e : float
        Market-based Scope 2, electricity [tCO2e] (the core adds heat, which has no instruments).
    components : dict of str to float
        The parts of the gross [tCO2e]: Scope 1, electricity before instruments, heat,
        Scope 3.
    location_based_gross_tco2e : float
        The same boundary with location-based Scope 2 [tCO2e], reported beside the gross.
    electricity : dict
        The year's electricity [MWh]: consumed, grid purchase, on-site renewable generation
        and self-consumption, export, grid demand; the data interval and interval count.
    modes : dict of str to ModeResult
        Every matching mode of the policy.
    instruments : list of Instrument
        Every instrument, accepted and excluded.
    offsets : list of Offset
        Every offset, accepted and excluded.
    offset_status : dict
        Offsets claimed and counted, the cap and whether it was breached, beyond the cap,
        surplus, removals and avoidance [tCO2e].
    ledger : dict or None
        The ledger path and the number of claims recorded (or to record); None without a
        ledger.
    metrics : dict
        ``balance.*`` metrics (see :data:`BALANCE_METRICS`).
    line_items : list of LineItem
        Market-based Scope 2: the unmatched volume at the residual factor and each matched
        instrument at its own factor; ``details = {"basis": "market"}``.
    pending_claims : PendingClaims or None
        Claims checked against the ledger, to be committed last (``commit_claims=False``).
    claims_checked : bool
        False when certificates or offsets were checked against no ledger.
    claims_unchecked_reason : str
        Why they were not checked.
    """

    policy: Policy
    boundary: str
    scope3_categories: tuple[str, ...]
    residual_factor: dict[str, Any]
    gross_tco2e: float
    green_electricity_tco2e: float
    certificates_tco2e: float
    offsets_tco2e: float
    net_tco2e: float
    scope2_market_tco2e: float
    components: dict[str, float]
    location_based_gross_tco2e: float
    electricity: dict[str, Any]
    modes: dict[str, ModeResult]
    instruments: list[Instrument]
    offsets: list[Offset]
    offset_status: dict[str, Any]
    ledger: dict[str, Any] | None
    metrics: dict[str, float | None] = field(default_factory=dict)
    line_items: list[LineItem] = field(default_factory=list)
    #: Claims checked against the ledger, to be committed last (``commit_claims=False``).
    pending_claims: Any = None
    #: False, with the reason, when certificates or offsets were checked against no ledger.
    claims_checked: bool = True
    claims_unchecked_reason: str = ""

    @property
    def balance_mode(self) -> ModeResult:
        """The matching mode the policy counts for the balance (``matching_for_balance``)."""
        return self.modes[self.policy.matching_for_balance]

    def summary_rows(self) -> list[tuple[str, float]]:
        """(label, tCO2e) from gross to net, for the terminal summary."""
        rows = [
            (f"排放总量 gross emissions (boundary type {self.boundary})", self.gross_tco2e),
            ("绿电 green electricity", -self.green_electricity_tco2e),
            ("绿证 certificates", -self.certificates_tco2e),
            ("碳信用抵销 offsets", -self.offsets_tco2e),
            ("净排放 net emissions", self.net_tco2e),
        ]
        if self.offset_status.get("cap_breached"):
            rows.insert(4, ("抵销上限超出 offsets beyond the cap (not counted)",
                            self.offset_status["beyond_cap_tco2e"]))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The ``balance`` section of the results JSON (``schemas/balance.schema.json``)."""
        mode = self.balance_mode
        return _clean({
            "policy": self.policy.to_dict(),
            "boundary": {"type": self.boundary, "description": BOUNDARIES[self.boundary],
                         "scope3_categories": list(self.scope3_categories)},
            "residual_factor": self.residual_factor,
            "gross_tco2e": self.gross_tco2e,
            "green_electricity_tco2e": self.green_electricity_tco2e,
            "certificates_tco2e": self.certificates_tco2e,
            "offsets_tco2e": self.offsets_tco2e,
            "net_tco2e": self.net_tco2e,
            "scope2_market_tco2e": self.scope2_market_tco2e,
            "gross_components": self.components,
            "location_based_gross_tco2e": self.location_based_gross_tco2e,
            "residual_mix_adjustment_tco2e": self.gross_tco2e - self.location_based_gross_tco2e,
            "electricity": self.electricity,
            "matching_for_balance": self.policy.matching_for_balance,
            "matching": {m: r.to_dict() for m, r in self.modes.items()},
            "excess_certificates_mwh": mode.excess_mwh,
            "excess_certificates": [
                {"id": i, "excess_mwh": x} for i, x in mode.excess_by_instrument.items()
                if x > 1e-9],
            "offset_cap": self.offset_status,
            "instruments": [_instrument_dict(i, mode) for i in self.instruments],
            "offsets": [_offset_dict(o) for o in self.offsets],
            "ledger": self.ledger,
            "claims_checked": self.claims_checked,
            **({"claims_unchecked_reason": self.claims_unchecked_reason}
               if not self.claims_checked else {}),
            "summary": [{"label": k, "tco2e": v} for k, v in self.summary_rows()],
        })


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def _instrument_dict(i: Instrument, mode: ModeResult) -> dict[str, Any]:
    return {
        "id": i.id, "type": i.type, "row": i.row, "status": i.status, "reason": i.reason or None,
        "volume_mwh": i.volume_mwh, "resolution": i.resolution,
        "matched_mwh": mode.matched_by_instrument.get(i.id, 0.0),
        "excess_mwh": mode.excess_by_instrument.get(i.id, 0.0),
        "not_time_stamped_mwh": mode.unmatchable_by_instrument.get(i.id, 0.0),
        "factor_tco2_per_mwh": i.factor_tco2_per_mwh, "renewable": i.renewable,
        "technology": i.technology or None, "province": i.province or None,
        "generation_start": None if i.generation_start is None
        else "%04d-%02d" % i.generation_start,
        "generation_end": None if i.generation_end is None else "%04d-%02d" % i.generation_end,
        "certificates": [str(s) for s in i.serials], "serial_count": i.serial_count,
        "beneficiary": i.beneficiary or None, "retired_on": i.retired_on or None,
        "notes": list(i.notes), "evidence": {k: str(v) for k, v in i.evidence.items()},
    }


def _offset_dict(o: Offset) -> dict[str, Any]:
    return {
        "id": o.id, "row": o.row, "status": o.status, "reason": o.reason or None,
        "standard": o.standard, "registry": o.registry, "project": o.project,
        "vintage": o.vintage, "kind": o.kind, "tco2e": o.tco2e,
        "serials": [str(s) for s in o.serials], "serial_count": o.serial_count,
        "retired_on": o.retired_on or None, "beneficiary": o.beneficiary or None,
        "evidence": {k: str(v) for k, v in o.evidence.items()},
    }


def _residual(policy: Policy, lib: FactorLibrary, year: int, p: ProblemCollector):
    if policy.residual_factor_value is not None:
        return float(policy.residual_factor_value), {
            "value": float(policy.residual_factor_value), "unit": "tCO2/MWh", "key": None,
            "region": None, "data_year": None, "confirmed": True,
            "citation": policy.residual_factor_citation or f"policy {policy.name}",
            "source": f"policy {policy.name}"}
    try:
        f = lib.get(policy.residual_factor_key, policy.residual_factor_region,
                    rule=policy.residual_factor_rule, reporting_year=year)
    except FactorNotFoundError as exc:
        p.add(f"residual factor not found: {exc}", row="balance", field="policy",
              found=policy.name, expected="a factor library with the policy's residual factor")
        return None, None
    from ..units import conversion_factor
    value = f.value * conversion_factor(f.unit, "tCO2/MWh")
    d = f.to_dict()
    d.update(value=value, unit="tCO2/MWh", rule=policy.residual_factor_rule,
             source=f"library key {f.key}")
    return value, d


def compute_balance(inputs: BalanceInputs) -> BalanceResult:
    """The balance of one factory and year; the entry point the core calls.

    Parameters
    ----------
    inputs : BalanceInputs
        The core's totals [tCO2e], the electricity series [kWh per interval], the raw tables.

    Returns
    -------
    BalanceResult
        Gross -> green electricity -> certificates -> offsets -> net [tCO2e], market-based
        Scope 2, the matching modes, metrics and market-based line items.

    References
    ----------
    ISO 14068-1:2023 (carbon neutrality: reductions before offsets, offsets never netted into
    scope totals); GHG Protocol Scope 2 Guidance (2015) ch. 6-7.

    Raises
    ------
    InputError
        Every problem of ``[balance]``, ``[[instruments]]``, ``[[offsets]]`` and the ledger
        at once.
    """
    inp = inputs
    p = ProblemCollector(inp.source_file)
    settings = parse_balance_table(inp.balance_raw, p, Path(inp.source_file).parent)
    if settings is None:
        p.raise_if_any()
        raise AssertionError("parse_balance_table returns None only with problems")
    policy = settings.policy
    kw: dict[str, Any] = dict(policy=policy, reporting_year=inp.reporting_year,
                              factory_id=inp.factory_id, factory_name=inp.factory_name,
                              source_file=inp.source_file, problems=p)
    instruments = parse_instruments(inp.instruments_raw or [], grid_region=inp.grid_region,
                                    grid_province=inp.grid_province, **kw)
    offsets = parse_offsets(inp.offsets_raw or [], **kw)
    check_serial_overlaps([*instruments, *offsets], p)
    scope3 = dict(inp.scope3_tco2e or {})
    for c in settings.scope3_categories:
        if c not in scope3:
            p.add("Scope 3 category not computed", row="balance", field="scope3_categories",
                  found=c, expected=f"one of {sorted(scope3)}")
    residual, residual_info = _residual(policy, inp.library, inp.reporting_year, p)
    p.raise_if_any(title=f"{len(p.problems)} problems in the balance inputs")

    el = electricity_arrays(inp.electricity, inp.interval, inp.source_file)
    accepted = [i for i in instruments if i.status == "accepted"]
    modes = match_modes(el, accepted, policy, residual, inp.reporting_year)
    mode = modes[policy.matching_for_balance]
    if not mode.available:
        # the policy's mode needs finer data than the meters give: the balance cannot be made
        raise InputError([_problem(inp.source_file,
                                   f"policy {policy.name} counts {mode.mode} matching for the "
                                   f"balance, {mode.reason}", "matching_for_balance")])

    demand_mwh = float(el.demand.sum())
    s3 = math.fsum(scope3[c] for c in settings.scope3_categories)
    components = {
        "scope1_tco2e": float(inp.scope1_tco2e),
        "scope2_electricity_before_instruments_tco2e": demand_mwh * residual,
        "scope2_heat_tco2e": float(inp.scope2_heat_tco2e),
        "scope3_tco2e": float(s3),
    }
    gross = sum(components.values())
    green, certs = mode.green_electricity_tco2e, mode.certificates_tco2e
    after_reductions = gross - green - certs

    accepted_offsets = [o for o in offsets if o.status == "accepted"]
    claimed = float(sum(o.tco2e for o in accepted_offsets))
    cap_share = policy.offset_cap_share
    cap = None if cap_share is None else cap_share * gross
    within_cap = claimed if cap is None else min(claimed, cap)
    counted = min(within_cap, max(after_reductions, 0.0))
    offset_status = {
        "claimed_tco2e": claimed, "counted_tco2e": counted,
        "cap_share": cap_share, "cap_tco2e": cap,
        "cap_breached": None if cap is None else claimed > cap + 1e-9,
        "beyond_cap_tco2e": 0.0 if cap is None else max(claimed - cap, 0.0),
        "surplus_tco2e": within_cap - counted,
        "removal_tco2e": float(sum(o.tco2e for o in accepted_offsets if o.kind == "removal")),
        "avoidance_tco2e": float(sum(o.tco2e for o in accepted_offsets
                                     if o.kind == "avoidance")),
    }
    net = after_reductions - counted
    location_gross = (float(inp.scope1_tco2e) + float(inp.scope2_location_tco2e)
                      + float(inp.scope2_heat_tco2e) + float(s3))

    ledger_info: dict[str, Any] | None = None
    pending: PendingClaims | None = None
    if inp.ledger is not None:
        ledger_info, pending = _record_claims(inp, policy, accepted, accepted_offsets)

    electricity = {
        "data_interval": format_interval(np.timedelta64(inp.interval, "ns")),
        "intervals": int(len(el.times)),
        "consumed_mwh": float(el.consumed.sum()),
        "grid_purchase_mwh": float(el.grid_purchase.sum()),
        "onsite_renewable_generation_mwh": float(el.onsite_generation.sum()),
        "export_mwh": float(el.export.sum()),
        "onsite_renewable_self_consumed_mwh": float(el.onsite.sum()),
        "grid_demand_mwh": demand_mwh,
    }
    result = BalanceResult(
        policy=policy, boundary=settings.boundary,
        scope3_categories=settings.scope3_categories, residual_factor=residual_info,
        gross_tco2e=gross, green_electricity_tco2e=green, certificates_tco2e=certs,
        offsets_tco2e=counted, net_tco2e=net, scope2_market_tco2e=mode.market_based_tco2e,
        components=components, location_based_gross_tco2e=location_gross,
        electricity=electricity, modes=modes, instruments=instruments, offsets=offsets,
        offset_status=offset_status, ledger=ledger_info, pending_claims=pending)
    if inp.ledger is None and any(i.serials for i in accepted) or \
            (inp.ledger is None and accepted_offsets):
        result.claims_checked = False
        result.claims_unchecked_reason = (
            "no claims ledger was given (--ledger or $CARBON_LEDGER): certificate and offset "
            "serials were not checked against other factories' and years' claims")
    result.metrics = _metrics(result)
    result.line_items = _line_items(result, accepted, residual, inp.gwp_set)
    return result


def _problem(file, message, field_):
    from ..errors import Problem
    return Problem(file, message, row="balance", field=field_)


def _metrics(r: BalanceResult) -> dict[str, float | None]:
    mode = r.balance_mode
    out: dict[str, float | None] = {
        "balance.gross_tco2e": r.gross_tco2e,
        "balance.net_tco2e": r.net_tco2e,
        "balance.renewable_electricity_share": mode.renewable_share,
        "balance.offset_share": (r.offsets_tco2e / r.gross_tco2e) if r.gross_tco2e > 0 else None,
        "balance.green_electricity_tco2e": r.green_electricity_tco2e,
        "balance.certificates_tco2e": r.certificates_tco2e,
        "balance.offsets_tco2e": r.offsets_tco2e,
        "balance.excess_certificates_mwh": mode.excess_mwh,
        "balance.offset_cap_breached": (None if r.offset_status["cap_breached"] is None
                                        else float(r.offset_status["cap_breached"])),
    }
    for m in MATCHING_MODES:
        res = r.modes.get(m)
        out[f"balance.cfe_score.{m}"] = res.cfe_score if res is not None and res.available \
            else None
    return out


def _line_items(r: BalanceResult, accepted: list[Instrument], residual: float,
                gwp_set: str) -> list[LineItem]:
    mode = r.balance_mode
    cite = r.residual_factor.get("citation", "")
    keys = (r.residual_factor["key"],) if r.residual_factor.get("key") else ()
    confirmed = bool(r.residual_factor.get("confirmed", True))
    items = [LineItem(
        id="purchased_electricity:market:residual", category="purchased_electricity", scope=2,
        source="grid", carrier="electricity", activity=mode.unmatched_mwh, activity_unit="MWh",
        factor_value=residual, factor_unit="tCO2/MWh", factor_source=cite, gas="CO2",
        gwp_set=gwp_set, gwp=1.0, emissions_t_gas=mode.unmatched_tco2e,
        emissions_tco2e=mode.unmatched_tco2e, factor_keys=keys, confirmed=confirmed,
        formula="grid electricity not covered by instruments x residual factor "
                "(GHG Protocol Scope 2 Guidance 2015, ch. 6)",
        details={"basis": "market", "matching": mode.mode, "policy": r.policy.name})]
    for i in accepted:
        if i.type == "onsite_renewable":
            continue
        mwh = mode.matched_by_instrument.get(i.id, 0.0)
        e = mwh * i.factor_tco2_per_mwh
        items.append(LineItem(
            id=f"purchased_electricity:market:{i.id}", category="purchased_electricity",
            scope=2, source=i.id, carrier="electricity", activity=mwh, activity_unit="MWh",
            factor_value=i.factor_tco2_per_mwh, factor_unit="tCO2/MWh",
            factor_source=f"contractual instrument {i.type} {i.id}: {i.evidence.get('evidence')}",
            gas="CO2", gwp_set=gwp_set, gwp=1.0, emissions_t_gas=e, emissions_tco2e=e,
            formula="matched volume x instrument factor", details={
                "basis": "market", "matching": mode.mode, "instrument_type": i.type}))
    return items


def _record_claims(inp: BalanceInputs, policy: Policy, instruments, offsets
                   ) -> tuple[dict[str, Any], PendingClaims | None]:
    """The ledger entry of the results and the claims still to commit (None once committed)."""
    claims = []
    for i in instruments:
        if i.serials:
            claims.append(Claim(i.id, i.type, "certificate", i.volume_mwh, "MWh", i.serials,
                                beneficiary=i.beneficiary,
                                vintage="" if i.generation_start is None
                                else "%04d-%02d" % i.generation_start))
    for o in offsets:
        claims.append(Claim(o.id, f"offset:{o.standard}", "offset", o.tco2e, "tCO2e",
                            o.serials, beneficiary=o.beneficiary, vintage=str(o.vintage)))
    pending = PendingClaims(str(inp.ledger), inp.factory_id, inp.reporting_year, claims,
                            claimant_name=inp.factory_name, source_file=inp.source_file,
                            policy=policy.name)
    if inp.commit_claims:
        return {"path": str(inp.ledger), "claims_recorded": pending.commit()}, None
    pending.check()  # refuse a damaged ledger or a conflict now; record last (PendingClaims)
    return {"path": str(inp.ledger), "claims_recorded": len(claims)}, pending
