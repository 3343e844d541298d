"""The panel's dashboards in a real browser: charts drawn from the vendored plotly bundle
under the strict security policy, filters, the group comparison, CSV downloads, printing,
the Children in Care Council's view, and axe-core on every page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.childpages import assert_accessible
from tests.browser.harness import LAPTOP, PHONE, TABLET, Browsing, serving
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.demo import DEMO_DOMAIN, DemoBuilder
from viewpoint.periods import quarter_of

pytestmark = pytest.mark.slow

TODAY = "2026-11-21"


@pytest.fixture(scope="module")
def council_app(
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """A demo council of about 1,500 responses on its own live server; (app, base URL,
    passwords)."""
    directory = tmp_path_factory.mktemp("dashboards")
    url = f"sqlite:///{directory / 'viewpoint.sqlite3'}"
    migrate(url)
    app = create_app(make_config(url, directory / "instance", WTF_CSRF_ENABLED=True))
    result = app.test_cli_runner().invoke(args=["demo", "--today", TODAY, "--responses", "1500"],
                                          catch_exceptions=False)
    assert result.exit_code == 0, result.output
    builder = DemoBuilder(app.extensions["viewpoint.questionnaires"], responses=0, seed=2026,
                          today=date.fromisoformat(TODAY), languages=("en",))
    passwords = {email: password for email, _role, password in builder.sign_ins()}
    with serving(app) as base:
        yield app, base, passwords
    app.extensions["viewpoint.engine"].dispose()


@pytest.fixture(scope="module")
def council(council_app) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    _app, base, passwords = council_app
    return base, passwords


def sign_in(page: Page, base: str, passwords: dict[str, str], who: str) -> None:
    email = f"{who}@{DEMO_DOMAIN}"
    page.goto(base + "/staff/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(passwords[email])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def charts_drawn(page: Page, count: int) -> None:
    expect(page.locator("[data-drawn=true]")).to_have_count(count)
    # plotly drew real bars or lines into each chart, not an empty frame.
    assert page.locator(".plot .main-svg").count() >= count


def test_the_panel_lands_on_the_dashboard_and_every_chart_is_drawn(
        council, browsing: Browsing, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "panel")
    expect(page).to_have_url(base + "/dashboards/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("What children tell us")
    charts_drawn(page, 4)  # headline, trend, breakdown, coverage
    # Each chart has a summary sentence and its table.
    assert page.locator(".chart-summary").count() >= 4
    expect(page.locator("table.figures").first).to_be_visible()
    assert_accessible(page, "the dashboard")

    # Compare children's homes with everyone else, for children in care.
    page.get_by_label("Plans", exact=True).select_option("in_care")
    page.get_by_label("Compare one group with everyone else").select_option(
        "placement:residential")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("load")
    assert "group=placement%3Aresidential" in page.url and "plans=in_care" in page.url
    expect(page.get_by_role("heading", name="One group against everyone else")).to_be_visible()
    charts_drawn(page, 5)
    expect(page.locator("#group-summary")).to_contain_text("Children's home")
    assert_accessible(page, "the dashboard with a group compared")

    # The group's table downloads as CSV, withheld figures marked [c].
    with page.expect_download() as waiting:
        page.locator("#group-summary").locator("..").get_by_role(
            "link", name="Download this table (CSV)").click()
    saved = tmp_path / "group.csv"
    waiting.value.save_as(saved)
    text = saved.read_text()
    assert text.splitlines()[0].startswith("Measure,Children's home: share (%)")
    lines = text.splitlines()
    assert lines.index("") == 17  # the header and every measure, then the notes
    assert lines[18] == "Notes" and any(line.startswith("[c],") for line in lines[19:])

    # Printed: no filters or download links, every section still there.
    page.emulate_media(media="print")
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.locator(".download").first).to_be_hidden()
    expect(page.locator("#coverage-heading")).to_be_visible()


def test_a_bad_filter_in_the_address_is_explained_not_an_error(council, browsing) -> None:  # type: ignore[no-untyped-def]
    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "manager1")
    page.goto(base + "/dashboards/?period=1999-00&plans=everyone&by=shoe-size")
    expect(page.locator(".notice")).to_contain_text("There are no figures for that period")
    expect(page.locator(".notice")).to_contain_text("That choice of plans is not on offer")
    charts_drawn(page, 4)


SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens" / "dashboards"
SIZES = {"laptop-1366x768": {"width": 1366, "height": 768}, "tablet-768x1024": TABLET,
         "phone-360x740": PHONE}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_dashboards_are_kept_as_screenshots_and_fit(council, browsing, language: str) -> None:  # type: ignore[no-untyped-def]
    """Each dashboard page at the sizes people use, in English and Welsh (staff pages come in
    no right-to-left language), saved in test-artifacts/screens/dashboards for people to
    look at; no page scrolls sideways."""
    base, passwords = council
    this_quarter = quarter_of(date.today()).key
    pages = {"dashboard": "/dashboards/?group=placement:residential",
             "running-quarter": f"/dashboards/?period={this_quarter}",
             "one-kind-of-plan": "/dashboards/?plans=child_in_need&by=ethnicity_group",
             "council": "/dashboards/council", "method": "/dashboards/method"}
    SCREENS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page = browsing.page(viewport)
        sign_in(page, base, passwords, "panel")
        if language != "en":
            page.locator(f"button[name=language][value={language}]").click()
            page.wait_for_load_state("load")
            expect(page.locator("html")).to_have_attribute("lang", language)
        for name, address in pages.items():
            page.goto(base + address)
            page.wait_for_load_state("load")
            if page.locator(".plot").count():
                expect(page.locator("[data-drawn=true]")).to_have_count(
                    page.locator(".plot").count())
            page.screenshot(path=str(SCREENS / f"{name}-{size}-{language}.png"), full_page=True)
            wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert wide <= 1, f"{name} at {size} in {language} scrolls sideways by {wide}px"


def test_a_withheld_group_is_drawn_as_withheld_not_as_zero(council, browsing) -> None:  # type: ignore[no-untyped-def]
    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "panel")
    # Child in need plans by ethnicity group: some groups are too small to show.
    page.goto(base + "/dashboards/?plans=child_in_need&by=ethnicity_group")
    charts_drawn(page, 4)
    table = page.locator("#breakdown-summary").locator("..").locator("table")
    withheld_rows = table.locator("tr", has=page.locator(".withheld")).count()
    assert withheld_rows >= 1
    # The chart writes the reason on a hatched bar for each of them.
    expect(page.locator("#breakdown-plot").get_by_text("withheld: too few children")).to_have_count(
        withheld_rows)


def test_the_quarter_still_running_is_not_drawn_as_if_complete(council, browsing) -> None:  # type: ignore[no-untyped-def]
    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "panel")
    page.goto(base + f"/dashboards/?period={quarter_of(date.today()).key}")
    expect(page.locator(".notice")).to_contain_text("will be published on")
    # The trend names the running quarter as not published, with no point for it.
    expect(page.locator("#trend-plot").get_by_text("not published yet")).to_have_count(1)
    expect(page.locator("#headline-summary")).to_contain_text("not published yet")


def test_the_printed_dashboard_starts_with_figures_on_its_first_page(council, browsing,  # type: ignore[no-untyped-def]
                                                                     tmp_path: Path) -> None:
    from pypdf import PdfReader

    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "panel")
    page.goto(base + "/dashboards/")
    charts_drawn(page, 4)
    page.emulate_media(media="print")
    pdf = tmp_path / "dashboard.pdf"
    page.pdf(path=str(pdf), format="A4")
    SCREENS.mkdir(parents=True, exist_ok=True)
    (SCREENS / "dashboard-printed.pdf").write_bytes(pdf.read_bytes())
    first = PdfReader(str(pdf)).pages[0].extract_text()
    assert "What children tell us" in first
    # More than the title: the first section's summary and chart start on page one.
    assert "How children feel about their lives" in first
    assert "highest share" in first


def test_the_children_in_care_council_view_is_plain_and_big(council, browsing) -> None:  # type: ignore[no-untyped-def]
    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "panel")
    page.goto(base + "/dashboards/council")
    expect(page.get_by_role("heading", level=1)).to_contain_text("What you told us")
    items = page.locator(".big-numbers li")
    expect(items).to_have_count(6)
    expect(items.first).to_contain_text("in 10")
    charts_drawn(page, 1)
    font = page.locator(".big-numbers").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 20
    assert_accessible(page, "the Children in Care Council's view")


def test_a_manager_sees_their_children_with_no_views_lately(council, browsing) -> None:  # type: ignore[no-untyped-def]
    base, passwords = council
    page = browsing.page(LAPTOP)
    sign_in(page, base, passwords, "manager1")
    page.get_by_role("link", name="No views lately").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Children with no views gathered lately")
    expect(page.locator("table.data tbody tr").first).to_be_visible()
    assert_accessible(page, "the no-views list")



def test_a_manager_shares_you_said_we_did_only_after_the_check_and_the_checklist(
        council_app, browsing: Browsing) -> None:  # type: ignore[no-untyped-def]
    """The share form on a response: words that could give a child away are refused with
    what to take out, the checklist must be ticked, then the words reach the council's view.
    Kept as screenshots at three sizes in English and Welsh."""
    from sqlalchemy import select

    from viewpoint.extensions import db
    from viewpoint.models import Child, Response, User
    from viewpoint.operations.feedback import write_feedback

    app, base, passwords = council_app
    with app.app_context(), db.writing() as session:
        manager = session.scalar(select(User).where(User.email == f"manager1@{DEMO_DOMAIN}"))
        response = session.scalars(select(Response).join(Child).where(
            Child.team_id == manager.team_id, Response.submitted_at.is_not(None))
            .order_by(Response.id)).first()
        child = session.get(Child, response.child_id)
        write_feedback(session, response, child.social_worker,
                       "You told me bedtimes at the home felt too early; we have talked with "
                       "the staff and they agreed later bedtimes at weekends.")
        address, first_name = f"/casework/responses/{response.id}", child.first_name
    SCREENS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "cy"):
        for size, viewport in SIZES.items():
            page = browsing.page(viewport)
            sign_in(page, base, passwords, "manager1")
            if language != "en":
                page.locator(f"button[name=language][value={language}]").click()
                page.wait_for_load_state("load")
            page.goto(base + address)
            page.locator("details.share summary").first.click()
            form = page.locator("details.share form").first
            form.locator("textarea").fill(f"{first_name} said on 12 March that bedtimes were "
                                          "too early; the home agreed later ones.")
            form.locator("button[type=submit]").click()
            page.wait_for_load_state("load")
            form = page.locator("details.share form").first
            expect(form.locator(".error-message").first).to_be_visible()
            page.screenshot(path=str(SCREENS / f"share-refused-{size}-{language}.png"),
                            full_page=True)
            wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert wide <= 1, f"the share form at {size} in {language} scrolls sideways"
            if language == "en" and size.startswith("laptop"):
                text = form.inner_text()
                assert first_name in text and "12 March" in text  # named, to take out
                assert_accessible(page, "the share form with its problems")
                # Good words, but the boxes are not ticked: refused, the words kept.
                plain = ("Young people said bedtimes were too early, so the home agreed later "
                         "bedtimes at weekends.")
                form.locator("textarea").fill(plain)
                form.locator("button[type=submit]").click()
                page.wait_for_load_state("load")
                form = page.locator("details.share form").first
                expect(form).to_contain_text("not ticked")
                expect(form.locator("textarea")).to_have_value(plain)
                for box in form.locator("input[type=checkbox]").all():
                    box.check()
                form.locator("button[type=submit]").click()
                page.wait_for_load_state("load")
                expect(page.locator("details.share summary").first).to_contain_text(
                    "Change the words shared")
                page.goto(base + "/dashboards/council")
                expect(page.locator(".you-said")).to_contain_text("later bedtimes at weekends")
