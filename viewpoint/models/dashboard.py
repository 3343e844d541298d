"""The anonymised totals dashboards read, kept up to date as responses and reviews change.

Dashboards never read answers: a page reads a few hundred rows of these totals whether
the council holds ten thousand responses or ten million. ``viewpoint dashboards rebuild``
recomputes every row from the source records.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DashboardEntry(Base):
    """A submitted response as the totals count it: the child's circumstances on the day they
    answered and what each indicator came to. No answers and no free text."""

    __tablename__ = "dashboard_entry"
    __table_args__ = (Index("ix_dashboard_entry_child_submitted", "child_id", "submitted_on"),)

    #: The response counted.
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    #: Whose response; a child counts once per period, by their latest response in it.
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    #: The day (UK time) the child finished; decides the period.
    submitted_on: Mapped[date]
    #: Age band answered in.
    band: Mapped[str] = mapped_column(String(8))
    #: The plan the response belongs to, when it was answered.
    plan_kind: Mapped[str] = mapped_column(String(32))
    #: The child's gender, ethnicity group, placement and team when they answered
    #: ("none" for plans without a placement).
    gender: Mapped[str] = mapped_column(String(32))
    ethnicity_group: Mapped[str] = mapped_column(String(32))
    placement: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int]
    #: The child's record key (see ``Child.record_key``), added to the totals' key sums.
    record_key: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: True while this is the child's latest response in its quarter (it is the one counted).
    counted_in_quarter: Mapped[bool] = mapped_column(default=True)
    #: True while this is the child's latest response in its financial year.
    counted_in_year: Mapped[bool] = mapped_column(default=True)
    #: Indicator id -> [outcome, scale value or null]; outcome is one of
    #: "positive", "not_positive", "declined", "skipped".
    outcomes: Mapped[dict[str, Any]]


class IndicatorTotal(Base):
    """How many children's latest responses in a period came to each outcome on an indicator,
    for one plan kind and one value of one breakdown (``dimension`` "all" is everyone)."""

    __tablename__ = "indicator_total"

    #: "quarter" or "year" (financial: quarters start in April, July, October, January).
    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: The first day of the period.
    period_start: Mapped[date] = mapped_column(primary_key=True)
    #: The indicator's id.
    indicator: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The plan kind of the responses counted.
    plan_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: "all", "band", "gender", "ethnicity_group", "placement" or "team".
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The breakdown's value ("all" for dimension "all"; a team's id as text).
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: Children whose answer counts as positive.
    positive: Mapped[int] = mapped_column(default=0)
    #: Children who answered otherwise.
    not_positive: Mapped[int] = mapped_column(default=0)
    #: Children who chose "I'd rather not say".
    declined: Mapped[int] = mapped_column(default=0)
    #: Children who were asked and left it unanswered.
    skipped: Mapped[int] = mapped_column(default=0)
    #: Sum and number of answers on a scale (for the mean).
    scale_sum: Mapped[int] = mapped_column(default=0)
    scale_count: Mapped[int] = mapped_column(default=0)
    #: The sums of the record keys of the children counted in each outcome: the cell keys
    #: that decide how each published figure is rounded (taken modulo 256 when read).
    positive_key: Mapped[int] = mapped_column(BigInteger, default=0)
    not_positive_key: Mapped[int] = mapped_column(BigInteger, default=0)
    declined_key: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped_key: Mapped[int] = mapped_column(BigInteger, default=0)


class ReviewCoverage(Base):
    """Whether the child's views were in before a review that has been held, as last counted."""

    __tablename__ = "review_coverage"

    #: The review.
    review_id: Mapped[int] = mapped_column(
        ForeignKey("review.id", ondelete="CASCADE"), primary_key=True)
    #: First day of the quarter it was held in.
    quarter_start: Mapped[date]
    #: The child's team and the plan kind when it was counted.
    team_id: Mapped[int]
    plan_kind: Mapped[str] = mapped_column(String(32))
    #: "views_before", "asked_no_views" (asked, nothing in by the review) or "not_asked".
    status: Mapped[str] = mapped_column(String(16))
    #: The child's record key, added to the coverage totals' key sums.
    record_key: Mapped[int] = mapped_column(SmallInteger, default=0)


class CoverageTotal(Base):
    """Reviews held in a quarter by one team under one plan kind, and whether views were in."""

    __tablename__ = "coverage_total"

    quarter_start: Mapped[date] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(primary_key=True)
    plan_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: Reviews held.
    held: Mapped[int] = mapped_column(default=0)
    #: Reviews with the child's views submitted by the day of the review.
    views_before: Mapped[int] = mapped_column(default=0)
    #: Reviews the child was asked for (a code issued) but had no views in by the day.
    asked_no_views: Mapped[int] = mapped_column(default=0)
    #: Reviews with no code issued at all.
    not_asked: Mapped[int] = mapped_column(default=0)
    #: Sums of the record keys of the children whose reviews are counted in each status.
    views_before_key: Mapped[int] = mapped_column(BigInteger, default=0)
    asked_no_views_key: Mapped[int] = mapped_column(BigInteger, default=0)
    not_asked_key: Mapped[int] = mapped_column(BigInteger, default=0)


class Release(Base):
    """A period whose figures have been published. Figures are published once, when the
    period has ended and settled, and never change afterwards: someone comparing the
    dashboard before and after a child answers sees nothing move."""

    __tablename__ = "release"

    #: "quarter" or "year".
    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: The first day of the period.
    period_start: Mapped[date] = mapped_column(primary_key=True)
    #: When the figures were worked out and stored.
    published_at: Mapped[datetime]


class PublishedIndicator(Base):
    """The protected counts published for one indicator, plan kind and breakdown value in a
    released period: each a multiple of 5, rounded by the cell key method, consistent with
    each other (a breakdown's values add up to its total). Every figure on the dashboards for
    that period is a sum of these; the exact counts are never read again for it."""

    __tablename__ = "published_indicator"

    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: As in ``indicator_total`` ("all" for the plan kind's total).
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: Children answering positively, otherwise, and declining or skipping (protected).
    positive: Mapped[int] = mapped_column(default=0)
    not_positive: Mapped[int] = mapped_column(default=0)
    declined_or_skipped: Mapped[int] = mapped_column(default=0)


class PublishedCoverage(Base):
    """The protected coverage counts published for one team and plan kind in a released
    quarter (reviews held is their sum)."""

    __tablename__ = "published_coverage"

    quarter_start: Mapped[date] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(primary_key=True)
    plan_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    views_before: Mapped[int] = mapped_column(default=0)
    asked_no_views: Mapped[int] = mapped_column(default=0)
    not_asked: Mapped[int] = mapped_column(default=0)
