"""Children of each age answer their questionnaire from start to thank-you, in a real browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.childpages import (
    DECLINED,
    Words,
    begin,
    current_key,
    enter_code,
    give,
    go_next,
    press,
    question_keys,
    send_answers,
    stored_answers,
    stored_form,
    wait_saved,
)
from tests.browser.harness import LAPTOP, Browsing, Invited, LiveServer
from viewpoint.models import Answer, HelpedBy, InvitationState, Response

pytestmark = pytest.mark.slow

#: A young child's answers, screen by screen (None: skipped with Next).
YOUNG_CHILD = {
    "safe_home": "happy",
    "settled_home": "okay",
    "hurting_me": "no",
    "safe_school": None,
    "school_going_well": DECLINED,
    "family_contact": "sad",
    "trusted_adult": "yes",
    "listened_to": "not_sure",
    "happiness": 8,
    "worker_knows_me": DECLINED,
    "tell_worker_more": None,
}

#: A teenager's answers (questions not listed are skipped). stay_here "no" and happiness 3
#: bring in follow-up questions; the other follow-ups stay hidden.
TEENAGER = {
    "safe_home": "okay",
    "settled_home": "happy",
    "carers_care": "yes",
    "stay_here": "no",
    "stay_change": Words("Somewhere nearer my school"),
    "hurting_me": "no",
    "pressured": DECLINED,
    "safe_school": "happy",
    "school_going_well": "okay",
    "school_attend": "some_days",
    "family_contact": "happy",
    "siblings_contact": "want_more",
    "good_friend": "yes",
    "trusted_adult": "yes",
    "listened_to": "not_sure",
    "understands_decisions": "yes",
    "know_why_in_care": "yes",
    "review_how": ["go_to_meeting", "talk_to_chair"],
    "happiness": 3,
    "feelings_help": "yes",
    "worries": ["school", "future"],
    "health": "okay",
    "hurt_self": "no",
    "lonely": "sometimes",
    "worker_knows_me": "yes",
    "review_say": Words("I would like more time with my sister"),
}
TEENAGER_HIDDEN = {"hurting_talk", "safe_school_help", "family_contact_change", "change_decision"}

#: An 8-11 child without JavaScript; safe_school "okay" brings in safe_school_help.
MIDDLE_CHILD = {
    "safe_home": "happy",
    "settled_home": "happy",
    "hurting_me": "no",
    "safe_school": "okay",
    "safe_school_help": "yes",
    "school_going_well": DECLINED,
    "family_contact": "okay",
    "good_friend": "yes",
    "trusted_adult": None,
    "listened_to": "yes",
    "understands_decisions": "no",
    "review_how": ["go_to_meeting", "worker_shares"],
    "happiness": 7,
    "worker_knows_me": "yes",
    "worker_sees_alone": "not_sure",
    "can_reach_worker": "yes",
    "review_say": Words("Thank you for asking me"),
    "anything_else": None,
}


def planned(plan: dict[str, Any]) -> dict[str, Any]:
    return {key: stored_form(answer) for key, answer in plan.items() if answer is not None}


@dataclass(frozen=True)
class Stored:
    """What the database holds for a child's response, read afresh."""

    submitted_at: Any
    helped_by: HelpedBy | None
    band: str
    content: dict[str, Any]
    answers: dict[str, Any]
    invitation_state: InvitationState


def the_response(live_server: LiveServer, invited: Invited) -> Stored:
    with live_server.database() as session:
        response = session.scalar(select(Response).where(Response.child_id == invited.child_id))
        assert response is not None, "no response was stored for the child"
        # Every answer belongs to this response, answered against the snapshot it was served.
        for answer in session.scalars(select(Answer).join(Response)
                                      .where(Response.child_id == invited.child_id)):
            assert answer.response_id == response.id
            served = answer.response.questionnaire_version.content
            assert answer.question_key in {q["key"] for q in served["questions"]}
        return Stored(response.submitted_at, response.helped_by, response.band,
                      response.questionnaire_version.content, stored_answers(response),
                      response.invitation.state)


def answer_pages(page: Page, plan: dict[str, Any], *, tap: bool = False,
                 javascript: bool = True) -> list[list[str]]:
    """Answer page after page as planned until the finish page; returns each page's questions.

    A follow-up comes onto the page of the answer that opens it: at once with JavaScript,
    and without it when Next shows the same page again, now with the follow-up. A question
    already answered (it can show again on the next page) is left as it is.
    """
    pages: list[list[str]] = []
    addresses: list[str] = []
    given: set[str] = set()
    while not page.url.endswith("/finish"):
        assert question_keys(page), f"a question page without questions: {page.url}"
        looked_at: set[str] = set()
        while todo := [key for key in question_keys(page) if key not in looked_at]:
            key = todo[0]
            looked_at.add(key)
            if key in given or plan.get(key) is None:
                continue
            give(page, key, plan[key], tap=tap)
            given.add(key)
            if javascript:
                wait_saved(page, key)
        if addresses and addresses[-1] == page.url:
            pages[-1] = question_keys(page)  # the same page, shown again with its follow-up
        else:
            pages.append(question_keys(page))
            addresses.append(page.url)
        before = page.url
        press(page, "Next", tap=tap)
        if javascript:
            expect(page).not_to_have_url(before)  # follow-ups were shown as they opened
        assert len(pages) < 60, "the questions never ended"
    return pages


def test_a_young_child_answers_by_touch_one_question_a_screen(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Mia", 6)
    page = browsing.page()
    page.goto(live_server.url + "/")
    # Typed the way a six-year-old (or their carer) might: small letters, spaces between groups.
    code = page.locator("#code")
    code.tap()
    page.keyboard.type(invited.code.lower().replace("-", " "))
    page.get_by_role("button", name="Start").tap()
    expect(page).to_have_url(live_server.url + "/welcome")
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Hi Mia!")
    due = format_date(invited.review_due, "long", locale="en_GB")
    expect(page.locator("#welcome-text")).to_contain_text(f"your review on {due}")
    expect(page.locator("#welcome-text")).to_contain_text("Sam, your social worker")
    begin(page, tap=True)

    shown: dict[str, str] = {}
    total = len(YOUNG_CHILD)
    for number in range(1, total + 1):
        keys = question_keys(page)
        assert len(keys) == 1, f"a young child should get one question a screen, got {keys}"
        key = keys[0]
        expect(page.locator("#progress-text")).to_have_text(f"Question {number} of {total}")
        shown[key] = page.locator(f"#text-{key}").inner_text()
        answer = YOUNG_CHILD[key]
        if answer is not None:
            give(page, key, answer, tap=True)
            wait_saved(page, key)
        go_next(page, tap=True)
    expect(page).to_have_url(live_server.url + "/finish")
    expect(page.locator("main")).to_contain_text("You skipped 2 questions")
    send_answers(page, "carer", tap=True)

    stored = the_response(live_server, invited)
    assert stored.submitted_at is not None
    assert stored.invitation_state is InvitationState.SUBMITTED
    assert stored.helped_by is HelpedBy.CARER
    assert stored.band == "4-7"
    assert stored.answers == planned(YOUNG_CHILD)
    # The snapshot stored with the response is exactly what the screens showed.
    questions = stored.content["questions"]
    assert [q["key"] for q in questions] == list(shown)
    assert {q["key"]: q["text"]["text"] for q in questions} == shown


def test_a_teenager_answers_short_pages_and_follow_ups_appear_after_their_answer(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Jordan", 14)
    page = browsing.page(LAPTOP, touch=False)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    first = question_keys(page)
    assert 1 < len(first) <= 5, f"older children get short pages of a few questions: {first}"
    assert "stay_change" not in first, "the follow-up must wait for the answer it depends on"

    pages = answer_pages(page, TEENAGER)

    # Each follow-up comes right after the answer that opened it, on the same page.
    for parent, follow_up in (("stay_here", "stay_change"), ("happiness", "feelings_help")):
        keys = next(keys for keys in pages if parent in keys)
        assert keys.index(follow_up) == keys.index(parent) + 1, keys
    assert all(len(keys) <= 7 for keys in pages), pages
    seen = {key for keys in pages for key in keys}
    assert not seen & TEENAGER_HIDDEN, "follow-ups whose answer was not given must stay hidden"
    send_answers(page, "nobody")

    stored = the_response(live_server, invited)
    assert stored.submitted_at is not None and stored.band == "12-17"
    assert stored.helped_by is HelpedBy.NOBODY
    assert stored.answers == planned(TEENAGER)


def test_a_question_answered_on_one_page_is_not_asked_again_on_the_next(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Casey", 15)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    begin(page)
    first = question_keys(page)
    for key in first:
        give(page, key, "no" if key in ("stay_here", "hurting_me") else
             page.locator(f'input[name="q-{key}"]').first.get_attribute("value"))
        wait_saved(page, key)
    go_next(page)
    again = set(first) & set(question_keys(page))
    assert not again, f"asked again on the next page: {sorted(again)}"


def test_without_javascript_a_child_answers_everything_with_plain_forms(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Ollie", 9)
    page = browsing.page(javascript=False)
    enter_code(page, live_server.url, invited.code)
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Hi Ollie!")
    begin(page)
    expect(page.locator("button.speak").first).to_be_hidden()

    pages = answer_pages(page, MIDDLE_CHILD, javascript=False)

    # One question a screen, and a follow-up on the screen of the answer that opened it.
    assert all(len(keys) == 1 for keys in pages if "safe_school" not in keys), pages
    assert ["safe_school", "safe_school_help"] in pages, pages
    keys = [key for keys in pages for key in keys]
    assert keys.index("safe_school_help") == keys.index("safe_school") + 1
    assert "hurting_talk" not in keys and "feelings_help" not in keys
    send_answers(page, "nobody")

    stored = the_response(live_server, invited)
    assert stored.submitted_at is not None and stored.band == "8-11"
    assert stored.answers == planned(MIDDLE_CHILD)


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_rather_not_say_on_a_free_text_question_is_kept_after_next(
        live_server: LiveServer, browsing: Browsing, javascript: bool) -> None:
    invited = live_server.invite("Ruby", 9)
    page = browsing.page(javascript=javascript)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    page.goto(live_server.url + "/questions/review_say")
    assert current_key(page) == "review_say"
    give(page, "review_say", DECLINED)
    if javascript:
        wait_saved(page, "review_say")
    go_next(page)
    expect(page).to_have_url(re.compile(r"/questions/anything_else$"))
    assert the_response(live_server, invited).answers.get("review_say") == DECLINED
