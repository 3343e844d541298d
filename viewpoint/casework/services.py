"""Named operations on children's records: what a caseload shows, a child's timeline,
and acting on alerts. Views check permission and call these; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..auth.permissions import visible_children
from ..models import (
    Alert,
    Child,
    Feedback,
    Invitation,
    InvitationState,
    Plan,
    Response,
    Review,
    Role,
    User,
    utcnow,
)
from ..operations import alerts as alerts_rules

#: How a review stands for the child's views.
VIEWS_IN = "in"  #: the child's answers were sent before the review
VIEWS_STARTED = "started"  #: the child has begun answering
VIEWS_ASKED = "asked"  #: a code was issued; nothing answered yet
VIEWS_NOT_ASKED = "not_asked"  #: no questionnaire sent for this review


@dataclass
class CaseloadRow:
    child: Child
    open_plans: list[Plan]
    next_review: Review | None
    views: str
    open_alerts: int
    overdue_alerts: int


def caseload(session: Session, user: User, today: date | None = None) -> list[CaseloadRow]:
    """The children ``user`` may see, with the facts a caseload needs, soonest review first.

    Five small queries whatever the caseload's size (no query per child).
    """
    today = today or date.today()
    now = utcnow()
    children = list(session.scalars(select(Child).where(visible_children(user))
                                    .order_by(Child.last_name, Child.first_name)))
    if not children:
        return []
    ids = [child.id for child in children]
    plans: dict[int, list[Plan]] = {}
    for plan in session.scalars(select(Plan).where(Plan.child_id.in_(ids),
                                                   Plan.ended_on.is_(None))
                                .order_by(Plan.started_on)):
        plans.setdefault(plan.child_id, []).append(plan)
    next_reviews: dict[int, Review] = {}
    for review, child_id in session.execute(
            select(Review, Plan.child_id).join(Plan, Plan.id == Review.plan_id)
            .where(Plan.child_id.in_(ids), Plan.ended_on.is_(None), Review.held_on.is_(None))
            .order_by(Review.due_on)):
        next_reviews.setdefault(child_id, review)
    views = _views_for_reviews(session, [r.id for r in next_reviews.values()])
    alerts: dict[int, tuple[int, int]] = {}
    overdue = alerts_rules.overdue_condition(now)
    for child_id, open_count, overdue_count in session.execute(
            select(Alert.child_id, func.count(),
                   func.count().filter(overdue))
            .where(Alert.child_id.in_(ids), Alert.closed_at.is_(None))
            .group_by(Alert.child_id)):
        alerts[child_id] = (open_count, overdue_count)
    rows = []
    for child in children:
        review = next_reviews.get(child.id)
        open_count, overdue_count = alerts.get(child.id, (0, 0))
        rows.append(CaseloadRow(child=child, open_plans=plans.get(child.id, []),
                                next_review=review,
                                views=views.get(review.id, VIEWS_NOT_ASKED) if review else
                                VIEWS_NOT_ASKED,
                                open_alerts=open_count, overdue_alerts=overdue_count))
    rows.sort(key=lambda row: (row.overdue_alerts == 0, row.open_alerts == 0,
                               row.next_review.due_on if row.next_review else date.max))
    return rows


def _views_for_reviews(session: Session, review_ids: list[int]) -> dict[int, str]:
    """For each review, how far the child's views have got (best invitation wins)."""
    if not review_ids:
        return {}
    rank = {InvitationState.SUBMITTED: 3, InvitationState.STARTED: 2,
            InvitationState.ISSUED: 1}
    label = {3: VIEWS_IN, 2: VIEWS_STARTED, 1: VIEWS_ASKED}
    now = utcnow()
    best: dict[int, int] = {}
    for review_id, state, expires_at in session.execute(
            select(Invitation.review_id, Invitation.state, Invitation.expires_at)
            .where(Invitation.review_id.in_(review_ids))):
        score = rank.get(state, 0)
        if state is not InvitationState.SUBMITTED and expires_at <= now:
            score = 0  # an expired code is as good as none
        best[review_id] = max(best.get(review_id, 0), score)
    return {review_id: label[score] for review_id, score in best.items() if score}


def views_for_review(session: Session, review: Review) -> str:
    return _views_for_reviews(session, [review.id]).get(review.id, VIEWS_NOT_ASKED)


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    record: Any
    extra: dict[str, Any] = field(default_factory=dict)


def child_timeline(session: Session, child: Child) -> list[TimelineEntry]:
    """Everything that happened about the child's views, newest first: invitations,
    responses, alerts and "you said, we did" messages."""
    entries: list[TimelineEntry] = []
    invitations = session.scalars(select(Invitation).where(Invitation.child_id == child.id)
                                  .options(selectinload(Invitation.issued_by)))
    for invitation in invitations:
        entries.append(TimelineEntry(invitation.issued_at, "invitation", invitation))
    responses = session.scalars(select(Response).where(Response.child_id == child.id))
    for response in responses:
        entries.append(TimelineEntry(response.submitted_at or response.started_at,
                                     "response", response))
    for alert in session.scalars(select(Alert).where(Alert.child_id == child.id)):
        entries.append(TimelineEntry(alert.raised_at, "alert", alert))
    for feedback in session.scalars(select(Feedback).where(Feedback.child_id == child.id)
                                    .options(selectinload(Feedback.written_by))):
        entries.append(TimelineEntry(feedback.written_at, "feedback", feedback))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


# --- alerts ---------------------------------------------------------------------------------

def open_alerts(session: Session, user: User) -> list[Alert]:
    """Open alerts on children ``user`` may see: overdue first, then the oldest first."""
    now = utcnow()
    alerts = list(session.scalars(
        select(Alert).join(Child, Child.id == Alert.child_id)
        .where(Alert.closed_at.is_(None), visible_children(user))
        .options(selectinload(Alert.child)).order_by(Alert.raised_at)))
    alerts.sort(key=lambda alert: not is_overdue(alert, now))
    return alerts


def recently_closed_alerts(session: Session, user: User, limit: int = 20) -> list[Alert]:
    return list(session.scalars(
        select(Alert).join(Child, Child.id == Alert.child_id)
        .where(Alert.closed_at.is_not(None), visible_children(user))
        .options(selectinload(Alert.child), selectinload(Alert.closed_by))
        .order_by(Alert.closed_at.desc()).limit(limit)))


def is_overdue(alert: Alert, now: datetime | None = None) -> bool:
    """Open, nobody has acknowledged it, and the working day it had has passed."""
    return alerts_rules.is_overdue(alert, now or utcnow())


def team_managers(session: Session, team_id: int) -> list[User]:
    return list(session.scalars(select(User).where(
        User.team_id == team_id, User.role == Role.TEAM_MANAGER, User.is_active.is_(True))))


def team_workers(session: Session, team_id: int) -> list[User]:
    return list(session.scalars(select(User).where(
        User.team_id == team_id, User.role == Role.SOCIAL_WORKER, User.is_active.is_(True))
        .order_by(User.display_name)))


def reviewing_officers(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(
        User.role == Role.REVIEWING_OFFICER, User.is_active.is_(True))
        .order_by(User.display_name)))
