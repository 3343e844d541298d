"""Reading one response: what the child said, in plain English for the worker, beside last time.

The worker reads the child's answers in English whatever language the child answered in:
every label comes from the English stored beside the child's wording in the response's
snapshot (so it is the wording the child actually saw, not today's definition). The
child's own words are never translated or tidied: they are shown exactly as written, with
the language named so that the worker knows when to find an interpreter.

The result is plain data, built once per page or PDF, so that the page, the PDF and tests
all read the same thing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import language_in_english
from ..models import Alert, AlertSource, Answer, HelpedBy, PlanKind, Response, User, utcnow
from ..operations.alerts import alerts_for_response, is_overdue
from ..questionnaires import Catalogue, Condition
from ..questionnaires.snapshot import Snapshot, snapshot_of


class AnswerState(enum.StrEnum):
    #: The child gave an answer.
    ANSWERED = "answered"
    #: The child chose "I'd rather not say": a choice, not a gap.
    DECLINED = "declined"
    #: The child was asked and moved on without answering.
    SKIPPED = "skipped"
    #: Not asked: the question depends on an earlier answer that did not call for it.
    NOT_ASKED = "not_asked"
    #: Not answered yet: the child has not sent their answers.
    UNANSWERED = "unanswered"


class Change(enum.StrEnum):
    """How an answer compares with the child's previous response to the same questionnaire."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    #: Not in the questionnaire last time, or not asked last time: nothing to compare with.
    NEW = "new"


class IndicatorState(enum.StrEnum):
    POSITIVE = "positive"
    NOT_POSITIVE = "not_positive"
    DECLINED = "declined"
    SKIPPED = "skipped"


INDICATOR_LABELS = {
    IndicatorState.POSITIVE: _l("Positive"),
    IndicatorState.NOT_POSITIVE: _l("Not positive"),
    IndicatorState.DECLINED: _l("Rather not say"),
    IndicatorState.SKIPPED: _l("Not answered"),
}


def _is_english(code: str) -> bool:
    return code.replace("_", "-").split("-")[0].lower() == "en"


@dataclass(frozen=True)
class ShownAnswer:
    """One answer, ready to read."""

    state: AnswerState
    #: The answer in English: an option's label, "7 out of 10", or the child's own words.
    text: str | None = None
    #: Each chosen option's English label, for "choose all that fit".
    choices: tuple[str, ...] = ()
    #: True when ``text`` is the child's own words, exactly as written.
    own_words: bool = False
    #: What the ends of a scale mean, for a scale answer.
    scale_ends: str | None = None
    #: "Written in Polish": named when the child's own words are not in English.
    written_in: str | None = None
    #: The language code of the child's own words (for the page's ``lang`` attribute).
    language: str | None = None
    #: The picture of a chosen face, under ``static/``.
    picture: str | None = None
    #: The stored value (option key, keys, number or text), for comparisons.
    value: Any = None

    @property
    def answered(self) -> bool:
        return self.state is AnswerState.ANSWERED

    def describe(self) -> str:
        """The answer in one line, for a list or the PDF."""
        if self.state is AnswerState.ANSWERED:
            if self.choices:
                return "; ".join(self.choices)
            return self.text or ""
        return describe_state(self.state)


def describe_state(state: AnswerState) -> str:
    """What a missing answer means, in words (declined and skipped read differently)."""
    if state is AnswerState.DECLINED:
        return _("Chose “I'd rather not say”")
    if state is AnswerState.SKIPPED:
        return _("Skipped: no answer given")
    if state is AnswerState.NOT_ASKED:
        return _("Not asked (it depends on an earlier answer)")
    if state is AnswerState.UNANSWERED:
        return _("Not answered yet")
    return ""


@dataclass(frozen=True)
class IndicatorReading:
    """One wellbeing indicator at a glance."""

    id: str
    #: The indicator's staff wording ("Feel safe where they live").
    label: str
    question_key: str
    state: IndicatorState
    #: The same indicator in the previous response, if it was answered then.
    previous_state: IndicatorState | None = None

    @property
    def state_label(self) -> str:
        return str(INDICATOR_LABELS[self.state])

    @property
    def previous_label(self) -> str | None:
        return str(INDICATOR_LABELS[self.previous_state]) if self.previous_state else None


@dataclass(frozen=True)
class AlertNote:
    """A safeguarding alert the response raised."""

    id: int
    source: AlertSource
    summary: str
    question_key: str | None
    raised_at: datetime
    closed: bool
    acknowledged: bool
    #: When someone had to acknowledge it by (one working day after it was raised).
    acknowledge_by: datetime | None = None
    acknowledged_at: datetime | None = None
    #: The name of whoever acknowledged it.
    acknowledged_by: str | None = None
    closed_at: datetime | None = None
    #: When the child gave the answer that raised it, if it waited on an offline tablet.
    given_at: datetime | None = None
    #: The name of whoever closed it.
    closed_by: str | None = None
    #: Still open, nobody has acknowledged it, and the moment to do so has passed.
    overdue: bool = False


@dataclass(frozen=True)
class QuestionReading:
    """One question of the version served, with this answer and last time's."""

    number: int
    key: str
    type: str
    #: Short plain-English label ("Feels safe where they live").
    staff_text: str
    #: The question's English wording as served to this band.
    wording: str
    #: The wording in the child's language, when that is not English.
    wording_as_served: str | None
    answer: ShownAnswer
    #: Last time's answer; None when there is no previous response or the question is new.
    previous: ShownAnswer | None = None
    #: None when there is nothing to compare with (no previous response, or not asked now).
    change: Change | None = None
    #: The alert this answer raised, if any.
    alert: AlertNote | None = None
    indicator: IndicatorReading | None = None
    #: The summary of the question's alert rule (as served), when the answer meets it.
    rule_fired: str | None = None
    #: (given, received) when the answer waited on an offline tablet before it reached us.
    waited: tuple[datetime, datetime] | None = None

    @property
    def changed(self) -> bool:
        return self.change is Change.CHANGED

    @property
    def flagged(self) -> bool:
        """The answer raised an alert, or meets the question's alert rule: the rule, not
        the wording of the question, says which answers are worrying."""
        return self.alert is not None or self.rule_fired is not None

    @property
    def alert_summary(self) -> str | None:
        return self.alert.summary if self.alert is not None else self.rule_fired

    @property
    def in_own_words(self) -> bool:
        """The child wrote this answer themselves."""
        return self.answer.answered and self.answer.own_words

    @property
    def new_to_questionnaire(self) -> bool:
        """Not in the questionnaire last time (rather than in it but not asked)."""
        return self.change is Change.NEW and self.previous is None

    @property
    def previous_worth_showing(self) -> bool:
        """Whether last time's answer tells the worker anything: it was different, or there
        is nothing this time to compare it with. The same answer again, or a skip after a
        skip, is not repeated."""
        if self.previous is None:
            return False
        if self.change is Change.CHANGED:
            return True
        return self.change is None and self.previous.state in (AnswerState.ANSWERED,
                                                               AnswerState.DECLINED)


@dataclass(frozen=True)
class PreviousResponse:
    id: int
    submitted_at: datetime
    band: str
    language: str


@dataclass(frozen=True)
class ResponseReading:
    """Everything a worker reads about one response."""

    response_id: int
    child_id: int
    reference: str
    first_name: str
    last_name: str
    plan_kind: PlanKind
    review_due: date
    questionnaire_key: str
    #: The questionnaire's staff title ("Before a looked-after child's review").
    questionnaire_title: str
    band: str
    language: str
    helped_by: HelpedBy | None
    started_at: datetime
    submitted_at: datetime | None
    questions: list[QuestionReading]
    indicators: list[IndicatorReading]
    alerts: list[AlertNote]
    previous: PreviousResponse | None = None
    counts: Mapping[AnswerState, int] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.submitted_at is None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def language_name(self) -> str:
        return language_in_english(self.language)

    @property
    def plan_label(self) -> str:
        return self.plan_kind.label

    @property
    def band_label(self) -> str:
        return _("Ages %(band)s", band=self.band)

    @property
    def helped_by_label(self) -> str:
        if self.helped_by is None:
            return _("Not said") if not self.in_progress else _("Not said yet")
        return self.helped_by.label

    @property
    def changed_count(self) -> int:
        return sum(1 for question in self.questions if question.changed)

    @property
    def flagged_questions(self) -> list[QuestionReading]:
        """The answers that raised an alert, in questionnaire order."""
        return [question for question in self.questions if question.flagged]

    @property
    def own_words_questions(self) -> list[QuestionReading]:
        """The child's own words, in questionnaire order (those that raised an alert are
        already among :attr:`flagged_questions`)."""
        return [question for question in self.questions
                if question.in_own_words and not question.flagged]

    @property
    def other_alerts(self) -> list[AlertNote]:
        """Alerts not tied to one of the questions: "I want to talk to someone", pressed
        while answering."""
        shown = {question.alert.id for question in self.questions if question.alert}
        return [alert for alert in self.alerts if alert.id not in shown]

    @property
    def talk_alerts(self) -> list[AlertNote]:
        """"I want to talk to someone", pressed while answering."""
        return [alert for alert in self.alerts if alert.source is AlertSource.TALK_TO_SOMEONE]


# --- building it ---------------------------------------------------------------------------

def _english(text: Mapping[str, str] | None) -> str | None:
    return text.get("en") if text else None


def _scale_text(scale: Mapping[str, Any], value: int) -> tuple[str, str | None]:
    low, high = _english(scale.get("low")), _english(scale.get("high"))
    if scale["min"] == 0:
        text = _("%(value)d out of %(max)d", value=value, max=scale["max"])
    else:
        text = _("%(value)d on a scale from %(min)d to %(max)d", value=value,
                 min=scale["min"], max=scale["max"])
    ends = None
    if low and high:
        ends = _("%(min)d means “%(low)s”, %(max)d means “%(high)s”", min=scale["min"],
                 low=low, max=scale["max"], high=high)
    return text, ends


def _waited(stored: Any) -> tuple[datetime, datetime] | None:
    """(when the child gave it, when it reached us) for an answer that waited on a tablet."""
    given = getattr(stored, "given_at", None)
    return (given, stored.saved_at) if given is not None else None


def show_answer(question: Mapping[str, Any], answer: Any, language: str, *,
                asked: bool, in_progress: bool) -> ShownAnswer:
    """One stored answer (an :class:`Answer` row or None) as the worker reads it.

    ``question`` is the question as served (from the snapshot); ``language`` the language the
    child answered in.
    """
    if answer is None:
        if not asked:
            return ShownAnswer(AnswerState.NOT_ASKED)
        return ShownAnswer(AnswerState.UNANSWERED if in_progress else AnswerState.SKIPPED)
    if answer.declined or answer.value is None:
        return ShownAnswer(AnswerState.DECLINED)
    value = answer.given
    kind = question["type"]
    options = {option["key"]: option for option in question.get("options") or ()}

    def label(key: str) -> str:
        option = options.get(key)
        return (_english(option["text"]) if option else None) or key

    if kind == "choose_many":
        keys = value if isinstance(value, list) else [value]
        return ShownAnswer(AnswerState.ANSWERED, choices=tuple(label(k) for k in keys),
                           value=sorted(keys))
    if kind == "scale" and isinstance(value, int) and question.get("scale"):
        text, ends = _scale_text(question["scale"], value)
        return ShownAnswer(AnswerState.ANSWERED, text=text, scale_ends=ends, value=value)
    if kind == "free_text":
        words = str(value)
        return ShownAnswer(
            AnswerState.ANSWERED, text=words, own_words=True, language=language, value=words,
            written_in=None if _is_english(language) else
            _("Written in %(language)s", language=language_in_english(language)))
    option = options.get(value) if isinstance(value, str) else None
    return ShownAnswer(AnswerState.ANSWERED, text=label(str(value)), value=value,
                       picture=option.get("picture") if option else None)


def _answers(session: Session, response_id: int) -> dict[str, Answer]:
    return {answer.question_key: answer for answer in session.scalars(
        select(Answer).where(Answer.response_id == response_id))}


def _values(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {key: answer.given for key, answer in answers.items()}


def previous_response(session: Session, response: Response) -> Response | None:
    """The child's latest submitted response to the same questionnaire before this one."""
    query = (select(Response)
             .where(Response.child_id == response.child_id,
                    Response.questionnaire_key == response.questionnaire_key,
                    Response.submitted_at.is_not(None), Response.id != response.id)
             .order_by(Response.submitted_at.desc(), Response.id.desc()).limit(1))
    if response.submitted_at is not None:
        query = query.where(Response.submitted_at < response.submitted_at)
    return session.scalar(query)


def _compare(now: ShownAnswer, before: ShownAnswer | None) -> Change | None:
    if now.state in (AnswerState.NOT_ASKED, AnswerState.UNANSWERED):
        return None
    if before is None or before.state is AnswerState.NOT_ASKED:
        return Change.NEW
    same = now.state is before.state and (
        now.value.strip() == before.value.strip() if now.own_words and before.own_words
        else now.value == before.value)
    return Change.UNCHANGED if same else Change.CHANGED


def _indicator_state(snapshot: Snapshot, key: str, answer: ShownAnswer) -> IndicatorState:
    if answer.state is AnswerState.DECLINED:
        return IndicatorState.DECLINED
    question = snapshot.question(key)
    if answer.state is not AnswerState.ANSWERED or not (question and question.get("positive")):
        return IndicatorState.SKIPPED
    positive = snapshot.is_positive(key, answer.value)
    return IndicatorState.POSITIVE if positive else IndicatorState.NOT_POSITIVE


def _alert_notes(session: Session, alerts: list[Alert]) -> list[AlertNote]:
    now = utcnow()
    staff_ids = {alert.acknowledged_by_id for alert in alerts} | {
        alert.closed_by_id for alert in alerts}
    staff_ids.discard(None)
    names = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_(staff_ids))).all()) if staff_ids else {}
    return [AlertNote(id=alert.id, source=alert.source, summary=alert.summary,
                      question_key=alert.question_key, raised_at=alert.raised_at,
                      closed=alert.closed_at is not None,
                      acknowledged=alert.acknowledged_at is not None,
                      acknowledge_by=alert.acknowledge_by,
                      acknowledged_at=alert.acknowledged_at,
                      acknowledged_by=names.get(alert.acknowledged_by_id),
                      closed_at=alert.closed_at, closed_by=names.get(alert.closed_by_id),
                      overdue=is_overdue(alert, now), given_at=alert.given_at)
            for alert in alerts]


def _rule_fired(question: Mapping[str, Any], answer: ShownAnswer) -> str | None:
    """The summary of the question's alert rule, as served, if the answer meets it."""
    rule = question.get("alert")
    if not rule or not answer.answered:
        return None
    return rule.get("summary") if Condition.from_dict(rule).matches(answer.value) else None


def read_response(session: Session, catalogue: Catalogue, response: Response) -> ResponseReading:
    """Everything a worker reads about ``response``: its details, every question of the version
    served with the answer in English, what changed since the previous response, the
    indicators at a glance and the alerts it raised. Reads only; writes nothing."""
    snapshot = snapshot_of(session, response.questionnaire_version_id)
    in_progress = response.submitted_at is None
    answers = _answers(session, response.id)
    shown = {q["key"] for q in snapshot.visible_questions(_values(answers))}

    before = previous_response(session, response)
    before_snapshot: Snapshot | None = None
    before_answers: dict[str, Answer] = {}
    before_shown: set[str] = set()
    if before is not None:
        before_snapshot = snapshot_of(session, before.questionnaire_version_id)
        before_answers = _answers(session, before.id)
        before_shown = {q["key"] for q in before_snapshot.visible_questions(
            _values(before_answers))}

    alerts = _alert_notes(session, alerts_for_response(session, response))
    by_question = {a.question_key: a for a in alerts
                   if a.source is AlertSource.ANSWER and a.question_key}

    questions: list[QuestionReading] = []
    indicators: list[IndicatorReading] = []
    counts = dict.fromkeys(AnswerState, 0)
    for number, question in enumerate(snapshot.questions, start=1):
        key = question["key"]
        answer = show_answer(question, answers.get(key), response.language,
                             asked=key in shown, in_progress=in_progress)
        counts[answer.state] += 1
        previous = change = None
        if before is not None and before_snapshot is not None:
            old_question = before_snapshot.question(key)
            if old_question is not None:
                previous = show_answer(old_question, before_answers.get(key), before.language,
                                       asked=key in before_shown, in_progress=False)
            change = _compare(answer, previous)
        indicator = None
        if question.get("indicator"):
            known = catalogue.indicators.get(question["indicator"])
            earlier = None
            if previous is not None and before_snapshot is not None and previous.state in (
                    AnswerState.ANSWERED, AnswerState.DECLINED):
                earlier = _indicator_state(before_snapshot, key, previous)
            indicator = IndicatorReading(
                id=question["indicator"], label=known.label if known else question["staff_text"],
                question_key=key, state=_indicator_state(snapshot, key, answer),
                previous_state=earlier)
            indicators.append(indicator)
        wording = _english(question["text"]) or question["staff_text"]
        served = question["text"].get("text") if question.get("text") else None
        questions.append(QuestionReading(
            number=number, key=key, type=question["type"], staff_text=question["staff_text"],
            wording=wording,
            wording_as_served=served if served and served != wording else None,
            answer=answer, previous=previous, change=change, alert=by_question.get(key),
            indicator=indicator, rule_fired=_rule_fired(question, answer),
            waited=_waited(answers.get(key))))

    definition = catalogue.get(response.questionnaire_key)
    child = response.child
    return ResponseReading(
        response_id=response.id, child_id=child.id, reference=child.reference,
        first_name=child.first_name, last_name=child.last_name, plan_kind=response.plan.kind,
        review_due=response.review.due_on, questionnaire_key=response.questionnaire_key,
        questionnaire_title=snapshot.staff_title
        or (definition.staff_title if definition else response.questionnaire_key),
        band=response.band, language=response.language, helped_by=response.helped_by,
        started_at=response.started_at, submitted_at=response.submitted_at,
        questions=questions, indicators=indicators, alerts=alerts,
        previous=PreviousResponse(id=before.id, submitted_at=before.submitted_at,
                                  band=before.band, language=before.language)
        if before is not None and before.submitted_at is not None else None,
        counts=counts)
