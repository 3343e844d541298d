"""Everything the service holds about one child or young person, for them to read: what a
subject access request under UK GDPR article 15 asks for. Care leavers have a right to
their records, and many ask for them years later.

One :class:`SubjectAccess` feeds both the PDF (``pdf.subject_access_pdf``) and the
machine-readable file (:func:`as_json`): their details, plans and reviews, every
questionnaire they were sent and every answer with the question as they saw it (in their
language and in English), notes added beside answers, alerts and what was done, what they
were told ("you said, we did"), and everyone who looked at their record and when.

Before release, a manager may redact third parties: words (another child's name, a
relative's) replaced wherever they appear in free text, and colleagues' names replaced by
their role. The child's own workers stay named: the child knows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from .. import audit
from ..i18n import language_label
from ..models import (
    Alert,
    AnswerNote,
    AuditEvent,
    Child,
    Feedback,
    Invitation,
    Plan,
    Response,
    Review,
    ServiceAccount,
    User,
    utcnow,
)
from ..questionnaires import Catalogue
from .export import moment, response_record
from .reading import QuestionReading, ResponseReading, read_response

#: The machine-readable file's format name (a change that breaks readers gets a new number).
FORMAT = "viewpoint.subject-access/1"
#: What replaces a redacted word or name.
REDACTED = "[removed]"


class SubjectAccessForm(FlaskForm):
    """What to take out before the record is given to the person who asked."""

    redact_words = TextAreaField(
        _l("Words to remove"),
        description=_l("Other people's names (another child, a relative) or anything else "
                       "that would tell the reader about someone else, one on each line. "
                       "Each is replaced by [removed] wherever it appears in what anyone "
                       "wrote."),
        validators=[Length(max=5000)])
    colleagues_by_role = BooleanField(
        _l("Show colleagues by their role, not their name (the child's own social worker "
           "or personal adviser and the chairs of their reviews stay named)"), default=True)

    def words(self) -> list[str]:
        return [line.strip() for line in (self.redact_words.data or "").splitlines()
                if line.strip()]


@dataclass(frozen=True)
class Redaction:
    """What is taken out: ``words`` wherever they appear in free text, and the names of
    staff other than ``named`` (ids of the child's own workers and chairs)."""

    words: tuple[str, ...] = ()
    colleagues_by_role: bool = False
    named: frozenset[int] = frozenset()

    def text(self, value: str | None) -> str | None:
        if not value or not self.words:
            return value
        pattern = "|".join(re.escape(word) for word in sorted(self.words, key=len, reverse=True))
        return re.sub(rf"(?<!\w)(?:{pattern})(?!\w)", REDACTED, value, flags=re.IGNORECASE)

    def person(self, user: User | None) -> str | None:
        if user is None:
            return None
        if self.colleagues_by_role and user.id not in self.named:
            return user.role.label
        return user.display_name

    def summary(self) -> dict[str, Any]:
        """What the audit trail keeps about a redaction: how many words, never the words."""
        return {"words": len(self.words), "colleagues_by_role": self.colleagues_by_role}


@dataclass(frozen=True)
class AnsweredQuestionnaire:
    reading: ResponseReading
    record: dict[str, Any]
    #: Question key -> notes added beside the answer (who, when, what).
    notes: Mapping[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Viewed:
    at: datetime
    who: str
    what: str
    action: str


@dataclass
class SubjectAccess:
    """Everything held about one child, already redacted, ready to print or write out."""

    child: Child
    produced_at: datetime
    produced_by: str
    redaction: Redaction
    details: list[tuple[str, str]]
    plans: list[dict[str, Any]]
    invitations: list[dict[str, Any]]
    questionnaires: list[AnsweredQuestionnaire]
    alerts: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    views: list[Viewed]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.child.first_name} {self.child.last_name}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _own_workers(session: Session, child: Child) -> frozenset[int]:
    """The staff the child knows by name: their worker and the chairs of their reviews."""
    named = {child.social_worker_id} if child.social_worker_id else set()
    named.update(session.scalars(select(Review.chair_id).join(Plan).where(
        Plan.child_id == child.id, Review.chair_id.is_not(None))))
    return frozenset(named)


def _redacted_reading(reading: ResponseReading, redaction: Redaction) -> ResponseReading:
    """The reading with the child's own words passed through the redaction (never changed
    otherwise: they are the child's words)."""
    def clean(question: QuestionReading) -> QuestionReading:
        answer = question.answer
        if answer.own_words:
            answer = replace(answer, text=redaction.text(answer.text))
        previous = question.previous
        if previous is not None and previous.own_words:
            previous = replace(previous, text=redaction.text(previous.text))
        return replace(question, answer=answer, previous=previous)

    return replace(reading, questions=[clean(question) for question in reading.questions],
                   previous=None)


def _redacted_record(record: dict[str, Any], redaction: Redaction) -> dict[str, Any]:
    answers = [dict(answer, answer=redaction.text(answer["answer"]),
                    value=redaction.text(answer["value"]) if answer["own_words"]
                    else answer["value"])
               for answer in record["answers"]]
    return dict(record, answers=answers)


def gather(session: Session, catalogue: Catalogue, child: Child, produced_by: User,
           redaction: Redaction) -> SubjectAccess:
    """Everything about ``child``, with ``redaction`` applied, and the audit row saying it
    was produced (by whom, with what redaction; never its content)."""
    redaction = replace(redaction, named=_own_workers(session, child))
    people = {user.id: user for user in session.scalars(select(User))}
    systems = {account.id: account.name for account in session.scalars(select(ServiceAccount))}

    def person(user_id: int | None) -> str | None:
        return redaction.person(people.get(user_id)) if user_id else None

    details = [
        (str(_l("Reference")), child.reference),
        (str(_l("Name")), f"{child.first_name} {child.last_name}"),
        (str(_l("Date of birth")), child.date_of_birth.isoformat()),
        (str(_l("Gender")), child.gender.label),
        (str(_l("Ethnicity")), child.ethnicity_group.label),
        (str(_l("Language")), language_label(child.preferred_language)),
        (str(_l("Team")), child.team.name),
        (str(_l("Social worker or personal adviser")),
         person(child.social_worker_id) or str(_l("None allocated"))),
        (str(_l("Record made")), child.created_at.date().isoformat()),
    ]
    plans = []
    for plan in session.scalars(select(Plan).where(Plan.child_id == child.id)
                                .order_by(Plan.started_on)):
        plans.append({
            "kind": plan.kind.value, "kind_label": plan.kind.label,
            "placement": plan.placement_type.value if plan.placement_type else None,
            "placement_label": plan.placement_type.label if plan.placement_type else None,
            "started_on": _day(plan.started_on), "ended_on": _day(plan.ended_on),
            "reviews": [{"due_on": _day(review.due_on), "held_on": _day(review.held_on),
                         "chair": person(review.chair_id)} for review in plan.reviews]})
    invitations = [{
        "issued_at": moment(invitation.issued_at), "issued_by": person(invitation.issued_by_id),
        "questionnaire": invitation.questionnaire_key,
        "questionnaire_title": _title(catalogue, invitation.questionnaire_key),
        "band": invitation.band, "language": invitation.language,
        "language_label": language_label(invitation.language),
        "expires_at": moment(invitation.expires_at), "state": invitation.state.value,
        "state_label": invitation.state.label}
        for invitation in session.scalars(select(Invitation).where(
            Invitation.child_id == child.id).order_by(Invitation.issued_at))]
    notes: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for note in session.scalars(select(AnswerNote).join(Response).where(
            Response.child_id == child.id).order_by(AnswerNote.written_at)):
        notes.setdefault(note.response_id, {}).setdefault(note.question_key, []).append({
            "written_at": moment(note.written_at), "written_by": person(note.written_by_id),
            "note": redaction.text(note.body)})
    questionnaires = []
    for response in session.scalars(select(Response).where(Response.child_id == child.id)
                                    .order_by(Response.started_at)):
        reading = _redacted_reading(read_response(session, catalogue, response), redaction)
        record = _redacted_record(response_record(response, reading), redaction)
        record["notes"] = notes.get(response.id, {})
        questionnaires.append(AnsweredQuestionnaire(reading, record, notes.get(response.id, {})))
    alerts = [{
        "raised_at": moment(alert.raised_at), "why": alert.summary,
        "source": alert.source.value, "acknowledged_at": moment(alert.acknowledged_at),
        "acknowledged_by": person(alert.acknowledged_by_id),
        "closed_at": moment(alert.closed_at), "closed_by": person(alert.closed_by_id),
        "what_was_done": redaction.text(alert.action_taken)}
        for alert in session.scalars(select(Alert).where(Alert.child_id == child.id)
                                     .order_by(Alert.raised_at))]
    feedback = [{
        "written_at": moment(note.written_at), "written_by": person(note.written_by_id),
        "note": redaction.text(note.body), "seen_at": moment(note.seen_at)}
        for note in session.scalars(select(Feedback).where(Feedback.child_id == child.id)
                                    .order_by(Feedback.written_at))]
    views = [Viewed(event.occurred_at,
                    person(event.actor_id) or systems.get(event.service_account_id or 0)
                    or str(_l("The service itself")),
                    audit.label(event.action), event.action)
             for event in session.scalars(select(AuditEvent).where(
                 AuditEvent.child_id == child.id)
                 .order_by(AuditEvent.occurred_at, AuditEvent.id))]
    produced = SubjectAccess(child=child, produced_at=utcnow(),
                             produced_by=produced_by.display_name, redaction=redaction,
                             details=details, plans=plans, invitations=invitations,
                             questionnaires=questionnaires, alerts=alerts, feedback=feedback,
                             views=views)
    return produced


def _title(catalogue: Catalogue, key: str) -> str:
    definition = catalogue.get(key)
    return str(definition.staff_title) if definition is not None else key


def record_export(session: Session, child: Child, by: User, kind: str,
                  redaction: Redaction) -> None:
    """The audit row for a subject access export (``kind`` "pdf" or "json")."""
    audit.record("subject_access.exported", child_id=child.id, subject=child, actor=by,
                 session=session, detail={"format": kind, **redaction.summary()})


def as_json(record: SubjectAccess) -> dict[str, Any]:
    """The machine-readable file."""
    return {
        "format": FORMAT,
        "produced_at": moment(record.produced_at),
        "produced_by": record.produced_by,
        "redaction": record.redaction.summary(),
        "child": {"reference": record.child.reference, "first_name": record.child.first_name,
                  "last_name": record.child.last_name,
                  "date_of_birth": record.child.date_of_birth.isoformat(),
                  "gender": record.child.gender.value,
                  "ethnicity_group": record.child.ethnicity_group.value,
                  "preferred_language": record.child.preferred_language,
                  "team": record.child.team.name,
                  "details": dict(record.details)},
        "plans": record.plans,
        "invitations": record.invitations,
        "responses": [answered.record for answered in record.questionnaires],
        "alerts": record.alerts,
        "you_said_we_did": record.feedback,
        "who_viewed": [{"at": moment(view.at), "who": view.who, "what": view.what,
                        "action": view.action} for view in record.views],
    }


def every_text(record: SubjectAccess) -> Iterable[str]:
    """Every piece of text in the record (for the PDF's choice of fonts)."""
    yield from (value for _, value in record.details)
    for answered in record.questionnaires:
        for question in answered.reading.questions:
            yield question.answer.describe()
            yield question.wording_as_served or ""
    for item in (*record.alerts, *record.feedback):
        yield from (str(value) for value in item.values() if value)
