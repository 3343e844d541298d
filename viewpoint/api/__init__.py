"""The API (``/api/v1``): the council's other systems read and write what the staff pages do.

For systems, not people: each call carries a service account's token, which an
administrator creates with the scopes and teams it needs (``access.py``). What it takes and
gives is described by the OpenAPI 3.1 document at ``/api/v1/openapi.json``, built from the
same schemas the server checks bodies against (``schemas.py``, ``document.py``). Refusals
are RFC 9457 problem details (``viewpoint/problems.py``).
"""

from __future__ import annotations

from flask import Blueprint

from ..extensions import csrf
from ..problems import Problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Calls carry a bearer token, never a cookie: there is no browser session to forge.
csrf.exempt(bp)

from . import access, answers, document, invitations, records, totals  # noqa: E402,F401

bp.before_request(access.check_call)
bp.before_request(document.refuse_undocumented_query)
bp.after_request(access.record_call)
bp.register_error_handler(Problem, access.answer_problem)
