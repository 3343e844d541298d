"""Records as the API gives them: one function per kind of record, matching the schemas in
:mod:`.schemas` (the tests check every reply against them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..models import Alert, Child, Invitation, Plan, Review, Team
from ..records.export import moment


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def team(record: Team) -> dict[str, Any]:
    return {"id": record.id, "name": record.name}


def review(record: Review) -> dict[str, Any]:
    return {"id": record.id, "reference": record.reference, "due_on": day(record.due_on),
            "held_on": day(record.held_on),
            "chair_email": record.chair.email if record.chair is not None else None}


def plan(record: Plan) -> dict[str, Any]:
    return {"id": record.id, "reference": record.reference,
            "child_reference": record.child.reference, "kind": record.kind.value,
            "placement_type": record.placement_type.value if record.placement_type else None,
            "started_on": day(record.started_on), "ended_on": day(record.ended_on),
            "reviews": [review(item) for item in record.reviews]}


def child(record: Child) -> dict[str, Any]:
    return {"reference": record.reference, "first_name": record.first_name,
            "last_name": record.last_name, "date_of_birth": day(record.date_of_birth),
            "gender": record.gender.value, "ethnicity_group": record.ethnicity_group.value,
            "preferred_language": record.preferred_language, "team_id": record.team_id,
            "social_worker_email": record.social_worker.email if record.social_worker
            else None,
            "plans": [plan(item) for item in record.plans]}


def invitation(record: Invitation, code: str | None = None) -> dict[str, Any]:
    shaped = {"id": record.id, "child_reference": record.child.reference,
              "review_id": record.review_id, "review_reference": record.review.reference,
              "questionnaire": record.questionnaire_key, "band": record.band,
              "language": record.language, "state": record.state.value,
              "issued_at": moment(record.issued_at), "expires_at": moment(record.expires_at)}
    if code is not None:
        shaped["code"] = code
    return shaped


def alert(record: Alert) -> dict[str, Any]:
    return {"id": record.id, "child_reference": record.child.reference,
            "response_id": record.response_id, "source": record.source.value,
            "summary": record.summary, "raised_at": moment(record.raised_at),
            "acknowledge_by": moment(record.acknowledge_by),
            "acknowledged_at": moment(record.acknowledged_at),
            "closed_at": moment(record.closed_at), "action_taken": record.action_taken}

