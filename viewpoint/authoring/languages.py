"""A version's words in one language: for translators (a PO file down and up), for
reviewers (approving drafts) and for the people who read them aloud (recording in the
browser). The rules and their audit events are in ``operations/authoring.py``."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..i18n import font_for, language_name, text_direction
from ..operations import Refusal, authoring
from . import bp
from .common import built_version, languages, user

#: A version's words in one language (the language page and what it posts to).
LANGUAGE = "/questionnaires/<questionnaire_key>/v<int(min=0):number>/languages/<language>"


class PoForm(FlaskForm):
    po_file = FileField(_l("Translated PO file"),
                        description=_l("The file downloaded above, translated. Its words are "
                                       "drafts until a reviewer approves them."),
                        validators=[FileRequired(_l("Choose a PO file to upload."))])


class RecordingForm(FlaskForm):
    digest = StringField(validators=[InputRequired(), Length(min=24, max=24)])
    recording = FileField(_l("Recording"),
                          validators=[FileRequired(_l("Record the words, or choose a "
                                                      "recording, first."))])


def _language(language: str) -> str:
    if language not in languages():
        abort(404)
    return language


def _language_page(key: str, number: int, language: str, po_form: PoForm | None = None,
                   po_problems: list[str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    definition, built = built_version(key, number)
    texts = authoring.language_texts(db.session, current_app, built, language)
    counts = {state: sum(1 for text in texts if text.state == state)
              for state in ("approved", "draft", "app", "")}
    response = current_app.make_response((render_template(
        "authoring/language.html", key=key, definition=definition, number=number, built=built,
        language=language, direction=text_direction(language), font=font_for(language),
        language_name=language_name, texts=texts, counts=counts,
        po_form=po_form or PoForm(), po_problems=po_problems or [],
        recording_form=RecordingForm(), me=user(), audio_url=_audio_url,
        fonts=[font] if (font := font_for(language)) else []), status))
    # The one page where a microphone may be used: an author reads the words aloud.
    response.headers["Permissions-Policy"] = (
        "camera=(), microphone=(self), geolocation=(), payment=(), usb=(), "
        "interest-cohort=()")
    return response


def _audio_url(language: str, name: str) -> str:
    return url_for("respond.audio", kind="recorded", language=language, name=name)


@bp.get(LANGUAGE)
def language_page(questionnaire_key: str, number: int, language: str):  # type: ignore[no-untyped-def]
    """A version's words in one language: for translators (a PO file down and up), for
    reviewers (approving drafts) and for the people who read them aloud (recording)."""
    return _language_page(questionnaire_key, number, _language(language))


@bp.get(LANGUAGE + ".po")
def po_file(questionnaire_key: str, number: int, language: str):  # type: ignore[no-untyped-def]
    """The version's texts as a PO file, with the words there are now filled in."""
    language = _language(language)
    _definition, built = built_version(questionnaire_key, number)
    data = authoring.export_po(db.session, current_app, built, number, language)
    return data, 200, {
        "Content-Type": "text/x-gettext-translation; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{questionnaire_key}-v{number}-'
                               f'{language}.po"'}


@bp.post(LANGUAGE + "/po")
def upload_po(questionnaire_key: str, number: int, language: str):  # type: ignore[no-untyped-def]
    """A translated PO file in: its words stored as drafts, or every problem (by line)."""
    language = _language(language)
    _definition, built = built_version(questionnaire_key, number)
    form = PoForm()
    if not form.validate_on_submit():
        return _language_page(questionnaire_key, number, language, po_form=form, status=400)
    result = authoring.import_po(db.session, built, language, form.po_file.data.read(),
                                 user())
    if result.problems:
        return _language_page(questionnaire_key, number, language, po_form=form,
                              po_problems=result.problems, status=422)
    message = ngettext("%(num)d translation is saved as a draft for a reviewer to approve.",
                       "%(num)d translations are saved as drafts for a reviewer to approve.",
                       result.changed)
    if result.fuzzy:
        message += " " + ngettext("%(num)d marked as needing work was left out.",
                                  "%(num)d marked as needing work were left out.", result.fuzzy)
    flash(message)
    return redirect(url_for(".language_page", questionnaire_key=questionnaire_key,
                            number=number, language=language))


@bp.post(LANGUAGE + "/approve")
def approve(questionnaire_key: str, number: int, language: str):  # type: ignore[no-untyped-def]
    """A reviewer approves the drafts ticked."""
    language = _language(language)
    built_version(questionnaire_key, number)
    form = FlaskForm()
    ids = [int(value) for value in request.form.getlist("text")
           if value.isdigit() and len(value) < 10]
    if not form.validate_on_submit():
        abort(400)
    if not ids:
        flash(_("Tick the translations you have checked, then approve them."), "error")
    else:
        try:
            count = authoring.approve_texts(db.session, questionnaire_key, language, ids,
                                            user())
        except Refusal as refused:
            flash(refused.message, "error")
        else:
            flash(ngettext("%(num)d translation is approved.",
                           "%(num)d translations are approved.", count))
    return redirect(url_for(".language_page", questionnaire_key=questionnaire_key,
                            number=number, language=language))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post(LANGUAGE + "/recordings")
def record(questionnaire_key: str, number: int, language: str):  # type: ignore[no-untyped-def]
    """A person's reading of one text saved: children hear it for those words from now on.
    The page's recorder sends it (and is answered in JSON); without the script, the form
    takes a file recorded on the device."""
    language = _language(language)
    _definition, built = built_version(questionnaire_key, number)
    page = url_for(".language_page", questionnaire_key=questionnaire_key, number=number,
                   language=language)
    form = RecordingForm()
    problem = None
    if not form.validate_on_submit():
        problem = next(iter(form.recording.errors or form.digest.errors
                            or form.errors.get("csrf_token", [])),
                       _("The recording was not sent whole: record it again."))
    else:
        try:
            saved = authoring.save_recording(db.session, current_app, built, language,
                                             form.digest.data or "",
                                             form.recording.data.read(), user())
        except Refusal as refused:
            problem = refused.message
    if problem is not None:
        if _wants_json():
            return jsonify(status="refused", message=str(problem)), 422
        flash(str(problem), "error")
        return redirect(page)
    assert saved.recording is not None
    message = _("The recording is saved: children hear it for these words.")
    if _wants_json():
        return jsonify(status="saved", message=message,
                       audio=_audio_url(language, saved.recording))
    flash(message)
    return redirect(f"{page}#t-{saved.digest}")


@bp.post(LANGUAGE + "/recordings/<digest>/remove")
def remove_recording(questionnaire_key: str, number: int, language: str, digest: str):  # type: ignore[no-untyped-def]
    """A recording taken away: children hear the synthesised voice (or none) again."""
    language = _language(language)
    _definition, built = built_version(questionnaire_key, number)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        if authoring.remove_recording(db.session, current_app, built, language, digest, user()):
            flash(_("The recording is removed."))
    except Refusal as refused:
        flash(str(refused.message), "error")
    return redirect(url_for(".language_page", questionnaire_key=questionnaire_key,
                            number=number, language=language))


