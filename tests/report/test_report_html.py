"""The self-evaluation report as HTML: self-contained, Chinese first, figures equal to the JSON."""

from __future__ import annotations

import re

from carbon_core.outputs.document import Num, resolve_pointer

from report_tools import key_figures, parse, printed_equals


def test_every_printed_figure_is_the_json_figure(example, report_html):
    cells = parse(report_html.read_text(encoding="utf-8")).cells
    docs = {"results": example.results, "score": example.score}
    assert len(cells) > 150
    wrong = []
    for src, path, scale, text in cells:
        value = resolve_pointer(docs[src], path)
        if value is None:
            assert text.strip() == "—", (path, text)
            continue
        if not printed_equals(text, value, scale):
            wrong.append((src, path, value, text))
    assert not wrong, wrong[:10]
    paths = {c[1] for c in cells}
    for key in ("/scope1/total_tco2e", "/scope2/location_based_tco2e",
                "/scope2/market_based_tco2e", "/total_tco2e", "/energy/total_tce_calorific",
                "/energy/total_tce_equivalent", "/balance/net_tco2e", "/balance/gross_tco2e",
                "/balance/certificates_tco2e", "/balance/offsets_tco2e", "/total_score",
                "/metrics/balance.renewable_electricity_share",
                "/balance/matching/hourly/cfe_score", "/monthly/0/scope1_tco2e"):
        assert key in paths, key


def test_key_figures_as_printed(report_html, example):
    text = report_html.read_text(encoding="utf-8")
    for figure in key_figures(example):
        assert figure in text, figure


def test_printed_equals_is_strict():
    assert printed_equals("1,757.70", 1757.6988, 1.0)
    assert not printed_equals("1,757.69", 1757.6988, 1.0)
    assert not printed_equals("1,757.71", 1757.6988, 1.0)
    assert printed_equals("64.77 %", 0.6476747, 100.0)
    assert not printed_equals("64.78 %", 0.6476747, 100.0)
    assert printed_equals("-164.26", -164.259131, 1.0)
    assert not printed_equals("164.26", -164.259131, 1.0)


def test_chinese_headings_and_sections(report_html, example):
    p = parse(report_html.read_text(encoding="utf-8"))
    heads = " | ".join(p.headings)
    assert "《合肥市零碳示范工厂评价报告》" in heads
    for zh in ("基本信息", "核算依据", "能源消费", "温室气体排放", "碳平衡", "指标评价",
               "基本要求与否决项", "目标与趋势", "数据质量", "附录"):
        assert zh in heads, zh
    text = report_html.read_text(encoding="utf-8")
    # every first- and second-level indicator, every eligibility check
    for lv in example.score["levels"]:
        assert lv["name_zh"] in text
    for ind in example.score["indicators"]:
        assert f">{ind['id']}<" in text and ind["name_zh"] in text
    for c in example.score["eligibility"]["checks"]:
        assert c["name_zh"] in text
    # serials, registry, vintage, template flag, hashes
    for s in ("GEC-2024-QH-S#5000001..5004000", "CCER-14-2024-0001#1..1500",
              "全国温室气体自愿减排注册登记系统", "模板 TEMPLATE",
              example.results["provenance"]["inventory"]["sha256"],
              example.results["provenance"]["input_files"][0]["sha256"]):
        assert s in text, s


def test_self_contained_and_offline(report_html):
    text = report_html.read_text(encoding="utf-8")
    p = parse(text)
    for tag, attrs in p.attrs_seen:
        for k in ("src", "href", "xlink:href", "action", "poster", "data"):
            v = attrs.get(k)
            if v is not None:
                assert not re.match(r"\s*(https?:)?//", v), (tag, k, v)
                assert k == "href" and v.startswith("#"), (tag, k, v)
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", text)
    assert "http://" not in text and "https://" not in text  # no URL at all, not even as text
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text)
    assert "@import" not in text


def test_charts_present_with_their_tables(report_html):
    text = report_html.read_text(encoding="utf-8")
    for ident in ("chart-monthly", "chart-energy-structure", "chart-waterfall", "chart-heatmap",
                  "chart-levels"):
        m = re.search(rf'<figure id="{ident}"[^>]*>(.*?)</figure>', text, re.S)
        assert m, ident
        assert "<svg" in m.group(1) and "<table" in m.group(1), ident
    assert re.search(r'<figure id="chart-trend-[^"]+"', text)


def test_num_formatting():
    assert Num(-0.0001, 2).text == "0.00"
    assert Num(12.5, 1, signed=True).text == "+12.5"
    assert Num(float("nan")).text == "—"


def test_plausibility_warnings_listed(example):
    import copy

    from carbon_core.outputs.html import render_html
    from carbon_core.outputs.self_report import build_self_report

    res = copy.deepcopy(example.results)
    res["data_quality"]["warnings"] = [
        {"kind": "implausible_reading", "meter": "grid-incomer-1", "row": 17,
         "found": 9.9e9, "expected": "below 1e6 kWh per interval"}]
    text = render_html(build_self_report(res, example.score, programme=example.programme.meta))
    table = re.search(r'<table id="plausibility">(.*?)</table>', text, re.S).group(1)
    for s in ("implausible_reading", "grid-incomer-1", "9900000000.0", "below 1e6 kWh"):
        assert s in table, s


def test_inventory_text_is_escaped(example):
    """Names and evidence come from the factory's files: they are text, never markup."""
    import copy

    from carbon_core.outputs.html import render_html
    from carbon_core.outputs.self_report import build_self_report

    res = copy.deepcopy(example.results)
    res["factory"]["name"] = '<script>alert("x")</script><img src=x onerror=1>'
    res["balance"]["offsets"][0]["project"] = "</td></table><b>bold</b>"
    text = render_html(build_self_report(res, example.score, programme=example.programme.meta))
    assert "<script" not in text and "<img" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
