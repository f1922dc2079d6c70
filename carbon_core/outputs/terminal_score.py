"""Terminal rendering of evaluations and rankings (rich tables, Chinese beside English).

Registered as the output ``terminal`` of kind ``score`` (:mod:`carbon_core.outputs.registry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .registry import open_target, register_output

if TYPE_CHECKING:  # scoring is imported when an evaluation is rendered, not when outputs are listed
    from ..scoring.evaluate import Evaluation, RankEntry

__all__ = ["render_evaluation", "render_ranking", "print_evaluation", "print_ranking",
           "write_evaluation"]

_KIND = {"mandatory": "必选 mandatory", "optional": "可选 optional"}
_STATUS = {"scored": "scored 已评分", "missing": "missing 缺数据",
           "not_applicable": "n/a 不适用(分值重分配)"}
_STYLE = {"qualified": "bold green", "below_pass_score": "bold yellow",
          "mandatory_unmet": "bold red", "ineligible": "bold red"}


def _inputs(inputs) -> str:
    parts = []
    for k, v in inputs.items():
        if isinstance(v, float):
            v = f"{v:.6g}"
        elif v is None:
            v = "missing"
        parts.append(f"{k} = {v}")
    return "\n".join(parts) or "-"


def render_evaluation(ev: Evaluation) -> Group:
    """A rich renderable: header, eligibility, indicators, totals and verdict.

    Parameters
    ----------
    ev : Evaluation
        A scored result (:func:`carbon_core.scoring.evaluate.evaluate`).
    """
    d = ev.to_dict()
    sysd = d["system"]
    head = Text()
    head.append(f"{sysd['title_zh']}\n{sysd['title_en']} (v{sysd['version']})\n", style="bold")
    if sysd["template"]:
        head.append(sysd["notice"] + "\n", style="bold yellow")
    f = d["factory"]
    head.append(f"工厂 Factory: {f['name'] or '-'}  信用代码 credit code: {f['credit_code'] or '-'}"
                f"  区 district: {f['district'] or '-'}\n")
    head.append(f"报告年度 reporting year: {f['reporting_year']}  证据判定日 evidence as of: "
                f"{d['as_of']}")

    elig = Table(title="基本要求 Basic requirements (eligibility)", expand=True)
    elig.add_column("检查 Check", overflow="fold")
    elig.add_column("结果 Result", no_wrap=True)
    elig.add_column("依据 Detail", overflow="fold")
    for c in d["eligibility"]["checks"]:
        ok = c["passed"]
        elig.add_row(Text(f"{c['name_zh']}\n{c['name_en']}"),
                     Text("通过 pass" if ok else "未通过 FAIL", style="green" if ok else "bold red"),
                     Text(c["detail"]))

    inds = Table(title="指标评分 Indicator scores", expand=True, show_lines=True)
    columns: list[tuple[str, dict[str, Any]]] = [
        ("ID", {"no_wrap": True}), ("指标 Indicator", {"overflow": "fold"}),
        ("类型 Kind", {}), ("输入 Inputs", {"overflow": "fold"}),
        ("规则 Rule", {"overflow": "fold"}), ("状态 Status", {}),
        ("得分 Points", {"justify": "right", "no_wrap": True})]
    for col, kw in columns:
        inds.add_column(col, **kw)
    level_names = {lv["id"]: lv for lv in d["levels"]}
    current = None
    for r in d["indicators"]:
        if r["level1"] != current:
            current = r["level1"]
            lv = level_names[current]
            inds.add_row(Text(lv["id"], style="bold"),
                         Text(f"{lv['name_zh']} {lv['name_en']}", style="bold"), "", "",
                         Text(f"weight 权重 {lv['weight']:g}"
                              + (f" (effective {lv['effective_weight']:.4g})"
                                 if abs(lv["effective_weight"] - lv["weight"]) > 1e-9 else ""),
                              style="bold"), "",
                         Text(f"{lv['score']:.2f}/{lv['effective_weight']:.4g}", style="bold"))
        status = _STATUS[r["status"]]
        if r["kind"] == "mandatory":
            status += "\n" + ("满足 met" if r["met"] else "未满足 UNMET")
        style = "bold red" if r["kind"] == "mandatory" and not r["met"] else ""
        inds.add_row(Text(r["id"]), Text(f"{r['name_zh']}\n{r['name_en']}"), _KIND[r["kind"]],
                     Text(_inputs(r["inputs"])), Text(r["rule"]["text"]),
                     Text(status, style=style), f"{r['points']:.2f}/{r['max_points']:.2f}")

    from ..scoring.evaluate import VERDICTS

    zh, en = VERDICTS[d["verdict"]]
    summary = Text()
    summary.append(f"总分 Total: {d['total_score']:.2f} / 100   (合格分 pass score "
                   f"{d['pass_score']:g})\n", style="bold")
    unmet = d["mandatory_unmet"]
    summary.append("必选项未满足 Mandatory unmet: " + (", ".join(unmet) if unmet else "none 无")
                   + "\n", style="red" if unmet else None)
    summary.append(f"结论 Verdict: {zh} / {en}", style=_STYLE[d["verdict"]])
    for note in d["notes"]:
        if note != sysd["notice"]:
            summary.append(f"\nnote: {note}", style="dim")
    return Group(Panel(head, title="零碳示范工厂评价 Zero-carbon factory evaluation"), elig, inds,
                 Panel(summary))


def render_ranking(entries: Iterable[RankEntry], *, template: bool = False) -> Table:
    """A rich table of a ranking (择优推荐).

    Parameters
    ----------
    entries : iterable of RankEntry
        The ranked factories.
    template : bool
        The indicator system is a template (said in the title).
    """
    t = Table(title="择优推荐排序 Ranking for recommendation"
              + (" (TEMPLATE system 模板指标体系)" if template else ""), expand=True)
    t.add_column("名次 Rank", justify="right", no_wrap=True)
    t.add_column("工厂 Factory", overflow="fold")
    t.add_column("结论 Verdict", overflow="fold")
    t.add_column("总分 Total", justify="right", no_wrap=True)
    t.add_column("理由 Why", overflow="fold")
    from ..scoring.evaluate import VERDICTS

    for e in entries:
        zh, en = VERDICTS[e.verdict]
        t.add_row(str(e.rank), Text(e.name), Text(f"{zh}\n{en}", style=_STYLE[e.verdict]),
                  f"{e.total_score:.2f}", Text(e.reason))
    return t


def print_evaluation(ev: Evaluation, console: Console | None = None) -> None:
    """Print :func:`render_evaluation` of ``ev`` (default console: standard output).

    Parameters
    ----------
    ev : Evaluation
        A scored result.
    console : rich.console.Console, optional
        Where to print.
    """
    (console or Console()).print(render_evaluation(ev))


def print_ranking(entries, console: Console | None = None, *, template: bool = False) -> None:
    """Print :func:`render_ranking` of ``entries`` (default console: standard output).

    Parameters
    ----------
    entries : iterable of RankEntry
        The ranked factories.
    console : rich.console.Console, optional
        Where to print.
    template : bool
        The indicator system is a template.
    """
    (console or Console()).print(render_ranking(entries, template=template))


@register_output("terminal", kind="score", description="evaluation as rich tables")
def write_evaluation(ev: Evaluation, target=None, **_) -> None:
    """Write the evaluation ``ev`` to ``target`` (stream, path, or None: standard output).

    Parameters
    ----------
    ev : Evaluation
        A scored result.
    target : stream or str or Path, optional
        Where to write (a path is written as UTF-8, 140 columns wide).
    """
    if target is None:
        print_evaluation(ev)
        return
    with open_target(target) as out:
        print_evaluation(ev, Console(file=out, width=140))
