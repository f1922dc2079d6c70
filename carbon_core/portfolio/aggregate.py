"""The city aggregate of a portfolio run: totals, intensities and the balance by district and by
sector, the distribution of scores, the ranking across the city, progress toward the goal.

All sums are exact (``math.fsum``) over the per-factory documents, so the aggregate does not
depend on the order in which workers finished. :func:`aggregate` returns a plain dict (the JSON
of ``carbon portfolio``); report writers (HTML, PDF) take the same dict.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from .manifest import Manifest
from .run import PortfolioRun
from .worker import FactoryOutcome

__all__ = ["aggregate", "SCHEMA"]

SCHEMA = "carbon_core.portfolio-result/1"

#: Per-factory quantities summed into every group: name -> path in the results document.
_SUMS: dict[str, tuple[str, ...]] = {
    "scope1_tco2e": ("scope1", "total_tco2e"),
    "scope2_location_tco2e": ("scope2", "location_based_tco2e"),
    "scope2_market_tco2e": ("scope2", "market_based_tco2e"),
    "scope3_tco2e": ("scope3", "total_tco2e"),
    "total_tco2e": ("total_tco2e",),
    "energy_tce": ("energy", "total_tce"),
    "value_added_wan_cny": ("production", "value_added_wan_cny"),
    "gross_tco2e": ("balance", "gross_tco2e"),
    "green_electricity_tco2e": ("balance", "green_electricity_tco2e"),
    "certificates_tco2e": ("balance", "certificates_tco2e"),
    "offsets_tco2e": ("balance", "offsets_tco2e"),
    "net_tco2e": ("balance", "net_tco2e"),
}

#: Score histogram bins [points], closed on the left.
_BINS = (0, 20, 40, 60, 70, 80, 90, 100.000001)


def _get(doc: dict, path: tuple[str, ...]):
    for k in path:
        if not isinstance(doc, dict) or doc.get(k) is None:
            return None
        doc = doc[k]
    return doc


def _group(outcomes) -> dict[str, Any]:
    out: dict[str, Any] = {"factories": len(outcomes)}
    for name, path in _SUMS.items():
        vals = [v for o in outcomes if (v := _get(o.results, path)) is not None]
        out[name] = math.fsum(vals) if vals else None
    va, tce = out["value_added_wan_cny"], out["energy_tce"]
    out["intensities"] = {
        "tco2e_per_wan_cny": out["total_tco2e"] / va if va else None,
        "tce_per_wan_cny": tce / va if va and tce is not None else None,
        "net_tco2e_per_wan_cny": out["net_tco2e"] / va if va and out["net_tco2e"] is not None
        else None,
    }
    return out


def _by(outcomes, label) -> dict[str, Any]:
    groups: dict[str, list] = {}
    for o in outcomes:
        groups.setdefault(label(o) or "—", []).append(o)
    return {k: _group(v) for k, v in sorted(groups.items())}


def _scores(outcomes) -> dict[str, Any]:
    scores = [o.score["total_score"] for o in outcomes]
    verdicts: dict[str, int] = {}
    for o in outcomes:
        verdicts[o.score["verdict"]] = verdicts.get(o.score["verdict"], 0) + 1
    hist = [{"from": lo, "to": min(hi, 100.0),
             "factories": sum(lo <= s < hi for s in scores)} for lo, hi in zip(_BINS, _BINS[1:])]
    return {"count": len(scores),
            "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "min": min(scores) if scores else None, "max": max(scores) if scores else None,
            "histogram": hist, "verdicts": dict(sorted(verdicts.items()))}


def _ranking(outcomes) -> list[dict]:
    from ..scoring.evaluate import rank

    name_of = {id(o.score): o.name for o in outcomes}
    out = []
    for e in rank([o.score for o in outcomes]):
        d = e.to_dict()
        d["portfolio_name"] = name_of.get(id(e.score))
        out.append(d)
    return out


def _goal(manifest: Manifest, city: dict, scores: dict) -> dict[str, Any]:
    goal = manifest.goal
    out: dict[str, Any] = {}
    if "demonstration_factories" in goal:
        target = goal["demonstration_factories"]
        have = scores["verdicts"].get("qualified", 0)
        out["demonstration_factories"] = {"target": target, "achieved": have,
                                          "share": have / target if target else None}
    if "net_tco2e" in goal:
        target, net = goal["net_tco2e"], city["net_tco2e"]
        out["net_tco2e"] = {"target_at_most": target, "achieved": net,
                            "met": None if net is None else net <= target,
                            "gap_tco2e": None if net is None else max(0.0, net - target)}
    return out


def _row(o: FactoryOutcome) -> dict[str, Any]:
    """One factory's line of the portfolio: its outcome and headline numbers (None if failed)."""
    res, score = (o.results or {}), (o.score or {})
    ok = o.ok and o.results is not None and o.score is not None
    return {**o.to_dict(),
            "total_tco2e": _get(res, ("total_tco2e",)) if ok else None,
            "net_tco2e": _get(res, ("balance", "net_tco2e")) if ok else None,
            "total_score": score.get("total_score") if ok else None,
            "verdict": score.get("verdict") if ok else None}


def aggregate(run: PortfolioRun, manifest: Manifest) -> dict[str, Any]:
    """The portfolio result document: one dict, plain JSON types.

    Failed factories are listed by name with their reason and counted; they contribute to no
    sum, and ``complete`` says whether every factory of the manifest was computed.
    ``run.timeout`` is the message of the timeout that ended the run early (the cluster had no
    worker, or no factory finished), None otherwise.

    Parameters
    ----------
    run : PortfolioRun
        The outcome of every factory (:func:`~carbon_core.portfolio.run.run_portfolio` or
        :func:`~carbon_core.portfolio.run.run_serial`).
    manifest : Manifest
        The manifest that was run: its name and its goal.

    Returns
    -------
    dict
        Schema :data:`SCHEMA`: ``city`` (sums [tCO2e], energy [tce], value added [万元 CNY]
        and intensities [tCO2e/万元], [tce/万元] of the computed factories), the same by
        ``by_district`` and ``by_sector``, ``scores`` (count, mean, median, extremes
        [points], a histogram and the verdicts), ``ranking``
        (:func:`carbon_core.scoring.evaluate.rank`), ``goal`` (progress toward the manifest's
        goal), ``per_factory`` (one line each, failed ones included), ``failed`` and
        ``complete``.
    """
    ok = run.computed
    city = _group(ok)
    scores = _scores(ok)
    return {
        "schema": SCHEMA,
        "name": manifest.name,
        "factories": len(run.outcomes),
        "computed": len(ok),
        "failed": [{"name": o.name, "kind": o.kind, "error": o.error} for o in run.failed],
        "complete": not run.failed,
        "factor_edition_sha256": run.factor_digest,
        "run": {"mode": run.mode, "workers": run.workers, "seconds": run.seconds,
                "timeout": run.info.get("timeout")},
        "city": city,
        "by_district": _by(ok, lambda o: o.district),
        "by_sector": _by(ok, lambda o: o.sector),
        "scores": scores,
        "ranking": _ranking(ok),
        "goal": _goal(manifest, city, scores),
        "per_factory": [_row(o) for o in run.outcomes],
    }
