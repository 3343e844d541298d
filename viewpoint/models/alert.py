"""Safeguarding alerts: answers that must be acted on the same day."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_column, utcnow
from .child import Child
from .response import Response
from .staff import User


class AlertSource(LabelledEnum):
    ANSWER = "answer"  #: an answer matched a rule in the questionnaire definition
    TALK_TO_SOMEONE = "talk_to_someone"  #: the child pressed "I want to talk to someone"

    #: What raised it, as the alert's page says.
    __labels__ = {
        "answer": _l("An answer that matched a safeguarding rule."),
        "talk_to_someone": _l("The child pressed “I want to talk to someone”."),
    }


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (
        # Nobody can close an alert without saying what was done.
        CheckConstraint("closed_at IS NULL OR (action_taken IS NOT NULL AND action_taken <> '')",
                        name="closed_with_action"),
        Index("ix_alert_child_raised", "child_id", "raised_at"),
        Index("ix_alert_open", "closed_at", "raised_at"),
        # A rule fires once per response and question, however often the answer is saved.
        Index("uq_alert_response_question_source", "response_id", "question_key", "source",
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The child it is about.
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    #: The response that raised it.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    #: The question whose answer raised it; empty for "talk to someone".
    question_key: Mapped[str | None] = mapped_column(String(64))
    #: What raised it.
    source: Mapped[AlertSource] = mapped_column(enum_column(AlertSource, "alert_source"))
    #: Plain-English summary for staff, from the definition's rule.
    summary: Mapped[str] = mapped_column(String(500))
    #: When it was raised.
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the child gave the answer that raised it, if that was well before it reached the
    #: server (the tablet was offline): workers see how long it waited.
    given_at: Mapped[datetime | None]
    #: Someone must acknowledge it by this moment (one working day after it was raised);
    #: after that it shows as overdue to the manager.
    acknowledge_by: Mapped[datetime | None] = mapped_column(index=True)
    #: When the manager was emailed that it was overdue (so they are told once).
    overdue_notified_at: Mapped[datetime | None]
    #: When someone first said they had seen it.
    acknowledged_at: Mapped[datetime | None]
    #: Who acknowledged it.
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: When it was closed.
    closed_at: Mapped[datetime | None]
    #: Who closed it.
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: What was done; required to close.
    action_taken: Mapped[str | None] = mapped_column(Text)

    child: Mapped[Child] = relationship()
    response: Mapped[Response | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    def __repr__(self) -> str:
        return f"<Alert {self.id} {self.source.value}>"
