"""The register's public documents: the notice (公示), the list (名单), the revocations (撤销).

Each is a plain dict (JSON) built from replayed states, and renders as one self-contained HTML
page (no external asset, no script; Chinese first, English beside), so a page opens anywhere
offline, as pytest-html's ``--self-contained-html`` does.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any, Mapping

from .errors import RegisterError
from .procedure import Procedure
from .state import Enterprise

__all__ = ["notice_document", "list_document", "revocations_document", "render"]


def _head(p: Procedure, kind: str, zh: str, en: str, day: dt.date) -> dict[str, Any]:
    return {"document": kind, "title_zh": zh, "title_en": en, "as_of": day.isoformat(),
            "procedure": p.id, "authority_zh": p.meta.get("authority_zh", ""),
            "authority_en": p.meta.get("authority_en", ""),
            "template": str(p.meta.get("status", "")).startswith("template")}


def notice_document(states: Mapping[str, Enterprise], p: Procedure, day: dt.date) -> dict:
    """Applications whose public notice is open on ``day`` (opened <= day <= ends).

    Parameters
    ----------
    states : mapping of str to Enterprise
        Every enterprise's state as of ``day`` (credit code -> state).
    p : Procedure
        The procedure: document titles, authority, ban years.
    day : datetime.date
        The day the document is taken as of.

    Returns
    -------
    dict
        The header (document kind, titles, as-of day, procedure id, authority, whether it is a
        template) and the ``entries`` of the public notice (公示), in a stable order.
    """
    rows = []
    for e in states.values():
        for a in e.applications.values():
            if a.stage == "in_notice" and a.notice and \
                    a.notice["opened"] <= day.isoformat() <= a.notice["ends"]:
                rows.append({"credit_code": e.credit_code, "name": e.name,
                             "district": e.district, "sector": e.sector, "year": a.year,
                             "opened": a.notice["opened"], "ends": a.notice["ends"],
                             "working_days": a.notice["working_days"],
                             "held": bool(a.open_objections),
                             "score": (a.submission or {}).get("total_score")})
    rows.sort(key=lambda r: (r["district"], r["credit_code"]))
    doc = _head(p, "notice", p.meta.get("notice_title_zh", "公示"),
                p.meta.get("notice_title_en", "Public notice"), day)
    office_zh, office_en = p.meta.get("authority_zh", ""), p.meta.get("authority_en", "")
    doc["text_zh"] = (f"公示期为{p.notice_working_days}个工作日（法定节假日不计，调休上班日计入）。"
                      f"如有异议，请在公示期内向{office_zh or '主管部门'}反映。")
    doc["text_en"] = (f"The notice runs for {p.notice_working_days} working days (statutory "
                      "holidays excluded, adjusted working days counted). Objections to "
                      f"{office_en or 'the programme office'} within the notice.")
    doc["entries"] = rows
    return doc


def list_document(states: Mapping[str, Enterprise], p: Procedure, day: dt.date) -> dict:
    """The factories holding the title on ``day``, with the year listed and former names.

    Parameters
    ----------
    states, p, day
        As for :func:`notice_document`.

    Returns
    -------
    dict
        The header (document kind, titles, as-of day, procedure id, authority, whether it is a
        template) and the ``entries`` of the published list (名单), in a stable order.
    """
    rows = []
    for e in states.values():
        if e.listed is None:
            continue
        former = [n["former"] for n in e.names if n.get("why") == "rename"]
        rows.append({"credit_code": e.credit_code, "name": e.name, "former_names": former,
                     "district": e.district, "sector": e.sector,
                     "year": e.listed["year"], "listed_on": e.listed["on"]})
    rows.sort(key=lambda r: (r["year"], r["district"], r["credit_code"]))
    doc = _head(p, "list", p.meta.get("list_title_zh", "名单"),
                p.meta.get("list_title_en", "List"), day)
    doc["entries"] = rows
    return doc


def revocations_document(states: Mapping[str, Enterprise], p: Procedure, day: dt.date) -> dict:
    """Every revocation up to ``day``: ground (中文/English) and the day the ban ends.

    Parameters
    ----------
    states, p, day
        As for :func:`notice_document`.

    Returns
    -------
    dict
        The header (document kind, titles, as-of day, procedure id, authority, whether it is a
        template) and the ``entries`` of the revocations (撤销资格公告), in a stable order.
    """
    rows = []
    for e in states.values():
        for r in e.revocations:
            rows.append({"credit_code": e.credit_code, "name": r["name"],
                         "district": r["district"], "revoked_on": r["on"],
                         "ground": r["ground"], "ground_zh": r["ground_zh"],
                         "ground_en": r["ground_en"], "ban_ends": r["ban_ends"],
                         "what": r["what"]})
    rows.sort(key=lambda r: (r["revoked_on"], r["credit_code"]))
    doc = _head(p, "revocations", p.meta.get("revocations_title_zh", "撤销资格公告"),
                p.meta.get("revocations_title_en", "Revocations"), day)
    doc["text_zh"] = f"被撤销资格的企业{p.ban_years}年内不得再次申报。"
    doc["text_en"] = f"An enterprise whose title is revoked may not apply for {p.ban_years} years."
    doc["entries"] = rows
    return doc


_COLUMNS = {
    "notice": [("name", "企业名称", "Enterprise"), ("credit_code", "统一社会信用代码", "Credit code"),
               ("district", "县(市)区/开发区", "District"), ("sector", "行业", "Sector"),
               ("opened", "公示开始", "Notice opened"), ("ends", "公示截止", "Notice ends"),
               ("held", "异议待处理", "Held by objection")],
    "list": [("year", "年度", "Year"), ("name", "企业名称", "Enterprise"),
             ("former_names", "曾用名", "Former names"),
             ("credit_code", "统一社会信用代码", "Credit code"),
             ("district", "县(市)区/开发区", "District"), ("sector", "行业", "Sector"),
             ("listed_on", "公布日期", "Listed on")],
    "revocations": [("name", "企业名称", "Enterprise"),
                    ("credit_code", "统一社会信用代码", "Credit code"),
                    ("district", "县(市)区/开发区", "District"),
                    ("revoked_on", "撤销日期", "Revoked on"),
                    ("ground_zh", "撤销情形", "Ground (Chinese)"),
                    ("ground_en", "Ground", "Ground"),
                    ("ban_ends", "禁止申报至", "Banned until")],
}

_CSS = ("body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC',sans-serif;margin:2em;"
        "color:#111}h1{font-size:1.4em}h1 small{display:block;font-size:.7em;color:#444}"
        "table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;"
        "text-align:left;vertical-align:top}th small{display:block;font-weight:normal;color:#555}"
        ".note{color:#444}.template{background:#fff3cd;padding:.5em;border:1px solid #e0c36c}")


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    if isinstance(v, list):
        return "；".join(html.escape(str(x)) for x in v)
    return html.escape("" if v is None else str(v))


def _html(doc: Mapping[str, Any]) -> str:
    kind = doc["document"]
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             f"<title>{e(doc['title_zh'])} {e(doc['title_en'])}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{e(doc['title_zh'])}<small lang=\"en\">{e(doc['title_en'])}</small></h1>",
             f"<p class=\"note\">{e(doc['authority_zh'])} <span lang=\"en\">"
             f"{e(doc['authority_en'])}</span> · 截至 as of {e(doc['as_of'])}</p>"]
    if doc.get("template"):
        parts.append('<p class="template">模板程序：依据项目所得的程序摘要编制，非官方文件。'
                     '<span lang="en">Template procedure built from a summary of the programme, '
                     "not the official document.</span></p>")
    if doc.get("text_zh"):
        parts.append(f"<p>{e(doc['text_zh'])} <span lang=\"en\">{e(doc['text_en'])}</span></p>")
    cols = _COLUMNS[kind]
    parts.append("<table><thead><tr>" + "".join(
        f"<th>{e(zh)}<small lang=\"en\">{e(en)}</small></th>" for _, zh, en in cols)
        + "</tr></thead><tbody>")
    for row in doc["entries"]:
        parts.append("<tr>" + "".join(f"<td>{_cell(row.get(k))}</td>" for k, _, _ in cols)
                     + "</tr>")
    if not doc["entries"]:
        parts.append(f'<tr><td colspan="{len(cols)}">无 none</td></tr>')
    parts.append(f"</tbody></table><p class=\"note\">共 {len(doc['entries'])} 家 "
                 f"<span lang=\"en\">{len(doc['entries'])} entries</span></p>")
    head = doc.get("log_head")
    if head:
        parts.append(f"<p class=\"note\">登记簿校验值 register log head #{head['seq']}: "
                     f"<code>{e(head['hash'])}</code></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(doc: Mapping[str, Any], fmt: str) -> str:
    """``json`` (sorted, UTF-8 kept) or ``html`` (self-contained).

    Parameters
    ----------
    doc : mapping
        A document of :func:`notice_document`, :func:`list_document` or
        :func:`revocations_document`.
    fmt : str
        ``"json"`` or ``"html"``.

    Returns
    -------
    str
        The document's text.

    Raises
    ------
    RegisterError
        Any other format.
    """
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return _html(doc)
    raise RegisterError(f"export format {fmt!r}: expected json or html")
