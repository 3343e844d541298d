""""You said, we did": a worker writes back about a child's answers, and the child sees it,
once, the next time they open a questionnaire."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_child, make_user
from tests.staff import post, sign_in
from viewpoint.models import AuditEvent, Child, Feedback, Response, Role
from viewpoint.operations import answers as services
from viewpoint.operations.feedback import (
    mark_feedback_seen,
    unseen_feedback_for_child,
    write_feedback,
)
from viewpoint.operations.invitations import issue_invitation

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NOTE = ("You told us you want to see your brother more.\n"
        "From next month you will see him every Saturday. <b>Well done</b> for telling us.")


def token_from(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sent_response(app, session, child: Child) -> Response:  # type: ignore[no-untyped-def]
    """The child has answered a questionnaire and sent it."""
    catalogue = app.extensions["viewpoint.questionnaires"]
    issued = issue_invitation(session, catalogue, child)
    response = services.start_response(session, catalogue, issued.invitation)
    services.record_answer(session, catalogue, response, "safe_home", "okay")
    services.submit_response(session, response, "nobody")
    session.commit()
    return response


def open_questionnaire(app, session, child: Child):  # type: ignore[no-untyped-def]
    """A new code for the child, typed in on a tablet; returns the tablet's client."""
    issued = issue_invitation(session, app.extensions["viewpoint.questionnaires"], child)
    session.commit()
    tablet = app.test_client()
    start = tablet.get("/").get_data(as_text=True)
    entered = tablet.post("/", data={"code": issued.code, "csrf_token": token_from(start)})
    assert entered.status_code == 302
    return tablet


def feedback_rows(session) -> list[Feedback]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Feedback).order_by(Feedback.id)))


@pytest.fixture()
def child(session) -> Child:  # type: ignore[no-untyped-def]
    return make_child(session, age=10, first_name="Wren")


@pytest.fixture()
def worker(app, session, child):  # type: ignore[no-untyped-def]
    return sign_in(app.test_client(), child.social_worker, session)


def test_a_worker_writes_back_and_the_page_shows_it_not_yet_seen(app, session, child,  # type: ignore[no-untyped-def]
                                                                  worker) -> None:
    response = sent_response(app, session, child)
    saved = post(worker, f"/casework/responses/{response.id}/feedback", {"body": NOTE})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/casework/responses/{response.id}"
                                              "#you-said-we-did")
    [row] = feedback_rows(session)
    assert (row.response_id, row.child_id, row.written_by_id) == (
        response.id, child.id, child.social_worker_id)
    assert row.body == NOTE and row.seen_at is None
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "feedback.written"))
    assert (event.child_id, event.subject_type, event.subject_id) == (child.id, "feedback", row.id)
    assert event.detail is None
    page = worker.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Wren will see it the next time" in page
    assert "From next month you will see him every Saturday. &lt;b&gt;Well done&lt;/b&gt;" in page
    assert "see your brother more.<br>From next month" in page
    assert "Not seen by Wren yet" in page


@pytest.mark.parametrize(("body", "message"), [
    ("", "Write what you did about what the child said."),
    ("   \n  ", "Write what you did about what the child said."),
    ("Thanks!", "Write at least 10 characters"),
    ("x" * 2001, "Keep it to 2000 characters or fewer (this is 2001)."),
])
def test_feedback_that_is_empty_too_short_or_too_long_is_refused_clearly(  # type: ignore[no-untyped-def]
        app, session, child, worker, body: str, message: str) -> None:
    response = sent_response(app, session, child)
    refused = post(worker, f"/casework/responses/{response.id}/feedback", {"body": body})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert message in page and 'class="error-summary"' in page
    assert feedback_rows(session) == []
    # The page shown again holds the child's answers, so that look is on the record too.
    viewed = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "response.viewed"))
    assert viewed == 1
    # What was typed is kept, so the worker can fix it rather than start again.
    if body.strip():
        assert body in page


def test_the_same_feedback_sent_twice_within_a_minute_is_saved_once(app, session, child,  # type: ignore[no-untyped-def]
                                                                     worker) -> None:
    response = sent_response(app, session, child)
    url = f"/casework/responses/{response.id}/feedback"
    assert post(worker, url, {"body": NOTE}).status_code == 302
    assert post(worker, url, {"body": NOTE.replace("\n", "\r\n") + "  "}).status_code == 302
    assert len(feedback_rows(session)) == 1
    written = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "feedback.written"))
    assert written == 1
    # Different words are a second message.
    assert post(worker, url, {"body": "And we booked the trip you asked for."}).status_code == 302
    assert len(feedback_rows(session)) == 2


def test_the_same_words_again_after_a_minute_are_a_new_message(app, session, child) -> None:  # type: ignore[no-untyped-def]
    response = sent_response(app, session, child)
    author = child.social_worker
    first = write_feedback(session, response, author, NOTE)
    again = write_feedback(session, response, author, NOTE,
                           now=first.feedback.written_at + timedelta(seconds=30))
    assert first.created and not again.created and again.feedback.id == first.feedback.id
    later = write_feedback(session, response, author, NOTE,
                           now=first.feedback.written_at + timedelta(minutes=2))
    assert later.created and later.feedback.id != first.feedback.id
    with pytest.raises(ValueError):
        write_feedback(session, response, author, "too short")


def test_feedback_appears_on_the_childs_next_welcome_page_once_and_is_marked_seen(  # type: ignore[no-untyped-def]
        app, session, child, worker) -> None:
    response = sent_response(app, session, child)
    assert post(worker, f"/casework/responses/{response.id}/feedback",
                {"body": NOTE}).status_code == 302
    tablet = open_questionnaire(app, session, child)
    welcome = tablet.get("/welcome").get_data(as_text=True)
    assert "Here's what happened" in welcome
    assert "<bdi>Sam</bdi> wrote to you on" in welcome  # the worker's first name only
    assert "Cobblestone" not in welcome
    assert "see your brother more.<br>From next month" in welcome
    assert "&lt;b&gt;Well done&lt;/b&gt;" in welcome and "<b>Well done" not in welcome
    [row] = feedback_rows(session)
    assert row.seen_at is None  # showing the page writes nothing
    started = tablet.post("/start", data={"csrf_token": token_from(welcome),
                                          "seen_feedback": [str(row.id)]})
    assert started.status_code == 302
    session.refresh(row)
    assert row.seen_at is not None
    again = tablet.get("/welcome").get_data(as_text=True)
    assert "Here's what happened" not in again and "Well done" not in again
    # The worker can see that the child has read it.
    assert "Seen by Wren on" in worker.get(f"/casework/responses/{response.id}").get_data(
        as_text=True)


def test_a_note_written_while_the_child_is_on_the_welcome_page_waits_for_next_time(  # type: ignore[no-untyped-def]
        app, session, child) -> None:
    response = sent_response(app, session, child)
    first = write_feedback(session, response, child.social_worker, NOTE).feedback
    session.commit()
    tablet = open_questionnaire(app, session, child)
    welcome = tablet.get("/welcome").get_data(as_text=True)
    second = write_feedback(session, response, child.social_worker,
                            "We also spoke to your school about the bus.").feedback
    session.commit()
    tablet.post("/start", data={"csrf_token": token_from(welcome),
                                "seen_feedback": [str(first.id)]})
    session.refresh(first)
    session.refresh(second)
    assert first.seen_at is not None and second.seen_at is None
    assert [note.id for note in unseen_feedback_for_child(session, child.id)] == [second.id]


def test_a_child_never_sees_or_marks_another_childs_feedback(app, session, child) -> None:  # type: ignore[no-untyped-def]
    other = make_child(session, age=12, first_name="Ash", worker=child.social_worker,
                       team=child.team)
    theirs = write_feedback(session, sent_response(app, session, other), other.social_worker,
                            "We changed your contact to Sundays.").feedback
    session.commit()
    tablet = open_questionnaire(app, session, child)
    welcome = tablet.get("/welcome").get_data(as_text=True)
    assert "Sundays" not in welcome
    # Even a forged list of ids marks nothing that is not the child's own.
    tablet.post("/start", data={"csrf_token": token_from(welcome),
                                "seen_feedback": [str(theirs.id), "x", "²"]})
    session.refresh(theirs)
    assert theirs.seen_at is None
    assert mark_feedback_seen(session, child.id, [theirs.id]) == 0


def test_a_reviewing_officer_who_chairs_the_review_can_write_back(app, session, child) -> None:  # type: ignore[no-untyped-def]
    response = sent_response(app, session, child)
    iro = make_user(session, Role.REVIEWING_OFFICER, child.team, name="Iris Oakley")
    response.review.chair_id = iro.id
    session.commit()
    client = sign_in(app.test_client(), iro, session)
    saved = post(client, f"/casework/responses/{response.id}/feedback",
                 {"body": "At your review we agreed you can stay at your school."})
    assert saved.status_code == 302
    [row] = feedback_rows(session)
    assert row.written_by_id == iro.id
    assert [n.author for n in unseen_feedback_for_child(session, child.id)] == ["Iris"]


def test_writing_back_needs_a_valid_form_token(app, session, child, worker) -> None:  # type: ignore[no-untyped-def]
    response = sent_response(app, session, child)
    refused = worker.post(f"/casework/responses/{response.id}/feedback", data={"body": NOTE})
    assert refused.status_code == 400
    assert feedback_rows(session) == []
