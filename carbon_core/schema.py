"""One schema layer: every input table is declared here in one vocabulary and checked by one validator.

A :class:`Table` is a tuple of :class:`Field` declarations. :func:`validate` checks a parsed TOML
table against it and returns plain Python values (numbers as ``float``, dates as
:class:`datetime.date`, months as ``(year, month)``, nested tables and arrays of tables validated
recursively); :func:`rows_to_arrays` turns an array of tables into float64 numpy columns in
canonical units (what sector plugins receive, :class:`Rows`). Every problem of a pass is collected,
each naming the file, the row (a TOML table path such as ``meters[2]``), the field, what was found
and what was expected, so that a user fixes all of them at once.

By construction:

- an **unknown key** is refused in every declared table, with the closest declared key suggested
  (``unknown key 'renewabel'; did you mean 'renewable'?``, :mod:`difflib`);
- **non-finite numbers** (TOML ``nan``, ``inf``) are refused at parse time;
- numbers have **inclusive bounds** (``minimum=0`` by default: masses, volumes, enthalpies, areas,
  outputs cannot be negative), optionally an exclusive lower bound (``exclusive_minimum``);
- text, choices, booleans, integers, dates, months, units, lists, nested tables, arrays of tables
  and maps of named tables each have one checker (a registry, :data:`KINDS`, not an if-ladder).

Semantic checks that need more than one field (a role that takes no such carrier, weights summing to
100) stay with the layer that owns the table; the structure is checked here.

:func:`to_markdown` renders the declarations as the field reference in ``docs/``; the
documentation is generated from the same objects the validator uses (see
:mod:`carbon_core.io.reference`).

Examples
--------
>>> meter = Table("meters", (Field("id", kind="text"),
...                          Field("renewable", kind="bool", required=False, default=False)),
...               rows=False)
>>> validate(meter, {"id": "pv", "renewable": True}, file="inv.toml", where="meters[0]")
{'id': 'pv', 'renewable': True}
>>> validate(meter, {"id": "pv", "renewabel": True}, file="inv.toml", where="meters[0]")
Traceback (most recent call last):
...
carbon_core.errors.InputError: 1 problem in the input:
  - inv.toml, row meters[0], field 'renewabel': unknown key 'renewabel'; did you mean 'renewable'?; expected one of ['id', 'renewable']
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError, Problem, UnitError

__all__ = [
    "MISSPELLING_CUTOFF",
    "Field",
    "Table",
    "Rows",
    "KINDS",
    "validate",
    "validate_into",
    "validate_rows",
    "rows_to_arrays",
    "unknown_key_problems",
    "suggest",
    "to_markdown",
]


# --------------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One key of an input table.

    Parameters
    ----------
    name : str
        The TOML key.
    kind : str
        One of :data:`KINDS`: ``"number"``, ``"integer"``, ``"text"``, ``"choice"``, ``"bool"``,
        ``"date"``, ``"month"``, ``"unit"``, ``"list"``, ``"table"``, ``"rows"``, ``"map"``,
        ``"any"`` (kept as written; the owning layer validates it, e.g. ``[process.<sector>]``).
    unit : str, optional
        Numbers: the canonical unit the value is converted to (``"kg"``, ``"t"``, ``"1"`` for
        fractions). Units (``kind="unit"``): the dimension the unit must be convertible to.
    unit_key : str, optional
        Key of the row that states the unit the user wrote the value in (e.g. ``"unit"``); without
        it the value must be written in ``unit``.
    required : bool
        A missing required key is a problem. Optional keys take ``default`` (in
        :func:`rows_to_arrays`, numbers are NaN when the default is None, see :attr:`Rows.given`).
    default : optional
    minimum, maximum : float, optional
        Inclusive bounds for numbers and integers (default ``minimum=0``: quantities that cannot be
        negative). None: unbounded.
    exclusive_minimum : bool
        The value must be strictly greater than ``minimum`` (a positive output).
    choices : tuple of str
        Allowed values for ``kind="choice"`` (and for the items of a list of choices).
    doc : str
        One line for the documentation and the ``expected`` part of a problem.
    item : Field, optional
        ``kind="list"``: the declaration every item is checked against.
    table : Table, optional
        ``kind="table"``, ``"rows"`` and ``"map"``: the declaration of the nested table(s).
    pattern : str, optional
        Text and map keys: a regular expression the whole value must match.
    length : int, optional
        Lists: the exact number of items.
    allow_empty : bool
        Text: accept ``""``.
    """

    name: str
    kind: str = "number"
    unit: str | None = None
    unit_key: str | None = None
    required: bool = True
    default: Any = None
    minimum: float | None = 0.0
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""
    item: "Field | None" = None
    table: "Table | None" = None
    pattern: str | None = None
    length: int | None = None
    allow_empty: bool = False

    def expected(self) -> str:
        """What a valid value looks like, in words (used in problems and the docs)."""
        return KINDS[self.kind].expected(self)


@dataclass(frozen=True)
class Table:
    """One declared input table: a single table, or the rows of an array of tables.

    Parameters
    ----------
    name : str
        The table's key (``"meters"``), or its path for a nested table.
    fields : tuple of Field
    rows : bool
        An array of tables (``[[name]]``) rather than one table (``[name]``). Used by sector
        plugins' ``[process.<sector>.<name>]`` inputs (emissions must be additive over the rows: the
        conformance suite splits them).
    required : bool
        A missing required table is a problem.
    doc : str
    """

    name: str
    fields: tuple[Field, ...]
    rows: bool = True
    required: bool = False
    doc: str = ""

    def field_map(self) -> dict[str, Field]:
        """Fields by name."""
        return {f.name: f for f in self.fields}

    def keys(self) -> list[str]:
        """Every key a row may hold: the fields and the keys naming their units."""
        out = [f.name for f in self.fields]
        out += [f.unit_key for f in self.fields if f.unit_key and f.unit_key not in out]
        return out

    def with_fields(self, *extra: Field) -> "Table":
        """This table with more fields (a later layer extending a declaration).

        Parameters
        ----------
        *extra : Field
            The fields added after the declared ones.

        Returns
        -------
        Table
            A new declaration; this one is unchanged.
        """
        return Table(self.name, self.fields + tuple(extra), rows=self.rows,
                     required=self.required, doc=self.doc)


class Rows:
    """Validated rows of one table: float64 / object / bool arrays, one element per row.

    ``rows[key]`` is the column of a declared field (``key in rows`` tests for one); ``len(rows)``
    is the number of rows.

    Parameters
    ----------
    table : str
        The table's name.
    ids : sequence of str
        The rows' ``id`` keys (default ``"<table>[<i>]"``).
    labels : sequence of str
        ``process.<sector>.<table>[<i>]``, for problems.
    columns : dict of str to numpy.ndarray
        One array per declared field, one element per row: numbers float64 in the field's
        canonical unit, booleans bool, the rest object.
    given : dict of str to numpy.ndarray of bool
        Whether the user gave the key in each row (False: default or NaN placeholder).
    """

    def __init__(self, table: str, ids, labels, columns: dict[str, np.ndarray],
                 given: dict[str, np.ndarray]):
        self.table = table
        self.ids = np.asarray(ids, dtype=object)
        self.labels = list(labels)
        self._columns = columns
        self.given = given

    def __getitem__(self, key: str) -> np.ndarray:
        return self._columns[key]

    def __contains__(self, key: str) -> bool:
        return key in self._columns

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Rows({self.table!r}, {len(self)} rows, columns={sorted(self._columns)})"


# --------------------------------------------------------------------------------------------------
# Value checkers, one per kind
# --------------------------------------------------------------------------------------------------


class _Ctx:
    """Where a value sits, and where problems go."""

    __slots__ = ("file", "row", "problems")

    def __init__(self, file: str, row: str | None, problems: list[Problem]):
        self.file, self.row, self.problems = file, row, problems

    def add(self, message: str, *, field=None, found=None, expected=None, row=None) -> None:
        self.problems.append(Problem(self.file, message, row=self.row if row is None else row,
                                     field=field, found=found, expected=expected))

    def at(self, row: str | None) -> "_Ctx":
        return _Ctx(self.file, row, self.problems)


_BAD = object()  # a checker's answer for "invalid, problem recorded"


@dataclass(frozen=True)
class _Kind:
    check: Callable[[Field, Any, _Ctx, str], Any]
    expected: Callable[[Field], str]
    type_name: str


def _bounds_text(f: Field) -> str:
    parts = []
    if f.minimum is not None:
        parts.append(f"{'>' if f.exclusive_minimum else '>='} {f.minimum:g}")
    if f.maximum is not None:
        parts.append(f"<= {f.maximum:g}")
    return " and ".join(parts)


def _expected_number(f: Field) -> str:
    text = "a number" if f.kind == "number" else "an integer"
    bounds = _bounds_text(f)
    if bounds:
        text += " " + bounds
    if f.unit and f.kind == "number":
        text += f" ({f.unit})"
    return text


def _in_bounds(f: Field, v: float) -> bool:
    if f.minimum is not None and (v < f.minimum or (f.exclusive_minimum and v == f.minimum)):
        return False
    return f.maximum is None or v <= f.maximum


def _check_number(f: Field, v: Any, ctx: _Ctx, key: str):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        ctx.add("not a number", field=key, found=v, expected=f.expected())
        return _BAD
    if not math.isfinite(v):
        ctx.add("not a finite number", field=key, found=v, expected=f.expected())
        return _BAD
    if not _in_bounds(f, v):
        ctx.add("value out of range", field=key, found=v, expected=f.expected())
        return _BAD
    return float(v)


def _check_integer(f: Field, v: Any, ctx: _Ctx, key: str):
    if isinstance(v, bool) or not isinstance(v, int):
        ctx.add("not an integer", field=key, found=v, expected=f.expected())
        return _BAD
    if not _in_bounds(f, v):
        ctx.add("value out of range", field=key, found=v, expected=f.expected())
        return _BAD
    return v


def _expected_text(f: Field) -> str:
    if f.pattern and f.doc:
        return f.doc
    return "a string" if f.allow_empty else "a non-empty string"


def _check_text(f: Field, v: Any, ctx: _Ctx, key: str):
    if not isinstance(v, str) or (not f.allow_empty and not v.strip()):
        ctx.add("not a non-empty string" if not f.allow_empty else "not a string", field=key,
                found=v, expected=_expected_text(f))
        return _BAD
    if f.pattern and v and not re.fullmatch(f.pattern, v):
        ctx.add("malformed value", field=key, found=v, expected=_expected_text(f))
        return _BAD
    return v


def _expected_choice(f: Field) -> str:
    return f"one of {list(f.choices)}"


def _check_choice(f: Field, v: Any, ctx: _Ctx, key: str):
    if not isinstance(v, str) or v not in f.choices:
        close = difflib.get_close_matches(v, list(f.choices), n=1) if isinstance(v, str) else []
        ctx.add(f"unknown {key}" + (f"; did you mean {close[0]!r}?" if close else ""),
                field=key, found=v, expected=f.expected())
        return _BAD
    return v


def _check_bool(f: Field, v: Any, ctx: _Ctx, key: str):
    if not isinstance(v, bool):
        ctx.add("not true/false", field=key, found=v, expected="true or false")
        return _BAD
    return v


def _check_date(f: Field, v: Any, ctx: _Ctx, key: str):
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, str):
        try:
            return _dt.date.fromisoformat(v)
        except ValueError:
            pass
    ctx.add("not a date", field=key, found=v, expected="a date YYYY-MM-DD")
    return _BAD


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _check_month(f: Field, v: Any, ctx: _Ctx, key: str):
    if isinstance(v, _dt.date):
        return (v.year, v.month)
    m = _MONTH_RE.match(str(v)) if isinstance(v, str) else None
    if m and 1 <= int(m[2]) <= 12:
        return (int(m[1]), int(m[2]))
    ctx.add("bad month", field=key, found=v, expected="'YYYY-MM', e.g. '2024-03'")
    return _BAD


def _expected_unit(f: Field) -> str:
    return f.doc or (f"a unit convertible to {f.unit}" if f.unit else "a unit (carbon units)")


def _check_unit(f: Field, v: Any, ctx: _Ctx, key: str):
    from . import units as _units  # the unit registry is built on first use (cheap start-up)

    if not isinstance(v, str) or not v.strip():
        ctx.add("not a unit", field=key, found=v, expected=_expected_unit(f))
        return _BAD
    try:
        if f.unit:
            _units.conversion_factor(v, f.unit)
        else:
            _units.check_unit(v)
    except (UnitError, TypeError, AttributeError, ValueError) as exc:
        ctx.add(str(exc), field=key, found=v, expected=_expected_unit(f))
        return _BAD
    return v


def _expected_list(f: Field) -> str:
    n = f"{f.length} " if f.length else ""
    item = f.item.expected() if f.item else "values"
    return f.doc or f"a list of {n}items, each {item}"


def _check_list(f: Field, v: Any, ctx: _Ctx, key: str):
    if not isinstance(v, list):
        ctx.add("not a list", field=key, found=v, expected=_expected_list(f))
        return _BAD
    if f.length is not None and len(v) != f.length:
        ctx.add(f"needs {f.length} values", field=key, found=v, expected=_expected_list(f))
        return _BAD
    if f.item is None:
        return list(v)
    out, ok = [], True
    for i, x in enumerate(v):
        y = KINDS[f.item.kind].check(f.item, x, ctx, f"{key}[{i}]")
        ok &= y is not _BAD
        out.append(y)
    return out if ok else _BAD


def _sub(ctx: _Ctx, key: str) -> str:
    return f"{ctx.row}.{key}" if ctx.row else key


def _check_table(f: Field, v: Any, ctx: _Ctx, key: str):
    if not isinstance(v, Mapping):
        ctx.add("not a table", field=key, found=v, expected=f"a [{_sub(ctx, key)}] table")
        return _BAD
    assert f.table is not None, f"field {f.name!r} of kind 'table' declares no table"
    return _validate(f.table, v, ctx.at(_sub(ctx, key)))


def _check_rows(f: Field, v: Any, ctx: _Ctx, key: str):
    where = _sub(ctx, key)
    if not isinstance(v, list):
        ctx.add("not an array of tables", field=key, found=type(v).__name__,
                expected=f"[[{where}]] entries")
        return _BAD
    assert f.table is not None, f"field {f.name!r} of kind 'rows' declares no table"
    return _validate_rows(f.table, v, ctx, where)


def _check_map(f: Field, v: Any, ctx: _Ctx, key: str):
    base = _sub(ctx, key)
    if not isinstance(v, Mapping):
        ctx.add("not a table", field=key, found=v, expected=f"[{base}.<name>] tables")
        return _BAD
    out = {}
    for name, item in v.items():
        row = f"{base}.{name}"
        if f.pattern and not re.fullmatch(f.pattern, str(name)):
            ctx.add("malformed item name", row=row, found=name,
                    expected=f.doc or f"a name matching {f.pattern}")
            continue
        if not isinstance(item, Mapping):
            ctx.add("not a table", row=row, found=item, expected=f"a [{row}] table")
            continue
        assert f.table is not None, f"field {f.name!r} of kind 'map' declares no table"
        rec = _validate(f.table, item, ctx.at(row))
        if rec is not None:
            out[name] = rec
    return out


def _check_any(f: Field, v: Any, ctx: _Ctx, key: str):
    return v


#: Kind name -> checker. A checker returns the converted value or records a problem.
KINDS: dict[str, _Kind] = {
    "number": _Kind(_check_number, _expected_number, "number"),
    "integer": _Kind(_check_integer, _expected_number, "integer"),
    "text": _Kind(_check_text, _expected_text, "string"),
    "choice": _Kind(_check_choice, _expected_choice, "string"),
    "bool": _Kind(_check_bool, lambda f: "true or false", "boolean"),
    "date": _Kind(_check_date, lambda f: "a date YYYY-MM-DD", "date"),
    "month": _Kind(_check_month, lambda f: "'YYYY-MM'", "month"),
    "unit": _Kind(_check_unit, _expected_unit, "unit"),
    "list": _Kind(_check_list, _expected_list, "list"),
    "table": _Kind(_check_table, lambda f: f.doc or "a table", "table"),
    "rows": _Kind(_check_rows, lambda f: f.doc or "an array of tables", "array of tables"),
    "map": _Kind(_check_map, lambda f: f.doc or "named tables", "tables by name"),
    "any": _Kind(_check_any, lambda f: f.doc or "see its own reference", "table"),
}


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------


#: How close a name must be to a known one to be called its misspelling (difflib ratio): a
#: letter or two in a name of ten or more (``sharx`` for ``share``), never a different word.
MISSPELLING_CUTOFF = 0.85


def suggest(key: str, allowed: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The declared key closest to ``key`` (difflib), or None.

    Parameters
    ----------
    key : str
        The key as written.
    allowed : iterable of str
        The declared keys.
    cutoff : float
        The least similarity to count (:func:`difflib.get_close_matches`); 0.6 to suggest a key
        for one that is refused anyway, :data:`MISSPELLING_CUTOFF` to judge a name a misspelling.

    Returns
    -------
    str or None
        The closest declared key.

    Examples
    --------
    >>> suggest("gap_polcy", ["files", "gap_policy"])
    'gap_policy'
    """
    close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=cutoff)
    return close[0] if close else None


def unknown_key_problems(raw: Mapping, allowed: Iterable[str], *, file: str,
                         row: str | None) -> list[Problem]:
    """One problem per key of ``raw`` not in ``allowed``, each suggesting the closest valid key.

    Parameters
    ----------
    raw : mapping
        A parsed table.
    allowed : iterable of str
        Its declared keys.
    file : str
        The file, for the problems.
    row : str or None
        The table path, for the problems.

    Returns
    -------
    list of Problem
        Empty when every key is declared.
    """
    allowed = list(allowed)
    out = []
    for key in raw:
        if key in allowed:
            continue
        close = suggest(key, allowed)
        out.append(Problem(file, f"unknown key {key!r}" +
                           (f"; did you mean {close!r}?" if close else ""),
                           row=row, field=str(key), expected=f"one of {sorted(allowed)}"))
    return out


def _validate(table: Table, raw: Mapping, ctx: _Ctx) -> dict[str, Any] | None:
    ctx.problems.extend(unknown_key_problems(raw, table.keys(), file=ctx.file, row=ctx.row))
    out: dict[str, Any] = {}
    for f in table.fields:
        if f.name not in raw:
            if f.required:
                ctx.add("missing key", field=f.name, expected=f.doc or f.expected())
                out[f.name] = None
            else:
                out[f.name] = f.default
            continue
        value = KINDS[f.kind].check(f, raw[f.name], ctx, f.name)
        out[f.name] = None if value is _BAD else value
    for f in table.fields:  # a stated unit: convert the value to the declared canonical unit
        if f.unit_key and f.unit and f.kind == "number" and out.get(f.name) is not None:
            text = raw.get(f.unit_key, f.unit)
            scale = _unit_scale(f, text, ctx)
            out[f.name] = None if scale is None else out[f.name] * scale
            out.setdefault(f.unit_key, text)
    for key in table.keys():
        if key not in out and key in raw:
            out[key] = raw[key]
    return out


def _unit_scale(f: Field, text: Any, ctx: _Ctx, cache: dict | None = None) -> float | None:
    from . import units as _units

    assert f.unit is not None

    if cache is not None and (f.name, text) in cache:
        return cache[(f.name, text)]
    try:
        scale: float | None = _units.conversion_factor(text, f.unit)
    except (UnitError, TypeError, AttributeError, ValueError) as exc:
        scale = None
        ctx.add(f"unit does not fit {f.name!r} ({exc})", field=f.unit_key, found=text,
                expected=f"a unit convertible to {f.unit}")
    if cache is not None:
        cache[(f.name, text)] = scale
    return scale


def _validate_rows(table: Table, raw: Sequence, ctx: _Ctx, where: str
                   ) -> list[dict[str, Any] | None]:
    out: list[dict[str, Any] | None] = []
    for i, r in enumerate(raw):
        row = f"{where}[{i}]"
        if not isinstance(r, Mapping):
            ctx.add("not a table", row=row, found=r, expected=f"a [[{where}]] table")
            out.append(None)  # keep the positions: row i of the result is row i of the input
            continue
        out.append(_validate(table, r, ctx.at(row)))
    return out


def validate_into(table: Table, raw: Any, problems: list[Problem], *, file: str,
                  where: str | None = None, rows: bool | None = None) -> Any:
    """Like :func:`validate`, collecting problems into ``problems`` instead of raising.

    Returns the validated table (or rows, for ``table.rows``: one entry per input row, None for
    an entry that is not a table), with every declared key present (given, default, or None when
    invalid); None when ``raw`` is not a table at all. ``rows`` overrides ``table.rows`` (validate
    one row of a row table: ``rows=False``).

    Parameters
    ----------
    table : Table
        The declaration.
    raw : any
        As parsed by :mod:`tomllib`: a mapping, or a list of mappings for row tables.
    problems : list of Problem
        Every problem found is appended.
    file : str
        The file named in problems.
    where : str, optional
        The table path of ``raw``, named as the row of problems.
    rows : bool, optional
        Overrides ``table.rows``.
    """
    ctx = _Ctx(file, where, problems)
    if table.rows if rows is None else rows:
        name = where or table.name
        if not isinstance(raw, list):
            ctx.add(f"[[{name}]] must be an array of tables", row=None, field=name,
                    found=type(raw).__name__, expected=f"[[{name}]] entries")
            return []
        return _validate_rows(table, raw, _Ctx(file, None, problems), name)
    if not isinstance(raw, Mapping):
        ctx.add("not a table", field=where, row=None, found=type(raw).__name__,
                expected=f"a [{where or table.name}] table")
        return None
    return _validate(table, raw, ctx)


def validate(table: Table, raw: Any, *, file: str = "input", where: str | None = None,
             title: str | None = None) -> Any:
    """Validate ``raw`` against ``table``; return plain values or raise every problem at once.

    Parameters
    ----------
    table : Table
    raw : mapping or list of mappings
        As parsed by :mod:`tomllib`.
    file : str
        The file named in problems.
    where : str, optional
        The table path of ``raw`` (``"meters[0]"``), named as the row of problems.
    title : str, optional
        The title of the raised error (default: ``N problems in the input``).

    Raises
    ------
    InputError
        Every problem found: unknown keys (with the closest declared key), missing keys, wrong
        types, non-finite or out-of-range numbers, unknown choices, bad dates and units.
    """
    problems: list[Problem] = []
    out = validate_into(table, raw, problems, file=file, where=where)
    if problems:
        raise InputError(problems, title=title)
    return out


def validate_rows(table: Table, raw: Sequence, *, file: str, where: str,
                  problems: list[Problem]) -> list[dict[str, Any] | None]:
    """Validate an array of tables (rows labelled ``where[i]``), collecting problems.

    Parameters
    ----------
    table : Table
        The declaration of one row.
    raw : sequence
        The array of tables.
    file : str
        The file named in problems.
    where : str
        The array's table path; row ``i`` is labelled ``where[i]``.
    problems : list of Problem
        Every problem found is appended.

    Returns
    -------
    list of dict or None
        One validated row per input row (None where the entry is not a table).
    """
    return _validate_rows(table, raw, _Ctx(file, None, problems), where)


# --------------------------------------------------------------------------------------------------
# Rows as arrays (sector plugins)
# --------------------------------------------------------------------------------------------------

#: Keys every sector row may carry besides its declared fields.
ROW_EXTRAS = ("note", "evidence")


def rows_to_arrays(table: Table, raw: list, where: str, file: str, problems: list[Problem],
                   single: bool = False) -> Rows:
    """Validate rows and return them as arrays in canonical units (one float per distinct unit).

    Parameters
    ----------
    table : Table
    raw : list of mapping
    where : str
        The rows' table path; row ``i`` is labelled ``where[i]`` (``where`` itself if ``single``).
    file : str
        The file named in problems.
    problems : list of Problem
        Every problem found is appended (duplicate ids, unknown keys, bad values and units).
    single : bool
        ``raw`` holds the one table of a single (not row) table: no ``id`` key, no ``[i]`` labels.

    Returns
    -------
    Rows
        Numbers as float64 in ``Field.unit`` (NaN where not given and no default), booleans as
        bool, the rest as object arrays.
    """
    fields = table.field_map()
    allowed = table.keys() + ([] if single else ["id"]) + list(ROW_EXTRAS)
    n = len(raw)
    labels = [where if single else f"{where}[{i}]" for i in range(n)]
    ids = [str(r.get("id", f"{table.name}[{i}]")) if not single else table.name
           for i, r in enumerate(raw)]
    if not single:
        seen: dict[str, int] = {}
        for i, rid in enumerate(ids):
            if rid in seen:
                problems.append(Problem(file, f"duplicate row id (also row {seen[rid]})",
                                        row=labels[i], field="id", found=rid,
                                        expected="ids unique within the table"))
            seen.setdefault(rid, i)
    for i, r in enumerate(raw):
        problems.extend(unknown_key_problems(r, allowed, file=file, row=labels[i]))
    cache: dict[tuple[str, Any], float | None] = {}
    columns: dict[str, np.ndarray] = {}
    given: dict[str, np.ndarray] = {}
    for f in fields.values():
        given[f.name] = np.array([f.name in r for r in raw], dtype=bool)
        if f.kind == "number":
            col = np.full(n, np.nan if f.default is None else float(f.default))
        elif f.kind == "bool":
            col = np.full(n, bool(f.default), dtype=bool)
        else:
            col = np.full(n, f.default, dtype=object)
        for i, r in enumerate(raw):
            ctx = _Ctx(file, labels[i], problems)
            if f.name not in r:
                if f.required:
                    ctx.add("missing key", field=f.name, expected=f.doc or f.expected())
                continue
            v = KINDS[f.kind].check(f, r[f.name], ctx, f.name)
            if v is _BAD:
                continue
            if f.kind == "number" and f.unit and f.unit_key:
                scale = _unit_scale(f, r.get(f.unit_key, f.unit), ctx, cache)
                if scale is None:
                    continue
                v = v * scale
            col[i] = v
        columns[f.name] = col
    return Rows(table.name, ids, labels, columns, given)


# --------------------------------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------------------------------


def _type_text(f: Field) -> str:
    if f.kind == "choice":
        return " | ".join(f"`{c}`" for c in f.choices)
    if f.kind in ("number", "integer"):
        text = KINDS[f.kind].type_name
        bounds = _bounds_text(f)
        if bounds:
            text += " " + bounds
        if f.unit:
            text += f" [{f.unit}]"
        return text
    if f.kind == "list" and f.item is not None:
        inner = _type_text(f.item)
        return f"list of {f.length} × {inner}" if f.length else f"list of {inner}"
    if f.kind == "unit" and f.unit:
        return f"unit (→ {f.unit})"
    return KINDS[f.kind].type_name


def _default_text(f: Field) -> str:
    if f.required:
        return "**required**"
    if f.default is None or f.default in ("", [], (), {}):
        return ""
    if isinstance(f.default, bool):
        return "`true`" if f.default else "`false`"
    return f"`{f.default}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(table: Table, title: str, *, path: str = "", level: int = 3,
                skip: Iterable[str] = ()) -> str:
    """The field reference of ``table`` as Markdown: one section per (nested) table.

    Parameters
    ----------
    table : Table
    title : str
        The section heading (``"[[meters]]"``, ``"Top level"``).
    path : str
        The table's dotted TOML path (``"evidence"``; ``""`` for the top level), for the headings
        of nested tables.
    level : int
        Heading level of the first section.
    skip : iterable of str
        Field names documented elsewhere (their row still appears, without a sub-section).
    """
    skip = set(skip)
    lines = [f"{'#' * level} {title}", ""]
    if table.doc:
        lines += [table.doc, ""]
    lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
    nested: list[Field] = []
    for f in table.fields:
        meaning = f.doc or (f.table.doc if f.table is not None else "")
        if f.unit_key:
            meaning += f" (unit in `{f.unit_key}`)"
        lines.append(f"| `{f.name}` | {_cell(_type_text(f))} | {_default_text(f)} | "
                     f"{_cell(meaning)} |")
        if f.kind in ("table", "rows", "map") and f.table is not None and f.name not in skip:
            nested.append(f)
    for f in nested:
        assert f.table is not None
        sub = f"{path}.{f.name}" if path else f.name
        head = {"table": f"[{sub}]", "rows": f"[[{sub}]]", "map": f"[{sub}.<name>]"}[f.kind]
        inner = f"{sub}.<name>" if f.kind == "map" else sub
        lines += ["", to_markdown(f.table, head, path=inner, level=level + 1).rstrip()]
    return "\n".join(lines) + "\n"
