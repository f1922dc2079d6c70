"""The dynamic management table and the district summary: figures, targets, bad inputs."""

from __future__ import annotations

import copy
import json

import openpyxl
import pytest

from carbon_core.errors import InputError
from carbon_core.outputs.dynamic import (build_district, build_dynamic, district_record,
                                         dynamic_record, load_dynamic_tables)
from carbon_core.outputs.history import History
from carbon_core.outputs.html import render_html
from carbon_core.outputs.xlsx import write_xlsx

from carbon_core.outputs.document import resolve_pointer

from report_tools import previous_results, write_json
from report_tools import parse, printed_equals


@pytest.fixture(scope="module")
def history(example, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prev")
    r23 = write_json(folder / "r2023.json", previous_results(example.results, 2023, 1.25))
    r22 = write_json(folder / "r2022.json", previous_results(example.results, 2022, 1.5))
    s23 = copy.deepcopy(example.score)
    s23["factory"]["reporting_year"] = 2023
    s23["total_score"] = 55.5
    s23 = write_json(folder / "s2023.json", s23)
    return History.load([r23, r22, s23], reporting_year=2024,
                        credit_code=example.results["factory"]["credit_code"])


@pytest.fixture(scope="module")
def record(example, history):
    return dynamic_record(example.results, example.score, programme=example.programme.meta,
                          programme_name=example.programme.name, history=history,
                          targets=example.targets, dynamic=example.dynamic, generator="t")


def test_this_year_against_last(record, example):
    m = example.results["metrics"]
    assert record["figures"]["emissions.total_tco2e"] == m["emissions.total_tco2e"]
    assert record["figures"]["score.total_score"] == example.score["total_score"]
    prev = record["previous"]["figures"]
    assert prev["emissions.total_tco2e"] == m["emissions.total_tco2e"] * 1.25
    assert prev["score.total_score"] == 55.5
    assert [f["kind"] for f in record["previous"]["files"]] == ["results", "score"]
    doc = build_dynamic(record)
    html = render_html(doc)
    # change of total emissions: (x - 1.25x) / 1.25x = -20.00 %
    assert "-20.00 %" in html
    cells = parse(html).cells
    assert len(cells) > 30
    for src, path, scale, text in cells:
        assert src == "dynamic"
        value = resolve_pointer(record, path)
        assert (text == "—") if value is None else printed_equals(text, value, scale), path
    for zh in ("动态管理表", "主要指标本年与上年对比", "目标完成情况", "节能降碳项目",
               "名称变更与重组", "存在问题与下一年度计划", "空压站群控与余热回收改造"):
        assert zh in html, zh


def test_targets_judged_with_the_metric_direction(record):
    by = {(t["year"], t["metric"]): t for t in record["targets"]}
    # 2024 (plan): renewable share 0.648 >= 0.25 met; intensity 0.1934 <= 0.20 met
    assert by[(2024, "balance.renewable_electricity_share")]["met"] is True
    assert by[(2024, "intensity.tco2e_per_wan_cny")]["met"] is True
    assert {t["year"] for t in record["future_targets"]} == {2025, 2026}


def test_missed_target(example, history):
    t = copy.deepcopy(example.targets)
    from dataclasses import replace

    from carbon_core.io.targets import Target

    t = replace(t, annual=t.annual + (Target(2024, "balance.net_tco2e", 5000.0, "", "x"),))
    rec = dynamic_record(example.results, example.score, programme=example.programme.meta,
                         history=history, targets=t, dynamic=example.dynamic)
    missed = [x for x in rec["targets"] if x["met"] is False]
    assert [(x["metric"], x["actual"]) for x in missed] == [
        ("balance.net_tco2e", example.results["metrics"]["balance.net_tco2e"])]


def test_district_totals_changes_and_missed(record, tmp_path):
    other = copy.deepcopy(record)
    other["factory"] = dict(other["factory"], name="第二工厂", credit_code="91340100MA2N0K1X3B")
    other["figures"] = {k: (v / 2 if v is not None else None) for k, v in other["figures"].items()}
    other["previous"] = {"year": 2023, "figures": None, "files": []}
    other["targets"] = [dict(record["targets"][0], met=False, actual=0.1)]
    other["changes"] = {"name_changed": True, "former_name": "旧名称", "restructured": False,
                        "description": ""}
    p1 = write_json(tmp_path / "a.json", record)
    doc2 = build_dynamic(other)
    p2 = write_xlsx(doc2, tmp_path / "b.xlsx")  # read back from its _record sheet
    tables = load_dynamic_tables([p1, p2])
    assert tables[1][0] == json.loads(json.dumps(other))
    rec = district_record([d for d, _ in tables])
    e = record["figures"]["emissions.total_tco2e"]
    assert rec["count"] == 2 and rec["with_previous"] == 1
    assert rec["totals"]["emissions.total_tco2e"] == pytest.approx(1.5 * e, rel=1e-15)
    # the change compares only the factory that gave last year's figures
    assert rec["totals_with_previous"]["emissions.total_tco2e"] == e
    assert rec["previous_totals"]["emissions.total_tco2e"] == e * 1.25
    assert rec["missed_targets"] == ["第二工厂"]
    html = render_html(build_district(rec))
    for s in ("动态管理汇总表", "第二工厂", "旧名称", "未完成目标的企业", "-20.00 %", "<svg"):
        assert s in html, s
    cells = parse(html).cells
    assert len(cells) > 20
    for src, path, scale, text in cells:
        value = resolve_pointer(rec, path)
        assert (text == "—") if value is None else printed_equals(text, value, scale), path


def test_district_refuses_bad_tables(record, tmp_path):
    a = write_json(tmp_path / "a.json", record)
    same = write_json(tmp_path / "same.json", record)
    y = copy.deepcopy(record)
    y["reporting_year"] = 2023
    y["factory"]["credit_code"] = "91340100MA2N0K1X3B"
    year = write_json(tmp_path / "y.json", y)
    results_json = write_json(tmp_path / "r.json", {"schema_version": "1.0", "metrics": {}})
    bad_num = copy.deepcopy(record)
    bad_num["factory"]["credit_code"] = "91350100M000100Y43"
    bad_num["figures"]["emissions.total_tco2e"] = "many"
    bad = write_json(tmp_path / "bad.json", bad_num)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    with pytest.raises(InputError) as err:
        load_dynamic_tables([a, same, year, results_json, bad, junk, plain,
                             tmp_path / "missing.json", tmp_path / "x.csv"])
    text = str(err.value)
    for s in ("the same factory twice", "different reporting years",
              "r.json, field 'schema': not a dynamic management table", "field 'figures.emissions.total_tco2e'",
              "junk.xlsx: cannot read the dynamic table", "no sheet '_record'",
              "missing.json: file not found", "x.csv: unknown file type"):
        assert s in text, s


def test_history_refuses_misplaced_files(example, tmp_path):
    same_year = write_json(tmp_path / "r2024.json", example.results)
    other = previous_results(example.results, 2023, 1.0)
    other["factory"] = dict(other["factory"], credit_code="91350100M000100Y43")
    other = write_json(tmp_path / "other.json", other)
    two = [write_json(tmp_path / f"t{i}.json", previous_results(example.results, 2022, 1.0))
           for i in range(2)]
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as err:
        History.load([same_year, other, *two, junk, tmp_path / "nope.json"], reporting_year=2024,
                     credit_code=example.results["factory"]["credit_code"])
    text = str(err.value)
    for s in ("r2024.json, field 'reporting_year': a previous-year file is not from an earlier",
              "other.json, field 'factory.credit_code': a previous-year file of another factory",
              "t1.json: a second results file for 2022", "junk.json: not readable JSON",
              "nope.json: file not found"):
        assert s in text, s
