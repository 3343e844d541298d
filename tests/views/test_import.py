"""A team manager imports children, plans and reviews from a case-management export."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import make_child, make_team, make_user
from tests.staff import csrf_token, post, sign_in
from viewpoint.casework.csv_import import COLUMN_NAMES, COLUMNS, EXAMPLE_ROWS, MAX_ROWS
from viewpoint.models import (
    AuditEvent,
    Child,
    EthnicityGroup,
    Gender,
    PlacementType,
    Plan,
    PlanKind,
    Review,
    Role,
)

REPO = Path(__file__).resolve().parents[2]
URL = "/casework/import"
PROBLEM_ROW = re.compile(r"<tr><td>(\d+|whole file)</td><td>(.*?)</td></tr>", re.S)


@pytest.fixture()
def council(session):  # type: ignore[no-untyped-def]
    """Our team (a manager, a worker), an IRO, and another team with a child of its own."""
    ours, theirs = make_team(session, "North Import Team"), make_team(session, "South Secret Team")
    people = {
        "team": ours,
        "manager": make_user(session, Role.TEAM_MANAGER, ours, name="Cy Manager"),
        "worker": make_user(session, Role.SOCIAL_WORKER, ours, name="Ash Worker"),
        "iro": make_user(session, Role.REVIEWING_OFFICER, name="Iris Chair"),
        "their_worker": make_user(session, Role.SOCIAL_WORKER, theirs),
        "their_manager": make_user(session, Role.TEAM_MANAGER, theirs),
        "panel": make_user(session, Role.PANEL_MEMBER),
        "admin": make_user(session, Role.ADMINISTRATOR),
    }
    people["their_child"] = make_child(session, team=theirs, worker=people["their_worker"],
                                       first_name="Zephyrine")
    return people


def row(council, **cells: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One good row (a girl in foster care with a review due); ``cells`` change it."""
    values = {
        "child_reference": "K-100", "first_name": "Maya", "last_name": "Oakes",
        "date_of_birth": "2012-05-04", "gender": "F", "ethnicity_group": "White British",
        "preferred_language": "en", "social_worker_email": council["worker"].email,
        "plan_reference": "P-1", "plan_kind": "LAC", "placement_type": "foster",
        "plan_start": "2023-09-01", "plan_end": "", "review_due": "2024-03-01",
        "review_held": "", "review_chair_email": council["iro"].email,
    }
    values.update(cells)
    return values


def as_csv(rows: list[dict[str, str]], delimiter: str = ",",
           columns: tuple[str, ...] = COLUMN_NAMES) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), delimiter=delimiter,
                            extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def good_file(council) -> bytes:  # type: ignore[no-untyped-def]
    """Two children: one in care with two reviews, one on a CIN plan with no review yet."""
    return as_csv([
        row(council),
        row(council, review_due="2024-09-01"),
        row(council, child_reference="K-200", first_name="Theo", last_name="Birch",
            date_of_birth="2015-01-20", gender="boy", ethnicity_group="BAFR",
            preferred_language="Urdu", plan_reference="P-2", plan_kind="CIN",
            placement_type="", plan_start="2024-02-01", review_due="", review_chair_email=""),
    ])


def upload(client, data: bytes, *, importing: bool = False,  # type: ignore[no-untyped-def]
           filename: str = "export.csv"):
    """Upload ``data`` and press "Import" or "Check only"."""
    fields = {"csrf_token": csrf_token(client),
              "file": FileStorage(io.BytesIO(data), filename, content_type="text/csv"),
              ("confirm" if importing else "check"): "1"}
    # Encoded in memory: for a large body the test client spools to a temporary file that it
    # never closes, which pytest reports as an error.
    boundary, body = encode_multipart(fields)
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def problems(page: str) -> list[tuple[str, str]]:
    return [(line, html.unescape(message)) for line, message in PROBLEM_ROW.findall(page)]


def tally(page: str, name: str) -> tuple[int, int, int]:
    counts = [re.search(rf'id="{name}-{kind}">(\d+)<', page)
              for kind in ("created", "updated", "unchanged")]
    assert all(counts), f"no {name} counts on the page"
    return tuple(int(match.group(1)) for match in counts)  # type: ignore[union-attr,return-value]


def audit_details(session, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [event.detail for event in session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def team_children(session, council) -> list[Child]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Child).where(Child.team_id == council["team"].id)
                                .order_by(Child.reference)))


# --- the page -------------------------------------------------------------------------------

def test_manager_sees_the_form_and_every_documented_column(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    assert 'name="check"' in page and 'name="confirm"' in page
    assert "/casework/import/example.csv" in page
    for column in COLUMNS:
        assert f"<code>{column.name}</code>" in page


def test_docs_describe_every_column_the_page_lists() -> None:
    docs = (REPO / "docs" / "csv-import.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z_]+)` \| (yes|no) \|", docs, flags=re.M)
    assert documented == [(c.name, "yes" if c.required else "no") for c in COLUMNS]


def test_the_example_file_holds_every_column_and_imports_cleanly(client, session,  # type: ignore[no-untyped-def]
                                                                 council) -> None:
    sign_in(client, council["manager"], session)
    response = client.get("/casework/import/example.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == list(COLUMN_NAMES)
    # The example's made-up staff, in this team, make the example a clean file.
    make_user(session, Role.SOCIAL_WORKER, council["team"]).email = "social.worker@example.org"
    make_user(session, Role.REVIEWING_OFFICER).email = "reviewing.officer@example.org"
    session.flush()
    page = upload(client, data).get_data(as_text=True)
    assert problems(page) == []
    references = {example[0] for example in EXAMPLE_ROWS}
    assert tally(page, "children") == (len(references), 0, 0)
    assert tally(page, "reviews") == (sum(1 for example in EXAMPLE_ROWS if example[13]), 0, 0)
    assert team_children(session, council) == []


# --- who may import ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["worker", "iro", "panel", "admin", "their_manager"])
def test_only_the_teams_manager_may_import_into_it(client, session, council,  # type: ignore[no-untyped-def]
                                                   role: str) -> None:
    sign_in(client, council[role], session)
    if role == "their_manager":
        # Another team's manager may import, but only ever into their own team.
        response = upload(client, as_csv([row(council, social_worker_email="",
                                              review_chair_email="")]), importing=True)
        assert response.status_code == 200
        assert team_children(session, council) == []
        assert session.scalar(select(Child).where(Child.reference == "K-100")).team_id == \
            council["their_manager"].team_id
        return
    assert client.get(URL).status_code == 403
    assert client.get("/casework/import/example.csv").status_code == 403
    assert upload(client, good_file(council), importing=True).status_code == 403
    assert team_children(session, council) == []
    assert audit_details(session, "import.applied") == []


def test_a_manager_without_a_team_is_refused(client, session, council) -> None:  # type: ignore[no-untyped-def]
    manager = make_user(session, Role.TEAM_MANAGER, None)
    sign_in(client, manager, session)
    assert client.get(URL).status_code == 403
    assert upload(client, good_file(council), importing=True).status_code == 403
    assert session.scalar(select(func.count(Child.id)).where(Child.reference == "K-100")) == 0


def test_an_upload_without_the_forms_token_is_refused(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    response = client.post(URL, data={"file": (io.BytesIO(good_file(council)), "export.csv"),
                                      "confirm": "1"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert team_children(session, council) == []


# --- checking -------------------------------------------------------------------------------

def test_a_dry_run_lists_every_bad_row_with_its_reason_and_writes_nothing(  # type: ignore[no-untyped-def]
        client, session, council) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    their_reference = council["their_child"].reference
    bad = {
        3: (dict(plan_kind="respite"), '"respite" is not a kind of plan'),
        4: (dict(date_of_birth="31/02/2012"), 'date_of_birth "31/02/2012" is not a date'),
        5: (dict(plan_start="2024-01-10", plan_end="2023-12-01"),
            "The end date cannot be before the start date."),
        6: (dict(plan_kind="CP", placement_type="foster"),
            "Only care plans and pathway plans record a placement."),
        7: (dict(plan_kind="pathway", placement_type=""),
            "Choose where the child lives: care and pathway plans record the placement."),
        8: (dict(social_worker_email=council["their_worker"].email),
            "Only an active social worker in the child's team can be their social worker."),
        9: (dict(review_chair_email=council["worker"].email),
            "Only an active reviewing officer can chair a review."),
        10: (dict(child_reference=their_reference),
             "A child with this reference is already in viewpoint."),
        11: (dict(date_of_birth="2012-05-05", review_due="2024-06-01"),
             "Child K-100 has a different date_of_birth here from line 2."),
        12: (dict(review_due="2024-12-01", review_held=tomorrow),
             "A review cannot have been held in the future."),
        13: (dict(child_reference="K-300", first_name=""), "first_name is empty."),
        14: (dict(child_reference="K-301", gender="sometimes"),
             '"sometimes" is not a gender'),
        15: (dict(review_due="", review_held="2024-01-01"),
             "review_due is empty"),
    }
    rows = [row(council)] + [row(council, **cells) for cells, _reason in bad.values()]
    sign_in(client, council["manager"], session)
    response = upload(client, as_csv(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = problems(page)
    assert sorted({int(line) for line, _message in found}) == sorted(bad)
    for line, (_cells, reason) in bad.items():
        messages = [message for number, message in found if number == str(line)]
        assert any(reason in message for message in messages), (line, messages)
    # Another team's child: refused without saying whose or which team.
    assert "Zephyrine" not in page and "South Secret Team" not in page
    assert "Nothing has been saved" not in page and "nothing is saved" in page
    assert team_children(session, council) == []
    assert council["their_child"].first_name == "Zephyrine"
    (detail,) = audit_details(session, "import.checked")
    assert detail["problems"] == len(found) and detail["rows"] == len(rows)


def test_a_clean_dry_run_counts_what_would_change_and_writes_nothing(client, session,  # type: ignore[no-untyped-def]
                                                                     council) -> None:
    sign_in(client, council["manager"], session)
    page = upload(client, good_file(council)).get_data(as_text=True)
    assert "No problems found" in page
    assert tally(page, "children") == (2, 0, 0)
    assert tally(page, "plans") == (2, 0, 0)
    assert tally(page, "reviews") == (2, 0, 0)
    assert team_children(session, council) == []
    assert audit_details(session, "import.applied") == []


def test_missing_columns_are_named_in_one_message(client, session, council) -> None:  # type: ignore[no-untyped-def]
    columns = tuple(c for c in COLUMN_NAMES if c not in ("date_of_birth", "plan_start"))
    sign_in(client, council["manager"], session)
    page = upload(client, as_csv([row(council)], columns=columns)).get_data(as_text=True)
    (only,) = problems(page)
    assert "date_of_birth" in only[1] and "plan_start" in only[1] and "Missing" in only[1]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf\r\n  \r\n", "The file is empty."),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "This is not a CSV file."),
    (",".join(COLUMN_NAMES).encode() + b"\n\n", "The file has a header line but no rows."),
    ("|".join(COLUMN_NAMES).encode() + b"\nK-1|Maya\n", "with commas or semicolons between"),
])
def test_files_that_cannot_be_imported_are_explained(client, session, council, data: bytes,  # type: ignore[no-untyped-def]
                                                     reason: str) -> None:
    sign_in(client, council["manager"], session)
    response = upload(client, data, importing=True)
    assert response.status_code == 400
    (only,) = problems(response.get_data(as_text=True))
    assert reason in only[1]


def test_a_file_of_too_many_rows_is_refused(client, session, council) -> None:  # type: ignore[no-untyped-def]
    rows = [row(council, child_reference=f"K-{n}", social_worker_email="",
                review_chair_email="") for n in range(MAX_ROWS + 1)]
    sign_in(client, council["manager"], session)
    response = upload(client, as_csv(rows), importing=True)
    assert response.status_code == 400
    (only,) = problems(response.get_data(as_text=True))
    assert f"more than {MAX_ROWS} rows" in only[1]
    assert team_children(session, council) == []


def test_an_upload_over_the_size_limit_is_refused(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    data = good_file(council) + b"\n" * (2 * 1024 * 1024)
    response = upload(client, data, importing=True)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert team_children(session, council) == []


def test_posting_without_a_file_asks_for_one(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    response = post(client, URL, {"confirm": "1"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the CSV file to check or import." in response.get_data(as_text=True)


# --- importing ------------------------------------------------------------------------------

def test_importing_a_good_file_creates_children_plans_and_reviews(client, session,  # type: ignore[no-untyped-def]
                                                                  council) -> None:
    sign_in(client, council["manager"], session)
    response = upload(client, good_file(council), importing=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The file has been imported" in page
    assert tally(page, "children") == (2, 0, 0)
    maya, theo = team_children(session, council)
    assert (maya.reference, maya.first_name, maya.last_name) == ("K-100", "Maya", "Oakes")
    assert maya.date_of_birth == date(2012, 5, 4)
    assert (maya.gender, maya.ethnicity_group) == (Gender.GIRL, EthnicityGroup.WHITE)
    assert maya.social_worker_id == council["worker"].id
    (plan,) = maya.plans
    assert (plan.kind, plan.placement_type, plan.started_on, plan.ended_on) == (
        PlanKind.CARE_PLAN, PlacementType.FOSTER, date(2023, 9, 1), None)
    assert [(r.due_on, r.held_on, r.chair_id) for r in plan.reviews] == [
        (date(2024, 3, 1), None, council["iro"].id), (date(2024, 9, 1), None, council["iro"].id)]
    assert (theo.gender, theo.ethnicity_group, theo.preferred_language) == (
        Gender.BOY, EthnicityGroup.BLACK, "ur")
    (cin,) = theo.plans
    assert (cin.kind, cin.placement_type, cin.reviews) == (PlanKind.CHILD_IN_NEED, None, [])
    (detail,) = audit_details(session, "import.applied")
    assert detail["children_created"] == 2 and detail["plans_created"] == 2
    assert detail["reviews_created"] == 2 and detail["team_id"] == council["team"].id


def test_the_audit_trail_keeps_counts_and_never_a_childs_name(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    upload(client, good_file(council))
    upload(client, good_file(council), importing=True)
    events = list(session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["import.checked", "import.applied"])).order_by(AuditEvent.id)))
    assert [event.action for event in events] == ["import.checked", "import.applied"]
    for event in events:
        assert event.actor_id == council["manager"].id and event.child_id is None
        text = repr(event.detail)
        for word in ("Maya", "Oakes", "Theo", "Birch", "K-100", "K-200"):
            assert word not in text
        assert all(isinstance(value, int) for value in event.detail.values())


def test_importing_the_same_file_again_changes_nothing(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    assert upload(client, good_file(council), importing=True).status_code == 200
    counts = [session.scalar(select(func.count(model.id))) for model in (Child, Plan, Review)]
    page = upload(client, good_file(council), importing=True).get_data(as_text=True)
    assert "nothing changed" in page
    assert tally(page, "children") == (0, 0, 2)
    assert tally(page, "plans") == (0, 0, 2)
    assert tally(page, "reviews") == (0, 0, 2)
    assert [session.scalar(select(func.count(model.id))) for model in (Child, Plan, Review)] \
        == counts
    first, second = audit_details(session, "import.applied")
    assert first["children_created"] == 2
    assert {key: value for key, value in second.items()
            if key.endswith(("_created", "_updated"))} == dict.fromkeys(
        [f"{name}_{what}" for name in ("children", "plans", "reviews")
         for what in ("created", "updated")], 0)


def test_a_file_with_one_bad_row_imports_nothing(client, session, council) -> None:  # type: ignore[no-untyped-def]
    rows = [row(council), row(council, review_due="2024-09-01"),
            row(council, child_reference="K-200", plan_kind="CIN", placement_type="",
                plan_start="01/13/2024")]
    sign_in(client, council["manager"], session)
    response = upload(client, as_csv(rows), importing=True)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert [line for line, _message in problems(page)] == ["4"]
    assert team_children(session, council) == []
    assert session.scalar(select(func.count(Plan.id)).join(Child).where(
        Child.team_id == council["team"].id)) == 0
    assert audit_details(session, "import.applied") == []


def test_a_row_for_another_teams_child_is_refused_and_changes_nothing(client, session,  # type: ignore[no-untyped-def]
                                                                      council) -> None:
    theirs = council["their_child"]
    rows = [row(council),
            row(council, child_reference=theirs.reference, first_name="Renamed",
                plan_reference="P-9", plan_start="2024-01-01")]
    sign_in(client, council["manager"], session)
    response = upload(client, as_csv(rows), importing=True)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert problems(page) == [("3", "A child with this reference is already in viewpoint. "
                                    "Ask your manager to find the record.")]
    for secret in ("Zephyrine", "Alder", "South Secret Team", council["their_worker"].email):
        assert secret not in page
    session.refresh(theirs)
    assert (theirs.first_name, theirs.team_id, len(theirs.plans)) == (
        "Zephyrine", council["their_manager"].team_id, 1)
    assert team_children(session, council) == []


def test_a_later_export_with_the_held_date_updates_just_that_review(client, session,  # type: ignore[no-untyped-def]
                                                                    council) -> None:
    sign_in(client, council["manager"], session)
    upload(client, good_file(council), importing=True)
    later = good_file(council).replace(b"2024-03-01,,", b"2024-03-01,2024-02-28,")
    assert later != good_file(council)
    check = upload(client, later).get_data(as_text=True)
    assert tally(check, "reviews") == (0, 1, 1)
    assert "2024-02-28" in check and "review_held" in check
    page = upload(client, later, importing=True).get_data(as_text=True)
    assert tally(page, "children") == (0, 0, 2)
    assert tally(page, "plans") == (0, 0, 2)
    assert tally(page, "reviews") == (0, 1, 1)
    maya = team_children(session, council)[0]
    assert [r.held_on for r in maya.plans[0].reviews] == [date(2024, 2, 28), None]
    # An older export, made before the review was held, does not erase the date.
    upload(client, good_file(council), importing=True)
    assert maya.plans[0].reviews[0].held_on == date(2024, 2, 28)


def test_an_existing_child_in_the_team_is_updated_in_place(client, session, council) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, team=council["team"], worker=council["worker"])
    plan = child.plans[0]
    colleague = make_user(session, Role.SOCIAL_WORKER, council["team"])
    data = as_csv([row(council, child_reference=child.reference, first_name=child.first_name,
                       last_name=child.last_name,
                       date_of_birth=child.date_of_birth.strftime("%d/%m/%Y"),
                       social_worker_email=colleague.email, plan_kind="care_plan",
                       plan_start=plan.started_on.isoformat(),
                       plan_end=date.today().isoformat(), review_due="", review_chair_email="")])
    sign_in(client, council["manager"], session)
    page = upload(client, data, importing=True).get_data(as_text=True)
    assert tally(page, "children") == (0, 1, 0)
    assert tally(page, "plans") == (0, 1, 0)
    assert child.social_worker_id == colleague.id
    assert plan.ended_on == date.today() and len(child.plans) == 1


def test_uk_dates_a_bom_semicolons_and_loose_headers_are_read(client, session, council) -> None:  # type: ignore[no-untyped-def]
    header = ";".join(" " + name.replace("_", " ").title() + " " for name in COLUMN_NAMES)
    cells = row(council, date_of_birth="04/05/2012", plan_start="1/9/2023",
                review_due="01/03/2024", review_held="28/02/2024", first_name="Zoë")
    line = ";".join(cells[name] for name in COLUMN_NAMES)
    data = ("\ufeff" + header + "\r\n\r\n" + line + "\r\n\r\n").encode("utf-8")
    sign_in(client, council["manager"], session)
    page = upload(client, data, importing=True).get_data(as_text=True)
    assert problems(page) == []
    (child,) = team_children(session, council)
    assert child.first_name == "Zoë"
    assert child.date_of_birth == date(2012, 5, 4)
    (plan,) = child.plans
    assert plan.started_on == date(2023, 9, 1)
    assert [(r.due_on, r.held_on) for r in plan.reviews] == [(date(2024, 3, 1),
                                                               date(2024, 2, 28))]


def test_bad_rows_keep_their_line_numbers_past_blank_lines(client, session, council) -> None:  # type: ignore[no-untyped-def]
    good = ",".join(row(council)[name] for name in COLUMN_NAMES)
    bad = ",".join(row(council, plan_kind="respite", review_due="2024-06-01")[name]
                   for name in COLUMN_NAMES)
    data = "\n".join([",".join(COLUMN_NAMES), good, "", "", bad, ""]).encode()
    sign_in(client, council["manager"], session)
    assert [line for line, _ in problems(upload(client, data).get_data(as_text=True))] == ["5"]
