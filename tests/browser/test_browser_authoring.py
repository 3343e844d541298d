"""A council writes its own questionnaire, in a real browser (screenshots in
test-artifacts/authoring/): an author adds an indicator, uploads a workbook with a
follow-up question and an alert rule, sees a mistake beside its question, reads the draft
in Urdu, publishes it; a child answers it and the worker is alerted; the indicator is on
the dashboards; the published version offers no way to change it. Every staff page at a
phone's, a tablet's and a laptop's size, in English and Welsh, checked with axe and for
sideways scrolling."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser import staffpages
from tests.browser.childpages import begin, choose, current_key, enter_code, wait_saved
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_second_factor import password_step
from tests.factories import make_user
from tests.staff import give_password
from tests.workbooks import BACK_HOME, write
from viewpoint import audio
from viewpoint.extensions import db
from viewpoint.models import Alert, PlanKind, Role
from viewpoint.operations.authoring import retire, versions_of

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "authoring"
SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", {"width": 1366, "height": 768}))
KEY = "back-home"
#: "How do you feel now you are back?" in Pashto, which no synthesiser speaks: children hear
#: it only if somebody records it.
PASHTO = "اوس چې بېرته راغلی یې، څنګه احساس کوې؟"
#: Notes each sound that really starts playing on the child's page.
HEARD = """
window.heard = [];
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  this.addEventListener("playing", () => window.heard.push(this.currentSrc), {once: true});
  return play.call(this);
};
"""


def _workbook(tmp_path: Path, indicator: str, *, broken: bool = False) -> Path:
    survey = [row[:] for row in BACK_HOME["survey"]]
    survey[1][7] = indicator
    if broken:
        survey[2][9] = None  # the talk request without its alert
    path = tmp_path / ("back-home-broken.xlsx" if broken else "back-home.xlsx")
    path.write_bytes(write({"survey": survey, "settings": BACK_HOME["settings"]}))
    return path


def _people(live_server: LiveServer) -> tuple[str, str]:
    with live_server.app.app_context(), db.writing() as session:
        author = make_user(session, Role.AUTHOR, name="Ash Quill")
        panel = make_user(session, Role.PANEL_MEMBER, name="Pat Panel")
        give_password(author, session)
        give_password(panel, session)
        return author.email, panel.email


def _withdraw(live_server: LiveServer, key: str = KEY) -> None:
    """Other tests' children are never offered the council's questionnaire."""
    with live_server.app.app_context(), db.writing() as session:
        for version in versions_of(session, key):
            if version.status.value == "published":
                retire(session, version, None)


def _upload(page: Page, base: str, path: Path) -> None:
    page.goto(base + "/authoring/")
    page.set_input_files("#workbook", str(path))
    page.locator("form[action$='/authoring/workbooks'] button[type=submit]").click()
    page.wait_for_load_state("load")


def _add_indicator(page: Page, key: str, label: str, theme: str) -> None:
    page.locator("details:has(form[action$='/authoring/indicators']) summary").click()
    page.fill("#key", key)
    page.fill("#label", label)
    page.select_option("#theme", theme)
    page.locator("form[action$='/authoring/indicators'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(label)


def _the_panel_is_offered(live_server: LiveServer, browsing: Browsing, panel: str,
                          indicator: str) -> None:
    """A Corporate Parenting Panel member's dashboards offer the indicator."""
    viewer = browsing.page(TABLET)
    password_step(viewer, live_server.url, panel, "en")
    viewer.goto(live_server.url + "/dashboards/")
    expect(viewer.locator("#indicator option", has_text=indicator)).to_have_count(1)


def _child_answers_sad_then_wants_to_talk(live_server: LiveServer, browsing: Browsing,
                                           key: str, first: str, name: str,
                                           **invitation: object) -> set[str]:
    """A child answers ``first`` with a sad face, is then asked want_talk and says yes;
    the keys of the questions that alerted their worker."""
    child = live_server.invite(name, 13, questionnaire_id=key, **invitation)
    young = browsing.page(TABLET)
    enter_code(young, live_server.url, child.code)
    begin(young)
    expect(young.locator("#question-want_talk")).to_be_hidden()
    choose(young, first, "sad")
    expect(young.locator("#question-want_talk")).to_be_visible()
    choose(young, "want_talk", "yes")
    wait_saved(young, "want_talk")
    with live_server.app.app_context():
        alerts = db.session.scalars(select(Alert).where(Alert.child_id == child.child_id))
        return {alert.question_key for alert in alerts}


def test_an_author_writes_a_questionnaire_a_child_answers_it_and_it_is_counted(
        live_server: LiveServer, browsing: Browsing, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    author, panel = _people(live_server)
    base = live_server.url
    try:
        page = browsing.page(TABLET)
        password_step(page, base, author, "en")
        expect(page).to_have_url(base + "/authoring/")
        _add_indicator(page, "safe_since_back", "Feel safe since they came back", "safety")

        _upload(page, base, _workbook(tmp_path, "safe_since_back", broken=True))
        expect(page.locator("#q-want_talk.has-error")).to_contain_text("must raise an alert")
        expect(page.locator("form[action$='/publish']")).to_have_count(0)
        staffpages.look(page, SHOTS, "draft-with-a-problem", "en", "768x1024")

        _upload(page, base, _workbook(tmp_path, "safe_since_back"))
        expect(page.locator("main")).to_contain_text("It passes every check")
        page.goto(f"{base}/authoring/questionnaires/{KEY}/v1/ages/12-17?language=ur")
        expect(page.locator(".child-words")).to_contain_text("واپس آ کر اب آپ کیسا")
        expect(page.locator("#q-want_talk .rules")).to_contain_text("feel_now")
        staffpages.look(page, SHOTS, "draft-in-urdu", "en", "768x1024")
        page.goto(f"{base}/authoring/questionnaires/{KEY}")
        page.locator("form[action$='/v1/publish'] button").click()
        expect(page.locator("main")).to_contain_text("Version 1 is published")
        # Published: nothing on the page changes it; its next change is a new draft.
        expect(page.locator("form[action$='/publish']")).to_have_count(0)
        expect(page.get_by_role("button", name="Start a new draft")).to_be_visible()

        alerted = _child_answers_sad_then_wants_to_talk(
            live_server, browsing, KEY, "feel_now", "Noor", plan_kind=PlanKind.CHILD_IN_NEED)
        assert alerted >= {"feel_now", "want_talk"}

        _the_panel_is_offered(live_server, browsing, panel, "Feel safe since they came back")
    finally:
        _withdraw(live_server)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_authoring_pages_read_well_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    author, _panel = _people(live_server)
    for size, viewport in SIZES:
        page = browsing.page(viewport)
        password_step(page, live_server.url, author, language)
        page.goto(live_server.url + "/authoring/")
        staffpages.look(page, SHOTS, "questionnaires", language, size)
        page.goto(live_server.url + "/authoring/questionnaires/before-cin-review")
        staffpages.look(page, SHOTS, "questionnaire", language, size)
        page.locator("main a[hreflang=ur]").click()
        expect(page.locator("ol.texts .words").first).to_have_attribute("dir", "rtl")
        staffpages.look(page, SHOTS, "words-in-urdu", language, size)
        page.goto(live_server.url + "/authoring/questionnaires/before-cin-review")
        page.locator("main a[href*='/ages/8-11']").click()
        page.locator("a[hreflang=ar]").click()
        # (Generous: the suite may share the machine with the deployment test's 100 children.)
        expect(page).to_have_url(re.compile(r"language=ar"), timeout=30_000)
        expect(page.locator(".child-words")).to_have_attribute("lang", "ar", timeout=30_000)
        staffpages.look(page, SHOTS, "preview-in-arabic", language, size)
        page.context.close()


def test_an_interpreter_translates_and_records_pashto_and_a_child_hears_it(
        live_server: LiveServer, browsing: Browsing, tmp_path: Path) -> None:
    """The words go down as a PO file and come back translated; a recording is made with
    the browser's microphone (Chromium's fake one plays a tone), heard back and saved; a
    child answering in Pashto hears that recording from the question's speaker button."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    key = "after-missing"
    author, _panel = _people(live_server)
    base = live_server.url
    settings = [row[:] for row in BACK_HOME["settings"]]
    settings[1][0] = key
    workbook = tmp_path / f"{key}.xlsx"
    workbook.write_bytes(write({"survey": BACK_HOME["survey"], "settings": settings}))
    try:
        page = browsing.page(TABLET)
        password_step(page, base, author, "en")
        _upload(page, base, workbook)
        page.locator("form[action$='/v1/publish'] button").click()
        expect(page.locator("main")).to_contain_text("Version 1 is published")
        page.locator("main a[hreflang=ps]").click()
        expect(page.locator("h1")).to_contain_text("Version 1 in")

        with page.expect_download() as download:
            page.get_by_role("link", name="Download the PO file").click()
        catalog = read_po(io.BytesIO(Path(download.value.path()).read_bytes()))
        for message in catalog:
            if message.id == "How do you feel now you are back?":
                message.string = PASHTO
        translated = tmp_path / "ps.po"
        with translated.open("wb") as out:
            write_po(out, catalog)
        page.set_input_files("#po_file", str(translated))
        page.get_by_role("button", name="Upload the translations").click()
        expect(page.locator(".notice")).to_contain_text("1 translation is saved as a draft")

        text = page.locator("ol.texts > li", has_text=PASHTO)
        expect(text.locator(".file-fallback")).to_be_hidden()  # the script's recorder instead
        text.get_by_role("button", name="Record").click()
        expect(text.locator(".record-status")).to_contain_text("Recording")
        page.wait_for_timeout(1500)
        text.get_by_role("button", name="Stop").click()
        expect(text.locator(".record-controls audio")).to_be_visible()
        staffpages.look(page, SHOTS, "recording-pashto", "en", "768x1024")
        text.get_by_role("button", name="Save recording").click()
        expect(text.locator(".record-status")).to_contain_text("The recording is saved")
        expect(text.locator(".recorded")).to_be_visible()

        folder = audio.audio_dir(live_server.app) / "recorded" / "ps"
        saved = folder / f"{audio.digest('ps', PASHTO)}.webm"
        assert saved.exists() and saved.stat().st_size > 1000
        assert saved.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"

        child = live_server.invite("Zarmina", 13, plan_kind=PlanKind.CHILD_IN_NEED,
                                   questionnaire_id=key, language="ps")
        young = browsing.page(TABLET, init_script=HEARD)
        enter_code(young, base, child.code)
        begin(young)
        assert current_key(young) == "feel_now"
        speaker = young.locator('button.speak[data-speak="text-feel_now"]')
        expect(speaker).to_have_attribute("data-audio", f"/audio/recorded/ps/{saved.name}")
        speaker.click()
        young.wait_for_function("() => window.heard.length > 0")
        assert young.evaluate("window.heard")[0].endswith(f"/audio/recorded/ps/{saved.name}")
    finally:
        _withdraw(live_server, key)


def test_an_author_builds_a_questionnaire_on_the_page_and_a_child_answers_it(
        live_server: LiveServer, browsing: Browsing) -> None:
    """Question by question in the editor: a first question counted towards a new
    indicator, a follow-up asked only after a sad face, and an alert on it; the missing
    alert shown beside its question stops publishing until it is put right; the child sees
    the follow-up only after a sad face, the worker is alerted and the panel's dashboards
    offer the new indicator."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    key = "after-a-move"
    author, panel = _people(live_server)
    base = live_server.url
    try:
        page = browsing.page(TABLET)
        password_step(page, base, author, "en")
        _add_indicator(page, "settled_after_move", "Feel settled after a move", "home")
        page.get_by_role("link", name="Write a new questionnaire").click()
        page.fill("#key", key)
        page.fill("#title", "Since you moved")
        page.fill("#staff_title", "After a change of placement")
        page.check("input[name=plan_kinds][value=care_plan]")
        page.uncheck("input[name=bands][value='8-11']")
        page.get_by_role("button", name="Start the questionnaire").click()
        expect(page.locator("h1")).to_contain_text("A new question")

        page.fill("#key", "settled")
        page.select_option("#type", "faces")
        page.fill("#text", "How settled do you feel in your new home?")
        page.fill("#staff_text", "Feels settled after the move")
        page.select_option("#indicator", "settled_after_move")
        page.fill("#positive", "happy, okay")
        page.get_by_role("button", name="Save the question").click()
        expect(page.locator(".notice")).to_contain_text("The question is saved")

        page.get_by_role("link", name="Add a question").click()
        page.fill("#key", "want_talk")
        page.select_option("#type", "yes_no")
        page.fill("#text", "Would you like someone to talk with you about the move?")
        page.fill("#staff_text", "Wants to talk about the move")
        page.select_option("#show_if_question", "settled")
        page.fill("#show_if_answers", "sad")
        page.check("#talk_request")
        staffpages.look(page, SHOTS, "editing-a-question", "en", "768x1024")
        page.get_by_role("button", name="Save the question").click()
        expect(page.locator("#q-want_talk.has-error")).to_contain_text("must raise an alert")
        expect(page.locator("form[action$='/publish']")).to_have_count(0)

        page.locator("#q-want_talk a", has_text="Change").click()
        page.fill("#alert_answers", "yes")
        page.fill("#alert_summary", "Asked to talk about the move")
        page.get_by_role("button", name="Save the question").click()
        expect(page.locator("main")).to_contain_text("It passes every check")
        page.locator("main a[href*='/ages/12-17']").click()
        page.locator("a[hreflang=ur]").click()
        expect(page.locator(".child-words")).to_have_attribute("lang", "ur")
        expect(page.locator("#q-want_talk .rules")).to_contain_text("settled")
        # Tried on the child's own page, in Urdu: the follow-up opens after a sad face.
        page.locator("main a[href*='/screens/1']").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#question-want_talk")).to_be_hidden()
        # The author's words have no Urdu yet: the child reads them as English, left to right.
        expect(page.locator("#text-settled")).to_have_attribute("dir", "ltr")
        for size, viewport in SIZES:
            page.set_viewport_size(viewport)
            staffpages.look(page, SHOTS, "as-a-child", "ur", size)
        page.set_viewport_size(TABLET)
        choose(page, "settled", "sad")
        expect(page.locator("#question-want_talk")).to_be_visible()
        staffpages.look(page, SHOTS, "as-a-child-follow-up", "ur", "768x1024")
        page.locator("a.next").click()
        expect(page.locator(".child-words")).to_have_attribute("lang", "ur")
        page.goto(f"{base}/authoring/questionnaires/{key}")
        page.locator("form[action$='/v1/publish'] button").click()
        expect(page.locator("main")).to_contain_text("Version 1 is published")
        expect(page.locator(f"a[href*='/{key}/v1/questions/']")).to_have_count(0)

        alerted = _child_answers_sad_then_wants_to_talk(live_server, browsing, key,
                                                        "settled", "Kai")
        assert "want_talk" in alerted
        _the_panel_is_offered(live_server, browsing, panel, "Feel settled after a move")
    finally:
        _withdraw(live_server, key)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_editor_reads_well_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    """A questionnaire started on the page, its first question and its settings, in each
    staff language at each size (nothing published, so no child is offered it)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    author, _panel = _people(live_server)
    key = f"looks-{language}"
    page = browsing.page(TABLET)
    password_step(page, live_server.url, author, language)

    def look_at_every_size(name: str) -> None:
        for size, viewport in SIZES:
            page.set_viewport_size(viewport)
            staffpages.look(page, SHOTS, name, language, size)
        page.set_viewport_size(TABLET)

    page.goto(live_server.url + "/authoring/new")
    look_at_every_size("new-questionnaire")
    page.fill("#key", key)
    page.fill("#title", "How things are going")
    page.fill("#staff_title", "A check-in")
    page.check("input[name=plan_kinds][value=care_plan]")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/questions/new$"))
    look_at_every_size("a-new-question")
    page.fill("#key", "feel_now")
    page.select_option("#type", "scale")
    page.fill("#text", "How are things at home, from 0 to 10?")
    page.fill("#staff_text", "How things are at home")
    page.fill("#scale_min", "0")
    page.fill("#scale_max", "10")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("#q-feel_now")).to_be_visible()
    look_at_every_size("a-draft")
    page.locator("main a[href$='/settings']").click()
    expect(page.locator("#title")).to_have_value("How things are going")
    look_at_every_size("settings")
