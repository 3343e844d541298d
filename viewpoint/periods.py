"""Reporting periods: financial quarters and years, as councils report to their panels.

A council's year runs from 1 April, so "Q1 2026-27" is April to June 2026. A response
belongs to the period of the day (UK time) the child finished it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

UK = ZoneInfo("Europe/London")
QUARTER, YEAR = "quarter", "year"
#: The financial year starts on 1 April.
FIRST_MONTH = 4

_KEY = re.compile(r"^(\d{4})-(\d{2})(?:-Q([1-4]))?$")


def uk_date(moment: datetime) -> date:
    """The calendar day in the UK at ``moment`` (an aware datetime)."""
    return moment.astimezone(UK).date()


def uk_midnight_after(day: date) -> datetime:
    """The first moment (in UTC) after ``day`` ends in the UK."""
    following = day + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=UK).astimezone(UTC)


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    #: The first day.
    start: date

    @property
    def end(self) -> date:
        """The first day after the period."""
        months = 3 if self.kind == QUARTER else 12
        month = self.start.month - 1 + months
        return date(self.start.year + month // 12, month % 12 + 1, 1)

    @property
    def financial_year(self) -> int:
        """The calendar year the financial year starts in."""
        return self.start.year if self.start.month >= FIRST_MONTH else self.start.year - 1

    @property
    def number(self) -> int:
        """The quarter's number in its financial year (1 = April to June)."""
        return ((self.start.month - FIRST_MONTH) % 12) // 3 + 1

    @property
    def key(self) -> str:
        """How the period is named in addresses and files: ``2026-27`` or ``2026-27-Q1``."""
        year = f"{self.financial_year}-{(self.financial_year + 1) % 100:02d}"
        return year if self.kind == YEAR else f"{year}-Q{self.number}"

    @property
    def label(self) -> str:
        year = f"{self.financial_year}-{(self.financial_year + 1) % 100:02d}"
        if self.kind == YEAR:
            return str(_l("Year %(year)s", year=year))
        return str(_l("Q%(number)d %(year)s", number=self.number, year=year))

    @property
    def dates(self) -> str:
        """The months it covers, in words ("April to June 2026")."""
        last = self.end - timedelta(days=1)
        return str(_l("%(first)s to %(last)s", first=format_date(self.start, "MMMM yyyy"),
                      last=format_date(last, "MMMM yyyy")))

    def previous(self) -> Period:
        months = 3 if self.kind == QUARTER else 12
        month = self.start.month - 1 - months
        return Period(self.kind, date(self.start.year + month // 12, month % 12 + 1, 1))

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def quarter_of(day: date) -> Period:
    return Period(QUARTER, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))


def year_of(day: date) -> Period:
    return Period(YEAR, date(day.year if day.month >= FIRST_MONTH else day.year - 1,
                             FIRST_MONTH, 1))


def period_of(kind: str, day: date) -> Period:
    return quarter_of(day) if kind == QUARTER else year_of(day)


def parse_period(key: str) -> Period | None:
    """The period a key names (``2026-27``, ``2026-27-Q3``), or None if it names none."""
    match = _KEY.match(key or "")
    if not match:
        return None
    first, second, number = int(match[1]), int(match[2]), match[3]
    if (first + 1) % 100 != second:
        return None
    if number is None:
        return Period(YEAR, date(first, FIRST_MONTH, 1))
    month = FIRST_MONTH + (int(number) - 1) * 3
    return Period(QUARTER, date(first + (month - 1) // 12, (month - 1) % 12 + 1, 1))


def quarters_ending(last: Period, count: int) -> list[Period]:
    """``count`` quarters, oldest first, ending with ``last``."""
    periods = [last]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]
