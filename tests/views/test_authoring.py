"""The authors' pages: a workbook up as a draft, its problems beside their questions, a
draft read in Urdu, publishing, withdrawing, a workbook down, and the council's
indicators; nobody else may do any of it."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import make_user
from tests.staff import sign_in, token_from
from tests.workbooks import BACK_HOME, write
from viewpoint.models import AuditEvent, DefinitionStatus, QuestionnaireDefinition, Role


def _author(app, session):  # type: ignore[no-untyped-def]
    return sign_in(app.test_client(), make_user(session, Role.AUTHOR, name="Ash Quill"), session)


def _upload(client, data: bytes, name: str = "back-home.xlsx"):  # type: ignore[no-untyped-def]
    token = token_from(client.get("/authoring/").get_data(as_text=True))
    return client.post("/authoring/workbooks", data={
        "csrf_token": token, "workbook": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def _post(client, page: str, path: str):  # type: ignore[no-untyped-def]
    token = token_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


def _with_broken_talk_request() -> bytes:
    survey = [row[:] for row in BACK_HOME["survey"]]
    survey[2][9] = None  # the talk request's alert
    return write({"survey": survey, "settings": BACK_HOME["settings"]})


def test_an_author_lands_on_the_questionnaires_and_sees_every_one(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    landing = client.get("/staff/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/authoring/")
    page = client.get("/authoring/").get_data(as_text=True)
    for title in ("Before a looked-after child", "Before a child in need review"):
        assert title in page
    assert "As shipped" in page and "safe_home" in page


def test_an_uploaded_workbook_becomes_a_draft_then_children_are_asked_it(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    uploaded = _upload(client, write(BACK_HOME))
    assert uploaded.status_code == 302
    page_path = uploaded.headers["Location"]
    page = client.get(page_path).get_data(as_text=True)
    assert "Draft: version 1" in page and "It passes every check" in page

    published = _post(client, page_path, "/authoring/questionnaires/back-home/v1/publish")
    assert published.status_code == 302
    definition = session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "back-home"))
    assert definition.status is DefinitionStatus.PUBLISHED
    assert "back-home" in app.extensions["viewpoint.library"].catalogue(session).questionnaires
    assert "questionnaire.published" in set(session.scalars(select(AuditEvent.action)))
    # Published: no publish button, only a new draft.
    page = client.get(page_path).get_data(as_text=True)
    assert "/v1/publish" not in page and "Start a new draft" in page

    workbook = client.get("/authoring/questionnaires/back-home/v1.xlsx")
    assert workbook.status_code == 200 and workbook.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(workbook.data))["survey"]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "feel_now", "want_talk", "anything_else"]


def test_a_workbook_that_cannot_be_read_changes_nothing_and_says_where(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    survey = [row[:] for row in BACK_HOME["survey"]]
    survey[3][0] = "integer"
    refused = _upload(client, write({"survey": survey, "settings": BACK_HOME["settings"]}))
    assert refused.status_code == 422
    assert "sheet &#39;survey&#39;, row 4, column &#39;type&#39; (A)" in refused.get_data(
        as_text=True)
    not_a_workbook = _upload(client, b"id,title\n", "back-home.csv")
    assert not_a_workbook.status_code == 422
    assert "is not an Excel workbook" in not_a_workbook.get_data(as_text=True)
    assert session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "back-home")) is None


def test_a_draft_breaking_a_safeguarding_check_shows_it_beside_the_question_and_stays_a_draft(
        app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    page_path = _upload(client, _with_broken_talk_request()).headers["Location"]
    page = client.get(page_path).get_data(as_text=True)
    assert '<li id="q-want_talk" class="has-error">' in page
    assert "/v1/publish" not in page
    forced = _post(client, page_path, "/authoring/questionnaires/back-home/v1/publish")
    assert forced.status_code == 302
    assert "is not published" in client.get(page_path).get_data(as_text=True)
    definition = session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "back-home"))
    assert definition.status is DefinitionStatus.DRAFT


def test_a_draft_is_read_in_urdu_as_a_band_sees_it_with_the_english_beside(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    _upload(client, write(BACK_HOME))
    page = client.get("/authoring/questionnaires/back-home/v1/ages/12-17?language=ur")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "واپس آ کر اب آپ کیسا محسوس کرتے ہیں؟" in text
    assert "How do you feel now you are back?" in text
    assert 'lang="ur" dir="rtl"' in text
    assert client.get("/authoring/questionnaires/back-home/v1/ages/4-7").status_code == 404
    assert client.get(
        "/authoring/questionnaires/back-home/v1/ages/12-17?language=xx").status_code == 404


def test_a_draft_is_tried_in_urdu_on_the_childs_own_page_and_nothing_is_sent(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    _upload(client, write(BACK_HOME))
    screen = "/authoring/questionnaires/back-home/v1/ages/12-17/screens/1"
    page = client.get(screen + "?language=ur")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<html lang="ur" dir="rtl"' in text and "css/child.css" in text
    assert 'id="question-feel_now"' in text and "واپس آ کر اب آپ کیسا محسوس کرتے ہیں؟" in text
    # The follow-up waits hidden until the answer that opens it, as on the child's page.
    assert ('<div class="follow-up" data-show-if="{&#34;any_of&#34;: [&#34;okay&#34;, '
            '&#34;sad&#34;], &#34;question&#34;: &#34;feel_now&#34;}" hidden>') in text
    # Words with no Urdu yet are shown and read aloud as English, left to right.
    assert '<span class="question-text" id="text-feel_now">' in text
    assert ('<span class="question-text" id="text-anything_else" lang="en" dir="ltr" '
            'data-untranslated>') in text
    assert 'data-speak="text-anything_else" data-lang="en"' in text
    # No form of answers: nothing here can be sent, let alone kept.
    assert "data-autosave" not in text and 'id="answers"' in text
    assert 'class="preview-bar" lang="en" dir="ltr"' in text
    # The last screen leads back to the author's preview.
    assert 'href="/authoring/questionnaires/back-home/v1/ages/12-17?language=ur" ' \
        'class="button primary next"' in text
    for missing in (screen.replace("/1", "/2"), screen.replace("/1", "/0"),
                    screen.replace("12-17", "4-7"), screen + "?language=xx"):
        assert client.get(missing).status_code == 404, missing


def test_a_published_questionnaire_is_withdrawn_and_no_longer_offered(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    page = "/authoring/questionnaires/before-cp-review"
    assert _post(client, page, f"{page}/drafts").status_code == 302
    assert _post(client, page, f"{page}/v2/publish").status_code == 302
    assert _post(client, page, f"{page}/v2/withdraw").status_code == 302
    library = app.extensions["viewpoint.library"]
    assert library.catalogue(session).get("before-cp-review") is None
    assert "Nothing: withdrawn" in client.get("/authoring/").get_data(as_text=True)


def test_the_council_adds_an_indicator_and_cannot_reuse_an_id(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    added = _post(client, "/authoring/", "/authoring/indicators")
    assert added.status_code == 400  # nothing filled in
    token = token_from(client.get("/authoring/").get_data(as_text=True))
    ok = client.post("/authoring/indicators", data={
        "csrf_token": token, "key": "safe_after_missing",
        "label": "Feel safe when they come back", "theme": "safety"})
    assert ok.status_code == 302
    assert "Feel safe when they come back" in client.get("/authoring/").get_data(as_text=True)
    again = client.post("/authoring/indicators", data={
        "csrf_token": token, "key": "safe_home", "label": "Another meaning", "theme": "safety"})
    assert again.status_code == 422
    assert "choose a new id for a new meaning" in again.get_data(as_text=True)
