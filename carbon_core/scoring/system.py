"""Indicator systems: the TOML file format, its loader and validator.

An indicator system is data (the city publishes its own document), read by :func:`load_system`.
Loading validates everything in one pass and raises one :class:`~carbon_core.errors.InputError`
listing every problem: TOML syntax, unknown keys, missing names, first-level weights that do not sum
to 100, metrics that neither the engine nor a loaded plugin nor the scoring layer provides, unknown
evidence, malformed rules, duplicate identifiers. The format is described in
``docs/indicator-system.md``.

Examples
--------
>>> system = load_system()            # the default programme's indicator system (a template)
>>> system.is_template, round(sum(level.weight for level in system.levels), 9)
(True, 100.0)
>>> first = system.indicators[0]
>>> system.indicator(first.id) is first, first.kind in ("mandatory", "optional")
(True, True)
"""

from __future__ import annotations

import difflib
import re
import tomli
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from carbon_core.errors import InputError, ProblemCollector
from carbon_core.schema import Field, Table, validate_into
from carbon_core.metrics import MetricInfo
from carbon_core.engine import available_metrics

from .derived import DERIVED_METRICS
from .evidence import EVIDENCE_KEYS, EligibilityConfig, evidence_key_kind, load_gate
from .rules import RULES, Rule, RuleContext

__all__ = [
    "Indicator",
    "FirstLevel",
    "IndicatorSystem",
    "load_system",
    "WHEN_MISSING",
    "SYSTEM_TABLE",
    "INDICATOR",
]


#: What an indicator does when its value is missing: ``zero`` scores 0 (recorded as missing);
#: ``not_applicable`` (optional items only) removes the item and redistributes its points within its
#: first-level indicator. A mandatory item with a missing value is always unmet.
WHEN_MISSING = ("zero", "not_applicable")

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
    unit : str
        The unit of the value read (``"1"`` for a share, ``"tCO2e/tce"`` ...), as the file
        gives it; recorded in scores, not converted.
    basis : str
        Where the indicator or its threshold comes from (a standard, a programme text).
    assumption : str
        Why a value is a template assumption, if it is; copied into every score.
    description : str
        Free text.
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
        """``"mandatory"`` or ``"optional"``."""
        return "mandatory" if self.mandatory else "optional"


@dataclass(frozen=True)
class FirstLevel:
    """A first-level indicator (一级指标) with its weight (share of 100 points).

    Attributes
    ----------
    id : str
        Its identifier (unique in the system).
    name_zh, name_en : str
        Names in Chinese and English.
    weight : float
        Its share of the 100 points [points]; the weights of a system sum to 100.
    indicators : tuple of Indicator
        Its second-level indicators, in file order.
    basis : str
        Where the first-level indicator comes from.
    """

    id: str
    name_zh: str
    name_en: str
    weight: float
    indicators: tuple[Indicator, ...]
    basis: str = ""


@dataclass(frozen=True)
class IndicatorSystem:
    """A loaded, validated indicator system.

    Attributes
    ----------
    id : str
        The system's ``[meta] id``.
    title_zh, title_en : str
        Its titles.
    version : str
        Its version, as text.
    status : {"template", "official"}
        A template is labelled in every score.
    notice : str
        Shown with every score (a template gets a default notice).
    levels : tuple of FirstLevel
        The first-level indicators, in file order.
    pass_score : float
        The total needed for ``qualified`` [points of 100] (default 60).
    eligibility : EligibilityConfig
        The programme's eligibility gate (basic requirements), from its bundle.
    sources : tuple of dict
        The ``[[source]]`` tables: the documents the structure comes from (id, title, use,
        confidence).
    path : str
        The file it was loaded from (its label for a bundle file).
    programme : str
        The programme bundle's name.
    programme_template : bool
        Whether that programme is a template.
    qualified_names : tuple of (str, str) or None
        The ``qualified`` verdict in the programme's words (``[verdict] qualified_zh``,
        ``qualified_en``); None: the scoring layer's generic names.
    """

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
    programme: str = ""
    programme_template: bool = True
    qualified_names: tuple[str, str] | None = None
    _by_id: dict[str, Indicator] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_template(self) -> bool:
        """Whether the system is a template (``status = "template"``)."""
        return self.status == "template"

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every second-level indicator, first-level indicator by first-level indicator."""
        return tuple(ind for level in self.levels for ind in level.indicators)

    def indicator(self, id: str) -> Indicator:
        """The second-level indicator with this identifier.

        Parameters
        ----------
        id : str
            The indicator's id, as the system file gives it.

        Returns
        -------
        Indicator

        Raises
        ------
        KeyError
            No indicator has that id.
        """
        return self._by_id[id]

    def verdict_names(self) -> dict[str, tuple[str, str]]:
        """Verdict names the system gives in its programme's words (``[verdict] qualified_zh``,
        ``qualified_en``); the scoring layer's generic names otherwise."""
        return {"qualified": self.qualified_names} if self.qualified_names else {}

    def to_dict(self) -> dict[str, Any]:
        """What a score records about the system it used."""
        return {"id": self.id, "title_zh": self.title_zh, "title_en": self.title_en,
                "version": self.version, "status": self.status, "template": self.is_template,
                "notice": self.notice, "path": self.path, "pass_score": self.pass_score,
                "programme": {"name": self.programme, "template": self.programme_template},
                "sha256": _file_digest(self.path)}


# ------------------------------------------------------------------------------------- loading

_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"

#: A second-level indicator ``[[level1.indicators]]``.
INDICATOR = Table("indicators", (
    Field("id", kind="text", pattern=_ID_PATTERN, doc="letters, digits, '_', '.', '-'; unique"),
    Field("name_zh", kind="text"),
    Field("name_en", kind="text"),
    Field("kind", kind="choice", choices=tuple(_KINDS), doc="必选 mandatory or 可选 optional"),
    Field("points", kind="number", minimum=0.0, doc="nominal full points (optional items: > 0)"),
    Field("metric", kind="text", required=False, doc="the metric read (exactly one of metric, metric_any, "
          "evidence)"),
    Field("metric_any", kind="text", required=False, doc="a dotted pattern with '*' for a whole segment"),
    Field("evidence", kind="text", required=False, doc="an evidence key"),
    Field("rule", kind="any", doc="{ type = ..., parameters } (carbon_core.scoring.rules)"),
    Field("when_missing", kind="text", required=False,
          doc="optional items: zero (default) or not_applicable; mandatory items are unmet"),
    Field("combine", kind="choice", choices=("worst", "best"), required=False, doc="metric_any only"),
    Field("unit", kind="text", allow_empty=True, default="", required=False),
    Field("basis", kind="text", allow_empty=True, default="", required=False),
    Field("assumption", kind="any", required=False, doc="why a value is a template assumption (text, or "
          "true)"),
    Field("description", kind="text", allow_empty=True, default="", required=False),
), doc="A second-level indicator 二级指标.")

LEVEL = Table("level1", (
    Field("id", kind="text", pattern=_ID_PATTERN, doc="letters, digits, '_', '.', '-'; unique"),
    Field("name_zh", kind="text"),
    Field("name_en", kind="text"),
    Field("weight", kind="number", minimum=None, doc="share of the 100 points (> 0); weights sum "
          "to 100"),
    Field("indicators", kind="rows", table=INDICATOR, doc="[[level1.indicators]]"),
    Field("basis", kind="text", allow_empty=True, default="", required=False),
    Field("description", kind="text", allow_empty=True, default="", required=False),
), doc="A first-level indicator 一级指标.")

META = Table("meta", (
    Field("id", kind="text"),
    Field("title_zh", kind="text"),
    Field("title_en", kind="text"),
    Field("version", kind="any", required=False),
    Field("status", kind="choice", choices=_STATUS, doc="a template is labelled in every score"),
    Field("notice", kind="text", allow_empty=True, default="", required=False, doc="shown with every score"),
    Field("city", kind="text", allow_empty=True, default="", required=False, doc="where the system applies"),
), rows=False)

#: An indicator-system file.
SYSTEM_TABLE = Table("indicator system", (
    Field("meta", kind="table", table=META),
    Field("source", kind="list", item=Field("source", kind="any"), default=[], required=False,
          doc="[[source]] id, title, use, confidence: documents the structure comes from"),
    Field("verdict", kind="table", default={}, required=False, table=Table("verdict", (
        Field("pass_score", kind="number", minimum=0.0, maximum=100.0, default=60.0, required=False,
              doc="total needed for 'qualified'"),
        Field("assumption", kind="text", allow_empty=True, default="", required=False),
        Field("qualified_zh", kind="text", required=False,
              doc="the name of the 'qualified' verdict in the programme's words"),
        Field("qualified_en", kind="text", required=False),
    ), rows=False)),
    Field("level1", kind="rows", table=LEVEL, doc="[[level1]]"),
), rows=False)


def _shallow(table: Table, *names: str) -> Table:
    """``table`` with the named fields kept as written (validated row by row by the loader, whose
    rows are numbered from 1)."""
    return Table(table.name, tuple(Field(f.name, kind="any", required=False)
                                   if f.name in names else f for f in table.fields),
                 rows=table.rows, required=table.required, doc=table.doc)


_SYSTEM_PARSE = _shallow(SYSTEM_TABLE, "level1")
_LEVEL_PARSE = _shallow(LEVEL, "indicators")


def _metric_names(metrics) -> set[str]:
    if metrics is None:
        metrics = available_metrics()
    if isinstance(metrics, Mapping):
        names = set(metrics)
    else:
        names = set(metrics)
    return names | set(DERIVED_METRICS)


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
    """One ``[[level1.indicators]]`` table: structure by :data:`INDICATOR`, then the rules that
    need several keys (one source, rule against source, points against kind)."""
    n_before = len(problems.problems)
    r = validate_into(INDICATOR, t, problems.problems, file=problems.file, where=row, rows=False)
    ind_id, name_zh, name_en, kind = r["id"], r["name_zh"], r["name_en"], r["kind"]
    mandatory = _KINDS.get(kind, False)
    points = r["points"]
    if points is not None and points == 0 and not mandatory:
        problems.add("points is not a positive number", row=row, field="points", found=0,
                     expected="a number > 0 (an optional item carries points)")
        points = None
    ok = len(problems.problems) == n_before

    # source: exactly one of metric / metric_any / evidence
    given = [k for k in ("metric", "metric_any", "evidence") if k in t]
    source_kind, source, value_kind = None, None, None
    if len(given) != 1:
        problems.add("an indicator reads exactly one of metric, metric_any, evidence", row=row,
                     field=" / ".join(given) or "metric", found=given or None,
                     expected="one of them")
        ok = False
    else:
        source_kind, source = given[0], r[given[0]]
        if source is None:  # not a string: refused above
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
    if rt is None:
        ok = False  # missing key, reported above
    elif not isinstance(rt, dict):
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

    when_missing = r["when_missing"] or ("unmet" if mandatory else "zero")
    if mandatory and when_missing != "unmet":
        problems.add("a mandatory item with a missing value is always unmet", row=row,
                     field="when_missing", found=when_missing,
                     expected="no when_missing (or 'unmet') on a mandatory item")
        ok = False
    elif not mandatory and when_missing not in WHEN_MISSING:
        problems.add("unknown when_missing", row=row, field="when_missing", found=when_missing,
                     expected="'zero' or 'not_applicable'")
        ok = False
    elif "when_missing" in t and r["when_missing"] is None:
        ok = False

    combine = r["combine"] or "worst"
    if "combine" in t and source_kind != "metric_any":
        problems.add("combine applies to metric_any only and is 'worst' or 'best'", row=row,
                     field="combine", found=combine, expected="'worst' or 'best' with metric_any")
        ok = False

    assumption = r["assumption"] if r["assumption"] is not None else ""
    if assumption is True:
        assumption = "template assumption"
    if not isinstance(assumption, str):
        problems.add("not a string", row=row, field="assumption", found=assumption,
                     expected="text, or true for 'template assumption'")
        ok = False
    extra = {k: r[k] or "" for k in ("unit", "basis", "description")}
    if not ok or len(problems.problems) > n_before:
        return None
    assert source_kind is not None and source is not None and rule is not None
    return Indicator(id=ind_id, level1=level_id, name_zh=name_zh, name_en=name_en, points=points,
                     mandatory=mandatory, source_kind=source_kind, source=source, rule=rule,
                     when_missing=when_missing, combine=combine, assumption=assumption, **extra)


def _file_digest(path: str) -> str | None:
    from ..io.paths import file_digest  # SHA-256 of the system file (provenance, issue 9)

    return file_digest(path)


def load_system(path: str | Path | None = None, *,
                metrics: Mapping[str, MetricInfo] | Iterable[str] | None = None,
                programme: Any = None) -> IndicatorSystem:
    """Load and validate an indicator-system file, with its programme's eligibility gate.

    Parameters
    ----------
    path : str or Path, optional
        The TOML file. None: the indicator system of the programme bundle (a *template* until
        the programme's official document is loaded with ``path``).
    programme : str or Programme, optional
        The programme whose bundle gives the default indicator system and, always, the
        eligibility gate. Default :data:`carbon_core.programmes.DEFAULT_PROGRAMME`.
    metrics : mapping or iterable of str, optional
        The metric names an indicator may read. Default
        :func:`carbon_core.engine.available_metrics` (core and balance). Pass
        ``available_metrics(plugin_manager)`` or the names in a result to accept plugin metrics.
        The scoring layer's :data:`~carbon_core.scoring.derived.DERIVED_METRICS` are always accepted.

    Raises
    ------
    InputError
        Every problem in the file at once.
    """
    from carbon_core.programmes import Programme, get_programme

    if not isinstance(programme, Programme):
        programme = get_programme() if programme is None else get_programme(programme)
    if path is None:
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
    return loads_system(text, file=label, metrics=metrics, programme=programme)


def _problem(file, message, **kw):
    from carbon_core.errors import Problem

    return Problem(file, message, **kw)


def loads_system(text: str, *, file: str = "<string>",
                 metrics: Mapping[str, MetricInfo] | Iterable[str] | None = None,
                 programme: Any = None) -> IndicatorSystem:
    """Like :func:`load_system`, from TOML text (``file`` names it in problems)."""
    try:
        doc = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError([_problem(file, f"not valid TOML: {exc}", expected="TOML 1.0")]) from None
    problems = ProblemCollector(file)
    metric_names = _metric_names(metrics)
    if "eligibility" in doc:
        problems.add("the eligibility gate is a file of the programme bundle, not of the indicator "
                     "system", field="eligibility", expected="no [eligibility] table here; the "
                     "programme's eligibility.toml (carbon score --programme NAME)")
        doc = {k: v for k, v in doc.items() if k != "eligibility"}
    top = validate_into(_SYSTEM_PARSE, doc, problems.problems, file=file) or {}
    meta = top.get("meta") or {}
    sys_id, title_zh, title_en = meta.get("id") or "", meta.get("title_zh") or "", \
        meta.get("title_en") or ""
    version = "" if meta.get("version") is None else str(meta["version"])
    status = meta.get("status")
    notice = meta.get("notice") or ""
    if status == "template" and not notice:
        notice = ("TEMPLATE: not the official indicator system; load the official document with "
                  "--system FILE (模板，非官方指标体系)")
    sources = [x for x in top.get("source") or [] if isinstance(x, dict)]
    if len(sources) != len(top.get("source") or []):
        problems.add("[[source]] must be an array of tables", field="source",
                     expected="[[source]] id, title, use, confidence")
    verdict = top.get("verdict") or {}
    pass_score = 60.0 if verdict.get("pass_score") is None else verdict["pass_score"]
    qualified = None
    if verdict.get("qualified_zh") or verdict.get("qualified_en"):
        qualified = (verdict.get("qualified_zh") or "符合评价要求",
                     verdict.get("qualified_en") or "meets the indicator system")

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
        row = f"level1[{i}]"  # indicator-system rows are counted from 1, as the documents do
        if not isinstance(lt, dict):
            problems.add("not a table", row=row, found=lt)
            continue
        lv = validate_into(_LEVEL_PARSE, lt, problems.problems, file=file, where=row, rows=False)
        lid = lv["id"]
        if lid in seen_levels:
            problems.add("duplicate first-level id", row=row, field="id", found=lid,
                         expected=f"an id not already used by {seen_levels[lid]}")
        elif lid:
            seen_levels[lid] = row
        lzh, len_ = lv["name_zh"], lv["name_en"]
        weight = lv["weight"]
        if weight is not None and weight <= 0:
            problems.add("weight is not a positive number", row=row, field="weight",
                         found=weight, expected="a number > 0")
            weight = None
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
                                     basis=lv["basis"] or ""))
    if weights and len(weights) == len(levels_raw) and abs(sum(weights) - 100.0) > 1e-6:
        problems.add("first-level weights do not sum to 100", field="level1.weight",
                     found=f"{sum(weights):g} = " + " + ".join(f"{w:g}" for w in weights),
                     expected="weights summing to 100")
    problems.raise_if_any(title=f"{len(problems.problems)} problem"
                                f"{'s' if len(problems.problems) != 1 else ''} in indicator "
                                f"system {file}")
    by_id = {ind.id: ind for level in levels for ind in level.indicators}
    from carbon_core.programmes import Programme, get_programme

    prog = programme if isinstance(programme, Programme) else (
        get_programme() if programme is None else get_programme(programme))
    gate = load_gate(prog)
    return IndicatorSystem(id=sys_id, title_zh=title_zh, title_en=title_en, version=version,
                           status=str(status), notice=notice, levels=tuple(levels),
                           pass_score=pass_score, eligibility=gate, sources=tuple(sources),
                           programme=prog.name, programme_template=prog.is_template,
                           qualified_names=qualified,
                           path=file, _by_id=by_id)
