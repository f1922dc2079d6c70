"""Shared test data for the scoring tests: a small indicator system, evidence, fake engine results.

Not a test module (no ``test_`` prefix); imported by the scoring test files.
"""

from __future__ import annotations

import datetime
import pathlib
from dataclasses import dataclass, field

AS_OF = datetime.date(2024, 12, 31)
HEFEI_CODE = "91340100MA2N0K1X3B"     # division 340100 (合肥市)
WUHU_CODE = "91340200MA2N0K1X3B"      # division 340200 (芜湖市)

# A small system whose scores are easy to compute by hand.
#   L1 (weight 60): M1 mandatory 10 pts net <= 0; O1 20 pts RE share linear 0.5 -> 1.0;
#                   O2 30 pts evidence qualitative.platform met.       (points sum = weight)
#   L2 (weight 40): O3 4 pts energy intensity steps (<= 0.5: half, <= 0.2: full);
#                   O4 4 pts sector.*.energy_quota_grade steps, not applicable when missing.
MINI_SYSTEM = """
[meta]
id = "mini"
title_zh = "小体系"
title_en = "mini system"
version = "1"
status = "official"

[verdict]
pass_score = 60

[[level1]]
id = "L1"
name_zh = "一级甲"
name_en = "level one"
weight = 60

[[level1.indicators]]
id = "M1"
name_zh = "净排放为零"
name_en = "net zero"
kind = "mandatory"
points = 10
metric = "balance.net_tco2e"
rule = { type = "threshold", op = "<=", value = 0 }

[[level1.indicators]]
id = "O1"
name_zh = "可再生电力占比"
name_en = "renewable share"
kind = "optional"
points = 20
metric = "balance.renewable_electricity_share"
rule = { type = "linear", baseline = 0.5, leading = 1.0 }

[[level1.indicators]]
id = "O2"
name_zh = "数字化平台"
name_en = "digital platform"
kind = "optional"
points = 30
evidence = "qualitative.platform"
rule = { type = "met" }

[[level1]]
id = "L2"
name_zh = "一级乙"
name_en = "level two"
weight = 40

[[level1.indicators]]
id = "O3"
name_zh = "能耗强度"
name_en = "energy intensity"
kind = "optional"
points = 4
metric = "intensity.tce_per_wan_cny"
rule = { type = "steps", direction = "lower_is_better", steps = [{ at = 0.5, fraction = 0.5 }, { at = 0.2, fraction = 1.0 }] }

[[level1.indicators]]
id = "O4"
name_zh = "能耗限额等级"
name_en = "energy quota grade"
kind = "optional"
points = 4
metric_any = "sector.*.energy_quota_grade"
when_missing = "not_applicable"
rule = { type = "steps", direction = "lower_is_better", steps = [{ at = 2, fraction = 0.5 }, { at = 1, fraction = 1.0 }] }
"""


def good_evidence(**overrides) -> dict:
    """A complete, valid ``[evidence]`` table for a Hefei factory judged on 2024-12-31."""
    d = datetime.date
    ev = {
        "registered_city": "合肥市",
        "certifications": [
            {"standard": s, "number": f"C-{i}", "issuer": "中国质量认证中心",
             "valid_from": d(2022, 1, 1), "valid_until": d(2025, 12, 31)}
            for i, s in enumerate(["ISO 9001:2015", "GB/T 24001-2016", "ISO 45001",
                                   "ISO 50001"])
        ],
        "organisation": {"name": "零碳工作领导小组", "established": d(2023, 3, 1),
                         "head": "总经理"},
        "plan": {"title": "零碳工厂建设方案(2024-2030)", "adopted": d(2023, 6, 1),
                 "targets": [{"year": 2024, "metric": "intensity.tco2e_per_wan_cny",
                              "value": 0.5},
                             {"year": 2024, "metric": "balance.renewable_electricity_share",
                              "value": 0.6},
                             {"year": 2030, "description": "net zero"}]},
        "record": {"period": "2022-2024", "not_in_normal_operation": False,
                   "blacklisted": False, "major_accident": False,
                   "removed_from_lists": {"occurred": False, "note": "绿色工厂 2022"},
                   "inspection_problems": False},
        "qualitative": {"platform": {"in_place": True, "date": d(2023, 9, 1),
                                     "reference": "验收报告 2023-09"}},
    }
    ev.update(overrides)
    return ev


@dataclass
class FakeFactory:
    name: str = "合肥某电器制造有限公司"
    credit_code: str = HEFEI_CODE
    district: str = "经开区"


@dataclass
class FakeInventory:
    raw: dict
    path: pathlib.Path = pathlib.Path("inventory.toml")
    reporting_year: int = 2024
    factory: FakeFactory = field(default_factory=FakeFactory)


@dataclass
class FakeResults:
    """Quacks like carbon_core.results.Results for the scoring layer."""

    metrics: dict
    inventory: FakeInventory

    def to_dict(self):
        return {"metrics": dict(self.metrics), "reporting_year": self.inventory.reporting_year}


def fake_results(metrics, evidence=None, **factory) -> FakeResults:
    raw = {"evidence": good_evidence() if evidence is None else evidence}
    return FakeResults(dict(metrics), FakeInventory(raw, factory=FakeFactory(**factory)))
