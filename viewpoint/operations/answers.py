"""What happens when a child answers: named operations, called by the views.

Tablets lose Wi-Fi, batteries and children's attention at any moment, so every answer
is saved on its own the moment it is given, and saving the same answer twice (a retry
after a dropped connection, a double tap) stores it once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..models import (
    Alert,
    Answer,
    AnswerSequence,
    HelpedBy,
    Invitation,
    InvitationState,
    Response,
    store_value,
    stored_value,
    utcnow,
)
from ..questionnaires import Catalogue, Question, Questionnaire
from ..questionnaires.snapshot import Snapshot, snapshot_of, snapshot_version
from . import alerts, webhooks
from .invitations import band_for, end_child_sessions
from .totals import count_response

#: The form and API value that means "I'd rather not say".
DECLINED = "_declined"


#: What no database should be asked to keep in a child's words: NUL (PostgreSQL refuses it in
#: text and JSON), the other C0 control characters but tab, newline and carriage return, and
#: lone UTF-16 surrogates (JSON's "\ud800" decodes to one; neither database can encode it).
_UNSTORABLE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")
#: A save id: printable ASCII (the pages make UUIDs, hex and URL-safe base64), never a
#: character the database could not store.
_SAVE_ID = re.compile(r"[!-~]{1,64}")


def storable_text(text: str) -> str:
    """``text`` as it can be stored the same way on SQLite and PostgreSQL: control characters
    a person cannot have meant (NUL and the other C0 controls except tab, newline and
    carriage return) removed, and lone surrogates replaced with U+FFFD.

    Cleaned rather than refused, so that the child's other words are kept and a tablet's
    queue of answers is never stuck behind one that the database cannot take.
    """
    return _LONE_SURROGATES.sub("\N{REPLACEMENT CHARACTER}", _UNSTORABLE_CONTROLS.sub("", text))


class AnswerRejected(ValueError):
    """Raised when an answer cannot be stored; the message is safe to show the child's page."""


class ResponseClosed(RuntimeError):
    """Raised when answers arrive for a response that has already been sent."""


@dataclass(frozen=True)
class SaveResult:
    #: False when this exact save had already been stored (a retry or a double tap), or
    #: when a newer one had (``superseded``).
    changed: bool
    alert: Alert | None = None
    saved_at: datetime | None = None
    #: True when the device had already saved a newer answer to the question: this older
    #: one (a late retry) was not stored.
    superseded: bool = False


#: A device's sequence for a save: its clock in microseconds, so below 2**62 for ages.
SEQ_MAX = 2**62


#: A save that waited on the tablet at least this long keeps when the child gave it.
WAITED_WORTH_SAYING = timedelta(minutes=1)
#: Longer than any code works: a longer wait is a tablet's clock gone wrong.
WAITED_AT_MOST = timedelta(days=60)


def waited(value: object) -> timedelta | None:
    """How long a save waited on the tablet, as its script measured it (milliseconds by the
    tablet's own clock, so a tablet set to the wrong time measures it right all the same),
    or None if it did not wait long enough to say, or the figure cannot be right."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    wait = timedelta(milliseconds=value) if 0 <= value < 10**13 else None
    if wait is None or not WAITED_WORTH_SAYING <= wait <= WAITED_AT_MOST:
        return None
    return wait


def save_sequence(value: object) -> int | None:
    """A save's sequence as sent (a whole number, or digits from a form), or None if there
    is none. Raises :class:`AnswerRejected` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < SEQ_MAX:
        raise AnswerRejected("bad sequence")
    return value


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(name: str, dialect: str) -> Any:
    """One of the statements that store answers, built once per dialect so that SQLAlchemy
    compiles it once (saving answers is the hottest path in the service); executed with a
    row of values per save, which SQLAlchemy sends as one multi-row INSERT."""
    statement = _STATEMENTS.get((name, dialect))
    if statement is None:
        statement = _STATEMENTS[(name, dialect)] = _BUILDERS[name](
            pg_insert if dialect == "postgresql" else sqlite_insert)
    return statement


def _claim_sequences(insert: Any) -> Any:
    """INSERT ... ON CONFLICT (response, question) DO UPDATE ... WHERE the stored sequence is
    older, returning the questions for which the save is the newest yet: one statement, so
    that saves racing each other (from another request, on PostgreSQL at the same moment)
    are ordered by the database."""
    table = AnswerSequence.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["response_id", "question_key"],
        set_={"seq": statement.excluded.seq, "session": statement.excluded.session},
        # Newer on the same device; or from another device (the one the child is using
        # now: a code works on one device at a time), whose clock need not agree.
        where=(table.c.seq < statement.excluded.seq)
        | table.c.session.is_distinct_from(statement.excluded.session),
    ).returning(table.c.question_key)


def _upsert_answers(insert: Any) -> Any:
    """INSERT ... ON CONFLICT (response, question) DO UPDATE, returning the questions whose
    answer changed: an upsert, so that two devices (or a retry racing the original) saving
    the same question at once leave exactly one answer rather than failing."""
    table = Answer.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["response_id", "question_key"],
        set_={k: statement.excluded[k] for k in ("value", "declined", "client_save_id",
                                                 "saved_at", "given_at")},
        # The same save arriving twice changes nothing, and returns no row.
        where=table.c.client_save_id.is_distinct_from(statement.excluded.client_save_id),
    ).returning(table.c.question_key)


_BUILDERS = {"claim": _claim_sequences, "upsert": _upsert_answers}


def start_response(session: Session, catalogue: Catalogue, invitation: Invitation,
                   language: str | None = None) -> Response:
    """The invitation's response, created (with the snapshot of its wording in ``language``,
    by default the invitation's) on first use."""
    existing = session.scalar(select(Response).where(Response.invitation_id == invitation.id))
    if existing is not None:
        return existing
    questionnaire = catalogue.get(invitation.questionnaire_key)
    if questionnaire is None:
        raise LookupError(f"questionnaire {invitation.questionnaire_key} is no longer served")
    today = utcnow().date()
    band = invitation.band or band_for(invitation.child, questionnaire, today)
    language = language or invitation.language
    version = snapshot_version(session, questionnaire, band, language)
    response = Response(invitation=invitation, child_id=invitation.child_id,
                        plan_id=invitation.review.plan_id, review_id=invitation.review_id,
                        questionnaire_version=version, questionnaire_key=questionnaire.id,
                        band=band, language=language)
    session.add(response)
    if invitation.state is InvitationState.ISSUED:
        invitation.state = InvitationState.STARTED
    session.flush()
    return response


def change_language(session: Session, catalogue: Catalogue, response: Response,
                    language: str) -> None:
    """Show the rest of the questions in ``language``: the response moves to the snapshot of
    the same questionnaire and band in that language. Answers are kept by question, so none
    is lost; the English beside every translation stays the same for the worker.

    A response already sent keeps the words it was sent with.
    """
    if response.language == language or response.submitted_at is not None:
        return
    questionnaire = questionnaire_of(session, catalogue, response)
    if questionnaire is None:
        return
    response.questionnaire_version = snapshot_version(session, questionnaire, response.band,
                                                      language)
    response.language = language


def questionnaire_of(session: Session, catalogue: Catalogue,
                     response: Response) -> Questionnaire | None:
    """The version of the questionnaire the response was started on: a child answering on
    a tablet keeps to it even if a newer version is published meanwhile."""
    snapshot = snapshot_of(session, response.questionnaire_version_id)
    return catalogue.version(response.questionnaire_key, snapshot.definition_id)


def definition_question(questionnaire: Questionnaire | None, response: Response,
                        key: str) -> Question:
    """The question ``key`` as defined in ``questionnaire`` (the version the response is on,
    from :func:`questionnaire_of`) for the response's band.

    Raises :class:`AnswerRejected` if the child was not asked it.
    """
    question = questionnaire.question(key) if questionnaire else None
    if question is None or response.band not in question.bands:
        raise AnswerRejected("unknown question")
    return question


def answers_of(session: Session, response: Response) -> dict[str, Any]:
    """The child's answers so far by question: rows with ``value`` and ``declined``."""
    return {row.question_key: row for row in session.execute(
        select(Answer.question_key, Answer.value, Answer.declined)
        .where(Answer.response_id == response.id))}


def given_values(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Question key -> the value given (None when declined), from :func:`answers_of`."""
    return {key: stored_value(row.value, row.declined) for key, row in answers.items()}


@dataclass(frozen=True)
class Save:
    """One answer as a device sent it: ``value`` None (and not ``declined``) takes the answer
    back; ``save_id`` makes it idempotent; ``seq`` (from :func:`save_sequence`) is the
    device's order of its saves; ``waited_for`` (from :func:`waited`) how long it waited on
    the tablet."""

    key: str
    value: Any = None
    declined: bool = False
    save_id: str | None = None
    seq: int | None = None
    waited_for: timedelta | None = None


@dataclass(frozen=True)
class _Checked:
    """A save that can be stored: its place in the request, its question, its value cleaned."""

    index: int
    save: Save
    question: Question
    #: The value to store (None when declined or taken back).
    cleaned: Any
    cleared: bool


def _check(questionnaire: Questionnaire | None, response: Response, index: int,
           save: Save) -> _Checked:
    question = definition_question(questionnaire, response, save.key)
    save_id = save.save_id
    if save_id is not None and (not isinstance(save_id, str) or not _SAVE_ID.fullmatch(save_id)):
        raise AnswerRejected("bad save id")
    if save.declined and not question.rather_not_say:
        raise AnswerRejected("this question cannot be declined")
    value = save.value
    if question.type == "free_text" and isinstance(value, str):
        value = storable_text(value)
    try:
        cleared = not save.declined and value in (None, "", [])
        cleaned = None if save.declined or cleared else question.clean_answer(value)
    except ValueError as exc:
        raise AnswerRejected(str(exc)) from exc
    cleared = cleared or (not save.declined and cleaned == "")
    return _Checked(index, save, question, None if cleared else cleaned, cleared)


def record_answers(session: Session, catalogue: Catalogue, response: Response,
                   saves: list[Save], *, device: int | None = None,
                   before_write: Callable[[], None] | None = None,
                   ) -> list[SaveResult | AnswerRejected]:
    """Store the child's answers, in the order given (each replacing any earlier answer to
    its question), and raise any alert; returns each save's result, or the
    :class:`AnswerRejected` saying why the question cannot take it.

    Every save is checked first (free text cleaned by :func:`storable_text`), and only then
    is ``before_write`` (taking the write lock) called: the writes are a handful of
    statements for the whole request, whatever its size. A save older (``seq``) than one
    already stored for its question from the same session (``device``), or than a later one
    in the same request, is not stored (its result says ``superseded``); saves without a
    sequence (a page sent without its script) are stored as they come. A save stored before
    (its ``save_id`` again: a retry, a double tap) changes nothing. The answer, and any alert
    it raises, keep when the child gave it if the save waited on the tablet.
    Raises :class:`ResponseClosed` once the response has been sent.
    """
    results: list[SaveResult | AnswerRejected | None] = [None] * len(saves)
    checked: list[_Checked] = []
    questionnaire = questionnaire_of(session, catalogue, response)
    for index, save in enumerate(saves):
        try:
            checked.append(_check(questionnaire, response, index, save))
        except AnswerRejected as exc:
            results[index] = exc
    if not checked:
        return [result for result in results if result is not None]
    if before_write is not None:
        before_write()
    now = utcnow()
    connection = session.connection()
    dialect = connection.dialect.name
    responses = Response.__table__
    # Inside the write transaction (and, on PostgreSQL, holding the response's row until
    # the end), that another device has not just sent the response.
    if session.execute(select(responses.c.submitted_at).where(responses.c.id == response.id)
                       .with_for_update()).scalar_one() is not None:
        raise ResponseClosed("already sent")

    # The request's own order first: per question, the newest save sent wins; one sent
    # before it in the request was saved, then replaced; one older than a save before it
    # in the request is superseded.
    newest: dict[str, _Checked] = {}
    superseded: set[int] = set()
    for item in checked:
        current = newest.get(item.save.key)
        if (current is None or item.save.seq is None or current.save.seq is None
                or item.save.seq > current.save.seq):
            newest[item.save.key] = item
        else:
            superseded.add(item.index)
    # Then against what is stored: a question whose newest save here is older than the one
    # stored (a late retry) keeps the stored answer, and none of its saves here is stored.
    ordered = [item for item in newest.values() if item.save.seq is not None]
    if ordered:
        claimed = set(connection.execute(_statement("claim", dialect), [
            {"response_id": response.id, "question_key": item.save.key, "seq": item.save.seq,
             "session": device} for item in ordered]).scalars())
        for item in ordered:
            if item.save.key not in claimed:
                del newest[item.save.key]
                superseded.update(other.index for other in checked
                                  if other.save.key == item.save.key)

    changed: set[str] = set()
    answers = Answer.__table__
    cleared = [key for key, item in newest.items() if item.cleared]
    if cleared:  # the child took these answers back
        changed.update(session.execute(delete(answers).where(
            answers.c.response_id == response.id, answers.c.question_key.in_(cleared))
            .returning(answers.c.question_key)).scalars())
    given = [item for item in newest.values() if not item.cleared]
    if given:
        changed.update(connection.execute(_statement("upsert", dialect), [{
            "response_id": response.id, "question_key": item.save.key,
            "value": None if item.save.declined else store_value(item.cleaned),
            "declined": item.save.declined,
            # Without an id from the device, every save is a new one.
            "client_save_id": item.save.save_id or uuid.uuid4().hex, "saved_at": now,
            "given_at": given_at(now, item.save)} for item in given]).scalars())

    place: str | None = None
    stored_any = False
    alerting: list[_Checked] = []
    for item in checked:
        if item.index in superseded:
            results[item.index] = SaveResult(changed=False, saved_at=now, superseded=True)
            continue
        stored_any = True
        winner = newest[item.save.key] is item
        if winner and not item.cleared and item.save.key not in changed:
            # The same save again (a retry or a double tap): nothing changed, and the
            # child's place stays where it is, not a page back.
            results[item.index] = SaveResult(changed=False, saved_at=now)
            continue
        place = item.save.key
        if not item.save.declined and not item.cleared:
            alerting.append(item)
        results[item.index] = SaveResult(changed=not winner or item.save.key in changed,
                                         saved_at=now)
    raised = alerts.raise_for_answers(session, response, [
        (item.question, item.cleaned, given_at(now, item.save)) for item in alerting])
    for item, alert in zip(alerting, raised, strict=True):
        if alert is not None:
            results[item.index] = dataclasses.replace(results[item.index], alert=alert)
    if stored_any:
        values: dict[str, Any] = {"saved_at": now}
        if place is not None:
            values["resume_at"] = place
        session.execute(update(responses).where(responses.c.id == response.id).values(values))
    return [result for result in results if result is not None]


def given_at(now: datetime, save: Save) -> datetime | None:
    """When the child gave the answer, if the save waited on the tablet to say so."""
    return now - save.waited_for if save.waited_for is not None else None


def record_answer(session: Session, catalogue: Catalogue, response: Response, key: str,
                  value: Any, *, declined: bool = False, save_id: str | None = None,
                  seq: int | None = None, device: int | None = None,
                  waited_for: timedelta | None = None,
                  before_write: Callable[[], None] | None = None) -> SaveResult:
    """One answer on its own, as :func:`record_answers` stores it. Raises
    :class:`AnswerRejected` for an answer the question cannot take, and
    :class:`ResponseClosed` once the response has been sent."""
    result, = record_answers(session, catalogue, response,
                             [Save(key, value, declined, save_id, seq, waited_for)],
                             device=device, before_write=before_write)
    if isinstance(result, AnswerRejected):
        raise result
    return result


def is_helper(helped_by: str | None) -> bool:
    """Whether ``helped_by`` is an answer to "who helped you" (or none given)."""
    return helped_by in (None, "", *HelpedBy)


def submit_response(session: Session, response: Response, helped_by: str | None) -> Response:
    """The child has finished: attach the response to the review for good; the code stops working.

    Sending twice is harmless: the second time changes nothing.
    Raises :class:`AnswerRejected` for an unknown "who helped" answer.
    """
    if not is_helper(helped_by):
        raise AnswerRejected("unknown helper")
    if response.submitted_at is not None:
        return response
    # Two taps on Send at once run side by side on PostgreSQL: the second waits here for
    # the first, and finds the answers sent.
    if session.scalar(select(Response.submitted_at).where(Response.id == response.id)
                      .with_for_update()) is not None:
        session.refresh(response)
        return response
    response.helped_by = HelpedBy(helped_by) if helped_by else None
    response.submitted_at = utcnow()
    response.saved_at = response.submitted_at
    invitation = response.invitation
    invitation.state = InvitationState.SUBMITTED
    end_child_sessions(invitation, "sent")
    session.flush()
    # The anonymised totals learn of it in the same transaction: never half counted.
    count_response(session, response)
    webhooks.publish(session, "response.submitted", response.child, response_id=response.id)
    return response


def keep_place(response: Response, key: str) -> None:
    """The child moved on to the page that starts with question ``key``: they carry on there
    next time, on this tablet or another."""
    response.resume_at = key
    # Written even if it equals the place loaded with the response: the saves of this
    # request may have moved it in the database since (record_answers writes it directly).
    flag_modified(response, "resume_at")


def end_session(invitation: Invitation) -> None:
    """Stop for now: every copy of this child's session stops working; answers are kept."""
    end_child_sessions(invitation, "stopped")


def response_token(response: Response) -> str:
    """An opaque tag for the child's page, so that answers queued offline by one child are
    never sent into another child's questionnaire on a shared tablet."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"response:{response.id}".encode(), hashlib.sha256).hexdigest()[:24]


def snapshot(session: Session, response: Response, digest: str | None = None) -> Snapshot:
    """The wording this response is answered against. Pass ``digest`` if known."""
    return snapshot_of(session, response.questionnaire_version_id, digest)
