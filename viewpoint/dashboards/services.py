"""The dashboards' few named reads that are not totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from ..models import Child, Plan, Response, Review, User
from ..operations.feedback import SharedExample, shared_examples
from ..periods import uk_midnight_after

__all__ = ["SharedExample", "children_without_views", "shared_examples"]

#: The list shows this many children at most, soonest review first.
LIST_LIMIT = 200


@dataclass(frozen=True)
class WithoutViews:
    child: Child
    #: When their views were last in, if ever.
    last_views: datetime | None
    #: The next review not yet held, if one is recorded.
    next_review: date | None
    social_worker: User | None


@dataclass(frozen=True)
class WithoutViewsPage:
    rows: list[WithoutViews]
    #: How many children in all (the list stops at :data:`LIST_LIMIT`).
    total: int


def children_without_views(session: Session, team_id: int | None,
                           since: date) -> WithoutViewsPage:
    """Children of ``team_id`` with an open plan and no response submitted since ``since``,
    soonest review first (children with no review recorded last)."""
    if team_id is None:
        return WithoutViewsPage([], 0)
    cutoff = uk_midnight_after(since)
    recent = exists().where(Response.child_id == Child.id, Response.submitted_at >= cutoff)
    open_plan = exists().where(Plan.child_id == Child.id, Plan.ended_on.is_(None))
    condition = and_(Child.team_id == team_id, open_plan, ~recent)
    total = session.scalar(select(func.count()).select_from(Child).where(condition)) or 0
    next_review = (select(func.min(Review.due_on)).join(Plan, Plan.id == Review.plan_id)
                   .where(Plan.child_id == Child.id, Plan.ended_on.is_(None),
                          Review.held_on.is_(None)).scalar_subquery())
    last_views = (select(func.max(Response.submitted_at))
                  .where(Response.child_id == Child.id).scalar_subquery())
    rows = session.execute(
        select(Child, next_review.label("next_review"), last_views.label("last_views"))
        .where(condition)
        .order_by(next_review.is_(None), next_review, Child.last_name, Child.first_name)
        .limit(LIST_LIMIT)).all()
    workers = {user.id: user for user in session.scalars(select(User).where(
        User.id.in_({child.social_worker_id for child, _n, _l in rows if child.social_worker_id})))}
    return WithoutViewsPage(
        [WithoutViews(child=child, next_review=due, last_views=last,
                      social_worker=workers.get(child.social_worker_id or 0))
         for child, due, last in rows], total)

