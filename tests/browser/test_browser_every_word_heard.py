"""Every child's page, in every band and every language, in Chromium: each block of words
has a read-aloud button that reads it (made audio where the language has a voice), no
picture suggests that a worrying answer is the good one, and the youngest can answer
every question by picture alone.

Follow-up questions are shown by the test (as the answer that opens them would) so that
their words are checked too. tests/browser/test_browser_screens.py walks the same pages
answering as a child would, and keeps screenshots.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.childpages import enter_code
from tests.browser.harness import TABLET, Browsing, LiveServer
from viewpoint.audio import has_voice
from viewpoint.i18n import CHILD_LANGUAGES
from viewpoint.models import PlanKind
from viewpoint.questionnaires.definition import picture_tone

pytestmark = pytest.mark.slow

#: (band, age, plan): one child of each band, the 16-25 band a care leaver.
BANDS = [("4-7", 5, PlanKind.CARE_PLAN), ("8-11", 9, PlanKind.CARE_PLAN),
         ("12-17", 14, PlanKind.CHILD_PROTECTION), ("16-25", 19, PlanKind.PATHWAY_PLAN)]

#: Blocks of words in the page's main part that lack a read-aloud button for their words.
#: A block is covered when a button reads an element holding it, or reads every word in it
#: (digits, "=" and punctuation aside: the numbers of a scale are read as its ends). The
#: words on links and buttons (Next, Back, Go back to them) are controls, left out here.
UNHEARD = """() => {
  for (const hidden of document.querySelectorAll('.follow-up[hidden]')) hidden.hidden = false;
  const targets = [...document.querySelectorAll('button.speak[data-speak]')]
    .map((button) => document.getElementById(button.dataset.speak)).filter(Boolean);
  const blocks = document.querySelectorAll(
    'main h1, main h2, main h3, main p, main legend, main blockquote, main label, main li');
  const unheard = [];
  for (const block of blocks) {
    if (block.closest('[hidden], .visually-hidden, [data-save-state], [data-connection], '
                      + '[data-speech-note], .call-row')) continue;
    if (block.getClientRects().length === 0) continue;  // not shown at all
    let words = block.innerText.trim();
    if (!words) continue;
    if (targets.some((target) => target.contains(block))) continue;
    // Words read by a button inside the block, the buttons' own hidden labels, and the
    // words of links and buttons (controls, not words to understand) are taken out.
    const inside = [...targets.filter((target) => block.contains(target)),
                    ...block.querySelectorAll('button, a')];
    for (const part of inside) words = words.split(part.innerText.trim()).join(' ');
    if (words.replace(/[\\s\\d=.,:;!?()'"\u060c\u061f\u0964-]/g, '')) unheard.push(
      block.tagName.toLowerCase() + ': ' + block.innerText.trim().slice(0, 90));
  }
  return unheard;
}"""

#: Read-aloud buttons with nothing to play but the tablet's own voice.
DEVICE_VOICE_ONLY = """() => [...document.querySelectorAll('button.speak')]
  .filter((b) => !b.dataset.audio && !b.dataset.say)
  .map((b) => (document.getElementById(b.dataset.speak) || b).innerText.trim().slice(0, 60))"""

#: Each question's answers and the picture shown on each.
PICTURES = """() => [...document.querySelectorAll('fieldset[data-question]')].map((set) => ({
  key: set.dataset.question, type: set.dataset.type,
  textbox: !!set.querySelector('textarea'),
  options: [...set.querySelectorAll('.answer')].filter((a) => !a.matches('.rather-not-say'))
    .map((answer) => {
      const input = answer.querySelector('input');
      const img = answer.querySelector('label img');
      return {value: input && input.value, img: img && img.getAttribute('src'),
              drawn: !!answer.querySelector('label svg')};
    }),
}))"""


def _static_path(src: str | None) -> str | None:
    if not src:
        return None
    found = re.search(r"/static/([^?#]+)", src)
    return found.group(1) if found else src


class Walk:
    """What one walk found, page by page."""

    def __init__(self, page: Page, language: str, label: str) -> None:
        self.page = page
        self.language = language
        self.label = label
        self.unheard: dict[str, list[str]] = {}
        self.device_only: dict[str, list[str]] = {}
        self.pictures: list[dict[str, Any]] = []

    def look(self, name: str) -> None:
        where = f"{self.label} {name} ({self.page.url.split('/', 3)[-1]})"
        unheard = self.page.evaluate(UNHEARD)
        if unheard:
            self.unheard[where] = unheard
        if has_voice(self.language):
            device_only = self.page.evaluate(DEVICE_VOICE_ONLY)
            if device_only:
                self.device_only[where] = device_only
        self.pictures += self.page.evaluate(PICTURES)


def _submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()
    page.wait_for_load_state("load")


def walk_child_pages(page: Page, live: LiveServer, language: str, band: str, age: int,
                     plan: PlanKind, *, shared_pages: bool = True) -> Walk:
    """Type the code, then every page a child sees: welcome, each page of questions, the
    talk page, the finish and thank-you pages, help, what happens to their answers (the
    privacy notice in their band's words), and the start page after sending. The pages
    every band shares (choosing an age for the privacy notice, the start page) are looked
    at only with ``shared_pages``."""
    invited = live.invite("Amira", age, plan_kind=plan, band=band, language=language)
    walk = Walk(page, language, f"{language} {band}")
    enter_code(page, live.url, invited.code)
    walk.look("welcome")
    _submit(page, "form[action$='/start'] button[type=submit]")
    talked = False
    for _ in range(80):
        if not re.search(r"/questions/", page.url):
            break
        walk.look("questions")
        if not talked:
            _submit(page, "form[action$='/talk'] button[type=submit]")
            walk.look("talk")
            with page.expect_navigation():
                page.locator("main a.button.primary").click()
            talked = True
            continue
        _submit(page, "button.next")
    assert page.url.endswith("/finish"), page.url
    walk.look("finish")
    page.locator('label[for="helped-nobody"]').click()
    _submit(page, "form[action$='/finish'] button[type=submit].next")
    expect(page.locator("main .callout, main h1").first).to_be_visible()
    assert "/questions/" not in page.url
    walk.look("thank you")
    page.goto(live.url + "/help")
    walk.look("help")
    if shared_pages:
        page.goto(live.url + "/privacy")
        walk.look("privacy: choose an age")
    page.goto(live.url + f"/privacy?band={band}")
    walk.look("privacy notice")
    if shared_pages:
        page.goto(live.url + "/?why=sent")
        walk.look("start")
    return walk


def _picture_problems(live: LiveServer, walk: Walk, band: str) -> list[str]:
    """Answers whose picture suggests a worrying answer is good; yes/no pictures that are
    not neutral; and, for children who answer by picture, answers with nothing to tap but
    words."""
    catalogue = live.app.extensions["viewpoint.questionnaires"]
    definitions = [catalogue.get(key) for key in catalogue.questionnaires]
    problems = []
    for shown in walk.pictures:
        question = next(q for d in definitions if (q := d.question(shown["key"])) is not None)
        for option in shown["options"]:
            picture = _static_path(option["img"])
            tone = picture_tone(picture)
            if shown["type"] == "yes_no" and tone not in (None, "neutral"):
                problems.append(f"{shown['key']}={option['value']}: {picture} is {tone}")
            alert = question.alert
            if (alert is not None and option["value"] is not None
                    and alert.condition.matches(option["value"])
                    and tone in ("approving", "unknown")):
                problems.append(f"{shown['key']}={option['value']} raises an alert but shows "
                                f"{picture} ({tone})")
            if band == "4-7" and not (picture or option["drawn"]):
                problems.append(f"{shown['key']}={option['value']}: no picture to tap (4-7)")
        if band == "4-7" and shown["textbox"]:
            problems.append(f"{shown['key']}: asks a 4-7 child to write")
    return sorted(set(problems))


@pytest.mark.parametrize("language", CHILD_LANGUAGES)
def test_every_block_of_words_on_every_child_page_can_be_heard(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    page = browsing.page(TABLET)
    unheard: dict[str, list[str]] = {}
    device_only: dict[str, list[str]] = {}
    pictures: list[str] = []
    for number, (band, age, plan) in enumerate(BANDS):
        walk = walk_child_pages(page, live_server, language, band, age, plan,
                                shared_pages=number == 0)
        unheard.update(walk.unheard)
        device_only.update(walk.device_only)
        pictures += [f"{band}: {problem}" for problem in _picture_problems(live_server, walk,
                                                                             band)]
    assert unheard == {}, "words a child cannot hear"
    # Where a synthesiser speaks the language, every button plays made audio (on first
    # need), not the tablet's voice, which may not speak it.
    assert device_only == {}, "read aloud only by the tablet's voice"
    assert pictures == []


def test_the_walk_finds_a_block_of_words_without_a_button(live_server: LiveServer,
                                                          browsing: Browsing) -> None:
    """The check itself: a paragraph added to the page without a button is found, and one
    whose words a button reads is not."""
    invited = live_server.invite("Amira", 9)
    page = browsing.page(TABLET)
    enter_code(page, live_server.url, invited.code)
    assert page.evaluate(UNHEARD) == []
    page.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend', '<p>Words nobody reads aloud</p>');
      main.insertAdjacentHTML('beforeend', '<p><span id="heard-words">Heard words</span>'
        + '<button class="speak" data-speak="heard-words" type="button">x</button></p>');
    }""")
    assert page.evaluate(UNHEARD) == ["p: Words nobody reads aloud"]
