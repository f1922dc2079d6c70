"""Working days on the Chinese statutory calendar (holidays and adjusted working days, 调休).

The calendar is the ``chinesecalendar`` package (import name ``chinese_calendar``), which encodes
each year's State Council General Office notice of holidays (国务院办公厅关于某年部分节假日安排的
通知). A date in a year the package does not know is a :class:`CalendarError`, never a guess.

Periods are counted as the Civil Code counts them (中华人民共和国民法典 第二百零一条): the opening
day is not counted and the period runs from the next day, unless the procedure says
``count_opening_day = true``.

References
----------
国务院办公厅关于2024年部分节假日安排的通知 (2023-10-25): 春节 2月10日至17日放假调休, 2月4日
(星期日)、2月18日(星期日)上班; 国庆节 10月1日至7日, 9月29日(星期日)、10月12日(星期六)上班.
国务院办公厅关于2025年部分节假日安排的通知, 国办发明电〔2024〕12号 (2024-11-12): 春节 1月28日至
2月4日, 1月26日(周日)、2月8日(周六)上班; 国庆节、中秋节 10月1日至8日, 9月28日(周日)、
10月11日(周六)上班.

Examples
--------
>>> import datetime as dt
>>> add_working_days(dt.date(2024, 2, 6), 7)     # over the 2024 Spring Festival
datetime.date(2024, 2, 21)
>>> is_working_day(dt.date(2024, 2, 18))         # a Sunday made a working day (调休)
True
"""

from __future__ import annotations

import datetime as dt
import functools

from .errors import CalendarError

__all__ = ["is_working_day", "add_working_days", "calendar_years", "add_years"]


@functools.lru_cache(maxsize=1)
def calendar_years() -> tuple[int, int]:
    """The first and last year the installed calendar knows.

    Returns
    -------
    tuple of int
        ``(first, last)`` [calendar years].
    """
    from chinese_calendar import constants

    days = list(constants.holidays) + list(constants.workdays)
    return min(days).year, max(days).year


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day (weekdays and 调休 Saturdays/Sundays, not holidays).

    Parameters
    ----------
    day : datetime.date
        The day.

    Returns
    -------
    bool
        True on a working day of the State Council's holiday arrangement (国务院办公厅 节假日安排
        notices, as the ``chinesecalendar`` package records them).

    Raises
    ------
    CalendarError
        ``day`` is in a year the calendar does not know.
    """
    first, last = calendar_years()
    if not first <= day.year <= last:
        raise CalendarError(f"{day.isoformat()} is outside the working-day calendar "
                            f"(chinesecalendar knows {first}-{last}); the register never guesses "
                            "holidays: update the chinesecalendar package")
    import chinese_calendar

    return bool(chinese_calendar.is_workday(day))


def add_working_days(start: dt.date, n: int, *, count_opening_day: bool = False) -> dt.date:
    """The last day of a period of ``n`` working days opened on ``start``.

    Parameters
    ----------
    start : datetime.date
        The day the period opens (a notice's publication day).
    n : int
        Length [working days], at least 1.
    count_opening_day : bool
        Count ``start`` itself when it is a working day (``自公告发布之日起``); default False
        (民法典 第二百零一条: the opening day is not counted).

    Returns
    -------
    datetime.date
        The period's last day (objections are accepted through it).

    Raises
    ------
    CalendarError
        Any day needed lies outside the calendar's years.

    References
    ----------
    中华人民共和国民法典 (Civil Code of the People's Republic of China, 2020), 第二百零一条 (the
    opening day of a period is not counted); the State Council's holiday notices (国务院办公厅
    节假日安排) listed in the module docstring.
    """
    if n < 1:
        raise ValueError("a period of working days needs n >= 1")
    day = start if count_opening_day else start + dt.timedelta(days=1)
    left = n
    while True:
        if is_working_day(day):
            left -= 1
            if left == 0:
                return day
        day += dt.timedelta(days=1)


def add_years(day: dt.date, years: int) -> dt.date:
    """The corresponding day ``years`` later; the month's last day when there is none.

    民法典 第二百零二条: 按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，
    月末日为期间的最后一日.

    Parameters
    ----------
    day : datetime.date
        The first day of the period.
    years : int
        Length of the period [years].

    Returns
    -------
    datetime.date

    References
    ----------
    中华人民共和国民法典 (Civil Code of the People's Republic of China, 2020), 第二百零二条.

    Examples
    --------
    >>> add_years(dt.date(2024, 2, 29), 3)
    datetime.date(2027, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)
