"""What a child does on the pages, in words the tests can read like a story."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.harness import LiveServer
from viewpoint.models import Response

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()


def enter_code(page: Page, base: str, typed: str) -> None:
    """Open the start page, type the code, press Start, and land on the welcome."""
    page.goto(base + "/")
    page.fill("#code", typed)
    page.locator("form[action='/'] button[type=submit]").click()  # in any language
    expect(page).to_have_url(base + "/welcome")
    page.wait_for_load_state("load")


def press(page: Page, name: str, *, tap: bool = False) -> None:
    button = page.get_by_role("button", name=name, exact=True)
    if tap:
        button.tap()
    else:
        button.click()
    page.wait_for_load_state("load")


def begin(page: Page, *, tap: bool = False) -> None:
    """Press Start (or Carry on) on the welcome page."""
    button = page.locator("form[action$='/start'] button[type=submit]")
    if tap:
        button.tap()
    else:
        button.click()
    expect(page).to_have_url(re.compile(r"/(questions/[a-z_]+|finish)$"))
    page.wait_for_load_state("load")


def question_keys(page: Page) -> list[str]:
    """The questions shown on this page, in order (not the follow-ups waiting, hidden, for
    the answer that opens them)."""
    return page.locator("fieldset[data-question]").evaluate_all(
        "(sets) => sets.filter((s) => !s.closest('[hidden]')).map((s) => s.dataset.question)")


def current_key(page: Page) -> str:
    """The page's address: the key of its first question."""
    match = re.search(r"/questions/([a-z_]+)$", page.url)
    assert match, f"not on a question page: {page.url}"
    return match.group(1)


def answer_label(page: Page, key: str, option: str | int) -> Any:
    return page.locator(f'label[for="q-{key}-{option}"]')


def choose(page: Page, key: str, option: str | int, *, tap: bool = False) -> None:
    """Tap (or click) the answer's label, as a child would."""
    label = answer_label(page, key, option)
    if tap:
        label.tap()
    else:
        label.click()
    expect(page.locator(f"#q-{key}-{option}")).to_be_checked()


class Words(str):
    """Free text a child types (as opposed to an answer they choose)."""


#: What the tests plan for a question: an option key, a number on a scale, a list of option
#: keys, Words, or DECLINED ("I'd rather not say").
DECLINED = "declined"


def give(page: Page, key: str, answer: Any, *, tap: bool = False) -> None:
    """Answer question ``key`` on the current page the way a child would."""
    if isinstance(answer, Words):
        area = page.locator(f"#q-{key}")
        area.tap() if tap else area.click()
        page.keyboard.type(str(answer))
    elif isinstance(answer, list):
        for option in answer:
            choose(page, key, option, tap=tap)
    else:
        choose(page, key, answer, tap=tap)


def stored_form(answer: Any) -> Any:
    """What the database should hold for a planned answer."""
    return str(answer) if isinstance(answer, Words) else answer


def save_state(page: Page, key: str) -> Any:
    return page.locator(f'[data-save-state="{key}"]')


def wait_saved(page: Page, key: str) -> None:
    expect(save_state(page, key)).to_have_text("Saved")


def go_next(page: Page, *, tap: bool = False) -> None:
    before = page.url
    press(page, "Next", tap=tap)
    expect(page).not_to_have_url(before)
    page.wait_for_load_state("load")


def next_until_finish(page: Page, *, limit: int = 60) -> None:
    for _ in range(limit):
        if page.url.endswith("/finish"):
            return
        go_next(page)
    raise AssertionError("never reached the finish page")


def send_answers(page: Page, helped_by: str | None = None, *, tap: bool = False) -> None:
    """On the finish page: say who helped (if anyone), then send."""
    expect(page.get_by_role("heading", level=1)).to_contain_text("You've reached the end!")
    if helped_by:
        label = page.locator(f'label[for="helped-{helped_by}"]')
        label.tap() if tap else label.click()
        expect(page.locator(f"#helped-{helped_by}")).to_be_checked()
    press(page, "Send my answers", tap=tap)
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Thank you! Your answers have been sent.")


def stored_answers(response: Response) -> dict[str, Any]:
    """key -> stored value, or "declined"."""
    return {a.question_key: (DECLINED if a.declined else a.value["v"])
            for a in response.answers}


def axe_violations(page: Page) -> str:
    """The page's WCAG 2.2 AA violations, one readable line per element ("" when none)."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                      "resultTypes": ["violations"]})
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}) at {node['target']}: "
                         f"{violation['help']} - {node.get('failureSummary', '')!s}"
                         .replace("\n", " "))
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    found = axe_violations(page)
    assert not found, f"axe found problems on {where} ({page.url}):\n{found}"


def follow_up_answers(live_server: LiveServer, questionnaire_id: str) -> dict[str, Any]:
    """For each question that another depends on, an answer that makes the other appear."""
    definition = live_server.app.extensions["viewpoint.questionnaires"].get(questionnaire_id)
    found: dict[str, Any] = {}
    for question in definition.questions:
        if question.show_if is None:
            continue
        condition = question.show_if.condition
        if condition.any_of is not None:
            found[question.show_if.question] = sorted(condition.any_of)[0]
        else:
            found[question.show_if.question] = (condition.at_most if condition.at_most is not None
                                                else condition.at_least)
    return found


def answer_whole_page(page: Page, wanted: dict[str, Any]) -> None:
    """Answer each question shown on the page that has answers to choose (the wanted one
    where there is one, else the first), so that chosen answers are checked too; a
    follow-up an answer opens is answered in its turn. Free text is left empty: typing adds
    nothing for axe and waits for the typing pause."""
    last = None
    looked_at: set[str] = set()
    while todo := [key for key in question_keys(page) if key not in looked_at]:
        key = todo[0]
        looked_at.add(key)
        fieldset = page.locator(f'fieldset[data-question="{key}"]')
        if fieldset.get_attribute("data-type") == "free_text":
            continue
        inputs = fieldset.locator(f'input[name="q-{key}"]')
        if inputs.locator(":scope:checked").count():
            continue  # answered already, on the page before
        choose(page, key, wanted.get(key, inputs.first.get_attribute("value")))
        last = key
    if last:
        # Saves are sent in order, so the page is settled when the last one is saved.
        wait_saved(page, last)
