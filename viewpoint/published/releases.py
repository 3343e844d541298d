"""Publishing a period: its protected figures worked out once, stored, and never changed.

Figures that change the moment a child answers give that child away to anyone who looks
before and after (the count that moved is the answer they gave), whatever protection each
figure has on its own. So the dashboards show a period only once it has ended and
:data:`SETTLE_DAYS` more have passed (reviews are often recorded a few days after they are
held), and then from a *release*: the protected counts worked out from the totals at that
moment and stored. Later changes to the records (a late recording, a correction, a record
destroyed under the retention schedule, a rebuild of the totals) do not move a published
figure, so there is nothing to compare.

The counts stored are those of :mod:`.disclosure`: for each plan kind, indicator and
breakdown value, the positive, not positive and "rather not say or skipped" counts, rounded
to multiples of 5 by their cell keys so that each breakdown adds up to its plan kind's total;
for each quarter, team and plan kind, the reviews in each coverage status likewise. Every
figure on the dashboards is a sum of these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import (
    CoverageTotal,
    IndicatorTotal,
    PublishedCoverage,
    PublishedIndicator,
    Release,
    utcnow,
)
from ..operations.totals import COVERAGE_STATUSES
from ..periods import QUARTER, Period
from .disclosure import round_parts, round_total

#: Days after a period ends before it is published.
SETTLE_DAYS = 14
#: Small categories are published together, as national statistics do, so that a figure
#: for them can be shown at all.
PUBLISHED_AS = {
    "gender": {"another": "another_or_not_recorded", "not_recorded": "another_or_not_recorded"},
    "ethnicity_group": {"other": "other_or_not_recorded", "not_recorded": "other_or_not_recorded"},
    "placement": {"secure": "other"},
}
#: What is published for each indicator cell, and the outcomes each is made of.
QUANTITIES = {"positive": ("positive",), "not_positive": ("not_positive",),
              "declined_or_skipped": ("declined", "skipped")}


def publishes_on(period: Period) -> date:
    """The day a period's figures are published."""
    return period.end + timedelta(days=SETTLE_DAYS)


def is_published(period: Period, today: date) -> bool:
    return today >= publishes_on(period)


def protect_indicator_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Protected counts for the ``indicator_total`` rows of one period (any indicators).

    Each plan kind's total ("all") is rounded on its own cell key; the values of each
    breakdown (small categories merged as :data:`PUBLISHED_AS` says) are then rounded to add
    up to it. Returns rows for ``published_indicator`` without the period columns.
    """
    cells: dict[tuple[str, str], dict[tuple[str, str], dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: {name: [0, 0] for name in QUANTITIES}))
    for row in rows:
        value = PUBLISHED_AS.get(row.dimension, {}).get(row.value, row.value)
        cell = cells[(row.indicator, row.plan_kind)][(row.dimension, value)]
        for name, outcomes in QUANTITIES.items():
            for outcome in outcomes:
                cell[name][0] += getattr(row, outcome)
                cell[name][1] += getattr(row, f"{outcome}_key")
    published = []
    for (indicator, plan_kind), groups in sorted(cells.items()):
        total = groups.get(("all", "all"))
        if total is None:
            continue
        rounded: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for name in QUANTITIES:
            count, key = total[name]
            whole = rounded[("all", "all")][name] = round_total(count, key)
            by_dimension: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
            for (dimension, value), cell in groups.items():
                if dimension != "all":
                    by_dimension[dimension][value] = (cell[name][0], cell[name][1])
            for dimension, parts in by_dimension.items():
                for value, number in round_parts(whole, parts).items():
                    rounded[(dimension, value)][name] = number
        published.extend({"indicator": indicator, "plan_kind": plan_kind, "dimension": dimension,
                          "value": value, **numbers}
                         for (dimension, value), numbers in sorted(rounded.items())
                         if any(numbers.values()))
    return published


def protect_coverage_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Protected coverage counts for the ``coverage_total`` rows of one quarter: each team and
    plan kind's reviews held rounded on its own cell key, its statuses rounded to add up to
    it. Returns rows for ``published_coverage`` without the quarter."""
    published = []
    for row in sorted(rows, key=lambda row: (row.team_id, row.plan_kind)):
        parts = {status: (getattr(row, status), getattr(row, f"{status}_key"))
                 for status in COVERAGE_STATUSES}
        held = round_total(sum(count for count, _key in parts.values()),
                           sum(key for _count, key in parts.values()))
        numbers = round_parts(held, parts)
        if any(numbers.values()):
            published.append({"team_id": row.team_id, "plan_kind": row.plan_kind, **numbers})
    return published


def publish(session: Session, period: Period, now: datetime | None = None) -> bool:
    """Store ``period``'s protected figures, unless they already are. Returns True if this
    call published them.

    Two requests publishing the same period at once (PostgreSQL) queue on the release's row:
    the second finds it there and stores nothing.
    """
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert(Release) if dialect == "postgresql" else sqlite.insert(Release))
    created = session.execute(statement.values(
        period_kind=period.kind, period_start=period.start, published_at=now or utcnow(),
    ).on_conflict_do_nothing().returning(Release.period_start)).first()
    if created is None:
        return False
    totals = IndicatorTotal.__table__
    rows = protect_indicator_rows(session.execute(select(totals).where(
        totals.c.period_kind == period.kind, totals.c.period_start == period.start)))
    if rows:
        session.execute(insert(PublishedIndicator), [
            {"period_kind": period.kind, "period_start": period.start, **row} for row in rows])
    if period.kind == QUARTER:
        coverage = CoverageTotal.__table__
        rows = protect_coverage_rows(session.execute(select(coverage).where(
            coverage.c.quarter_start == period.start)))
        if rows:
            session.execute(insert(PublishedCoverage), [
                {"quarter_start": period.start, **row} for row in rows])
    return True
