"""Questionnaires in and out of XLSForm workbooks: what a survey author writes in a
spreadsheet becomes the same questionnaire, in every language it holds; every mistake is
named by sheet, row and column."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.factories import make_child, make_user
from tests.workbooks import BACK_HOME
from tests.workbooks import write as _write
from viewpoint.i18n import available_languages
from viewpoint.models import DefinitionStatus, Role
from viewpoint.operations.answers import start_response
from viewpoint.operations.authoring import export_workbook, import_workbook, publish
from viewpoint.operations.invitations import issue_invitation
from viewpoint.questionnaires.library import (
    check_source,
    load_library,
    shipped_sources,
    translator,
)
from viewpoint.questionnaires.xlsform import read_workbook, write_workbook


@pytest.fixture()
def library(app, session):  # type: ignore[no-untyped-def]
    return load_library(None, Path(app.static_folder))


def _languages() -> list[str]:
    return list(available_languages())


def _texts(questionnaire) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(context, English) of every text a child can read in it."""
    found = []
    texts = [questionnaire.title, questionnaire.intro]
    for question in questionnaire.questions:
        texts += [question.text, question.hint]
        if question.scale:
            texts += [question.scale.low, question.scale.high]
        texts += [option.text for option in question.options
                  if not option.text.context.startswith("answer/")]
    for text in texts:
        if text is not None:
            found += [(text.context, english) for english in text.messages()]
    return found


@pytest.mark.parametrize("key", sorted(shipped_sources()))
def test_every_shipped_questionnaire_comes_back_the_same_from_its_workbook(
        library, session, key) -> None:  # type: ignore[no-untyped-def]
    source = shipped_sources()[key]
    translate = translator(session, key)
    workbook = write_workbook(source, translate, [code for code in _languages() if code != "en"])
    imported = read_workbook(workbook, _languages(), f"{key}.xlsx")
    assert imported.problems == []
    checked = check_source(imported.source, key, key, library.indicators(session),
                           library.static_dir)
    assert checked.problems == []
    assert replace(checked.questionnaire, source="") == replace(library.shipped.get(key),
                                                                source="")
    # Every translation the app has for its words came back, and nothing else.
    shipped = library.shipped.get(key)
    for language in _languages():
        if language == "en":
            continue
        expected = {(context, english): words for context, english in _texts(shipped)
                    if (words := translate(language, context, english))}
        assert imported.translations.get(language, {}) == expected, language
    assert imported.translations, "the shipped questionnaires are translated"


def test_a_workbook_an_author_wrote_becomes_a_questionnaire_children_answer_in_urdu(
        library, session) -> None:  # type: ignore[no-untyped-def]
    author = make_user(session, Role.AUTHOR)
    result = import_workbook(session, library, _write(BACK_HOME), author,
                             name="back-home.xlsx", languages=_languages())
    assert result.problems == []
    draft = result.draft
    assert draft.status is DefinitionStatus.DRAFT and draft.origin == "xlsform"
    publish(session, library, draft, author)

    catalogue = library.catalogue(session)
    questionnaire = catalogue.get("back-home")
    talk = questionnaire.question("want_talk")
    assert talk.show_if.question == "feel_now" and talk.talk_request
    assert talk.raises_alert("yes") and not talk.raises_alert("no")
    assert questionnaire.question("feel_now").text.for_band("8-11") == "How do you feel now?"
    assert "anything_else" in {q.key for q in questionnaire.questions}

    child = make_child(session, age=13, language="ur")
    invitation = issue_invitation(session, catalogue, child, questionnaire_id="back-home",
                                  language="ur", offered_languages=("en", "ur")).invitation
    content = start_response(session, catalogue, invitation).questionnaire_version.content
    assert content["title"] == {"text": "آپ کے واپس آنے کے بعد", "en": "After you came back"}
    first = content["questions"][0]
    assert first["text"]["text"] == "واپس آ کر اب آپ کیسا محسوس کرتے ہیں؟"
    # Words the workbook did not translate fall back to the app's catalogs, then English.
    assert content["questions"][2]["text"]["en"] == "Is there anything else you want to tell us?"


def test_a_council_questionnaire_exported_and_imported_again_is_the_same(
        library, session) -> None:  # type: ignore[no-untyped-def]
    author = make_user(session, Role.AUTHOR)
    first = import_workbook(session, library, _write(BACK_HOME), author, name="a.xlsx",
                            languages=_languages()).draft
    exported = export_workbook(session, first, _languages())
    sheet = load_workbook(io.BytesIO(exported))["survey"]
    assert "label::Urdu (ur)" in [cell.value for cell in sheet[1]]
    again = read_workbook(exported, _languages(), "again.xlsx")
    assert again.problems == []
    indicators = library.indicators(session)
    before = check_source(first.source, "back-home", "a", indicators, None).questionnaire
    after = check_source(again.source, "back-home", "a", indicators, None).questionnaire
    assert before is not None and after == before
    original = read_workbook(_write(BACK_HOME), _languages(), "a.xlsx").translations
    assert again.translations == original


def _problems(sheets: dict[str, list[list[object]]]) -> list[str]:
    return [problem.message for problem in read_workbook(_write(sheets), _languages()).problems]


def test_every_mistake_in_a_workbook_names_its_sheet_row_and_column() -> None:
    survey = [row[:] for row in BACK_HOME["survey"]]
    survey[0] = [*survey[0], "required", "label::Klingon (tlh)"]
    survey[1] = [*survey[1], "yes", "nuqneH"]
    survey[2][0] = "integer"
    survey[3][6] = "${feel_now} != 'sad'"
    found = _problems({"survey": survey, "settings": BACK_HOME["settings"]})
    assert any("sheet 'survey', row 1, column 'required' (M)" in m for m in found), found
    assert any("sheet 'survey', row 2, column 'label::Klingon (tlh)' (N)" in m
               and "not one viewpoint offers" in m for m in found), found
    assert any("sheet 'survey', row 3, column 'type' (A)" in m and "integer" in m
               for m in found), found
    assert any("sheet 'survey', row 4, column 'relevant' (G)" in m for m in found), found

    assert any("sheet 'settings'" in m and "missing" in m
               for m in _problems({"survey": BACK_HOME["survey"]}))
    not_a_workbook = read_workbook(b"id,title\n", _languages()).problems
    assert [p.message for p in not_a_workbook] == ["the file: is not an Excel workbook (.xlsx)"]


def test_a_workbook_breaking_a_safeguarding_check_is_kept_as_a_draft_with_the_row_named(
        library, session) -> None:  # type: ignore[no-untyped-def]
    survey = [row[:] for row in BACK_HOME["survey"]]
    survey[2][9] = None  # the talk request without its alert
    result = import_workbook(session, library, _write({"survey": survey,
                                                       "settings": BACK_HOME["settings"]}),
                             make_user(session, Role.AUTHOR), name="x.xlsx",
                             languages=_languages())
    assert result.draft is not None
    assert any(problem.question == "want_talk" and "sheet 'survey', row 3" in problem.message
               for problem in result.problems), result.problems


@pytest.mark.parametrize("key", ["before-cin-review", "before-cp-review",
                                 "before-pathway-review"])
def test_an_exported_workbook_is_an_xlsform_other_tools_read(session, key) -> None:  # type: ignore[no-untyped-def]
    """pyxform (the XLSForm converter of ODK and KoboToolbox) turns it into an XForm with
    every language in it. (It refuses translated band columns on the choices sheet, which
    before-care-review has: docs/xlsform.md says so.)"""
    from pyxform.xls2xform import convert

    languages = [code for code in _languages() if code != "en"]
    workbook = write_workbook(shipped_sources()[key], translator(session, key), languages)
    xform = convert(workbook, file_type=".xlsx").xform
    assert 'lang="Urdu (ur)"' in xform and 'lang="Welsh (cy)"' in xform
    assert f'id="{key}"' in xform
