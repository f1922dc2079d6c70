"""Dates of the three-year record, checked rather than echoed.

The programme excludes a factory for events "in the last three years" (近三年). This module
decides, for each declared exclusion, whether it counts:

- the **window** is the three calendar years ending with the evaluation date's year (for a
  reporting year 2024 judged on 2024-12-31: 2022-01-01 .. 2024-12-31), or from the factory's
  establishment when that is later (a factory founded in 2023 has a record since then);
- an event declared with a date counts only inside the window; one outside it is reported and
  does not exclude; an event declared as occurred without a date counts (it cannot be placed);
- the declared record ``period`` ("2022-2024") must cover the window; a shorter period is a
  failed check, since the years it leaves out were never declared;
- **severity**: where the programme distinguishes it, only accidents of the declared grade or
  above exclude. For accidents the grades are those of the 生产安全事故报告和调查处理条例
  (国务院令第493号, 2007, Art. 3): 一般 general < 较大 larger < 重大 major < 特别重大 extraordinarily
  major; a programme's gate declares the lowest grade that excludes (``min_severity`` of an
  exclusion in its ``eligibility.toml``).

Every function is pure; :mod:`carbon_core.scoring.evidence` calls :func:`judge_exclusion` and
:func:`period_problem`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Window", "record_window", "judge_exclusion", "period_problem", "SEVERITY_GRADES",
           "severity_rank"]

#: Accident grades, lowest first (生产安全事故报告和调查处理条例, 国务院令第493号, Art. 3).
SEVERITY_GRADES = ("一般", "较大", "重大", "特别重大")
_SEVERITY_EN = {"general": "一般", "larger": "较大", "major": "重大",
                "extraordinarily_major": "特别重大", "especially_major": "特别重大"}


@dataclass(frozen=True)
class Window:
    """The record window [start, end], both inclusive.

    Attributes
    ----------
    start : datetime.date
        The first day of the window.
    end : datetime.date
        The last day (the evaluation date).
    """

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()} .. {self.end.isoformat()}"

    @property
    def years(self) -> range:
        """Calendar years the window covers in full or up to its end on 31 December; a last
        year of which only days have passed (an as-of date of 1 January) is not required."""
        last = self.end.year if (self.end.month, self.end.day) == (12, 31) else self.end.year - 1
        return range(self.start.year, last + 1)


def record_window(as_of: dt.date, years: int = 3, established: dt.date | None = None) -> Window:
    """The window of the last ``years`` calendar years ending on ``as_of``.

    Parameters
    ----------
    as_of : datetime.date
        The evaluation date: the window's last day.
    years : int
        Calendar years of the record, the last one being ``as_of``'s year (the programme's
        近三年: 3).
    established : datetime.date, optional
        When the factory was established; a later day starts the window there.

    Returns
    -------
    Window
        From 1 January of year ``as_of.year - years + 1`` (or ``established``) to ``as_of``.

    Examples
    --------
    >>> str(record_window(dt.date(2024, 12, 31)))
    '2022-01-01 .. 2024-12-31'
    >>> str(record_window(dt.date(2024, 12, 31), established=dt.date(2023, 5, 1)))
    '2023-05-01 .. 2024-12-31'
    """
    start = dt.date(as_of.year - years + 1, 1, 1)
    if established is not None and established > start:
        start = established
    return Window(start, as_of)


def severity_rank(text: str) -> int | None:
    """Index of a grade in :data:`SEVERITY_GRADES` (Chinese or English name), None if unknown.

    Parameters
    ----------
    text : str
        一般, 较大, 重大 or 特别重大 (a trailing 事故 is ignored), or ``general``, ``larger``,
        ``major``, ``extraordinarily major`` / ``especially major`` (any case).

    Returns
    -------
    int or None
        0 (一般) to 3 (特别重大).

    References
    ----------
    生产安全事故报告和调查处理条例 (国务院令第493号, 2007), Art. 3: the four grades of accidents.

    Examples
    --------
    >>> severity_rank("较大事故"), severity_rank("Major"), severity_rank("minor")
    (1, 2, None)
    """
    t = str(text).strip()
    t = _SEVERITY_EN.get(t.lower().replace(" ", "_"), t)
    t = t.removesuffix("事故")
    return SEVERITY_GRADES.index(t) if t in SEVERITY_GRADES else None


def judge_exclusion(occurred: bool | None, date: dt.date | None, window: Window, *,
                    severity: str = "", min_severity: str | None = None) -> tuple[bool, str]:
    """Whether a declared exclusion keeps the factory out, and why.

    An item not declared fails; one declared not occurred passes; one that occurred on a date
    outside the window passes (and is reported); one that occurred in the window, or without a
    date, fails, unless the exclusion is graded (``min_severity``) and the declared grade is
    below it. An undeclared or unknown grade of a graded exclusion counts (fails).

    Parameters
    ----------
    occurred : bool or None
        Whether it happened; None: not declared.
    date : datetime.date or None
        When it happened, if declared.
    window : Window
        The record window (:func:`record_window`).
    severity : str
        The declared grade (:func:`severity_rank` names), empty if none.
    min_severity : str, optional
        The lowest grade that excludes, from the programme's gate; None: any grade excludes.

    Returns
    -------
    (passed, reason)
        ``passed`` True when the item does not exclude.

    Examples
    --------
    >>> w = record_window(dt.date(2024, 12, 31))
    >>> judge_exclusion(True, dt.date(2021, 6, 1), w)[0]     # before the window: reported only
    True
    >>> judge_exclusion(True, dt.date(2023, 6, 1), w)[0]
    False
    >>> judge_exclusion(True, dt.date(2023, 6, 1), w, severity="一般", min_severity="较大")[0]
    True
    """
    if occurred is None:
        return False, "not declared"
    if not occurred:
        return True, "declared not occurred"
    when = f" on {date.isoformat()}" if date else " (no date given)"
    if date is not None and date not in window:
        return True, (f"occurred{when}, outside the record window {window}: reported, "
                      "does not exclude")
    if min_severity is not None:
        need = severity_rank(min_severity)
        got = severity_rank(severity) if severity else None
        if severity and got is None:
            return False, (f"occurred{when}, severity {severity!r} is not a grade of "
                           f"{'/'.join(SEVERITY_GRADES)}: counted")
        if got is not None and need is not None and got < need:
            return True, (f"occurred{when}, severity {severity} below {min_severity}: "
                          "does not exclude")
        if got is None:
            return False, f"occurred{when}, severity not declared: counted"
    return False, f"occurred{when}, inside the record window {window}"


_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*(?:[-–~至到]\s*(\d{4}))?\s*(?:年)?\s*$")


def period_problem(period: str, window: Window) -> str | None:
    """Why the declared record period does not cover the window, or None when it does.

    Parameters
    ----------
    period : str
        The declared ``period`` of ``[evidence.record]``: ``"YYYY"`` or ``"YYYY-YYYY"`` (also
        with –, ~, 至, 到 and a trailing 年); empty: nothing to check.
    window : Window
        The record window; every year of :attr:`Window.years` must be in the period.

    Returns
    -------
    str or None
        The problem in words (not a period, or the years left out); None when it covers.

    Examples
    --------
    >>> w = record_window(dt.date(2024, 12, 31))
    >>> period_problem("2022-2024", w) is None
    True
    >>> period_problem("2023-2024", w)
    "declared record period '2023-2024' does not cover the window 2022-01-01 .. 2024-12-31 (years 2022 not declared)"
    """
    if not period:
        return None  # no period declared: the items speak for the window as a whole
    m = _PERIOD_RE.match(str(period))
    if not m:
        return f"declared record period {period!r} is not YYYY-YYYY"
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    missing = [y for y in window.years if not first <= y <= last]
    if missing:
        return (f"declared record period {period!r} does not cover the window {window} "
                f"(years {', '.join(map(str, missing))} not declared)")
    return None
