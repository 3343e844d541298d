"""A worker reads a child's response: in English, beside last time, with its PDF, audited, and
only within their caseload."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from tests.factories import make_child, make_team, make_user
from tests.staff import post, sign_in
from viewpoint.models import (
    AuditEvent,
    Child,
    Feedback,
    QuestionnaireVersion,
    Response,
    Role,
    utcnow,
)
from viewpoint.operations import answers as services
from viewpoint.operations.invitations import issue_invitation
from viewpoint.questionnaires.snapshot import digest, render
from viewpoint.records.reading import (
    AnswerState,
    Change,
    IndicatorState,
    read_response,
)

#: A few of the care questionnaire's words as a Polish child would see them.
POLISH = {
    "How safe do you feel in the place you live now?":
        "Jak bezpiecznie czujesz się tam, gdzie teraz mieszkasz?",
    "Safe": "Bezpiecznie",
    "Mostly safe": "Raczej bezpiecznie",
    "Not safe": "Niebezpiecznie",
    "Yes": "Tak",
    "Not sure": "Nie wiem",
    "No": "Nie",
    "Not happy at all": "Wcale nieszczęśliwy",
    "Really happy": "Bardzo szczęśliwy",
}
OWN_WORDS = "Chcę mieszkać z bratem.\nOn jest dla mnie ważny."


def in_polish(_context: str, message: str) -> str:
    return POLISH.get(message, f"(pl) {message}")


def answered(session, app, child: Child, answers: dict, *, declined: tuple[str, ...] = (),  # type: ignore[no-untyped-def]
             language: str = "en", band: str = "12-17", sent_days_ago: int | None = 0,
             helped_by: str | None = "carer") -> Response:
    """The child's response with ``answers`` (question key -> value), sent ``sent_days_ago``
    days ago (None: still answering), against the wording served in ``language``."""
    catalogue = app.extensions["viewpoint.questionnaires"]
    issued = issue_invitation(session, catalogue, child, band=band, language=language,
                              offered_languages=("en", language))
    invitation = issued.invitation
    definition = catalogue.get(invitation.questionnaire_key)
    content = render(definition, band, language,
                     translate=in_polish if language == "pl" else lambda _c, m: m)
    version = session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.digest == digest(content)))
    if version is None:
        version = QuestionnaireVersion(questionnaire_key=definition.id, band=band,
                                       language=language, digest=digest(content),
                                       content=content)
    response = Response(invitation=invitation, child_id=child.id,
                        plan_id=invitation.review.plan_id, review_id=invitation.review_id,
                        questionnaire_version=version, questionnaire_key=definition.id,
                        band=band, language=language)
    session.add(response)
    session.flush()
    for key, value in answers.items():
        services.record_answer(session, catalogue, response, key, value)
    for key in declined:
        services.record_answer(session, catalogue, response, key, None, declined=True)
    if sent_days_ago is not None:
        services.submit_response(session, response, helped_by)
        response.submitted_at = utcnow() - timedelta(days=sent_days_ago)
    session.commit()
    return response


def readable(page: str) -> str:
    return page.replace("&#39;", "'").replace("&#34;", '"')


def question_item(page: str, key: str) -> str:
    """The page's list item for question ``key``."""
    found = re.search(rf'<li id="q-{key}".*?</li>\s*(?=<li id="q-|</ol>)', page, re.S)
    assert found, f"no item for {key}"
    return found.group(0)


@pytest.fixture()
def child(session) -> Child:  # type: ignore[no-untyped-def]
    return make_child(session, age=14, first_name="Zofia")


@pytest.fixture()
def worker_client(app, session, child):  # type: ignore[no-untyped-def]
    return sign_in(app.test_client(), child.social_worker, session)


def test_worker_reads_a_polish_childs_answers_in_english_with_their_own_words_as_written(  # type: ignore[no-untyped-def]
        app, session, child, worker_client) -> None:
    response = answered(session, app, child, {
        "safe_home": "okay", "stay_here": "no", "stay_change": OWN_WORDS, "happiness": 7,
        "worries": ["school", "future"]}, language="pl")
    page = worker_client.get(f"/casework/responses/{response.id}")
    assert page.status_code == 200
    html = readable(page.get_data(as_text=True))
    safe = question_item(html, "safe_home")
    assert "Mostly safe" in safe and "Raczej bezpiecznie" not in html
    # The question the child read is there too, in Polish, for talking it through.
    assert "Jak bezpiecznie czujesz się tam, gdzie teraz mieszkasz?" in safe
    assert "How safe do you feel in the place you live now?" in safe
    words = question_item(html, "stay_change")
    assert "Chcę mieszkać z bratem.<br>On jest dla mnie ważny." in words
    assert 'lang="pl"' in words and "Written in Polish" in words
    happiness = question_item(html, "happiness")
    assert "7 out of 10" in happiness
    assert "0 means “Not happy at all”, 10 means “Really happy”" in happiness
    worries = question_item(html, "worries")
    assert "School or college" in worries and "The future" in worries
    assert "Polish" in html and "Their carer" in html and "Ages 12-17" in html


def test_the_childs_own_words_are_shown_safely(app, session, child, worker_client) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, child, {"review_say": "<script>alert(1)</script> ok"})
    html = worker_client.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ok" in html
    # English needs no note about its language.
    assert "Written in" not in question_item(html, "review_say")


def test_answers_changed_since_last_time_are_marked_and_unchanged_are_not(  # type: ignore[no-untyped-def]
        app, session, child, worker_client) -> None:
    answered(session, app, child, {"safe_home": "happy", "happiness": 8, "hurting_me": "no",
                                   "stay_here": "yes", "review_say": "All good."},
             sent_days_ago=180)
    answered(session, app, child, {"safe_home": "happy", "happiness": 2, "hurting_me": "no",
                                   "stay_here": "yes", "review_say": "All good."},
             sent_days_ago=90)
    latest = answered(session, app, child, {
        "safe_home": "okay", "happiness": 2, "hurting_me": "no", "stay_here": "no",
        "stay_change": "Closer to school.", "review_say": "  All good. "})
    html = readable(worker_client.get(f"/casework/responses/{latest.id}").get_data(as_text=True))
    changes = dict(re.findall(r'<li id="q-(\w+)"[^>]*data-change="(\w*)"', html))
    # Compared with the answers sent 90 days ago, not the older ones.
    assert changes["safe_home"] == "changed" and changes["stay_here"] == "changed"
    assert changes["happiness"] == "unchanged" and changes["hurting_me"] == "unchanged"
    assert changes["review_say"] == "unchanged"  # only spaces around the words differ
    assert changes["stay_change"] == "new"  # not asked last time
    assert changes["safe_school"] == "unchanged"  # skipped both times
    safe = question_item(html, "safe_home")
    assert ">Changed<" in safe and "Last time:" in safe
    assert re.search(r'class="previous".*Safe', safe, re.S)
    assert ">Changed<" not in question_item(html, "happiness")
    assert "Not asked last time" in question_item(html, "stay_change")
    assert "Same as last time" in question_item(html, "happiness")
    # A skip after a skip is not news.
    assert "Last time" not in question_item(html, "safe_school")
    assert "2 answers changed" in html


def test_declined_and_skipped_answers_read_differently(app, session, child, worker_client) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, child, {"safe_home": "happy", "stay_here": "yes"},
                        declined=("hurting_me",))
    html = readable(worker_client.get(f"/casework/responses/{response.id}").get_data(as_text=True))
    declined = question_item(html, "hurting_me")
    assert "answer-declined" in declined and "Chose “I'd rather not say”" in declined
    skipped = question_item(html, "safe_school")
    assert "answer-skipped" in skipped and "Skipped: no answer given" in skipped
    assert "rather not say" not in skipped
    not_asked = question_item(html, "stay_change")  # only asked after "no" or "not sure"
    assert "answer-not_asked" in not_asked and "Not asked" in not_asked


def test_indicators_are_summarised_at_a_glance(app, session, child, worker_client) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, child, {"safe_home": "happy", "happiness": 3,
                                              "lonely": "hardly_ever"},
                        declined=("hurting_me",))
    html = worker_client.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    states = dict(re.findall(r'<tr id="indicator-(\w+)" data-state="(\w+)"', html))
    assert states["safe_home"] == "positive"
    assert states["happiness"] == "not_positive"
    assert states["no_one_hurting"] == "declined"
    assert states["good_friend"] == "skipped"
    assert states["not_lonely"] == "positive"
    assert "Feel safe where they live" in html and "Rate their happiness 7 or more" in html
    # Questions with no indicator are not in the summary.
    assert "carers_care" not in states


def test_an_answer_that_raised_an_alert_is_flagged(app, session, child, worker_client) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, child, {"hurting_me": "yes", "safe_home": "happy"})
    html = worker_client.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    flagged = question_item(html, "hurting_me")
    assert "flagged" in flagged
    assert "Said someone is hurting them or making them feel scared" in flagged
    assert "flagged" not in question_item(html, "safe_home")
    assert 'class="panel alert"' in html and 'href="#q-hurting_me"' in html


def test_a_response_still_being_answered_says_so(app, session, child, worker_client) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, child, {"safe_home": "happy"}, sent_days_ago=None)
    html = readable(worker_client.get(f"/casework/responses/{response.id}").get_data(as_text=True))
    assert "has not sent these answers yet" in html and "Still answering" in html
    assert "Not answered yet" in question_item(html, "hurting_me")
    assert "Skipped" not in question_item(html, "hurting_me")


def test_the_reading_compares_only_with_an_earlier_sent_response_to_the_same_questionnaire(  # type: ignore[no-untyped-def]
        app, session, child) -> None:
    catalogue = app.extensions["viewpoint.questionnaires"]
    first = answered(session, app, child, {"safe_home": "sad"}, sent_days_ago=30)
    answered(session, app, child, {"safe_home": "okay"}, sent_days_ago=None)  # not sent
    reading = read_response(session, catalogue, first)
    assert reading.previous is None
    assert all(question.change is None for question in reading.questions)
    second = answered(session, app, child, {"safe_home": "happy"}, sent_days_ago=1)
    reading = read_response(session, catalogue, second)
    assert reading.previous is not None and reading.previous.id == first.id
    by_key = {question.key: question for question in reading.questions}
    assert by_key["safe_home"].change is Change.CHANGED
    assert by_key["safe_home"].previous.text == "Not safe"
    assert by_key["safe_home"].indicator.state is IndicatorState.POSITIVE
    assert by_key["safe_home"].indicator.previous_state is IndicatorState.NOT_POSITIVE
    assert by_key["safe_school"].answer.state is AnswerState.SKIPPED
    # Reading the earlier one does not compare it with the later one.
    assert read_response(session, catalogue, first).previous is None


def _audit(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_reading_the_answers_and_downloading_the_pdf_are_each_audited(  # type: ignore[no-untyped-def]
        app, session, child, worker_client) -> None:
    response = answered(session, app, child, {"safe_home": "okay", "stay_here": "no",
                                              "stay_change": OWN_WORDS}, language="pl")
    assert worker_client.get(f"/casework/responses/{response.id}").status_code == 200
    viewed = _audit(session, "response.viewed")
    assert [(e.child_id, e.subject_type, e.subject_id, e.actor_id) for e in viewed] == [
        (child.id, "response", response.id, child.social_worker_id)]
    assert _audit(session, "response.pdf") == []

    download = worker_client.get(f"/casework/responses/{response.id}.pdf")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    disposition = download.headers["Content-Disposition"]
    sent_on = f"{response.submitted_at:%Y-%m-%d}"
    assert disposition.startswith("attachment")
    assert child.reference in disposition and sent_on in disposition
    assert child.first_name not in disposition and child.last_name not in disposition
    pdfs = _audit(session, "response.pdf")
    assert [(e.child_id, e.subject_id) for e in pdfs] == [(child.id, response.id)]
    assert len(_audit(session, "response.viewed")) == 1
    # The audit trail says who looked, never what the child said.
    assert all(event.detail is None for event in viewed + pdfs)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(
        io.BytesIO(download.data)).pages)
    assert "Mostly safe" in text and "Zofia Alder" in text and "Written in Polish" in text


@pytest.mark.parametrize("request_kind", ["page", "pdf", "feedback"])
def test_another_teams_worker_cannot_open_the_response_its_pdf_or_write_back(  # type: ignore[no-untyped-def]
        app, session, child, request_kind: str) -> None:
    response = answered(session, app, child, {"safe_home": "happy"})
    other_team = make_team(session)
    stranger = make_user(session, Role.SOCIAL_WORKER, other_team)
    stranger_manager = make_user(session, Role.TEAM_MANAGER, other_team)
    for person in (stranger, stranger_manager):
        client = sign_in(app.test_client(), person, session)
        url = f"/casework/responses/{response.id}"
        if request_kind == "page":
            answer = client.get(url)
        elif request_kind == "pdf":
            answer = client.get(f"{url}.pdf")
        else:
            answer = post(client, f"{url}/feedback",
                          {"body": "We moved your contact to Saturdays."})
        assert answer.status_code == 404
    assert session.scalar(select(func.count()).select_from(Feedback)) == 0
    assert _audit(session, "response.viewed") == _audit(session, "response.pdf") == []
    # The child's own worker and their team manager can.
    for person in (child.social_worker, make_user(session, Role.TEAM_MANAGER, child.team)):
        client = sign_in(app.test_client(), person, session)
        assert client.get(f"/casework/responses/{response.id}").status_code == 200


def test_people_without_casework_cannot_read_responses(app, session, child) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, child, {"safe_home": "happy"})
    for role in (Role.PANEL_MEMBER, Role.ADMINISTRATOR):
        client = sign_in(app.test_client(), make_user(session, role), session)
        assert client.get(f"/casework/responses/{response.id}").status_code == 403
        assert client.get(f"/casework/responses/{response.id}.pdf").status_code == 403
    signed_out = app.test_client().get(f"/casework/responses/{response.id}")
    assert signed_out.status_code == 302 and "/staff/signin" in signed_out.headers["Location"]


def test_the_response_page_prints_with_its_own_stylesheet(app, session, child,  # type: ignore[no-untyped-def]
                                                          worker_client) -> None:
    response = answered(session, app, child, {"safe_home": "happy"})
    html = worker_client.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    assert re.search(r'<link rel="stylesheet" href="/static/css/print.css" media="print">', html)
    rules = (Path(app.static_folder) / "css" / "print.css").read_text(encoding="utf-8")
    assert "break-inside: avoid" in rules and "li.changed" in rules
