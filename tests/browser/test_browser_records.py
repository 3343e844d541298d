"""The records pages in a real browser, as their people see them, at a phone's, a tablet's
and a laptop's size, each checked with axe and for sideways scrolling (screenshots in
test-artifacts/records/):

- a child reads what happens to their answers, in their band's words and their language
  (English and Arabic, written right to left), and every sentence has its speaker button;
- the accessibility statement, from the child's start page;
- a manager adds a note beside an answer, produces everything held about the child as a
  PDF (read back as text) and opens the page to erase the record; an administrator sees the
  retention schedule, places a legal hold and lifts it; in English and Welsh.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import staffpages
from tests.browser.childpages import assert_accessible, enter_code
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_second_factor import password_step
from tests.factories import make_user
from tests.staff import give_password
from tests.views.test_reading import answered
from viewpoint.extensions import db
from viewpoint.models import Child, Role, Team

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "records"
SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", {"width": 1366, "height": 768}))


def _child_look(page: Page, name: str, language: str, size: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.screenshot(path=str(SHOTS / f"{name}-{language}-{size}.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert wide <= 1, f"{name} at {size}: the page scrolls sideways by {wide}px"
    assert_accessible(page, f"{name} in {language} at {size}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_child_reads_what_happens_to_their_answers_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES:
        invited = live_server.invite("Amira", 9, language=language)
        page = browsing.page(viewport)
        enter_code(page, live_server.url, invited.code)
        page.locator("main .about-links a").first.click()
        expect(page).to_have_url(re.compile(r"/privacy$"))
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar"
                                                       else "ltr")
        # The signed-in child's own band: the 8-11 words, each with its speaker button.
        paragraphs = page.locator("main p[id^=privacy-]")
        assert paragraphs.count() == 7
        for index in range(paragraphs.count()):
            paragraph_id = paragraphs.nth(index).get_attribute("id")
            expect(page.locator(f"button.speak[data-speak='{paragraph_id}']")).to_have_count(1)
        _child_look(page, "privacy-8-11", language, size)
        page.context.close()
    # Someone on the start page chooses an age first.
    page = browsing.page(TABLET)
    page.goto(live_server.url + "/privacy")
    expect(page.locator(".band-choice a")).to_have_count(4)
    page.locator(".band-choice a").first.click()
    expect(page.locator("#privacy-1")).to_contain_text("social worker")
    _child_look(page, "privacy-4-7", "en", "768x1024")
    page.goto(live_server.url + "/")
    page.locator("main .about-links a", has_text="Accessibility statement").click()
    expect(page.locator("h1")).to_have_text("Accessibility statement for viewpoint")
    _child_look(page, "accessibility-statement", "en", "768x1024")


def _seed(live_server: LiveServer) -> dict[str, object]:
    child = live_server.invite("Kasia", 14)
    with live_server.app.app_context(), db.writing() as session:
        team = session.get(Team, live_server.team_id)
        manager = make_user(session, Role.TEAM_MANAGER, team, name="Morgan Reed")
        admin = make_user(session, Role.ADMINISTRATOR, name="Robin Records")
        give_password(manager, session)
        give_password(admin, session)
        record = session.get(Child, child.child_id)
        response = answered(session, live_server.app, record, {
            "safe_home": "sad", "stay_here": "no",
            "stay_change": "I want to live with my aunt, away from Jayden."})
        return {"manager": manager.email, "admin": admin.email, "child": record.id,
                "reference": record.reference, "response": response.id}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_manager_and_an_administrator_keep_the_record_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str, tmp_path: Path) -> None:
    """Everything is done once, at a tablet's size; each page is then seen at the others."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    seeded = _seed(live_server)
    for size, viewport in sorted(SIZES, key=lambda sized: sized[0] != "768x1024"):
        done_here = size == "768x1024"
        page = browsing.page(viewport)
        password_step(page, live_server.url, str(seeded["manager"]), language)
        page.goto(f"{live_server.url}/casework/responses/{seeded['response']}")
        if done_here:
            details = page.locator("#q-stay_change details.add-note")
            details.locator("summary").click()
            details.locator("textarea").fill("Kasia said later that her aunt lives in Leeds.")
            details.locator("button[type=submit]").click()
        expect(page.locator("#q-stay_change .answer-note")).to_contain_text("Leeds")
        expect(page.locator("#q-stay_change .own-words")).to_contain_text("away from Jayden")
        staffpages.look(page, SHOTS, "response-with-note", language, size)
        page.locator("#q-stay_change").screenshot(
            path=str(SHOTS / f"answer-with-note-{language}-{size}.png"))
        page.goto(f"{live_server.url}/casework/children/{seeded['child']}/subject-access")
        staffpages.look(page, SHOTS, "subject-access", language, size)
        if done_here:
            page.fill("#redact_words", "Jayden")
            name, data = staffpages.download(page, page.locator("button[value=pdf]"), tmp_path)
            assert name.endswith(".pdf") and str(seeded["reference"]) in name
            (SHOTS / f"subject-access-{language}.pdf").write_bytes(data)
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3",
                            str(SHOTS / f"subject-access-{language}.pdf"),
                            str(SHOTS / f"subject-access-pdf-{language}")], check=True)
            text = staffpages.squeeze(subprocess.run(["pdftotext", "-", "-"], input=data,
                                                     capture_output=True, check=True)
                                      .stdout.decode())
            assert "away from [removed]" in text and "Jayden" not in text
            assert "Leeds" in text
        page.goto(f"{live_server.url}/casework/children/{seeded['child']}/erase")
        staffpages.look(page, SHOTS, "erase", language, size)
        page.context.close()

        page = browsing.page(viewport)
        password_step(page, live_server.url, str(seeded["admin"]), language)
        page.goto(f"{live_server.url}/admin/retention")
        if done_here:
            page.locator("details summary").first.click()
            page.fill("#reference", str(seeded["reference"]))
            page.fill("#reason", f"Complaint {size}")
            page.locator("form[action$='/admin/holds'] button[type=submit]").click()
            expect(page.locator("#holds")).to_contain_text(f"Complaint {size}")
        staffpages.look(page, SHOTS, "retention", language, size)
        if done_here:
            page.locator("#holds tr", has_text=f"Complaint {size}").locator("button").click()
            expect(page.locator("#holds")).to_have_count(0)
        page.goto(f"{live_server.url}/admin/retention/responses/child_in_need")
        staffpages.look(page, SHOTS, "retention-period", language, size)
        page.goto(f"{live_server.url}/admin/subject-access?reference={seeded['reference']}")
        staffpages.look(page, SHOTS, "admin-subject-access", language, size)
        page.context.close()
