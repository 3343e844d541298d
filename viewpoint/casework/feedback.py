""""You said, we did": a worker writes back about a child's answers; the child reads it
the next time they open a questionnaire.

Workers write here; the child's welcome page reads :func:`unseen_feedback_for_child` and the
child's next step marks what they were shown with :func:`mark_feedback_seen`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..models import Feedback, Response, User, utcnow

#: Fewer characters than this cannot say what was done.
MIN_LENGTH = 10
#: A child reads it on a tablet: long enough to explain, short enough to read.
MAX_LENGTH = 2000
#: The same words from the same worker about the same response within this time are one
#: message sent twice (a double click, a resent form), not two messages.
DUPLICATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Written:
    feedback: Feedback
    #: False when the same words had just been saved (a double submit): nothing new was stored.
    created: bool


@dataclass(frozen=True)
class NoteForChild:
    """What the child sees: who wrote, when, and the words."""

    id: int
    #: The worker's first name, or None if the account has gone.
    author: str | None
    written_at: datetime
    body: str


def clean_body(body: str) -> str:
    """The text as it will be stored: line endings made plain, outer space trimmed."""
    return body.replace("\r\n", "\n").replace("\r", "\n").strip()


def write_feedback(session: Session, response: Response, author: User, body: str,
                   now: datetime | None = None) -> Written:
    """Save what ``author`` wants the child to know about ``response``.

    The same words from the same author about the same response within
    :data:`DUPLICATE_WINDOW` return the row already saved. Raises ``ValueError`` if the
    text is shorter than :data:`MIN_LENGTH` or longer than :data:`MAX_LENGTH` characters.
    """
    text = clean_body(body)
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise ValueError(f"feedback must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    now = now or utcnow()
    # Two submits racing each other on PostgreSQL queue on the response's row here, so the
    # second sees the first one's row. (SQLite's write lock, taken at BEGIN, already does.)
    session.execute(select(Response.id).where(Response.id == response.id).with_for_update())
    existing = session.scalar(
        select(Feedback).where(Feedback.response_id == response.id,
                               Feedback.written_by_id == author.id, Feedback.body == text,
                               Feedback.written_at >= now - DUPLICATE_WINDOW)
        .order_by(Feedback.written_at.desc()).limit(1))
    if existing is not None:
        return Written(existing, created=False)
    feedback = Feedback(response_id=response.id, child_id=response.child_id,
                        written_by_id=author.id, body=text, written_at=now)
    session.add(feedback)
    session.flush()
    return Written(feedback, created=True)


def feedback_for_response(session: Session, response: Response) -> list[Feedback]:
    """Everything written back about ``response``, oldest first, with its authors."""
    return list(session.scalars(
        select(Feedback).options(joinedload(Feedback.written_by))
        .where(Feedback.response_id == response.id)
        .order_by(Feedback.written_at, Feedback.id)))


def first_name(user: User | None) -> str | None:
    """The name a child knows a worker by: the first word of their display name."""
    if user is None or not user.display_name.strip():
        return None
    return user.display_name.split()[0]


def unseen_feedback_for_child(session: Session, child_id: int) -> list[NoteForChild]:
    """What workers have written back to the child that the child has not seen, oldest first."""
    rows = session.scalars(
        select(Feedback).options(joinedload(Feedback.written_by))
        .where(Feedback.child_id == child_id, Feedback.seen_at.is_(None))
        .order_by(Feedback.written_at, Feedback.id))
    return [NoteForChild(id=row.id, author=first_name(row.written_by),
                         written_at=row.written_at, body=row.body) for row in rows]


def mark_feedback_seen(session: Session, child_id: int, feedback_ids: Iterable[int],
                       now: datetime | None = None) -> int:
    """Record that the child has been shown these notes. Only the child's own notes not yet
    seen are touched, so a forged or repeated list changes nothing else. Returns how many
    were marked."""
    ids = {int(i) for i in feedback_ids}
    if not ids:
        return 0
    table = Feedback.__table__
    return session.execute(
        update(table).where(table.c.id.in_(ids), table.c.child_id == child_id,
                            table.c.seen_at.is_(None))
        .values(seen_at=now or utcnow())).rowcount
