"""Hand-computed evaluations of a small system, the template, the JSON schema, and ranking."""

import datetime
import json

import jsonschema
import pytest
from scoring_fakes import AS_OF, MINI_SYSTEM, fake_results, good_evidence

from carbon_core.errors import InputError
from carbon_core.scoring import evaluate, loads_system, rank, score_schema

MINI = loads_system(MINI_SYSTEM, file="mini.toml")
SCHEMA = score_schema()

# Factory A by hand (MINI, see scoring_fakes):
#   L1 points sum 60 = weight, so points are literal.
#     M1 net -1 <= 0: 10;  O1 share 0.8: (0.8-0.5)/0.5 = 0.6 * 20 = 12;  O2 platform: 30  -> 52
#   L2: O4 has no sector metric -> not applicable; O3 takes all 40 points:
#     O3 0.3 tce/万元 <= 0.5 -> half: 20                                           -> 20
#   total 72 -> qualified (pass 60)
A = {"balance.net_tco2e": -1.0, "balance.renewable_electricity_share": 0.8,
     "intensity.tce_per_wan_cny": 0.3}


def ev(metrics, evidence=None, **kw):
    return evaluate(metrics, system=MINI, evidence=good_evidence() if evidence is None else
                    evidence, factory={"name": kw.pop("name", "A"),
                                       "credit_code": "91340100MA2N0K1X3B"}, as_of=AS_OF, **kw)


def test_factory_a_by_hand():
    e = ev(A)
    pts = {r.indicator.id: (r.points, r.max_points, r.status) for r in e.results}
    assert pts["M1"] == pytest.approx((10, 10, "scored"))
    assert pts["O1"][:2] == pytest.approx((12, 20))
    assert pts["O2"][:2] == pytest.approx((30, 30))
    assert pts["O3"][:2] == pytest.approx((20, 40))
    assert pts["O4"] == (0.0, 0.0, "not_applicable")
    assert e.total_score == pytest.approx(72.0)
    assert e.verdict == "qualified" and e.mandatory_unmet == ()
    assert [lv["score"] for lv in e.levels] == pytest.approx([52, 20])
    jsonschema.validate(e.to_dict(), SCHEMA)


def test_high_score_but_one_mandatory_item_unmet():
    # net +5 tCO2e: M1 unmet (0 points); everything else full:
    # L1 0 + 20 + 30 = 50; L2 O3 0.1 <= 0.2 -> 40; O4 grades 1 and 1 -> (40*4/8)*1 each
    m = {"balance.net_tco2e": 5.0, "balance.renewable_electricity_share": 1.0,
         "intensity.tce_per_wan_cny": 0.1, "sector.a.energy_quota_grade": 1,
         "sector.b.energy_quota_grade": 1}
    e = ev(m)
    assert e.total_score == pytest.approx(90.0)
    assert e.mandatory_unmet == ("M1",)
    assert e.verdict == "mandatory_unmet"
    d = e.to_dict()
    assert d["mandatory_unmet"] == ["M1"] and d["total_score"] == 90.0
    m1 = next(i for i in d["indicators"] if i["id"] == "M1")
    assert m1["met"] is False and m1["inputs"] == {"balance.net_tco2e": 5.0}
    assert "<= 0" in m1["rule"]["text"]


def test_missing_mandatory_metric_is_never_met():
    for value in (None, float("nan"), "0", True):
        e = ev({**A, "balance.net_tco2e": value})
        r = e.result("M1")
        assert r.status == "missing" and r.met is False and r.points == 0
        assert e.mandatory_unmet == ("M1",)
    e = ev({k: v for k, v in A.items() if k != "balance.net_tco2e"})
    assert e.mandatory_unmet == ("M1",)


def test_metric_any_takes_the_worst_match_and_records_inputs():
    # grades 1 and 2: worst = 2 -> half. L2: O3 half of 20, O4 half of 20 -> 20
    e = ev({**A, "sector.steel.energy_quota_grade": 1.0,
            "sector.appliances.energy_quota_grade": 2.0, "sector.steel.other": 9.0})
    r = e.result("O4")
    assert r.status == "scored" and r.value == 2.0 and r.fraction == 0.5
    assert set(r.inputs) == {"sector.steel.energy_quota_grade",
                             "sector.appliances.energy_quota_grade"}
    assert "sector.appliances.energy_quota_grade" in r.explanation
    assert e.total_score == pytest.approx(52 + 10 + 10)


def test_missing_optional_scores_zero_by_default():
    e = ev({k: v for k, v in A.items() if k != "balance.renewable_electricity_share"})
    r = e.result("O1")
    assert r.status == "missing" and r.points == 0 and r.max_points == 20 and r.met is None
    assert e.total_score == pytest.approx(60.0)


def test_level_with_nothing_applicable_gives_its_weight_to_the_others():
    text = MINI_SYSTEM.replace('metric = "intensity.tce_per_wan_cny"',
                               'metric = "intensity.tce_per_wan_cny"\n'
                               'when_missing = "not_applicable"')
    system = loads_system(text)
    m = {k: v for k, v in A.items() if k != "intensity.tce_per_wan_cny"}
    e = evaluate(m, system=system, evidence=good_evidence(), as_of=AS_OF,
                 factory={"credit_code": "91340100MA2N0K1X3B"})
    # L2 not applicable: L1 is worth 100; its items scale by 100/60: 10 + 12 + 30 = 52 -> 86.67
    assert e.levels[0]["effective_weight"] == pytest.approx(100.0)
    assert e.levels[1]["effective_weight"] == 0.0
    assert e.total_score == pytest.approx(52 * 100 / 60)


def test_ineligible_verdict_still_scores():
    raw = good_evidence()
    del raw["organisation"]
    e = ev(A, evidence=raw)
    assert e.verdict == "ineligible" and e.total_score == pytest.approx(72.0)
    assert e.to_dict()["eligibility"]["failed"] == ["organisation"]


def test_below_pass_score():
    e = ev({**A, "balance.renewable_electricity_share": 0.1, "intensity.tce_per_wan_cny": 0.9},
           evidence=good_evidence(qualitative={}))
    # 10 + 0 + 0 (platform not declared) + 0 = 10
    assert e.total_score == pytest.approx(10.0) and e.verdict == "below_pass_score"
    assert e.result("O2").status == "missing"


# ------------------------------------------------------------------------ the template system


def template_metrics(**kw):
    m = {"balance.net_tco2e": -10.0, "balance.renewable_electricity_share": 0.65,
         "balance.offset_share": 0.4, "intensity.tce_per_wan_cny": 0.3,
         "intensity.tco2e_per_wan_cny": 0.45, "electricity.onsite_renewable_mwh": 1200.0,
         "electricity.consumed_mwh": 10000.0, "emissions.scope1_tco2e": 300.0,
         "emissions.scope2_market_tco2e": 100.0, "energy.total_tce_equivalent": 2000.0}
    m.update(kw)
    return m


def template_evidence():
    q = {name: {"in_place": True, "reference": "ref", "date": datetime.date(2024, 3, 1)}
         for name in ["ghg_inventory_verified", "energy_metering_gb17167",
                      "carbon_data_quality_plan", "product_carbon_footprint",
                      "green_supply_chain", "digital_energy_carbon_platform",
                      "online_energy_monitoring", "disclosure_report"]}
    return good_evidence(qualitative=q)


def test_template_by_hand_with_previous_year():
    res = fake_results(template_metrics(), evidence=template_evidence())
    prev = {"metrics": {"intensity.tco2e_per_wan_cny": 0.5, "intensity.tce_per_wan_cny": 0.32},
            "reporting_year": 2023}
    e = evaluate(res, previous=prev)
    d = e.to_dict()
    jsonschema.validate(d, SCHEMA)
    assert d["system"]["template"] is True and "TEMPLATE" in d["notes"][0]
    assert d["factory"]["name"] == "合肥某电器制造有限公司" and d["as_of"] == "2024-12-31"
    pts = {i["id"]: i["points"] for i in d["indicators"]}
    # A: all evidence met: 15
    assert pts["A1"] + pts["A2"] + pts["A3"] == pytest.approx(15)
    # B (C5 n/a does not touch B): B1 (0.65-0.3)/0.7 = 0.5 * 12 = 6; B2 share 0.12 >= 0.10 ->
    # 0.7 * 5 = 3.5; B3 (300+100)/2000 = 0.2 <= 0.20 -> 8
    assert (pts["B1"], pts["B2"], pts["B3"]) == pytest.approx((6, 3.5, 8))
    # C: C5 not applicable (no sector plugin): C1..C4 share 20 over 17 nominal points
    # C1 (0.5-0.3)/0.4 = 0.5; C2 (1-0.45)/0.8 = 0.6875; C3 yoy 1-0.45/0.5 = 0.10 -> full;
    # C4 yoy 1-0.3/0.32 = 0.0625 >= 0.05 -> full
    k = 20 / 17
    assert (pts["C1"], pts["C2"], pts["C3"], pts["C4"], pts["C5"]) == pytest.approx(
        (5 * k * 0.5, 5 * k * 0.6875, 4 * k, 3 * k, 0))
    # F: F1 8; F2 (0.6-0.4)/0.4 = 0.5 * 5 = 2.5; F3 4; F4 targets for 2024:
    # intensity 0.45 <= 0.5 met, RE share 0.65 >= 0.6 met -> 1.0 * 3
    assert (pts["F1"], pts["F2"], pts["F3"], pts["F4"]) == pytest.approx((8, 2.5, 4, 3))
    expected = 15 + 17.5 + k * (2.5 + 5 * 0.6875 + 7) + 10 + 10 + 17.5
    assert d["total_score"] == pytest.approx(expected, abs=1e-6)
    assert d["verdict"] == "qualified" and d["eligible"]
    assert d["previous"] == {"source": "<mapping>", "reporting_year": 2023}


def test_template_without_previous_year_yoy_missing():
    e = evaluate(fake_results(template_metrics(), evidence=template_evidence()))
    assert e.result("C3").status == "missing" and e.result("C3").points == 0
    assert any("--previous" in n for n in e.notes)


def test_previous_from_wrong_year_is_refused(tmp_path):
    p = tmp_path / "prev.json"
    p.write_text(json.dumps({"metrics": {}, "reporting_year": 2022}), encoding="utf-8")
    with pytest.raises(InputError, match="not from the year before"):
        evaluate(fake_results(template_metrics()), previous=p)
    p.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="no top-level 'metrics'"):
        evaluate(fake_results(template_metrics()), previous=p)


def test_plain_mapping_needs_a_date():
    with pytest.raises(InputError, match="as_of"):
        evaluate({"balance.net_tco2e": 0.0})
    assert evaluate({"balance.net_tco2e": 0.0}, reporting_year=2024).as_of == AS_OF


def test_system_given_as_path(tmp_path):
    p = tmp_path / "mini.toml"
    p.write_text(MINI_SYSTEM, encoding="utf-8")
    e = evaluate(A, system=p, evidence=good_evidence(), as_of=AS_OF,
                 factory={"credit_code": "91340100MA2N0K1X3B"})
    assert e.total_score == pytest.approx(72.0) and e.system.path == str(p)


# -------------------------------------------------------------------------------------- rank


def test_rank_orders_by_verdict_then_score_and_explains():
    a = ev(A, name="A")                                                     # qualified 72
    b = ev({**A, "balance.renewable_electricity_share": 1.0}, name="B")     # qualified 80
    c = ev({**A, "balance.net_tco2e": 3.0, "balance.renewable_electricity_share": 1.0,
            "intensity.tce_per_wan_cny": 0.1}, name="C")                    # 90, M1 unmet
    raw = good_evidence()
    raw["certifications"] = raw["certifications"][:3]
    d = ev({**A, "balance.renewable_electricity_share": 1.0}, evidence=raw, name="D")
    e2 = ev(A, name="A2")                                                   # ties with A
    low = ev({**A, "balance.renewable_electricity_share": 0.1, "intensity.tce_per_wan_cny": 0.9},
             evidence=good_evidence(qualitative={}), name="L")              # 10, below pass
    entries = rank([a, c, d, b, e2.to_dict(), low])
    assert [(x.rank, x.name) for x in entries] == [(1, "B"), (2, "A"), (2, "A2"), (4, "L"),
                                                   (5, "C"), (6, "D")]
    reasons = {x.name: x.reason for x in entries}
    assert "most points lost: O3 -20.00" in reasons["A"]
    assert "unmet: M1" in reasons["C"] and "90.00/100" in reasons["C"]
    assert "failed: certification.iso50001" in reasons["D"]
    assert "< pass score 60" in reasons["L"]
    assert entries[0].to_dict()["rank"] == 1
