"""How long records are kept (the council's retention schedule) and the legal holds that
stop records being destroyed while an inquiry or a claim may need them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .child import Child
from .staff import User


class RetentionRule(Base):
    """The council's period for one kind of record under one kind of plan, where it differs
    from the shipped default (``operations/retention.py`` lists the defaults and why)."""

    __tablename__ = "retention_rule"

    #: "responses", "answers", "alerts", "feedback", "invitations", "case" (the child's
    #: details, plans and reviews), "audit_events" or "staff_accounts".
    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The plan kind it applies to; "any" for records not kept against a plan.
    plan_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: How many years.
    years: Mapped[int]
    #: Counted from: "birth" (so "until the Nth birthday"), "last_contact" (the plan's end,
    #: or its last review or response if later) or "event" (when the record was made).
    counted_from: Mapped[str] = mapped_column(String(16))
    #: Why (the law or policy it follows), for the data protection officer.
    reason: Mapped[str] = mapped_column(Text)
    #: Who set it, and when.
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    set_by: Mapped[User | None] = relationship()


class LegalHold(Base):
    """Nothing about the child (or, without a child, nothing at all) is destroyed while this
    is in place, whatever the schedule says."""

    __tablename__ = "legal_hold"
    __table_args__ = (Index("ix_legal_hold_child_lifted", "child_id", "lifted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The child whose records are held; empty: every record.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"))
    #: Why ("Public inquiry's request of 3 March 2027", "Claim against the council").
    reason: Mapped[str] = mapped_column(Text)
    #: Who placed it, and when.
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When it was lifted, by whom; empty while it holds.
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    child: Mapped[Child | None] = relationship()
    placed_by: Mapped[User | None] = relationship(foreign_keys=[placed_by_id])


class AnswerNote(Base):
    """A note a manager adds to one of a child's answers (a correction of fact, something the
    child later said), shown beside the answer. The answer itself is never changed: it is
    the child's own words."""

    __tablename__ = "answer_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The response, and the question whose answer it is about.
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    #: What the note says.
    body: Mapped[str] = mapped_column(Text)
    #: Who wrote it, and when.
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)

    written_by: Mapped[User | None] = relationship()
