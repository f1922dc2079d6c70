"""Working days on the Chinese statutory calendar, checked by hand against the State Council
General Office's holiday notices (dates counted with the opening day not counted, 民法典 第二百零一条).

国务院办公厅关于2024年部分节假日安排的通知 (2023-10-25):
  春节 2月10日至17日放假调休, 2月4日(星期日)、2月18日(星期日)上班;
  端午节 6月10日放假;
  国庆节 10月1日至7日放假调休, 9月29日(星期日)、10月12日(星期六)上班.
国务院办公厅关于2025年部分节假日安排的通知, 国办发明电〔2024〕12号 (2024-11-12):
  春节 1月28日至2月4日放假调休, 1月26日(周日)、2月8日(周六)上班;
  国庆节、中秋节 10月1日至8日放假调休, 9月28日(周日)、10月11日(周六)上班.
"""

import datetime as dt

import pytest

from carbon_core.register import CalendarError, add_working_days, add_years, is_working_day

D = dt.date


@pytest.mark.parametrize("opened, ends, by_hand", [
    # 2024 Spring Festival: opened Tue 6 Feb; 7, 8, 9 Feb (除夕 9 Feb is a working day in 2024)
    # = 1-3; 10-17 Feb holiday; Sun 18 Feb 调休 = 4; 19, 20, 21 Feb = 5-7.
    (D(2024, 2, 6), D(2024, 2, 21), "7,8,9 | 18(Sun) 19 20 21"),
    # 2024 National Day: opened Fri 27 Sep; Sat 28 off; Sun 29 Sep 调休 = 1; 30 Sep = 2;
    # 1-7 Oct holiday; 8-11 Oct = 3-6; Sat 12 Oct 调休 = 7.
    (D(2024, 9, 27), D(2024, 10, 12), "29(Sun) 30 | 8 9 10 11 12(Sat)"),
    # 2025 Spring Festival: opened Fri 24 Jan; Sat 25 off; Sun 26 Jan 调休 = 1; 27 Jan = 2;
    # 28 Jan-4 Feb holiday; 5, 6, 7 Feb = 3-5; Sat 8 Feb 调休 = 6; Sun 9 off; Mon 10 Feb = 7.
    (D(2025, 1, 24), D(2025, 2, 10), "26(Sun) 27 | 5 6 7 8(Sat) 10"),
    # 2025 National Day and Mid-Autumn: opened Fri 26 Sep; Sun 28 Sep 调休 = 1; 29, 30 = 2-3;
    # 1-8 Oct holiday; 9, 10 Oct = 4-5; Sat 11 Oct 调休 = 6; Mon 13 Oct = 7.
    (D(2025, 9, 26), D(2025, 10, 13), "28(Sun) 29 30 | 9 10 11(Sat) 13"),
    # 2024 Dragon Boat: opened Tue 4 Jun; 5, 6, 7 = 1-3; Mon 10 Jun holiday; 11-14 = 4-7.
    (D(2024, 6, 4), D(2024, 6, 14), "5 6 7 | 11 12 13 14"),
])
def test_notice_end_dates_checked_by_hand(opened, ends, by_hand):
    assert add_working_days(opened, 7) == ends


def test_adjusted_working_days_and_holidays():
    assert is_working_day(D(2024, 2, 18))       # Sunday made a working day
    assert not is_working_day(D(2024, 2, 12))   # Monday inside the Spring Festival
    assert is_working_day(D(2025, 10, 11))      # Saturday made a working day
    assert not is_working_day(D(2025, 10, 8))   # Wednesday, holiday


def test_counting_the_opening_day():
    # 自公告发布之日起 (e.g. 芜湖市经信局's 2022 green factory notice): Tue 6 Feb 2024 counts.
    assert add_working_days(D(2024, 2, 6), 7, count_opening_day=True) == D(2024, 2, 20)


def test_outside_the_calendar_is_an_error():
    with pytest.raises(CalendarError, match="outside the working-day calendar"):
        add_working_days(D(2026, 12, 28), 7)   # runs into 2027, not in chinesecalendar 1.11
    with pytest.raises(CalendarError):
        is_working_day(D(2003, 5, 1))


def test_add_years_corresponding_day():
    assert add_years(D(2024, 6, 17), 3) == D(2027, 6, 17)
    assert add_years(D(2024, 2, 29), 3) == D(2027, 2, 28)   # 民法典 第二百零二条: month end
