"""The dashboards' pages and downloads, as the panel, managers and reviewing officers use them."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import plotly
import pytest
from sqlalchemy import select

from tests.factories import make_child, make_team, make_user, move_into_the_past
from tests.staff import sign_in
from viewpoint.models import AuditEvent, Role
from viewpoint.operations.answers import record_answer, start_response, submit_response
from viewpoint.operations.feedback import SHARE_CHECKLIST, share_feedback, write_feedback
from viewpoint.operations.invitations import issue_invitation
from viewpoint.published.tables import Table

ROOT = Path(__file__).resolve().parents[2]


def _answered(app, session, child, safe: str = "happy"):  # type: ignore[no-untyped-def]
    catalogue = app.extensions["viewpoint.questionnaires"]
    response = start_response(session, catalogue,
                              issue_invitation(session, catalogue, child).invitation)
    record_answer(session, catalogue, response, "safe_home", safe)
    submit_response(session, response, None)
    return response


@pytest.fixture()
def council(app, session):  # type: ignore[no-untyped-def]
    """Twelve children in one team who said they feel safe at home, and one who did not,
    answering today.

    Their record keys are chosen so that the published counts are known: the twelve's keys
    add up to 255 (the highest cell key: 12 is rounded down, to 10), the one's is 0 (the
    lowest: 1 is rounded up, to 5)."""
    team = make_team(session, "Riverside")
    children = [make_child(session, team=team, record_key=255 if number == 1 else 0)
                for number in range(13)]
    for number, child in enumerate(children):
        _answered(app, session, child, "sad" if number == 0 else "happy")
    session.commit()
    return team, children


def test_the_panel_sees_every_section_with_its_table(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    move_into_the_past(session)
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    page = client.get("/dashboards/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for heading in ("How children feel about their lives", "Over the last eight quarters",
                    "Which groups do better or worse", "Is anyone asking?"):
        assert heading in text
    # 12 of 13 feel safe at home, published as 10 and 5: 67% of about 15 (never 92%, the
    # share of the exact counts).
    assert re.search(r"Feel safe where they live</th><td class=\"number\">67%</td>"
                     r"<td class=\"number\">15</td>", text)
    assert "92%" not in text
    # Names never appear, nor the children's references.
    _team, children = council
    assert children[0].reference not in text and "Alder" not in text
    assert 'src="/static/vendor/plotly/plotly-basic.min.js"' in text
    assert page.headers["Cache-Control"] == "private, no-store"


def test_every_table_downloads_as_csv_with_withheld_figures_marked(app, client, session,  # type: ignore[no-untyped-def]
                                                                    council) -> None:
    move_into_the_past(session)
    manager = make_user(session, Role.TEAM_MANAGER, council[0])
    sign_in(client, manager, session)
    for table in ("headline", "trend", "breakdown", "coverage-team", "coverage-kind"):
        answer = client.get(f"/dashboards/{table}.csv?plans=in_care")
        assert answer.status_code == 200, table
        assert answer.mimetype == "text/csv"
        assert re.match(r'attachment; filename="viewpoint-' + table + r'-\d{4}-\d{2}-in_care\.csv"',
                        answer.headers["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
        assert len(rows) > 1
    headline = list(csv.reader(io.StringIO(client.get(
        "/dashboards/headline.csv").get_data(as_text=True))))
    safe = next(row for row in headline if row[0] == "Feel safe where they live")
    assert safe[1:3] == ["67", "15"]
    # The file says what its symbols mean, after the table.
    notes = headline[headline.index([]) + 1:]
    assert notes[0] == ["Notes"]
    assert {row[0] for row in notes[1:]} >= {"[c]", "[x]", "Counts"}
    assert "fewer than 10 children" in dict(row for row in notes[1:] if len(row) == 2)["[c]"]
    # The group table needs a group; without one it says so.
    missing = client.get("/dashboards/group.csv")
    assert missing.status_code == 404 and "Choose a group" in missing.get_data(as_text=True)
    grouped = client.get("/dashboards/group.csv?group=gender:girl")
    assert grouped.status_code == 200


def test_a_small_council_has_its_figures_withheld(app, client, session) -> None:  # type: ignore[no-untyped-def]
    team = make_team(session)
    for _ in range(4):
        # Key 0: the 4 are published as 5, fewer than 10.
        _answered(app, session, make_child(session, team=team, record_key=0))
    session.commit()
    move_into_the_past(session)
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    rows = list(csv.reader(io.StringIO(client.get("/dashboards/headline.csv").get_data(
        as_text=True))))
    safe = next(row for row in rows if row[0] == "Feel safe where they live")
    assert safe[1:3] == ["[c]", "[c]"]
    text = client.get("/dashboards/").get_data(as_text=True)
    assert re.search(r"\d+ figures? (is|are) withheld because too few children answered", text)
    assert "withheld: too few children" in text  # what the chart writes on the bar


def test_unusable_filters_fall_back_and_say_so(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    iro = make_user(session, Role.REVIEWING_OFFICER)
    sign_in(client, iro, session)
    page = client.get("/dashboards/?period=2001-02&plans=nobody&indicator=x&by=y&group=z")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for message in ("There are no figures for that period", "That choice of plans is not on "
                    "offer", "That measure is not on offer", "That breakdown is not on offer",
                    "That group is not on offer"):
        assert message in text
    # A group that does not exist is simply empty, whatever is typed in the address.
    for group in ("team:not-a-number", "placement:spaceship", "plan_kind:x"):
        answer = client.get(f"/dashboards/?group={group}")
        assert answer.status_code == 200, group
        assert client.get(f"/dashboards/group.csv?group={group}").status_code == 200


def test_a_manager_lists_their_own_children_with_no_views_lately(app, client, session,  # type: ignore[no-untyped-def]
                                                                  council) -> None:
    team, children = council
    quiet = make_child(session, team=team, first_name="Quillon")
    elsewhere = make_child(session, team=make_team(session), first_name="Otherly")
    manager = make_user(session, Role.TEAM_MANAGER, team)
    sign_in(client, manager, session)
    page = client.get("/dashboards/no-views")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Quillon" in text and quiet.reference in text
    assert "Otherly" not in text and elsewhere.reference not in text
    assert children[1].reference not in text  # answered today
    assert "1 child in your team" in text
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "dashboards.no_views_list")).all()
    assert [event.actor_id for event in events] == [manager.id]


def test_the_council_view_shows_only_approved_words(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    team, children = council
    manager = make_user(session, Role.TEAM_MANAGER, team)
    worker = children[1].social_worker
    first = _answered(app, session, make_child(session, team=team, first_name="Bryony"))
    private = write_feedback(session, first, worker, "Bryony, I have asked for more visits.")
    shared = write_feedback(session, first, worker, "I arranged football on Saturdays.")
    share_feedback(session, shared.feedback, manager,
                   "You said you wanted to play football; we found a club near you.",
                   checklist=SHARE_CHECKLIST)
    session.commit()
    move_into_the_past(session)
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    text = client.get("/dashboards/council").get_data(as_text=True)
    assert "we found a club near you" in text
    assert "Bryony" not in text and private.feedback.body not in text
    assert "football on Saturdays" not in text  # the worker's own words stay private
    # The words and the chart say the same, and the chart's data holds nothing more exact.
    words = re.findall(r"<strong>(About \d+ in 10)</strong>", text)
    assert words
    chart = json.loads(re.search(r'<script type="application/json" id="council-data">(.*?)'
                                 r"</script>", text, re.S).group(1))
    bars = chart["data"][0]
    assert [label for label in bars["text"] if label] == words
    assert [x for x in bars["x"] if x is not None] == [int(w.split()[1]) * 10 for w in words]
    assert [h for h, label in zip(bars["hovertext"], bars["text"], strict=True) if label] == words


def test_the_vendored_plotly_is_the_version_the_python_figures_are_built_for() -> None:
    bundle = (ROOT / "static/vendor/plotly/plotly-basic.min.js").read_text()[:200]
    vendored = re.search(r"v(\d+\.\d+\.\d+)", bundle)
    assert vendored is not None
    assert vendored.group(1) == plotly.offline.get_plotlyjs_version()


def test_a_csv_never_runs_a_formula_a_team_name_could_carry() -> None:
    table = Table(name="t", caption="c", summary="s", headers=("Team", "Share"),
                  rows=[("=HYPERLINK(\"http://x\")", 50), ("@SUM(A1)", None), ("Plain", 0)])
    rows = list(csv.reader(io.StringIO(table.csv())))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "50"]
    assert rows[2] == ["'@SUM(A1)", "[c]"]
    assert rows[3] == ["Plain", "0"]


def test_reviews_held_without_views_show_in_coverage(app, client, session) -> None:  # type: ignore[no-untyped-def]
    team = make_team(session, "Hillside")
    for _ in range(12):
        child = make_child(session, team=team, record_key=0)
        child.plans[0].reviews[0].held_on = date.today()
    session.commit()
    move_into_the_past(session)
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    rows = list(csv.reader(io.StringIO(client.get("/dashboards/coverage-team.csv").get_data(
        as_text=True))))
    hillside = next(row for row in rows if row[0] == "Hillside")
    # 12 held (keys adding up to 0: rounded up, to 15), none with views, none asked: 100%
    # not asked.
    assert hillside[1:] == ["15", "0", "0", "0", "0", "15", "100"]


def test_the_period_still_running_is_not_published(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    """Today's answers are in a quarter and a year that have not ended: the dashboard says
    when they will be published and shows no figure for them, on the page or in a file."""
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    text = client.get("/dashboards/").get_data(as_text=True)
    assert "will be published on" in text
    assert "67%" not in text and "92%" not in text
    for table in ("headline", "coverage-team"):
        rows = list(csv.reader(io.StringIO(client.get(f"/dashboards/{table}.csv").get_data(
            as_text=True))))
        body = rows[1:rows.index([])]
        assert body, table
        assert all(cell == "[x]" for row in body for cell in row[1:]), (table, body)


def test_every_plan_choice_on_offer_works(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    move_into_the_past(session)
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    page = client.get("/dashboards/").get_data(as_text=True)
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="plans"')[1].split(
        "</select>")[0])
    assert len(offered) == 7
    for plans in offered:
        text = client.get(f"/dashboards/?plans={plans}").get_data(as_text=True)
        assert "not on offer" not in text, plans
    # The care plan children are all of this council: the same figure under "care plans".
    care = client.get("/dashboards/?plans=care_plan").get_data(as_text=True)
    assert re.search(r"Feel safe where they live</th><td class=\"number\">67%</td>", care)


def test_the_method_is_explained_to_the_panel(app, client, session) -> None:  # type: ignore[no-untyped-def]
    panel = make_user(session, Role.PANEL_MEMBER)
    sign_in(client, panel, session)
    text = client.get("/dashboards/method").get_data(as_text=True)
    assert "How the figures are protected" in text and "cell key method" in text
