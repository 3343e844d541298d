"""The JSON shapes the API takes and gives, written once: the OpenAPI document publishes them
and :func:`read_body` checks every body against them (JSON Schema 2020-12, the dialect of
OpenAPI 3.1), so the document and the server cannot disagree about what is accepted."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from ..models import EthnicityGroup, Gender, InvitationState, PlacementType, PlanKind
from ..problems import FieldError, Problem

DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
        "examples": ["2026-03-25"]}
MOMENT = {"type": "string", "format": "date-time"}
REFERENCE = {"type": "string", "minLength": 1, "maxLength": 40,
             "description": "The record's id in the council's case-management system.",
             "examples": ["CMS-10442"]}
EMAIL = {"type": "string", "maxLength": 254}


def _enum(kind: Any, description: str) -> dict[str, Any]:
    return {"type": "string", "enum": [member.value for member in kind],
            "description": description}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(item: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "next"], "additionalProperties": False,
            "properties": {
                "items": {"type": "array", "items": _ref(item)},
                "next": {**_nullable({"type": "string"}),
                         "description": "The address of the next page; null on the last."}}}


#: Bodies the API takes.
BODIES: dict[str, dict[str, Any]] = {
    "ChildIn": {
        "type": "object", "additionalProperties": False,
        "required": ["first_name", "last_name", "date_of_birth"],
        "properties": {
            "first_name": {"type": "string", "maxLength": 200},
            "last_name": {"type": "string", "maxLength": 200},
            "date_of_birth": DATE,
            "gender": _enum(Gender, "For anonymised totals only. Default: not_recorded."),
            "ethnicity_group": _enum(EthnicityGroup,
                                     "For anonymised totals only. Default: not_recorded."),
            "preferred_language": {"type": "string", "maxLength": 16,
                                   "description": "A language children can answer in "
                                                  "(en, cy, ur, pa, bn, pl, ro, sk, ar, fa, "
                                                  "ps, ckb, ti). Default: en."},
            "social_worker_email": _nullable(EMAIL),
            "team_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                        "description": "Needed to add a child when the token may use more "
                                       "than one team. A child's team cannot be changed "
                                       "here."},
        }},
    "PlanIn": {
        "type": "object", "additionalProperties": False,
        "required": ["child_reference", "kind", "started_on"],
        "properties": {
            "child_reference": REFERENCE,
            "kind": _enum(PlanKind, "The kind of plan."),
            "placement_type": _nullable(_enum(
                PlacementType, "Where the child lives: needed for care and pathway plans, "
                               "refused for the others.")),
            "started_on": DATE,
            "ended_on": {**_nullable(DATE), "description": "Set it to end the plan."},
        }},
    "ReviewIn": {
        "type": "object", "additionalProperties": False,
        "required": ["plan_reference", "due_on"],
        "properties": {
            "plan_reference": REFERENCE,
            "due_on": DATE,
            "held_on": _nullable(DATE),
            "chair_email": _nullable(EMAIL),
        }},
    "InvitationIn": {
        "type": "object", "additionalProperties": False, "required": ["child_reference"],
        "properties": {
            "child_reference": REFERENCE,
            "review_reference": {**REFERENCE, "description": "Default: the child's next "
                                                             "review on an open plan."},
            "language": {"type": "string", "maxLength": 16},
            "days": {"type": "integer", "minimum": 1, "maximum": 60,
                     "description": "How long the code works. Default: the council's "
                                    "setting (14 days)."},
        }},
}

_REVIEW_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "reference", "due_on", "held_on", "chair_email"],
    "properties": {"id": {"type": "integer"}, "reference": _nullable(REFERENCE),
                   "due_on": DATE, "held_on": _nullable(DATE),
                   "chair_email": _nullable(EMAIL)}}
_PLAN_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "reference", "child_reference", "kind", "placement_type",
                 "started_on", "ended_on", "reviews"],
    "properties": {"id": {"type": "integer"}, "reference": _nullable(REFERENCE),
                   "child_reference": REFERENCE, "kind": _enum(PlanKind, "The kind of plan."),
                   "placement_type": _nullable(_enum(PlacementType, "Where the child lives.")),
                   "started_on": DATE, "ended_on": _nullable(DATE),
                   "reviews": {"type": "array", "items": _ref("Review")}}}
_CHILD_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["reference", "first_name", "last_name", "date_of_birth", "gender",
                 "ethnicity_group", "preferred_language", "team_id", "social_worker_email",
                 "plans"],
    "properties": {"reference": REFERENCE, "first_name": {"type": "string"},
                   "last_name": {"type": "string"}, "date_of_birth": DATE,
                   "gender": _enum(Gender, "For anonymised totals only."),
                   "ethnicity_group": _enum(EthnicityGroup, "For anonymised totals only."),
                   "preferred_language": {"type": "string"}, "team_id": {"type": "integer"},
                   "social_worker_email": _nullable(EMAIL),
                   "plans": {"type": "array", "items": _ref("Plan")}}}
_INVITATION_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "child_reference", "review_id", "review_reference", "questionnaire",
                 "band", "language", "state", "issued_at", "expires_at"],
    "properties": {"id": {"type": "integer"}, "child_reference": REFERENCE,
                   "review_id": {"type": "integer"}, "review_reference": _nullable(REFERENCE),
                   "questionnaire": {"type": "string"}, "band": _nullable({"type": "string"}),
                   "language": {"type": "string"},
                   "state": _enum(InvitationState, "Where the invitation stands."),
                   "issued_at": MOMENT, "expires_at": MOMENT,
                   "code": {"type": "string", "description": "The code to give the child. "
                            "Only in the reply that made it; viewpoint keeps no copy."}}}
_ALERT_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "child_reference", "response_id", "source", "summary", "raised_at",
                 "acknowledge_by", "acknowledged_at", "closed_at", "action_taken"],
    "properties": {"id": {"type": "integer"}, "child_reference": REFERENCE,
                   "response_id": _nullable({"type": "integer"}),
                   "source": {"type": "string", "enum": ["answer", "talk_to_someone"]},
                   "summary": {"type": "string"}, "raised_at": MOMENT,
                   "acknowledge_by": _nullable(MOMENT), "acknowledged_at": _nullable(MOMENT),
                   "closed_at": _nullable(MOMENT),
                   "action_taken": _nullable({"type": "string"})}}
_ANSWER_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["question", "number", "type", "wording", "wording_as_served", "state",
                 "answer", "choices", "own_words", "written_in", "value", "indicator",
                 "indicator_state", "flagged"],
    "properties": {
        "question": {"type": "string", "description": "The question's key."},
        "number": {"type": "integer"},
        "type": {"type": "string"},
        "wording": {"type": "string", "description": "The question in English, as served "
                                                     "to the child's age band."},
        "wording_as_served": {**_nullable({"type": "string"}),
                              "description": "The question in the child's language, when "
                                             "that is not English."},
        "state": {"type": "string", "enum": ["answered", "declined", "skipped", "not_asked",
                                             "unanswered"]},
        "answer": {**_nullable({"type": "string"}),
                   "description": "The answer in English; the child's own words exactly as "
                                  "written when own_words is true."},
        "choices": {"type": "array", "items": {"type": "string"}},
        "own_words": {"type": "boolean"},
        "written_in": {**_nullable({"type": "string"}),
                       "description": "The language of the child's own words."},
        "value": {"description": "The stored answer: an option's key, a list of keys, a "
                                 "number or text."},
        "indicator": _nullable({"type": "string"}),
        "indicator_state": _nullable({"type": "string", "enum": [
            "positive", "not_positive", "declined", "skipped"]}),
        "flagged": {"type": "boolean", "description": "The answer raised an alert or meets "
                                                      "the question's alert rule."}}}
_RESPONSE_SUMMARY = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "child_reference", "plan_reference", "plan_kind", "review_id",
                 "review_reference", "invitation_id", "questionnaire", "questionnaire_version",
                 "band", "language", "submitted_at", "alerts"],
    "properties": {"id": {"type": "integer"}, "child_reference": REFERENCE,
                   "plan_reference": _nullable(REFERENCE),
                   "plan_kind": _enum(PlanKind, "The kind of plan."),
                   "review_id": {"type": "integer"}, "review_reference": _nullable(REFERENCE),
                   "invitation_id": {"type": "integer"},
                   "questionnaire": {"type": "string"},
                   "questionnaire_version": {"type": "string",
                                             "description": "The digest of the questionnaire "
                                                            "version the child answered."},
                   "band": {"type": "string"}, "language": {"type": "string"},
                   "submitted_at": MOMENT, "alerts": {"type": "integer"}}}
_RESPONSE_OUT = {
    "type": "object", "additionalProperties": False,
    "required": ["format", *_RESPONSE_SUMMARY["required"], "questionnaire_title",
                 "helped_by", "answers", "alert_ids"],
    "properties": {**_RESPONSE_SUMMARY["properties"],
                   "format": {"const": "viewpoint.response/1",
                              "description": "What this record is, for systems that keep it."},
                   "questionnaire_title": {"type": "string"},
                   "helped_by": _nullable({"type": "string"}),
                   "answers": {"type": "array", "items": _ref("Answer")},
                   "alert_ids": {"type": "array", "items": {"type": "integer"}}}}
_TEAM_OUT = {"type": "object", "additionalProperties": False, "required": ["id", "name"],
             "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
_PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "instance": {"type": "string"}, "scope": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["pointer", "detail"],
            "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}}}}}}

_TOTALS = {
    "type": "object", "additionalProperties": False,
    "required": ["table", "period", "plans", "indicator", "by", "group", "caption", "summary",
                 "columns", "rows", "notes", "published"],
    "properties": {
        "table": {"type": "string"}, "period": {"type": "string"},
        "plans": {"type": "string"}, "indicator": {"type": "string"},
        "by": {"type": "string"}, "group": _nullable({"type": "string"}),
        "caption": {"type": "string"}, "summary": {"type": "string"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "array", "items": {
            "type": ["string", "number"],
            "description": "A figure; [c] where withheld, [x] where not yet published."}}},
        "notes": {"type": "array", "items": {
            "type": "object", "required": ["symbol", "meaning"], "additionalProperties": False,
            "properties": {"symbol": {"type": "string"}, "meaning": {"type": "string"}}}},
        "published": {"type": "boolean",
                      "description": "Whether the period's figures have been published."}}}

#: Everything the API gives, by name.
OUTPUTS: dict[str, dict[str, Any]] = {
    "Team": _TEAM_OUT, "Child": _CHILD_OUT, "Plan": _PLAN_OUT, "Review": _REVIEW_OUT,
    "Invitation": _INVITATION_OUT, "Alert": _ALERT_OUT, "Answer": _ANSWER_OUT,
    "ResponseSummary": _RESPONSE_SUMMARY, "Response": _RESPONSE_OUT, "Problem": _PROBLEM,
    "TotalsTable": _TOTALS,
    "TeamPage": _page_of("Team"), "ChildPage": _page_of("Child"),
    "InvitationPage": _page_of("Invitation"), "AlertPage": _page_of("Alert"),
    "ResponsePage": _page_of("ResponseSummary"),
}

_VALIDATORS = {name: Draft202012Validator(schema, format_checker=FormatChecker())
               for name, schema in BODIES.items()}


def _pointer(path: Any) -> str:
    return "#/" + "/".join(str(part) for part in path) if path else "#"


def read_body(name: str) -> dict[str, Any]:
    """The request's JSON body, checked against the ``name`` schema.

    Raises :class:`Problem` ("unsupported-media-type" for a body that is not JSON,
    "invalid-request" for JSON that cannot be read, "validation" listing every field that
    breaks the schema).
    """
    if not request.is_json:
        raise Problem("unsupported-media-type", "Send the body as application/json.")
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True).strip() != b"null":
        raise Problem("invalid-request", "The body is not valid JSON.")
    errors = sorted(_VALIDATORS[name].iter_errors(body), key=lambda error: list(error.path))
    if errors:
        raise Problem("validation", "Some fields are not as the API describes them.", [
            FieldError(_pointer(error.path), _said(error)) for error in errors[:50]])
    return body  # type: ignore[no-any-return]


def _said(error: ValidationError) -> str:
    if error.validator == "format" and error.validator_value == "date":
        return f"{error.instance} is not a date on the calendar."[:300]
    return error.message[:300]


def day(body: dict[str, Any], name: str) -> date | None:
    """A date field already checked by the schema's pattern; a date that does not exist
    (2026-02-30) is refused here."""
    value = body.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem("validation", "A date does not exist.", [
            FieldError(f"#/{name}", f"{value} is not a date on the calendar.")]) from None
