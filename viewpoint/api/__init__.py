"""The API (``/api/v1``): the council's other systems read and write what the staff pages do.

For systems, not people: each call carries a service account's token, which an
administrator creates with the scopes and teams it needs (``access.py``). What it takes and
gives is described by the OpenAPI 3.1 document at ``/api/v1/openapi.json``, built from the
same schemas the server checks bodies against (``schemas.py``, ``document.py``). Refusals
are RFC 9457 problem details (``viewpoint/problems.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..extensions import csrf
from ..problems import Problem
from ..security import takes_json


class JsonBlueprint(Blueprint):
    """Every view of the API takes JSON: systems send ``Content-Type: application/json`` on
    every call, a GET's included, which the app refuses for the pages' views."""

    def add_url_rule(self, rule: str, endpoint: str | None = None,
                     view_func: Any = None, **options: Any) -> None:
        if view_func is not None:
            takes_json(view_func)
        super().add_url_rule(rule, endpoint, view_func, **options)


bp = JsonBlueprint("api", __name__, url_prefix="/api/v1")
# Calls carry a bearer token, never a cookie: there is no browser session to forge.
csrf.exempt(bp)

from . import access, answers, document, invitations, records, totals  # noqa: E402,F401

bp.before_request(access.check_call)
bp.before_request(document.refuse_undocumented_query)
bp.after_request(access.record_call)
bp.register_error_handler(Problem, access.answer_problem)
