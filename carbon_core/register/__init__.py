"""The programme register: from the cultivation application to the published list, annual
dynamic management, revocation and bans.

An event log is the truth (:mod:`.store`: hash-chained, one table, SQLAlchemy Core, SQLite by
default); the state of every enterprise is a replay of it (:mod:`.state`); the procedure comes
from the programme bundle (:mod:`.procedure`); one authorization function answers every
permission question (:mod:`.auth`); working days follow the Chinese statutory calendar
(:mod:`.workdays`); submissions are checked by the engine (:mod:`.submission`); the public
documents render as JSON and self-contained HTML (:mod:`.export`). :class:`Register` is the
Python API the CLI (``carbon programme``) and the web layer call.
"""

from .auth import VIEWS, Actor, Decision, check_permission, permission_allowed
from .core import CHINA_TZ, Register, city_summary
from .errors import (CalendarError, ConcurrencyError, PermissionDenied, ProcedureError,
                     RegisterError, TamperError)
from .procedure import ROLES, STAGE_IDS, Procedure, load_procedure, loads_procedure
from .state import STATUS, Application, Enterprise, replay
from .store import REGISTER_ENV, Draft, Event, EventStore, default_register_url
from .workdays import add_working_days, add_years, calendar_years, is_working_day

__all__ = [
    "Register", "Actor", "Decision", "permission_allowed", "check_permission", "VIEWS",
    "RegisterError", "PermissionDenied", "ProcedureError", "CalendarError", "TamperError",
    "ConcurrencyError", "Procedure", "load_procedure", "loads_procedure", "ROLES", "STAGE_IDS",
    "STATUS", "Application", "Enterprise", "replay", "Event", "Draft", "EventStore",
    "REGISTER_ENV", "default_register_url", "add_working_days", "add_years", "calendar_years",
    "is_working_day", "city_summary", "CHINA_TZ",
]
