"""What a child said: a response and its answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_column, utcnow
from .child import Child, Plan, Review
from .invitation import Invitation
from .questionnaire import QuestionnaireVersion


def store_value(value: Any) -> dict[str, Any]:
    """How an answer's value is kept in ``Answer.value``.

    Wrapped in an object, so that the JSON column holds every kind of answer (an option
    key, a list of keys, a number, the child's words) the same way on SQLite and PostgreSQL.
    """
    return {"v": value}


def stored_value(stored: Mapping[str, Any] | None, declined: bool = False) -> Any:
    """The value an answer holds, as :func:`store_value` kept it; None if declined or empty."""
    return None if declined or not stored else stored.get("v")


class HelpedBy(LabelledEnum):
    """Who helped the child answer, in the child's own account."""

    NOBODY = "nobody"
    CARER = "carer"
    WORKER = "worker"
    SOMEONE_ELSE = "someone_else"

    #: As staff read it (the child's page asks in the child's own words).
    __labels__ = {
        "nobody": _l("Nobody: answered on their own"),
        "carer": _l("Their carer"),
        "worker": _l("Their worker"),
        "someone_else": _l("Someone else"),
    }


class Response(Base):
    """One child's answers to one invitation, from the first answer to submission."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_child_started", "child_id", "started_at"),
        Index("ix_response_submitted_questionnaire", "submitted_at", "questionnaire_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The invitation answered; one response per invitation.
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), unique=True)
    #: Whose answers these are.
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    #: The plan the answers belong to.
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    #: The review the answers were gathered for.
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    #: The exact wording served.
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id"), index=True)
    #: Copied from the version so that totals can group without a join.
    questionnaire_key: Mapped[str] = mapped_column(String(64))
    #: Age band answered in.
    band: Mapped[str] = mapped_column(String(8))
    #: Language answered in.
    language: Mapped[str] = mapped_column(String(16))
    #: Who helped, as the child said; empty if they did not say.
    helped_by: Mapped[HelpedBy | None] = mapped_column(enum_column(HelpedBy, "helped_by"))
    #: When the child opened the questionnaire.
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the latest answer was saved.
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the child finished; empty while in progress.
    submitted_at: Mapped[datetime | None]
    #: The question the child was on, so that they carry on there on any device.
    resume_at: Mapped[str | None] = mapped_column(String(64))

    invitation: Mapped[Invitation] = relationship()
    child: Mapped[Child] = relationship()
    plan: Mapped[Plan] = relationship()
    review: Mapped[Review] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response",
                                                 order_by="Answer.id")

    def __repr__(self) -> str:
        return f"<Response {self.id}>"


class Answer(Base):
    """The child's current answer to one question (changing it replaces it)."""

    __tablename__ = "answer"
    __table_args__ = (
        # One answer per question: a doubled or retried save updates, never duplicates.
        Index("uq_answer_response_question", "response_id", "question_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The response it belongs to.
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    #: The question's key in the definition.
    question_key: Mapped[str] = mapped_column(String(64))
    #: The answer: an option key, a list of option keys, a number or text; empty if declined.
    value: Mapped[dict[str, Any] | None]
    #: True when the child chose "I'd rather not say".
    declined: Mapped[bool] = mapped_column(default=False)
    #: The id the child's device gave this save, so a retried save is recognised.
    client_save_id: Mapped[str | None] = mapped_column(String(64))
    #: When it was saved (or last changed).
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the child gave it, if that was well before it reached the server (the tablet
    #: was offline); empty when it arrived as it was given.
    given_at: Mapped[datetime | None]

    response: Mapped[Response] = relationship(back_populates="answers")

    @property
    def given(self) -> Any:
        """The value the child gave (None when they declined)."""
        return stored_value(self.value, self.declined)

    def __repr__(self) -> str:
        return f"<Answer {self.response_id}/{self.question_key}>"


class AnswerSequence(Base):
    """The newest save a child's device has made for one question, by the device's own
    sequence (its clock when the answer was given), so that an older save arriving late
    (a retry after a dropped connection, a tablet back online) never replaces a newer
    answer, nor brings back one the child took away.

    Sequences are compared only within one device's session (``session``): two tablets'
    clocks need not agree, and a tablet whose clock is behind must never have the answers
    the child is giving on it now dropped as "older" than another tablet's.
    """

    __tablename__ = "answer_sequence"

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             primary_key=True)
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The sequence of the newest save stored (microseconds of the device's clock).
    seq: Mapped[int] = mapped_column(BigInteger)
    #: The child's session (the invitation's session generation) that sent it: one device.
    session: Mapped[int | None]
