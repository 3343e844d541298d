"""Every page a child can reach passes axe-core's WCAG 2.2 AA rules, in every band."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.childpages import (
    answer_whole_page,
    assert_accessible,
    begin,
    choose,
    enter_code,
    follow_up_answers,
    go_next,
    press,
    question_keys,
    send_answers,
    wait_saved,
)
from tests.browser.harness import Browsing, LiveServer
from tests.support import QUESTIONNAIRE_CASES as CASES
from viewpoint.models import PlanKind

pytestmark = pytest.mark.slow



@pytest.mark.parametrize(("questionnaire_id", "plan_kind", "band", "age"), CASES,
                         ids=[f"{case[0]}-{case[2]}" for case in CASES])
def test_every_page_of_the_questionnaire_passes_axe(
        live_server: LiveServer, browsing: Browsing, questionnaire_id: str,
        plan_kind: PlanKind, band: str, age: int) -> None:
    invited = live_server.invite("Robin", age, plan_kind=plan_kind, band=band)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    assert_accessible(page, "the welcome page")
    begin(page)
    wanted = follow_up_answers(live_server, questionnaire_id)
    seen: list[str] = []
    while not page.url.endswith("/finish"):
        expect(page.locator("body")).to_have_class(re.compile(rf"\bband-{band}\b"))
        answer_whole_page(page, wanted)
        seen.extend(question_keys(page))  # with the follow-ups the answers opened
        assert_accessible(page, f"question page {question_keys(page)}")
        go_next(page)
    definition = live_server.app.extensions["viewpoint.questionnaires"].get(questionnaire_id)
    assert set(seen) == {q.key for q in definition.questions_for(band)}, \
        "the walk should have shown every question of the band, follow-ups included"
    assert_accessible(page, "the finish page")
    send_answers(page, "nobody")


def test_start_help_talk_stopped_and_thanks_pages_pass_axe(
        live_server: LiveServer, browsing: Browsing) -> None:
    page = browsing.page()
    page.goto(live_server.url + "/")
    assert_accessible(page, "the start page")
    page.fill("#code", "AAA-AAA-AAA")
    press(page, "Start")
    expect(page.locator("#code-message")).to_be_visible()
    assert_accessible(page, "the start page with a wrong-code message")
    page.get_by_role("link", name="Need to talk to someone now?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk to someone")
    assert_accessible(page, "the help page")

    invited = live_server.invite("Alex", 10)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    press(page, "I want to talk to someone")
    expect(page.get_by_role("heading", level=1)).to_have_text("We'll let them know")
    assert_accessible(page, "the talk page")
    page.get_by_role("link", name="Go back to my questions").click()
    press(page, "Stop for now")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers are saved")
    assert_accessible(page, "the stopped page")

    # Thanks, with nothing worrying said (and no request to talk).
    calm = live_server.invite("Charlie", 10)
    enter_code(page, live_server.url, calm.code)
    begin(page)
    page.goto(live_server.url + "/finish")
    send_answers(page)
    expect(page.locator("#who-will-be-told")).to_have_count(0)
    assert_accessible(page, "the thank-you page")

    # Thanks, after an answer that raised an alert.
    worried = live_server.invite("Jo", 10)
    enter_code(page, live_server.url, worried.code)
    begin(page)
    choose(page, "safe_home", "sad")
    wait_saved(page, "safe_home")
    page.goto(live_server.url + "/finish")
    send_answers(page)
    expect(page.locator("#who-will-be-told")).to_be_visible()
    assert_accessible(page, "the thank-you page with who will be told")


def test_a_screen_reader_hears_each_question_by_its_words_with_its_hint(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Dev", 5)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Hi Dev!")
    begin(page)
    page.goto(live_server.url + "/questions/hurting_me")
    group = page.get_by_role("group", name="Is anyone hurting you or scaring you?", exact=True)
    expect(group).to_have_accessible_description("You can tell us. You will not be in trouble.")
    expect(group.get_by_role("radio", name="Yes", exact=True)).to_be_attached()
