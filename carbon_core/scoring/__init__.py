"""Indicator scoring and eligibility against a zero-carbon factory indicator system.

The indicator system and the eligibility gate are data: files of a programme bundle
(:mod:`carbon_core.programmes`, ``docs/indicator-system.md``); a template bundle is replaced by the
programme's official document with ``--system FILE``. The layer reads engine metrics and declared
evidence; it never computes emissions.

Pipeline: :func:`load_system` -> :func:`parse_evidence` -> :func:`check_eligibility` ->
:func:`evaluate` (points, mandatory items, verdict) -> :func:`rank` (择优推荐).

Examples
--------
>>> import datetime
>>> from carbon_core.scoring import evaluate, load_system
>>> system = load_system()
>>> ev = evaluate({"balance.net_tco2e": 0.0}, system=system, as_of=datetime.date(2024, 12, 31))
>>> ev.to_dict()["system"]["template"], ev.verdict
(True, 'ineligible')
"""

from .derived import DERIVED_METRICS, derive_metrics, load_previous
from .evaluate import (
    VERDICTS,
    Evaluation,
    IndicatorResult,
    RankEntry,
    evaluate,
    rank,
)
from .evidence import (
    Eligibility,
    EligibilityCheck,
    EligibilityConfig,
    Evidence,
    FactoryInfo,
    check_eligibility,
    load_gate,
    loads_gate,
    parse_evidence,
)
from .rules import RULES, Rule, register_rule
from .system import (FirstLevel, Indicator, IndicatorSystem, load_system, loads_system,
                     parse_indicator)

__all__ = [
    "load_system",
    "parse_indicator",
    "loads_system",
    "parse_evidence",
    "check_eligibility",
    "evaluate",
    "rank",
    "score_schema",
    "IndicatorSystem",
    "FirstLevel",
    "Indicator",
    "Evidence",
    "FactoryInfo",
    "Eligibility",
    "EligibilityCheck",
    "EligibilityConfig",
    "Evaluation",
    "IndicatorResult",
    "RankEntry",
    "Rule",
    "RULES",
    "register_rule",
    "DERIVED_METRICS",
    "derive_metrics",
    "load_previous",
    "load_gate",
    "loads_gate",
    "VERDICTS",
]


def score_schema() -> dict:
    """The JSON Schema of ``Evaluation.to_dict()`` (``carbon schema score``)."""
    import json
    from importlib import resources

    return json.loads((resources.files("carbon_core") / "schemas" / "score.schema.json")
                      .read_text(encoding="utf-8"))
