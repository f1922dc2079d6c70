"""Named balance policies: the programme rules that differ between programmes, as data.

A policy says which contractual instruments are accepted and in what order, the market boundary,
the vintage window, which residual factor values uncovered consumption, which temporal matching
counts for the balance, which offsets are accepted and whether they are capped. Policies are TOML
files (schema ``carbon_core.balance_policy/1``) in a programme bundle (``programmes/<name>/``,
named after the programme) or under ``factors/policies/``; the default is the default programme's
(:data:`carbon_core.programmes.DEFAULT_PROGRAMME`). An inventory picks one in ``[balance] policy = "..."`` and may override single
parameters in ``[balance.policy_overrides]``; every result records the policy name, its parameters
and what was overridden.

References
----------
GHG Protocol Scope 2 Guidance (2015), ch. 6-7; 发改能源〔2023〕1044号; ISO 14068-1:2023;
沪环气候〔2023〕89号 (the stricter example ``shanghai-2023``); GHG Protocol Scope 2 revision
proposal (2025) (the example ``ghgp-2025-hourly``).

Examples
--------
>>> p = load_policy("shanghai-2023")
>>> p.name
'shanghai-2023'
>>> p.with_overrides({"offset_cap_share": 0.1}).name
'shanghai-2023+overrides'
>>> load_policy().name == DEFAULT_POLICY
True
"""

from __future__ import annotations

import tomli
from functools import lru_cache
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError, Problem
from ..programmes import DEFAULT_PROGRAMME
from ..schema import Field, Table, validate_into

__all__ = [
    "Policy",
    "load_policy",
    "available_policies",
    "DEFAULT_POLICY",
    "INSTRUMENT_TYPES",
    "MATCHING_MODES",
    "MARKET_BOUNDARIES",
    "POLICY_TABLE",
    "OVERRIDES_TABLE",
]

#: The default programme's policy (a bundle's policy carries the programme's name).
DEFAULT_POLICY = DEFAULT_PROGRAMME

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
        Policy name (a programme's name, or a file of ``factors/policies/``);
        ``<name>+overrides`` when an inventory overrides a
        parameter.
    title : str
        The policy's title, as the file gives it.
    status : str
        ``"template: ..."`` for a policy of declared assumptions (no published document fixes
        its rules), else empty or the file's status.
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
    require_certificate_retirement, require_serials : bool
        Certificates must be retired for the factory, and carry their serial numbers (an
        exclusive claim, as the Scope 2 Quality Criteria of the GHG Protocol Scope 2 Guidance 2015
        ask).
    onsite_requires_instrument : bool
        On-site renewable self-consumption counts only with a declared ``onsite_renewable``
        instrument.
    residual_factor_key, residual_factor_region, residual_factor_rule : str
        Library lookup of the residual factor [tCO2/MWh].
    residual_factor_value : float or None
        A fixed residual factor [tCO2/MWh] instead of a library lookup.
    residual_factor_unit : str
        Unit of ``residual_factor_value``: ``"tCO2/MWh"`` only.
    residual_factor_citation : str
        The source of a fixed residual factor.
    matching_for_balance : str
        The matching mode whose result counts for the balance.
    matching_modes : tuple of str
        The modes reported side by side.
    accepted_offset_standards : tuple of str
        Offset standards accepted (``CCER``, ``CDM``, ``VCS``, ``GS`` by default); others are
        excluded.
    offset_vintage_window_years : int or None
        Offsets of vintage older than reporting year minus this are excluded [years].
    removals_only : bool
        Accept removal credits only (avoidance credits are excluded).
    offset_cap_share : float or None
        Maximum offsets as a share of gross emissions; None = no cap. A breach is reported.
    require_offset_retirement : bool
        Offsets must be retired for the factory.
    references : tuple of str
        The sources the policy file cites.
    overridden : tuple of str
        The parameters an inventory overrode (sorted; empty for the policy as shipped).
    base : str
        The name of the policy as loaded, before overrides.
    file : str
        Where the policy was read from (``factors/policies/<name>.toml``, a programme bundle
        file, or a path).
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
        """Build and validate a policy from a parsed TOML table; every problem at once.

        The keys, types and bounds are checked against :data:`POLICY_TABLE`; the rules that need
        several parameters by :meth:`validate`.

        Parameters
        ----------
        data : mapping
            The parsed policy file.
        file : str, optional
            Where it was read from, for problems and :attr:`file`.

        Returns
        -------
        Policy

        Raises
        ------
        InputError
            Every problem of the file (unknown keys, types, bounds, choices, a missing name) or,
            when those are clean, of :meth:`validate`.
        """
        problems: list[Problem] = []
        rec = validate_into(POLICY_TABLE, data, problems, file=file) or {}
        kwargs: dict[str, Any] = {}
        for key in data:
            if key in ("schema", "title_en") or key not in _FIELD_NAMES or rec.get(key) is None:
                continue
            value = rec[key]
            if key == "references":
                value = [r["text"] if isinstance(r, Mapping) else str(r) for r in value]
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        if not kwargs.get("name"):
            raise InputError(problems, title=f"{len(problems)} problems in policy {file}")
        policy = cls(**kwargs, base=kwargs["name"], file=file)
        if not problems:
            problems.extend(policy.validate(file))
        if problems:
            raise InputError(problems, title=f"{len(problems)} problems in policy {file}")
        return policy

    def validate(self, file: str = "policy") -> list[Problem]:
        """Problems of the rules that need several parameters (empty list when valid).

        ``matching_for_balance`` must be one of ``matching_modes``, and a fixed residual factor
        must be in tCO2/MWh.

        Parameters
        ----------
        file : str, optional
            Where the policy (or the override) was written, for the problems.

        Returns
        -------
        list of Problem
        """
        out: list[Problem] = []
        if self.matching_for_balance not in self.matching_modes:
            out.append(Problem(file, "bad policy parameter", field="matching_for_balance",
                               found=self.matching_for_balance, expected="a mode in matching_modes"))
        if self.residual_factor_value is not None and self.residual_factor_unit != "tCO2/MWh":
            out.append(Problem(file, "bad policy parameter", field="residual_factor_unit",
                               found=self.residual_factor_unit, expected="'tCO2/MWh'"))
        return out

    def with_overrides(self, overrides: Mapping[str, Any], file: str = "inventory") -> "Policy":
        """This policy with some parameters changed; the name records that it was modified.

        Parameters
        ----------
        overrides : mapping
            ``[balance.policy_overrides]`` of an inventory: parameter -> value, checked against
            :data:`OVERRIDES_TABLE`.
        file : str, optional
            The inventory, for problems.

        Returns
        -------
        Policy
            ``self`` when there is nothing to override; else a copy named
            ``<base>+overrides`` with :attr:`overridden` listing the parameters changed.

        Raises
        ------
        InputError
            An unknown parameter, a bad value (field named ``policy_overrides.<key>``), or a
            combination :meth:`validate` refuses.
        """
        if not overrides:
            return self
        problems: list[Problem] = []
        rec = validate_into(OVERRIDES_TABLE, overrides, problems, file=file, where="balance") or {}
        problems = [replace(q, field=f"policy_overrides.{q.field}") if q.field else q
                    for q in problems]
        if problems:
            raise InputError(problems)
        changes: dict[str, Any] = {k: tuple(rec[k]) if isinstance(rec[k], list) else rec[k]
                                   for k in overrides}
        new = replace(self, **changes, name=f"{self.base or self.name}+overrides",
                      overridden=tuple(sorted(set(self.overridden) | set(changes))))
        found = new.validate(file)
        if found:
            raise InputError(found)
        return new

    # -- use ----------------------------------------------------------------------------------

    @property
    def unbundled_types(self) -> tuple[str, ...]:
        """The instrument types that are unbundled certificates (``"gec"``, ``"irec"``)."""
        return ("gec", "irec")

    def to_dict(self) -> dict[str, Any]:
        """Name and every parameter, as recorded in results."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


_RULES: tuple[Field, ...] = (
    Field("hierarchy", kind="list", item=Field("type", kind="choice", choices=INSTRUMENT_TYPES),
          required=False, doc="instrument types in the order they are applied to consumption"),
    Field("accepted_types", kind="list",
          item=Field("type", kind="choice", choices=INSTRUMENT_TYPES), required=False,
          doc="instrument types accepted at all (others are excluded, with the reason)"),
    Field("accept_unbundled", kind="bool", required=False, doc="unbundled certificates (gec, irec)"),
    Field("market_boundary", kind="choice", choices=MARKET_BOUNDARIES, required=False,
          doc="where generation must be"),
    Field("irec_outside_china_only", kind="bool", required=False, doc="refuse I-RECs for generation in "
          "China"),
    Field("certificate_validity_months", kind="integer", minimum=0, required=False, doc="validity from the generation month "
          "[months]"),
    Field("vintage_window_months", kind="integer", minimum=0, required=False, doc="generation at most this many months before "
          "the reporting year [months]; absent: no window"),
    Field("require_certificate_retirement", kind="bool", required=False),
    Field("require_serials", kind="bool", required=False),
    Field("onsite_requires_instrument", kind="bool", required=False),
    Field("residual_factor_key", kind="text", required=False, doc="library key of the residual factor"),
    Field("residual_factor_region", kind="text", required=False),
    Field("residual_factor_rule", kind="text", required=False, doc="selection rule, e.g. latest:Y-2"),
    Field("residual_factor_value", kind="number", minimum=0.0, unit="tCO2/MWh", required=False,
          doc="a fixed residual factor instead of a library lookup"),
    Field("residual_factor_unit", kind="choice", choices=("tCO2/MWh",), required=False),
    Field("residual_factor_citation", kind="text", required=False),
    Field("matching_for_balance", kind="choice", choices=MATCHING_MODES, required=False,
          doc="the matching mode whose result counts (one of matching_modes)"),
    Field("matching_modes", kind="list",
          item=Field("mode", kind="choice", choices=MATCHING_MODES), required=False,
          doc="modes reported side by side"),
    Field("accepted_offset_standards", kind="list", item=Field("standard", kind="text"), required=False),
    Field("offset_vintage_window_years", kind="integer", minimum=0, required=False,
          doc="offsets older than reporting year minus this are excluded [years]"),
    Field("removals_only", kind="bool", required=False),
    Field("offset_cap_share", kind="number", minimum=0.0, maximum=1.0, unit="1", required=False,
          doc="maximum offsets as a share of gross emissions; absent: no cap"),
    Field("require_offset_retirement", kind="bool", required=False),
)

# the documented default of each rule is the dataclass default (what an absent key means)
_DEFAULTS = {f.name: f.default for f in fields(Policy)}
_RULES = tuple(replace(f, default=list(d) if isinstance(d, tuple) else d)
               for f in _RULES for d in [_DEFAULTS.get(f.name)])

#: A balance policy file (``carbon_core.balance_policy/1``).
POLICY_TABLE = Table("policy", (
    Field("schema", kind="choice", choices=(_SCHEMA,), required=False),
    Field("name", kind="text", doc="the policy's name"),
    Field("title", kind="text", required=False),
    Field("title_en", kind="text", required=False),
    Field("status", kind="text", required=False, doc="'template: ...' for declared assumptions"),
    *_RULES,
    Field("references", kind="list", item=Field("reference", kind="any"), required=False,
          doc="[[references]] text = ... (or plain strings)"),
), rows=False, doc="Balance rules of a programme (docs/balance.md).")

#: What ``[balance.policy_overrides]`` may change.
OVERRIDES_TABLE = Table("policy_overrides", _RULES, rows=False)

_FIELD_NAMES = {f.name for f in fields(Policy)}


def _policy_root():
    return resources.files("carbon_core_factors") / "policies"


def available_policies() -> list[str]:
    """Names of the policies shipped under ``factors/policies/``.

    >>> DEFAULT_POLICY in available_policies()
    True
    """
    from ..programmes import programme_registry

    shipped = {p.name[:-5] for p in _policy_root().iterdir() if p.name.endswith(".toml")}
    return sorted(shipped | {n for n, p in programme_registry().items() if p.has("policy")})


def load_policy(name: str = DEFAULT_POLICY, *, path: str | Path | None = None) -> Policy:
    """A shipped policy by name, or a policy file by path.

    Parameters
    ----------
    name : str, optional
        A policy of ``factors/policies/`` or a programme bundle's policy (default
        :data:`DEFAULT_POLICY`); read once per process and cached.
    path : str or Path, optional
        A policy file to read instead (``[balance] policy_file``); not cached.

    Returns
    -------
    Policy

    Raises
    ------
    InputError
        Unknown name (listing the available ones) or invalid file.
    """
    if path is not None:
        p = Path(path)
        try:
            data = tomli.loads(p.read_text(encoding="utf-8"))
        except (OSError, tomli.TOMLDecodeError) as exc:
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
    data = tomli.loads(entry.read_text(encoding="utf-8"))
    if data.get("schema") != _SCHEMA:
        raise InputError([Problem(entry.name, "not a balance policy file", field="schema",
                                  found=data.get("schema"), expected=repr(_SCHEMA))])
    return Policy.from_mapping(data, file=label)
