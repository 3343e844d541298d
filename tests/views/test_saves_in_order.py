"""The autosave takes the answers waiting on a tablet in one request, each stored exactly
once, and a save that arrives late (a retry after the connection dropped, a tablet back
online) never replaces a newer answer or brings back one the child took away."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.staff import sign_in
from tests.views.test_respond import begin, enter, page_state
from viewpoint.models import Alert, Answer, User
from viewpoint.operations.answers import waited

SECOND = 1_000_000  # the tablet's sequence counts microseconds


def _send(client, path: str, saves: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    _html, csrf, token = page_state(client, path)
    return client.post("/answers", json={"token": token, "saves": saves},
                       headers={"X-CSRFToken": csrf})


def _stored(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {a.question_key: (None if a.declined else a.value["v"])
            for a in session.scalars(select(Answer))}


def _started(client, invite, age: int = 13) -> str:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=age)
    enter(client, issued.code)
    return begin(client)


def test_the_answers_waiting_on_a_tablet_are_saved_in_one_request(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite)
    sent = _send(client, path, [
        {"question": "safe_home", "value": "okay", "save_id": "a", "seq": 1 * SECOND},
        {"question": "carers_care", "value": "yes", "save_id": "b", "seq": 2 * SECOND},
        {"question": "school_attend", "value": "every_day", "save_id": "c", "seq": 3 * SECOND},
    ])
    assert sent.status_code == 200
    assert sent.get_json() == {"status": "saved", "results": [
        {"save_id": "a", "status": "saved"}, {"save_id": "b", "status": "saved"},
        {"save_id": "c", "status": "saved"}]}
    assert _stored(session) == {"safe_home": "okay", "carers_care": "yes",
                                "school_attend": "every_day"}
    # The same request again (the reply was lost on the way back): nothing doubles.
    again = _send(client, path, [
        {"question": "safe_home", "value": "okay", "save_id": "a", "seq": 1 * SECOND},
        {"question": "carers_care", "value": "yes", "save_id": "b", "seq": 2 * SECOND}])
    assert again.status_code == 200
    assert session.scalar(select(func.count()).select_from(Answer)) == 3


def test_a_late_retry_of_an_older_answer_never_replaces_the_newer_one(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite)
    newer = _send(client, path, [{"question": "safe_home", "value": "happy",
                                  "save_id": "new", "seq": 20 * SECOND}])
    assert newer.get_json()["results"] == [{"save_id": "new", "status": "saved"}]
    late = _send(client, path, [{"question": "safe_home", "value": "sad",
                                 "save_id": "old", "seq": 10 * SECOND}])
    assert late.status_code == 200
    assert late.get_json()["results"] == [{"save_id": "old", "status": "superseded"}]
    assert _stored(session) == {"safe_home": "happy"}
    # The older, worrying answer was never stored, so it raised no alert either.
    assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_an_answer_taken_away_is_not_brought_back_by_a_late_retry(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite)
    _send(client, path, [{"question": "safe_home", "value": "okay", "save_id": "1",
                          "seq": 1 * SECOND}])
    cleared = _send(client, path, [{"question": "safe_home", "value": None, "save_id": "3",
                                    "seq": 3 * SECOND}])
    assert cleared.get_json()["results"][0]["status"] == "saved"
    assert _stored(session) == {}
    late = _send(client, path, [{"question": "safe_home", "value": "happy", "save_id": "2",
                                 "seq": 2 * SECOND}])
    assert late.get_json()["results"][0]["status"] == "superseded"
    assert _stored(session) == {}


def test_a_page_sent_with_its_sequence_outranks_an_autosave_still_on_its_way(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite, age=6)  # one question a page
    html, csrf, _token = page_state(client, path)
    save_id = re.search(r'name="save-safe_home" value="([^"]+)"', html).group(1)
    assert 'name="seq-safe_home" value=""' in html  # for the page's script to fill in
    page = client.post(path, data={"csrf_token": csrf, "question": "safe_home",
                                   "q-safe_home": "happy", "save-safe_home": save_id,
                                   "seq-safe_home": str(50 * SECOND), "action": "next"})
    assert page.status_code == 302
    late = _send(client, path, [{"question": "safe_home", "value": "sad", "save_id": "x",
                                 "seq": 40 * SECOND}])
    assert late.get_json()["results"][0]["status"] == "superseded"
    assert _stored(session) == {"safe_home": "happy"}


def test_saves_in_one_request_are_each_ordered_and_one_refused_does_not_stop_the_others(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite)
    sent = _send(client, path, [
        {"question": "safe_home", "value": "okay", "save_id": "a", "seq": 5 * SECOND},
        {"question": "safe_home", "value": "happy", "save_id": "b", "seq": 4 * SECOND},
        {"question": "carers_care", "value": "not-an-answer", "save_id": "c",
         "seq": 6 * SECOND},
        {"question": "school_attend", "value": "every_day", "save_id": "d", "seq": "not a number"},
        {"question": "no_such_question", "value": "x", "save_id": "e", "seq": 7 * SECOND},
        {"question": "school_attend", "value": "some_days", "save_id": "f", "seq": 8 * SECOND},
    ])
    assert sent.status_code == 200
    assert [(r["save_id"], r["status"]) for r in sent.get_json()["results"]] == [
        ("a", "saved"), ("b", "superseded"), ("c", "invalid"), ("d", "invalid"),
        ("e", "invalid"), ("f", "saved")]
    assert _stored(session) == {"safe_home": "okay", "school_attend": "some_days"}


def test_a_worrying_answer_changed_in_the_same_request_still_raises_its_alert(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    # Offline, the child said they do not feel safe at home, then changed it, and said
    # someone is hurting them: the tablet sends all three at once when it is back online.
    path = _started(client, invite)
    sent = _send(client, path, [
        {"question": "safe_home", "value": "sad", "save_id": "a", "seq": 1 * SECOND},
        {"question": "safe_home", "value": "okay", "save_id": "b", "seq": 2 * SECOND},
        {"question": "hurting_me", "value": "yes", "save_id": "c", "seq": 3 * SECOND},
    ])
    assert [r["status"] for r in sent.get_json()["results"]] == ["saved", "saved", "saved"]
    assert _stored(session) == {"safe_home": "okay", "hurting_me": "yes"}
    # Changing the answer does not withdraw the alert: the worker still needs to know.
    assert sorted(session.scalars(select(Alert.question_key))) == ["hurting_me", "safe_home"]
    # Sent again (the reply was lost): no alert twice.
    _send(client, path, [{"question": "hurting_me", "value": "yes", "save_id": "c",
                          "seq": 3 * SECOND}])
    assert session.scalar(select(func.count()).select_from(Alert)) == 2


def test_a_batch_that_is_not_a_list_of_saves_is_refused_and_nothing_is_stored(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite)
    one = {"question": "safe_home", "value": "okay", "save_id": "a", "seq": SECOND}
    for saves in ([], "saves", [one, "not a save"], [one] * 101, [{"value": "okay"}]):
        refused = _send(client, path, saves)  # type: ignore[arg-type]
        assert refused.status_code == 400, saves
        assert refused.get_json()["status"] == "invalid"
    assert _stored(session) == {}


def test_saves_sent_after_the_answers_were_sent_are_refused_together(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    path = _started(client, invite)
    _html, csrf, token = page_state(client, path)
    finish = client.get("/finish").get_data(as_text=True)
    csrf_finish = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', finish).group(1)
    assert client.post("/finish", data={"csrf_token": csrf_finish}).status_code == 200
    late = client.post("/answers", headers={"X-CSRFToken": csrf}, json={
        "token": token, "saves": [{"question": "safe_home", "value": "sad", "save_id": "z",
                                   "seq": SECOND}]})
    assert late.status_code in (401, 409)
    assert _stored(session) == {}


# --- answers that waited on an offline tablet -------------------------------------------------

HOUR_MS = 3_600_000


def test_an_answer_that_waited_on_the_tablet_keeps_when_it_was_given(  # type: ignore[no-untyped-def]
        app, client, invite, session) -> None:
    """The tablet measures how long each save waited by its own clock (right even when the
    clock is set wrong); the worker reads when the child answered, and when it arrived."""
    child, _issued = invite(age=13)
    enter(client, _issued.code)
    path = begin(client)
    sent = _send(client, path, [
        {"question": "safe_home", "value": "sad", "save_id": "a", "seq": SECOND,
         "waited": 3 * HOUR_MS},
        {"question": "carers_care", "value": "yes", "save_id": "b", "seq": 2 * SECOND,
         "waited": 5_000},  # a few seconds: not worth saying
        {"question": "school_attend", "value": "every_day", "save_id": "c", "seq": 3 * SECOND,
         "waited": -HOUR_MS},  # a figure that cannot be right is ignored, not refused
    ])
    assert [r["status"] for r in sent.get_json()["results"]] == ["saved"] * 3
    session.expire_all()
    answers = {a.question_key: a for a in session.scalars(select(Answer))}
    given = answers["safe_home"].given_at
    assert given is not None
    waited_for = answers["safe_home"].saved_at - given
    assert abs(waited_for.total_seconds() - 3 * 3600) < 5
    assert answers["carers_care"].given_at is None and answers["school_attend"].given_at is None
    [alert] = session.scalars(select(Alert).where(Alert.child_id == child.id)).all()
    assert alert.given_at == given, "the alert says when the worrying answer was given"

    worker = session.get(User, child.social_worker_id)
    staff = sign_in(app.test_client(), worker, session)
    page = staff.get(f"/casework/responses/{answers['safe_home'].response_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("Answered offline on") == 2  # among the alerts first, and in the list
    alert_page = staff.get(f"/casework/alerts/{alert.id}").get_data(as_text=True)
    assert "Answered by the child" in alert_page and "Answered offline" in alert_page


def test_what_a_tablet_says_it_waited_is_read_only_when_it_can_be_right() -> None:
    assert waited(90_000) == timedelta(seconds=90)
    for nonsense in (None, True, "3600000", 59_000, -1, 61 * 24 * HOUR_MS, 10**30, 1.5e6):
        assert waited(nonsense) is None, nonsense


def test_a_tablet_whose_clock_is_behind_never_has_the_childs_answers_dropped(  # type: ignore[no-untyped-def]
        app, invite, session) -> None:
    """The child moves from one tablet to another whose clock is an hour behind: what they
    answer on the second is stored, though its sequence is lower than the first tablet's.
    Within one tablet's session, the order still holds."""
    _child, issued = invite(age=13)
    first, second = app.test_client(), app.test_client()
    enter(first, issued.code)
    path = begin(first)
    _send(first, path, [{"question": "safe_home", "value": "happy", "save_id": "a",
                         "seq": 7200 * SECOND}])
    enter(second, issued.code)  # the code typed on the second tablet: the first is closed
    path = begin(second)
    moved = _send(second, path, [{"question": "safe_home", "value": "okay", "save_id": "b",
                                  "seq": 3600 * SECOND}])
    assert moved.get_json()["results"] == [{"save_id": "b", "status": "saved"}]
    assert _stored(session) == {"safe_home": "okay"}
    late = _send(second, path, [{"question": "safe_home", "value": "sad", "save_id": "c",
                                 "seq": 3500 * SECOND}])
    assert late.get_json()["results"] == [{"save_id": "c", "status": "superseded"}]
    assert _stored(session) == {"safe_home": "okay"}
