"""A team manager approves a "you said, we did" note, in words nobody could be recognised
from, for the Children in Care Council; and can stop sharing it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.factories import make_child, make_team, make_user
from tests.staff import csrf_token, post, sign_in
from tests.views.test_feedback import NOTE, sent_response
from viewpoint.models import AuditEvent, Child, Feedback, Role, User
from viewpoint.operations.feedback import (
    SHARE_CHECKLIST,
    IdentifyingDetails,
    WrongLength,
    check_shareable,
    share_feedback,
    shared_examples,
    stop_sharing,
    write_feedback,
)
from viewpoint.operations.identifying import Leak, find_identifying_details

SHARED = "You said you wanted to see your brother more; we arranged visits every fortnight."


def events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def manager_of(session, child: Child) -> User:  # type: ignore[no-untyped-def]
    return session.scalar(select(User).where(User.team_id == child.team_id,
                                             User.role == Role.TEAM_MANAGER))


def share_url(feedback: Feedback) -> str:
    return f"/casework/responses/{feedback.response_id}/feedback/{feedback.id}/share"


def stop_url(feedback: Feedback) -> str:
    return f"/casework/responses/{feedback.response_id}/feedback/{feedback.id}/stop-sharing"


def field(feedback: Feedback) -> str:
    """The textarea's name: each note's form on the page has its own prefix."""
    return f"share-{feedback.id}-text"


def ticked(feedback: Feedback, text: str) -> dict[str, str]:
    """The share form as posted with ``text`` and every box of the checklist ticked."""
    return {field(feedback): text, **{f"share-{feedback.id}-{item}": "y"
                                      for item in SHARE_CHECKLIST}}


@pytest.fixture()
def child(session) -> Child:  # type: ignore[no-untyped-def]
    return make_child(session, age=12, first_name="Wren")


@pytest.fixture()
def note(app, session, child) -> Feedback:  # type: ignore[no-untyped-def]
    """Sam Cobblestone, Wren Alder's social worker, has written back to her."""
    response = sent_response(app, session, child)
    written = write_feedback(session, response, child.social_worker, NOTE).feedback
    session.commit()
    return written


@pytest.fixture()
def manager(app, session, child):  # type: ignore[no-untyped-def]
    """Robin Hartwell, the manager of Wren's team, signed in."""
    return sign_in(app.test_client(), manager_of(session, child), session)


def test_a_manager_shares_a_note_and_the_page_shows_it_shared(app, session, child, note,  # type: ignore[no-untyped-def]
                                                               manager) -> None:
    page = manager.get(f"/casework/responses/{note.response_id}").get_data(as_text=True)
    assert "Share with the Children in Care Council" in page
    assert "no names, places, schools or dates" in page
    # The box starts with the note itself, for the manager to rewrite.
    assert f'name="{field(note)}"' in page and "every Saturday. &lt;b&gt;Well done" in page
    assert f'name="share-{note.id}-csrf_token"' in page

    saved = post(manager, share_url(note), ticked(note, SHARED + "  \r\n"))
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(
        f"/casework/responses/{note.response_id}#feedback-{note.id}")
    session.refresh(note)
    boss = manager_of(session, child)
    assert note.shared_text == SHARED
    assert note.shared_by_id == boss.id and note.shared_at is not None
    assert note.body == NOTE  # what the child reads is untouched
    [event] = events(session, "feedback.shared")
    assert (event.actor_id, event.child_id, event.subject_type, event.subject_id) == (
        boss.id, child.id, "feedback", note.id)

    shown = manager.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Shared with the Children in Care Council. They will see these words" in shown
    day = note.shared_at.astimezone(ZoneInfo("Europe/London"))
    assert f"Shared with the Children in Care Council on {day.day} {day:%B %Y}" in shown
    assert "by Robin Hartwell:" in shown and SHARED.replace("'", "&#39;") in shown
    assert "Stop sharing" in shown
    assert "Change the words shared with the Children in Care Council" in shown


def test_the_worker_who_wrote_the_note_sees_it_was_shared_but_cannot_share(  # type: ignore[no-untyped-def]
        app, session, child, note) -> None:
    share_feedback(session, note, manager_of(session, child), SHARED, checklist=SHARE_CHECKLIST)
    session.commit()
    worker = sign_in(app.test_client(), child.social_worker, session)
    page = worker.get(f"/casework/responses/{note.response_id}").get_data(as_text=True)
    assert "Shared with the Children in Care Council on" in page and "by Robin Hartwell" in page
    assert "Stop sharing" not in page
    assert "Share with the Children in Care Council" not in page
    assert f'name="{field(note)}"' not in page


@pytest.mark.parametrize(("text", "message"), [
    ("", "Write the words to share with the Children in Care Council."),
    ("Thanks!", "Write at least 10 characters, so that the council can tell what changed."),
    ("x" * 401, "Keep it to 400 characters or fewer (this is 401)."),
    ("Wren said she wanted more visits; we arranged them.",
     "Take out the name “Wren”: a name could let someone recognise who this is about."),
    ("You said ALDER-family visits were too short; sam made them longer. Wren's idea!",
     "Take out the names “ALDER”, “sam”, “Wren”: names could let someone recognise"),
    ("Mr Cobblestone agreed you could have a phone; you have one now.",
     "Take out the name “Cobblestone”"),
])
def test_words_that_are_too_short_too_long_or_name_someone_are_refused_and_kept(  # type: ignore[no-untyped-def]
        app, session, child, note, manager, text: str, message: str) -> None:
    refused = post(manager, share_url(note), ticked(note, text))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'class="error-summary"' in page and message in page
    assert f'href="#{field(note)}"' in page  # the summary leads to the box
    assert "<details class=\"share no-print\" open>" in page
    if text:
        assert text.replace("'", "&#39;") in page  # nothing typed is lost
    session.refresh(note)
    assert (note.shared_text, note.shared_by_id, note.shared_at) == (None, None, None)
    assert events(session, "feedback.shared") == []
    assert len(events(session, "response.viewed")) == 1  # the page shown again is a look too


def test_names_are_whole_words_in_any_case(session, child, note) -> None:  # type: ignore[no-untyped-def]
    def names(text: str) -> list[str]:
        return [found.words for found in find_identifying_details(session, note, text)
                if found.kind is Leak.NAME]

    assert names("We planted an alder tree and a wren box.") == ["alder", "wren"]
    assert names("Samples, Aldermen and Same are fine.") == []
    with pytest.raises(IdentifyingDetails) as found:
        check_shareable(session, note, "SAM’s plan, sam and Sam again")
    assert found.value.words == ("SAM",)


def test_sharing_the_same_words_twice_changes_nothing(app, session, child, note,  # type: ignore[no-untyped-def]
                                                      manager) -> None:
    assert post(manager, share_url(note), ticked(note, SHARED)).status_code == 302
    session.refresh(note)
    first = (note.shared_text, note.shared_by_id, note.shared_at)
    again = post(manager, share_url(note), ticked(note, SHARED.replace(".", ".\r\n")))
    assert again.status_code == 302
    assert "already shared" in manager.get(again.headers["Location"]).get_data(as_text=True)
    session.refresh(note)
    assert (note.shared_text, note.shared_by_id, note.shared_at) == first
    assert len(events(session, "feedback.shared")) == 1
    # Different words replace the shared ones.
    better = "You said contact was too short; visits are now a whole afternoon."
    assert post(manager, share_url(note), ticked(note, better)).status_code == 302
    session.refresh(note)
    assert note.shared_text == better
    assert len(events(session, "feedback.shared")) == 2


def test_a_manager_stops_sharing_and_the_note_leaves_the_councils_examples(  # type: ignore[no-untyped-def]
        app, session, child, note, manager) -> None:
    share_feedback(session, note, manager_of(session, child), SHARED, checklist=SHARE_CHECKLIST)
    session.commit()
    assert [e.text for e in shared_examples(session)] == [SHARED]
    stopped = post(manager, stop_url(note))
    assert stopped.status_code == 302
    assert stopped.headers["Location"].endswith(f"#feedback-{note.id}")
    session.refresh(note)
    assert (note.shared_text, note.shared_by_id, note.shared_at) == (None, None, None)
    assert shared_examples(session) == []
    [event] = events(session, "feedback.unshared")
    assert (event.child_id, event.subject_id) == (child.id, note.id)
    page = manager.get(stopped.headers["Location"]).get_data(as_text=True)
    assert "No longer shared with the Children in Care Council." in page
    assert "Shared with the Children in Care Council on" not in page
    assert "Share with the Children in Care Council" in page
    # A second click changes nothing and records nothing.
    assert post(manager, stop_url(note)).status_code == 302
    assert len(events(session, "feedback.unshared")) == 1


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.REVIEWING_OFFICER])
def test_workers_and_reviewing_officers_may_not_share_or_stop_sharing(  # type: ignore[no-untyped-def]
        app, session, child, note, role: Role) -> None:
    if role is Role.SOCIAL_WORKER:
        person = child.social_worker
    else:
        person = make_user(session, Role.REVIEWING_OFFICER, name="Iris Oakley")
        child.plans[0].reviews[0].chair_id = person.id
        session.commit()
    client = sign_in(app.test_client(), person, session)
    shown = client.get(f"/casework/responses/{note.response_id}")
    assert shown.status_code == 200
    assert "Share with the Children in Care Council" not in shown.get_data(as_text=True)
    assert post(client, share_url(note), {field(note): SHARED}).status_code == 403
    share_feedback(session, note, manager_of(session, child), SHARED, checklist=SHARE_CHECKLIST)
    session.commit()
    assert post(client, stop_url(note)).status_code == 403
    session.refresh(note)
    assert note.shared_text == SHARED
    # The manager's share is on the trail (the operation writes it, whichever way in);
    # the worker's refused attempts add nothing.
    shared = events(session, "feedback.shared")
    assert [event.actor_id for event in shared] == [manager_of(session, child).id]
    assert events(session, "feedback.unshared") == []
    with pytest.raises(PermissionError):
        share_feedback(session, note, person, "Something else that is long enough.",
                       checklist=SHARE_CHECKLIST)
    with pytest.raises(PermissionError):
        stop_sharing(session, note, person)


def test_a_manager_of_another_team_gets_not_found(app, session, child, note) -> None:  # type: ignore[no-untyped-def]
    other_team = make_team(session, "Elsewhere")
    stranger = make_user(session, Role.TEAM_MANAGER, other_team, name="Pat Quill")
    session.commit()
    client = sign_in(app.test_client(), stranger, session)
    assert post(client, share_url(note), {field(note): SHARED}).status_code == 404
    share_feedback(session, note, manager_of(session, child), SHARED, checklist=SHARE_CHECKLIST)
    session.commit()
    assert post(client, stop_url(note)).status_code == 404
    session.refresh(note)
    assert note.shared_text == SHARED
    with pytest.raises(PermissionError):
        stop_sharing(session, note, stranger)


def test_a_note_must_belong_to_the_response_in_the_address(app, session, child, note,  # type: ignore[no-untyped-def]
                                                           manager) -> None:
    other = make_child(session, first_name="Ash", team=child.team,
                       worker=child.social_worker)
    elsewhere = sent_response(app, session, other)
    url = f"/casework/responses/{elsewhere.id}/feedback/{note.id}/share"
    assert post(manager, url, {field(note): SHARED}).status_code == 404
    assert post(manager, f"/casework/responses/{note.response_id}/feedback/999999/share",
                {"share-999999-text": SHARED}).status_code == 404
    session.refresh(note)
    assert note.shared_text is None


def test_sharing_and_stopping_need_a_valid_form_token(app, session, child, note,  # type: ignore[no-untyped-def]
                                                      manager) -> None:
    refused = manager.post(share_url(note), data={field(note): SHARED})
    assert refused.status_code == 400
    forged = manager.post(share_url(note), data={field(note): SHARED, "csrf_token": "forged"})
    assert forged.status_code == 400
    session.refresh(note)
    assert note.shared_text is None
    share_feedback(session, note, manager_of(session, child), SHARED, checklist=SHARE_CHECKLIST)
    session.commit()
    assert manager.post(stop_url(note)).status_code == 400
    session.refresh(note)
    assert note.shared_text == SHARED
    assert csrf_token(manager)  # the session itself is fine: only the token was missing


def test_share_feedback_refuses_bad_words_without_changing_anything(app, session, child,  # type: ignore[no-untyped-def]
                                                                    note) -> None:
    boss = manager_of(session, child)
    with pytest.raises(WrongLength):
        share_feedback(session, note, boss, "  short  ", checklist=SHARE_CHECKLIST)
    with pytest.raises(WrongLength):
        share_feedback(session, note, boss, "y" * 401, checklist=SHARE_CHECKLIST)
    with pytest.raises(IdentifyingDetails) as found:
        share_feedback(session, note, boss, "Wren asked Sam for a bike; she has one now.",
                       checklist=SHARE_CHECKLIST)
    assert found.value.words == ("Wren", "Sam")
    assert isinstance(found.value, ValueError)
    assert note.shared_at is None and note.shared_text is None
    assert share_feedback(session, note, boss, "x" * 400, checklist=SHARE_CHECKLIST).changed


def test_shared_examples_are_only_shared_words_newest_first_with_no_names(  # type: ignore[no-untyped-def]
        app, session, child, note) -> None:
    boss = manager_of(session, child)
    other = make_child(session, first_name="Ash")  # another team, its own manager
    other_response = sent_response(app, session, other)
    other_note = write_feedback(session, other_response, other.social_worker,
                                "Ash, we moved your contact with Mum to Sundays.").feedback
    never_shared = write_feedback(session, other_response, other.social_worker,
                                  "Ash, your new bike is on its way.").feedback
    withdrawn = write_feedback(session, other_response, other.social_worker,
                               "Ash, we will ask about the football club.").feedback
    their_boss = manager_of(session, other)
    share_feedback(session, note, boss, SHARED,
                   now=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
                   checklist=SHARE_CHECKLIST)  # 1 April in the UK
    share_feedback(session, other_note, their_boss, "You said contact was on school days; "
                   "it is now at weekends.", now=datetime(2026, 5, 20, 9, 0, tzinfo=UTC),
                   checklist=SHARE_CHECKLIST)
    share_feedback(session, withdrawn, their_boss, "You asked about a club; we found one.",
                   now=datetime(2026, 6, 1, 9, 0, tzinfo=UTC), checklist=SHARE_CHECKLIST)
    stop_sharing(session, withdrawn, their_boss)
    session.commit()

    examples = shared_examples(session)
    assert [(e.text, e.month) for e in examples] == [
        ("You said contact was on school days; it is now at weekends.", date(2026, 5, 1)),
        (SHARED, date(2026, 4, 1)),
    ]
    assert set(vars(examples[0])) == {"text", "month"}  # no names, no ids
    everything = repr(examples)
    for private in ("Wren", "Ash", "Alder", "Sam", "Robin", "bike", "football", "Mum"):
        assert private not in everything
    assert shared_examples(session, limit=1) == examples[:1]
    assert never_shared.shared_at is None


def test_the_newest_of_many_examples_come_first_and_at_most_the_limit(app, session,  # type: ignore[no-untyped-def]
                                                                      child) -> None:
    response = sent_response(app, session, child)
    boss = manager_of(session, child)
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    # In words: figures are refused in shared words.
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve", "thirteen"]
    for number, name in enumerate(names):
        written = write_feedback(session, response, child.social_worker,
                                 f"Note number {number} for the child.").feedback
        share_feedback(session, written, boss, f"Example number {name} for the council.",
                       now=start + timedelta(days=7 * number), checklist=SHARE_CHECKLIST)
    session.commit()
    examples = shared_examples(session)
    assert [e.text for e in examples] == [
        f"Example number {name} for the council." for name in names[13:1:-1]]
    assert examples[0].month == date(2026, 4, 1) and examples[-1].month == date(2026, 1, 1)
    total = session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.shared_at.is_not(None)))
    assert total == 14
