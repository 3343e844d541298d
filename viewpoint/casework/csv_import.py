"""Importing children, plans and reviews from a case-management system's CSV export.

Two steps, so that a file is never half imported: :func:`check_import` reads the whole
file, finds every problem and works out what would change, writing nothing;
:func:`apply_import` writes what a clean check found. The import page runs both in one
request, inside the request's transaction, so an error while writing undoes everything.

Nothing is added to the models for the import's sake. A child is matched by their
reference, a plan by (child, kind, start date) and a review by (plan, due date), so the
same file imported twice changes nothing the second time. An empty cell never clears what
viewpoint already holds: a review's held date recorded here by the chair survives an
export made before the case-management system knew about it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from babel import Locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    PLANS_WITH_PLACEMENT,
    Child,
    EthnicityGroup,
    Gender,
    PlacementType,
    Plan,
    PlanKind,
    Review,
    Role,
    Team,
    User,
    normalise_email,
)

#: The most rows one file may hold (the app refuses uploads over 2 MB before this is read).
MAX_ROWS = 5000
#: The largest file read, in bytes (the same as the app's MAX_CONTENT_LENGTH).
MAX_BYTES = 2 * 1024 * 1024
#: How many changes the page lists before it only counts them.
CHANGES_SHOWN = 200
#: Rows fetched per ``IN (...)`` query: well under SQLite's limit on bound parameters.
_CHUNK = 500


@dataclass(frozen=True)
class Column:
    """One column of the import file, as the import page and docs/csv-import.md describe it."""

    name: str
    required: bool
    meaning: Any
    values: Any


#: Every column the import reads, in the order of the example file.
COLUMNS: tuple[Column, ...] = (
    Column("child_reference", True,
           _l("The child's id in your case-management system. Later imports find the child "
              "by it."),
           _l("Up to 40 characters.")),
    Column("first_name", True, _l("The name the child uses."), _l("Up to 80 characters.")),
    Column("last_name", True, _l("The child's family name."), _l("Up to 80 characters.")),
    Column("date_of_birth", True, _l("The child's date of birth."),
           _l("A date: 2014-03-25 or 25/03/2014.")),
    Column("gender", False, _l("Used only for anonymised totals."),
           _l("girl (F, female), boy (M, male), another (non-binary, other) or not recorded "
              "(unknown). Empty for a new child: not recorded.")),
    Column("ethnicity_group", False, _l("Used only for anonymised totals."),
           _l("white, mixed, asian, black, other or not recorded; a longer description such "
              "as \"White British\"; or the national return codes (WBRI, MWBC, APKN, BAFR, "
              "OOTH, REFU...). Empty for a new child: not recorded.")),
    Column("preferred_language", False, _l("The language the child prefers to answer in."),
           _l("A language code (en, ur, ckb, ar) or the language's English name (Urdu). "
              "Empty for a new child: English.")),
    Column("social_worker_email", False,
           _l("The child's allocated social worker or personal adviser."),
           _l("The email address they sign in with. They must be a social worker in your "
              "team.")),
    Column("plan_reference", False,
           _l("The plan's id in your system. It is not stored: it lets the check notice rows "
              "for the same plan that disagree."),
           _l("Any text.")),
    Column("plan_kind", True, _l("What kind of plan the child has."),
           _l("child in need (CIN), child protection (CP), care plan (LAC, CLA, looked after) "
              "or pathway plan (pathway, care leaver).")),
    Column("placement_type", False,
           _l("Where the child lives. Needed for care plans and pathway plans; leave it empty "
              "for child in need and child protection plans."),
           _l("foster, kinship (family and friends), residential (children's home), placed "
              "with parents, semi-independent (supported lodgings), secure or other; or the "
              "national placement codes U1-U6, K1, K2, P1, H5, Z1.")),
    Column("plan_start", True,
           _l("The day the plan began. With the child and the kind of plan, later imports find "
              "the plan by it."),
           _l("A date: 2014-03-25 or 25/03/2014.")),
    Column("plan_end", False, _l("The day the plan ended; empty while it is open."),
           _l("A date, not before plan_start.")),
    Column("review_due", False,
           _l("The date a review of the plan must be held by. With the plan, later imports find "
              "the review by it. Leave the three review columns empty for a plan with no "
              "review yet."),
           _l("A date: 2014-03-25 or 25/03/2014.")),
    Column("review_held", False, _l("The day the review was held; empty until then."),
           _l("A date, not in the future.")),
    Column("review_chair_email", False,
           _l("Who chairs the review (the independent reviewing officer)."),
           _l("The email address of a reviewing officer.")),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in COLUMNS if column.required)

#: Made-up rows for the example file: every column, every common case.
EXAMPLE_ROWS: tuple[tuple[str, ...], ...] = (
    ("EX-1001", "Ada", "Pebble", "2012-04-17", "girl", "white", "en",
     "social.worker@example.org", "PL-501", "care plan", "foster", "2023-09-01", "",
     "2024-03-01", "2024-02-27", "reviewing.officer@example.org"),
    ("EX-1001", "Ada", "Pebble", "2012-04-17", "girl", "white", "en",
     "social.worker@example.org", "PL-501", "care plan", "foster", "2023-09-01", "",
     "2024-09-01", "", "reviewing.officer@example.org"),
    ("EX-1002", "Tomasz", "Fernleaf", "2009-11-02", "boy", "mixed", "pl",
     "social.worker@example.org", "PL-502", "child protection", "", "2024-01-15", "",
     "2024-04-15", "2024-04-12", ""),
    ("EX-1003", "Jamila", "Brookes", "2006-06-30", "not recorded", "asian", "ur",
     "social.worker@example.org", "PL-503", "pathway plan", "semi-independent", "2024-06-30",
     "", "", "", ""),
    ("EX-1004", "Kai", "Marlow", "2017-01-09", "another", "black", "en", "", "PL-504",
     "child in need", "", "2023-05-02", "2024-02-20", "2023-08-02", "2023-08-01", ""),
)

# --- what people type --------------------------------------------------------------------

def _key(text: str) -> str:
    """Lower case, apostrophes dropped, and ``_ - / . ,`` and runs of spaces as one space."""
    text = text.strip().lower().replace("'", "").replace("\u2019", "")
    return " ".join(part for part in re.split(r"[\s_\-/.,:;()]+", text) if part)


def _table(pairs: Iterable[tuple[Any, Iterable[str]]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for value, spellings in pairs:
        for spelling in spellings:
            table[_key(spelling)] = value
        table[_key(str(value))] = value
    return table


PLAN_KINDS = _table([
    (PlanKind.CHILD_IN_NEED, ["child in need", "child in need plan", "cin", "cin plan",
                              "section 17", "s17"]),
    (PlanKind.CHILD_PROTECTION, ["child protection", "child protection plan", "cp", "cpp",
                                 "cp plan"]),
    (PlanKind.CARE_PLAN, ["care plan", "care", "lac", "lac plan", "cla", "looked after",
                          "looked after child", "child looked after", "child in care",
                          "in care"]),
    (PlanKind.PATHWAY_PLAN, ["pathway plan", "pathway", "care leaver", "leaving care"]),
])

GENDERS = _table([
    (Gender.GIRL, ["girl", "f", "female"]),
    (Gender.BOY, ["boy", "m", "male"]),
    (Gender.ANOTHER, ["another", "other", "non binary", "nonbinary", "x", "another gender"]),
    (Gender.NOT_RECORDED, ["not recorded", "unknown", "not known", "not stated", "u",
                           "not specified", "prefer not to say"]),
])

ETHNICITY_GROUPS = _table([
    # The codes of the national children's social care returns, by their high-level group.
    (EthnicityGroup.WHITE, ["wbri", "wiri", "wirt", "woth", "wrom", "gypsy", "roma",
                            "gypsy roma", "irish traveller", "traveller of irish heritage"]),
    (EthnicityGroup.MIXED, ["mwbc", "mwba", "mwas", "moth", "multiple"]),
    (EthnicityGroup.ASIAN, ["aind", "apkn", "aban", "aoth", "chne", "chinese"]),
    (EthnicityGroup.BLACK, ["bcrb", "bafr", "both"]),
    (EthnicityGroup.OTHER, ["ooth", "other ethnic group", "any other ethnic group", "arab"]),
    (EthnicityGroup.NOT_RECORDED, ["refu", "nobt", "not recorded", "unknown", "not known",
                                   "not obtained", "refused", "declined",
                                   "information not yet obtained", "prefer not to say"]),
])
_GROUP_WORDS = {"white": EthnicityGroup.WHITE, "asian": EthnicityGroup.ASIAN,
                "black": EthnicityGroup.BLACK}

PLACEMENT_TYPES = _table([
    # U1-U6, K1, K2, P1, H5 and Z1 are the national (SSDA903) placement codes.
    (PlacementType.FOSTER, ["foster", "foster care", "fostering", "foster placement",
                            "foster carer", "u4", "u5", "u6"]),
    (PlacementType.KINSHIP, ["kinship", "kinship care", "family and friends",
                             "family and friends care", "friends and family",
                             "connected person", "connected persons", "u1", "u2", "u3"]),
    (PlacementType.RESIDENTIAL, ["residential", "residential care", "childrens home",
                                 "children home", "residential home", "k2"]),
    (PlacementType.PLACED_WITH_PARENTS, ["placed with parents", "placed with parent",
                                         "with parents", "home with parents", "p1"]),
    (PlacementType.SEMI_INDEPENDENT, ["semi independent", "semi independent living",
                                      "supported lodgings", "supported accommodation", "h5"]),
    (PlacementType.SECURE, ["secure", "secure childrens home", "secure unit", "k1"]),
    (PlacementType.OTHER, ["other", "z1"]),
])

_ISO_DATE = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
#: Spreadsheets add a time of midnight to dates they have touched.
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


def parse_date(text: str) -> date:
    """A date written 2024-03-25 or 25/03/2024 (also 2024/03/25, 25-03-2024, 25.03.2024, and
    with a time after it).

    Raises ``ValueError`` for anything else, including days that do not exist.
    """
    text = _TIME.sub("", text.strip())
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def _lookup(table: dict[str, Any], text: str) -> Any:
    """The value ``text`` means in ``table``. Raises ``KeyError``."""
    return table[_key(text)]


def parse_ethnicity(text: str) -> EthnicityGroup:
    """A high-level group from a group, a description or a national code. Raises ``KeyError``."""
    key = _key(text)
    if key in ETHNICITY_GROUPS:
        return ETHNICITY_GROUPS[key]
    words = set(key.split())
    if "mixed" in words:
        return EthnicityGroup.MIXED
    groups = {group for word, group in _GROUP_WORDS.items() if word in words}
    if len(groups) > 1:  # "White and Black Caribbean"
        return EthnicityGroup.MIXED
    if groups:  # "White British", "Any other Asian background"
        return groups.pop()
    raise KeyError(text)


@cache
def _english_language_names() -> dict[str, str]:
    return {_key(name): code.replace("_", "-") for code, name in Locale("en").languages.items()}


def parse_language(text: str) -> str:
    """A BCP 47 code ("en", "ckb", "pt-BR") from a code or an English name. Raises ``KeyError``."""
    code = text.strip().lower().replace("_", "-")
    if _LANGUAGE_CODE.fullmatch(code) and code.split("-")[0] in Locale("en").languages:
        parts = code.split("-")
        for index, part in enumerate(parts[1:], start=1):
            if len(part) == 4:
                parts[index] = part.title()  # script: "Latn"
            elif len(part) == 2 or part.isdigit():
                parts[index] = part.upper()  # region: "BR", "419"
        return "-".join(parts)
    return _english_language_names()[_key(text)]


# --- what a check finds ------------------------------------------------------------------

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
    _operations: list[_Operation] = field(default_factory=list, repr=False)

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


class _FileRefused(Exception):
    """The file as a whole cannot be read; the message says why."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class _Row:
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


@dataclass
class _Record:
    """A child, plan or review as the file describes it, gathered from all its rows."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    first_lines: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)

    def merge(self, line: int, values: dict[str, Any]) -> list[str]:
        """Add one row's values; return the columns whose value differs from an earlier row."""
        self.lines.append(line)
        conflicts = []
        for name, value in values.items():
            if value is None:
                continue
            if name not in self.values:
                self.values[name] = value
                self.first_lines[name] = line
            elif self.values[name] != value:
                conflicts.append(name)
        return conflicts


@dataclass
class _Operation:
    """One record to add or change when the import is applied."""

    table: str
    key: Any
    #: The record it changes; None for a record to add.
    existing: Any
    #: Attribute name -> new value, only those that differ (all of them for a new record).
    values: dict[str, Any]
    #: For a new plan or review: the child or plan it belongs to if that exists already...
    parent: Any = None
    #: ...or else the key of the operation that adds it.
    parent_key: Any = None


# --- reading the file --------------------------------------------------------------------

def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise _FileRefused(_("The file is larger than %(size)d MB. Split it into smaller files.",
                             size=MAX_BYTES // (1024 * 1024)))
    if b"\x00" in data:  # spreadsheets (.xlsx), PDFs, UTF-16 text: never a CSV export
        raise _FileRefused(_("This is not a CSV file. In your spreadsheet, choose Save As and "
                             "\"CSV UTF-8\", then upload that file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Older Excel saves "CSV (comma delimited)" in the Windows code page.
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise _FileRefused(_("This is not a CSV file. In your spreadsheet, choose Save As "
                                 "and \"CSV UTF-8\", then upload that file.")) from None
    if not text.strip():
        raise _FileRefused(_("The file is empty."))
    return text


def _delimiter(text: str) -> tuple[str, int]:
    """The delimiter, from the first line that has something on it, and how many lines to
    skip before the header (Excel may start a file with a "sep=;" line)."""
    lines = io.StringIO(text, newline="")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if match := re.fullmatch(r"\s*sep=(.)\s*", line, flags=re.IGNORECASE):
            return match.group(1), number
        counts = {delimiter: line.count(delimiter) for delimiter in (",", ";", "\t")}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return (best if counts[best] else ","), 0
    return ",", 0


def normalise_header(name: str) -> str:
    """"Child Reference " -> "child_reference"."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower()).strip("_")


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number of the record's first line, cells) for every non-blank record."""
    delimiter, skip = _delimiter(text)
    lines = io.StringIO(text, newline="")
    for _number in range(skip):
        lines.readline()
    reader = csv.reader(lines, delimiter=delimiter)
    line = skip
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _FileRefused(_("The file cannot be read as CSV from this line on. Check for a "
                                 "quote mark that is not closed."), start) from None
        line = skip + reader.line_num
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield start, cells


def _read_table(text: str, check: ImportCheck) -> list[tuple[int, dict[str, str], bool]]:
    """The rows as (line, {column: cell}, whether it has cells beyond the header's).

    Raises :class:`_FileRefused` for a problem with the whole file.
    """
    records = _records(text)
    try:
        header_line, header = next(records)
    except StopIteration:
        raise _FileRefused(_("The file is empty.")) from None
    names = [normalise_header(name) for name in header]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise _FileRefused(_("These columns appear more than once in the first line: "
                             "%(columns)s.", columns=", ".join(repeated)), header_line)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing and len(names) == 1:  # not split at all: another delimiter, or not a CSV
        raise _FileRefused(_("The first line must name every required column, with commas or "
                             "semicolons between them. Missing: %(columns)s.",
                             columns=", ".join(missing)), header_line)
    if missing:
        raise _FileRefused(_("The first line must name every required column. Missing: "
                             "%(columns)s.", columns=", ".join(missing)), header_line)
    check.ignored_columns = [name for name, raw in zip(names, header, strict=True)
                             if name not in COLUMN_NAMES and raw]
    rows = []
    for line, cells in records:
        if len(rows) == MAX_ROWS:
            raise _FileRefused(_("The file has more than %(limit)d rows. Split it into smaller "
                                 "files.", limit=MAX_ROWS))
        rows.append((line, dict(zip(names, cells, strict=False)), any(cells[len(names):])))
    if not rows:
        raise _FileRefused(_("The file has a header line but no rows."))
    return rows


def _parse_row(line: int, cells: dict[str, str], extra_cells: bool) -> _Row:
    row = _Row(line=line)
    problems = row.problems
    if extra_cells:
        problems.append(_("This row has more cells than the first line has columns. A comma "
                          "or semicolon inside a name needs quote marks around the name."))

    def text(name: str, limit: int, required: bool = False) -> str | None:
        value = cells.get(name, "")
        if not value:
            if required:
                problems.append(_("%(column)s is empty.", column=name))
            return None
        if len(value) > limit:
            problems.append(_("%(column)s is longer than %(limit)d characters.",
                              column=name, limit=limit))
            return None
        return value

    def day(name: str, required: bool = False) -> date | None:
        value = cells.get(name, "")
        if not value:
            if required:
                problems.append(_("%(column)s is empty.", column=name))
            return None
        try:
            return parse_date(value)
        except ValueError:
            problems.append(_("%(column)s \"%(value)s\" is not a date. Write dates as "
                              "2024-03-25 or 25/03/2024.", column=name, value=value))
            return None

    def choice(name: str, parse: Any, message: Any) -> Any:
        value = cells.get(name, "")
        if not value:
            return None
        try:
            return parse(value)
        except KeyError:
            problems.append(message(value))
            return None

    def email(name: str) -> str | None:
        value = cells.get(name, "")
        return normalise_email(value) if value else None

    row.reference = text("child_reference", 40, required=True)
    row.first_name = text("first_name", 80, required=True)
    row.last_name = text("last_name", 80, required=True)
    row.date_of_birth = day("date_of_birth", required=True)
    row.gender = choice("gender", lambda v: _lookup(GENDERS, v), lambda v: _(
        "\"%(value)s\" is not a gender this import knows. Use girl, boy, another or "
        "not recorded.", value=v))
    row.ethnicity_group = choice("ethnicity_group", parse_ethnicity, lambda v: _(
        "\"%(value)s\" is not an ethnicity group this import knows. Use white, mixed, "
        "asian, black, other or not recorded.", value=v))
    row.preferred_language = choice("preferred_language", parse_language, lambda v: _(
        "\"%(value)s\" is not a language this import knows. Use a language code such as "
        "en, ur or ckb.", value=v))
    if row.preferred_language is not None and len(row.preferred_language) > 16:
        problems.append(_("%(column)s is longer than %(limit)d characters.",
                          column="preferred_language", limit=16))
        row.preferred_language = None
    row.social_worker_email = email("social_worker_email")
    row.plan_reference = cells.get("plan_reference") or None
    if not cells.get("plan_kind"):
        problems.append(_("%(column)s is empty.", column="plan_kind"))
    row.kind = choice("plan_kind", lambda v: _lookup(PLAN_KINDS, v), lambda v: _(
        "\"%(value)s\" is not a kind of plan this import knows. Use child in need, child "
        "protection, care plan or pathway plan.", value=v))
    row.placement_type = choice(
        "placement_type", lambda v: _lookup(PLACEMENT_TYPES, v), lambda v: _(
            "\"%(value)s\" is not a placement type this import knows. Use foster, kinship, "
            "residential, placed with parents, semi-independent, secure or other.", value=v))
    row.plan_start = day("plan_start", required=True)
    row.plan_end = day("plan_end")
    row.review_due = day("review_due")
    row.review_held = day("review_held")
    row.review_chair_email = email("review_chair_email")

    if row.kind is not None:
        label = row.kind.phrase
        if row.kind in PLANS_WITH_PLACEMENT and row.placement_type is None \
                and not cells.get("placement_type"):
            problems.append(_("A %(kind)s needs a placement type (placement_type).", kind=label))
        elif row.kind not in PLANS_WITH_PLACEMENT and row.placement_type is not None:
            problems.append(_("A %(kind)s has no placement type: leave placement_type empty.",
                              kind=label))
    if row.plan_start and row.plan_end and row.plan_end < row.plan_start:
        problems.append(_("The plan ends (%(end)s) before it starts (%(start)s).",
                          end=row.plan_end.isoformat(), start=row.plan_start.isoformat()))
    if not cells.get("review_due") and (cells.get("review_held")
                                        or cells.get("review_chair_email")):
        problems.append(_("review_held or review_chair_email is filled in, but review_due is "
                          "empty."))
    return row


# --- checking against what viewpoint holds ------------------------------------------------

def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _fetch(session: Session, model: Any, column: Any, values: Iterable[Any]) -> list[Any]:
    found: list[Any] = []
    for chunk in _chunks(sorted(set(values))):
        found.extend(session.scalars(select(model).where(column.in_(chunk))))
    return found


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.email
    return str(getattr(value, "value", value))


def check_import(session: Session, data: bytes, *, team: Team,
                 today: date | None = None) -> ImportCheck:
    """Read ``data`` (the uploaded file) and work out what importing it into ``team`` does.

    Writes nothing. Every problem found is in the result's ``problems``, with its line;
    the result can be passed to :func:`apply_import` only when it has none.
    """
    today = today or date.today()
    check = ImportCheck()
    try:
        table = _read_table(_decode(data), check)
    except _FileRefused as refused:
        check.problems.append(Problem(refused.line, refused.message))
        return check
    check.rows = len(table)
    rows = [_parse_row(*row) for row in table]

    children = {child.reference: child for child in _fetch(
        session, Child, Child.reference, [r.reference for r in rows if r.reference])}
    emails = {e for r in rows for e in (r.social_worker_email, r.review_chair_email) if e}
    users = {user.email: user for user in _fetch(session, User, User.email, emails)}

    def worker(email: str) -> User | None:
        user = users.get(email)
        ok = user is not None and user.is_active and user.role is Role.SOCIAL_WORKER \
            and user.team_id == team.id
        return user if ok else None

    def chair(email: str) -> User | None:
        user = users.get(email)
        ok = user is not None and user.is_active and user.role is Role.REVIEWING_OFFICER
        return user if ok else None

    child_records: dict[str, _Record] = {}
    plan_records: dict[tuple[str, PlanKind, date], _Record] = {}
    review_records: dict[tuple[str, PlanKind, date, date], _Record] = {}
    plan_references: dict[str, tuple[tuple[str, PlanKind, date], int]] = {}

    for row in rows:
        problems = row.problems
        if row.reference and row.reference in children \
                and children[row.reference].team_id != team.id:
            # Which team, and whose reference it is, are not the importer's business.
            problems.append(_("Child reference %(reference)s belongs to another team, so it "
                              "cannot be imported here.", reference=row.reference))
            continue
        sw = worker(row.social_worker_email) if row.social_worker_email else None
        if row.social_worker_email and sw is None:
            problems.append(_("%(email)s is not a social worker in your team.",
                              email=row.social_worker_email))
        iro = chair(row.review_chair_email) if row.review_chair_email else None
        if row.review_chair_email and iro is None:
            problems.append(_("%(email)s is not a reviewing officer.",
                              email=row.review_chair_email))
        if row.review_held and row.review_held > today:
            problems.append(_("The review held date %(held)s is in the future.",
                              held=row.review_held.isoformat()))
        if not (row.reference and row.first_name and row.last_name and row.date_of_birth):
            continue
        child_record = child_records.setdefault(row.reference, _Record(row.line))
        for name in child_record.merge(row.line, {
                "first_name": row.first_name, "last_name": row.last_name,
                "date_of_birth": row.date_of_birth, "gender": row.gender,
                "ethnicity_group": row.ethnicity_group,
                "preferred_language": row.preferred_language,
                "social_worker_email": sw}):
            problems.append(_("Child %(reference)s has a different %(column)s here from line "
                              "%(first)d.", reference=row.reference, column=name,
                              first=child_record.first_lines[name]))
        if not (row.kind and row.plan_start):
            continue
        plan_key = (row.reference, row.kind, row.plan_start)
        if row.plan_reference:
            earlier = plan_references.setdefault(row.plan_reference, (plan_key, row.line))
            if earlier[0] != plan_key:
                problems.append(_("Plan reference %(plan)s has a different child, kind of plan "
                                  "or start date here from line %(first)d.",
                                  plan=row.plan_reference, first=earlier[1]))
        plan_record = plan_records.setdefault(plan_key, _Record(row.line))
        for name in plan_record.merge(row.line, {"placement_type": row.placement_type,
                                                 "plan_end": row.plan_end}):
            problems.append(_("The %(kind)s of %(reference)s starting %(start)s has a different "
                              "%(column)s here from line %(first)d.",
                              kind=row.kind.phrase, reference=row.reference,
                              start=row.plan_start.isoformat(), column=name,
                              first=plan_record.first_lines[name]))
        if not row.review_due:
            continue
        review_key = (*plan_key, row.review_due)
        review_record = review_records.setdefault(review_key, _Record(row.line))
        for name in review_record.merge(row.line, {"review_held": row.review_held,
                                                   "review_chair_email": iro}):
            problems.append(_("The review of %(reference)s due %(due)s has a different "
                              "%(column)s here from line %(first)d.",
                              reference=row.reference, due=row.review_due.isoformat(),
                              column=name, first=review_record.first_lines[name]))

    _compare(session, check, children, child_records, plan_records, review_records)
    check.problems.extend(Problem(row.line, message) for row in rows for message in row.problems)
    check.problems.sort(key=lambda problem: problem.line or 0)
    return check


#: File column -> model attribute, for each kind of record.
_CHILD_FIELDS = {"first_name": "first_name", "last_name": "last_name",
                 "date_of_birth": "date_of_birth", "gender": "gender",
                 "ethnicity_group": "ethnicity_group", "preferred_language": "preferred_language",
                 "social_worker_email": "social_worker"}
_PLAN_FIELDS = {"placement_type": "placement_type", "plan_end": "ended_on"}
_REVIEW_FIELDS = {"review_held": "held_on", "review_chair_email": "chair"}
_NEW_CHILD_DEFAULTS = {"gender": Gender.NOT_RECORDED,
                       "ethnicity_group": EthnicityGroup.NOT_RECORDED,
                       "preferred_language": "en", "social_worker": None}


def _differences(existing: Any, record: _Record, fields: dict[str, str]) -> tuple[
        dict[str, Any], tuple[tuple[str, str | None, str | None], ...]]:
    """The attributes ``record`` changes on ``existing`` (compared first, so that a record
    that is already right is left untouched), and the same for people to read."""
    values: dict[str, Any] = {}
    shown = []
    for column, attribute in fields.items():
        if column not in record.values:
            continue  # an empty cell keeps what viewpoint holds
        new, old = record.values[column], getattr(existing, attribute)
        if new != old:
            values[attribute] = new
            shown.append((column, _shown(old), _shown(new)))
    return values, tuple(shown)


def _compare(session: Session, check: ImportCheck, children: dict[str, Child],
             child_records: dict[str, _Record],
             plan_records: dict[tuple[str, PlanKind, date], _Record],
             review_records: dict[tuple[str, PlanKind, date, date], _Record]) -> None:
    """Fill in ``check``'s counts, changes and operations from the gathered records."""
    ours = {ref: child for ref, child in children.items() if ref in child_records}
    plans: dict[tuple[int, PlanKind, date], list[Plan]] = defaultdict(list)
    for plan in _fetch(session, Plan, Plan.child_id, [c.id for c in ours.values()]):
        plans[(plan.child_id, plan.kind, plan.started_on)].append(plan)
    reviews: dict[tuple[int, date], list[Review]] = defaultdict(list)
    plan_ids = [plan.id for found in plans.values() for plan in found]
    for review in _fetch(session, Review, Review.plan_id, plan_ids):
        reviews[(review.plan_id, review.due_on)].append(review)

    def note(tally: Tally, line: int, reference: str, record: Any, existing: Any,
             shown: tuple[tuple[str, str | None, str | None], ...]) -> None:
        if existing is None:
            tally.created += 1
        elif shown:
            tally.updated += 1
        else:
            tally.unchanged += 1
            return
        check.changes.append(Change(line, reference, record, existing is None, shown))

    matched_plans: dict[tuple[str, PlanKind, date], Plan | None] = {}
    for reference, record in child_records.items():
        child = ours.get(reference)
        if child is None:
            values = {**_NEW_CHILD_DEFAULTS, "reference": reference,
                      **{_CHILD_FIELDS[c]: v for c, v in record.values.items()}}
            shown: tuple[tuple[str, str | None, str | None], ...] = ()
        else:
            values, shown = _differences(child, record, _CHILD_FIELDS)
        # Translators: the kind of record in the import's list of changes.
        note(check.children, record.line, reference, _l("child"), child, shown)
        if values:
            check._operations.append(_Operation("child", reference, child, values))

    for key, record in plan_records.items():
        reference, kind, started_on = key
        child = ours.get(reference)
        found = plans.get((child.id, kind, started_on), []) if child is not None else []
        # Translators: a plan in the import's list of changes: "care plan from 2024-01-08".
        label = _l("%(kind)s from %(start)s", kind=kind.phrase,
                   start=started_on.isoformat())
        if len(found) > 1:
            message = _("Child %(reference)s already has more than one %(kind)s starting on "
                        "%(start)s, so this row cannot be matched to one of them.",
                        reference=reference, kind=kind.phrase,
                        start=started_on.isoformat())
            check.problems.extend(Problem(line, message) for line in record.lines)
            continue
        plan = found[0] if found else None
        matched_plans[key] = plan
        if plan is None:
            values = {"kind": kind, "started_on": started_on,
                      **{_PLAN_FIELDS[c]: v for c, v in record.values.items()}}
            shown = ()
        else:
            values, shown = _differences(plan, record, _PLAN_FIELDS)
        note(check.plans, record.line, reference, label, plan, shown)
        if values:
            check._operations.append(_Operation("plan", key, plan, values, parent=child,
                                                parent_key=reference))

    for key, record in review_records.items():
        plan_key, due_on = key[:3], key[3]
        if plan_key not in matched_plans:
            continue  # the plan could not be matched; its problem is already listed
        plan = matched_plans[plan_key]
        found = reviews.get((plan.id, due_on), []) if plan is not None else []
        # Translators: a review in the import's list of changes.
        label = _l("review of the %(kind)s, due %(due)s", kind=plan_key[1].phrase,
                  due=due_on.isoformat())
        if len(found) > 1:
            message = _("This plan already has more than one review due on %(due)s, so this "
                        "row cannot be matched to one of them.", due=due_on.isoformat())
            check.problems.extend(Problem(line, message) for line in record.lines)
            continue
        review = found[0] if found else None
        if review is None:
            values = {"due_on": due_on,
                      **{_REVIEW_FIELDS[c]: v for c, v in record.values.items()}}
            shown = ()
        else:
            values, shown = _differences(review, record, _REVIEW_FIELDS)
        note(check.reviews, record.line, plan_key[0], label, review, shown)
        if values:
            check._operations.append(_Operation("review", key, review, values, parent=plan,
                                                parent_key=plan_key))
    check.changes.sort(key=lambda change: change.line)


# --- applying ----------------------------------------------------------------------------

class ImportHasProblems(ValueError):
    """Raised by :func:`apply_import` for a check that found problems."""


def apply_import(session: Session, check: ImportCheck, *, team: Team) -> None:
    """Add and change the records a clean :func:`check_import` found, in ``session``'s
    transaction (the caller commits, or rolls back on any error: nothing is half done).

    Raises :class:`ImportHasProblems` if the check found any problem.
    """
    if not check.ok:
        raise ImportHasProblems(f"{len(check.problems)} problems")
    added: dict[str, dict[Any, Any]] = {"child": {}, "plan": {}}
    for table, model, parent_table, parent_column in (
            ("child", Child, None, None), ("plan", Plan, "child", "child_id"),
            ("review", Review, "plan", "plan_id")):
        for operation in check._operations:
            if operation.table != table:
                continue
            if operation.existing is not None:
                for attribute, value in operation.values.items():
                    setattr(operation.existing, attribute, value)
                continue
            values = dict(operation.values)
            if parent_table is None:
                values["team_id"] = team.id
            else:
                parent = operation.parent or added[parent_table][operation.parent_key]
                values[parent_column] = parent.id
            record = model(**values)
            session.add(record)
            if table in added:
                added[table][operation.key] = record
        # Set by id rather than through relationships: thousands of new rows would otherwise
        # each fire collection events on their parent. Flushing gives the next table its ids.
        session.flush()


def example_csv() -> bytes:
    """The example file offered on the import page (made-up children), with Excel's BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue().encode("utf-8-sig")
