"""The worker's side of a worrying answer: the child's words and the answers that raised an
alert come first on the response page, and the alert list says who must act, by when, and
which alerts are overdue."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import make_child, make_team, make_user
from tests.staff import sign_in
from tests.views.test_reading import answered, readable
from viewpoint.models import Alert, AlertSource, QuestionnaireVersion, Role, utcnow
from viewpoint.operations.alerts import acknowledge_alert, close_alert, raise_talk_to_someone
from viewpoint.questionnaires.snapshot import digest

WORDS = "I want to live with my brother.\nHe matters to me."


@pytest.fixture()
def team(session):  # type: ignore[no-untyped-def]
    """A team with a social worker and a manager, and a child allocated to the worker."""
    north = make_team(session, "North")
    worker = make_user(session, Role.SOCIAL_WORKER, north, name="Ash Worker")
    manager = make_user(session, Role.TEAM_MANAGER, north, name="Cy Manager")
    child = make_child(session, age=14, team=north, worker=worker, first_name="Zofia")
    return {"team": north, "worker": worker, "manager": manager, "child": child}


def _first_section(html: str) -> str:
    found = re.search(r'<section class="read-first".*?(?=<section aria-labelledby="'
                      r'(?:indicators|answers)-title")', html, re.S)
    assert found, "no section of answers to read first"
    return found.group(0)


def _first_item(html: str, item_id: str) -> str:
    found = re.search(rf'<li id="{item_id}".*?</li>', html, re.S)
    assert found, f"no item {item_id}"
    return found.group(0)


def test_the_childs_words_and_flagged_answers_come_before_every_other_answer(  # type: ignore[no-untyped-def]
        app, session, team) -> None:
    response = answered(session, app, team["child"], {
        "safe_home": "happy", "stay_here": "no", "stay_change": WORDS, "hurting_me": "yes",
        "happiness": 8})
    client = sign_in(app.test_client(), team["worker"], session)
    html = readable(client.get(f"/casework/responses/{response.id}").get_data(as_text=True))

    heading = html.index('id="read-first-title"')
    flagged = html.index('id="first-hurting_me"')
    words = html.index('id="words-stay_change"')
    every_question = html.index('id="answers-title"')
    first_answer = html.index('id="q-safe_home"')
    assert heading < flagged < words < every_question < first_answer
    first = _first_section(html)
    assert "Read these first" in first and "In Zofia's own words" in first
    assert "I want to live with my brother.<br>He matters to me." in first
    assert "Said someone is hurting them or making them feel scared" in first
    # Only the child's words and worrying answers are repeated up there.
    assert "first-safe_home" not in first and "words-safe_home" not in first
    assert "first-happiness" not in first and "words-happiness" not in first
    # The full list still follows, in questionnaire order, with every answer.
    order = re.findall(r'<li id="q-(\w+)"', html)
    assert order.index("safe_home") < order.index("stay_change") < order.index("hurting_me")
    assert order.index("hurting_me") < order.index("happiness")


def test_a_flagged_answer_says_whether_its_alert_is_new_acknowledged_or_closed(  # type: ignore[no-untyped-def]
        app, session, team) -> None:
    response = answered(session, app, team["child"], {"hurting_me": "yes", "safe_home": "sad"})
    alerts = {alert.question_key: alert for alert in session.scalars(
        select(Alert).where(Alert.response_id == response.id))}
    assert set(alerts) == {"hurting_me", "safe_home"}
    client = sign_in(app.test_client(), team["worker"], session)
    url = f"/casework/responses/{response.id}"

    def item(key: str) -> str:
        return _first_item(readable(client.get(url).get_data(as_text=True)), f"first-{key}")

    assert ">New<" in item("hurting_me") and "Nobody has acknowledged it yet" in item("hurting_me")
    acknowledge_alert(alerts["hurting_me"], team["manager"])
    close_alert(alerts["safe_home"], team["worker"], "Visited the same afternoon.")
    session.commit()
    hurting = item("hurting_me")
    assert ">Acknowledged<" in hurting and "by Cy Manager" in hurting and ">New<" not in hurting
    assert f'datetime="{alerts["hurting_me"].acknowledged_at.isoformat()}"' in hurting
    closed = item("safe_home")
    assert ">Closed<" in closed and "by Ash Worker" in closed
    assert f'href="/casework/alerts/{alerts["safe_home"].id}"' in closed


def test_an_overdue_alert_on_the_response_page_says_so(app, session, team) -> None:  # type: ignore[no-untyped-def]
    response = answered(session, app, team["child"], {"hurting_me": "yes"})
    alert = session.scalars(select(Alert).where(Alert.response_id == response.id)).one()
    alert.raised_at = utcnow() - timedelta(days=4)
    alert.acknowledge_by = utcnow() - timedelta(days=3)
    session.commit()
    client = sign_in(app.test_client(), team["worker"], session)
    html = readable(client.get(f"/casework/responses/{response.id}").get_data(as_text=True))
    item = _first_item(html, "first-hurting_me")
    assert "Overdue: not acknowledged" in item and ">New<" not in item


def test_any_answer_meeting_its_alert_rule_is_flagged_whatever_the_question_says(  # type: ignore[no-untyped-def]
        app, session, team) -> None:
    response = answered(session, app, team["child"], {"carers_care": "no", "safe_home": "happy"})
    # The wording served carried a rule on this question (the one the child saw is what counts).
    served = session.get(QuestionnaireVersion, response.questionnaire_version_id)
    content = copy.deepcopy(served.content)
    for question in content["questions"]:
        if question["key"] == "carers_care":
            question["alert"] = {"any_of": ["no"], "summary": "Said their carers do not care"}
    version = QuestionnaireVersion(questionnaire_key=served.questionnaire_key, band=served.band,
                                   language=served.language, digest=digest(content),
                                   content=content)
    session.add(version)
    session.flush()
    response.questionnaire_version_id = version.id
    session.commit()
    client = sign_in(app.test_client(), team["worker"], session)
    html = readable(client.get(f"/casework/responses/{response.id}").get_data(as_text=True))
    item = _first_item(_first_section(html), "first-carers_care")
    assert "Said their carers do not care" in item
    assert "first-safe_home" not in html


def _row(html: str, alert: Alert) -> str:
    found = re.search(rf'<tr id="alert-{alert.id}".*?</tr>', html, re.S)
    assert found, f"no row for alert {alert.id}"
    return found.group(0)


def test_the_alert_list_names_who_must_act_and_by_when(app, session, team) -> None:  # type: ignore[no-untyped-def]
    alert = raise_talk_to_someone(session, team["child"], None)
    # A child with no allocated worker: the manager alone must act.
    unallocated = make_child(session, team=team["team"], worker=team["worker"],
                             first_name="Linden")
    unallocated.social_worker = None
    alone = raise_talk_to_someone(session, unallocated, None)
    session.commit()
    assert alert.acknowledge_by is not None
    client = sign_in(app.test_client(), team["manager"], session)
    html = readable(client.get("/casework/alerts").get_data(as_text=True))
    assert "Who must act" in html and "To acknowledge by" in html
    row = _row(html, alert)
    assert "Ash Worker" in row and "(social worker)" in row
    assert "Cy Manager" in row and "(manager)" in row
    assert f'datetime="{alert.acknowledge_by.isoformat()}"' in row
    lonely = _row(html, alone)
    assert "No allocated worker" in lonely and "Cy Manager" in lonely


def test_an_overdue_alert_is_labelled_overdue_and_a_new_one_is_not(app, session, team) -> None:  # type: ignore[no-untyped-def]
    fresh = raise_talk_to_someone(session, team["child"], None)
    old = Alert(child_id=team["child"].id, source=AlertSource.ANSWER, question_key="hurting_me",
                summary="Said someone is hurting them or making them feel scared",
                raised_at=utcnow() - timedelta(days=4),
                acknowledge_by=utcnow() - timedelta(days=3))
    session.add(old)
    session.commit()
    client = sign_in(app.test_client(), team["worker"], session)
    html = readable(client.get("/casework/alerts").get_data(as_text=True))
    overdue, new = _row(html, old), _row(html, fresh)
    assert 'class="overdue"' in overdue and "Overdue" in overdue and ">New<" not in overdue
    assert 'class="new"' in new and ">New<" in new and "Overdue" not in new
    # The overdue one is marked in the stylesheet too, not only in its words.
    rules = (Path(app.static_folder) / "css" / "staff.css").read_text(encoding="utf-8")
    assert "tr.overdue" in rules
