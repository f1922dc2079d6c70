"""``carbon programme ...``: the programme register (registered in the ``carbon`` group).

Every command is a thin call of :class:`carbon_core.register.Register`. ``--db`` names the
register (default ``$CARBON_REGISTER`` or ``./carbon-register.sqlite``), ``--as ROLE:ID`` the
actor (``enterprise:<credit code>``, ``district:<district>``, ``city:<office>``,
``expert:<id>``; default ``$CARBON_AS``), ``--on DATE`` the date of the action (default today in
China). A refusal prints one line naming the rule, the stage and the date, and exits 2.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from pathlib import Path

import click

from ..errors import CarbonCoreError

__all__ = ["programme"]

AS_ENV = "CARBON_AS"

#: Commands that only read: they never create a register file.
_READ_ONLY = {"status", "history", "rank", "summary", "city", "export", "verify"}


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def _docs(values) -> dict:
    out = {}
    for v in values:
        role, sep, path = v.partition("=")
        if not sep or not role or not path:
            raise click.BadParameter(f"{v!r}: expected ROLE=PATH", param_hint="--doc")
        out[role] = path
    return out


def _command(fn):
    """Common options (``--db``, ``--as``, ``--on``, ``--json``) and one-line errors."""

    @click.option("--db", default=None, metavar="PATH|URL",
                  help="Register database (default: $CARBON_REGISTER or ./carbon-register.sqlite).")
    @click.option("--as", "actor", default=None, metavar="ROLE:ID",
                  help="Who acts: enterprise:<code>, district:<id>, city:<id>, expert:<id> "
                       f"(default ${AS_ENV}).")
    @click.option("--on", "on", callback=_date, default=None, metavar="DATE",
                  help="Date of the action (default: today in China).")
    @click.option("--programme", default=None, help="Programme bundle of a new register.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @functools.wraps(fn)
    def wrapper(db, actor, on, programme, as_json, **kw):
        from ..register.store import default_register_url

        actor = actor or os.environ.get(AS_ENV)
        target = db or default_register_url()
        if fn.__name__ in _READ_ONLY and "://" not in target and target != ":memory:" \
                and not Path(target).is_file():
            _fail(FileNotFoundError(f"no register at {target} (give --db or set "
                                    "$CARBON_REGISTER)"))
        try:
            from ..register import Register

            reg = Register(target, programme=programme)
            try:
                out = fn(reg, actor, on, **kw)
            finally:
                reg.close()
        except CarbonCoreError as exc:
            _fail(exc)
            return
        _print(out, as_json, verb="" if fn.__name__ == "history" else "recorded ")

    return wrapper


def _need_actor(actor):
    if not actor:
        raise click.UsageError(f"give --as ROLE:ID (or set ${AS_ENV})")
    return actor


def _print(out, as_json: bool, verb: str = "recorded ") -> None:
    if isinstance(out, str):
        click.echo(out, nl=not out.endswith("\n"))
        return
    if as_json or not isinstance(out, list):
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for ev in out:
        year = f" ({ev['year']})" if ev.get("year") is not None else ""
        extra = ""
        if ev["action"] == "notice":
            extra = f": notice ends {ev['payload']['ends']}"
        click.echo(f"{verb}#{ev['seq']} {ev['action']} {ev['subject']}{year} on {ev['on']} "
                   f"by {ev['role']}:{ev['actor']}{extra}")


@click.group("programme")
def programme():
    """The programme register (零碳示范工厂 申报、评审、公布、动态管理): an event log."""


@programme.command()
@click.option("--name", required=True, help="Enterprise name.")
@click.option("--district", required=True, help="District (县(市)区/开发区) of the procedure.")
@click.option("--sector", default="", help="Sector (for the district's ranking).")
@click.option("--code", "credit_code", default=None, help="Credit code (default: the --as id).")
@_command
def apply(reg, actor, on, name, district, sector, credit_code):
    """开展培育: apply to the district for this year's cultivation plan."""
    return reg.apply(_need_actor(actor), name=name, district=district, sector=sector,
                     credit_code=credit_code, on=on)


@programme.command()
@click.argument("code")
@click.option("--refuse", is_flag=True, help="Refuse instead of approving.")
@click.option("--reason", default="", help="Reason (required to refuse).")
@click.option("--year", type=int, default=None)
@_command
def approve(reg, actor, on, code, refuse, reason, year):
    """The district admits an application into its cultivation plan (or --refuse)."""
    return reg.approve(_need_actor(actor), code, refuse=refuse, reason=reason, year=year, on=on)


@programme.command()
@click.option("--score", "score", type=click.Path(dir_okay=False), default=None,
              help="Score JSON (carbon score --json).")
@click.option("--results", type=click.Path(dir_okay=False), default=None,
              help="Results JSON (carbon compute --json).")
@click.option("--inventory", type=click.Path(dir_okay=False), default=None,
              help="Inventory TOML: recomputed by the engine.")
@click.option("--doc", "docs", multiple=True, metavar="ROLE=PATH", help="A document to hash.")
@click.option("--bundle-root", default=None, help="Verifier bundle root hash.")
@click.option("--year", type=int, default=None)
@_command
def submit(reg, actor, on, score, results, inventory, docs, bundle_root, year):
    """自主创建: submit the self-evaluation (checked by the engine)."""
    return reg.submit(_need_actor(actor), score=score, results=results, inventory=inventory,
                      documents=_docs(docs), bundle_root=bundle_root, year=year, on=on)


@programme.command()
@click.argument("code")
@click.option("--pass/--fail", "passed", default=None, help="District or city decision.")
@click.option("--score", "points", type=float, default=None, help="Expert review score [0-100].")
@click.option("--opinion", default="")
@click.option("--year", type=int, default=None)
@_command
def review(reg, actor, on, code, passed, points, opinion, year):
    """初审 (district, --pass/--fail), expert review (--score) or city review (--pass/--fail)."""
    from ..register import Actor

    a = Actor.parse(_need_actor(actor))
    if a.role == "expert":
        if points is None:
            raise click.UsageError("an expert review needs --score")
        return reg.expert_review(a, code, score=points, opinion=opinion, year=year, on=on)
    if passed is None:
        raise click.UsageError("give --pass or --fail")
    method = {"district": reg.district_review, "city": reg.city_review}.get(a.role,
                                                                           reg.district_review)
    return method(a, code, passed=passed, opinion=opinion, year=year, on=on)


@programme.command()
@click.argument("code")
@click.argument("experts", nargs=-1, required=True)
@click.option("--year", type=int, default=None)
@_command
def assign(reg, actor, on, code, experts, year):
    """The city assigns experts to a recommended application."""
    return reg.assign(_need_actor(actor), code, list(experts), year=year, on=on)


@programme.command("site-check")
@click.argument("code")
@click.option("--findings", required=True)
@click.option("--doc", "docs", multiple=True, metavar="ROLE=PATH")
@click.option("--year", type=int, default=None)
@_command
def site_check(reg, actor, on, code, findings, docs, year):
    """现场核查: the city records a site check."""
    return reg.site_check(_need_actor(actor), code, findings=findings, documents=_docs(docs),
                          year=year, on=on)


def _batch(name, method, doc):
    @programme.command(name, help=doc)
    @click.argument("codes", nargs=-1, required=True)
    @click.option("--year", type=int, default=None)
    @_command
    def cmd(reg, actor, on, codes, year):
        return getattr(reg, method)(_need_actor(actor), list(codes), year=year, on=on)

    return cmd


recommend = _batch("recommend", "recommend", "推荐: the district recommends reviewed "
                   "applications to the city.")
notice = _batch("notice", "notice", "公示: the city opens the public notice (7 working days).")
list_ = _batch("list", "list", "评审公布: the city lists applications whose notice ended.")


@programme.command("object")
@click.argument("code")
@click.option("--text", required=True, help="The objection received.")
@click.option("--doc", "docs", multiple=True, metavar="ROLE=PATH")
@click.option("--year", type=int, default=None)
@_command
def object_(reg, actor, on, code, text, docs, year):
    """公示异议: record an objection during the notice (holds the application)."""
    return reg.object(_need_actor(actor), code, text=text, documents=_docs(docs), year=year,
                      on=on)


@programme.command()
@click.argument("code")
@click.option("--objection", type=int, required=True, help="Objection number.")
@click.option("--upheld/--dismissed", required=True)
@click.option("--reason", default="")
@click.option("--year", type=int, default=None)
@_command
def resolve(reg, actor, on, code, objection, upheld, reason, year):
    """异议处理: dismiss or uphold an objection."""
    return reg.resolve(_need_actor(actor), code, objection=objection, upheld=upheld,
                       reason=reason, year=year, on=on)


@programme.command("file")
@click.option("--year", type=int, required=True, help="The year filed for.")
@click.option("--doc", "docs", multiple=True, metavar="ROLE=PATH", help="The 动态管理表.")
@click.option("--rename", "rename_to", default=None, help="Declare a new name at this filing.")
@_command
def file_(reg, actor, on, year, docs, rename_to):
    """动态管理: file the year's 动态管理表 (late after the due day)."""
    return reg.file(_need_actor(actor), year=year, documents=_docs(docs), rename_to=rename_to,
                    on=on)


@programme.command()
@click.option("--name", required=True)
@click.option("--year", type=int, required=True, help="The filing the change is declared at.")
@_command
def rename(reg, actor, on, name, year):
    """名称变更: declare a new name at the year's filing."""
    return reg.rename(_need_actor(actor), name=name, year=year, on=on)


@programme.command()
@click.argument("code", required=False)
@click.option("--description", required=True)
@click.option("--doc", "docs", multiple=True, metavar="ROLE=PATH")
@_command
def restructure(reg, actor, on, code, description, docs):
    """重组: declare a restructuring (triggers a re-review)."""
    return reg.restructure(_need_actor(actor), code, description=description,
                           documents=_docs(docs), on=on)


@programme.command()
@click.argument("code")
@click.option("--schedule", "schedule", callback=_date, default=None, metavar="DATE")
@click.option("--result", type=click.Choice(["passed", "failed", "absent"]), default=None)
@click.option("--opinion", default="")
@_command
def rereview(reg, actor, on, code, schedule, result, opinion):
    """复核: --schedule DATE, or --result passed|failed|absent."""
    if (schedule is None) == (result is None):
        raise click.UsageError("give exactly one of --schedule DATE and --result")
    if schedule is not None:
        return reg.schedule_rereview(_need_actor(actor), code, date=schedule, on=on)
    return reg.rereview(_need_actor(actor), code, result=result, opinion=opinion, on=on)


@programme.command()
@click.argument("code")
@click.option("--ground", required=True, help="Revocation ground id (see docs/register.md).")
@click.option("--evidence", default="")
@click.option("--doc", "docs", multiple=True, metavar="ROLE=PATH")
@_command
def revoke(reg, actor, on, code, ground, evidence, docs):
    """撤销资格 on a ground of the procedure (bans applying for the ban years)."""
    return reg.revoke(_need_actor(actor), code, ground=ground, evidence=evidence,
                      documents=_docs(docs), on=on)


def _enterprise_view(name: str, doc: str) -> click.Command:
    """Register ``carbon programme NAME CODE [--as-of DATE]``, a read of one enterprise.

    The command calls the :class:`~carbon_core.register.Register` method of the same name with
    the actor, the credit code and the date the view is taken as of.

    Parameters
    ----------
    name : str
        The subcommand and the ``Register`` method (``"status"``, ``"history"``); a name in
        :data:`_READ_ONLY`, so the view never creates a register file.
    doc : str
        The command's help text.

    Returns
    -------
    click.Command
        The registered command.
    """

    def view(reg, actor, on, code, as_of):
        return getattr(reg, name)(_need_actor(actor), code, as_of=as_of)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    view = _command(view)
    view = click.option("--as-of", "as_of", callback=_date, default=None, metavar="DATE")(view)
    return programme.command(name=name)(click.argument("code")(view))


status = _enterprise_view("status", "An enterprise's state (as of a date).")
history = _enterprise_view("history", "Every event of an enterprise.")


@programme.command()
@click.argument("district")
@click.option("--year", type=int, required=True)
@_command
def rank(reg, actor, on, district, year):
    """The district's ranking for its recommendation."""
    return reg.ranking(_need_actor(actor), district, year=year)


@programme.command()
@click.argument("district")
@click.option("--year", type=int, required=True)
@click.option("--as-of", "as_of", callback=_date, default=None, metavar="DATE")
@_command
def summary(reg, actor, on, district, year, as_of):
    """The district summary for the city (stages and filings)."""
    return reg.district_summary(_need_actor(actor), district, year=year, as_of=as_of)


@programme.command()
@click.option("--as-of", "as_of", callback=_date, default=None, metavar="DATE")
@_command
def city(reg, actor, on, as_of):
    """市级总览: by district and year, goal progress, late filings."""
    return reg.city_view(_need_actor(actor), as_of=as_of)


@programme.command()
@click.argument("kind", type=click.Choice(["notice", "list", "revocations"]))
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--as-of", "as_of", callback=_date, default=None, metavar="DATE")
@_command
def export(reg, actor, on, kind, fmt, output, as_of):
    """The public notice, the published list or the revocations as JSON or HTML."""
    text = reg.export(kind, fmt, as_of=as_of)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        return f"{kind} written to {output}"
    return text


@programme.command()
@_command
def verify(reg, actor, on):
    """Walk the hash chain and replay the log (detects any changed event)."""
    r = reg.verify(actor)
    return (f"register OK: {r['events']} events, {r['enterprises']} enterprises, head "
            f"{r['head_hash']}")
