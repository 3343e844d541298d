"""Safeguarding alerts: raised the moment a worrying answer is saved, or when a child asks
to talk to someone. Acting on them is casework's job; raising them is here, in one place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Alert, AlertSource, Child, Response
from .questionnaires import Question


def raise_for_answer(session: Session, response: Response, question: Question,
                     value: object) -> Alert | None:
    """An alert if ``value`` meets the question's alert rule (once per response and question).

    Changing the answer later does not withdraw it: the worker still needs to know.
    """
    if question.alert is None or not question.alert.condition.matches(value):
        return None
    existing = session.scalar(select(Alert).where(
        Alert.response_id == response.id, Alert.question_key == question.key,
        Alert.source == AlertSource.ANSWER))
    if existing is not None:
        return existing
    alert = Alert(child_id=response.child_id, response=response, question_key=question.key,
                  source=AlertSource.ANSWER, summary=question.alert.summary)
    session.add(alert)
    session.flush()
    return alert


def raise_talk_to_someone(session: Session, child: Child, response: Response | None) -> Alert:
    """The child pressed "I want to talk to someone": one open alert, however often pressed."""
    query = select(Alert).where(Alert.child_id == child.id,
                                Alert.source == AlertSource.TALK_TO_SOMEONE,
                                Alert.closed_at.is_(None))
    query = query.where(Alert.response_id == response.id) if response is not None else \
        query.where(Alert.response_id.is_(None))
    existing = session.scalar(query)
    if existing is not None:
        return existing
    alert = Alert(child_id=child.id, response=response, source=AlertSource.TALK_TO_SOMEONE,
                  summary="Asked to talk to someone")
    session.add(alert)
    session.flush()
    return alert


def alerts_for_response(session: Session, response: Response) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.response_id == response.id)
                                .order_by(Alert.raised_at)))
