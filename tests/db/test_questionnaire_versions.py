"""Questionnaires are the council's data: versions drafted, published and retired in the
database, over the shipped starting set; a published version never changes, and a child
keeps to the version they started on."""

from __future__ import annotations

import copy
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.factories import make_child, make_user
from viewpoint.models import (
    Answer,
    AuditEvent,
    DefinitionStatus,
    IndicatorDefinition,
    QuestionnaireDefinition,
    Role,
)
from viewpoint.operations import Refusal
from viewpoint.operations.answers import record_answer, start_response
from viewpoint.operations.authoring import (
    PublishRefused,
    add_indicator,
    install_shipped,
    publish,
    relabel_indicator,
    retire,
    save_draft,
    start_draft,
    versions_of,
)
from viewpoint.operations.invitations import issue_invitation
from viewpoint.questionnaires.library import Library, load_library, shipped_sources
from viewpoint.questionnaires.loader import DEFINITIONS_DIR

KEY = "before-care-review"


@pytest.fixture()
def library(app, session) -> Library:  # type: ignore[no-untyped-def]
    """A library of its own per test: its cached catalogue never outlives the test's
    rolled-back database."""
    return load_library(None, Path(app.static_folder))


def _question(source: dict, key: str) -> dict:
    return next(q for q in source["questions"] if q["key"] == key)


def _author(session):  # type: ignore[no-untyped-def]
    return make_user(session, Role.AUTHOR, name="Ash Quill")


def test_a_new_database_serves_the_shipped_questionnaires_and_can_store_them(
        library, session) -> None:  # type: ignore[no-untyped-def]
    before = library.catalogue(session)
    assert set(before.questionnaires) == set(library.shipped.questionnaires)
    assert all(q.definition_id is None for q in before.questionnaires.values())

    stored = install_shipped(session, library)
    assert {d.questionnaire_key for d in stored} == set(library.shipped.questionnaires)
    assert all(d.status is DefinitionStatus.PUBLISHED and d.version == 1 for d in stored)
    after = library.catalogue(session)
    for key, shipped in library.shipped.questionnaires.items():
        served = after.get(key)
        assert served.definition_id is not None
        assert replace(served, definition_id=None, source="") == replace(shipped, source="")
    assert install_shipped(session, library) == []


def test_an_author_changes_the_words_and_children_are_served_the_new_version(
        library, session) -> None:  # type: ignore[no-untyped-def]
    author = _author(session)
    draft = start_draft(session, library, KEY, author)
    assert draft.version == 2 and draft.status is DefinitionStatus.DRAFT
    assert versions_of(session, KEY)[1].status is DefinitionStatus.PUBLISHED

    source = copy.deepcopy(draft.source)
    _question(source, "safe_home")["text"] = "Do you feel safe in the place you live now?"
    save_draft(session, draft, source, author, note="Plainer words")
    # A draft is never served.
    assert library.catalogue(session).get(KEY).question("safe_home").text.for_band(
        "12-17") != "Do you feel safe in the place you live now?"

    publish(session, library, draft, author)
    served = library.catalogue(session).get(KEY)
    assert served.definition_id == draft.id
    assert served.question("safe_home").text.for_band("12-17") == \
        "Do you feel safe in the place you live now?"
    first = versions_of(session, KEY)[1]
    assert first.status is DefinitionStatus.RETIRED and first.retired_at is not None
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"questionnaire.draft_started", "questionnaire.draft_saved",
            "questionnaire.published"} <= actions


def test_a_published_version_is_never_changed(library, session) -> None:  # type: ignore[no-untyped-def]
    author = _author(session)
    draft = start_draft(session, library, KEY, author)
    publish(session, library, draft, author)
    changed = copy.deepcopy(draft.source)
    changed["title"] = "Something else"
    with pytest.raises(Refusal, match="never changed"):
        save_draft(session, draft, changed, author)
    with pytest.raises(Refusal):
        publish(session, library, draft, author)
    session.refresh(draft)
    assert draft.source["title"] != "Something else"
    # The next change is a new draft, a copy of the published one.
    again = start_draft(session, library, KEY, author)
    assert again.version == 3 and again.source == draft.source


def test_two_published_versions_of_one_questionnaire_cannot_be_stored(
        library, session) -> None:  # type: ignore[no-untyped-def]
    install_shipped(session, library)
    source = shipped_sources()[KEY]
    session.add(QuestionnaireDefinition(questionnaire_key=KEY, version=9, source=source,
                                        status=DefinitionStatus.PUBLISHED, origin="editor"))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_a_child_answering_when_a_new_version_is_published_loses_no_answer(
        library, session) -> None:  # type: ignore[no-untyped-def]
    """A tablet offline for the whole questionnaire sends its answers after the council
    published a version without one of the questions: every answer is still stored."""
    author = _author(session)
    install_shipped(session, library)
    child = make_child(session, age=13)
    catalogue = library.catalogue(session)
    invitation = issue_invitation(session, catalogue, child, questionnaire_id=KEY).invitation
    response = start_response(session, catalogue, invitation)

    draft = start_draft(session, library, KEY, author)
    source = copy.deepcopy(draft.source)
    source["questions"] = [q for q in source["questions"] if q["key"] != "safe_home"]
    save_draft(session, draft, source, author)
    publish(session, library, draft, author)
    newer = library.catalogue(session)
    assert newer.get(KEY).question("safe_home") is None

    record_answer(session, newer, response, "safe_home", "sad")
    stored = session.scalar(select(Answer).where(Answer.response_id == response.id,
                                                 Answer.question_key == "safe_home"))
    assert stored is not None and stored.value is not None
    # The next child is served the new version.
    later = issue_invitation(session, newer, make_child(session, age=13),
                             questionnaire_id=KEY).invitation
    assert start_response(session, newer, later).questionnaire_version.content[
        "definition"] == draft.id


def test_publishing_shows_every_problem_where_it_is(library, session) -> None:  # type: ignore[no-untyped-def]
    author = _author(session)
    draft = start_draft(session, library, KEY, author)
    source = copy.deepcopy(draft.source)
    talk = next(q for q in source["questions"] if q.get("talk_request"))
    del talk["alert"]
    source["questions"].append({"key": "in_words", "type": "free_text",
                                "text": "Tell us more", "staff_text": "In their words"})
    save_draft(session, draft, source, author)
    with pytest.raises(PublishRefused) as refused:
        publish(session, library, draft, author)
    where = {(problem.question, problem.file) for problem in refused.value.problems}
    assert (talk["key"], f"{KEY} v2") in where
    assert ("in_words", f"{KEY} v2") in where
    assert draft.status is DefinitionStatus.DRAFT
    assert library.catalogue(session).get(KEY).question("in_words") is None


def test_an_indicators_meaning_cannot_change_but_a_new_indicator_can_start(
        library, session) -> None:  # type: ignore[no-untyped-def]
    author = _author(session)
    draft = start_draft(session, library, KEY, author)
    source = copy.deepcopy(draft.source)
    _question(source, "safe_home")["positive"] = ["happy", "okay"]
    save_draft(session, draft, source, author)
    with pytest.raises(PublishRefused) as refused:
        publish(session, library, draft, author)
    problem, = refused.value.problems
    assert problem.question == "safe_home" and "safe_home" in problem.message

    add_indicator(session, library, "safe_home_or_unsure", "Feel safe or fairly safe where "
                  "they live", "safety", author)
    _question(source, "safe_home")["indicator"] = "safe_home_or_unsure"
    save_draft(session, draft, source, author)
    publish(session, library, draft, author)
    served = library.catalogue(session)
    assert served.get(KEY).question("safe_home").indicator == "safe_home_or_unsure"
    assert "safe_home_or_unsure" in served.indicators

    indicator = session.get(IndicatorDefinition, "safe_home_or_unsure")
    with pytest.raises(Refusal, match="already counted"):
        relabel_indicator(session, indicator, "Something else", author)
    with pytest.raises(Refusal):
        add_indicator(session, library, "safe_home", "Another meaning", "safety", author)


def test_a_retired_questionnaire_is_no_longer_offered(library, session) -> None:  # type: ignore[no-untyped-def]
    install_shipped(session, library)
    published, = (d for d in versions_of(session, KEY)
                  if d.status is DefinitionStatus.PUBLISHED)
    retire(session, published, _author(session))
    catalogue = library.catalogue(session)
    assert catalogue.get(KEY) is None
    assert catalogue.get("before-cin-review") is not None


def test_a_new_release_changes_the_shipped_words(library, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stored as published when the council never wrote its own; as a draft for its authors
    to read when it has."""
    install_shipped(session, library)
    author = _author(session)
    own = start_draft(session, library, "before-cin-review", author)
    publish(session, library, own, author)

    directory = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, directory)
    for name in (f"{KEY}.yaml", "before-cin-review.yaml"):
        path = directory / name
        path.write_text(path.read_text().replace("staff_title: ", "staff_title: Newly ", 1))
    newer = load_library(directory, library.static_dir)
    install_shipped(session, newer)
    care = versions_of(session, KEY)[0]
    assert care.version == 2 and care.status is DefinitionStatus.PUBLISHED
    cin = versions_of(session, "before-cin-review")[0]
    assert cin.version == 3 and cin.status is DefinitionStatus.DRAFT
    assert newer.catalogue(session).get(KEY).staff_title.startswith("Newly ")
    assert not newer.catalogue(session).get("before-cin-review").staff_title.startswith(
        "Newly ")
