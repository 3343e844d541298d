"""The whole questionnaire with no connection: a child who typed their code online answers
every page, goes back, changes answers, and finishes with the server out of reach; the tab
is closed and opened again offline; and once the server is back, every answer is stored
exactly once, the response sent and its alert raised.

"Out of reach" is real: the browser is offline *and* the server is shut down (its port
closed), then started again on the same address, as a tablet's Wi-Fi comes back.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.browser.childpages import (
    assert_accessible,
    choose,
    current_key,
    enter_code,
    question_keys,
    wait_saved,
)
from tests.browser.harness import LOCAL_HOST, PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_no_answer_lost import answers_in_database
from viewpoint.models import Alert, AlertSource, Response

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "offline"
KEPT_TITLE = "Thank you! Your answers are kept safely on this tablet."
ALL_SENT = "Everything kept on this tablet has now been sent."


class Switchable:
    """The app served on one loopback address that can be shut and opened again."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = 0
        self.server: Any = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.port}"

    def up(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server(LOCAL_HOST, self.port, self.app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def down(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        assert self.thread is not None
        self.thread.join(timeout=10)


class DropsFirstReply:
    """The server is cut off mid-reply once: the first request to ``path`` is served in full
    (whatever it stores is stored), then the connection is closed before a word of the reply
    goes back, as when a server is killed or the Wi-Fi drops at that moment."""

    def __init__(self, app: Any, path: str) -> None:
        self.app, self.path = app, path
        self.dropped: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] != self.path or self.dropped:
            return self.app(environ, start_response)
        statuses: list[str] = []
        reply = self.app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(reply)
        self.dropped.append(statuses[0])
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        raise ConnectionResetError("the reply never left")


@contextmanager
def switchable(live_server: LiveServer, app: Any = None) -> Iterator[Switchable]:
    served = Switchable(app or live_server.app)
    served.up()
    try:
        yield served
    finally:
        if served.thread is not None and served.thread.is_alive():
            served.down()


def started_on_a_tablet(browsing: Browsing, served: Switchable, code: str,
                        viewport: dict[str, int]) -> tuple[Any, Any]:
    """A tablet whose service worker may keep the questionnaire: the code typed, Start
    pressed; returns its browser context and page."""
    context = browsing.context(viewport, service_workers=True)
    page = context.new_page()
    enter_code(page, served.url, code)
    page.locator("form[action$='/start'] button[type=submit]").click()
    page.wait_for_load_state("load")
    return context, page


def kept_for_offline(page: Any) -> None:
    """Wait until the tablet holds the questionnaire: the pack downloaded, the service
    worker in charge of the page."""
    page.wait_for_function(
        "() => sessionStorage.getItem('viewpoint-pack') !== null"
        " && navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=30_000)


def cut(context: Any, served: Switchable) -> None:
    context.set_offline(True)
    served.down()


def restore(context: Any, served: Switchable) -> None:
    served.up()
    context.set_offline(False)


def answer_page_offline(page: Any, wanted: dict[str, str]) -> list[str]:
    """Answer every question shown on the page (the wanted answer, else the first), the
    follow-ups an answer opens too; returns the keys answered."""
    done: list[str] = []
    while todo := [k for k in question_keys(page) if k not in done]:
        key = todo[0]
        done.append(key)
        fieldset = page.locator(f'fieldset[data-question="{key}"]')
        if fieldset.get_attribute("data-type") == "free_text":
            page.locator(f"#q-{key}").fill("typed offline")
            page.locator(f"#q-{key}").dispatch_event("input")
            continue
        inputs = fieldset.locator(f'input[name="q-{key}"]')
        choose(page, key, wanted.get(key, inputs.first.get_attribute("value")))
    return done


def next_offline(page: Any) -> None:
    before = page.url
    page.locator("button[name=action][value=next]").click()  # in any language
    expect(page).not_to_have_url(before)
    page.wait_for_load_state("load")


def test_a_whole_questionnaire_answered_offline_is_stored_once_when_back_online(
        live_server: LiveServer, browsing: Browsing, tmp_path: Path) -> None:
    invited = live_server.invite("Ola", 9)  # 8-11: a few questions a page
    with switchable(live_server) as served:
        context, page = started_on_a_tablet(browsing, served, invited.code, TABLET)
        first = current_key(page)
        choose(page, first, "happy")
        wait_saved(page, first)
        kept_for_offline(page)

        cut(context, served)
        wanted = {first: "okay", "hurting_me": "yes", "hurting_talk": "yes"}
        given: list[str] = []
        pages_seen = 0
        while page.url.rstrip("/").split("/")[-1] != "finish":
            answered_here = answer_page_offline(page, wanted)
            given += answered_here
            pages_seen += 1
            if pages_seen == 2:
                # Back and forward offline: the first page shows the answer changed offline.
                page.get_by_role("button", name="Back", exact=True).click()
                page.wait_for_load_state("load")
                expect(page.locator(f"#q-{first}-okay")).to_be_checked()
                next_offline(page)
                for key in answered_here:
                    assert page.locator(f'fieldset[data-question="{key}"] :checked, '
                                        f'#q-{key}').count(), f"{key} kept on its page"
            next_offline(page)
            assert pages_seen < 30, "never reached the end"
        assert "hurting_talk" in given, "the follow-up opened offline was asked"
        assert pages_seen >= 4 and len(given) >= 15, (pages_seen, given)
        assert_accessible(page, "the finish page kept for offline")
        page.locator('label[for="helped-carer"]').click()
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(KEPT_TITLE)
        assert_accessible(page, "the thank-you page offline")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "offline-finished-en-768x1024.png"), full_page=True)
        assert answers_in_database(live_server, invited) == {first: ["happy"]}

        # The tab is closed (or the battery dies), and the tablet is opened again offline.
        page.close()
        again = context.new_page()
        again.goto(served.url + "/questions/" + first)
        expect(again).to_have_url(served.url + "/offline/done/waiting")
        expect(again.get_by_role("heading", level=1)).to_have_text("This tablet is offline")

        restore(context, served)
        expect(again.locator("[data-sent-note]")).to_have_text(ALL_SENT, timeout=20_000)
        stored = answers_in_database(live_server, invited)
        assert set(stored) == set(given)
        assert all(len(values) == 1 for values in stored.values()), stored
        assert stored[first] == ["okay"] and stored["hurting_me"] == ["yes"]
        with live_server.database() as session:
            response = session.scalar(select(Response).where(
                Response.child_id == invited.child_id))
            assert response.submitted_at is not None
            assert response.helped_by.value == "carer"
            assert session.scalar(select(func.count(Alert.id)).where(
                Alert.response_id == response.id)) >= 1


#: Every read-aloud button on the page whose words cannot be played from the tablet: no
#: file kept and no words made and kept (the tablet's own voice would be all that is left).
UNHEARD_OFFLINE = """async () => {
  const missing = [];
  for (const button of document.querySelectorAll('main button.speak, header button.speak')) {
    if (button.closest('[hidden]')) continue;
    const address = button.dataset.audio
      || (button.dataset.say && '/offline/say/' + button.dataset.say);
    if (!address || !(await caches.match(address))) missing.push(button.dataset.speak);
  }
  return missing;
}"""

#: Pictures on the page that did not load.
BROKEN_PICTURES = """() => [...document.querySelectorAll('main img')]
  .filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src)"""


def eventually(page: Any, script: str, seconds: float) -> None:
    """Wait until ``script`` (which may answer with a promise) is true in the page."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never came true: {script[:200]}"
        page.wait_for_timeout(250)


def wait_for_words_kept(page: Any) -> None:
    """Audio and the words with no file yet are kept in the background once the pages are:
    wait until every read-aloud button on every copy can be played from the tablet."""
    eventually(page, """async () => {
          const copies = await caches.open('viewpoint-offline-en');
          for (const request of await copies.keys()) {
            const body = await (await copies.match(request)).text();
            const wanted = [...body.matchAll(/data-audio="([^"]+)"/g)].map((m) => m[1])
              .concat([...body.matchAll(/data-say="([0-9a-f]+)" data-say-keep="1"/g)]
                .map((m) => '/offline/say/' + m[1]));
            for (const address of wanted) if (!(await caches.match(address))) return false;
          }
          return true;
        }""", 120)


def test_a_five_year_old_offline_sees_every_picture_and_hears_every_word(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Pip", 5)  # 4-7: one question a screen, by pictures
    with switchable(live_server) as served:
        context, page = started_on_a_tablet(browsing, served, invited.code, TABLET)
        kept_for_offline(page)
        wait_for_words_kept(page)

        cut(context, served)
        screens = 0
        while not page.url.endswith("/finish"):
            screens += 1
            assert page.evaluate(BROKEN_PICTURES) == [], f"pictures missing offline: {page.url}"
            assert page.evaluate(UNHEARD_OFFLINE) == [], f"words not heard offline: {page.url}"
            key = question_keys(page)[0]
            # Goes by the pictures: taps the first picture answer.
            page.locator(f'fieldset[data-question="{key}"] .answer label').first.tap()
            next_offline(page)
            assert screens < 40
        assert screens >= 5
        assert page.evaluate(UNHEARD_OFFLINE) == [], "the finish page is heard offline"
        # Pressing a speaker offline plays the words kept: no "cannot read aloud" note.
        page.locator("button.speak[data-speak='done-title']").click()
        page.wait_for_timeout(500)
        assert page.locator("[data-speech-note]:not([hidden])").count() == 0
        restore(context, served)


def test_a_childs_finished_answers_sent_from_the_next_childs_page_reach_only_them(
        live_server: LiveServer, browsing: Browsing) -> None:
    """A child finishes offline and goes; the next child types their own code once the
    tablet is online. Their page sends the first child's sealed answers (it cannot read
    them) into the first child's response only; the reply is lost on the way back the first
    time (the server stored them), and the second try changes nothing."""
    first = live_server.invite("Ada", 13)
    second = live_server.invite("Bo", 13)
    cutting = DropsFirstReply(live_server.app, "/offline/sync")
    with switchable(live_server, cutting) as served:
        context, page = started_on_a_tablet(browsing, served, first.code, TABLET)
        kept_for_offline(page)
        cut(context, served)
        choose(page, "safe_home", "sad")
        page.goto(served.url + "/finish")
        expect(page.get_by_role("heading", level=1)).to_have_text("You've reached the end!")
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(KEPT_TITLE)
        outbox = page.evaluate(OUTBOX)
        assert len(outbox) == 1 and "sad" not in outbox[0]["data"]
        assert page.evaluate("sessionStorage.length") == 0

        restore(context, served)
        enter_code(page, served.url, second.code)
        page.locator("form[action$='/start'] button[type=submit]").click()
        page.wait_for_load_state("load")
        eventually(page, f"() => ({OUTBOX})().then((records) => records.length === 0)", 30)
        assert cutting.dropped == ["200 OK"], "the first try was stored, its reply lost"
        assert answers_in_database(live_server, first) == {"safe_home": ["sad"]}
        assert answers_in_database(live_server, second) == {}
        with live_server.database() as session:
            sent = session.scalar(select(Response).where(Response.child_id == first.child_id))
            assert sent.submitted_at is not None
            assert session.scalar(select(Response.submitted_at).where(
                Response.child_id == second.child_id)) is None


OUTBOX = """() => new Promise((resolve) => {
  const opening = indexedDB.open("viewpoint");
  opening.onsuccess = () => {
    const database = opening.result;
    if (!database.objectStoreNames.contains("outbox")) { resolve([]); return; }
    const all = database.transaction("outbox").objectStore("outbox").getAll();
    all.onsuccess = () => resolve(all.result.map((r) => ({id: r.id, ref: r.ref,
      data: atob(r.data)})));
  };
})"""


SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", {"width": 1366, "height": 768}))


def test_offline_a_child_changes_language_asks_to_talk_and_stops(
        live_server: LiveServer, browsing: Browsing) -> None:
    """Languages downloaded can be switched to offline (one that is not says so); asking to
    talk and stopping offline are told honestly, and reach the server once it is back."""
    invited = live_server.invite("Zara", 13)
    with switchable(live_server) as served:
        context, page = started_on_a_tablet(browsing, served, invited.code, PHONE)
        kept_for_offline(page)
        # Online, the child reads in Arabic for a while: Arabic is kept on the tablet too.
        page.locator("button.language").click()
        page.locator("button[name=language][value=ar]").click()
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        page.wait_for_function("() => JSON.parse(sessionStorage.getItem('viewpoint-pack'))"
                               ".language === 'ar'", timeout=30_000)

        cut(context, served)
        choose(page, "safe_home", "sad")
        # Forward and back offline, in Arabic: the tablet's copies, the answer filled in.
        next_offline(page)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        assert page.locator("form[data-offline-copy]").count() == 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "copy-offline-ar-360x740.png"), full_page=True)
        page.locator("button[name=action][value=back]").click()
        page.wait_for_load_state("load")
        expect(page.locator("#q-safe_home-sad")).to_be_checked()
        page.locator("button.language").click()
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        # Only the languages on the tablet are offered (Polish was never downloaded), and
        # the page says why, in Arabic.
        expect(page.locator("[data-connection]")).to_be_visible()
        expect(page.locator("button[name=language][value=pl]")).to_be_hidden()
        offered = page.locator("button[name=language]:visible").evaluate_all(
            "(choices) => choices.map((c) => c.value).sort()")
        assert offered == ["ar", "en"]
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        assert_accessible(page, "the language page offline")
        page.screenshot(path=str(SHOTS / "language-offline-ar-360x740.png"), full_page=True)
        page.locator("button[name=language][value=en]").click()
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert current_key(page) == "safe_home"
        expect(page.locator("#q-safe_home-sad")).to_be_checked()
        assert_accessible(page, "a page kept for offline, shown offline")
        # Offline, the pages go on in the language chosen.
        next_offline(page)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.locator("button[name=action][value=back]").click()
        page.wait_for_load_state("load")
        assert current_key(page) == "safe_home"

        page.locator("form.talk-form button[type=submit]").click()
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", level=1)).to_have_text("We'll let them know")
        expect(page.locator(".lead")).to_contain_text("As soon as it is back online")
        page.get_by_role("link", name="Go back to my questions").click()
        page.wait_for_load_state("load")
        assert current_key(page) == "safe_home"
        expect(page.locator("#q-safe_home-sad")).to_be_checked()

        page.locator("form.stop-form button[type=submit]").click()
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your answers are kept on this tablet")
        assert page.evaluate("sessionStorage.length") == 0
        assert answers_in_database(live_server, invited) == {}

        restore(context, served)
        page.goto(served.url + "/")
        expect(page.locator("#code")).to_be_visible()
        eventually(page, f"() => ({OUTBOX})().then((records) => records.length === 0)", 30)
        assert answers_in_database(live_server, invited) == {"safe_home": ["sad"]}
        with live_server.database() as session:
            response = session.scalar(select(Response).where(
                Response.child_id == invited.child_id))
            assert response.submitted_at is None
            assert response.invitation.session_ended_why == "stopped"
            talk = session.scalar(select(func.count(Alert.id)).where(
                Alert.response_id == response.id, Alert.source == AlertSource.TALK_TO_SOMEONE))
            assert talk == 1


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_pages_said_offline_read_well_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    invited = live_server.invite("Lena", 9, language=language)
    context = browsing.context(TABLET)
    page = context.new_page()
    enter_code(page, live_server.url, invited.code)
    page.locator("form[action$='/start'] button[type=submit]").click()
    page.wait_for_load_state("load")
    first = current_key(page)
    for size, viewport in SIZES:
        page.set_viewport_size(viewport)
        for address in (f"/offline/page/{first}", "/offline/finish", "/offline/done/finish",
                        "/offline/done/stop", "/offline/done/talk", "/offline/done/waiting"):
            page.goto(live_server.url + address)
            page.wait_for_load_state("load")
            if address.startswith("/offline/page/"):
                # A copy opened in a tab that never downloaded it goes to "offline" itself.
                expect(page).to_have_url(live_server.url + "/offline/done/waiting")
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("html")).to_have_attribute(
                "dir", "rtl" if language == "ar" else "ltr")
            wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert wide <= 1, f"{address} at {size} scrolls sideways by {wide}px"
            assert_accessible(page, f"{address} in {language} at {size}")
            name = address.strip("/").replace("/", "-")
            page.screenshot(path=str(SHOTS / f"{name}-{language}-{size}.png"), full_page=True)


def test_two_tabs_on_one_code_offline_keep_the_newest_answer(
        live_server: LiveServer, browsing: Browsing) -> None:
    """One child, two tabs, the network gone: the answer given last wins, whichever tab's
    save reaches the server first once it is back, and it is stored once."""
    invited = live_server.invite("Tam", 13)
    with switchable(live_server) as served:
        context = browsing.context(TABLET, service_workers=True)
        first = context.new_page()
        enter_code(first, served.url, invited.code)
        first.locator("form[action$='/start'] button[type=submit]").click()
        first.wait_for_load_state("load")
        kept_for_offline(first)
        second = context.new_page()
        second.goto(served.url + "/questions/safe_home")
        second.wait_for_load_state("load")
        kept_for_offline(second)

        cut(context, served)
        choose(first, "safe_home", "sad")
        first.wait_for_timeout(50)
        choose(second, "safe_home", "happy")  # given later, in the other tab
        # The older answer's tab cannot reach the server until the newer one is stored.
        first.route("**/answers", lambda route: route.abort())
        restore(context, served)
        wait_saved(second, "safe_home")
        assert answers_in_database(live_server, invited) == {"safe_home": ["happy"]}
        first.unroute("**/answers")
        first.evaluate("window.dispatchEvent(new Event('online'))")
        expect(first.locator('[data-save-state="safe_home"]')).to_have_text("Saved",
                                                                            timeout=20_000)
        assert answers_in_database(live_server, invited) == {"safe_home": ["happy"]}


class CountsPages:
    """Counts the pages of questions the server is asked for."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.asked: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"].startswith("/questions/"):
            self.asked.append(environ["PATH_INFO"])
        return self.app(environ, start_response)


def test_online_the_page_moves_on_with_no_request_and_keeps_the_childs_place(
        live_server: LiveServer, browsing: Browsing) -> None:
    """Once the questionnaire is on the tablet, Next and Back need nothing from the server;
    answers given on another day fill the copies in; the server still learns where the
    child is, so that they carry on there next time."""
    invited = live_server.invite("Ines", 13)
    counting = CountsPages(live_server.app)
    with switchable(live_server, counting) as served:
        # Another day, another tablet (no offline copies): page 1 answered, then page 2.
        earlier = browsing.context(TABLET).new_page()
        enter_code(earlier, served.url, invited.code)
        earlier.locator("form[action$='/start'] button[type=submit]").click()
        earlier.wait_for_load_state("load")
        choose(earlier, "safe_home", "sad")
        wait_saved(earlier, "safe_home")
        earlier.get_by_role("button", name="Next", exact=True).click()
        earlier.wait_for_load_state("load")
        second_page = current_key(earlier)
        earlier.get_by_role("button", name="Stop for now").click()
        earlier.wait_for_load_state("load")

        context, page = started_on_a_tablet(browsing, served, invited.code, TABLET)
        assert current_key(page) == second_page, "carries on where they were"
        kept_for_offline(page)
        asked = len(counting.asked)

        page.get_by_role("button", name="Back", exact=True).click()
        page.wait_for_load_state("load")
        assert current_key(page) == "safe_home"
        # Answered on the other tablet: the copy shows it (from the server's answers).
        expect(page.locator("#q-safe_home-sad")).to_be_checked()
        page.get_by_role("button", name="Next", exact=True).click()
        page.wait_for_load_state("load")
        page.get_by_role("button", name="Next", exact=True).click()
        page.wait_for_load_state("load")
        third_page = current_key(page)
        assert third_page != second_page
        assert len(counting.asked) == asked, "moving between pages asked the server nothing"
        key = question_keys(page)[0]
        first_answer = page.locator(f'fieldset[data-question="{key}"] .answer input').first
        page.locator(f'label[for="{first_answer.get_attribute("id")}"]').click()
        wait_saved(page, key)
        with live_server.database() as session:
            response = session.scalar(select(Response).where(
                Response.child_id == invited.child_id))
            assert response.resume_at == third_page
        page.reload()
        assert current_key(page) == third_page
        assert len(counting.asked) == asked + 1, "a reload asks the server for the page"


def first_choice(page: Any, key: str) -> str:
    return page.locator(f'fieldset[data-question="{key}"] .answer input').first \
        .get_attribute("value")


class CountsSaves:
    """Counts the saves in each autosave request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/answers":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            self.requests.append(len(json.loads(body).get("saves", [None])))
        return self.app(environ, start_response)


def test_a_page_answered_at_a_childs_pace_is_saved_in_one_request(
        live_server: LiveServer, browsing: Browsing) -> None:
    """With the setting councils run (ANSWER_BATCH_MS, 3 s): answers a second apart wait
    together and go in one request, also across pages the page moves to itself; going to
    the last page sends what waits before it opens."""
    invited = live_server.invite("Remi", 13)
    counting = CountsSaves(live_server.app)
    live_server.app.config["ANSWER_BATCH_MS"] = 3000
    try:
        with switchable(live_server, counting) as served:
            context = browsing.context(TABLET, service_workers=True)
            page = context.new_page()
            enter_code(page, served.url, invited.code)
            page.locator("form[action$='/start'] button[type=submit]").click()
            page.wait_for_load_state("load")
            kept_for_offline(page)
            keys = question_keys(page)[:4]
            given = {key: first_choice(page, key) for key in keys}
            for key in keys[:3]:
                choose(page, key, given[key])
                page.wait_for_timeout(1000)
            wait_saved(page, keys[2])
            assert counting.requests == [3], counting.requests
            # Given, then straight on to the next page: it waits there for the answers given
            # on that page (none here), and goes on its own after the same pause, once.
            choose(page, keys[3], given[keys[3]])
            next_offline(page)
            assert counting.requests == [3], counting.requests
            page.wait_for_timeout(3500)
            assert counting.requests == [3, 1], counting.requests
            page.wait_for_timeout(1000)
            assert counting.requests == [3, 1], "nothing is sent twice"
            assert answers_in_database(live_server, invited) == {
                key: [value] for key, value in given.items()}
            # An answer, then straight to the last page (the server's): sent before it opens.
            chosen = ""
            while not page.url.endswith("/finish"):
                key = question_keys(page)[0]
                if page.locator(f'fieldset[data-question="{key}"]').get_attribute(
                        "data-type") != "free_text":
                    choose(page, key, first_choice(page, key))
                    chosen = key
                next_offline(page)
            stored = answers_in_database(live_server, invited)
            assert chosen and chosen in stored, (chosen, stored)
            sent_before = len(counting.requests)
            page.wait_for_timeout(3500)
            assert len(counting.requests) == sent_before, "nothing waited past the last page"
    finally:
        live_server.app.config["ANSWER_BATCH_MS"] = 300


def test_online_a_language_just_chosen_is_never_mixed_with_the_old_ones_copies(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Yusuf", 13)
    with switchable(live_server) as served:
        context, page = started_on_a_tablet(browsing, served, invited.code, TABLET)
        kept_for_offline(page)
        # Arabic chosen, and Next straight away, before Arabic's copies can be kept.
        context.route("**/offline/copies", lambda route: route.abort())
        page.locator("button.language").click()
        page.locator("button[name=language][value=ar]").click()
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        next_offline(page)
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        assert page.locator("form[data-offline-copy]").count() == 0, "the server's own page"


class FailsSaves:
    """The server has a problem saving answers (``POST /answers`` answers 503) while
    ``failing`` is set; everything else works."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.failing = False
        self.refused = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.failing and (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == (
                "POST", "/answers"):
            self.refused += 1
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"try again later"]
        return self.app(environ, start_response)


def _to_the_end_with_a_save_failing(page: Any, served: Switchable, failing: FailsSaves) -> str:
    """Online, on the last page of questions: the child answers while the server cannot
    save, and goes on to the last page; returns the question answered."""
    last = page.evaluate("JSON.parse(sessionStorage.getItem('viewpoint-pack')).pages.at(-1)")
    page.goto(served.url + last["url"])
    key = current_key(page)
    failing.failing = True
    fieldset = page.locator(f'fieldset[data-question="{key}"]')
    if fieldset.get_attribute("data-type") == "free_text":
        page.locator(f"#q-{key}").fill("said at the very end")
        page.locator(f"#q-{key}").dispatch_event("input")
    else:
        choose(page, key, fieldset.locator(f'input[name="q-{key}"]').first.get_attribute("value"))
    next_offline(page)
    expect(page).to_have_url(served.url + "/finish")
    assert failing.refused >= 1, "the save was never tried"
    return key


@pytest.mark.parametrize("server_back", [True, False], ids=["save-works-at-send",
                                                            "save-still-failing-at-send"])
def test_send_online_never_goes_without_an_answer_whose_save_failed(
        live_server: LiveServer, browsing: Browsing, server_back: bool) -> None:
    invited = live_server.invite("Noor", 9)
    failing = FailsSaves(live_server.app)
    with switchable(live_server, failing) as served:
        context, page = started_on_a_tablet(browsing, served, invited.code, TABLET)
        first = current_key(page)
        choose(page, first, "happy")
        wait_saved(page, first)
        kept_for_offline(page)
        last = _to_the_end_with_a_save_failing(page, served, failing)
        assert last not in answers_in_database(live_server, invited)
        failing.failing = not server_back
        page.locator('label[for="helped-nobody"]').click()
        page.get_by_role("button", name="Send my answers").click()
        if server_back:
            # Sent first, then the answers: the server's own thank-you page.
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Thank you! Your answers have been sent.")
        else:
            # Kept with the sending, sealed, and sent by the tablet as soon as it can.
            expect(page.get_by_role("heading", level=1)).to_have_text(KEPT_TITLE)
            expect(page.locator("[data-sent-note]")).to_have_text(ALL_SENT, timeout=20_000)
        stored = answers_in_database(live_server, invited)
        assert last in stored and len(stored[last]) == 1, stored
        assert stored[first] == ["happy"]
        with live_server.database() as session:
            response = session.scalar(select(Response).where(
                Response.child_id == invited.child_id))
            assert response.submitted_at is not None
            assert response.helped_by.value == "nobody"
        context.close()
