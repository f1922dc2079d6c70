"""Declared evidence and the eligibility gate (基本要求 and the three-year exclusions).

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
>>> ev = parse_evidence(raw, file="inv.toml", as_of=datetime.date(2024, 12, 31))
>>> ev.value("certification.iso9001")
(False, 'ISO 9001 Q1 (CQC) expired 2024-06-30')
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import evidence_dates

from carbon_core.errors import ProblemCollector

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
    "EXCLUSIONS",
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
_STD_NAMES_ZH = {"ISO 9001": "质量管理体系", "ISO 14001": "环境管理体系",
                 "ISO 45001": "职业健康安全管理体系", "ISO 50001": "能源管理体系"}


def normalise_standard(text: str) -> str | None:
    """``"ISO 9001"`` for ``"ISO9001:2015"``, ``"GB/T 19001-2016"`` ...; None if not one of the four.

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


def _cert_key(standard: str) -> str:
    return "certification.iso" + standard.split()[1]


#: The five exclusions of the last three years: key -> (中文, English).
EXCLUSIONS: dict[str, tuple[str, str]] = {
    "not_in_normal_operation": ("未正常生产经营", "not in normal operation"),
    "blacklisted": ("因违反质量、安全、节能、环保等法律法规被列入黑名单",
                    "blacklisted for breaking quality, safety, energy or environmental law"),
    "major_accident": ("发生重大安全、质量或环境污染事故", "a major safety, quality or "
                       "environmental accident"),
    "removed_from_lists": ("被撤销绿色工厂或零碳工厂称号/移出名单",
                           "removed from the green or zero-carbon factory lists"),
    "inspection_problems": ("督查检查发现严重问题、列入节能监察整改名单或失信被执行人名单",
                            "serious problems found in inspections, on an energy inspection "
                            "rectification list or a dishonest-debtor list"),
}

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

    >>> evidence_key_kind("qualitative.digital_energy_platform"), evidence_key_kind("foo")
    ('bool', None)
    """
    if key in EVIDENCE_KEYS:
        return EVIDENCE_KEYS[key]
    return "bool" if _QUAL_RE.match(key) else None


# ------------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Certification:
    """A management-system certificate (认证证书)."""

    standard: str
    number: str
    issuer: str
    valid_from: datetime.date
    valid_until: datetime.date
    scope: str = ""

    def valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def describe(self, day: datetime.date) -> str:
        who = f"{self.standard} {self.number} ({self.issuer})"
        if day > self.valid_until:
            return f"{who} expired {self.valid_until.isoformat()}"
        if day < self.valid_from:
            return f"{who} not valid before {self.valid_from.isoformat()}"
        return f"{who} valid until {self.valid_until.isoformat()}"


@dataclass(frozen=True)
class Organisation:
    """The dedicated zero-carbon organisation (零碳工作专门机构)."""

    name: str
    established: datetime.date
    head: str
    reference: str = ""


@dataclass(frozen=True)
class PlanTarget:
    """One annual target of the zero-carbon plan."""

    year: int
    metric: str = ""
    value: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Plan:
    """The zero-carbon plan (零碳工厂建设方案/规划) with annual targets."""

    title: str
    adopted: datetime.date
    targets: tuple[PlanTarget, ...] = ()
    reference: str = ""


@dataclass(frozen=True)
class RecordItem:
    """One exclusion of the three-year record: ``occurred`` None when not declared."""

    occurred: bool | None
    note: str = ""
    date: datetime.date | None = None
    severity: str = ""  # e.g. 较大 (scoring.evidence_dates.SEVERITY_GRADES)


@dataclass(frozen=True)
class QualitativeItem:
    """A qualitative item an indicator reads (e.g. a digital energy-carbon platform in place)."""

    name: str
    in_place: bool
    date: datetime.date | None = None
    valid_until: datetime.date | None = None
    reference: str = ""
    note: str = ""


@dataclass(frozen=True)
class FactoryInfo:
    """Who is evaluated: the inventory's ``[factory]`` table, or a mapping with the same keys."""

    name: str = ""
    credit_code: str = ""
    district: str = ""

    @classmethod
    def coerce(cls, obj: Any) -> "FactoryInfo":
        if obj is None:
            return cls()
        if isinstance(obj, FactoryInfo):
            return obj
        get = obj.get if isinstance(obj, Mapping) else (lambda k, d="": getattr(obj, k, d))
        return cls(str(get("name", "") or ""), str(get("credit_code", "") or ""),
                   str(get("district", "") or ""))

    @property
    def division_code(self) -> str:
        """Characters 3-8 of the 统一社会信用代码: the registering authority's division code."""
        code = self.credit_code.strip()
        return code[2:8] if len(code) == 18 and code[2:8].isdigit() else ""


@dataclass(frozen=True)
class Evidence:
    """Everything declared in ``[evidence]``, judged on ``as_of``."""

    file: str
    as_of: datetime.date
    registered_city: str = ""
    certifications: tuple[Certification, ...] = ()
    organisation: Organisation | None = None
    plan: Plan | None = None
    record: Mapping[str, RecordItem] = field(default_factory=dict)
    record_period: str = ""
    qualitative: Mapping[str, QualitativeItem] = field(default_factory=dict)

    def certificate(self, standard: str) -> tuple[bool, str]:
        """Whether a valid certificate of ``standard`` exists on ``as_of``, and why."""
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
            missing = [k for k in EXCLUSIONS if k not in self.record]
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


# ------------------------------------------------------------------------------------ parsing

_EV_KEYS = {"registered_city", "certifications", "organisation", "plan", "record", "qualitative"}


def _date(value, problems, row, key, *, required=True):
    if value is None:
        if required:
            problems.add("missing date", row=row, field=key, expected="a date YYYY-MM-DD")
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    problems.add("not a date", row=row, field=key, found=value, expected="a date YYYY-MM-DD")
    return None


def _str(t, key, problems, row, *, required=True):
    value = t.get(key)
    if value is None:
        if required:
            problems.add("missing key", row=row, field=key, expected="a non-empty string")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.add("not a non-empty string", row=row, field=key, found=value, expected="text")
        return ""
    return value


def _unknown(t, allowed, problems, row):
    for key in t:
        if key not in allowed:
            problems.add("unknown key", row=row, field=key, found=key,
                         expected="one of " + ", ".join(sorted(allowed)))


def _table(value, problems, row):
    if not isinstance(value, dict):
        problems.add("not a table", row=row, found=value, expected="a TOML table")
        return None
    return value


def parse_evidence(raw: Mapping[str, Any] | None, *, file: str = "inventory",
                   as_of: datetime.date) -> Evidence:
    """Parse and validate the inventory's ``[evidence]`` table.

    Parameters
    ----------
    raw : mapping or None
        The ``[evidence]`` table (None or {} when the inventory declares none).
    file : str
        The inventory path, named in problems.
    as_of : datetime.date
        The date on which validity is judged (usually 31 December of the reporting year).

    Raises
    ------
    InputError
        Every malformed entry at once. Absent declarations are not errors: they fail eligibility.
    """
    problems = ProblemCollector(file)
    raw = raw or {}
    if not isinstance(raw, Mapping):
        problems.add("[evidence] is not a table", field="evidence", found=raw)
        problems.raise_if_any()
    _unknown(raw, _EV_KEYS, problems, "evidence")
    city = _str(raw, "registered_city", problems, "evidence", required=False)

    certs = []
    craw = raw.get("certifications", [])
    if not isinstance(craw, list):
        problems.add("not an array of tables", row="evidence", field="certifications",
                     found=craw, expected="[[evidence.certifications]]")
        craw = []
    for i, c in enumerate(craw, start=1):
        row = f"evidence.certifications[{i}]"
        if _table(c, problems, row) is None:
            continue
        _unknown(c, {"standard", "number", "issuer", "valid_from", "valid_until", "scope"},
                 problems, row)
        std_raw = c.get("standard")
        std = normalise_standard(std_raw) if isinstance(std_raw, str) else None
        if std is None:
            problems.add("unknown certification standard", row=row, field="standard",
                         found=std_raw, expected="ISO 9001, ISO 14001, ISO 45001 or ISO 50001 "
                         "(or GB/T 19001, 24001, 45001, 23331)")
        number = _str(c, "number", problems, row)
        issuer = _str(c, "issuer", problems, row)
        vf = _date(c.get("valid_from"), problems, row, "valid_from")
        vu = _date(c.get("valid_until"), problems, row, "valid_until")
        if vf and vu and vf > vu:
            problems.add("valid_until is before valid_from", row=row, field="valid_until",
                         found=vu.isoformat(), expected=f"a date on or after {vf}")
            continue
        if std and number and issuer and vf and vu:
            certs.append(Certification(std, number, issuer, vf, vu,
                                       str(c.get("scope", ""))))

    org = None
    if "organisation" in raw and _table(raw["organisation"], problems,
                                        "evidence.organisation") is not None:
        o, row = raw["organisation"], "evidence.organisation"
        _unknown(o, {"name", "established", "head", "reference"}, problems, row)
        name, head = _str(o, "name", problems, row), _str(o, "head", problems, row)
        est = _date(o.get("established"), problems, row, "established")
        if name and head and est:
            org = Organisation(name, est, head, str(o.get("reference", "")))

    plan = None
    if "plan" in raw and _table(raw["plan"], problems, "evidence.plan") is not None:
        p, row = raw["plan"], "evidence.plan"
        _unknown(p, {"title", "adopted", "targets", "reference"}, problems, row)
        title = _str(p, "title", problems, row)
        adopted = _date(p.get("adopted"), problems, row, "adopted")
        targets = []
        traw = p.get("targets", [])
        if not isinstance(traw, list):
            problems.add("not an array of tables", row=row, field="targets", found=traw,
                         expected="[[evidence.plan.targets]]")
            traw = []
        for j, t in enumerate(traw, start=1):
            trow = f"{row}.targets[{j}]"
            if _table(t, problems, trow) is None:
                continue
            _unknown(t, {"year", "metric", "value", "description"}, problems, trow)
            year = t.get("year")
            if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
                problems.add("not a year", row=trow, field="year", found=year,
                             expected="an integer year")
                continue
            metric, value = t.get("metric", ""), t.get("value")
            desc = t.get("description", "")
            if ("metric" in t) != ("value" in t):
                problems.add("a quantified target gives both metric and value", row=trow,
                             field="metric" if "metric" not in t else "value",
                             expected="metric = \"<name>\" and value = <number>")
                continue
            if "value" in t and (isinstance(value, bool) or not isinstance(value, (int, float))):
                problems.add("target value is not a number", row=trow, field="value",
                             found=value, expected="a number")
                continue
            if not metric and not desc:
                problems.add("a target needs a metric and value, or a description", row=trow,
                             expected="metric + value, or description")
                continue
            targets.append(PlanTarget(year, str(metric),
                                      None if value is None else float(value), str(desc)))
        if title and adopted:
            plan = Plan(title, adopted, tuple(targets), str(p.get("reference", "")))

    record: dict[str, RecordItem] = {}
    period = ""
    if "record" in raw and _table(raw["record"], problems, "evidence.record") is not None:
        r, row = raw["record"], "evidence.record"
        _unknown(r, set(EXCLUSIONS) | {"period"}, problems, row)
        period = str(r.get("period", ""))
        for key in EXCLUSIONS:
            if key not in r:
                continue
            v = r[key]
            if isinstance(v, bool):
                record[key] = RecordItem(v)
            elif isinstance(v, dict):
                _unknown(v, {"occurred", "note", "date", "severity"}, problems, f"{row}.{key}")
                occ = v.get("occurred")
                if not isinstance(occ, bool):
                    problems.add("not true/false", row=f"{row}.{key}", field="occurred", found=occ,
                                 expected="true or false")
                    continue
                record[key] = RecordItem(occ, str(v.get("note", "")),
                                         _date(v.get("date"), problems, f"{row}.{key}", "date",
                                               required=False), str(v.get("severity", "")))
            else:
                problems.add("not true/false or a table", row=row, field=key, found=v,
                             expected="true, false or { occurred = <bool>, note = ..., date = ... }")

    qual: dict[str, QualitativeItem] = {}
    qraw = raw.get("qualitative", {})
    if _table(qraw, problems, "evidence.qualitative") is None:
        qraw = {}
    for name, q in qraw.items():
        row = f"evidence.qualitative.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.add("malformed item name", row=row, found=name,
                         expected="lower-case letters, digits and '_'")
            continue
        if isinstance(q, bool):
            problems.add("a qualitative item needs its evidence reference", row=row, found=q,
                         expected="{ in_place = true, date = ..., reference = \"...\" }")
            continue
        if _table(q, problems, row) is None:
            continue
        _unknown(q, {"in_place", "date", "valid_until", "reference", "note"}, problems, row)
        ip = q.get("in_place")
        if not isinstance(ip, bool):
            problems.add("not true/false", row=row, field="in_place", found=ip,
                         expected="true or false")
            continue
        ref = _str(q, "reference", problems, row, required=ip)
        d = _date(q.get("date"), problems, row, "date", required=False)
        vu = _date(q.get("valid_until"), problems, row, "valid_until", required=False)
        if ip and not ref:
            continue
        qual[name] = QualitativeItem(name, ip, d, vu, ref, str(q.get("note", "")))

    problems.raise_if_any(title=f"{len(problems.problems)} problem"
                                f"{'s' if len(problems.problems) != 1 else ''} in [evidence] "
                                f"of {file}")
    return Evidence(file=file, as_of=as_of, registered_city=city, certifications=tuple(certs),
                    organisation=org, plan=plan, record=record, record_period=period,
                    qualitative=qual)


# -------------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class EligibilityConfig:
    """The basic requirements (基本要求) of an indicator system (its ``[eligibility]`` table)."""

    city_zh: str = "合肥"
    city_en: str = "Hefei"
    division_prefix: str = "3401"
    certifications: tuple[str, ...] = ("ISO 9001", "ISO 14001", "ISO 45001", "ISO 50001")
    record_years: int = 3


@dataclass(frozen=True)
class EligibilityCheck:
    """One basic requirement or exclusion, passed or failed, with the reason."""

    id: str
    name_zh: str
    name_en: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en,
                "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Eligibility:
    """The result of the gate: every check, and the ones that failed."""

    checks: tuple[EligibilityCheck, ...]
    as_of: datetime.date

    @property
    def eligible(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.id for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "as_of": self.as_of.isoformat(),
                "failed": self.failed, "checks": [c.to_dict() for c in self.checks]}


def check_eligibility(evidence: Evidence, factory: Any = None,
                      as_of: datetime.date | None = None, *,
                      config: EligibilityConfig | None = None) -> Eligibility:
    """Check the basic requirements and the exclusions of the last three years.

    Parameters
    ----------
    evidence : Evidence
        Parsed ``[evidence]``.
    factory : FactoryInfo, mapping or object with ``credit_code``, optional
        The inventory's factory (its credit code gives the registering division).
    as_of : datetime.date, optional
        Judge validity on this date; default ``evidence.as_of``.
    config : EligibilityConfig, optional
        The system's requirements (city, certifications); default Hefei's.

    Returns
    -------
    Eligibility
        Every check, each naming why it passed or failed; ``eligible`` only if all passed.
    """
    config = config or EligibilityConfig()
    if as_of is not None and as_of != evidence.as_of:
        from dataclasses import replace

        evidence = replace(evidence, as_of=as_of)
    info = FactoryInfo.coerce(factory)
    checks: list[EligibilityCheck] = []

    # legal entity in the city
    code = info.division_code
    by_code = bool(code) and code.startswith(config.division_prefix)
    city = evidence.registered_city
    by_city = bool(city) and (config.city_zh in city or config.city_en.lower() in city.lower())
    parts = []
    if code:
        parts.append(f"credit code division {code} "
                     f"({'in' if by_code else 'not in'} {config.division_prefix}xx)")
    else:
        parts.append("no usable credit code")
    parts.append(f"registered_city {city!r}" if city else "no registered_city declared")
    checks.append(EligibilityCheck(
        "legal_entity_in_city", f"在{config.city_zh}市注册的独立法人",
        f"legal entity registered in {config.city_en}", by_code or by_city, "; ".join(parts)))

    ok, why = evidence.value("organisation")
    checks.append(EligibilityCheck("organisation", "设立零碳工作专门机构",
                                   "dedicated zero-carbon organisation", ok, why))
    ok, why = evidence.value("plan")
    checks.append(EligibilityCheck("plan", "制定零碳工厂建设方案及年度目标",
                                   "zero-carbon plan with annual targets", ok, why))
    for std in config.certifications:
        ok, why = evidence.certificate(std)
        checks.append(EligibilityCheck(_cert_key(std), f"通过{std}{_STD_NAMES_ZH[std]}认证",
                                       f"{std} certification valid on {evidence.as_of}", ok, why))
    period = evidence.record_period or f"last {config.record_years} years"
    window = evidence_dates.record_window(evidence.as_of, config.record_years)
    uncovered = evidence_dates.period_problem(evidence.record_period, window)
    for key, (zh, en) in EXCLUSIONS.items():
        item = evidence.record.get(key)
        if item is None:
            passed, why = False, f"not declared in [evidence.record] ({period})"
        else:  # dates inside the window only, severity where graded (scoring/evidence_dates.py)
            passed, why = evidence_dates.judge_exclusion(
                item.occurred, item.date, window, severity=item.severity,
                min_severity=evidence_dates.MIN_SEVERITY.get(key))
            why += f" ({period})" + (f": {item.note}" if item.note else "")
            if passed and uncovered:
                passed, why = False, uncovered
        checks.append(EligibilityCheck("exclusion." + key, f"近{config.record_years}年无：{zh}",
                                       f"no exclusion in the last {config.record_years} years: "
                                       f"{en}", passed, why))
    return Eligibility(tuple(checks), evidence.as_of)
