"""Writing the council's questionnaires: drafts, publishing, retiring, and new indicators.

A version is a draft until it is published. Publishing checks it exactly as
``viewpoint questionnaires check`` checks a file, and refuses it with every problem found;
it also refuses a version that would change what one of its indicators means (which answers
count as positive, or the kind of question that feeds it) compared with any version
children have answered before, because a dashboard would then mix two meanings under one
label. The author starts a new indicator instead. A published version is never changed:
the next change is a new draft, and publishing that retires the one before.

Every operation writes the audit trail in the caller's transaction and commits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audio, audit
from ..models import (
    DefinitionStatus,
    IndicatorDefinition,
    QuestionnaireDefinition,
    QuestionnaireText,
    User,
    utcnow,
)
from ..questionnaires import po
from ..questionnaires.definition import Question, Questionnaire
from ..questionnaires.extract import Message
from ..questionnaires.library import (
    SHIPPED,
    Library,
    catalog_translation,
    check_source,
    plain,
    shipped_sources,
    translator,
)
from ..questionnaires.problems import Problem
from ..questionnaires.reading import KEY, THEMES
from ..questionnaires.xlsform import Translations, place, read_workbook, write_workbook
from ..storage import StoreUnavailable
from . import Refusal


class PublishRefused(Refusal):
    """A draft that cannot be published; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(_l("This version cannot be published until its problems are "
                                "put right.")))
        self.problems = problems


def name_of(definition: QuestionnaireDefinition) -> str:
    """What problems are reported against: "back-home v2"."""
    return f"{definition.questionnaire_key} v{definition.version}"


def versions_of(session: Session, key: str) -> list[QuestionnaireDefinition]:
    """Every stored version of questionnaire ``key``, newest first."""
    return list(session.scalars(select(QuestionnaireDefinition)
                                .where(QuestionnaireDefinition.questionnaire_key == key)
                                .order_by(QuestionnaireDefinition.version.desc())))


def install_shipped(session: Session, library: Library) -> list[QuestionnaireDefinition]:
    """Store the shipped definitions the database does not have yet; returns what it stored.

    A questionnaire never stored is stored as published version 1. One whose shipped
    definition changed since it was last stored (a new release of viewpoint) gets a new
    version: published, if the council has only ever served the shipped versions; a draft
    for the council's authors to look at, if it has published its own.
    """
    stored: list[QuestionnaireDefinition] = []
    for key, source in _shipped(library).items():
        versions = versions_of(session, key)
        last_shipped = next((v for v in versions if v.origin == SHIPPED), None)
        if last_shipped is not None and last_shipped.source == source:
            continue
        if versions and any(v.source == source for v in versions):
            continue
        published = next((v for v in versions if v.status is DefinitionStatus.PUBLISHED), None)
        own = any(v.origin != SHIPPED and v.status is not DefinitionStatus.DRAFT
                  for v in versions)
        definition = QuestionnaireDefinition(
            questionnaire_key=key, version=(versions[0].version + 1) if versions else 1,
            status=DefinitionStatus.DRAFT if own else DefinitionStatus.PUBLISHED,
            source=source, origin=SHIPPED,
            note="As shipped with viewpoint" if not versions else "A new release's wording")
        if definition.status is DefinitionStatus.PUBLISHED:
            if published is not None:
                published.status, published.retired_at = DefinitionStatus.RETIRED, utcnow()
                session.flush()
            definition.published_at = utcnow()
        session.add(definition)
        session.flush()
        audit.record("questionnaire.installed", subject=definition, session=session,
                     detail={"questionnaire": key, "version": definition.version,
                             "status": definition.status.value})
        stored.append(definition)
    return stored


def _shipped(library: Library) -> dict[str, dict[str, Any]]:
    return {key: source for key, source in shipped_sources(library.shipped_dir).items()
            if key in library.shipped.questionnaires}


def start_draft(session: Session, library: Library, key: str, by: User | None, *,
                source: dict[str, Any] | None = None, origin: str = "copy",
                note: str = "") -> QuestionnaireDefinition:
    """A new draft of questionnaire ``key``: ``source`` if given, else a copy of its newest
    version (or of the shipped one). Only one draft is open at a time: an existing draft is
    returned unchanged when no ``source`` is given, and replaced by ``source`` otherwise.

    Raises :class:`Refusal` for a key that is not a valid id, or a new questionnaire
    without a ``source``.
    """
    if not _valid_id(key):
        raise Refusal(str(_l("A questionnaire's id is lower-case letters, digits and dashes "
                             "(for example back-from-missing).")), "key")
    versions = versions_of(session, key)
    if not versions and key in _shipped(library):
        # The shipped definition is kept on record as version 1 before the council's own.
        install_shipped(session, library)
        versions = versions_of(session, key)
    draft = next((v for v in versions if v.status is DefinitionStatus.DRAFT), None)
    if draft is not None:
        if source is not None:
            save_draft(session, draft, source, by, note=note or draft.note)
            draft.origin = origin
        return draft
    if source is None:
        if not versions:
            raise Refusal(str(_l("There is no questionnaire with this id to copy.")), "key")
        source = versions[0].source
    definition = QuestionnaireDefinition(
        questionnaire_key=key, version=(versions[0].version + 1) if versions else 1,
        status=DefinitionStatus.DRAFT, source=plain(source), origin=origin, note=note,
        created_by_id=by.id if by else None, updated_by_id=by.id if by else None)
    session.add(definition)
    session.flush()
    audit.record("questionnaire.draft_started", actor=by, subject=definition, session=session,
                 detail={"questionnaire": key, "version": definition.version,
                         "origin": origin})
    return definition


def new_questionnaire(session: Session, library: Library, key: str, source: dict[str, Any],
                      by: User | None) -> QuestionnaireDefinition:
    """A questionnaire written from nothing, as a draft of version 1. Raises
    :class:`Refusal` (for the ``key`` field) for an id that is not valid or already used."""
    if _valid_id(key) and (versions_of(session, key) or key in _shipped(library)):
        raise Refusal(str(_l("There is already a questionnaire with this id: choose "
                             "another, or change that one.")), "key")
    return start_draft(session, library, key, by, source={**source, "id": key,
                                                          "questions": []},
                       origin="editor", note="Written on the page")


def save_draft(session: Session, definition: QuestionnaireDefinition, source: dict[str, Any],
               by: User | None, *, note: str | None = None) -> None:
    """Replace a draft's definition. Raises :class:`Refusal` for a version already published."""
    _must_be_draft(definition)
    definition.source = plain(source)
    if note is not None:
        definition.note = note
    definition.updated_by_id, definition.updated_at = (by.id if by else None), utcnow()
    session.flush()
    audit.record("questionnaire.draft_saved", actor=by, subject=definition, session=session,
                 detail={"questionnaire": definition.questionnaire_key,
                         "version": definition.version})


def check_draft(session: Session, library: Library,
                definition: QuestionnaireDefinition) -> tuple[Questionnaire | None, list[Problem]]:
    """The draft built, and every problem that stops it being published."""
    checked = check_source(definition.source, definition.questionnaire_key, name_of(definition),
                           library.indicators(session), library.static_dir)
    problems = list(checked.problems)
    if checked.questionnaire is not None:
        problems.extend(_meaning_changes(session, library, definition, checked.questionnaire))
    return (checked.questionnaire if not problems else None), problems


def publish(session: Session, library: Library, definition: QuestionnaireDefinition,
            by: User | None) -> QuestionnaireDefinition:
    """Publish a draft: from now on children are served it; the version published before is
    retired (children already answering it keep to it). Raises :class:`PublishRefused` with
    every problem, or :class:`Refusal` if it is not a draft."""
    _must_be_draft(definition)
    _questionnaire, problems = check_draft(session, library, definition)
    if problems:
        raise PublishRefused(problems)
    now = utcnow()
    retired = []
    for earlier in versions_of(session, definition.questionnaire_key):
        if earlier.status is DefinitionStatus.PUBLISHED and earlier.id != definition.id:
            earlier.status, earlier.retired_at = DefinitionStatus.RETIRED, now
            retired.append(earlier.version)
    # The retired version leaves the one-published-per-questionnaire index first.
    session.flush()
    definition.status, definition.published_at = DefinitionStatus.PUBLISHED, now
    definition.published_by_id = by.id if by else None
    session.flush()
    audit.record("questionnaire.published", actor=by, subject=definition, session=session,
                 detail={"questionnaire": definition.questionnaire_key,
                         "version": definition.version, "retired": retired})
    return definition


def retire(session: Session, definition: QuestionnaireDefinition, by: User | None) -> None:
    """Stop serving a published version (no new invitations; children already answering
    it finish it). Raises :class:`Refusal` for a version that is not published."""
    if definition.status is not DefinitionStatus.PUBLISHED:
        raise Refusal(str(_l("Only the published version can be withdrawn.")))
    definition.status, definition.retired_at = DefinitionStatus.RETIRED, utcnow()
    session.flush()
    audit.record("questionnaire.retired", actor=by, subject=definition, session=session,
                 detail={"questionnaire": definition.questionnaire_key,
                         "version": definition.version})


def add_indicator(session: Session, library: Library, key: str, label: str, theme: str,
                  by: User | None) -> IndicatorDefinition:
    """A new indicator questionnaires may feed. Raises :class:`Refusal` for an id in use
    (shipped or the council's), a bad id, an empty label or an unknown theme."""
    key, label = key.strip(), " ".join(label.split())
    if not KEY.match(key) or len(key) > 64:
        raise Refusal(str(_l("An indicator's id is lower-case letters, digits and _ "
                             "(for example safe_after_missing).")), "key")
    if key in library.indicators(session):
        raise Refusal(str(_l("There is already an indicator with this id. An indicator keeps "
                             "its meaning: choose a new id for a new meaning.")), "key")
    if not label or len(label) > 200:
        raise Refusal(str(_l("Say in a few words what the indicator counts.")), "label")
    if theme not in THEMES:
        raise Refusal(str(_l("Choose one of the dashboard's themes.")), "theme")
    indicator = IndicatorDefinition(key=key, label=label, theme=theme,
                                    created_by_id=by.id if by else None)
    session.add(indicator)
    session.flush()
    audit.record("indicator.added", actor=by, session=session,
                 detail={"indicator": key, "label": label, "theme": theme})
    return indicator


def relabel_indicator(session: Session, indicator: IndicatorDefinition, label: str,
                      by: User | None) -> None:
    """Reword an indicator no published questionnaire has fed yet. Raises :class:`Refusal`
    once children's answers may have been counted under its label."""
    if _indicator_in_use(session, indicator.key):
        raise Refusal(str(_l("Answers are already counted under this indicator, so its "
                             "meaning cannot change. Add a new indicator instead.")), "label")
    label = " ".join(label.split())
    if not label or len(label) > 200:
        raise Refusal(str(_l("Say in a few words what the indicator counts.")), "label")
    indicator.label, indicator.updated_at = label, utcnow()
    session.flush()
    audit.record("indicator.relabelled", actor=by, session=session,
                 detail={"indicator": indicator.key, "label": label})


# --- what an indicator means ---

@dataclass(frozen=True)
class Meaning:
    """What makes an answer count for an indicator: the kind of question and the rule."""

    type: str
    positive: dict[str, Any]
    scale: tuple[int, int] | None

    def describe(self) -> str:
        rule = self.positive
        if "any_of" in rule:
            counted = ", ".join(rule["any_of"])
        elif "at_least" in rule:
            counted = f"{rule['at_least']} or more"
        else:
            counted = f"{rule.get('at_most')} or less"
        scale = f" {self.scale[0]}-{self.scale[1]}" if self.scale else ""
        return f"{self.type}{scale}, counting {counted}"


def meaning_of(question: Question) -> Meaning | None:
    if question.indicator is None or question.positive is None:
        return None
    scale = (question.scale.minimum, question.scale.maximum) if question.scale else None
    return Meaning(question.type, question.positive.as_dict(), scale)


def _meanings(questionnaire: Questionnaire) -> dict[str, tuple[str, Meaning]]:
    """Indicator -> (the question feeding it, what it counts)."""
    found: dict[str, tuple[str, Meaning]] = {}
    for question in questionnaire.questions:
        meaning = meaning_of(question)
        if meaning is not None and question.indicator is not None:
            found.setdefault(question.indicator, (question.key, meaning))
    return found


def _meaning_changes(session: Session, library: Library, definition: QuestionnaireDefinition,
                     draft: Questionnaire) -> list[Problem]:
    """A problem for each indicator this draft would count differently from a version
    children have been served (published or retired, or the shipped one)."""
    before: list[Questionnaire] = []
    shipped = library.shipped.get(definition.questionnaire_key)
    if shipped is not None:
        before.append(shipped)
    indicators = library.indicators(session)
    for earlier in versions_of(session, definition.questionnaire_key):
        if earlier.status is DefinitionStatus.DRAFT or earlier.id == definition.id:
            continue
        checked = check_source(earlier.source, earlier.questionnaire_key, name_of(earlier),
                               indicators, None)
        if checked.questionnaire is not None:
            before.append(checked.questionnaire)
    problems: list[Problem] = []
    now = _meanings(draft)
    for indicator, (question_key, meaning) in now.items():
        for earlier_version in before:
            was = _meanings(earlier_version).get(indicator)
            if was is not None and was[1] != meaning:
                problems.append(Problem(
                    name_of(definition),
                    f"indicator '{indicator}' counted {was[1].describe()} before; this "
                    f"version counts {meaning.describe()}. The dashboards would mix two "
                    "meanings: keep the rule, or feed a new indicator",
                    question_key))
                break
    return problems


def _indicator_in_use(session: Session, key: str) -> bool:
    for source in session.scalars(
            select(QuestionnaireDefinition.source)
            .where(QuestionnaireDefinition.status != DefinitionStatus.DRAFT)):
        for question in source.get("questions", []):
            if isinstance(question, dict) and question.get("indicator") == key:
                return True
    return False


def _must_be_draft(definition: QuestionnaireDefinition) -> None:
    if definition.status is not DefinitionStatus.DRAFT:
        raise Refusal(str(_l("A published version is never changed, so that every answer "
                             "keeps the words the child saw. Start a new draft instead.")))


def _valid_id(key: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", key)) and len(key) <= 64


# --- workbooks and translations ---

def save_texts(session: Session, key: str, translations: Translations,
               by: User | None) -> int:
    """Store translators' words for questionnaire ``key`` as drafts (a changed translation
    is a draft again until a reviewer approves it); returns how many changed."""
    changed = 0
    for language, texts in translations.items():
        existing = {(row.context, row.english): row for row in session.scalars(
            select(QuestionnaireText).where(QuestionnaireText.questionnaire_key == key,
                                            QuestionnaireText.language == language))}
        for (context, english), words in texts.items():
            words = words.strip()
            row = existing.get((context, english))
            if row is not None and row.text == words:
                continue
            if row is None:
                row = QuestionnaireText(questionnaire_key=key, language=language,
                                        context=context, english=english, text=words)
                session.add(row)
            row.text, row.approved_at, row.approved_by_id = words, None, None
            row.updated_by_id, row.updated_at = (by.id if by else None), utcnow()
            changed += 1
    session.flush()
    if changed:
        audit.record("questionnaire.translated", actor=by, session=session,
                     detail={"questionnaire": key, "texts": changed,
                             "languages": sorted(translations)})
    return changed


@dataclass
class WorkbookImport:
    """An uploaded workbook: the draft it made (None if it could not be read), and every
    problem found, each named by sheet, row and column."""

    draft: QuestionnaireDefinition | None
    problems: list[Problem]


def import_workbook(session: Session, library: Library, data: bytes, by: User | None, *,
                    name: str = "workbook", languages: list[str]) -> WorkbookImport:
    """Make a draft from an XLSForm workbook and store its translations (as drafts).

    A workbook that cannot be read as a questionnaire makes nothing. One that can is kept
    as a draft even with mistakes (the author puts them right and publishes); its problems
    are those publishing would report, placed on the survey sheet's rows.
    """
    imported = read_workbook(data, languages, name)
    if imported.source is None or imported.problems:
        return WorkbookImport(None, imported.problems)
    key = imported.source.get("id", "")
    try:
        draft = start_draft(session, library, key, by, source=imported.source,
                            origin="xlsform", note=f"From {name}")
    except Refusal as refused:
        return WorkbookImport(None, [Problem(name, f"sheet 'settings', row 2, column "
                                                   f"'form_id': {refused.message}")])
    save_texts(session, key, _own_words(imported.translations), by)
    _questionnaire, problems = check_draft(session, library, draft)
    return WorkbookImport(draft, place(problems, imported.rows))


def export_workbook(session: Session, definition: QuestionnaireDefinition,
                    languages: list[str]) -> bytes:
    """The version as an XLSForm workbook, with every translation there is for it."""
    return write_workbook(definition.source, translator(session, definition.questionnaire_key),
                          [language for language in languages if language != "en"])


def _own_words(translations: Translations) -> Translations:
    """Only the words the app's catalogs do not already hold: those stay the catalogs' (and
    improve with them)."""
    own = {language: {place_: words for place_, words in texts.items()
                      if catalog_translation(language, *place_) != words}
           for language, texts in translations.items()}
    return {language: texts for language, texts in own.items() if texts}


def built(session: Session, library: Library,
          definition: QuestionnaireDefinition) -> Questionnaire | None:
    """The version as a questionnaire: a draft as it stands (None if it has mistakes that
    stop it being built at all), a published or retired version as children were served it."""
    if definition.status is DefinitionStatus.DRAFT:
        return check_source(definition.source, definition.questionnaire_key,
                            name_of(definition), library.indicators(session),
                            library.static_dir).questionnaire
    return library.earlier(definition.questionnaire_key, definition.id)


# --- a language's words: translators, reviewers and the people who read them aloud ---

@dataclass
class LanguageText:
    """One text of a version in one language, as the language page lists it."""

    message: Message
    #: The words in the language (the English itself for English), or "" if none yet.
    words: str
    #: "approved", "draft" (the council's, not yet approved), "app" (the catalogs') or "".
    state: str
    row: QuestionnaireText | None
    #: The file name of a person's recording of the words, if there is one.
    recording: str | None = None
    #: What the words' audio files are named by ("" without words).
    digest: str = ""
    #: The audio store could not be reached: whether it holds a recording is not known.
    store_unreachable: bool = False


#: Said when the audio store (the folder or bucket every app server keeps recordings in)
#: cannot be reached.
STORE_UNREACHABLE = _l("The recordings cannot be reached just now, so nothing was changed. "
                       "Try again in a few minutes; if it goes on, tell your administrator.")


def language_texts(session: Session, app: Flask, questionnaire: Questionnaire,
                   language: str) -> list[LanguageText]:
    """Every text of ``questionnaire`` with its words in ``language`` now."""
    own = {(row.context, row.english): row for row in session.scalars(
        select(QuestionnaireText).where(QuestionnaireText.questionnaire_key == questionnaire.id,
                                        QuestionnaireText.language == language))}
    found = []
    unreachable = False
    for place_, message in po.texts_of(questionnaire).items():
        row = own.get(place_)
        if language == "en":
            words, state = message.english, ""
        elif row is not None:
            words, state = row.text, ("approved" if row.approved_at else "draft")
        else:
            from_app = catalog_translation(language, *place_)
            words, state = (from_app, "app") if from_app else ("", "")
        recording = None
        if words and not unreachable:
            try:
                recording = audio.recording_for(app, language, words)
            except StoreUnavailable as exc:
                app.logger.warning("Recordings not listed: %s", exc)
                unreachable = True
        found.append(LanguageText(message, words, state, row, recording,
                                  audio.digest(language, words) if words else "",
                                  store_unreachable=unreachable))
    return found


def export_po(session: Session, app: Flask, questionnaire: Questionnaire, version: int,
              language: str) -> bytes:
    """A version's texts as a PO file for a translator into ``language``."""
    current = {(text.message.context, text.message.english): (text.words, text.state)
               for text in language_texts(session, app, questionnaire, language)
               if text.words and text.state}
    return po.write(questionnaire, version, language, current)


@dataclass
class PoImport:
    """A PO file taken in: how many texts changed (0 when refused), and why it was refused."""

    changed: int = 0
    problems: list[str] = field(default_factory=list)
    fuzzy: int = 0
    empty: int = 0


def import_po(session: Session, questionnaire: Questionnaire, language: str, data: bytes,
              by: User | None) -> PoImport:
    """Store a translator's PO file's words as drafts (each waits for a reviewer). A file
    with any problem stores nothing: every problem is returned, named by its line."""
    if language == "en":
        return PoImport(problems=[str(_l("English is the questionnaire's own words: change "
                                         "them in a new draft instead."))])
    read = po.read(data, questionnaire, language)
    if read.problems:
        return PoImport(problems=read.problems, fuzzy=read.fuzzy, empty=read.empty)
    changed = save_texts(session, questionnaire.id, _own_words({language: read.translations}),
                         by)
    return PoImport(changed=changed, fuzzy=read.fuzzy, empty=read.empty)


def approve_texts(session: Session, key: str, language: str, ids: Iterable[int],
                  by: User) -> int:
    """A reviewer approves translations (the given ``QuestionnaireText`` ids of questionnaire
    ``key`` in ``language``; others are ignored); returns how many. Raises :class:`Refusal`
    for words the reviewer gave themself: a second person approves them."""
    rows = list(session.scalars(select(QuestionnaireText).where(
        QuestionnaireText.id.in_(list(ids)), QuestionnaireText.questionnaire_key == key,
        QuestionnaireText.language == language, QuestionnaireText.approved_at.is_(None))))
    if any(row.updated_by_id == by.id for row in rows):
        raise Refusal(str(_l("You gave some of these words yourself: another reviewer "
                             "approves them.")))
    now = utcnow()
    for row in rows:
        row.approved_at, row.approved_by_id = now, by.id
    session.flush()
    if rows:
        audit.record("questionnaire.translation_approved", actor=by, session=session,
                     detail={"questionnaire": key, "language": language, "texts": len(rows)})
    return len(rows)


def save_recording(session: Session, app: Flask, questionnaire: Questionnaire, language: str,
                   digest: str, data: bytes, by: User | None) -> LanguageText:
    """Keep a person's reading of one of the version's texts (named by the digest of its
    words in ``language``) as the audio children hear for those words. Raises
    :class:`Refusal` if no text of the version has those words, or the file is not a
    recording."""
    text = next((text for text in language_texts(session, app, questionnaire, language)
                 if text.digest and text.digest == digest), None)
    if text is None:
        raise Refusal(str(_l("These words are not in this version any more: reload the page "
                             "and record them again.")))
    try:
        text.recording = audio.save_recording(app, language, text.words, data)
    except audio.NotARecording:
        raise Refusal(str(_l("That file is not a recording this service can play (an MP3, "
                             "Ogg, WebM, M4A or WAV file under 2 MB)."))) from None
    except StoreUnavailable as exc:
        app.logger.warning("Recording not saved: %s", exc)
        raise Refusal(str(STORE_UNREACHABLE)) from None
    audit.record("questionnaire.recorded", actor=by, session=session,
                 detail={"questionnaire": questionnaire.id, "language": language,
                         "text": text.message.context, "file": text.recording})
    return text


def remove_recording(session: Session, app: Flask, questionnaire: Questionnaire,
                     language: str, digest: str, by: User | None) -> bool:
    """Remove a person's reading of one of the version's texts (generated audio, where a
    synthesiser speaks the language, is heard again). Whether there was one."""
    text = next((text for text in language_texts(session, app, questionnaire, language)
                 if text.digest and text.digest == digest), None)
    if text is None:
        return False
    try:
        removed = audio.remove_recording(app, language, text.words)
    except StoreUnavailable as exc:
        app.logger.warning("Recording not removed: %s", exc)
        raise Refusal(str(STORE_UNREACHABLE)) from None
    if not removed:
        return False
    audit.record("questionnaire.recording_removed", actor=by, session=session,
                 detail={"questionnaire": questionnaire.id, "language": language,
                         "text": text.message.context})
    return True
