""""You said, we did": a worker writes back about a child's answers; the child reads it
the next time they open a questionnaire.

Workers write here; the child's welcome page reads :func:`unseen_feedback_for_child` and the
child's next step marks what they were shown with :func:`mark_feedback_seen`.

A team manager may approve a note, in words rewritten so that nobody can be recognised,
for the Children in Care Council (:func:`share_feedback`, :func:`stop_sharing`); the
council's dashboard reads the approved words through :func:`shared_examples`. Words that
could give a child away are refused first (:func:`find_identifying_details`): names in
viewpoint, misspelt names and nicknames, references, dates, ages, numbers, street-shaped
places and nationalities (``identifying.py``). What no check can see, the manager confirms
on a checklist.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from .. import audit
from ..auth.permissions import can, visible_children
from ..models import Child, Feedback, Response, User, utcnow
from .identifying import Finding, describe, find_identifying_details, fold

#: Fewer characters than this cannot say what was done.
MIN_LENGTH = 10
#: A child reads it on a tablet: long enough to explain, short enough to read.
MAX_LENGTH = 2000
#: The same words from the same worker about the same response within this time are one
#: message sent twice (a double click, a resent form), not two messages.
DUPLICATE_WINDOW = timedelta(minutes=1)

#: Words shared with the Children in Care Council: enough to say what changed...
SHARE_MIN_LENGTH = 10
#: ...and short enough to read among a dozen others on their dashboard.
SHARE_MAX_LENGTH = 400
#: The council's months are the months on its wall (as the dashboards' periods are).
_UK = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Written:
    feedback: Feedback
    #: False when the same words had just been saved (a double submit): nothing new was stored.
    created: bool


@dataclass(frozen=True)
class NoteForChild:
    """What the child sees: who wrote, when, and the words."""

    id: int
    #: The worker's first name, or None if the account has gone.
    author: str | None
    written_at: datetime
    body: str


def clean_body(body: str) -> str:
    """The text as it will be stored: line endings made plain, outer space trimmed."""
    return body.replace("\r\n", "\n").replace("\r", "\n").strip()


def write_feedback(session: Session, response: Response, author: User, body: str,
                   now: datetime | None = None) -> Written:
    """Save what ``author`` wants the child to know about ``response``.

    The same words from the same author about the same response within
    :data:`DUPLICATE_WINDOW` return the row already saved. Raises ``ValueError`` if the
    text is shorter than :data:`MIN_LENGTH` or longer than :data:`MAX_LENGTH` characters.
    """
    text = clean_body(body)
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise ValueError(f"feedback must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    now = now or utcnow()
    # Two submits racing each other on PostgreSQL queue on the response's row here, so the
    # second sees the first one's row. (SQLite's write lock, taken at BEGIN, already does.)
    session.execute(select(Response.id).where(Response.id == response.id).with_for_update())
    existing = session.scalar(
        select(Feedback).where(Feedback.response_id == response.id,
                               Feedback.written_by_id == author.id, Feedback.body == text,
                               Feedback.written_at >= now - DUPLICATE_WINDOW)
        .order_by(Feedback.written_at.desc()).limit(1))
    if existing is not None:
        return Written(existing, created=False)
    feedback = Feedback(response_id=response.id, child_id=response.child_id,
                        written_by_id=author.id, body=text, written_at=now)
    session.add(feedback)
    session.flush()
    audit.record("feedback.written", child_id=feedback.child_id, subject=feedback,
                 actor=author, session=session)
    return Written(feedback, created=True)


def feedback_for_response(session: Session, response: Response) -> list[Feedback]:
    """Everything written back about ``response``, oldest first, with its authors."""
    return list(session.scalars(
        select(Feedback).options(joinedload(Feedback.written_by))
        .where(Feedback.response_id == response.id)
        .order_by(Feedback.written_at, Feedback.id)))


def first_name(user: User | None) -> str | None:
    """The name a child knows a worker by: the first word of their display name."""
    if user is None or not user.display_name.strip():
        return None
    return user.display_name.split()[0]


def unseen_feedback_for_child(session: Session, child_id: int) -> list[NoteForChild]:
    """What workers have written back to the child that the child has not seen, oldest first."""
    rows = session.scalars(
        select(Feedback).options(joinedload(Feedback.written_by))
        .where(Feedback.child_id == child_id, Feedback.seen_at.is_(None))
        .order_by(Feedback.written_at, Feedback.id))
    return [NoteForChild(id=row.id, author=first_name(row.written_by),
                         written_at=row.written_at, body=row.body) for row in rows]


def mark_feedback_seen(session: Session, child_id: int, feedback_ids: Iterable[int],
                       now: datetime | None = None) -> int:
    """Record that the child has been shown these notes. Only the child's own notes not yet
    seen are touched, so a forged or repeated list changes nothing else. Returns how many
    were marked."""
    ids = {int(i) for i in feedback_ids}
    if not ids:
        return 0
    table = Feedback.__table__
    return session.execute(
        update(table).where(table.c.id.in_(ids), table.c.child_id == child_id,
                            table.c.seen_at.is_(None))
        .values(seen_at=now or utcnow())).rowcount


# --- sharing with the Children in Care Council ---------------------------------------------

class NotShareable(ValueError):
    """These words cannot be shared with the Children in Care Council as they are."""


class WrongLength(NotShareable):
    """Shorter than :data:`SHARE_MIN_LENGTH` or longer than :data:`SHARE_MAX_LENGTH`."""

    def __init__(self, length: int) -> None:
        super().__init__(f"shared words must be {SHARE_MIN_LENGTH} to {SHARE_MAX_LENGTH} "
                         f"characters, not {length}")
        self.length = length


class IdentifyingDetails(NotShareable):
    """The words hold details that could let someone recognise who they are about:
    :attr:`findings`, in the order they appear; :attr:`messages` say what to take out and why.
    """

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(sorted(findings, key=lambda finding: finding.start))
        # The kinds only: an error's text can end up in a log, a child's name must not.
        super().__init__("shared words could identify someone: " + ", ".join(
            dict.fromkeys(finding.kind.value for finding in self.findings)))

    @property
    def words(self) -> tuple[str, ...]:
        """Every word or phrase found, once each (whatever its case), in order of appearance."""
        seen: dict[str, str] = {}
        for finding in self.findings:
            seen.setdefault(fold(finding.words), finding.words)
        return tuple(seen.values())

    @property
    def messages(self) -> list[str]:
        """One translated sentence for each kind of detail found (one for each misspelt name or
        nickname, which name the name they stand for), names first: what to take out and why."""
        return describe(self.findings)


@dataclass(frozen=True)
class Shared:
    feedback: Feedback
    #: False when the note was already shared in exactly these words: nothing was stored.
    changed: bool


@dataclass(frozen=True)
class SharedExample:
    """One approved "you said, we did" for the council's dashboard: no names, no ids."""

    text: str
    #: The first day of the month (UK time) it was approved.
    month: date


#: What a manager confirms, box by box, before words are shared (the share form shows each
#: one; the audit trail keeps which were confirmed). ``identifying.py`` finds what a machine
#: can find; these are what only a person who knows the child can see.
SHARE_CHECKLIST = (
    "no_names",
    "no_places",
    "no_dates_ages_or_numbers",
    "nothing_only_this_child",
    "content_to_see_it",
)

def check_shareable(session: Session, feedback: Feedback, text: str) -> str:
    """The words as they would be shared (see :func:`clean_body`).

    Raises :class:`WrongLength` if they are shorter than :data:`SHARE_MIN_LENGTH` or longer
    than :data:`SHARE_MAX_LENGTH` characters, and :class:`IdentifyingDetails` if they hold
    anything :func:`find_identifying_details` finds. Both are ``ValueError``.
    """
    cleaned = clean_body(text)
    if not SHARE_MIN_LENGTH <= len(cleaned) <= SHARE_MAX_LENGTH:
        raise WrongLength(len(cleaned))
    findings = find_identifying_details(session, feedback, cleaned)
    if findings:
        raise IdentifyingDetails(findings)
    return cleaned


def _check_manager(session: Session, feedback: Feedback, manager: User) -> None:
    if not can(manager, "casework.share_feedback") or session.scalar(
            select(Child.id).where(Child.id == feedback.child_id,
                                   visible_children(manager))) is None:
        raise PermissionError("only a manager of the child's team may share their notes")


def _locked(session: Session, feedback: Feedback) -> Feedback:
    # Two submits racing each other on PostgreSQL queue on the note's row here, and the
    # second reads what the first wrote. (SQLite's write lock, taken at BEGIN, already does.)
    return session.scalars(
        select(Feedback).where(Feedback.id == feedback.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def share_feedback(session: Session, feedback: Feedback, manager: User, text: str,
                   *, checklist: Collection[str], now: datetime | None = None) -> Shared:
    """Approve ``text`` (the note rewritten so that nobody could be recognised) for the
    Children in Care Council, as ``manager``.

    Sharing a note already shared in exactly these words changes nothing (a double submit);
    different words replace the shared ones, with a new approver and date. ``checklist``
    holds the items of :data:`SHARE_CHECKLIST` the manager confirmed; the audit event keeps
    them. Every item must be confirmed, whichever way the words come in.

    Raises :class:`WrongLength` or :class:`IdentifyingDetails` (both ``ValueError``) if the
    words cannot be shared (see :func:`check_shareable`), ``ValueError`` if ``checklist``
    holds something not in :data:`SHARE_CHECKLIST` or leaves an item out, and
    ``PermissionError`` if ``manager`` is not a team manager of the child's team. Nothing is
    changed when it raises.
    """
    _check_manager(session, feedback, manager)
    unknown = set(checklist) - set(SHARE_CHECKLIST)
    if unknown:
        raise ValueError(f"not on the sharing checklist: {', '.join(sorted(unknown))}")
    if missing := [item for item in SHARE_CHECKLIST if item not in checklist]:
        raise ValueError(f"the sharing checklist is not confirmed: {', '.join(missing)}")
    cleaned = check_shareable(session, feedback, text)
    feedback = _locked(session, feedback)
    if feedback.shared_at is not None and feedback.shared_text == cleaned:
        return Shared(feedback, changed=False)
    feedback.shared_text = cleaned
    feedback.shared_by_id = manager.id
    feedback.shared_at = now or utcnow()
    session.flush()
    audit.record("feedback.shared", child_id=feedback.child_id, subject=feedback,
                 actor=manager, session=session,
                 detail={"checklist": [item for item in SHARE_CHECKLIST if item in checklist]})
    return Shared(feedback, changed=True)


def stop_sharing(session: Session, feedback: Feedback, manager: User) -> bool:
    """Withdraw ``feedback`` from the Children in Care Council: its shared words, approver
    and date are cleared. Returns False if it was not shared (a second click): nothing changed.

    Raises ``PermissionError`` if ``manager`` is not a team manager of the child's team.
    """
    _check_manager(session, feedback, manager)
    feedback = _locked(session, feedback)
    if feedback.shared_at is None and feedback.shared_text is None:
        return False
    feedback.shared_text = None
    feedback.shared_by_id = None
    feedback.shared_at = None
    session.flush()
    audit.record("feedback.unshared", child_id=feedback.child_id, subject=feedback,
                 actor=manager, session=session)
    return True


def shared_examples(session: Session, limit: int = 12) -> list[SharedExample]:
    """The most recently approved words across every team, newest first, each with the month
    it was approved: nothing else (no names, no ids), for the council's dashboard."""
    rows = session.execute(
        select(Feedback.shared_text, Feedback.shared_at)
        .where(Feedback.shared_at.is_not(None), Feedback.shared_text.is_not(None))
        .order_by(Feedback.shared_at.desc(), Feedback.id.desc()).limit(limit))
    examples = []
    for text, shared_at in rows:
        local = shared_at.astimezone(_UK)
        examples.append(SharedExample(text=text, month=date(local.year, local.month, 1)))
    return examples
