"""The inventory's ``[[instruments]]`` and ``[[offsets]]`` tables: parsing and validation.

Every instrument and offset carries its evidence. Problems that make a claim invalid (a missing
field, a claim beyond the issued volume, an expired certificate, a certificate or credit retired
for someone else, the same serial claimed twice inside the inventory, including a GEC also bundled
in a green-power contract) are collected and raised together as one
:class:`~carbon_core.errors.InputError`. Rules that differ between programmes (types accepted,
market boundary, vintage window, offset standards) do not raise: the instrument is kept with
``status="excluded"`` and the reason, and the balance lists it.

Serial numbers are written ``"PREFIX#FIRST..LAST"`` (a range) or ``"PREFIX#N"`` (one unit), or as
a table ``{prefix = "...", first = N, last = M}``; the prefix is everything before ``#``. One
serial is one unit: 1 GEC = 1 MWh (发改能源〔2023〕1044号: 1 GEC per 1,000 kWh), 1 CCER = 1 tCO2e.

Examples
--------
>>> r = SerialRange.parse("GEC-AH-2024#1001..2000")
>>> r.prefix, r.first, r.last, r.count
('GEC-AH-2024', 1001, 2000, 1000)
>>> r.overlaps(SerialRange.parse("GEC-AH-2024#2000"))
True
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # pandas is imported by the profile reader, when a profile is given
    import pandas as pd

from ..errors import ProblemCollector
from ..schema import Field, Table, validate_into
from .policy import INSTRUMENT_TYPES, Policy

__all__ = [
    "SerialRange",
    "Instrument",
    "Offset",
    "parse_instruments",
    "parse_offsets",
    "RENEWABLE_TECHNOLOGIES",
    "OFFSET_KINDS",
    "INSTRUMENT",
    "OFFSET",
]

#: Technologies that make an instrument renewable (GECs cover these, 1044号).
RENEWABLE_TECHNOLOGIES = ("wind", "solar", "hydro", "biomass", "geothermal", "ocean",
                          "other_renewable")
OFFSET_KINDS = ("avoidance", "removal")

_CERT_TYPES = ("green_power_contract", "ppa", "gec", "irec")
_UNBUNDLED = ("gec", "irec")
_SERIAL_RE = re.compile(r"^(?P<prefix>[^#]+)#(?P<first>\d+)(?:\.\.(?P<last>\d+))?$")
_PROVINCE_RE = re.compile(r"^CN-[A-Z]{2}$")


@dataclass(frozen=True, order=True)
class SerialRange:
    """A contiguous block of serial numbers sharing a prefix (inclusive bounds).

    One serial is one unit: 1 GEC = 1 MWh, 1 CCER = 1 tCO2e.

    Attributes
    ----------
    prefix : str
        Everything before ``#`` (``"GEC-AH-2024"``).
    first, last : int
        First and last serial of the range, ``0 <= first <= last``.
    """

    prefix: str
    first: int
    last: int

    @property
    def count(self) -> int:
        """Number of serials in the range (both bounds included)."""
        return self.last - self.first + 1

    def overlaps(self, other: "SerialRange") -> bool:
        """Whether this range shares a serial with ``other`` (same prefix, intersecting bounds).

        Parameters
        ----------
        other : SerialRange
            The range compared with.

        Returns
        -------
        bool
        """
        return (self.prefix == other.prefix and self.first <= other.last
                and other.first <= self.last)

    def __str__(self) -> str:
        if self.first == self.last:
            return f"{self.prefix}#{self.first}"
        return f"{self.prefix}#{self.first}..{self.last}"

    @classmethod
    def parse(cls, value: Any) -> "SerialRange":
        """From ``"PREFIX#FIRST..LAST"``, ``"PREFIX#N"`` or ``{prefix, first, last}``.

        Parameters
        ----------
        value : str or mapping
            The range as written in an inventory; in a table, ``first`` and ``last`` are
            non-negative integers and the prefix holds no ``#``.

        Returns
        -------
        SerialRange

        Raises
        ------
        ValueError
            With the accepted forms.
        """
        if isinstance(value, Mapping):
            prefix, first, last = value.get("prefix"), value.get("first"), value.get("last")
            if (isinstance(prefix, str) and prefix and "#" not in prefix
                    and isinstance(first, int) and isinstance(last, int)
                    and not isinstance(first, bool) and 0 <= first <= last):
                return cls(prefix.strip(), first, last)
        elif isinstance(value, str):
            m = _SERIAL_RE.match(value.strip())
            if m:
                first = int(m["first"])
                last = int(m["last"]) if m["last"] is not None else first
                if last >= first:
                    return cls(m["prefix"].strip(), first, last)
        raise ValueError("serials are 'PREFIX#FIRST..LAST', 'PREFIX#N' or "
                         "{prefix = ..., first = N, last = M} with FIRST <= LAST")


@dataclass(frozen=True)
class Instrument:
    """One contractual instrument of the inventory, validated.

    Attributes
    ----------
    id, type : str
        The instrument's id (unique within ``[[instruments]]``) and type, one of
        :data:`carbon_core.balance.policy.INSTRUMENT_TYPES`.
    row : str
        Table path in the inventory (``instruments[2]``), for messages.
    volume_mwh : float
        Volume claimed [MWh]; for ``onsite_renewable`` the metered self-consumption is used.
    resolution : str
        ``"year"`` (an annual volume), ``"month"`` (monthly volumes) or ``"interval"`` (a
        metered profile), the finest matching the volume supports.
    technology : str
        Generation technology, one of :data:`RENEWABLE_TECHNOLOGIES` (may be empty for
        ``supplier_specific`` and ``onsite_renewable``).
    province : str
        Generation province, ISO 3166-2 (``"CN-AH"``), when given.
    grid_region : str
        Generation grid region (``"CN-GRID-EAST"``), when given.
    country : str
        Country of generation, ISO 3166-1 (default ``"CN"``).
    monthly_mwh : numpy.ndarray or None
        12 volumes for the months of the reporting year [MWh] (resolution "month").
    profile_mwh : pandas.Series or None
        Volumes by interval start [MWh] (resolution "interval").
    serials : tuple of SerialRange
        The certificate serial ranges (1 certificate = 1 MWh, 发改能源〔2023〕1044号).
    generation_start, generation_end : tuple (year, month) or None
        First and last month of generation; contracts, PPAs, supplier-specific and on-site
        instruments default to the reporting year's January and December.
    factor_tco2_per_mwh : float
        Emission factor of the electricity [tCO2/MWh]; 0 for renewables.
    renewable : bool
        Whether the electricity counts as renewable (a supplier-specific one only with a
        renewable technology and a zero factor).
    beneficiary : str
        Who the certificates were retired for (this factory's credit code or name).
    retired_on : str
        Retirement date, ``YYYY-MM-DD`` (empty when not given).
    status : str
        ``"accepted"`` or ``"excluded"`` (by the policy; see ``reason``).
    reason : str
        Why the policy excludes it (empty when accepted).
    notes : tuple of str
        What was adjusted, e.g. a green-power contract's fraction of a MWh beyond its
        certificates rounded down.
    evidence : dict
        The evidence fields as written (documents, contract number, registry, retirement).
    """

    id: str
    type: str
    row: str
    volume_mwh: float
    resolution: str
    technology: str = ""
    province: str = ""
    grid_region: str = ""
    country: str = "CN"
    monthly_mwh: np.ndarray | None = None
    profile_mwh: pd.Series | None = None
    serials: tuple[SerialRange, ...] = ()
    generation_start: tuple[int, int] | None = None
    generation_end: tuple[int, int] | None = None
    factor_tco2_per_mwh: float = 0.0
    renewable: bool = True
    beneficiary: str = ""
    retired_on: str = ""
    status: str = "accepted"
    reason: str = ""
    notes: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def serial_count(self) -> int:
        """Total number of serials over :attr:`serials`."""
        return sum(s.count for s in self.serials)

    @property
    def unbundled(self) -> bool:
        """Whether the instrument is an unbundled certificate (GEC, I-REC): sold apart from power."""
        return self.type in _UNBUNDLED


@dataclass(frozen=True)
class Offset:
    """One carbon credit block (CCER, CDM, VCS, GS...), validated.

    Attributes
    ----------
    id : str
        Unique within ``[[offsets]]``.
    row : str
        Table path in the inventory (``offsets[0]``), for messages.
    standard : str
        The crediting standard (``"CCER"``, ``"CDM"``, ``"VCS"``, ``"GS"``...).
    registry : str
        The registry holding the credits.
    project : str
        The project.
    vintage : int
        Year of the reductions.
    tco2e : float
        Credits claimed [tCO2e] (1 CCER = 1 tCO2e).
    kind : str
        ``"avoidance"`` or ``"removal"``.
    serials : tuple of SerialRange
        The credits' serial ranges.
    retired_on : str
        Retirement (注销) date, ``YYYY-MM-DD`` (empty when not given).
    beneficiary : str
        Who the credits were retired for.
    status : str
        ``"accepted"`` or ``"excluded"`` (by the policy; see ``reason``).
    reason : str
        Why the policy excludes it (standard, removals only, vintage window).
    evidence : dict
        The fields as written, with the evidence text.
    """

    id: str
    row: str
    standard: str
    registry: str
    project: str
    vintage: int
    tco2e: float
    kind: str
    serials: tuple[SerialRange, ...] = ()
    retired_on: str = ""
    beneficiary: str = ""
    status: str = "accepted"
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def serial_count(self) -> int:
        """Total number of serials over :attr:`serials`."""
        return sum(s.count for s in self.serials)


# -- declarations (carbon_core.schema) --------------------------------------------------------

_CLAIM = (
    Field("beneficiary", kind="text", required=False,
          doc="who it was retired (核销/注销) for: this factory's credit code or name"),
    Field("retired_on", kind="date", required=False, doc="retirement date"),
    Field("evidence", kind="text", doc="the documents proving the claim (contract, settlement, "
          "certificate or retirement record)"),
    Field("note", kind="text", allow_empty=True, required=False, doc="free text"),
    Field("description", kind="text", required=False, doc="free text"),
)

#: ``[[instruments]]``: contractual instruments, each with its evidence.
INSTRUMENT = Table("instruments", (
    Field("id", kind="text", doc="unique within [[instruments]]"),
    Field("type", kind="choice", choices=INSTRUMENT_TYPES, doc="the instrument"),
    Field("technology", kind="text", required=False, doc="one of " + ", ".join(RENEWABLE_TECHNOLOGIES) +
          "; required except for supplier_specific and onsite_renewable"),
    Field("country", kind="text", required=False, default="CN", doc="country of generation (ISO 3166-1)"),
    Field("province", kind="text", required=False, doc="generation province, ISO 3166-2, e.g. CN-AH"),
    Field("grid_region", kind="text", required=False, doc="generation grid region, e.g. CN-GRID-EAST "
          "(market_boundary = grid_region)"),
    Field("volume_mwh", kind="number", minimum=0.0, required=False,
          doc="annual volume; exactly one of volume_mwh, monthly_mwh, profile_file "
              "(unbundled certificates: default the certificate count)"),
    Field("monthly_mwh", kind="list", length=12, item=Field("mwh", minimum=0.0, unit="MWh"),
          required=False, doc="volumes of January..December of the reporting year"),
    Field("profile_file", kind="text", required=False,
          doc="CSV of timestamp, kwh (or mwh) per interval start, China time"),
    Field("certificates", kind="any", required=False,
          doc="serial ranges 'PREFIX#FIRST..LAST' (or {prefix, first, last}); 1 GEC = 1 MWh"),
    Field("generation_start", kind="month", required=False, doc="first month of generation, YYYY-MM"),
    Field("generation_end", kind="month", required=False, doc="last month of generation, YYYY-MM"),
    Field("supplier", kind="text", required=False, doc="supplier_specific: the supplier whose factor is used"),
    Field("factor_tco2_per_mwh", kind="number", minimum=0.0, unit="tCO2/MWh", required=False,
          doc="supplier_specific: the supplier's emission factor"),
    Field("seller", kind="text", required=False, doc="evidence: the seller"),
    Field("exchange", kind="text", required=False, doc="evidence: the trading centre 电力交易中心"),
    Field("contract_number", kind="text", required=False, doc="evidence: the contract"),
    Field("registry", kind="text", required=False, doc="evidence: the certificate registry"),
    *_CLAIM,
), doc="Green-power contracts, PPAs, supplier-specific electricity, GECs, I-RECs, on-site "
       "renewables (docs/balance.md).")

#: ``[[offsets]]``: retired carbon credits.
OFFSET = Table("offsets", (
    Field("id", kind="text", doc="unique within [[offsets]]"),
    Field("standard", kind="text", doc="the crediting standard, e.g. CCER, CDM, VCS, GS"),
    Field("registry", kind="text", doc="the registry holding the credits"),
    Field("project", kind="text", doc="the project"),
    Field("project_id", kind="text", required=False, doc="the project's registry id"),
    Field("serials", kind="any", doc="serial ranges 'PREFIX#FIRST..LAST'; 1 CCER = 1 tCO2e"),
    Field("vintage", kind="integer", minimum=1990, maximum=2100,
          doc="the year of the reductions"),
    Field("tco2e", kind="number", minimum=0.0, unit="tCO2e", doc="credits claimed"),
    Field("kind", kind="choice", choices=OFFSET_KINDS, doc="avoidance or removal"),
    *_CLAIM,
), doc="CCER and other credits, retired for this factory (docs/balance.md).")


def _s(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def _iso(v: Any) -> str:
    return v.isoformat() if isinstance(v, dt.date) else ""


def _serials(p, row, key, where) -> tuple[SerialRange, ...]:
    v = row.get(key)
    if v is None:
        return ()
    if not isinstance(v, list):
        v = [v]
    out = []
    for i, s in enumerate(v):
        try:
            out.append(SerialRange.parse(s))
        except ValueError as exc:
            p.add("bad serial range", row=where, field=f"{key}[{i}]", found=s, expected=str(exc))
    return tuple(out)


def _months_between(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Months from a to b (b - a)."""
    return (b[0] - a[0]) * 12 + (b[1] - a[1])


def _check_retirement(p: ProblemCollector, where: str, what: str, retired_on, beneficiary,
                      required: bool, expected_date: str, factory_id: str,
                      factory_name: str) -> None:
    """Exclusive claim (GHG Protocol quality criteria): retired, and retired for this factory."""
    if required:
        if not retired_on:
            p.add(f"{what} not retired", row=where, field="retired_on", expected=expected_date)
        if not beneficiary:
            p.add("missing beneficiary of the retirement", row=where, field="beneficiary",
                  expected=f"this factory: {factory_id}")
    if beneficiary and not _claimant_matches(beneficiary, factory_id, factory_name):
        p.add(f"{what} retired for someone else", row=where, field="beneficiary",
              found=beneficiary, expected=f"this factory: {factory_id} ({factory_name})")


def _claimant_matches(beneficiary: str, factory_id: str, factory_name: str) -> bool:
    return beneficiary.strip() in {factory_id.strip(), factory_name.strip()} - {""}


def _read_profile(p: ProblemCollector, path: Path, where: str, year: int) -> pd.Series | None:
    """A CSV of ``timestamp`` and ``kwh`` (or ``mwh``) per interval start, China time."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        p.add(f"cannot read profile file: {exc}", row=where, field="profile_file", found=str(path))
        return None
    cols = {c.strip().lower(): c for c in df.columns}
    unit = "kwh" if "kwh" in cols else "mwh" if "mwh" in cols else None
    if "timestamp" not in cols or unit is None:
        p.add("profile file needs columns 'timestamp' and 'kwh' (or 'mwh')", row=where,
              field="profile_file", found=list(df.columns), file=str(path))
        return None
    try:
        t = pd.to_datetime(df[cols["timestamp"]], errors="raise")
    except (ValueError, TypeError) as exc:
        p.add(f"bad timestamps: {exc}", row=where, field="timestamp", file=str(path))
        return None
    values = pd.to_numeric(df[cols[unit]], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        p.add(f"{int(bad.sum())} bad values (first shown)", row=i + 2, field=cols[unit],
              found=df[cols[unit]].iloc[i], expected="a number >= 0", file=str(path))
        return None
    if t.duplicated().any():
        p.add("duplicate timestamps", field="timestamp", file=str(path),
              found=str(t[t.duplicated()].iloc[0]))
        return None
    outside = (t.dt.year != year).to_numpy()
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        p.add("timestamp outside the reporting year", row=i + 2, field="timestamp",
              found=str(t.iloc[i]), expected=f"interval starts in {year}", file=str(path))
        return None
    s = pd.Series(values / 1000.0 if unit == "kwh" else values,
                  index=pd.DatetimeIndex(t.to_numpy(dtype="datetime64[ns]")), name="mwh")
    return s.sort_index()


# -- instruments ------------------------------------------------------------------------------

def _table_rows(raw: Any, name: str, p: ProblemCollector):
    """``(where, row)`` for each table of the inventory's ``[[name]]`` array; what is not a
    table is reported, never skipped silently."""
    if not isinstance(raw, list):
        p.add(f"[[{name}]] must be an array of tables", field=name, found=type(raw))
        return
    for i, row in enumerate(raw):
        where = f"{name}[{i}]"
        if not isinstance(row, Mapping):
            p.add("not a table", row=where)
            continue
        yield where, row


def parse_instruments(raw: Sequence[Mapping[str, Any]], *, policy: Policy, reporting_year: int,
                      factory_id: str, factory_name: str = "", grid_region: str = "",
                      grid_province: str = "", source_file: str = "inventory.toml",
                      problems: ProblemCollector | None = None) -> list[Instrument]:
    """Validate the ``[[instruments]]`` tables.

    Parameters
    ----------
    raw : list of dict
        As parsed by tomllib.
    policy : Policy
        Decides acceptance (type, boundary, vintage window) and validity period.
    reporting_year : int
        The inventory's reporting year (validity, vintage window, profile timestamps).
    factory_id : str
        The factory's unified social credit code: the beneficiary certificates must be retired
        for.
    factory_name : str, optional
        The factory's name, accepted as beneficiary too.
    grid_region, grid_province : str, optional
        The factory's grid region and province, for the policy's market boundary.
    source_file : str, optional
        The inventory path: named in problems, and the folder ``profile_file`` is relative to.
    problems : ProblemCollector, optional
        Collect into this (the caller raises); if None, raise here.

    Returns
    -------
    list of Instrument
        Accepted and excluded ones, in inventory order; an instrument with a problem is left
        out (its problem is reported).

    Raises
    ------
    InputError
        When ``problems`` is None: every problem of every instrument at once (missing fields or
        evidence, a non-renewable technology, missing serials, a claim beyond the issued
        volume, an expired certificate, generation after the reporting year, certificates not
        retired or retired for someone else).

    References
    ----------
    发改能源〔2023〕1044号 (1 GEC = 1,000 kWh); GHG Protocol Scope 2 Guidance (2015), Scope 2
    Quality Criteria (exclusive claims: retirement for the consumer).
    """
    own = problems is None
    p = problems if problems is not None else ProblemCollector(source_file)
    base_dir = Path(source_file).parent
    out: list[Instrument] = []
    seen: dict[str, str] = {}
    year_start = (reporting_year, 1)
    for where, row in _table_rows(raw, "instruments", p):
        n_before = len(p.problems)
        rec = validate_into(INSTRUMENT, row, p.problems, file=p.file, where=where, rows=False)
        iid = _s(rec["id"])
        if iid in seen:
            p.add(f"duplicate instrument id (also {seen[iid]})", row=where, field="id", found=iid,
                  expected="a unique id")
        seen.setdefault(iid, where)
        kind = rec["type"]
        if kind is None:
            continue
        evidence_text = _s(rec["evidence"])
        technology = _s(rec["technology"])
        if kind != "supplier_specific" and kind != "onsite_renewable":
            if "technology" not in row:
                p.add("missing value", row=where, field="technology",
                      expected=f"one of {list(RENEWABLE_TECHNOLOGIES)}")
            elif technology and technology not in RENEWABLE_TECHNOLOGIES:
                p.add("not a renewable technology", row=where, field="technology",
                      found=technology, expected=f"one of {list(RENEWABLE_TECHNOLOGIES)}")
        country = _s(rec["country"]) or "CN"
        province = _s(rec["province"])
        if province and country == "CN" and not _PROVINCE_RE.match(province):
            p.add("bad province code", row=where, field="province", found=province,
                  expected="ISO 3166-2, e.g. CN-AH")
        region = _s(rec["grid_region"])
        serials = _serials(p, row, "certificates", where)
        gen_start, gen_end = rec["generation_start"], rec["generation_end"]
        beneficiary = _s(rec["beneficiary"])
        retired_on = _iso(rec["retired_on"])

        # volume: exactly one of volume_mwh, monthly_mwh, profile_file (none for onsite)
        given = [k for k in ("volume_mwh", "monthly_mwh", "profile_file") if k in row]
        volume, monthly, profile, resolution = 0.0, None, None, "year"
        if kind == "onsite_renewable":
            resolution = "interval"
            if given:
                p.add("on-site self-consumption comes from the meters", row=where, field=given[0],
                      expected="no volume on an onsite_renewable instrument")
        elif len(given) > 1 or (not given and kind not in _UNBUNDLED):
            p.add("give exactly one volume", row=where, field="volume_mwh", found=given or None,
                  expected="one of volume_mwh, monthly_mwh (12 values), profile_file")
        elif given == ["volume_mwh"]:
            volume = rec["volume_mwh"] or 0.0
        elif given == ["monthly_mwh"]:
            if rec["monthly_mwh"] is not None:
                monthly = np.asarray(rec["monthly_mwh"], dtype="float64")
                volume = float(monthly.sum())
                resolution = "month"
        elif given == ["profile_file"] and rec["profile_file"] is not None:
            profile = _read_profile(p, base_dir / rec["profile_file"], where, reporting_year)
            if profile is not None:
                volume = float(profile.sum())
                resolution = "interval"
        elif not given:  # unbundled: the certificate count
            volume = float(sum(s.count for s in serials))

        # generation period: required for certificates; contracts default to the reporting year
        if kind in _UNBUNDLED and (gen_start is None or gen_end is None):
            p.add("missing generation period", row=where,
                  field="generation_start" if gen_start is None else "generation_end",
                  expected="'YYYY-MM' months of generation of the certificates")
        if kind in ("green_power_contract", "ppa", "supplier_specific", "onsite_renewable"):
            gen_start = gen_start or year_start
            gen_end = gen_end or (reporting_year, 12)
        if gen_start and gen_end and _months_between(gen_start, gen_end) < 0:
            p.add("generation_end before generation_start", row=where, field="generation_end",
                  found=f"{gen_end[0]}-{gen_end[1]:02d}")
        if resolution == "year" and gen_start and gen_start == gen_end \
                and gen_start[0] == reporting_year:
            # a single generation month of the reporting year: matchable monthly
            monthly = np.zeros(12)
            monthly[gen_start[1] - 1] = volume
            resolution = "month"

        # serials and issued volume
        count = sum(s.count for s in serials)
        notes: list[str] = []
        if kind in _CERT_TYPES and policy.require_serials and not serials:
            p.add("missing certificate serial numbers", row=where, field="certificates",
                  expected="the serial ranges of the certificates, 'PREFIX#FIRST..LAST' "
                           f"(policy {policy.name}: require_serials)")
        if serials and kind in _CERT_TYPES and volume > count + 1e-9:
            over = volume - count
            if over < 1.0 and kind in ("green_power_contract", "ppa"):
                # fractional MWh without a certificate: round down (EnergyTag: volumes rounded down)
                scale = count / volume
                volume = float(count)
                monthly = monthly * scale if monthly is not None else None
                profile = profile * scale if profile is not None else None
                notes.append(f"volume rounded down by {over:.6f} MWh to the {count} certificates")
            else:
                p.add(f"claim beyond the issued volume: {volume:g} MWh claimed, {count} "
                      "certificates (1 certificate = 1 MWh)", row=where, field="volume_mwh",
                      found=volume, expected=f"at most {count} MWh")
        elif serials and kind in _CERT_TYPES and count > math.ceil(volume):
            # 1 GEC = 1,000 kWh (发改能源〔2023〕1044号 §一(二), NDRC/MoF/NEA 2023): serials beyond the
            # volume would lock every other holder of them out of the ledger
            p.add(f"serials held beyond the volume: {count} certificates for {volume:g} MWh "
                  "(1 certificate = 1 MWh, 发改能源〔2023〕1044号)", row=where,
                  field="certificates", found=[str(x) for x in serials],
                  expected=f"{math.ceil(volume)} certificates, the declared volume")

        # supplier-specific factor
        factor, renewable = 0.0, True
        if kind == "supplier_specific":
            for key in ("factor_tco2_per_mwh", "supplier"):
                if key not in row:
                    p.add("missing value", row=where, field=key,
                          expected=INSTRUMENT.field_map()[key].doc)
            factor = rec["factor_tco2_per_mwh"] or 0.0
            renewable = technology in RENEWABLE_TECHNOLOGIES and factor == 0.0

        # retirement and validity (errors: the claim itself is invalid)
        _check_retirement(p, where, "certificates", retired_on, beneficiary,
                          kind in _UNBUNDLED and policy.require_certificate_retirement,
                          "the retirement (cancellation) date for this factory "
                          f"(policy {policy.name}: require_certificate_retirement)",
                          factory_id, factory_name)
        if kind in _CERT_TYPES and gen_start is not None:
            validity = policy.certificate_validity_months
            if _months_between(gen_start, year_start) >= validity:
                p.add(f"expired vintage: certificates generated from {gen_start[0]}-"
                      f"{gen_start[1]:02d} are valid {validity} months, which ended before the "
                      f"reporting year {reporting_year}", row=where, field="generation_start",
                      found=f"{gen_start[0]}-{gen_start[1]:02d}",
                      expected=f"generation within {validity} months before {reporting_year}-01")
        if gen_end is not None and gen_end[0] > reporting_year:
            p.add("generation after the reporting year cannot cover its consumption", row=where,
                  field="generation_end", found=f"{gen_end[0]}-{gen_end[1]:02d}",
                  expected=f"generation in or before {reporting_year}")

        if len(p.problems) > n_before:
            continue

        # programme rules (exclusions, not errors)
        reason = ""
        if kind not in policy.accepted_types:
            reason = f"type {kind!r} not accepted by policy {policy.name}"
        elif kind in _UNBUNDLED and not policy.accept_unbundled:
            reason = f"unbundled certificates not accepted by policy {policy.name}"
        elif kind == "irec" and policy.irec_outside_china_only and country == "CN":
            reason = (f"I-REC for generation in China not accepted by policy {policy.name} "
                      "(GECs are the Chinese instrument)")
        elif kind not in ("onsite_renewable", "supplier_specific"):
            reason = _boundary_reason(policy, country, province, region, grid_province,
                                      grid_region)
        if not reason and policy.vintage_window_months is not None and gen_start is not None \
                and _months_between(gen_start, year_start) > policy.vintage_window_months:
            reason = (f"generation from {gen_start[0]}-{gen_start[1]:02d} is outside the vintage "
                      f"window of policy {policy.name} ({policy.vintage_window_months} months "
                      f"before {reporting_year})")
        if not reason and kind in _UNBUNDLED and gen_start is not None \
                and gen_start[0] < reporting_year and resolution != "year":
            resolution = "year"  # prior-year generation: only annual matching can use it
            monthly = None

        evidence = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                    for k, v in row.items()
                    if k not in ("monthly_mwh",) and not isinstance(v, (list, dict))}
        evidence["evidence"] = evidence_text
        out.append(Instrument(
            id=iid, type=kind, row=where, volume_mwh=volume, resolution=resolution,
            technology=technology, province=province, grid_region=region, country=country,
            monthly_mwh=monthly, profile_mwh=profile, serials=serials,
            generation_start=gen_start, generation_end=gen_end, factor_tco2_per_mwh=factor,
            renewable=renewable, beneficiary=beneficiary, retired_on=retired_on,
            status="excluded" if reason else "accepted", reason=reason, notes=tuple(notes),
            evidence=evidence))
    if own:
        p.raise_if_any()
    return out


def _boundary_reason(policy: Policy, country, province, region, grid_province, grid_region) -> str:
    b = policy.market_boundary
    if b == "none":
        return ""
    if b == "national" and country != "CN":
        return f"generation in {country} is outside the market boundary 'national' (China)"
    if b == "province" and province != grid_province:
        return (f"generation province {province or '(not given)'} is outside the market "
                f"boundary 'province' ({grid_province}) of policy {policy.name}")
    if b == "grid_region" and region != grid_region:
        return (f"grid region {region or '(not given)'} is outside the market boundary "
                f"'grid_region' ({grid_region}) of policy {policy.name}")
    return ""


# -- offsets ----------------------------------------------------------------------------------

def parse_offsets(raw: Sequence[Mapping[str, Any]], *, policy: Policy, reporting_year: int,
                  factory_id: str, factory_name: str = "", source_file: str = "inventory.toml",
                  problems: ProblemCollector | None = None) -> list[Offset]:
    """Validate the ``[[offsets]]`` tables (see :func:`parse_instruments`).

    Parameters
    ----------
    raw : list of dict
        As parsed by tomllib.
    policy : Policy
        Decides acceptance (standards, removals only, vintage window) and whether retirement
        is required.
    reporting_year : int
        The inventory's reporting year.
    factory_id : str
        The factory's unified social credit code: the beneficiary credits must be retired for.
    factory_name : str, optional
        The factory's name, accepted as beneficiary too.
    source_file : str, optional
        The inventory path, named in problems.
    problems : ProblemCollector, optional
        Collect into this (the caller raises); if None, raise here.

    Returns
    -------
    list of Offset
        Accepted and excluded ones, in inventory order; an offset with a problem is left out.

    Raises
    ------
    InputError
        When ``problems`` is None: every problem at once (missing fields, more tCO2e than
        credits or more serials than tCO2e, not retired or retired for someone else, retired
        before its vintage, a vintage after the reporting year).

    References
    ----------
    温室气体自愿减排交易管理办法（试行）, MEE/SAMR order No. 31, 2023 (1 CCER = 1 tCO2e).
    """
    own = problems is None
    p = problems if problems is not None else ProblemCollector(source_file)
    out: list[Offset] = []
    seen: dict[str, str] = {}
    for where, row in _table_rows(raw, "offsets", p):
        n_before = len(p.problems)
        rec = validate_into(OFFSET, row, p.problems, file=p.file, where=where, rows=False)
        oid = _s(rec["id"])
        if oid in seen:
            p.add(f"duplicate offset id (also {seen[oid]})", row=where, field="id", found=oid)
        seen.setdefault(oid, where)
        standard, registry, project = _s(rec["standard"]), _s(rec["registry"]), _s(rec["project"])
        evidence_text = _s(rec["evidence"])
        vintage = rec["vintage"] or 0
        tco2e = rec["tco2e"] or 0.0
        kind = rec["kind"]
        serials = _serials(p, row, "serials", where)
        count = sum(s.count for s in serials)
        if serials and tco2e > count + 1e-9:
            p.add(f"claim beyond the issued volume: {tco2e:g} tCO2e claimed, {count} credits "
                  "(1 credit = 1 tCO2e)", row=where, field="tco2e", found=tco2e,
                  expected=f"at most {count} tCO2e")
        elif serials and count > math.ceil(tco2e):
            # one CCER serial is 1 tCO2e (温室气体自愿减排交易管理办法（试行）, MEE/SAMR order
            # No. 31, 2023, and the CCER registry rules): the range must match the volume
            p.add(f"serials held beyond the volume: {count} credits for {tco2e:g} tCO2e "
                  "(1 credit = 1 tCO2e)", row=where, field="serials",
                  found=[str(x) for x in serials],
                  expected=f"{math.ceil(tco2e)} credits, the declared tCO2e")
        retired_on = _iso(rec["retired_on"])
        beneficiary = _s(rec["beneficiary"])
        _check_retirement(p, where, "credits", retired_on, beneficiary,
                          policy.require_offset_retirement,
                          "the retirement (注销) date for this factory", factory_id, factory_name)
        if retired_on and vintage and int(retired_on[:4]) < vintage:
            p.add("retired before its vintage year", row=where, field="retired_on",
                  found=retired_on, expected=f"a date in or after {vintage}")
        if vintage and vintage > reporting_year:
            p.add("vintage after the reporting year", row=where, field="vintage", found=vintage,
                  expected=f"{reporting_year} or earlier")
        if len(p.problems) > n_before:
            continue
        reason = ""
        if standard not in policy.accepted_offset_standards:
            reason = (f"standard {standard!r} not accepted by policy {policy.name} "
                      f"(accepted: {list(policy.accepted_offset_standards)})")
        elif policy.removals_only and kind != "removal":
            reason = f"policy {policy.name} accepts removals only"
        elif (policy.offset_vintage_window_years is not None
              and vintage < reporting_year - policy.offset_vintage_window_years):
            reason = (f"vintage {vintage} outside the window of policy {policy.name} "
                      f"({policy.offset_vintage_window_years} years before {reporting_year})")
        evidence = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                    for k, v in row.items() if not isinstance(v, (list, dict))}
        evidence["evidence"] = evidence_text
        out.append(Offset(id=oid, row=where, standard=standard, registry=registry,
                          project=project, vintage=vintage, tco2e=tco2e, kind=kind,
                          serials=serials, retired_on=retired_on, beneficiary=beneficiary,
                          status="excluded" if reason else "accepted", reason=reason,
                          evidence=evidence))
    if own:
        p.raise_if_any()
    return out


def check_serial_overlaps(items: Sequence[Instrument | Offset], p: ProblemCollector) -> None:
    """Refuse any serial claimed twice inside one inventory, naming both claims.

    The common case: a GEC listed as an unbundled certificate while it is also bundled in a
    green-power contract (the same MWh claimed twice).

    Parameters
    ----------
    items : sequence of Instrument or Offset
        Every instrument and offset of the inventory.
    p : ProblemCollector
        Where one problem per overlapping pair is added (the caller raises).
    """
    rows = sorted(((s, it) for it in items for s in it.serials),
                  key=lambda x: (x[0].prefix, x[0].first))
    active: list[tuple[SerialRange, Any]] = []
    for s, it in rows:
        active = [(a, ait) for a, ait in active if a.prefix == s.prefix and a.last >= s.first]
        for a, ait in active:
            both = f"{_label(ait)} serials {a} and {_label(it)} serials {s}"
            what = "the same certificates claimed twice"
            kinds = {getattr(ait, "type", "offset"), getattr(it, "type", "offset")}
            if "gec" in kinds and kinds & {"green_power_contract", "ppa"}:
                what = ("the same MWh claimed both through a green-power contract and as a "
                        "separate GEC")
            p.add(f"{what}: {both}", row=it.row, field="certificates" if hasattr(it, "type")
                  else "serials", found=str(s), expected=f"serials not claimed by {ait.row}")
        active.append((s, it))


def _label(item) -> str:
    kind = getattr(item, "type", None) or f"offset ({item.standard})"
    return f"{item.row} {kind} {item.id!r}"


__all__.append("check_serial_overlaps")
