"""Keeping records as long as the law says, and no longer.

Every kind of record has a period under each kind of plan, counted from a named event: the
child's birth ("until the 75th birthday"), the last contact under the plan (the plan's end,
or its last review or response if later), or the record's own making. :data:`DEFAULTS` are
the periods the service ships with, each with its source; an administrator may set others
(``RetentionRule``). :func:`run` finds what is due and, when told to, destroys it in
batches, writing to the audit trail what it destroyed (counts and case references, never
content). Legal holds stop it: one on a child keeps everything about that child, one on
everything keeps everything.

The dashboards' totals are not records about a child and are never destroyed: the counts
stay, and published figures never change (``published/releases.py``), so a run leaves
every figure the panel sees as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..models import (
    Alert,
    Answer,
    AnswerNote,
    AnswerSequence,
    AuditEvent,
    Child,
    Feedback,
    Invitation,
    LegalHold,
    OutboxMessage,
    Plan,
    PlanKind,
    RateLimitBucket,
    RecoveryCode,
    Response,
    RetentionRule,
    Review,
    StaffSession,
    User,
    WebhookDelivery,
    utcnow,
)
from ..models.audit import chain_head
from . import Refusal

#: The kinds of record the schedule covers, in the order the schedule lists them. The first
#: six are kept against a plan; the rest are not about one child.
PLAN_RECORDS = ("case", "responses", "answers", "alerts", "feedback", "invitations")
OTHER_RECORDS = ("audit_events", "staff_accounts", "working_records")
RECORD_TYPES = PLAN_RECORDS + OTHER_RECORDS
#: What each kind of record is, for the schedule's page.
RECORD_LABELS = {
    "case": _l("The child's details, plans and reviews (the child's record itself: it goes "
               "when every one of their plans is due, and everything about them goes with it)"),
    "responses": _l("Questionnaires the child answered, with their answers, the alerts they "
                    "raised and what the child was told"),
    "answers": _l("The child's answers alone (the questionnaire's dates stay)"),
    "alerts": _l("Safeguarding alerts and what was done"),
    "feedback": _l("\u201cYou said, we did\u201d notes to the child"),
    "invitations": _l("Codes issued and never answered"),
    "audit_events": _l("The audit trail (who looked at or changed what), oldest first"),
    "staff_accounts": _l("Staff accounts switched off (the name and sign-in details are "
                         "removed; the audit trail keeps the account's number)"),
    "working_records": _l("Emails sent, events delivered, ended sign-in sessions and "
                          "counts of tries"),
}
#: What a period is counted from.
COUNTED_FROM = {
    "birth": _l("the child's date of birth"),
    "last_contact": _l("the last contact under the plan"),
    "event": _l("when the record was made"),
}
#: ``plan_kind`` for records not kept against a plan.
ANY_PLAN = "any"


@dataclass(frozen=True)
class Period:
    """How long one kind of record is kept: ``years`` from ``counted_from``."""

    years: int
    counted_from: str
    #: Why: the council's own words, or for a default its translated source (worked out in
    #: the reader's language when shown).
    reason: Any
    #: True for the shipped default, False when an administrator set it.
    default: bool = True

    def describe(self) -> str:
        if self.counted_from == "birth":
            return str(_l("Until the %(ordinal)s birthday", ordinal=_ordinal(self.years)))
        return ngettext("%(num)d year from %(event)s", "%(num)d years from %(event)s",
                        self.years, event=COUNTED_FROM[self.counted_from])


def _ordinal(number: int) -> str:
    # Translators: a birthday, as in "Until the 75th birthday" (only the number changes).
    return str(_l("%(number)sth", number=number))


_LOOKED_AFTER = _l(
    "Care Planning, Placement and Case Review (England) Regulations 2010, regulation 50: a "
    "looked-after child's case record is kept until their 75th birthday (or 15 years after "
    "their death, if they die before 18). A care leaver was looked after, so their record "
    "is kept the same.")
_PROTECTION = _l(
    "No regulation sets it. Child protection records are kept long after the last contact "
    "because adults ask to read them and inquiries ask councils to keep them; 40 years is a "
    "period many councils' schedules use. Agree it with your records manager.")
_IN_NEED = _l(
    "No regulation sets it. Limitation Act 1980: a claim about childhood can be brought "
    "until six years after the 18th birthday, so records are kept to the 25th birthday.")
_AUDIT = _l(
    "Kept six years after the year it happened, as most councils keep logs, so that a "
    "complaint or a claim can be answered. Lengthen it if your council keeps access logs "
    "with the records they are about.")
_STAFF = _l(
    "A switched-off account is kept two years after it was last used, to answer questions "
    "about what its holder did; then the person's name and sign-in details are removed.")
_WORKING = _l(
    "Working records of the service, kept long enough to look into a problem.")

#: The shipped schedule: (record type, plan kind) -> period.
DEFAULTS: dict[tuple[str, str], Period] = {
    **{(record, kind.value): Period(75, "birth", _LOOKED_AFTER)
       for record in PLAN_RECORDS for kind in (PlanKind.CARE_PLAN, PlanKind.PATHWAY_PLAN)},
    **{(record, PlanKind.CHILD_PROTECTION.value): Period(40, "last_contact", _PROTECTION)
       for record in PLAN_RECORDS},
    **{(record, PlanKind.CHILD_IN_NEED.value): Period(25, "birth", _IN_NEED)
       for record in PLAN_RECORDS},
    ("audit_events", ANY_PLAN): Period(7, "event", _AUDIT),
    ("staff_accounts", ANY_PLAN): Period(2, "event", _STAFF),
    ("working_records", ANY_PLAN): Period(1, "event", _WORKING),
}
#: The longest period anyone may set, and the shortest for a child's own records.
MOST_YEARS = 120
FEWEST_YEARS_FOR_A_CHILD = 1


def schedule(session: Session) -> dict[tuple[str, str], Period]:
    """The schedule in force: the defaults, with the council's own periods over them."""
    periods = dict(DEFAULTS)
    for rule in session.scalars(select(RetentionRule)):
        if (rule.record_type, rule.plan_kind) in periods:
            periods[rule.record_type, rule.plan_kind] = Period(
                rule.years, rule.counted_from, rule.reason, default=False)
    return periods


def set_period(session: Session, record_type: str, plan_kind: str, years: int,
               counted_from: str, reason: str, by: User) -> None:
    """Set the council's own period for one kind of record under one kind of plan (or put
    the default back, when it is the same as the default).

    Raises :class:`Refusal` for a kind of record or plan the schedule does not have, a
    period out of range, or no reason.
    """
    default = DEFAULTS.get((record_type, plan_kind))
    if default is None:
        raise Refusal(str(_l("The schedule has no such kind of record.")))
    if counted_from not in COUNTED_FROM or (plan_kind == ANY_PLAN) != (counted_from == "event"):
        raise Refusal(str(_l("Choose what the period is counted from.")), "counted_from")
    least = FEWEST_YEARS_FOR_A_CHILD if plan_kind != ANY_PLAN else 0
    if not least <= years <= MOST_YEARS:
        raise Refusal(str(_l("Give a number of years from %(least)s to %(most)s.",
                             least=least, most=MOST_YEARS)), "years")
    reason = reason.strip()
    existing = session.get(RetentionRule, (record_type, plan_kind))
    if (years, counted_from) == (default.years, default.counted_from):
        if existing is not None:
            session.delete(existing)
    else:
        if not reason:
            raise Refusal(str(_l("Say why the council keeps it for this long (the law or "
                                 "policy it follows).")), "reason")
        if existing is None:
            existing = RetentionRule(record_type=record_type, plan_kind=plan_kind)
            session.add(existing)
        existing.years, existing.counted_from, existing.reason = years, counted_from, reason
        existing.set_by_id, existing.set_at = by.id, utcnow()
    audit.record("retention.schedule_changed", actor=by, session=session,
                 detail={"record_type": record_type, "plan_kind": plan_kind, "years": years,
                         "counted_from": counted_from})
    session.flush()


# --- legal holds ---

def active_holds(session: Session) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).where(LegalHold.lifted_at.is_(None))
                                .order_by(LegalHold.placed_at)))


def place_hold(session: Session, child: Child | None, reason: str, by: User) -> LegalHold:
    """Stop the destruction of everything about ``child`` (or everything, for None).

    Raises :class:`Refusal` without a reason.
    """
    reason = reason.strip()
    if not reason:
        raise Refusal(str(_l("Say why the records must be kept (the inquiry, claim or "
                             "request).")), "reason")
    hold = LegalHold(child_id=child.id if child else None, reason=reason, placed_by_id=by.id)
    session.add(hold)
    session.flush()
    audit.record("legal_hold.placed", actor=by, child_id=child.id if child else None,
                 subject=hold, session=session,
                 detail={"child_reference": child.reference if child else None})
    return hold


def lift_hold(session: Session, hold: LegalHold, by: User) -> None:
    """End a hold; records it kept become due again under the schedule."""
    if hold.lifted_at is not None:
        return
    hold.lifted_at, hold.lifted_by_id = utcnow(), by.id
    audit.record("legal_hold.lifted", actor=by, child_id=hold.child_id, subject=hold,
                 session=session)
    session.flush()


def is_held(session: Session, child_id: int) -> bool:
    """Whether a hold on this child, or on everything, is in place."""
    return session.scalar(select(func.count()).select_from(LegalHold).where(
        LegalHold.lifted_at.is_(None),
        (LegalHold.child_id == child_id) | LegalHold.child_id.is_(None))) > 0


# --- what is due ---

def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def last_contact(session: Session, plan: Plan) -> date | None:
    """The day of the last contact under a plan: its end, or its last review held or
    response sent if later. None while the plan is open (nothing is due on an open plan)."""
    if plan.ended_on is None:
        return None
    held = session.scalar(select(func.max(Review.held_on)).where(Review.plan_id == plan.id))
    sent = session.scalar(select(func.max(Response.submitted_at))
                          .where(Response.plan_id == plan.id))
    days = [plan.ended_on, held, sent.date() if sent else None]
    return max(day for day in days if day is not None)


def kept_until(period: Period, child: Child, contact: date | None) -> date | None:
    """The last day records under this period are kept (they are due the day after), or
    None when that cannot be known yet."""
    if period.counted_from == "birth":
        return add_years(child.date_of_birth, period.years)
    if period.counted_from == "last_contact":
        return add_years(contact, period.years) if contact is not None else None
    raise ValueError(f"{period.counted_from} is not counted per plan")


@dataclass
class Report:
    """What a run found due (and, unless it was a dry run, destroyed)."""

    today: date
    applied: bool
    #: Record type -> how many.
    counts: Counter[str] = field(default_factory=Counter)
    #: Case references of the children whose records were (or would be) destroyed.
    references: set[str] = field(default_factory=set)
    #: Children whose records are due but held.
    held: set[str] = field(default_factory=set)
    #: True when a hold on everything stopped the run.
    held_everything: bool = False

    def lines(self) -> Iterable[str]:
        verb = "Destroyed" if self.applied else "Due (dry run: nothing destroyed)"
        yield f"Retention on {self.today:%Y-%m-%d}: {verb}"
        if self.held_everything:
            yield "  nothing: a legal hold on every record is in place"
            return
        for record in RECORD_TYPES:
            yield f"  {record}: {self.counts.get(record, 0)}"
        if self.held:
            yield f"  kept by a legal hold: {len(self.held)} children"


def _ids(session: Session, query: Any) -> list[int]:
    return list(session.scalars(query))


def run(session: Session, today: date | None = None, *, apply: bool = False,
        batch: int = 500, by: User | None = None, commit: Any = None) -> Report:
    """Find every record due under the schedule on ``today`` and, with ``apply``, destroy
    it, ``batch`` children at a time, calling ``commit()`` (when given) after each batch so
    that a long run holds no lock for long and a run stopped half way keeps what it did."""
    today = today or utcnow().date()
    report = Report(today=today, applied=apply)
    if session.scalar(select(func.count()).select_from(LegalHold).where(
            LegalHold.lifted_at.is_(None), LegalHold.child_id.is_(None))):
        report.held_everything = True
        _write_run(session, report, by)
        return report
    periods = schedule(session)
    held = set(session.scalars(select(LegalHold.child_id).where(
        LegalHold.lifted_at.is_(None), LegalHold.child_id.is_not(None))))
    after = 0
    while True:
        children = list(session.scalars(select(Child).where(Child.id > after)
                                        .order_by(Child.id).limit(batch)))
        if not children:
            break
        after = children[-1].id
        for child in children:
            _child_due(session, child, periods, today, report, apply, child.id in held)
        if apply:
            session.flush()
            if commit is not None:
                commit()
    _prune_audit(session, periods, today, report, apply, held)
    _staff_accounts(session, periods, today, report, apply)
    _working_records(session, periods, today, report, apply)
    _write_run(session, report, by)
    if apply:
        session.flush()
    return report


def _child_due(session: Session, child: Child, periods: dict[tuple[str, str], Period],
               today: date, report: Report, apply: bool, held: bool) -> None:
    plans = list(session.scalars(select(Plan).where(Plan.child_id == child.id)))
    due: dict[str, list[int]] = {record: [] for record in PLAN_RECORDS}
    for plan in plans:
        contact = last_contact(session, plan)
        for record in PLAN_RECORDS:
            until = kept_until(periods[record, plan.kind.value], child, contact)
            if until is not None and today > until:
                due[record].append(plan.id)
    if not plans:
        # A child added with no plan yet: kept as a child in need's record would be.
        until = kept_until(periods["case", PlanKind.CHILD_IN_NEED.value], child, None)
        whole_record = until is not None and today > until
    else:
        whole_record = len(due["case"]) == len(plans)
    found = _count_due(session, child, due, whole_record)
    if not any(found.values()):
        return
    if held:
        report.held.add(child.reference)
        return
    report.counts.update(found)
    report.references.add(child.reference)
    if apply:
        _destroy(session, child, due, whole_record)


def _response_ids(session: Session, plan_ids: list[int]) -> list[int]:
    return _ids(session, select(Response.id).where(Response.plan_id.in_(plan_ids))) \
        if plan_ids else []


def _count_due(session: Session, child: Child, due: dict[str, list[int]],
               whole_record: bool) -> Counter[str]:
    found: Counter[str] = Counter()
    if whole_record:
        found["case"] = 1
        due = {record: [plan.id for plan in child.plans] for record in PLAN_RECORDS}
    # The plans due under each kind of record are usually the same: ask for their
    # responses once per set of plans.
    known: dict[tuple[int, ...], list[int]] = {}

    def responses_of(plan_ids: list[int]) -> list[int]:
        key = tuple(sorted(plan_ids))
        if key not in known:
            known[key] = _response_ids(session, plan_ids)
        return known[key]

    found["responses"] = len(responses_of(due["responses"]))
    answered = responses_of(due["answers"])
    found["answers"] = session.scalar(select(func.count()).select_from(Answer).where(
        Answer.response_id.in_(answered))) if answered else 0
    if whole_record:  # with the alerts no response raised ("talk to someone" before any)
        alerts = select(func.count()).select_from(Alert).where(Alert.child_id == child.id)
        found["alerts"] = session.scalar(alerts)
    elif with_alerts := responses_of(due["alerts"]):
        found["alerts"] = session.scalar(select(func.count()).select_from(Alert).where(
            Alert.response_id.in_(with_alerts)))
    with_feedback = responses_of(due["feedback"])
    found["feedback"] = session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.response_id.in_(with_feedback))) if with_feedback else 0
    found["invitations"] = len(_unanswered(session, due["invitations"]))
    return +found


def _unanswered(session: Session, plan_ids: list[int]) -> list[int]:
    if not plan_ids:
        return []
    return _ids(session, select(Invitation.id).join(Review, Review.id == Invitation.review_id)
                .outerjoin(Response, Response.invitation_id == Invitation.id)
                .where(Review.plan_id.in_(plan_ids), Response.id.is_(None)))


def _destroy(session: Session, child: Child, due: dict[str, list[int]],
             whole_record: bool) -> None:
    """Delete what is due. Rows that depend on a deleted row go with it (the database's
    ON DELETE CASCADE): a response takes its answers, alerts, notes and "you said, we
    did"; the child takes everything."""
    if whole_record:
        session.execute(delete(LegalHold).where(LegalHold.child_id == child.id))
        session.execute(delete(Child).where(Child.id == child.id))
        session.expunge(child)
        return
    responses = _response_ids(session, due["responses"])
    if responses:
        session.execute(delete(Response).where(Response.id.in_(responses)))
    answered = _response_ids(session, due["answers"])
    if answered:
        for model in (Answer, AnswerSequence, AnswerNote):
            session.execute(delete(model).where(model.response_id.in_(answered)))
    with_alerts = _response_ids(session, due["alerts"])
    if with_alerts:
        session.execute(delete(Alert).where(Alert.response_id.in_(with_alerts)))
    with_feedback = _response_ids(session, due["feedback"])
    if with_feedback:
        session.execute(delete(Feedback).where(Feedback.response_id.in_(with_feedback)))
    unanswered = _unanswered(session, due["invitations"])
    if unanswered:
        session.execute(delete(Invitation).where(Invitation.id.in_(unanswered)))


def _before(today: date, years: int) -> datetime:
    """The first moment not yet due for records kept ``years`` from when they were made."""
    return datetime.combine(add_years(today, -years), time(), tzinfo=UTC)


def _prune_audit(session: Session, periods: dict[tuple[str, str], Period], today: date,
                 report: Report, apply: bool, held: set[int]) -> None:
    """The audit trail is destroyed from its oldest row forward (so the chain from the first
    row kept can still be checked), stopping at the first row about a held child."""
    cutoff = _before(today, periods["audit_events", ANY_PLAN].years)
    head = chain_head(session) if apply else None
    start = head.pruned_through_seq if head else 0
    stop_at = session.scalar(select(func.min(AuditEvent.chain_seq)).where(
        AuditEvent.chain_seq > start,
        (AuditEvent.occurred_at >= cutoff) | AuditEvent.child_id.in_(held or {-1})))
    condition = AuditEvent.chain_seq.is_not(None) & (AuditEvent.occurred_at < cutoff)
    if stop_at is not None:
        condition &= AuditEvent.chain_seq < stop_at
    last = session.execute(select(AuditEvent.chain_seq, AuditEvent.row_hash).where(condition)
                           .order_by(AuditEvent.chain_seq.desc()).limit(1)).first()
    if last is None:
        return
    report.counts["audit_events"] = session.scalar(
        select(func.count()).select_from(AuditEvent).where(condition))
    if apply and head is not None:
        # Core statements: the unit of work refuses to delete audit rows one by one.
        session.execute(delete(AuditEvent.__table__).where(
            AuditEvent.__table__.c.chain_seq <= last.chain_seq))
        head.pruned_through_seq, head.pruned_through_hash = last.chain_seq, last.row_hash


#: What a switched-off account is called once its holder's details are removed.
REMOVED_EMAIL = "former-{id}@removed.invalid"


def _staff_accounts(session: Session, periods: dict[tuple[str, str], Period], today: date,
                    report: Report, apply: bool) -> None:
    cutoff = _before(today, periods["staff_accounts", ANY_PLAN].years)
    last_used = (select(StaffSession.user_id, func.max(StaffSession.last_seen_at).label("seen"))
                 .group_by(StaffSession.user_id).subquery())
    due = _ids(session, select(User.id).outerjoin(last_used, last_used.c.user_id == User.id)
               .where(User.is_active.is_(False), ~User.email.like("%@removed.invalid"),
                      func.coalesce(last_used.c.seen, User.created_at) < cutoff))
    report.counts["staff_accounts"] = len(due)
    if not apply:
        return
    for user_id in due:
        session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        session.execute(update(User).where(User.id == user_id).values(
            email=REMOVED_EMAIL.format(id=user_id), display_name="Former member of staff",
            password_hash=None, totp_secret=None, totp_enrolled_at=None, totp_last_step=None))


def _working_records(session: Session, periods: dict[tuple[str, str], Period], today: date,
                     report: Report, apply: bool) -> None:
    cutoff = _before(today, periods["working_records", ANY_PLAN].years)
    conditions = (
        (OutboxMessage, OutboxMessage.sent_at < cutoff),
        (WebhookDelivery, WebhookDelivery.delivered_at < cutoff),
        (StaffSession, StaffSession.ended_at < cutoff),
        (RateLimitBucket, RateLimitBucket.window_start < cutoff),
    )
    for model, condition in conditions:
        report.counts["working_records"] += session.scalar(
            select(func.count()).select_from(model).where(condition))
        if apply:
            session.execute(delete(model).where(condition))


def _write_run(session: Session, report: Report, by: User | None) -> None:
    audit.record("retention.run" if report.applied else "retention.dry_run", actor=by,
                 session=session,
                 detail={"today": report.today.isoformat(), "counts": dict(report.counts),
                         # Which children went, only when they did: a dry run changes nothing.
                         "child_references": sorted(report.references) if report.applied
                         else None,
                         "held_references": sorted(report.held),
                         "held_everything": report.held_everything})


def erase_child(session: Session, child: Child, reason: str, by: User,
                typed_reference: str) -> dict[str, int]:
    """Erase a child's record and everything about them, because the law allows it (added
    in error, or an erasure request the data protection officer accepted). The audit trail
    keeps that it happened, why, who did it and how much went (never the content).

    Raises :class:`Refusal` under a legal hold, without a reason, or when the reference
    typed to confirm is not the child's.
    """
    if typed_reference.strip() != child.reference:
        raise Refusal(str(_l("Type the child's reference exactly to confirm.")), "confirm")
    reason = reason.strip()
    if not reason:
        raise Refusal(str(_l("Say why the record may be erased.")), "reason")
    if is_held(session, child.id):
        raise Refusal(str(_l("A legal hold is in place: nothing about this child can be erased "
                             "until it is lifted.")))
    every = {record: [plan.id for plan in child.plans] for record in PLAN_RECORDS}
    counts = _count_due(session, child, every, whole_record=True)
    detail = {"child_reference": child.reference, "reason": reason, "counts": dict(counts)}
    child_id = child.id
    _destroy(session, child, every, whole_record=True)
    audit.record("child.erased", actor=by, child_id=child_id, session=session, detail=detail)
    session.flush()
    return dict(counts)

