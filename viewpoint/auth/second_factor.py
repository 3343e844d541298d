"""Staff's second factor: a six-digit code from an authenticator app (TOTP, RFC 6238), or one
of ten recovery codes kept on paper.

- The app's secret is 160 random bits (``pyotp.random_base32``), shown once as a QR code
  and as text while the person sets the app up, and kept on their account.
- A code is accepted for the 30-second step it was made in and one step either side (a
  phone's clock drifts), and never twice: the last accepted step is kept, so a code read
  over someone's shoulder or from a proxy's log cannot be used again.
- Recovery codes are 12 characters from an alphabet without look-alikes (60 random bits
  each); only their SHA-256 is kept, and each signs in once. Making new ones throws away
  the old ones.
- Wrong codes count against the same allowances as wrong passwords (see ``devices``), so
  someone who has a password cannot guess codes faster than passwords, and cannot use up
  the allowance of the person's own browsers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..models import RecoveryCode, User, utcnow

#: How many recovery codes a person is given.
RECOVERY_CODES = 10
#: Letters and digits that cannot be mistaken for each other when copied from paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 12
#: Steps either side of now whose codes are still accepted (30 seconds each).
_DRIFT = 1
#: The name the authenticator app shows above the codes.
ISSUER = "viewpoint"


def is_required() -> bool:
    return bool(current_app.config.get("SECOND_FACTOR_REQUIRED"))


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code for ``uri`` as inline SVG (nothing is fetched to draw it)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff",
                                                 omitsize=True)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _digits(typed: str) -> str | None:
    code = "".join(typed.split()).replace("-", "")
    return code if len(code) == 6 and code.isascii() and code.isdigit() else None


def matching_step(secret: str, typed: str, *, after: int | None,
                  now: datetime | None = None) -> int | None:
    """The step whose code ``typed`` is (now or one step either side, and later than
    ``after``), or None. Never raises."""
    code = _digits(typed)
    if code is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - _DRIFT, current + _DRIFT + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(session: Session, user: User, typed: str) -> bool:
    """Whether ``typed`` is a code from ``user``'s app not used before; if it is, it is
    used up. The step is claimed with one conditional UPDATE, so two requests racing with
    the same code cannot both win."""
    if not user.has_second_factor or user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, typed, after=user.totp_last_step)
    if step is None:
        return False
    claimed = session.execute(
        update(User).where(User.id == user.id,
                           (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    session.refresh(user, ["totp_last_step"])
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised(typed: str) -> str:
    return "".join(ch for ch in typed.lower() if ch.isalnum())


def looks_like_recovery_code(typed: str) -> bool:
    return len(_normalised(typed)) == _RECOVERY_LENGTH


def make_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new recovery codes for ``user`` (the old ones stop working), as shown once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    session.flush()
    return ["-".join(code[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)) for code in codes]


def use_recovery_code(session: Session, user: User, typed: str) -> bool:
    """Whether ``typed`` is one of ``user``'s unused recovery codes; if so it is used up (one
    conditional UPDATE: the same code racing itself signs in once)."""
    if not user.has_second_factor or not looks_like_recovery_code(typed):
        return False
    used = session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _hash(_normalised(typed)),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return used.rowcount == 1  # type: ignore[attr-defined]


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def enrol(session: Session, user: User, secret: str, typed: str) -> list[str] | None:
    """Set up ``user``'s app with ``secret`` if ``typed`` is its current code; returns the
    new recovery codes to show once, or None if the code is not right."""
    step = matching_step(secret, typed, after=None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = step
    return make_recovery_codes(session, user)


def remove(session: Session, user: User) -> None:
    """Forget ``user``'s app and recovery codes (they set up a new one at their next
    sign-in if the setting requires it)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
