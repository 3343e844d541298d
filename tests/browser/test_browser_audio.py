"""Read aloud in every language: `viewpoint audio build` makes a file for every question and
answer, Chromium can play each one, recordings replace generated files, and a page in a
language without audio says so."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.childpages import begin, enter_code
from tests.browser.conftest import _seed_staff
from tests.browser.harness import TABLET, Browsing, LiveServer, serving
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.audio import (
    VOICES,
    SynthesiserMissing,
    audio_dir,
    digest,
    library,
    spoken_texts,
    synthesise,
)
from viewpoint.i18n import available_languages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def voiced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A live server whose audio `viewpoint audio build` has just made; and the build's output."""
    try:
        synthesise(VOICES["en"], "Hello")
    except SynthesiserMissing as missing:
        message = f"the speech synthesiser cannot be loaded here: {missing}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    directory = tmp_path_factory.mktemp("audio")
    url = f"sqlite:///{directory / 'viewpoint.sqlite3'}"
    migrate(url)
    app = create_app(make_config(url, directory / "instance", WTF_CSRF_ENABLED=True,
                                 AUDIO_DIR=str(directory / "audio")))
    team_id, worker_id = _seed_staff(app)
    runner = app.test_cli_runner()
    built = runner.invoke(args=["audio", "build"])
    assert built.exit_code == 0, built.output
    with serving(app) as base:
        yield LiveServer(base, app, team_id, worker_id), built.output
    app.extensions["viewpoint.engine"].dispose()


def test_every_question_and_answer_has_audio_chromium_can_play_in_every_voiced_language(
        voiced: tuple[LiveServer, str], browsing: Browsing) -> None:
    live, output = voiced
    app = live.app
    catalogue = app.extensions["viewpoint.questionnaires"]
    page = browsing.page(TABLET)
    page.goto(live.url + "/help")
    checked = 0
    for language in available_languages():
        with app.app_context():
            texts = spoken_texts(catalogue, language)
            files = [library().file_for(language, text) for text in texts]
        assert len(texts) > 150, language
        if language not in VOICES:
            assert files == [None] * len(texts)
            assert f"{language}: no synthesiser voice; 0 texts recorded, {len(texts)}" in output
            continue
        assert None not in files, f"{language}: {files.count(None)} texts without audio"
        urls = [f"/audio/{name}" for name in files]
        # Every file fetched from the server and decoded by Chromium's own audio decoder.
        durations = page.evaluate("""async (urls) => {
            const context = new OfflineAudioContext(1, 1, 22050);
            const out = [];
            for (const url of urls) {
                const reply = await fetch(url);
                if (!reply.ok) { out.push(-reply.status); continue; }
                const decoded = await context.decodeAudioData(await reply.arrayBuffer());
                out.push(decoded.duration);
            }
            return out;
        }""", urls)
        too_short = [(texts[i], d) for i, d in enumerate(durations) if d < 0.3]
        assert too_short == [], f"{language}: {too_short[:3]}"
        checked += len(durations)
    assert checked > 1500


def test_a_recording_replaces_the_generated_file_for_the_same_words(
        voiced: tuple[LiveServer, str]) -> None:
    live, _output = voiced
    app = live.app
    catalogue = app.extensions["viewpoint.questionnaires"]
    with app.app_context():
        text = spoken_texts(catalogue, "pl")[0]
        generated = library().file_for("pl", text)
        assert generated is not None and generated.startswith("generated/pl/")
        recorded = audio_dir() / "recorded" / "pl" / f"{digest('pl', text)}.ogg"
        recorded.parent.mkdir(parents=True)
        shutil.copy(audio_dir() / generated, recorded)  # any file will do for the lookup
        lib = library()
        lib._checked.clear()  # look at the folder now rather than within the next 30 s
        try:
            assert lib.file_for("pl", text) == f"recorded/pl/{recorded.name}"
            other = spoken_texts(catalogue, "pl")[1]
            assert lib.file_for("pl", other).startswith("generated/pl/")
        finally:
            recorded.unlink()
            lib._checked.clear()


@pytest.mark.parametrize(("language", "has_audio"),
                         [("pl", True), ("ur", True), ("ti", True), ("ps", False)])
def test_the_page_says_when_a_language_has_no_audio(voiced: tuple[LiveServer, str],
                                                    browsing: Browsing, language: str,
                                                    has_audio: bool) -> None:
    live, _output = voiced
    invited = live.invite("Amira", 9, language=language)
    page = browsing.page(TABLET)
    enter_code(page, live.url, invited.code)
    begin(page)
    note = page.locator("#no-audio")
    speakers = page.locator("fieldset button.speak[data-audio]")
    if has_audio:
        expect(note).to_have_count(0)
        assert speakers.count() >= 3
        first: Any = speakers.first.get_attribute("data-audio")
        assert page.request.get(live.url + first).headers["content-type"] == "audio/mpeg"
    else:
        expect(note).to_be_visible()
        expect(speakers).to_have_count(0)
