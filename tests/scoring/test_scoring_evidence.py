"""Evidence parsing and the eligibility gate: each basic requirement and exclusion named."""

import datetime

import pytest
from scoring_fakes import AS_OF, HEFEI_CODE, WUHU_CODE, good_evidence

from carbon_core.errors import InputError
from carbon_core.scoring import FactoryInfo, check_eligibility, load_gate, loads_gate, parse_evidence
from carbon_core.scoring.evidence import normalise_standard

D = datetime.date
HEFEI = FactoryInfo("f", HEFEI_CODE, "经开区")
# The Hefei template's gate is data now (programmes/hefei-template/eligibility.toml): its
# exclusions by id -> (中文, English), read from the bundle rather than from a constant of the core.
EXCLUSIONS = {e.id: (e.name_zh, e.name_en) for e in load_gate("hefei-template").exclusions}


def gate(raw, factory=HEFEI, as_of=AS_OF):
    return check_eligibility(parse_evidence(raw, file="inv.toml", as_of=as_of), factory)


def test_complete_evidence_is_eligible():
    el = gate(good_evidence())
    assert el.eligible and el.failed == []
    assert len(el.checks) == 3 + 4 + 5
    assert {c.id for c in el.checks} >= {"legal_entity_in_city", "organisation", "plan",
                                         "certification.iso50001", "exclusion.major_accident"}


def test_chinese_standard_numbers_count_as_iso():
    # good_evidence declares ISO 14001 as GB/T 24001-2016
    ev = parse_evidence(good_evidence(), file="x", as_of=AS_OF)
    assert ev.certificate("ISO 14001")[0]
    assert normalise_standard("GB/T 19001-2016") == "ISO 9001"
    assert normalise_standard("GB/T 45001-2020") == "ISO 45001"


@pytest.mark.parametrize("valid_until,as_of,ok", [
    (D(2024, 12, 31), D(2024, 12, 31), True),     # valid on its last day
    (D(2024, 12, 30), D(2024, 12, 31), False),    # expired the day before: counts as absent
    (D(2025, 6, 30), D(2024, 12, 31), True),
])
def test_expired_certificate_counts_as_absent(valid_until, as_of, ok):
    raw = good_evidence()
    raw["certifications"][3]["valid_until"] = valid_until      # ISO 50001
    el = gate(raw, as_of=as_of)
    assert el.eligible is ok
    check = next(c for c in el.checks if c.id == "certification.iso50001")
    assert check.passed is ok
    if not ok:
        assert "expired 2024-12-30" in check.detail and el.failed == ["certification.iso50001"]


def test_certificate_not_yet_valid():
    raw = good_evidence()
    raw["certifications"][0]["valid_from"] = D(2025, 1, 1)
    raw["certifications"][0]["valid_until"] = D(2028, 1, 1)
    el = gate(raw)
    assert el.failed == ["certification.iso9001"]
    assert "not valid before 2025-01-01" in el.checks[3].detail


def test_an_expired_and_a_valid_certificate_of_the_same_standard():
    raw = good_evidence()
    old = dict(raw["certifications"][0], number="OLD", valid_until=D(2021, 12, 31),
               valid_from=D(2018, 1, 1))
    raw["certifications"].append(old)
    assert gate(raw).eligible


@pytest.mark.parametrize("drop,failed", [
    ("organisation", "organisation"),
    ("plan", "plan"),
    ("record", None),
])
def test_missing_declaration_fails_its_check(drop, failed):
    raw = good_evidence()
    del raw[drop]
    el = gate(raw)
    if failed:
        assert el.failed == [failed]
    else:
        assert el.failed == ["exclusion." + k for k in EXCLUSIONS]
        assert all("not declared" in c.detail for c in el.checks if not c.passed)


def test_plan_without_annual_targets_fails():
    raw = good_evidence()
    raw["plan"]["targets"] = []
    el = gate(raw)
    assert el.failed == ["plan"] and "no annual targets" in el.checks[2].detail


def test_organisation_established_after_as_of_fails():
    raw = good_evidence()
    raw["organisation"]["established"] = D(2025, 2, 1)
    assert gate(raw).failed == ["organisation"]


@pytest.mark.parametrize("key", list(EXCLUSIONS))
def test_each_exclusion_is_named(key):
    raw = good_evidence()
    raw["record"][key] = {"occurred": True, "note": "see notice", "date": D(2023, 5, 1)}
    el = gate(raw)
    assert el.failed == ["exclusion." + key]
    check = next(c for c in el.checks if c.id == "exclusion." + key)
    assert "2023-05-01" in check.detail and "see notice" in check.detail
    assert EXCLUSIONS[key][0] in check.name_zh


@pytest.mark.parametrize("code,city,ok", [
    (HEFEI_CODE, "", True),              # credit code division 340100
    (WUHU_CODE, "", False),              # 340200: Wuhu
    (WUHU_CODE, "合肥市", True),          # registered city declared (e.g. code of another authority)
    ("", "Hefei, Anhui", True),
    ("", "", False),
    ("91340000MA2N0K1X3B", "芜湖市", False),  # provincial authority code, city elsewhere
])
def test_legal_entity_in_hefei(code, city, ok):
    raw = good_evidence(registered_city=city)
    el = gate(raw, factory={"name": "f", "credit_code": code})
    assert el.eligible is ok
    if not ok:
        assert el.failed == ["legal_entity_in_city"]


WUHU_GATE = """
schema = "carbon_core.eligibility/1"
[[requirements]]
id = "legal_entity_in_city"
check = "registered_in"
name_zh = "在芜湖市注册的独立法人"
name_en = "legal entity registered in Wuhu"
division_prefix = "3402"
names = ["芜湖", "Wuhu"]
"""


def test_other_city_configuration():
    cfg = loads_gate(WUHU_GATE, file="wuhu.toml")
    ev = parse_evidence(good_evidence(registered_city=""), file="x", as_of=AS_OF)
    assert check_eligibility(ev, {"credit_code": WUHU_CODE}, config=cfg).eligible
    assert not check_eligibility(ev, {"credit_code": HEFEI_CODE}, config=cfg).eligible


def test_as_of_argument_overrides():
    ev = parse_evidence(good_evidence(), file="x", as_of=AS_OF)
    el = check_eligibility(ev, HEFEI, D(2026, 1, 1))
    # judged in 2026 the declared record period 2022-2024 no longer covers 2025 (issue 9:
    # the declared period must cover the three-year window, carbon_core.scoring.evidence_dates)
    assert [k for k in el.failed if not k.startswith("exclusion.")] == [
        "certification.iso9001", "certification.iso14001", "certification.iso45001",
        "certification.iso50001"]
    assert all("does not cover the window" in c.detail for c in el.checks
               if c.id.startswith("exclusion.") and not c.passed)


def test_empty_evidence_fails_every_requirement_but_parses():
    el = gate({}, factory=None)
    assert not el.eligible and len(el.failed) == len(el.checks)


def test_qualitative_values():
    raw = good_evidence(qualitative={
        "a": {"in_place": True, "reference": "r", "date": D(2024, 1, 1)},
        "b": {"in_place": False},
        "c": {"in_place": True, "reference": "r", "date": D(2025, 3, 1)},
        "d": {"in_place": True, "reference": "r", "valid_until": D(2024, 6, 30)},
    })
    ev = parse_evidence(raw, file="x", as_of=AS_OF)
    assert ev.value("qualitative.a")[0] is True
    assert ev.value("qualitative.b")[0] is False
    assert ev.value("qualitative.c")[0] is False     # not yet in place on as_of
    assert ev.value("qualitative.d")[0] is False     # expired
    assert ev.value("qualitative.zzz")[0] is None    # not declared
    assert ev.value("record.clean")[0] is True


def test_every_malformed_entry_reported_at_once():
    raw = good_evidence()
    raw["certifications"][0]["standard"] = "ISO 27001"
    raw["certifications"][1]["valid_until"] = "31/12/2025"
    raw["certifications"][2]["valid_until"] = D(2020, 1, 1)          # before valid_from
    del raw["certifications"][3]["issuer"]
    raw["organisation"]["established"] = "soon"
    raw["plan"]["targets"].append({"year": "2025", "value": 1})
    raw["plan"]["targets"].append({"year": 2025, "metric": "x"})
    raw["record"]["major_accident"] = "no"
    raw["qualitative"]["platform"] = {"in_place": True}                # no reference
    raw["qualitative"]["Bad-Name"] = {"in_place": False}
    raw["extra"] = 1
    with pytest.raises(InputError) as info:
        parse_evidence(raw, file="inv.toml", as_of=AS_OF)
    got = {(p.row, p.field) for p in info.value.problems}
    assert got >= {
        # rows are numbered from 0, as everywhere else in the inventory (meters[0]...)
        ("evidence.certifications[0]", "standard"),
        ("evidence.certifications[1]", "valid_until"),
        ("evidence.certifications[2]", "valid_until"),
        ("evidence.certifications[3]", "issuer"),
        ("evidence.organisation", "established"),
        ("evidence.plan.targets[3]", "year"),
        ("evidence.plan.targets[4]", "value"),
        ("evidence.record", "major_accident"),
        ("evidence.qualitative.platform", "reference"),
        ("evidence.qualitative.Bad-Name", None),
        ("evidence", "extra"),
    }, got
    assert all(p.file == "inv.toml" for p in info.value.problems)
    assert str(info.value).startswith(f"{len(info.value.problems)} problems in [evidence]")


def test_factory_info_division_code():
    assert FactoryInfo(credit_code=HEFEI_CODE).division_code == "340100"
    assert FactoryInfo(credit_code="short").division_code == ""
