"""Changing a draft on the page, question by question: its wording for each age band, its
answers, when it is asked, what it counts towards and which answers raise an alert; adding,
moving and removing questions; a new questionnaire from nothing.

A change is saved into the draft at once (nothing children see changes until it is
published). A field that cannot be written into a definition at all (an answer line with
no id) is refused on the form; everything else is saved and checked the way publishing
checks it, with every problem shown beside its question on the questionnaire's page.
The definition changes are in ``questionnaires/editing.py``; saving in
``operations/authoring.py``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db
from ..models import DefinitionStatus, PlanKind, QuestionnaireDefinition
from ..operations import Refusal, authoring
from ..questionnaires import BANDS, editing
from ..questionnaires.definition import QUESTION_TYPES
from . import bp
from .common import the_library, user, version

QUESTIONS = "/questionnaires/<questionnaire_key>/v<int:number>/questions"


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


#: How the editor names each kind of question.
TYPE_LABELS = {
    "faces": _l("Faces (happy, in the middle, sad)"),
    "yes_no": _l("Yes, not sure, no"),
    "choose_one": _l("Choose one answer"),
    "choose_many": _l("Choose any number of answers"),
    "scale": _l("A number on a scale"),
    "free_text": _l("The child's own words"),
}

#: One wording field per age band (shown for the bands the questionnaire offers).
BAND_FIELD = {band: "text_" + band.replace("-", "_") for band in BANDS}


def _band_field(band: str) -> StringField:
    return TextAreaField(_l("Words for ages %(band)s", band=band),
                         description=_l("Leave empty to use the words above."),
                         validators=[Length(max=1000)])


class QuestionForm(FlaskForm):
    key = StringField(_l("Question id"),
                      description=_l("Lower-case letters, digits and _ (for example "
                                     "feel_now). Answers are stored under it."),
                      validators=[InputRequired(_l("Give the question an id.")),
                                  Length(max=64)])
    type = SelectField(_l("Kind of question"),
                       choices=[SelectChoice(kind, TYPE_LABELS[kind]) for kind in QUESTION_TYPES])
    text = TextAreaField(_l("The question, as the child reads it"),
                         validators=[InputRequired(_l("Write the question.")),
                                     Length(max=1000)])
    hint = StringField(_l("Hint under the question (optional)"), validators=[Length(max=500)])
    staff_text = StringField(_l("What staff read"),
                             description=_l("A short statement for the worker's page and the "
                                            "dashboards (for example: Feels safe since "
                                            "coming back)."),
                             validators=[InputRequired(_l("Say what staff read.")),
                                         Length(max=200)])
    bands = CheckboxesField(_l("Asked of ages"),
                            description=_l("None ticked: every age the questionnaire is for."))
    options = TextAreaField(_l("Answers, one a line: id = words"),
                            description=_l("For example: a_lot = Yes, a lot. Faces and yes/no "
                                           "questions have their own answers when this is "
                                           "left empty."),
                            validators=[Length(max=4000)])
    scale_min = IntegerField(_l("Lowest number"), validators=[Optional(),
                                                              NumberRange(-100, 100)])
    scale_max = IntegerField(_l("Highest number"), validators=[Optional(),
                                                               NumberRange(-100, 100)])
    scale_low = StringField(_l("Words for the lowest number"), validators=[Length(max=200)])
    scale_high = StringField(_l("Words for the highest number"), validators=[Length(max=200)])
    max_length = IntegerField(_l("Longest answer (characters)"),
                              validators=[Optional(), NumberRange(1, 5000)])
    show_if_question = SelectField(_l("Ask it only after this question"), default="")
    show_if_answers = StringField(_l("...was answered"),
                                  description=_l("Answer ids separated by commas (sad, okay); "
                                                 "for a scale: 3 or more, 2 or less, 2 to 4."),
                                  validators=[Length(max=200)])
    indicator = SelectField(_l("Counts towards the indicator"), default="")
    positive = StringField(_l("Answers that count as positive"),
                           description=_l("Answer ids, or for a scale: 7 or more."),
                           validators=[Length(max=200)])
    alert_answers = StringField(_l("Answers that raise a safeguarding alert"),
                                description=_l("The worker is told the same day."),
                                validators=[Length(max=200)])
    alert_summary = StringField(_l("What the worker is told"), validators=[Length(max=200)])
    talk_request = BooleanField(_l("This question asks whether the child wants someone to "
                                   "talk with them"))
    rather_not_say = BooleanField(_l("Offer \u201cI'd rather not say\u201d"), default=True)


for _band, _name in BAND_FIELD.items():
    setattr(QuestionForm, _name, _band_field(_band))


class SettingsForm(FlaskForm):
    key = StringField(_l("Questionnaire id"),
                      description=_l("Lower-case letters, digits and dashes (for example "
                                     "back-from-missing). It never changes."),
                      validators=[Length(max=64)])
    title = StringField(_l("Title, as children read it"),
                        validators=[InputRequired(_l("Give the questionnaire a title.")),
                                    Length(max=200)])
    staff_title = StringField(_l("Title for staff"),
                              validators=[InputRequired(_l("Give staff a title for it.")),
                                          Length(max=200)])
    intro = TextAreaField(_l("Welcome words (optional)"), validators=[Length(max=2000)])
    plan_kinds = CheckboxesField(_l("Offered for plans"),
                                 choices=[SelectChoice(value, label)
                                          for value, label in PlanKind.labelled()],
                                 validators=[InputRequired(_l("Tick the plans it is offered "
                                                              "for."))])
    bands = CheckboxesField(_l("For ages"),
                            choices=[SelectChoice(band, band) for band in BANDS],
                            validators=[InputRequired(_l("Tick the ages it is for."))])


def _draft(key: str, number: int) -> QuestionnaireDefinition | Response:
    """The draft, or (for a published or retired version) the way back with the reason."""
    definition = version(key, number)
    if definition.status is not DefinitionStatus.DRAFT:
        flash(_("Version %(version)d is not a draft: a published version never changes, so "
                "every answer keeps the words the child saw. Start a new draft to change it.",
                version=number), "error")
        return redirect(url_for(".questionnaire", questionnaire_key=key))
    return definition


def _back(key: str, anchor: str = "") -> Response:
    return redirect(url_for(".questionnaire", questionnaire_key=key) + anchor)


def _question_form(definition: QuestionnaireDefinition, question_key: str | None,
                   data: editing.QuestionFields | None) -> QuestionForm:
    source = definition.source
    bands = tuple(source.get("bands") or ())
    form = QuestionForm(data=None if data is None else {
        **{name: getattr(data, name) for name in (
            "key", "type", "text", "hint", "staff_text", "options", "scale_min", "scale_max",
            "scale_low", "scale_high", "max_length", "show_if_question", "show_if_answers",
            "indicator", "positive", "alert_answers", "alert_summary", "talk_request",
            "rather_not_say")},
        "bands": list(data.bands),
        **{BAND_FIELD[band]: (data.band_texts or {}).get(band, "") for band in BANDS}})
    form.bands.choices = [SelectChoice(band, band) for band in bands]
    keys = [q.get("key") for q in source.get("questions") or [] if isinstance(q, dict)]
    earlier = keys[:keys.index(question_key)] if question_key in keys else keys
    form.show_if_question.choices = [SelectChoice("", _("Always ask it")),
                                     *(SelectChoice(key, key) for key in earlier)]
    indicators = the_library().indicators(db.session)
    form.indicator.choices = [SelectChoice("", _("None")), *(
        SelectChoice(key, f"{indicator.label} ({key})")
        for key, indicator in sorted(indicators.items()))]
    return form


def _fields(form: QuestionForm, bands: tuple[str, ...]) -> editing.QuestionFields:
    return editing.QuestionFields(
        key=(form.key.data or "").strip(), type=form.type.data or "",
        bands=tuple(form.bands.data or ()), text=form.text.data or "",
        band_texts={band: (getattr(form, BAND_FIELD[band]).data or "").strip()
                    for band in bands},
        hint=form.hint.data or "", staff_text=form.staff_text.data or "",
        options=form.options.data or "", scale_min=form.scale_min.data,
        scale_max=form.scale_max.data, scale_low=form.scale_low.data or "",
        scale_high=form.scale_high.data or "", max_length=form.max_length.data,
        show_if_question=form.show_if_question.data or "",
        show_if_answers=form.show_if_answers.data or "", indicator=form.indicator.data or "",
        positive=form.positive.data or "", alert_answers=form.alert_answers.data or "",
        alert_summary=form.alert_summary.data or "",
        talk_request=bool(form.talk_request.data),
        rather_not_say=bool(form.rather_not_say.data))


def _edit_question(key: str, number: int, question_key: str | None):  # type: ignore[no-untyped-def]
    posted = request.method == "POST"
    definition = version(key, number)
    if definition.status is not DefinitionStatus.DRAFT and not posted:
        return _draft(key, number)
    source = definition.source
    bands = tuple(source.get("bands") or ())
    current = next((q for q in source.get("questions") or []
                    if isinstance(q, dict) and q.get("key") == question_key), None)
    if question_key is not None and current is None:
        if not posted:
            flash(_("That question is no longer in the draft."), "error")
            return _back(key)
        # Removed by someone else while this was being written: what was typed is added
        # again, at the end, rather than lost.
        flash(_("The question had been removed from the draft meanwhile: it is added again, "
                "at the end."), "error")
        question_key = None
    form = _question_form(definition, question_key, None if posted else (
        editing.fields_of(current, bands) if current is not None else editing.QuestionFields()))
    status = 200
    if posted and definition.status is not DefinitionStatus.DRAFT:
        # Published (or withdrawn) while this was being written: nothing can change it, and
        # the words typed stay on the page to be copied into a new draft.
        problem = _("Version %(version)d was published while you were writing: a published "
                    "version never changes. Nothing was saved; copy what you wrote into a new "
                    "draft.", version=number)
        return render_template("authoring/question.html", key=key, definition=definition,
                               form=form, question_key=question_key, bands=bands,
                               band_field=BAND_FIELD, problem=problem,
                               title=source.get("staff_title") or key), 409
    if posted:
        status = 400
        if form.validate_on_submit():
            try:
                changed = editing.apply_question(source, question_key, _fields(form, bands))
            except editing.EditError as refused:
                getattr(form, refused.field).errors = [refused.message]
                status = 422
            else:
                authoring.save_draft(db.session, definition, changed, user())
                flash(_("The question is saved in the draft."))
                return _back(key, f"#q-{form.key.data.strip()}")
    return render_template("authoring/question.html", key=key, definition=definition,
                           form=form, question_key=question_key, bands=bands,
                           band_field=BAND_FIELD, title=source.get("staff_title") or key), status


@bp.route(QUESTIONS + "/new", methods=["GET", "POST"])
def new_question(questionnaire_key: str, number: int):  # type: ignore[no-untyped-def]
    """A question added at the end of the draft."""
    return _edit_question(questionnaire_key, number, None)


@bp.route(QUESTIONS + "/<question_key>", methods=["GET", "POST"])
def edit_question(questionnaire_key: str, number: int, question_key: str):  # type: ignore[no-untyped-def]
    """One question of the draft, every field of it the page can change."""
    return _edit_question(questionnaire_key, number, question_key)


@bp.post(QUESTIONS + "/<question_key>/move")
def move_question(questionnaire_key: str, number: int, question_key: str) -> Response:
    found = _draft(questionnaire_key, number)
    if isinstance(found, Response):
        return found
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if FlaskForm().validate_on_submit() and step is not None:
        authoring.save_draft(db.session, found,
                             editing.move_question(found.source, question_key, step), user())
    return _back(questionnaire_key, f"#q-{question_key}")


@bp.post(QUESTIONS + "/<question_key>/remove")
def remove_question(questionnaire_key: str, number: int, question_key: str) -> Response:
    found = _draft(questionnaire_key, number)
    if isinstance(found, Response):
        return found
    if FlaskForm().validate_on_submit():
        authoring.save_draft(db.session, found,
                             editing.remove_question(found.source, question_key), user())
        flash(_("The question %(key)s is removed from the draft.", key=question_key))
    return _back(questionnaire_key)


def _settings_form(data: editing.SettingsFields | None, key: str = "") -> SettingsForm:
    return SettingsForm(data=None if data is None else {
        "key": key, "title": data.title, "staff_title": data.staff_title, "intro": data.intro,
        "plan_kinds": list(data.plan_kinds), "bands": list(data.bands)})


def _settings(form: SettingsForm) -> editing.SettingsFields:
    return editing.SettingsFields(
        title=form.title.data or "", staff_title=form.staff_title.data or "",
        intro=form.intro.data or "", plan_kinds=tuple(form.plan_kinds.data or ()),
        bands=tuple(form.bands.data or ()))


@bp.route("/questionnaires/<questionnaire_key>/v<int:number>/settings",
          methods=["GET", "POST"])
def settings(questionnaire_key: str, number: int):  # type: ignore[no-untyped-def]
    """The draft's title, welcome words, ages and plans."""
    found = _draft(questionnaire_key, number)
    if isinstance(found, Response):
        return found
    form = _settings_form(None if request.method == "POST"
                          else editing.settings_of(found.source), questionnaire_key)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            authoring.save_draft(db.session, found,
                                 editing.apply_settings(found.source, _settings(form)), user())
            flash(_("The draft's settings are saved."))
            return _back(questionnaire_key)
    return render_template("authoring/settings.html", key=questionnaire_key, form=form,
                           definition=found,
                           title=found.source.get("staff_title") or questionnaire_key), status


@bp.route("/new", methods=["GET", "POST"])
def new_questionnaire():  # type: ignore[no-untyped-def]
    """A questionnaire written from nothing: its settings now, its questions next."""
    form = _settings_form(editing.SettingsFields(bands=tuple(BANDS)[1:3])
                          if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            key = (form.key.data or "").strip()
            try:
                draft = authoring.new_questionnaire(db.session, the_library(), key,
                                                    editing.apply_settings({"id": key},
                                                                           _settings(form)),
                                                    user())
            except Refusal as refused:
                form.key.errors = [refused.message]
                status = 422
            else:
                flash(_("The questionnaire is a draft. Add its questions."))
                return redirect(url_for(".new_question", questionnaire_key=key,
                                        number=draft.version))
    return render_template("authoring/settings.html", key=None, form=form,
                           definition=None), status
