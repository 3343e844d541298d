"""The authors' pages: every questionnaire and its versions, a workbook up or down, a
version read as each band sees it in each language, publishing with every problem shown
beside its question, and the council's indicators. (A version's words in each language are
in ``languages.py``; changing a draft question by question in ``editor.py``.)

Every page needs ``questionnaires.author`` (administrators and questionnaire authors); the
rules and their audit events are in ``operations/authoring.py``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..i18n import font_for, language_name, text_direction
from ..models import DefinitionStatus, IndicatorDefinition, QuestionnaireDefinition
from ..operations import Refusal, authoring
from ..questionnaires import BANDS, Questionnaire, flow
from ..questionnaires.library import served, shipped_sources, translator
from ..questionnaires.problems import Problem
from ..questionnaires.reading import THEMES
from ..questionnaires.snapshot import Snapshot, render
from . import bp
from .common import built_version, languages, the_library, user, version

WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookForm(FlaskForm):
    workbook = FileField(_l("XLSForm workbook (.xlsx)"),
                         description=_l("A new draft is made from it; nothing changes for "
                                        "children until it is published."),
                         validators=[FileRequired(_l("Choose a workbook to upload."))])


class IndicatorForm(FlaskForm):
    key = StringField(_l("Id"), description=_l("Lower-case letters, digits and _; it never "
                                               "changes (for example safe_after_missing)."),
                      validators=[InputRequired(_l("Give the indicator an id.")),
                                  Length(max=64)])
    label = StringField(_l("What it counts"),
                        description=_l("As the dashboards will say it, for example \"Feel "
                                       "safe when they come back\"."),
                        validators=[InputRequired(_l("Say what the indicator counts.")),
                                    Length(max=200)])
    theme = SelectField(_l("Dashboard theme"),
                        choices=[SelectChoice(theme, theme.capitalize()) for theme in THEMES])


def _index(workbook_form: WorkbookForm | None = None, indicator_form: IndicatorForm | None = None,
           problems: list[Problem] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    catalogue = served()
    stored = {}
    for definition in db.session.scalars(select(QuestionnaireDefinition)
                                         .order_by(QuestionnaireDefinition.version.desc())):
        stored.setdefault(definition.questionnaire_key, []).append(definition)
    keys = sorted(set(catalogue.questionnaires) | set(stored))
    rows = []
    for key in keys:
        versions = stored.get(key, [])
        served_now = catalogue.get(key)
        title = served_now.staff_title if served_now else (
            versions[0].source.get("staff_title") or key if versions else key)
        rows.append({"key": key, "title": title, "served": served_now,
                     "published": next((v for v in versions
                                        if v.status is DefinitionStatus.PUBLISHED), None),
                     "draft": next((v for v in versions if v.status is DefinitionStatus.DRAFT),
                                   None)})
    own = {row.key: row for row in db.session.scalars(select(IndicatorDefinition))}
    return render_template(
        "authoring/index.html", rows=rows, indicators=catalogue.indicators, own=own,
        workbook_form=workbook_form or WorkbookForm(),
        indicator_form=indicator_form or IndicatorForm(), problems=problems or []), status


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Every questionnaire: the version children are served, any draft, and the indicators."""
    return _index()


@bp.post("/workbooks")
def upload():  # type: ignore[no-untyped-def]
    """A workbook in: a new draft (and its translations), or every problem that stopped it."""
    form = WorkbookForm()
    if not form.validate_on_submit():
        return _index(workbook_form=form, status=400)
    upload_file = form.workbook.data
    name = upload_file.filename or "workbook.xlsx"
    result = authoring.import_workbook(db.session, the_library(), upload_file.read(), user(),
                                       name=name, languages=languages())
    if result.draft is None:
        return _index(workbook_form=form, problems=result.problems, status=422)
    draft = result.draft
    flash(_("%(name)s is saved as a draft of version %(version)d.", name=name,
            version=draft.version))
    return redirect(url_for(".questionnaire", questionnaire_key=draft.questionnaire_key))


@bp.post("/indicators")
def add_indicator():  # type: ignore[no-untyped-def]
    form = IndicatorForm()
    if not form.validate_on_submit():
        return _index(indicator_form=form, status=400)
    try:
        authoring.add_indicator(db.session, the_library(), form.key.data or "",
                                form.label.data or "", form.theme.data or "", user())
    except Refusal as refused:
        getattr(form, refused.field or "key").errors.append(refused.message)
        return _index(indicator_form=form, status=422)
    flash(_("The indicator is added. Questionnaires can count towards it now."))
    return redirect(url_for(".index") + "#indicators")


@bp.get("/questionnaires/<questionnaire_key>")
def questionnaire(questionnaire_key: str):  # type: ignore[no-untyped-def]
    """One questionnaire's versions, and its draft's problems beside their questions."""
    key = questionnaire_key
    versions = authoring.versions_of(db.session, key)
    shipped = the_library().shipped.get(key)
    if not versions and shipped is None:
        abort(404)
    draft = next((v for v in versions if v.status is DefinitionStatus.DRAFT), None)
    problems: dict[str | None, list[Problem]] = {}
    built = None
    if draft is not None:
        built, found = authoring.check_draft(db.session, the_library(), draft)
        for problem in found:
            problems.setdefault(problem.question, []).append(problem)
    shown = draft or next((v for v in versions if v.status is DefinitionStatus.PUBLISHED), None)
    # Never stored (a database `db upgrade` has not filled): as shipped, read as version 0.
    source = shown.source if shown else (shipped_sources().get(key) if not versions else None)
    return render_template(
        "authoring/questionnaire.html", key=key, versions=versions, draft=draft,
        shown=shown, source=source, shown_number=shown.version if shown else 0,
        shipped=shipped, problems=problems,
        ready=draft is not None and not problems, languages=languages(),
        language_name=language_name, bands=list(BANDS), built=built,
        fonts=sorted({font for code in languages() if (font := font_for(code))}))


@bp.post("/questionnaires/<questionnaire_key>/drafts")
def start_draft(questionnaire_key: str):  # type: ignore[no-untyped-def]
    """A new draft: a copy of the newest version."""
    key = questionnaire_key
    try:
        draft = authoring.start_draft(db.session, the_library(), key, user())
    except Refusal as refused:
        flash(refused.message, "error")
        return redirect(url_for(".index"))
    flash(_("Version %(version)d is a draft: download it as a workbook, change it and upload "
            "it again, then publish it.", version=draft.version))
    return redirect(url_for(".questionnaire", questionnaire_key=key))


@bp.post("/questionnaires/<questionnaire_key>/v<int:number>/publish")
def publish(questionnaire_key: str, number: int):  # type: ignore[no-untyped-def]
    key = questionnaire_key
    definition = version(key, number)
    try:
        authoring.publish(db.session, the_library(), definition, user())
    except authoring.PublishRefused as refused:
        flash(_("Version %(version)d is not published: %(count)d problem(s) are shown beside "
                "their questions.", version=number, count=len(refused.problems)), "error")
        return redirect(url_for(".questionnaire", questionnaire_key=key))
    except Refusal as refused:
        flash(refused.message, "error")
        return redirect(url_for(".questionnaire", questionnaire_key=key))
    flash(_("Version %(version)d is published: children invited from now on are asked it. "
            "Children already answering an earlier version finish that one.", version=number))
    return redirect(url_for(".questionnaire", questionnaire_key=key))


@bp.post("/questionnaires/<questionnaire_key>/v<int:number>/withdraw")
def withdraw(questionnaire_key: str, number: int):  # type: ignore[no-untyped-def]
    key = questionnaire_key
    definition = version(key, number)
    try:
        authoring.retire(db.session, definition, user())
    except Refusal as refused:
        flash(refused.message, "error")
        return redirect(url_for(".questionnaire", questionnaire_key=key))
    flash(_("The questionnaire is withdrawn: no child can be invited to answer it until a "
            "version is published again."))
    return redirect(url_for(".questionnaire", questionnaire_key=key))


@bp.get("/questionnaires/<questionnaire_key>/v<int:number>.xlsx")
def workbook(questionnaire_key: str, number: int):  # type: ignore[no-untyped-def]
    """The version as an XLSForm workbook, with every translation there is for it."""
    key = questionnaire_key
    definition = version(key, number)
    data = authoring.export_workbook(db.session, definition, languages())
    return data, 200, {
        "Content-Type": WORKBOOK_TYPE,
        "Content-Disposition": f'attachment; filename="{key}-v{number}.xlsx"',
        "Cache-Control": "no-store"}


def _preview_language() -> str:
    language = request.args.get("language", "en")
    if language not in languages():
        abort(404)
    return language


def _built_for_band(key: str, number: int, band: str) -> tuple[QuestionnaireDefinition | None,
                                                                 Questionnaire]:
    if band not in BANDS:
        abort(404)
    definition, built = built_version(key, number)
    if band not in built.bands:
        abort(404)
    return definition, built


def _content(built: Questionnaire, key: str, band: str, language: str) -> dict[str, Any]:
    """What a child in ``band`` reads in ``language``: the words a child starting now is
    given (the council's own translation, else the app's, else the English)."""
    translate = translator(db.session, key)

    def words(context: str, english: str) -> str:
        return translate(language, context, english) or english

    return render(built, band, language, translate=words)


@bp.get("/questionnaires/<questionnaire_key>/v<int(min=0):number>/ages/<band>/screens/"
        "<int(min=1):screen>")
def as_a_child(questionnaire_key: str, number: int, band: str, screen: int):  # type: ignore[no-untyped-def]
    """One screen of a version exactly as a child in ``band`` is shown it, in their
    language: the child's own page, stylesheet, pictures, speaker buttons and follow-ups
    that open as answers are given; nothing on it is sent or kept."""
    key = questionnaire_key
    language = _preview_language()
    definition, built = _built_for_band(key, number, band)
    snapshot = Snapshot(_content(built, key, band, language))
    pages = flow.every_page(snapshot)
    if not pages or screen > len(pages):
        abort(404)
    shown = {"key": key, "number": number, "definition": definition, "band": snapshot.band_rules,
             "language": language}
    staff_bar = Markup(render_template("authoring/_as_a_child_bar.html",  # noqa: S704
                                       language_name=language_name, **shown))
    with force_locale(language):
        return render_template("authoring/as_a_child.html", snapshot=snapshot,
                               page=pages[screen - 1], pages=pages, staff_bar=staff_bar,
                               **shown)


@bp.get("/questionnaires/<questionnaire_key>/v<int(min=0):number>/ages/<band>")
def preview(questionnaire_key: str, number: int, band: str):  # type: ignore[no-untyped-def]
    """A version (a draft too) as one band reads it, in the language asked for, with what
    each answer sets off."""
    key = questionnaire_key
    language = _preview_language()
    definition, built = _built_for_band(key, number, band)
    content = _content(built, key, band, language)
    return render_template(
        "authoring/preview.html", key=key, definition=definition, built=built,
        band=BANDS[band], content=content, indicators=the_library().indicators(db.session),
        number=number, language=language, direction=text_direction(language),
        languages=languages(), language_name=language_name,
        fonts=sorted({font for code in languages() if (font := font_for(code))}))
