"""Result sections and metrics of Scope 3, the ISO 14064-1 view and biogenic CO2.

:func:`scope3_sections` turns the finished line items (the unit of truth) and what
:func:`~carbon_core.scope3.lines.build_scope3` found (screening, data quality) into the results
JSON sections ``scope3`` (extended, still with ``total_tco2e`` and ``by_category``),
``iso14064`` and ``biogenic``, and the ``scope3.*`` metrics for the indicator system.
"""

from __future__ import annotations

import math
from typing import Any

from ..metrics import MetricInfo
from .biogenic import biogenic_section
from .categories import SCOPE3_CATEGORIES
from .dq import DQ_SCALE, aggregate, level_name
from .iso14064 import iso14064_view
from .lines import SCREENING_STATUSES, Scope3Build

__all__ = ["scope3_sections", "SCOPE3_METRICS"]


def _m(name, unit, description, higher=None):
    return name, MetricInfo(name, unit, description, higher, "scope3")


#: Metrics Scope 3 adds to the namespace.
SCOPE3_METRICS: dict[str, MetricInfo] = dict([
    *[_m(f"emissions.scope3.cat{n:02d}_tco2e", "tCO2e",
         f"范围三类别{n} {c.name_zh} Scope 3 category {n}, {c.name_en}", False)
      for n, c in SCOPE3_CATEGORIES.items()],
    _m("scope3.data_quality", "1 (very good) .. 4 (poor)", "范围三数据质量综合评分 Scope 3 data "
       "quality, |emissions|-weighted (Scope 3 Standard Table 7.6; lower is better)", False),
    _m("scope3.categories_relevant", "count", "声明相关的范围三类别数 Scope 3 categories "
       "declared relevant", None),
    _m("scope3.categories_not_assessed", "count", "未评估的范围三类别数 Scope 3 categories not "
       "yet assessed", False),
    _m("scope3.foreign_factor_share", "1", "使用境外因子的范围三排放占比 share of Scope 3 "
       "emissions computed with a factor from outside the factory's country", False),
    _m("emissions.biogenic_co2_t", "tCO2", "生物质CO2(单独报告) biogenic CO2, reported apart "
       "from the scopes", None),
    _m("removals.inside_boundary_tco2", "tCO2", "边界内清除量(单独报告) removals inside the "
       "boundary, never netted", True),
])


#: Lines named before a shared warning; the rest are counted.
_MAX_NAMED = 5


def _named(sources: list[str]) -> str:
    """``"a"``, ``"a, b"``, or ``"a, b, c, d, e and 99,995 more lines"``."""
    head = ", ".join(sources[:_MAX_NAMED])
    more = len(sources) - _MAX_NAMED
    return head if more <= 0 else f"{head} and {more:,} more lines"


def scope3_sections(line_items, build: Scope3Build | None, biogenic: list,
                    removals: list) -> tuple[dict[str, Any], dict[str, float | None]]:
    """(sections, metrics) for the results.

    Parameters
    ----------
    line_items : list of LineItem
        All line items of the result.
    build : Scope3Build or None
    biogenic : list of BiogenicRecord
    removals : list of dict
    """
    build = build or Scope3Build()
    s3 = [li for li in line_items if li.scope == 3]
    quality = {li.id: li.details.get("data_quality", {}) for li in s3}
    cats: list[dict[str, Any]] = []
    metrics: dict[str, float | None] = {}
    warnings = list(build.warnings)
    line_warnings: dict[str, list[str]] = {}  # warning -> the lines it is about, in order
    all_scores, all_w = [], []
    foreign_t = 0.0
    by_number: dict[Any, list] = {}
    for li in s3:
        by_number.setdefault(li.details.get("scope3_category"), []).append(li)
    for n, c in SCOPE3_CATEGORIES.items():
        lis = by_number.get(n, [])
        total = math.fsum(li.emissions_tco2e for li in lis)
        scr = build.screening.get(n)
        if scr is None:
            status = "relevant" if lis else "not_assessed"
            declared = False
        else:
            status, declared = scr["status"], True
        scores = [quality[li.id].get("score") for li in lis if quality[li.id].get("score")]
        weights = [li.emissions_tco2e for li in lis if quality[li.id].get("score")]
        dq = aggregate(scores, weights)
        all_scores += scores
        all_w += weights
        methods: dict[str, float] = {}
        for li in lis:
            m = li.details.get("method", "declared")
            methods[m] = methods.get(m, 0.0) + li.emissions_tco2e
            if quality[li.id].get("warnings"):
                foreign_t += abs(li.emissions_tco2e)
                for w in quality[li.id]["warnings"]:
                    line_warnings.setdefault(w, []).append(li.source)
        cats.append({
            "category": n, "slug": c.slug, "name": f"{c.name_zh} {c.name_en}",
            "stream": c.stream, "iso14064_category": c.iso14064,
            "screening": {"status": status, "label": SCREENING_STATUSES[status],
                          "declared": declared, "reason": scr["reason"] if scr else None},
            "total_tco2e": total, "lines": [li.id for li in lis],
            "by_method_tco2e": methods,
            "data_quality": None if dq is None else {"score": dq, "level": level_name(dq)},
        })
        metrics[f"emissions.scope3.cat{n:02d}_tco2e"] = total if lis else (
            0.0 if status == "not_relevant" else None)
    warnings.extend(_named(sources) + f": {w}" for w, sources in line_warnings.items())
    overall = aggregate(all_scores, all_w)
    s3_total = math.fsum(li.emissions_tco2e for li in s3)
    abs_total = math.fsum(abs(li.emissions_tco2e) for li in s3)
    metrics["scope3.data_quality"] = overall
    metrics["scope3.categories_relevant"] = float(sum(
        c["screening"]["status"] == "relevant" for c in cats))
    metrics["scope3.categories_not_assessed"] = float(sum(
        c["screening"]["status"] == "not_assessed" for c in cats))
    metrics["scope3.foreign_factor_share"] = (foreign_t / abs_total) if abs_total else None
    groups: dict[str, list[float]] = {}
    for li in s3:
        groups.setdefault(str(li.details.get("scope3_category", "other")), []).append(
            li.emissions_tco2e)
    by_category = {k: math.fsum(v) for k, v in groups.items()}
    bio = biogenic_section(biogenic, removals)
    metrics["emissions.biogenic_co2_t"] = bio["co2_t"]
    metrics["removals.inside_boundary_tco2"] = bio["removals"]["total_tco2"]
    sections = {
        "scope3": {
            "total_tco2e": s3_total,
            "by_category": by_category,
            "standard": "GHG Protocol Corporate Value Chain (Scope 3) Standard (WRI/WBCSD 2011); "
                        "Technical Guidance for Calculating Scope 3 Emissions (2013)",
            "categories": cats,
            "data_quality": {
                "score": overall, "level": None if overall is None else level_name(overall),
                "scale": {"min": DQ_SCALE[0], "max": DQ_SCALE[1],
                          "levels": {"1": "very_good", "2": "good", "3": "fair", "4": "poor"}},
                "basis": "mean of the five indicators per line (Scope 3 Standard Table 7.5), "
                         "levels of Table 7.6; categories and overall weighted by |emissions|",
                "lines": {li.source: quality[li.id] for li in s3 if quality[li.id]},
            },
            "warnings": warnings,
            "inventory_form": "[[scope3]] (older form)" if build.legacy_form else "[scope3]",
        },
        "iso14064": iso14064_view(line_items),
        "biogenic": bio,
    }
    return sections, metrics
