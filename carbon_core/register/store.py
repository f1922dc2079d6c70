"""The event log: one table of hash-chained events (SQLAlchemy Core, SQLite by default).

Every action is one row: its sequence number, the hash of the row before (``prev_hash``), its
own hash, the procedural date (``on_date``), the wall-clock time it was recorded, the actor's
role and id, the action, the subject (the enterprise's credit code), the year, the payload and
the SHA-256 of every attached document. The hash covers every stored field and the previous
hash (as Certificate Transparency, RFC 6962, and git chain their entries), so
:meth:`EventStore.verify` finds any changed, inserted or removed row.

Appending is one transaction: the head of the chain is read, the caller's checks run against
the log as it stands inside that transaction, and the new rows are inserted with the next
sequence numbers. Two processes appending at once cannot fork the chain: ``seq`` is the primary
key and ``prev_hash`` is unique, so the second insert fails, and the append is retried from the
new head (re-running the checks) or refused with :class:`ConcurrencyError`. On SQLite the write
transaction starts with ``BEGIN IMMEDIATE`` (the write lock before the reads); the SQL itself is
portable (no SQLite-only features), so the same table runs on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlalchemy import (Column, Index, Integer, MetaData, String, Table, Text, create_engine,
                        event, func, select)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from .errors import ConcurrencyError, RegisterError, TamperError

__all__ = ["Event", "Draft", "EventStore", "GENESIS_HASH", "REGISTER_ENV",
           "default_register_url", "event_hash", "canonical_json"]

REGISTER_ENV = "CARBON_REGISTER"
#: SQLite ``PRAGMA synchronous`` (default FULL, as the claims ledger). Only throwaway registers
#: (the test suite) set it to OFF, to spare a disk flush per command.
SYNC_ENV = "CARBON_REGISTER_SQLITE_SYNCHRONOUS"
GENESIS_HASH = "0" * 64

metadata = MetaData()
events_table = Table(
    "register_events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("on_date", String(10), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("role", String(16), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject", String(40), nullable=False),
    Column("year", Integer, nullable=True),
    Column("payload", Text, nullable=False),
    Column("documents", Text, nullable=False),
)
Index("register_events_subject", events_table.c.subject, events_table.c.seq)
Index("register_events_action", events_table.c.action, events_table.c.year)
_COLS = [c for c in events_table.c]


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the text that is stored and hashed.

    Parameters
    ----------
    obj : any
        A JSON-serialisable value (an event's payload or documents).

    Returns
    -------
    str
        The canonical text: the same value always gives the same text, hence the same hash.
    """
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(prev_hash: str, seq: int, on_date: str, recorded_at: str, role: str, actor: str,
               action: str, subject: str, year: int | None, payload: str,
               documents: str) -> str:
    """SHA-256 [hex] of one event: the previous hash and every stored field, as stored.

    Parameters
    ----------
    prev_hash : str
        Hash of the event before (:data:`GENESIS_HASH` for the first).
    seq : int
        The event's sequence number (1, 2, ...).
    on_date : str
        ISO date of the action.
    recorded_at : str
        ISO timestamp (UTC) the event was written.
    role, actor : str
        Who acted.
    action : str
        The command (``apply``, ``recommend`` ...).
    subject : str
        The enterprise's credit code.
    year : int or None
        The application year, if any.
    payload, documents : str
        The event's payload and document hashes as canonical JSON (:func:`canonical_json`).

    Returns
    -------
    str
        64 hex digits.
    """
    text = json.dumps([prev_hash, seq, on_date, recorded_at, role, actor, action, subject, year,
                       payload, documents], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Draft:
    """An event before it is appended (no sequence number or hash yet).

    Attributes
    ----------
    on : datetime.date
        The date of the action.
    role, actor : str
        Who acts.
    action : str
        The command.
    subject : str
        The enterprise's credit code.
    year : int or None
        The application year, if any.
    payload : dict
        What the command records (names, scores, opinions ...).
    documents : dict
        Role -> hash record of each document submitted.
    """

    on: dt.date
    role: str
    actor: str
    action: str
    subject: str
    year: int | None = None
    payload: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One stored event.

    Attributes
    ----------
    seq : int
        Sequence number, 1 for the first event.
    prev_hash, hash : str
        Hash of the event before, and of this event (:func:`event_hash`).
    on : datetime.date
        The date of the action.
    recorded_at : str
        ISO timestamp (UTC) the event was written.
    role, actor : str
        Who acted.
    action : str
        The command.
    subject : str
        The enterprise's credit code.
    year : int or None
        The application year, if any.
    payload : dict
        What the command recorded.
    documents : dict
        Role -> hash record of each document.
    """

    seq: int
    prev_hash: str
    hash: str
    on: dt.date
    recorded_at: str
    role: str
    actor: str
    action: str
    subject: str
    year: int | None
    payload: dict
    documents: dict

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (dates as ISO text), as ``history --json`` prints it."""
        return {"seq": self.seq, "on": self.on.isoformat(), "recorded_at": self.recorded_at,
                "role": self.role, "actor": self.actor, "action": self.action,
                "subject": self.subject, "year": self.year, "payload": self.payload,
                "documents": self.documents, "prev_hash": self.prev_hash, "hash": self.hash}


def default_register_url() -> str:
    """``$CARBON_REGISTER`` or ``./carbon-register.sqlite`` (beside ``carbon-ledger.sqlite``)."""
    return os.environ.get(REGISTER_ENV) or "carbon-register.sqlite"


def _url(db: str | os.PathLike) -> str:
    text = str(db)
    if "://" in text:
        return text
    if text == ":memory:":
        return "sqlite://"
    return "sqlite:///" + str(Path(text))


def _row_to_event(r) -> Event:
    return Event(r[0], r[1], r[2], dt.date.fromisoformat(r[3]), r[4], r[5], r[6], r[7], r[8],
                 r[9], json.loads(r[10]), json.loads(r[11]))


class EventStore:
    """The hash-chained event table behind a :class:`carbon_core.register.Register`.

    Parameters
    ----------
    db : str or path
        A file path (SQLite), ``":memory:"``, or a SQLAlchemy URL (``postgresql://...``).
    clock : callable, optional
        Returns the wall-clock time recorded with each event (default: now, UTC).
    """

    def __init__(self, db: str | os.PathLike, *, clock: Callable[[], dt.datetime] | None = None):
        self.url = _url(db)
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        sqlite = self.url.startswith("sqlite")
        memory = self.url in ("sqlite://", "sqlite:///:memory:")
        if memory:
            self.engine = create_engine(self.url, poolclass=StaticPool,
                                        connect_args={"check_same_thread": False})
            self._writer = self.engine
        elif sqlite:
            self.engine = create_engine(self.url, connect_args={"timeout": 30.0})
            self._writer = create_engine(self.url, connect_args={"timeout": 30.0})
            sync = os.environ.get(SYNC_ENV, "FULL").upper()
            if sync not in ("FULL", "NORMAL", "OFF", "EXTRA"):
                raise RegisterError(f"${SYNC_ENV}: expected FULL, NORMAL, EXTRA or OFF, got "
                                    f"{sync!r}")
            _immediate(self._writer, sync)
        else:
            self.engine = self._writer = create_engine(self.url)
        try:
            metadata.create_all(self._writer)
        except OperationalError as exc:
            raise RegisterError(f"cannot open the register {db}: {exc.orig}") from None

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
        if self._writer is not self.engine:
            self._writer.dispose()

    # -- reading ------------------------------------------------------------------------------

    def head(self, conn=None) -> tuple[int, str, str | None]:
        """``(seq, hash, on_date)`` of the last event; ``(0, GENESIS_HASH, None)`` when empty.

        Parameters
        ----------
        conn : sqlalchemy.engine.Connection, optional
            Read through this connection (inside a write transaction); default a new one.
        """
        q = select(events_table.c.seq, events_table.c.hash, events_table.c.on_date).order_by(
            events_table.c.seq.desc()).limit(1)
        if conn is None:
            with self.engine.connect() as c:
                row = c.execute(q).first()
        else:
            row = conn.execute(q).first()
        return (0, GENESIS_HASH, None) if row is None else (row[0], row[1], row[2])

    def count(self) -> int:
        """The number of stored events."""
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(events_table)).scalar_one())

    def rows(self, *, subject: str | None = None, until: dt.date | None = None,
             actions: Sequence[str] | None = None, year: int | None = None,
             after: int | None = None, conn=None) -> Sequence[Row[*tuple[Any, ...]]]:
        """Raw rows in sequence order (the floor the benchmark compares against).

        Parameters
        ----------
        subject : str, optional
            Only this enterprise's events.
        until : datetime.date, optional
            Only events dated on or before this day.
        actions : sequence of str, optional
            Only these actions.
        year : int, optional
            Only events of this application year.
        after : int, optional
            Only events after this sequence number.
        conn : sqlalchemy.engine.Connection, optional
            Read through this connection; default a new one.

        Returns
        -------
        sequence of Row
            The stored columns of each event, unparsed.
        """
        q = select(*_COLS).order_by(events_table.c.seq)
        if subject is not None:
            q = q.where(events_table.c.subject == subject)
        if until is not None:
            q = q.where(events_table.c.on_date <= until.isoformat())
        if actions is not None:
            q = q.where(events_table.c.action.in_(list(actions)))
        if year is not None:
            q = q.where(events_table.c.year == year)
        if after is not None:
            q = q.where(events_table.c.seq > after)
        if conn is None:
            with self.engine.connect() as c:
                return c.execute(q).all()
        return conn.execute(q).all()

    def events(self, **kw) -> list[Event]:
        """Stored events in sequence order (filters: ``subject``, ``until``, ``actions``).

        Parameters
        ----------
        **kw
            The filters of :meth:`rows` (``subject``, ``until``, ``actions``, ``year``, ``after``,
            ``conn``).

        Returns
        -------
        list of Event
        """
        return [_row_to_event(r) for r in self.rows(**kw)]

    def first(self) -> Event | None:
        """The first stored event, or None when the log is empty."""
        with self.engine.connect() as c:
            row = c.execute(select(*_COLS).order_by(events_table.c.seq).limit(1)).first()
        return None if row is None else _row_to_event(row)

    # -- writing ------------------------------------------------------------------------------

    def append(self, build: Callable[[Any, tuple[int, str, str | None]], Sequence[Draft]], *,
               attempts: int = 20) -> list[Event]:
        """Append the drafts ``build(conn, head)`` returns, in one transaction.

        ``build`` runs inside the write transaction with the chain's head and may read the log
        through ``conn`` (``self.rows(subject=..., conn=conn)``) and raise to refuse. A
        concurrent append makes the insert fail; the whole transaction is then retried from the
        new head (``build`` runs again), up to ``attempts`` times.

        Parameters
        ----------
        build : callable
            ``build(conn, head) -> drafts``: called in the write transaction with the connection and
            the chain's head ``(seq, hash, on_date)``.
        attempts : int
            How many times the transaction is tried.

        Returns
        -------
        list of Event
            The events appended, with their sequence numbers and hashes.

        Raises
        ------
        ConcurrencyError
            Still conflicting after ``attempts`` tries; nothing was written.
        """
        for attempt in range(attempts):
            try:
                with self._writer.begin() as conn:
                    head = self.head(conn)
                    drafts = list(build(conn, head))
                    if not drafts:
                        return []
                    out = self._chain(head, drafts)
                    conn.execute(events_table.insert(), [self._row(e) for e in out])
                return out
            except (IntegrityError, OperationalError) as exc:
                if isinstance(exc, OperationalError) and "locked" not in str(exc.orig).lower() \
                        and "busy" not in str(exc.orig).lower():
                    raise RegisterError(f"the register database refused the write: "
                                        f"{exc.orig}") from None
                time.sleep(min(0.2, 0.005 * 2 ** attempt) * random.random())
        raise ConcurrencyError(f"the register was being written by another process "
                               f"{attempts} times in a row; nothing was recorded, try again")

    def _chain(self, head, drafts: Sequence[Draft]) -> list[Event]:
        seq, prev, _ = head
        stamp = self._clock().isoformat(timespec="microseconds")
        out = []
        for d in drafts:
            seq += 1
            payload, docs = canonical_json(d.payload), canonical_json(d.documents)
            on = d.on.isoformat()
            h = event_hash(prev, seq, on, stamp, d.role, d.actor, d.action, d.subject, d.year,
                           payload, docs)
            out.append(Event(seq, prev, h, d.on, stamp, d.role, d.actor, d.action, d.subject,
                             d.year, json.loads(payload), json.loads(docs)))
            prev = h
        return out

    @staticmethod
    def _row(e: Event) -> dict[str, Any]:
        return {"seq": e.seq, "prev_hash": e.prev_hash, "hash": e.hash,
                "on_date": e.on.isoformat(), "recorded_at": e.recorded_at, "role": e.role,
                "actor": e.actor, "action": e.action, "subject": e.subject, "year": e.year,
                "payload": canonical_json(e.payload), "documents": canonical_json(e.documents)}

    # -- checking -----------------------------------------------------------------------------

    def verify(self, expected_head: str | None = None) -> int:
        """Walk the chain and recompute every hash.

        A chain alone cannot show that its newest events were cut off; pass the head hash of a
        published document (``log_head`` of every export) as ``expected_head`` to check that.

        Parameters
        ----------
        expected_head : str, optional
            The head hash a published document recorded: an event with this hash must be in the
        chain (the log may have grown since).

        Returns
        -------
        int
            The number of events verified.

        Raises
        ------
        TamperError
            The first event whose stored hash, link or sequence does not verify.
        """
        prev, n = GENESIS_HASH, 0
        for r in self.rows():
            seq, prev_hash, h, on, rec, role, actor, action, subject, year, payload, docs = r
            n += 1
            if seq != n:
                raise TamperError(f"event log broken at seq {seq}: expected seq {n} (an event "
                                  "was removed or inserted)")
            if prev_hash != prev:
                raise TamperError(f"event log broken at seq {seq}: it does not link to the hash "
                                  "of the event before (an earlier event was changed or removed)")
            if event_hash(prev_hash, seq, on, rec, role, actor, action, subject, year, payload,
                          docs) != h:
                raise TamperError(f"event log broken at seq {seq} ({action} {subject} on {on}): "
                                  "its stored content does not match its hash (changed after "
                                  "it was recorded)")
            prev = h
            if h == expected_head:
                expected_head = None
        if expected_head is not None:
            raise TamperError(f"event log broken: truncated, the head {expected_head[:16]}… of a "
                              f"published document is not in the log ({n} events)")
        return n


def _immediate(engine, synchronous: str = "FULL") -> None:
    """SQLite: take the write lock when the write transaction begins (``BEGIN IMMEDIATE``)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, record):  # pragma: no cover - trivial
        dbapi_conn.isolation_level = None
        dbapi_conn.execute(f"PRAGMA synchronous = {synchronous}")

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - trivial
        conn.exec_driver_sql("BEGIN IMMEDIATE")
