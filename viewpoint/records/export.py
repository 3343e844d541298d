"""A sent response as a record to attach to the child's file: the structured JSON the
worker downloads and the API gives, built from the same reading as the worker's page and
PDF (``reading.py``), so the three never disagree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import Response
from .reading import ResponseReading

#: Which format this is, for systems that store it (bumped when a field changes meaning).
FORMAT = "viewpoint.response/1"


def moment(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def response_summary(record: Response, alerts: int) -> dict[str, Any]:
    return {"id": record.id, "child_reference": record.child.reference,
            "plan_reference": record.plan.reference, "plan_kind": record.plan.kind.value,
            "review_id": record.review_id, "review_reference": record.review.reference,
            "invitation_id": record.invitation_id, "questionnaire": record.questionnaire_key,
            "questionnaire_version": record.questionnaire_version.digest,
            "band": record.band, "language": record.language,
            "submitted_at": moment(record.submitted_at), "alerts": alerts}


def response_record(record: Response, reading: ResponseReading) -> dict[str, Any]:
    """Everything the worker reads about a sent response: each question as the child's band
    read it (in English, and in the child's language when that is not English), the answer
    in English or the child's own words exactly as written, indicators, and the alerts."""
    answers = []
    for question in reading.questions:
        shown = question.answer
        value = shown.value
        answers.append({
            "question": question.key, "number": question.number, "type": question.type,
            "wording": question.wording, "wording_as_served": question.wording_as_served,
            "state": shown.state.value,
            "answer": shown.text if shown.answered else None,
            "choices": list(shown.choices), "own_words": shown.own_words,
            "written_in": shown.language if shown.own_words else None,
            "value": list(value) if isinstance(value, tuple | set) else value,
            "indicator": question.indicator.id if question.indicator else None,
            "indicator_state": question.indicator.state.value if question.indicator else None,
            "flagged": question.flagged})
    return {"format": FORMAT, **response_summary(record, len(reading.alerts)),
            "questionnaire_title": reading.questionnaire_title,
            "helped_by": reading.helped_by.value if reading.helped_by else None,
            "answers": answers, "alert_ids": [note.id for note in reading.alerts]}
