"""Invitations: one child asked to answer one questionnaire before one review."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_column, utcnow
from .child import Child, Review
from .staff import User


class InvitationState(LabelledEnum):
    ISSUED = "issued"  #: the code has been given; nothing answered yet
    STARTED = "started"  #: the child has opened it and may have answered some questions
    SUBMITTED = "submitted"  #: the child finished; the code no longer works
    CANCELLED = "cancelled"  #: a worker withdrew it (for example to re-issue)

    __labels__ = {
        "issued": _l("waiting"),
        "started": _l("answering"),
        "submitted": _l("answered"),
        "cancelled": _l("cancelled"),
    }

    @property
    def is_open(self) -> bool:
        """Whether the code may still be used (unless it has run out)."""
        return self in (InvitationState.ISSUED, InvitationState.STARTED)


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (Index("ix_invitation_child_issued", "child_id", "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The child invited.
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    #: The review the answers are for.
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    #: Which questionnaire definition ("before-care-review").
    questionnaire_key: Mapped[str] = mapped_column(String(64))
    #: Age band the worker chose; empty means "from the child's date of birth".
    band: Mapped[str | None] = mapped_column(String(8))
    #: Language the questionnaire opens in.
    language: Mapped[str] = mapped_column(String(16))
    #: Keyed hash of the access code; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Who issued it.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: When it was issued.
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: After this moment the code stops working.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: Where it is in its life.
    state: Mapped[InvitationState] = mapped_column(
        enum_column(InvitationState, "invitation_state"), default=InvitationState.ISSUED)
    #: The one-time key of the worker's form that issued it, so a double-clicked "send"
    #: issues one code, not two.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Bumped when the child stops for now or finishes, when a new code is given or the code
    #: cancelled, and when the code is typed on another device, so that any copy of an
    #: earlier session cookie (on a shared tablet) stops working at once.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Why the sessions before the current generation ended ("stopped", "sent", "new_code",
    #: "cancelled", "elsewhere"), so that a device left behind can tell the child.
    session_ended_why: Mapped[str | None] = mapped_column(String(16))

    child: Mapped[Child] = relationship()
    review: Mapped[Review] = relationship()
    issued_by: Mapped[User | None] = relationship()

    def is_usable(self, now: datetime | None = None) -> bool:
        """Whether the code still lets the child in."""
        now = now or utcnow()
        return self.state.is_open and now < self.expires_at

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.state.value}>"
