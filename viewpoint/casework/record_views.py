"""A manager's duties to the child's record itself: producing everything held about the
child when they ask for it (subject access), adding a note beside an answer, and erasing
the record where the law allows."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..auth.permissions import child_or_404, require, response_or_404
from ..extensions import db
from ..operations import Refusal
from ..operations.rectification import NOTE_LENGTH, add_answer_note
from ..operations.retention import erase_child, is_held
from ..questionnaires.library import served
from ..records.subject_access import SubjectAccessForm
from ..records.subject_access_files import produce
from . import bp


class EraseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the law allows it"),
        description=_l("For example: added in error (the wrong child); or an erasure request "
                       "the data protection officer accepted, with its reference."),
        validators=[InputRequired(_l("Say why the record may be erased.")), Length(max=1000)])
    confirm = StringField(
        _l("Type the child's reference to confirm"),
        validators=[InputRequired(_l("Type the child's reference exactly to confirm."))])


class AnswerNoteForm(FlaskForm):
    question = HiddenField(validators=[InputRequired()])
    body = TextAreaField(_l("Note"), validators=[InputRequired(_l("Write the note.")),
                                                 Length(max=NOTE_LENGTH)])


@bp.route("/children/<int:child_id>/subject-access", methods=["GET", "POST"])
@require("records.subject_access")
def subject_access(child_id: int):  # type: ignore[no-untyped-def]
    record = child_or_404(db.session, child_id)
    form = SubjectAccessForm()
    if form.validate_on_submit():
        kind = "json" if request.form.get("format") == "json" else "pdf"
        return produce(db.session, served(),
                       record, current_user._get_current_object(), form, kind)
    return render_template("casework/subject_access.html", child=record, form=form), \
        400 if request.method == "POST" else 200


@bp.route("/children/<int:child_id>/erase", methods=["GET", "POST"])
@require("records.rectify")
def erase(child_id: int):  # type: ignore[no-untyped-def]
    record = child_or_404(db.session, child_id)
    form = EraseForm()
    problem = None
    if form.validate_on_submit():
        reference = record.reference
        try:
            erase_child(db.session, record, form.reason.data or "",
                        current_user._get_current_object(), form.confirm.data or "")
        except Refusal as refused:
            problem = refused.message
            if refused.field is not None:
                getattr(form, refused.field).errors = [refused.message]
                problem = None
        else:
            flash(_("The record of %(reference)s has been erased.", reference=reference))
            return redirect(url_for("casework.caseload"))
    return render_template("casework/erase.html", child=record, form=form, problem=problem,
                           held=is_held(db.session, record.id)), \
        400 if request.method == "POST" else 200


@bp.post("/responses/<int:response_id>/notes")
@require("records.rectify")
def add_note(response_id: int):  # type: ignore[no-untyped-def]
    found = response_or_404(db.session, response_id)
    form = AnswerNoteForm()
    if form.validate_on_submit():
        try:
            add_answer_note(db.session, found, form.question.data or "", form.body.data or "",
                            current_user._get_current_object())
        except Refusal as refused:
            flash(refused.message)
        else:
            flash(_("Note added. The child's answer is unchanged."))
    else:
        flash(_("Write the note (at most %(most)s characters).", most=NOTE_LENGTH))
    return redirect(url_for("casework.response", response_id=found.id,
                            _anchor=f"q-{form.question.data}" if form.question.data else None))
