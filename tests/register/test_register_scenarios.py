"""Scenarios: several enterprises walked through whole years of the Hefei template procedure."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from carbon_core.register import (CalendarError, PermissionDenied, ProcedureError, Register,
                                  RegisterError)

from register_helpers import A, B, C, CITY, CLOCK, D, E, F, GXQ, JKQ, score_for, to_notice

DAY = dt.date


def test_clean_path_to_the_list(reg):
    opened = to_notice(reg, A)                       # notice opened Tue 2024-01-16
    assert opened == DAY(2024, 1, 16)
    st = reg.status(CITY, A)
    assert st["applications"]["2024"]["stage"] == "in_notice"
    ends = st["applications"]["2024"]["notice"]["ends"]
    assert ends == "2024-01-25"                      # 17-19, 22-25 Jan: 7 working days
    with pytest.raises(ProcedureError, match="open until 2024-01-25") as err:
        reg.list(CITY, [A], on=DAY(2024, 1, 25))
    assert err.value.rule.startswith("list") and "in_notice" in err.value.stage
    assert err.value.date == DAY(2024, 1, 25)
    reg.list(CITY, [A], on=DAY(2024, 1, 26))
    st = reg.status(f"enterprise:{A}", A)
    assert st["status"] == "listed" and st["listed"]["on"] == "2024-01-26"
    lst = reg.published_list(as_of=DAY(2024, 2, 1))
    assert [r["credit_code"] for r in lst["entries"]] == [A]
    # as of a past date the enterprise was still in notice
    assert reg.status(CITY, A, as_of=DAY(2024, 1, 20))["applications"]["2024"]["stage"] == \
        "in_notice"
    assert reg.public_notice(as_of=DAY(2024, 1, 20))["entries"][0]["ends"] == "2024-01-25"
    assert reg.public_notice(as_of=DAY(2024, 1, 26))["entries"] == []
    view = reg.city_view(CITY, as_of=DAY(2024, 12, 31))
    row = [r for r in view["by_district_year"] if r["district"] == "经开区"][0]
    assert (row["applicants"], row["recommended"], row["listed"]) == (1, 1, 1)
    assert view["goal"]["count"] == 10 and view["goal"]["listed_now"] == 1
    assert reg.verify(CITY)["ok"]


def test_objection_during_the_notice(reg):
    to_notice(reg, [B, C])
    reg.object(CITY, B, text="举报：绿电合同未履约", on=DAY(2024, 1, 18))
    reg.object(CITY, C, text="举报：能耗数据不实", on=DAY(2024, 1, 19))
    assert reg.status(CITY, B)["applications"]["2024"]["stage"] == "held"
    with pytest.raises(ProcedureError, match="objection #1 .* not resolved") as err:
        reg.list(CITY, [B], on=DAY(2024, 1, 26))
    assert "held" in err.value.stage
    with pytest.raises(ProcedureError, match="outside it"):
        reg.object(CITY, B, text="late", on=DAY(2024, 1, 26))
    reg.resolve(CITY, B, objection=1, upheld=False, reason="经核查不属实", on=DAY(2024, 1, 29))
    reg.resolve(CITY, C, objection=1, upheld=True, reason="经核查属实", on=DAY(2024, 1, 29))
    reg.list(CITY, [B], on=DAY(2024, 1, 30))
    with pytest.raises(ProcedureError, match="'rejected'"):
        reg.list(CITY, [C], on=DAY(2024, 1, 30))
    assert reg.status(CITY, C)["applications"]["2024"]["stage"] == "rejected"
    with pytest.raises(ProcedureError, match="already resolved"):
        reg.resolve(CITY, B, objection=1, upheld=True, on=DAY(2024, 1, 30))


def test_falsification_found_after_an_upheld_objection_bans(reg):
    to_notice(reg, D)
    reg.object(CITY, D, text="举报：提供虚假的绿证材料", on=DAY(2024, 1, 17))
    reg.resolve(CITY, D, objection=1, upheld=True, reason="材料造假属实", on=DAY(2024, 1, 22))
    assert reg.status(CITY, D)["applications"]["2024"]["stage"] == "rejected"
    with pytest.raises(ProcedureError, match="needs evidence"):
        reg.revoke(CITY, D, ground="false_materials", on=DAY(2024, 1, 22))
    with pytest.raises(ProcedureError, match="holds no title"):
        reg.revoke(CITY, D, ground="own_request", evidence="函", on=DAY(2024, 1, 22))
    reg.revoke(CITY, D, ground="false_materials", evidence="核查报告", on=DAY(2024, 1, 23))
    st = reg.status(CITY, D)
    assert st["applications"]["2024"]["stage"] == "disqualified"
    assert st["banned_until"] == "2027-01-23"


def test_falsification_found_in_the_notice_disqualifies_and_bans(reg):
    to_notice(reg, D)
    reg.revoke(CITY, D, ground="false_materials", evidence="核查报告〔2024〕3号",
               on=DAY(2024, 1, 19))
    st = reg.status(CITY, D)
    assert st["applications"]["2024"]["stage"] == "disqualified"
    assert st["banned_until"] == "2027-01-19"
    with pytest.raises(ProcedureError, match="'disqualified'"):
        reg.list(CITY, [D], on=DAY(2024, 1, 26))
    with pytest.raises(ProcedureError, match="banned from applying until 2027-01-19") as err:
        reg.apply(f"enterprise:{D}", name="企业 X6D", district="经开区", on=DAY(2025, 1, 6))
    assert err.value.rule.startswith("apply") and "banned" in err.value.stage
    rev = reg.revocations(as_of=DAY(2025, 1, 6))["entries"]
    assert rev[0]["ground"] == "false_materials" and rev[0]["ban_ends"] == "2027-01-19"


def test_revocation_and_refused_reapplication_inside_the_ban(tmp_path):
    clock = dt.datetime(2030, 6, 1, tzinfo=dt.timezone.utc)   # to apply after the ban ends
    reg = Register(tmp_path / "r.sqlite", clock=lambda: clock)
    to_notice(reg, A)
    reg.list(CITY, [A], on=DAY(2024, 1, 26))
    reg.schedule_rereview(CITY, A, date=DAY(2025, 3, 3), on=DAY(2025, 2, 3))
    with pytest.raises(ProcedureError, match="scheduled for 2025-03-03"):
        reg.rereview(CITY, A, result="absent", on=DAY(2025, 3, 1))
    with pytest.raises(ProcedureError, match="needs a re-review recorded as 'absent'"):
        reg.revoke(CITY, A, ground="rereview_absent", on=DAY(2025, 3, 2))
    reg.rereview(CITY, A, result="absent", on=DAY(2025, 3, 3))
    reg.revoke(CITY, A, ground="rereview_absent", on=DAY(2025, 3, 10))
    st = reg.status(CITY, A, as_of=DAY(2025, 3, 10))
    assert st["status"] == "banned" and st["banned_until"] == "2028-03-10"
    assert reg.published_list(as_of=DAY(2025, 3, 10))["entries"] == []
    assert [r["credit_code"] for r in reg.published_list(as_of=DAY(2025, 3, 9))["entries"]] == [A]
    for day in (DAY(2026, 1, 5), DAY(2028, 3, 10)):
        with pytest.raises(ProcedureError, match="until 2028-03-10 inclusive"):
            reg.apply(f"enterprise:{A}", name="企业 X3U", district="经开区", on=day)
    reg.apply(f"enterprise:{A}", name="企业 X3U", district="经开区", on=DAY(2029, 1, 8))
    view = reg.city_view(CITY, as_of=DAY(2029, 1, 8))
    banned = {r["year"]: r["banned"] for r in view["by_district_year"]}
    assert banned[2025] == banned[2028] == 1
    reg.close()


def test_rename_declared_at_the_filing(reg):
    to_notice(reg, A)
    reg.list(CITY, [A], on=DAY(2024, 1, 26))
    with pytest.raises(ProcedureError, match="has not filed for 2024"):
        reg.rename(f"enterprise:{A}", name="合肥新名科技有限公司", year=2024, on=DAY(2024, 12, 2))
    with pytest.raises(ProcedureError, match="opens on 2024-12-01"):
        reg.file(f"enterprise:{A}", year=2024, on=DAY(2024, 11, 29))
    reg.file(f"enterprise:{A}", year=2024, rename_to="合肥新名科技有限公司", on=DAY(2024, 12, 2))
    entry = reg.published_list(as_of=DAY(2024, 12, 2))["entries"][0]
    assert entry["name"] == "合肥新名科技有限公司" and entry["former_names"] == ["企业 1X3U"]
    html = reg.export("list", "html", as_of=DAY(2024, 12, 2))
    assert "合肥新名科技有限公司" in html and "曾用名" in html and "<script" not in html
    with pytest.raises(ProcedureError, match="already filed for 2024"):
        reg.file(f"enterprise:{A}", year=2024, on=DAY(2024, 12, 3))


def test_restructuring_triggers_a_rereview(reg):
    to_notice(reg, B)
    reg.list(CITY, [B], on=DAY(2024, 1, 26))
    reg.restructure(f"enterprise:{B}", description="吸收合并子公司", on=DAY(2024, 5, 6))
    st = reg.status(CITY, B)
    assert st["rereview"]["reason"] == "restructure" and st["rereview"]["scheduled_for"] is None
    reg.schedule_rereview(CITY, B, date=DAY(2024, 6, 3), on=DAY(2024, 5, 7))
    reg.rereview(CITY, B, result="failed", opinion="重组后能耗强度超标", on=DAY(2024, 6, 3))
    reg.revoke(CITY, B, ground="rereview_failed", on=DAY(2024, 6, 12))
    rev = reg.revocations(as_of=DAY(2024, 6, 12))["entries"][0]
    assert (rev["ground_zh"], rev["ban_ends"]) == ("复核不再符合标准", "2027-06-12")


def test_late_and_missing_dynamic_filings(reg):
    to_notice(reg, [E, F], districts={E: "经开区", F: "高新区"})
    reg.list(CITY, [E, F], on=DAY(2024, 1, 26))
    reg.file(f"enterprise:{E}", year=2024, on=DAY(2025, 2, 10))     # due 2025-01-31: late
    view = reg.city_view(CITY, as_of=DAY(2025, 2, 10))
    late = {(r["credit_code"], r["state"]) for r in view["late_filings"]}
    assert late == {(E, "late"), (F, "missing")}
    summ = reg.district_summary(GXQ, "高新区", year=2024, as_of=DAY(2025, 2, 10))
    assert summ["filings"][0]["state"] == "missing"
    with pytest.raises(PermissionDenied):
        reg.district_summary(JKQ, "高新区", year=2024)


def test_notice_over_the_spring_festival(reg):
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 1, 2))
    reg.approve(JKQ, A, on=DAY(2024, 1, 3))
    reg.submit(f"enterprise:{A}", score=score_for(A, 2023), on=DAY(2024, 1, 4))
    reg.district_review(JKQ, A, passed=True, on=DAY(2024, 1, 5))
    reg.recommend(JKQ, [A], on=DAY(2024, 1, 8))
    reg.assign(CITY, A, ["x1"], on=DAY(2024, 1, 9))
    reg.expert_review("expert:x1", A, score=90, on=DAY(2024, 1, 10))
    reg.city_review(CITY, A, passed=True, on=DAY(2024, 2, 5))
    ev = reg.notice(CITY, [A], on=DAY(2024, 2, 6))
    # 国务院办公厅关于2024年部分节假日安排的通知: 2月10日至17日放假, 2月18日(星期日)上班.
    assert ev[0]["payload"]["ends"] == "2024-02-21"
    reg.object(CITY, A, text="异议", on=DAY(2024, 2, 21))       # the last day still counts
    reg.resolve(CITY, A, objection=1, upheld=False, on=DAY(2024, 2, 21))
    with pytest.raises(ProcedureError, match="open until 2024-02-21"):
        reg.list(CITY, [A], on=DAY(2024, 2, 21))
    with pytest.raises(ProcedureError, match="outside it"):
        reg.object(CITY, A, text="too late", on=DAY(2024, 2, 22))
    reg.list(CITY, [A], on=DAY(2024, 2, 22))


def test_notice_over_national_day_2025(reg):
    to_notice(reg, A, year=2025, start=DAY(2025, 9, 17))          # notice opens 2025-09-25
    st = reg.status(CITY, A)["applications"]["2025"]["notice"]
    # opened Thu 25 Sep: 26, 28(Sun 调休), 29, 30 | 1-8 Oct holiday | 9, 10, 11(Sat 调休)
    # (国办发明电〔2024〕12号: 10月1日至8日放假, 9月28日(周日)、10月11日(周六)上班)
    assert (st["opened"], st["ends"]) == ("2025-09-25", "2025-10-11")


def test_a_notice_the_calendar_cannot_end_is_refused(tmp_path):
    reg = Register(tmp_path / "r.sqlite", clock=lambda: CLOCK)
    to_notice(reg, A, year=2026, start=DAY(2026, 12, 14))  # city review 2026-12-21
    st = reg.status(CITY, A)["applications"]["2026"]
    assert st["stage"] == "in_notice" and st["notice"]["ends"] == "2026-12-31"
    reg.close()
    reg = Register(tmp_path / "r2.sqlite", clock=lambda: CLOCK)
    with pytest.raises(CalendarError, match="2027-01-01 is outside"):
        to_notice(reg, B, year=2026, start=DAY(2026, 12, 18))
    reg.close()


def test_out_of_turn_messages_name_rule_stage_and_date(reg):
    # a district cannot act on an enterprise it has no record of: denied before the turn check
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 3, 1))
    with pytest.raises(ProcedureError) as err:
        reg.recommend(JKQ, [A], on=DAY(2024, 3, 2))
    text = str(err.value)
    assert "rule: recommend" in text and "stage: applied" in text and "2024-03-02" in text
    with pytest.raises(ProcedureError, match="already applied for 2024"):
        reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 3, 3))
    with pytest.raises(ProcedureError, match="never applied for 2023"):
        reg.approve(JKQ, A, year=2023, on=DAY(2024, 3, 3))
    with pytest.raises(ProcedureError, match="earlier than the last event"):
        reg.approve(JKQ, A, on=DAY(2024, 2, 1))
    with pytest.raises(RegisterError, match="in the future"):
        reg.approve(JKQ, A, on=DAY(2027, 1, 5))
    with pytest.raises(RegisterError, match="unknown district"):
        reg.apply(f"enterprise:{B}", name="企业", district="火星区", on=DAY(2024, 3, 3))


def test_recommending_an_enterprise_that_never_applied(reg):
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 3, 1))
    # no record at all: the district has no scope over it
    with pytest.raises(PermissionDenied, match="not on record in any district"):
        reg.recommend(JKQ, [B], on=DAY(2024, 3, 2))
    # on record, but never applied for that year
    with pytest.raises(ProcedureError, match="never applied for 2025") as err:
        reg.recommend(JKQ, [A], year=2025, on=DAY(2024, 3, 2))
    assert "stage: none" in str(err.value) and "date: 2024-03-02" in str(err.value)


def test_submission_is_checked_by_the_engine(reg):
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 1, 8))
    reg.approve(JKQ, A, on=DAY(2024, 1, 9))
    with pytest.raises(RegisterError, match="not eligible"):
        reg.submit(f"enterprise:{A}", score=score_for(A, 2023, ineligible=True),
                   on=DAY(2024, 1, 10))
    with pytest.raises(RegisterError, match="not of the applicant"):
        reg.submit(f"enterprise:{A}", score=score_for(B, 2023), on=DAY(2024, 1, 10))
    with pytest.raises(RegisterError, match="reporting year 2021 is not accepted"):
        reg.submit(f"enterprise:{A}", score=score_for(A, 2021), on=DAY(2024, 1, 10))
    bad = score_for(A, 2023)
    bad["verdict"] = "maybe"
    with pytest.raises(RegisterError, match="does not follow `carbon schema score`"):
        reg.submit(f"enterprise:{A}", score=bad, on=DAY(2024, 1, 10))
    with pytest.raises(PermissionDenied):
        reg.submit(f"enterprise:{B}", score=score_for(A, 2023), credit_code=A,
                   on=DAY(2024, 1, 10))
    ev = reg.submit(f"enterprise:{A}", score=score_for(A, 2023), on=DAY(2024, 1, 10),
                    bundle_root="ab" * 32)
    assert ev[0]["payload"]["verdict"] == "qualified" and len(ev[0]["documents"]["score"][
        "sha256"]) == 64 and ev[0]["payload"]["bundle_root"] == "ab" * 32
    with pytest.raises(ProcedureError, match="already submitted"):
        reg.submit(f"enterprise:{A}", score=score_for(A, 2023), on=DAY(2024, 1, 11))


def test_submission_results_must_match_the_score(reg, tmp_path):
    from register_helpers import example_results

    results = example_results()
    score = score_for("91340100MA2N0K1X3U", 2024)
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2025, 1, 6))
    reg.approve(JKQ, A, on=DAY(2025, 1, 7))
    # the score was made with net emissions forced to zero: the results disagree on F1's input
    with pytest.raises(RegisterError, match="F1 read balance.net_tco2e = 0.0"):
        reg.submit(f"enterprise:{A}", score=score, results=results, on=DAY(2025, 1, 8))
    p = tmp_path / "report.pdf"
    p.write_bytes(b"%PDF-1.4 report")
    honest = json.loads(json.dumps(results))
    honest["metrics"]["balance.net_tco2e"] = 0.0
    ev = reg.submit(f"enterprise:{A}", score=score, results=honest,
                    documents={"report": p}, on=DAY(2025, 1, 8))
    import hashlib

    assert ev[0]["documents"]["report"]["sha256"] == hashlib.sha256(
        b"%PDF-1.4 report").hexdigest()
    assert "score inputs equal the results' metrics" in ev[0]["payload"]["checked_by"]


def test_submission_recomputed_from_the_inventory(reg):
    from register_helpers import EXAMPLE

    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2025, 1, 6))
    reg.approve(JKQ, A, on=DAY(2025, 1, 7))
    # the example factory is not net zero (F1 and F3 unmet): the engine refuses it
    with pytest.raises(RegisterError, match="mandatory items .* unmet: F1"):
        reg.submit(f"enterprise:{A}", inventory=EXAMPLE, on=DAY(2025, 1, 8))


def test_register_knows_its_revocations_at_submission():
    """A score whose exclusion check says 'never removed from a list' contradicts a revocation
    the register holds inside the exclusion window (here a 2023 revocation, score of 2024)."""
    from carbon_core.programmes import get_programme
    from carbon_core.register import load_procedure
    from carbon_core.register.submission import check_submission

    kw = dict(procedure=load_procedure("hefei-template"),
              programme=get_programme("hefei-template"), credit_code=A, year=2025)
    revoked = [{"on": "2023-05-10", "ground": "own_request"}]
    with pytest.raises(RegisterError, match="the register revoked this enterprise on 2023-05-10"):
        check_submission(score=score_for(A, 2024), revocations=revoked, **kw)
    # outside the three-year record (2022-2024 for reporting year 2024): accepted
    summary, _ = check_submission(score=score_for(A, 2024),
                                  revocations=[{"on": "2021-05-10", "ground": "own_request"}],
                                  **kw)
    assert summary["verdict"] == "qualified"
    # a score that declares the removal is ineligible anyway
    with pytest.raises(RegisterError, match="not eligible"):
        check_submission(score=score_for(A, 2024, removed=True), revocations=revoked, **kw)


def test_procedure_file_change_is_refused(tmp_path, monkeypatch):
    reg = Register(tmp_path / "r.sqlite", clock=lambda: CLOCK)
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 1, 8))
    reg.close()
    from carbon_core.register import core

    real = core.load_procedure

    def changed(name, **kw):
        p = real(name, **kw)
        import dataclasses

        return dataclasses.replace(p, sha256="f" * 64)

    monkeypatch.setattr(core, "load_procedure", changed)
    with pytest.raises(RegisterError, match="changed since this register was opened"):
        Register(tmp_path / "r.sqlite", clock=lambda: CLOCK)
    monkeypatch.undo()
    with pytest.raises(RegisterError, match="runs the programme 'hefei-template'"):
        Register(tmp_path / "r.sqlite", programme="national-template", clock=lambda: CLOCK)


def test_forged_score_arithmetic_is_refused(reg):
    reg.apply(f"enterprise:{A}", name="企业", district="经开区", on=DAY(2024, 1, 8))
    reg.approve(JKQ, A, on=DAY(2024, 1, 9))
    forged = score_for(A, 2023)
    forged["total_score"] = 99.0
    with pytest.raises(RegisterError, match="not the sum of the indicators' points"):
        reg.submit(f"enterprise:{A}", score=forged, on=DAY(2024, 1, 10))
    forged = score_for(A, 2023)
    forged["indicators"] = [i for i in forged["indicators"] if i["id"] != "F1"]
    with pytest.raises(RegisterError, match=r"missing: \['F1'\]"):
        reg.submit(f"enterprise:{A}", score=forged, on=DAY(2024, 1, 10))
    forged = score_for(A, 2023, ineligible=True)
    forged["eligible"], forged["verdict"] = True, "qualified"
    with pytest.raises(RegisterError, match="eligible does not match"):
        reg.submit(f"enterprise:{A}", score=forged, on=DAY(2024, 1, 10))


def test_district_ranking_never_mixes_districts(reg):
    d = DAY(2024, 1, 8)
    firms = {A: ("经开区", "appliances", 0.95), B: ("经开区", "appliances", 0.40),
             C: ("经开区", "machinery", 0.30), D: ("高新区", "appliances", 0.99)}
    for code, (dist, sector, _) in firms.items():
        reg.apply(f"enterprise:{code}", name=code[-3:], district=dist, sector=sector, on=d)
    for code, (dist, _, _) in firms.items():
        reg.approve(f"district:{dist}", code, on=d)
    for code, (dist, _, share) in firms.items():
        reg.submit(f"enterprise:{code}", score=score_for(code, 2023, district=dist,
                                                         renewable=share), on=d)
    for code, (dist, _, _) in firms.items():
        reg.district_review(f"district:{dist}", code, passed=True, on=d)
    ranking = reg.ranking(JKQ, "经开区", year=2024)
    assert [r["credit_code"] for r in ranking] == [A, C, B]     # each sector's best, then score
    scores = {r["credit_code"]: r["score"] for r in ranking}
    assert scores[A] > scores[B] > scores[C]
    assert "best score of sector machinery" in ranking[1]["reason"]
    with pytest.raises(PermissionDenied):
        reg.ranking(JKQ, "高新区", year=2024)
    ev = reg.recommend(JKQ, [A, C], on=DAY(2024, 1, 9))
    assert [e["payload"]["rank"] for e in ev] == [1, 2]


def test_exports_are_self_contained_and_bilingual(reg):
    to_notice(reg, [A, B])
    reg.revoke(CITY, B, ground="false_materials", evidence="核查报告", on=DAY(2024, 1, 17))
    for kind in ("notice", "revocations"):
        page = reg.export(kind, "html", as_of=DAY(2024, 1, 17))
        assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
        for external in ("<script", "<link", "src=", "http://", "https://", "@import"):
            assert external not in page
        assert page.index("公示" if kind == "notice" else "撤销") < page.index(
            "Public notice" if kind == "notice" else "Revocations")
        doc = json.loads(reg.export(kind, "json", as_of=DAY(2024, 1, 17)))
        assert doc["log_head"]["seq"] == reg.store.count()
    notice = json.loads(reg.export("notice", "json", as_of=DAY(2024, 1, 17)))
    assert [e["credit_code"] for e in notice["entries"]] == [A]     # B was disqualified
    assert notice["entries"][0]["ends"] == "2024-01-25"
    rev = json.loads(reg.export("revocations", "json"))["entries"][0]
    assert (rev["credit_code"], rev["ground_en"], rev["ban_ends"]) == (
        B, "false materials or data", "2027-01-17")
    assert reg.verify(CITY, expected_head=notice["log_head"]["hash"])["ok"]
    with pytest.raises(RegisterError, match="unknown document"):
        reg.export("secrets", "json")
    with pytest.raises(RegisterError, match="expected json or html"):
        reg.export("list", "pdf")


def test_views_follow_appends_from_another_process(reg, tmp_path):
    to_notice(reg, A)
    assert reg.city_view(CITY)["goal"]["listed_now"] == 0       # fills the view cache
    other = Register(reg.store.url.removeprefix("sqlite:///"), clock=lambda: CLOCK)
    other.list(CITY, [A], on=DAY(2024, 1, 26))
    other.close()
    assert reg.city_view(CITY)["goal"]["listed_now"] == 1       # extended, not stale
    assert reg.published_list()["entries"][0]["credit_code"] == A
    assert reg.city_view(CITY, as_of=DAY(2024, 1, 20))["goal"]["listed_now"] == 0
