"""The factor library: every value versioned, cited, and looked up under a declared rule.

Factors live in TOML files under ``factors/`` (package ``carbon_core_factors``), one file per source
edition; the format is in ``factors/README.md``. Plugins contribute files of the same format.

A lookup names a key, a region and a :class:`SelectionRule` for the data year. It returns exactly one
:class:`Factor` or raises :class:`~carbon_core.errors.FactorNotFoundError` naming what was asked and
what exists. There is no silent fallback to another year, region or edition. Values measured by the
factory (实测) are layered on top with :meth:`FactorLibrary.with_measured` and win over defaults.

Examples
--------
>>> lib = FactorLibrary.default()
>>> f = lib.get("heat.purchased.co2", region="CN")
>>> f.value, f.unit
(0.11, 'tCO2/GJ')
"""

from __future__ import annotations

import datetime
import hashlib
import re
import tomli
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable, Iterator, Mapping

from .errors import FactorNotFoundError, InputError, Problem, UnitError
from .units import check_unit

__all__ = [
    "Source",
    "Factor",
    "SelectionRule",
    "FactorLibrary",
    "CONFIDENCE",
]

#: Confidence marks (C confirmed, S single source, M widely cited, X conflicting; factors/README.md). Anything but "C" is unconfirmed.
CONFIDENCE = {
    "C": "confirmed from a cited page",
    "S": "one secondary source only",
    "M": "widely cited, not confirmed against the original",
    "X": "not found, or sources conflict",
    "measured": "measured by the factory (实测)",
}

#: Every factor file declares this on a line of its own; other TOML files in factors/ are skipped.
_SCHEMA_LINE = b'schema = "carbon_core.factors/1"'

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_\-]+)+$")


@dataclass(frozen=True)
class Source:
    """A source edition: one document in one edition, from one publisher.

    Read from the ``[source]`` table of a factor file (format in ``factors/README.md``).

    Attributes
    ----------
    id : str
        Unique edition id, used in selection (``edition=``) and provenance
        (``"ndrc-2015-other-industry"``; ``"measured:<key>"`` for a factory's own value).
    title : str
        Original title of the document.
    publisher : str
        Who published it (``"NDRC 国家发展和改革委员会"``).
    year : int or None
        Edition year.
    title_en : str
        English title.
    document : str
        Document number, if any (``"发改办气候〔2015〕1722号"``).
    published : str
        Publication date ``YYYY-MM-DD`` (empty when not declared); as-of selection uses it.
    url : str
        A public URL, if there is one.
    note : str
        How the values were checked, and anything a verifier should know.
    file : str
        Name of the factor file the edition was read from.
    sha256 : str
        SHA-256 of that file's bytes [hex].
    published_confidence : str
        Confidence mark (C/S/M/X) of the publication date itself.
    published_note : str
        Why the date is not confirmed, when it is not.
    """

    id: str
    title: str
    publisher: str = ""
    year: int | None = None
    title_en: str = ""
    document: str = ""
    published: str = ""
    url: str = ""
    note: str = ""
    file: str = ""
    sha256: str = ""
    published_confidence: str = ""
    published_note: str = ""

    def citation(self) -> str:
        """Short citation: publisher, document, title and year (those given), comma-separated."""
        parts = [self.publisher, self.document, self.title, str(self.year or "")]
        return ", ".join(p for p in parts if p)

    @property
    def published_date(self) -> datetime.date | None:
        """The publication date as a date (None when the edition declares none)."""
        return datetime.date.fromisoformat(self.published) if self.published else None


@dataclass(frozen=True)
class Factor:
    """One cited value.

    Attributes
    ----------
    key : str
        Dotted key, e.g. ``"fuel.natural_gas.ncv"``.
    value : float
        The value, in ``unit``.
    unit : str
        Unit text, parseable by :func:`carbon_core.units.parse_unit`.
    region : str
        ``"CN"``, ``"CN-GRID-EAST"``, ``"CN-AH"``, ``"GLOBAL"``...
    data_year : int or None
        The year the value describes, for time-varying factors (grid factors); None for
        timeless defaults (fuel properties).
    confidence : str
        One of :data:`CONFIDENCE`.
    source : Source
        The edition the value comes from.
    table : str
        Where in the document (table or clause, e.g. ``"附录二 表2.1"``).
    note : str
        Optional remark from the factor file (for a measured factor: its evidence).
    """

    key: str
    value: float
    unit: str
    region: str
    source: Source
    confidence: str
    data_year: int | None = None
    table: str = ""
    note: str = ""

    @property
    def confirmed(self) -> bool:
        """True for values confirmed from a cited page, or measured by the factory."""
        return self.confidence in ("C", "measured")

    @property
    def measured(self) -> bool:
        """True for a value measured by the factory (confidence ``"measured"``)."""
        return self.confidence == "measured"

    def citation(self) -> str:
        """Human-readable citation: source, table, year, confidence."""
        text = self.source.citation()
        if self.table:
            text += f", {self.table}"
        if self.data_year is not None:
            text += f" (data year {self.data_year})"
        if not self.confirmed:
            text += f" [unconfirmed: {self.confidence}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The factor as results record it: value, unit, region, data year, confidence, citation.

        Returns
        -------
        dict
        """
        return {
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "region": self.region,
            "data_year": self.data_year,
            "confidence": self.confidence,
            "confirmed": self.confirmed,
            "source_id": self.source.id,
            "citation": self.citation(),
            "url": self.source.url or None,
        }


@dataclass(frozen=True)
class SelectionRule:
    """How the data year of a time-varying factor is chosen.

    Written in an inventory as text:

    - ``"year:2022"``: exactly data year 2022;
    - ``"latest:Y-2"``: the latest data year no later than the reporting year minus 2 (``Y`` is the
      reporting year; ``"latest:Y"`` and ``"latest:Y-3"`` work the same way);
    - ``"timeless"``: only factors without a data year (fuel properties).

    Attributes
    ----------
    kind : str
        ``"year"``, ``"latest"`` or ``"timeless"``.
    year : int or None
        The exact data year of a ``"year"`` rule.
    lag : int
        Years subtracted from the reporting year by a ``"latest"`` rule (``Y-2`` -> 2).

    Examples
    --------
    >>> SelectionRule.parse("latest:Y-2").describe(2025)
    'latest data year <= 2023 (reporting year 2025 - 2)'
    """

    kind: str  # "year" | "latest" | "timeless"
    year: int | None = None
    lag: int = 0

    @classmethod
    def parse(cls, text: str | int | None) -> "SelectionRule":
        """Parse a selection rule as written in an inventory.

        Parameters
        ----------
        text : str or int or None
            ``"year:2022"``, ``"latest:Y-2"`` (or ``"latest:Y"``) or ``"timeless"``; an int is an
            exact data year; None means ``"timeless"``.

        Returns
        -------
        SelectionRule

        Raises
        ------
        ValueError
            For any other text.
        """
        if text is None or text == "timeless":
            return cls("timeless")
        if isinstance(text, int):
            return cls("year", year=text)
        m = re.fullmatch(r"\s*year:(\d{4})\s*", str(text))
        if m:
            return cls("year", year=int(m.group(1)))
        m = re.fullmatch(r"\s*latest:Y(?:-(\d+))?\s*", str(text))
        if m:
            return cls("latest", lag=int(m.group(1) or 0))
        raise ValueError(
            f"unknown selection rule {text!r}; write 'year:2022', 'latest:Y-2' or 'timeless'"
        )

    def __str__(self) -> str:
        if self.kind == "year":
            return f"year:{self.year}"
        if self.kind == "latest":
            return f"latest:Y-{self.lag}" if self.lag else "latest:Y"
        return "timeless"

    def describe(self, reporting_year: int | None = None) -> str:
        """The rule in words, resolved for a reporting year when one is given.

        Parameters
        ----------
        reporting_year : int or None
            The inventory's reporting year; None leaves it symbolic.

        Returns
        -------
        str
        """
        if self.kind == "year":
            return f"data year {self.year}"
        if self.kind == "latest":
            if reporting_year is None:
                return f"latest data year <= reporting year - {self.lag}"
            return (f"latest data year <= {reporting_year - self.lag} "
                    f"(reporting year {reporting_year} - {self.lag})")
        return "timeless default"

    def choose(self, years: Iterable[int | None], reporting_year: int | None) -> int | None:
        """Pick the data year among ``years``; raise LookupError when none fits.

        Parameters
        ----------
        years : iterable of int or None
            The data years available (None for a timeless value).
        reporting_year : int or None
            The inventory's reporting year; a ``"latest"`` rule needs it.

        Returns
        -------
        int or None
            The exact year of a ``"year"`` rule, the latest year no later than
            ``reporting_year - lag`` for ``"latest"``, or None for ``"timeless"``.

        Raises
        ------
        LookupError
            When no available year fits the rule (no silent fallback), or a ``"latest"`` rule
            is given no reporting year.
        """
        years = set(years)
        if self.kind == "timeless":
            if None in years:
                return None
            raise LookupError("no timeless value")
        dated = sorted(y for y in years if y is not None)
        if self.kind == "year":
            if self.year in years:
                return self.year
            raise LookupError(f"no value for data year {self.year}")
        if reporting_year is None:
            raise LookupError("rule 'latest' needs the reporting year")
        limit = reporting_year - self.lag
        eligible = [y for y in dated if y <= limit]
        if not eligible:
            raise LookupError(f"no data year <= {limit}")
        return eligible[-1]


class FactorLibrary:
    """All factors from a set of source files, with exact lookup.

    Build it with :meth:`default` (the files shipped under ``factors/``), :meth:`from_files`,
    or :meth:`from_tables` (parsed TOML, e.g. from a plugin).

    Parameters
    ----------
    factors : iterable of Factor, optional
        The factors; each key, region, data year and edition at most once.
    sources : iterable of Source, optional
        The editions; an id at most once (the same edition again is accepted).

    Raises
    ------
    InputError
        For a source id defined twice with different content, or a duplicate factor.
    """

    def __init__(self, factors: Iterable[Factor] = (), sources: Iterable[Source] = ()):
        self._sources: dict[str, Source] = {}
        self._by_key: dict[str, list[Factor]] = {}
        self._measured: dict[tuple[str, str], Factor] = {}
        #: the as-of day this library was cut to (:meth:`as_of`), and the editions it dropped
        self.as_of_date: datetime.date | None = None
        self.excluded_by_as_of: list[str] = []
        for s in sources:
            self._add_source(s)
        for f in factors:
            self._add(f)

    # -- construction -------------------------------------------------------------------------

    def _add_source(self, source: Source) -> None:
        if source.id in self._sources and self._sources[source.id] != source:
            other = self._sources[source.id]
            raise InputError([Problem(
                file=source.file or source.id, field="source.id", found=source.id,
                message=f"source id already defined by {other.file or other.id}",
                expected="a unique edition id")])
        self._sources[source.id] = source

    def _add(self, f: Factor) -> None:
        rows = self._by_key.setdefault(f.key, [])
        for other in rows:
            if (other.region, other.data_year, other.source.id) == (f.region, f.data_year,
                                                                    f.source.id):
                raise InputError([Problem(
                    file=f.source.file or f.source.id, field="factor.key", found=f.key,
                    message=(f"duplicate factor for region {f.region}, data year {f.data_year} "
                             f"in edition {f.source.id}"),
                    expected="one value per key, region, data year and edition")])
        rows.append(f)

    @classmethod
    def default(cls) -> "FactorLibrary":
        """The library of every file shipped under ``factors/`` (cached; treat as read-only)."""
        global _DEFAULT
        if _DEFAULT is None:
            root = resources.files("carbon_core_factors")
            _DEFAULT = cls.from_files(_iter_toml(root))
        return _DEFAULT

    @classmethod
    def from_files(cls, paths: Iterable[Any]) -> "FactorLibrary":
        """Build from factor files: those without the factor-file schema line are skipped.

        Parameters
        ----------
        paths : iterable of path-like
            Objects with ``read_bytes()`` (:class:`pathlib.Path`, :mod:`importlib.resources` files).

        Returns
        -------
        FactorLibrary

        Raises
        ------
        InputError
            For a file that is not valid TOML, or any problem :meth:`from_tables` finds.
        """
        tables = []
        for path in paths:
            raw = path.read_bytes()
            name = getattr(path, "name", str(path))
            if _SCHEMA_LINE not in raw:
                continue  # another kind of data file in the folder (policies, carriers...)
            try:
                data = tomli.loads(raw.decode("utf-8"))
            except tomli.TOMLDecodeError as exc:
                raise InputError([Problem(file=name, message=f"not valid TOML: {exc}")]) from None
            tables.append((data, name, hashlib.sha256(raw).hexdigest()))
        return cls.from_tables(tables)

    @classmethod
    def from_tables(cls, tables: Iterable[tuple[Mapping, str, str]]) -> "FactorLibrary":
        """Build from parsed files: ``(data, file_name, sha256)`` triples.

        Every problem in every file is reported at once.

        Parameters
        ----------
        tables : iterable of (mapping, str, str)
            Each file's parsed TOML, its name (for messages and provenance) and the SHA-256 of
            its bytes [hex].

        Returns
        -------
        FactorLibrary

        Raises
        ------
        InputError
            Listing every problem: a missing ``[source]`` table or source field, a malformed
            key, value, unit, confidence mark, region or data year, a duplicate edition id or
            factor.
        """
        lib = cls()
        problems: list[Problem] = []
        for data, name, digest in tables:
            source, factors, found = _parse_file(data, name, digest)
            problems.extend(found)
            if source is None:
                continue
            try:
                lib._add_source(source)
                for f in factors:
                    lib._add(f)
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems, title=f"{len(problems)} problems in the factor files")
        return lib

    def merged(self, other: "FactorLibrary") -> "FactorLibrary":
        """A new library with the factors of both; duplicate editions are an error.

        Parameters
        ----------
        other : FactorLibrary
            The library to add (e.g. a plugin's factor tables); its measured values win over
            this one's for the same key and region.

        Returns
        -------
        FactorLibrary

        Raises
        ------
        InputError
            For an edition id defined differently in both, or the same factor (key, region,
            data year, edition) in both.
        """
        lib = FactorLibrary(sources=self._sources.values())
        for s in other._sources.values():
            lib._add_source(s)
        for f in self:
            lib._add(f)
        for f in other:
            lib._add(f)
        lib._measured = {**self._measured, **other._measured}
        return lib

    def with_measured(self, measured: Iterable[Factor]) -> "FactorLibrary":
        """A new library where these measured values (实测) win over defaults.

        Each measured factor must have ``confidence="measured"``; it overrides the default for its
        key and region in every lookup, whatever the rule, and is marked as measured in results.

        Parameters
        ----------
        measured : iterable of Factor
            The factory's values (:func:`measured_factor`).

        Returns
        -------
        FactorLibrary
            A copy of this library (as-of cut included) with the measured values layered on top.

        Raises
        ------
        ValueError
            For a factor whose confidence is not ``"measured"``.
        """
        lib = FactorLibrary(sources=self._sources.values())
        lib._by_key = {k: list(v) for k, v in self._by_key.items()}
        lib._measured = dict(self._measured)
        lib.as_of_date, lib.excluded_by_as_of = self.as_of_date, list(self.excluded_by_as_of)
        for f in measured:
            if f.confidence != "measured":
                raise ValueError(f"{f.key}: a measured factor needs confidence='measured'")
            lib._measured[(f.key, f.region)] = f
            lib._sources.setdefault(f.source.id, f.source)
        return lib

    def as_of(self, date: datetime.date | str) -> "FactorLibrary":
        """A new library holding only the editions published on or before ``date``.

        Parameters
        ----------
        date : datetime.date or str
            The as-of day (``YYYY-MM-DD``). An edition is kept when its ``[source] published``
            date is on or before it. Editions that declare no publication date cannot be placed
            in time and are kept (list them with :meth:`undated_sources`); every shipped edition
            carries a date. Measured factors (实测) are kept: they belong to the inventory.

        Returns
        -------
        FactorLibrary

        Examples
        --------
        >>> lib = FactorLibrary.default()
        >>> lib.as_of("2024-06-01").get("electricity.grid.average", "CN-AH", rule="latest:Y-2",
        ...                             reporting_year=2024).data_year
        2021
        """
        day = date if isinstance(date, datetime.date) else datetime.date.fromisoformat(str(date))
        keep = {sid for sid, s in self._sources.items()
                if s.published_date is None or s.published_date <= day}
        lib = FactorLibrary(sources=[s for sid, s in self._sources.items() if sid in keep])
        lib._by_key = {k: [f for f in v if f.source.id in keep] for k, v in self._by_key.items()}
        lib._by_key = {k: v for k, v in lib._by_key.items() if v}
        lib._measured = dict(self._measured)
        for f in self._measured.values():
            lib._sources.setdefault(f.source.id, f.source)
        lib.as_of_date = day
        lib.excluded_by_as_of = sorted(set(self._sources) - keep)
        return lib

    def undated_sources(self) -> list[str]:
        """Ids of the editions without a publication date (as-of selection cannot exclude them)."""
        return sorted(sid for sid, s in self._sources.items()
                      if not s.published and not sid.startswith(("measured:", "inventory:")))

    # -- lookup -------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Factor]:
        for rows in self._by_key.values():
            yield from rows
        yield from self._measured.values()

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_key.values()) + len(self._measured)

    def __contains__(self, key: str) -> bool:
        return key in self._by_key or any(k == key for k, _ in self._measured)

    @property
    def sources(self) -> dict[str, Source]:
        """The sources of the loaded factors by source id (a copy)."""
        return dict(self._sources)

    def keys(self) -> list[str]:
        """Every factor key of the library (shipped and measured), sorted.

        Returns
        -------
        list of str
        """
        return sorted(set(self._by_key) | {k for k, _ in self._measured})

    def candidates(self, key: str) -> list[Factor]:
        """Every factor stored under ``key`` (all regions, years, editions).

        Parameters
        ----------
        key : str
            Factor key, e.g. ``"electricity.grid.average"``.

        Returns
        -------
        list of Factor
            The shipped factors, then the measured ones; empty for an unknown key.
        """
        return list(self._by_key.get(key, [])) + [
            f for (k, _), f in self._measured.items() if k == key]

    def get(self, key: str, region: str = "CN", *, rule: SelectionRule | str | None = None,
            reporting_year: int | None = None, edition: str | None = None) -> Factor:
        """Exactly one factor for ``key`` in ``region`` under ``rule``.

        Parameters
        ----------
        key : str
            Factor key, e.g. ``"electricity.grid.average"``.
        region : str
            Region code; no fallback to a wider region.
        rule : SelectionRule or str, optional
            Data-year rule; default: timeless if the key has timeless values, else an error
            asking for a rule.
        reporting_year : int, optional
            Needed by ``latest:`` rules.
        edition : str, optional
            Restrict to one source edition id; required when two editions match.

        Raises
        ------
        FactorNotFoundError
            Naming the request and listing what exists for the key.
        """
        measured = self._measured.get((key, region))
        if measured is not None:
            return measured
        rows = [f for f in self._by_key.get(key, []) if f.region == region]
        if edition is not None:
            rows = [f for f in rows if f.source.id == edition]
        if isinstance(rule, str) or rule is None:
            if rule is None and rows and all(f.data_year is not None for f in rows):
                raise FactorNotFoundError(
                    f"factor {key!r} for region {region!r} varies by data year; give a rule "
                    f"such as 'latest:Y-2' or 'year:2022'. {self._what_exists(key)}")
            rule = SelectionRule.parse(rule)
        asked = f"factor {key!r} for region {region!r}, {rule.describe(reporting_year)}"
        if edition:
            asked += f", edition {edition!r}"
        if not rows:
            raise FactorNotFoundError(f"no {asked}. {self._what_exists(key)}")
        try:
            year = rule.choose((f.data_year for f in rows), reporting_year)
        except LookupError as exc:
            raise FactorNotFoundError(f"no {asked} ({exc}). {self._what_exists(key)}") from None
        hits = [f for f in rows if f.data_year == year]
        confirmed = [f for f in hits if f.confirmed]
        if len(confirmed) == 1:
            return confirmed[0]
        if len(hits) == 1:
            return hits[0]
        tied = confirmed or hits
        editions = sorted(f.source.id for f in tied)
        kind = "confirmed " if confirmed else ""
        raise FactorNotFoundError(
            f"{asked} is given by {len(tied)} {kind}editions {editions}; choose one with "
            f"edition=... (in an inventory: the 'edition' key of its section)")

    def _what_exists(self, key: str) -> str:
        rows = self.candidates(key)
        if not rows:
            near = [k for k in self.keys() if k.split(".")[0] == key.split(".")[0]]
            hint = f" Keys of that family: {near[:20]}" if near else ""
            return f"No factor has key {key!r}.{hint}"
        have = sorted({(f.region, f.data_year if f.data_year is not None else "timeless",
                        f.source.id) for f in rows}, key=str)
        listed = ", ".join(f"{r}/{y}/{s}" for r, y, s in have[:30])
        return f"Available for {key!r} (region/data year/edition): {listed}"


_DEFAULT: FactorLibrary | None = None


def _iter_toml(root) -> Iterator[Any]:
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            yield from _iter_toml(entry)
        elif entry.name.endswith(".toml"):
            yield entry


def _parse_file(data: Mapping, name: str, digest: str
                ) -> tuple[Source | None, list[Factor], list[Problem]]:
    problems: list[Problem] = []
    src = data.get("source")
    if not isinstance(src, Mapping):
        return None, [], [Problem(file=name, field="source", message="missing [source] table",
                                  expected="a [source] table with id, title, publisher, year")]
    for required in ("id", "title", "publisher"):
        if not src.get(required):
            problems.append(Problem(file=name, field=f"source.{required}",
                                    message="missing source field", expected="a non-empty string"))
    published = src.get("published", "")
    if isinstance(published, datetime.date):  # a TOML date literal
        published = published.isoformat()
    if published:
        try:
            datetime.date.fromisoformat(str(published))
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(published)):
                raise ValueError
        except ValueError:
            problems.append(Problem(file=name, field="source.published", found=published,
                                    message="publication date is not a day",
                                    expected="YYYY-MM-DD (an upper bound when only the month or "
                                             "year is known, explained in published_note)"))
    pconf = src.get("published_confidence", "")
    if pconf and pconf not in ("C", "S", "M", "X"):
        problems.append(Problem(file=name, field="source.published_confidence", found=pconf,
                                message="unknown confidence mark", expected="one of C, S, M, X"))
    if problems:
        return None, [], problems
    source = Source(
        id=str(src["id"]), title=str(src["title"]), publisher=str(src["publisher"]),
        year=src.get("year"), title_en=src.get("title_en", ""), document=src.get("document", ""),
        published=str(published or ""), url=src.get("url", ""),
        note=src.get("note", ""), file=name, sha256=digest,
        published_confidence=str(pconf or ""), published_note=str(src.get("published_note", "")))
    factors = []
    rows = data.get("factor", [])
    if not rows:
        problems.append(Problem(file=name, field="factor", message="no [[factor]] entries",
                                expected="at least one factor"))
    for i, row in enumerate(rows):
        where = f"factor[{i}]"
        ok = True
        key = row.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            problems.append(Problem(file=name, row=where, field="key", found=key,
                                    message="bad key", expected="a dotted key like fuel.diesel.ncv"))
            ok = False
        value = row.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(Problem(file=name, row=where, field="value", found=value,
                                    message="value is not a number", expected="a number"))
            ok = False
        unit = row.get("unit")
        try:
            check_unit(unit)
        except UnitError as exc:
            problems.append(Problem(file=name, row=where, field="unit", found=unit,
                                    message=str(exc), expected="a unit carbon_core.units parses"))
            ok = False
        conf = row.get("confidence")
        if conf not in ("C", "S", "M", "X"):
            problems.append(Problem(file=name, row=where, field="confidence", found=conf,
                                    message="missing or unknown confidence mark",
                                    expected="one of C, S, M, X"))
            ok = False
        region = row.get("region")
        if not isinstance(region, str) or not region:
            problems.append(Problem(file=name, row=where, field="region", found=region,
                                    message="missing region", expected="e.g. CN, CN-AH, GLOBAL"))
            ok = False
        year = row.get("data_year")
        if year is not None and not isinstance(year, int):
            problems.append(Problem(file=name, row=where, field="data_year", found=year,
                                    message="data_year is not an integer", expected="e.g. 2022"))
            ok = False
        if ok:
            factors.append(Factor(key=key, value=float(value), unit=unit, region=region,
                                  source=source, confidence=conf, data_year=year,
                                  table=row.get("table", ""), note=row.get("note", "")))
    return source, factors, problems


def measured_factor(key: str, value: float, unit: str, region: str = "CN", *,
                    evidence: str = "", file: str = "inventory") -> Factor:
    """A factor measured by the factory (实测), e.g. a lab NCV of its natural gas.

    Parameters
    ----------
    key : str
        Factor key it replaces, e.g. ``"fuel.natural_gas.ncv"``.
    value : float
        The measured value, in ``unit``.
    unit : str
        Unit text, parseable by :func:`carbon_core.units.parse_unit`.
    region : str, optional
        Region whose default it overrides (default ``"CN"``).
    evidence : str, optional
        The measurement's evidence (lab report...), kept as the factor's note and title.
    file : str, optional
        Where it was declared, for provenance (default ``"inventory"``).

    Returns
    -------
    Factor
        With ``confidence="measured"`` and a source ``measured:<key>``.

    Raises
    ------
    UnitError
        If ``unit`` does not parse.
    """
    check_unit(unit)
    source = Source(id=f"measured:{key}", title=f"measured by the factory: {evidence or key}",
                    publisher="factory", file=file)
    return Factor(key=key, value=float(value), unit=unit, region=region, source=source,
                  confidence="measured", note=evidence)


__all__.append("measured_factor")


def resolve_as_of(as_of: datetime.date | str | None = None) -> datetime.date:
    """The as-of day of a run: ``as_of`` parsed, or today's date (the run date) when None.

    Parameters
    ----------
    as_of : datetime.date or str or None, optional
        The day asked for (``YYYY-MM-DD``); a datetime is cut to its date.

    Returns
    -------
    datetime.date

    Raises
    ------
    InputError
        ``as_of`` is not a date ``YYYY-MM-DD``.

    Examples
    --------
    >>> resolve_as_of("2025-01-31")
    datetime.date(2025, 1, 31)
    """
    if as_of is None:
        return datetime.date.today()
    if isinstance(as_of, datetime.datetime):
        return as_of.date()
    if isinstance(as_of, datetime.date):
        return as_of
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(as_of)):
            raise ValueError
        return datetime.date.fromisoformat(str(as_of))
    except ValueError:
        raise InputError([Problem(file="as-of", field="as_of", found=as_of,
                                  message="not a date", expected="YYYY-MM-DD")]) from None


def as_of_record(library: "FactorLibrary", day: datetime.date, *, given: bool) -> dict[str, Any]:
    """What a result records about its as-of selection (``provenance.as_of``).

    Parameters
    ----------
    library : FactorLibrary
        The library after :meth:`FactorLibrary.as_of`.
    day : datetime.date
        The as-of day used.
    given : bool
        True when the day was asked for (``--as-of``), False when it is the run date.

    Returns
    -------
    dict
        ``date``, ``basis``, ``excluded_editions`` and ``undated_editions``.
    """
    return {"date": day.isoformat(), "basis": "given (--as-of)" if given else "run date",
            "excluded_editions": list(library.excluded_by_as_of),
            "undated_editions": library.undated_sources()}


__all__ += ["resolve_as_of", "as_of_record"]
