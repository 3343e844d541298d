"""Writing what a clean check found."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...models import Team
from ...operations.imports import import_records
from .result import ImportCheck


class ImportHasProblems(ValueError):
    """Raised by :func:`apply_import` for a check that found problems."""


def apply_import(session: Session, check: ImportCheck, *, team: Team) -> None:
    """Add and change the records a clean :func:`.check.check_import` found, in ``session``'s
    transaction (the caller commits, or rolls back on any error: nothing is half done), and
    write the import's audit event with the check's counts.

    The records go through :func:`viewpoint.operations.imports.import_records`, which checks
    them with the same rules again before writing anything.

    Raises :class:`ImportHasProblems` if the check found any problem, and
    :class:`viewpoint.operations.children.RecordProblems` if a record breaks a rule (which a
    check made in the same transaction has already listed).
    """
    if not check.ok:
        raise ImportHasProblems(f"{len(check.problems)} problems")
    import_records(session, check.pending, team_id=team.id, counts=check.audit_detail(),
                   today=check.today)
