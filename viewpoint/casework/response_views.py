"""Reading a child's response, downloading it as a PDF, and writing back to the child
("you said, we did").

Every look at a child's answers is recorded in the audit trail, the page and the PDF
alike. A response outside the signed-in person's caseload answers 404.

A team manager may also share a note, in words nobody could be recognised from, with the
Children in Care Council, and stop sharing it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from .. import audit
from ..auth.permissions import can, require, response_or_404
from ..extensions import db
from ..models import AnswerNote, Feedback, Response
from ..operations.feedback import (
    MAX_LENGTH,
    MIN_LENGTH,
    SHARE_CHECKLIST,
    SHARE_MAX_LENGTH,
    SHARE_MIN_LENGTH,
    IdentifyingDetails,
    WrongLength,
    check_shareable,
    clean_body,
    feedback_for_response,
    share_feedback,
    stop_sharing,
    write_feedback,
)
from ..questionnaires import Catalogue
from ..questionnaires.library import served
from ..records.export import response_record
from ..records.pdf import response_pdf
from ..records.reading import AnswerState, Change, read_response
from . import bp
from .forms import ConfirmForm


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


def _share_length(_form: FlaskForm, field: TextAreaField) -> None:
    length = len(clean_body(field.data or ""))
    if length < SHARE_MIN_LENGTH:
        raise ValidationError(ngettext(
            "Write at least %(num)d character, so that the council can tell what changed.",
            "Write at least %(num)d characters, so that the council can tell what changed.",
            SHARE_MIN_LENGTH))
    if length > SHARE_MAX_LENGTH:
        raise ValidationError(ngettext(
            "Keep it to %(num)d character or fewer (this is %(length)d).",
            "Keep it to %(num)d characters or fewer (this is %(length)d).",
            SHARE_MAX_LENGTH, length=length))


class ShareForm(FlaskForm):
    """The words a manager approves for the Children in Care Council, one form per note
    (its prefix, ``share-<id>``, keeps the fields of the notes on one page apart), and the
    checklist the manager must confirm first: what no check of the words can see.

    The boxes are named as the items of ``SHARE_CHECKLIST`` (the audit trail keeps which
    were confirmed) and start unticked, on every note and every time.
    """

    text = TextAreaField(
        _l("Words to share"),
        validators=[DataRequired(_l("Write the words to share with the Children in Care "
                                    "Council.")),
                    _share_length])
    no_names = BooleanField(_l("No names, nicknames or initials of anyone"))
    no_places = BooleanField(_l("No places: homes, schools, streets, towns"))
    no_dates_ages_or_numbers = BooleanField(_l("No dates, ages or numbers"))
    nothing_only_this_child = BooleanField(_l(
        "Nothing only this child would have said or done (a rare event, a particular hobby, "
        "a described appearance)"))
    content_to_see_it = BooleanField(_l(
        "The child would be content to see these words on the wall of the Children in Care "
        "Council"))

    @property
    def checklist(self) -> list[BooleanField]:
        return [self[item] for item in SHARE_CHECKLIST]

    @property
    def confirmed(self) -> list[str]:
        """The checklist items ticked."""
        return [item for item in SHARE_CHECKLIST if self[item].data]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        unticked = [box for box in self.checklist if not box.data]
        if unticked:
            # One message, on the first box left empty, so the error summary leads there.
            unticked[0].errors.append(ngettext(
                "%(num)d check is not ticked: share the words only when every check is true "
                "of them.",
                "%(num)d checks are not ticked: share the words only when every check is true "
                "of them.", len(unticked)))
            return False
        return valid

    def refuse(self, refused: IdentifyingDetails) -> None:
        """Show what the check found in the words, and clear the checklist: the boxes said
        there was nothing of the kind, so they are ticked again only once the words have been
        read again (with no message of their own: the words are what to mend)."""
        self.text.errors = refused.messages
        for box in self.checklist:
            box.data = False
            box.errors = []


def _share_form(note: Feedback) -> ShareForm:
    """A fresh form for ``note``: the words already shared, or else the note to rewrite."""
    form = ShareForm(prefix=f"share-{note.id}", formdata=None)
    form.text.data = note.shared_text or note.body
    return form


def _catalogue() -> Catalogue:
    return served()


def _show(found: Response, form: FeedbackForm, status: int = 200,
          share_form: ShareForm | None = None, shared_note: int | None = None) -> Any:
    reading = read_response(db.session, _catalogue(), found)
    audit.record("response.viewed", child_id=found.child_id, subject=found)
    feedback = feedback_for_response(db.session, found)
    notes: dict[str, list[AnswerNote]] = {}
    for note in db.session.scalars(select(AnswerNote).where(AnswerNote.response_id == found.id)
                                   .order_by(AnswerNote.written_at)):
        notes.setdefault(note.question_key, []).append(note)
    may_share = can(current_user, "casework.share_feedback")
    share_forms = {note.id: share_form if share_form is not None and note.id == shared_note
                   else _share_form(note) for note in feedback} if may_share else {}
    return render_template(
        "casework/response.html", reading=reading, form=form, feedback=feedback,
        may_write=can(current_user, "casework.act"), may_share=may_share,
        share_forms=share_forms, AnswerState=AnswerState, notes=notes,
        may_note=can(current_user, "records.rectify"),
        Change=Change, min_length=MIN_LENGTH, max_length=MAX_LENGTH,
        share_min_length=SHARE_MIN_LENGTH, share_max_length=SHARE_MAX_LENGTH), status


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


@bp.get("/responses/<int:response_id>.json", endpoint="response_json")
def download_json(response_id: int):  # type: ignore[no-untyped-def]
    """The response as structured JSON, to attach to the child's case record (the record the
    API gives for a sent response; one still being answered has ``submitted_at`` null, as its
    PDF says "not sent yet")."""
    found = response_or_404(db.session, response_id)
    reading = read_response(db.session, _catalogue(), found)
    audit.record("response.json", child_id=found.child_id, subject=found)
    answer = make_response(json.dumps(response_record(found, reading), ensure_ascii=False,
                                      indent=2))
    answer.headers["Content-Type"] = "application/json; charset=utf-8"
    answer.headers.set("Content-Disposition", "attachment",
                       filename=_file_name(found.child.reference, found).replace(".pdf", ".json"))
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
    write_feedback(db.session, found, current_user, form.body.data or "")
    flash(_("Saved. %(name)s will see it the next time they open a questionnaire.",
            name=found.child.first_name))
    return redirect(url_for("casework.response", response_id=found.id,
                            _anchor="you-said-we-did"))


def _note_or_404(found: Response, feedback_id: int) -> Feedback:
    note = db.session.get(Feedback, feedback_id)
    if note is None or note.response_id != found.id:
        abort(404)
    return note


def _back_to(note: Feedback) -> Any:
    return redirect(url_for("casework.response", response_id=note.response_id,
                            _anchor=f"feedback-{note.id}"))


@bp.post("/responses/<int:response_id>/feedback/<int:feedback_id>/share",
         endpoint="share_feedback")
@require("casework.share_feedback")
def post_share(response_id: int, feedback_id: int):  # type: ignore[no-untyped-def]
    """A manager approves a note, in words nobody could be recognised from, for the
    Children in Care Council's dashboard."""
    found = response_or_404(db.session, response_id)
    note = _note_or_404(found, feedback_id)
    form = ShareForm(prefix=f"share-{note.id}")
    if not form.validate_on_submit():
        if form.is_submitted() and not form.text.errors and not form.csrf_token.errors:
            # Only boxes are missing: say now what is wrong with the words too, rather than
            # after every box has been ticked.
            try:
                check_shareable(db.session, note, form.text.data or "")
            except IdentifyingDetails as refused:
                form.refuse(refused)
    else:
        try:
            shared = share_feedback(db.session, note, current_user, form.text.data or "",
                                    checklist=form.confirmed)
        except IdentifyingDetails as refused:
            form.refuse(refused)
        except WrongLength:  # the form's own check agrees, so this is not expected
            form.text.errors = [_("Write between %(min)d and %(max)d characters.",
                                  min=SHARE_MIN_LENGTH, max=SHARE_MAX_LENGTH)]
        else:
            if shared.changed:
                flash(_("Shared with the Children in Care Council. They will see these "
                        "words, with no names, on their dashboard."))
            else:
                flash(_("These words were already shared with the Children in Care Council."))
            return _back_to(note)
    # The page is shown again with the answers on it, so that look is recorded too.
    db.keep_on_error()
    return _show(found, FeedbackForm(formdata=None), status=400, share_form=form,
                 shared_note=note.id)


@bp.post("/responses/<int:response_id>/feedback/<int:feedback_id>/stop-sharing",
         endpoint="stop_sharing_feedback")
@require("casework.share_feedback")
def post_stop_sharing(response_id: int, feedback_id: int):  # type: ignore[no-untyped-def]
    """A manager withdraws a note from the Children in Care Council's dashboard."""
    found = response_or_404(db.session, response_id)
    note = _note_or_404(found, feedback_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if stop_sharing(db.session, note, current_user):
        flash(_("No longer shared with the Children in Care Council."))
    else:
        flash(_("This note was not shared with the Children in Care Council."))
    return _back_to(note)
