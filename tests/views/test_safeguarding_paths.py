"""Safeguarding paths through the server: a child who asks to talk in an answer is heard like
one who presses the button; each age band is pointed to help that takes them; an answer
that says "nothing" cannot be saved beside another; a page's words are read aloud only as
this app wrote them."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from tests.factories import make_child, make_team, make_user
from tests.staff import sign_in
from tests.views.test_respond import autosave, begin, enter, token_from
from viewpoint.models import Alert, AlertSource, Answer, PlanKind, Response, Role
from viewpoint.operations.invitations import issue_invitation
from viewpoint.respond.rendering import say_signature


@pytest.fixture()
def invite(app, session):  # type: ignore[no-untyped-def]
    """invite(age=..., kind=..., **child) -> (child, Issued), answering in English."""

    def _invite(age: int, kind: PlanKind = PlanKind.CARE_PLAN, **child: object):  # type: ignore[no-untyped-def]
        made = make_child(session, age=age, kind=kind, **child)
        issued = issue_invitation(session, app.extensions["viewpoint.questionnaires"], made,
                                  offered_languages=("en",))
        session.commit()
        return made, issued

    return _invite


def _finish(client, helped_by: str = "nobody") -> str:  # type: ignore[no-untyped-def]
    page = client.get("/finish").get_data(as_text=True)
    sent = client.post("/finish", data={"csrf_token": token_from(page), "helped_by": helped_by})
    assert sent.status_code == 200
    return sent.get_data(as_text=True)


@pytest.mark.parametrize(("parent", "opening", "question"), [
    ("hurting_me", "not_sure", "hurting_talk"),
    ("happiness", 2, "feelings_help"),
])
def test_yes_to_a_question_asking_to_talk_raises_an_alert_and_the_child_is_told(  # type: ignore[no-untyped-def]
        app, client, session, invite, parent: str, opening: object, question: str) -> None:
    team = make_team(session, "North")
    worker = make_user(session, Role.SOCIAL_WORKER, team, name="Ash Worker")
    _child, issued = invite(14, team=team, worker=worker, first_name="Zofia")
    enter(client, issued.code)
    path = begin(client)
    assert autosave(client, path, question=parent, value=opening, save_id="p").status_code == 200
    before = {a.question_key for a in session.scalars(select(Alert))}
    assert question not in before
    assert autosave(client, path, question=question, value="yes", save_id="q").status_code == 200

    raised = session.scalars(select(Alert).where(Alert.question_key == question)).all()
    assert len(raised) == 1 and raised[0].source is AlertSource.ANSWER
    thanks = _finish(client)
    assert "You asked to talk to someone" in thanks
    assert "We have told Ash" in thanks

    # The worker's response page puts the answer among those to read first.
    response = session.scalar(select(Response))
    staff = sign_in(app.test_client(), worker, session)
    html = staff.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    first = html[html.index('id="read-first-title"'):html.index('id="answers-title"')]
    assert f'id="first-{question}"' in first


def test_no_to_a_question_asking_to_talk_raises_nothing_and_the_thanks_page_is_plain(  # type: ignore[no-untyped-def]
        client, invite, session) -> None:
    _child, issued = invite(age=14)
    enter(client, issued.code)
    path = begin(client)
    autosave(client, path, question="hurting_me", value="not_sure", save_id="p")
    autosave(client, path, question="hurting_talk", value="no", save_id="q")
    assert session.scalars(select(Alert).where(Alert.question_key == "hurting_talk")).all() == []
    assert "You asked to talk to someone" not in _finish(client)


def test_a_five_year_old_can_ask_for_their_worker_by_tapping_yes(client, invite,  # type: ignore[no-untyped-def]
                                                                  session) -> None:
    _child, issued = invite(age=5)
    enter(client, issued.code)
    path = begin(client)
    autosave(client, path, question="tell_worker_more", value="yes", save_id="t")
    assert session.scalar(select(Alert.question_key)) == "tell_worker_more"
    assert "You asked to talk to someone" in _finish(client)


@pytest.mark.parametrize(("age", "kind", "shown", "not_shown"), [
    (9, PlanKind.CARE_PLAN, ["Childline", "0800 1111"], ["Samaritans", "Shout"]),
    (20, PlanKind.PATHWAY_PLAN, ["Samaritans", "116 123", "Shout", "85258"], []),
])
def test_each_band_is_pointed_to_help_that_takes_them(client, invite, age: int,  # type: ignore[no-untyped-def]
                                                       kind: PlanKind, shown: list[str],
                                                       not_shown: list[str]) -> None:
    _child, issued = invite(age=age, kind=kind)
    enter(client, issued.code)
    welcome = client.get("/welcome").get_data(as_text=True)
    worker = "personal adviser" if kind is PlanKind.PATHWAY_PLAN else "social worker"
    assert f"your {worker}" in welcome
    path = begin(client)
    csrf = token_from(client.get(path).get_data(as_text=True))
    talk = client.post("/talk", data={"csrf_token": csrf}).get_data(as_text=True)
    for words in shown:
        assert words in talk, words
    for words in not_shown:
        assert words not in talk, words
    if age >= 19:
        # Childline is named only with its age limit, never as the one place to call.
        assert "Childline" not in talk or "under 19" in talk


def test_the_help_page_before_any_code_names_help_for_every_age(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/help").get_data(as_text=True)
    for words in ("Childline", "0800 1111", "Samaritans", "116 123", "Shout", "85258"):
        assert words in html, words


def test_nothing_right_now_cannot_be_saved_beside_a_worry(client, invite, session) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=14)
    enter(client, issued.code)
    path = begin(client)
    refused = autosave(client, path, question="worries", value=["family", "nothing"],
                       save_id="w1")
    assert refused.status_code == 422 and refused.get_json()["status"] == "invalid"
    assert "cannot be chosen with another" in refused.get_json()["message"]
    assert session.scalar(select(Answer).where(Answer.question_key == "worries")) is None
    assert autosave(client, path, question="worries", value=["nothing"],
                    save_id="w2").status_code == 200
    assert autosave(client, path, question="worries", value=["family", "money"],
                    save_id="w3").status_code == 200


# --- words read aloud on request ---

def _say(client, language: str, text: str, keep: int = 1, sig: str | None = None):  # type: ignore[no-untyped-def]
    with client.application.test_request_context():
        signed = say_signature(language, bool(keep), text)
    return client.post("/say", json={"language": language, "text": text, "keep": keep,
                                     "sig": sig if sig is not None else signed})


def test_a_page_read_aloud_on_request_is_speech_in_the_pages_language(app, client) -> None:  # type: ignore[no-untyped-def]
    spoken = _say(client, "pl", "Dziękujemy", keep=0)
    assert spoken.status_code == 200
    assert spoken.headers["Content-Type"] == "audio/mpeg"
    assert spoken.headers["Cache-Control"] == "no-store"
    assert len(spoken.data) > 1000


def test_words_with_a_name_in_them_are_spoken_but_never_written_down(app, client,  # type: ignore[no-untyped-def]
                                                                     tmp_path) -> None:
    from viewpoint.audio import audio_dir
    with app.app_context():
        folder = audio_dir(app)
    before = sorted(p.name for p in folder.rglob("*.mp3")) if folder.exists() else []
    assert _say(client, "en", "Hello Amira!", keep=0).status_code == 200
    after = sorted(p.name for p in folder.rglob("*.mp3")) if folder.exists() else []
    assert after == before


@pytest.mark.parametrize(("change", "status"), [
    ({"text": "Words nobody signed"}, 403),
    ({"language": "ur"}, 403),    # signed for English, asked for in Urdu
    ({"keep": 0}, 403),           # signed to be kept: a name could be written down
    ({"language": "xx"}, 400),
    ({"text": ""}, 400),
    ({"text": "x" * 3001}, 400),
    ({"keep": "yes"}, 400),
])
def test_only_words_this_app_signed_are_ever_spoken(client, change: dict, status: int) -> None:  # type: ignore[no-untyped-def]
    with client.application.test_request_context():
        sig = say_signature("en", True, "Thank you")
    payload = {"language": "en", "text": "Thank you", "keep": 1, "sig": sig, **change}
    answer = client.post("/say", json=payload)
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("application/json")


def test_a_language_without_a_voice_says_so_and_the_page_uses_the_device(client) -> None:  # type: ignore[no-untyped-def]
    answer = _say(client, "ps", "مننه", keep=1)
    assert answer.status_code == 404 and answer.get_json()["status"] == "no_voice"


def test_every_read_aloud_button_on_a_child_page_is_signed_for_its_words(client, invite) -> None:  # type: ignore[no-untyped-def]
    _child, issued = invite(age=9, first_name="Amira")
    enter(client, issued.code)
    html = client.get("/welcome").get_data(as_text=True)
    buttons = re.findall(r'data-say="([^"]+)" data-say-keep="([01])" data-say-lang="([^"]+)" '
                         r'data-say-text="([^"]+)"', html)
    assert len(buttons) >= 3, "the welcome page's words are not read aloud on request"
    personal = [text for _sig, keep, _lang, text in buttons if "Amira" in text]
    assert personal and all(keep == "0" for _s, keep, _l, text in buttons if "Amira" in text)
    for sig, keep, language, text in buttons[:3]:
        said = client.post("/say", json={"language": language, "text": unescape(text),
                                         "keep": int(keep), "sig": sig})
        assert said.status_code == 200, (text, said.get_data(as_text=True))


@pytest.mark.parametrize("language", ["ur", "ar"])
def test_every_helpline_number_reads_left_to_right_in_a_right_to_left_page(  # type: ignore[no-untyped-def]
        client, language: str) -> None:
    """In Urdu or Arabic a bare "116 123" is set as "123 116": each number, in the words
    and on the buttons, is kept left to right."""
    with client.session_transaction() as cookie:
        cookie["language"] = language
    html = client.get("/help").get_data(as_text=True)
    assert f'lang="{language}" dir="rtl"' in html
    # Only what is drawn: not the words read aloud, nor the links a phone follows.
    shown = re.sub(r'(data-say-text|href)="[^"]*"', "", html)
    for number in ("0800 1111", "116 123", "85258"):
        assert shown.count(number) >= 2, number  # the sentence and the button
        assert shown.count(number) == (shown.count(f'<bdi dir="ltr">{number}</bdi>')
                                       + shown.count(f'<span dir="ltr">{number}</span>')), number
