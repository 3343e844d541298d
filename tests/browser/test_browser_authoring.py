"""A council writes its own questionnaire, in a real browser (screenshots in
test-artifacts/authoring/): an author adds an indicator, uploads a workbook with a
follow-up question and an alert rule, sees a mistake beside its question, reads the draft
in Urdu, publishes it; a child answers it and the worker is alerted; the indicator is on
the dashboards; the published version offers no way to change it. Every staff page at a
phone's, a tablet's and a laptop's size, in English and Welsh, checked with axe and for
sideways scrolling."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser import staffpages
from tests.browser.childpages import begin, choose, enter_code, wait_saved
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_second_factor import password_step
from tests.factories import make_user
from tests.staff import give_password
from tests.workbooks import BACK_HOME, write
from viewpoint.extensions import db
from viewpoint.models import Alert, PlanKind, Role
from viewpoint.operations.authoring import retire, versions_of

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "authoring"
SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", {"width": 1366, "height": 768}))
KEY = "back-home"


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


def _withdraw(live_server: LiveServer) -> None:
    """Other tests' children are never offered the council's questionnaire."""
    with live_server.app.app_context(), db.writing() as session:
        for version in versions_of(session, KEY):
            if version.status.value == "published":
                retire(session, version, None)


def _upload(page: Page, base: str, path: Path) -> None:
    page.goto(base + "/authoring/")
    page.set_input_files("#workbook", str(path))
    page.locator("form[action$='/authoring/workbooks'] button[type=submit]").click()
    page.wait_for_load_state("load")


def test_an_author_writes_a_questionnaire_a_child_answers_it_and_it_is_counted(
        live_server: LiveServer, browsing: Browsing, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    author, panel = _people(live_server)
    base = live_server.url
    try:
        page = browsing.page(TABLET)
        password_step(page, base, author, "en")
        expect(page).to_have_url(base + "/authoring/")
        page.locator("details:has(form[action$='/authoring/indicators']) summary").click()
        page.fill("#key", "safe_since_back")
        page.fill("#label", "Feel safe since they came back")
        page.select_option("#theme", "safety")
        page.locator("form[action$='/authoring/indicators'] button[type=submit]").click()
        expect(page.locator("main")).to_contain_text("Feel safe since they came back")

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

        child = live_server.invite("Noor", 13, plan_kind=PlanKind.CHILD_IN_NEED,
                                   questionnaire_id=KEY)
        young = browsing.page(TABLET)
        enter_code(young, base, child.code)
        begin(young)
        expect(young.locator("#question-want_talk")).to_be_hidden()
        choose(young, "feel_now", "sad")
        expect(young.locator("#question-want_talk")).to_be_visible()
        choose(young, "want_talk", "yes")
        wait_saved(young, "want_talk")
        with live_server.app.app_context():
            alerts = db.session.scalars(select(Alert).where(Alert.child_id == child.child_id))
            assert {alert.question_key for alert in alerts} >= {"feel_now", "want_talk"}

        viewer = browsing.page(TABLET)
        password_step(viewer, base, panel, "en")
        viewer.goto(base + "/dashboards/")
        expect(viewer.locator("#indicator option", has_text="Feel safe since they came back")
               ).to_have_count(1)
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
        page.locator("main a[href*='/ages/8-11']").click()
        page.locator("a[hreflang=ar]").click()
        expect(page.locator(".child-words")).to_have_attribute("lang", "ar")
        staffpages.look(page, SHOTS, "preview-in-arabic", language, size)
        page.context.close()
