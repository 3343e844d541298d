"""What a worker prints carries the child's words and the child's language: the PDF of a
response for the review pack, and the card with the code that the worker hands the child."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata

import pytest
from sqlalchemy import select

from tests.factories import make_child, make_team, make_user
from tests.staff import sign_in
from tests.views.test_reading import answered
from viewpoint.models import Alert, Role
from viewpoint.operations.alerts import acknowledge_alert, close_alert

URDU = "میں اپنے بھائی کے ساتھ رہنا چاہتا ہوں، اور اسکول میں خوش ہوں۔"
TIGRINYA_AND_POLISH = "ምስ ሓወይ ክነብር እደሊ።\nChcę mieszkać z bratem, bo on jest dla mnie ważny."


@pytest.fixture()
def team(session):  # type: ignore[no-untyped-def]
    """A team with a social worker and a manager, and a child allocated to the worker whose
    own language is Urdu."""
    north = make_team(session, "North")
    worker = make_user(session, Role.SOCIAL_WORKER, north, name="Ash Worker")
    manager = make_user(session, Role.TEAM_MANAGER, north, name="Cy Manager")
    child = make_child(session, age=14, team=north, worker=worker, first_name="Amira",
                       language="ur")
    return {"worker": worker, "manager": manager, "child": child}


def _pdftotext(data: bytes) -> str:
    if shutil.which("pdftotext") is None:  # CI installs poppler-utils
        message = "pdftotext is not installed (apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def _words(text: str) -> set[str]:
    """The words of ``text``, without direction marks or punctuation (pdftotext may set a
    right-to-left phrase's words in another order, with its punctuation moved)."""
    return set("".join(" " if unicodedata.category(char).startswith("P") else char
                       for char in unicodedata.normalize("NFC", text)
                       if unicodedata.category(char) != "Cf").split())


def test_the_downloaded_pdf_holds_the_childs_urdu_words_and_where_each_alert_stands(  # type: ignore[no-untyped-def]
        app, session, team) -> None:
    response = answered(session, app, team["child"], {
        "hurting_me": "yes", "safe_home": "sad", "stay_here": "no", "stay_change": URDU,
        "review_say": TIGRINYA_AND_POLISH}, language="ur")
    alerts = {alert.question_key: alert for alert in session.scalars(
        select(Alert).where(Alert.response_id == response.id))}
    acknowledge_alert(alerts["hurting_me"], team["manager"])
    close_alert(alerts["safe_home"], team["worker"], "Visited the same afternoon.")
    session.commit()
    client = sign_in(app.test_client(), team["worker"], session)

    download = client.get(f"/casework/responses/{response.id}.pdf")

    assert download.status_code == 200
    text = _pdftotext(download.data)
    assert _words(URDU) | _words(TIGRINYA_AND_POLISH) <= _words(text)
    assert "[?]" not in text and "on screen" not in text
    flat = " ".join(text.split())
    assert re.search(r"Said someone is hurting them or making them feel scared \(raised [^)]+\)\. "
                     r"Acknowledged on \d+ \w+ \d{4}, \d\d:\d\d by Cy Manager; not closed yet\.",
                     flat), flat
    assert re.search(r"Closed on \d+ \w+ \d{4}, \d\d:\d\d by Ash Worker\.", flat)
    assert "Open:" not in flat


def _send(client, review_id: int, language: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/casework/reviews/{review_id}/invite").get_data(as_text=True)
    form = dict(re.findall(r'name="(request_key|csrf_token)"[^>]*value="([^"]+)"', page))
    form.update({"questionnaire": "before-care-review", "band": "age", "language": language})
    response = client.post(f"/casework/reviews/{review_id}/invite", data=form)
    assert response.status_code == 201
    return response.get_data(as_text=True)


def _card(page: str) -> str:
    found = re.search(r'<div class="child-card[^"]*"[^>]*>.*?</div>\s*</section>', page, re.S)
    assert found, "no card on the page"
    return found.group(0)


def test_the_card_for_an_urdu_speaking_child_is_set_right_to_left_in_nastaliq(  # type: ignore[no-untyped-def]
        app, session, team) -> None:
    client = sign_in(app.test_client(), team["worker"], session)
    page = _send(client, team["child"].plans[0].reviews[0].id, "ur")
    card = _card(page)
    assert card.startswith('<div class="child-card font-noto-nastaliq-urdu" lang="ur" dir="rtl">')
    assert 'href="/static/fonts/noto-nastaliq-urdu.css"' in page
    # Every sentence is in Urdu, right to left (a sentence not translated yet would say it
    # is English, so that it is set left to right); the code is always left to right.
    sentences = re.findall(r'<p[^>]*lang="(\w+)" dir="(\w+)"[^>]*>', card)
    assert len(sentences) == 4 and set(sentences) == {("ur", "rtl")}
    assert "<bdi>Amira</bdi>" in card and "Hello" not in card
    assert re.search(r'<p class="card-code" id="code" dir="ltr"', card)
    # The worker's own part of the page stays in their language.
    assert '<html lang="en" dir="ltr">' in page and "Print the card" in page


def test_the_card_is_printed_in_the_childs_language_where_it_is_translated(  # type: ignore[no-untyped-def]
        app, session, team) -> None:
    client = sign_in(app.test_client(), team["worker"], session)
    page = _send(client, team["child"].plans[0].reviews[0].id, "cy")
    card = _card(page)
    assert card.startswith('<div class="child-card" lang="cy" dir="ltr">')
    greeting = re.search(r'<p class="card-greeting" lang="(\w+)" dir="ltr">(.*?)</p>', card)
    assert greeting and greeting.groups() == ("cy", "Helo <bdi>Amira</bdi>!")
    assert "Hello" not in card
    assert "Print the card" in page  # the worker's page is still in English
