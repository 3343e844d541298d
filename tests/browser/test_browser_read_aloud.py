"""Every question and answer can be read aloud, in the page's language; and when the tablet
cannot, the child is told so instead of nothing happening."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from tests.browser.childpages import begin, enter_code, go_next, question_keys
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer

pytestmark = pytest.mark.slow

NO_VOICE = ("Sorry, this tablet cannot read aloud in this language. You could ask someone to "
            "read it to you.")

#: The browser has no voices at all (as in most headless browsers, and many tablets for
#: languages such as Tigrinya or Kurdish).
NO_VOICES = "window.speechSynthesis.getVoices = () => [];"
#: Notes each sound the page starts playing (the browser has no speakers to hear it on).
PLAYED = """
window.played = [];
HTMLMediaElement.prototype.play = function () {
  window.played.push(this.src);
  return Promise.resolve();
};
"""

#: French, English and Pashto voices; speak() records what it was asked to say, then finishes.
FAKE_VOICES = """
(() => {
  const voices = [
    {name: "Fake French", lang: "fr-FR", voiceURI: "fake-fr", localService: true, default: true},
    {name: "Fake English", lang: "en-GB", voiceURI: "fake-en", localService: true, default: false},
    {name: "Fake Pashto", lang: "ps-AF", voiceURI: "fake-ps", localService: true, default: false},
  ];
  window.spoken = [];
  window.SpeechSynthesisUtterance = function (text) {
    this.text = text; this.lang = ""; this.voice = null; this.onend = null; this.onerror = null;
  };
  window.speechSynthesis.getVoices = () => voices;
  window.speechSynthesis.speak = (utterance) => {
    window.spoken.push({text: utterance.text, lang: utterance.lang,
                        voice: utterance.voice && utterance.voice.name});
    setTimeout(() => utterance.onend && utterance.onend({}), 10);
  };
})();
"""


def speaker_problems(page: Page) -> list[str]:
    """Questions and answers on the page without a visible read-aloud button of their own."""
    missing = []
    for fieldset in page.locator("fieldset[data-question]").all():
        key = fieldset.get_attribute("data-question")
        if not fieldset.is_visible():
            continue  # a follow-up its answer has not opened
        legend = fieldset.locator("legend button.speak")
        if legend.count() != 1 or not legend.is_visible():
            missing.append(f"question {key}")
        for answer in fieldset.locator(".answer:not(.point)").all():
            button = answer.locator("button.speak")
            if button.count() != 1 or not button.is_visible():
                missing.append(f"answer {answer.locator('label').inner_text()!r} of {key}")
        for end in ("low", "high"):
            if fieldset.locator(f"#{end}-{key}").count() and not fieldset.locator(
                    f'button.speak[data-speak="{end}-{key}"]').is_visible():
                missing.append(f"the {end} end of the scale of {key}")
    return missing


@pytest.mark.parametrize("age", [6, 14])
def test_every_question_and_every_answer_has_a_read_aloud_button(
        live_server: LiveServer, browsing: Browsing, age: int) -> None:
    invited = live_server.invite("Zara", age)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    expect(page.locator('button.speak[data-speak="hello"]')).to_be_visible()
    expect(page.locator('button.speak[data-speak="welcome-text"]')).to_be_visible()
    begin(page)
    missing: list[str] = []
    pages = 0
    while not page.url.endswith("/finish"):
        pages += 1
        missing += speaker_problems(page)
        go_next(page)
    assert pages > 1
    expect(page.locator('button.speak[data-speak="done-title"]')).to_be_visible()
    for helper in ("nobody", "carer", "worker", "someone_else"):
        expect(page.locator(f'button.speak[data-speak="helped-{helper}-text"]')).to_be_visible()
    assert not missing, "no read-aloud button for: " + ", ".join(missing)


def spoken(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("window.spoken")


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_when_the_tablet_has_no_voice_the_child_is_told_beside_the_button(
        live_server: LiveServer, browsing: Browsing, viewport: dict[str, int]) -> None:
    """Pashto has no synthesiser voice and no recordings yet: its buttons use the tablet's
    own voice, and a tablet without one says so where the child is looking."""
    invited = live_server.invite("Aziz", 13, language="ps")
    with live_server.app.test_request_context(), force_locale("ps"):
        no_voice = gettext(NO_VOICE)
    assert no_voice != NO_VOICE
    page = browsing.page(viewport, init_script=NO_VOICES)
    enter_code(page, live_server.url, invited.code)
    page.locator('button.speak[data-speak="hello"]').click()
    note = page.locator("[data-speech-note]")
    expect(note).to_have_text(no_voice)
    expect(note).to_be_in_viewport()

    begin(page)
    keys = question_keys(page)
    assert len(keys) > 1
    for target in (f"text-{keys[0]}", f"text-{keys[-1]}-declined", f"text-{keys[0]}-okay"):
        note.evaluate("(n) => { n.hidden = true; n.textContent = ''; }")
        button = page.locator(f'button.speak[data-speak="{target}"]')
        button.click()
        expect(note).to_have_text(no_voice)
        expect(note).to_be_visible()
        # Where the child is looking, not at the bottom of a long page.
        expect(note).to_be_in_viewport()
        assert page.evaluate("window.speechSynthesis.speaking") is False

    for _ in range(60):
        if page.url.endswith("/finish"):
            break
        with page.expect_navigation():
            page.locator("button.next").click()
    page.locator('button.speak[data-speak="done-title"]').click()
    expect(page.locator("[data-speech-note]")).to_have_text(no_voice)
    expect(page.locator("[data-speech-note]")).to_be_in_viewport()


def test_where_a_voice_is_made_the_child_hears_it_on_a_tablet_without_one(
        live_server: LiveServer, browsing: Browsing) -> None:
    """English is made into sound by the service: a tablet without a voice still reads the
    welcome, the buttons and the questions aloud, and says nothing about missing voices."""
    invited = live_server.invite("Aziz", 13)
    page = browsing.page(init_script=NO_VOICES + PLAYED)
    enter_code(page, live_server.url, invited.code)
    for target in ("hello", "welcome-text", "talk-words"):
        # Made now, or (words another child's page had made already) the file kept since.
        with page.expect_response(lambda r: r.url.endswith("/say") or "/audio/" in r.url) \
                as said:
            page.locator(f'button.speak[data-speak="{target}"]').click()
        assert said.value.status in (200, 206)
        assert said.value.headers["content-type"] == "audio/mpeg"
        expect(page.locator("[data-speech-note]")).to_have_count(0)
    assert len(page.evaluate("window.played")) == 3


def test_the_words_on_screen_are_spoken_in_the_pages_language(
        live_server: LiveServer, browsing: Browsing) -> None:
    """Where the service has no voice for the language (Pashto), the tablet's own voice
    for that language reads, never its default voice for another language."""
    invited = live_server.invite("Ben", 6, language="ps")
    page = browsing.page(init_script=FAKE_VOICES)
    enter_code(page, live_server.url, invited.code)
    begin(page)
    page_lang = page.evaluate("document.documentElement.lang")
    assert page_lang == "ps"
    key = question_keys(page)[0]
    question = page.locator(f"#text-{key}").inner_text()

    page.locator(f'button.speak[data-speak="text-{key}"]').click()
    expect(page.locator(f'button.speak[data-speak="text-{key}"]')).not_to_have_class(
        re.compile(r"\bspeaking\b"))  # finished speaking
    assert spoken(page) == [{"text": question, "lang": "ps-AF", "voice": "Fake Pashto"}]

    page.locator(f'button.speak[data-speak="text-{key}-sad"]').click()
    answer = page.locator(f"#text-{key}-sad").inner_text()
    assert spoken(page)[-1] == {"text": answer, "lang": "ps-AF", "voice": "Fake Pashto"}
    assert all(said["lang"].split("-")[0] == page_lang for said in spoken(page))
    expect(page.locator("[data-speech-note]")).to_be_hidden()
