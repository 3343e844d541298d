"""Browsers that have signed in before: OWASP's "device cookies", so that nobody can lock a
member of staff out by guessing their password.

A limit on wrong passwords per account stops guessing, but anyone who knows an email
address can then keep its owner out: five tries every fifteen minutes from anywhere would
keep a team from acknowledging a safeguarding alert. So a browser that has signed in
successfully as someone keeps a signed *device cookie* naming that person, and gets its
own allowance of wrong passwords for them. Browsers without one (a stranger's, or a new
laptop) share the account's allowance for untrusted browsers, and each address has an
allowance for untrusted browsers too (someone trying many accounts). Guessing from
elsewhere uses up only the untrusted allowance, so a person's usual browsers still let
them in; an administrator's password reset clears the account's limit.

The cookie holds the normalised email and a random nonce, signed with the app's secret
(``itsdangerous``); nothing about it is stored on the server.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..models import RateLimitBucket

#: One browser remembers this many people (a shared office computer).
REMEMBERED = 5
#: How long a browser stays trusted after its last sign-in.
LIFETIME = timedelta(days=365)


def cookie_name() -> str:
    # "__Host-" (production, HTTPS): the browser keeps it to this exact site, path /.
    return ("__Host-viewpoint-device" if current_app.config.get("SESSION_COOKIE_SECURE")
            else "viewpoint-device")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="viewpoint.device")


def _entries() -> list[dict[str, str]]:
    raw = request.cookies.get(cookie_name())
    if not raw:
        return []
    try:
        found = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(found, list):
        return []
    return [entry for entry in found[:REMEMBERED] if isinstance(entry, dict)
            and isinstance(entry.get("e"), str) and isinstance(entry.get("n"), str)]


@dataclass(frozen=True)
class Limits:
    """The rate-limit keys a sign-in attempt for one email from this browser counts against."""

    #: (key, limit) pairs: every one must have room for the attempt to be checked.
    keys: tuple[tuple[str, int], ...]
    #: True when this browser has signed in as this person before.
    trusted: bool


def limits_for(email: str) -> Limits:
    """Which allowances an attempt to sign in as ``email`` from this request uses."""
    config = current_app.config
    nonce = next((entry["n"] for entry in _entries() if entry["e"] == email), None)
    if nonce is not None:
        return Limits(((f"signin-failure:device:{nonce}", config["SIGNIN_FAILURES_PER_DEVICE"]),),
                      trusted=True)
    return Limits(((account_key(email), config["SIGNIN_FAILURES_PER_ACCOUNT"]),
                   (f"signin-failure:address:{request.remote_addr}",
                    config["SIGNIN_FAILURES_PER_ADDRESS"])), trusted=False)


def account_key(email: str) -> str:
    """The key of an account's allowance for untrusted browsers."""
    return f"signin-failure:account:{email}"


def trust(response: Any, email: str) -> None:
    """Remember on this browser that ``email`` signed in here (a fresh nonce each time)."""
    kept = [entry for entry in _entries() if entry["e"] != email][:REMEMBERED - 1]
    value = _serializer().dumps([{"e": email, "n": secrets.token_urlsafe(16)}, *kept])
    response.set_cookie(cookie_name(), value, max_age=int(LIFETIME.total_seconds()), path="/",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                        httponly=True, samesite="Strict")


def clear_account_limit(session: Session, email: str) -> None:
    """Forget the wrong passwords counted against ``email`` from untrusted browsers (an
    administrator has reset the password: the person must be able to use it at once)."""
    session.execute(delete(RateLimitBucket).where(RateLimitBucket.key == account_key(email)))
