"""Which language a page is in: the child's choice, then the invitation, then the browser,
then English (``viewpoint.i18n.select_locale``); staff pages in English or Welsh."""

from __future__ import annotations

import re

from tests.factories import make_child
from viewpoint.i18n import available_languages
from viewpoint.operations.invitations import issue_invitation

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LANG = re.compile(r'<html lang="([^"]+)" dir="([^"]+)"')


def _lang(reply) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    found = LANG.search(reply.get_data(as_text=True))
    assert found, "no <html lang dir>"
    return found.group(1), found.group(2)


def _token(reply) -> str:  # type: ignore[no-untyped-def]
    return CSRF.search(reply.get_data(as_text=True)).group(1)


def _invite(app, session, language: str) -> str:  # type: ignore[no-untyped-def]
    child = make_child(session, age=10)
    code = issue_invitation(session, app.extensions["viewpoint.questionnaires"], child,
                            language=language, offered_languages=available_languages()).code
    session.commit()
    return code


def test_the_browser_chooses_until_anyone_else_does_then_english(client) -> None:  # type: ignore[no-untyped-def]
    assert _lang(client.get("/", headers={"Accept-Language": "pl,en;q=0.5"})) == ("pl", "ltr")
    assert _lang(client.get("/", headers={"Accept-Language": "fa"})) == ("fa", "rtl")
    assert _lang(client.get("/", headers={"Accept-Language": "de"})) == ("en", "ltr")
    assert _lang(client.get("/")) == ("en", "ltr")


def test_the_invitation_beats_the_browser(client, app, session) -> None:  # type: ignore[no-untyped-def]
    code = _invite(app, session, "ur")
    start = client.get("/", headers={"Accept-Language": "pl"})
    client.post("/", data={"code": code, "csrf_token": _token(start)})
    assert _lang(client.get("/welcome", headers={"Accept-Language": "pl"})) == ("ur", "rtl")
    assert _lang(client.get("/help", headers={"Accept-Language": "pl"})) == ("ur", "rtl")


def test_the_childs_choice_beats_the_invitation_and_survives_typing_the_code(  # type: ignore[no-untyped-def]
        client, app, session) -> None:
    code = _invite(app, session, "ur")
    listing = client.get("/language?back=/")
    assert client.post("/language", data={"csrf_token": _token(listing), "language": "ti",
                                          "back": "/"}).headers["Location"] == "/"
    start = client.get("/")
    assert _lang(start) == ("ti", "ltr")
    client.post("/", data={"code": code, "csrf_token": _token(start)})
    assert _lang(client.get("/welcome")) == ("ti", "ltr")


def test_a_language_not_offered_is_refused_kindly_and_changes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/language?back=/help")
    for refused in ("xx", "", "de"):
        reply = client.post("/language", data={"csrf_token": _token(listing),
                                                "language": refused, "back": "/help"})
        assert reply.status_code == 400
        assert "Please choose one of these languages." in reply.get_data(as_text=True)
    assert _lang(client.get("/")) == ("en", "ltr")


def test_going_back_after_choosing_stays_on_this_site(client) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/language?back=//evil.example/")
    reply = client.post("/language", data={"csrf_token": _token(listing), "language": "pl",
                                           "back": "https://evil.example/"})
    assert reply.headers["Location"] == "/"


def test_the_list_names_each_language_in_its_own_script(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/language?back=/").get_data(as_text=True)
    for own in ("Cymraeg", "اردو", "ਪੰਜਾਬੀ", "বাংলা", "polski", "română", "slovenčina",
                "العربية", "فارسی / دری", "پښتو", "کوردی (سۆرانی)", "ትግርኛ"):
        assert own in html
    assert html.count('class="button language-choice') == len(available_languages()) == 13


def test_staff_pages_are_in_english_or_welsh_only(client) -> None:  # type: ignore[no-untyped-def]
    assert _lang(client.get("/staff/signin", headers={"Accept-Language": "ur"})) == ("en", "ltr")
    assert _lang(client.get("/staff/signin", headers={"Accept-Language": "cy"})) == ("cy", "ltr")
    signin = client.get("/staff/signin")
    reply = client.post("/staff/language", data={"csrf_token": _token(signin), "language": "cy",
                                                 "next": "/staff/signin"})
    assert reply.headers["Location"] == "/staff/signin"
    page = client.get("/staff/signin")
    assert _lang(page) == ("cy", "ltr")
    assert "English" in page.get_data(as_text=True)  # the way back, named in itself
    refused = client.post("/staff/language", data={"csrf_token": _token(page), "language": "ur"})
    assert refused.status_code == 400
