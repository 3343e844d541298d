"""No answer is ever lost: not when the Wi-Fi drops, not when the page reloads, not on
another tablet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.childpages import (
    assert_accessible,
    begin,
    choose,
    current_key,
    enter_code,
    go_next,
    press,
    save_state,
    wait_saved,
)
from tests.browser.harness import PHONE, TABLET, Browsing, Invited, LiveServer
from viewpoint.models import Alert, Answer, Response

pytestmark = pytest.mark.slow

KEPT = "Kept on this tablet. It will be saved when you are back online."
OFFLINE = ("You are offline. Your answers are kept on this tablet and will be saved when you "
           "are back online.")
BACK_ONLINE = "You are back online. Your answers are saved."
HOLD = "Please wait until you are back online, then tap again. Your answers are kept."


def answers_in_database(live_server: LiveServer, invited: Invited) -> dict[str, list[Any]]:
    """question key -> every stored value for it (so a doubled answer would show twice)."""
    with live_server.database() as session:
        rows = session.execute(select(Answer.question_key, Answer.value, Answer.declined)
                               .join(Response).where(Response.child_id == invited.child_id)
                               .order_by(Answer.id)).all()
        count = session.scalar(select(func.count(Answer.id)).join(Response)
                               .where(Response.child_id == invited.child_id))
    assert count == len(rows)
    stored: dict[str, list[Any]] = {}
    for key, value, declined in rows:
        stored.setdefault(key, []).append("declined" if declined else value["v"])
    return stored


def test_answers_given_while_the_network_is_down_are_saved_once_it_is_back(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Kai", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, invited.code)
    begin(page)
    choose(page, "safe_home", "happy", tap=True)
    wait_saved(page, "safe_home")

    context.set_offline(True)
    connection = page.locator("[data-connection]")
    expect(connection).to_have_text(OFFLINE)
    choose(page, "safe_home", "okay", tap=True)  # changed its mind
    choose(page, "settled_home", "sad", tap=True)
    choose(page, "carers_care", "not_sure", tap=True)
    choose(page, "carers_care", "yes", tap=True)  # and again
    for key in ("safe_home", "settled_home", "carers_care"):
        expect(save_state(page, key)).to_have_text(KEPT)
    expect(connection).to_be_visible()
    expect(connection).to_have_text(OFFLINE)
    # Next while offline keeps the child on the page with their answers, and says why.
    press(page, "Next", tap=True)
    expect(connection).to_have_text(HOLD)
    assert current_key(page) == "safe_home"
    assert answers_in_database(live_server, invited) == {"safe_home": ["happy"]}, \
        "nothing can reach the server while offline"

    context.set_offline(False)
    for key in ("safe_home", "settled_home", "carers_care"):
        wait_saved(page, key)
    expect(connection).to_have_text(BACK_ONLINE)
    latest = {"safe_home": ["okay"], "settled_home": ["sad"], "carers_care": ["yes"]}
    assert answers_in_database(live_server, invited) == latest

    go_next(page, tap=True)
    assert answers_in_database(live_server, invited) == latest, \
        "sending the page must not double or undo what was saved"


def test_a_child_carries_on_where_they_were_after_a_reload_and_on_another_tablet(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Noor", 9)
    page = browsing.page()
    enter_code(page, live_server.url, invited.code)
    begin(page, tap=True)
    choose(page, "safe_home", "happy", tap=True)
    wait_saved(page, "safe_home")
    go_next(page, tap=True)
    choose(page, "settled_home", "okay", tap=True)
    wait_saved(page, "settled_home")
    go_next(page, tap=True)
    assert current_key(page) == "hurting_me"
    choose(page, "hurting_me", "no", tap=True)
    wait_saved(page, "hurting_me")  # saved, but Next not pressed

    page.reload()
    assert current_key(page) == "hurting_me"
    expect(page.locator("#q-hurting_me-no")).to_be_checked()

    other = browsing.page()
    enter_code(other, live_server.url, invited.code.replace("-", ""))
    expect(other.locator("form[action$='/start'] button[type=submit]")).to_have_text("Carry on")
    begin(other, tap=True)
    expect(other).to_have_url(re.compile(r"/questions/hurting_me$"))
    expect(other.locator("#q-hurting_me-no")).to_be_checked()
    press(other, "Back", tap=True)
    expect(other).to_have_url(re.compile(r"/questions/settled_home$"))
    expect(other.locator("#q-settled_home-okay")).to_be_checked()
    press(other, "Back", tap=True)
    expect(other.locator("#q-safe_home-happy")).to_be_checked()
    # The first tablet was closed when the code was typed on the other one: it says so, and
    # an answer changed on it is not sent into the session that moved on.
    choose(page, "hurting_me", "yes", tap=True)
    expect(page.get_by_text("Your code was typed on another tablet or phone")).to_be_visible()
    assert answers_in_database(live_server, invited) == {
        "safe_home": ["happy"], "settled_home": ["okay"], "hurting_me": ["no"]}


def test_answers_waiting_together_go_in_one_request_once_the_network_is_back(
        live_server: LiveServer, browsing: Browsing) -> None:
    invited = live_server.invite("Noor", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, invited.code)
    begin(page)
    sent: list[Any] = []
    page.on("request", lambda request: sent.append(request)
            if request.url.endswith("/answers") else None)
    context.set_offline(True)
    choose(page, "safe_home", "okay", tap=True)
    choose(page, "settled_home", "happy", tap=True)
    choose(page, "carers_care", "yes", tap=True)
    for key in ("safe_home", "settled_home", "carers_care"):
        expect(save_state(page, key)).to_have_text(KEPT)
    context.set_offline(False)
    for key in ("safe_home", "settled_home", "carers_care"):
        wait_saved(page, key)
    bodies = [request.post_data_json for request in sent if request.failure is None]
    assert len(bodies) == 1, f"{len(bodies)} requests for three waiting answers"
    assert sorted(save["question"] for save in bodies[0]["saves"]) == [
        "carers_care", "safe_home", "settled_home"]
    # Each says how long it waited on the tablet, by the tablet's own clock.
    assert all(isinstance(save["waited"], int) and save["waited"] >= 0
               for save in bodies[0]["saves"])
    assert answers_in_database(live_server, invited) == {
        "safe_home": ["okay"], "settled_home": ["happy"], "carers_care": ["yes"]}


def test_an_older_save_arriving_after_the_newer_answer_never_brings_it_back(
        live_server: LiveServer, browsing: Browsing) -> None:
    """The child picks one face, then another and sends the page; the first save, lost on
    a slow connection, arrives at the server after all (a network or proxy retry)."""
    invited = live_server.invite("Remi", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, invited.code)
    begin(page)
    held: list[Any] = []

    def lose_the_first(route: Any) -> None:
        if not held:
            held.append((route.request.post_data, route.request.headers))
            route.abort()
        else:
            route.continue_()

    context.route("**/answers", lose_the_first)
    choose(page, "safe_home", "sad", tap=True)
    for _ in range(50):  # the save goes after the tap
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first save should have been sent"
    choose(page, "safe_home", "happy", tap=True)
    go_next(page, tap=True)
    context.unroute("**/answers")
    body, headers = held[0]
    late = page.request.post(live_server.url + "/answers", data=body, headers={
        "Content-Type": "application/json", "X-CSRFToken": headers["x-csrftoken"]})
    assert late.ok, late.text()
    assert [r["status"] for r in late.json()["results"]] == ["superseded"]
    assert answers_in_database(live_server, invited)["safe_home"] == ["happy"]
    with live_server.database() as session:
        assert session.scalar(select(func.count(Alert.id)).where(
            Alert.child_id == invited.child_id)) == 0, "the older, worrying answer raised an alert"


WAITING_RECORDS = """() => new Promise((resolve) => {
  const opening = indexedDB.open("viewpoint");
  opening.onupgradeneeded = () => opening.result.createObjectStore("waiting", {keyPath: "id"})
    .createIndex("owner", "owner");
  opening.onsuccess = () => {
    const all = opening.result.transaction("waiting").objectStore("waiting").getAll();
    all.onsuccess = () => resolve(all.result.map((r) => ({
      id: r.id, owner: r.owner, fields: Object.keys(r).sort(),
      bytes: Array.from(new Uint8Array(r.data)).map((b) => String.fromCharCode(b)).join("")})));
  };
})"""


def test_answers_waiting_when_the_tab_is_closed_are_sent_when_the_code_is_typed_again(
        live_server: LiveServer, browsing: Browsing) -> None:
    """The server cannot be reached; the child answers, and the tab is closed (or the
    battery dies). What waits on the tablet cannot be read without the code, another child
    on the same tablet never sends it, and it is saved once the first child types their
    code again."""
    first = live_server.invite("Ola", 13)
    second = live_server.invite("Pip", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, first.code)
    begin(page)
    context.route("**/answers", lambda route: route.abort())  # the server out of reach
    choose(page, "safe_home", "sad", tap=True)
    choose(page, "settled_home", "okay", tap=True)
    choose(page, "carers_care", "not_sure", tap=True)
    for key in ("safe_home", "settled_home", "carers_care"):
        expect(save_state(page, key)).to_have_text(KEPT, timeout=15_000)
    records = page.evaluate(WAITING_RECORDS)
    assert len(records) == 3, records
    for record in records:
        # Nothing readable: no question, answer or words, only the owner's name and bytes.
        assert record["fields"] == ["data", "id", "iv", "owner"]
        for clear in ("safe_home", "sad", "okay", "not_sure", first.code.replace("-", "")):
            assert clear not in record["bytes"] and clear not in record["id"]
    page.close()
    context.unroute("**/answers")
    assert answers_in_database(live_server, first) == {}

    # Another child on the same tablet (the first child's session has ended) answers, and
    # sends nothing of the first child's.
    context.clear_cookies()
    other = context.new_page()
    enter_code(other, live_server.url, second.code)
    begin(other)
    choose(other, "safe_home", "happy", tap=True)
    wait_saved(other, "safe_home")
    other.wait_for_timeout(1500)
    assert answers_in_database(live_server, second) == {"safe_home": ["happy"]}
    assert answers_in_database(live_server, first) == {}
    assert len(other.evaluate(WAITING_RECORDS)) == 3, "the first child's answers still wait"
    other.close()

    # The first child comes back and types their code: everything waiting is saved, once.
    context.clear_cookies()
    back = context.new_page()
    enter_code(back, live_server.url, first.code)
    begin(back)
    for _ in range(100):
        if len(answers_in_database(live_server, first)) == 3:
            break
        back.wait_for_timeout(100)
    assert answers_in_database(live_server, first) == {
        "safe_home": ["sad"], "settled_home": ["okay"], "carers_care": ["not_sure"]}
    for _ in range(50):
        if not back.evaluate(WAITING_RECORDS):
            break
        back.wait_for_timeout(100)
    assert back.evaluate(WAITING_RECORDS) == [], "saved answers are removed from the tablet"
    with live_server.database() as session:
        assert session.scalar(select(func.count(Alert.id)).where(
            Alert.child_id == first.child_id)) >= 1, "the worrying answer raised its alert"


def test_stop_for_now_keeps_what_could_not_be_sent_and_says_so(
        live_server: LiveServer, browsing: Browsing) -> None:
    """The server is out of reach; the child answers, then presses "Stop for now". The
    tablet is cleared except the answers still waiting (encrypted), the page says how many,
    and they are sent when the child types their code again."""
    invited = live_server.invite("Quin", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, invited.code)
    begin(page)
    context.route("**/answers", lambda route: route.abort())
    choose(page, "safe_home", "okay", tap=True)
    choose(page, "settled_home", "happy", tap=True)
    for key in ("safe_home", "settled_home"):
        expect(save_state(page, key)).to_have_text(KEPT, timeout=15_000)
    press(page, "Stop for now")
    expect(page.locator("h1")).to_have_text("Some answers are still on this tablet")
    expect(page.locator("main .lead")).to_contain_text("2 answers couldn't be sent yet")
    assert page.evaluate("sessionStorage.length") == 0, "the tab keeps nothing in clear"
    assert len(page.evaluate(WAITING_RECORDS)) == 2
    context.unroute("**/answers")
    assert answers_in_database(live_server, invited) == {}

    enter_code(page, live_server.url, invited.code)
    begin(page)
    for _ in range(100):
        if len(answers_in_database(live_server, invited)) == 2:
            break
        page.wait_for_timeout(100)
    assert answers_in_database(live_server, invited) == {
        "safe_home": ["okay"], "settled_home": ["happy"]}


def test_stop_for_now_with_nothing_waiting_clears_the_tab_but_not_another_childs_answers(
        live_server: LiveServer, browsing: Browsing) -> None:
    """The next child stops with everything saved: their tab keeps nothing, and the answers
    the child before left waiting on the tablet (sealed with that child's code) are still
    there for them: clearing the site's storage would have destroyed them."""
    first = live_server.invite("Noor", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, first.code)
    begin(page)
    context.route("**/answers", lambda route: route.abort())
    choose(page, "safe_home", "sad", tap=True)
    expect(save_state(page, "safe_home")).to_have_text(KEPT, timeout=15_000)
    press(page, "Stop for now")
    expect(page.locator("h1")).to_have_text("Some answers are still on this tablet")
    context.unroute("**/answers")
    assert len(page.evaluate(WAITING_RECORDS)) == 1

    second = live_server.invite("Rae", 13)
    enter_code(page, live_server.url, second.code)
    begin(page)
    choose(page, "safe_home", "okay", tap=True)
    wait_saved(page, "safe_home")
    with page.expect_response("**/stop") as stopping:
        press(page, "Stop for now")
    assert stopping.value.all_headers().get("clear-site-data") == '"cache"'
    expect(page.locator("h1")).to_have_text("Your answers are saved")
    assert page.evaluate("sessionStorage.length") == 0, "the tab keeps nothing in clear"
    assert len(page.evaluate(WAITING_RECORDS)) == 1, "the first child's answer still waits"
    assert answers_in_database(live_server, second) == {"safe_home": ["okay"]}

    enter_code(page, live_server.url, first.code)
    begin(page)
    for _ in range(100):
        if answers_in_database(live_server, first):
            break
        page.wait_for_timeout(100)
    assert answers_in_database(live_server, first) == {"safe_home": ["sad"]}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_page_saying_answers_still_wait_reads_well_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    shots = Path(__file__).resolve().parents[2] / "test-artifacts" / "keeping"
    shots.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("360x740", PHONE), ("768x1024", TABLET),
                           ("1366x768", {"width": 1366, "height": 768})):
        invited = live_server.invite("Sami", 13, language=language)
        page = browsing.page(viewport)
        enter_code(page, live_server.url, invited.code)
        begin(page)
        page.context.route("**/answers", lambda route: route.abort())
        choose(page, "safe_home", "okay", tap=True)
        expect(page.locator('[data-save-state="safe_home"]')).not_to_have_text("")
        page.wait_for_timeout(300)
        page.locator("form.stop-form button[type=submit]").click()
        page.wait_for_load_state("load")
        expect(page.locator("[data-clear-tab]")).to_be_attached()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wide <= 1, f"{size}: the page scrolls sideways by {wide}px"
        assert_accessible(page, f"the page saying answers still wait, in {language}")
        page.screenshot(path=str(shots / f"stopped-waiting-{language}-{size}.png"),
                        full_page=True)
        page.context.close()


def test_a_worker_signing_out_on_the_tablet_leaves_a_childs_waiting_answers(
        live_server: LiveServer, browsing: Browsing) -> None:
    """The server cannot be reached while a child answers; then their worker signs in and
    out on the same tablet (to issue another code, say). Signing out clears the browser's
    cache, never its storage: the child's answers still wait there, and are saved when the
    child types their code again."""
    from tests.browser.staffpages import sign_in, worker_email

    child = live_server.invite("Ola", 13)
    context = browsing.context()
    page = context.new_page()
    enter_code(page, live_server.url, child.code)
    begin(page)
    context.route("**/answers", lambda route: route.abort())
    choose(page, "safe_home", "sad", tap=True)
    expect(save_state(page, "safe_home")).to_have_text(KEPT, timeout=15_000)
    assert len(page.evaluate(WAITING_RECORDS)) == 1
    page.close()
    context.unroute("**/answers")
    context.clear_cookies()

    staff = context.new_page()
    sign_in(staff, live_server.url, worker_email(live_server))
    with staff.expect_navigation():
        staff.locator("form[action$='/signout'] button").click()
    assert len(staff.evaluate(WAITING_RECORDS)) == 1, "signing out destroyed a child's answer"
    staff.close()

    back = context.new_page()
    enter_code(back, live_server.url, child.code)
    begin(back)
    for _ in range(100):
        if answers_in_database(live_server, child):
            break
        back.wait_for_timeout(100)
    assert answers_in_database(live_server, child) == {"safe_home": ["sad"]}
