"""The audit trail: every look at a child's record and every sign-in, in one call.

Views call :func:`record` for what they show or do; the row joins the request's
transaction, so an action that is rolled back leaves no claim that it happened.
Rows never hold a child's answers.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from .extensions import db
from .models import AuditEvent, User

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
