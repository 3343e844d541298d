"""Server-side staff sessions.

The browser's cookie holds a random token; the database holds its hash and the session's
life. Every request checks the row, so signing out, an idle or over-long session, a
disabled account or a changed password end the session everywhere at once, including
in any copy of the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, request
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import StaffSession, User, utcnow

#: last_seen_at is written at most this often, so reading pages rarely needs the write lock.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new session for ``user``; returns the token for the cookie (set on the user too)."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_hash(token), user_id=user.id,
                                remote_addr=request.remote_addr))
    db.session.flush()
    user._session_token = token
    return token


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(minutes=config["STAFF_IDLE_MINUTES"]),
            timedelta(hours=config["STAFF_SESSION_HOURS"]))


def load_user(token: str) -> User | None:
    """The signed-in user for a cookie's token, or None (and why, in ``g``) if it has ended."""
    row = db.session.scalar(select(StaffSession).options(joinedload(StaffSession.user))
                            .where(StaffSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None:
        g.staff_session_ended = row.ended_reason if row is not None else None
        return None
    now = utcnow()
    idle, lifetime = _limits()
    reason = None
    if not row.user.is_active:
        reason = "disabled"
    elif now - row.created_at >= lifetime:
        reason = "expired"
    elif now - row.last_seen_at >= idle:
        reason = "idle"
    if reason is not None:
        db.take_write_lock()
        _end(row.id, reason, now)
        g.staff_session_ended = reason
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.take_write_lock()
        db.session.execute(update(StaffSession).where(StaffSession.id == row.id)
                           .values(last_seen_at=now))
    user = row.user
    user._session_token = token
    g.staff_session_id = row.id
    return user


def _end(session_id: int, reason: str, now: datetime) -> None:
    db.session.execute(update(StaffSession)
                       .where(StaffSession.id == session_id, StaffSession.ended_at.is_(None))
                       .values(ended_at=now, ended_reason=reason))


def end_current_session(reason: str = "signed_out") -> None:
    session_id = g.get("staff_session_id")
    if session_id is not None:
        _end(session_id, reason, utcnow())


def end_session_in_cookie(cookie: Mapping[str, Any], reason: str) -> bool:
    """End the staff session whose token a browser's cookie holds, if it holds one (a child's
    code typed on a browser a worker is signed in on: the worker's session must not live on
    in a copy of the cookie). Returns True if a session was ended."""
    token = cookie.get("_user_id")  # where Flask-Login keeps ``User.get_id()``: the token
    if not isinstance(token, str):
        return False
    result = db.session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == _hash(token), StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason))
    return bool(result.rowcount)


def end_sessions_of(user: User, reason: str) -> int:
    """End every open session of ``user`` (disabled, password changed). Returns how many."""
    result = db.session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason))
    return result.rowcount or 0
