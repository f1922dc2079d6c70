"""XLSX read back with openpyxl: numbers stored exactly, formats as printed, the record kept."""

from __future__ import annotations

import openpyxl

from carbon_core.outputs.document import resolve_pointer
from carbon_core.outputs.xlsx import sheet_name, write_xlsx


def same(stored: float, value: float) -> bool:
    """Equal as XLSX keeps numbers: openpyxl writes 16 significant digits (Excel shows 15)."""
    return float(f"{value:.16g}") == stored


def _cells(ws):
    return {(c.row, c.column): c for row in ws.iter_rows() for c in row if c.value is not None}


def test_self_report_workbook(self_doc, example, tmp_path):
    path = write_xlsx(self_doc, tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[0].startswith("封面") and any("碳平衡" in n for n in names)
    assert "hourly" in names
    cover = [c.value for c in _cells(wb[names[0]]).values()]
    assert "《合肥市零碳示范工厂评价报告》 Hefei zero-carbon demonstration factory evaluation report" \
        in cover
    # every number of the key-results table is the JSON float, formatted with 2 decimals
    ws = wb[names[1]]
    rows = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(1, 40)}
    c = rows["范围一排放 Scope 1 [tCO2e]"]
    assert same(c.value, example.results["scope1"]["total_tco2e"])
    assert c.number_format == "#,##0.00"
    share = rows["可再生能源电力占比 renewable electricity share"]
    assert same(share.value, example.results["metrics"]["balance.renewable_electricity_share"])
    assert share.number_format == "0.00%"
    # the hourly sheet: one row per hour of 2024, summing to the balance's hourly figures
    hs = wb["hourly"]
    values = list(hs.iter_rows(min_row=3, values_only=True))
    assert len(values) == 8784
    hourly = example.results["balance"]["matching"]["hourly"]
    consumed = sum(v[1] for v in values)
    assert abs(consumed - hourly["consumed_mwh"]) < 1e-6
    assert abs(sum(v[4] for v in values) - hourly["unmatched_mwh"]) < 1e-6
    assert "_record" not in names  # the self report has no machine record


def test_every_numeric_cell_matches_the_document(self_doc, example, tmp_path):
    """Cells of Nums with a JSON pointer hold exactly the JSON value (scaled only for non-%)."""
    from carbon_core.outputs.document import Figure, KeyValues, Num, Table

    expected = []
    for s in self_doc.sections:
        for b in s.blocks:
            t = b.table if isinstance(b, Figure) else b
            if isinstance(t, Table):
                expected += [c for row in t.rows for c in row if isinstance(c, Num) and c.path]
            elif isinstance(t, KeyValues):
                expected += [c for _, c in t.rows if isinstance(c, Num) and c.path]
    wb = openpyxl.load_workbook(write_xlsx(self_doc, tmp_path / "r.xlsx"))
    stored = [c.value for ws in wb.worksheets[1:] if ws.title != "hourly"
              for row in ws.iter_rows() for c in row
              if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
    docs = {"results": example.results, "score": example.score}
    for n in expected:
        v = resolve_pointer(docs[n.source], n.path)
        if v is None:
            continue
        want = v if (n.scale == 100 and n.unit == "%") else v * n.scale
        assert any(same(x, want) for x in stored), n.path


def test_sheet_names():
    taken = set()
    assert sheet_name("a" * 40, taken) == "a" * 31
    assert sheet_name("a" * 40, taken) == "a" * 27 + " (2)"
    assert sheet_name("x:y/z?", taken) == "x y z"


def test_text_never_becomes_a_formula(tmp_path):
    from carbon_core.outputs.document import Document, KeyValues, Text

    doc = Document("dynamic", "表", "table", subtitle="=HYPERLINK(\"x\",\"y\") · 2024",
                   data={"a": "=1+1"})
    doc.section("s", "节", "section").add(KeyValues("k", [("=cmd|' /C calc'!A0", Text("=2+2")),
                                                          ("plain", "=SUM(A1:A2)")]))
    wb = openpyxl.load_workbook(write_xlsx(doc, tmp_path / "f.xlsx"))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    assert wb.worksheets[0]["A2"].value.startswith("=HYPERLINK")
