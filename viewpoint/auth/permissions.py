"""Who may see and do what: the one place that decides.

Deny by default. Every page needs a signed-in member of staff unless its endpoint is on
:data:`PUBLIC_ENDPOINTS` (or it is one of the children's pages, which have their own
access codes). Each staff action names the roles allowed it in :data:`ACTIONS`, and every
child-level record is reached through :func:`visible_children`, so a record outside a
person's caseload answers 404 exactly like one that does not exist.

- A social worker sees the children allocated to them.
- A team manager sees their team's children.
- An independent reviewing officer sees the children whose reviews they chair.
- Panel members and administrators see no child-level data at all; panel members,
  managers and reviewing officers see the anonymised dashboards.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import ColumnElement, exists, false, select
from sqlalchemy.orm import Session

from ..models import Alert, Child, Invitation, Plan, Response, Review, Role, User

#: Endpoints anyone may reach without signing in. Keep this list short.
PUBLIC_ENDPOINTS = frozenset({"static", "health.healthz", "health.livez", "auth.signin",
                              "auth.language",
                              # the second step of signing in: no session exists yet
                              "auth.second_factor_code",
                              # to and back from the council's identity provider
                              "auth.signin_council", "auth.signin_council_done",
                              # what the council publishes about the service
                              "statements.accessibility"})
#: Blueprints with their own way in, never a staff sign-in: the child's access code, and a
#: service account's token for the API (``api/access.py``; a staff cookie opens nothing there).
PUBLIC_BLUEPRINTS = frozenset({"respond", "api"})

#: What someone with a temporary password may do before choosing their own.
_WHILE_CHANGING = frozenset({"auth.change_password", "auth.signout"})
#: What someone who must set up an authenticator app may do before they have.
_WHILE_SETTING_UP = frozenset({"auth.second_factor_page", "auth.signout"})

CASEWORK = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.REVIEWING_OFFICER})
ALL_STAFF = frozenset(Role)

#: Every staff action and the roles allowed it.
ACTIONS: dict[str, frozenset[Role]] = {
    # Read children's records, responses and alerts (within their caseload).
    "casework.read": CASEWORK,
    # Add and change children, plans and reviews.
    "casework.edit": frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER}),
    # Record a review's date and outcome (the chair does this too).
    "casework.edit_review": CASEWORK,
    # Send, cancel and re-issue questionnaires.
    "casework.invite": frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER}),
    # Acknowledge and close alerts; write back to a child ("you said, we did").
    "casework.act": CASEWORK,
    # Import children, plans and reviews from a case-management export (into one's team).
    "casework.import": frozenset({Role.TEAM_MANAGER}),
    # See who has looked at a child's record.
    "casework.audit": frozenset({Role.TEAM_MANAGER}),
    # Approve a "you said, we did" note (in anonymised words) for the Children in Care Council.
    "casework.share_feedback": frozenset({Role.TEAM_MANAGER}),
    # Read the anonymised dashboards (totals only, small numbers withheld).
    "dashboards.view": frozenset({Role.PANEL_MEMBER, Role.TEAM_MANAGER, Role.REVIEWING_OFFICER}),
    # The Children in Care Council's view: plain words, big charts, approved examples.
    "dashboards.council": frozenset({Role.PANEL_MEMBER, Role.TEAM_MANAGER,
                                     Role.REVIEWING_OFFICER}),
    # A manager's list of their team's children with no views gathered lately (names).
    "dashboards.no_views": frozenset({Role.TEAM_MANAGER}),
    # Manage staff accounts and teams, connected systems, the retention schedule and
    # legal holds.
    "admin.manage": frozenset({Role.ADMINISTRATOR}),
    # Produce everything held about one child for a subject access request (a manager for
    # their team's children; an administrator for any child, by reference).
    "records.subject_access": frozenset({Role.TEAM_MANAGER, Role.ADMINISTRATOR}),
    # Put a child's record right: a note beside an answer, erasing the record where the law
    # allows (a manager, for their team's children).
    "records.rectify": frozenset({Role.TEAM_MANAGER}),
    # Read the questionnaires as children see them (no child data).
    "questionnaires.preview": ALL_STAFF,
    # Write the council's questionnaires: drafts, workbooks, publishing, indicators (no
    # child data).
    "questionnaires.author": frozenset({Role.ADMINISTRATOR, Role.AUTHOR}),
}


def can(user: Any, action: str) -> bool:
    """Whether ``user`` (possibly anonymous) may do ``action``. Unknown actions: never."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role in ACTIONS.get(action, frozenset())


F = TypeVar("F", bound=Callable[..., Any])


def require(action: str) -> Callable[[F], F]:
    """View decorator: 403 unless the signed-in person may do ``action``."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def restrict_blueprint(blueprint: Blueprint, action: str) -> None:
    """Every page of ``blueprint`` needs ``action`` (views may require more)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")

    @blueprint.before_request
    def _check() -> None:
        if not can(current_user, action):
            abort(403)


def require_sign_in() -> Any:
    """App-wide ``before_request``: deny by default anything not on the allow-list."""
    if request.endpoint is None:  # no such page: let it 404
        return None
    if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint in PUBLIC_BLUEPRINTS:
        return None
    if current_user.is_authenticated:
        if current_user.must_change_password and request.endpoint not in _WHILE_CHANGING:
            return redirect(url_for("auth.change_password"))
        # (The council's identity provider asks for its own second factor.)
        if (current_app.config.get("SECOND_FACTOR_REQUIRED")
                and not current_user.has_second_factor
                and session.get("signed_in_with") != "council"
                and request.endpoint not in _WHILE_SETTING_UP):
            if request.is_json or request.accept_mimetypes.best == "application/json":
                return jsonify(status="second_factor_needed"), 403
            return redirect(url_for("auth.second_factor_page"))
        return None
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(status="signed_out"), 401
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.signin", next=target, ended=g.get("staff_session_ended")))


# --- child-level records: always through the caseload --------------------------------------

def visible_children(user: User) -> ColumnElement[bool]:
    """A condition on :class:`Child` that is true only for the children ``user`` may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return false()
    if user.role is Role.SOCIAL_WORKER:
        return Child.social_worker_id == user.id
    if user.role is Role.TEAM_MANAGER and user.team_id is not None:
        return Child.team_id == user.team_id
    if user.role is Role.REVIEWING_OFFICER:
        return exists(select(Review.id).join(Plan, Plan.id == Review.plan_id)
                      .where(Plan.child_id == Child.id, Review.chair_id == user.id))
    return false()


def child_or_404(session: Session, child_id: int, user: User | None = None) -> Child:
    """The child with ``child_id`` if ``user`` (default: signed in) may see them; else 404."""
    user = user or current_user
    child = session.scalar(select(Child).where(Child.id == child_id, visible_children(user)))
    if child is None:
        abort(404)
    return child


def _through_child(session: Session, model: Any, record_id: int, user: User | None) -> Any:
    user = user or current_user
    record = session.scalar(
        select(model).join(Child, Child.id == model.child_id)
        .where(model.id == record_id, visible_children(user)))
    if record is None:
        abort(404)
    return record


def plan_or_404(session: Session, plan_id: int, user: User | None = None) -> Plan:
    return _through_child(session, Plan, plan_id, user)


def review_or_404(session: Session, review_id: int, user: User | None = None) -> Review:
    user = user or current_user
    review = session.scalar(
        select(Review).join(Plan, Plan.id == Review.plan_id).join(Child, Child.id == Plan.child_id)
        .where(Review.id == review_id, visible_children(user)))
    if review is None:
        abort(404)
    return review


def response_or_404(session: Session, response_id: int, user: User | None = None) -> Response:
    return _through_child(session, Response, response_id, user)


def invitation_or_404(session: Session, invitation_id: int,
                      user: User | None = None) -> Invitation:
    return _through_child(session, Invitation, invitation_id, user)


def alert_or_404(session: Session, alert_id: int, user: User | None = None) -> Alert:
    return _through_child(session, Alert, alert_id, user)


def home_endpoint(user: User) -> str:
    """Where a member of staff lands after signing in."""
    if user.role in CASEWORK:
        return "casework.caseload"
    if user.role is Role.ADMINISTRATOR:
        return "admin.users"
    if user.role is Role.AUTHOR:
        return "authoring.index"
    return "dashboards.index"

