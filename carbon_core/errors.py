"""One error vocabulary for carbon_core.

Every error inherits both :class:`CarbonCoreError` and the builtin a caller would naturally catch
(``ValueError``, ``KeyError``...), as pint does with ``UndefinedUnitError(AttributeError, PintError)``.

Input problems are collected, not raised one at a time: :class:`InputError` carries every
:class:`Problem` found in a pass, each naming the file, row and field, what was found and what was
expected, so a user fixes all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = [
    "CarbonCoreError",
    "Problem",
    "InputError",
    "UnitError",
    "FactorNotFoundError",
    "PluginError",
    "ProblemCollector",
]


class CarbonCoreError(Exception):
    """Base class of every error raised by carbon_core."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Parameters
    ----------
    file : str
        The file (or logical source, e.g. ``"inventory"``) where the problem is.
    message : str
        What is wrong, in one sentence.
    row : int or str, optional
        1-based data row (CSV: header is row 1, first data row is row 2), or a TOML table path
        such as ``meters[3]``.
    field : str, optional
        The column or key.
    found : object, optional
        The value that was found.
    expected : str, optional
        What was expected instead.
    """

    file: str
    message: str
    row: int | str | None = None
    field: str | None = None
    found: Any = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field is not None:
            where += f", field {self.field!r}"
        text = f"{where}: {self.message}"
        if self.found is not None:
            text += f"; found {self.found!r}"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready mapping (``found`` as text).

        Returns
        -------
        dict
            ``file``, ``row``, ``field``, ``found``, ``expected`` and ``message``.
        """
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "found": None if self.found is None else str(self.found),
            "expected": self.expected,
            "message": self.message,
        }


class InputError(CarbonCoreError, ValueError):
    """Bad input: carries every problem found, not just the first.

    Parameters
    ----------
    problems : iterable of Problem, or str
        The problems found (kept on ``.problems``); a text is one problem of file ``"input"``.
    title : str or None
        The message's heading (default: the number of problems).

    Examples
    --------
    >>> err = InputError([Problem("meters.csv", "negative reading", row=7, field="value",
    ...                           found=-3.0, expected="a value >= 0")])
    >>> print(err)
    1 problem in the input:
      - meters.csv, row 7, field 'value': negative reading; found -3.0; expected a value >= 0
    """

    #: How many problems are listed in the message; the rest are on ``.problems``.
    max_listed = 50

    def __init__(self, problems: Iterable[Problem] | str, *, title: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(file="input", message=problems)]
        self.problems: list[Problem] = list(problems)
        self.title = title
        super().__init__(self._format())

    def _format(self) -> str:
        n = len(self.problems)
        head = self.title or f"{n} problem{'s' if n != 1 else ''} in the input"
        lines = [f"{head}:"]
        lines += [f"  - {p}" for p in self.problems[: self.max_listed]]
        if n > self.max_listed:
            lines.append(f"  ... and {n - self.max_listed} more (see .problems)")
        return "\n".join(lines)


class UnitError(CarbonCoreError, ValueError):
    """A unit that is unknown, ambiguous, or of the wrong dimension."""


class FactorNotFoundError(CarbonCoreError, KeyError):
    """No factor matches a lookup; the message names what was asked and what exists."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


class PluginError(CarbonCoreError, RuntimeError):
    """A plugin is broken, duplicated, or returned something outside the contract."""


@dataclass
class ProblemCollector:
    """Collect problems during a validation pass, then raise them all at once.

    Attributes
    ----------
    file : str
        The file the problems are in, unless :meth:`add` names another.
    problems : list of Problem
        The problems collected so far, in order.

    Examples
    --------
    >>> problems = ProblemCollector("inventory.toml")
    >>> problems.add("missing key", field="reporting_year", expected="an integer year")
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    carbon_core.errors.InputError: 1 problem in the input:
      - inventory.toml, field 'reporting_year': missing key; expected an integer year
    """

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, *, row=None, field=None, found=None, expected=None, file=None):
        """Record one problem.

        Parameters
        ----------
        message : str
            What is wrong.
        row : int or str or None
            The row (or table) of the file, when there is one.
        field : str or None
            The field (key, column) concerned.
        found : object
            The value found, when there is one.
        expected : str or None
            What would be accepted.
        file : str or None
            The file, when not the collector's :attr:`file`.
        """
        self.problems.append(
            Problem(file=file or self.file, message=message, row=row, field=field,
                    found=found, expected=expected)
        )

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record problems already made.

        Parameters
        ----------
        problems : iterable of Problem
            The problems, kept in order.
        """
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, title: str | None = None) -> None:
        """Raise :class:`InputError` with every problem collected, if there is any.

        Parameters
        ----------
        title : str or None
            The error's heading (default: the number of problems).

        Raises
        ------
        InputError
            When a problem was collected.
        """
        if self.problems:
            raise InputError(self.problems, title=title)
