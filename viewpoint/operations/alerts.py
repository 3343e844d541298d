"""Safeguarding alerts: raised the moment a worrying answer is saved, or when a child asks
to talk to someone. Acting on them is casework's job; raising them is here, in one place,
with emailing staff about them (through the outbox) and noticing when one is overdue."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, object_session

from .. import audit, outbox
from ..auth.permissions import visible_children
from ..models import Alert, AlertSource, Child, Response, Role, User, utcnow
from ..questionnaires import Question
from . import webhooks

log = logging.getLogger(__name__)

#: The page where staff open one alert (``casework.alert``). Written out rather than built
#: with ``url_for``: overdue emails are written by a command, outside any request.
ALERT_PATH = "/casework/alerts/{alert_id}"


def acknowledge_deadline(raised_at: datetime) -> datetime:
    """One working day after ``raised_at``: raised on Friday afternoon, due by Monday
    afternoon; raised at the weekend, due by the end of Monday (weekends are not working
    days; bank holidays are not yet known to the service)."""
    moment = raised_at
    if moment.weekday() >= 5:  # Saturday or Sunday: the clock starts Monday morning
        moment = (moment + timedelta(days=7 - moment.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0)
    moment += timedelta(days=1)
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment


def _new_alert(**values: object) -> Alert:
    raised_at = utcnow()
    return Alert(raised_at=raised_at, acknowledge_by=acknowledge_deadline(raised_at), **values)


def raise_for_answer(session: Session, response: Response, question: Question,
                     value: object, *, given_at: datetime | None = None) -> Alert | None:
    """An alert if ``value`` meets the question's alert rule (once per response and question).

    Changing the answer later does not withdraw it: the worker still needs to know.
    ``given_at`` is when the child gave the answer, if it waited on an offline tablet.
    """
    return raise_for_answers(session, response, [(question, value, given_at)])[0]


def raise_for_answers(session: Session, response: Response,
                      given: list[tuple[Question, object, datetime | None]]) -> list[Alert | None]:
    """:func:`raise_for_answer` for several answers to ``response`` at once (question, value,
    when given), in order: one query for the alerts already raised, and only if an answer
    meets its question's rule."""
    raised: list[Alert | None] = [None] * len(given)
    worrying = [(number, question, when) for number, (question, value, when) in enumerate(given)
                if question.alert is not None and question.raises_alert(value)]
    if not worrying:
        return raised
    existing = {alert.question_key: alert for alert in session.scalars(select(Alert).where(
        Alert.response_id == response.id, Alert.source == AlertSource.ANSWER,
        Alert.question_key.in_({question.key for _, question, _ in worrying})))}
    new = []
    for number, question, when in worrying:
        alert = existing.get(question.key)
        if alert is None:
            assert question.alert is not None
            alert = existing[question.key] = _new_alert(
                child_id=response.child_id, response=response, question_key=question.key,
                source=AlertSource.ANSWER, summary=question.alert.summary)
            alert.given_at = when
            session.add(alert)
            new.append(alert)
        raised[number] = alert
    if new:
        session.flush()
        for alert in new:
            email_new_alert(session, alert)
            webhooks.publish(session, "alert.raised", response.child, alert_id=alert.id,
                             response_id=response.id)
    return raised


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
    alert = _new_alert(child_id=child.id, response=response,
                       source=AlertSource.TALK_TO_SOMEONE, summary="Asked to talk to someone")
    session.add(alert)
    session.flush()
    email_new_alert(session, alert)
    webhooks.publish(session, "alert.raised", child, alert_id=alert.id,
                     **({"response_id": response.id} if response is not None else {}))
    return alert


def alerts_for_response(session: Session, response: Response) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.response_id == response.id)
                                .order_by(Alert.raised_at)))


# --- telling staff by email ---
#
# Email leaves the service and lands in inboxes, phones and forwarding rules nobody here
# controls, so it carries only the child's case reference, what kind of alert it is and
# when it must be acknowledged: never the child's name, never an answer, never the rule's
# summary (which says what the child answered). Staff read the rest after signing in.


def emails_enabled() -> bool:
    """Whether alert emails are queued at all (``SMTP_HOST`` is set for the current app)."""
    return has_app_context() and bool(current_app.config.get("SMTP_HOST"))


def email_new_alert(session: Session, alert: Alert) -> int:
    """Queue an email about a newly raised ``alert`` to the child's social worker and the
    team's active managers; returns how many were queued (none when emails are off).

    Called from the child's answer-saving path, so it costs one small query, and only
    when an alert is new.
    """
    if not emails_enabled():
        return 0
    allocated = (User.id == Child.social_worker_id)
    rows = session.execute(
        select(Child.reference, User.email, allocated.label("allocated"))
        .select_from(Child)
        .join(User, or_(allocated, and_(User.team_id == Child.team_id,
                                        User.role == Role.TEAM_MANAGER)))
        .where(Child.id == alert.child_id, User.is_active)
        .order_by(User.id)).all()
    has_worker = any(row.allocated for row in rows)
    queued = 0
    for row in rows:
        subject, body = _new_alert_email(alert, row.reference, to_worker=bool(row.allocated),
                                         has_worker=has_worker)
        queued += _queue(session, row.email, subject, body, alert)
    if not queued:
        log.warning("Alert %s: no active social worker or team manager to email", alert.id)
    return queued


def is_overdue(alert: Alert, now: datetime) -> bool:
    """Still open and unacknowledged after the moment it had to be acknowledged by."""
    return (alert.closed_at is None and alert.acknowledged_at is None
            and alert.acknowledge_by is not None and alert.acknowledge_by < now)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """:func:`is_overdue` as a condition on ``Alert`` (uses the ``acknowledge_by`` index)."""
    return and_(Alert.closed_at.is_(None), Alert.acknowledged_at.is_(None),
                Alert.acknowledge_by < now)


def overdue_alerts_query(now: datetime, team_ids: list[int] | None = None) -> Select[tuple[Alert]]:
    """Overdue alerts, longest overdue first; only those of ``team_ids`` if given."""
    query = select(Alert).where(overdue_condition(now)).order_by(Alert.acknowledge_by, Alert.id)
    if team_ids is not None:
        query = query.join(Child, Child.id == Alert.child_id).where(Child.team_id.in_(team_ids))
    return query


def notify_overdue(session: Session, now: datetime | None = None) -> int:
    """Queue one email to the team's active managers for each overdue alert they have not
    yet been told about, and note that they were told; returns how many alerts that was.

    Needs an app context. Does nothing while emails are off (alerts stay unmarked, so they
    are reported once emails are turned on). An alert whose team has no active manager is
    left unmarked, and logged, so that it is reported as soon as the team has one.
    """
    if not emails_enabled():
        return 0
    now = now or utcnow()
    # SKIP LOCKED (PostgreSQL): two senders never report the same alert, and an alert a
    # worker is acknowledging right now is left for the next run. (SQLite: the caller's
    # write transaction already runs alone.)
    found = session.execute(
        select(Alert, Child.reference, Child.team_id)
        .join(Child, Child.id == Alert.child_id)
        .where(overdue_condition(now), Alert.overdue_notified_at.is_(None))
        .order_by(Alert.acknowledge_by, Alert.id)
        .with_for_update(skip_locked=True, of=Alert)).all()
    if not found:
        return 0
    managers: dict[int, list[str]] = {}
    for team_id, email in session.execute(
            select(User.team_id, User.email)
            .where(User.role == Role.TEAM_MANAGER, User.is_active,
                   User.team_id.in_({team_id for _a, _r, team_id in found}))
            .order_by(User.id)):
        managers.setdefault(team_id, []).append(email)
    told = 0
    for alert, reference, team_id in found:
        if not managers.get(team_id):
            log.warning("Alert %s is overdue and team %s has no active manager to email",
                        alert.id, team_id)
            continue
        subject, body = _overdue_email(alert, reference)
        if sum(_queue(session, email, subject, body, alert) for email in managers[team_id]):
            alert.overdue_notified_at = now
            told += 1
    session.flush()
    return told


def _queue(session: Session, to: str, subject: str, body: str, alert: Alert) -> int:
    """1 if queued; 0 (logged) for an address no email can go to. A bad staff address must
    never stop a child's answer from being saved."""
    try:
        outbox.queue(session, to, subject, body, alert=alert)
    except ValueError:
        log.warning("Alert %s: cannot email staff address %r", alert.id, to)
        return 0
    return 1


def alert_link(alert: Alert) -> str | None:
    """The full address of the alert's page, or None when ``PUBLIC_URL`` is not set."""
    public_url = current_app.config.get("PUBLIC_URL")
    if not public_url:
        return None
    return public_url.rstrip("/") + ALERT_PATH.format(alert_id=alert.id)


def _when(moment: datetime) -> str:
    return format_datetime(moment, "EEEE d MMMM yyyy, HH:mm z")


def _what_raised_it(alert: Alert) -> str:
    if alert.source is AlertSource.TALK_TO_SOMEONE:
        return _("The child pressed \"I want to talk to someone\".")
    return _("An answer the child gave in a questionnaire.")


def _where_to_read_it(alert: Alert) -> str:
    link = alert_link(alert)
    if link is None:
        # Translators: %(number)s is the alert's number, shown on the Alerts page.
        return _("Sign in to viewpoint and open Alerts (alert number %(number)s).",
                 number=alert.id)
    return _("Open the alert: %(link)s", link=link)


def _footer() -> str:
    return _("This email leaves out the child's name and what they said, because email "
             "leaves viewpoint. Read them after signing in.")


def _new_alert_email(alert: Alert, reference: str, *, to_worker: bool,
                     has_worker: bool) -> tuple[str, str]:
    # Staff read English; the child answering may have chosen any language.
    with force_locale("en"):
        if to_worker:
            subject = _("viewpoint: a child on your caseload needs attention today")
            opening = _("A child on your caseload needs attention today.")
        else:
            subject = _("viewpoint: a child in your team needs attention today")
            opening = _("A child in your team needs attention today.")
        lines = [
            opening,
            "",
            _("Case reference: %(reference)s", reference=reference),
            _("What raised the alert: %(what)s", what=_what_raised_it(alert)),
            _("Raised: %(when)s", when=_when(alert.raised_at)),
        ]
        if alert.acknowledge_by is not None:
            lines.append(_("Please acknowledge it by: %(when)s", when=_when(alert.acknowledge_by)))
        if not to_worker:
            lines += ["", _("You are told because you manage the child's team.") if has_worker
                      else _("The child has no allocated social worker: please make sure "
                             "someone acts on this today.")]
        lines += ["", _where_to_read_it(alert), "", _footer()]
    return subject, "\n".join(lines) + "\n"


def _overdue_email(alert: Alert, reference: str) -> tuple[str, str]:
    with force_locale("en"):
        subject = _("viewpoint: an alert in your team has not been acknowledged")
        lines = [
            _("Nobody has acknowledged a safeguarding alert for a child in your team, and it "
              "is now overdue."),
            "",
            _("Case reference: %(reference)s", reference=reference),
            _("What raised the alert: %(what)s", what=_what_raised_it(alert)),
            _("Raised: %(when)s", when=_when(alert.raised_at)),
        ]
        if alert.acknowledge_by is not None:
            lines.append(_("It should have been acknowledged by: %(when)s",
                           when=_when(alert.acknowledge_by)))
        lines += ["", _where_to_read_it(alert), "", _footer()]
    return subject, "\n".join(lines) + "\n"


def count_open_alerts(session: Session, user: User) -> int:
    """How many alerts about the children ``user`` may see are still open (for the nav)."""
    return session.scalar(select(func.count()).select_from(Alert)
                          .join(Child, Child.id == Alert.child_id)
                          .where(Alert.closed_at.is_(None), visible_children(user))) or 0


def worker_first_name(child: Child) -> str | None:
    """The first name of the child's allocated social worker, the person told first about
    the child's alerts, as the child's pages name them; None when the child has none."""
    worker = child.social_worker
    return worker.display_name.split()[0] if worker else None


def who_is_told(session: Session, child: Child) -> tuple[str | None, str | None]:
    """Who hears of the child's alerts, named as the thank-you page names them: (the
    allocated social worker's first name, the first name of an active manager of the
    child's team), each None when there is nobody."""
    manager = session.scalar(select(User).where(
        User.team_id == child.team_id, User.role == Role.TEAM_MANAGER,
        User.is_active.is_(True)).order_by(User.id).limit(1))
    return worker_first_name(child), manager.display_name.split()[0] if manager else None


class AlertError(ValueError):
    """Raised when an alert cannot be changed; the message says why, for staff."""


def acknowledge_alert(alert: Alert, user: User) -> bool:
    """Say the alert has been seen and is being dealt with. Returns False if it already was
    (a second click): nothing is changed or recorded again."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = user.id
    audit.record("alert.acknowledged", child_id=alert.child_id, subject=alert, actor=user,
                 session=object_session(alert))
    webhooks.publish(object_session(alert), "alert.acknowledged", alert.child_id,  # type: ignore[arg-type]
                     alert_id=alert.id)
    return True


def close_alert(alert: Alert, user: User, action_taken: str) -> None:
    """Close the alert, recording what was done (acknowledging it too if nobody had).

    Raises :class:`AlertError` if it is already closed or nothing was said about what was
    done: nobody closes an alert without saying what was done.
    """
    if alert.closed_at is not None:
        raise AlertError(_("This alert was already closed."))
    action_taken = action_taken.strip()
    if not action_taken:
        raise AlertError(_("Say what was done before closing the alert."))
    now = utcnow()
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = user.id
    alert.closed_at = now
    alert.closed_by_id = user.id
    alert.action_taken = action_taken
    audit.record("alert.closed", child_id=alert.child_id, subject=alert, actor=user,
                 session=object_session(alert))
    webhooks.publish(object_session(alert), "alert.closed", alert.child_id,  # type: ignore[arg-type]
                     alert_id=alert.id)
