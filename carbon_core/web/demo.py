"""Demo accounts for ``carbon serve --demo``: walk the procedure with the example factory.

The example factory (``examples/hefei-appliance``, 经开区) gets an enterprise account bound to
its credit code; its district, the city office and one expert get theirs. Passwords are random
and printed once; the server listens on loopback unless told otherwise.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from .store import AccountError, accounts

__all__ = ["DEMO_ACCOUNTS", "seed_demo"]

#: (username, role, scope, display name)
DEMO_ACCOUNTS = (
    ("factory", "enterprise", "91340100MA2N0K1X3U", "合肥示例空调制造有限公司"),
    ("jingkai", "district", "经开区", "经开区经信主管部门 Jingkai district office"),
    ("city", "city", "", "合肥市经信局 Hefei city office"),
    ("expert1", "expert", "", "评审专家 Expert 1"),
)


def seed_demo(app, *, passwords: dict[str, str] | None = None) -> list[str]:
    """Create the demo accounts if the database has no account yet.

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
    """
    store = app.state.store
    with store.engine.connect() as con:
        if con.execute(sa.select(sa.func.count()).select_from(accounts)).scalar():
            return ["demo: accounts exist already; nothing seeded"]
    lines = ["demo accounts (printed once; upload examples/hefei-appliance/inventory.toml and "
             "meters.parquet as the factory):"]
    for username, role, scope, name in DEMO_ACCOUNTS:
        password = (passwords or {}).get(username) or secrets.token_urlsafe(12)
        try:
            store.add_account(username, password, role, scope, name)
        except AccountError as exc:  # pragma: no cover - a fresh database has none of these
            lines.append(f"  {username}: {exc}")
            continue
        lines.append(f"  {role:10s} {username:8s} {password}")
    return lines
