"""Demo accounts for ``carbon serve --demo``: walk the procedure with the example factory.

The accounts are data of the programme bundle: its ``demo`` file (``[files] demo = "demo.toml"``
in ``programme.toml``, format :data:`DEMO_TABLE`) names an enterprise account bound to the example
factory's credit code, its district's, the city office's and an expert's, and the example folder
the enterprise uploads. A bundle without a demo file uses the default programme's. This module
names no programme, factory or office. Passwords are random and printed once; the server listens
on loopback unless told otherwise.
"""

from __future__ import annotations

import secrets
import tomli
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import InputError, Problem
from ..schema import Field, Table, validate_into
from .store import ROLES, AccountError, accounts

__all__ = ["DEMO_SCHEMA", "DEMO_TABLE", "DemoAccount", "Demo", "load_demo", "seed_demo"]

DEMO_SCHEMA = "carbon_core.demo/1"

_ACCOUNT = Table("accounts", (
    Field("username", kind="text", doc="the login name (1 to 64 printable characters, unique)"),
    Field("role", kind="choice", choices=ROLES, doc="the register role"),
    Field("scope", kind="text", allow_empty=True, default="", required=False,
          doc="enterprise: its credit code; district: the district's name; others: empty"),
    Field("name", kind="text", doc="the display name"),
), doc="One demo account.")

#: A programme bundle's demo file (``[files] demo``).
DEMO_TABLE = Table("demo", (
    Field("schema", kind="choice", choices=(DEMO_SCHEMA,)),
    Field("example", kind="text", allow_empty=True, default="", required=False,
          doc="the folder whose inventory.toml and meters.parquet the enterprise uploads"),
    Field("accounts", kind="rows", table=_ACCOUNT, doc="[[accounts]]"),
), rows=False, doc="The demo accounts of `carbon serve --demo`.")


@dataclass(frozen=True)
class DemoAccount:
    """One demo account (its password is made when it is seeded).

    Attributes
    ----------
    username : str
        The login name.
    role : str
        One of :data:`carbon_core.web.store.ROLES`.
    scope : str
        The enterprise's credit code or the district's name; empty for the other roles.
    name : str
        The display name.
    """

    username: str
    role: str
    scope: str
    name: str


@dataclass(frozen=True)
class Demo:
    """The demo of a programme bundle.

    Attributes
    ----------
    accounts : tuple of DemoAccount
        The accounts, in file order.
    example : str
        The example folder the enterprise uploads (empty if the file names none).
    file : str
        The demo file it was read from, as problems name it.
    """

    accounts: tuple[DemoAccount, ...]
    example: str
    file: str


def load_demo(programme: Any = None) -> Demo:
    """Read the demo accounts of a programme bundle (its ``[files] demo``).

    Parameters
    ----------
    programme : str, carbon_core.programmes.Programme or None
        The programme the register runs; None: the default programme. A bundle without a demo
        file uses the default programme's.

    Returns
    -------
    Demo

    Raises
    ------
    InputError
        An unknown programme, no demo file in the bundle nor in the default programme's, or an
        invalid file: not TOML, unknown keys, an unknown role, an enterprise or district account
        without its scope, a username given twice (every problem at once).
    """
    from ..programmes import Programme, get_programme

    prog = programme if isinstance(programme, Programme) else get_programme(programme)
    if not prog.has("demo"):
        default = get_programme()
        if not default.has("demo"):
            raise InputError([Problem(f"programmes/{prog.name}/programme.toml",
                                      "no demo accounts for carbon serve --demo", field="files.demo",
                                      expected="demo = \"demo.toml\" in [files] (format: "
                                               "carbon_core.web.demo.DEMO_TABLE)")])
        prog = default
    file = prog.label("demo")
    try:
        data = tomli.loads(prog.file("demo").read_text(encoding="utf-8"))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(file, f"not valid TOML: {exc}", expected="TOML 1.0")]) from None
    problems: list[Problem] = []
    doc = validate_into(DEMO_TABLE, data, problems, file=file) or {}
    out: list[DemoAccount] = []
    seen: set[str] = set()
    for i, row in enumerate(doc.get("accounts") or []):
        if row is None or None in (row["username"], row["role"], row["name"]):
            continue
        where = f"accounts[{i}]"
        if row["username"] in seen:
            problems.append(Problem(file, "a username given twice", row=where, field="username",
                                    found=row["username"], expected="each username once"))
        seen.add(row["username"])
        scope = row["scope"] or ""
        if row["role"] in ("enterprise", "district") and not scope:
            problems.append(Problem(file, f"no scope for the {row['role']} account", row=where,
                                    field="scope", expected=_ACCOUNT.field_map()["scope"].doc))
        out.append(DemoAccount(row["username"], row["role"], scope, row["name"]))
    if problems:
        raise InputError(problems, title=f"{len(problems)} problem(s) in the demo file {file}")
    return Demo(tuple(out), doc.get("example") or "", file)


def seed_demo(app, *, passwords: dict[str, str] | None = None) -> list[str]:
    """Create the demo accounts if the database has no account yet.

    The accounts are those of the programme the register runs (:func:`load_demo`).

    Parameters
    ----------
    app : fastapi.FastAPI
        From :func:`carbon_core.web.create_app`.
    passwords : dict, optional
        username -> password (tests); default: random.

    Returns
    -------
    list of str
        Lines to print (usernames and their passwords), or a note that accounts exist.

    Raises
    ------
    InputError
        The programme's demo file is missing or invalid (:func:`load_demo`).
    """
    store = app.state.store
    with store.engine.connect() as con:
        if con.execute(sa.select(sa.func.count()).select_from(accounts)).scalar():
            return ["demo: accounts exist already; nothing seeded"]
    demo = load_demo(app.state.service.register.programme)
    upload = (f"; upload {demo.example}/inventory.toml and meters.parquet as the factory"
              if demo.example else "")
    lines = [f"demo accounts (printed once{upload}):"]
    for a in demo.accounts:
        password = (passwords or {}).get(a.username) or secrets.token_urlsafe(12)
        try:
            store.add_account(a.username, password, a.role, a.scope, a.name)
        except AccountError as exc:  # pragma: no cover - a fresh database has none of these
            lines.append(f"  {a.username}: {exc}")
            continue
        lines.append(f"  {a.role:10s} {a.username:8s} {password}")
    return lines
