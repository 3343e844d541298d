"""The audit log: who looked at or did what to a child's record. Rows are never changed,
and each carries a hash of the one before it (see ``viewpoint/chain.py``), so that a row
changed or removed outside the service is found by ``viewpoint audit verify``."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

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
    #: Its place in the hash chain (1, 2, 3...; given as its transaction commits, so the
    #: chain's order is the order rows were committed in).
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    #: The hash of the row before it in the chain, and its own: SHA-256 of the previous hash
    #: and this row's contents.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The end of the audit log's hash chain (one row). Updating it in each transaction that
    writes audit rows queues those transactions, so that the chain never forks."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The last row's place in the chain, and its hash.
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    #: Rows up to this place were destroyed by the retention schedule (oldest first); the
    #: hash of the last one destroyed, which the first row kept must follow.
    pruned_through_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_through_hash: Mapped[str] = mapped_column(String(64))


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be deleted")


#: The hash the first row of the chain follows.
GENESIS = "0" * 64


def chained_contents(event: AuditEvent, seq: int) -> bytes:
    """What a row's hash covers: its place in the chain and everything it says, in one
    canonical form (the same whichever database it was read from)."""
    occurred = event.occurred_at
    return json.dumps({
        "seq": seq,
        "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "service_account_id": event.service_account_id,
        "action": event.action,
        "child_id": event.child_id,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "remote_addr": event.remote_addr,
        "detail": event.detail,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, event: AuditEvent, seq: int) -> str:
    """The hash of a row at ``seq`` following a row whose hash was ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + chained_contents(event, seq)).hexdigest()


def chain_head(session: Session) -> AuditChain:
    """The chain's end, locked until the transaction ends (made if the table is new)."""
    head = session.scalars(select(AuditChain).where(AuditChain.id == 1)
                           .with_for_update()).one_or_none()
    if head is None:
        head = AuditChain(id=1, seq=0, head_hash=GENESIS, pruned_through_seq=0,
                          pruned_through_hash=GENESIS)
        session.add(head)
    return head


@event.listens_for(Session, "after_flush")
def _remember_new_events(session: Session, _context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if new:
        session.info.setdefault("audit_unchained", []).extend(new)


@event.listens_for(Session, "before_commit")
def _chain_new_events(session: Session) -> None:
    """Give the transaction's new audit rows their places and hashes, just before it
    commits: the chain's end is locked only for that moment, so requests that write audit
    rows wait for each other only while they commit."""
    session.flush()
    pending = [obj for obj in session.info.pop("audit_unchained", [])
               if inspect(obj).persistent and obj.chain_seq is None]
    if not pending:
        return
    head = chain_head(session)
    seq, previous = head.seq, head.head_hash
    table = AuditEvent.__table__
    for row in sorted(pending, key=lambda obj: obj.id):
        seq += 1
        digest = link_hash(previous, row, seq)
        # A core UPDATE: the unit of work refuses to change audit rows, and this is the
        # one change a row ever has, made in the transaction that wrote it.
        session.execute(update(table).where(table.c.id == row.id)
                        .values(chain_seq=seq, prev_hash=previous, row_hash=digest))
        set_committed_value(row, "chain_seq", seq)
        set_committed_value(row, "prev_hash", previous)
        set_committed_value(row, "row_hash", digest)
        previous = digest
    head.seq, head.head_hash = seq, previous


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop("audit_unchained", None)
