"""Invitations and their access codes: used by `viewpoint invite`, staff screens and the child's
start page.

A code is what a child types to get in, so it must be easy to read aloud and type on a
tablet, yet impossible to guess: nine characters from an alphabet without look-alikes
(no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B), about 41 bits from ``secrets``, shown in three
groups. Only a keyed hash is stored, so a copy of the database does not let anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .. import audit
from ..models import Child, Invitation, InvitationState, Plan, Review, User, utcnow
from ..questionnaires import BANDS, Catalogue, Questionnaire

#: No characters that look or sound alike on a tablet keyboard or read aloud.
CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 9


class InvitationError(ValueError):
    """Raised when an invitation cannot be issued or changed; the message says why, for
    staff, in their language."""


def generate_code() -> str:
    """A new code, grouped for reading aloud: ``KPT-4HX-9RA``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 3] for i in range(0, CODE_LENGTH, 3))


def normalise_code(typed: str) -> str:
    """What the child typed, with case, spaces, dashes and other separators ignored."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def looks_like_a_code(typed: str) -> bool:
    code = normalise_code(typed)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def hash_code(code: str, secret: str | None = None) -> str:
    """The keyed hash stored for a code (HMAC-SHA256 under a key derived from SECRET_KEY)."""
    secret = secret if secret is not None else current_app.config["SECRET_KEY"]
    key = hashlib.sha256(b"viewpoint access code\0" + secret.encode()).digest()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def find_invitation(session: Session, typed: str) -> Invitation | None:
    """The invitation a typed code belongs to, whatever its state, or None."""
    if not looks_like_a_code(typed):
        return None
    return session.scalar(select(Invitation).where(Invitation.code_hash == hash_code(typed)))


def next_review(session: Session, child: Child, today: date | None = None) -> Review | None:
    """The child's next review not yet held, on an open plan (earliest first)."""
    today = today or date.today()
    return session.scalar(
        select(Review).join(Plan)
        .where(Plan.child_id == child.id, Plan.ended_on.is_(None), Review.held_on.is_(None),
               Review.due_on >= today)
        .order_by(Review.due_on).limit(1))


def band_for(child: Child, questionnaire: Questionnaire, on: date) -> str:
    """The band for the child's age on ``on``, or the nearest band the questionnaire offers."""
    age = child.age_on(on)
    band = questionnaire.band_for_age(age)
    if band is not None:
        return band
    youngest = BANDS[questionnaire.bands[0]]
    return questionnaire.bands[0] if age < youngest.youngest else questionnaire.bands[-1]


def review_problem(review: Review) -> str | None:
    """Why no questionnaire can be sent for ``review`` (for staff), or None if one can."""
    if not review.open_for_views:
        return _("This review has been held or its plan has ended; add the next review first.")
    return None


@dataclass(frozen=True)
class Issued:
    invitation: Invitation
    #: The code to give the child. It is shown once and never stored.
    code: str


def issue_invitation(session: Session, catalogue: Catalogue, child: Child, *,
                     review: Review | None = None, questionnaire_id: str | None = None,
                     band: str | None = None, language: str | None = None,
                     issued_by: User | None = None, days: int | None = None,
                     offered_languages: tuple[str, ...] = ("en",),
                     request_key: str | None = None) -> Issued:
    """Invite ``child`` to answer a questionnaire before ``review`` (default: their next one).

    Raises :class:`InvitationError` when there is no review to invite for, the review has
    been held or its plan has ended, the questionnaire does not exist or does not offer the
    band, or the language is not offered.
    """
    review = review or next_review(session, child)
    if review is None:
        raise InvitationError(_("%(reference)s has no review coming up on an open plan.",
                                reference=child.reference))
    if (problem := review_problem(review)) is not None:
        raise InvitationError(problem)
    plan_kind = review.plan.kind
    if questionnaire_id is None:
        candidates = catalogue.for_plan_kind(plan_kind.value)
        if not candidates:
            raise InvitationError(_("No questionnaire serves the %(kind)s.",
                                    kind=plan_kind.phrase))
        questionnaire = candidates[0]
    else:
        found = catalogue.get(questionnaire_id)
        if found is None:
            raise InvitationError(_("There is no questionnaire called “%(name)s”.",
                                    name=questionnaire_id))
        questionnaire = found
    if band is not None and band not in questionnaire.bands:
        raise InvitationError(_("%(questionnaire)s is not written for ages %(band)s (it offers "
                                "%(bands)s).", questionnaire=questionnaire.staff_title,
                                band=band, bands=", ".join(questionnaire.bands)))
    if language is None:
        language = child.preferred_language if child.preferred_language in offered_languages \
            else "en"
    elif language not in offered_languages:
        raise InvitationError(_("Language “%(language)s” is not offered (%(offered)s).",
                                language=language, offered=", ".join(offered_languages)))
    days = days if days is not None else current_app.config.get("INVITATION_DAYS", 14)
    code = generate_code()
    invitation = Invitation(child=child, review=review, questionnaire_key=questionnaire.id,
                            band=band, language=language, code_hash=hash_code(code),
                            issued_by=issued_by, expires_at=utcnow() + timedelta(days=days),
                            request_key=request_key)
    session.add(invitation)
    session.flush()
    audit.record("invitation.issued", child_id=child.id, subject=invitation, actor=issued_by,
                 session=session)
    return Issued(invitation, code)


def reissue_code(invitation: Invitation, days: int | None = None) -> str:
    """A new code for the same invitation: the old code and any tablet still using it stop
    working, the answers so far are kept, and the new code works for the usual time.

    Raises :class:`InvitationError` if the child has already sent their answers or the
    invitation was cancelled (send a new one instead).
    """
    if invitation.state is InvitationState.SUBMITTED:
        raise InvitationError(_("The child has already sent their answers."))
    if invitation.state is InvitationState.CANCELLED:
        raise InvitationError(_("This invitation was cancelled; send a new one."))
    days = days if days is not None else current_app.config.get("INVITATION_DAYS", 14)
    code = generate_code()
    invitation.code_hash = hash_code(code)
    invitation.expires_at = utcnow() + timedelta(days=days)
    end_child_sessions(invitation, "new_code")
    audit.record("invitation.reissued", child_id=invitation.child_id, subject=invitation,
                 session=object_session(invitation))
    return code


def cancel_invitation(invitation: Invitation) -> None:
    """Withdraw an invitation; its code stops working at once. Submitted ones stay as they are.

    Raises :class:`InvitationError` if the child has already sent their answers.
    """
    if invitation.state is InvitationState.SUBMITTED:
        raise InvitationError(_("The child has already sent their answers."))
    invitation.state = InvitationState.CANCELLED
    end_child_sessions(invitation, "cancelled")
    audit.record("invitation.cancelled", child_id=invitation.child_id, subject=invitation,
                 session=object_session(invitation))


def end_child_sessions(invitation: Invitation, why: str) -> None:
    """Every session opened with ``invitation`` so far stops working, on every device and in
    every copy of its cookie; ``why`` is kept so that a device left behind can say why
    ("stopped", "sent", "new_code", "cancelled", "elsewhere")."""
    invitation.session_generation += 1
    invitation.session_ended_why = why


def is_expired(invitation: Invitation, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= invitation.expires_at
