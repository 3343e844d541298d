"""One row of the file read into values: each cell parsed, each unreadable or missing cell
reported with the row's line.

Only reading happens here. The rules every child, plan and review must meet are checked
later, on the records the rows describe, by :mod:`viewpoint.operations.children`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from ...models import EthnicityGroup, Gender, PlacementType, PlanKind, normalise_email
from .spellings import (
    GENDERS,
    PLACEMENT_TYPES,
    PLAN_KINDS,
    lookup,
    parse_date,
    parse_ethnicity,
    parse_language,
)


@dataclass
class Row:
    """One row's cells, read into values; a value the row could not give is None."""

    line: int
    reference: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    gender: Gender | None = None
    ethnicity_group: EthnicityGroup | None = None
    preferred_language: str | None = None
    social_worker_email: str | None = None
    plan_reference: str | None = None
    kind: PlanKind | None = None
    placement_type: PlacementType | None = None
    plan_start: date | None = None
    plan_end: date | None = None
    review_due: date | None = None
    review_held: date | None = None
    review_chair_email: str | None = None
    problems: list[str] = field(default_factory=list)
    #: Columns whose cell could not be read (already in ``problems``): the rules do not
    #: report them a second time.
    unreadable: set[str] = field(default_factory=set)


def parse_row(line: int, cells: dict[str, str], extra_cells: bool) -> Row:
    """Read one row of the file (``cells`` by column name)."""
    row = Row(line=line)
    problems = row.problems
    if extra_cells:
        problems.append(_("This row has more cells than the first line has columns. A comma "
                          "or semicolon inside a name needs quote marks around the name."))

    def text(name: str, required: bool = False) -> str | None:
        value = cells.get(name, "")
        if not value and required:
            problems.append(_("%(column)s is empty.", column=name))
        return value or None

    def day(name: str, required: bool = False) -> date | None:
        value = cells.get(name, "")
        if not value:
            if required:
                problems.append(_("%(column)s is empty.", column=name))
            return None
        try:
            return parse_date(value)
        except ValueError:
            row.unreadable.add(name)
            problems.append(_("%(column)s \"%(value)s\" is not a date. Write dates as "
                              "2024-03-25 or 25/03/2024.", column=name, value=value))
            return None

    def choice(name: str, parse: Callable[[str], Any], message: Callable[[str], str]) -> Any:
        value = cells.get(name, "")
        if not value:
            return None
        try:
            return parse(value)
        except KeyError:
            row.unreadable.add(name)
            problems.append(message(value))
            return None

    def email(name: str) -> str | None:
        value = cells.get(name, "")
        return normalise_email(value) if value else None

    row.reference = text("child_reference", required=True)
    row.first_name = text("first_name", required=True)
    row.last_name = text("last_name", required=True)
    row.date_of_birth = day("date_of_birth", required=True)
    row.gender = choice("gender", lambda v: lookup(GENDERS, v), lambda v: _(
        "\"%(value)s\" is not a gender this import knows. Use girl, boy, another or "
        "not recorded.", value=v))
    row.ethnicity_group = choice("ethnicity_group", parse_ethnicity, lambda v: _(
        "\"%(value)s\" is not an ethnicity group this import knows. Use white, mixed, "
        "asian, black, other or not recorded.", value=v))
    if language := cells.get("preferred_language", ""):
        try:
            row.preferred_language = parse_language(language)
        except KeyError:
            # Kept as typed: the rule that refuses a language children cannot answer in
            # refuses this too, in the words the staff form uses.
            row.preferred_language = language
    row.social_worker_email = email("social_worker_email")
    row.plan_reference = cells.get("plan_reference") or None
    if not cells.get("plan_kind"):
        problems.append(_("%(column)s is empty.", column="plan_kind"))
    row.kind = choice("plan_kind", lambda v: lookup(PLAN_KINDS, v), lambda v: _(
        "\"%(value)s\" is not a kind of plan this import knows. Use child in need, child "
        "protection, care plan or pathway plan.", value=v))
    row.placement_type = choice(
        "placement_type", lambda v: lookup(PLACEMENT_TYPES, v), lambda v: _(
            "\"%(value)s\" is not a placement type this import knows. Use foster, kinship, "
            "residential, placed with parents, semi-independent, secure or other.", value=v))
    row.plan_start = day("plan_start", required=True)
    row.plan_end = day("plan_end")
    row.review_due = day("review_due")
    row.review_held = day("review_held")
    row.review_chair_email = email("review_chair_email")
    if not cells.get("review_due") and (cells.get("review_held")
                                        or cells.get("review_chair_email")):
        problems.append(_("review_held or review_chair_email is filled in, but review_due is "
                          "empty."))
    return row
