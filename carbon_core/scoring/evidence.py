"""Declared evidence and the eligibility gate (basic requirements and the record's exclusions).

The gate itself is data: each programme bundle ships an ``eligibility.toml`` (its basic
requirements, its exclusions and their window, the certificates it requires), declared by
:data:`ELIGIBILITY_TABLE` and read by :func:`load_gate`. The requirement kinds it may use are a
registry (:data:`ELIGIBILITY_CHECKS`); this module names no programme, city or exclusion.

Evidence is declared in the inventory's ``[evidence]`` table (format in ``docs/indicator-system.md``):
certifications with issuer and validity, the dedicated organisation, the zero-carbon plan with annual
targets, the record of the last three years, the legal entity's registered city and qualitative items
(``[evidence.qualitative.<name>]``) that indicators read.

Dates are judged on an ``as_of`` date, by default 31 December of the reporting year. A certificate
not valid on that date (expired, or not yet valid) counts as absent; so does an organisation, plan
or qualitative item dated after it.

Examples
--------
>>> import datetime
>>> raw = {"certifications": [{"standard": "ISO 9001", "number": "Q1", "issuer": "CQC",
...        "valid_from": datetime.date(2022, 1, 1), "valid_until": datetime.date(2024, 6, 30)}]}
>>> ev = parse_evidence(raw, file="inv.toml", as_of=datetime.date(2024, 12, 31), gate=None)
>>> ev.value("certification.iso9001")
(False, 'ISO 9001 Q1 (CQC) expired 2024-06-30')
"""

from __future__ import annotations

import datetime
import re
import tomli
from dataclasses import dataclass, field
from typing import Any, Mapping

from carbon_core.errors import ProblemCollector

from . import evidence_dates
from carbon_core.errors import InputError, Problem
from carbon_core.schema import Field, Table, unknown_key_problems, validate_into

__all__ = [
    "Certification",
    "Organisation",
    "PlanTarget",
    "Plan",
    "RecordItem",
    "QualitativeItem",
    "Evidence",
    "FactoryInfo",
    "EligibilityConfig",
    "EligibilityCheck",
    "Eligibility",
    "Requirement",
    "Exclusion",
    "EVIDENCE",
    "ELIGIBILITY_TABLE",
    "ELIGIBILITY_CHECKS",
    "load_gate",
    "loads_gate",
    "known_exclusions",
    "EVIDENCE_KEYS",
    "parse_evidence",
    "check_eligibility",
    "evidence_key_kind",
    "normalise_standard",
]

#: ISO management-system standards and their Chinese national equivalents.
_STANDARDS = {
    "9001": "ISO 9001", "19001": "ISO 9001",       # quality 质量管理体系 (GB/T 19001)
    "14001": "ISO 14001", "24001": "ISO 14001",    # environment 环境管理体系 (GB/T 24001)
    "45001": "ISO 45001",                          # occupational health & safety (GB/T 45001)
    "50001": "ISO 50001", "23331": "ISO 50001",    # energy 能源管理体系 (GB/T 23331)
}


def normalise_standard(text: str) -> str | None:
    """``"ISO 9001"`` for ``"ISO9001:2015"``, ``"GB/T 19001-2016"`` ...; None if not one of the four.

    The Chinese national standards count as their ISO equivalents: GB/T 19001 (ISO 9001,
    quality), GB/T 24001 (ISO 14001, environment), GB/T 45001 (ISO 45001, occupational health
    and safety), GB/T 23331 (ISO 50001, energy).

    Parameters
    ----------
    text : str
        A standard as written on a certificate: ``ISO``, ``GB/T``, ``GBT`` or ``GB``, the number,
        and optionally the year after ``-`` or ``:`` (case and spaces do not matter).

    Returns
    -------
    str or None
        ``"ISO 9001"``, ``"ISO 14001"``, ``"ISO 45001"`` or ``"ISO 50001"``; None for any other
        standard.

    Examples
    --------
    >>> normalise_standard("GB/T 23331-2020"), normalise_standard("iso 14001:2015")
    ('ISO 50001', 'ISO 14001')
    >>> normalise_standard("ISO 27001") is None
    True
    """
    m = re.fullmatch(r"\s*(ISO|GB/T|GBT|GB)\s*(\d{4,5})(\s*[-:：]\s*\d{4})?\s*", text, re.I)
    if not m:
        return None
    num = m.group(2)
    prefix = m.group(1).upper()
    if prefix == "ISO" and num in ("9001", "14001", "45001", "50001"):
        return _STANDARDS[num]
    if prefix != "ISO" and num in ("19001", "24001", "45001", "23331"):
        return _STANDARDS[num]
    return None


#: Evidence keys an indicator may read (besides ``qualitative.<name>``): key -> value kind.
EVIDENCE_KEYS: dict[str, str] = {
    "certification.iso9001": "bool",
    "certification.iso14001": "bool",
    "certification.iso45001": "bool",
    "certification.iso50001": "bool",
    "organisation": "bool",
    "plan": "bool",
    "plan.targets_met_share": "number",
    "record.clean": "bool",
}

_QUAL_RE = re.compile(r"^qualitative\.[a-z][a-z0-9_]*$")


def evidence_key_kind(key: str) -> str | None:
    """``"bool"`` or ``"number"`` for a known evidence key, None if unknown.

    Parameters
    ----------
    key : str
        A key of :data:`EVIDENCE_KEYS`, or ``qualitative.<name>`` (lower-case letters, digits
        and ``_``; always ``"bool"``).

    Returns
    -------
    str or None
        The kind of value an indicator reading the key gets.

    Examples
    --------
    >>> evidence_key_kind("qualitative.digital_energy_platform"), evidence_key_kind("foo")
    ('bool', None)
    """
    if key in EVIDENCE_KEYS:
        return EVIDENCE_KEYS[key]
    return "bool" if _QUAL_RE.match(key) else None


# ------------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Certification:
    """A management-system certificate (认证证书).

    Attributes
    ----------
    standard : str
        The normalised standard (:func:`normalise_standard`): ``"ISO 9001"`` ...
    number : str
        The certificate number.
    issuer : str
        The certification body.
    valid_from, valid_until : datetime.date
        The validity, both days included.
    scope : str
        The certified scope, if declared.
    """

    standard: str
    number: str
    issuer: str
    valid_from: datetime.date
    valid_until: datetime.date
    scope: str = ""

    def valid_on(self, day: datetime.date) -> bool:
        """Whether the certificate is valid on ``day`` (both bounds included).

        Parameters
        ----------
        day : datetime.date
            The day judged.

        Returns
        -------
        bool
        """
        return self.valid_from <= day <= self.valid_until

    def describe(self, day: datetime.date) -> str:
        """The certificate in words, with whether it is valid on ``day``.

        Parameters
        ----------
        day : datetime.date
            The day judged.

        Returns
        -------
        str
        """
        who = f"{self.standard} {self.number} ({self.issuer})"
        if day > self.valid_until:
            return f"{who} expired {self.valid_until.isoformat()}"
        if day < self.valid_from:
            return f"{who} not valid before {self.valid_from.isoformat()}"
        return f"{who} valid until {self.valid_until.isoformat()}"


@dataclass(frozen=True)
class Organisation:
    """The dedicated zero-carbon organisation (零碳工作专门机构).

    Attributes
    ----------
    name : str
        The organisation's name (e.g. 零碳工厂建设领导小组).
    established : datetime.date
        When it was set up; it counts only from that day.
    head : str
        Who leads it.
    reference : str
        The founding document, if declared.
    """

    name: str
    established: datetime.date
    head: str
    reference: str = ""


@dataclass(frozen=True)
class PlanTarget:
    """One annual target of the zero-carbon plan.

    Attributes
    ----------
    year : int
        The year the target is for.
    metric : str
        A metric name, for a quantified target (empty for a descriptive one).
    value : float or None
        The target value of ``metric``, in the metric's unit; judged with the metric's
        direction (at most for lower-is-better, at least for higher-is-better).
    description : str
        A descriptive target.
    """

    year: int
    metric: str = ""
    value: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Plan:
    """The zero-carbon plan (零碳工厂建设方案/规划) with annual targets.

    Attributes
    ----------
    title : str
        The plan's title.
    adopted : datetime.date
        When it was adopted; it counts only from that day.
    targets : tuple of PlanTarget
        Its annual targets; a plan without any fails the ``plan`` check.
    reference : str
        The adopting document, if declared.
    """

    title: str
    adopted: datetime.date
    targets: tuple[PlanTarget, ...] = ()
    reference: str = ""


@dataclass(frozen=True)
class RecordItem:
    """One exclusion of the three-year record: ``occurred`` None when not declared.

    Attributes
    ----------
    occurred : bool or None
        Whether it happened in the record window (True: it did).
    note : str
        A remark.
    date : datetime.date or None
        When it happened, if declared (:func:`carbon_core.scoring.evidence_dates.judge_exclusion`
        judges it against the window).
    severity : str
        Its grade where the programme distinguishes one (一般, 较大, 重大, 特别重大:
        :data:`carbon_core.scoring.evidence_dates.SEVERITY_GRADES`); empty if not declared.
    """

    occurred: bool | None
    note: str = ""
    date: datetime.date | None = None
    severity: str = ""  # e.g. 较大 (scoring.evidence_dates.SEVERITY_GRADES)


@dataclass(frozen=True)
class QualitativeItem:
    """A qualitative item an indicator reads (e.g. a digital energy-carbon platform in place).

    Attributes
    ----------
    name : str
        The item's name (``[evidence.qualitative.<name>]``).
    in_place : bool
        Whether it is in place.
    date : datetime.date or None
        In place since; an item dated after ``as_of`` does not count.
    valid_until : datetime.date or None
        When it lapses; an item lapsed before ``as_of`` does not count.
    reference : str
        The evidence document (required when in place).
    note : str
        A remark.
    """

    name: str
    in_place: bool
    date: datetime.date | None = None
    valid_until: datetime.date | None = None
    reference: str = ""
    note: str = ""


@dataclass(frozen=True)
class FactoryInfo:
    """Who is evaluated: the inventory's ``[factory]`` table, or a mapping with the same keys.

    Attributes
    ----------
    name : str
        The factory's name.
    credit_code : str
        The 统一社会信用代码 (unified social credit code, GB 32100-2015); empty if unknown.
    district : str
        The district (区/县) label.
    """

    name: str = ""
    credit_code: str = ""
    district: str = ""

    @classmethod
    def coerce(cls, obj: Any) -> "FactoryInfo":
        """A :class:`FactoryInfo` from one, a mapping or an object with the same keys, or None.

        Parameters
        ----------
        obj : FactoryInfo or mapping or object or None
            ``name``, ``credit_code`` and ``district`` are read (missing ones are empty); None gives
            an empty one.

        Returns
        -------
        FactoryInfo
        """
        if obj is None:
            return cls()
        if isinstance(obj, FactoryInfo):
            return obj
        get = obj.get if isinstance(obj, Mapping) else (lambda k, d="": getattr(obj, k, d))
        return cls(str(get("name", "") or ""), str(get("credit_code", "") or ""),
                   str(get("district", "") or ""))

    @property
    def division_code(self) -> str:
        """Characters 3-8 of the 统一社会信用代码: the registering authority's division code.

        Empty unless the code has 18 characters and those six are digits.

        References
        ----------
        GB 32100-2015 法人和其他组织统一社会信用代码编码规则 (the code's structure); the division
        codes are those of GB/T 2260.
        """
        code = self.credit_code.strip()
        return code[2:8] if len(code) == 18 and code[2:8].isdigit() else ""


@dataclass(frozen=True)
class Evidence:
    """Everything declared in ``[evidence]``, judged on ``as_of``.

    Attributes
    ----------
    file : str
        The inventory (or other source) the evidence was declared in.
    as_of : datetime.date
        The day validity is judged on (by default 31 December of the reporting year).
    registered_city : str
        注册地 of the legal entity, as declared.
    certifications : tuple of Certification
        The management-system certificates declared.
    organisation : Organisation or None
        The dedicated zero-carbon organisation.
    plan : Plan or None
        The zero-carbon plan.
    record : mapping of str to RecordItem
        ``[evidence.record]``: one entry per declared exclusion.
    record_period : str
        The years the record covers, as declared (``"2022-2024"``).
    exclusions : tuple of str
        The exclusion ids the gate requires to be declared (``record.clean`` fails for each one
        missing from ``record``).
    qualitative : mapping of str to QualitativeItem
        ``[evidence.qualitative.<name>]`` items.
    """

    file: str
    as_of: datetime.date
    registered_city: str = ""
    certifications: tuple[Certification, ...] = ()
    organisation: Organisation | None = None
    plan: Plan | None = None
    record: Mapping[str, RecordItem] = field(default_factory=dict)
    record_period: str = ""
    exclusions: tuple[str, ...] = ()
    qualitative: Mapping[str, QualitativeItem] = field(default_factory=dict)

    def certificate(self, standard: str) -> tuple[bool, str]:
        """Whether a valid certificate of ``standard`` exists on ``as_of``, and why.

        Parameters
        ----------
        standard : str
            A normalised standard (:func:`normalise_standard`), e.g. ``"ISO 14001"``.

        Returns
        -------
        tuple of (bool, str)
            Valid or not, and the certificate(s) in words (number, issuer, validity), or that
            none is declared.
        """
        found = [c for c in self.certifications if c.standard == standard]
        if not found:
            return False, f"no {standard} certificate declared"
        valid = [c for c in found if c.valid_on(self.as_of)]
        if valid:
            return True, valid[0].describe(self.as_of)
        return False, "; ".join(c.describe(self.as_of) for c in found)

    def value(self, key: str) -> tuple[Any, str]:
        """The value of an evidence key for an indicator, and a one-line explanation.

        Returns ``(None, why)`` when the item is not declared. ``plan.targets_met_share`` needs
        metrics and is computed by the evaluator, not here.

        Parameters
        ----------
        key : str
            ``certification.iso<N>``, ``organisation``, ``plan``, ``record.clean`` or
            ``qualitative.<name>``.

        Returns
        -------
        tuple of (value, str)
            The value (bool; None for an undeclared qualitative item) and why.

        Raises
        ------
        KeyError
            ``key`` is none of these.
        """
        if key.startswith("certification.iso"):
            std = "ISO " + key.removeprefix("certification.iso")
            return self.certificate(std)
        if key == "organisation":
            o = self.organisation
            if o is None:
                return False, "no dedicated organisation declared"
            if o.established > self.as_of:
                return False, f"{o.name} established {o.established} after {self.as_of}"
            return True, f"{o.name}, established {o.established}, head {o.head}"
        if key == "plan":
            p = self.plan
            if p is None:
                return False, "no zero-carbon plan declared"
            if p.adopted > self.as_of:
                return False, f"{p.title} adopted {p.adopted} after {self.as_of}"
            if not p.targets:
                return False, f"{p.title} has no annual targets"
            years = sorted({t.year for t in p.targets})
            return True, f"{p.title}, adopted {p.adopted}, targets for " + ", ".join(map(str, years))
        if key == "record.clean":
            bad = [k for k, item in self.record.items() if item.occurred is not False]
            missing = [k for k in self.exclusions if k not in self.record]
            if missing or bad:
                return False, "record: " + ", ".join(
                    [f"{k} not declared" for k in missing] + [f"{k} occurred" for k in bad
                                                             if self.record[k].occurred])
            return True, "no exclusion in the record of the last three years"
        if key.startswith("qualitative."):
            name = key.removeprefix("qualitative.")
            q = self.qualitative.get(name)
            if q is None:
                return None, f"{name} not declared in [evidence.qualitative]"
            if not q.in_place:
                return False, f"{name}: declared not in place"
            if q.date is not None and q.date > self.as_of:
                return False, f"{name}: in place from {q.date}, after {self.as_of}"
            if q.valid_until is not None and q.valid_until < self.as_of:
                return False, f"{name}: expired {q.valid_until}"
            when = f" since {q.date}" if q.date else ""
            return True, f"{name} in place{when} ({q.reference})"
        raise KeyError(key)


# ------------------------------------------------------------------------------ declarations


CERTIFICATION = Table("certifications", (
    Field("standard", kind="text", doc="ISO 9001, 14001, 45001 or 50001, or the national "
          "equivalent GB/T 19001, 24001, 45001, 23331 (with or without the year)"),
    Field("number", kind="text", doc="certificate number"),
    Field("issuer", kind="text", doc="certification body"),
    Field("valid_from", kind="date"),
    Field("valid_until", kind="date"),
    Field("scope", kind="text", allow_empty=True, default="", required=False, doc="certified scope"),
), doc="One management-system certificate.")

ORGANISATION = Table("organisation", (
    Field("name", kind="text"),
    Field("established", kind="date"),
    Field("head", kind="text"),
    Field("reference", kind="text", allow_empty=True, default="", required=False,
          doc="the founding document"),
), rows=False, doc="The dedicated zero-carbon organisation.")

TARGET = Table("targets", (
    Field("year", kind="integer", minimum=1990, maximum=2100),
    Field("metric", kind="text", required=False, doc="a metric name; quantified targets give metric and "
          "value (judged with the metric's direction)"),
    Field("value", kind="number", minimum=None, required=False, doc="the target value of metric"),
    Field("description", kind="text", required=False, doc="a descriptive target"),
), doc="One annual target: metric + value, or a description.")

PLAN = Table("plan", (
    Field("title", kind="text"),
    Field("adopted", kind="date"),
    Field("reference", kind="text", allow_empty=True, default="", required=False),
    Field("targets", kind="rows", table=TARGET, default=[], required=False),
), rows=False, doc="The zero-carbon plan with annual targets.")

RECORD_ITEM = Table("record item", (
    Field("occurred", kind="bool", doc="true = it happened"),
    Field("note", kind="text", allow_empty=True, default="", required=False),
    Field("date", kind="date", required=False),
    Field("severity", kind="text", required=False, default="", allow_empty=True,
          doc="grade where the programme distinguishes it: 一般, 较大, 重大, 特别重大"),
), rows=False, doc="One exclusion of the programme's gate (eligibility.toml), written "
   "`key = false` or `key = { occurred = false, note = \"...\" }`; `period = \"2022-2024\"` "
   "states the years the record covers.")

QUALITATIVE = Table("qualitative item", (
    Field("in_place", kind="bool"),
    Field("date", kind="date", required=False, doc="in place since"),
    Field("valid_until", kind="date", required=False),
    Field("reference", kind="text", required=False, doc="the evidence document (required when in place)"),
    Field("note", kind="text", allow_empty=True, default="", required=False),
), rows=False, doc="A qualitative item an indicator reads (`evidence = \"qualitative.<name>\"`).")

#: The inventory's ``[evidence]`` table.
EVIDENCE = Table("evidence", (
    Field("registered_city", kind="text", allow_empty=True, default="", required=False,
          doc="注册地 of the legal entity"),
    Field("certifications", kind="rows", table=CERTIFICATION, default=[], required=False),
    Field("organisation", kind="table", table=ORGANISATION, required=False),
    Field("plan", kind="table", table=PLAN, required=False),
    Field("record", kind="map", table=RECORD_ITEM, required=False,
          doc="the record of the programme's window, one entry per exclusion"),
    Field("qualitative", kind="map", table=QUALITATIVE, pattern=r"[a-z][a-z0-9_]*", default={},
          required=False, doc="lower-case letters, digits and '_'"),
), rows=False, doc="Evidence for the eligibility gate and the qualitative indicators "
   "(docs/indicator-system.md).")

_NAME_RE = r"[a-z][a-z0-9_]*"


# ------------------------------------------------------------------------------------ parsing


def parse_evidence(raw: Mapping[str, Any] | None, *, file: str = "inventory",
                   as_of: datetime.date, gate: "EligibilityConfig | None | str" = "default"
                   ) -> Evidence:
    """Parse and validate the inventory's ``[evidence]`` table.

    Parameters
    ----------
    raw : mapping or None
        The ``[evidence]`` table (None or {} when the inventory declares none).
    file : str
        The inventory path, named in problems.
    as_of : datetime.date
        The date on which validity is judged (usually 31 December of the reporting year).
    gate : EligibilityConfig or None
        The gate whose exclusions ``[evidence.record]`` may declare (unknown ones are refused).
        Default: the default programme's gate; None: any well-formed name is accepted.

    Raises
    ------
    InputError
        Every malformed entry at once. Absent declarations are not errors: they fail eligibility.
    """
    if isinstance(gate, str):
        gate = load_gate()
    problems = ProblemCollector(file)
    raw = raw or {}
    if not isinstance(raw, Mapping):
        problems.add("[evidence] is not a table", field="evidence", found=raw)
        problems.raise_if_any()
    body = {k: v for k, v in raw.items() if k != "record"}
    doc = validate_into(EVIDENCE, body, problems.problems, file=file, where="evidence") or {}

    certs = []
    for i, c in enumerate(doc.get("certifications") or []):
        if c is None:
            continue
        row = f"evidence.certifications[{i}]"
        std_raw = c["standard"]
        std = normalise_standard(std_raw) if isinstance(std_raw, str) else None
        if std is None and std_raw is not None:
            problems.add("unknown certification standard", row=row, field="standard",
                         found=std_raw, expected="ISO 9001, ISO 14001, ISO 45001 or ISO 50001 "
                         "(or GB/T 19001, 24001, 45001, 23331)")
        vf, vu = c["valid_from"], c["valid_until"]
        if vf and vu and vf > vu:
            problems.add("valid_until is before valid_from", row=row, field="valid_until",
                         found=vu.isoformat(), expected=f"a date on or after {vf}")
            continue
        if std and c["number"] and c["issuer"] and vf and vu:
            certs.append(Certification(std, c["number"], c["issuer"], vf, vu, c["scope"] or ""))

    org = None
    o = doc.get("organisation")
    if o and o["name"] and o["head"] and o["established"]:
        org = Organisation(o["name"], o["established"], o["head"], o["reference"] or "")

    plan = None
    pl = doc.get("plan")
    if pl:
        targets = []
        for j, t in enumerate(pl["targets"] or []):
            trow = f"evidence.plan.targets[{j}]"
            if t is None or t["year"] is None:
                continue
            given = raw["plan"]["targets"][j]
            if ("metric" in given) != ("value" in given):
                problems.add("a quantified target gives both metric and value", row=trow,
                             field="metric" if "metric" not in given else "value",
                             expected="metric = \"<name>\" and value = <number>")
                continue
            if "value" in given and t["value"] is None:
                continue  # refused above (not a number)
            if not t["metric"] and not t["description"]:
                problems.add("a target needs a metric and value, or a description", row=trow,
                             expected="metric + value, or description")
                continue
            targets.append(PlanTarget(t["year"], t["metric"] or "", t["value"],
                                      t["description"] or ""))
        if pl["title"] and pl["adopted"]:
            plan = Plan(pl["title"], pl["adopted"], tuple(targets), pl["reference"] or "")

    record, period = _parse_record(raw.get("record"), gate, problems)

    qual: dict[str, QualitativeItem] = {}
    for name, q in (doc.get("qualitative") or {}).items():
        row = f"evidence.qualitative.{name}"
        ip = q["in_place"]
        if ip is None:
            continue
        if ip and not q["reference"]:
            if "reference" not in raw["qualitative"][name]:
                problems.add("missing key", row=row, field="reference",
                             expected="the evidence document of an item in place")
            continue
        qual[name] = QualitativeItem(name, ip, q["date"], q["valid_until"], q["reference"] or "",
                                     q["note"] or "")

    problems.raise_if_any(title=f"{len(problems.problems)} problem"
                                f"{'s' if len(problems.problems) != 1 else ''} in [evidence] "
                                f"of {file}")
    exclusions = tuple(e.id for e in gate.exclusions) if gate is not None else tuple(record)
    return Evidence(file=file, as_of=as_of, registered_city=doc.get("registered_city") or "",
                    certifications=tuple(certs), organisation=org, plan=plan, record=record,
                    record_period=period, qualitative=qual, exclusions=exclusions)


def _parse_record(r, gate, problems) -> tuple[dict[str, RecordItem], str]:
    """``[evidence.record]``: ``period`` and one entry per exclusion of the gate (a bool, or a
    table in :data:`RECORD_ITEM`)."""
    record: dict[str, RecordItem] = {}
    if r is None:
        return record, ""
    row = "evidence.record"
    if not isinstance(r, Mapping):
        problems.add("not a table", row=row, found=r, expected="a TOML table")
        return record, ""
    period = r.get("period", "")
    if not isinstance(period, str):
        problems.add("not a string", row=row, field="period", found=period,
                     expected="the years covered, e.g. '2022-2024'")
        period = ""
    items = {k: v for k, v in r.items() if k != "period"}
    if gate is not None:
        # an exclusion of another known programme is a fact of the record, not a typo: accepted
        # (and read by that programme's gate); anything else is refused with a suggestion
        allowed = list(dict.fromkeys([e.id for e in gate.exclusions] + known_exclusions()))
        problems.extend(unknown_key_problems(items, allowed + ["period"], file=problems.file,
                                             row=row))
        items = {k: v for k, v in items.items() if k in allowed}
    for key, v in items.items():
        if not re.fullmatch(_NAME_RE, key):
            problems.add("malformed exclusion name", row=row, field=key,
                         expected="lower-case letters, digits and '_'")
        elif isinstance(v, bool):
            record[key] = RecordItem(v)
        elif isinstance(v, Mapping):
            item = validate_into(RECORD_ITEM, v, problems.problems, file=problems.file,
                                 where=f"{row}.{key}")
            if item and item["occurred"] is not None:
                record[key] = RecordItem(item["occurred"], item["note"] or "", item["date"],
                                         item.get("severity") or "")
        else:
            problems.add("not true/false or a table", row=row, field=key, found=v,
                         expected="true, false or { occurred = <bool>, note = ..., date = ... }")
    return record, period


# -------------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class Requirement:
    """One basic requirement of a gate: an id, its names and a registered check with parameters.

    Attributes
    ----------
    id : str
        The check's id in scores.
    name_zh, name_en : str
        Its names; ``{as_of}`` is replaced by the evaluation date.
    check : str
        A kind of :data:`ELIGIBILITY_CHECKS` (``registered_in``, ``evidence``,
        ``certification``).
    params : mapping
        The parameters that kind needs (``division_prefix`` and ``names``; ``evidence``;
        ``standard``, normalised).
    """

    id: str
    name_zh: str
    name_en: str
    check: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exclusion:
    """One exclusion of the record window (``[evidence.record] <id>``).

    Attributes
    ----------
    id, name_zh, name_en : str
    min_severity : str or None
        For graded events (accidents), the lowest grade that excludes
        (:data:`carbon_core.scoring.evidence_dates.SEVERITY_GRADES`); None: any grade excludes.
    """

    id: str
    name_zh: str
    name_en: str
    min_severity: str | None = None


@dataclass(frozen=True)
class EligibilityConfig:
    """A programme's eligibility gate (its ``eligibility.toml``), validated.

    Attributes
    ----------
    requirements : tuple of Requirement
        Basic requirements, checked in order.
    exclusions : tuple of Exclusion
        What must not have occurred in the record window.
    record_years : int
        The window of the record [years].
    record_name_zh, record_name_en : str
        How an exclusion check is named; ``{years}`` and ``{name}`` are filled in.
    status, source, file : str
    """

    requirements: tuple[Requirement, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    record_years: int = 3
    record_name_zh: str = "{name}"
    record_name_en: str = "{name}"
    status: str = ""
    source: str = ""
    file: str = ""

    @property
    def certifications(self) -> tuple[str, ...]:
        """The certificates the gate requires (normalised standard names)."""
        return tuple(r.params["standard"] for r in self.requirements
                     if r.check == "certification")


def _check_registered_in(req: Requirement, evidence: Evidence, info: "FactoryInfo"
                         ) -> tuple[bool, str]:
    """The legal entity is registered in the programme's area: its credit code's division code
    starts with ``division_prefix``, or ``registered_city`` contains one of ``names``."""
    prefix = req.params.get("division_prefix", "")
    names = req.params.get("names", [])
    code = info.division_code
    by_code = bool(code) and code.startswith(prefix)
    city = evidence.registered_city
    by_city = bool(city) and any(n in city or n.lower() in city.lower() for n in names)
    parts = []
    if code:
        parts.append(f"credit code division {code} ({'in' if by_code else 'not in'} {prefix}xx)")
    else:
        parts.append("no usable credit code")
    parts.append(f"registered_city {city!r}" if city else "no registered_city declared")
    return by_code or by_city, "; ".join(parts)


def _check_evidence(req: Requirement, evidence: Evidence, info: "FactoryInfo"
                    ) -> tuple[bool, str]:
    """A declared evidence item is in place (``evidence`` names the key)."""
    ok, why = evidence.value(req.params["evidence"])
    return bool(ok), why


def _check_certification(req: Requirement, evidence: Evidence, info: "FactoryInfo"
                         ) -> tuple[bool, str]:
    """A certificate of ``standard`` is valid on the evaluation date."""
    return evidence.certificate(req.params["standard"])


#: Requirement kinds a gate may use: name -> (parameters it needs, check function).
ELIGIBILITY_CHECKS: dict[str, tuple[tuple[str, ...], Any]] = {
    "registered_in": (("division_prefix", "names"), _check_registered_in),
    "evidence": (("evidence",), _check_evidence),
    "certification": (("standard",), _check_certification),
}

ELIGIBILITY_SCHEMA = "carbon_core.eligibility/1"

REQUIREMENT = Table("requirements", (
    Field("id", kind="text", pattern=r"[A-Za-z0-9][A-Za-z0-9_.\-]*",
          doc="the check's id in scores (letters, digits, '_', '.', '-')"),
    Field("check", kind="choice", choices=tuple(ELIGIBILITY_CHECKS), doc="the requirement kind"),
    Field("name_zh", kind="text"),
    Field("name_en", kind="text", doc="`{as_of}` is replaced by the evaluation date"),
    Field("division_prefix", kind="text", pattern=r"\d{2,6}", required=False,
          doc="registered_in: start of the administrative division code (2 to 6 digits)"),
    Field("names", kind="list", item=Field("name", kind="text"), required=False,
          doc="registered_in: names of the area accepted in registered_city"),
    Field("evidence", kind="text", required=False, doc="evidence: the evidence key (organisation, plan, "
          "qualitative.<name> ...)"),
    Field("standard", kind="text", required=False, doc="certification: ISO 9001, 14001, 45001 or 50001"),
    Field("basis", kind="text", required=False, doc="where the requirement comes from"),
    Field("assumption", kind="text", required=False, doc="why it is a template assumption, if it is"),
), doc="One basic requirement.")

EXCLUSION = Table("exclusions", (
    Field("id", kind="text", pattern=_NAME_RE, doc="the key in [evidence.record]"),
    Field("name_zh", kind="text"),
    Field("name_en", kind="text"),
    Field("min_severity", kind="choice", choices=evidence_dates.SEVERITY_GRADES, required=False,
          doc="graded events (accidents): the lowest grade that excludes, 一般/较大/重大/特别重大 "
              "(生产安全事故报告和调查处理条例, 国务院令第493号, Art. 3); absent: any grade"),
    Field("basis", kind="text", required=False),
    Field("assumption", kind="text", required=False),
), doc="One exclusion of the record window.")

GATE = Table("gate", (
    Field("title_zh", kind="text", required=False),
    Field("title_en", kind="text", required=False),
    Field("status", kind="text", required=False, doc="'template' when the official text is not public"),
    Field("source", kind="text", required=False, doc="the published documents the gate encodes"),
    Field("record_years", kind="integer", minimum=1, maximum=20, default=3, required=False,
          doc="the window of the record [years]"),
    Field("record_name_zh", kind="text", default="{name}", required=False,
          doc="how an exclusion check is named; {years} and {name} are filled in"),
    Field("record_name_en", kind="text", default="{name}", required=False),
), rows=False)

#: A programme's ``eligibility.toml``.
ELIGIBILITY_TABLE = Table("eligibility", (
    Field("schema", kind="choice", choices=(ELIGIBILITY_SCHEMA,)),
    Field("gate", kind="table", table=GATE, default={}, required=False),
    Field("requirements", kind="rows", table=REQUIREMENT, default=[], required=False),
    Field("exclusions", kind="rows", table=EXCLUSION, default=[], required=False),
), rows=False, doc="The eligibility gate of a programme bundle: basic requirements, exclusions "
   "and their window.")


def loads_gate(text: str, *, file: str = "<eligibility>") -> EligibilityConfig:
    """An eligibility gate from TOML text (the ``eligibility.toml`` format).

    Parameters
    ----------
    text : str
        The TOML text (schema ``carbon_core.eligibility/1``, :data:`ELIGIBILITY_TABLE`).
    file : str
        The name problems are reported under.

    Returns
    -------
    EligibilityConfig

    Raises
    ------
    InputError
        Every problem at once: unknown keys, unknown check kinds, a parameter a check needs
        missing, an unknown standard, duplicate ids.
    """
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError([Problem(file, f"not valid TOML: {exc}", expected="TOML 1.0")]) from None
    problems: list[Problem] = []
    doc = validate_into(ELIGIBILITY_TABLE, data, problems, file=file) or {}
    reqs: list[Requirement] = []
    seen: dict[str, str] = {}
    for i, r in enumerate(doc.get("requirements") or []):
        row = f"requirements[{i}]"
        if r is None or r["check"] is None or r["id"] is None:
            continue
        if r["id"] in seen:
            problems.append(Problem(file, "duplicate requirement id", row=row, field="id",
                                    found=r["id"], expected=f"an id not used by {seen[r['id']]}"))
        seen.setdefault(r["id"], row)
        needs, _ = ELIGIBILITY_CHECKS[r["check"]]
        params = {k: r[k] for k in needs}
        for k in needs:
            if params[k] is None:
                problems.append(Problem(file, f"check {r['check']!r} needs {k!r}", row=row,
                                        field=k, expected=REQUIREMENT.field_map()[k].doc))
        if r["check"] == "certification" and params["standard"] is not None:
            std = normalise_standard(params["standard"])
            if std is None:
                problems.append(Problem(file, "unknown certification standard", row=row,
                                        field="standard", found=params["standard"],
                                        expected="ISO 9001, ISO 14001, ISO 45001 or ISO 50001"))
            params["standard"] = std
        if r["check"] == "evidence" and params["evidence"] is not None \
                and evidence_key_kind(params["evidence"]) != "bool":
            problems.append(Problem(file, "not a yes/no evidence key", row=row, field="evidence",
                                    found=params["evidence"],
                                    expected="organisation, plan, certification.iso<N> or "
                                             "qualitative.<name>"))
        reqs.append(Requirement(r["id"], r["name_zh"] or "", r["name_en"] or "", r["check"],
                                params))
    excl: list[Exclusion] = []
    for i, e in enumerate(doc.get("exclusions") or []):
        if e is None or e["id"] is None:
            continue
        if e["id"] in seen:
            problems.append(Problem(file, "duplicate exclusion id", row=f"exclusions[{i}]",
                                    field="id", found=e["id"], expected="ids used once"))
        seen.setdefault(e["id"], f"exclusions[{i}]")
        excl.append(Exclusion(e["id"], e["name_zh"] or "", e["name_en"] or "",
                              e.get("min_severity")))
    if problems:
        raise InputError(problems, title=f"{len(problems)} problem"
                         f"{'s' if len(problems) != 1 else ''} in eligibility gate {file}")
    g = doc.get("gate") or {}
    return EligibilityConfig(
        requirements=tuple(reqs), exclusions=tuple(excl), record_years=g.get("record_years") or 3,
        record_name_zh=g.get("record_name_zh") or "{name}",
        record_name_en=g.get("record_name_en") or "{name}", status=g.get("status") or "",
        source=g.get("source") or "", file=file)


def load_gate(programme: Any = None) -> EligibilityConfig:
    """The eligibility gate of a programme bundle (by name, a Programme, or None: the default).

    A bundle's gate is read once per process and kept.

    Parameters
    ----------
    programme : str, carbon_core.programmes.Programme or None
        The programme's name in the registry (:func:`carbon_core.programmes.get_programme`), or
        the bundle itself; None: the default programme.

    Returns
    -------
    EligibilityConfig
        The gate of the bundle's ``eligibility.toml``.

    Raises
    ------
    InputError
        Unknown programme (listing the known ones), a bundle without an eligibility file, or an
        invalid file.
    """
    from carbon_core.programmes import Programme, get_programme

    prog = programme if isinstance(programme, Programme) else (
        get_programme() if programme is None else get_programme(programme))
    return _gate_of(prog)


def _gate_of(prog) -> EligibilityConfig:
    key = (prog.name, prog.origin, str(prog.folder))
    gate = _GATES.get(key)
    if gate is None:
        ref = prog.file("eligibility")
        gate = loads_gate(ref.read_text(encoding="utf-8"), file=prog.label("eligibility"))
        _GATES[key] = gate
    return gate


_GATES: dict[tuple, EligibilityConfig] = {}


def known_exclusions() -> list[str]:
    """The exclusion ids of every shipped programme's gate (the keys ``[evidence.record]`` may
    hold, besides those of the gate it is judged by)."""
    from carbon_core.programmes import programme_registry

    out: list[str] = []
    for prog in programme_registry().values():
        if prog.has("eligibility"):
            out += [e.id for e in _gate_of(prog).exclusions]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class EligibilityCheck:
    """One basic requirement or exclusion, passed or failed, with the reason.

    Attributes
    ----------
    id : str
        The requirement's id, or ``exclusion.<id>``.
    name_zh, name_en : str
        Its names, with the evaluation date or the record window filled in.
    passed : bool
        Whether it passed.
    detail : str
        Why, in words.
    """

    id: str
    name_zh: str
    name_en: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The check as the score JSON records it.

        Returns
        -------
        dict
        """
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en,
                "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Eligibility:
    """The result of the gate: every check, and the ones that failed.

    Attributes
    ----------
    checks : tuple of EligibilityCheck
        Every basic requirement, then every exclusion, in the gate's order.
    as_of : datetime.date
        The day they were judged on.
    """

    checks: tuple[EligibilityCheck, ...]
    as_of: datetime.date

    @property
    def eligible(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        """The ids of the checks that failed."""
        return [c.id for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        """The gate's result as the score JSON records it.

        Returns
        -------
        dict
        """
        return {"eligible": self.eligible, "as_of": self.as_of.isoformat(),
                "failed": self.failed, "checks": [c.to_dict() for c in self.checks]}


def check_eligibility(evidence: Evidence, factory: Any = None,
                      as_of: datetime.date | None = None, *,
                      config: EligibilityConfig | None = None) -> Eligibility:
    """Check a gate's basic requirements and the exclusions of its record window.

    Parameters
    ----------
    evidence : Evidence
        Parsed ``[evidence]``.
    factory : FactoryInfo, mapping or object with ``credit_code``, optional
        The inventory's factory (its credit code gives the registering division).
    as_of : datetime.date, optional
        Judge validity on this date; default ``evidence.as_of``.
    config : EligibilityConfig, optional
        The gate (:func:`load_gate`); default the default programme's.

    Returns
    -------
    Eligibility
        Every check, each naming why it passed or failed; ``eligible`` only if all passed.
    """
    config = config or load_gate()
    if as_of is not None and as_of != evidence.as_of:
        from dataclasses import replace

        evidence = replace(evidence, as_of=as_of)
    info = FactoryInfo.coerce(factory)
    checks: list[EligibilityCheck] = []
    for req in config.requirements:
        ok, why = ELIGIBILITY_CHECKS[req.check][1](req, evidence, info)
        checks.append(EligibilityCheck(req.id, req.name_zh.format(as_of=evidence.as_of),
                                       req.name_en.format(as_of=evidence.as_of), ok, why))
    years = config.record_years
    period = evidence.record_period or f"last {years} years"
    window = evidence_dates.record_window(evidence.as_of, years)
    uncovered = evidence_dates.period_problem(evidence.record_period, window)
    for ex in config.exclusions:
        item = evidence.record.get(ex.id)
        if item is None:
            passed, why = False, f"not declared in [evidence.record] ({period})"
        else:  # dates inside the window only, severity where graded (scoring/evidence_dates.py)
            passed, why = evidence_dates.judge_exclusion(
                item.occurred, item.date, window, severity=item.severity,
                min_severity=ex.min_severity)
            why += f" ({period})" + (f": {item.note}" if item.note else "")
            if passed and uncovered:
                passed, why = False, uncovered
        checks.append(EligibilityCheck("exclusion." + ex.id,
                                       config.record_name_zh.format(years=years, name=ex.name_zh),
                                       config.record_name_en.format(years=years, name=ex.name_en),
                                       passed, why))
    return Eligibility(tuple(checks), evidence.as_of)
