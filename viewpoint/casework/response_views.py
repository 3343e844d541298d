"""Reading a child's response, downloading it as a PDF, and writing back to the child
("you said, we did").

Every look at a child's answers is recorded in the audit trail, the page and the PDF
alike. A response outside the signed-in person's caseload answers 404.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, ValidationError

from .. import audit
from ..auth.permissions import can, require, response_or_404
from ..extensions import db
from ..models import Response
from ..questionnaires import Catalogue
from . import bp
from .feedback import (
    MAX_LENGTH,
    MIN_LENGTH,
    clean_body,
    feedback_for_response,
    write_feedback,
)
from .pdf import response_pdf
from .reading import AnswerState, Change, read_response


def _feedback_length(_form: FlaskForm, field: TextAreaField) -> None:
    length = len(clean_body(field.data or ""))
    if length < MIN_LENGTH:
        raise ValidationError(ngettext(
            "Write at least %(num)d character, so that the child can tell what was done.",
            "Write at least %(num)d characters, so that the child can tell what was done.",
            MIN_LENGTH))
    if length > MAX_LENGTH:
        raise ValidationError(ngettext(
            "Keep it to %(num)d character or fewer (this is %(length)d).",
            "Keep it to %(num)d characters or fewer (this is %(length)d).",
            MAX_LENGTH, length=length))


class FeedbackForm(FlaskForm):
    body = TextAreaField(
        _l("What you did about what they said"),
        validators=[DataRequired(_l("Write what you did about what the child said.")),
                    _feedback_length])


def _catalogue() -> Catalogue:
    return current_app.extensions["viewpoint.questionnaires"]


def _show(found: Response, form: FeedbackForm, status: int = 200) -> Any:
    reading = read_response(db.session, _catalogue(), found)
    audit.record("response.viewed", child_id=found.child_id, subject=found)
    return render_template(
        "casework/response.html", reading=reading, form=form,
        feedback=feedback_for_response(db.session, found),
        may_write=can(current_user, "casework.act"), AnswerState=AnswerState,
        Change=Change, min_length=MIN_LENGTH, max_length=MAX_LENGTH), status


@bp.get("/responses/<int:response_id>", endpoint="response")
def show_response(response_id: int):  # type: ignore[no-untyped-def]
    """Everything the child said in one response, in English, beside last time."""
    return _show(response_or_404(db.session, response_id), FeedbackForm())


def _file_name(reading_reference: str, found: Response) -> str:
    # The reference identifies the child to the council's systems; a name never goes in a
    # file name, where it would show in download lists and shared folders.
    reference = re.sub(r"[^A-Za-z0-9_-]+", "-", reading_reference).strip("-") or "child"
    moment = found.submitted_at or found.saved_at or found.started_at
    return f"viewpoint-{reference}-{moment:%Y-%m-%d}.pdf"


@bp.get("/responses/<int:response_id>.pdf", endpoint="response_pdf")
def download_pdf(response_id: int):  # type: ignore[no-untyped-def]
    """The response as a PDF for the child's file."""
    found = response_or_404(db.session, response_id)
    reading = read_response(db.session, _catalogue(), found)
    data = response_pdf(reading, feedback_for_response(db.session, found))
    audit.record("response.pdf", child_id=found.child_id, subject=found)
    answer = make_response(data)
    answer.headers["Content-Type"] = "application/pdf"
    answer.headers.set("Content-Disposition", "attachment",
                       filename=_file_name(found.child.reference, found))
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.post("/responses/<int:response_id>/feedback", endpoint="write_feedback")
@require("casework.act")
def post_feedback(response_id: int):  # type: ignore[no-untyped-def]
    """Write back to the child about what was done; they see it next time they answer."""
    found = response_or_404(db.session, response_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        # The page is shown again with the answers on it, so that look is recorded too.
        db.keep_on_error()
        return _show(found, form, status=400)
    written = write_feedback(db.session, found, current_user, form.body.data or "")
    if written.created:
        audit.record("feedback.written", child_id=found.child_id, subject=written.feedback)
    flash(_("Saved. %(name)s will see it the next time they open a questionnaire.",
            name=found.child.first_name))
    return redirect(url_for("casework.response", response_id=found.id,
                            _anchor="you-said-we-did"))
