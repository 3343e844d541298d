"""Made for small fingers and small screens: big targets, big text, no sideways scrolling,
nothing from outside the service, and nothing that jumps while the page loads."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.childpages import (
    answer_whole_page,
    begin,
    enter_code,
    follow_up_answers,
    go_next,
    press,
    send_answers,
)
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from viewpoint.models import Answer, Response

pytestmark = pytest.mark.slow

MIN_TARGET = 44  # CSS px, each way
MIN_TEXT = 18  # CSS px

#: Everything a child taps: buttons, links styled as buttons, answer labels, and form
#: controls that are not drawn by their label.
TOO_SMALL = """(minimum) => {
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden"
      && style.opacity !== "0";
  };
  const ticks = (label) => label.control && ["radio", "checkbox"].includes(label.control.type);
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
    + `${el.htmlFor ? "[for=" + el.htmlFor + "]" : ""}`
    + ` "${(el.innerText || el.value || "").trim().slice(0, 30)}"`;
  const targets = Array.from(document.querySelectorAll(
    "button, a.button, input:not([type=hidden]), textarea, select"))
    .concat(Array.from(document.querySelectorAll("label")).filter(ticks));
  return targets.filter(shown).map((el) => [name(el), el.getBoundingClientRect()])
    .filter(([, box]) => box.width < minimum - 0.01 || box.height < minimum - 0.01)
    .map(([label, box]) => `${label} is ${Math.round(box.width)}x${Math.round(box.height)}`);
}"""

#: Visible elements whose own text is smaller than the minimum.
SMALL_TEXT = """(minimum) => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    if (el.closest(".visually-hidden, [hidden], script")) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minimum - 0.01) {
      found.push(`${el.tagName.toLowerCase()}.${el.className}`
        + ` "${node.textContent.trim().slice(0, 40)}" is ${size}px`);
    }
  }
  return found;
}"""

#: Whatever sticks out past the right edge of the screen.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} reaches `
      + `${Math.round(el.getBoundingClientRect().right)}px of ${width}px`)
    .slice(0, 10);
}"""


def check_page(page: Page, where: str, problems: list[str], *, phone: bool) -> None:
    page.wait_for_load_state("load")
    for found in page.evaluate(TOO_SMALL, MIN_TARGET):
        problems.append(f"{where}: target smaller than {MIN_TARGET}x{MIN_TARGET}: {found}")
    for found in page.evaluate(SMALL_TEXT, MIN_TEXT):
        problems.append(f"{where}: text smaller than {MIN_TEXT}px: {found}")
    if phone:
        for found in page.evaluate(OVERFLOW):
            problems.append(f"{where}: scrolls sideways: {found}")


def walk_questions(page: Page, live_server: LiveServer, problems: list[str], *,
                   phone: bool) -> None:
    """Every question page, every follow-up brought in; checked after answering."""
    wanted = follow_up_answers(live_server, "before-care-review")
    while not page.url.endswith("/finish"):
        answer_whole_page(page, wanted)
        check_page(page, page.url.rsplit("/", 1)[-1], problems, phone=phone)
        go_next(page)
    check_page(page, "finish", problems, phone=phone)


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet-768x1024", "phone-360x740"])
def test_every_target_is_big_every_word_readable_and_nothing_scrolls_sideways(
        live_server: LiveServer, browsing: Browsing, viewport: dict[str, int]) -> None:
    phone = viewport == PHONE
    problems: list[str] = []
    page = browsing.page(viewport)
    page.goto(live_server.url + "/")
    check_page(page, "start", problems, phone=phone)
    page.fill("#code", "CCC-CCC-CCC")
    press(page, "Start")
    expect(page.locator("#code-message")).to_be_visible()
    check_page(page, "start with a message", problems, phone=phone)
    page.goto(live_server.url + "/help")
    check_page(page, "help", problems, phone=phone)

    # One question a screen with big pictures, then short pages with every type of question.
    young = live_server.invite("Sasha", 6)
    enter_code(page, live_server.url, young.code)
    check_page(page, "welcome", problems, phone=phone)
    begin(page)
    walk_questions(page, live_server, problems, phone=phone)
    send_answers(page, "worker")
    check_page(page, "thanks", problems, phone=phone)

    older = live_server.invite("Sasha", 14)
    enter_code(page, live_server.url, older.code)
    begin(page)
    walk_questions(page, live_server, problems, phone=phone)
    press(page, "I want to talk to someone")
    check_page(page, "talk", problems, phone=phone)
    page.get_by_role("link", name="Go back to my questions").click()
    press(page, "Stop for now")
    check_page(page, "stopped", problems, phone=phone)

    assert not problems, "\n".join(problems)
    # Nothing from outside the service: neither requested nor stopped by the page's policy.
    assert not browsing.outside_requests, browsing.outside_requests
    assert not browsing.refused_by_policy, browsing.refused_by_policy


def positions(page: Page) -> dict[str, Any]:
    """Where each thing a child might tap is drawn."""
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll(
        "main button:not(.speak), main a.button, .answer label, textarea, #code"))
        .map((el, i) => [`${i} ${el.tagName} ${el.htmlFor || el.textContent.trim().slice(0, 20)}`,
                         (({x, y, width, height}) => [x, y, width, height].map(Math.round))(
                           el.getBoundingClientRect())]))""")


@pytest.mark.parametrize("age", [7, 15])
def test_nothing_a_child_might_tap_moves_when_the_pages_script_starts(
        live_server: LiveServer, browsing: Browsing, age: int) -> None:
    """The read-aloud buttons appear only with the script; if they pushed answers down as
    it started, a quick tap would land on the wrong answer (or on "read aloud")."""
    # Two children of the same name and age: one code works on one tablet at a time.
    codes = [live_server.invite("Toby", age).code for _ in range(2)]
    with_script = browsing.page()
    without = browsing.page(javascript=False)
    for page, code in zip((with_script, without), codes, strict=True):
        enter_code(page, live_server.url, code)
    assert positions(with_script) == positions(without), "the welcome page moves"
    for page in (with_script, without):
        begin(page)
    assert positions(with_script) == positions(without), "the first question moves"
    expect(with_script.locator("button.speak").first).to_be_visible()


def test_an_answer_tapped_before_the_pages_script_arrives_is_still_saved(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Ivy", 8)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, invited.code)
    held: list[Any] = []
    context.route("**/static/js/respond.js", lambda route: held.append(route))  # a slow connection
    page.locator("form[action$='/start'] button[type=submit]").tap()
    expect(page.locator("#q-safe_home-okay")).to_be_attached()
    page.locator('label[for="q-safe_home-okay"]').tap()
    expect(page.locator("#q-safe_home-okay")).to_be_checked()
    assert held, "the script should still be on its way"
    context.unroute("**/static/js/respond.js")
    held[0].continue_()
    expect(page.locator('[data-save-state="safe_home"]')).to_have_text("Saved")
    with live_server.database() as session:
        stored = session.execute(select(Answer.question_key, Answer.value).join(Response)
                                 .where(Response.child_id == invited.child_id)).all()
    assert stored == [("safe_home", {"v": "okay"})]
