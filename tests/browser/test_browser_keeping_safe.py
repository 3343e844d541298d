"""Keeping children safe: asking to talk, worrying answers, and leaving nothing behind on a
shared tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.childpages import (
    Words,
    begin,
    choose,
    current_key,
    enter_code,
    give,
    go_next,
    next_until_finish,
    press,
    send_answers,
    wait_saved,
)
from tests.browser.harness import Browsing, Invited, LiveServer
from viewpoint.models import Alert, AlertSource, Response

pytestmark = pytest.mark.slow


def alerts_for(live_server: LiveServer, invited: Invited) -> list[tuple[AlertSource, str | None,
                                                                        bool, bool]]:
    """(source, question, linked to the child's response, response already sent) per alert."""
    with live_server.database() as session:
        response = session.scalar(select(Response).where(Response.child_id == invited.child_id))
        return [(alert.source, alert.question_key,
                 response is not None and alert.response_id == response.id,
                 response is not None and response.submitted_at is not None)
                for alert in session.scalars(select(Alert).where(
                    Alert.child_id == invited.child_id).order_by(Alert.id))]


def test_i_want_to_talk_to_someone_tells_the_worker_and_leads_back_to_the_same_question(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Amir", 10)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    begin(page, tap=True)
    choose(page, "safe_home", "happy", tap=True)
    wait_saved(page, "safe_home")
    go_next(page, tap=True)
    assert current_key(page) == "settled_home"
    assert alerts_for(live_server, invited) == []

    press(page, "I want to talk to someone", tap=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("We'll let them know")
    expect(page.locator("main")).to_contain_text("We have told Sam that you want to talk")
    expect(page.locator("main")).to_contain_text(
        "Childline is for anyone under 19. Call free on 0800 1111")
    expect(page.get_by_role("link", name="Call Childline: 0800 1111")).to_have_attribute(
        "href", "tel:08001111")
    assert alerts_for(live_server, invited) == [
        (AlertSource.TALK_TO_SOMEONE, None, True, False)]

    page.get_by_role("link", name="Go back to my questions").tap()
    expect(page).to_have_url(re.compile(r"/questions/settled_home$"))
    expect(page.locator("#q-settled_home-happy")).not_to_be_checked()
    expect(page.locator("#q-settled_home-happy")).to_be_attached()
    # Pressing it again does not pile up alerts: the worker already knows.
    press(page, "I want to talk to someone", tap=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("We'll let them know")
    assert len(alerts_for(live_server, invited)) == 1


def test_a_worrying_answer_raises_an_alert_at_once_and_the_child_is_told_who_will_know(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Leah", 7)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    begin(page, tap=True)
    choose(page, "safe_home", "sad", tap=True)
    wait_saved(page, "safe_home")
    # Raised the moment the answer is saved, long before the child finishes.
    assert alerts_for(live_server, invited) == [(AlertSource.ANSWER, "safe_home", True, False)]

    choose(page, "safe_home", "okay", tap=True)  # changing the answer does not take it back
    wait_saved(page, "safe_home")
    assert len(alerts_for(live_server, invited)) == 1
    next_until_finish(page)
    send_answers(page, "nobody", tap=True)
    told = page.locator("#who-will-be-told")
    expect(told).to_be_visible()
    expect(told).to_contain_text("we are letting Sam and their manager, Priya, know today")
    expect(told).to_contain_text("0800 1111")


def assert_nothing_of_theirs_shows(page: Page, live_server: LiveServer, *secrets: str) -> None:
    # The start page, perhaps saying why (a form sent again from history changes nothing).
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(\?why=[a-z]+)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Have your say")
    expect(page.locator("#code")).to_have_value("")
    content = page.content()
    for secret in secrets:
        assert secret not in content, f"{secret!r} still shows after the child left"
    assert page.locator("input:checked").count() == 0


def test_after_sending_the_back_button_shows_nothing_of_the_childs_answers(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Evie", 9)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    begin(page, tap=True)
    choose(page, "safe_home", "happy", tap=True)
    wait_saved(page, "safe_home")
    page.goto(live_server.url + "/questions/review_say")
    give(page, "review_say", Words("My secret hiding place is the shed"), tap=True)
    wait_saved(page, "review_say")
    go_next(page, tap=True)
    next_until_finish(page)
    send_answers(page, "carer", tap=True)

    for _ in range(4):  # thanks -> finish -> anything_else -> review_say -> ...
        page.go_back()
        page.wait_for_load_state("load")
        assert_nothing_of_theirs_shows(page, live_server, "secret hiding place", "Evie")


def test_stop_for_now_closes_the_questions_on_this_tablet_and_keeps_the_answers(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Finn", 11)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    begin(page, tap=True)
    choose(page, "safe_home", "happy", tap=True)
    wait_saved(page, "safe_home")
    go_next(page, tap=True)
    press(page, "Stop for now", tap=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers are saved")

    page.goto(live_server.url + "/welcome")
    assert_nothing_of_theirs_shows(page, live_server, "Finn")
    page.goto(live_server.url + "/questions/safe_home")
    assert_nothing_of_theirs_shows(page, live_server, "Finn")
    page.go_back()
    page.go_back()
    page.wait_for_load_state("load")
    assert_nothing_of_theirs_shows(page, live_server, "Finn")

    # The answers were kept: the code brings the child back to them.
    enter_code(page, live_server.url, invited.code)
    expect(page.locator("form[action$='/start'] button[type=submit]")).to_have_text("Carry on")
    begin(page)
    press(page, "Back")
    expect(page.locator("#q-safe_home-happy")).to_be_checked()
