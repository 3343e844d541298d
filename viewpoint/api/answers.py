"""Children's answers and the alerts they raised, for the case record.

A list of responses holds no answers; reading one response is a view of the child's
answers and is written to the audit trail as a worker's reading is ("response.viewed"),
naming the system that read it. Only submitted responses are given: answers still being
given on a tablet are not the child's word yet.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import make_response, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import Alert, Child, Response
from ..operations.feedback import feedback_for_response
from ..problems import FieldError, Problem
from ..questionnaires import Catalogue
from ..questionnaires.library import served
from ..records import ssd
from ..records.export import response_record, response_summary
from ..records.pdf import response_pdf
from ..records.reading import ResponseReading, read_response
from . import bp, shapes
from .access import about_child, needs, visible_to_token
from .paging import page


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _since(name: str) -> datetime | None:
    text = request.args.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not 2000 <= moment.year <= 9998:
        raise Problem("invalid-request", "A query parameter is not of the documented form.",
                      [FieldError(f"#/query/{name}", "A moment with its offset, such as "
                                  "2026-12-01T09:30:00Z.")])
    return moment.astimezone(UTC)


def _responses():  # type: ignore[no-untyped-def]
    return (select(Response).join(Child, Response.child_id == Child.id)
            .where(visible_to_token(), Response.submitted_at.is_not(None))
            .options(selectinload(Response.child), selectinload(Response.plan),
                     selectinload(Response.review),
                     selectinload(Response.questionnaire_version)))


def _alert_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(  # type: ignore[arg-type]
        select(Alert.response_id, func.count()).where(Alert.response_id.in_(ids))
        .group_by(Alert.response_id)).all())


@bp.get("/responses")
@needs("responses:read")
def responses():  # type: ignore[no-untyped-def]
    query = _responses()
    if (since := _since("submitted_after")) is not None:
        query = query.where(Response.submitted_at > since)
    listed = page(db.session, query, [Response.submitted_at, Response.id],
                  lambda row: [shapes.moment(row.submitted_at), row.id], lambda row: row,
                  parse=[_when, int])
    counts = _alert_counts([row.id for row in listed["items"]])
    listed["items"] = [response_summary(row, counts.get(row.id, 0))
                       for row in listed["items"]]
    return listed


def _sent_response(response_id: int) -> tuple[Response, ResponseReading]:
    """A sent response the token may see, read as the worker reads it. Raises
    :class:`Problem` (not-found) for one still being answered or out of the token's teams."""
    found = db.session.scalar(_responses().where(Response.id == response_id))
    if found is None:
        raise Problem("not-found", "There is no sent response with this id that this token "
                      "may see.")
    about_child(found.child)
    catalogue: Catalogue = served()
    return found, read_response(db.session, catalogue, found)


@bp.get("/responses/<int:response_id>")
@needs("responses:read")
def response(response_id: int):  # type: ignore[no-untyped-def]
    found, reading = _sent_response(response_id)
    audit.record("response.viewed", child_id=found.child_id, subject=found)
    return response_record(found, reading)


def _alerts():  # type: ignore[no-untyped-def]
    return (select(Alert).join(Child, Alert.child_id == Child.id).where(visible_to_token())
            .options(selectinload(Alert.child)))


@bp.get("/alerts")
@needs("alerts:read")
def alerts():  # type: ignore[no-untyped-def]
    query = _alerts()
    state = request.args.get("state")
    if state == "open":
        query = query.where(Alert.closed_at.is_(None))
    elif state == "closed":
        query = query.where(Alert.closed_at.is_not(None))
    elif state is not None:
        raise Problem("invalid-request", "A query parameter is not of the documented form.",
                      [FieldError("#/query/state", "Use 'open' or 'closed'.")])
    return page(db.session, query, [Alert.id], lambda row: [row.id], shapes.alert)


@bp.get("/alerts/<int:alert_id>")
@needs("alerts:read")
def alert(alert_id: int):  # type: ignore[no-untyped-def]
    found = db.session.scalar(_alerts().where(Alert.id == alert_id))
    if found is None:
        raise Problem("not-found", "There is no alert with this id that this token may see.")
    about_child(found.child)
    audit.record("alert.viewed", child_id=found.child_id, subject=found)
    return shapes.alert(found)


@bp.get("/responses/<int:response_id>/pdf")
@needs("responses:read")
def response_pdf_file(response_id: int):  # type: ignore[no-untyped-def]
    """The response as the worker's PDF, to attach to the child's file."""
    found, reading = _sent_response(response_id)
    data = response_pdf(reading, feedback_for_response(db.session, found))
    audit.record("response.pdf", child_id=found.child_id, subject=found)
    answer = make_response(data)
    answer.headers["Content-Type"] = "application/pdf"
    answer.headers.set("Content-Disposition", "attachment",
                       filename=f"viewpoint-response-{found.id}.pdf")
    return answer


@bp.get("/exports/ssd-voice-of-child")
@needs("responses:read")
def ssd_voice_of_child():  # type: ignore[no-untyped-def]
    """Sent responses as rows of the Standard Safeguarding Dataset's ssd_voice_of_child."""
    condition = Response.child_id.in_(select(Child.id).where(visible_to_token()))
    if (since := _since("submitted_after")) is not None:
        condition = condition & (Response.submitted_at > since)
    responses = ssd.sent_responses(db.session, condition)
    answer = make_response(ssd.as_csv(db.session, responses))
    answer.headers["Content-Type"] = "text/csv; charset=utf-8"
    answer.headers.set("Content-Disposition", "attachment", filename="ssd_voice_of_child.csv")
    return answer
