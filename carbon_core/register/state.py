"""The state of every enterprise, derived by replaying the event log.

One handler per action (a registry, :data:`HANDLERS`): it checks that the action is in turn for
the enterprise's state on the event's date and then changes the state. Checks come before any
change, so a refused command leaves the state as it was. The same handlers serve a live command
(the check that refuses it) and a replay (the state of the log, or of a prefix of it: the state
"as of" a date), so the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .errors import ProcedureError, RegisterError
from .procedure import Procedure
from .store import Event
from .workdays import add_years

__all__ = ["Application", "Enterprise", "HANDLERS", "STATUS", "replay", "replay_into",
           "apply_event", "HandlerContext", "filing_window",
           "ACTIVE_STAGES"]

#: Status of an application: id -> (中文, English).
STATUS: dict[str, tuple[str, str]] = {
    "none": ("未申请", "no application"),
    "applied": ("已申请培育", "applied for cultivation"),
    "in_plan": ("已纳入培育计划", "in the cultivation plan"),
    "refused": ("未纳入培育计划", "not admitted to the cultivation plan"),
    "submitted": ("已提交自评价", "self-evaluation submitted"),
    "reviewed": ("初审通过", "passed the district review"),
    "review_failed": ("初审未通过", "failed the district review"),
    "recommended": ("已推荐至市级", "recommended to the city"),
    "in_city_review": ("市级评审中", "in the city review"),
    "city_passed": ("市级评审通过", "passed the city review"),
    "city_failed": ("市级评审未通过", "failed the city review"),
    "in_notice": ("公示中", "in public notice"),
    "held": ("公示异议待处理", "held by an objection"),
    "listed": ("已列入名单", "listed"),
    "rejected": ("异议成立，未列入", "rejected after an objection"),
    "disqualified": ("取消资格", "disqualified"),
    "revoked": ("已撤销", "revoked"),
    "lapsed": ("未推荐，年度结束", "lapsed: not recommended in its year"),
}

#: Stages in which an application is still in progress.
ACTIVE_STAGES = frozenset({"applied", "in_plan", "submitted", "reviewed", "recommended",
                           "in_city_review", "city_passed", "in_notice"})


#: Stages at the city, which may run into the next year; earlier stages lapse when the
#: enterprise applies again in a later year (the cultivation plan is yearly).
_CITY_STAGES = frozenset({"recommended", "in_city_review", "city_passed", "in_notice"})

#: Stages in which an application ended without the title (falsification found later still
#: disqualifies it and bans the enterprise).
_FAILED_STAGES = frozenset({"refused", "review_failed", "city_failed", "rejected"})


@dataclass
class Application:
    """One year's application of one enterprise.

    Attributes
    ----------
    year : int
        The application year.
    district : str
        The district it was made in.
    stage : str
        Its stage, a key of :data:`STATUS`.
    applied_on : datetime.date
        The day it was made.
    dates : dict of str to datetime.date
        The day of each step taken (action -> date).
    submission : dict or None
        The checked self-evaluation summary
        (:func:`~carbon_core.register.submission.check_submission`).
    district_review, recommendation, city_review : dict or None
        The district's review, its recommendation (rank and reason) and the city's review.
    experts : dict
        Expert id -> that expert's opinion (None until given).
    site_checks : list of dict
        The site checks recorded.
    notice : dict or None
        The public notice: opened, ends, working days.
    objections : list of dict
        Objections raised during the notice, each resolved or open.
    outcome : str
        How the application ended (refused, failed, listed ...), ``""`` while open.
    """

    year: int
    district: str
    stage: str
    applied_on: dt.date
    dates: dict[str, dt.date] = field(default_factory=dict)
    submission: dict[str, Any] | None = None
    district_review: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    experts: dict[str, dict | None] = field(default_factory=dict)
    site_checks: list[dict] = field(default_factory=list)
    city_review: dict[str, Any] | None = None
    notice: dict[str, Any] | None = None
    objections: list[dict] = field(default_factory=list)
    outcome: str = ""

    @property
    def open_objections(self) -> list[dict]:
        """The objections not yet resolved."""
        return [o for o in self.objections if o.get("resolved") is None]

    @property
    def status(self) -> str:
        """The stage, or ``held`` while an objection to the notice is open."""
        if self.stage == "in_notice" and self.open_objections:
            return "held"
        return self.stage

    def to_dict(self) -> dict[str, Any]:
        """The application as a JSON-ready dict, with its status in Chinese and English."""
        zh, en = STATUS[self.status]
        return {"year": self.year, "district": self.district, "stage": self.status,
                "stage_zh": zh, "stage_en": en, "applied_on": self.applied_on.isoformat(),
                "dates": {k: v.isoformat() for k, v in self.dates.items()},
                "submission": self.submission, "district_review": self.district_review,
                "recommendation": self.recommendation, "experts": dict(self.experts),
                "site_checks": list(self.site_checks), "city_review": self.city_review,
                "notice": self.notice, "objections": list(self.objections),
                "outcome": self.outcome}


@dataclass
class Enterprise:
    """An enterprise (identity: its 统一社会信用代码) as the log makes it.

    Attributes
    ----------
    credit_code : str
        The 统一社会信用代码 (GB 32100-2015), the enterprise's identity in the log.
    name, district, sector : str
        Its current name, district and sector.
    names : list of dict
        Its names over time (renames and restructurings, with the day and why).
    applications : dict of int to Application
        Its applications by year.
    listed : dict or None
        The current listing (year and day), None when it holds no title.
    listings : list of dict
        Every listing it had.
    revocations : list of dict
        Every revocation: day, ground, what was revoked, the day the ban ends.
    banned_until : datetime.date or None
        The last day of its ban on applying, inclusive.
    filings : dict of int to dict
        Its annual filings (动态管理表) by reporting year.
    rereview : dict or None
        The scheduled re-review (复核), if any.
    rereviews : list of dict
        The re-reviews held and their results.
    restructurings : list of dict
        Restructurings recorded.
    last_event : datetime.date or None
        The day of its last event.
    """

    credit_code: str
    name: str = ""
    district: str = ""
    sector: str = ""
    names: list[dict] = field(default_factory=list)
    applications: dict[int, Application] = field(default_factory=dict)
    listed: dict[str, Any] | None = None
    listings: list[dict] = field(default_factory=list)
    revocations: list[dict] = field(default_factory=list)
    banned_until: dt.date | None = None
    filings: dict[int, dict] = field(default_factory=dict)
    rereview: dict[str, Any] | None = None
    rereviews: list[dict] = field(default_factory=list)
    restructurings: list[dict] = field(default_factory=list)
    last_event: dt.date | None = None

    def banned_on(self, day: dt.date) -> bool:
        """Whether the enterprise is banned from applying on ``day``.

        Parameters
        ----------
        day : datetime.date
            The day.
        """
        return self.banned_until is not None and day <= self.banned_until

    def active_application(self) -> Application | None:
        """The application still under way (one of :data:`ACTIVE_STAGES`), or None."""
        for app in self.applications.values():
            if app.stage in ACTIVE_STAGES:
                return app
        return None

    def status(self, day: dt.date | None = None) -> str:
        """A one-word status of the enterprise on ``day`` (listed, banned, revoked...).

        Parameters
        ----------
        day : datetime.date, optional
            The day; without it a ban is not considered.

        Returns
        -------
        str
            ``listed``, ``banned``, ``revoked``, the status of its latest application, or ``none``.
        """
        if self.listed is not None:
            return "listed"
        if day is not None and self.banned_on(day):
            return "banned"
        if self.revocations:
            return "revoked"
        if self.applications:
            return self.applications[max(self.applications)].status
        return "none"

    def to_dict(self, day: dt.date | None = None) -> dict[str, Any]:
        """The enterprise's state as a JSON-ready dict (``carbon programme status --json``).

        Parameters
        ----------
        day : datetime.date, optional
            The day the status and the ban are taken on.
        """
        return {
            "credit_code": self.credit_code, "name": self.name, "district": self.district,
            "sector": self.sector, "status": self.status(day), "names": list(self.names),
            "listed": self.listed, "listings": list(self.listings),
            "revocations": list(self.revocations),
            "banned_until": None if self.banned_until is None else self.banned_until.isoformat(),
            "banned": bool(day and self.banned_on(day)),
            "filings": {str(y): f for y, f in sorted(self.filings.items())},
            "rereview": self.rereview, "rereviews": list(self.rereviews),
            "restructurings": list(self.restructurings),
            "applications": {str(y): a.to_dict() for y, a in sorted(self.applications.items())},
        }


# ------------------------------------------------------------------------------------ helpers

class HandlerContext:
    """What a handler needs besides the state: the procedure it checks against.

    One context serves every handler of a replay or of a live command (:func:`apply_event`),
    so a refusal names the procedure's own stage names and source.

    Parameters
    ----------
    procedure : Procedure
        The programme's procedure (stages, notice period, revocation grounds, ban lengths).
    """

    def __init__(self, procedure: Procedure):
        self.p = procedure

    def refuse(self, ev: Event, rule: str, stage: str, message: str) -> ProcedureError:
        """The error refusing ``ev``, labelled with the procedure's stage and its source.

        Parameters
        ----------
        ev : Event
            The event (or the command's draft event) that is refused.
        rule : str
            The procedure stage id whose rule refuses it (``"apply"``, ``"recommend"`` ...); an
            id the procedure does not know is shown as it is, with no source.
        stage : str
            The enterprise's status id at the time (a key of :data:`STATUS`).
        message : str
            What is wrong, in English, naming the enterprise and the year.

        Returns
        -------
        ProcedureError
            The error to raise (the caller raises it, so the handler reads as one statement).
        """
        try:
            st = self.p.stage(rule)
            label = f"{rule} ({st.name_zh} {st.name_en})"
            source = st.source
        except KeyError:
            label, source = rule, ""
        return ProcedureError(message, rule=label, stage=_stage_label(stage), date=ev.on,
                              source=source)


def _stage_label(stage: str) -> str:
    if stage in STATUS:
        zh, en = STATUS[stage]
        return f"{stage} ({zh} {en})"
    return stage


def _app(ctx: HandlerContext, e: Enterprise, ev: Event, rule: str) -> Application:
    year = ev.year
    app = e.applications.get(year) if year is not None else None
    if app is None:
        raise ctx.refuse(ev, rule, "none", f"{e.credit_code} never applied for {year}: there is "
                         f"no {year} application to act on")
    return app


def _need(ctx, ev, app: Application, rule: str, *stages: str) -> None:
    if app.stage not in stages:
        want = " or ".join(f"'{s}'" for s in stages)
        raise ctx.refuse(ev, rule, app.status, f"{ev.action} refused for {ev.subject} "
                         f"({app.year}): the application is '{app.status}', {ev.action} needs "
                         f"{want}")


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


# ------------------------------------------------------------------------------------ handlers

def _apply(ctx: HandlerContext, e: Enterprise, ev: Event) -> None:
    p = ev.payload
    if ev.year != ev.on.year:
        raise ctx.refuse(ev, "apply", "none", f"an application is for the year it is made in: "
                         f"{ev.year} applied for on {ev.on}")
    if e.banned_until is not None and e.banned_on(ev.on):
        last = e.revocations[-1] if e.revocations else {}
        raise ctx.refuse(ev, "apply", "banned", f"{e.credit_code} may not apply: banned from "
                         f"applying until {e.banned_until} inclusive (revoked on "
                         f"{last.get('on')} on the ground {last.get('ground')!r}); it may apply "
                         f"from {e.banned_until + dt.timedelta(days=1)}")
    if e.listed is not None:
        raise ctx.refuse(ev, "apply", "listed", f"{e.credit_code} is already listed (since "
                         f"{e.listed['on']}); a listed factory does not apply again")
    if ev.year in e.applications:
        a = e.applications[ev.year]
        raise ctx.refuse(ev, "apply", a.status, f"{e.credit_code} already applied for {ev.year} "
                         f"on {a.applied_on}")
    active = e.active_application()
    if active is not None and active.stage in _CITY_STAGES:
        raise ctx.refuse(ev, "apply", active.status, f"the {active.year} application of "
                         f"{e.credit_code} is still in progress at the city")
    ctx.p.district(p["district"])
    if active is not None:  # an earlier year's application never recommended: it lapsed
        active.stage = "lapsed"
        active.outcome = f"lapsed: applied again for {ev.year}"
    if p["name"] != e.name:
        e.names.append({"on": ev.on.isoformat(), "name": p["name"], "why": "apply"})
    e.name, e.district, e.sector = p["name"], p["district"], p.get("sector", "")
    e.applications[ev.year] = Application(ev.year, p["district"], "applied", ev.on)


def _approve(ctx, e, ev):
    app = _app(ctx, e, ev, "approve")
    _need(ctx, ev, app, "approve", "applied")
    app.stage = "in_plan" if ev.payload["decision"] == "approve" else "refused"
    app.dates["approve"] = ev.on
    if app.stage == "refused":
        app.outcome = ev.payload.get("reason", "")


def _submit(ctx, e, ev):
    app = _app(ctx, e, ev, "submit")
    if app.stage == "submitted" or app.submission is not None:
        raise ctx.refuse(ev, "submit", app.status, f"{e.credit_code} already submitted its "
                         f"{app.year} self-evaluation on {app.dates.get('submit')}")
    _need(ctx, ev, app, "submit", "in_plan")
    s = ev.payload
    if e.banned_on(ev.on):
        raise ctx.refuse(ev, "submit", "banned", f"{e.credit_code} is banned until "
                         f"{e.banned_until}")
    p = ctx.p
    if p.require_eligible and not s.get("eligible"):
        raise ctx.refuse(ev, "submit", app.status, "the self-evaluation is not eligible: "
                         f"{', '.join(s.get('failed', [])) or 'eligibility failed'}")
    if p.require_mandatory and s.get("mandatory_unmet"):
        raise ctx.refuse(ev, "submit", app.status, "mandatory items unmet: "
                         + ", ".join(s["mandatory_unmet"]))
    if p.require_verdict and s.get("verdict") != p.require_verdict:
        raise ctx.refuse(ev, "submit", app.status, f"the verdict is {s.get('verdict')!r}, the "
                         f"procedure requires {p.require_verdict!r}")
    app.submission = dict(s, documents=ev.documents, on=ev.on.isoformat())
    app.stage = "submitted"
    app.dates["submit"] = ev.on


def _district_review(ctx, e, ev):
    app = _app(ctx, e, ev, "district_review")
    _need(ctx, ev, app, "district_review", "submitted")
    app.district_review = {"on": ev.on.isoformat(), **ev.payload}
    app.stage = "reviewed" if ev.payload["passed"] else "review_failed"
    app.dates["district_review"] = ev.on


def _recommend(ctx, e, ev):
    app = _app(ctx, e, ev, "recommend")
    _need(ctx, ev, app, "recommend", "reviewed")
    if e.banned_on(ev.on):
        raise ctx.refuse(ev, "recommend", "banned", f"{e.credit_code} is banned until "
                         f"{e.banned_until}")
    app.recommendation = {"on": ev.on.isoformat(), **ev.payload}
    app.stage = "recommended"
    app.dates["recommend"] = ev.on


def _assign(ctx, e, ev):
    app = _app(ctx, e, ev, "assign")
    _need(ctx, ev, app, "assign", "recommended", "in_city_review")
    experts = ev.payload["experts"]
    for x in experts:
        if x in app.experts:
            raise ctx.refuse(ev, "assign", app.status, f"expert {x!r} is already assigned")
    for x in experts:
        app.experts[x] = None
    app.stage = "in_city_review"
    app.dates.setdefault("assign", ev.on)


def _expert_review(ctx, e, ev):
    app = _app(ctx, e, ev, "expert_review")
    _need(ctx, ev, app, "expert_review", "in_city_review")
    if ev.actor not in app.experts:
        raise ctx.refuse(ev, "expert_review", app.status, f"expert {ev.actor!r} is not assigned "
                         f"to the {app.year} application of {e.credit_code}")
    done = app.experts[ev.actor]
    if done is not None:
        raise ctx.refuse(ev, "expert_review", app.status, f"expert {ev.actor!r} already reviewed "
                         f"it on {done['on']}")
    app.experts[ev.actor] = {"on": ev.on.isoformat(), **ev.payload}


def _site_check(ctx, e, ev):
    app = _app(ctx, e, ev, "site_check")
    _need(ctx, ev, app, "site_check", "in_city_review")
    app.site_checks.append({"on": ev.on.isoformat(), **ev.payload, "documents": ev.documents})


def _city_review(ctx, e, ev):
    app = _app(ctx, e, ev, "city_review")
    _need(ctx, ev, app, "city_review", "in_city_review")
    missing = [x for x, r in app.experts.items() if r is None]
    if missing:
        raise ctx.refuse(ev, "city_review", app.status, "expert reviews outstanding: "
                         + ", ".join(missing))
    scores = [r["score"] for r in app.experts.values() if r is not None]
    app.city_review = {"on": ev.on.isoformat(), **ev.payload,
                       "expert_mean": sum(scores) / len(scores) if scores else None}
    app.stage = "city_passed" if ev.payload["passed"] else "city_failed"
    app.dates["city_review"] = ev.on


def _notice(ctx, e, ev):
    app = _app(ctx, e, ev, "notice")
    _need(ctx, ev, app, "notice", "city_passed")
    ends = dt.date.fromisoformat(ev.payload["ends"])
    app.notice = {"opened": ev.on.isoformat(), "ends": ends.isoformat(),
                  "working_days": ev.payload["working_days"]}
    app.stage = "in_notice"
    app.dates["notice"] = ev.on


def _notice_of(app: Application) -> dict[str, Any]:
    """The notice record of an application in notice (the notice handler sets both at once)."""
    if app.notice is None:
        raise RegisterError(f"the {app.year} application is in notice but has no notice record: "
                            "the log is inconsistent")
    return app.notice


def _object(ctx, e, ev):
    app = _app(ctx, e, ev, "object")
    if app.stage != "in_notice":
        raise ctx.refuse(ev, "object", app.status, f"no public notice of {e.credit_code} "
                         f"({app.year}) is open: objections are raised during the notice")
    notice = _notice_of(app)
    opened = dt.date.fromisoformat(notice["opened"])
    ends = dt.date.fromisoformat(notice["ends"])
    if not opened <= ev.on <= ends:
        raise ctx.refuse(ev, "object", app.status, f"the notice ran from {opened} to {ends}: an "
                         f"objection on {ev.on} is outside it")
    app.objections.append({"id": len(app.objections) + 1, "on": ev.on.isoformat(),
                           "text": ev.payload["text"], "documents": ev.documents,
                           "resolved": None})


def _resolve(ctx, e, ev):
    app = _app(ctx, e, ev, "resolve")
    oid = ev.payload["objection"]
    found = [o for o in app.objections if o["id"] == oid]
    if not found:
        raise ctx.refuse(ev, "resolve", app.status, f"no objection #{oid} on the {app.year} "
                         f"application of {e.credit_code}")
    o = found[0]
    if o["resolved"] is not None:
        raise ctx.refuse(ev, "resolve", app.status, f"objection #{oid} was already resolved on "
                         f"{o['resolved']['on']}")
    if app.stage != "in_notice":
        raise ctx.refuse(ev, "resolve", app.status, "the application is no longer in notice")
    o["resolved"] = {"on": ev.on.isoformat(), "outcome": ev.payload["outcome"],
                     "reason": ev.payload.get("reason", "")}
    if ev.payload["outcome"] == "upheld":
        app.stage = "rejected"
        app.outcome = f"objection #{oid} upheld: {ev.payload.get('reason', '')}"
        app.dates["resolve"] = ev.on


def _list(ctx, e, ev):
    app = _app(ctx, e, ev, "list")
    if app.stage == "in_notice":
        notice = _notice_of(app)
        ends = dt.date.fromisoformat(notice["ends"])
        if ev.on <= ends:
            raise ctx.refuse(ev, "list", app.status, f"the public notice of {e.credit_code} is "
                             f"open until {ends} ({notice['working_days']} working days from "
                             f"{notice['opened']}): it can be listed from the next day")
        if app.open_objections:
            ids = ", ".join(f"#{o['id']}" for o in app.open_objections)
            raise ctx.refuse(ev, "list", "held", f"objection {ids} to {e.credit_code} is not "
                             "resolved: the application is held until it is")
    _need(ctx, ev, app, "list", "in_notice")
    if e.banned_on(ev.on):
        raise ctx.refuse(ev, "list", "banned", f"{e.credit_code} is banned until "
                         f"{e.banned_until}")
    if not (app.submission or {}).get("eligible"):
        raise ctx.refuse(ev, "list", app.status, "no eligible self-evaluation on record")
    app.stage = "listed"
    app.dates["list"] = ev.on
    e.listed = {"on": ev.on.isoformat(), "year": app.year, "name": e.name}
    e.listings.append(dict(e.listed))


def filing_window(p: Procedure, year: int) -> tuple[dt.date, dt.date]:
    """The days the 动态管理表 for ``year`` may be filed: opening day and due day.

    The window opens in the reporting year itself and is due in the year after, on the month
    and day the procedure declares (``[filing] opens`` / ``due``).

    Parameters
    ----------
    p : Procedure
        The programme's procedure.
    year : int
        The reporting year the filing is for.

    Returns
    -------
    tuple of datetime.date
        ``(opens, due)``, both inclusive; a filing after ``due`` is late.
    """
    return (dt.date(year, *p.filing_opens), dt.date(year + 1, *p.filing_due))


def _file(ctx, e, ev):
    y = ev.year
    if e.listed is None:
        raise ctx.refuse(ev, "file", e.status(ev.on), f"{e.credit_code} is not a listed factory:"
                         " only listed factories file the 动态管理表")
    if y in e.filings:
        raise ctx.refuse(ev, "file", "listed", f"{e.credit_code} already filed for {y} on "
                         f"{e.filings[y]['on']}: one filing per year")
    listed_year = dt.date.fromisoformat(e.listed["on"]).year
    if y < listed_year:
        raise ctx.refuse(ev, "file", "listed", f"{e.credit_code} was listed in {listed_year}; "
                         f"there is no filing for {y}")
    opens, due = filing_window(ctx.p, y)
    if ev.on < opens:
        raise ctx.refuse(ev, "file", "listed", f"the filing for {y} opens on {opens}")
    e.filings[y] = {"on": ev.on.isoformat(), "due": due.isoformat(), "late": ev.on > due,
                    "documents": ev.documents, **{k: v for k, v in ev.payload.items()}}


def _rename(ctx, e, ev):
    y = ev.year
    if e.listed is None:
        raise ctx.refuse(ev, "rename", e.status(ev.on), f"{e.credit_code} is not listed: a name "
                         "change is declared by a listed factory at its annual filing")
    if y not in e.filings:
        raise ctx.refuse(ev, "rename", "listed", f"a name change is declared at the annual "
                         f"filing: {e.credit_code} has not filed for {y}")
    if e.filings[y].get("renamed_to"):
        raise ctx.refuse(ev, "rename", "listed", f"a name change was already declared at the "
                         f"{y} filing")
    new = ev.payload["name"]
    if new == e.name:
        raise ctx.refuse(ev, "rename", "listed", f"the name is already {new!r}")
    e.filings[y]["renamed_to"] = new
    e.names.append({"on": ev.on.isoformat(), "name": new, "why": "rename", "former": e.name})
    e.name = new
    e.listed["name"] = new


def _restructure(ctx, e, ev):
    if e.listed is None:
        raise ctx.refuse(ev, "restructure", e.status(ev.on), f"{e.credit_code} is not listed")
    e.restructurings.append({"on": ev.on.isoformat(), **ev.payload})
    e.rereview = {"reason": "restructure", "since": ev.on.isoformat(), "scheduled_for": None,
                  "result": None}


def _rereview_schedule(ctx, e, ev):
    if e.listed is None:
        raise ctx.refuse(ev, "rereview_schedule", e.status(ev.on), f"{e.credit_code} is not "
                         "listed: there is nothing to re-review")
    when = dt.date.fromisoformat(ev.payload["date"])
    if when < ev.on:
        raise ctx.refuse(ev, "rereview_schedule", "listed", f"a re-review is scheduled for a "
                         f"day not before today; got {when}")
    rr = e.rereview or {"reason": ev.payload.get("reason", "scheduled"),
                        "since": ev.on.isoformat(), "result": None}
    rr["scheduled_for"] = when.isoformat()
    e.rereview = rr


def _rereview(ctx, e, ev):
    rr = e.rereview
    if e.listed is None or rr is None or rr.get("scheduled_for") is None:
        raise ctx.refuse(ev, "rereview", e.status(ev.on), f"no re-review of {e.credit_code} is "
                         "scheduled")
    when = dt.date.fromisoformat(rr["scheduled_for"])
    if ev.on < when:
        raise ctx.refuse(ev, "rereview", "listed", f"the re-review is scheduled for {when}")
    rr = dict(rr, result=ev.payload["result"], on=ev.on.isoformat(),
              opinion=ev.payload.get("opinion", ""))
    e.rereviews.append(rr)
    e.rereview = None


def _revoke(ctx, e, ev):
    g = ctx.p.ground(ev.payload["ground"])
    app = e.active_application()
    if app is None and g.disqualifies_application and e.applications:
        last = e.applications[max(e.applications)]
        if last.stage in _FAILED_STAGES:  # falsification found after a refusal still bans
            app = last
    if e.listed is None and not (g.disqualifies_application and app is not None):
        extra = " or an application in progress" if g.disqualifies_application else ""
        raise ctx.refuse(ev, "revoke", e.status(ev.on), f"{e.credit_code} holds no title"
                         f"{extra} to revoke on the ground {g.id!r}")
    if g.requires.startswith("rereview:"):
        want = g.requires.split(":", 1)[1]
        last = e.rereviews[-1] if e.rereviews else None
        if last is None or last["result"] != want or (
                e.listed and last["on"] < e.listed["on"]):
            raise ctx.refuse(ev, "revoke", "listed", f"the ground {g.id!r} needs a re-review "
                             f"recorded as {want!r}; the last re-review is "
                             f"{'none' if last is None else repr(last['result'])}")
    elif not (ev.payload.get("evidence") or ev.documents):
        raise ctx.refuse(ev, "revoke", e.status(ev.on), f"the ground {g.id!r} needs evidence (a "
                         "reference or a document)")
    ban_ends = add_years(ev.on, ctx.p.ban_years)
    what = "title"
    if e.listed is not None:
        for a in e.applications.values():
            if a.stage == "listed":
                a.stage = "revoked"
        e.listed = None
    if g.disqualifies_application and app is not None:
        app.stage = "disqualified"
        app.outcome = f"disqualified: {g.id}"
        app.dates["revoke"] = ev.on
        what = "application" if what == "title" and not e.listings else "title and application"
    e.revocations.append({"on": ev.on.isoformat(), "ground": g.id, "ground_zh": g.name_zh,
                          "ground_en": g.name_en, "ban_ends": ban_ends.isoformat(),
                          "what": what, "evidence": ev.payload.get("evidence", ""),
                          "documents": ev.documents, "name": e.name, "district": e.district})
    if e.banned_until is None or ban_ends > e.banned_until:
        e.banned_until = ban_ends
    e.rereview = None


def _open(ctx, e, ev):  # the genesis event: nothing to change on an enterprise
    return None


#: action -> handler(ctx, enterprise, event). One entry per action; no if/elif ladder.
HANDLERS: dict[str, Callable[[HandlerContext, Enterprise, Event], None]] = {
    "apply": _apply, "approve": _approve, "submit": _submit,
    "district_review": _district_review, "recommend": _recommend, "assign": _assign,
    "expert_review": _expert_review, "site_check": _site_check, "city_review": _city_review,
    "notice": _notice, "object": _object, "resolve": _resolve, "list": _list, "file": _file,
    "rename": _rename, "restructure": _restructure, "rereview_schedule": _rereview_schedule,
    "rereview": _rereview, "revoke": _revoke,
}


def apply_event(ctx: HandlerContext, e: Enterprise, ev: Event) -> None:
    """Check ``ev`` against ``e`` and apply it (raises :class:`ProcedureError` if out of turn).

    Parameters
    ----------
    ctx : HandlerContext
        The procedure the handlers check against.
    e : Enterprise
        The state of the event's enterprise, changed in place.
    ev : Event
        The event (stored or drafted).

    Raises
    ------
    ProcedureError
        The action is out of turn for the state on the event's date (the state is unchanged).
    RegisterError
        An action no handler knows.
    """
    try:
        handler = HANDLERS[ev.action]
    except KeyError:
        raise RegisterError(f"unknown action {ev.action!r}; known: {sorted(HANDLERS)}") from None
    handler(ctx, e, ev)
    e.last_event = ev.on


def replay(events: Iterable[Event], procedure: Procedure) -> dict[str, Enterprise]:
    """The state of every enterprise after ``events`` (in sequence order).

    Parameters
    ----------
    events : iterable of Event
        Stored events in sequence order (a prefix for a state "as of" a day).
    procedure : Procedure
        The register's procedure.

    Returns
    -------
    dict of str to Enterprise
        Credit code -> state.

    Raises
    ------
    RegisterError
        A stored event that does not replay (the log or the procedure changed underneath).
    """
    return replay_into({}, events, procedure)


def replay_into(out: dict[str, Enterprise], events: Iterable[Event],
                procedure: Procedure) -> dict[str, Enterprise]:
    """Apply ``events`` to the states ``out`` (changed in place and returned).

    Parameters
    ----------
    out : dict of str to Enterprise
        States to go on from (credit code -> state).
    events : iterable of Event
        Further events in sequence order.
    procedure : Procedure
        The register's procedure.

    Returns
    -------
    dict of str to Enterprise
        ``out`` itself.

    Raises
    ------
    RegisterError
        A stored event that does not replay.
    """
    ctx = HandlerContext(procedure)
    for ev in events:
        if ev.action == "open":
            continue
        e = out.get(ev.subject)
        if e is None:
            e = out[ev.subject] = Enterprise(ev.subject)
        try:
            apply_event(ctx, e, ev)
        except ProcedureError as exc:
            raise RegisterError(f"event {ev.seq} ({ev.action} {ev.subject} on {ev.on}) does not "
                                f"replay under procedure {procedure.id}: {exc}") from None
    return out
