"""XLSX writer (openpyxl): one sheet per section, numbers as numbers.

Each section of a :class:`~carbon_core.outputs.document.Document` becomes a sheet (the title in
Chinese and English on top, then its tables one below the other); a chart becomes the table of
its numbers. A printed number is stored as the full float with a number format showing the same
digits as the HTML (``#,##0.00``; shares as ``0.00%``), so a reader sees the report's figure and a
formula gets the value to 16 significant digits (openpyxl writes ``%.16g``; Excel itself keeps
15). Long series (the hourly electricity of the year) get their own
sheets. Documents with a machine-readable record (the dynamic table, the district summary) keep
it as JSON in a hidden sheet ``_record``, which the district summary reads back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from .document import Document, Figure, KeyValues, Note, Num, Table, Text, cell_text

__all__ = ["write_xlsx", "sheet_name"]

#: Characters per cell of the ``_record`` sheet (Excel's limit is 32,767).
_CHUNK = 30000


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name (<= 31 characters, none of ``[]:*?/\\``).

    Parameters
    ----------
    title : str
        The section's title.
    taken : set of str
        Names used already in the workbook; the new name is added to it.

    Examples
    --------
    >>> sheet_name("碳平衡 Balance: gross/net", set())
    '碳平衡 Balance gross net'
    """
    base = re.sub(r"[\[\]:*?/\\]", " ", title)
    base = re.sub(r"\s+", " ", base).strip()[:31] or "sheet"
    name, k = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({k})"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    taken.add(name)
    return name


def _number_format(n: Num) -> str:
    digits = "0" * n.decimals
    if n.scale == 100 and n.unit == "%":
        return f"{'+' if n.signed else ''}0{'.' + digits if digits else ''}%"
    fmt = f"#,##0{'.' + digits if digits else ''}"
    return f"+{fmt};-{fmt};0" if n.signed else fmt


def _text(c, text: str) -> None:
    """Set a text cell; text starting with ``=`` stays text, never a formula."""
    c.value = text
    if text.startswith("="):
        c.data_type = "s"


def _write(ws, row: int, col: int, text: str):
    """A text cell at (row, col), never a formula; returns the cell."""
    c = ws.cell(row=row, column=col)
    _text(c, str(text))
    return c


def _put(ws, row: int, col: int, cell: Any, styles: dict) -> None:
    c = ws.cell(row=row, column=col)
    if isinstance(cell, Num):
        if cell.scaled is None:
            c.value = "—"
            c.alignment = styles["right"]
            return
        # shares are stored as the fraction with a % format; other scales as the printed value
        exact = float(cell.value) if cell.value is not None else None
        c.value = exact if (cell.scale == 100 and cell.unit == "%") else cell.scaled
        c.number_format = _number_format(cell)
        return
    if isinstance(cell, Text):
        _text(c, cell.text)
        if cell.css == "bad":
            c.font = styles["bad"]
        elif cell.css == "ok":
            c.font = styles["ok"]
        elif cell.css == "strong":
            c.font = styles["bold"]
        return
    _text(c, cell_text(cell))


def _table(ws, row: int, t: Table, styles: dict) -> int:
    _write(ws, row, 1, t.caption).font = styles["caption"]
    row += 1
    for j, h in enumerate(t.columns, start=1):
        c = _write(ws, row, j, h)
        c.font = styles["bold"]
        c.fill = styles["head"]
        c.alignment = styles["wrap"]
    row += 1
    for r in t.rows:
        for j, cell in enumerate(r, start=1):
            _put(ws, row, j, cell, styles)
        row += 1
    if t.note:
        _write(ws, row, 1, t.note).font = styles["muted"]
        row += 1
    return row + 1


def _styles() -> dict:
    from openpyxl.styles import Alignment, Font, PatternFill

    return {"title": Font(bold=True, size=14), "caption": Font(bold=True, size=11),
            "bold": Font(bold=True), "bad": Font(bold=True, color="B3261E"),
            "ok": Font(color="1B6E3A"), "muted": Font(italic=True, color="666666"),
            "head": PatternFill("solid", fgColor="EEF3F8"),
            "wrap": Alignment(wrap_text=True, vertical="top"),
            "right": Alignment(horizontal="right"),
            "banner": Font(bold=True, color="B3261E")}


def write_xlsx(doc: Document, path: str | Path) -> Path:
    """Write the document as an XLSX workbook; returns the path.

    Parameters
    ----------
    doc : Document
        The document: a cover sheet, one sheet per section, its long series, and its record
        (``_record``) when it has one.
    path : str or Path
        The workbook written.
    """
    import openpyxl

    styles = _styles()
    wb = openpyxl.Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = sheet_name("封面 Cover", taken)
    _write(ws, 1, 1, f"{doc.title_zh} {doc.title_en}").font = styles["title"]
    _write(ws, 2, 1, doc.subtitle)
    row = 3
    if doc.banner:
        _write(ws, row, 1, doc.banner).font = styles["banner"]
        row += 1
    row += 1
    for label, value in doc.meta:
        _write(ws, row, 1, label).font = styles["bold"]
        _put(ws, row, 2, value, styles)
        row += 1
    _write(ws, row + 1, 1, doc.generator).font = styles["muted"]
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 70
    for i, s in enumerate(doc.sections, start=1):
        ws = wb.create_sheet(sheet_name(f"{i} {s.title_zh} {s.title_en}", taken))
        _write(ws, 1, 1, f"{i} {s.title_zh} {s.title_en}").font = styles["title"]
        row = 3
        for b in s.blocks:
            if isinstance(b, Table):
                row = _table(ws, row, b, styles)
            elif isinstance(b, Figure):
                row = _table(ws, row, b.table, styles)
            elif isinstance(b, KeyValues):
                row = _table(ws, row, Table(b.caption, ["项目 item", "值 value"],
                                            [[k, v] for k, v in b.rows]), styles)
            elif isinstance(b, Note):
                _write(ws, row, 1, b.text).font = (
                    styles["banner"] if b.level in ("warning", "template") else styles["muted"])
                row += 2
        ws.column_dimensions["A"].width = 34
        for col in "BCDEFGHIJKL":
            ws.column_dimensions[col].width = 18
    for t in doc.series:
        ws = wb.create_sheet(sheet_name(t.id or t.caption, taken))
        ws.append([t.caption])
        ws.append(list(t.columns))
        columns = [a.tolist() for a in t.arrays]
        index = t.index
        if isinstance(index, np.ndarray) and np.issubdtype(index.dtype, np.datetime64):
            index = np.datetime_as_string(index, unit="m").tolist()
        for i, label in enumerate(index):
            ws.append([label] + [c[i] for c in columns])
        ws.freeze_panes = ws.cell(row=3, column=1)   # the two header rows stay in view
        ws.column_dimensions["A"].width = 20
    if doc.data:
        ws = wb.create_sheet("_record")
        text = json.dumps(doc.data, ensure_ascii=False, sort_keys=True)
        for k in range(0, len(text), _CHUNK):
            _write(ws, k // _CHUNK + 1, 1, text[k:k + _CHUNK])
        ws.sheet_state = "hidden"
    path = Path(path)
    wb.save(path)
    return path
