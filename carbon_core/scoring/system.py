"""Indicator systems: the TOML file format, its loader and validator.

An indicator system is data (the city publishes its own document), read by :func:`load_system`.
Loading validates everything in one pass and raises one :class:`~carbon_core.errors.InputError`
listing every problem: TOML syntax, unknown keys, missing names, first-level weights that do not sum
to 100, metrics that neither the engine nor a loaded plugin nor the scoring layer provides, unknown
evidence, malformed rules, duplicate identifiers. The format is described in
``docs/indicator-system.md``.

Examples
--------
>>> system = load_system()            # the shipped Hefei template
>>> system.is_template, round(sum(level.weight for level in system.levels), 9)
(True, 100.0)
>>> system.indicator("F1").mandatory
True
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from carbon_core.errors import InputError, ProblemCollector
from carbon_core.metrics import MetricInfo, available_metrics

from .derived import DERIVED_METRICS
from .evidence import EVIDENCE_KEYS, EligibilityConfig, evidence_key_kind, normalise_standard
from .rules import RULES, Rule, RuleContext

__all__ = [
    "Indicator",
    "FirstLevel",
    "IndicatorSystem",
    "load_system",
    "DEFAULT_SYSTEM",
    "WHEN_MISSING",
]

#: File name of the shipped template (package data under ``carbon_core/scoring/systems``).
DEFAULT_SYSTEM = "hefei-template.toml"

#: What an indicator does when its value is missing: ``zero`` scores 0 (recorded as missing);
#: ``not_applicable`` (optional items only) removes the item and redistributes its points within its
#: first-level indicator. A mandatory item with a missing value is always unmet.
WHEN_MISSING = ("zero", "not_applicable")

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_PATTERN_RE = re.compile(r"^[a-z0-9_*]+(\.[A-Za-z0-9_*\-]+)+$")
_KINDS = {"mandatory": True, "必选": True, "optional": False, "可选": False}
_STATUS = ("template", "official")


@dataclass(frozen=True)
class Indicator:
    """A second-level indicator (二级指标).

    Attributes
    ----------
    id, level1 : str
        Its identifier and its first-level indicator's identifier.
    name_zh, name_en : str
        Names in Chinese and English.
    points : float
        Nominal full points in the file; the effective points on the 100 scale are
        ``level.weight * points / sum(points of the level's applicable items)``.
    mandatory : bool
        必选 (True) or 可选 (False).
    source_kind : str
        ``"metric"``, ``"metric_any"`` (a pattern with ``*``, e.g. ``sector.*.energy_quota_grade``)
        or ``"evidence"``.
    source : str
        The metric name, pattern or evidence key.
    rule : Rule
        The scoring rule.
    when_missing : str
        ``"zero"`` or ``"not_applicable"`` (optional items); ``"unmet"`` for mandatory items.
    combine : str
        For ``metric_any`` matching several metrics: ``"worst"`` (the value scoring lowest, default)
        or ``"best"``.
    """

    id: str
    level1: str
    name_zh: str
    name_en: str
    points: float
    mandatory: bool
    source_kind: str
    source: str
    rule: Rule
    when_missing: str = "zero"
    combine: str = "worst"
    unit: str = ""
    basis: str = ""
    assumption: str = ""
    description: str = ""

    @property
    def kind(self) -> str:
        return "mandatory" if self.mandatory else "optional"


@dataclass(frozen=True)
class FirstLevel:
    """A first-level indicator (一级指标) with its weight (share of 100 points)."""

    id: str
    name_zh: str
    name_en: str
    weight: float
    indicators: tuple[Indicator, ...]
    basis: str = ""


@dataclass(frozen=True)
class IndicatorSystem:
    """A loaded, validated indicator system."""

    id: str
    title_zh: str
    title_en: str
    version: str
    status: str
    notice: str
    levels: tuple[FirstLevel, ...]
    pass_score: float
    eligibility: EligibilityConfig
    sources: tuple[dict[str, Any], ...] = ()
    path: str = ""
    _by_id: dict[str, Indicator] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_template(self) -> bool:
        return self.status == "template"

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(ind for level in self.levels for ind in level.indicators)

    def indicator(self, id: str) -> Indicator:
        """The second-level indicator with this identifier (KeyError if none)."""
        return self._by_id[id]

    def to_dict(self) -> dict[str, Any]:
        """What a score records about the system it used."""
        return {"id": self.id, "title_zh": self.title_zh, "title_en": self.title_en,
                "version": self.version, "status": self.status, "template": self.is_template,
                "notice": self.notice, "path": self.path, "pass_score": self.pass_score,
                "sha256": _file_digest(self.path)}


# ------------------------------------------------------------------------------------- loading

_META_KEYS = {"id", "title_zh", "title_en", "version", "status", "notice", "city"}
_TOP_KEYS = {"meta", "source", "verdict", "eligibility", "level1"}
_LEVEL_KEYS = {"id", "name_zh", "name_en", "weight", "indicators", "basis", "description"}
_IND_KEYS = {"id", "name_zh", "name_en", "points", "kind", "metric", "metric_any", "evidence",
             "rule", "when_missing", "combine", "unit", "basis", "assumption", "description"}
_ELIG_KEYS = {"city_zh", "city_en", "division_prefix", "certifications", "record_years"}


def _metric_names(metrics) -> set[str]:
    if metrics is None:
        metrics = available_metrics()
    if isinstance(metrics, Mapping):
        names = set(metrics)
    else:
        names = set(metrics)
    return names | set(DERIVED_METRICS)


def _text(table, key, problems, row, *, required=True):
    value = table.get(key)
    if value is None:
        if required:
            problems.add("missing key", row=row, field=key, expected="a non-empty string")
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.add("not a non-empty string", row=row, field=key, found=value,
                     expected="a non-empty string")
        return ""
    return value


def _unknown(table, allowed, problems, row):
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            problems.add("unknown key", row=row, field=key, found=key,
                         expected=f"{close[0]!r}" if close else "one of " + ", ".join(sorted(allowed)))


def _points(value, problems, row, key, *, positive):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (positive and value == 0):
        problems.add(f"{key} is not a {'positive' if positive else 'non-negative'} number",
                     row=row, field=key, found=value,
                     expected="a number > 0" if positive else "a number >= 0")
        return None
    return float(value)


def parse_indicator(table: Mapping[str, Any], *, level: str = "contributed",
                    metrics: Mapping[str, MetricInfo] | Iterable[str] | None = None,
                    file: str = "<indicator>") -> Indicator:
    """Validate one second-level indicator table (the ``[[level1.indicators]]`` format).

    Used for the indicators sector plugins propose (``carbon_indicator_contributions``), so that
    a system author can paste them into an indicator-system file as they are. Keys a plugin adds
    for the author (``parent``) are ignored here.

    Raises
    ------
    InputError
        Every problem of the table at once.
    """
    problems = ProblemCollector(file)
    t = {k: v for k, v in table.items() if k != "parent"}
    ind = _parse_indicator(t, level, str(t.get("id", "indicator")), problems,
                           _metric_names(metrics))
    problems.raise_if_any()
    assert ind is not None
    return ind


def _parse_indicator(t, level_id, row, problems, metric_names) -> Indicator | None:
    ok = True
    _unknown(t, _IND_KEYS, problems, row)
    ind_id = t.get("id")
    if not isinstance(ind_id, str) or not _ID_RE.match(ind_id):
        problems.add("missing or malformed indicator id", row=row, field="id", found=ind_id,
                     expected="letters, digits, '_', '.', '-'")
        ok = False
    name_zh = _text(t, "name_zh", problems, row)
    name_en = _text(t, "name_en", problems, row)
    ok &= bool(name_zh and name_en)

    kind = t.get("kind")
    if kind not in _KINDS:
        problems.add("missing or unknown kind", row=row, field="kind", found=kind,
                     expected="'mandatory' (必选) or 'optional' (可选)")
        ok = False
    mandatory = _KINDS.get(kind, False)

    points = _points(t.get("points"), problems, row, "points", positive=not mandatory) \
        if "points" in t else None
    if "points" not in t:
        problems.add("missing key", row=row, field="points", expected="a number")
    ok &= points is not None

    # source: exactly one of metric / metric_any / evidence
    given = [k for k in ("metric", "metric_any", "evidence") if k in t]
    source_kind, source, value_kind = None, None, None
    if len(given) != 1:
        problems.add("an indicator reads exactly one of metric, metric_any, evidence", row=row,
                     field=" / ".join(given) or "metric", found=given or None,
                     expected="one of them")
        ok = False
    else:
        source_kind, source = given[0], t[given[0]]
        if not isinstance(source, str):
            problems.add("not a string", row=row, field=source_kind, found=source,
                         expected="a dotted name")
            ok = False
        elif source_kind == "metric":
            value_kind = "number"
            if source not in metric_names:
                close = difflib.get_close_matches(source, sorted(metric_names), n=3)
                problems.add("no engine part, plugin or scoring derivation provides this metric",
                             row=row, field="metric", found=source,
                             expected=("a provided metric, e.g. " + ", ".join(close)) if close
                             else "a metric listed by `carbon metrics` (or load its plugin)")
                ok = False
        elif source_kind == "metric_any":
            value_kind = "number"
            if "*" not in source or not _PATTERN_RE.match(source):
                problems.add("metric_any must be a dotted pattern with '*' for a whole segment",
                             row=row, field="metric_any", found=source,
                             expected="e.g. 'sector.*.energy_quota_grade'")
                ok = False
        else:
            value_kind = evidence_key_kind(source)
            if value_kind is None:
                problems.add("unknown evidence key", row=row, field="evidence", found=source,
                             expected="one of " + ", ".join(EVIDENCE_KEYS)
                             + " or 'qualitative.<name>'")
                ok = False

    # rule
    rule = None
    rt = t.get("rule")
    if not isinstance(rt, dict):
        problems.add("missing or malformed rule", row=row, field="rule", found=rt,
                     expected="a table such as { type = \"linear\", baseline = ..., leading = ... }")
        ok = False
    else:
        rtype = rt.get("type")
        if rtype not in RULES:
            problems.add("unknown rule type", row=row, field="rule.type", found=rtype,
                         expected="one of " + ", ".join(sorted(RULES)))
            ok = False
        else:
            def report(message, *, field=None, found=None, expected=None):
                problems.add(message, row=row, field=field, found=found, expected=expected)

            rule = RULES[rtype].parse(rt, RuleContext(report=report, points=points))
            ok &= rule is not None
            if rule is not None and value_kind is not None and rule.value_kind != value_kind:
                problems.add(f"rule {rtype!r} reads a {rule.value_kind} but "
                             f"{source_kind} {source!r} gives a {value_kind}", row=row,
                             field="rule.type", found=rtype,
                             expected="'met' for declared evidence, a numeric rule for metrics")
                ok = False

    when_missing = t.get("when_missing", "unmet" if mandatory else "zero")
    if mandatory:
        if when_missing != "unmet":
            problems.add("a mandatory item with a missing value is always unmet", row=row,
                         field="when_missing", found=when_missing,
                         expected="no when_missing (or 'unmet') on a mandatory item")
            ok = False
    elif when_missing not in WHEN_MISSING:
        problems.add("unknown when_missing", row=row, field="when_missing", found=when_missing,
                     expected="'zero' or 'not_applicable'")
        ok = False

    combine = t.get("combine", "worst")
    if combine not in ("worst", "best") or ("combine" in t and source_kind != "metric_any"):
        problems.add("combine applies to metric_any only and is 'worst' or 'best'", row=row,
                     field="combine", found=combine, expected="'worst' or 'best' with metric_any")
        ok = False

    assumption = t.get("assumption", "")
    if assumption is True:
        assumption = "template assumption"
    extra = {k: t.get(k, "") for k in ("unit", "basis", "description")}
    for k, v in list(extra.items()) + [("assumption", assumption)]:
        if not isinstance(v, str):
            problems.add("not a string", row=row, field=k, found=v, expected="text")
            ok = False
    if not ok:
        return None
    return Indicator(id=ind_id, level1=level_id, name_zh=name_zh, name_en=name_en, points=points,
                     mandatory=mandatory, source_kind=source_kind, source=source, rule=rule,
                     when_missing=when_missing, combine=combine, assumption=assumption, **extra)


def _parse_eligibility(t, problems) -> EligibilityConfig:
    if not isinstance(t, dict):
        problems.add("not a table", field="eligibility", found=t, expected="[eligibility]")
        return EligibilityConfig()
    _unknown(t, _ELIG_KEYS, problems, "eligibility")
    base = EligibilityConfig()
    kw: dict[str, Any] = {}
    for key in ("city_zh", "city_en", "division_prefix"):
        if key in t:
            kw[key] = _text(t, key, problems, "eligibility")
    if "division_prefix" in t and not re.fullmatch(r"\d{2,6}", str(t["division_prefix"])):
        problems.add("division prefix is not 2 to 6 digits", row="eligibility",
                     field="division_prefix", found=t["division_prefix"],
                     expected="the start of the administrative division code, e.g. '3401'")
    if "certifications" in t:
        certs = t["certifications"]
        norm = []
        if not isinstance(certs, list):
            problems.add("not a list", row="eligibility", field="certifications", found=certs,
                         expected='["ISO 9001", ...]')
        else:
            for c in certs:
                n = normalise_standard(c) if isinstance(c, str) else None
                if n is None:
                    problems.add("unknown certification standard", row="eligibility",
                                 field="certifications", found=c,
                                 expected="ISO 9001, ISO 14001, ISO 45001 or ISO 50001")
                else:
                    norm.append(n)
        kw["certifications"] = tuple(norm)
    if "record_years" in t:
        y = t["record_years"]
        if isinstance(y, bool) or not isinstance(y, int) or y < 1:
            problems.add("not a positive integer", row="eligibility", field="record_years",
                         found=y, expected="e.g. 3")
        else:
            kw["record_years"] = y
    return EligibilityConfig(**{**base.__dict__, **{k: v for k, v in kw.items() if v}})


def _file_digest(path: str) -> str | None:
    from ..io.paths import file_digest  # SHA-256 of the system file (provenance, issue 9)

    return file_digest(path)


def load_system(path: str | Path | None = None, *,
                metrics: Mapping[str, MetricInfo] | Iterable[str] | None = None
                ) -> IndicatorSystem:
    """Load and validate an indicator-system file.

    Parameters
    ----------
    path : str or Path, optional
        The TOML file. None: the shipped Hefei template (``hefei-template.toml``), a *template*
        until the city's official document is loaded.
    metrics : mapping or iterable of str, optional
        The metric names an indicator may read. Default
        :func:`carbon_core.metrics.available_metrics` (core and balance). Pass
        ``available_metrics(plugin_manager)`` or the names in a result to accept plugin metrics.
        The scoring layer's :data:`~carbon_core.scoring.derived.DERIVED_METRICS` are always accepted.

    Raises
    ------
    InputError
        Every problem in the file at once.
    """
    if path is None:
        from carbon_core.programmes import get_programme

        programme = get_programme()
        text = programme.file("indicator_system").read_text(encoding="utf-8")
        label = programme.label("indicator_system")
    else:
        label = str(path)
        try:
            from ..io.toml_text import decode_utf8  # not UTF-8: named, with the file

            text = decode_utf8(Path(path).read_bytes(), label)
        except FileNotFoundError:
            raise InputError([_problem(label, "indicator-system file not found",
                                       expected="a TOML file")]) from None
    return loads_system(text, file=label, metrics=metrics)


def _problem(file, message, **kw):
    from carbon_core.errors import Problem

    return Problem(file, message, **kw)


def loads_system(text: str, *, file: str = "<string>",
                 metrics: Mapping[str, MetricInfo] | Iterable[str] | None = None
                 ) -> IndicatorSystem:
    """Like :func:`load_system`, from TOML text (``file`` names it in problems)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([_problem(file, f"not valid TOML: {exc}", expected="TOML 1.0")]) from None
    problems = ProblemCollector(file)
    metric_names = _metric_names(metrics)
    _unknown(doc, _TOP_KEYS, problems, None)

    meta = doc.get("meta")
    if not isinstance(meta, dict):
        problems.add("missing [meta] table", field="meta", expected="id, title_zh, title_en, status")
        meta = {}
    _unknown(meta, _META_KEYS, problems, "meta")
    sys_id = _text(meta, "id", problems, "meta")
    title_zh = _text(meta, "title_zh", problems, "meta")
    title_en = _text(meta, "title_en", problems, "meta")
    version = str(meta.get("version", ""))
    status = meta.get("status")
    if status not in _STATUS:
        problems.add("missing or unknown status", row="meta", field="status", found=status,
                     expected="'template' or 'official'")
    notice = meta.get("notice", "")
    if status == "template" and not notice:
        notice = ("TEMPLATE: not the official indicator system; load the official document with "
                  "--system FILE (模板，非官方指标体系)")

    sources = doc.get("source", [])
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        problems.add("[[source]] must be an array of tables", field="source", found=type(sources))
        sources = []

    verdict = doc.get("verdict", {})
    pass_score = 60.0
    if not isinstance(verdict, dict):
        problems.add("not a table", field="verdict", found=verdict, expected="[verdict]")
    else:
        _unknown(verdict, {"pass_score", "assumption"}, problems, "verdict")
        if "pass_score" in verdict:
            ps = verdict["pass_score"]
            if isinstance(ps, bool) or not isinstance(ps, (int, float)) or not 0 <= ps <= 100:
                problems.add("pass score outside 0..100", row="verdict", field="pass_score",
                             found=ps, expected="a number in [0, 100]")
            else:
                pass_score = float(ps)

    elig = _parse_eligibility(doc.get("eligibility", {}), problems)

    levels_raw = doc.get("level1")
    levels: list[FirstLevel] = []
    seen_levels: dict[str, str] = {}
    seen_inds: dict[str, str] = {}
    weights: list[float] = []
    if not isinstance(levels_raw, list) or not levels_raw:
        problems.add("no first-level indicators", field="level1",
                     expected="[[level1]] tables with id, name_zh, name_en, weight, indicators")
        levels_raw = []
    for i, lt in enumerate(levels_raw, start=1):
        row = f"level1[{i}]"
        if not isinstance(lt, dict):
            problems.add("not a table", row=row, found=lt)
            continue
        _unknown(lt, _LEVEL_KEYS, problems, row)
        lid = lt.get("id")
        if not isinstance(lid, str) or not _ID_RE.match(lid):
            problems.add("missing or malformed first-level id", row=row, field="id", found=lid,
                         expected="letters, digits, '_', '.', '-'")
            lid = None
        elif lid in seen_levels:
            problems.add("duplicate first-level id", row=row, field="id", found=lid,
                         expected=f"an id not already used by {seen_levels[lid]}")
        else:
            seen_levels[lid] = row
        lzh = _text(lt, "name_zh", problems, row)
        len_ = _text(lt, "name_en", problems, row)
        weight = _points(lt.get("weight"), problems, row, "weight", positive=True) \
            if "weight" in lt else None
        if "weight" not in lt:
            problems.add("missing key", row=row, field="weight", expected="a number > 0")
        if weight is not None:
            weights.append(weight)
        inds_raw = lt.get("indicators")
        if not isinstance(inds_raw, list) or not inds_raw:
            problems.add("no second-level indicators", row=row, field="indicators",
                         expected="[[level1.indicators]] tables")
            inds_raw = []
        inds: list[Indicator] = []
        total_points = 0.0
        for j, it in enumerate(inds_raw, start=1):
            irow = f"{row}.indicators[{j}]"
            if not isinstance(it, dict):
                problems.add("not a table", row=irow, found=it)
                continue
            iid = it.get("id")
            if isinstance(iid, str):
                if iid in seen_inds:
                    problems.add("duplicate indicator id", row=irow, field="id", found=iid,
                                 expected=f"an id not already used by {seen_inds[iid]}")
                else:
                    seen_inds[iid] = irow
            ind = _parse_indicator(it, lid or "?", irow, problems, metric_names)
            if ind is not None:
                inds.append(ind)
                total_points += ind.points
        if inds_raw and len(inds) == len(inds_raw) and total_points <= 0:
            problems.add("the indicators of this first-level indicator carry no points", row=row,
                         field="indicators", found=total_points, expected="points summing to > 0")
        names = [ind.name_zh for ind in inds]
        for name in {n for n in names if names.count(n) > 1}:
            problems.add("duplicate indicator name", row=row, field="name_zh", found=name,
                         expected="distinct names within a first-level indicator")
        if lid and lzh and len_ and weight is not None:
            levels.append(FirstLevel(lid, lzh, len_, weight, tuple(inds),
                                     basis=str(lt.get("basis", ""))))
    if weights and len(weights) == len(levels_raw) and abs(sum(weights) - 100.0) > 1e-6:
        problems.add("first-level weights do not sum to 100", field="level1.weight",
                     found=f"{sum(weights):g} = " + " + ".join(f"{w:g}" for w in weights),
                     expected="weights summing to 100")
    problems.raise_if_any(title=f"{len(problems.problems)} problem"
                                f"{'s' if len(problems.problems) != 1 else ''} in indicator "
                                f"system {file}")
    by_id = {ind.id: ind for level in levels for ind in level.indicators}
    return IndicatorSystem(id=sys_id, title_zh=title_zh, title_en=title_en, version=version,
                           status=status, notice=notice, levels=tuple(levels),
                           pass_score=pass_score, eligibility=elig, sources=tuple(sources),
                           path=file, _by_id=by_id)
