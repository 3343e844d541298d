"""Keeping a child's answers through what goes wrong on the way: words the database cannot
store as typed, a code typed wrongly, and a session that runs out between two answers.

On both databases, through the server (the autosave endpoint and the page without
JavaScript); tests/browser/test_browser_timeout_and_bad_text.py covers the same in Chromium.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest
from sqlalchemy import func, select

from tests.factories import make_child
from tests.views.test_respond import autosave, begin, enter, page_state
from viewpoint.i18n import available_languages
from viewpoint.models import Answer, Response
from viewpoint.operations.invitations import issue_invitation

#: Two free-text questions children of 8 and over are asked.
WORDS = "review_say"
AFTER_WORDS = "anything_else"


@pytest.fixture()
def invite(app, session):  # type: ignore[no-untyped-def]
    """invite(age=..., language=...) -> Issued"""

    def _invite(age: int = 9, language: str = "en"):  # type: ignore[no-untyped-def]
        child = make_child(session, age=age, language=language)
        issued = issue_invitation(session, app.extensions["viewpoint.questionnaires"], child,
                                  language=language, offered_languages=available_languages())
        session.commit()
        return issued

    return _invite


def answers_by_question(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {a.question_key: a.value["v"] for a in session.scalars(select(Answer))}


def page_of(client, key: str) -> str:  # type: ignore[no-untyped-def]
    """The address of the page that holds question ``key``."""
    shown = client.get(f"/questions/{key}")
    return shown.headers["Location"] if shown.status_code == 302 else f"/questions/{key}"


def away_for_an_hour(client) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as cookie:
        cookie["respondent"] = {**cookie["respondent"], "seen": int(time.time()) - 3600}


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """A form body sent as multipart/form-data, with the bytes of each field as given."""
    boundary = secrets.token_hex(8)
    body = b"".join(
        b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\""
        + name.encode() + b"\"\r\n\r\n" + value + b"\r\n" for name, value in fields.items())
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


# --- words that cannot be stored as typed ---

@pytest.mark.parametrize(("typed", "stored"), [
    # Tabs and new lines are the child's own: kept.
    ("I want\tto see\r\nmy brother\u0000 more", "I want\tto see\r\nmy brother more"),
    ("my mum \ud800 and me", "my mum \N{REPLACEMENT CHARACTER} and me"),
    ("\u0000\u0001\u001f", None),  # nothing left to keep: as if the box were empty
])
def test_free_text_the_database_cannot_store_is_saved_cleaned_by_the_autosave(  # type: ignore[no-untyped-def]
        client, invite, session, typed: str, stored: str | None) -> None:
    enter(client, invite().code)
    path = begin(client)
    saved = autosave(client, path, question=WORDS, value=typed, save_id="words-1")
    assert saved.status_code == 200 and saved.get_json()["status"] == "saved"
    # The tablet's next answer is not held up behind it.
    following = autosave(client, path, question=AFTER_WORDS, value="thank you",
                         save_id="after-1")
    assert following.status_code == 200
    expected = {AFTER_WORDS: "thank you"} | ({WORDS: stored} if stored is not None else {})
    assert answers_by_question(session) == expected


def test_a_nul_in_free_text_sent_without_javascript_is_saved_cleaned_and_the_child_moves_on(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    enter(client, invite().code)
    begin(client)
    path = page_of(client, WORDS)
    html, csrf, _token = page_state(client, path)
    save_id = re.search(rf'name="save-{WORDS}" value="([^"]+)"', html).group(1)
    sent = client.post(path, data={"csrf_token": csrf, "question": WORDS,
                                   f"q-{WORDS}": "more time\u0000 with my nan",
                                   f"save-{WORDS}": save_id, "action": "next"})
    assert sent.status_code == 302 and sent.headers["Location"] != path  # moved on
    # The page's next answer is saved too.
    path = page_of(client, AFTER_WORDS)
    _html, csrf, _token = page_state(client, path)
    following = client.post(path, data={"csrf_token": csrf, "question": AFTER_WORDS,
                                        f"q-{AFTER_WORDS}": "no", "action": "next"})
    assert following.status_code == 302 and following.headers["Location"] != path
    assert answers_by_question(session) == {WORDS: "more time with my nan", AFTER_WORDS: "no"}


def test_a_lone_surrogate_and_a_nul_sent_as_raw_form_bytes_are_saved_cleaned(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    enter(client, invite().code)
    begin(client)
    path = page_of(client, WORDS)
    _html, csrf, _token = page_state(client, path)
    # U+D800 as a broken encoder writes it (ED A0 80), which is not UTF-8, and a NUL byte.
    body, content_type = multipart({
        "csrf_token": csrf.encode(), "question": WORDS.encode(),
        f"q-{WORDS}": b"sad \xed\xa0\x80 sometimes\x00", "action": b"next"})
    sent = client.post(path, data=body, content_type=content_type)
    assert sent.status_code == 302 and sent.headers["Location"] != path
    stored = answers_by_question(session)[WORDS]
    assert stored.startswith("sad ") and stored.endswith(" sometimes") and "\x00" not in stored
    assert set(stored[4:-10]) == {"\N{REPLACEMENT CHARACTER}"}


def test_a_save_id_the_database_cannot_store_is_refused_not_a_server_error(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    enter(client, invite().code)
    path = begin(client)
    refused = autosave(client, path, question=WORDS, value="hello", save_id="abc\u0000def")
    assert refused.status_code == 422 and refused.get_json()["status"] == "invalid"
    assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_page_saved_again_by_its_script_leaves_the_child_where_they_are(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    enter(client, invite().code)
    path = begin(client)
    html, csrf, _token = page_state(client, path)
    save_id = re.search(r'name="save-safe_home" value="([^"]+)"', html).group(1)
    sent = client.post(path, data={"csrf_token": csrf, "question": "safe_home",
                                   "q-safe_home": "happy", "save-safe_home": save_id,
                                   "action": "next"})
    second_page = sent.headers["Location"].rsplit("/", 1)[-1]
    assert second_page != "safe_home"
    assert session.scalar(select(Response.resume_at)) == second_page
    # The script sends what was waiting when Next was pressed, under the page's own save id.
    again = autosave(client, sent.headers["Location"], question="safe_home", value="happy",
                     save_id=save_id)
    assert again.status_code == 200 and again.get_json()["changed"] is False
    session.expire_all()
    assert session.scalar(select(Response.resume_at)) == second_page
    assert answers_by_question(session) == {"safe_home": "happy"}


# --- a code typed wrongly ---

def test_a_wrong_code_stays_in_the_box_marked_and_focused(client, invite) -> None:  # type: ignore[no-untyped-def]
    invite()
    refused = enter(client, "KPT-4HX-9RB")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    box = re.search(r'<input id="code"[^>]*>', page).group(0)
    assert 'value="KPT-4HX-9RB"' in box
    assert 'aria-invalid="true"' in box and "autofocus" in box
    assert "code-message" in box  # the box is described by the message
    assert "Check each letter" in page
    # A fresh start page has an empty box, not marked.
    fresh = re.search(r'<input id="code"[^>]*>', client.get("/").get_data(as_text=True)).group(0)
    assert 'value=""' in fresh and "aria-invalid" not in fresh and "autofocus" not in fresh


def test_what_was_typed_is_never_echoed_as_markup(client, invite) -> None:  # type: ignore[no-untyped-def]
    invite()
    page = enter(client, '"><img src=x onerror=alert(1)>').get_data(as_text=True)
    box = re.search(r'<input id="code"[^>]*>', page).group(0)
    assert "<img src=x" not in page and "onerror=alert(1)" in box
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in box


# --- a session that runs out between two answers ---

def test_a_page_sent_after_the_autosave_found_the_time_had_run_out_says_why(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    issued = invite()
    enter(client, issued.code)
    path = begin(client)
    _html, csrf, token = page_state(client, path)
    away_for_an_hour(client)
    # The page's script is the first to find out ...
    late = client.post("/answers", json={"token": token, "question": "safe_home",
                                         "value": "okay", "save_id": "late-1"},
                       headers={"X-CSRFToken": csrf})
    assert late.status_code == 401 and late.get_json()["reason"] == "expired"
    # ... then the child presses Next, and is told why they are on the start page.
    sent = client.post(path, data={"csrf_token": csrf, "question": "safe_home",
                                   "q-safe_home": "okay", "action": "next"})
    assert (sent.status_code, sent.headers["Location"]) == (302, "/?why=expired")
    start = client.get(sent.headers["Location"])
    assert start.status_code == 200
    assert "closed your questions to keep them private" in start.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Answer)) == 0
    # Any page they open says so too, until they type their code again.
    assert client.get(path).headers["Location"] == "/?why=expired"
    assert client.get("/welcome").headers["Location"] == "/?why=expired"
    # Back in, the answer that waited on the tablet is saved under the same token.
    enter(client, issued.code)
    begin(client)
    _html, csrf, token_again = page_state(client, path)
    assert token_again == token
    saved = client.post("/answers", json={"token": token, "question": "safe_home",
                                          "value": "okay", "save_id": "late-1"},
                        headers={"X-CSRFToken": csrf})
    assert saved.status_code == 200
    assert answers_by_question(session) == {"safe_home": "okay"}
    with client.session_transaction() as cookie:
        assert "signed_out" not in cookie


def test_a_child_whose_time_ran_out_is_told_in_the_language_they_were_reading(  # type: ignore[no-untyped-def]
        app, invite) -> None:
    if "ar" not in available_languages():
        pytest.skip("Arabic is not offered")
    tablet = app.test_client()
    first = invite(language="ar")
    enter(tablet, first.code)
    path = begin(tablet)
    _html, csrf, token = page_state(tablet, path)
    away_for_an_hour(tablet)
    tablet.post("/answers", json={"token": token, "question": "safe_home", "value": "okay"},
                headers={"X-CSRFToken": csrf})
    sent_back = tablet.get(path)
    assert sent_back.headers["Location"] == "/?why=expired"
    start = tablet.get("/?why=expired").get_data(as_text=True)
    assert re.search(r'<html lang="ar" dir="rtl"', start)
    # The next child to type a code gets their own invitation's language, not the last one's.
    second = invite(language="en")
    assert enter(tablet, second.code).status_code == 302
    assert '<html lang="en"' in tablet.get("/welcome").get_data(as_text=True)


def test_a_page_sent_just_after_the_answers_were_sent_elsewhere_says_so(  # type: ignore[no-untyped-def]
        client, invite, monkeypatch) -> None:
    from viewpoint.operations import answers

    enter(client, invite().code)
    path = begin(client)
    _html, csrf, _token = page_state(client, path)

    def sent_meanwhile(db_session, _catalogue, response, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        # Another tablet sent the answers between this page's checks and its save.
        answers.submit_response(db_session, response, None)
        raise answers.ResponseClosed("already sent")

    monkeypatch.setattr(answers, "record_answers", sent_meanwhile)
    sent = client.post(path, data={"csrf_token": csrf, "question": "safe_home",
                                   "q-safe_home": "happy", "action": "next"})
    assert (sent.status_code, sent.headers["Location"]) == (302, "/?why=sent")
    assert "Your answers have been sent" in client.get("/?why=sent").get_data(as_text=True)
