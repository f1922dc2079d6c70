"""Accounts, sessions and background jobs of the web interface, on SQLAlchemy Core.

The same database holds the register's event log (:mod:`carbon_core.register`): SQLite by default
(one file), PostgreSQL for a city deployment with several servers (``postgresql+psycopg://...``).
Only portable SQL is used, so both engines run the same statements; the test suite runs on both.

Passwords are stored as Argon2id hashes (RFC 9106; ``argon2-cffi``'s defaults, the RFC's second
recommended option: 64 MiB, 3 passes, 4 lanes); session
and API tokens are random 256-bit values of which only the SHA-256 is stored, so a copy of the
database does not let anyone log in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import CarbonCoreError

__all__ = ["Account", "WebStore", "ROLES", "AccountError"]

#: The four kinds of account (the register's roles).
ROLES = ("enterprise", "district", "city", "expert")

_metadata = sa.MetaData()

accounts = sa.Table(
    "web_accounts", _metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    # enterprise: its unified social credit code; district: its district name; else empty
    sa.Column("scope", sa.String(64), nullable=False, default=""),
    sa.Column("display_name", sa.String(200), nullable=False, default=""),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "web_sessions", _metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("web_accounts.username"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # "cookie" (browser) or "bearer" (API)
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
)

jobs = sa.Table(
    "web_jobs", _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("upload", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued, running, done, failed
    sa.Column("stage", sa.String(200), nullable=False, default=""),
    sa.Column("done", sa.Integer, nullable=True),
    sa.Column("total", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

_hasher = PasswordHasher()


class AccountError(CarbonCoreError, ValueError):
    """A bad account request (unknown role, missing scope, duplicate user)."""


@dataclass(frozen=True)
class Account:
    """A logged-in person or program.

    Attributes
    ----------
    username : str
    role : {"enterprise", "district", "city", "expert"}
    scope : str
        The enterprise's credit code or the district's name ("" for city and expert).
    display_name : str
    """

    username: str
    role: str
    scope: str
    display_name: str = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(t: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns: they were stored as UTC
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class WebStore:
    """The web layer's tables in one database.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Shared with the register.
    session_ttl : datetime.timedelta
        How long a session or API token lives without use.
    hasher : argon2.PasswordHasher, optional
        The Argon2id password hasher (default: RFC 9106's second recommended parameters;
        tests pass a cheaper one).
    """

    def __init__(self, engine: sa.Engine, *, session_ttl: dt.timedelta = dt.timedelta(hours=8),
                 hasher: PasswordHasher | None = None):
        self.engine = engine
        self.session_ttl = session_ttl
        self.hasher = hasher or _hasher
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        _metadata.create_all(engine)

    # -- accounts ---------------------------------------------------------------------------------

    def add_account(self, username: str, password: str, role: str, scope: str = "",
                    display_name: str = "") -> Account:
        """Create an account; the password is stored as an Argon2id hash.

        Parameters
        ----------
        username : str
            1 to 64 printable characters, unique.
        password : str
            At least 10 characters; only its hash is kept.
        role : {"enterprise", "district", "city", "expert"}
        scope : str
            The enterprise's credit code or the district's name (required for those roles).
        display_name : str

        Returns
        -------
        Account

        Raises
        ------
        AccountError
            Unknown role, an enterprise or district account without its scope, a short password
            (fewer than 10 characters) or a username already taken.
        """
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; expected one of {list(ROLES)}")
        if role in ("enterprise", "district") and not scope:
            raise AccountError(f"a {role} account needs its scope (credit code or district)")
        if len(password) < 10:
            raise AccountError("password too short: at least 10 characters expected")
        if not username or len(username) > 64 or not username.isprintable():
            raise AccountError("username: 1 to 64 printable characters expected")
        with self.engine.begin() as con:
            if con.execute(sa.select(accounts.c.username)
                           .where(accounts.c.username == username)).first():
                raise AccountError(f"username {username!r} is taken")
            con.execute(accounts.insert().values(
                username=username, password_hash=self.hasher.hash(password), role=role,
                scope=scope, display_name=display_name, created=_now()))
        return Account(username, role, scope, display_name)

    def account(self, username: str) -> Account | None:
        """The account called ``username``.

        Parameters
        ----------
        username : str

        Returns
        -------
        Account or None
        """
        with self.engine.connect() as con:
            row = con.execute(sa.select(accounts).where(accounts.c.username == username)).first()
        if row is None:
            return None
        return Account(row.username, row.role, row.scope, row.display_name)

    def authenticate(self, username: str, password: str) -> Account | None:
        """Check a password.

        Parameters
        ----------
        username, password : str

        Returns
        -------
        Account or None
            The account if the password matches, else None; an unknown username costs the same
            hash work as a wrong password (no timing difference tells which).
        """
        with self.engine.connect() as con:
            row = con.execute(sa.select(accounts).where(accounts.c.username == username)).first()
        stored = row.password_hash if row is not None else self._dummy
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        return Account(row.username, row.role, row.scope, row.display_name)

    # -- sessions and tokens ----------------------------------------------------------------------

    def open_session(self, account: Account, *, kind: str = "cookie") -> tuple[str, str]:
        """Open a session (cookie) or an API token (bearer) for ``account``.

        Parameters
        ----------
        account : Account
        kind : {"cookie", "bearer"}

        Returns
        -------
        (token, csrf token) : tuple of str
            Random 256-bit values; only the token's SHA-256 is stored.
        """
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as con:
            con.execute(sessions.insert().values(
                token_sha256=_sha(token), username=account.username, csrf=csrf, kind=kind,
                expires=_now() + self.session_ttl))
        return token, csrf

    def session(self, token: str | None, *, kind: str = "cookie") -> tuple[Account, str] | None:
        """The account and CSRF token of a live session; each use extends it.

        Parameters
        ----------
        token : str or None
            The cookie's or bearer header's token.
        kind : {"cookie", "bearer"}
            A token opened as one kind is not accepted as the other.

        Returns
        -------
        (Account, csrf token) or None
            None for an unknown, expired (then deleted) or wrong-kind token, or an account
            that no longer exists.
        """
        if not token or len(token) > 200:
            return None
        key = _sha(token)
        with self.engine.begin() as con:
            row = con.execute(sa.select(sessions).where(sessions.c.token_sha256 == key)).first()
            if row is None or row.kind != kind:
                return None
            if _aware(row.expires) <= _now():
                con.execute(sessions.delete().where(sessions.c.token_sha256 == key))
                return None
            # sliding expiry: each use extends the session by its lifetime
            con.execute(sessions.update().where(sessions.c.token_sha256 == key)
                        .values(expires=_now() + self.session_ttl))
            acc = con.execute(sa.select(accounts)
                              .where(accounts.c.username == row.username)).first()
        if acc is None:  # the account was removed: its sessions end with it
            return None
        return Account(acc.username, acc.role, acc.scope, acc.display_name), row.csrf

    def close_session(self, token: str | None) -> None:
        """Log out: the session's row is deleted.

        Parameters
        ----------
        token : str or None
        """
        if token:
            with self.engine.begin() as con:
                con.execute(sessions.delete().where(sessions.c.token_sha256 == _sha(token)))

    def expire_all(self) -> None:
        """Test helper and emergency switch: every session ends now."""
        with self.engine.begin() as con:
            con.execute(sessions.update().values(expires=_now() - dt.timedelta(seconds=1)))

    # -- jobs -------------------------------------------------------------------------------------

    def new_job(self, username: str, upload: str) -> str:
        """Record a queued background computation.

        Parameters
        ----------
        username : str
            The account that uploaded (only it may see the job).
        upload : str
            The upload's id.

        Returns
        -------
        str
            The job's id (32 hex digits).
        """
        job_id = secrets.token_hex(16)
        with self.engine.begin() as con:
            con.execute(jobs.insert().values(id=job_id, username=username, upload=upload,
                                             status="queued", stage="queued 排队中",
                                             created=_now(), updated=_now()))
        return job_id

    def update_job(self, job_id: str, **values: Any) -> None:
        """Set a job's fields.

        Parameters
        ----------
        job_id : str
        **values
            Any of ``status`` (queued, running, done, failed), ``stage``, ``done``, ``total``
            [row groups], ``error``.
        """
        with self.engine.begin() as con:
            con.execute(jobs.update().where(jobs.c.id == job_id).values(**values, updated=_now()))

    def job(self, job_id: str) -> dict | None:
        """A job's row.

        Parameters
        ----------
        job_id : str

        Returns
        -------
        dict or None
            ``id``, ``username``, ``upload``, ``status``, ``stage``, ``done``, ``total``,
            ``error``, ``created``, ``updated`` (ISO timestamps, UTC).
        """
        with self.engine.connect() as con:
            row = con.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["created"], out["updated"] = (_aware(out["created"]).isoformat(),
                                          _aware(out["updated"]).isoformat())
        return out

    def jobs_of(self, username: str) -> list[dict]:
        """Every job of one account, newest first.

        Parameters
        ----------
        username : str

        Returns
        -------
        list of dict
            As :meth:`job` gives them.
        """
        with self.engine.connect() as con:
            rows = con.execute(sa.select(jobs.c.id).where(jobs.c.username == username)
                               .order_by(jobs.c.created.desc())).all()
        return [self.job(r.id) for r in rows]  # type: ignore[misc]

