"""Dates written the way each language writes them (British English for English), and counts
of minutes and codes that every language can put in its own plural forms."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Message
from babel.messages.checkers import python_format
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.factories import make_child
from tests.staff import sign_in
from viewpoint import catalogs, throttle
from viewpoint.i18n import available_languages
from viewpoint.models import Child, Invitation
from viewpoint.operations.invitations import issue_invitation

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _token(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _review_day() -> date:
    """A review on 7 December, always in the future."""
    return date(date.today().year + 1, 12, 7)


def _child_with_review_on(session, day: date, **kwargs: object) -> Child:  # type: ignore[no-untyped-def]
    child = make_child(session, **kwargs)
    child.plans[0].reviews[0].due_on = day
    session.flush()
    return child


def _welcome(app, client, session, language: str) -> str:  # type: ignore[no-untyped-def]
    """The welcome page of a child invited in ``language``, after typing their code."""
    child = _child_with_review_on(session, _review_day())
    code = issue_invitation(session, app.extensions["viewpoint.questionnaires"], child,
                            language=language, offered_languages=available_languages()).code
    session.commit()
    start = client.get("/").get_data(as_text=True)
    assert client.post("/", data={"code": code, "csrf_token": _token(start)}).status_code == 302
    return client.get("/welcome").get_data(as_text=True)


# --- dates ---

def test_an_english_speaking_child_reads_the_review_date_the_british_way(app, client,  # type: ignore[no-untyped-def]
                                                                          session) -> None:
    day = _review_day()
    welcome = _welcome(app, client, session, "en")
    assert f"7 December {day.year}" in welcome
    assert "December 7" not in welcome


def test_the_thank_you_page_gives_the_review_date_the_british_way(app, client,  # type: ignore[no-untyped-def]
                                                                   session) -> None:
    day = _review_day()
    _welcome(app, client, session, "en")
    started = client.post("/start", data={"csrf_token": _token(
        client.get("/welcome").get_data(as_text=True))})
    assert started.status_code == 302
    finish = client.get("/finish").get_data(as_text=True)
    thanks = client.post("/finish", data={"csrf_token": _token(finish)})
    page = thanks.get_data(as_text=True)
    assert thanks.status_code == 200 and "Your answers have been sent" in page
    assert f"review on <bdi>7 December {day.year}</bdi>" in page


def test_a_welsh_speaking_child_reads_the_month_in_welsh(app, client, session) -> None:  # type: ignore[no-untyped-def]
    welcome = _welcome(app, client, session, "cy")
    assert f"7 Rhagfyr {_review_day().year}" in welcome
    assert "December" not in welcome


def test_an_urdu_speaking_child_does_not_get_an_english_month(app, client, session) -> None:  # type: ignore[no-untyped-def]
    welcome = _welcome(app, client, session, "ur")
    assert "دسمبر" in welcome  # December, in Urdu
    assert "December" not in welcome


def test_english_pages_stay_under_the_language_code_en(app, client, session) -> None:  # type: ignore[no-untyped-def]
    """Only dates are formatted as British English: the page is still lang="en"."""
    welcome = _welcome(app, client, session, "en")
    assert '<html lang="en" dir="ltr"' in welcome


def test_the_invite_command_prints_british_dates(app, session) -> None:  # type: ignore[no-untyped-def]
    day = _review_day()
    child = _child_with_review_on(session, day, age=15)
    session.commit()
    result = app.test_cli_runner().invoke(args=["invite", child.reference])
    assert result.exit_code == 0, result.output
    assert f"before the review due 7 December {day.year}." in result.output
    invitation = session.scalar(select(Invitation).where(Invitation.child_id == child.id))
    until = invitation.expires_at.astimezone(ZoneInfo("Europe/London"))
    zone = "BST" if until.dst() else "GMT"
    assert (f"Code (works until {until.day} {MONTHS[until.month - 1]} {until.year}, "
            f"{until:%H:%M} {zone}):") in result.output


# --- counts ---

@pytest.mark.parametrize(("seconds", "words"), [
    (1, "Please wait 1 second, then try again."),
    (27, "Please wait 27 seconds, then try again."),
])
def test_a_child_told_to_wait_reads_second_or_seconds(app, client, monkeypatch, seconds: int,  # type: ignore[no-untyped-def]
                                                      words: str) -> None:
    monkeypatch.setitem(app.config, "CODE_FAILURES_PER_CLIENT", 1)
    monkeypatch.setattr(throttle, "wait_left", lambda session, key, pace, now=None: seconds)
    address = {"REMOTE_ADDR": f"192.0.2.{seconds % 250}"}
    start = client.get("/", environ_base=address).get_data(as_text=True)
    wrong = {"code": "AAA-AAA-AAA", "csrf_token": _token(start)}
    assert client.post("/", data=wrong, environ_base=address).status_code == 400
    refused = client.post("/", data=wrong, environ_base=address)
    assert refused.status_code == 429
    assert words in refused.get_data(as_text=True)


@pytest.mark.parametrize(("seconds", "words"), [
    (45, "Try again in 1 minute, use a browser"),
    (300, "Try again in 5 minutes, use a browser"),
])
def test_a_locked_out_worker_reads_minute_or_minutes(app, client, session, monkeypatch,  # type: ignore[no-untyped-def]
                                                     seconds: int, words: str) -> None:
    worker = make_child(session).social_worker
    monkeypatch.setitem(app.config, "SIGNIN_FAILURES_PER_ACCOUNT", 1)
    monkeypatch.setattr(throttle, "seconds_left", lambda window, now=None: seconds)
    page = client.get("/staff/signin").get_data(as_text=True)
    wrong = {"email": worker.email, "password": "not the password", "csrf_token": _token(page)}
    assert client.post("/staff/signin", data=wrong).status_code == 401
    refused = client.post("/staff/signin", data=wrong)
    assert refused.status_code == 429
    assert words in refused.get_data(as_text=True)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pot: Path = tmp_path_factory.mktemp("pot") / "messages.pot"
    catalogs.extract(pot)
    with pot.open("rb") as handle:
        return read_po(handle)


def test_every_count_of_minutes_can_be_put_in_each_languages_plural(extracted) -> None:  # type: ignore[no-untyped-def]
    waits = [message for message in extracted
             if message.id and "minute" in str(message.id) and "%(" in str(message.id)]
    assert waits, "no message tells anyone how many minutes to wait"
    for message in waits:
        assert message.pluralizable, message.id
        assert all("%(num)d" in form for form in message.id), message.id


def test_the_codes_already_out_message_takes_num_in_every_plural_form(extracted) -> None:  # type: ignore[no-untyped-def]
    message = next(m for m in extracted if m.pluralizable
                   and "for this review are already out" in m.id[1])
    assert all("%(num)d" in form for form in message.id)
    # Welsh (five forms) says the number in its "other" form, which Babel checks against
    # the singular: a translation with %(num)d in every form must pass.
    welsh = Message(message.id, ["%(num)d cod"] * 5, flags=("python-format",))
    python_format(None, welsh)


def test_a_worker_sees_how_many_codes_are_already_out(app, client, session) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session)
    review = child.plans[0].reviews[0]
    questionnaires = app.extensions["viewpoint.questionnaires"]
    issue_invitation(session, questionnaires, child)
    sign_in(client, child.social_worker, session)
    page = client.get(f"/casework/reviews/{review.id}/invite").get_data(as_text=True)
    assert "1 code for this review is already out (sent" in page
    issue_invitation(session, questionnaires, child)
    page = client.get(f"/casework/reviews/{review.id}/invite").get_data(as_text=True)
    assert "2 codes for this review are already out." in page
