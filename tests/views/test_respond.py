"""The child's side, through the server: getting in, answering, stopping, finishing.

These run without a browser (the no-JavaScript path and the autosave endpoint), on both
databases; tests/browser covers the same journeys in Chromium.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from viewpoint.models import (
    Alert,
    AlertSource,
    Answer,
    InvitationState,
    QuestionnaireVersion,
    Response,
    utcnow,
)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token_from(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def enter(client, code: str, address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    page = client.get("/", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    return client.post("/", data={"code": code, "csrf_token": token_from(page)},
                       environ_base={"REMOTE_ADDR": address})


def begin(client) -> str:  # type: ignore[no-untyped-def]
    """Press Start on the welcome page; returns the first question page's path."""
    welcome = client.get("/welcome")
    assert welcome.status_code == 200
    token = token_from(welcome.get_data(as_text=True))
    response = client.post("/start", data={"csrf_token": token})
    assert response.status_code == 302
    return response.headers["Location"]


def page_state(client, path: str) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """(html, csrf token, response token) of a question page."""
    html = client.get(path).get_data(as_text=True)
    return html, token_from(html), re.search(r'data-token="([^"]+)"', html).group(1)


def autosave(client, path: str, **payload: object):  # type: ignore[no-untyped-def]
    _html, csrf, token = page_state(client, path)
    return client.post("/answers", json={"token": token, **payload},
                       headers={"X-CSRFToken": csrf})


# --- getting in ---

def test_a_code_typed_in_lower_case_with_spaces_lets_the_child_in(client, invite) -> None:  # type: ignore[no-untyped-def]
    child, issued = invite(first_name="Amara")
    typed = issued.code.lower().replace("-", " ")
    response = enter(client, typed)
    assert response.status_code == 302 and response.headers["Location"] == "/welcome"
    welcome = client.get("/welcome").get_data(as_text=True)
    assert "Hi <bdi>Amara</bdi>!" in welcome
    assert "<bdi>Sam</bdi>, your social worker" in welcome
    review_year = str(issued.invitation.review.due_on.year)
    assert review_year in welcome and "skip any question" in welcome
    assert "we will tell your social worker" in welcome


@pytest.mark.parametrize(("change", "status", "words"), [
    ("wrong", 400, "That code didn't work"),
    ("expired", 410, "This code has run out"),
    ("submitted", 410, "already sent your answers"),
    ("cancelled", 410, "doesn't work any more"),
    ("nonsense", 400, "That code didn't work"),
])
def test_a_code_that_does_not_work_gets_a_kind_clear_message(client, invite, session, change: str,  # type: ignore[no-untyped-def]
                                                             status: int, words: str) -> None:
    _child, issued = invite()
    code = issued.code
    if change == "wrong":
        code = "AAA-AAA-AAA"
    elif change == "nonsense":
        code = "<script>" * 10
    elif change == "expired":
        issued.invitation.expires_at = utcnow() - timedelta(minutes=1)
    elif change == "submitted":
        issued.invitation.state = InvitationState.SUBMITTED
    elif change == "cancelled":
        issued.invitation.state = InvitationState.CANCELLED
    session.commit()
    response = enter(client, code)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert words in page.replace("&#39;", "'")
    assert "<script><script>" not in page
    assert client.get("/welcome").status_code == 302  # not let in


def test_the_code_form_refuses_a_post_without_its_csrf_token(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite()
    refused = client.post("/", data={"code": issued.code})
    assert refused.status_code == 302 and refused.headers["Location"] == "/?why=stale"
    assert "open too long" in client.get("/?why=stale").get_data(as_text=True)
    assert client.get("/welcome").status_code == 302  # not let in


def test_too_many_wrong_codes_make_one_client_wait_but_nobody_else(client, invite, app,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    monkeypatch.setitem(app.config, "CODE_FAILURES_PER_CLIENT", 3)
    _child, issued = invite()
    for _ in range(3):
        assert enter(client, "AAA-AAA-AAA", address="203.0.113.9").status_code == 400
    blocked = enter(client, issued.code, address="203.0.113.9")
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.get_data(as_text=True)
    # Another tablet (another address) with the right code is not locked out.
    other = app.test_client()
    assert enter(other, issued.code, address="198.51.100.7").status_code == 302


def test_a_shared_address_is_slowed_after_wrong_codes_never_shut_out(client, invite, app,  # type: ignore[no-untyped-def]
                                                                      monkeypatch) -> None:
    """A children's home: one child types wrong codes; another child at the same address
    with the right code gets in after a short wait, while a guesser there gets one try per
    wait."""
    monkeypatch.setitem(app.config, "CODE_FAILURES_PER_CLIENT", 3)
    monkeypatch.setitem(app.config, "CODE_RETRY_SECONDS", 2)
    home = "192.0.2.50"
    _child, issued = invite()
    for _ in range(3):
        assert enter(client, "AAA-AAA-AAA", address=home).status_code == 400
    waiting = enter(app.test_client(), issued.code, address=home)
    assert waiting.status_code == 429
    assert re.search(r"Please wait \d seconds?, then try again", waiting.get_data(as_text=True))
    # Hammering for a few seconds: one guess is checked per wait, never two closer together.
    checked: list[tuple[float, float]] = []
    started = time.monotonic()
    while time.monotonic() - started < 4.5:
        sent = time.monotonic()
        if enter(client, "BBB-BBB-BBB", address=home).status_code == 400:
            checked.append((sent, time.monotonic()))
    assert 1 <= len(checked) <= 3
    assert all(later_done - sent >= 2 for (sent, _), (_, later_done)
               in zip(checked, checked[1:], strict=False))
    time.sleep(2.1)
    assert enter(app.test_client(), issued.code, address=home).status_code == 302


def test_one_code_cannot_be_used_from_many_devices_in_an_hour(app, invite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "CODE_ENTRIES_PER_HOUR", 3)
    _child, issued = invite()
    _other_child, other = invite()
    for device in range(3):
        assert enter(app.test_client(), issued.code, f"10.0.0.{device}").status_code == 302
    refused = enter(app.test_client(), issued.code, "10.0.0.99")
    assert refused.status_code == 429 and "used a lot" in refused.get_data(as_text=True)
    assert enter(app.test_client(), other.code, "10.0.0.99").status_code == 302


def test_the_code_and_the_child_never_appear_in_a_url(client, invite) -> None:  # type: ignore[no-untyped-def]
    child, issued = invite(age=13)
    urls = []
    response = enter(client, issued.code)
    urls.append(response.headers["Location"])
    first = begin(client)
    urls.append(first)
    html = client.get(first).get_data(as_text=True)
    urls += re.findall(r'(?:href|action)="([^"]+)"', html)
    secrets_ = [issued.code, issued.code.replace("-", ""), child.reference, str(child.id),
                child.first_name, str(issued.invitation.id)]
    for url in urls:
        for secret in secrets_:
            assert secret not in url.split("/static/")[0], (url, secret)


def test_entering_a_code_clears_whoever_used_the_tablet_before(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "42"  # a worker who was signed in on this tablet
    enter(client, issued.code)
    with client.session_transaction() as cookie:
        assert "_user_id" not in cookie and "respondent" in cookie


# --- bands ---

@pytest.mark.parametrize(("age", "band"), [(5, "4-7"), (9, "8-11"), (13, "12-17")])
def test_the_band_comes_from_the_date_of_birth(client, invite, session, age: int,  # type: ignore[no-untyped-def]
                                               band: str) -> None:
    _child, issued = invite(age=age)
    enter(client, issued.code)
    begin(client)
    assert session.scalar(select(Response.band)) == band


def test_a_band_chosen_by_the_worker_wins(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=13, band="8-11")
    enter(client, issued.code)
    begin(client)
    assert session.scalar(select(Response.band)) == "8-11"


def test_young_children_get_one_question_a_screen_older_ones_short_pages(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, young = invite(age=6)
    enter(client, young.code)
    html = client.get(begin(client)).get_data(as_text=True)
    assert html.count('<fieldset class="question') == 1 and "band-4-7" in html
    older_client = client.application.test_client()
    _child, older = invite(age=14)
    enter(older_client, older.code)
    html = older_client.get(begin(older_client)).get_data(as_text=True)
    assert 2 <= html.count('<fieldset class="question') <= 5


# --- saving answers ---

def test_an_answer_saved_twice_is_stored_once(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    first = autosave(client, path, question="safe_home", value="happy", save_id="s-1")
    again = autosave(client, path, question="safe_home", value="happy", save_id="s-1")
    assert first.get_json()["changed"] is True and again.get_json()["changed"] is False
    retried = autosave(client, path, question="safe_home", value="okay", save_id="s-2")
    assert retried.status_code == 200
    answers = session.scalars(select(Answer)).all()
    assert [(a.question_key, a.value) for a in answers] == [("safe_home", {"v": "okay"})]


def test_answers_are_stored_against_the_exact_wording_the_child_saw(client, invite,  # type: ignore[no-untyped-def]
                                                                    session) -> None:
    _child, issued = invite(age=9)
    enter(client, issued.code)
    path = begin(client)
    html = client.get(path).get_data(as_text=True)
    autosave(client, path, question="safe_home", value="happy", save_id="x")
    response = session.scalar(select(Response))
    version = session.get(QuestionnaireVersion, response.questionnaire_version_id)
    first = version.content["questions"][0]
    assert first["key"] == "safe_home" and first["text"]["text"] in html
    assert version.band == "8-11" and version.language == "en"
    assert response.plan_id == issued.invitation.review.plan_id
    assert response.review_id == issued.invitation.review_id


@pytest.mark.parametrize(("payload", "status", "word"), [
    ({"question": "safe_home", "value": "purple"}, 422, "invalid"),
    ({"question": "no_such_question", "value": "yes"}, 422, "invalid"),
    ({"question": "safe_home", "value": "happy", "save_id": "x" * 65}, 422, "invalid"),
    ({"value": "happy"}, 400, "invalid"),
])
def test_an_answer_that_cannot_be_stored_is_refused_clearly(client, invite, session,  # type: ignore[no-untyped-def]
                                                            payload: dict, status: int,
                                                            word: str) -> None:
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    response = autosave(client, path, **payload)
    assert response.status_code == status and response.get_json()["status"] == word
    assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_an_autosave_for_another_childs_page_is_refused(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    _html, csrf, _token = page_state(client, path)
    response = client.post("/answers", json={"token": "someone-else", "question": "safe_home",
                                             "value": "sad"}, headers={"X-CSRFToken": csrf})
    assert response.status_code == 409
    assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_an_autosave_without_a_session_says_so(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/")
    with client.session_transaction() as cookie:
        token = cookie.get("csrf_token")
    response = client.post("/answers", json={"question": "safe_home", "value": "happy"},
                           headers={"X-CSRFToken": token or ""})
    assert response.status_code in (400, 401)


def test_a_worrying_answer_raises_an_alert_the_moment_it_is_saved(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    autosave(client, path, question="safe_home", value="sad", save_id="a")
    autosave(client, path, question="safe_home", value="sad", save_id="b")  # no second alert
    alerts = session.scalars(select(Alert)).all()
    assert len(alerts) == 1
    assert alerts[0].child_id == child.id and alerts[0].question_key == "safe_home"
    assert alerts[0].source is AlertSource.ANSWER and "safe" in alerts[0].summary
    assert session.scalar(select(Response.submitted_at)) is None  # before finishing


def test_the_page_form_saves_without_javascript_and_moves_on(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    html, csrf, _token = page_state(client, path)
    save_id = re.search(r'name="save-safe_home" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf, "question": "safe_home", "q-safe_home": "_declined",
            "save-safe_home": save_id, "action": "next"}
    first = client.post(path, data=form)
    double = client.post(path, data=form)  # a double tap on Next
    assert first.status_code == double.status_code == 302
    assert first.headers["Location"] != path
    answer = session.scalar(select(Answer))
    assert answer.declined is True and answer.value is None
    assert session.scalar(select(func.count()).select_from(Answer)) == 1
    back = client.post(first.headers["Location"], data={
        "csrf_token": csrf, "action": "back"})
    assert back.headers["Location"] == path


def test_a_follow_up_question_appears_only_after_the_answer_that_calls_for_it(client, invite,  # type: ignore[no-untyped-def]
                                                                              app) -> None:
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    follow_up = next(q for q in definition.questions_for("8-11") if q.show_if)
    trigger = definition.question(follow_up.show_if.question)
    _child, issued = invite(age=9)
    enter(client, issued.code)
    path = begin(client)
    # The follow-up lives on the page of the question that opens it, waiting, hidden.
    parent = f"/questions/{trigger.key}"
    assert client.get(f"/questions/{follow_up.key}").headers["Location"] == parent
    waiting = client.get(parent).get_data(as_text=True)
    assert re.search(r'<div class="follow-up" data-show-if="[^"]*" hidden>\s*'
                     f'<input type="hidden" name="waiting" value="{follow_up.key}" data-waiting>'
                     r'\s*<fieldset[^>]*'
                     f'data-question="{follow_up.key}"', waiting)
    value = sorted(follow_up.show_if.condition.any_of)[0]
    autosave(client, path, question=trigger.key, value=value, save_id="t")
    shown = client.get(parent).get_data(as_text=True)
    assert re.search(r'<div class="follow-up" data-show-if="[^"]*">\s*<fieldset[^>]*'
                     f'data-question="{follow_up.key}"', shown)


def test_without_javascript_next_shows_the_follow_up_an_answer_opened_on_the_same_page(  # type: ignore[no-untyped-def]
        client, invite, app) -> None:
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    follow_up = definition.question("hurting_talk")
    _child, issued = invite(age=9)
    enter(client, issued.code)
    begin(client)
    parent = "/questions/hurting_me"
    _html, csrf, _token = page_state(client, parent)
    # As the browser sends the page: the hidden follow-up's name too, marked as waiting.
    sent = client.post(parent, data={"csrf_token": csrf, "question": ["hurting_me", "hurting_talk"],
                                     "waiting": "hurting_talk", "q-hurting_me": "not_sure",
                                     "action": "next"})
    # The same page again, with the follow-up open beneath the answer: not the next page.
    assert sent.headers["Location"] == parent
    assert follow_up.key in client.get(parent).get_data(as_text=True)
    _html, csrf, _token = page_state(client, parent)
    again = client.post(parent, data={
        "csrf_token": csrf, "question": ["hurting_me", "hurting_talk"],
        "q-hurting_me": "not_sure", "q-hurting_talk": "no", "action": "next"})
    assert again.headers["Location"] != parent


# --- coming back, stopping, expiring ---

def test_another_device_with_the_same_code_carries_on_where_the_child_was(app, client,  # type: ignore[no-untyped-def]
                                                                          invite) -> None:
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    html, csrf, _token = page_state(client, path)
    client.post(path, data={"csrf_token": csrf, "question": "safe_home", "q-safe_home": "happy",
                            "action": "next"})
    second_page = client.get("/welcome")  # noqa: F841  (the child wandered off)
    _html, first_csrf, first_token = page_state(client, path)
    tablet = app.test_client()
    enter(tablet, issued.code, "192.0.2.4")
    resumed = begin(tablet)
    assert resumed != path
    first_page = tablet.get(path).get_data(as_text=True)
    assert 'value="happy" checked' in first_page
    # One device at a time: the first one's session ended when the code was typed on the
    # second, and it says why, to the page's script and to the child.
    late = client.post("/answers", json={"token": first_token, "question": "safe_home",
                                         "value": "sad", "save_id": "late-1"},
                       headers={"X-CSRFToken": first_csrf})
    assert late.status_code == 401
    assert late.get_json() == {"status": "signed_out", "reason": "elsewhere"}
    sent_back = client.get(path)
    assert sent_back.headers["Location"] == "/?why=elsewhere"
    assert "typed on another tablet or phone" in client.get("/?why=elsewhere").get_data(
        as_text=True)
    # The answer it could not send was never stored: the second device's answer stands.
    assert 'value="happy" checked' in tablet.get(path).get_data(as_text=True)
    # Typing the code on the first device again hands the child back to it.
    enter(client, issued.code)
    assert tablet.get(path).headers["Location"] == "/?why=elsewhere"


@pytest.mark.parametrize(("waiting", "kept"), [("3", 3), ("0", 0), ("", 0), ("-1", 0),
                                               ("99999", 0), ("x", 0)])
def test_stop_for_now_never_clears_what_still_waits_on_the_tablet(  # type: ignore[no-untyped-def]
        client, invite, waiting: str, kept: int) -> None:
    """Clearing the site's storage would destroy answers that could not be sent yet (this
    child's, or another child's sealed on the same tablet): only the cache is cleared, the
    page's script clears the tab's own storage, and the page says plainly what is still on
    the tablet."""
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    _html, csrf, _token = page_state(client, path)
    stopped = client.post("/stop", data={"csrf_token": csrf, "waiting": waiting})
    text = stopped.get_data(as_text=True)
    assert stopped.status_code == 200
    assert stopped.headers["Clear-Site-Data"] == '"cache"'
    assert "data-clear-tab" in text
    if kept:
        assert "3 answers couldn&#39;t be sent yet" in text
        assert "Some answers are still on this tablet" in text
    else:
        assert "Your answers are saved" in text and "couldn&#39;t be sent" not in text
    assert client.get("/welcome").status_code == 302  # the session ended either way


def test_stop_for_now_keeps_answers_and_ends_every_copy_of_the_session(app, client, invite,  # type: ignore[no-untyped-def]
                                                                       session) -> None:
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    autosave(client, path, question="safe_home", value="happy", save_id="k")
    with client.session_transaction() as cookie:
        copied = dict(cookie)
    html, csrf, _token = page_state(client, path)
    stopped = client.post("/stop", data={"csrf_token": csrf})
    assert stopped.status_code == 200 and "answers are saved" in stopped.get_data(as_text=True)
    assert stopped.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/welcome").status_code == 302
    thief = app.test_client()
    with thief.session_transaction() as cookie:
        cookie.update(copied)
    assert thief.get(path).headers["Location"].startswith("/?why=closed")
    assert session.scalar(select(func.count()).select_from(Answer)) == 1
    assert enter(app.test_client(), issued.code).status_code == 302


def test_an_idle_session_expires_but_the_answers_are_kept(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    autosave(client, path, question="safe_home", value="okay", save_id="i")
    with client.session_transaction() as cookie:
        cookie["respondent"] = {**cookie["respondent"], "seen": int(time.time()) - 3600}
    response = client.get(path)
    assert response.headers["Location"] == "/?why=expired"
    start = client.get("/?why=expired").get_data(as_text=True)
    assert "Your answers are saved" in start
    assert session.scalar(select(func.count()).select_from(Answer)) == 1


#: The child's pages that need the child signed in; the autosave, which answers the page's
#: script in JSON; and the pages open to whoever is holding the tablet.
NEEDS_THE_CHILD = {"respond.welcome", "respond.begin", "respond.questions",
                   "respond.read_aloud", "respond.finish",
                   # what the tablet keeps to answer offline
                   "respond.pack", "respond.copies", "respond.page_copy", "respond.finish_copy",
                   "respond.offline_done"}
ANSWERS_THE_SCRIPT = {"respond.save_answer"}
OPEN_TO_ANYONE = {"respond.start", "respond.help_now", "respond.privacy", "respond.talk",
                  "respond.stop",
                  "respond.language", "respond.audio", "respond.say",
                  # the service worker, and what a tablet did offline (sealed: no session)
                  "respond.service_worker", "respond.sync"}


def test_every_page_needing_the_child_sends_an_expired_session_back_to_the_start(  # type: ignore[no-untyped-def]
        app, client, invite, session) -> None:
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("respond.")}
    assert set(rules) == NEEDS_THE_CHILD | ANSWERS_THE_SCRIPT | OPEN_TO_ANYONE  # a new page?
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    _html, csrf, token = page_state(client, path)
    with client.session_transaction() as cookie:
        child_part, language = dict(cookie["respondent"]), cookie["invitation_language"]
    assert language == "en"

    def away_for_an_hour() -> None:
        with client.session_transaction() as cookie:
            cookie["respondent"] = {**child_part, "seen": int(time.time()) - 3600}
            cookie["invitation_language"] = language

    def forgotten() -> bool:
        with client.session_transaction() as cookie:
            return "respondent" not in cookie and "invitation_language" not in cookie

    checked = []
    first_key = path.rsplit("/", 1)[-1]
    for endpoint in sorted(NEEDS_THE_CHILD):
        url = (rules[endpoint].rule.replace("<key>", first_key)
               .replace("<any(finish, stop, talk, waiting):step>", "stop"))
        for method in sorted(rules[endpoint].methods & {"GET", "POST"}):
            away_for_an_hour()
            response = client.open(url, method=method, data={"csrf_token": csrf})
            assert (response.status_code, response.headers.get("Location")) == (
                302, "/?why=expired"), (method, url)
            assert forgotten(), (method, url)
            checked.append((method, endpoint))
    assert len(checked) == 12
    away_for_an_hour()
    saved = client.post("/answers", json={"token": token, "question": "safe_home",
                                          "value": "happy", "save_id": "late"},
                        headers={"X-CSRFToken": csrf})
    assert saved.status_code == 401
    assert saved.get_json() == {"status": "signed_out", "reason": "expired"}
    assert forgotten()
    assert session.scalar(select(func.count()).select_from(Answer)) == 0
    assert session.scalar(select(Response.submitted_at)) is None


def test_an_autosave_before_the_child_has_started_says_signed_out(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=6)
    enter(client, issued.code)
    csrf = token_from(client.get("/welcome").get_data(as_text=True))
    saved = client.post("/answers", json={"question": "safe_home", "value": "happy"},
                        headers={"X-CSRFToken": csrf})
    assert saved.status_code == 401
    assert saved.get_json() == {"status": "signed_out", "reason": None}


# --- always there ---

def test_talk_to_someone_tells_the_worker_once_and_shows_childline(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    child, issued = invite(age=9)
    enter(client, issued.code)
    path = begin(client)
    _html, csrf, _token = page_state(client, path)
    for _ in range(2):
        page = client.post("/talk", data={"csrf_token": csrf})
        assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "0800 1111" in text and "Sam" in text and path in text
    alerts = session.scalars(select(Alert).where(Alert.child_id == child.id)).all()
    assert [a.source for a in alerts] == [AlertSource.TALK_TO_SOMEONE]


def test_every_child_page_is_never_cached(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=9)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    enter(client, issued.code)
    assert client.get("/welcome").headers["Cache-Control"] == "no-store"
    assert client.get(begin(client)).headers["Cache-Control"] == "no-store"
    assert client.get("/finish").headers["Cache-Control"] == "no-store"


# --- finishing ---

def test_finishing_attaches_the_response_and_the_code_stops_working(app, client, invite,  # type: ignore[no-untyped-def]
                                                                    session) -> None:
    _child, issued = invite(age=6)
    enter(client, issued.code)
    path = begin(client)
    autosave(client, path, question="safe_home", value="sad", save_id="f")
    finish_page = client.get("/finish").get_data(as_text=True)
    with client.session_transaction() as cookie:
        before = dict(cookie)  # what a second tap, sent before the first answer came back, carries
    sent = client.post("/finish", data={"csrf_token": token_from(finish_page),
                                        "helped_by": "carer"})
    text = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "Your answers have been sent" in text
    assert "Sam" in text and "Robin" in text  # who will be told about the worrying answer
    response = session.scalar(select(Response))
    assert response.submitted_at is not None and response.helped_by.value == "carer"
    assert response.invitation.state is InvitationState.SUBMITTED
    # Back button / reload: nothing of the child's is shown any more.
    assert client.get(path).status_code == 302
    assert client.get("/finish").status_code == 302
    with client.session_transaction() as cookie:
        cookie.update(before)
    again = client.post("/finish", data={"csrf_token": token_from(finish_page),
                                         "helped_by": "nobody"})
    assert again.status_code == 302  # a double submit changes nothing, and says so kindly
    assert "answers have been sent" in client.get(again.headers["Location"]).get_data(
        as_text=True)
    assert session.scalar(select(Response.helped_by)).value == "carer"
    assert "already sent" in enter(app.test_client(), issued.code).get_data(as_text=True)


def test_an_unknown_helper_is_refused(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=9)
    enter(client, issued.code)
    begin(client)
    page = client.get("/finish").get_data(as_text=True)
    assert client.post("/finish", data={"csrf_token": token_from(page),
                                        "helped_by": "the cat"}).status_code == 400


def test_the_invite_command_prints_a_code_that_works(app, client, invite, session) -> None:  # type: ignore[no-untyped-def]
    child, _issued = invite(age=15)
    result = app.test_cli_runner().invoke(args=["invite", child.reference, "--band", "12-17"])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1].strip()
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}", code)
    assert enter(client, code).status_code == 302
    unknown = app.test_cli_runner().invoke(args=["invite", "NOBODY"])
    assert unknown.exit_code != 0 and "No child with reference NOBODY" in unknown.output


def test_what_happens_to_the_answers_is_told_in_the_childs_band_or_after_choosing_an_age(  # type: ignore[no-untyped-def]
        app, client, invite, session) -> None:
    anyone = client.get("/privacy").get_data(as_text=True)
    assert "How old are you?" in anyone and anyone.count('href="/privacy?band=') == 4
    assert "grown-ups" in client.get("/privacy?band=4-7").get_data(as_text=True)
    older = client.get("/privacy?band=16-25").get_data(as_text=True)
    assert "personal adviser" in older and "ico.org.uk" in older
    assert client.get("/privacy?band=99-100").status_code == 404
    # A signed-in child of six is told in the 4-7 words without choosing.
    _child, issued = invite(age=6)
    enter(client, issued.code)
    theirs = client.get("/privacy").get_data(as_text=True)
    assert "Your social worker reads your answers." in theirs
    assert "How old are you?" not in theirs
