"""Staff passwords: argon2id hashes, and the rules a new password must meet.

The rules follow NCSC and NIST guidance: long (at least 12 characters), no composition
rules (no "one capital, one symbol"), and refuse passwords that are easy to guess:
common passwords, keyboard walks, repeats, and the person's own name or email, judged
by zxcvbn's estimate of how many guesses a password would take.
"""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs

MIN_LENGTH = 12
MAX_LENGTH = 200
#: zxcvbn score (0-4) a password must reach: 3 is "safely unguessable" (~10^8+ guesses).
MIN_SCORE = 3
#: A hash of a password nobody has, checked when the account does not exist, so that a
#: wrong email takes as long to refuse as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has: viewpoint")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; False (never an exception) for a missing or broken hash."""
    if not password_hash:
        _spend_time(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _spend_time(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with older costs and should be replaced at sign-in."""
    return _hasher.check_needs_rehash(password_hash)


def _made_of(password: str, words: list[str]) -> bool:
    """Whether the password is only the given words, give or take digits and symbols
    ("SamCobblestone1!" for Sam Cobblestone), which zxcvbn scores too kindly."""
    letters = "".join(ch for ch in password.lower() if ch.isalpha())
    for word in sorted({w.lower() for w in words if len(w) >= 3}, key=len, reverse=True):
        letters = letters.replace(word, "")
    return len(letters) < 4


def password_problems(password: str, *, personal: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with ``password`` as a new password (empty if nothing).

    ``personal`` holds words from the person's own record (email, name) that must not be
    the basis of their password.
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(count)d characters.", count=MIN_LENGTH))
    elif len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(count)d characters.", count=MAX_LENGTH))
    else:
        words = [w for value in personal for w in value.replace("@", " ").replace(".", " ").split()]
        result = zxcvbn(password[:100], user_inputs=[*words, "viewpoint"])
        if result["score"] < MIN_SCORE or _made_of(password, [*words, "viewpoint"]):
            problems.append(_("This password is too easy to guess (it is common, a pattern, or "
                              "made from your name). Try three or four random words."))
    return problems
