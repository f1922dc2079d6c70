"""The web layer's one door to the register: accounts become actors, forms become commands.

Every state change a page or an API call makes goes through :meth:`RegisterService.act`, which
parses the request's fields by the declared :data:`ACTIONS` table and calls the same
:class:`carbon_core.register.Register` method the CLI calls, so the register's one authorization
function (:func:`carbon_core.register.permission_allowed`) and its procedure rules decide, and the
event lands in the same hash-chained log. Nothing here decides who may do what, except which
uploaded files an account may read, and that too asks the register's function (``status``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa

from ..errors import CarbonCoreError
from ..register import Actor, Register, RegisterError, permission_allowed
from .jobs import DYNAMIC_NAME, REPORT_NAME, RESULTS_NAME, SCORE_NAME, VERIFICATION_NAME
from .store import Account, jobs
from .uploads import Upload, UploadError, UploadStore

__all__ = ["RegisterService", "ACTIONS", "Param"]

_meta = sa.MetaData()
#: Which account did which register command (the log records the actor role:id; several
#: accounts may act for one enterprise or office, so the account is kept here beside it).
audit = sa.Table(
    "web_audit", _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("event_hashes", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Param:
    """One field of a register command as a form or JSON body gives it.

    Attributes
    ----------
    name : str
        The field name (and the :class:`Register` keyword).
    kind : {"code", "codes", "text", "int", "float", "bool", "date", "upload", "list"}
    required : bool
    positional : bool
        Passed positionally (the credit code(s) a command acts on).
    """

    name: str
    kind: str = "text"
    required: bool = False
    positional: bool = False


_P = Param
#: Register commands the web offers: name -> (Register method, fields). The same set as
#: ``carbon programme``; the register refuses what the actor may not do.
ACTIONS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "apply": ("apply", (_P("name", required=True), _P("district", required=True),
                        _P("sector"))),
    "approve": ("approve", (_P("credit_code", "code", True, True), _P("year", "int"),
                            _P("refuse", "bool"), _P("reason"))),
    "submit": ("submit", (_P("upload", "upload", True), _P("year", "int"))),
    "district_review": ("district_review", (_P("credit_code", "code", True, True),
                                            _P("passed", "bool", True), _P("opinion"),
                                            _P("year", "int"))),
    "recommend": ("recommend", (_P("credit_codes", "codes", True, True), _P("year", "int"))),
    "assign": ("assign", (_P("credit_code", "code", True, True),
                          _P("experts", "list", True, True), _P("year", "int"))),
    "expert_review": ("expert_review", (_P("credit_code", "code", True, True),
                                        _P("score", "float", True), _P("opinion"),
                                        _P("year", "int"))),
    "site_check": ("site_check", (_P("credit_code", "code", True, True),
                                  _P("findings", required=True), _P("year", "int"))),
    "city_review": ("city_review", (_P("credit_code", "code", True, True),
                                    _P("passed", "bool", True), _P("opinion"),
                                    _P("year", "int"))),
    "notice": ("notice", (_P("credit_codes", "codes", True, True), _P("year", "int"))),
    "object": ("object", (_P("credit_code", "code", True, True), _P("text", required=True),
                          _P("year", "int"))),
    "resolve": ("resolve", (_P("credit_code", "code", True, True),
                            _P("objection", "int", True), _P("upheld", "bool", True),
                            _P("reason"), _P("year", "int"))),
    "list": ("list", (_P("credit_codes", "codes", True, True), _P("year", "int"))),
    "file": ("file", (_P("year", "int", True), _P("upload", "upload"), _P("rename_to"))),
    "rename": ("rename", (_P("name", required=True), _P("year", "int", True))),
    "restructure": ("restructure", (_P("credit_code", "code"), _P("description", required=True))),
    "rereview_schedule": ("schedule_rereview", (_P("credit_code", "code", True, True),
                                                _P("date", "date", True), _P("reason"))),
    "rereview": ("rereview", (_P("credit_code", "code", True, True),
                              _P("result", required=True), _P("opinion"))),
    "revoke": ("revoke", (_P("credit_code", "code", True, True), _P("ground", required=True),
                          _P("evidence"))),
}


class RegisterService:
    """The register as the web sees it.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The database the register's event log and the web tables share.
    programme : str, optional
    clock : callable, optional
        Returns an aware datetime (the register's clock; tests move it).
    uploads : UploadStore
    """

    def __init__(self, engine: sa.Engine, *, programme: str | None = None,
                 clock: Callable[[], dt.datetime] | None = None,
                 uploads: UploadStore | None = None):
        self.engine = engine
        _meta.create_all(engine)
        self.register = Register(engine.url.render_as_string(hide_password=False),
                                 programme=programme, clock=clock)
        self.uploads = uploads

    # -- identity -------------------------------------------------------------------------------

    @staticmethod
    def actor(account: Account) -> Actor:
        """The register actor of an account.

        Parameters
        ----------
        account : Account

        Returns
        -------
        carbon_core.register.Actor
            ``enterprise:<credit code>``, ``district:<district>``, ``city:<username>`` or
            ``expert:<username>``.
        """
        if account.role in ("enterprise", "district"):
            return Actor(account.role, account.scope)
        return Actor(account.role, account.username)

    def programme_meta(self) -> dict:
        """The programme's name, titles and template flag, for every page header.

        Returns
        -------
        dict
            ``name``, ``title_zh``, ``title_en``, ``template`` (True while the programme is a
            labelled template, not the official document).
        """
        p = self.register.programme
        return {"name": p.name, "title_zh": p.meta.get("title_zh", p.name),
                "title_en": p.meta.get("title_en", ""), "template": p.is_template}

    # -- commands -------------------------------------------------------------------------------

    def act(self, account: Account, action: str, params: dict[str, Any]) -> dict:
        """Run one register command for ``account`` and record which account did it.

        Parameters
        ----------
        account : Account
            Who acts; its register actor is :meth:`actor`.
        action : str
            A key of :data:`ACTIONS` (the ``carbon programme`` command names).
        params : dict
            The command's fields as a form or JSON body gives them (strings, or JSON values);
            parsed by the declared :class:`Param` kinds, an unknown field is refused.

        Returns
        -------
        dict
            ``action`` and ``events`` (the register events appended, with their hashes).

        Raises
        ------
        RegisterError
            Unknown command, a bad or missing field (named), or the register's refusal.
        """
        if action not in ACTIONS:
            raise RegisterError(f"unknown register command {action!r}; expected one of "
                                f"{sorted(ACTIONS)}")
        method, spec = ACTIONS[action]
        known = {p.name for p in spec} | {"on"}
        extra = sorted(set(params) - known)
        if extra:
            raise RegisterError(f"{action}: unknown field(s) {extra}; expected {sorted(known)}")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in spec:
            raw = params.get(p.name)
            if raw is None or raw == "":
                if p.required:
                    raise RegisterError(f"{action}: the field {p.name!r} is required")
                continue
            value = self._parse(account, action, p, raw)
            if p.kind == "upload":
                kwargs.update(value)
            elif p.positional:
                args.append(value)
            else:
                kwargs[p.name] = value
        if params.get("on"):
            kwargs["on"] = _parse_date(action, "on", params["on"])
        actor = self.actor(account)
        events = getattr(self.register, method)(actor, *args, **kwargs)
        with self.engine.begin() as con:
            con.execute(audit.insert().values(
                username=account.username, actor=str(actor), action=action,
                event_hashes=json.dumps([e.get("hash") for e in events]),
                at=dt.datetime.now(dt.timezone.utc)))
        return {"action": action, "events": events}

    def _parse(self, account: Account, action: str, p: Param, raw: Any) -> Any:
        where = f"{action}: field {p.name!r}"
        if p.kind == "code":
            return str(raw).strip()
        if p.kind in ("codes", "list"):
            items = raw if isinstance(raw, list) else re.split(r"[\s,;，；]+", str(raw).strip())
            items = [str(i).strip() for i in items if str(i).strip()]
            if not items:
                raise RegisterError(f"{where}: at least one value expected")
            return items
        if p.kind == "int":
            try:
                return int(str(raw).strip())
            except ValueError:
                raise RegisterError(f"{where}: a whole number expected, got {raw!r}") from None
        if p.kind == "float":
            try:
                v = float(str(raw).strip())
            except ValueError:
                raise RegisterError(f"{where}: a number expected, got {raw!r}") from None
            if v != v or v in (float("inf"), float("-inf")):
                raise RegisterError(f"{where}: a finite number expected, got {raw!r}")
            return v
        if p.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "yes", "1", "on", "pass", "passed"):
                return True
            if text in ("false", "no", "0", "off", "fail", "failed"):
                return False
            raise RegisterError(f"{where}: true or false expected, got {raw!r}")
        if p.kind == "date":
            return _parse_date(action, p.name, raw)
        if p.kind == "upload":
            return self._submission_files(account, str(raw), action)
        return str(raw)

    def _submission_files(self, account: Account, upload_id: str, action: str) -> dict:
        """The results and score JSON of the account's own computed upload, for submit/file."""
        up = self._own_upload(account, upload_id)
        results, score = up.folder / RESULTS_NAME, up.folder / SCORE_NAME
        if not (results.is_file() and score.is_file()):
            raise RegisterError(f"{action}: upload {upload_id} has no computed results yet "
                                "(wait for its computation to finish)")
        if action == "submit":
            docs = {name: up.folder / name for name in up.files}
            docs["report"] = up.folder / REPORT_NAME
            out: dict[str, Any] = {"results": results, "score": score, "documents": docs}
            verdict = up.folder / VERIFICATION_NAME
            if up.bundle is not None and verdict.is_file():
                # a verified bundle: its root hash is recorded with the submission, its verdict
                # stored as a document (a bundle that did not verify has no results to submit)
                docs["verification"] = verdict
                out["bundle_root"] = json.loads(verdict.read_text(encoding="utf-8"))["root"]
            return out
        return {"documents": {"dynamic_table": up.folder / DYNAMIC_NAME,
                              "dynamic_results": results, "dynamic_score": score}}

    # -- uploads --------------------------------------------------------------------------------

    def _owner(self, upload_id: str) -> str | None:
        with self.engine.connect() as con:
            row = con.execute(sa.select(jobs.c.username).where(jobs.c.upload == upload_id)
                              .limit(1)).first()
        return row.username if row else None

    def _own_upload(self, account: Account, upload_id: str) -> Upload:
        if self.uploads is None:
            raise UploadError("uploads are not configured", status=500)
        if self._owner(upload_id) != account.username:
            raise UploadError("unknown upload", status=404)
        return self.uploads.get(upload_id)

    def check_upload_access(self, account: Account, upload_id: str) -> None:
        """May ``account`` read this upload's files? The owner may; anyone else only as the
        register allows them to see the enterprise's status (its district, the city, its
        assigned experts), asked through the register's one authorization function.

        Parameters
        ----------
        account : Account
            The reader.
        upload_id : str
            The upload's id (24 hex digits).

        Raises
        ------
        UploadError
            404 for an upload the account may not see (its existence is not revealed).
        """
        owner = self._owner(upload_id)
        if owner is None:
            raise UploadError("unknown upload", status=404)
        if owner == account.username:
            return
        from .store import accounts

        with self.engine.connect() as con:
            row = con.execute(sa.select(accounts.c.scope).where(accounts.c.username == owner)
                              ).first()
        code = row.scope if row else None
        e = self.register.state().get(code) if code else None
        experts = [x for a in (e.applications.values() if e else []) for x in a.experts]
        decision = permission_allowed(self.actor(account), "status", self.register.procedure,
                                      credit_code=code, district=(e.district if e else None),
                                      experts=experts)
        if not decision.allowed:
            raise UploadError("unknown upload", status=404)

    def report_html(self, upload: Upload) -> str:
        """The self-evaluation report (评价报告) of a computed upload.

        Parameters
        ----------
        upload : Upload
            A computed upload (inventory or verified bundle).

        Returns
        -------
        str
            Self-contained HTML.

        Raises
        ------
        UploadError
            404 when the upload is not computed (yet).
        """
        path = upload.folder / REPORT_NAME
        if not path.is_file():
            raise UploadError("not computed (yet)", status=404)
        return path.read_text(encoding="utf-8")

    # -- views ----------------------------------------------------------------------------------

    def public(self) -> dict:
        """What the public pages show; no login needed.

        Returns
        -------
        dict
            ``notice`` (open public notices with their end dates), ``list`` (the published
            list), ``revocations`` (with their ban end dates), ``goal`` (the programme's goal
            and progress) and ``today`` (ISO date of the register's clock).
        """
        reg = self.register
        listed = reg.published_list()
        goal = dict(reg.procedure.goal)
        return {"notice": reg.public_notice(), "list": listed, "revocations": reg.revocations(),
                "goal": goal, "today": reg.today().isoformat()}

    def enterprise_view(self, account: Account) -> dict:
        """The enterprise's own stage, applications and history.

        Parameters
        ----------
        account : Account
            The logged-in account.

        Returns
        -------
        dict
            ``credit_code``, ``status`` (None before it applies), ``history``, ``districts``
            (for the application form) and ``year``.
        """
        code = account.scope
        try:
            status = self.register.status(self.actor(account), code)
            history = self.register.history(self.actor(account), code)
        except CarbonCoreError:
            status, history = None, []
        return {"credit_code": code, "status": status, "history": history,
                "districts": [d.id for d in self.register.procedure.districts],
                "year": self.register.today().year}

    def district_view(self, account: Account) -> dict:
        """Queues of the district's applications by stage, the ranking and the summary.

        Parameters
        ----------
        account : Account
            The logged-in account.

        Returns
        -------
        dict
            ``district``, ``year``, ``queue`` (:meth:`queue`), ``ranking`` (the register's
            ranking for recommendation), ``chart`` (inline SVG) and ``summary``.
        """
        actor, year = self.actor(account), self.register.today().year
        queue = self.queue(account)
        ranking = self.register.ranking(actor, account.scope, year=year)
        return {"district": account.scope, "year": year, "queue": queue, "ranking": ranking,
                "chart": _ranking_chart(ranking),
                "summary": self.register.district_summary(actor, account.scope, year=year)}

    def city_view(self, account: Account) -> dict:
        """The city's queues and its overview (市级总览), with a chart of the overview by district.

        Parameters
        ----------
        account : Account
            The logged-in account.

        Returns
        -------
        dict
            ``queue``, ``overview`` (the register's city view), ``chart`` (the report
            documents' inline SVG; the numbers are in the table beside it), ``grounds``
            (revocation grounds: id, Chinese and English names) and ``year``.
        """
        overview = self.register.city_view(self.actor(account))
        return {"queue": self.queue(account), "overview": overview,
                "chart": _district_chart(overview["by_district_year"]),
                "grounds": [(g.id, g.name_zh, g.name_en) for g in self.register.procedure.grounds],
                "year": self.register.today().year}

    def expert_view(self, account: Account) -> dict:
        """The applications assigned to this expert.

        Parameters
        ----------
        account : Account
            The logged-in account.

        Returns
        -------
        dict
            ``queue`` (:meth:`queue`) and ``year``.
        """
        return {"queue": self.queue(account), "year": self.register.today().year}

    def status(self, account: Account, credit_code: str) -> dict:
        """An enterprise's state and history, as the register lets this account see them.

        Parameters
        ----------
        account : Account
            The logged-in account.
        credit_code : str
            The enterprise's unified social credit code.

        Returns
        -------
        dict
            ``status`` and ``history``.

        Raises
        ------
        RegisterError
            The register's refusal (another district's or another enterprise's record).
        """
        actor = self.actor(account)
        return {"status": self.register.status(actor, credit_code),
                "history": self.register.history(actor, credit_code)}

    def queue(self, account: Account) -> list[dict]:
        """The applications this account may act on now, with their stage, newest year first.

        Each row is offered only when the register's authorization function allows this actor
        to see the enterprise (``status``); the stage tells which command comes next.

        Parameters
        ----------
        account : Account
            The logged-in account.

        Returns
        -------
        list of dict
            ``credit_code``, ``name``, ``district``, ``year``, ``status``, ``experts``.
        """
        actor = self.actor(account)
        proc = self.register.procedure
        rows = []
        for code, e in sorted(self.register.state().items()):
            for year, app in sorted(e.applications.items(), reverse=True):
                ok = permission_allowed(actor, "status", proc, credit_code=code,
                                        district=e.district or None, experts=app.experts)
                if ok:
                    rows.append({"credit_code": code, "name": e.name, "district": e.district,
                                 "year": year, "status": app.status,
                                 "experts": list(app.experts)})
        return rows


def _district_chart(rows: list[dict]) -> str:
    """Applicants, recommended and listed by district (all years), as inline SVG."""
    from ..outputs.charts import grouped_hbars

    districts = sorted({r["district"] for r in rows})
    if not districts:
        return ""
    series = [(label, [float(sum(r[key] for r in rows if r["district"] == d))
                       for d in districts])
              for key, label in (("applicants", "申请 applicants"),
                                 ("recommended", "推荐 recommended"), ("listed", "入选 listed"))]
    return grouped_hbars(districts, series, unit="家 enterprises",
                         title="各县(市)区进展 Progress by district")


def _ranking_chart(ranking: list[dict]) -> str:
    """The district's ranking as points against 100, as inline SVG."""
    from ..outputs.charts import bars_vs_max

    if not ranking:
        return ""
    return bars_vs_max([f"{r['rank']}. {r['name']}" for r in ranking],
                       [float(r["score"]) for r in ranking], [100.0] * len(ranking),
                       unit="分 points", title="推荐排序 Ranking by score")


def _parse_date(action: str, name: str, raw: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise RegisterError(f"{action}: field {name!r}: a date YYYY-MM-DD expected, got "
                            f"{raw!r}") from None
