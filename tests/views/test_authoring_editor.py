"""The page editor: a questionnaire written from nothing, question by question, published
once every check passes; a published version cannot be changed by any request; what cannot
be written is refused on the form with nothing lost; a broken rule is shown beside its
question and stops publishing."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_user
from tests.staff import sign_in, token_from
from viewpoint.models import DefinitionStatus, QuestionnaireDefinition, Role
from viewpoint.operations.authoring import install_shipped

NEW = "/authoring/new"
DRAFT = "/authoring/questionnaires/back-from-missing"
QUESTIONS = f"{DRAFT}/v1/questions"


def _author(app, session):  # type: ignore[no-untyped-def]
    return sign_in(app.test_client(), make_user(session, Role.AUTHOR, name="Ash Quill"), session)


def _send(client, path: str, data: dict):  # type: ignore[no-untyped-def]
    token = token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _start(client):  # type: ignore[no-untyped-def]
    return _send(client, NEW, {
        "key": "back-from-missing", "title": "After you came back",
        "staff_title": "After a return from missing", "plan_kinds": ["child_in_need"],
        "bands": ["8-11", "12-17"]})


FEEL = {"key": "feel_now", "type": "faces", "text": "How do you feel now you are back?",
        "text_8_11": "How do you feel now?", "staff_text": "How they feel now",
        "alert_answers": "sad", "alert_summary": "Said they feel sad since coming back",
        "rather_not_say": "y"}
TALK = {"key": "want_talk", "type": "yes_no",
        "text": "Would you like someone to talk with you about it?",
        "staff_text": "Wants to talk about it", "show_if_question": "feel_now",
        "show_if_answers": "sad, okay", "talk_request": "y", "rather_not_say": "y"}


def _draft(session) -> QuestionnaireDefinition:  # type: ignore[no-untyped-def]
    found = session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "back-from-missing"))
    session.refresh(found)
    return found


def test_a_questionnaire_written_on_the_page_is_published(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    started = _start(client)
    assert started.status_code == 302 and started.headers["Location"].endswith(
        f"{QUESTIONS}/new")
    assert _send(client, f"{QUESTIONS}/new", FEEL).status_code == 302
    # The talk request without its alert: saved, shown beside the question, not publishable.
    assert _send(client, f"{QUESTIONS}/new", TALK).status_code == 302
    page = client.get(DRAFT).get_data(as_text=True)
    assert 'id="q-want_talk" class="has-error"' in page and "/v1/publish" not in page
    fixed = _send(client, f"{QUESTIONS}/want_talk", {
        **TALK, "alert_answers": "yes", "alert_summary": "Asked to talk about coming back"})
    assert fixed.status_code == 302
    page = client.get(DRAFT).get_data(as_text=True)
    assert "It passes every check" in page
    source = _draft(session).source
    assert source["questions"][0]["text"] == {"default": FEEL["text"],
                                              "8-11": "How do you feel now?"}
    assert source["questions"][1]["show_if"] == {"question": "feel_now",
                                                 "any_of": ["sad", "okay"]}
    published = client.post(f"{DRAFT}/v1/publish", data={"csrf_token": token_from(page)})
    assert published.status_code == 302
    assert _draft(session).status is DefinitionStatus.PUBLISHED
    served = app.extensions["viewpoint.library"].catalogue(session).get("back-from-missing")
    assert served is not None and [q.key for q in served.questions] == ["feel_now", "want_talk"]


def test_a_published_version_cannot_be_changed_by_any_request(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    install_shipped(session, app.extensions["viewpoint.library"])
    base = "/authoring/questionnaires/before-cin-review"
    before = session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "before-cin-review")).source
    page = client.get(base).get_data(as_text=True)
    assert "/v1/questions/" not in page  # no way to change it is offered
    token = token_from(page)
    # A question written while the version was published: refused, and what was typed
    # stays on the page to be copied into a new draft.
    for path, data in [(f"{base}/v1/questions/safe_home", {**FEEL, "key": "safe_home"}),
                       (f"{base}/v1/questions/new", FEEL)]:
        answer = client.post(path, data={"csrf_token": token, **data})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 409 and "Nothing was saved" in html, path
        assert FEEL["text"] in html and FEEL["alert_summary"] in html
    for path, data in [
        (f"{base}/v1/questions/safe_home/remove", {}),
        (f"{base}/v1/questions/safe_home/move", {"direction": "down"}),
        (f"{base}/v1/settings", {"title": "Changed", "staff_title": "Changed",
                                 "plan_kinds": ["child_in_need"], "bands": ["8-11"]}),
    ]:
        answer = client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 302 and answer.headers["Location"].endswith(base), path
    assert "is not a draft" in client.get(base).get_data(as_text=True)
    after = session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "before-cin-review"))
    session.refresh(after)
    assert after.source == before and after.status is DefinitionStatus.PUBLISHED


def test_what_cannot_be_written_is_refused_on_the_form_and_kept(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _author(app, session)
    _start(client)
    _send(client, f"{QUESTIONS}/new", FEEL)
    refused = _send(client, f"{QUESTIONS}/new", {
        "key": "help", "type": "choose_one", "text": "Did the help help?",
        "staff_text": "Help helped", "options": "a_lot = Yes, a lot\nNot really"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Line 2" in html and "Did the help help?" in html  # said, and nothing typed lost
    clash = _send(client, f"{QUESTIONS}/new", {**FEEL, "text": "Again?"})
    assert clash.status_code == 422 and "already has the id" in clash.get_data(as_text=True)
    missing = _send(client, f"{QUESTIONS}/new", {"key": "x", "type": "faces"})
    assert missing.status_code == 400 and "Write the question." in missing.get_data(as_text=True)
    assert [q["key"] for q in _draft(session).source["questions"]] == ["feel_now"]
    # Another questionnaire's id is refused for a new one.
    again = _start(client)
    assert again.status_code == 422 and "already a questionnaire" in again.get_data(as_text=True)
    # A questionnaire offered for no plan, or to no age, could never be published.
    unoffered = _send(client, NEW, {"key": "nobody", "title": "Hello", "staff_title": "Hi"})
    html = unoffered.get_data(as_text=True)
    assert unoffered.status_code == 400
    assert "Tick the plans it is offered for." in html and "Tick the ages it is for." in html
    assert 'value="nobody"' in html
    assert session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == "nobody")) is None


def _with_two_questions(app, session):  # type: ignore[no-untyped-def]
    """An author's client, with a draft asking feel_now and then want_talk (and its alert)."""
    client = _author(app, session)
    _start(client)
    _send(client, f"{QUESTIONS}/new", FEEL)
    _send(client, f"{QUESTIONS}/new", {**TALK, "alert_answers": "yes",
                                       "alert_summary": "Asked to talk"})
    return client


def test_questions_are_moved_and_removed_and_a_rule_left_hanging_is_named(app, session) -> None:  # type: ignore[no-untyped-def]
    client = _with_two_questions(app, session)
    moved = client.post(
        f"{QUESTIONS}/want_talk/move",
        data={"csrf_token": token_from(client.get(DRAFT).get_data(as_text=True)),
              "direction": "up"})
    assert moved.status_code == 302
    assert [q["key"] for q in _draft(session).source["questions"]] == ["want_talk", "feel_now"]
    # Asked before the question it follows: a problem beside it, no publishing.
    page = client.get(DRAFT).get_data(as_text=True)
    assert 'id="q-want_talk" class="has-error"' in page and "/v1/publish" not in page
    token = token_from(page)
    client.post(f"{QUESTIONS}/feel_now/remove", data={"csrf_token": token})
    assert [q["key"] for q in _draft(session).source["questions"]] == ["want_talk"]
    page = client.get(DRAFT).get_data(as_text=True)
    assert "feel_now" in page and 'class="has-error"' in page


def test_a_question_removed_by_another_author_while_being_changed_is_not_lost(app, session) -> None:  # type: ignore[no-untyped-def]
    writer = _with_two_questions(app, session)
    page = writer.get(f"{QUESTIONS}/want_talk").get_data(as_text=True)
    other = sign_in(app.test_client(), make_user(session, Role.AUTHOR, name="Bo Reed"), session)
    token = token_from(other.get(DRAFT).get_data(as_text=True))
    assert other.post(f"{QUESTIONS}/want_talk/remove",
                      data={"csrf_token": token}).status_code == 302
    assert [q["key"] for q in _draft(session).source["questions"]] == ["feel_now"]
    saved = writer.post(f"{QUESTIONS}/want_talk", data={
        "csrf_token": token_from(page), **TALK, "text": "Shall someone talk with you?",
        "alert_answers": "yes", "alert_summary": "Asked to talk"})
    assert saved.status_code == 302
    questions = _draft(session).source["questions"]
    assert [q["key"] for q in questions] == ["feel_now", "want_talk"]
    assert questions[1]["text"] == "Shall someone talk with you?"
    assert "added again" in writer.get(DRAFT).get_data(as_text=True)
