"""What a check finds: the problems, with their lines, and what importing would change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ...operations.imports import PendingRecord

#: How many changes the page lists before it only counts them.
CHANGES_SHOWN = 200


@dataclass(frozen=True)
class Problem:
    """Why a row (or the whole file, when ``line`` is None) cannot be imported."""

    line: int | None
    message: str


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class Change:
    """One record that would be added or changed, for the page to list."""

    line: int
    reference: str
    #: What the record is ("care plan from 2024-01-08"), translated when it is shown: only
    #: the first :data:`CHANGES_SHOWN` are.
    record: Any
    created: bool
    #: (column, value now, value in the file) for each changed field of an existing record.
    fields: tuple[tuple[str, str | None, str | None], ...] = ()


@dataclass
class ImportCheck:
    """What a file would do: its problems, and the changes it would make if it had none."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    children: Tally = field(default_factory=Tally)
    plans: Tally = field(default_factory=Tally)
    reviews: Tally = field(default_factory=Tally)
    changes: list[Change] = field(default_factory=list)
    #: Columns in the file that the import does not read.
    ignored_columns: list[str] = field(default_factory=list)
    #: The day the check judged dates by ("held in the future"); applying judges by it too.
    today: date = field(default_factory=date.today)
    #: What applying writes, through :func:`viewpoint.operations.imports.import_records`.
    pending: list[PendingRecord] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return any(t.created or t.updated for t in (self.children, self.plans, self.reviews))

    def audit_detail(self) -> dict[str, int]:
        """Counts for the audit trail: never a name or a reference."""
        detail = {"rows": self.rows, "problems": len(self.problems)}
        for name, tally in (("children", self.children), ("plans", self.plans),
                            ("reviews", self.reviews)):
            detail[f"{name}_created"] = tally.created
            detail[f"{name}_updated"] = tally.updated
            detail[f"{name}_unchanged"] = tally.unchanged
        return detail
