"""A programme's procedure as data: stages, who takes each, the notice, the ban, the grounds.

The procedure is a TOML file of the programme bundle, named in its ``programme.toml`` as
``[files] procedure = "procedure.toml"`` and loaded with
``carbon_core.programmes.get_programme(name).file("procedure")``. The register names no
programme: another programme's procedure is another file of the same shape
(``schema = "carbon_core.procedure/1"``, documented in ``docs/register.md``).

Examples
--------
>>> p = load_procedure()           # the default programme's procedure
>>> p.notice_working_days, p.ban_years, len(p.grounds)
(7, 3, 7)
>>> p.stage("list").name_zh
'评审公布：列入名单'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomli
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import InputError, Problem
from .errors import RegisterError

__all__ = ["Procedure", "Stage", "Ground", "District", "load_procedure", "loads_procedure",
           "ROLES", "STAGE_IDS"]

SCHEMA = "carbon_core.procedure/1"

#: The register's roles (scope of each: enterprise = itself, district = its district's
#: enterprises, expert = applications assigned to it, city = everything).
ROLES = ("enterprise", "district", "city", "expert")

#: The steps the register implements; a procedure must declare every one (with its roles).
STAGE_IDS = ("apply", "approve", "submit", "district_review", "recommend", "assign",
             "expert_review", "site_check", "city_review", "notice", "object", "resolve", "list",
             "file", "rename", "restructure", "rereview_schedule", "rereview", "revoke")

_GROUND_REQUIRES = ("rereview:absent", "rereview:failed", "evidence")


@dataclass(frozen=True)
class Stage:
    """One step: its id, names and who may take it.

    Attributes
    ----------
    id : str
        The stage id (``apply``, ``recommend``, ``notice`` ...), also the command name.
    name_zh, name_en : str
        The stage's names.
    roles : tuple of str
        The roles that may take the step.
    source : str
        Where the step comes from in the programme's documents, with its confidence.
    """

    id: str
    name_zh: str
    name_en: str
    roles: tuple[str, ...]
    source: str = ""

    @property
    def label(self) -> str:
        """``name_zh name_en``, as refusals show it."""
        return f"{self.name_zh} {self.name_en}"


@dataclass(frozen=True)
class Ground:
    """A revocation ground (撤销资格情形).

    Attributes
    ----------
    id : str
        The ground's id, as given to ``carbon programme revoke --ground``.
    name_zh, name_en : str
        The ground's names.
    requires : str
        What a revocation on this ground needs: ``rereview:absent``, ``rereview:failed`` (a
        re-review with that result) or ``evidence``.
    disqualifies_application : bool
        The ground also closes an open application.
    """

    id: str
    name_zh: str
    name_en: str
    requires: str
    disqualifies_application: bool = False


@dataclass(frozen=True)
class District:
    """A district office's jurisdiction (县(市)区/开发区).

    Attributes
    ----------
    id : str
        The district's id (its Chinese name), also the district office's actor id.
    name_en : str
        The English name.
    code : str
        Its administrative division code, if given.
    """

    id: str
    name_en: str
    code: str = ""


@dataclass(frozen=True)
class Procedure:
    """A parsed procedure file. Build it with :func:`load_procedure`.

    Attributes
    ----------
    id : str
        The procedure's id.
    meta : mapping
        The ``[procedure]`` table (titles, authority, status, source).
    stages : tuple of Stage
        The steps, in order.
    grounds : tuple of Ground
        The revocation grounds.
    districts : tuple of District
        The district offices.
    notice_working_days : int
        Length of the public notice [working days].
    count_opening_day : bool
        The notice's first day counts as one of them.
    ban_years : int
        How long a revoked factory may not apply again [years].
    filing_opens, filing_due : tuple of int
        ``(month, day)`` the annual filing opens in the reporting year and is due in the next.
    reporting_year_offsets : tuple of int
        The reporting years a submission may cover, relative to the application year.
    require_eligible, require_mandatory : bool
        A submission must pass the eligibility gate / meet every mandatory item.
    require_verdict : str or None
        The verdict a submission's score must have, if any.
    max_document_bytes : int
        Largest document accepted [bytes].
    goal : mapping
        The programme's goal (count of factories by a year), for the city view.
    sha256 : str
        SHA-256 of the procedure file.
    label : str
        The file's name in problems.
    raw : mapping
        The parsed file.
    """

    id: str
    meta: Mapping[str, Any]
    stages: tuple[Stage, ...]
    grounds: tuple[Ground, ...]
    districts: tuple[District, ...]
    notice_working_days: int
    count_opening_day: bool
    ban_years: int
    filing_opens: tuple[int, int]
    filing_due: tuple[int, int]
    reporting_year_offsets: tuple[int, ...]
    require_eligible: bool
    require_mandatory: bool
    require_verdict: str | None
    max_document_bytes: int
    goal: Mapping[str, Any]
    sha256: str
    label: str
    raw: Mapping[str, Any] = field(default_factory=dict)

    def stage(self, stage_id: str) -> Stage:
        """The stage ``stage_id``.

        Parameters
        ----------
        stage_id : str
            A stage id.

        Raises
        ------
        KeyError
            No such stage (the callers name the rule as it is).
        """
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def ground(self, ground_id: str) -> Ground:
        """The revocation ground ``ground_id``.

        Parameters
        ----------
        ground_id : str
            A ground id.

        Raises
        ------
        RegisterError
            No such ground; the message lists the procedure's grounds.
        """
        for g in self.grounds:
            if g.id == ground_id:
                return g
        raise RegisterError(f"unknown revocation ground {ground_id!r}; the procedure's "
                                 f"grounds are {[g.id for g in self.grounds]}")

    def district(self, district_id: str) -> District:
        """The district ``district_id``.

        Parameters
        ----------
        district_id : str
            A district id.

        Raises
        ------
        RegisterError
            No such district; the message lists the procedure's districts.
        """
        for d in self.districts:
            if d.id == district_id:
                return d
        raise RegisterError(f"unknown district {district_id!r}; the procedure's districts "
                                 f"are {[d.id for d in self.districts]}")

    def source_of(self, stage_id: str) -> str:
        """The source of stage ``stage_id``, ``""`` for an unknown stage.

        Parameters
        ----------
        stage_id : str
            A stage id.
        """
        try:
            return self.stage(stage_id).source
        except KeyError:
            return ""


_TOP = {"schema", "procedure", "calendar", "notice", "ban", "filing", "submission", "goal",
        "stages", "revocation_grounds", "districts"}
_ALLOWED = {
    "procedure": {"id", "title_zh", "title_en", "status", "source", "authority_zh",
                  "authority_en", "list_title_zh", "list_title_en", "notice_title_zh",
                  "notice_title_en", "revocations_title_zh", "revocations_title_en"},
    "calendar": {"kind"},
    "notice": {"working_days", "working_days_confidence", "count_opening_day",
               "counting_source"},
    "ban": {"years", "confidence", "source"},
    "filing": {"opens_month", "opens_day", "due_month", "due_day", "confidence"},
    "submission": {"reporting_year_offsets", "require_eligible", "require_mandatory",
                   "require_verdict", "max_document_bytes"},
    "goal": {"count", "by_year", "confidence", "text_zh", "text_en"},
}
_STAGE_KEYS = {"id", "name_zh", "name_en", "roles", "source"}
_GROUND_KEYS = {"id", "name_zh", "name_en", "requires", "disqualifies_application"}
_DISTRICT_KEYS = {"id", "name_en", "code"}


def loads_procedure(text: str, *, label: str = "<procedure>") -> Procedure:
    """Parse and validate a procedure file's text; every problem is reported at once.

    Parameters
    ----------
    text : str
        The procedure file's TOML text.
    label : str
        The file's name in problems.

    Returns
    -------
    Procedure

    Raises
    ------
    InputError
        Unreadable TOML, the wrong schema line, unknown keys, missing stages or bad values.
    """
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError([Problem(label, f"cannot read the procedure: {exc}")]) from None
    problems: list[Problem] = []

    def bad(msg, **kw):
        problems.append(Problem(label, msg, **kw))

    if data.get("schema") != SCHEMA:
        bad("not a procedure file", field="schema", found=data.get("schema"),
            expected=repr(SCHEMA))
    for k in sorted(set(data) - _TOP):
        bad("unknown key", field=k, expected=f"one of {sorted(_TOP)}")
    tables = {}
    for name, allowed in _ALLOWED.items():
        t = data.get(name, {})
        if not isinstance(t, dict):
            bad("expected a table", field=name)
            t = {}
        for k in sorted(set(t) - allowed):
            bad("unknown key", field=f"{name}.{k}", expected=f"one of {sorted(allowed)}")
        tables[name] = t

    def num(table, key, *, lo, hi, default=None):
        v = tables[table].get(key, default)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            bad("expected an integer in range", field=f"{table}.{key}", found=v,
                expected=f"{lo}..{hi}")
            return lo
        return v

    stages = []
    for i, s in enumerate(data.get("stages", [])):
        row = f"stages[{i}]"
        for k in sorted(set(s) - _STAGE_KEYS):
            bad("unknown key", row=row, field=k, expected=f"one of {sorted(_STAGE_KEYS)}")
        roles = tuple(s.get("roles", ()))
        for r in roles:
            if r not in ROLES:
                bad("unknown role", row=row, field="roles", found=r, expected=f"one of {ROLES}")
        if not roles:
            bad("a stage needs at least one role", row=row, field="roles")
        if s.get("id") not in STAGE_IDS:
            bad("unknown stage", row=row, field="id", found=s.get("id"),
                expected=f"one of {STAGE_IDS}")
        stages.append(Stage(str(s.get("id")), str(s.get("name_zh", "")),
                            str(s.get("name_en", "")), roles, str(s.get("source", ""))))
    ids = [s.id for s in stages]
    for sid in STAGE_IDS:
        if sid not in ids:
            bad("stage missing", field="stages", found=sid, expected="every register stage "
                f"declared: {STAGE_IDS}")
    for sid in {i for i in ids if ids.count(i) > 1}:
        bad("stage declared twice", field="stages", found=sid)

    grounds = []
    for i, g in enumerate(data.get("revocation_grounds", [])):
        row = f"revocation_grounds[{i}]"
        for k in sorted(set(g) - _GROUND_KEYS):
            bad("unknown key", row=row, field=k, expected=f"one of {sorted(_GROUND_KEYS)}")
        if g.get("requires") not in _GROUND_REQUIRES:
            bad("unknown requirement", row=row, field="requires", found=g.get("requires"),
                expected=f"one of {_GROUND_REQUIRES}")
        grounds.append(Ground(str(g.get("id")), str(g.get("name_zh", "")),
                              str(g.get("name_en", "")), str(g.get("requires")),
                              bool(g.get("disqualifies_application", False))))
    if not grounds:
        bad("no revocation grounds", field="revocation_grounds")

    districts = []
    for i, d in enumerate(data.get("districts", [])):
        row = f"districts[{i}]"
        for k in sorted(set(d) - _DISTRICT_KEYS):
            bad("unknown key", row=row, field=k, expected=f"one of {sorted(_DISTRICT_KEYS)}")
        if not isinstance(d.get("id"), str) or not d.get("id"):
            bad("a district needs an id", row=row, field="id")
        districts.append(District(str(d.get("id")), str(d.get("name_en", "")),
                                  str(d.get("code", ""))))
    if not districts:
        bad("no districts", field="districts")

    if tables["calendar"].get("kind") != "cn-statutory":
        bad("unknown calendar", field="calendar.kind", found=tables["calendar"].get("kind"),
            expected="'cn-statutory' (chinesecalendar)")
    notice_days = num("notice", "working_days", lo=1, hi=60)
    ban_years = num("ban", "years", lo=0, hi=20)
    fo = (num("filing", "opens_month", lo=1, hi=12), num("filing", "opens_day", lo=1, hi=31))
    fd = (num("filing", "due_month", lo=1, hi=12), num("filing", "due_day", lo=1, hi=31))
    for key, (m, d) in (("opens", fo), ("due", fd)):
        try:
            dt.date(2001, m, d)  # a day every year has (no 29 February)
        except ValueError:
            bad("not a day of every year", field=f"filing.{key}_day", found=f"{m}-{d}")
    sub = tables["submission"]
    offsets = tuple(sub.get("reporting_year_offsets", (-1, 0)))
    if not offsets or not all(isinstance(o, int) and -5 <= o <= 0 for o in offsets):
        bad("expected offsets between -5 and 0", field="submission.reporting_year_offsets",
            found=list(offsets))
    max_bytes = num("submission", "max_document_bytes", lo=1, hi=2**40, default=100 * 2**20)
    goal = dict(tables["goal"])
    if goal and not (isinstance(goal.get("count"), int) and isinstance(goal.get("by_year"), int)):
        bad("a goal needs integer count and by_year", field="goal")
    pid = tables["procedure"].get("id")
    if not isinstance(pid, str) or not pid:
        bad("the procedure has no id", field="procedure.id")
    if problems or not isinstance(pid, str):
        raise InputError(problems, title=f"{len(problems)} problems in the procedure {label}")
    return Procedure(
        id=pid, meta=dict(tables["procedure"]), stages=tuple(stages), grounds=tuple(grounds),
        districts=tuple(districts), notice_working_days=notice_days,
        count_opening_day=bool(tables["notice"].get("count_opening_day", False)),
        ban_years=ban_years, filing_opens=fo, filing_due=fd, reporting_year_offsets=offsets,
        require_eligible=bool(sub.get("require_eligible", True)),
        require_mandatory=bool(sub.get("require_mandatory", True)),
        require_verdict=sub.get("require_verdict"), max_document_bytes=max_bytes, goal=goal,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), label=label, raw=data)


def load_procedure(programme: str | None = None, *, plugin_manager=None) -> Procedure:
    """The procedure of a programme bundle (default: the registry's default programme).

    Parameters
    ----------
    programme : str, optional
        A programme name known to :func:`carbon_core.programmes.get_programme`.
    plugin_manager : pluggy.PluginManager, optional
        Also look among the programmes plugins ship.

    Raises
    ------
    InputError
        Unknown programme, a bundle without a procedure file, or an invalid file.
    """
    from ..programmes import DEFAULT_PROGRAMME, get_programme

    prog = get_programme(programme or DEFAULT_PROGRAMME, plugin_manager=plugin_manager)
    ref = prog.file("procedure")
    return loads_procedure(ref.read_text(encoding="utf-8"), label=prog.label("procedure"))
