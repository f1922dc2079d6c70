"""The annual dynamic management table (动态管理表) and the district summary (区级汇总表).

Every listed factory files a dynamic management table at each year end: this year against last
year for the key figures, progress against its declared annual targets, the energy and carbon
projects carried out, any name change or restructuring, and its problems and plan for next
year. :func:`dynamic_record` makes the table's machine-readable record (JSON,
``"schema": "carbon_core.dynamic/1"``) from one results document, one score document, the
previous year (:class:`~carbon_core.outputs.history.History`), the inventory's targets and its
``[dynamic]`` fields; :func:`build_dynamic` turns a record into a
:class:`~carbon_core.outputs.document.Document` for the HTML, XLSX and PDF writers.

A district collects its factories' tables (the JSON records, or the XLSX files this module
writes, which carry the record in a sheet ``_record``) and :func:`district_record` /
:func:`build_district` summarise them for the city: totals, each factory's change, the factories
that missed targets, and the declared name changes and restructurings.

Examples
--------
>>> rec = {"schema": "carbon_core.dynamic/1", "reporting_year": 2024,
...        "factory": {"name": "A", "credit_code": "X", "district": "包河区"},
...        "figures": {"emissions.total_tco2e": 90.0}, "previous": {"year": 2023,
...        "figures": {"emissions.total_tco2e": 100.0}}, "targets": [], "programme": {}}
>>> d = district_record([rec, dict(rec, factory={"name": "B", "credit_code": "Y",
...                                              "district": "包河区"})])
>>> d["totals"]["emissions.total_tco2e"], d["previous_totals"]["emissions.total_tco2e"]
(180.0, 200.0)
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import InputError, Problem
from . import charts
from .document import Document, Figure, KeyValues, Note, Num, Table, Text, change
from .history import DYNAMIC_SCHEMA, History
from .self_report import metric_direction, metric_label, metric_num, report_title

__all__ = ["DYNAMIC_FIGURES", "DISTRICT_SCHEMA", "dynamic_record", "build_dynamic",
           "load_dynamic_tables", "district_record", "build_district", "write_json"]

DISTRICT_SCHEMA = "carbon_core.district/1"

#: The figures a dynamic table compares year on year (metric names; ``score.total_score`` is the
#: score JSON's total).
DYNAMIC_FIGURES = (
    "energy.total_tce_calorific", "energy.total_tce_equivalent", "emissions.scope1_tco2e",
    "emissions.scope2_location_tco2e", "emissions.scope2_market_tco2e", "emissions.total_tco2e",
    "intensity.tco2e_per_wan_cny", "intensity.tce_per_wan_cny", "intensity.tco2e_per_output",
    "intensity.tce_per_output", "balance.renewable_electricity_share", "balance.net_tco2e",
    "score.total_score",
)
#: Figures that add up across factories (the district totals).
_ADDITIVE = ("energy.total_tce_calorific", "energy.total_tce_equivalent",
             "emissions.scope1_tco2e", "emissions.scope2_location_tco2e",
             "emissions.scope2_market_tco2e", "emissions.total_tco2e", "balance.net_tco2e")
#: Maximum size of one dynamic table file read by the district summary [bytes].
MAX_BYTES = 16 * 1024 * 1024


def _judge(metric: str, actual: float | None, target: float) -> bool | None:
    hib = metric_direction(metric)
    if actual is None or hib is None:
        return None
    return actual >= target if hib else actual <= target


def dynamic_record(results: dict, score: dict, *, programme: Mapping[str, Any],
                   programme_name: str = "", history: History | None = None,
                   targets: Any = None, dynamic: Any = None, generator: str = "") -> dict:
    """The machine-readable dynamic management table of one factory and year.

    Parameters
    ----------
    results, score : dict
        ``Results.to_dict()`` and ``Evaluation.to_dict()`` of the reporting year.
    history : History, optional
        Previous years; the year before the reporting year is "last year".
    targets : carbon_core.io.targets.Targets, optional
    dynamic : carbon_core.io.targets.DynamicFields, optional
    programme : mapping
        The programme bundle's ``[programme]`` table (titles, status).
    programme_name : str
        The programme's registry name.
    generator : str
        ``carbon_core <version>``, recorded in the table.
    """
    history = history or History()
    year = results["reporting_year"]
    metrics = results.get("metrics", {})
    figures = {m: (score.get("total_score") if m == "score.total_score" else metrics.get(m))
               for m in DYNAMIC_FIGURES}
    prev_year = year - 1
    prev = None
    if prev_year in history.by_year:
        prev = {m: (history.score(prev_year) if m == "score.total_score"
                    else history.metric(prev_year, m)) for m in DYNAMIC_FIGURES}
    rows, future = [], []
    for t in getattr(targets, "annual", ()) or ():
        if t.year > year:
            future.append({"year": t.year, "metric": t.metric, "target": t.value,
                           "note": t.note})
            continue
        actual = metrics.get(t.metric) if t.year == year else history.metric(t.year, t.metric)
        rows.append({"year": t.year, "metric": t.metric, "target": t.value, "actual": actual,
                     "met": _judge(t.metric, actual, t.value), "origin": t.origin,
                     "note": t.note})
    dyn = dynamic
    f = results["factory"]
    return {
        "schema": DYNAMIC_SCHEMA,
        "generator": generator,
        "factory": {"name": f["name"], "credit_code": f["credit_code"],
                    "district": f.get("district", ""), "sectors": list(f.get("sectors", []))},
        "reporting_year": year,
        "programme": {"name": programme_name, "title_zh": programme.get("title_zh", ""),
                      "title_en": programme.get("title_en", ""),
                      "template": str(programme.get("status", "")).startswith("template")},
        "system": {k: score.get("system", {}).get(k) for k in ("id", "version", "template")},
        "figures": figures,
        "previous": {"year": prev_year, "figures": prev,
                     "files": [{"kind": k, "path": p, "sha256": s}
                               for y, k, p, s in history.files() if y == prev_year]},
        "verdict": score.get("verdict"), "verdict_zh": score.get("verdict_zh"),
        "verdict_en": score.get("verdict_en"), "eligible": score.get("eligible"),
        "mandatory_unmet": list(score.get("mandatory_unmet", [])),
        "base_year": getattr(targets, "base_year", None),
        "targets": rows,
        "future_targets": future,
        "projects": [{"name": p.name, "kind": p.kind, "status": p.status,
                      "completed_on": p.completed_on or None,
                      "investment_wan_cny": p.investment_wan_cny, "saving_tce": p.saving_tce,
                      "reduction_tco2e": p.reduction_tco2e, "description": p.description}
                     for p in (dyn.projects if dyn else ())],
        "changes": {"name_changed": bool(dyn and dyn.name_changed),
                    "former_name": dyn.former_name if dyn else "",
                    "restructured": bool(dyn and dyn.restructured),
                    "description": dyn.change_description if dyn else ""},
        "problems": list(dyn.problems) if dyn else [],
        "next_year_plan": list(dyn.next_year_plan) if dyn else [],
        "filled_by": dyn.filled_by if dyn else "",
        "filled_on": dyn.filled_on if dyn else "",
        "inventory": dict(results.get("provenance", {}).get("inventory", {})),
    }


def _fig_num(rec_src: str, m: str, value: float | None, *, path: str = "") -> Num:
    return metric_num(m, value, source=rec_src if path else "", path=path)


def _ptr(m: str) -> str:
    return m.replace("~", "~0").replace("/", "~1")


def build_dynamic(record: dict) -> Document:
    """The dynamic management table as a document (HTML, XLSX, PDF).

    Figures carry pointers into the record (``data-src="dynamic"``).

    Parameters
    ----------
    record : dict
        A record of :func:`dynamic_record` (or read back from JSON or XLSX).
    """
    from ..io.targets import PROJECT_KINDS, PROJECT_STATUS

    title_zh, title_en = report_title(record.get("programme", {}), "dynamic")
    f = record["factory"]
    year = record["reporting_year"]
    doc = Document("dynamic", title_zh, title_en, subtitle=f"{f['name']} · {year} 年度",
                   generator=record.get("generator", ""), data=record)
    if record.get("programme", {}).get("template") or record.get("system", {}).get("template"):
        doc.banner = ("模板 TEMPLATE: 评价指标体系为模板，非官方文件 — the indicator system is a "
                      "template, not the programme's official document.")
    doc.meta = [("企业名称 factory", f["name"]),
                ("统一社会信用代码 credit code", Text(f["credit_code"], "mono")),
                ("所在区 district", f.get("district") or "—"),
                ("报告年度 reporting year", str(year)),
                ("填报人 filled by", record.get("filled_by") or "—"),
                ("填报日期 filled on", record.get("filled_on") or "—"),
                ("评价结论 verdict", Text(f"{record.get('verdict_zh') or ''} "
                                         f"{record.get('verdict_en') or ''}",
                                         "ok" if record.get("verdict") == "qualified" else "bad"))]
    prev = record.get("previous", {}) or {}
    pf = prev.get("figures")
    s = doc.section("figures", "主要指标本年与上年对比", "Key figures: this year against last")
    rows = []
    for m in DYNAMIC_FIGURES:
        cur = record["figures"].get(m)
        last = pf.get(m) if pf else None
        d, rel = change(cur, last)
        rows.append([metric_label(m), _fig_num("dynamic", m, cur, path=f"/figures/{_ptr(m)}"),
                     _fig_num("dynamic", m, last,
                              path=f"/previous/figures/{_ptr(m)}" if pf else ""),
                     metric_num(m, d, signed=True), Num(rel, 2, scale=100, unit="%",
                                                        signed=True)])
    s.add(Table("主要指标 key figures", ["指标 figure", f"本年 {year}",
                                         f"上年 {prev.get('year', year - 1)}",
                                         "变化 change", "变化率 change %"], rows, id="figures"))
    if not pf:
        s.add(Note("未提供上年数据 no figures for last year were given (--previous: last year's "
                   "results, score or dynamic-table JSON).", "warning"))
    s = doc.section("targets", "目标完成情况", "Progress against the annual targets")
    t_rows = [[str(t["year"]), metric_label(t["metric"]),
               metric_num(t["metric"], t["target"], source="dynamic",
                          path=f"/targets/{i}/target"),
               metric_num(t["metric"], t["actual"], source="dynamic",
                          path=f"/targets/{i}/actual"),
               Text("完成 met", "ok") if t["met"] is True else (
                   Text("未完成 missed", "bad") if t["met"] is False else "—"), t.get("note", "")]
              for i, t in enumerate(record.get("targets", []))]
    s.add(Table("年度目标 annual targets" + (f" (基准年 base year {record['base_year']})"
                                            if record.get("base_year") else ""),
                ["年度 year", "指标 figure", "目标 target", "实际 actual", "完成 met",
                 "说明 note"], t_rows or [["—", "未申报目标 no target declared", "", "", "", ""]],
                id="targets"))
    if record.get("future_targets"):
        s.add(Table("后续年度目标 later targets", ["年度 year", "指标 figure", "目标 target",
                                                   "说明 note"],
                    [[str(t["year"]), metric_label(t["metric"]),
                      metric_num(t["metric"], t["target"]), t.get("note", "")]
                     for t in record["future_targets"]], id="future-targets"))
    s = doc.section("projects", "节能降碳项目", "Energy and carbon projects carried out")
    p_rows = [[p["name"], " ".join(PROJECT_KINDS.get(p["kind"], (p["kind"],))),
               " ".join(PROJECT_STATUS.get(p["status"], (p["status"],))),
               p.get("completed_on") or "—",
               Num(p.get("investment_wan_cny"), 2, source="dynamic",
                   path=f"/projects/{i}/investment_wan_cny"
                   if p.get("investment_wan_cny") is not None else ""),
               Num(p.get("saving_tce"), 2, source="dynamic", path=f"/projects/{i}/saving_tce"
                   if p.get("saving_tce") is not None else ""),
               Num(p.get("reduction_tco2e"), 2, source="dynamic",
                   path=f"/projects/{i}/reduction_tco2e"
                   if p.get("reduction_tco2e") is not None else ""),
               p.get("description", "")] for i, p in enumerate(record.get("projects", []))]
    s.add(Table("项目 projects", ["项目名称 project", "类型 kind", "状态 status",
                                  "完成日期 completed", "投资 investment [万元]",
                                  "节能量 saving [tce/a]", "减碳量 reduction [tCO2e/a]",
                                  "说明 description"],
                p_rows or [["未填报 none declared", "", "", "", "", "", "", ""]], id="projects"))
    ch = record.get("changes", {})
    s = doc.section("changes", "名称变更与重组", "Name changes and restructuring")
    s.add(KeyValues("重大变化 changes to declare", [
        ("名称变更 name changed", Text("是 yes", "bad") if ch.get("name_changed")
         else Text("否 no", "ok")),
        ("原名称 former name", ch.get("former_name") or "—"),
        ("重组 restructured", Text("是 yes", "bad") if ch.get("restructured")
         else Text("否 no", "ok")),
        ("说明 description", ch.get("description") or "—")], id="changes"))
    s = doc.section("plan", "存在问题与下一年度计划", "Problems and next year's plan")
    s.add(Table("存在的问题 problems", ["#", "问题 problem"],
                [[str(i + 1), t] for i, t in enumerate(record.get("problems", []))]
                or [["—", "未填报 none declared"]], id="problems"))
    s.add(Table("下一年度计划 plan for next year", ["#", "计划 plan"],
                [[str(i + 1), t] for i, t in enumerate(record.get("next_year_plan", []))]
                or [["—", "未填报 none declared"]], id="next-year-plan"))
    return doc


# ----------------------------------------------------------------------------------- district


def _check_record(doc: Any, label: str) -> list[Problem]:
    if not isinstance(doc, dict) or doc.get("schema") != DYNAMIC_SCHEMA:
        return [Problem(label, "not a dynamic management table", field="schema",
                        found=doc.get("schema") if isinstance(doc, dict) else type(doc).__name__,
                        expected=f"{DYNAMIC_SCHEMA!r} (carbon report --kind dynamic --format "
                                 "json or xlsx)")]
    problems = []
    for key, kind in (("factory", dict), ("reporting_year", int), ("figures", dict)):
        if not isinstance(doc.get(key), kind) or isinstance(doc.get(key), bool):
            problems.append(Problem(label, "missing or malformed field", field=key,
                                    found=doc.get(key), expected=kind.__name__))
    if isinstance(doc.get("factory"), dict) and not doc["factory"].get("credit_code"):
        problems.append(Problem(label, "no credit code", field="factory.credit_code"))
    for k, v in (doc.get("figures") or {}).items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v)):
            problems.append(Problem(label, "not a number", field=f"figures.{k}", found=v,
                                    expected="a finite number or null"))
    return problems


def _read_xlsx_record(path: Path) -> Any:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if "_record" not in wb.sheetnames:
            raise ValueError("no sheet '_record' (not written by carbon report --kind dynamic)")
        ws = wb["_record"]
        text = "".join(str(row[0]) for row in ws.iter_rows(min_col=1, max_col=1,
                                                             values_only=True)
                       if row and row[0] is not None)
    finally:
        wb.close()
    return json.loads(text)


def load_dynamic_tables(paths: Sequence[str | Path]) -> list[tuple[dict, str]]:
    """Read factories' dynamic management tables (``.json`` records or ``.xlsx`` workbooks).

    Parameters
    ----------
    paths : sequence of str or Path
        The files.

    Returns
    -------
    list of (dict, str)
        ``(record, label)`` per file.

    Raises
    ------
    InputError
        Every unreadable or malformed file at once; files of different reporting years; the same
        factory (credit code) twice.
    """
    out, problems = [], []
    for p in paths:
        path = Path(p)
        label = str(path)
        if path.suffix.lower() not in (".json", ".xlsx"):
            problems.append(Problem(label, "unknown file type", found=path.suffix,
                                    expected=".json or .xlsx written by carbon report "
                                             "--kind dynamic"))
            continue
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                problems.append(Problem(label, "file too large for a dynamic table",
                                        found=f"{size} bytes", expected=f"<= {MAX_BYTES}"))
                continue
            if path.suffix.lower() == ".xlsx":
                doc = _read_xlsx_record(path)
            else:
                doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(label, "file not found"))
            continue
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            problems.append(Problem(label, f"cannot read the dynamic table: {exc}",
                                    expected="a .json or .xlsx file written by carbon report "
                                             "--kind dynamic"))
            continue
        found = _check_record(doc, label)
        if found:
            problems.extend(found)
            continue
        out.append((doc, label))
    years = sorted({d["reporting_year"] for d, _ in out})
    if len(years) > 1:
        problems.append(Problem("district summary", "the tables are of different reporting years",
                                field="reporting_year", found=", ".join(
                                    f"{lab}: {d['reporting_year']}" for d, lab in out),
                                expected="one reporting year"))
    seen: dict[str, str] = {}
    for d, lab in out:
        code = str(d["factory"]["credit_code"]).upper()
        if code in seen:
            problems.append(Problem(lab, "the same factory twice", field="factory.credit_code",
                                    found=code, expected=f"one table per factory (also in "
                                                         f"{seen[code]})"))
        seen.setdefault(code, lab)
    if not out and not problems:
        problems.append(Problem("district summary", "no dynamic table given"))
    if problems:
        raise InputError(problems, title=f"{len(problems)} problem(s) in the dynamic tables")
    return out


def _sum(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return math.fsum(vals) if vals else None


def district_record(records: Sequence[dict], *, generator: str = "") -> dict:
    """The district summary of many factories' dynamic tables (one reporting year).

    Parameters
    ----------
    records : sequence of dict
        The factories' dynamic-table records (one reporting year).
    generator : str
        ``carbon_core <version>``, recorded in the summary.

    Returns
    -------
    dict
        Per factory the figures of :data:`DYNAMIC_FIGURES` (this year and last), targets missed,
        and the district totals.
    """
    year = records[0]["reporting_year"] if records else None
    districts = sorted({r["factory"].get("district") or "" for r in records} - {""})
    factories = []
    for r in records:
        pf = (r.get("previous") or {}).get("figures") or {}
        missed = [t for t in r.get("targets", []) if t.get("met") is False]
        judged = [t for t in r.get("targets", []) if t.get("met") is not None]
        factories.append({
            "name": r["factory"]["name"], "credit_code": r["factory"]["credit_code"],
            "district": r["factory"].get("district", ""),
            "figures": {m: r["figures"].get(m) for m in DYNAMIC_FIGURES},
            "previous_figures": {m: pf.get(m) for m in DYNAMIC_FIGURES} if pf else None,
            "verdict": r.get("verdict"), "verdict_zh": r.get("verdict_zh"),
            "targets_judged": len(judged), "targets_missed": missed,
            "changes": r.get("changes", {}),
        })
    factories.sort(key=lambda x: (x["district"], x["name"]))
    totals = {m: _sum(f["figures"].get(m) for f in factories) for m in _ADDITIVE}
    # previous totals only over factories that have last year's figure (reported beside the count)
    prev_totals = {m: _sum((f["previous_figures"] or {}).get(m) for f in factories)
                   for m in _ADDITIVE}
    same_basis = {m: _sum(f["figures"].get(m) for f in factories
                          if (f["previous_figures"] or {}).get(m) is not None) for m in _ADDITIVE}
    return {
        "schema": DISTRICT_SCHEMA, "generator": generator, "reporting_year": year,
        "districts": districts, "programme": (records[0].get("programme", {}) if records
                                              else {}),
        "factories": factories, "count": len(factories),
        "with_previous": sum(1 for f in factories if f["previous_figures"]),
        "totals": totals, "previous_totals": prev_totals, "totals_with_previous": same_basis,
        "qualified": sum(1 for f in factories if f["verdict"] == "qualified"),
        "missed_targets": [f["name"] for f in factories if f["targets_missed"]],
    }


def build_district(rec: dict) -> Document:
    """The district summary as a document (HTML, XLSX, PDF).

    Parameters
    ----------
    rec : dict
        A record of :func:`district_record`.
    """
    title_zh, title_en = report_title(rec.get("programme", {}), "district")
    where = "、".join(rec.get("districts") or []) or "—"
    doc = Document("district", title_zh, title_en,
                   subtitle=f"{where} · {rec.get('reporting_year')} 年度 · "
                            f"{rec.get('count')} 家企业 factories",
                   generator=rec.get("generator", ""), data=rec)
    doc.meta = [("区 district", where), ("报告年度 reporting year", str(rec.get("reporting_year"))),
                ("企业数 factories", str(rec.get("count"))),
                ("有上年数据 with last year's figures", str(rec.get("with_previous"))),
                ("符合评价要求 qualified", str(rec.get("qualified"))),
                ("未完成目标 missed targets", str(len(rec.get("missed_targets", []))))]
    s = doc.section("totals", "汇总", "District totals")
    rows = []
    for m in _ADDITIVE:
        cur, same, last = (rec["totals"].get(m), rec["totals_with_previous"].get(m),
                           rec["previous_totals"].get(m))
        d, rel = change(same, last)
        rows.append([metric_label(m), metric_num(m, cur, source="district",
                                                 path=f"/totals/{_ptr(m)}"),
                     metric_num(m, same, source="district",
                                path=f"/totals_with_previous/{_ptr(m)}"),
                     metric_num(m, last, source="district", path=f"/previous_totals/{_ptr(m)}"),
                     metric_num(m, d, signed=True), Num(rel, 2, scale=100, unit="%",
                                                        signed=True)])
    s.add(Table("合计 totals", ["指标 figure", "本年合计 this year, all",
                                "本年 this year (factories with last year)",
                                "上年 last year", "变化 change", "变化率 change %"], rows,
                id="totals", note="变化按有上年数据的企业计算 the change compares the factories "
                                  "that gave last year's figures"))
    s = doc.section("factories", "各企业变化", "Each factory's change")
    rows = []
    for i, fct in enumerate(rec["factories"]):
        pf = fct["previous_figures"] or {}
        row = [fct["name"], Text(fct["credit_code"], "mono"), fct["district"] or "—"]
        for m in ("energy.total_tce_calorific", "emissions.total_tco2e"):
            cur = fct["figures"].get(m)
            row += [metric_num(m, cur, source="district", path=f"/factories/{i}/figures/{_ptr(m)}"),
                    Num(change(cur, pf.get(m))[1], 2, scale=100, unit="%", signed=True)]
        for m in ("intensity.tco2e_per_wan_cny", "balance.renewable_electricity_share",
                  "balance.net_tco2e", "score.total_score"):
            row.append(metric_num(m, fct["figures"].get(m), source="district",
                                  path=f"/factories/{i}/figures/{_ptr(m)}"))
        row += [f"{len(fct['targets_missed'])} / {fct['targets_judged']}",
                Text(fct.get("verdict_zh") or "—", "ok" if fct["verdict"] == "qualified"
                     else "bad")]
        rows.append(row)
    s.add(Table("企业 factories", [
        "企业 factory", "信用代码 credit code", "区 district", "综合能耗 energy [tce]",
        "能耗变化 change", "排放 emissions [tCO2e]", "排放变化 change",
        "单位增加值碳排放 [tCO2e/万元]", "可再生电力占比 renewable share", "净排放 net [tCO2e]",
        "得分 score", "未完成/已评目标 targets missed / judged", "结论 verdict"], rows,
        id="factories"))
    names = [fct["name"][:24] for fct in rec["factories"]]
    cur = [fct["figures"].get("emissions.total_tco2e") or 0.0 for fct in rec["factories"]]
    last = [(fct["previous_figures"] or {}).get("emissions.total_tco2e") or 0.0
            for fct in rec["factories"]]
    s.add(Figure("各企业排放本年与上年 emissions by factory, this year and last", charts.grouped_hbars(
        names, [("本年 this year", cur), ("上年 last year", last)], unit="tCO2e",
        title="各企业排放 emissions by factory"),
        Table("各企业排放 emissions by factory [tCO2e]", ["企业 factory", "本年 this year",
                                                         "上年 last year", "变化率 change %"],
              [[fct["name"], metric_num("emissions.total_tco2e", fct["figures"].get(
                  "emissions.total_tco2e"), source="district",
                  path=f"/factories/{i}/figures/emissions.total_tco2e"),
                metric_num("emissions.total_tco2e", (fct["previous_figures"] or {}).get(
                    "emissions.total_tco2e")),
                Num(change(fct["figures"].get("emissions.total_tco2e"),
                           (fct["previous_figures"] or {}).get("emissions.total_tco2e"))[1], 2,
                    scale=100, unit="%", signed=True)]
               for i, fct in enumerate(rec["factories"])], id="factory-emissions"),
        id="chart-factory-emissions"))
    s = doc.section("missed", "未完成目标的企业", "Factories that missed targets")
    rows = [[fct["name"], str(t["year"]), metric_label(t["metric"]),
             metric_num(t["metric"], t["target"]), metric_num(t["metric"], t["actual"])]
            for fct in rec["factories"] for t in fct["targets_missed"]]
    s.add(Table("未完成的目标 missed targets", ["企业 factory", "年度 year", "指标 figure",
                                                "目标 target", "实际 actual"],
                rows or [["无 none", "", "", "", ""]], id="missed"))
    rows = [[fct["name"], "是 yes" if fct["changes"].get("name_changed") else "否 no",
             fct["changes"].get("former_name") or "—",
             "是 yes" if fct["changes"].get("restructured") else "否 no",
             fct["changes"].get("description") or "—"] for fct in rec["factories"]
            if fct["changes"].get("name_changed") or fct["changes"].get("restructured")]
    s = doc.section("changes", "名称变更与重组", "Declared name changes and restructuring")
    s.add(Table("申报的变化 declared changes", ["企业 factory", "名称变更 name changed",
                                                "原名称 former name", "重组 restructured",
                                                "说明 description"],
                rows or [["无 none", "", "", "", ""]], id="district-changes"))
    return doc


def write_json(doc: Document, path: str | Path) -> Path:
    """Write a document's machine-readable record (dynamic table or district summary).

    Parameters
    ----------
    doc : Document
        A dynamic-table or district-summary document (with its record in ``doc.data``).
    path : str or Path
        The file written (UTF-8).

    Returns
    -------
    Path

    Raises
    ------
    CarbonCoreError
        The document has no record (the self-evaluation report).
    """
    if not doc.data:
        from ..errors import CarbonCoreError

        raise CarbonCoreError(f"the {doc.kind} document has no JSON record; JSON is written for "
                              "--kind dynamic and --kind district (the self-evaluation report's "
                              "data are `carbon compute --json` and `carbon score --json`)")
    path = Path(path)
    path.write_text(json.dumps(doc.data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path

