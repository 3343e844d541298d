"""A child answers in their own language, switches language halfway without losing an
answer or their place, and the page reads the right way; every language passes axe-core.

Screenshots of the right-to-left pages are written to test-artifacts/languages/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.childpages import (
    assert_accessible,
    begin,
    choose,
    current_key,
    enter_code,
    follow_up_answers,
    stored_answers,
)
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from viewpoint.i18n import CHILD_LANGUAGES, font_for, text_direction
from viewpoint.models import Response

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "languages"


def _saved_word(page: Page) -> str:
    return page.locator("[data-msg-saved]").get_attribute("data-msg-saved") or ""


def _answer_page(page: Page, wanted: dict[str, Any]) -> list[str]:
    """Answer every choice question on the page; wait until each is saved. Returns the keys."""
    answered = []
    for fieldset in page.locator("fieldset[data-question]").all():
        key = fieldset.get_attribute("data-question") or ""
        if fieldset.get_attribute("data-type") == "free_text":
            continue
        first = fieldset.locator(f'input[name="q-{key}"]').first.get_attribute("value")
        choose(page, key, wanted.get(key, first))
        expect(page.locator(f'[data-save-state="{key}"]')).to_have_text(_saved_word(page))
        answered.append(key)
    return answered


def _next(page: Page) -> None:
    before = page.url
    page.locator("form#answers button.next").click()
    expect(page).not_to_have_url(before)
    page.wait_for_load_state("load")


def _switch(page: Page, language: str) -> None:
    """The "Language" button, then the language's own name in the list."""
    before = page.url
    page.locator("button.language, a.language").first.click()
    expect(page).to_have_url(re.compile(r"/language\?back="))
    expect(page.locator("html")).to_have_attribute("dir", text_direction(
        page.locator("html").get_attribute("lang") or "en"))
    page.locator(f'button.language-choice[value="{language}"]').click()
    expect(page).to_have_url(before)
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", text_direction(language))


def _check_reads_right_to_left(page: Page, name: str) -> None:
    """Next sits left of Back, the question starts at the right edge, the progress bar fills
    from the right; then a screenshot."""
    nav = page.evaluate("""() => {
        const box = (s) => document.querySelector(s).getBoundingClientRect();
        const legend = box("fieldset[data-question] .question-text");
        const main = box("main");
        return {next: box("button.next").left, back: box("button.back").left,
                textRight: legend.right, mainRight: main.right, mainLeft: main.left,
                textLeft: legend.left,
                progress: getComputedStyle(document.querySelector("progress")).direction};
    }""")
    assert nav["next"] < nav["back"], nav
    assert nav["mainRight"] - nav["textRight"] < nav["textLeft"] - nav["mainLeft"], nav
    assert nav["progress"] == "rtl"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("first", "then"), [("ur", "pl"), ("pl", "ur")])
def test_a_child_answers_in_one_language_switches_halfway_and_finishes_in_the_other(
        live_server: LiveServer, browsing: Browsing, first: str, then: str) -> None:
    invited = live_server.invite("Amira", 10, language=first)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    expect(page.locator("html")).to_have_attribute("lang", first)
    begin(page)
    wanted = follow_up_answers(live_server, "before-care-review")
    answered: list[str] = []
    pages_seen = 0
    switched_at = None
    while not page.url.endswith("/finish"):
        language = page.locator("html").get_attribute("lang")
        if language == "ur":
            _check_reads_right_to_left(page, f"ur-{current_key(page)}")
        answered += _answer_page(page, wanted)
        pages_seen += 1
        if pages_seen == 3 and switched_at is None:
            switched_at = current_key(page)
            _switch(page, then)
            assert current_key(page) == switched_at  # the same place
            for key in _answered_on_page(page):  # and the answers given there are kept
                assert key in answered
        _next(page)
    assert switched_at is not None
    expect(page.locator("html")).to_have_attribute("lang", then)
    page.locator("form[action$='/finish'] button.next").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", then)
    with live_server.database() as session:
        response = session.query(Response).filter_by(child_id=invited.child_id).one()
        assert response.submitted_at is not None
        assert response.language == then
        assert response.questionnaire_version.language == then
        assert set(stored_answers(response)) == set(answered)


def _answered_on_page(page: Page) -> list[str]:
    return [f.get_attribute("data-question") or "" for f in
            page.locator("fieldset[data-question]").all()
            if f.locator("input:checked").count()]


def test_the_language_can_be_changed_before_the_code_and_is_kept_after_it(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Amira", 10, language="pl")
    page = browsing.page(PHONE)
    page.goto(live_server.url + "/")
    _switch(page, "ar")
    page.fill("#code", invited.code)
    page.locator("form.code-form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + "/welcome")
    # The child's own choice comes before the language on the invitation.
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_a_scripts_font_is_fetched_only_on_pages_in_that_script(
        live_server: LiveServer, browsing: Browsing) -> None:
    for language in ("en", "pl", "ur", "ar", "bn", "pa", "ti"):
        fetched: list[str] = []
        page = browsing.page(TABLET)  # a new browser context: nothing cached
        page.on("request", lambda request, seen=fetched: seen.append(request.url))
        invited = live_server.invite("Amira", 10, language=language)
        enter_code(page, live_server.url, invited.code)
        begin(page)
        page.evaluate("document.fonts.ready")
        fonts = {re.sub(r".*/static/fonts/([^/]+)/.*", r"\1", url) for url in fetched
                 if "/static/fonts/" in url and url.endswith(".woff2")}
        expected = {font_for(language)} - {None}
        assert fonts == expected, (language, fonts)
        if expected:  # and the page's words are drawn with it
            family = page.evaluate("getComputedStyle(document.querySelector('legend')).fontFamily")
            assert family.startswith('"Noto'), family
        page.context.close()


@pytest.mark.parametrize("language", CHILD_LANGUAGES)
def test_the_childs_pages_pass_axe_in_every_language(live_server: LiveServer,
                                                     browsing: Browsing, language: str) -> None:
    invited = live_server.invite("Amira", 6 if language in ("cy", "ti") else 13,
                                 language=language)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    assert_accessible(page, f"the welcome page in {language}")
    begin(page)
    assert_accessible(page, f"the first question page in {language}")
    _answer_page(page, {})
    assert_accessible(page, f"a question page with an answer chosen, in {language}")
    page.locator("button.language").first.click()
    page.wait_for_load_state("load")
    assert_accessible(page, f"the list of languages in {language}")
    page.goto(live_server.url + "/help")
    assert_accessible(page, f"the help page in {language}")
    page.goto(live_server.url + "/finish")
    assert_accessible(page, f"the finish page in {language}")
    page.locator("form[action$='/finish'] button.next").click()
    page.wait_for_load_state("load")
    assert_accessible(page, f"the thank-you page in {language}")
