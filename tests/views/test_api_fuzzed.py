"""Schemathesis against the served OpenAPI document, over HTTP, on SQLite and PostgreSQL.

For every operation it generates requests from the document's schemas (and requests that
break them) and checks each reply: no server error, a status code, content type, headers
and body the document declares. A token with every scope is used, so every operation is
reached; a council with a child, a plan, a review, a sent response and an alert gives the
references and ids something real to find.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from tests.api import make_token
from tests.browser.harness import serving
from tests.factories import make_child, make_team
from tests.support import make_config, migrate
from tests.views.test_reading import answered
from viewpoint import create_app
from viewpoint.extensions import db

#: What every reply must satisfy (the issue's "no server errors and no response that breaks
#: the schema", and requests that break the schema refused with a 4xx).
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance,
          checks.response_schema_conformance]
#: Examples per operation and database: about 17 operations x 2 databases.
EXAMPLES = 40

_token: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(databases, tmp_path_factory) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate(url)
    app = create_app(make_config(url, tmp_path_factory.mktemp("fuzz")))
    with app.app_context():
        with db.writing() as session:
            team = make_team(session, "Fuzz Team")
            child = make_child(session, team=team)
            child.reference = "CMS-1"
            child.plans[0].reference = "PLAN-1"
            child.plans[0].reviews[0].reference = "REV-1"
            answered(session, app, child, {"safe_home": "sad", "hurting_me": "yes",
                                           "stay_change": "yes please"})
            _token["value"] = make_token(session, name="fuzzer", calls_per_minute=6000)
        db.session.remove()
    with serving(app) as base:
        yield schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    app.extensions["viewpoint.engine"].dispose()


def still_invalid(case: Any, response: Any) -> bool:
    """Whether a request generated to break the document still broke it as sent. The token
    is put back on every request (a case that lost its Authorization header is valid again),
    and a query parameter with no value (None, an empty list) never leaves the client: such
    a case reached the server as a valid request, and a 200 for it is right."""
    broken = {str(location.value) for location, info in case.meta.components.items()
              if info.mode.is_negative}
    broken.discard("header")
    sent = parse_qs(urlparse(response.request.url).query, keep_blank_values=True)
    if any(key not in sent for key in case.query or {}):
        broken.discard("query")
    return bool(broken)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
def test_no_call_fails_the_server_or_breaks_the_document(api_schema, mode) -> None:  # type: ignore[no-untyped-def]
    # (Schemathesis's own pytest plugin does not run under this pytest; the same cases are
    # generated here through Hypothesis directly, operation by operation.)
    headers = {"Authorization": f"Bearer {_token['value']}"}
    tried = []
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def calls(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers={**(case.headers or {}), **headers})
            case.validate_response(response, checks=CHECKS if mode is GenerationMode.POSITIVE
                                   or not still_invalid(case, response)
                                   else CHECKS + [checks.negative_data_rejection])

        calls()
        tried.append(operation.label)
    assert len(tried) >= 17, tried
