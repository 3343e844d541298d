"""Error pages people can understand. A child's error page has the child's look and words."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from .problems import BY_STATUS, Problem, problem_response
from .security import UnreadableInput

API_PREFIX = "/api/"

#: Addresses under these belong to staff; anything else unknown is treated as a child's.
STAFF_PREFIXES = ("/questionnaires", "/casework", "/dashboards", "/admin", "/staff", "/healthz",
                  "/livez")


def is_childs_page() -> bool:
    if request.blueprint is not None:
        return request.blueprint == "respond"
    return not request.path.startswith(STAFF_PREFIXES)


def _render(error: HTTPException):  # type: ignore[no-untyped-def]
    code = error.code or 500
    if request.path.startswith(API_PREFIX):
        # A system calling the API gets problem details, whatever went wrong.
        detail = error.description if isinstance(error, UnreadableInput) else error.name
        return problem_response(Problem(BY_STATUS.get(code, "invalid-request"), detail),
                                instance=request.path)
    # Only our own refusals say what was wrong: werkzeug's descriptions are untranslated, and
    # some say more than a stranger needs to know.
    message = error.description if isinstance(error, UnreadableInput) else None
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return {"status": "error", "code": code, "message": message or error.name}, code
    template = "errors/child.html" if is_childs_page() else "errors/staff.html"
    reason = error.reason if isinstance(error, UnreadableInput) else None
    return render_template(template, code=code, message=message, reason=reason), code


def register_error_handlers(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 415, 429, 500):
        app.register_error_handler(code, _render)
