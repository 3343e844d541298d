"""Signing staff in for tests, and posting their forms with a CSRF token."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from viewpoint.auth.passwords import hash_password
from viewpoint.models import StaffSession, User

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: The password every test user gets from :func:`give_password`.
PASSWORD = "correct horse battery staple"
_HASH = None


def give_password(user: User, session: Session) -> str:
    """Set the shared test password (hashed once per test run; argon2 is slow on purpose)."""
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    user.password_hash = _HASH
    session.flush()
    return PASSWORD


def sign_in(client: FlaskClient, user: User, session: Session) -> FlaskClient:
    """Sign ``user`` in on ``client`` through the real sign-in form."""
    give_password(user, session)
    page = client.get("/staff/signin").get_data(as_text=True)
    response = client.post("/staff/signin", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token_from(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: FlaskClient) -> str:
    """A valid CSRF token for ``client``'s session (from a page every signed-in person has)."""
    return token_from(client.get("/staff/password").get_data(as_text=True))


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """POST a staff form the way a browser would: with the page's CSRF token."""
    data = dict(data or {})
    if "csrf_token" not in data:
        data["csrf_token"] = csrf_token(client)
    return client.post(url, data=data, **kwargs)


def open_sessions(session: Session, user: User) -> list[StaffSession]:
    return list(session.query(StaffSession).filter(StaffSession.user_id == user.id,
                                                   StaffSession.ended_at.is_(None)))
