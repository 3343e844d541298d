"""The child's session on a tablet: who is answering, decided once per request.

A child is signed in by typing their code (:func:`remember_child`). On every page that
needs them, a decorator loads them (:func:`load_respondent`) and hands them to the view,
or sends whoever is holding the tablet back to the start page with the reason, so that no
view works out for itself who the child is. The child is forgotten when they have been
away too long, when their code stops working, when their session was ended on another
device, and when they stop or finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, NoReturn

from flask import current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import get_locale
from sqlalchemy import select

from ..auth.sessions import end_session_in_cookie
from ..extensions import db
from ..i18n import available_languages
from ..models import Child, Invitation, InvitationState, QuestionnaireVersion, Response

#: The child's part of the session cookie: their invitation, the session generation it was
#: started in, and when they were last seen.
SESSION_KEY = "respondent"
#: The language the worker set on the invitation, kept beside the child's part so that
#: every child page (help, errors) speaks it without a database query (``i18n``).
LANGUAGE_KEY = "invitation_language"
#: Re-signing the cookie on every save costs; noting the child as seen every 30 s is plenty.
SEEN_EVERY_SECONDS = 30
#: Why the child on this tablet was signed out, and the language their pages were in if
#: that came from their invitation, kept after they are forgotten: when the page's script
#: is the first to find that their time ran out, the page they go to next still says why,
#: in the language they were reading.
SIGNED_OUT_KEY = "signed_out"


@dataclass
class Respondent:
    """The child whose session this is, with everything their pages need."""

    invitation: Invitation
    response: Response | None
    #: The digest of the response's snapshot (its wording), loaded with it.
    digest: str | None = None

    @property
    def child(self) -> Child:
        return self.invitation.child


class SignedOut(Exception):
    """Raised when no child is signed in on this tablet. ``why`` is what the start page
    tells them: "none" (nobody was), "expired" (away too long), "sent" (their answers
    were sent), "elsewhere" (their code was typed on another device) or "closed" (the
    session was ended, or the code stopped working)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def remember_child(invitation: Invitation) -> None:
    """Sign the child with ``invitation`` in on this tablet.

    Whoever used the tablet before (a child or a signed-in worker) is forgotten, except
    the language chosen on the start page: that was the child holding the tablet now.
    """
    chosen = session.get("language")
    left = session.get(SIGNED_OUT_KEY) or {}
    # A worker signed in on this browser is signed out everywhere their cookie went, not
    # only here: forgetting the cookie alone would leave the session usable from a copy.
    end_session_in_cookie(session, "signed_out")
    if left.get("language") is not None and left.get("language") == chosen:
        chosen = None  # kept for the start page from the child before, not chosen by this one
    session.clear()
    if chosen in available_languages():
        session["language"] = chosen
    session[SESSION_KEY] = {"invitation": invitation.id,
                            "generation": invitation.session_generation,
                            "seen": int(time.time())}
    session[LANGUAGE_KEY] = invitation.language


def _pin_language() -> None:
    # Decide this request's language while the child's session still says it: the page
    # that answers (a goodbye, the start page) is in the language the child was using.
    get_locale()


def forget_child() -> None:
    """Forget the child on this tablet; the rest of the session (the language the child
    chose, read-aloud) is kept for whoever carries on."""
    _pin_language()
    session.pop(SESSION_KEY, None)
    session.pop(LANGUAGE_KEY, None)


def clear_tablet() -> None:
    """Forget everything about this tablet's session: the child has stopped or finished."""
    _pin_language()
    session.clear()


def _sign_out(why: str) -> NoReturn:
    """Forget the child, noting why (and keeping the language of their pages), and raise
    :class:`SignedOut`."""
    language = session.get(LANGUAGE_KEY)
    forget_child()
    left: dict[str, Any] = {"why": why, "language": None}
    if "language" not in session and language in available_languages():
        session["language"] = left["language"] = language
    session[SIGNED_OUT_KEY] = left
    raise SignedOut(why)


def load_respondent() -> Respondent:
    """The child signed in on this tablet, noted as seen now.

    Raises :class:`SignedOut` (and forgets the child, if there was one) when nobody is
    signed in, when the child has been away longer than ``RESPONDENT_IDLE_MINUTES``, when
    their answers have been sent, and when their session or code no longer works. Once a
    child has been signed out, the reason is given again until someone types a code.
    """
    data = session.get(SESSION_KEY)
    if not data:
        raise SignedOut((session.get(SIGNED_OUT_KEY) or {}).get("why") or "none")
    idle = timedelta(minutes=current_app.config["RESPONDENT_IDLE_MINUTES"])
    if time.time() - data.get("seen", 0) > idle.total_seconds():
        _sign_out("expired")
    found = db.session.execute(
        select(Invitation, Response, QuestionnaireVersion.digest)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .outerjoin(QuestionnaireVersion,
                   QuestionnaireVersion.id == Response.questionnaire_version_id)
        .where(Invitation.id == data.get("invitation"))).first()
    invitation, response, digest = found if found is not None else (None, None, None)
    why = why_signed_out(invitation, data.get("generation"))
    if why is not None:
        _sign_out(why)
    now = int(time.time())
    if now - data.get("seen", 0) >= SEEN_EVERY_SECONDS:
        data["seen"] = now
        session.modified = True
    # The invitation as it is now, in case the worker changed its language since.
    g.invitation_language = invitation.language
    return Respondent(invitation, response, digest)


def why_signed_out(invitation: Invitation | None, generation: object) -> str | None:
    """Why a child signed in on this tablet in session ``generation`` of ``invitation`` is
    no longer (as :class:`SignedOut` says it), or None if they still are."""
    if invitation is not None and invitation.state is InvitationState.SUBMITTED:
        return "sent"
    if invitation is not None and invitation.session_generation != generation \
            and invitation.session_ended_why == "elsewhere" and invitation.is_usable():
        return "elsewhere"  # the code was typed on another device since
    if (invitation is None or invitation.session_generation != generation
            or not invitation.is_usable()):
        return "closed"
    return None


def _is_signed_in() -> bool:
    try:
        load_respondent()
    except SignedOut:
        return False
    return True


def _back_to_start(why: str) -> Any:
    return redirect(url_for("respond.start", why=why if why != "none" else None))


View = Callable[..., Any]


def with_respondent(view: View) -> View:
    """For a page that needs the child: the view is called with ``respondent``; anyone
    else is sent to the start page, told why."""

    @wraps(view)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        try:
            respondent = load_respondent()
        except SignedOut as signed_out:
            return _back_to_start(signed_out.why)
        return view(*args, respondent=respondent, **kwargs)

    return decorated


def with_response(view: View) -> View:
    """For a page of the questions: the view is called with ``respondent`` and their
    ``response``; a child who has not started yet is sent to their welcome page, anyone
    else to the start page, told why."""

    @wraps(view)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        try:
            respondent = load_respondent()
        except SignedOut as signed_out:
            return _back_to_start(signed_out.why)
        if respondent.response is None:
            return redirect(url_for("respond.welcome"))
        return view(*args, respondent=respondent, response=respondent.response, **kwargs)

    return decorated


def with_response_json(view: View) -> View:
    """:func:`with_response` for the page's script: instead of a redirect it answers 401
    ``{"status": "signed_out", "reason": why}`` (reason null for a child who has not
    started), so that the script can keep the answer and tell the child."""

    @wraps(view)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        try:
            respondent = load_respondent()
        except SignedOut as signed_out:
            return jsonify(status="signed_out", reason=signed_out.why), 401
        if respondent.response is None:
            return jsonify(status="signed_out", reason=None), 401
        return view(*args, respondent=respondent, response=respondent.response, **kwargs)

    return decorated


def with_optional_respondent(view: View) -> View:
    """For a page anyone may use (talking to someone, stopping, choosing a language): the
    view is called with ``respondent``, the child or None."""

    @wraps(view)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        try:
            respondent: Respondent | None = load_respondent()
        except SignedOut:
            respondent = None
        return view(*args, respondent=respondent, **kwargs)

    return decorated


def welcome_if_signed_in(view: View) -> View:
    """For the start page: a child already signed in who opens it is sent on to their
    welcome page. Only opening it looks; sending a code signs in whoever typed it."""

    @wraps(view)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET" and _is_signed_in():
            return redirect(url_for("respond.welcome"))
        return view(*args, **kwargs)

    return decorated
