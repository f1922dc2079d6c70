"""Data quality of Scope 3 lines: the five indicators of the Scope 3 Standard, scored and aggregated.

Each line is scored on the five data quality indicators of the Scope 3 Standard (Table 7.5) with
the four levels of its sample scoring criteria (Table 7.6): very good, good, fair, poor, as the
numbers 1 (very good) to 4 (poor). Lower is better. The line score is the mean of the five;
a category's score is the mean of its lines weighted by |emissions|, the overall score the same
over all Scope 3 lines (an unweighted mean when every line is zero). The aggregate therefore
always lies in [1, 4].

Two indicators are derived from the factor, not typed in:

- temporal: the years between the factor's data year and the reporting year (Table 7.6: very good
  < 3 years, good < 6, fair < 10, poor >= 10 or unknown);
- geographical: the factor's region against the factory's (same province or grid region: very
  good; the factory's country or another of its provinces: good; another country or ``GLOBAL``:
  fair, and a warning that a foreign factor was used; Table 7.6: same area / similar area /
  different area).

Supplier-specific data describe the supplier's own operations: technological, geographical and
temporal representativeness are those of the supplier (declared), not of a factor.

An indicator neither declared nor derivable is scored *poor*: Table 7.6 puts "unknown" in the
poor level. It is listed in ``not_assessed`` so the default is visible, never silent.

References
----------
WRI/WBCSD, *Corporate Value Chain (Scope 3) Accounting and Reporting Standard*, 2011, §7.3,
Table 7.5 (data quality indicators) and Table 7.6 (sample scoring criteria). The criteria text
above is paraphrased; the thresholds are those of Table 7.6 as quoted in secondary sources
(confidence S).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["INDICATORS", "LEVELS", "LineQuality", "score_line", "aggregate", "DQ_SCALE"]

#: The five indicators (Scope 3 Standard Table 7.5), Chinese and English.
INDICATORS: dict[str, str] = {
    "technological": "技术代表性 technological representativeness",
    "temporal": "时间代表性 temporal representativeness",
    "geographical": "地理代表性 geographical representativeness",
    "completeness": "完整性 completeness",
    "reliability": "可靠性 reliability",
}

#: Levels of Table 7.6 and their scores (lower is better).
LEVELS: dict[str, int] = {"very_good": 1, "good": 2, "fair": 3, "poor": 4}
_NAMES = {v: k for k, v in LEVELS.items()}

#: The scale of every score and aggregate.
DQ_SCALE = (1.0, 4.0)


@dataclass(frozen=True)
class LineQuality:
    """Data quality of one line.

    Attributes
    ----------
    levels : dict
        Indicator -> level name.
    derived : tuple of str
        Indicators derived from the factor (temporal, geographical).
    not_assessed : tuple of str
        Indicators neither declared nor derivable, scored poor (Table 7.6 "unknown").
    warnings : tuple of str
        What the user should know about the scoring (e.g. a declared level the data contradict).
    notes : tuple of str
        Free notes carried into the results JSON.
    """

    levels: dict[str, str]
    derived: tuple[str, ...] = ()
    not_assessed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def score(self) -> float:
        """Mean of the five indicator scores, in [1, 4] (1 very good)."""
        return sum(LEVELS[v] for v in self.levels.values()) / len(self.levels)

    def to_dict(self) -> dict:
        """The line's ``data_quality`` entry of the results JSON: score, levels and their scores."""
        return {"score": self.score, "levels": dict(self.levels),
                "scores": {k: LEVELS[v] for k, v in self.levels.items()},
                "derived": list(self.derived), "not_assessed": list(self.not_assessed),
                "warnings": list(self.warnings), "notes": list(self.notes)}


def temporal_level(data_year: int | None, reporting_year: int) -> str | None:
    """Table 7.6 temporal level from the age of the data; None when the year is unknown.

    Examples
    --------
    >>> temporal_level(2022, 2024), temporal_level(2019, 2024), temporal_level(2012, 2024)
    ('very_good', 'good', 'poor')
    """
    if data_year is None:
        return None
    age = abs(reporting_year - data_year)
    return "very_good" if age < 3 else "good" if age < 6 else "fair" if age < 10 else "poor"


def geographical_level(factor_region: str, factory_regions: tuple[str, ...]) -> str:
    """Table 7.6 geographical level of a factor region for a factory.

    ``factory_regions`` are the factory's own codes, most specific first, e.g.
    ``("CN-AH", "CN-GRID-EAST", "CN")``; the last is its country.

    Examples
    --------
    >>> geographical_level("CN-AH", ("CN-AH", "CN")), geographical_level("CN", ("CN-AH", "CN"))
    ('very_good', 'good')
    >>> geographical_level("CN-JS", ("CN-AH", "CN")), geographical_level("GB", ("CN-AH", "CN"))
    ('good', 'fair')
    """
    country = factory_regions[-1] if factory_regions else ""
    if factor_region in factory_regions[:-1]:
        return "very_good"
    if factor_region == country:
        return "very_good" if len(factory_regions) == 1 else "good"
    if country and factor_region.startswith(country + "-"):
        return "good"  # another province or grid of the same country: a similar area
    return "fair"


def is_foreign(factor_region: str, country: str) -> bool:
    """True if a factor's region lies outside the factory's country (``GLOBAL`` included)."""
    return not (factor_region == country or factor_region.startswith(country + "-"))


def score_line(declared: dict[str, str], *, method: str, factor_years: list[int | None],
               factor_regions: list[str], reporting_year: int,
               factory_regions: tuple[str, ...]) -> LineQuality:
    """Score one line.

    Parameters
    ----------
    declared : dict
        Indicator -> level declared in the inventory (validated names).
    method : str
        The line's calculation method.
    factor_years, factor_regions : list
        Data years and regions of the factors used (empty for supplier-specific data).
    reporting_year : int
    factory_regions : tuple of str
        Most specific first, country last.

    Returns
    -------
    LineQuality
    """
    levels: dict[str, str] = {}
    derived, missing, warnings, notes = [], [], [], []
    country = factory_regions[-1] if factory_regions else ""
    for ind in INDICATORS:
        level = declared.get(ind)
        auto = None
        if ind == "temporal" and factor_years:
            found = [temporal_level(y, reporting_year) for y in factor_years]
            known = [x for x in found if x is not None]
            auto = max(known, key=LEVELS.__getitem__) if len(known) == len(found) else None
        if ind == "geographical" and factor_regions:
            auto = max((geographical_level(r, factory_regions) for r in factor_regions),
                       key=LEVELS.__getitem__)
        if auto is not None:
            derived.append(ind)
            if level is not None and LEVELS[level] < LEVELS[auto]:
                notes.append(f"{ind}: declared {level!r} is better than {auto!r} derived from "
                             "the factor; the derived level is used")
                level = auto
            elif level is None:
                level = auto
        if level is None:
            missing.append(ind)
            level = "poor"
        levels[ind] = level
    for r in sorted(set(factor_regions)):
        if country and is_foreign(r, country):
            warnings.append(f"factor region {r} is outside the factory's country {country}: "
                            "a foreign factor (geographical data quality "
                            f"{levels['geographical']!r})")
    return LineQuality(levels=levels, derived=tuple(derived), not_assessed=tuple(missing),
                       warnings=tuple(warnings), notes=tuple(notes))


def aggregate(scores, weights) -> float | None:
    """|emissions|-weighted mean of line scores; plain mean if all weights are 0; None if empty.

    The result lies within the scale of the scores (a convex combination).

    Parameters
    ----------
    scores : iterable of float
        Line scores in [1, 4] (1 very good).
    weights : iterable of float
        The lines' emissions [tCO2e]; their absolute values weight the mean.

    Returns
    -------
    float or None
        The weighted mean score, or None when there are no lines.

    Examples
    --------
    >>> aggregate([1.0, 3.0], [3.0, 1.0])
    1.5
    >>> aggregate([2.0, 4.0], [0.0, 0.0])
    3.0
    """
    scores = list(scores)
    if not scores:
        return None
    w = [abs(float(x)) for x in weights]
    total = math.fsum(w)
    if total == 0.0 or not math.isfinite(total):
        return math.fsum(scores) / len(scores)
    value = math.fsum(s * x for s, x in zip(scores, w)) / total
    # a convex combination stays within [min, max] up to rounding: clamp the last ulp only
    return min(max(value, min(scores)), max(scores))


def level_name(score: float) -> str:
    """The Table 7.6 level nearest to a score (for display)."""
    return _NAMES[min(4, max(1, int(round(score))))]
