"""The columns of the import file, as the import page and docs/csv-import.md describe them,
and the example file offered on the page."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


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
           _l("Up to 40 characters: letters, numbers and - / _ . only, starting with a letter "
              "or a number.")),
    Column("first_name", True, _l("The name the child uses."), _l("Up to 80 characters.")),
    Column("last_name", True, _l("The child's family name."), _l("Up to 80 characters.")),
    Column("date_of_birth", True, _l("The child's date of birth."),
           _l("A date in the past, not before 1990: 2014-03-25 or 25/03/2014.")),
    Column("gender", False, _l("Used only for anonymised totals."),
           _l("girl (F, female), boy (M, male), another (non-binary, other) or not recorded "
              "(unknown). Empty for a new child: not recorded.")),
    Column("ethnicity_group", False, _l("Used only for anonymised totals."),
           _l("white, mixed, asian, black, other or not recorded; a longer description such "
              "as \"White British\"; or the national return codes (WBRI, MWBC, APKN, BAFR, "
              "OOTH, REFU...). Empty for a new child: not recorded.")),
    Column("preferred_language", False, _l("The language the child prefers to answer in."),
           _l("A language children can answer in: its code (en, cy, ur, pa, bn, pl, ro, sk, "
              "ar, fa, ps, ckb, ti) or its English name (Urdu). Empty for a new child: "
              "English.")),
    Column("social_worker_email", False,
           _l("The child's allocated social worker or personal adviser."),
           _l("The email address they sign in with. They must be an active social worker in "
              "your team.")),
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
           _l("A date, not before plan_start.")),
    Column("review_held", False, _l("The day the review was held; empty until then."),
           _l("A date, not in the future.")),
    Column("review_chair_email", False,
           _l("Who chairs the review (the independent reviewing officer)."),
           _l("The email address of an active reviewing officer.")),
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


def example_csv() -> bytes:
    """The example file offered on the import page (made-up children), with Excel's BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue().encode("utf-8-sig")
