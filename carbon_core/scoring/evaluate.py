"""Evaluate a factory against an indicator system, and rank many factories.

:func:`evaluate` takes what the engine produced (a ``Results`` with ``.metrics`` and ``.inventory``)
or a plain mapping of metrics plus declared evidence, so scoring modules can call it without the
engine. It never computes emissions.

How the points add up
---------------------
Each first-level indicator ``L`` carries ``weight_L`` of the 100 points. Inside it, a second-level
indicator ``i`` is worth ``weight_L * points_i / sum(points_j)`` over the *applicable* indicators
``j`` of ``L``, and earns that times its rule's fraction. An optional item whose value is missing
and whose ``when_missing = "not_applicable"`` is removed from that sum, so its points are spread over
the other items of its first-level indicator in proportion to their points; if no item of ``L`` is
applicable, ``L``'s weight is spread over the other first-level indicators in proportion to their
weights. With ``when_missing = "zero"`` (the default) a missing value scores 0. A mandatory item
with a missing value is unmet. Every indicator entry records its status (``scored``, ``missing``,
``not_applicable``) and the inputs it read.

Verdict, in this order: ``ineligible`` (a basic requirement or exclusion failed),
``mandatory_unmet`` (a 必选 item is unmet), ``below_pass_score`` (total below the system's pass
score), else ``qualified``. The total is computed in every case.

Examples
--------
>>> import datetime
>>> ev = evaluate({"balance.net_tco2e": -5.0, "balance.renewable_electricity_share": 0.8},
...               evidence={}, as_of=datetime.date(2024, 12, 31))
>>> ev.verdict, ev.eligibility.eligible
('ineligible', False)
>>> set(ev.mandatory_unmet) <= {i.id for i in ev.system.indicators if i.mandatory}
True
>>> 0.0 <= ev.total_score <= 100.0
True
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from carbon_core.errors import InputError, Problem
from carbon_core.engine import ENGINE_METRICS

from .derived import (DERIVED_METRICS, Previous, check_same_factory, derive_metrics,
                      load_previous)
from .evidence import Eligibility, Evidence, FactoryInfo, check_eligibility, parse_evidence
from .system import Indicator, IndicatorSystem, load_system

__all__ = [
    "IndicatorResult",
    "Evaluation",
    "RankEntry",
    "VERDICTS",
    "SCORE_SCHEMA_ID",
    "evaluate",
    "rank",
]

SCORE_SCHEMA_ID = "carbon_core.score/1"

#: verdict -> (中文, English), in ranking order (best first). A system's ``[verdict]`` table may
#: name the ``qualified`` verdict in its programme's words (``qualified_zh``, ``qualified_en``).
VERDICTS: dict[str, tuple[str, str]] = {
    "qualified": ("符合评价要求", "meets the indicator system"),
    "below_pass_score": ("总分未达到合格分数", "total below the pass score"),
    "mandatory_unmet": ("必选指标未全部满足", "mandatory items unmet"),
    "ineligible": ("不满足基本要求", "basic requirements not met"),
}

_STATUS_ZH = {"scored": "已评分", "missing": "缺数据", "not_applicable": "不适用"}


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile("^" + r"\.".join("[^.]+" if seg == "*" else re.escape(seg).replace(
        r"\*", "[^.]*") for seg in pattern.split(".")) + "$")


def _finite(v: Any) -> bool:
    return (not isinstance(v, bool)) and isinstance(v, (int, float)) and math.isfinite(v)


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower() if isinstance(v, bool) else "missing"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


@dataclass(frozen=True)
class IndicatorResult:
    """One second-level indicator's evaluation.

    Attributes
    ----------
    indicator : Indicator
        The second-level indicator (二级指标) of the system.
    status : {"scored", "missing", "not_applicable"}
        Whether a value was read; a missing optional item with ``when_missing =
        "not_applicable"`` is ``not_applicable``.
    value : float, bool or None
        The value read (in the indicator's ``unit``), None when missing.
    inputs : mapping
        Every value the indicator read, by metric or evidence name (all matches of a
        ``metric_any`` pattern).
    fraction : float
        The rule's share of the points, 0..1 (0 when missing).
    met : bool or None
        Whether the rule's requirement is met (for a 必选 item); False for a missing mandatory
        item, None for a missing optional one.
    points : float
        Points earned, ``max_points * fraction`` [points of 100].
    max_points : float
        Points the item is worth after redistribution, ``weight_L * points_i / sum(points_j)``
        over the applicable items of its first-level indicator, ``weight_L`` rescaled to the
        first-level indicators that have an applicable item [points of 100]; 0 when not
        applicable.
    explanation : str
        How the points came about, in words.
    """

    indicator: Indicator
    status: str
    value: Any
    inputs: Mapping[str, Any]
    fraction: float
    met: bool | None
    points: float
    max_points: float
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """The indicator's entry of the score JSON: indicator, inputs, value, rule, status, points.

        Returns
        -------
        dict
        """
        ind = self.indicator
        return {
            "id": ind.id, "level1": ind.level1, "name_zh": ind.name_zh, "name_en": ind.name_en,
            "kind": ind.kind, "source": {"kind": ind.source_kind, "name": ind.source},
            "inputs": {k: _jsonable(v) for k, v in self.inputs.items()},
            "value": _jsonable(self.value), "unit": ind.unit, "rule": ind.rule.to_dict(),
            "when_missing": ind.when_missing, "status": self.status, "met": self.met,
            "fraction": round(self.fraction, 9), "nominal_points": ind.points,
            "max_points": round(self.max_points, 9), "points": round(self.points, 9),
            "assumption": ind.assumption, "explanation": self.explanation,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (datetime.date,)):
        return v.isoformat()
    return v


@dataclass(frozen=True)
class Evaluation:
    """A factory evaluated against an indicator system. ``to_dict()`` is the score JSON.

    Attributes
    ----------
    system : IndicatorSystem
        The system evaluated against.
    factory : FactoryInfo
        Name, credit code and district of the factory.
    reporting_year : int or None
        The reporting year evaluated.
    inventory : str or None
        The inventory file, when the evaluation started from a computed result.
    as_of : datetime.date
        The day certificates and dated evidence were judged on.
    eligibility : Eligibility
        The basic requirements (基本要求) and exclusions, each check with its reason.
    results : tuple of IndicatorResult
        One per second-level indicator, in the system's order.
    levels : tuple of dict
        One per first-level indicator: ``id``, names, ``weight``, ``effective_weight`` (after
        redistribution) and ``score`` [points].
    previous : Previous or None
        The previous year's results used for the ``yoy.*`` metrics.
    total_score : float
        Sum of the points earned, within 0..100 [points].
    mandatory_unmet : tuple of str
        Ids of the mandatory (必选) items not met.
    verdict : str
        A key of :data:`VERDICTS`.
    notes : tuple of str
        Remarks carried into the score (a template's notice, a missing previous year).
    """

    system: IndicatorSystem
    factory: FactoryInfo
    reporting_year: int | None
    inventory: str | None
    as_of: datetime.date
    eligibility: Eligibility
    results: tuple[IndicatorResult, ...]
    levels: tuple[dict[str, Any], ...]
    previous: Previous | None
    total_score: float
    mandatory_unmet: tuple[str, ...]
    verdict: str
    notes: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        """Whether the factory passes the gate (every basic requirement met, no exclusion)."""
        return self.eligibility.eligible

    def result(self, indicator_id: str) -> IndicatorResult:
        """The entry of one indicator.

        Parameters
        ----------
        indicator_id : str
            A second-level indicator's id, as the system file gives it.

        Returns
        -------
        IndicatorResult

        Raises
        ------
        KeyError
            The system has no indicator of that id.
        """
        for r in self.results:
            if r.indicator.id == indicator_id:
                return r
        raise KeyError(indicator_id)

    def to_dict(self) -> dict[str, Any]:
        """The score JSON: system, factory, eligibility, total score, verdict, levels, indicators.

        Returns
        -------
        dict
        """
        zh, en = self.system.verdict_names().get(self.verdict, VERDICTS[self.verdict])
        return {
            "schema": SCORE_SCHEMA_ID,
            "system": self.system.to_dict(),
            "factory": {"name": self.factory.name, "credit_code": self.factory.credit_code,
                        "district": self.factory.district, "inventory": self.inventory,
                        "reporting_year": self.reporting_year},
            "as_of": self.as_of.isoformat(),
            "eligible": self.eligible,
            "eligibility": self.eligibility.to_dict(),
            "total_score": round(self.total_score, 6),
            "max_score": 100.0,
            "pass_score": self.system.pass_score,
            "mandatory_unmet": list(self.mandatory_unmet),
            "verdict": self.verdict,
            "verdict_zh": zh,
            "verdict_en": en,
            "levels": [dict(level) for level in self.levels],
            "indicators": [r.to_dict() for r in self.results],
            "previous": None if self.previous is None else self.previous.to_dict(),
            "notes": list(self.notes),
        }

    def to_json(self, path=None, *, indent: int = 2) -> str:
        """The score JSON as text, also written to ``path`` when one is given.

        Parameters
        ----------
        path : str or path-like or None
            A file to write (UTF-8, with a final newline); None writes nothing.
        indent : int
            JSON indentation.

        Returns
        -------
        str
        """
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return text


# ------------------------------------------------------------------------------------ evaluate


def _targets_met_share(evidence: Evidence, values: Mapping[str, Any], year: int | None,
                       ) -> tuple[float | None, str]:
    plan = evidence.plan
    if plan is None or year is None:
        return None, "no plan declared" if plan is None else "reporting year unknown"
    directions = {**ENGINE_METRICS, **DERIVED_METRICS}
    targets = [t for t in plan.targets if t.year == year and t.metric]
    judged, met, parts = 0, 0, []
    for t in targets:
        info, v = directions.get(t.metric), values.get(t.metric)
        hib = None if info is None else info.higher_is_better
        if hib is None or v is None or not _finite(v) or t.value is None:
            parts.append(f"{t.metric}: cannot judge")
            continue
        ok = v >= t.value if hib else v <= t.value
        judged += 1
        met += ok
        parts.append(f"{t.metric} {_fmt(v)} vs target {_fmt(t.value)}: {'met' if ok else 'missed'}")
    if judged == 0:
        return None, f"no quantified target for {year} that can be judged" + (
            f" ({'; '.join(parts)})" if parts else "")
    return met / judged, f"{met}/{judged} targets for {year} met: " + "; ".join(parts)


def _read(ind: Indicator, values, evidence, year):
    """(value, inputs, note) for an indicator; value None when missing."""
    if ind.source_kind == "metric":
        v = values.get(ind.source)
        if not _finite(v):
            return None, {ind.source: v}, f"{ind.source} is {_fmt(v)}"
        return float(v), {ind.source: v}, ""
    if ind.source_kind == "metric_any":
        rx = _pattern(ind.source)
        found = {k: v for k, v in values.items() if rx.match(k)}
        usable = {k: float(v) for k, v in sorted(found.items()) if _finite(v)}
        if not usable:
            return None, found, f"no metric matches {ind.source}" if not found else \
                f"every metric matching {ind.source} is missing"
        if len(usable) == 1:
            return next(iter(usable.values())), found, ""
        scored = sorted(usable.items(), key=lambda kv: ind.rule.fraction(kv[1]))
        name, v = scored[0] if ind.combine == "worst" else scored[-1]
        return v, found, f"{ind.combine} of {len(usable)} matches: {name}"
    if ind.source == "plan.targets_met_share":
        v, why = _targets_met_share(evidence, values, year)
        return v, {ind.source: v}, why
    v, why = evidence.value(ind.source)
    return v, {ind.source: v}, why


def _as_results(obj):
    """(metrics, inventory-or-None) from a Results-like object or a mapping."""
    if isinstance(obj, Mapping):
        return obj, None
    metrics = getattr(obj, "metrics", None)
    if not isinstance(metrics, Mapping):
        raise TypeError("evaluate() takes a Results-like object with .metrics, or a mapping of "
                        f"metrics; got {type(obj).__name__}")
    return metrics, getattr(obj, "inventory", None)


def evaluate(results_or_metrics: Any, *, system: IndicatorSystem | str | None = None,
             evidence: Evidence | Mapping[str, Any] | None = None, previous: Any = None,
             as_of: datetime.date | None = None, factory: Any = None,
             reporting_year: int | None = None, programme: Any = None) -> Evaluation:
    """Evaluate one factory.

    Parameters
    ----------
    results_or_metrics : Results or mapping
        The engine's ``Results`` (``.metrics``, ``.inventory`` with ``.raw``, ``.path``,
        ``.reporting_year``, ``.factory``) or a plain mapping ``{metric name: number or None}``.
    system : IndicatorSystem or path, optional
        Default: the default programme's system (labelled as a template in the result).
    evidence : Evidence or mapping, optional
        Parsed evidence or a raw ``[evidence]`` table. Default: the inventory's ``[evidence]``
        (none when scoring a plain mapping: every basic requirement then fails).
    previous : path, mapping or Results, optional
        The previous year's results (a top-level ``"metrics"`` object) for ``yoy.*`` metrics.
    as_of : datetime.date, optional
        The day certificates and dated evidence are judged on. Default: 31 December of the
        reporting year.
    factory : mapping or FactoryInfo, optional
        ``name``, ``credit_code``, ``district``; default the inventory's ``[factory]``.
    reporting_year : int, optional
        Default the inventory's.
    programme : str or Programme, optional
        The programme bundle giving the default system and the eligibility gate; default
        :data:`carbon_core.programmes.DEFAULT_PROGRAMME`.

    Returns
    -------
    Evaluation
        Eligibility, every indicator's points, the total [points of 100] and the verdict; the
        total is computed whatever the verdict.

    Raises
    ------
    InputError
        Malformed evidence or previous results, previous results of another factory (credit
        code) or of a year that is not the year before, a declared qualitative item whose
        name is a near-miss of one the system reads, or no way to fix ``as_of``.
    TypeError
        ``results_or_metrics`` is neither a mapping nor an object with a ``.metrics`` mapping.

    References
    ----------
    The structure it evaluates (basic requirements as a veto gate; first- and second-level
    indicators worth 100 points; mandatory items that must be met and optional items scored
    from 0 to full) is that of GB/T 36132-2018 绿色工厂评价通则, and scoring between a baseline
    value 基准值 and a leading value 引领值 that of GB/T 36132-2025, as the shipped template
    indicator systems cite them in their ``[[source]]`` tables
    (``programmes/<name>/indicators.toml``); the weights, points and thresholds are the
    indicator system's own.
    """
    metrics, inventory = _as_results(results_or_metrics)
    if system is None or not isinstance(system, IndicatorSystem):
        if system is None and programme is None:
            system = _default_system()
        else:
            system = load_system(system, metrics=set(metrics) | set(_default_metric_names()),
                                 programme=programme)
    if inventory is not None:
        reporting_year = reporting_year or getattr(inventory, "reporting_year", None)
        factory = factory if factory is not None else getattr(inventory, "factory", None)
    inv_path = None if inventory is None else str(getattr(inventory, "path", "") or "") or None
    if as_of is None:
        if isinstance(evidence, Evidence):
            as_of = evidence.as_of
        elif reporting_year is not None:
            as_of = datetime.date(int(reporting_year), 12, 31)
        else:
            raise InputError([Problem("evaluate", "cannot tell the date to judge evidence on",
                                      field="as_of",
                                      expected="as_of=date(...) or reporting_year=YYYY")])
    if reporting_year is None:
        reporting_year = as_of.year
    if isinstance(evidence, Evidence):
        if evidence.as_of != as_of:
            evidence = replace(evidence, as_of=as_of)
    else:
        declared: Mapping[str, Any] | None = evidence
        if declared is None and inventory is not None:
            raw = getattr(inventory, "raw", {}) or {}
            declared = raw.get("evidence", {})
        evidence = parse_evidence(declared or {}, file=inv_path or "evidence", as_of=as_of,
                                  gate=system.eligibility)
        _refuse_misspelt_qualitative(system, evidence, inv_path or "evidence")

    prev = load_previous(previous)
    check_same_factory(prev, getattr(factory, "credit_code", None) if factory is not None
                       and not isinstance(factory, Mapping) else
                       (factory or {}).get("credit_code") if isinstance(factory, Mapping) else None)
    notes: list[str] = []
    if system.is_template:
        notes.append(system.notice)
    if prev is not None and prev.reporting_year is not None and reporting_year is not None \
            and prev.reporting_year != reporting_year - 1:
        raise InputError([Problem(prev.source, "previous results are not from the year before",
                                  field="reporting_year", found=prev.reporting_year,
                                  expected=str(reporting_year - 1))])
    if prev is None:
        notes.append("no previous year's results given: yoy.* metrics are missing "
                     "(pass --previous RESULTS.json)")

    values: dict[str, Any] = dict(metrics)
    for k, v in derive_metrics(metrics, None if prev is None else prev.metrics).items():
        if values.get(k) is None:
            values[k] = v

    eligibility = check_eligibility(evidence, factory, as_of, config=system.eligibility)
    return _score(system, values, evidence, reporting_year, eligibility,
                  FactoryInfo.coerce(factory), inv_path, as_of, prev, notes)


def _refuse_misspelt_qualitative(system: IndicatorSystem, evidence: Evidence, file: str) -> None:
    """Refuse a declared ``[evidence.qualitative.<name>]`` that no indicator of ``system`` reads
    but whose name is within one or two letters of one it does read (a misspelling would
    otherwise score the item as not in place, silently).

    Names far from every name read are kept: an inventory may carry evidence for another
    programme's indicator system.

    Raises
    ------
    InputError
        Naming each such item and the name it most likely means.
    """
    from ..schema import MISSPELLING_CUTOFF, suggest

    read = {ind.source.removeprefix("qualitative.") for ind in system.indicators
            if ind.source_kind == "evidence" and ind.source.startswith("qualitative.")}
    problems = []
    for name in evidence.qualitative:
        if name in read:
            continue
        near = suggest(name, read, cutoff=MISSPELLING_CUTOFF)
        if near:
            problems.append(Problem(file, f"no indicator of {system.id!r} reads this item",
                                    row=f"evidence.qualitative.{name}", field=name,
                                    found=name, expected=f"{near!r} (a misspelling?)"))
    if problems:
        raise InputError(problems)


@functools.lru_cache(maxsize=1)
def _default_system() -> IndicatorSystem:
    return load_system()


def _default_metric_names():
    from carbon_core.engine import available_metrics

    return available_metrics()


def _score(system, values, evidence, year, eligibility, factory, inv_path, as_of, prev, notes):
    # 1. read and judge every indicator
    raw = []  # (ind, status, value, inputs, fraction, met, why)
    for level in system.levels:
        for ind in level.indicators:
            v, inputs, why = _read(ind, values, evidence, year)
            if v is not None and ind.rule.value_kind == "number" and not _finite(v):
                why, v = f"{ind.source} is not a number: {v!r}", None
            if v is not None and ind.rule.value_kind == "bool" and not isinstance(v, bool):
                why, v = f"{ind.source} is not true/false: {v!r}", None
            if v is None:
                status = "not_applicable" if ind.when_missing == "not_applicable" else "missing"
                met = False if ind.mandatory else None
                raw.append((ind, status, None, inputs, 0.0, met, why))
            else:
                raw.append((ind, "scored", v, inputs, ind.rule.fraction(v), ind.rule.met(v), why))

    # 2. effective weights with redistribution of not-applicable items
    by_level: dict[str, list] = {level.id: [] for level in system.levels}
    for entry in raw:
        by_level[entry[0].level1].append(entry)
    applicable_pts = {lid: sum(e[0].points for e in es if e[1] != "not_applicable")
                      for lid, es in by_level.items()}
    live_weight = sum(level.weight for level in system.levels if applicable_pts[level.id] > 0)
    results, levels_out, total = [], [], 0.0
    for level in system.levels:
        pts = applicable_pts[level.id]
        eff_w = level.weight * 100.0 / live_weight if pts > 0 and live_weight > 0 else 0.0
        earned_level = 0.0
        for ind, status, v, inputs, frac, met, why in by_level[level.id]:
            max_pts = 0.0 if status == "not_applicable" else eff_w * ind.points / pts
            earned = max_pts * frac
            earned_level += earned
            results.append(IndicatorResult(ind, status, v, inputs, frac, met, earned, max_pts,
                                           _explain(ind, status, v, frac, met, max_pts, earned,
                                                    why)))
        total += earned_level
        levels_out.append({"id": level.id, "name_zh": level.name_zh, "name_en": level.name_en,
                           "weight": level.weight, "effective_weight": round(eff_w, 9),
                           "score": round(earned_level, 9)})
    total = min(100.0, max(0.0, round(total, 9)))
    unmet = tuple(r.indicator.id for r in results if r.indicator.mandatory and not r.met)
    if not eligibility.eligible:
        verdict = "ineligible"
    elif unmet:
        verdict = "mandatory_unmet"
    elif total < system.pass_score:
        verdict = "below_pass_score"
    else:
        verdict = "qualified"
    return Evaluation(system, factory, year, inv_path, as_of, eligibility, tuple(results),
                      tuple(levels_out), prev, total, unmet, verdict, tuple(notes))


def _explain(ind, status, v, frac, met, max_pts, earned, why):
    if status == "not_applicable":
        return f"not applicable ({why}): its points go to the other items of {ind.level1}"
    if status == "missing":
        tail = "mandatory item unmet" if ind.mandatory else "scored 0"
        return f"missing ({why}): {tail}"
    text = f"{_fmt(v)} -> {ind.rule.type}: {frac:.4g} of {max_pts:.4g} = {earned:.4g} points"
    if ind.mandatory:
        text += "; requirement " + ("met" if met else "NOT met")
    if why:
        text += f" [{why}]"
    return text


# ---------------------------------------------------------------------------------------- rank

_ORDER = {v: i for i, v in enumerate(VERDICTS)}


@dataclass(frozen=True)
class RankEntry:
    """One factory's place in a ranking, with the reason.

    Attributes
    ----------
    rank : int
        The place, 1 first; equal verdict and total share a rank (1, 2, 2, 4).
    name : str
        The factory's name (or its inventory, or ``"factory N"``).
    verdict : str
        A key of :data:`VERDICTS`.
    total_score : float
        The total [points of 100].
    reason : str
        Why it stands there: verdict and total, then the failed basic requirements, the unmet
        mandatory items, or the indicators that lost most points.
    score : mapping
        The factory's score document (:meth:`Evaluation.to_dict`).
    """

    rank: int
    name: str
    verdict: str
    total_score: float
    reason: str
    score: Mapping[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The entry as the ranking records it: rank, name, verdict, score, reason, factory.

        Returns
        -------
        dict
        """
        return {"rank": self.rank, "name": self.name, "verdict": self.verdict,
                "total_score": self.total_score, "reason": self.reason,
                "inventory": self.score.get("factory", {}).get("inventory"),
                "credit_code": self.score.get("factory", {}).get("credit_code", "")}


def _reason(d: Mapping[str, Any]) -> str:
    zh, en = d.get("verdict_zh") or VERDICTS[d["verdict"]][0], \
        d.get("verdict_en") or VERDICTS[d["verdict"]][1]
    head = f"{en} ({zh}); {d['total_score']:.2f}/100"
    if d["verdict"] == "ineligible":
        return head + "; failed: " + ", ".join(d["eligibility"]["failed"])
    if d["verdict"] == "mandatory_unmet":
        return head + "; unmet: " + ", ".join(d["mandatory_unmet"])
    lost = sorted(((i["max_points"] - i["points"], i["id"]) for i in d["indicators"]
                   if i["max_points"] - i["points"] > 1e-9), reverse=True)[:3]
    if d["verdict"] == "below_pass_score":
        head += f" < pass score {d['pass_score']:g}"
    if lost:
        head += "; most points lost: " + ", ".join(f"{i} -{p:.2f}" for p, i in lost)
    return head


def rank(evaluations: Iterable[Evaluation | Mapping[str, Any]]) -> list[RankEntry]:
    """Rank factories for a district's recommendation (择优推荐).

    Order: verdict (qualified, below pass score, mandatory unmet, ineligible), then total score
    (higher first), then fewer unmet mandatory items, then fewer failed basic requirements. Equal
    verdict and score share a rank (1, 2, 2, 4). Each entry says why it stands there.

    Parameters
    ----------
    evaluations : iterable of Evaluation or dict
        Evaluations, or score documents (``Evaluation.to_dict()``, ``carbon score --json``).

    Returns
    -------
    list of RankEntry
        Best first.
    """
    docs = [e.to_dict() if isinstance(e, Evaluation) else e for e in evaluations]

    def key(d):
        return (_ORDER[d["verdict"]], -round(d["total_score"], 6), len(d["mandatory_unmet"]),
                len(d["eligibility"]["failed"]), d["factory"].get("name") or "")

    docs.sort(key=key)
    out: list[RankEntry] = []
    prev_key, prev_rank = None, 0
    for i, d in enumerate(docs, start=1):
        k = (d["verdict"], round(d["total_score"], 6))
        r = prev_rank if k == prev_key else i
        prev_key, prev_rank = k, r
        name = d["factory"].get("name") or d["factory"].get("inventory") or f"factory {i}"
        out.append(RankEntry(r, name, d["verdict"], d["total_score"], _reason(d), d))
    return out
