"""Every child's page for each band, on a tablet (768x1024) and a phone (360x740), in English
and Urdu (right to left), answered as a child would: a screenshot of each is kept in
``test-artifacts/screens/`` for people to look at, and what can be measured is checked on
each: nothing scrolls sideways, the top bar leaves the phone's screen to the questions,
three pictures sit in one row, and the progress counts what the child sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.childpages import choose, enter_code, follow_up_answers, question_keys
from tests.browser.conftest import own_live_server
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_every_word_heard import BANDS

pytestmark = pytest.mark.slow

#: A server of this module's own: its wrong codes must not lock out other tests.
live_server = own_live_server()

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
SIZES = {"tablet-768x1024": TABLET, "phone-360x740": PHONE}

#: What is measured on every page.
MEASURE = """() => {
  const bar = document.querySelector('.topbar');
  const rows = [...document.querySelectorAll(
      'fieldset[data-type="faces"], fieldset[data-type="yes_no"]')]
    .filter((set) => !set.closest('[hidden]'))
    .map((set) => new Set([...set.querySelectorAll('.answer:not(.rather-not-say) label')]
      .map((label) => Math.round(label.getBoundingClientRect().top))).size);
  return {
    sideways: document.documentElement.scrollWidth - window.innerWidth,
    bar: bar ? bar.getBoundingClientRect().height : 0,
    pictureRows: rows,
    progress: (document.querySelector('#progress-text') || {}).textContent || null,
    onePerScreen: document.body.classList.contains('layout-one-per-screen'),
    shown: [...document.querySelectorAll('fieldset[data-question]')]
      .filter((set) => !set.closest('[hidden]')).length,
  };
}"""


class Screens:
    """Screenshots of one walk, numbered in the order the child saw them, and what was
    wrong on each."""

    def __init__(self, page: Page, folder: Path, phone: bool) -> None:
        self.page = page
        self.folder = folder
        self.phone = phone
        self.count = 0
        self.problems: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"),
                             full_page=True)
        found = self.page.evaluate(MEASURE)
        where = f"{self.folder.relative_to(SCREENS)}/{self.count:02d}-{name}"
        if found["sideways"] > 0:
            self.problems.append(f"{where}: scrolls {found['sideways']}px sideways")
        if self.phone and found["bar"] > 740 / 4:  # was a third before phones had their own
            self.problems.append(f"{where}: the top bar is {found['bar']:.0f}px of 740")
        if any(rows != 1 for rows in found["pictureRows"]):
            self.problems.append(f"{where}: pictures in {found['pictureRows']} rows")
        progress = found["progress"]
        if (progress and found["shown"] > 1 and not found["onePerScreen"]
                and not re.match(r"Page|صفحہ", progress)):
            self.problems.append(f"{where}: {found['shown']} questions but says {progress!r}")


def _go(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()
    page.wait_for_load_state("load")


def answer_as_a_child(page: Page, opening: dict[str, object]) -> None:
    """Answer each question shown, opening every follow-up that can be opened (so that it
    is seen), and the first answer elsewhere; free text gets a few words."""
    looked_at: set[str] = set()
    last = None
    while todo := [key for key in question_keys(page) if key not in looked_at]:
        key = todo[0]
        looked_at.add(key)
        fieldset = page.locator(f'fieldset[data-question="{key}"]')
        if fieldset.get_attribute("data-type") == "free_text":
            page.locator(f"#q-{key}").fill("I would like to see my brother more often.")
        else:
            value = opening.get(key, fieldset.locator(f'input[name="q-{key}"]').first
                                .get_attribute("value"))
            choose(page, key, value)  # type: ignore[arg-type]
        last = key
    if last:  # saved in order: the page is settled when the last is saved
        saved = page.locator("[data-msg-saved]").get_attribute("data-msg-saved")
        expect(page.locator(f'[data-save-state="{last}"]')).to_have_text(saved)


def walk(page: Page, live: LiveServer, language: str, band: str, age: int, plan: object,
         folder: Path, phone: bool) -> Screens:
    screens = Screens(page, folder, phone)
    invited = live.invite("Amira", age, plan_kind=plan, band=band,  # type: ignore[arg-type]
                          language=language)
    questionnaire = live.app.extensions["viewpoint.questionnaires"].for_plan_kind(
        plan.value)[0]  # type: ignore[attr-defined]
    opening = follow_up_answers(live, questionnaire.id)
    enter_code(page, live.url, invited.code)
    screens.take("welcome")
    _go(page, "form[action$='/start'] button[type=submit]")
    first = True
    while "/questions/" in page.url:
        screens.take(f"questions-{page.url.rsplit('/', 1)[-1]}")
        answer_as_a_child(page, opening)
        if first:
            screens.take(f"answered-{page.url.rsplit('/', 1)[-1]}")
            _go(page, "form[action$='/talk'] button[type=submit]")
            screens.take("talk")
            _go(page, "main a.button.primary")
            first = False
        _go(page, "button.next")
        assert screens.count < 60, "the questions never ended"
    screens.take("finish")
    page.locator('label[for="helped-carer"]').click()
    _go(page, "form[action$='/finish'] button[type=submit].next")
    screens.take("thank-you")
    return screens


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_child_page_is_kept_as_a_screenshot_and_fits(
        live_server: LiveServer, browsing: Browsing, language: str, size: str) -> None:
    viewport = SIZES[size]
    phone = viewport is PHONE
    page = browsing.page(viewport)
    problems: list[str] = []
    for band, age, plan in BANDS:
        screens = walk(page, live_server, language, band, age, plan,
                       SCREENS / language / size / band, phone)
        problems += screens.problems
    # The pages every child can reach whatever their band, in the language chosen on the
    # start page (sending clears the tablet, language and all, for the next child).
    others = Screens(page, SCREENS / language / size / "any", phone)
    page.goto(live_server.url + "/language?back=/")
    _go(page, f'button[name="language"][value="{language}"]')
    expect(page.locator("html")).to_have_attribute("lang", language)
    for name, address in (("help", "/help"), ("start-after-sending", "/?why=sent"),
                          ("start-timed-out", "/?why=expired")):
        page.goto(live_server.url + address)
        others.take(name)
    page.fill("#code", "ZZZ-ZZZ-ZZZ")
    _go(page, "form[action='/'] button[type=submit]")
    others.take("start-wrong-code")
    invited = live_server.invite("Amira", 10, language=language)
    enter_code(page, live_server.url, invited.code)
    page.goto(live_server.url + "/language?back=/welcome")
    others.take("language")
    page.goto(live_server.url + "/welcome")
    _go(page, "form[action$='/stop'] button[type=submit]")
    others.take("stopped")
    problems += others.problems
    assert problems == []
    assert len(list((SCREENS / language / size).rglob("*.png"))) > 40
