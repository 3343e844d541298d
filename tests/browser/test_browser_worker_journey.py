"""A worker's journey, in a real browser: sign in, send a questionnaire, see the alert a
child's answer raises (the child answering in another tab), read the response in English,
record what was done, and download the PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from tests.browser.childpages import (
    Words,
    assert_accessible,
    begin,
    choose,
    current_key,
    enter_code,
    give,
    go_next,
    next_until_finish,
    question_keys,
    send_answers,
    wait_saved,
)
from tests.browser.harness import LAPTOP, TABLET, WORKER_NAME, Browsing, LiveServer
from tests.browser.staffpages import (
    Seeded,
    download,
    expect_nav_alert_count,
    nav_alert_count,
    seed_child,
    sign_in,
    squeeze,
    worker_email,
)
from viewpoint.models import Alert, AlertSource, Invitation, Response

pytestmark = pytest.mark.slow

QUESTIONNAIRE = "before-care-review"
AGE, BAND = 10, "8-11"
#: The question whose answer raises the alert, and that answer.
WORRYING_QUESTION, WORRYING_ANSWER = "safe_home", "sad"
#: The child's own words, to find on the response page and in the PDF.
OWN_WORDS = Words("I want to see my brother more")
ACTION_TAKEN = ("Visited Tamsin at home the same afternoon and spoke to her alone; "
                "agreed a safety plan with her carer and told my manager.")
CODE = re.compile(r"^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}$")


def worrying_wording(live_server: LiveServer) -> tuple[str, str, str, str]:
    """(the question's staff wording, its wording for the child, the worrying answer's English
    label, the alert summary), from the definition, after checking that the answer really
    raises an alert and the question is asked in the band."""
    definition = live_server.app.extensions["viewpoint.questionnaires"].get(QUESTIONNAIRE)
    question = next(q for q in definition.questions if q.key == WORRYING_QUESTION)
    assert BAND in question.bands, f"{WORRYING_QUESTION} is not asked at ages {BAND}"
    assert question.alert is not None and question.alert.condition.matches(WORRYING_ANSWER)
    option = question.option(WORRYING_ANSWER)
    assert option is not None
    return (question.staff_text, question.text.for_band(BAND), option.text.for_band(BAND),
            question.alert.summary)


def the_alert(live_server: LiveServer, child: Seeded) -> Alert:
    with live_server.database() as session:
        alerts = list(session.scalars(select(Alert).where(Alert.child_id == child.child_id)))
        assert len(alerts) == 1, f"expected one alert for the child, found {alerts}"
        session.expunge_all()
        return alerts[0]


def the_response_id(live_server: LiveServer, child: Seeded) -> int:
    with live_server.database() as session:
        ids = list(session.scalars(select(Response.id).where(
            Response.child_id == child.child_id)))
        assert len(ids) == 1, f"expected one response for the child, found {ids}"
        return ids[0]


def send_questionnaire(page: Page, base: str, child: Seeded) -> str:
    """From the caseload: open the child, send the questionnaire, read the code off the card."""
    row = page.locator("#caseload tbody tr").filter(has=page.get_by_role(
        "link", name=child.full_name, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Not asked yet")
    expect(row).to_contain_text("None open")
    row.get_by_role("link", name=child.full_name, exact=True).click()
    expect(page).to_have_url(f"{base}/casework/children/{child.child_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(child.full_name)
    assert_accessible(page, "the child's page")

    page.get_by_role("link", name="Send questionnaire").click()
    expect(page).to_have_url(f"{base}/casework/reviews/{child.review_id}/invite")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Send a questionnaire")
    # Suggested from the plan and the child's age.
    expect(page.get_by_label("Questionnaire")).to_have_value(QUESTIONNAIRE)
    expect(page.locator("#band option:checked")).to_have_text(
        f"From date of birth: ages {BAND}")
    assert_accessible(page, "the invite page")

    page.get_by_role("button", name="Create the code").click()
    code = page.locator("#code")
    expect(code).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"The code for {child.first_name}")
    typed = code.inner_text().strip()
    assert CODE.match(typed), f"the card shows {typed!r}, not a code like ABC-DEF-GHJ"
    expect(page.locator("main")).to_contain_text(
        "Questionnaire: Before a looked-after child's review")
    expect(page.locator("main")).to_contain_text("opens in English")
    assert_accessible(page, "the card with the code")
    return typed


def test_a_worker_sends_a_questionnaire_sees_the_alert_reads_the_answers_and_closes_it(
        live_server: LiveServer, browsing: Browsing, tmp_path: Path) -> None:
    base = live_server.url
    question_text, child_wording, answer_label, summary = worrying_wording(live_server)
    child = seed_child(live_server, "Tamsin", AGE)
    email = worker_email(live_server)

    # The worker signs in on a laptop and starts from their caseload.
    worker = browsing.page(LAPTOP, touch=False)
    sign_in(worker, base, email)
    expect(worker.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(worker.locator(".who")).to_contain_text(WORKER_NAME)
    assert_accessible(worker, "the caseload")
    alerts_before = nav_alert_count(worker)
    alert_link_name = f"{child.full_name}: {summary}"
    expect(worker.get_by_role("link", name=alert_link_name)).to_have_count(0)

    code = send_questionnaire(worker, base, child)
    with live_server.database() as session:
        invitation = session.scalar(select(Invitation).where(
            Invitation.child_id == child.child_id))
        assert invitation is not None and invitation.review_id == child.review_id
        assert invitation.questionnaire_key == QUESTIONNAIRE

    # The child answers on a tablet: a separate browser, nothing shared with the worker's.
    tablet = browsing.page(TABLET)
    enter_code(tablet, base, code)
    expect(tablet.get_by_role("heading", level=1)).to_have_accessible_name(
        f"Hi {child.first_name}!")
    begin(tablet)
    assert current_key(tablet) == WORRYING_QUESTION
    choose(tablet, WORRYING_QUESTION, WORRYING_ANSWER)
    wait_saved(tablet, WORRYING_QUESTION)

    # The worker sees it at once, before the child has finished: the panel and the count.
    worker.goto(base + "/casework/")
    panel = worker.locator("section.panel.alert")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name=alert_link_name)).to_have_count(1)
    expect(panel.locator("li").filter(has_text=child.full_name)).to_contain_text("New")
    expect_nav_alert_count(worker, alerts_before + 1)
    expect(worker.locator("#caseload tbody tr").filter(has_text=child.full_name)).to_contain_text(
        "1 open")
    alert = the_alert(live_server, child)
    assert (alert.source, alert.question_key, alert.closed_at) == (
        AlertSource.ANSWER, WORRYING_QUESTION, None)

    # The child carries on, says something in their own words, and sends their answers.
    while "review_say" not in question_keys(tablet):
        assert not tablet.url.endswith("/finish"), "the child was never asked review_say"
        go_next(tablet)
    give(tablet, "review_say", OWN_WORDS)
    wait_saved(tablet, "review_say")
    go_next(tablet)
    next_until_finish(tablet)
    send_answers(tablet, "nobody")
    expect(tablet.locator("#who-will-be-told")).to_be_visible()
    response_id = the_response_id(live_server, child)

    # The alerts list has it; the alert page says what raised it.
    worker.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(worker).to_have_url(base + "/casework/alerts")
    listed = worker.locator("#open-alerts tbody tr").filter(has_text=child.full_name)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(summary)
    expect(listed).to_contain_text("New")
    assert_accessible(worker, "the alerts list")
    listed.get_by_role("link", name=summary).click()
    expect(worker).to_have_url(f"{base}/casework/alerts/{alert.id}")
    expect(worker.get_by_role("heading", level=1)).to_contain_text(summary)
    facts = worker.locator("#alert-facts")
    expect(facts).to_contain_text("An answer that matched a safeguarding rule.")
    expect(facts).to_contain_text(WORKER_NAME)  # who is told
    acknowledged = facts.locator("dt:text-is('Acknowledged') + dd")
    expect(acknowledged).to_have_text("Not yet")
    assert_accessible(worker, "the alert page")

    worker.get_by_role("button", name="I have seen this and am acting on it").click()
    expect(worker).to_have_url(f"{base}/casework/alerts/{alert.id}")
    expect(worker.locator("main .notice")).to_contain_text("Alert acknowledged")
    expect(acknowledged).to_contain_text(f"by {WORKER_NAME}")
    expect(worker.get_by_role("button", name="I have seen this and am acting on it")) \
        .to_have_count(0)

    # The response, in English: the worrying answer beside its question, marked as an alert.
    worker.get_by_role("link", name="Read the child's answers").click()
    expect(worker).to_have_url(f"{base}/casework/responses/{response_id}")
    expect(worker.get_by_role("heading", level=1)).to_contain_text(
        f"What {child.full_name} said")
    expect(worker.locator(".response-details dt:text-is('Language') + dd")).to_have_text(
        "English")
    marked = worker.locator("section.panel.alert").get_by_role("link", name=summary)
    expect(marked).to_have_attribute("href", f"#q-{WORRYING_QUESTION}")
    answer = worker.locator(f"#q-{WORRYING_QUESTION}")
    expect(answer).to_have_class(re.compile(r"\bflagged\b"))
    expect(answer.locator(".question-text")).to_contain_text(question_text)
    expect(answer.locator(".question-text .tag")).to_have_text("Alert")
    expect(answer.locator(".asked").first).to_contain_text(child_wording)
    expect(answer.locator(".answer-text")).to_have_text(answer_label)
    expect(answer.locator(".alert-rule")).to_have_text(summary)
    expect(worker.locator("#q-review_say .own-words")).to_have_text(str(OWN_WORDS))
    expect(worker.locator("#q-review_say")).not_to_have_class(re.compile(r"\bflagged\b"))
    assert_accessible(worker, "the response page")

    # The PDF downloads, and it is the same answers, in English.
    pdf_link = worker.get_by_role("link", name="Download as PDF")
    expect(pdf_link).to_have_attribute("href", f"/casework/responses/{response_id}.pdf")
    name, pdf = download(worker, pdf_link, tmp_path)
    assert name.endswith(".pdf") and child.first_name not in name, name
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    text = squeeze(" ".join(page.extract_text() or ""
                            for page in PdfReader(io.BytesIO(pdf)).pages))
    for wanted in (child.full_name, question_text, answer_label, summary, str(OWN_WORDS)):
        assert squeeze(wanted) in text, f"{wanted!r} is not in the PDF: {text[:3000]}"

    # Closing without saying what was done is refused, and the alert stays open.
    worker.goto(f"{base}/casework/alerts/{alert.id}")
    worker.get_by_role("button", name="Close the alert").click()
    summary_box = worker.locator(".error-summary")
    expect(summary_box).to_be_visible()
    expect(summary_box).to_contain_text("Say what was done before closing the alert.")
    action = worker.get_by_label("What was done")
    expect(action).to_have_attribute("aria-invalid", "true")
    expect(worker.locator("#action_taken-error")).to_have_text(
        "Say what was done before closing the alert.")
    expect(facts).not_to_contain_text("What was done")
    assert_accessible(worker, "the alert page with an error")
    assert the_alert(live_server, child).closed_at is None
    expect_nav_alert_count(worker, alerts_before + 1)

    # Closing with what was done records it, and the alert leaves the open list.
    action.fill(ACTION_TAKEN)
    worker.get_by_role("button", name="Close the alert").click()
    expect(worker).to_have_url(f"{base}/casework/alerts/{alert.id}")
    expect(worker.locator("main .notice")).to_contain_text("Alert closed")
    expect(facts.locator("dt:text-is('What was done') + dd")).to_have_text(ACTION_TAKEN)
    expect(facts.locator("dt:text-is('Closed') + dd")).to_contain_text(f"by {WORKER_NAME}")
    expect(worker.get_by_role("button", name="Close the alert")).to_have_count(0)
    expect_nav_alert_count(worker, alerts_before)
    closed = the_alert(live_server, child)
    assert closed.closed_at is not None and closed.action_taken == ACTION_TAKEN
    assert closed.closed_by_id == live_server.worker_id

    worker.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(worker.locator("#open-alerts tbody tr").filter(has_text=child.full_name)) \
        .to_have_count(0)
    recent = worker.locator("h2:text-is('Recently closed') + table tbody tr").filter(
        has_text=child.full_name)
    expect(recent).to_have_count(1)
    expect(recent).to_contain_text(summary)
    expect(recent).to_contain_text(WORKER_NAME)
    worker.get_by_role("navigation", name="Main").get_by_role("link", name="Children").click()
    expect(worker).to_have_url(base + "/casework/")
    expect(worker.get_by_role("link", name=alert_link_name)).to_have_count(0)
    row = worker.locator("#caseload tbody tr").filter(has_text=child.full_name)
    expect(row).to_contain_text("Views in")
    expect(row).to_contain_text("None open")
