"""Sending a questionnaire from a review: suggest, issue, show the code once with a card to
print; cancel; give a new code when the child has lost theirs."""

from __future__ import annotations

import secrets
from datetime import date
from functools import cache

import segno
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ..auth.permissions import invitation_or_404, require, review_or_404
from ..extensions import db
from ..i18n import (
    available_languages,
    font_for,
    language_label,
    text_direction,
)
from ..models import Invitation, InvitationState
from ..operations.invitations import (
    InvitationError,
    band_for,
    cancel_invitation,
    issue_invitation,
    reissue_code,
    review_problem,
)
from ..questionnaires import Catalogue
from ..questionnaires.library import served
from . import bp
from .card import card_lines
from .forms import ConfirmForm, InviteForm, options

#: The band choice that means "work it out from the child's date of birth".
BAND_FROM_AGE = "age"


def _catalogue() -> Catalogue:
    return served()


def start_page_url() -> str:
    """The address a child types or scans: the public address if set, else this server's."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + "/"


@cache
def _qr_svg(url: str) -> str:
    # Only the start page's address is in the QR code, never the child's code.
    return segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff",
                                                 title=None, svgclass="qr")


def _form_for(review, form: InviteForm | None = None) -> InviteForm:  # type: ignore[no-untyped-def]
    """The invitation form with choices and, on first showing, the suggestions filled in."""
    catalogue = _catalogue()
    child = review.plan.child
    suggested = catalogue.for_plan_kind(review.plan.kind.value)
    questionnaires = suggested + [q for q in catalogue.questionnaires.values()
                                  if q not in suggested]
    form = form or InviteForm()
    form.questionnaire.choices = options((q.id, q.staff_title) for q in questionnaires)
    chosen = catalogue.get(form.questionnaire.data or "") or (suggested or questionnaires)[0]
    on = max(review.due_on, date.today())
    form.band.choices = options([(BAND_FROM_AGE, _("From date of birth: ages %(band)s",
                                                   band=band_for(child, chosen, on)))] + [
        (band, _("Ages %(band)s", band=band)) for band in chosen.bands])
    offered = available_languages()
    form.language.choices = options((code, language_label(code)) for code in offered)
    if request.method == "GET":
        form.questionnaire.data = chosen.id
        form.band.data = BAND_FROM_AGE
        form.language.data = child.preferred_language if child.preferred_language in offered \
            else "en"
        form.request_key.data = secrets.token_urlsafe(24)
    return form


@bp.route("/reviews/<int:review_id>/invite", methods=["GET", "POST"])
@require("casework.invite")
def invite(review_id: int):  # type: ignore[no-untyped-def]
    review = review_or_404(db.session, review_id)
    child = review.plan.child
    form = _form_for(review)
    open_invitations = list(db.session.scalars(select(Invitation).where(
        Invitation.review_id == review.id,
        Invitation.state.in_([InvitationState.ISSUED, InvitationState.STARTED]))))
    problem = review_problem(review)
    if problem is None and form.validate_on_submit():
        already = db.session.scalar(select(Invitation).where(
            Invitation.request_key == form.request_key.data))
        if already is not None:
            # The same form sent twice (a double click, a resent request): one code only.
            flash(_("That questionnaire was already sent; its code was shown once. If the "
                    "child does not have it, give them a new code."))
            return redirect(url_for("casework.child", child_id=child.id))
        try:
            issued = issue_invitation(
                db.session, _catalogue(), child, review=review,
                questionnaire_id=form.questionnaire.data,
                band=None if form.band.data == BAND_FROM_AGE else form.band.data,
                language=form.language.data, issued_by=current_user,
                offered_languages=available_languages(), request_key=form.request_key.data)
        except InvitationError as exc:
            problem = str(exc)
        else:
            return _card(issued.invitation, issued.code, status=201)
    status = 400 if request.method == "POST" else 200
    return render_template("casework/invite.html", form=form, review=review, child=child,
                           problem=problem, open_invitations=open_invitations), status


def _card(invitation: Invitation, code: str, status: int = 200):  # type: ignore[no-untyped-def]
    """The one page that ever shows a code: big on screen, and a card to print."""
    questionnaire = _catalogue().get(invitation.questionnaire_key)
    url = start_page_url()
    language = invitation.language
    card = card_lines(invitation)
    response = current_app.make_response((render_template(
        "casework/card.html", invitation=invitation, code=code, child=invitation.child,
        questionnaire=questionnaire, start_url=url, qr=Markup(_qr_svg(url)),  # noqa: S704 (segno's own SVG)
        card=card, card_lang=language.replace("_", "-"), card_dir=text_direction(language),
        card_font=font_for(language)), status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/invitations/<int:invitation_id>/reissue", methods=["POST"])
@require("casework.invite")
def reissue_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    invitation = invitation_or_404(db.session, invitation_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("casework.child", child_id=invitation.child_id))
    try:
        code = reissue_code(invitation)
    except InvitationError as exc:
        flash(str(exc))
        return redirect(url_for("casework.child", child_id=invitation.child_id))
    return _card(invitation, code)


@bp.route("/invitations/<int:invitation_id>/cancel", methods=["POST"],
          endpoint="cancel_invitation")
@require("casework.invite")
def cancel_invitation_view(invitation_id: int):  # type: ignore[no-untyped-def]
    invitation = invitation_or_404(db.session, invitation_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            cancel_invitation(invitation)
        except InvitationError as exc:
            flash(str(exc))
        else:
            flash(_("The code has been cancelled and no longer works. Answers given so far "
                    "are kept."))
    return redirect(url_for("casework.child", child_id=invitation.child_id))

