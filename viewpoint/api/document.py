"""The OpenAPI 3.1 document and the problem types it links to, both open to anyone (they
describe the API; they hold no child's data)."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request

from ..operations.service_accounts import SCOPES
from ..problems import TYPES, FieldError, Problem
from ..published.measures import BREAKDOWNS, PLAN_SETS
from . import bp
from .access import open_to_anyone
from .paging import DEFAULT_LIMIT, MOST
from .schemas import BODIES, OUTPUTS

#: The API's own version: a change that breaks a caller gets a new /api/vN.
API_VERSION = "1.0.0"
_REFERENCE_IN_PATH = {"name": "reference", "in": "path", "required": True,
                      "schema": {"type": "string", "minLength": 1, "maxLength": 40}}
_ID_IN_PATH = {"name": "{}", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
_PAGING = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MOST, "default": DEFAULT_LIMIT}},
    {"name": "after", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "The cursor from the previous page's `next` address."},
]


def _id(name: str) -> dict[str, Any]:
    return {**_ID_IN_PATH, "name": name}


def _problems(*statuses: int) -> dict[str, Any]:
    by_status = {kind.status: kind for kind in TYPES.values()}
    wanted = sorted({401, 429, *statuses})
    return {str(status): {"$ref": f"#/components/responses/{by_status[status].name}"}
            for status in wanted}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _operation(operation_id: str, summary: str, scope: str, ok: dict[str, Any], *,
               parameters: list[dict[str, Any]] | None = None, body: str | None = None,
               problems: tuple[int, ...] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id, "summary": summary,
        "security": [{"token": [scope]}], "x-scope": scope,
        "parameters": parameters or [],
        "responses": {**ok, **_problems(403, *problems)},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
        operation["responses"].update(_problems(400, 403, 413, 415, 422))
    return operation


def _ok(schema: str, status: int = 200, description: str = "OK") -> dict[str, Any]:
    return {str(status): {"description": description, "content": _json(schema)}}


def _paths() -> dict[str, Any]:
    listing = (400,)
    return {
        "/teams": {"get": _operation("listTeams", "The teams this token may use.",
                                     "children:read", _ok("TeamPage"), parameters=_PAGING,
                                     problems=listing)},
        "/children": {"get": _operation(
            "listChildren", "Children this token may see, with their plans and reviews.",
            "children:read", _ok("ChildPage"), parameters=_PAGING, problems=listing)},
        "/children/{reference}": {
            "get": _operation("getChild", "One child, by the case-management reference.",
                              "children:read", _ok("Child"), parameters=[_REFERENCE_IN_PATH],
                              problems=(404,)),
            "put": _operation(
                "putChild", "Add a child, or bring their details up to date. Sending the same "
                "twice changes nothing.", "children:write",
                {**_ok("Child", 200, "Found and brought up to date"),
                 **_ok("Child", 201, "Added")},
                parameters=[_REFERENCE_IN_PATH], body="ChildIn", problems=(404,))},
        "/plans/{reference}": {
            "get": _operation("getPlan", "One plan, by the case-management reference.",
                              "children:read", _ok("Plan"), parameters=[_REFERENCE_IN_PATH],
                              problems=(400, 404)),
            "put": _operation(
                "putPlan", "Add a plan, change it, or end it (send `ended_on`).",
                "children:write", {**_ok("Plan", 200, "Found and brought up to date"),
                                   **_ok("Plan", 201, "Added")},
                parameters=[_REFERENCE_IN_PATH], body="PlanIn", problems=(404, 409))},
        "/reviews/{reference}": {
            "get": _operation("getReview", "One review, by the case-management reference.",
                              "children:read", _ok("Review"),
                              parameters=[_REFERENCE_IN_PATH], problems=(404,)),
            "put": _operation(
                "putReview", "Add a review of a plan, or record when it was held.",
                "children:write", {**_ok("Review", 200, "Found and brought up to date"),
                                   **_ok("Review", 201, "Added")},
                parameters=[_REFERENCE_IN_PATH], body="ReviewIn", problems=(404, 409))},
        "/invitations": {
            "get": _operation(
                "listInvitations", "Questionnaires sent (never their codes).",
                "invitations:read", _ok("InvitationPage"), problems=listing,
                parameters=[*_PAGING, {"name": "state", "in": "query", "required": False,
                                       "schema": {"type": "string", "enum": [
                                           "issued", "started", "submitted", "cancelled"]}}]),
            "post": _operation(
                "issueInvitation", "Send a child a questionnaire for a review: the reply holds "
                "the code, once.", "invitations:write",
                {**_ok("Invitation", 201, "Issued: the reply holds the code"),
                 **_ok("Invitation", 200, "Already issued with this Idempotency-Key (no code)")},
                parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                             "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
                body="InvitationIn", problems=(404, 409))},
        "/invitations/{invitation_id}": {"get": _operation(
            "getInvitation", "One invitation.", "invitations:read", _ok("Invitation"),
            parameters=[_id("invitation_id")], problems=(404,))},
        "/invitations/{invitation_id}/cancel": {"post": _operation(
            "cancelInvitation", "Withdraw an invitation: its code stops working at once.",
            "invitations:write", _ok("Invitation"), parameters=[_id("invitation_id")],
            problems=(404, 409))},
        "/invitations/{invitation_id}/new-code": {"post": _operation(
            "newCode", "A new code for an invitation (the old one stops working); the answers "
            "so far are kept.", "invitations:write", _ok("Invitation"),
            parameters=[_id("invitation_id")], problems=(404, 409))},
        "/responses": {"get": _operation(
            "listResponses", "Sent responses, oldest first, without their answers.",
            "responses:read", _ok("ResponsePage"), problems=listing,
            parameters=[*_PAGING, {"name": "submitted_after", "in": "query",
                                   "required": False,
                                   "schema": {"type": "string", "format": "date-time"}}])},
        "/responses/{response_id}": {"get": _operation(
            "getResponse", "One sent response: every answer in English and the child's own "
            "words, with the questionnaire version (recorded as a view of the child's "
            "answers).", "responses:read", _ok("Response"),
            parameters=[_id("response_id")], problems=(404,))},
        "/responses/{response_id}/pdf": {"get": _operation(
            "getResponsePdf", "One sent response as the worker's PDF, to attach to the child's "
            "file (recorded as a download of the child's answers).", "responses:read",
            {"200": {"description": "The PDF", "content": {"application/pdf": {
                "schema": {"type": "string", "format": "binary"}}}}},
            parameters=[_id("response_id")], problems=(404,))},
        "/exports/ssd-voice-of-child": {"get": _operation(
            "exportSsdVoiceOfChild", "Sent responses as rows of the Standard Safeguarding "
            "Dataset's ssd_voice_of_child object (CSV; see docs/ssd-voice-of-child.md for "
            "how our answers map to its items).", "responses:read",
            {"200": {"description": "CSV with the SSD's columns, then vp_submitted_on, "
                     "vp_questionnaire and vp_plan_kind", "content": {"text/csv": {
                         "schema": {"type": "string"}}}}},
            problems=(400,),
            parameters=[{"name": "submitted_after", "in": "query", "required": False,
                         "schema": {"type": "string", "format": "date-time"}}])},
        "/totals/{table}": {"get": _operation(
            "getTotals", "One of the dashboards' tables, exactly as the panel's page and CSV "
            "file publish it (rounded counts, small groups withheld, only published periods).",
            "totals:read", _ok("TotalsTable"), problems=(400, 404),
            parameters=[
                {"name": "table", "in": "path", "required": True, "schema": {
                    "type": "string", "enum": ["headline", "trend", "breakdown",
                                               "coverage_team", "coverage_kind", "group"]}},
                {"name": "period", "in": "query", "required": False,
                 "schema": {"type": "string", "examples": ["2025-26", "2025-26-Q2"]},
                 "description": "A financial year or quarter with figures. Default: the "
                                "latest published year."},
                {"name": "plans", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(PLAN_SETS)}},
                {"name": "indicator", "in": "query", "required": False,
                 "schema": {"type": "string"}},
                {"name": "by", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(BREAKDOWNS)}},
                {"name": "group", "in": "query", "required": False,
                 "schema": {"type": "string", "examples": ["placement:residential"]}},
            ])},
        "/alerts": {"get": _operation(
            "listAlerts", "Safeguarding alerts.", "alerts:read", _ok("AlertPage"),
            problems=listing,
            parameters=[*_PAGING, {"name": "state", "in": "query", "required": False,
                                   "schema": {"type": "string", "enum": ["open", "closed"]}}])},
        "/alerts/{alert_id}": {"get": _operation(
            "getAlert", "One safeguarding alert (recorded as a view).", "alerts:read",
            _ok("Alert"), parameters=[_id("alert_id")], problems=(404,))},
    }


def openapi() -> dict[str, Any]:
    """The whole document."""
    responses = {
        kind.name: {"description": kind.title,
                    "headers": {"Retry-After": {"schema": {"type": "string"}}}
                    if kind.status == 429 else {},
                    "content": {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}}
        for kind in TYPES.values()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "viewpoint API", "version": API_VERSION,
                 "description": (
                     "For the council's other systems (case management, data warehouse). "
                     "Every call needs a service account's token from an administrator. "
                     "Children, plans and reviews are found by the case-management system's "
                     "references; sending the same record twice changes nothing. Refusals "
                     "are RFC 9457 problem details; their types are described at "
                     "/api/v1/problems/<name>.")},
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": {**BODIES, **OUTPUTS},
            "responses": responses,
            "securitySchemes": {"token": {
                "type": "http", "scheme": "bearer",
                "description": "A service account's token. Scopes: " + "; ".join(
                    f"`{name}`: {label}" for name, label in SCOPES.items()) + "."}},
        },
    }


def _documented_queries() -> dict[tuple[str, str], frozenset[str]]:
    """(method, the document's path) -> the query parameters the document lets it take."""
    return {(method.upper(), path): frozenset(
        parameter["name"] for parameter in operation.get("parameters", [])
        if parameter["in"] == "query")
        for path, methods in _paths().items() for method, operation in methods.items()}


_QUERIES: dict[tuple[str, str], frozenset[str]] = {}
_PATH_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def refuse_undocumented_query() -> None:
    """A query parameter the document does not list is refused (a typing mistake such as
    ``?submited_after=`` would otherwise quietly return everything)."""
    if request.url_rule is None or request.endpoint in (
            "api.openapi_document", "api.problem_type") or not request.args:
        return
    if not _QUERIES:
        _QUERIES.update(_documented_queries())
    path = _PATH_ARGUMENT.sub(r"{\1}", request.url_rule.rule.removeprefix(bp.url_prefix or ""))
    allowed = _QUERIES.get((request.method, path), frozenset())
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise Problem("invalid-request", "A query parameter is not one this operation takes.",
                      [FieldError(f"#/query/{name}"[:200], "Not a parameter of this operation.")
                       for name in unknown[:20]])


@bp.get("/openapi.json")
@open_to_anyone
def openapi_document():  # type: ignore[no-untyped-def]
    document = current_app.extensions.get("viewpoint.openapi")
    if document is None:
        document = current_app.extensions["viewpoint.openapi"] = openapi()
    return document


@bp.get("/problems/<problem>")
@open_to_anyone
def problem_type(problem: str):  # type: ignore[no-untyped-def]
    kind = TYPES.get(problem)
    if kind is None:
        raise Problem("not-found", "There is no such problem type.")
    return {"type": f"/api/v1/problems/{kind.name}", "title": kind.title,
            "status": kind.status, "description": kind.description}
