"""A council questionnaire's words for a translator (a PO file) and back, approved by a
second person, and read aloud by a person: each checked against what would go wrong (a
translator's slip among good lines, a file for another language or version, a reviewer
approving their own words, a file that is not a recording)."""

from __future__ import annotations

import io

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select

from tests.factories import make_user
from tests.workbooks import BACK_HOME, write
from viewpoint import audio
from viewpoint.models import AuditEvent, QuestionnaireText, Role
from viewpoint.operations import Refusal, authoring
from viewpoint.questionnaires import po
from viewpoint.questionnaires.library import translator
from viewpoint.questionnaires.snapshot import snapshot_version

#: The first bytes of the kinds of recording browsers make (enough to be recognised).
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 64
OGG = b"OggS" + b"\x00" * 64


@pytest.fixture()
def draft(app, session):  # type: ignore[no-untyped-def]
    author = make_user(session, Role.AUTHOR, name="Ash Quill")
    result = authoring.import_workbook(session, app.extensions["viewpoint.library"],
                                       write(BACK_HOME), author, languages=["en", "ur", "pl"])
    assert result.draft is not None, result.problems
    built = authoring.built(session, app.extensions["viewpoint.library"], result.draft)
    assert built is not None
    return result.draft, built, author


def _po_for(app, session, built, language: str) -> object:  # type: ignore[no-untyped-def]
    data = authoring.export_po(session, app, built, 1, language)
    return read_po(io.BytesIO(data))


def _as_bytes(catalog: object) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog)  # type: ignore[arg-type]
    return out.getvalue()


def test_the_po_file_holds_every_text_once_with_where_it_is_read(app, session, draft) -> None:  # type: ignore[no-untyped-def]
    _definition, built, _author = draft
    catalog = _po_for(app, session, built, "pl")
    messages = {(m.context, m.id): m for m in catalog if m.id}
    assert set(messages) == set(po.texts_of(built))
    # The band-worded question is two messages, each saying which ages read it.
    feel = [m for (context, _id), m in messages.items() if context.endswith("/feel_now")]
    assert sorted(m.id for m in feel) == ["How do you feel now you are back?",
                                          "How do you feel now?"]
    assert any("Read by ages 8-11." in " ".join(m.auto_comments) for m in feel)
    assert any("Read by ages 12-17." in " ".join(m.auto_comments) for m in feel)
    assert str(catalog.locale) == "pl"
    # Polish has no words yet; the Urdu from the workbook is filled in, marked a draft.
    assert all(not m.string for m in messages.values() if not m.context.startswith("answer/"))
    urdu = {m.id: m for m in _po_for(app, session, built, "ur") if m.id}
    question = urdu["How do you feel now you are back?"]
    assert question.string == BACK_HOME["survey"][1][3]
    assert po.STATES["draft"] in question.auto_comments


def test_a_translated_file_comes_back_as_drafts_children_are_shown(app, session, draft) -> None:  # type: ignore[no-untyped-def]
    _definition, built, author = draft
    catalog = _po_for(app, session, built, "pl")
    for message in catalog:
        if message.id == "Is there anything else you want to tell us?":
            message.string = "Czy chcesz nam jeszcze coś powiedzieć?"
        if message.id == "After you came back":
            message.string = "Po twoim powrocie"
            message.flags.add("fuzzy")  # the translator was unsure
    result = authoring.import_po(session, built, "pl", _as_bytes(catalog), author)
    assert result.problems == [] and result.changed == 1 and result.fuzzy == 1
    row = session.scalar(select(QuestionnaireText).where(
        QuestionnaireText.questionnaire_key == "back-home", QuestionnaireText.language == "pl"))
    assert row.text == "Czy chcesz nam jeszcze coś powiedzieć?" and row.approved_at is None
    assert translator(session, "back-home")("pl", row.context, row.english) == row.text
    shown = snapshot_version(session, built, "12-17", "pl").content
    assert shown["questions"][-1]["text"]["text"] == "Czy chcesz nam jeszcze coś powiedzieć?"
    # The fuzzy title was not taken.
    assert shown["title"]["text"] == "After you came back"


@pytest.mark.parametrize(("change", "expected"), [
    ("placeholder", "placeholders and markup"),
    ("unknown", "is not a text of this version"),
    ("language", "is for language 'ro'"),
    ("garbage", "could not be read as a PO file"),
    ("no texts", "holds none of this version's texts"),
])
def test_a_file_with_any_problem_stores_nothing_and_names_the_line(  # type: ignore[no-untyped-def]
        app, session, draft, change: str, expected: str) -> None:
    _definition, built, author = draft
    catalog = _po_for(app, session, built, "pl")
    for message in catalog:
        if message.id == "Is there anything else you want to tell us?":
            message.string = "Czy chcesz nam jeszcze coś powiedzieć?"  # a good line
    if change == "placeholder":
        target = next(m for m in catalog if m.id == "How do you feel now?")
        target.string = "Jak się czujesz, <b>teraz</b>?"
    elif change == "unknown":
        catalog.add("Do you like school?", "Czy lubisz szkołę?", context="back-home/school")
    elif change == "language":
        catalog.locale = "ro"
    data = _as_bytes(catalog)
    if change == "garbage":
        data = write(BACK_HOME)  # the workbook, uploaded by mistake
    elif change == "no texts":
        data = _as_bytes(Catalog(locale="pl"))  # an empty catalog, from another tool
    result = authoring.import_po(session, built, "pl", data, author)
    assert result.changed == 0 and any(expected in problem for problem in result.problems), \
        result.problems
    if change in ("placeholder", "unknown"):
        assert all(problem.startswith("Line ") for problem in result.problems)
    assert session.scalar(select(QuestionnaireText).where(
        QuestionnaireText.questionnaire_key == "back-home",
        QuestionnaireText.language == "pl")) is None


def test_a_second_person_approves_a_translation_never_its_translator(app, session, draft) -> None:  # type: ignore[no-untyped-def]
    _definition, built, author = draft
    rows = list(session.scalars(select(QuestionnaireText).where(
        QuestionnaireText.questionnaire_key == "back-home", QuestionnaireText.language == "ur")))
    assert rows and all(row.approved_at is None for row in rows)
    with pytest.raises(Refusal, match="another reviewer"):
        authoring.approve_texts(session, "back-home", "ur", [rows[0].id], author)
    reviewer = make_user(session, Role.AUTHOR, name="Rumi Checker")
    # Another questionnaire's or language's ids are ignored, not approved.
    assert authoring.approve_texts(session, "back-home", "pl", [rows[0].id], reviewer) == 0
    assert authoring.approve_texts(session, "back-home", "ur", [r.id for r in rows],
                                   reviewer) == len(rows)
    assert all(row.approved_by_id == reviewer.id for row in rows)
    texts = authoring.language_texts(session, app, built, "ur")
    assert {text.state for text in texts if text.row is not None} == {"approved"}
    # A changed translation is a draft again.
    catalog = _po_for(app, session, built, "ur")
    target = next(m for m in catalog if m.id == "How do you feel now?")
    target.string = "اب آپ کیسا محسوس کرتے ہیں؟"
    assert authoring.import_po(session, built, "ur", _as_bytes(catalog), author).changed == 1
    changed = session.scalar(select(QuestionnaireText).where(
        QuestionnaireText.english == "How do you feel now?", QuestionnaireText.language == "ur"))
    assert changed.approved_at is None
    actions = list(session.scalars(select(AuditEvent.action)))
    assert "questionnaire.translation_approved" in actions


def test_a_recording_replaces_generated_audio_for_exactly_those_words(app, session, draft) -> None:  # type: ignore[no-untyped-def]
    _definition, built, author = draft
    texts = authoring.language_texts(session, app, built, "ur")
    question = next(t for t in texts if t.message.english == "How do you feel now you are back?")
    assert question.recording is None
    saved = authoring.save_recording(session, app, built, "ur", question.digest, WEBM, author)
    assert saved.recording == f"{question.digest}.webm"
    # Children's pages use it at once (no wait for the folder to be looked at again).
    assert audio.library(app).file_for("ur", question.words) == f"recorded/ur/{saved.recording}"
    # Recorded again in another kind: the earlier file goes.
    again = authoring.save_recording(session, app, built, "ur", question.digest, OGG, author)
    folder = audio.audio_dir(app) / "recorded" / "ur"
    assert sorted(p.name for p in folder.glob(f"{question.digest}.*")) == [again.recording]
    assert (folder / again.recording).read_bytes() == OGG
    actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("questionnaire.recorded") == 2
    assert authoring.remove_recording(session, app, built, "ur", question.digest, author)
    assert audio.library(app).file_for("ur", question.words) != f"recorded/ur/{again.recording}"
    assert not list(folder.glob(f"{question.digest}.*"))


@pytest.mark.parametrize("data", [b"", b"<html>not sound</html>", b"MZ\x90\x00" * 20,
                                  WEBM[:4] + b"\x00" * (audio.RECORDING_MAX_BYTES)])
def test_what_is_not_a_recording_is_refused(app, session, draft, data: bytes) -> None:  # type: ignore[no-untyped-def]
    _definition, built, author = draft
    question = next(t for t in authoring.language_texts(session, app, built, "ur") if t.words)
    with pytest.raises(Refusal, match="not a recording"):
        authoring.save_recording(session, app, built, "ur", question.digest, data, author)
    assert not list((audio.audio_dir(app) / "recorded" / "ur").glob(f"{question.digest}.*"))


def test_words_not_in_the_version_cannot_be_given_a_recording(app, session, draft) -> None:  # type: ignore[no-untyped-def]
    _definition, built, author = draft
    stranger = audio.digest("ur", "words nobody is asked")
    with pytest.raises(Refusal, match="not in this version"):
        authoring.save_recording(session, app, built, "ur", stranger, WEBM, author)
    assert not (audio.audio_dir(app) / "recorded" / "ur" / f"{stranger}.webm").exists()
