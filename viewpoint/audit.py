"""The audit trail: every look at a child's record and every sign-in, in one call.

Views call :func:`record` for what they show or do; the row joins the request's
transaction, so an action that is rolled back leaves no claim that it happened.
Rows never hold a child's answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import AuditChain, AuditEvent, User
from .models.audit import GENESIS, link_hash

#: What each action means, for the people who read the trail.
ACTION_LABELS = {
    "child.viewed": _l("Opened the child's record"),
    "child.created": _l("Added the child"),
    "child.edited": _l("Changed the child's details"),
    "plan.created": _l("Added a plan"),
    "plan.edited": _l("Changed a plan"),
    "review.created": _l("Added a review"),
    "review.edited": _l("Changed a review"),
    "invitation.issued": _l("Sent a questionnaire"),
    "invitation.reissued": _l("Gave a new code"),
    "invitation.cancelled": _l("Cancelled a code"),
    "response.viewed": _l("Read the child's answers"),
    "response.pdf": _l("Downloaded the answers as a PDF"),
    "response.json": _l("Downloaded the answers for the case record"),
    "feedback.written": _l("Wrote back to the child"),
    "feedback.shared": _l("Shared a note with the Children in Care Council"),
    "feedback.unshared": _l("Stopped sharing a note with the Children in Care Council"),
    "alert.viewed": _l("Opened an alert"),
    "alert.acknowledged": _l("Acknowledged an alert"),
    "alert.closed": _l("Closed an alert"),
    "audit.viewed": _l("Looked at who has seen the record"),
    "import.applied": _l("Imported from the case-management system"),
    "api.call": _l("A connected system called the API"),
    "service_account.created": _l("Created a token for a connected system"),
    "service_account.revoked": _l("Withdrew a connected system's token"),
    "account.created_at_signin": _l("An account was made at its first sign-in with the "
                                    "council's identity provider"),
    "account.role_from_groups": _l("The role was set from the council directory's groups"),
    "webhook.added": _l("Told a connected system's address of events"),
    "webhook.removed": _l("Stopped telling a connected system's address of events"),
    "dashboards.no_views_list": _l("Listed the team's children with no views gathered lately"),
    "subject_access.exported": _l("Produced everything held about the child (subject access)"),
    "answer.noted": _l("Added a note beside an answer"),
    "child.erased": _l("Erased the child's record"),
    "legal_hold.placed": _l("Placed a legal hold"),
    "legal_hold.lifted": _l("Lifted a legal hold"),
    "retention.run": _l("Destroyed records due under the retention schedule"),
    "retention.dry_run": _l("Listed records due under the retention schedule"),
    "retention.schedule_changed": _l("Changed the retention schedule"),
    "questionnaire.installed": _l("Stored a questionnaire as shipped"),
    "questionnaire.draft_started": _l("Started a draft of a questionnaire"),
    "questionnaire.draft_saved": _l("Changed a draft questionnaire"),
    "questionnaire.published": _l("Published a questionnaire"),
    "questionnaire.retired": _l("Withdrew a questionnaire"),
    "questionnaire.translated": _l("Translated a questionnaire's words"),
    "questionnaire.translation_approved": _l("Approved a questionnaire's translation"),
    "questionnaire.recorded": _l("Recorded a questionnaire's words read aloud"),
    "questionnaire.recording_removed": _l("Removed a recording of a questionnaire's words"),
    "indicator.added": _l("Added an indicator"),
    "indicator.relabelled": _l("Reworded an indicator"),
}


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def record(action: str, *, child_id: int | None = None, subject: Any = None,
           actor: User | None = None, detail: dict[str, Any] | None = None,
           session: Session | None = None) -> AuditEvent:
    """Write one audit row: ``actor`` (default: whoever is signed in) did ``action``.

    ``subject`` is the record touched (a Response, an Alert...); its table and id are kept.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        # A call through the API is made by a system, not a person: the token's account.
        service_account_id=g.get("api_account_id") if has_request_context() else None,
        action=action,
        child_id=child_id,
        subject_type=subject.__tablename__ if subject is not None else None,
        subject_id=subject.id if subject is not None else None,
        remote_addr=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    (session or db.session).add(event)
    return event


def events_for_child(session: Session, child_id: int, limit: int = 500) -> list[AuditEvent]:
    """The newest events about one child (for a manager's "who has looked" page)."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.child_id == child_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)))


@dataclass(frozen=True)
class ChainCheck:
    """What ``viewpoint audit verify`` found: how many rows it checked, and the first broken
    link (None when the chain is whole)."""

    checked: int
    end_seq: int
    end_hash: str
    broken: str | None = None
    #: The id of the row at the broken link, when there is one.
    broken_event_id: int | None = None


def verify_chain(session: Session, *, batch: int = 5000,
                 anchor: tuple[int, str] | None = None) -> ChainCheck:
    """Walk the audit log's hash chain from its first kept row to its recorded end and say
    where it first breaks: a row whose contents no longer match its hash (changed), a row
    that does not follow the one before (removed or put in), a row outside the chain
    (written around the service), or an end that is not the recorded one (rows removed from
    the end). ``anchor`` is a (place, hash) written down elsewhere earlier: it must still be
    in the chain, so that even a log rewritten from start to end is found out."""
    head = session.get(AuditChain, 1)
    expected_seq = head.pruned_through_seq if head else 0
    previous = head.pruned_through_hash if head else GENESIS
    checked = 0
    anchor_seen = anchor is None or anchor[0] <= expected_seq

    def broken(why: str, event_id: int | None = None) -> ChainCheck:
        return ChainCheck(checked, expected_seq, previous, why, event_id)

    outside = session.scalars(select(AuditEvent.id).where(AuditEvent.chain_seq.is_(None))
                              .order_by(AuditEvent.id).limit(1)).first()
    after = expected_seq
    while True:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.chain_seq > after)
                                    .order_by(AuditEvent.chain_seq).limit(batch)))
        if not rows:
            break
        for row in rows:
            assert row.chain_seq is not None
            if row.chain_seq != expected_seq + 1:
                return broken(f"place {expected_seq + 1} is missing: the row before audit event "
                              f"{row.id} (place {row.chain_seq}) was removed", row.id)
            if row.prev_hash != previous:
                return broken(f"audit event {row.id} (place {row.chain_seq}) does not follow "
                              "the row before it: a row was removed or put in", row.id)
            if row.row_hash != link_hash(previous, row, row.chain_seq):
                return broken(f"audit event {row.id} (place {row.chain_seq}) was changed after "
                              "it was written: its contents no longer match its hash", row.id)
            if anchor is not None and row.chain_seq == anchor[0]:
                if row.row_hash != anchor[1]:
                    return broken(f"audit event {row.id} (place {row.chain_seq}) is not the "
                                  "row written down: the log was rewritten", row.id)
                anchor_seen = True
            expected_seq, previous, after = row.chain_seq, row.row_hash, row.chain_seq
            checked += 1
        session.expunge_all()
    if head is not None and (head.seq != expected_seq or head.head_hash != previous):
        return broken(f"the chain ends at place {expected_seq}, but its recorded end is place "
                      f"{head.seq}: rows were removed from the end")
    if head is None and expected_seq:
        return broken("the record of the chain's end was removed")
    if outside is not None:
        return broken(f"audit event {outside} is not in the chain: it was written around the "
                      "service", outside)
    if not anchor_seen:
        assert anchor is not None
        return broken(f"place {anchor[0]} written down earlier is not in the chain")
    return ChainCheck(checked, expected_seq, previous)


#: The columns of an exported audit log, in order.
EXPORT_COLUMNS = ("chain_seq", "id", "occurred_at", "action", "actor_id", "actor",
                  "service_account_id", "child_id", "subject_type", "subject_id",
                  "remote_addr", "detail", "prev_hash", "row_hash")


def export_rows(session: Session, start: datetime, end: datetime,
                batch: int = 5000) -> Iterator[dict[str, Any]]:
    """The audit rows that happened from ``start`` up to (not including) ``end``, in chain
    order, with their hashes, so that whoever receives them can check the links."""
    after = -1
    names = dict(session.execute(select(User.id, User.display_name)).all())
    while True:
        rows = list(session.scalars(
            select(AuditEvent).where(AuditEvent.occurred_at >= start,
                                     AuditEvent.occurred_at < end,
                                     func.coalesce(AuditEvent.chain_seq, 0) > after)
            .order_by(func.coalesce(AuditEvent.chain_seq, 0)).limit(batch)))
        if not rows:
            return
        for row in rows:
            yield {"chain_seq": row.chain_seq, "id": row.id,
                   "occurred_at": row.occurred_at.isoformat(timespec="microseconds"),
                   "action": row.action, "actor_id": row.actor_id,
                   "actor": names.get(row.actor_id) if row.actor_id else None,
                   "service_account_id": row.service_account_id, "child_id": row.child_id,
                   "subject_type": row.subject_type, "subject_id": row.subject_id,
                   "remote_addr": row.remote_addr,
                   "detail": json.dumps(row.detail, sort_keys=True) if row.detail else None,
                   "prev_hash": row.prev_hash, "row_hash": row.row_hash}
            after = row.chain_seq or 0
        session.expunge_all()
