"""No answer is lost when the child's time runs out, when their words hold characters the
database cannot store, or when the server refuses or keeps failing on one answer; and a
code typed wrongly stays in the box to be checked.

Screenshots of the start page (the reason a child is back there, and a wrong code) are
written to test-artifacts/keeping/ at a phone's and a tablet's size, in English and Arabic.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.childpages import (
    Words,
    assert_accessible,
    begin,
    choose,
    current_key,
    enter_code,
    give,
    go_next,
    next_until_finish,
    press,
    save_state,
    send_answers,
    wait_saved,
)
from tests.browser.conftest import own_live_server
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_no_answer_lost import answers_in_database

pytestmark = pytest.mark.slow

#: A server of this module's own: its wrong codes must not lock out other tests.
live_server = own_live_server()

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "keeping"
SIGNED_OUT = ("Your time ran out, so we closed your questions to keep them private. Type your "
              "code again to carry on.")
SENT_BACK = "so we closed your questions to keep them private"
NOT_SAVED = "That answer could not be saved. Please choose again."
WRONG = "That code didn't work. Check each letter and number and try again."
PENDING = "viewpoint-pending"


def saves_in(request: Any) -> list[dict[str, Any]]:
    """The answers an autosave request carries (the page sends those waiting together)."""
    body = request.post_data_json or {}
    return list(body.get("saves", [body]))


@contextmanager
def time_runs_out(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """While inside, every child signed in is treated as away too long."""
    idle = live_server.app.config["RESPONDENT_IDLE_MINUTES"]
    monkeypatch.setitem(live_server.app.config, "RESPONDENT_IDLE_MINUTES", 0)
    time.sleep(1.1)  # "seen" is kept in whole seconds
    try:
        yield
    finally:
        monkeypatch.setitem(live_server.app.config, "RESPONDENT_IDLE_MINUTES", idle)


def waiting_on_tablet(page: Page) -> dict[str, Any]:
    """What this tab keeps of answers not yet saved: storage key -> its answers."""
    return page.evaluate(f"""() => Object.fromEntries(Object.keys(sessionStorage)
        .filter((k) => k.startsWith("{PENDING}"))
        .map((k) => [k, JSON.parse(sessionStorage.getItem(k))]))""")


def the_page_holding(page: Page, base: str, key: str) -> list[str]:
    """Open the page that holds question ``key``; returns the page's questions."""
    page.goto(f"{base}/questions/{key}")
    page.wait_for_load_state("load")
    return page.locator("fieldset[data-question]").evaluate_all(
        "(sets) => sets.map((s) => s.dataset.question + ':' + s.dataset.type)")


def a_choice_on_the_page(page: Page, shown: list[str]) -> tuple[str, str]:
    """A question on the page with answers to choose, and its first answer."""
    for entry in shown:
        key, kind = entry.split(":")
        if kind in ("yes_no", "choose_one", "faces") and page.locator(
                f'fieldset[data-question="{key}"]').is_visible():
            option = page.locator(f'input[name="q-{key}"]').first.get_attribute("value")
            assert option
            return key, option
    raise AssertionError(f"no question to choose on the page: {shown}")


# --- the child's time runs out between two answers ---

def test_an_answer_changed_after_the_time_ran_out_is_saved_once_the_code_is_typed_again(
        live_server: LiveServer, browsing: Browsing, monkeypatch: pytest.MonkeyPatch) -> None:
    invited = live_server.invite("Ayo", 13)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    first_page = current_key(page)
    choose(page, "safe_home", "happy")
    wait_saved(page, "safe_home")

    with time_runs_out(live_server, monkeypatch):
        choose(page, "safe_home", "okay")  # changed their mind, after too long away
        expect(page.locator("[data-connection]")).to_have_text(SIGNED_OUT)
        press(page, "Next")
        expect(page).to_have_url(re.compile(r"/\?why=expired$"))
        expect(page.locator("#code-message")).to_contain_text(SENT_BACK)
        expect(page.locator("#code")).to_be_focused()
    assert answers_in_database(live_server, invited) == {"safe_home": ["happy"]}
    kept = waiting_on_tablet(page)
    assert len(kept) == 1 and [(a["question"], a["value"]) for a in
                               next(iter(kept.values()))] == [("safe_home", "okay")], kept

    # Another child on this tablet never gets it ...
    other = live_server.invite("Bea", 13)
    enter_code(page, live_server.url, other.code)
    begin(page)
    expect(page.locator("#q-safe_home-okay")).not_to_be_checked()
    page.wait_for_timeout(500)  # time enough for a waiting answer to have been sent
    assert answers_in_database(live_server, other) == {}
    assert len(waiting_on_tablet(page)) == 1, "kept for its own child"
    with time_runs_out(live_server, monkeypatch):  # Bea wanders off too
        page.reload()
    expect(page).to_have_url(re.compile(r"/\?why=expired$"))

    # ... the child it belongs to does, as soon as they type their code again.
    enter_code(page, live_server.url, invited.code.lower())
    begin(page)
    assert current_key(page) == first_page
    expect(page.locator("#q-safe_home-okay")).to_be_checked()
    wait_saved(page, "safe_home")
    assert answers_in_database(live_server, invited) == {"safe_home": ["okay"]}
    assert waiting_on_tablet(page) == {}
    go_next(page)
    assert answers_in_database(live_server, invited) == {"safe_home": ["okay"]}, \
        "sending the page must not undo the change"

    # Sending the answers clears the tablet, even of what waits there.
    page.evaluate(f"""() => sessionStorage.setItem("{PENDING}:left-behind",
        JSON.stringify([{{question: "safe_home", value: "sad"}}]))""")
    next_until_finish(page)
    send_answers(page)
    assert page.evaluate("() => sessionStorage.length") == 0


# --- words the database cannot store, and answers the server will not take ---

@pytest.mark.parametrize(("typed", "stored"), [
    ("I miss my brother\u0000 a lot", "I miss my brother a lot"),
    ("how I feel \ud800 today", "how I feel \N{REPLACEMENT CHARACTER} today"),
])
def test_words_the_database_cannot_store_are_saved_cleaned_and_nothing_waits_behind_them(
        live_server: LiveServer, browsing: Browsing, typed: str, stored: str) -> None:
    invited = live_server.invite("Cal", 13)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    shown = the_page_holding(page, live_server.url, "review_say")
    key, option = a_choice_on_the_page(page, shown)
    # Set as a script would (no keyboard types a NUL or half a character).
    page.locator("#q-review_say").evaluate(
        "(area, typed) => { area.value = typed; area.dispatchEvent(new Event('input', "
        "{bubbles: true})); }", typed)
    choose(page, key, option)
    wait_saved(page, key)
    wait_saved(page, "review_say")
    assert answers_in_database(live_server, invited) == {"review_say": [stored], key: [option]}
    page.reload()
    expect(page.locator("#q-review_say")).to_have_value(stored)


@pytest.mark.parametrize("status", [413, 403])
def test_an_answer_the_server_will_never_take_is_let_go_with_a_message(
        live_server: LiveServer, browsing: Browsing, status: int) -> None:
    invited = live_server.invite("Dev", 13)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    shown = the_page_holding(page, live_server.url, "review_say")
    key, option = a_choice_on_the_page(page, shown)
    refused: list[str] = []

    def refuse_the_words(route: Any) -> None:
        saves = saves_in(route.request)
        words = [save for save in saves if save["question"] == "review_say"]
        if words:
            # Sent with other answers, the whole request is refused and the page sends its
            # saves one at a time to find the one refused: count only a save sent alone.
            if len(saves) == 1:
                refused.extend(save["save_id"] for save in words)
            route.fulfill(status=status, json={"status": "refused"})
        else:
            route.continue_()

    page.route("**/answers", refuse_the_words)
    give(page, "review_say", Words("a lot to say"))
    expect(save_state(page, "review_say")).to_have_text(NOT_SAVED)
    choose(page, key, option)
    wait_saved(page, key)
    assert answers_in_database(live_server, invited) == {key: [option]}
    page.wait_for_timeout(1500)  # longer than the first wait before a retry
    # (Leaving the box sends the words once more, as a new save: each is sent once.)
    assert refused and len(refused) == len(set(refused)), \
        "a refusal that will never change is not retried"


def test_an_answer_the_server_keeps_failing_on_does_not_hold_up_the_others(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Eli", 13)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    shown = the_page_holding(page, live_server.url, "review_say")
    key, option = a_choice_on_the_page(page, shown)
    failures: list[str] = []

    def fail_on_the_words(route: Any) -> None:
        words = [save for save in saves_in(route.request) if save["question"] == "review_say"]
        if words:
            failures.extend(save["value"] for save in words)
            route.fulfill(status=500, body="")
        else:
            route.continue_()

    page.route("**/answers", fail_on_the_words)
    give(page, "review_say", Words("it is going well"))
    deadline = time.monotonic() + 10
    while not failures and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert failures, "the words were sent"
    choose(page, key, option)
    wait_saved(page, key)
    assert answers_in_database(live_server, invited) == {key: [option]}

    page.unroute("**/answers")  # the server is well again
    expect(save_state(page, "review_say")).to_have_text("Saved", timeout=40_000)
    assert answers_in_database(live_server, invited) == {
        key: [option], "review_say": ["it is going well"]}


# --- a code typed wrongly; and how the start page looks ---

@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_start_page_says_why_and_keeps_a_wrong_code_at_every_size(
        live_server: LiveServer, browsing: Browsing, monkeypatch: pytest.MonkeyPatch,
        language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("360x740", PHONE), ("768x1024", TABLET)):
        invited = live_server.invite("Farah", 13, language=language)
        page = browsing.page(viewport)
        enter_code(page, live_server.url, invited.code)
        begin(page)
        with time_runs_out(live_server, monkeypatch):
            page.reload()
        expect(page).to_have_url(re.compile(r"/\?why=expired$"))
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#code-message")).to_be_visible()
        if language == "en":
            expect(page.locator("#code-message")).to_contain_text(SENT_BACK)
        expect(page.locator("#code")).to_be_focused()
        assert_accessible(page, f"the start page after a timeout in {language}")
        page.screenshot(path=str(SHOTS / f"timeout-{language}-{size}.png"), full_page=True)

        page.fill("#code", "KPT-4HX-9RB")
        page.locator("form.code-form button[type=submit]").click()
        page.wait_for_load_state("load")
        box = page.locator("#code")
        expect(box).to_have_value("KPT-4HX-9RB")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_be_focused()
        expect(page.locator("html")).to_have_attribute("lang", language)
        if language == "en":
            expect(page.locator("#code-message")).to_contain_text(WRONG)
        assert_accessible(page, f"the start page with a wrong code in {language}")
        page.screenshot(path=str(SHOTS / f"wrong-code-{language}-{size}.png"), full_page=True)
        # Mended, it lets the child in.
        box.fill(invited.code)
        page.locator("form.code-form button[type=submit]").click()
        expect(page).to_have_url(live_server.url + "/welcome")
        page.context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_tablet_left_behind_says_the_code_was_typed_elsewhere_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    """The child types their code on a second device: the first one's next page is the
    start page saying so, in the child's language and direction, at every size."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("360x740", PHONE), ("768x1024", TABLET),
                           ("1366x768", {"width": 1366, "height": 768})):
        invited = live_server.invite("Farah", 13, language=language)
        first = browsing.page(viewport)
        enter_code(first, live_server.url, invited.code)
        begin(first)
        second = browsing.page(viewport)
        enter_code(second, live_server.url, invited.code)
        first.reload()
        expect(first).to_have_url(re.compile(r"/\?why=elsewhere$"))
        expect(first.locator("html")).to_have_attribute("lang", language)
        expect(first.locator("#code-message")).to_be_visible()
        if language == "en":
            expect(first.locator("#code-message")).to_contain_text(
                "Your code was typed on another tablet or phone")
        else:
            expect(first.locator("html")).to_have_attribute("dir", "rtl")
        wide = first.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wide <= 1, f"{size}: the page scrolls sideways by {wide}px"
        assert_accessible(first, f"the start page after the code moved, in {language}")
        first.screenshot(path=str(SHOTS / f"elsewhere-{language}-{size}.png"), full_page=True)
        first.context.close()
        second.context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_words_no_page_sends_are_refused_in_the_childs_language_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    """A character neither database can keep, sent where a child's page would not send it
    (here in the address), is a 400 that says so in the child's language and direction,
    keeps the child's session, and leads back to their questions."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("360x740", PHONE), ("768x1024", TABLET),
                           ("1366x768", {"width": 1366, "height": 768})):
        invited = live_server.invite("Farah", 13, language=language)
        page = browsing.page(viewport)
        enter_code(page, live_server.url, invited.code)
        begin(page)
        refused = page.goto(live_server.url + "/language?back=/%00")
        assert refused is not None and refused.status == 400
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        if language == "en":
            expect(page.locator("main .lead")).to_have_text(
                "Something sent from the page had a letter or sign in it that we can't keep, "
                "so nothing was changed. Please go back and type it again.")
        wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wide <= 1, f"{size}: the page scrolls sideways by {wide}px"
        assert_accessible(page, f"the page refusing unstorable characters, in {language}")
        page.screenshot(path=str(SHOTS / f"unstorable-{language}-{size}.png"), full_page=True)
        page.locator("main a.button").click()
        expect(page).to_have_url(re.compile(r"/(welcome|questions/[a-z_]+)$"))
        page.context.close()
