"""The claims ledger: every certificate serial and offset serial claimed once, across factories
and years, in one SQLite file.

A claim is one instrument or offset block of one claimant (the factory's credit code) for one
reporting year, with its serial ranges. Recording a factory's claims for a year is one
transaction (``BEGIN IMMEDIATE``: the write lock is taken before the checks, so two processes
cannot both pass the checks): the claimant's own claims for that year are replaced (re-running is
idempotent), every new serial range is checked against every other claim, and on any conflict
nothing is written. SQLite's rollback journal makes a process killed mid-claim leave the file as
it was before the transaction (https://www.sqlite.org/atomiccommit.html).

Refused, with a message naming both claims: a serial range overlapping another claim (another
factory, another year of the same factory, or the same MWh claimed through a green-power contract
and again as a GEC), a claim beyond the serials' issued volume, a block retired for another
beneficiary.

Examples
--------
>>> import tempfile, os
>>> from carbon_core.balance.instruments import SerialRange
>>> with tempfile.TemporaryDirectory() as d:
...     led = Ledger(os.path.join(d, "ledger.sqlite"))
...     c = Claim("gec-1", "gec", "certificate", 10.0, "MWh", (SerialRange("G", 1, 10),))
...     led.record("91340100MA2N0K1X3B", 2024, [c])
...     try:
...         led.record("913401001234567890", 2024, [c])
...     except InputError as exc:
...         print(exc.problems[0].message)
...     led.close()
1
serials already claimed: G#1..10 by gec 'gec-1' of 913401001234567890 (2024) and gec 'gec-1' of 91340100MA2N0K1X3B (2024)
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import InputError, Problem
from .instruments import SerialRange

__all__ = ["Claim", "Ledger", "PendingClaims", "default_ledger_path", "open_ledger",
           "LEDGER_ENV", "APPLICATION_ID"]

LEDGER_ENV = "CARBON_LEDGER"
#: Schema version of the ledger, kept in ``meta.schema_version`` and ``PRAGMA user_version`` so a
#: later version can migrate an old file.
_SCHEMA_VERSION = "1"
_APPLICATION = "carbon_core claims ledger"
#: ``PRAGMA application_id`` of a carbon_core ledger ("CCLG" in ASCII).
APPLICATION_ID = 0x43434C47

#: Test hook called inside the claim transaction after the inserts, before COMMIT (the
#: killed-process test sets it to sleep). Never set it in production code.
_TEST_HOOK: Callable[[str], None] | None = None

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
    claim_id INTEGER PRIMARY KEY,
    claimant TEXT NOT NULL,
    claimant_name TEXT NOT NULL DEFAULT '',
    reporting_year INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    item_type TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('certificate', 'offset')),
    amount REAL NOT NULL CHECK (amount >= 0),
    unit TEXT NOT NULL,
    beneficiary TEXT NOT NULL DEFAULT '',
    vintage TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    policy TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    UNIQUE (claimant, reporting_year, item_id)
);
CREATE TABLE IF NOT EXISTS serials (
    claim_id INTEGER NOT NULL REFERENCES claims(claim_id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    CHECK (last >= first)
);
CREATE INDEX IF NOT EXISTS serials_range ON serials (prefix, first, last);
CREATE INDEX IF NOT EXISTS claims_claimant ON claims (claimant, reporting_year);
"""


@dataclass(frozen=True)
class Claim:
    """One claimed instrument or offset block.

    Attributes
    ----------
    item_id, item_type : str
        Inventory id and type (``gec``, ``green_power_contract``, ``offset:CCER``...).
    kind : str
        ``"certificate"`` or ``"offset"``.
    amount : float
        Claimed volume [MWh for certificates, tCO2e for offsets]; at most the serial count.
    unit : str
        Unit of ``amount``: ``"MWh"`` or ``"tCO2e"`` (1 serial = 1 unit).
    serials : tuple of SerialRange
        The serial ranges claimed.
    beneficiary : str
        Who the block was retired for (empty when not given); must be the claimant.
    vintage : str
        First generation month ``YYYY-MM`` of a certificate, or the vintage year of an offset
        (empty when not known).
    """

    item_id: str
    item_type: str
    kind: str
    amount: float
    unit: str
    serials: tuple[SerialRange, ...]
    beneficiary: str = ""
    vintage: str = ""

    @property
    def serial_count(self) -> int:
        """Total number of serials over :attr:`serials`."""
        return sum(s.count for s in self.serials)


def default_ledger_path() -> Path:
    """``$CARBON_LEDGER`` or ``./carbon-ledger.sqlite``."""
    return Path(os.environ.get(LEDGER_ENV) or "carbon-ledger.sqlite")


class Ledger:
    """A claims ledger in one SQLite file (created on first use).

    Parameters
    ----------
    path : str or Path
        The database file. ``":memory:"`` works for tests.
    readonly : bool, optional
        Open the file read-only (an SQLite URI with ``mode=ro``): it must exist, is never
        created or changed, and :meth:`record` is refused.

    Raises
    ------
    InputError
        The file is missing (read-only), a directory, in a missing folder, not SQLite, an
        SQLite database of another schema or schema version, empty (read-only), or cannot be
        opened.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = str(path)
        self.readonly = readonly
        self._db = _open(self.path, readonly)
        try:
            self._check_schema()
            if not readonly:
                self._create()
        except BaseException:
            self._db.close()
            raise

    def _create(self) -> None:
        db = self._db
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN IMMEDIATE")
            for stmt in _DDL.strip().split(";"):
                if stmt.strip():
                    db.execute(stmt)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                       (_SCHEMA_VERSION,))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('application', ?)", (_APPLICATION,))
            db.execute(f"PRAGMA user_version = {int(_SCHEMA_VERSION)}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise _db_error(self.path, exc, writing=True) from None

    def _check_schema(self) -> None:
        """Refuse a file that is not a carbon_core ledger (or of a schema version we do not
        know), naming what it is."""
        try:
            tables = {r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            user_version = self._db.execute("PRAGMA user_version").fetchone()[0]
            version = None
            if "meta" in tables:
                row = self._db.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = row[0] if row else None
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from None
        if not tables:
            if self.readonly:
                raise InputError([Problem(self.path, "the ledger is empty (no claims were ever "
                                          "recorded in it)", expected="a carbon_core ledger")])
            return
        ours = {"meta", "claims", "serials"}
        if app_id not in (0, APPLICATION_ID) or not ours <= tables:
            raise InputError([Problem(
                self.path, "an SQLite database with another schema, not a carbon_core claims "
                "ledger", field="tables", found=sorted(tables)[:12],
                expected=f"tables {sorted(ours)} (application_id {APPLICATION_ID}); give "
                         "another --db path")])
        if version is not None and version != _SCHEMA_VERSION or \
                user_version not in (0, int(_SCHEMA_VERSION)):
            raise InputError([Problem(
                self.path, "a carbon_core ledger of a schema version this version does not "
                "know", field="schema_version", found=version or user_version,
                expected=f"schema version {_SCHEMA_VERSION} (upgrade carbon_core)")])

    def quick_check(self) -> list[Problem]:
        """``PRAGMA quick_check``: [] when the file is sound, else the damage found."""
        try:
            rows = [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            return [Problem(self.path, f"the ledger file is damaged: {exc}")]
        if rows == ["ok"]:
            return []
        return [Problem(self.path, f"the ledger file is damaged (SQLite quick_check): {r}")
                for r in rows[:10]]

    def close(self) -> None:
        """Close the database connection; the ledger cannot be used after."""
        self._db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def record(self, claimant: str, reporting_year: int, claims: Sequence[Claim], *,
               claimant_name: str = "", source_file: str = "", policy: str = "") -> int:
        """Replace ``claimant``'s claims for ``reporting_year`` by ``claims``, atomically.

        Parameters
        ----------
        claimant : str
            The factory's unified social credit code.
        reporting_year : int
            The year claimed for.
        claims : sequence of Claim
            Every claim of the claimant for the year (the earlier ones for that year are
            replaced, so re-running is idempotent).
        claimant_name : str, optional
            The factory's name (accepted as beneficiary; shown in conflicts).
        source_file : str, optional
            The inventory the claims come from, recorded and named in problems.
        policy : str, optional
            The balance policy's name, recorded with each claim.

        Returns
        -------
        int
            The number of claims recorded.

        Raises
        ------
        InputError
            Every conflict found, each naming both claims (a serial range another claim
            holds, a claim beyond its serials, serials beyond the claimed volume, a block
            retired for someone else, a serial twice in the batch); also a read-only ledger or
            an SQLite failure. Nothing is written.
        """
        problems = _check_batch(claimant, claimant_name, reporting_year, claims, source_file)
        if problems:
            raise InputError(problems, title=f"{len(problems)} claims refused by the ledger "
                                             f"{self.path}")
        if self.readonly:
            raise InputError([Problem(self.path, "the ledger was opened read-only")])
        try:
            return self._record(claimant, reporting_year, claims, claimant_name, source_file,
                                policy)
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc, writing=True) from None

    def _record(self, claimant, reporting_year, claims, claimant_name, source_file,
                policy) -> int:
        db = self._db
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM claims WHERE claimant = ? AND reporting_year = ?",
                       (claimant, reporting_year))
            problems = self._conflicts(claimant, claimant_name, reporting_year, claims,
                                       source_file)
            if problems:
                raise InputError(problems, title=f"{len(problems)} claims refused by the "
                                                 f"ledger {self.path}")
            for c in claims:
                cur = db.execute(
                    "INSERT INTO claims (claimant, claimant_name, reporting_year, item_id, "
                    "item_type, kind, amount, unit, beneficiary, vintage, source_file, policy, "
                    "recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (claimant, claimant_name, reporting_year, c.item_id, c.item_type, c.kind,
                     c.amount, c.unit, c.beneficiary, c.vintage, source_file, policy, now))
                db.executemany("INSERT INTO serials VALUES (?,?,?,?)",
                               [(cur.lastrowid, s.prefix, s.first, s.last) for s in c.serials])
                if _TEST_HOOK is not None:
                    _TEST_HOOK("inserted")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return len(claims)

    def conflicts(self, claimant: str, claimant_name: str, reporting_year: int,
                  claims: Sequence[Claim], source_file: str = "") -> list[Problem]:
        """Conflicts of ``claims`` with every other claim in the ledger, changing nothing.

        The claimant's own claims for ``reporting_year`` are ignored (a re-run replaces them).

        Parameters
        ----------
        claimant : str
            The factory's unified social credit code.
        claimant_name : str
            The factory's name (for messages).
        reporting_year : int
            The year claimed for.
        claims : sequence of Claim
            The claims to check.
        source_file : str, optional
            The inventory, named as the problems' file.

        Returns
        -------
        list of Problem
            One per serial range overlapping another claim, naming both claims; empty when
            there is none.

        Raises
        ------
        InputError
            When the database cannot be read.
        """
        try:
            return self._conflicts(claimant, claimant_name, reporting_year, claims,
                                   source_file, exclude_own=True)
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from None

    def _conflicts(self, claimant, claimant_name, year, claims, source_file, *,
                   exclude_own: bool = False) -> list[Problem]:
        rows = [(i, s.prefix, s.first, s.last) for i, c in enumerate(claims) for s in c.serials]
        if not rows:
            return []
        db = self._db
        own = " AND NOT (c.claimant = ? AND c.reporting_year = ?)" if exclude_own else ""
        hits = []
        for idx, prefix, first, last in rows:  # one indexed range query per new range
            args = [prefix, last, first] + ([claimant, year] if exclude_own else [])
            hits += [(idx, prefix, first, last, *h) for h in db.execute(
                "SELECT s.first, s.last, c.claimant, c.claimant_name, c.reporting_year, "
                "c.item_id, c.item_type, c.source_file FROM serials s JOIN claims c "
                "ON c.claim_id = s.claim_id WHERE s.prefix = ? AND s.first <= ? AND "
                "s.last >= ?" + own + " ORDER BY s.first", args).fetchall()]
        out = []
        for idx, prefix, nf, nl, of, ol, oc, ocn, oy, oid, otype, ofile in hits:
            c = claims[idx]
            lo, hi = max(nf, of), min(nl, ol)
            both = (f"{c.item_type} {c.item_id!r} of {claimant} ({year}) and {otype} {oid!r} of "
                    f"{oc}{' ' + ocn if ocn else ''} ({oy}{', ' + ofile if ofile else ''})")
            what = "serials already claimed"
            if {c.item_type, otype} & {"gec"} and {c.item_type, otype} & {
                    "green_power_contract", "ppa"}:
                what = "the same MWh claimed through a green-power contract and as a GEC"
            out.append(Problem(source_file or "ledger",
                               f"{what}: {_fmt_range(prefix, lo, hi)} by {both}",
                               row=c.item_id, field="serials", found=_fmt_range(prefix, nf, nl),
                               expected="serials no other claim holds"))
        return out

    # -- reading and checking -----------------------------------------------------------------

    def claims(self, *, claimant: str | None = None, reporting_year: int | None = None,
               serial: str | None = None) -> list[dict[str, Any]]:
        """Claims with their serial ranges, optionally filtered.

        Parameters
        ----------
        claimant : str, optional
            Only the claims of this credit code or factory name.
        reporting_year : int, optional
            Only the claims for this year.
        serial : str, optional
            One serial ``PREFIX#N`` or a range; claims holding any of it are returned.

        Returns
        -------
        list of dict
            Each claim's columns (claimant, reporting year, item, kind, amount, unit,
            beneficiary, vintage, source file, policy, ``recorded_at`` UTC) and ``serials``
            (the ranges as text), sorted by claimant, year and item.

        Raises
        ------
        ValueError
            For a ``serial`` that is not a serial range.
        InputError
            When the database cannot be read.
        """
        try:
            return self._claims(claimant, reporting_year, serial)
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from None

    def _claims(self, claimant, reporting_year, serial) -> list[dict[str, Any]]:
        sql = ("SELECT c.claim_id, c.claimant, c.claimant_name, c.reporting_year, c.item_id, "
               "c.item_type, c.kind, c.amount, c.unit, c.beneficiary, c.vintage, c.source_file, "
               "c.policy, c.recorded_at FROM claims c WHERE 1=1")
        args: list[Any] = []
        if claimant:
            sql += " AND (c.claimant = ? OR c.claimant_name = ?)"
            args += [claimant, claimant]
        if reporting_year is not None:
            sql += " AND c.reporting_year = ?"
            args.append(reporting_year)
        if serial:
            r = SerialRange.parse(serial)
            sql += (" AND EXISTS (SELECT 1 FROM serials s WHERE s.claim_id = c.claim_id AND "
                    "s.prefix = ? AND s.first <= ? AND s.last >= ?)")
            args += [r.prefix, r.last, r.first]
        sql += " ORDER BY c.claimant, c.reporting_year, c.item_id"
        cols = ["claim_id", "claimant", "claimant_name", "reporting_year", "item_id",
                "item_type", "kind", "amount", "unit", "beneficiary", "vintage", "source_file",
                "policy", "recorded_at"]
        out = [dict(zip(cols, row)) for row in self._db.execute(sql, args).fetchall()]
        ser: dict[int, list[str]] = {}
        for cid, prefix, first, last in self._db.execute(
                "SELECT claim_id, prefix, first, last FROM serials ORDER BY prefix, first"):
            ser.setdefault(cid, []).append(_fmt_range(prefix, first, last))
        for row in out:
            row["serials"] = ser.get(row["claim_id"], [])
        return out

    def check(self) -> list[Problem]:
        """Re-verify the whole ledger: a sound file, no overlapping serials, no claim beyond its
        serials, no serials held beyond the claimed volume (hoarding), no claim retired for
        someone else."""
        try:
            return self._check()
        except sqlite3.DatabaseError as exc:
            return [Problem(self.path, f"the ledger file is damaged: {exc}")]

    def _check(self) -> list[Problem]:
        out = []
        integrity = self._db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            out.append(Problem(self.path, f"SQLite integrity check failed: {integrity}"))
        for row in self._db.execute(
                "SELECT a.prefix, max(a.first, b.first), min(a.last, b.last), "
                "ca.claimant, ca.reporting_year, ca.item_id, cb.claimant, cb.reporting_year, "
                "cb.item_id FROM serials a JOIN serials b ON a.prefix = b.prefix AND "
                "a.first <= b.last AND b.first <= a.last AND a.rowid < b.rowid "
                "JOIN claims ca ON ca.claim_id = a.claim_id "
                "JOIN claims cb ON cb.claim_id = b.claim_id"):
            prefix, lo, hi, c1, y1, i1, c2, y2, i2 = row
            out.append(Problem(self.path, f"serials {_fmt_range(prefix, lo, hi)} claimed twice: "
                               f"{i1!r} of {c1} ({y1}) and {i2!r} of {c2} ({y2})",
                               row=i2, field="serials"))
        for cid, claimant, year, item, amount, unit, count in self._db.execute(
                "SELECT c.claim_id, c.claimant, c.reporting_year, c.item_id, c.amount, c.unit, "
                "coalesce(sum(s.last - s.first + 1), 0) FROM claims c LEFT JOIN serials s "
                "ON s.claim_id = c.claim_id GROUP BY c.claim_id"):
            if amount > count + 1e-9:
                out.append(Problem(self.path, f"claim beyond the issued volume: {item!r} of "
                                   f"{claimant} ({year}) claims {amount:g} {unit} with {count} "
                                   "serials", row=item, field="amount", found=amount,
                                   expected=f"at most {count}"))
            elif count > _whole(amount):
                out.append(Problem(self.path, f"serials held beyond the claimed volume: {item!r} "
                                   f"of {claimant} ({year}) holds {count} serials for {amount:g} "
                                   f"{unit} (1 serial = 1 {unit}); the {count - amount:g} extra "
                                   "serials lock out every other holder", row=item,
                                   field="serials", found=count,
                                   expected=f"{_whole(amount)} serials"))
        for cid, claimant, name, item, ben in self._db.execute(
                "SELECT claim_id, claimant, claimant_name, item_id, beneficiary FROM claims "
                "WHERE beneficiary != '' AND beneficiary != claimant AND "
                "beneficiary != claimant_name"):
            out.append(Problem(self.path, f"{item!r} claimed by {claimant} but retired for "
                               f"{ben}", row=item, field="beneficiary", found=ben))
        return out


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _open(path: str, readonly: bool) -> sqlite3.Connection:
    """Connect to the ledger file, refusing with a clear message anything that is not one.

    Read-only opening uses an SQLite URI with ``mode=ro`` (https://www.sqlite.org/uri.html), so
    ``ledger show`` and ``ledger check`` work on a file the user may not write and never create
    or change it.
    """
    if path == ":memory:":
        return sqlite3.connect(path, isolation_level=None)
    p = Path(path)
    if p.is_dir():
        raise InputError([Problem(path, "the ledger path is a directory",
                                  expected="an SQLite file (e.g. carbon-ledger.sqlite)")])
    if not p.exists():
        if readonly:
            raise InputError([Problem(path, f"no ledger at {path}",
                                      expected=f"an existing ledger (give --db or set "
                                               f"${LEDGER_ENV})")])
        if not p.parent.is_dir():
            raise InputError([Problem(path, f"the folder {p.parent} of the ledger does not "
                                      "exist", expected="an existing folder")])
    else:
        try:
            with p.open("rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise InputError([Problem(path, f"cannot read the ledger: {exc.strerror}")]) from None
        if head and head != _SQLITE_MAGIC:
            raise InputError([Problem(path, "not an SQLite database (not a carbon_core claims "
                                      "ledger)", found=head[:16],
                                      expected="an SQLite 3 file (header 'SQLite format 3')")])
        if 0 < len(head) < len(_SQLITE_MAGIC):
            raise InputError([Problem(path, "truncated: too short to be an SQLite database",
                                      found=f"{p.stat().st_size} bytes")])
    try:
        if readonly:
            uri = "file:" + urllib.parse.quote(str(p.resolve())) + "?mode=ro"
            db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)
        else:
            db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _db_error(path, exc) from None
    return db


def _db_error(path: str, exc: sqlite3.DatabaseError, *, writing: bool = False) -> InputError:
    """An SQLite failure as an InputError naming the file and what to do."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        msg = ("the ledger is read-only: recording claims needs write access "
               "(`carbon ledger show` and `check` can read it)")
    elif "locked" in text or "busy" in text:
        msg = "the ledger is locked by another process (try again when it has finished)"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        msg = f"the ledger file is damaged or not an SQLite database ({text})"
    elif "unable to open" in text:
        msg = f"cannot open the ledger ({text})"
    else:
        msg = f"SQLite error on the ledger: {text}"
    return InputError([Problem(path, msg, expected="a sound carbon_core claims ledger"
                               if not writing else "a writable carbon_core claims ledger")])


def open_ledger(path: str | os.PathLike, *, readonly: bool = False,
                check: bool = False) -> "Ledger":
    """Open a ledger; with ``check=True`` refuse a damaged one (``PRAGMA quick_check``).

    Parameters
    ----------
    path : str or Path
        The ledger file (created on first use unless ``readonly``).
    readonly : bool, optional
        Open it read-only (see :class:`Ledger`).
    check : bool, optional
        Run SQLite's ``quick_check`` first and refuse a damaged file.

    Returns
    -------
    Ledger
        Open; close it (or use it as a context manager).

    Raises
    ------
    InputError
        The file is missing (read-only), a directory, not SQLite, another schema, damaged,
        read-only when writing, or in a missing folder.
    """
    led = Ledger(path, readonly=readonly)
    if check:
        problems = led.quick_check()
        if problems:
            led.close()
            raise InputError(problems, title=f"the ledger {path} is damaged; it was not used "
                                             "(restore it from a backup)")
    return led


@dataclass
class PendingClaims:
    """Claims of one run, checked against the ledger but not yet recorded.

    ``compute`` builds them during the balance, checks them (read-only) and records them with
    :meth:`commit` only as the last step of a successful run, so a run that fails afterwards
    claims nothing.

    Attributes
    ----------
    path : str
        The ledger file.
    claimant : str
        The factory's unified social credit code.
    reporting_year : int
        The year claimed for.
    claims : list of Claim
        The accepted instruments' and offsets' claims.
    claimant_name : str
        The factory's name.
    source_file : str
        The inventory the claims come from.
    policy : str
        The balance policy's name.
    committed : bool
        True once :meth:`commit` has recorded them.
    """

    path: str
    claimant: str
    reporting_year: int
    claims: list[Claim]
    claimant_name: str = ""
    source_file: str = ""
    policy: str = ""
    committed: bool = False

    def check(self) -> None:
        """Refuse a damaged ledger and any conflict, writing nothing.

        Raises
        ------
        InputError
        """
        problems = _check_batch(self.claimant, self.claimant_name, self.reporting_year,
                                self.claims, self.source_file)
        if problems:
            raise InputError(problems, title=f"{len(problems)} claims refused by the ledger "
                                             f"{self.path}")
        p = Path(self.path)
        if not p.exists() or (p.is_file() and p.stat().st_size == 0):
            # a new ledger (an empty file is one): folder and path checks, nothing created
            if not p.exists() and not p.parent.is_dir():
                _open(self.path, readonly=False)
            return
        with open_ledger(self.path, readonly=True, check=True) as led:
            problems = led.conflicts(self.claimant, self.claimant_name, self.reporting_year,
                                     self.claims, self.source_file)
        if problems:
            raise InputError(problems, title=f"{len(problems)} claims refused by the ledger "
                                             f"{self.path}")

    def commit(self) -> int:
        """Record the claims (one transaction, re-checked under the write lock).

        Returns
        -------
        int
            The number of claims recorded.
        """
        with open_ledger(self.path, check=True) as led:
            n = led.record(self.claimant, self.reporting_year, self.claims,
                           claimant_name=self.claimant_name, source_file=self.source_file,
                           policy=self.policy)
        self.committed = True
        return n


def _whole(amount: float) -> int:
    """Serials a volume needs: whole units, a fraction of one rounded up."""
    return math.ceil(amount)


def _fmt_range(prefix: str, first: int, last: int) -> str:
    return str(SerialRange(prefix, first, last))


def _check_batch(claimant, claimant_name, year, claims: Iterable[Claim], source_file
                 ) -> list[Problem]:
    """Checks that need no database: volume within serials, beneficiary, overlaps in the batch."""
    out = []
    claims = list(claims)
    for c in claims:
        if c.amount > c.serial_count + 1e-9:
            out.append(Problem(source_file or "ledger", f"claim beyond the issued volume: "
                               f"{c.amount:g} {c.unit} with {c.serial_count} serials",
                               row=c.item_id, field="amount", found=c.amount,
                               expected=f"at most {c.serial_count}"))
        elif c.serials and c.serial_count > _whole(c.amount):
            out.append(Problem(source_file or "ledger", f"serials held beyond the claimed "
                               f"volume: {c.serial_count} serials for {c.amount:g} {c.unit} "
                               f"(1 serial = 1 {c.unit})", row=c.item_id, field="serials",
                               found=c.serial_count, expected=f"{_whole(c.amount)} serials"))
        if c.beneficiary and c.beneficiary not in {claimant, claimant_name}:
            out.append(Problem(source_file or "ledger", f"{c.item_type} {c.item_id!r} retired "
                               f"for {c.beneficiary}, claimed by {claimant}", row=c.item_id,
                               field="beneficiary", found=c.beneficiary,
                               expected=f"{claimant} or {claimant_name}"))
    flat = sorted(((s, c) for c in claims for s in c.serials),
                  key=lambda x: (x[0].prefix, x[0].first))
    active: list[tuple[SerialRange, Claim]] = []
    for b, cb in flat:
        active = [(a, ca) for a, ca in active if a.overlaps(b) or
                  (a.prefix == b.prefix and a.last >= b.first)]
        for a, ca in active:
            out.append(Problem(source_file or "ledger",
                               f"serials claimed twice in one batch: {a} by {ca.item_type} "
                               f"{ca.item_id!r} and {b} by {cb.item_type} {cb.item_id!r}",
                               row=cb.item_id, field="serials"))
        active.append((b, cb))
    return out
