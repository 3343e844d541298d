""""You said, we did": what a worker tells a child they did about the child's answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .child import Child
from .response import Response
from .staff import User


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_child_written", "child_id", "written_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The response it answers.
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             index=True)
    #: The child it is for (copied from the response so the child's pages find it quickly).
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    #: Who wrote it; the child sees their first name.
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: What the worker wants the child to know, in words the child will understand.
    body: Mapped[str] = mapped_column(Text)
    #: When it was written.
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the child first saw it; empty until then.
    seen_at: Mapped[datetime | None]
    #: The words a manager approved for the Children in Care Council's "you said, we did"
    #: (edited so that nobody can be recognised); empty unless approved.
    shared_text: Mapped[str | None] = mapped_column(Text)
    #: The manager who approved sharing, and when; empty unless approved.
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    shared_at: Mapped[datetime | None] = mapped_column(index=True)

    response: Mapped[Response] = relationship()
    child: Mapped[Child] = relationship()
    written_by: Mapped[User | None] = relationship(foreign_keys=[written_by_id])
    shared_by: Mapped[User | None] = relationship(foreign_keys=[shared_by_id])

    def __repr__(self) -> str:
        return f"<Feedback {self.id}>"
