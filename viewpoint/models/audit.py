"""The audit log: who looked at or did what to a child's record. Rows are never changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_child_occurred", "child_id", "occurred_at"),
        Index("ix_audit_event_actor_occurred", "actor_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When it happened.
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The member of staff who did it; empty for a child or the system.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: The system that did it through the API (a service account); empty for people.
    service_account_id: Mapped[int | None] = mapped_column(ForeignKey("service_account.id"))
    #: What happened, as a dotted name ("response.viewed", "signin.failed").
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: The child concerned, if any. Not a foreign key: the log outlives deleted records.
    child_id: Mapped[int | None]
    #: What kind of record was touched ("response", "alert").
    subject_type: Mapped[str | None] = mapped_column(String(32))
    #: Its id.
    subject_id: Mapped[int | None]
    #: The client's address.
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    #: Anything else worth keeping (never a child's answers).
    detail: Mapped[dict[str, Any] | None]


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be deleted")
