"""Importing children, plans and reviews from a case-management system's CSV export.

Two steps, so that a file is never half imported: :func:`check_import` reads the whole
file, finds every problem and works out what would change, writing nothing;
:func:`apply_import` writes what a clean check found. The import page runs both in one
request, inside the request's transaction, so an error while writing undoes everything.

A row is refused for what the staff forms refuse, in the same words: both check with the
rules of :mod:`viewpoint.operations.children`, and the import writes through it too.

Nothing is added to the models for the import's sake. A child is matched by their
reference, a plan by (child, kind, start date) and a review by (plan, due date), so the
same file imported twice changes nothing the second time. An empty cell never clears what
viewpoint already holds: a review's held date recorded here by the chair survives an
export made before the case-management system knew about it.

- ``columns``: the columns of the file and the example file;
- ``spellings``: what people type (dates, kinds of plan, genders, languages...) read as values;
- ``reading``: the file's encoding, delimiter, header and rows;
- ``rows``: one row's cells read into values;
- ``matching``: the records the rows describe, matched with what viewpoint holds;
- ``check``: the whole check; ``result``: what it finds;
- ``apply``: writing a clean check.
"""

from __future__ import annotations

from .apply import ImportHasProblems, apply_import
from .check import check_import
from .columns import COLUMN_NAMES, COLUMNS, EXAMPLE_ROWS, REQUIRED_COLUMNS, Column, example_csv
from .reading import (
    MAX_BYTES,
    MAX_ROWS,
    FileRefused,
    decode,
    find_delimiter,
    normalise_header,
    read_table,
    records,
)
from .result import CHANGES_SHOWN, Change, ImportCheck, Problem, Tally
from .spellings import (
    ETHNICITY_GROUPS,
    GENDERS,
    PLACEMENT_TYPES,
    PLAN_KINDS,
    lookup,
    parse_date,
    parse_ethnicity,
    parse_language,
)

__all__ = [
    "CHANGES_SHOWN", "COLUMNS", "COLUMN_NAMES", "ETHNICITY_GROUPS", "EXAMPLE_ROWS", "GENDERS",
    "MAX_BYTES", "MAX_ROWS", "PLACEMENT_TYPES", "PLAN_KINDS", "REQUIRED_COLUMNS", "Change",
    "Column", "FileRefused", "ImportCheck", "ImportHasProblems", "Problem", "Tally",
    "apply_import", "check_import", "decode", "example_csv", "find_delimiter", "lookup",
    "normalise_header", "parse_date", "parse_ethnicity", "parse_language", "read_table",
    "records",
]
