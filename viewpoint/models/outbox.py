"""Emails waiting to be sent. Written in the same transaction as what they report, sent
later by ``viewpoint outbox send``, so a mail server being down loses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who it goes to.
    to_address: Mapped[str] = mapped_column(String(254))
    #: Subject line (never a child's name or answers).
    subject: Mapped[str] = mapped_column(String(200))
    #: Plain-text body (never a child's name or answers: email leaves the service).
    body: Mapped[str] = mapped_column(Text)
    #: The alert it is about, if any.
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id", ondelete="SET NULL"),
                                                 index=True)
    #: When it was queued.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Don't try again before this moment (backs off after failures).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: How many times sending has been tried.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: What went wrong the last time, for the administrator.
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: When the mail server accepted it; empty while waiting.
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id}>"
