"""The dashboards' totals through the API are the figures the panel's pages publish, never
more: the same rounded counts and withheld groups as each CSV file, only for periods that
are published, whatever the token's team."""

from __future__ import annotations

import csv
import io

from tests.api import Document, call, make_token
from tests.factories import make_team, make_user, move_into_the_past
from tests.staff import sign_in
from tests.views.test_dashboards import council  # noqa: F401 (the fixture)
from viewpoint.models import Role

#: Each table's CSV file on the dashboards, and the query that chooses it.
TABLES = {"headline": "headline", "trend": "trend", "breakdown": "breakdown",
          "coverage_team": "coverage-team", "coverage_kind": "coverage-kind",
          "group": "group"}
QUERIES = ["", "plans=in_care", "plans=child_protection&by=gender",
           "indicator=trusted_adult&by=band", "plans=protection&by=team", "group=gender:girl"]


def _csv_rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[:rows.index([])] if [] in rows else rows


def test_the_api_totals_are_the_dashboards_csv_figures_cell_for_cell(  # type: ignore[no-untyped-def]
        app, client, session, council) -> None:  # noqa: F811
    move_into_the_past(session)
    panel = sign_in(app.test_client(), make_user(session, Role.PANEL_MEMBER), session)
    limited = make_token(session, scopes=["totals:read"], teams=[make_team(session, "Other")])
    document = Document(client)
    compared = 0
    for query in QUERIES:
        for table, file in TABLES.items():
            page = panel.get(f"/dashboards/{file}.csv?{query}")
            answer = call(client, "GET", f"/api/v1/totals/{table}?{query}", limited)
            if page.status_code == 404:
                assert answer.status_code == 404, (table, query)
                continue
            assert answer.status_code == 200, (table, query, answer.get_json())
            body = answer.get_json()
            document.check("TotalsTable", body)
            published = _csv_rows(page.get_data(as_text=True))
            assert published[0] == body["columns"]
            assert published[1:] == [[str(cell).lstrip("'") if not isinstance(cell, str)
                                      else cell for cell in row] for row in body["rows"]], \
                (table, query)
            compared += 1
    assert compared >= 20
    # 12 of 13 feel safe at home: published as 67% of about 15, never the exact 92%.
    headline = call(client, "GET", "/api/v1/totals/headline", limited).get_json()
    safe = next(row for row in headline["rows"] if row[0] == "Feel safe where they live")
    assert safe[1:3] == [67, 15]
    assert "92" not in str(headline)


def test_the_running_period_has_no_figures_and_a_wrong_choice_is_refused(  # type: ignore[no-untyped-def]
        app, client, session, council) -> None:  # noqa: F811
    token = make_token(session, scopes=["totals:read"])
    running = call(client, "GET", "/api/v1/totals/headline", token).get_json()
    assert running["published"] is False
    assert all(cell in ("[x]",) for row in running["rows"] for cell in row[1:])
    refused = call(client, "GET", "/api/v1/totals/headline?plans=everyone", token)
    assert refused.status_code == 400
    assert refused.get_json()["errors"][0]["detail"].startswith("That choice of plans")
    assert call(client, "GET", "/api/v1/totals/secrets", token).status_code == 404
