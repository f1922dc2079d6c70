"""Named balance policies: the programme rules that differ between programmes, as data.

A policy says which contractual instruments are accepted and in what order, the market boundary,
the vintage window, which residual factor values uncovered consumption, which temporal matching
counts for the balance, which offsets are accepted and whether they are capped. Policies are TOML
files under ``factors/policies/`` (schema ``carbon_core.balance_policy/1``); the default is
``hefei-template``. An inventory picks one in ``[balance] policy = "..."`` and may override single
parameters in ``[balance.policy_overrides]``; every result records the policy name, its parameters
and what was overridden.

References
----------
GHG Protocol Scope 2 Guidance (2015), ch. 6-7; 发改能源〔2023〕1044号; ISO 14068-1:2023;
沪环气候〔2023〕89号 (the stricter example ``shanghai-2023``); GHG Protocol Scope 2 revision
proposal (2025) (the example ``ghgp-2025-hourly``).

Examples
--------
>>> p = load_policy("hefei-template")
>>> p.name, p.matching_for_balance, p.offset_cap_share
('hefei-template', 'annual', None)
>>> p.with_overrides({"offset_cap_share": 0.1}).name
'hefei-template+overrides'
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError, Problem

__all__ = [
    "Policy",
    "load_policy",
    "available_policies",
    "DEFAULT_POLICY",
    "INSTRUMENT_TYPES",
    "MATCHING_MODES",
    "MARKET_BOUNDARIES",
]

DEFAULT_POLICY = "hefei-template"

#: Instrument types of the inventory's ``[[instruments]]`` table.
INSTRUMENT_TYPES = (
    "green_power_contract",  # 绿电交易: electricity with its bundled GECs
    "ppa",  # power purchase agreement with certificates
    "supplier_specific",  # supplier-specific electricity with its own emission factor
    "gec",  # unbundled 绿证 (China Green Electricity Certificate)
    "irec",  # unbundled I-REC
    "onsite_renewable",  # evidence for on-site renewable self-consumption (volume from meters)
)

#: Temporal matching modes, coarsest first, with their nominal length.
MATCHING_MODES = ("annual", "monthly", "hourly", "15min")

MARKET_BOUNDARIES = ("none", "national", "grid_region", "province")

_SCHEMA = "carbon_core.balance_policy/1"


@dataclass(frozen=True)
class Policy:
    """A named, declared set of balance rules.

    Attributes
    ----------
    name : str
        Policy name (``hefei-template``); ``<name>+overrides`` when an inventory overrides a
        parameter.
    hierarchy : tuple of str
        Instrument types in the order they are applied to consumption.
    accepted_types : tuple of str
        Instrument types accepted at all (others are listed as excluded, with the reason).
    accept_unbundled : bool
        Whether unbundled certificates (``gec``, ``irec``) are accepted.
    market_boundary : str
        ``none``, ``national`` (generation in China), ``grid_region`` or ``province`` of the
        factory.
    irec_outside_china_only : bool
        Refuse I-RECs for generation in China (GECs are the Chinese instrument).
    certificate_validity_months : int
        Validity of a certificate from its generation month (included) [months]; an expired one
        is refused.
    vintage_window_months : int or None
        Generation no earlier than this many months before the reporting year [months].
    require_certificate_retirement, require_serials, onsite_requires_instrument : bool
    residual_factor_key, residual_factor_region, residual_factor_rule : str
        Library lookup of the residual factor [tCO2/MWh].
    residual_factor_value : float or None
        A fixed residual factor [tCO2/MWh] instead of a library lookup.
    matching_for_balance : str
        The matching mode whose result counts for the balance.
    matching_modes : tuple of str
        The modes reported side by side.
    accepted_offset_standards : tuple of str
    offset_vintage_window_years : int or None
        Offsets of vintage older than reporting year minus this are excluded [years].
    removals_only : bool
    offset_cap_share : float or None
        Maximum offsets as a share of gross emissions; None = no cap. A breach is reported.
    require_offset_retirement : bool
    """

    name: str
    title: str = ""
    status: str = ""
    hierarchy: tuple[str, ...] = ("green_power_contract", "ppa", "supplier_specific", "gec", "irec")
    accepted_types: tuple[str, ...] = INSTRUMENT_TYPES
    accept_unbundled: bool = True
    market_boundary: str = "national"
    irec_outside_china_only: bool = True
    certificate_validity_months: int = 24
    vintage_window_months: int | None = None
    require_certificate_retirement: bool = True
    require_serials: bool = True
    onsite_requires_instrument: bool = False
    residual_factor_key: str = "electricity.grid.excl_market_nonfossil"
    residual_factor_region: str = "CN"
    residual_factor_rule: str = "latest:Y-2"
    residual_factor_value: float | None = None
    residual_factor_unit: str = "tCO2/MWh"
    residual_factor_citation: str = ""
    matching_for_balance: str = "annual"
    matching_modes: tuple[str, ...] = MATCHING_MODES
    accepted_offset_standards: tuple[str, ...] = ("CCER", "CDM", "VCS", "GS")
    offset_vintage_window_years: int | None = None
    removals_only: bool = False
    offset_cap_share: float | None = None
    require_offset_retirement: bool = True
    references: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    base: str = ""
    file: str = ""

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], file: str = "policy") -> "Policy":
        """Build and validate a policy from a parsed TOML table; every problem at once."""
        problems: list[Problem] = []
        known = {f.name for f in fields(cls)} - {"overridden", "base", "file"}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("schema", "title_en"):
                continue
            if key == "references":
                kwargs["references"] = tuple(
                    r["text"] if isinstance(r, Mapping) else str(r) for r in value)
                continue
            if key not in known:
                problems.append(Problem(file, "unknown policy parameter", field=key,
                                        expected=f"one of {sorted(known)}"))
                continue
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        if not isinstance(kwargs.get("name"), str) or not kwargs.get("name"):
            problems.append(Problem(file, "policy without a name", field="name",
                                    expected="a non-empty string"))
            raise InputError(problems)
        policy = cls(**kwargs, base=kwargs["name"], file=file)
        problems.extend(policy.validate(file))
        if problems:
            raise InputError(problems, title=f"{len(problems)} problems in policy {file}")
        return policy

    def validate(self, file: str = "policy") -> list[Problem]:
        """Problems with the parameter values (empty list when valid)."""
        out: list[Problem] = []

        def bad(field_, found, expected):
            out.append(Problem(file, "bad policy parameter", field=field_, found=found,
                               expected=expected))

        for name_ in ("hierarchy", "accepted_types"):
            for t in getattr(self, name_):
                if t not in INSTRUMENT_TYPES:
                    bad(name_, t, f"instrument types from {list(INSTRUMENT_TYPES)}")
        if self.market_boundary not in MARKET_BOUNDARIES:
            bad("market_boundary", self.market_boundary, f"one of {list(MARKET_BOUNDARIES)}")
        for name_ in ("matching_for_balance",):
            if getattr(self, name_) not in MATCHING_MODES:
                bad(name_, getattr(self, name_), f"one of {list(MATCHING_MODES)}")
        for m in self.matching_modes:
            if m not in MATCHING_MODES:
                bad("matching_modes", m, f"modes from {list(MATCHING_MODES)}")
        if self.matching_for_balance not in self.matching_modes:
            bad("matching_for_balance", self.matching_for_balance, "a mode in matching_modes")
        for name_ in ("certificate_validity_months", "vintage_window_months",
                      "offset_vintage_window_years"):
            v = getattr(self, name_)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                bad(name_, v, "a non-negative integer or null")
        cap = self.offset_cap_share
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (int, float))
                                or not 0 <= cap <= 1):
            bad("offset_cap_share", cap, "a fraction between 0 and 1, or null for no cap")
        rv = self.residual_factor_value
        if rv is not None and (isinstance(rv, bool) or not isinstance(rv, (int, float)) or rv < 0):
            bad("residual_factor_value", rv, "a non-negative number [tCO2/MWh] or null")
        if rv is not None and self.residual_factor_unit != "tCO2/MWh":
            bad("residual_factor_unit", self.residual_factor_unit, "'tCO2/MWh'")
        for name_ in ("accept_unbundled", "irec_outside_china_only", "require_serials",
                      "require_certificate_retirement", "onsite_requires_instrument",
                      "removals_only", "require_offset_retirement"):
            if not isinstance(getattr(self, name_), bool):
                bad(name_, getattr(self, name_), "true or false")
        return out

    def with_overrides(self, overrides: Mapping[str, Any], file: str = "inventory") -> "Policy":
        """This policy with some parameters changed; the name records that it was modified."""
        if not overrides:
            return self
        problems = []
        known = {f.name for f in fields(self)} - {"name", "overridden", "base", "file",
                                                   "references", "title", "status"}
        changes = {}
        for key, value in overrides.items():
            if key not in known:
                problems.append(Problem(file, "unknown policy parameter", row="balance",
                                        field=f"policy_overrides.{key}",
                                        expected=f"one of {sorted(known)}"))
                continue
            changes[key] = tuple(value) if isinstance(value, list) else value
        if problems:
            raise InputError(problems)
        new = replace(self, **changes, name=f"{self.base or self.name}+overrides",
                      overridden=tuple(sorted(set(self.overridden) | set(changes))))
        found = new.validate(file)
        if found:
            raise InputError(found)
        return new

    # -- use ----------------------------------------------------------------------------------

    @property
    def unbundled_types(self) -> tuple[str, ...]:
        return ("gec", "irec")

    def to_dict(self) -> dict[str, Any]:
        """Name and every parameter, as recorded in results."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


def _policy_root():
    return resources.files("carbon_core_factors") / "policies"


def available_policies() -> list[str]:
    """Names of the policies shipped under ``factors/policies/``.

    >>> "hefei-template" in available_policies()
    True
    """
    from ..programmes import programme_registry

    shipped = {p.name[:-5] for p in _policy_root().iterdir() if p.name.endswith(".toml")}
    return sorted(shipped | {n for n, p in programme_registry().items() if p.has("policy")})


def load_policy(name: str = DEFAULT_POLICY, *, path: str | Path | None = None) -> Policy:
    """A shipped policy by name, or a policy file by path.

    Raises
    ------
    InputError
        Unknown name (listing the available ones) or invalid file.
    """
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError([Problem(str(p), f"cannot read policy file: {exc}")]) from None
        return Policy.from_mapping(data, file=str(p))
    return _named_policy(name)


@lru_cache(maxsize=32)
def _named_policy(name: str) -> Policy:
    """A shipped (or programme) policy, read once per process: scoring many factories
    (``carbon rank``, a portfolio) loads each policy once. Policy is a frozen record."""
    entry = _policy_root() / f"{name}.toml"
    label = f"factors/policies/{entry.name}"
    if not entry.is_file():
        from ..programmes import programme_registry

        programme = programme_registry().get(name)
        if programme is not None and programme.has("policy"):
            entry, label = programme.file("policy"), programme.label("policy")
    if not entry.is_file():
        raise InputError([Problem("inventory", "unknown balance policy", row="balance",
                                  field="policy", found=name,
                                  expected=f"one of {available_policies()} or policy_file")])
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    if data.get("schema") != _SCHEMA:
        raise InputError([Problem(entry.name, "not a balance policy file", field="schema",
                                  found=data.get("schema"), expected=repr(_SCHEMA))])
    return Policy.from_mapping(data, file=label)
