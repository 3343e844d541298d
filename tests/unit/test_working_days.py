"""An alert must be acknowledged within one working day; weekends do not count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from viewpoint.operations.alerts import acknowledge_deadline


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 2 March 2026 (2 = Monday ... 8 = Sunday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("raised", "due"), [
    (at(2, 10), at(3, 10)),  # Monday morning: Tuesday morning
    (at(5, 16, 30), at(6, 16, 30)),  # Thursday afternoon: Friday afternoon
    (at(6, 15, 30), at(9, 15, 30)),  # Friday afternoon: Monday afternoon
    (at(6, 23, 59), at(9, 23, 59)),  # late on Friday: late on Monday
], ids=["monday", "thursday", "friday-afternoon", "friday-night"])
def test_an_alert_raised_on_a_working_day_is_due_a_working_day_later(raised: datetime,
                                                                     due: datetime) -> None:
    assert acknowledge_deadline(raised) == due


@pytest.mark.parametrize("raised", [at(7, 0, 1), at(7, 14), at(8, 9), at(8, 23, 59)],
                         ids=["saturday-night", "saturday", "sunday", "sunday-night"])
def test_an_alert_raised_at_the_weekend_is_due_by_the_end_of_monday(raised: datetime) -> None:
    assert acknowledge_deadline(raised) == at(10, 0)  # midnight between Monday and Tuesday


def test_the_deadline_keeps_the_time_zone() -> None:
    assert acknowledge_deadline(at(4, 12)).tzinfo is UTC
