"""Who is calling the API, what they may do, and the record of every call.

Every call is made with a service account's token (``Authorization: Bearer vpt_...``); a
staff member's cookie opens nothing here. Before the view runs:

1. the token is looked up (an unknown, expired or withdrawn one is refused with 401);
2. the call is counted against the token's calls a minute (429 past it), and calls with no
   valid token against the caller's address (past its allowance they are refused, counted
   and not written to the audit trail one by one, so nobody can flood it);
3. the view's scope is checked (403 without it). A view that names no scope is refused
   for every token: deny by default.

Each call then runs inside a savepoint. Whatever the outcome, one ``api.call`` row goes to
the audit trail (method, route, status, the child concerned); a refused call's changes are
undone back to the savepoint, while its audit row and its count are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from sqlalchemy import ColumnElement, true

from .. import audit, throttle
from ..extensions import WRITE_METHODS, db
from ..models import Child, ServiceAccount, utcnow
from ..operations.service_accounts import SCOPES, find_by_token, sees_child
from ..problems import Problem, problem_response

F = TypeVar("F", bound=Callable[..., Any])

#: Marks a view with the scope it needs.
_SCOPE = "viewpoint_api_scope"
#: Marks a view anyone may read (the OpenAPI document, the problem descriptions).
_OPEN = "viewpoint_api_open"
#: Calls a minute from one address with no valid token.
STRANGER_CALLS_PER_MINUTE = 30
MINUTE = timedelta(minutes=1)


def needs(scope: str) -> Callable[[F], F]:
    """View decorator: the token must have ``scope``."""
    if scope not in SCOPES:
        raise KeyError(f"unknown scope {scope!r}")

    def mark(view: F) -> F:
        setattr(view, _SCOPE, scope)
        return view

    return mark


def open_to_anyone(view: F) -> F:
    setattr(view, _OPEN, True)
    return view


def account() -> ServiceAccount:
    """The service account making this call (only inside a view that needs a scope)."""
    return g.api_account  # type: ignore[no-any-return]


def about_child(child: Child) -> Child:
    """Note the child this call is about, for the audit row; 404 if the token's teams do not
    include theirs (the same answer as for a child who does not exist)."""
    if not sees_child(account(), child):
        raise Problem("not-found", "There is no such record.")
    g.api_child_id = child.id
    return child


def visible_to_token() -> ColumnElement[bool]:
    """A condition on :class:`Child`: only the children the token's teams hold."""
    teams = account().team_ids
    return Child.team_id.in_(teams) if teams else true()


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _refuse_stranger(name: str, detail: str) -> None:
    key = f"api-stranger:{request.remote_addr or '-'}"
    if throttle.hit(db.session, key, MINUTE) > STRANGER_CALLS_PER_MINUTE:
        g.api_not_audited = True  # counted, but a flood writes no row each to the trail
        raise Problem("rate-limited", "Too many calls without a valid token from this "
                      "address.", headers={"Retry-After": str(throttle.seconds_left(MINUTE))})
    raise Problem(name, detail, headers={"WWW-Authenticate": 'Bearer realm="viewpoint"'})


def check_call() -> None:
    """The blueprint's ``before_request``: see the module's docstring."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, _OPEN, False):
        return
    if request.method not in WRITE_METHODS:
        db.take_write_lock()  # every call writes its audit row and its count
    g.api_savepoint = None
    token = _token()
    found = find_by_token(db.session, token) if token else None
    if found is None:
        _refuse_stranger("unauthenticated", "Send a service account's token as "
                         "'Authorization: Bearer <token>'.")
        return
    g.api_account = found
    g.api_account_id = found.id
    now = utcnow()
    if found.revoked_at is not None:
        raise Problem("token-revoked", "This token was withdrawn by an administrator.")
    if found.expires_at <= now:
        raise Problem("token-expired", "This token expired on "
                      f"{found.expires_at:%Y-%m-%d at %H:%M} UTC.")
    if throttle.hit(db.session, f"api:{found.id}", MINUTE, now) > found.calls_per_minute:
        raise Problem("rate-limited", f"This token may make {found.calls_per_minute} calls a "
                      "minute.", headers={"Retry-After": str(throttle.seconds_left(MINUTE, now))})
    found.last_used_at = now
    scope = getattr(view, _SCOPE, None)
    if scope is None or scope not in found.scopes:
        raise Problem("forbidden-scope", "This token may not do this." if scope is None else
                      f"This needs the '{scope}' scope, which this token does not have.",
                      extra={"scope": scope} if scope else {})
    g.api_savepoint = db.session.begin_nested()


def record_call(response: Response) -> Response:
    """The blueprint's ``after_request``: undo a refused call's changes, write its audit row,
    and keep that row (and the count) whatever the status."""
    # Replies about children are never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, _OPEN, False):
        return response
    if g.get("api_not_audited"):
        db.keep_on_error()
        return response
    savepoint = g.get("api_savepoint")
    try:
        if savepoint is not None and savepoint.is_active:
            if response.status_code >= 400:
                savepoint.rollback()
            else:
                savepoint.commit()
        rule = request.url_rule.rule if request.url_rule is not None else request.path
        audit.record("api.call", child_id=g.get("api_child_id"), detail={
            "method": request.method, "route": rule[:200], "status": response.status_code})
        db.keep_on_error()
    except Exception:  # the session is broken (a database error): nothing more can be kept
        current_app.logger.exception("could not record an API call")
    return response


def answer_problem(problem: Problem) -> Response:
    return problem_response(problem, instance=request.path)
