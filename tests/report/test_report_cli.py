"""``carbon report`` end to end, and its errors (never a traceback)."""

from __future__ import annotations

import json

import openpyxl
from click.testing import CliRunner

from carbon_core.cli import main

from report_tools import EXAMPLE, previous_results, write_json


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def test_self_dynamic_district(tmp_path, example):
    prev = write_json(tmp_path / "r2023.json", previous_results(example.results, 2023, 1.1))
    out = tmp_path / "report.html"
    r = run("report", EXAMPLE, "--previous", prev, "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "《合肥市零碳示范工厂评价报告》" in text and "2023" in text
    # year-on-year: intensity per value added down by 1 - 1/1.1 = 9.09 %
    assert "-9.09 %" in text
    dyn = tmp_path / "dyn.json"
    assert run("report", EXAMPLE, "--kind", "dynamic", "--previous", prev, "-o", dyn
               ).exit_code == 0
    rec = json.loads(dyn.read_text(encoding="utf-8"))
    assert rec["schema"] == "carbon_core.dynamic/1" and rec["previous"]["figures"]
    xl = tmp_path / "dyn.xlsx"
    assert run("report", EXAMPLE, "--kind", "dynamic", "-o", xl).exit_code == 0
    assert "_record" in openpyxl.load_workbook(xl).sheetnames
    summary = tmp_path / "district.xlsx"
    r = run("report", "--kind", "district", dyn, "-o", summary)
    assert r.exit_code == 0, r.output
    assert any("汇总" in n for n in openpyxl.load_workbook(summary).sheetnames)
    # a dynamic JSON of last year serves as --previous too
    rec["reporting_year"] = 2023
    old = write_json(tmp_path / "dyn2023.json", rec)
    assert run("report", EXAMPLE, "--kind", "dynamic", "--previous", old, "-o",
               tmp_path / "d.json").exit_code == 0


def test_errors_are_messages(tmp_path, example, monkeypatch):
    bad = [
        (("report", EXAMPLE, "-o", tmp_path / "r.json"), "not written as JSON"),
        (("report", EXAMPLE, "-o", tmp_path / "r.docx"), "cannot tell the format"),
        (("report", EXAMPLE, EXAMPLE, "-o", tmp_path / "r.html"), "takes one inventory"),
        (("report", "--kind", "district", EXAMPLE, "-o", tmp_path / "d.html"),
         "unknown file type"),
        (("report", EXAMPLE, "--programme", "atlantis", "-o", tmp_path / "r.html"),
         "unknown programme"),
        (("report", EXAMPLE, "--previous", EXAMPLE, "-o", tmp_path / "r.html"),
         "not readable JSON"),
        (("report", EXAMPLE, "-o", tmp_path / "no" / "r.html"), "is not a folder"),
    ]
    for args, message in bad:
        r = run(*args)
        assert r.exit_code != 0, args
        assert message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser anywhere
    r = run("report", EXAMPLE, "-o", tmp_path / "r.pdf")
    assert r.exit_code != 0 and "apt-get install chromium" in r.output
    monkeypatch.setenv("CARBON_CHROMIUM", "/nonexistent/chrome")
    r = run("report", EXAMPLE, "-o", tmp_path / "r.pdf")
    assert r.exit_code != 0 and "CARBON_CHROMIUM" in r.output


def test_title_comes_from_the_programme():
    from carbon_core.outputs.self_report import report_title

    meta = {"title_zh": "国家级零碳工厂（模板）", "title_en": "National zero-carbon factory "
            "programme (template)"}
    assert report_title(meta) == ("国家级零碳工厂评价报告",
                                  "National zero-carbon factory evaluation report")
    assert report_title(meta, "dynamic")[0] == "国家级零碳工厂动态管理表"
    assert report_title(dict(meta, report_title_zh="零碳工厂自评价报告"))[0] == "零碳工厂自评价报告"


def test_ledger_status_and_system_file(tmp_path):
    from carbon_core.programmes import get_programme

    out = tmp_path / "r.html"
    system = get_programme().file("indicator_system")
    r = run("report", EXAMPLE, "--ledger", tmp_path / "ledger.db", "--system", system, "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "已登记 3 项声明" in text and "ledger.db" in text  # 2 certificate claims + 1 offset
    r = run("report", EXAMPLE, "-o", tmp_path / "again.html", "--ledger", tmp_path / "ledger.db")
    assert r.exit_code == 0, r.output  # the same factory and year again is not a double claim
