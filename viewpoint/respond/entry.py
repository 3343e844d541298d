"""Getting in: the start page, where a child types the code their worker gave them, and
the pages anyone can open from it (help now, and how their answers are looked after)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired

from .. import throttle
from ..extensions import db
from ..models import Invitation, InvitationState
from ..operations.invitations import (
    end_child_sessions,
    find_invitation,
    is_expired,
    looks_like_a_code,
)
from ..questionnaires.definition import BANDS
from ..questionnaires.helplines import every_helpline
from .blueprint import bp
from .helping import helpers_for
from .session import remember_child, welcome_if_signed_in, with_optional_respondent

#: Reasons the start page explains when a child is sent back to it (``?why=``).
SENT_BACK_BECAUSE = ("expired", "closed", "sent", "stale", "elsewhere")
#: The most the code box holds (its ``maxlength``).
CODE_BOX_LENGTH = 40


class CodeForm(FlaskForm):
    code = StringField(validators=[InputRequired()])


def _client() -> str:
    return request.remote_addr or "unknown"


def _code_message(kind: str, **values: Any) -> str:
    # The words are written out here (not built) so that they are extracted for translation.
    messages = {
        "wrong": _("That code didn't work. Check each letter and number and try again. If it "
                   "still doesn't work, ask the person who gave you the code."),
        "code_expired": _("This code has run out. Ask your worker for a new one — it only "
                          "takes a minute."),
        "used": _("You've already sent your answers with this code. Thank you! If you want to "
                  "say something else, ask your worker."),
        "cancelled": _("This code doesn't work any more. Your worker may have sent you a new "
                       "one."),
        "slow_down": ngettext("Too many tries. Please wait %(num)d second, then try again.",
                              "Too many tries. Please wait %(num)d seconds, then try again.",
                              values.get("seconds", 0)),
        "busy": ngettext("This code has been used a lot in the last hour. Please wait %(num)d "
                         "minute, then try again.",
                         "This code has been used a lot in the last hour. Please wait %(num)d "
                         "minutes, then try again.", values.get("minutes", 0)),
        "sent": _("Your answers have been sent. Thank you!"),
        "stale": _("Sorry, that page had been open too long, so nothing was changed. Please "
                   "try again."),
        "expired": _("You were away for a while, so we closed your questions to keep them "
                     "private. Your answers are saved: type your code to carry on."),
        "closed": _("Your questions were closed on this tablet. Your answers are saved: type "
                    "your code to carry on."),
        "elsewhere": _("Your code was typed on another tablet or phone, so we closed your "
                       "questions here. Your answers are saved: type your code to carry on "
                       "here instead."),
    }
    return messages[kind]


@bp.route("/", methods=["GET", "POST"])
@welcome_if_signed_in
def start():  # type: ignore[no-untyped-def]
    """The start page: type the code your worker gave you."""
    form = CodeForm()
    message = None
    status = 200
    why = request.args.get("why")
    if why in SENT_BACK_BECAUSE:
        message = _code_message(why)
    typed = ""
    if request.method == "POST":
        message, status = _enter_code(form)
        if message is None:
            return redirect(url_for("respond.welcome"))
        # Kept in the box (escaped by the template), so that the child can check each letter
        # as the message asks rather than type it all again.
        typed = (form.code.data or "")[:CODE_BOX_LENGTH]
    return render_template("respond/start.html", form=form, message=message, typed=typed,
                           code_refused=status == 400), status


def _enter_code(form: CodeForm) -> tuple[str | None, int]:
    """Check the typed code and sign the child in. Returns (problem, status): no problem
    and 200 when the child is in."""
    config = current_app.config
    failure_window = timedelta(minutes=config["CODE_FAILURE_WINDOW_MINUTES"])
    pace = timedelta(seconds=config["CODE_RETRY_SECONDS"])
    client_key = f"code-failure:client:{_client()}"
    pace_key = f"code-failure:pace:{_client()}"
    # A children's home or a school is one address for many children: after its allowance
    # of wrong codes it is slowed to one try every CODE_RETRY_SECONDS, not shut out, so a
    # child with the right code waits seconds while guessing stays hopeless (a code is one of
    # 32^9; two tries a minute would take millions of years to find one).
    if throttle.is_limited(db.session, client_key, config["CODE_FAILURES_PER_CLIENT"],
                           failure_window):
        wait = throttle.wait_left(db.session, pace_key, pace)
        if wait:
            return _code_message("slow_down", seconds=wait), 429
    typed = (form.code.data or "") if form.validate_on_submit() else ""
    invitation = find_invitation(db.session, typed) if looks_like_a_code(typed) else None
    problem = _why_code_fails(invitation)
    if problem is not None:
        # Counted even though the answer is an error page.
        throttle.hit(db.session, client_key, failure_window)
        throttle.mark(db.session, pace_key)
        db.keep_on_error()
        return _code_message(problem), 400 if problem == "wrong" else 410
    assert invitation is not None
    # A leaked code cannot be used from many devices at once; the child's own attempts are
    # nowhere near this, and nobody without the code can use it up.
    entry_window = timedelta(hours=1)
    code_key = f"code-entry:invitation:{invitation.id}"
    if throttle.is_limited(db.session, code_key, config["CODE_ENTRIES_PER_HOUR"], entry_window):
        minutes = -(-throttle.seconds_left(entry_window) // 60)
        return _code_message("busy", minutes=minutes), 429
    throttle.hit(db.session, code_key, entry_window)
    # One device at a time: typing the code here closes it wherever else it is open (that
    # device says why, and keeps any answer it had not sent yet until the code is typed there).
    end_child_sessions(invitation, "elsewhere")
    remember_child(invitation)
    return None, 200


def _why_code_fails(invitation: Invitation | None) -> str | None:
    """Which message a code gets that does not let the child in, or None if it does."""
    if invitation is None:
        return "wrong"
    if invitation.state is InvitationState.SUBMITTED:
        return "used"
    if invitation.state is InvitationState.CANCELLED:
        return "cancelled"
    if is_expired(invitation):
        return "code_expired"
    return None


@bp.get("/help")
def help_now():  # type: ignore[no-untyped-def]
    """Who to talk to, for anyone on the start page (no code needed, nothing recorded)."""
    return render_template("respond/help.html", helplines=every_helpline())


@bp.get("/privacy")
@with_optional_respondent
def privacy(respondent: Any = None):  # type: ignore[no-untyped-def]
    """How the service looks after what a child says, in the words of the child's band: the
    signed-in child's own band, or the one chosen (``?band=``); anyone else first chooses
    their age. Nothing is recorded."""
    chosen = request.args.get("band")
    if chosen is not None and chosen not in BANDS:
        abort(404)
    if chosen is None and respondent is not None:
        band = helpers_for(respondent).band
        chosen = band.key if band is not None else None
    return render_template("respond/privacy.html", band=BANDS.get(chosen) if chosen else None,
                           bands=list(BANDS.values()), signed_in=respondent is not None,
                           contact=current_app.config.get("DATA_PROTECTION_CONTACT"))
