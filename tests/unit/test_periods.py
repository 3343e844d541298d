"""Reporting periods follow the council's financial year, and days follow the UK clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from viewpoint.periods import (
    QUARTER,
    YEAR,
    Period,
    parse_period,
    quarter_of,
    quarters_ending,
    uk_date,
    uk_midnight_after,
    year_of,
)


@pytest.mark.parametrize(("day", "key", "number"), [
    (date(2026, 4, 1), "2026-27-Q1", 1),
    (date(2026, 6, 30), "2026-27-Q1", 1),
    (date(2026, 7, 1), "2026-27-Q2", 2),
    (date(2026, 12, 31), "2026-27-Q3", 3),
    (date(2027, 1, 1), "2026-27-Q4", 4),
    (date(2027, 3, 31), "2026-27-Q4", 4),
])
def test_quarters_are_financial_quarters_from_april(day: date, key: str, number: int) -> None:
    quarter = quarter_of(day)
    assert (quarter.key, quarter.number) == (key, number)
    assert quarter.contains(day) and not quarter.contains(quarter.end)
    assert parse_period(key) == quarter


def test_a_financial_year_runs_from_april_to_march() -> None:
    year = year_of(date(2027, 2, 14))
    assert year == Period(YEAR, date(2026, 4, 1))
    assert (year.key, year.end) == ("2026-27", date(2027, 4, 1))
    assert parse_period("2026-27") == year
    assert year_of(date(2027, 4, 1)).key == "2027-28"


@pytest.mark.parametrize("key", ["", "2026", "2026-28", "2026-27-Q5", "26-27", "2026-27-q1",
                                 "2099-00-Q1 "])
def test_keys_that_name_no_period_are_refused(key: str) -> None:
    assert parse_period(key) is None


def test_the_year_ending_in_march_2100_has_a_key_too() -> None:
    assert parse_period("2099-00") == Period(YEAR, date(2099, 4, 1))


def test_eight_quarters_end_with_the_one_asked_for() -> None:
    quarters = quarters_ending(quarter_of(date(2026, 11, 21)), 8)
    assert [q.key for q in quarters] == [
        "2024-25-Q4", "2025-26-Q1", "2025-26-Q2", "2025-26-Q3", "2025-26-Q4", "2026-27-Q1",
        "2026-27-Q2", "2026-27-Q3"]
    assert all(q.kind == QUARTER for q in quarters)


def test_a_response_just_after_midnight_in_summer_belongs_to_the_uk_day() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in the UK (summer time): the next quarter.
    moment = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert uk_date(moment) == date(2026, 7, 1)
    assert quarter_of(uk_date(moment)).key == "2026-27-Q2"
    assert uk_midnight_after(date(2026, 6, 30)) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert uk_midnight_after(date(2026, 12, 31)) == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
