"""Charts: well-formed SVG, text as text, nothing external, the numbers they are given."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

from carbon_core.outputs import charts

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg):
    assert "http" not in svg
    root = ET.fromstring(charts.standalone(svg))
    assert root.tag == f"{NS}svg" and root.get("viewBox")
    assert not re.search(r"(href|src)=", svg)
    return root


def test_every_chart_is_valid_svg_with_text():
    svgs = [
        charts.stacked_bars(["01", "02"], [("范围一", [1.0, 2.0]), ("范围二", [3.0, -1.0])],
                            unit="tCO2e", title="逐月"),
        charts.grouped_hbars(["电力", "天然气"], [("当量值", [3.0, 1.0]), ("等价值", [7.0, 1.0])],
                             unit="tce", title="结构"),
        charts.waterfall([("总 gross", 10.0, "total"), ("绿电 green", -3.0, "delta"),
                          ("净 net", 7.0, "total")], unit="tCO2e", title="平衡"),
        charts.bars_vs_max(["A 科学算碳"], [12.0], [15.0], unit="分"),
        charts.trend([2022, 2023, 2024], [("实际", [0.3, None, 0.2])],
                     [("目标", [None, None, 0.25])], unit="tCO2e/万元", title="趋势"),
        charts.heatmap(np.array([[0.0, 0.5], [np.nan, 1.0]]), day_labels=[(0, "1月")],
                       title="热图"),
    ]
    for svg in svgs:
        root = _parse(svg)
        texts = "".join(t.text or "" for t in root.iter(f"{NS}text"))
        assert re.search(r"[\u4e00-\u9fff]", texts)  # Chinese kept as <text>


def test_stacked_bar_heights_are_proportional():
    svg = charts.stacked_bars(["a", "b"], [("s", [1.0, 2.0])], unit="t", title="x")
    heights = [float(r.get("height")) for r in _parse(svg).iter(f"{NS}rect")
               if r.find(f"{NS}title") is not None]
    assert abs(heights[1] / heights[0] - 2.0) < 0.05


def test_heatmap_groups_cells_by_colour_class():
    share = np.tile(np.linspace(0, 1, 366), (24, 1))
    svg = charts.heatmap(share, day_labels=[], title="t")
    paths = list(_parse(svg).iter(f"{NS}path"))
    assert len(paths) == 10  # ten colour classes, not 8,784 elements
    # each hour's row runs through the ten classes once: ten runs per row
    assert sum(p.get("d").count("M") for p in paths) == 24 * 10
    # the runs tile the row: their widths add up to the 366 days
    widths = [float(w) for p in paths for w in re.findall(r"h([0-9.]+)v", p.get("d"))]
    assert abs(sum(widths) - 24 * 366 * 1.6) < 24 * 10 * 0.1


def test_nice_max_and_ticks():
    assert charts.nice_max(16631.0) == 20000.0
    assert charts.nice_max(0.19) == 0.2
    assert charts._ticks(80.0) == 4 and charts._ticks(20000.0) == 4
    assert charts._ticks(10000.0) == 5 and charts._ticks(1.5) == 6
