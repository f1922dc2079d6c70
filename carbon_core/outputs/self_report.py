"""The self-evaluation report (自评价报告) as a :class:`~carbon_core.outputs.document.Document`.

Built from one results document (``Results.to_dict()``), one score document
(``Evaluation.to_dict()``), the programme bundle's metadata and, optionally, previous years
(:class:`~carbon_core.outputs.history.History`), the inventory's targets
(:class:`~carbon_core.io.targets.Targets`) and the hourly matching series
(:func:`hourly_matching`, which needs the ``Results`` object: the JSON holds no hourly data).

Every figure read from the JSON keeps its JSON pointer (see :mod:`.document`), so the printed
report can be checked against the JSON to the last printed digit.

The title comes from the programme bundle: ``report_title_zh`` / ``report_title_en`` in its
``[programme]`` table when given, else ``<title_zh without its bracketed note>评价报告``
(a bundle titled 《示例市零碳示范工厂（模板）》 gives 《示例市零碳示范工厂评价报告》).

References
----------
GB/T 32150-2015 工业企业温室气体排放核算和报告通则; GB/T 2589-2020 综合能耗计算通则;
ISO 14068-1:2023 Carbon neutrality; GHG Protocol Scope 2 Guidance (WRI/WBCSD 2015).
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

import numpy as np

from ..errors import CarbonCoreError
from . import charts
from .document import (Document, Figure, KeyValues, Note, Num, Section, Series, Table, Text,
                       change, pct)
from .history import History

__all__ = ["METRIC_LABELS", "report_title", "build_self_report", "hourly_matching",
           "metric_label", "metric_num", "metric_infos", "metric_direction"]

#: metric -> (中文, English, unit, decimals, scale). The figures the reports compare by year.
METRIC_LABELS: dict[str, tuple[str, str, str, int, float]] = {
    "energy.total_tce_calorific": ("综合能耗（当量值）", "energy use, calorific", "tce", 2, 1.0),
    "energy.total_tce_equivalent": ("综合能耗（等价值）", "energy use, equivalent", "tce", 2,
                                    1.0),
    "emissions.scope1_tco2e": ("范围一排放", "Scope 1", "tCO2e", 2, 1.0),
    "emissions.scope2_location_tco2e": ("范围二排放（基于位置）", "Scope 2 location-based",
                                        "tCO2e", 2, 1.0),
    "emissions.scope2_market_tco2e": ("范围二排放（基于市场）", "Scope 2 market-based", "tCO2e",
                                      2, 1.0),
    "emissions.total_tco2e": ("排放总量（范围一+二）", "total, Scope 1 + 2 location", "tCO2e", 2,
                              1.0),
    "intensity.tco2e_per_wan_cny": ("单位增加值碳排放", "carbon per value added", "tCO2e/万元",
                                    4, 1.0),
    "intensity.tce_per_wan_cny": ("单位增加值能耗", "energy per value added", "tce/万元", 4, 1.0),
    "intensity.tco2e_per_output": ("单位产品碳排放", "carbon per unit of output", "tCO2e/unit",
                                   6, 1.0),
    "intensity.tce_per_output": ("单位产品能耗", "energy per unit of output", "tce/unit", 6,
                                 1.0),
    "balance.renewable_electricity_share": ("可再生能源电力消费占比",
                                            "renewable electricity share", "%", 2, 100.0),
    "balance.net_tco2e": ("净排放量", "net emissions", "tCO2e", 2, 1.0),
    "score.total_score": ("评价得分", "indicator score", "分 points", 2, 1.0),
}

_SCOPE_ZH = {1: "范围一 Scope 1", 2: "范围二 Scope 2", 3: "范围三 Scope 3"}
_CATEGORY = {
    "fuel_combustion": "化石燃料燃烧 fuel combustion",
    "process": "工业生产过程 process",
    "fugitive": "逸散排放 fugitive (refrigerants, SF6)",
    "purchased_electricity": "购入电力 purchased electricity",
    "purchased_heat": "购入热力 purchased heat and steam",
    "exported_electricity": "输出电力 exported electricity (deducted)",
    "exported_heat": "输出热力 exported heat (deducted)",
}
_CARRIER = {"electricity": "电力 electricity", "heat": "热力 heat (net purchased)",
            "steam": "蒸汽 steam", "hot_water": "热水 hot water", "natural_gas": "天然气 natural gas",
            "diesel": "柴油 diesel", "gasoline": "汽油 gasoline", "fuel_oil": "燃料油 fuel oil",
            "lpg": "液化石油气 LPG", "lng": "液化天然气 LNG", "kerosene": "煤油 kerosene",
            "coke": "焦炭 coke", "raw_coal": "原煤 raw coal", "washed_coal": "洗精煤 washed coal",
            "crude_oil": "原油 crude oil", "coke_oven_gas": "焦炉煤气 coke-oven gas",
            "blast_furnace_gas": "高炉煤气 blast-furnace gas",
            "converter_gas": "转炉煤气 converter gas"}
_MODE = {"annual": "年度 annual", "monthly": "月度 monthly", "hourly": "小时 hourly",
         "15min": "15分钟 15-minute"}
_INSTRUMENT = {"green_power_contract": "绿电交易 green-power contract", "ppa": "购电协议 PPA",
               "supplier_specific": "售电公司 supplier-specific", "gec": "绿证 GEC",
               "irec": "I-REC", "onsite_renewable": "自发自用 on-site renewable"}
_STANDARDS = [
    ("GB/T 32150-2015", "工业企业温室气体排放核算和报告通则",
     "general rules for GHG accounting of industrial enterprises: boundary, categories, "
     "E = AD × EF, exported electricity and heat deducted"),
    ("发改办气候〔2015〕1722号", "工业其他行业企业温室气体排放核算方法与报告指南（试行）",
     "NDRC guideline for other industries: fuel combustion E = FC × NCV × CC × OF × 44/12"),
    ("GB/T 2589-2020", "综合能耗计算通则",
     "energy use in tce: 当量值 (calorific) and 等价值 (equivalent) both reported"),
    ("ISO 14068-1:2023", "Carbon neutrality", "the balance from gross to net; offsets after "
     "reductions, never netted into scope totals"),
    ("GHG Protocol Scope 2 Guidance (2015)", "范围二核算指南",
     "location- and market-based Scope 2; instrument hierarchy; residual factor"),
]


def report_title(meta: Mapping[str, Any], kind: str = "self") -> tuple[str, str]:
    """(中文, English) title of a report of a programme.

    Parameters
    ----------
    meta : mapping
        The programme bundle's ``[programme]`` table (``Programme.meta``).
    kind : str
        ``self`` (评价报告), ``dynamic`` (动态管理表) or ``district`` (动态管理汇总表).

    Examples
    --------
    >>> report_title({"title_zh": "示例市零碳示范工厂（模板）",
    ...               "title_en": "Example City zero-carbon factory programme (template)"})
    ('示例市零碳示范工厂评价报告', 'Example City zero-carbon factory evaluation report')
    """
    key = {"self": "report_title", "dynamic": "dynamic_title", "district": "district_title"}[kind]
    suffix_zh = {"self": "评价报告", "dynamic": "动态管理表", "district": "动态管理汇总表"}[kind]
    suffix_en = {"self": "evaluation report", "dynamic": "annual dynamic management table",
                 "district": "district summary of the dynamic management tables"}[kind]
    zh = meta.get(f"{key}_zh")
    en = meta.get(f"{key}_en")
    base_zh = re.sub(r"[（(][^）)]*[）)]\s*$", "", str(meta.get("title_zh", ""))).strip()
    base_en = re.sub(r"\s*\([^)]*\)\s*$", "", str(meta.get("title_en", ""))).strip()
    base_en = re.sub(r"\s+programme$", "", base_en)
    return (zh or f"{base_zh}{suffix_zh}", en or f"{base_en} {suffix_en}".strip())


def metric_infos() -> dict:
    """Every metric the engine and balance define (name -> MetricInfo)."""
    from ..engine import available_metrics

    return available_metrics()


def metric_direction(name: str) -> bool | None:
    """True when higher is better, False when lower is, None without a direction.

    Parameters
    ----------
    name : str
        A metric name.
    """
    info = metric_infos().get(name)
    return None if info is None else info.higher_is_better


def metric_label(name: str) -> str:
    """``中文 English [unit]`` of a metric (the name itself when unknown).

    Parameters
    ----------
    name : str
        A metric name.
    """
    info = METRIC_LABELS.get(name)
    if info is None:
        return name
    return f"{info[0]} {info[1]} [{info[2]}]"


def metric_num(name: str, value: float | None, *, source: str = "", path: str = "",
               signed: bool = False) -> Num:
    """A :class:`Num` printed the way the reports print ``name``.

    Parameters
    ----------
    name : str
        A metric name (its decimals, scale and unit come from :data:`METRIC_LABELS`).
    value : float or None
        The value, in the metric's unit.
    source, path : str
        The JSON document and pointer the value is read from (printed as ``data-src`` /
        ``data-path`` so a reader can check it).
    signed : bool
        Print a + sign on positive values (changes).
    """
    info = METRIC_LABELS.get(name)
    if info is None:
        return Num(value, 4, source=source, path=path, signed=signed)
    _, _, unit, dec, scale = info
    return Num(value, dec, scale=scale, unit="%" if unit == "%" else "", source=source,
               path=path, signed=signed)


def _esc(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _R:
    """Numbers read from the results and score documents, with their pointers."""

    def __init__(self, results: dict, score: dict):
        self.results, self.score = results, score

    def get(self, path: str, doc: str = "results") -> Any:
        cur: Any = self.results if doc == "results" else self.score
        for part in path.lstrip("/").split("/"):
            if "~" in part:
                part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(cur, list):
                cur = cur[int(part)]
            elif isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                return None
        return cur

    def num(self, path: str, decimals: int = 2, *, doc: str = "results", scale: float = 1.0,
            unit: str = "") -> Num:
        return Num(self.get(path, doc), decimals, scale=scale, unit=unit, source=doc, path=path)

    def metric(self, name: str) -> Num:
        return metric_num(name, self.results.get("metrics", {}).get(name), source="results",
                          path=f"/metrics/{_esc(name)}")


# ------------------------------------------------------------------------------------ hourly


def hourly_matching(results: Any) -> dict[str, Any] | None:
    """Hour-by-hour matched and unmatched electricity from a ``Results`` object.

    Matched = on-site renewable self-consumption + time-stamped instruments matched in hourly
    mode (the hourly mode of :mod:`carbon_core.balance.market`); unmatched = grid electricity
    left to the residual factor. The sums are checked against the balance's hourly figures, so
    the heatmap can never disagree with the balance.

    Parameters
    ----------
    results : Results
        The computed result (not its JSON: the hourly series are not in the JSON).

    Returns
    -------
    dict or None
        ``times`` (hour starts), ``consumed``, ``onsite``, ``instruments``, ``unmatched`` [MWh]
        as float64 arrays; None when the meter data are coarser than hourly (the balance then
        reports hourly matching as unavailable, and so does the report).

    Raises
    ------
    CarbonCoreError
        The hourly series disagree with the balance (a defect, never silenced).
    """
    from ..balance.market import electricity_arrays
    from ..balance.matching import match_hierarchy, to_coarser

    balance = results.balance or {}
    mode = (balance.get("matching") or {}).get("hourly") or {}
    if not mode.get("available"):
        return None
    # the series the balance matched: a field of the Results record, or a method rebuilding it
    series = getattr(results, "electricity_series", None)
    series = series() if callable(series) else series
    if series is None:
        return None
    interval = series.attrs.get("interval")
    k = {"15min": 4, "1h": 1}.get(interval)
    if k is None:
        return None
    step = np.timedelta64(15, "m") if k == 4 else np.timedelta64(1, "h")
    el = electricity_arrays(series, step)
    agg = (lambda x: to_coarser(x, k) if k > 1 else np.asarray(x, dtype=float))
    consumed = agg(np.maximum(el.consumed, 0.0))
    onsite = agg(el.onsite) if mode.get("onsite_mwh", 0.0) > 0 else np.zeros(consumed.size)
    demand = agg(el.demand)
    times = el.times[::k]
    instruments = np.zeros(consumed.size)
    if mode.get("matched_mwh", 0.0) > 0:
        instruments = _instrument_hours(results, demand, times)
    unmatched = demand - instruments
    want = mode.get("onsite_mwh", 0.0) + mode.get("matched_mwh", 0.0)
    got = float(onsite.sum() + instruments.sum())
    if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6) or not math.isclose(
            float(unmatched.sum()), mode.get("unmatched_mwh", 0.0), rel_tol=1e-9, abs_tol=1e-6):
        raise CarbonCoreError(
            f"hourly matching series ({got} MWh matched, {unmatched.sum()} unmatched) disagree "
            f"with the balance ({want} MWh, {mode.get('unmatched_mwh')}): please report this")
    return {"times": times, "consumed": consumed, "onsite": onsite, "instruments": instruments,
            "unmatched": unmatched}


def _instrument_hours(results: Any, demand: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Instruments with interval profiles, matched hour by hour in the policy's hierarchy."""
    from ..balance.balance import parse_balance_table
    from pathlib import Path

    from ..balance.instruments import parse_instruments
    from ..balance.matching import match_hierarchy
    from ..errors import ProblemCollector

    inv = results.inventory
    p = ProblemCollector(str(inv.path))
    settings = parse_balance_table(dict(inv.sections("balance")), p, Path(inv.path).parent)
    if settings is None:  # the engine validated [balance] already; not reachable after compute
        p.raise_if_any()
        raise CarbonCoreError("the [balance] table could not be read again")
    insts = parse_instruments(list(inv.sections("instruments")), policy=settings.policy,
                              reporting_year=inv.reporting_year,
                              factory_id=inv.factory.credit_code,
                              factory_name=inv.factory.name,
                              grid_region=inv.factory.grid_region,
                              grid_province=inv.factory.grid_province,
                              source_file=str(inv.path), problems=p)
    hour = np.timedelta64(1, "h")
    by_type: dict[str, np.ndarray] = {}
    for i in insts:
        if i.status != "accepted" or i.type == "onsite_renewable" or i.profile_mwh is None:
            continue
        t = i.profile_mwh.index.values.astype("datetime64[ns]")
        idx = np.searchsorted(times, t, side="right") - 1
        ok = (idx >= 0) & (t < times[np.clip(idx, 0, None)] + hour)
        s = np.bincount(idx[ok], weights=i.profile_mwh.values[ok], minlength=times.size)
        by_type[i.type] = by_type.get(i.type, 0.0) + s[: times.size]
    order = [t for t in settings.policy.hierarchy if t in by_type] + \
        [t for t in by_type if t not in settings.policy.hierarchy]
    matched, _ = match_hierarchy(demand, [by_type[t] for t in order])
    return np.sum(matched, axis=0) if matched else np.zeros(demand.size)


# ------------------------------------------------------------------------------------ builder


def build_self_report(results: dict, score: dict, *, programme: Mapping[str, Any],
                      programme_name: str = "", history: History | None = None,
                      targets: Any = None, hourly: dict | None = None,
                      generator: str = "", previous_files: list | None = None) -> Document:
    """The self-evaluation report of one factory and reporting year.

    Parameters
    ----------
    results : dict
        ``Results.to_dict()``.
    score : dict
        ``Evaluation.to_dict()`` of the same results.
    programme : mapping
        The programme bundle's ``[programme]`` table (title, status).
    history : History, optional
        Previous years (year-on-year change, the trend chart).
    targets : carbon_core.io.targets.Targets, optional
    hourly : dict, optional
        :func:`hourly_matching` of the same results.
    generator : str
        ``carbon_core <version>``, printed in the appendix.
    programme_name : str
        The programme's registry name, printed in the appendix.
    previous_files : list, optional
        Not used: the previous years' files are listed from ``history`` (kept for the callers).
    """
    r = _R(results, score)
    history = history or History()
    title_zh, title_en = report_title(programme, "self")
    f = results["factory"]
    year = results["reporting_year"]
    template = bool(score.get("system", {}).get("template")) or str(
        programme.get("status", "")).startswith("template")
    doc = Document("self", f"《{title_zh}》", title_en,
                   subtitle=f"{f['name']} · {year} 年度 reporting year {year}",
                   generator=generator)
    if template:
        doc.banner = ("模板 TEMPLATE: 本报告所用的评价指标体系为模板，非官方文件 — the indicator "
                      "system used here is a template, not the programme's official document. "
                      + str(score.get("system", {}).get("notice", "")))
    _cover(doc, r, programme, programme_name, template)
    _basis(doc, r)
    _energy(doc, r, history)
    _emissions(doc, r)
    _balance(doc, r, hourly)
    if hourly is not None:
        doc.series.append(_hourly_table(hourly))
    _indicators(doc, r)
    _eligibility(doc, r)
    _targets(doc, r, history, targets)
    _quality(doc, r)
    _appendix(doc, r, history, programme_name, generator, previous_files)
    return doc


def _cover(doc: Document, r: _R, programme, name, template) -> None:
    res, sc = r.results, r.score
    f = res["factory"]
    system = sc.get("system", {})
    doc.meta = [
        ("企业名称 factory", f["name"]),
        ("统一社会信用代码 credit code", Text(f["credit_code"], "mono")),
        ("所在区 district", f.get("district") or "—"),
        ("行业 sectors", ", ".join(f.get("sectors") or []) or "—"),
        ("报告年度 reporting year", str(res["reporting_year"])),
        ("项目 programme", f"{programme.get('title_zh', name)} {programme.get('title_en', '')}"),
        ("指标体系 indicator system", f"{system.get('title_zh', '')} v{system.get('version', '')}"),
        ("指标体系为模板 template", Text("是 yes: 非官方 not the official document", "bad")
         if template else Text("否 no", "ok")),
        ("评价结论 verdict", Text(f"{sc.get('verdict_zh', '')} {sc.get('verdict_en', '')}",
                                 "ok" if sc.get("verdict") == "qualified" else "bad")),
        ("总分 total score", r.num("/total_score", 2, doc="score")),
    ]
    s = doc.section("basic", "基本信息", "Basic information")
    s.add(KeyValues("主要结果 key results", [
        ("范围一排放 Scope 1 [tCO2e]", r.num("/scope1/total_tco2e")),
        ("范围二排放 基于位置 Scope 2 location-based [tCO2e]",
         r.num("/scope2/location_based_tco2e")),
        ("范围二排放 基于市场 Scope 2 market-based [tCO2e]", r.num("/scope2/market_based_tco2e")),
        ("排放总量 total (Scope 1 + 2 location) [tCO2e]", r.num("/total_tco2e")),
        ("综合能耗 当量值 energy, calorific [tce]", r.num("/energy/total_tce_calorific")),
        ("综合能耗 等价值 energy, equivalent [tce]", r.num("/energy/total_tce_equivalent")),
        ("净排放 net emissions [tCO2e]", r.num("/balance/net_tco2e")),
        ("可再生能源电力占比 renewable electricity share",
         r.metric("balance.renewable_electricity_share")),
        ("评价得分 score [points of 100]", r.num("/total_score", 2, doc="score")),
    ], id="key-results"))


def _basis(doc: Document, r: _R) -> None:
    res = r.results
    s = doc.section("basis", "核算依据", "Accounting basis")
    bal = res.get("balance") or {}
    boundary = bal.get("boundary", {})
    s.add(KeyValues("核算边界 boundary", [
        ("组织边界 organisational boundary", f"{res['factory']['name']} (法人边界 legal entity, "
         "site in the inventory)"),
        ("平衡边界 balance boundary", f"{boundary.get('type', '—')}: "
         f"{boundary.get('description', '—')}"),
        ("总量口径 total basis", res.get("total_basis", "")),
        ("全球变暖潜势 GWP set", f"IPCC {res.get('gwp_set')} (100-year)"),
        ("电网因子选择 grid factor selection",
         (res["provenance"].get("selection_rules", {}).get("electricity", {}) or {})
         .get("described", "—")),
        ("平衡规则 balance policy", f"{bal.get('policy', {}).get('name', '—')}: "
         f"{bal.get('policy', {}).get('title', '')}"),
    ], id="boundary"))
    s.add(Table("标准与方法 standards and methods", ["标准 standard", "名称 title",
                                                      "用途 used for"],
                [[Text(a, "mono"), b, c] for a, b, c in _STANDARDS], id="standards"))
    formulas: dict[str, list[str]] = {}
    for li in res.get("line_items", []):
        formulas.setdefault(li.get("formula") or "—", []).append(li["category"])
    s.add(Table("计算公式 formulas used by the line items", ["公式 formula",
                                                            "类别 categories"],
                [[Text(k, "mono"), ", ".join(sorted(set(v)))] for k, v in formulas.items()],
                id="formulas"))
    s.add(Table("因子版本 factor editions", ["版本 edition", "出处 announcement / document",
                                              "文件 file", "SHA-256"],
                [[Text(ff["id"], "mono"), ff.get("citation", ""), ff.get("file") or "—",
                  Text((ff.get("sha256") or "—")[:16] + "…", "mono")]
                 for ff in res["provenance"].get("factor_files", [])], id="factor-files"))
    rows = []
    for i, fu in enumerate(res["provenance"].get("factors_used", [])):
        rows.append([Text(fu["key"], "mono"), Num(fu["value"], _decimals_of(fu["value"]),
                                                  source="results",
                                                  path=f"/provenance/factors_used/{i}/value"),
                     fu.get("unit", ""), fu.get("region", ""), fu.get("data_year") or "—",
                     Text(fu.get("confidence", ""), "ok" if fu.get("confirmed") else "bad"),
                     fu.get("citation", "")])
    s.add(Table("使用的因子 factors used (confidence: C confirmed, S single source, M widely "
                "cited, X conflicting)", ["因子 key", "值 value", "单位 unit", "地区 region",
                                          "数据年 data year", "可信度 confidence",
                                          "出处 source"], rows, id="factors-used"))


def _decimals_of(v: float) -> int:
    """Enough decimals to print a factor exactly as stored (up to 8)."""
    for d in range(0, 9):
        if abs(round(v, d) - v) <= 1e-12 * max(1.0, abs(v)):
            return d
    return 8


def _energy(doc: Document, r: _R, history: History) -> None:
    res = r.results
    e = res["energy"]
    s = doc.section("energy", "能源消费", "Energy")
    total_c, total_e = e["total_tce_calorific"], e["total_tce_equivalent"]
    rows, labels, cal, equ = [], [], [], []
    for i, it in enumerate(e.get("items", [])):
        lab = _CARRIER.get(it["carrier"], it["carrier"])
        rows.append([lab, Text(it["id"], "mono"),
                     r.num(f"/energy/items/{i}/activity", 3), it.get("unit", ""),
                     r.num(f"/energy/items/{i}/tce_calorific"),
                     r.num(f"/energy/items/{i}/tce_equivalent"),
                     Num(pct(it["tce_calorific"], total_c), 2, scale=100, unit="%"),
                     Num(pct(it["tce_equivalent"], total_e), 2, scale=100, unit="%"),
                     it.get("method", "")])
        labels.append(lab)
        cal.append(it["tce_calorific"])
        equ.append(it["tce_equivalent"])
    rows.append([Text("合计 total", "strong"), "", "", "", r.num("/energy/total_tce_calorific"),
                 r.num("/energy/total_tce_equivalent"), Num(1.0 if total_c else None, 2,
                                                            scale=100, unit="%"),
                 Num(1.0 if total_e else None, 2, scale=100, unit="%"), ""])
    table = Table("分品种能源消费 energy by carrier", [
        "品种 carrier", "来源 meter / activity", "实物量 amount", "单位 unit",
        "当量值 calorific [tce]", "等价值 equivalent [tce]", "当量值占比 share (calorific)",
        "等价值占比 share (equivalent)", "方法 method"], rows, id="energy-by-carrier")
    s.add(Figure("能源结构 energy structure (tce)", charts.grouped_hbars(
        labels, [("当量值 calorific", cal), ("等价值 equivalent", equ)], unit="tce",
        title="能源结构 energy structure"), table, id="chart-energy-structure"))
    kwh = res.get("electricity_kwh", {})
    s.add(KeyValues("电力 electricity [kWh]", [
        (f"{zh} {k}", r.num(f"/electricity_kwh/{k}", 2)) for k, zh in (
            ("grid_purchase", "外购电量"), ("onsite_generation", "自发电量"),
            ("onsite_renewable", "可再生能源自发电量"), ("export", "上网电量"),
            ("onsite_self_consumed", "自发自用电量"), ("consumed", "用电量")) if k in kwh],
        id="electricity"))
    names = ["intensity.tce_per_output", "intensity.tce_per_wan_cny",
             "intensity.tco2e_per_output", "intensity.tco2e_per_wan_cny",
             "energy.total_tce_calorific", "energy.total_tce_equivalent"]
    prev_year = res["reporting_year"] - 1
    has_prev = prev_year in history.by_year
    cols = ["指标 figure", f"{res['reporting_year']}"]
    if has_prev:
        cols += [f"{prev_year}", "变化 change", "变化率 change %"]
    rows = []
    for n in names:
        cur = res.get("metrics", {}).get(n)
        row = [metric_label(n).replace("unit]", f"{_unit(res)}]"), r.metric(n)]
        if has_prev:
            prev = history.metric(prev_year, n)
            d, rel = change(cur, prev)
            row += [metric_num(n, prev), metric_num(n, d, signed=True),
                    Num(rel, 2, scale=100, unit="%", signed=True)]
        rows.append(row)
    p = res.get("production", {})
    s.add(Table("能耗与碳排放强度 intensities" + ("" if has_prev else
                                                 " (no previous year given: --previous)"),
                cols, rows, id="intensities",
                note=f"产量 output {p.get('output')} {p.get('output_unit', '')}; 增加值 value "
                     f"added {p.get('value_added_wan_cny')} 万元"))


def _unit(res: dict) -> str:
    u = (res.get("production") or {}).get("output_unit") or "unit"
    return u.split(" ")[0]


def _emissions(doc: Document, r: _R) -> None:
    res = r.results
    s = doc.section("emissions", "温室气体排放", "Greenhouse-gas emissions")
    s1 = res["scope1"]
    s.add(Table("范围一 按类别 Scope 1 by category", ["类别 category", "tCO2e"],
                [[_CATEGORY.get(c, c), r.num(f"/scope1/by_category/{_esc(c)}")]
                 for c in s1.get("by_category", {})]
                + [[Text("范围一合计 Scope 1 total", "strong"), r.num("/scope1/total_tco2e")]],
                id="scope1-category"))
    s.add(Table("范围一 按气体 Scope 1 by gas (GWP " + str(res.get("gwp_set")) + ")",
                ["气体 gas", "tCO2e"],
                [[g, r.num(f"/scope1/by_gas_tco2e/{_esc(g)}")]
                 for g in s1.get("by_gas_tco2e", {})], id="scope1-gas"))
    s2 = res["scope2"]
    s.add(Table("范围二 Scope 2", ["项目 item", "tCO2e"],
                [[_CATEGORY.get(c, c), r.num(f"/scope2/by_category/{_esc(c)}")]
                 for c in s2.get("by_category", {})]
                + [[Text("基于位置 location-based (GB/T 32150)", "strong"),
                    r.num("/scope2/location_based_tco2e")],
                   [Text("基于市场 market-based", "strong"), r.num("/scope2/market_based_tco2e")]],
                id="scope2", note="市场法口径 market-based basis: " + s2.get("market_based_basis",
                                                                          "")))
    s3 = res.get("scope3", {})
    if s3.get("by_category"):
        s.add(Table("范围三 Scope 3 (declared categories)", ["类别 category", "tCO2e"],
                    [[c, r.num(f"/scope3/by_category/{_esc(c)}")] for c in s3["by_category"]]
                    + [[Text("范围三合计 total", "strong"), r.num("/scope3/total_tco2e")]],
                    id="scope3"))
    else:
        s.add(Note("范围三：未申报 Scope 3: no category declared in the inventory."))
    if s3.get("categories"):  # carbon_core.scope3: all fifteen, screening and data quality
        s.add(Table("范围三 十五类别筛选与数据质量 Scope 3 screening and data quality "
                    "(1 very good .. 4 poor, Scope 3 Standard Table 7.6)",
                    ["类别 category", "筛选 screening", "tCO2e", "数据质量 DQ"],
                    [[f"{c['category']} {c['name']}", c["screening"]["label"],
                      r.num(f"/scope3/categories/{i}/total_tco2e"),
                      r.num(f"/scope3/categories/{i}/data_quality/score")
                      if c.get("data_quality") else None]
                     for i, c in enumerate(s3["categories"])],
                    id="scope3-screening",
                    note="; ".join(s3.get("warnings", [])[:10])))
    iso = res.get("iso14064")
    if iso:
        s.add(Table("ISO 14064-1:2018 类别 categories (5.2.4)", ["类别 category", "tCO2e"],
                    [[f"{c['category']} {c['name']}",
                      r.num(f"/iso14064/categories/{i}/total_tco2e")]
                     for i, c in enumerate(iso["categories"])]
                    + [[Text("合计 total", "strong"), r.num("/iso14064/total_tco2e")]],
                    id="iso14064"))
    bio = res.get("biogenic")
    if bio and (bio.get("co2_t") or bio.get("removals", {}).get("total_tco2")):
        s.add(Table("生物质CO2与清除量（单独报告）biogenic CO2 and removals (reported apart)",
                    ["项目 item", "tCO2"],
                    [["生物质CO2 biogenic CO2", r.num("/biogenic/co2_t")],
                     ["边界内清除量 removals", r.num("/biogenic/removals/total_tco2")]],
                    id="biogenic", note=bio.get("basis", "")))
    months = res.get("monthly", [])
    cats = [m["month"] if m["month"] != "unallocated" else "未分月" for m in months]
    series = [("范围一 Scope 1", [m["scope1_tco2e"] for m in months]),
              ("范围二 Scope 2 (location)", [m["scope2_location_tco2e"] for m in months])]
    has3 = any(m.get("scope3_tco2e") for m in months)
    if has3:
        series.append(("范围三 Scope 3", [m["scope3_tco2e"] for m in months]))
    rows = []
    for i, m in enumerate(months):
        row = [m["month"] if m["month"] != "unallocated" else "未分月 not attributable to a month",
               r.num(f"/monthly/{i}/scope1_tco2e"), r.num(f"/monthly/{i}/scope2_location_tco2e")]
        if has3:
            row.append(r.num(f"/monthly/{i}/scope3_tco2e"))
        rows.append(row)
    cols = ["月份 month", "范围一 Scope 1 [tCO2e]", "范围二 Scope 2 location [tCO2e]"] + (
        ["范围三 Scope 3 [tCO2e]"] if has3 else [])
    s.add(Figure("逐月排放 monthly emissions by scope",
                 charts.stacked_bars([c[-2:] if c[:4].isdigit() else c for c in cats], series,
                                     unit="tCO2e", title="逐月排放 monthly emissions by scope"),
                 Table("逐月排放 monthly emissions", cols, rows, id="monthly"),
                 id="chart-monthly"))
    rows = []
    for i, li in enumerate(res.get("line_items", [])):
        rows.append([Text(li["id"], "mono"), _SCOPE_ZH.get(li["scope"], li["scope"]),
                     r.num(f"/line_items/{i}/activity", 3), li.get("activity_unit", ""),
                     Num(li["factor_value"], _decimals_of(li["factor_value"]), source="results",
                         path=f"/line_items/{i}/factor_value"), li.get("factor_unit", ""),
                     li.get("gas", ""), r.num(f"/line_items/{i}/emissions_tco2e"),
                     Text("已确认 confirmed", "ok") if li.get("confirmed") else
                     Text("未确认 unconfirmed", "bad"), li.get("factor_source", "")])
    s.add(Table("排放明细 line items (activity × factor)", [
        "明细 line item", "范围 scope", "活动数据 activity", "单位 unit", "因子 factor",
        "因子单位 unit", "气体 gas", "tCO2e", "因子状态 factor status", "因子出处 source"],
        rows, id="line-items"))


def _balance(doc: Document, r: _R, hourly: dict | None) -> None:
    res = r.results
    bal = res.get("balance")
    s = doc.section("balance", "碳平衡", "Balance from gross to net")
    if not bal:
        s.add(Note("未计算碳平衡 the balance was not computed.", "warning"))
        return
    steps = [("排放总量 gross", bal["gross_tco2e"], "total"),
             ("绿电 green electricity", -bal["green_electricity_tco2e"], "delta"),
             ("绿证 certificates", -bal["certificates_tco2e"], "delta"),
             ("抵销 offsets", -bal["offsets_tco2e"], "delta"),
             ("净排放 net", bal["net_tco2e"], "total")]
    table = Table("从总排放到净排放 gross to net [tCO2e]", ["步骤 step", "tCO2e"], [
        ["排放总量 gross emissions", r.num("/balance/gross_tco2e")],
        ["减：绿电 less green electricity", r.num("/balance/green_electricity_tco2e")],
        ["减：绿证 less certificates", r.num("/balance/certificates_tco2e")],
        ["减：碳信用抵销 less offsets", r.num("/balance/offsets_tco2e")],
        [Text("净排放 net emissions", "strong"), r.num("/balance/net_tco2e")],
    ], id="balance")
    s.add(Figure("碳平衡瀑布图 balance waterfall", charts.waterfall(
        steps, unit="tCO2e", title="碳平衡 gross to net"), table, id="chart-waterfall"))
    gc = bal.get("gross_components", {})
    s.add(KeyValues("总排放构成 gross components [tCO2e]", [
        (k, r.num(f"/balance/gross_components/{_esc(k)}")) for k in gc] + [
        ("基于位置的总排放 location-based gross", r.num("/balance/location_based_gross_tco2e")),
        ("剩余组合因子调整 residual-mix adjustment",
         r.num("/balance/residual_mix_adjustment_tco2e")),
        ("剩余电网因子 residual factor [tCO2/MWh]",
         r.num("/balance/residual_factor/value", _decimals_of(
             bal.get("residual_factor", {}).get("value") or 0.0))),
        ("剩余因子出处 residual factor source", bal.get("residual_factor", {}).get("citation",
                                                                                  "")),
    ], id="gross-components"))
    rows = []
    for i, ins in enumerate(bal.get("instruments", [])):
        rows.append([Text(ins["id"], "mono"), _INSTRUMENT.get(ins["type"], ins["type"]),
                     ins.get("technology") or "—", ins.get("province") or "—",
                     r.num(f"/balance/instruments/{i}/volume_mwh", 3),
                     r.num(f"/balance/instruments/{i}/matched_mwh", 3),
                     r.num(f"/balance/instruments/{i}/excess_mwh", 3),
                     Text(ins["status"] + (f": {ins['reason']}" if ins.get("reason") else ""),
                          "ok" if ins["status"] == "accepted" else "bad"),
                     Text("; ".join(ins.get("certificates") or []) or "—", "mono"),
                     ins.get("retired_on") or "—", ins.get("beneficiary") or "—",
                     (ins.get("evidence") or {}).get("evidence", "")])
    s.add(Table("绿电与绿证 green electricity and certificates (matching: "
                + str(bal.get("matching_for_balance")) + ")", [
                    "编号 id", "类型 type", "技术 technology", "省份 province",
                    "电量 volume [MWh]", "匹配 matched [MWh]", "超额 excess [MWh]",
                    "状态 status", "证书序列号 serials", "核销日期 retired on",
                    "受益方 beneficiary", "证明 evidence"], rows, id="instruments"))
    rows = []
    for i, o in enumerate(bal.get("offsets", [])):
        rows.append([Text(o["id"], "mono"), o.get("standard", ""), o.get("registry", ""),
                     o.get("project", ""), str(o.get("vintage", "")),
                     {"removal": "移除 removal", "avoidance": "减排 avoidance"}.get(
                         o.get("kind"), o.get("kind") or "—"),
                     r.num(f"/balance/offsets/{i}/tco2e"),
                     Text(o["status"] + (f": {o['reason']}" if o.get("reason") else ""),
                          "ok" if o["status"] == "accepted" else "bad"),
                     Text("; ".join(o.get("serials") or []) or "—", "mono"),
                     o.get("retired_on") or "—", (o.get("evidence") or {}).get("evidence", "")])
    s.add(Table("碳信用抵销 offsets", ["编号 id", "标准 standard", "登记系统 registry",
                                        "项目 project", "年份 vintage", "类型 type", "tCO2e",
                                        "状态 status", "序列号 serials", "注销日期 retired on",
                                        "证明 evidence"], rows, id="offsets"))
    cap = bal.get("offset_cap", {})
    s.add(KeyValues("抵销上限 offset cap", [
        ("申报 claimed [tCO2e]", r.num("/balance/offset_cap/claimed_tco2e")),
        ("计入 counted [tCO2e]", r.num("/balance/offset_cap/counted_tco2e")),
        ("上限比例 cap share", "无上限 no cap" if cap.get("cap_share") is None else
         r.num("/balance/offset_cap/cap_share", 2, scale=100, unit="%")),
        ("超出上限 beyond the cap [tCO2e]", r.num("/balance/offset_cap/beyond_cap_tco2e")),
        ("盈余 surplus [tCO2e]", r.num("/balance/offset_cap/surplus_tco2e")),
    ], id="offset-cap"))
    led = bal.get("ledger")
    s.add(KeyValues("声明台账 claims ledger", [(
        "状态 status", Text("未核对：未指定台账 not checked: no ledger given (--ledger DB)", "bad")
        if not led else Text(f"已登记 {led.get('claims_recorded')} 项声明于 claims recorded in "
                             f"{led.get('path')}; 无重复声明 no double claim", "ok"))],
        id="ledger"))
    rows = []
    for m, mr in bal.get("matching", {}).items():
        base = f"/balance/matching/{_esc(m)}"
        if not mr.get("available"):
            rows.append([_MODE.get(m, m), Text("不可用 not available: " + str(mr.get("reason")),
                                               "muted"), "—", "—", "—", "—", "—"])
            continue
        rows.append([_MODE.get(m, m), Text("可用 available", "ok"),
                     r.num(f"{base}/onsite_mwh", 3), r.num(f"{base}/matched_mwh", 3),
                     r.num(f"{base}/unmatched_mwh", 3),
                     r.num(f"{base}/cfe_score", 2, scale=100, unit="%"),
                     r.num(f"{base}/market_based_tco2e")])
    s.add(Table("时间匹配 temporal matching (CFE score = carbon-free matched / consumed)", [
        "模式 mode", "可用 available", "自发自用 on-site [MWh]", "合同匹配 instruments "
        "matched [MWh]", "未匹配 unmatched [MWh]", "CFE 得分 score",
        "市场法范围二电力 market-based electricity [tCO2e]"], rows, id="matching"))
    if hourly is None:
        s.add(Note("逐时匹配热图不可用：计量数据粗于小时 the hourly heatmap needs meter data at "
                   "hourly resolution or finer.", "warning"))
        return
    _heatmap(s, hourly, res["reporting_year"])


def _heatmap(s: Section, hourly: dict, year: int) -> None:
    times = hourly["times"]
    n = times.size
    days = n // 24
    shape = (days, 24)
    consumed = hourly["consumed"][: days * 24].reshape(shape).T
    matched = (hourly["onsite"] + hourly["instruments"])[: days * 24].reshape(shape).T
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(consumed > 0, matched / consumed, np.nan)
    month_cols = []
    t0 = times[0].astype("datetime64[D]")
    for mth in range(12):
        d = np.datetime64(f"{year}-{mth + 1:02d}-01")
        month_cols.append((int((d - t0).astype(int)), f"{mth + 1}月"))
    svg = charts.heatmap(share, day_labels=month_cols,
                         title="逐时匹配 hour of day × day of year: matched share of consumption")
    by_hour = {k: hourly[k][: days * 24].reshape(shape).sum(axis=0)
               for k in ("consumed", "onsite", "instruments", "unmatched")}
    rows = []
    for h in range(24):
        c = float(by_hour["consumed"][h])
        mt = float(by_hour["onsite"][h] + by_hour["instruments"][h])
        um = float(by_hour["unmatched"][h])
        rows.append([f"{h:02d}:00", Num(c, 3), Num(mt, 3), Num(um, 3),
                     Num(pct(mt, c), 2, scale=100, unit="%")])
    tot = {"consumed": float(hourly["consumed"].sum()),
           "matched": float(hourly["onsite"].sum() + hourly["instruments"].sum()),
           "unmatched": float(hourly["unmatched"].sum())}
    rows.append([Text("全年 year", "strong"), Num(tot["consumed"], 3), Num(tot["matched"], 3),
                 Num(tot["unmatched"], 3), Num(pct(tot["matched"], tot["consumed"]), 2,
                                               scale=100, unit="%")])
    table = Table("按时刻汇总 by hour of day [MWh]", [
        "时刻 hour", "用电 consumed", "匹配 matched (on-site + time-stamped instruments)",
        "未匹配 grid unmatched", "匹配比例 matched share"], rows, id="hourly",
        note="每格为该小时匹配电量占用电量之比；全年逐时数据见 XLSX 版本 (sheet 'hourly'). Each "
             "cell: matched / consumed in that hour; the full hourly series is in the XLSX "
             "report.")
    s.add(Figure("逐时匹配热图 hourly matching heatmap", svg, table, id="chart-heatmap",
                 wide=True))


def _hourly_table(hourly: dict) -> Series:
    return Series("逐时电量 hourly electricity [MWh]", [
        "时段起点 hour start", "用电 consumed", "自发自用 on-site renewable",
        "合同匹配 instruments matched", "未匹配 grid unmatched"], hourly["times"],
        [hourly[c] for c in ("consumed", "onsite", "instruments", "unmatched")], id="hourly")


def _indicators(doc: Document, r: _R) -> None:
    sc = r.score
    s = doc.section("indicators", "指标评价", "Indicator evaluation")
    s.add(KeyValues("评价结果 result", [
        ("总分 total score", r.num("/total_score", 2, doc="score")),
        ("满分 maximum", r.num("/max_score", 2, doc="score")),
        ("合格分 pass score", r.num("/pass_score", 2, doc="score")),
        ("未满足的必选指标 mandatory items unmet",
         Text(", ".join(sc.get("mandatory_unmet") or []) or "无 none",
              "bad" if sc.get("mandatory_unmet") else "ok")),
        ("结论 verdict", Text(f"{sc.get('verdict_zh')} {sc.get('verdict_en')}",
                              "ok" if sc.get("verdict") == "qualified" else "bad")),
        ("评价日期 judged as of", sc.get("as_of", "")),
    ], id="score-summary"))
    levels = sc.get("levels", [])
    rows = [[f"{lv['id']} {lv['name_zh']} {lv['name_en']}",
             r.num(f"/levels/{i}/score", 2, doc="score"),
             r.num(f"/levels/{i}/effective_weight", 2, doc="score"),
             Num(pct(lv["score"], lv["effective_weight"]), 2, scale=100, unit="%")]
            for i, lv in enumerate(levels)]
    s.add(Figure("一级指标得分 points by first-level indicator", charts.bars_vs_max(
        [f"{lv['id']} {lv['name_zh']}" for lv in levels], [lv["score"] for lv in levels],
        [lv["effective_weight"] for lv in levels], unit="分 points",
        title="一级指标得分与满分 points against the maximum"),
        Table("一级指标 first-level indicators", ["一级指标 indicator", "得分 points",
                                                  "满分 maximum", "得分率 share"], rows,
              id="levels"), id="chart-levels"))
    for lv in levels:
        rows = []
        for i, ind in enumerate(sc.get("indicators", [])):
            if ind["level1"] != lv["id"]:
                continue
            met = ind.get("met")
            mand = ind["kind"] == "mandatory"
            rows.append([
                Text(ind["id"], "mono"), f"{ind['name_zh']} {ind['name_en']}",
                Text("必选 mandatory", "strong") if mand else "可选 optional",
                ind.get("rule", {}).get("text", ""),
                _value_cell(ind, i),
                r.num(f"/indicators/{i}/points", 2, doc="score"),
                r.num(f"/indicators/{i}/max_points", 2, doc="score"),
                Text("满足 met", "ok") if met is True else (
                    Text("未满足 unmet", "bad") if met is False else "—"),
                ind.get("explanation", "")])
        s.add(Table(f"{lv['id']} {lv['name_zh']} {lv['name_en']}", [
            "编号 id", "二级指标 indicator", "类型 kind", "规则 rule", "值 value",
            "得分 points", "满分 max", "是否满足 met", "依据 evidence and explanation"], rows,
            id=f"level-{lv['id']}"))
    for n in sc.get("notes", []):
        s.add(Note(n, "template" if "TEMPLATE" in n else "info"))


def _value_cell(ind: dict, i: int) -> Any:
    v = ind.get("value")
    if isinstance(v, bool):
        return Text("是 true" if v else "否 false", "ok" if v else "bad")
    if isinstance(v, (int, float)):
        unit = ind.get("unit", "")
        if unit in ("1", "share", "%"):
            return Num(v, 2, scale=100, unit="%", source="score", path=f"/indicators/{i}/value")
        return Num(v, 4, source="score", path=f"/indicators/{i}/value")
    return Text("缺 missing", "muted") if v is None else str(v)


def _eligibility(doc: Document, r: _R) -> None:
    el = r.score.get("eligibility", {})
    s = doc.section("eligibility", "基本要求与否决项", "Eligibility: basic requirements and "
                    "exclusions")
    s.add(Table("基本要求 basic requirements and exclusions (as of " + str(el.get("as_of"))
                + ")", ["编号 id", "要求 requirement", "结果 result", "依据 detail"],
                [[Text(c["id"], "mono"), f"{c.get('name_zh', '')} {c.get('name_en', '')}",
                  Text("通过 passed", "ok") if c.get("passed") else Text("未通过 failed", "bad"),
                  c.get("detail", "")] for c in el.get("checks", [])], id="eligibility"))
    s.add(Note(("符合基本要求 eligible." if el.get("eligible") else
                "不符合基本要求 not eligible: " + ", ".join(el.get("failed", []))),
               "info" if el.get("eligible") else "warning"))


def _targets(doc: Document, r: _R, history: History, targets: Any) -> None:
    res = r.results
    year = res["reporting_year"]
    annual = list(getattr(targets, "annual", ()) or ())
    base_year = getattr(targets, "base_year", None)
    base_values = dict(getattr(targets, "base_values", {}) or {})
    if not annual and not history.by_year and not base_values:
        return
    s = doc.section("targets", "目标与趋势", "Targets and trend")
    years = sorted(set(history.years()) | {year} | ({base_year} if base_year else set())
                   | {t.year for t in annual if t.year <= year})
    metrics = list(dict.fromkeys([t.metric for t in annual] + list(base_values)))
    if not any(m.startswith("intensity.") for m in metrics):
        metrics += ["intensity.tco2e_per_wan_cny", "intensity.tce_per_wan_cny"]
    metrics.sort(key=lambda m: not m.startswith("intensity."))  # intensities first, stable

    def actual(m: str, y: int) -> tuple[float | None, str]:
        if y == year:
            return res.get("metrics", {}).get(m), "results"
        v = history.metric(y, m)
        if v is None and y == base_year and m in base_values:
            return base_values[m], "declared"
        return v, "previous" if v is not None else ""

    rows = []
    for m in metrics:
        for y in years:
            v, origin = actual(m, y)
            tgt = next((t for t in annual if t.year == y and t.metric == m), None)
            cell = r.metric(m) if origin == "results" else metric_num(m, v)
            rows.append([metric_label(m), str(y) + (" 基准年 base" if y == base_year else ""),
                         cell, metric_num(m, tgt.value if tgt else None),
                         _met_cell(m, v, tgt.value if tgt else None, res),
                         {"results": "本年核算 this report", "previous": "往年结果 previous "
                          "results", "declared": "申报基准值 declared base value"}.get(origin,
                                                                                   "—")])
    s.add(Table("实际与目标 actual against target", [
        "指标 figure", "年度 year", "实际 actual", "目标 target", "完成 met", "来源 source"],
        rows, id="targets", note=(f"基准年 base year {base_year}"
                                  + (f" ({targets.base_source})" if getattr(
                                      targets, "base_source", "") else "")) if base_year
        else ""))
    future = [t for t in annual if t.year > year]
    if future:
        s.add(Table("后续年度目标 targets for later years", ["年度 year", "指标 figure",
                                                              "目标 target", "说明 note"],
                    [[str(t.year), metric_label(t.metric), metric_num(t.metric, t.value),
                      t.note] for t in future], id="future-targets"))
    for m in metrics[:4]:
        vals = [actual(m, y)[0] for y in years]
        tg = [next((t.value for t in annual if t.year == y and t.metric == m), None)
              for y in years]
        if sum(v is not None for v in vals) == 0:
            continue
        info = METRIC_LABELS.get(m)
        scale = info[4] if info else 1.0
        unit = info[2] if info else ""
        sv = [None if v is None else v * scale for v in vals]
        st = [None if v is None else v * scale for v in tg]
        label = info[0] if info else m
        table = Table(f"{label} 逐年 by year", ["年度 year", "实际 actual", "目标 target"],
                      [[str(y), metric_num(m, v), metric_num(m, t)]
                       for y, v, t in zip(years, vals, tg)], id=f"trend-{m}")
        s.add(Figure(f"{label} 趋势与目标 trend against target",
                     charts.trend(years, [("实际 actual", sv)], [("目标 target", st)],
                                  unit=unit, title=f"{label} {m}"), table,
                     id=f"chart-trend-{m.replace('.', '-')}"))


def _met_cell(metric: str, value: float | None, target: float | None, res: dict) -> Any:
    if value is None or target is None:
        return "—"
    hib = metric_direction(metric)
    if hib is None:
        return Text("无方向 no direction", "muted")
    ok = value >= target if hib else value <= target
    return Text("完成 met", "ok") if ok else Text("未完成 missed", "bad")


def _quality(doc: Document, r: _R) -> None:
    res = r.results
    dq = res.get("data_quality", {})
    s = doc.section("quality", "数据质量", "Data quality")
    fills = dq.get("fills", [])
    s.add(KeyValues("缺失数据处理 gaps", [
        ("缺失值策略 gap policy", dq.get("gap_policy", "")),
        ("补齐的缺失段 gaps filled", str(len(fills))),
        ("计数器翻转 register rollovers", str(len(dq.get("rollovers", [])))),
    ], id="dq-summary"))
    if fills:
        keys = sorted({k for f in fills for k in f})
        s.add(Table("补齐的缺失数据 gaps filled", keys,
                    [[f.get(k) if not isinstance(f.get(k), float) else
                      r.num(f"/data_quality/fills/{i}/{_esc(k)}", 3) for k in keys]
                     for i, f in enumerate(fills)], id="fills"))
    ro = dq.get("rollovers", [])
    if ro:
        s.add(Table("计数器翻转 register rollovers", ["表计 meter", "时段起点 interval start",
                                                       "量程 modulus", "该时段用量 consumption"],
                    [[Text(x.get("meter", ""), "mono"), x.get("interval_start", ""),
                      r.num(f"/data_quality/rollovers/{i}/modulus", 0),
                      r.num(f"/data_quality/rollovers/{i}/consumption", 3)]
                     for i, x in enumerate(ro)], id="rollovers"))
    warnings = [w for w in dq.get("warnings") or [] if w]  # the meter checks' findings
    keys = list(dict.fromkeys(k for w in warnings if isinstance(w, dict) for k in w))
    if keys:
        s.add(Table("合理性检查提示 plausibility warnings", keys,
                    [[Text(str(w.get(k, "")), "mono" if k == "meter" else "")
                      if isinstance(w, dict) else str(w) for k in keys] for w in warnings],
                    id="plausibility"))
    else:
        s.add(Table("合理性检查提示 plausibility warnings", ["提示 warning"],
                    [[str(w)] for w in warnings] or [["无 none"]], id="plausibility"))
    unconf = res["provenance"].get("unconfirmed_factors", [])
    s.add(Table("未确认的因子 unconfirmed factors", ["因子 factor"],
                [[Text(u, "mono")] for u in unconf] or [["无 none"]], id="unconfirmed-factors"))
    ids = set(res["provenance"].get("unconfirmed_line_items", []))
    rows = []
    total = res.get("total_tco2e")
    for i, li in enumerate(res.get("line_items", [])):
        if li["id"] in ids:
            rows.append([Text(li["id"], "mono"), r.num(f"/line_items/{i}/emissions_tco2e"),
                         Num(pct(li["emissions_tco2e"], total), 2, scale=100, unit="%"),
                         ", ".join(li.get("factor_keys") or [])])
    s.add(Table("依赖未确认因子的排放明细 line items resting on unconfirmed factors", [
        "明细 line item", "tCO2e", "占排放总量 share of total", "因子 factors"],
        rows or [["无 none", "", "", ""]], id="unconfirmed-line-items"))
    eitems = [it for it in res["energy"].get("items", [])
              if any(not fct.get("confirmed", True) for fct in it.get("factors", []))]
    if eitems:
        s.add(Table("依赖未确认因子的能耗 energy resting on unconfirmed factors", [
            "来源 item", "当量值 calorific [tce]", "等价值 equivalent [tce]", "因子 factors"],
            [[Text(it["id"], "mono"), Num(it["tce_calorific"], 2), Num(it["tce_equivalent"], 2),
              ", ".join(fc["key"] for fc in it.get("factors", []) if not fc.get("confirmed"))]
             for it in eitems], id="unconfirmed-energy"))


def _appendix(doc: Document, r: _R, history: History, programme_name: str, generator: str,
              previous_files: list | None) -> None:
    res, sc = r.results, r.score
    pv = res["provenance"]
    s = doc.section("appendix", "附录：输入与版本", "Appendix: inputs and versions")
    rows = [["清单 inventory", Text(pv["inventory"]["path"], "mono"),
             Text(pv["inventory"].get("sha256") or "—", "mono"), ""]]
    for f in pv.get("input_files", []):
        rows.append(["计量数据 meter data", Text(f["path"], "mono"),
                     Text(f.get("sha256") or "—", "mono"), f"{f.get('rows', '')} rows"])
    for f in pv.get("factor_files", []):
        rows.append(["因子文件 factor file", Text(f.get("file") or f["id"], "mono"),
                     Text(f.get("sha256") or "—", "mono"), f["id"]])
    for yr, kind, path, sha in history.files():
        rows.append([f"往年 previous {yr} ({kind})", Text(path, "mono"), Text(sha, "mono"), ""])
    sys_ = sc.get("system", {})
    rows.append(["指标体系 indicator system", Text(sys_.get("path", ""), "mono"), "—",
                 f"{sys_.get('id')} v{sys_.get('version')}"])
    s.add(Table("输入文件 input files (SHA-256)", ["类型 kind", "文件 file", "SHA-256", "备注 note"],
                rows, id="inputs"))
    vers = [("核算引擎 engine", f"{pv['engine']['name']} {pv['engine']['version']}"),
            ("报告生成 report generator", generator or "—"),
            ("项目 programme", programme_name or "—")]
    vers += [(f"行业插件 plugin {k}", str(v)) for k, v in (pv.get("plugins") or {}).items()]
    s.add(KeyValues("版本 versions", vers, id="versions"))
