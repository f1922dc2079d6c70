"""Helpers for the register tests: a register with a fixed clock and engine-made score JSONs.

Scores are made by carbon_core.scoring.evaluate from the example factory's computed metrics
(examples/hefei-appliance, computed once per session) with net emissions set to zero and the
evidence dated inside each reporting year, so they are real engine evaluations of a qualifying
factory; an ineligible one declares a major accident in its three-year record.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import tomllib
from pathlib import Path

from carbon_core.register import Register

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hefei-appliance" / "inventory.toml"
CLOCK = dt.datetime(2026, 12, 31, 4, 0, tzinfo=dt.timezone.utc)

# Credit codes of the fictitious enterprises (18 characters, GB 32100 alphabet).
A = "91340100MA2N0K1X3U"
B = "91340100MA2N0K1X4B"
C = "91340100MA2N0K1X5C"
D = "91340100MA2N0K1X6D"
E = "91340100MA2N0K1X7E"
F = "91340100MA2N0K1X8F"

CITY = "city:hefei"
JKQ = "district:经开区"
GXQ = "district:高新区"


@functools.lru_cache(maxsize=1)
def example_results() -> dict:
    import carbon_core

    return carbon_core.compute(EXAMPLE).to_dict()


@functools.lru_cache(maxsize=1)
def _evidence() -> dict:
    inv = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    ev = copy.deepcopy(inv["evidence"])
    for c in ev["certifications"]:
        c["valid_from"], c["valid_until"] = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
    for q in ev["qualitative"].values():
        if q.get("in_place"):
            q["date"] = dt.date(2021, 1, 1)
            q.pop("valid_until", None)
    ev["organisation"]["established"] = dt.date(2020, 1, 1)
    ev["plan"]["adopted"] = dt.date(2020, 1, 1)
    return ev


@functools.lru_cache(maxsize=64)
def _score(code: str, reporting_year: int, district: str, ineligible: bool,
           removed: bool, metrics_extra: tuple = ()) -> dict:
    from carbon_core.scoring import evaluate

    ev = copy.deepcopy(_evidence())
    ev["record"]["period"] = f"{reporting_year - 2}-{reporting_year}"
    if ineligible:
        ev["record"]["major_accident"] = True
    if removed:
        ev["record"]["removed_from_lists"] = {"occurred": True, "note": "revoked"}
    metrics = dict(example_results()["metrics"])
    metrics["balance.net_tco2e"] = 0.0
    metrics.update(dict(metrics_extra))
    return evaluate(metrics, evidence=ev, reporting_year=reporting_year,
                    factory={"name": f"企业 {code[-4:]}", "credit_code": code,
                             "district": district}).to_dict()


def score_for(code: str, reporting_year: int, *, district: str = "经开区",
              ineligible: bool = False, removed: bool = False, **metrics) -> dict:
    """A score JSON (dict) of a qualifying (or ineligible) factory; ``metrics`` override the
    example's (``renewable=0.9`` sets balance.renewable_electricity_share)."""
    extra = tuple(sorted(("balance.renewable_electricity_share" if k == "renewable" else k, v)
                         for k, v in metrics.items()))
    return copy.deepcopy(_score(code, reporting_year, district, ineligible, removed, extra))


def to_notice(reg: Register, codes, *, district: str = "经开区", year: int = 2024,
              start: dt.date | None = None, experts=("x1",), districts=None) -> dt.date:
    """Walk ``codes`` (one or several, in step) from the application to an open notice.

    Returns the notice date (start + 8 days)."""
    codes = [codes] if isinstance(codes, str) else list(codes)
    districts = districts or {c: district for c in codes}
    d = start or dt.date(year, 1, 8)
    step = dt.timedelta(days=1)
    for c in codes:
        reg.apply(f"enterprise:{c}", name=f"企业 {c[-4:]}", district=districts[c],
                  sector="appliances", on=d)
    for c in codes:
        reg.approve(f"district:{districts[c]}", c, on=d + step)
    for c in codes:
        reg.submit(f"enterprise:{c}", score=score_for(c, year - 1, district=districts[c]),
                   on=d + 2 * step)
    for c in codes:
        reg.district_review(f"district:{districts[c]}", c, passed=True, opinion="材料齐全",
                            on=d + 3 * step)
    for dist in sorted(set(districts.values())):
        reg.recommend(f"district:{dist}", [c for c in codes if districts[c] == dist],
                      on=d + 4 * step)
    for c in codes:
        reg.assign(CITY, c, list(experts), on=d + 5 * step)
    for c in codes:
        for x in experts:
            reg.expert_review(f"expert:{x}", c, score=85, opinion="符合", on=d + 6 * step)
    for c in codes:
        reg.city_review(CITY, c, passed=True, on=d + 7 * step)
    reg.notice(CITY, codes, on=d + 8 * step)
    return d + 8 * step
