"""The programme register: commands, views and exports over the event log.

:class:`Register` is the whole Python API (the CLI ``carbon programme ...`` and the web layer
call it directly). Every command names its actor (``Actor`` or ``"ROLE:ID"``) and its date
(``on``, default today in China, UTC+8); it asks the one authorization function
(:func:`carbon_core.register.auth.permission_allowed`), checks the step is in turn with the same
handlers that replay the log (:mod:`carbon_core.register.state`), and appends its events in one
transaction (:class:`carbon_core.register.store.EventStore`). Views replay the log, up to a date
when asked "as of".

Examples
--------
>>> import datetime as dt
>>> reg = Register(":memory:", clock=lambda: dt.datetime(2024, 12, 31, tzinfo=dt.timezone.utc))
>>> _ = reg.apply("enterprise:91340100MA2N0K1X3U", name="示例空调", district="经开区",
...               on=dt.date(2024, 1, 8))
>>> reg.status("district:经开区", "91340100MA2N0K1X3U")["applications"]["2024"]["stage"]
'applied'
>>> reg.recommend("district:经开区", ["91340100MA2N0K1X3U"], on=dt.date(2024, 1, 9))
Traceback (most recent call last):
...
carbon_core.register.errors.ProcedureError: recommend refused for 91340100MA2N0K1X3U (2024): the application is 'applied', recommend needs 'reviewed' [rule: recommend (推荐 district recommendation to the city); stage: applied (已申请培育 applied for cultivation); date: 2024-01-09; source: programme summary step 3 (X): ranked by district, sector representativeness and score, never mixing districts]
"""

from __future__ import annotations

import builtins
import collections
import datetime as dt
import re
from typing import Any, Callable, Iterable, Mapping, Sequence

from .auth import Actor, permission_allowed
from .errors import PermissionDenied, ProcedureError, RegisterError
from .procedure import Procedure, load_procedure
from .state import Enterprise, HandlerContext, filing_window, apply_event, replay, replay_into
from .store import Draft, Event, EventStore, default_register_url
from .submission import check_submission, hash_documents
from .workdays import add_working_days

__all__ = ["Register", "CHINA_TZ"]

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))

#: 统一社会信用代码 (GB 32100-2015): 18 characters, digits and capitals without I, O, S, V, Z.
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def _actor(a: Actor | str) -> Actor:
    return a if isinstance(a, Actor) else Actor.parse(a)


def _check_code(code: Any) -> str:
    if not isinstance(code, str) or not _CREDIT_CODE.match(code):
        raise RegisterError(f"{code!r} is not a 统一社会信用代码 (GB 32100-2015: 18 characters, "
                            "digits and capital letters except I, O, S, V, Z)")
    return code


def _text(v: Any, what: str, *, max_len: int = 400, required: bool = True) -> str:
    if v is None and not required:
        return ""
    if not isinstance(v, str) or (required and not v.strip()) or len(v) > max_len:
        raise RegisterError(f"{what}: expected a text of 1 to {max_len} characters, got {v!r}")
    return v.strip()


class Register:
    """A programme register over one event log.

    Parameters
    ----------
    db : str or path, optional
        SQLite file, ``":memory:"`` or a SQLAlchemy URL. Default ``$CARBON_REGISTER`` or
        ``./carbon-register.sqlite``.
    programme : str, optional
        The programme bundle (its ``procedure`` file). A new register records it in its first
        event; an existing one must be opened with the same programme (or None).
    clock : callable, optional
        Returns the current time (aware datetime); "today" is its date in China (UTC+8).
    plugin_manager : pluggy.PluginManager, optional
        Also look for the programme among those plugins ship.

    Notes
    -----
    The commands and views share these parameters:

    - ``actor`` (:class:`~carbon_core.register.auth.Actor` or ``"ROLE:ID"``): who acts; the one
      authorization function decides whether it may;
    - ``credit_code`` (str): the enterprise's 统一社会信用代码 (GB 32100-2015); ``credit_codes``
      (sequence of str): several, recorded in one transaction (all or none);
    - ``year`` (int, optional): the application year (default: the year of ``on``);
    - ``on`` (date or ISO str, optional): the date of the action (default: today in China,
      UTC+8);
    - ``documents`` (mapping, optional): ``{role: path}`` of documents, stored as SHA-256
      hashes, never as files;
    - ``as_of`` (date or ISO str, optional): a view is of the log up to this day, inclusive
      (default: today).

    Every command (``apply`` ... ``revoke``) is one transaction and returns the events it
    recorded. It raises :class:`PermissionDenied` when the actor may not take the step for
    that enterprise, :class:`ProcedureError` when the step is out of turn (the message names
    the rule, the stage and the date), and :class:`RegisterError` for a malformed argument (a
    credit code, a text too long); then nothing is recorded.
    """

    def __init__(self, db: Any = None, *, programme: str | None = None,
                 clock: Callable[[], dt.datetime] | None = None, plugin_manager=None):
        from ..programmes import DEFAULT_PROGRAMME, get_programme

        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.store = EventStore(db if db is not None else default_register_url(),
                                clock=self._clock)
        genesis = self.store.first()
        if genesis is not None:
            if genesis.action != "open":
                raise RegisterError(f"{self.store.url}: the first event is not the register's "
                                    "opening; not a register")
            recorded = genesis.payload["programme"]
            if programme is not None and programme != recorded:
                raise RegisterError(f"this register runs the programme {recorded!r}, not "
                                    f"{programme!r}")
            programme = recorded
        self.programme = get_programme(programme or DEFAULT_PROGRAMME,
                                       plugin_manager=plugin_manager)
        self.procedure: Procedure = load_procedure(self.programme.name,
                                                   plugin_manager=plugin_manager)
        if genesis is not None and genesis.payload["procedure_sha256"] != self.procedure.sha256:
            raise RegisterError(
                f"the procedure file {self.procedure.label} changed since this register was "
                f"opened on {genesis.on} (sha256 {genesis.payload['procedure_sha256'][:12]}… "
                f"then, {self.procedure.sha256[:12]}… now): the log would replay under other "
                "rules; restore the file the register was opened with")
        self._ctx = HandlerContext(self.procedure)
        #: The last authorization checks made (actor, action, resource, allowed, reason).
        self.checks: collections.deque = collections.deque(maxlen=500)
        self._cache: tuple[int, str, dict[str, Enterprise]] = (0, "", {})

    def close(self) -> None:
        """Release the register's database connections."""
        self.store.close()

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def today(self) -> dt.date:
        """Today in China (UTC+8) by the register's clock."""
        return self._clock().astimezone(CHINA_TZ).date()

    def _on(self, on: dt.date | str | None) -> dt.date:
        if on is None:
            return self.today()
        if isinstance(on, str):
            try:
                on = dt.date.fromisoformat(on)
            except ValueError:
                raise RegisterError(f"{on!r} is not a date YYYY-MM-DD") from None
        if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
            raise RegisterError(f"expected a date, got {on!r}")
        if on > self.today():
            raise RegisterError(f"{on} is in the future (today is {self.today()} in China): the "
                                "register records what happened, never what will")
        return on

    def _permit(self, actor: Actor, action: str, e: Enterprise | None, code: str | None,
                year: int | None = None, *, district: str | None = None) -> None:
        experts: Iterable[str] = ()
        if e is not None:
            apps = [e.applications[year]] if year in e.applications else (
                e.applications.values() if year is None else [])
            experts = [x for a in apps for x in a.experts]
        d = district if district is not None else (e.district or None if e else None)
        decision = permission_allowed(actor, action, self.procedure, credit_code=code,
                                      district=d, experts=experts)
        self.checks.append((str(actor), action, code or district, decision.allowed,
                            decision.reason))
        if not decision.allowed:
            raise PermissionDenied(f"permission denied: {actor} may not {action}"
                                   f"{' ' + code if code else ''}: {decision.reason}")

    def _enterprise(self, code: str, *, conn=None, until: dt.date | None = None) -> Enterprise:
        events = [e for e in self.store.events(subject=code, until=until, conn=conn)]
        return replay(events, self.procedure).get(code) or Enterprise(code)

    def _genesis(self, on: dt.date) -> Draft:
        return Draft(on, "system", "register", "open", "", None,
                     {"programme": self.programme.name, "procedure": self.procedure.id,
                      "procedure_sha256": self.procedure.sha256,
                      "procedure_file": self.procedure.label})

    def _command(self, actor: Actor | str, action: str,
                 targets: Sequence[tuple[str, int | None, dict, dict]],
                 on: dt.date | str | None) -> list[dict]:
        """Check and append one event per target in one transaction; return them as dicts."""
        actor = _actor(actor)
        day = self._on(on)
        if not targets:
            raise RegisterError(f"{action}: no enterprise given")

        def build(conn, head):
            last = head[2]
            if last is not None and day.isoformat() < last:
                raise ProcedureError(f"{action} dated {day} is earlier than the last event in the "
                                     f"log ({last}): events are recorded in date order",
                                     rule="log.date_order", stage="-", date=day)
            states: dict[str, Enterprise] = {}
            drafts: list[Draft] = []
            for code, year, payload, docs in targets:
                e = states.get(code)
                if e is None:
                    e = states[code] = self._enterprise(code, conn=conn)
                self._permit(actor, action, e, code, year)
                d = Draft(day, actor.role, actor.id, action, code, year, payload, docs)
                apply_event(self._ctx, e, Event(0, "", "", day, "", actor.role, actor.id,
                                                action, code, year, payload, docs))
                drafts.append(d)
            if head[0] == 0:
                drafts.insert(0, self._genesis(day))
            return drafts

        return [ev.to_dict() for ev in self.store.append(build) if ev.action != "open"]

    def _year(self, year: int | None, on: dt.date | str | None) -> int:
        if year is None:
            return self._on(on).year
        if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2200:
            raise RegisterError(f"year: expected a calendar year, got {year!r}")
        return year

    def _indicator_system(self):
        if getattr(self, "_system", None) is None:
            from .submission import programme_system

            self._system = programme_system(self.programme)
        return self._system

    def _docs(self, documents) -> dict:
        return hash_documents(documents, max_bytes=self.procedure.max_document_bytes)

    # -- 1. cultivation -----------------------------------------------------------------------

    def apply(self, actor, *, name: str, district: str, credit_code: str | None = None,
              sector: str = "", on=None) -> list[dict]:
        """开展培育: an enterprise applies to its district for this year's cultivation plan.

        Refused inside a ban (with the date the ban ends), twice in a year, while listed, while
        another application is in progress, or for an unknown district.

        Parameters
        ----------
        actor, on
            As for every command or view (:class:`Register`, Notes).
        name : str
            The enterprise's name.
        district : str
            The district applied to (one of the procedure's districts).
        credit_code : str, optional
            The enterprise's credit code (default: the actor's id).
        sector : str
            The enterprise's sector, for the district's ranking.

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        a = _actor(actor)
        code = _check_code(credit_code or a.id)
        self.procedure.district(_text(district, "district", max_len=40))
        payload = {"name": _text(name, "name", max_len=200), "district": district,
                   "sector": _text(sector, "sector", max_len=80, required=False)}
        return self._command(a, "apply", [(code, self._on(on).year, payload, {})], on)

    def approve(self, actor, credit_code: str, *, year: int | None = None, refuse: bool = False,
                reason: str = "", on=None) -> list[dict]:
        """The district admits the application into its cultivation plan (or refuses it).

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        refuse : bool
            Refuse the application instead of admitting it.
        reason : str
            Why it is refused (required when ``refuse``).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        payload = {"decision": "refuse" if refuse else "approve",
                   "reason": _text(reason, "reason", required=refuse)}
        return self._command(actor, "approve", [(_check_code(credit_code), self._year(year, on),
                                                 payload, {})], on)

    # -- 2. self-creation ---------------------------------------------------------------------

    def submit(self, actor, *, score=None, results=None, inventory=None,
               documents: Mapping[str, Any] | None = None, bundle_root: str | None = None,
               credit_code: str | None = None, year: int | None = None, on=None) -> list[dict]:
        """自主创建: submit the self-evaluation, checked by the engine before it is recorded.

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        score, results : mapping or path
            The score JSON and (optionally) the results JSON.
        inventory : path, optional
            Recomputed by the engine; the submitted score must agree with it.
        documents : mapping
            ``{role: path}`` (the report...); stored as SHA-256 hashes.
        bundle_root : str, optional
            The verifier bundle's root hash (64 hex digits).
        """
        a = _actor(actor)
        code = _check_code(credit_code or a.id)
        y = self._year(year, on)
        if bundle_root is not None and not re.fullmatch(r"[0-9a-f]{64}", str(bundle_root)):
            raise RegisterError(f"bundle_root: expected 64 lowercase hex digits, got "
                                f"{bundle_root!r}")
        e = self._enterprise(code)
        self._permit(a, "submit", e, code, y)  # before any file is read for someone else
        summary, json_docs = check_submission(
            procedure=self.procedure, programme=self.programme, credit_code=code, year=y,
            score=score, results=results, inventory=inventory, revocations=e.revocations,
            on=self._on(on), system=self._indicator_system())
        docs = {**json_docs, **self._docs(documents)}
        summary["bundle_root"] = bundle_root
        return self._command(a, "submit", [(code, y, summary, docs)], on)

    # -- 3. district review and recommendation ------------------------------------------------

    def district_review(self, actor, credit_code: str, *, passed: bool, opinion: str = "",
                        year: int | None = None, on=None) -> list[dict]:
        """初审: the district's initial review of a submitted application.

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        passed : bool
            Whether the application passed the initial review (初审).
        opinion : str
            The written opinion (optional).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        payload = {"passed": bool(passed), "opinion": _text(opinion, "opinion", max_len=2000,
                                                            required=False)}
        return self._command(actor, "district_review",
                             [(_check_code(credit_code), self._year(year, on), payload, {})], on)

    def recommend(self, actor, credit_codes: Sequence[str], *, year: int | None = None,
                  on=None) -> list[dict]:
        """推荐: the district recommends reviewed applications to the city (one transaction).

        Each event records the enterprise's place in the district's ranking
        (:meth:`ranking`).

        Parameters
        ----------
        actor, credit_codes, year, on
            As for every command or view (:class:`Register`, Notes).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        a = _actor(actor)
        y = self._year(year, on)
        places: dict[str, dict] = {}
        if a.role == "district":
            places = {r["credit_code"]: r for r in self._ranking(a.id, y)}
        targets: list[tuple[str, int, dict, dict]] = []
        for code in credit_codes:
            r = places.get(_check_code(code), {})
            targets.append((code, y, {"rank": r.get("rank"), "reason": r.get("reason", "")}, {}))
        return self._command(a, "recommend", targets, on)

    # -- 4. city review, notice, list ---------------------------------------------------------

    def assign(self, actor, credit_code: str, experts: Sequence[str], *,
               year: int | None = None, on=None) -> list[dict]:
        """The city assigns experts to a recommended application.

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        experts : sequence of str
            Distinct expert ids.

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        ids = [Actor.parse(f"expert:{x}").id for x in experts]
        if not ids or len(set(ids)) != len(ids):
            raise RegisterError(f"experts: expected distinct expert ids, got {list(experts)}")
        return self._command(actor, "assign", [(_check_code(credit_code), self._year(year, on),
                                                {"experts": ids}, {})], on)

    def expert_review(self, actor, credit_code: str, *, score: float, opinion: str = "",
                      year: int | None = None, on=None) -> list[dict]:
        """An assigned expert records a review score [0-100 points] and opinion.

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        score : float
            The expert's score [points, 0 to 100].
        opinion : str
            The written opinion (optional).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        if isinstance(score, bool) or not isinstance(score, (int, float)) or \
                not 0 <= float(score) <= 100:
            raise RegisterError(f"score: expected 0 to 100 points, got {score!r}")
        payload = {"score": float(score), "opinion": _text(opinion, "opinion", max_len=4000,
                                                           required=False)}
        return self._command(actor, "expert_review",
                             [(_check_code(credit_code), self._year(year, on), payload, {})], on)

    def site_check(self, actor, credit_code: str, *, findings: str, documents=None,
                   year: int | None = None, on=None) -> list[dict]:
        """现场核查: the city records a site check.

        Parameters
        ----------
        actor, credit_code, documents, year, on
            As for every command or view (:class:`Register`, Notes).
        findings : str
            What the site check found.

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        return self._command(actor, "site_check", [
            (_check_code(credit_code), self._year(year, on),
             {"findings": _text(findings, "findings", max_len=4000)}, self._docs(documents))], on)

    def city_review(self, actor, credit_code: str, *, passed: bool, opinion: str = "",
                    year: int | None = None, on=None) -> list[dict]:
        """The city's review decision (after every assigned expert has reviewed).

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        passed : bool
            Whether the application passed the city's review.
        opinion : str
            The written opinion (optional).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        payload = {"passed": bool(passed), "opinion": _text(opinion, "opinion", max_len=4000,
                                                            required=False)}
        return self._command(actor, "city_review",
                             [(_check_code(credit_code), self._year(year, on), payload, {})], on)

    def notice(self, actor, credit_codes: Sequence[str], *, year: int | None = None,
               on=None) -> list[dict]:
        """公示: open the public notice; it ends after the procedure's working days.

        Parameters
        ----------
        actor, credit_codes, year, on
            As for every command or view (:class:`Register`, Notes).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        day = self._on(on)
        n = self.procedure.notice_working_days
        ends = add_working_days(day, n, count_opening_day=self.procedure.count_opening_day)
        y = self._year(year, on)
        payload = {"ends": ends.isoformat(), "working_days": n,
                   "count_opening_day": self.procedure.count_opening_day}
        return self._command(actor, "notice", [(_check_code(c), y, dict(payload), {})
                                               for c in credit_codes], on)

    def object(self, actor, credit_code: str, *, text: str, documents=None,
               year: int | None = None, on=None) -> list[dict]:
        """公示异议: record an objection received during the notice (holds the application).

        Parameters
        ----------
        actor, credit_code, documents, year, on
            As for every command or view (:class:`Register`, Notes).
        text : str
            The objection as received.

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        return self._command(actor, "object", [
            (_check_code(credit_code), self._year(year, on),
             {"text": _text(text, "objection", max_len=4000)}, self._docs(documents))], on)

    def resolve(self, actor, credit_code: str, *, objection: int, upheld: bool,
                reason: str = "", year: int | None = None, on=None) -> list[dict]:
        """异议处理: dismiss (the hold is released) or uphold (not listed) an objection.

        Parameters
        ----------
        actor, credit_code, year, on
            As for every command or view (:class:`Register`, Notes).
        objection : int
            The objection's number (1, 2 ...) in the application.
        upheld : bool
            Uphold the objection (the application is not listed) or dismiss it (the hold is
        released).
        reason : str
            Why (optional).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        if isinstance(objection, bool) or not isinstance(objection, int) or objection < 1:
            raise RegisterError(f"objection: expected its number (1, 2...), got {objection!r}")
        payload = {"objection": objection, "outcome": "upheld" if upheld else "dismissed",
                   "reason": _text(reason, "reason", max_len=4000, required=False)}
        return self._command(actor, "resolve", [(_check_code(credit_code), self._year(year, on),
                                                 payload, {})], on)

    def list(self, actor, credit_codes: Sequence[str], *, year: int | None = None,
             on=None) -> list[dict]:
        """评审公布: publish in the list after the notice ended without an open objection.

        Parameters
        ----------
        actor, credit_codes, year, on
            As for every command or view (:class:`Register`, Notes).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        return self._command(actor, "list", [(_check_code(c), self._year(year, on), {}, {})
                                             for c in credit_codes], on)

    # -- 5-8. dynamic management --------------------------------------------------------------

    def file(self, actor, *, year: int, documents=None, rename_to: str | None = None,
             credit_code: str | None = None, on=None, **declared: Any) -> builtins.list[dict]:
        """动态管理: a listed factory files its 动态管理表 for ``year`` (late after the due day).

        ``rename_to`` declares a name change at this filing (a second event, same
        transaction).

        Parameters
        ----------
        actor, documents, on
            As for every command or view (:class:`Register`, Notes).
        year : int
            The reporting year the filing is for.
        rename_to : str, optional
            A new name declared with this filing.
        credit_code : str, optional
            The factory's credit code (default: the actor's id).
        **declared
            The 动态管理表's figures and texts (strings, numbers, booleans; other values are left out).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        a = _actor(actor)
        code = _check_code(credit_code or a.id)
        y = self._year(year, on)
        payload = {k: v for k, v in declared.items() if isinstance(v, (str, int, float, bool))}
        targets = [(code, y, payload, self._docs(documents))]
        if rename_to is not None:
            targets.append((code, y, {"name": _text(rename_to, "new name", max_len=200)}, {}))
            return self._command_multi(a, [("file",) + targets[0], ("rename",) + targets[1]], on)
        return self._command(a, "file", targets, on)

    def rename(self, actor, *, name: str, year: int, credit_code: str | None = None,
               on=None) -> builtins.list[dict]:
        """名称变更: declare a new name at the ``year`` filing (published on the list).

        Parameters
        ----------
        actor, on
            As for every command or view (:class:`Register`, Notes).
        name : str
            The new name.
        year : int
            The filing year the change is declared at.
        credit_code : str, optional
            The factory's credit code (default: the actor's id).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        a = _actor(actor)
        code = _check_code(credit_code or a.id)
        return self._command(a, "rename", [(code, self._year(year, on),
                                            {"name": _text(name, "new name", max_len=200)}, {})],
                             on)

    def restructure(self, actor, credit_code: str | None = None, *, description: str,
                    documents=None, on=None) -> builtins.list[dict]:
        """重组: a restructuring is declared (by the enterprise or the city); it triggers a
        re-review.

        Parameters
        ----------
        actor, documents, on
            As for every command or view (:class:`Register`, Notes).
        credit_code : str, optional
            The factory's credit code (default: the actor's id).
        description : str
            What changed (merger, split, transfer ...).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        a = _actor(actor)
        code = _check_code(credit_code or a.id)
        return self._command(a, "restructure", [
            (code, None, {"description": _text(description, "description", max_len=4000)},
             self._docs(documents))], on)

    def schedule_rereview(self, actor, credit_code: str, *, date: dt.date | str,
                          reason: str = "scheduled", on=None) -> builtins.list[dict]:
        """复核: the city schedules a re-review of a listed factory for ``date``.

        Parameters
        ----------
        actor, credit_code, on
            As for every command or view (:class:`Register`, Notes).
        date : datetime.date or str
            The day of the re-review.
        reason : str
            Why it is scheduled.

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        when = dt.date.fromisoformat(date) if isinstance(date, str) else date
        return self._command(actor, "rereview_schedule", [
            (_check_code(credit_code), None, {"date": when.isoformat(),
                                              "reason": _text(reason, "reason", max_len=400)},
             {})], on)

    def rereview(self, actor, credit_code: str, *, result: str, opinion: str = "",
                 on=None) -> builtins.list[dict]:
        """复核结果: ``passed``, ``failed`` or ``absent`` (the enterprise did not attend).

        Parameters
        ----------
        actor, credit_code, on
            As for every command or view (:class:`Register`, Notes).
        result : str
            ``passed``, ``failed`` or ``absent``.
        opinion : str
            The written opinion (optional).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        if result not in ("passed", "failed", "absent"):
            raise RegisterError(f"result: expected passed, failed or absent, got {result!r}")
        return self._command(actor, "rereview", [
            (_check_code(credit_code), None,
             {"result": result, "opinion": _text(opinion, "opinion", max_len=4000,
                                                 required=False)}, {})], on)

    def revoke(self, actor, credit_code: str, *, ground: str, evidence: str = "",
               documents=None, on=None) -> builtins.list[dict]:
        """撤销资格 on one of the procedure's grounds; bans applying for the ban years.

        Parameters
        ----------
        actor, credit_code, documents, on
            As for every command or view (:class:`Register`, Notes).
        ground : str
            One of the procedure's revocation grounds.
        evidence : str
            The evidence of the ground (its reference).

        Returns
        -------
        list of dict
            The events recorded (:meth:`Event.to_dict <carbon_core.register.store.Event.to_dict>`).
        """
        self.procedure.ground(ground)
        return self._command(actor, "revoke", [
            (_check_code(credit_code), None,
             {"ground": ground, "evidence": _text(evidence, "evidence", max_len=4000,
                                                  required=False)},
             self._docs(documents))], on)

    def _command_multi(self, actor: Actor, items, on) -> builtins.list[dict]:
        """Several actions (each ``(action, code, year, payload, docs)``) in one transaction."""
        day = self._on(on)

        def build(conn, head):
            last = head[2]
            if last is not None and day.isoformat() < last:
                raise ProcedureError(f"dated {day}, earlier than the last event ({last})",
                                     rule="log.date_order", stage="-", date=day)
            states: dict[str, Enterprise] = {}
            drafts = []
            for action, code, year, payload, docs in items:
                e = states.get(code) or states.setdefault(code, self._enterprise(code, conn=conn))
                self._permit(actor, action, e, code, year)
                apply_event(self._ctx, e, Event(0, "", "", day, "", actor.role, actor.id, action,
                                                code, year, payload, docs))
                drafts.append(Draft(day, actor.role, actor.id, action, code, year, payload, docs))
            if head[0] == 0:
                drafts.insert(0, self._genesis(day))
            return drafts

        return [ev.to_dict() for ev in self.store.append(build) if ev.action != "open"]

    # -- views --------------------------------------------------------------------------------

    def _as_of(self, as_of) -> dt.date:
        if as_of is None:
            return self.today()
        if isinstance(as_of, str):
            try:
                return dt.date.fromisoformat(as_of)
            except ValueError:
                raise RegisterError(f"as of {as_of!r}: not a date YYYY-MM-DD") from None
        return as_of

    def state(self, as_of=None) -> dict[str, Enterprise]:
        """Every enterprise's state from a replay of the log up to ``as_of`` (inclusive).

        Parameters
        ----------
        as_of : datetime.date or str, optional
            The view is of the log up to this day, inclusive (default: today).
        """
        until = None if as_of is None else self._as_of(as_of)
        return replay(self.store.events(until=until), self.procedure)

    def _states(self, day: dt.date) -> Mapping[str, Enterprise]:
        """Read-only states for the views: as of ``day``; the current state is kept and extended
        with the events appended since (by any process) instead of replaying the whole log,
        unless the log no longer extends what was replayed (then it is replayed again)."""
        head = self.store.head()
        if head[2] is not None and day.isoformat() < head[2]:
            return self.state(day)          # a past date: replay the prefix
        seq, h, states = self._cache
        new = self.store.events(after=seq) if seq else []
        if not seq or (new and new[0].prev_hash != h) or (not new and head[1] != h):
            events = self.store.events()
            states = replay(events, self.procedure)
        else:
            events = new
            try:
                states = replay_into(states, new, self.procedure)  # the same handlers
            except RegisterError:
                self._cache = (0, "", {})
                raise
        if events:
            self._cache = (events[-1].seq, events[-1].hash, states)
        return states

    def status(self, actor, credit_code: str, *, as_of=None) -> dict[str, Any]:
        """One enterprise's state (as of a date): stage, applications, title, ban, filings.

        Parameters
        ----------
        actor, credit_code, as_of
            As for every command or view (:class:`Register`, Notes).
        """
        a = _actor(actor)
        day = self._as_of(as_of)
        e = self._enterprise(_check_code(credit_code), until=day)
        self._permit(a, "status", e, credit_code)
        return e.to_dict(day) | {"as_of": day.isoformat()}

    def history(self, actor, credit_code: str, *, as_of=None) -> builtins.list[dict]:
        """Every event of one enterprise (up to ``as_of``).

        Parameters
        ----------
        actor, credit_code, as_of
            As for every command or view (:class:`Register`, Notes).
        """
        a = _actor(actor)
        day = None if as_of is None else self._as_of(as_of)
        events = self.store.events(subject=_check_code(credit_code), until=day)
        e = replay(events, self.procedure).get(credit_code) or Enterprise(credit_code)
        self._permit(a, "history", e, credit_code)
        return [ev.to_dict() for ev in events]

    def _ranking(self, district: str, year: int) -> builtins.list[dict]:
        """The district's ranking for ``year``: sector representatives first, then by score."""
        rows = self.store.events(actions=("apply", "submit", "district_review"), year=year)
        info: dict[str, dict] = {}
        for ev in rows:
            if ev.action == "apply":
                info[ev.subject] = {"credit_code": ev.subject, "name": ev.payload["name"],
                                    "district": ev.payload["district"],
                                    "sector": ev.payload.get("sector") or "", "score": None,
                                    "passed": None}
            elif ev.subject in info and ev.action == "submit":
                info[ev.subject]["score"] = ev.payload["total_score"]
                if not info[ev.subject]["sector"]:
                    info[ev.subject]["sector"] = ",".join(ev.payload.get("sectors") or [])
            elif ev.subject in info:
                info[ev.subject]["passed"] = ev.payload["passed"]
        cands = [r for r in info.values() if r["district"] == district and r["passed"]
                 and r["score"] is not None]
        cands.sort(key=lambda r: (-r["score"], r["credit_code"]))
        firsts: builtins.list[dict] = []
        rest: builtins.list[dict] = []
        seen: set[str] = set()
        for r in cands:
            (rest if r["sector"] in seen else firsts).append(r)
            seen.add(r["sector"])
        out = []
        for i, r in enumerate(firsts + rest, start=1):
            why = (f"best score of sector {r['sector'] or '(none)'} in {district}"
                   if r in firsts else "by score, after each sector's best")
            out.append(dict(r, rank=i, reason=f"{why}: {r['score']:.2f} points"))
        return out

    def ranking(self, actor, district: str, *, year: int) -> builtins.list[dict]:
        """The district's ranking for its recommendation (never mixing districts).

        Parameters
        ----------
        actor : Actor or str
            Who acts (``ROLE:ID``); the one authorization function decides whether it may.
        district : str
            The district.
        year : int
            The application year.
        """
        a = _actor(actor)
        self.procedure.district(district)
        self._permit(a, "ranking", None, None, district=district)
        return self._ranking(district, year)

    def district_summary(self, actor, district: str, *, year: int, as_of=None) -> dict:
        """The district's summary for the city: applications by stage and the year's filings.

        Parameters
        ----------
        actor, as_of
            As for every command or view (:class:`Register`, Notes).
        district : str
            The district.
        year : int
            The application year.
        """
        a = _actor(actor)
        self.procedure.district(district)
        self._permit(a, "district_summary", None, None, district=district)
        day = self._as_of(as_of)
        states = self._states(day)
        stages: dict[str, int] = collections.Counter()
        filings = []
        for e in states.values():
            if e.district != district:
                continue
            if year in e.applications:
                stages[e.applications[year].status] += 1
            if _listed_during(e, year):
                filings.append(_filing_row(self.procedure, e, year, day))
        return {"district": district, "year": year, "as_of": day.isoformat(),
                "applications_by_stage": dict(sorted(stages.items())),
                "filings": sorted(filings, key=lambda r: r["credit_code"])}

    def city_view(self, actor, *, as_of=None) -> dict[str, Any]:
        """市级总览: applicants, recommended, listed, revoked and banned by district and year;
        progress toward the programme goal; late filings.

        Parameters
        ----------
        actor, as_of
            As for every command or view (:class:`Register`, Notes).
        """
        a = _actor(actor)
        self._permit(a, "city_view", None, None)
        day = self._as_of(as_of)
        return city_summary(self._states(day), self.procedure, day)

    def verify(self, actor=None, *, expected_head: str | None = None) -> dict[str, Any]:
        """Walk the hash chain and replay the whole log.

        Parameters
        ----------
        actor : Actor or str, optional
            Who asks; when given, the authorization function must allow it ``verify``.
        expected_head : str, optional
            A head hash published earlier (``log_head`` of an export): the log must still
            contain that event (detects a log cut short).

        Raises
        ------
        TamperError
            A stored event was changed, inserted or removed.
        """
        if actor is not None:
            self._permit(_actor(actor), "verify", None, None)
        n = self.store.verify(expected_head)
        states = self.state()
        head = self.store.head()
        return {"events": n, "enterprises": len(states), "head_hash": head[1], "ok": True}

    # -- public documents ---------------------------------------------------------------------

    def public_notice(self, *, as_of=None) -> dict[str, Any]:
        """The notices open on ``as_of`` (公示), with their end dates.

        Parameters
        ----------
        as_of : datetime.date or str, optional
            The view is of the log up to this day, inclusive (default: today).
        """
        day = self._as_of(as_of)
        from .export import notice_document

        return notice_document(self._states(day), self.procedure, day)

    def published_list(self, *, as_of=None) -> dict[str, Any]:
        """The published list (名单) on ``as_of``, by year and district, with former names.

        Parameters
        ----------
        as_of : datetime.date or str, optional
            The view is of the log up to this day, inclusive (default: today).
        """
        day = self._as_of(as_of)
        from .export import list_document

        return list_document(self._states(day), self.procedure, day)

    def revocations(self, *, as_of=None) -> dict[str, Any]:
        """Every revocation (撤销) up to ``as_of`` with its ground and ban end.

        Parameters
        ----------
        as_of : datetime.date or str, optional
            The view is of the log up to this day, inclusive (default: today).
        """
        day = self._as_of(as_of)
        from .export import revocations_document

        return revocations_document(self._states(day), self.procedure, day)

    def export(self, kind: str, fmt: str = "json", *, as_of=None) -> str:
        """A public document as JSON or self-contained HTML (Chinese first, English beside).

        ``kind`` is ``notice``, ``list`` or ``revocations``; ``fmt`` ``json`` or ``html``.

        Parameters
        ----------
        kind : str
            ``notice``, ``list`` or ``revocations``.
        fmt : str
            ``json`` or ``html``.
        as_of : datetime.date or str, optional
            The view is of the log up to this day, inclusive (default: today).
        """
        from .export import render

        docs = {"notice": self.public_notice, "list": self.published_list,
                "revocations": self.revocations}
        if kind not in docs:
            raise RegisterError(f"export: unknown document {kind!r}; expected one of "
                                f"{sorted(docs)}")
        doc = docs[kind](as_of=as_of)
        seq, head, _ = self.store.head()
        doc["log_head"] = {"seq": seq, "hash": head}
        return render(doc, fmt)


# ------------------------------------------------------------------------------ aggregation

def _listed_during(e: Enterprise, year: int) -> bool:
    for lst in e.listings:
        if dt.date.fromisoformat(lst["on"]).year <= year:
            ended = [r for r in e.revocations if r["on"] >= lst["on"]]
            if not ended or dt.date.fromisoformat(ended[0]["on"]).year > year:
                return True
    return False


def _filing_row(p: Procedure, e: Enterprise, year: int, day: dt.date) -> dict:
    opens, due = filing_window(p, year)
    f = e.filings.get(year)
    if f is not None:
        state = "late" if f["late"] else "on_time"
    elif day > due:
        state = "missing"
    else:
        state = "not_due"
    return {"credit_code": e.credit_code, "name": e.name, "district": e.district, "year": year,
            "due": due.isoformat(), "filed_on": None if f is None else f["on"], "state": state}


def city_summary(states: Mapping[str, Enterprise], p: Procedure, day: dt.date) -> dict[str, Any]:
    """The city view computed from replayed states (see :meth:`Register.city_view`)."""
    table: dict[tuple[str, int], collections.Counter] = collections.defaultdict(
        collections.Counter)
    late = []
    listed_now = 0
    listed_by_goal_year = 0
    goal_year = p.goal.get("by_year")
    for e in states.values():
        for y, a in e.applications.items():
            table[(a.district, y)]["applicants"] += 1
            if "recommend" in a.dates:
                table[(a.district, y)]["recommended"] += 1
        for lst in e.listings:
            table[(e.district, dt.date.fromisoformat(lst["on"]).year)]["listed"] += 1
            if goal_year is not None and dt.date.fromisoformat(lst["on"]).year <= goal_year:
                listed_by_goal_year += 1
        for r in e.revocations:
            y = dt.date.fromisoformat(r["on"]).year
            table[(e.district, y)]["revoked"] += 1
        if e.banned_until is not None:
            start = min(dt.date.fromisoformat(r["on"]) for r in e.revocations)
            for y in range(start.year, min(e.banned_until.year, day.year) + 1):
                table[(e.district, y)]["banned"] += 1
        if e.listed is not None:
            listed_now += 1
        years: set[int] = set()
        for lst in e.listings:
            years.update(range(dt.date.fromisoformat(lst["on"]).year, day.year + 1))
        for y in sorted(years):
            if _listed_during(e, y):
                row = _filing_row(p, e, y, day)
                if row["state"] in ("late", "missing"):
                    late.append(row)
    rows = [{"district": d, "year": y, **{k: c.get(k, 0) for k in
             ("applicants", "recommended", "listed", "revoked", "banned")}}
            for (d, y), c in sorted(table.items())]
    goal = dict(p.goal)
    if goal:
        goal.update(listed_now=listed_now, listed_by_goal_year=listed_by_goal_year,
                    progress=listed_now / goal["count"] if goal["count"] else None)
    return {"as_of": day.isoformat(), "procedure": p.id, "by_district_year": rows,
            "goal": goal, "late_filings": sorted(late, key=lambda r: (r["year"],
                                                                       r["credit_code"]))}
