"""HTML writer: one self-contained file (inline CSS and SVG, no script, no external resource).

The page is rendered with jinja2 from the package templates
(``carbon_core/outputs/templates/report.html.j2`` and ``report.css``), autoescaped. Every number
read from the results or score JSON carries its pointer on the cell (``data-src``, ``data-path``,
``data-scale``, ``data-value``), so the printed figures can be checked against the JSON.

Examples
--------
>>> from carbon_core.outputs.document import Document, Num, KeyValues
>>> d = Document("self", "《报告》", "Report")
>>> _ = d.section("a", "基本信息", "Basic").add(KeyValues("k", [("总量", Num(1.5, 1))]))
>>> text = render_html(d)
>>> "基本信息" in text and 'class="num"' in text and "<script" not in text
True
"""

from __future__ import annotations

from functools import lru_cache
from html import escape as _html_escape
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .document import Document, Figure, KeyValues, Note, Num, Table, Text, cell_text

__all__ = ["render_html", "write_html"]


def _esc(text: Any) -> str:
    s = text if type(text) is str else str(text)
    # most cells hold nothing to escape: test for the five characters before escaping
    if "&" in s or "<" in s or ">" in s or '"' in s or "'" in s:
        return _html_escape(s, quote=True)
    return s


#: ``f"{scale:g}"`` of the scales cells use (1 and 100), formatted once.
_SCALE_G: dict[float, str] = {}


def _cell_str(cell: Any, tag: str = "td") -> str:
    if type(cell) is Num:
        if cell.path:
            scale = _SCALE_G.get(cell.scale)
            if scale is None:
                scale = _SCALE_G.setdefault(cell.scale, f"{cell.scale:g}")
            attrs = (f' class="num" data-src="{_esc(cell.source)}" data-path="{_esc(cell.path)}"'
                     f' data-scale="{scale}"')
        else:
            attrs = ' class="num"'
        if cell.value is not None:
            attrs += f' data-value="{cell.value!r}"'
        return f"<{tag}{attrs}>{_esc(cell.text)}</{tag}>"
    if isinstance(cell, Num):  # a subclass
        return _num_str_general(cell, tag)
    if isinstance(cell, Text):
        css = f' class="{_esc(cell.css)}"' if cell.css else ""
        return f"<{tag}{css}>{_esc(cell.text)}</{tag}>"
    return f"<{tag}>{_esc(cell_text(cell))}</{tag}>"


def _num_str_general(cell: Num, tag: str) -> str:
    attrs = ' class="num"'
    if cell.path:
        attrs += (f' data-src="{_esc(cell.source)}" data-path="{_esc(cell.path)}"'
                  f' data-scale="{cell.scale:g}"')
    if cell.value is not None:
        attrs += f' data-value="{cell.value!r}"'
    return f"<{tag}{attrs}>{_esc(cell.text)}</{tag}>"


def _cell(cell: Any, tag: str = "td") -> Markup:
    return Markup(_cell_str(cell, tag))


def _table(t: Table) -> str:
    out = [f'<table id="{_esc(t.id)}">' if t.id else "<table>",
           f"<caption>{_esc(t.caption)}</caption>", "<thead><tr>"]
    out += [f"<th>{_esc(c)}</th>" for c in t.columns]
    out.append("</tr></thead><tbody>")
    for row in t.rows:
        out.append("<tr>" + "".join([_cell_str(c) for c in row]) + "</tr>")
    out.append("</tbody></table>")
    if t.note:
        out.append(f'<p class="tnote">{_esc(t.note)}</p>')
    return "".join(out)


def _block(b: Any) -> Markup:
    if isinstance(b, Table):
        return Markup(_table(b))
    if isinstance(b, KeyValues):
        rows = "".join(f"<tr><th>{_esc(k)}</th>{_cell_str(v)}</tr>" for k, v in b.rows)
        ident = f' id="{_esc(b.id)}"' if b.id else ""
        return Markup(f'<table class="kv"{ident}><caption>{_esc(b.caption)}</caption>'
                      f"{rows}</table>")
    if isinstance(b, Figure):
        ident = f' id="{_esc(b.id)}"' if b.id else ""
        wide = ' class="wide"' if b.wide else ""
        # the SVG is markup built by carbon_core.outputs.charts, which escapes every text it holds
        return Markup(f"<figure{ident}{wide}><figcaption>{_esc(b.caption)}</figcaption>"
                      f'<div class="svg">{b.svg}</div><div>{_table(b.table)}</div></figure>')
    if isinstance(b, Note):
        return Markup(f'<p class="note {_esc(b.level)}">{_esc(b.text)}</p>')
    raise TypeError(f"unknown block {type(b).__name__}")


@lru_cache(maxsize=1)
def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("carbon_core.outputs", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True,
                             auto_reload=False)  # package templates: compiled once per process
    env.filters["cell"] = _cell
    env.filters["block"] = _block
    return env


def render_html(doc: Document) -> str:
    """The document as one HTML page (a string).

    Parameters
    ----------
    doc : Document
        The document.
    """
    return _env().get_template("report.html.j2").render(doc=doc)


def write_html(doc: Document, path: str | Path) -> Path:
    """Write the document as a self-contained HTML file; returns the path.

    Parameters
    ----------
    doc : Document
        The document.
    path : str or Path
        The file written (UTF-8; charts inline, no external resource).
    """
    path = Path(path)
    path.write_text(render_html(doc), encoding="utf-8")
    return path
