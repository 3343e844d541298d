"""Problem details (RFC 9457): how the API says what went wrong, in one shape.

Every refusal the API makes is a JSON object with ``type`` (a link to the problem's
description, under ``/api/v1/problems/``), ``title`` (the same for every problem of that
type), ``status``, ``detail`` (this occurrence, in plain English) and, for input that was
refused, ``errors``: one entry per field, with a JSON pointer into what was sent. The
catalogue below is what ``/api/v1/problems/<name>`` serves, so every type is documented.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, jsonify

MEDIA_TYPE = "application/problem+json"
PROBLEM_PATH = "/api/v1/problems/"


@dataclass(frozen=True)
class ProblemType:
    name: str
    status: int
    title: str
    #: What it means and what the caller should do, for the documentation page.
    description: str


TYPES = {problem.name: problem for problem in (
    ProblemType("unauthenticated", 401, "No valid token",
                "The request had no `Authorization: Bearer` token, or the token is not one "
                "viewpoint knows. Ask an administrator for a service account's token."),
    ProblemType("token-expired", 401, "The token has expired",
                "Tokens last as long as the administrator chose when creating them (at most "
                "a year). Ask an administrator for a new one."),
    ProblemType("token-revoked", 401, "The token was withdrawn",
                "An administrator withdrew this token. Ask them for a new one."),
    ProblemType("forbidden-scope", 403, "The token may not do this",
                "The token's scopes do not include the one this operation needs (named in "
                "`scope`). An administrator can create a token with it."),
    ProblemType("not-found", 404, "Not found",
                "There is no such record, or the token's teams do not include the child it "
                "belongs to: the two answer the same, so that a token cannot learn which "
                "children other teams have."),
    ProblemType("method-not-allowed", 405, "Method not allowed",
                "This address does not take this HTTP method; the OpenAPI document lists "
                "what it takes."),
    ProblemType("invalid-request", 400, "The request cannot be read",
                "The body is not JSON, is nested too deeply, holds characters that cannot be "
                "stored (NUL, or half of a character), or a query parameter is not of the "
                "documented form. Nothing was changed."),
    ProblemType("unsupported-media-type", 415, "Send JSON",
                "Bodies must be `application/json`. Nothing was changed."),
    ProblemType("validation", 422, "Some of what was sent is not allowed",
                "Each entry of `errors` names a field (`pointer`, a JSON pointer into the body "
                "or `#/query/<name>`) and says what is wrong with it, in the same words the "
                "staff forms and the CSV import use. Nothing was changed."),
    ProblemType("conflict", 409, "This clashes with what viewpoint holds",
                "The record exists in a state that does not allow this (for example a "
                "questionnaire the child has already sent cannot be cancelled). `detail` "
                "says which. Nothing was changed."),
    ProblemType("rate-limited", 429, "Too many calls",
                "The token made more calls this minute than it is allowed. Wait for the "
                "number of seconds in the `Retry-After` header."),
    ProblemType("payload-too-large", 413, "Too much was sent",
                "The body is larger than viewpoint accepts. Nothing was changed."),
    ProblemType("server-error", 500, "Something went wrong on our side",
                "Nothing was changed. Try again later; if it keeps happening, tell the "
                "council's viewpoint administrator the time of the call."),
)}

#: The type for each HTTP status werkzeug raises by itself.
BY_STATUS = {400: "invalid-request", 401: "unauthenticated", 403: "forbidden-scope",
             404: "not-found", 405: "method-not-allowed", 413: "payload-too-large",
             415: "unsupported-media-type", 422: "validation", 429: "rate-limited",
             500: "server-error"}


@dataclass(frozen=True)
class FieldError:
    #: A JSON pointer into the body ("#/date_of_birth") or "#/query/<name>".
    pointer: str
    detail: str


@dataclass
class Problem(Exception):
    """Raised anywhere in the API to answer with a problem: nothing the request changed is
    kept (the audit row and the rate-limit count are)."""

    name: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return TYPES[self.name].status


def problem_body(name: str, detail: str, *, errors: Iterable[FieldError] = (),
                 instance: str | None = None, **extra: Any) -> dict[str, Any]:
    kind = TYPES[name]
    body: dict[str, Any] = {"type": PROBLEM_PATH + kind.name, "title": kind.title,
                            "status": kind.status, "detail": detail}
    if instance:
        body["instance"] = instance
    listed = [{"pointer": error.pointer, "detail": error.detail} for error in errors]
    if listed:
        body["errors"] = listed
    body.update(extra)
    return body


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    response = jsonify(problem_body(problem.name, problem.detail, errors=problem.errors,
                                    instance=instance, **problem.extra))
    response.status_code = problem.status
    response.mimetype = MEDIA_TYPE
    response.headers.update(problem.headers)
    return response
