"""One set of rules for children, plans and reviews, whichever way in they come.

A social worker typing into the staff forms and a manager importing a case-management
export must be refused the same things in the same words: each case below goes through
both, and both must refuse it with the same messages (or both accept it).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from tests.api import call, make_token
from tests.factories import make_child, make_team, make_user
from tests.staff import post, sign_in
from tests.views.test_import import as_csv, problems, upload
from viewpoint.models import Child, PlacementType, Plan, PlanKind, Review, Role
from viewpoint.operations.children import RecordProblems
from viewpoint.operations.imports import PendingRecord, import_records

PLAN_START = date(2024, 1, 15)
FIELD_ERROR = re.compile(r'<span class="error-message" id="[\w-]+-error">(.*?)</span>', re.S)


@dataclass(frozen=True)
class Of:
    """A value that depends on the council: ``Of("their_worker", "email")``."""

    person: str
    attribute: str

    def resolve(self, council: dict) -> str:  # type: ignore[type-arg]
        return str(getattr(council[self.person], self.attribute))


@dataclass(frozen=True)
class InDays:
    """A date ``days`` from today, worked out when the test runs (not when it is collected:
    a run that crosses midnight would otherwise hold a review "tomorrow" that is today)."""

    days: int

    def resolve(self, _council: dict) -> str:  # type: ignore[type-arg]
        return (date.today() + timedelta(days=self.days)).isoformat()


TODAY, TOMORROW, NEXT_MONTH = InDays(0), InDays(1), InDays(31)


def resolved(values: dict, council: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {name: value.resolve(council) if isinstance(value, Of | InDays) else value
            for name, value in values.items()}


@pytest.fixture()
def council(session):  # type: ignore[no-untyped-def]
    """Our team (a manager, a worker, a child of theirs), an IRO, a switched-off worker, and
    another team with a worker and a child."""
    ours, theirs = make_team(session, "North Team"), make_team(session, "South Team")
    people = {
        "manager": make_user(session, Role.TEAM_MANAGER, ours, name="Cy Manager"),
        "worker": make_user(session, Role.SOCIAL_WORKER, ours, name="Ash Worker"),
        "gone": make_user(session, Role.SOCIAL_WORKER, ours, name="Gone Worker"),
        "iro": make_user(session, Role.REVIEWING_OFFICER, name="Iris Chair"),
        "their_worker": make_user(session, Role.SOCIAL_WORKER, theirs, name="Other Worker"),
    }
    people["gone"].is_active = False
    people["child"] = make_child(session, team=ours, worker=people["worker"], first_name="Wren")
    people["their_child"] = make_child(session, team=theirs, worker=people["their_worker"],
                                       first_name="Linden")
    session.flush()
    return people


# --- a good form and a good row, which each case changes ------------------------------------

def child_form(council) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {"reference": "ONE-1", "first_name": "Maya", "last_name": "Oakes",
            "date_of_birth": "2012-05-04", "gender": "girl", "ethnicity_group": "white",
            "preferred_language": "en", "social_worker_id": str(council["worker"].id)}


def plan_form() -> dict:  # type: ignore[type-arg]
    return {"kind": "care_plan", "placement_type": "foster",
            "started_on": PLAN_START.isoformat(), "ended_on": ""}


def review_form(council) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {"due_on": "2024-07-15", "held_on": "", "chair_id": str(council["iro"].id)}


def good_row(council) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The same child, plan and review as the good forms, as one row of an export."""
    return {"child_reference": "ONE-1", "first_name": "Maya", "last_name": "Oakes",
            "date_of_birth": "2012-05-04", "gender": "girl", "ethnicity_group": "white",
            "preferred_language": "en", "social_worker_email": council["worker"].email,
            "plan_reference": "", "plan_kind": "care plan", "placement_type": "foster",
            "plan_start": PLAN_START.isoformat(), "plan_end": "", "review_due": "2024-07-15",
            "review_held": "", "review_chair_email": council["iro"].email}


def through_the_form(client, session, council, form: str, fields: dict):  # type: ignore[no-untyped-def,type-arg]
    """Post the child, plan or review form, with ``fields`` changed, as the social worker."""
    child = council["child"]
    if form == "child":
        return post(client, "/casework/children/new", {**child_form(council), **fields})
    if form == "plan":
        return post(client, f"/casework/children/{child.id}/plans/new",
                    {**plan_form(), **fields})
    plan = Plan(child_id=child.id, kind=PlanKind.CARE_PLAN,
                placement_type=PlacementType.FOSTER, started_on=PLAN_START)
    session.add(plan)
    session.flush()
    return post(client, f"/casework/plans/{plan.id}/reviews/new",
                {**review_form(council), **fields})


def form_errors(page: str) -> list[str]:
    return [html.unescape(error) for error in FIELD_ERROR.findall(page)]


def counts(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return tuple(session.scalar(select(func.count(model.id)))  # type: ignore[return-value]
                 for model in (Child, Plan, Review))


# --- refused both ways, in the same words -----------------------------------------------------

REFUSED = [
    pytest.param("child", {"reference": "bad ref!"}, {"child_reference": "bad ref!"},
                 "Use letters, numbers and - / _ . only.", id="reference-with-a-space"),
    pytest.param("child", {"reference": "R" * 41}, {"child_reference": "R" * 41},
                 "Use at most 40 characters for the reference.", id="reference-too-long"),
    pytest.param("child", {"reference": Of("their_child", "reference")},
                 {"child_reference": Of("their_child", "reference")},
                 "A child with this reference is already in viewpoint. Ask your manager to "
                 "find the record.", id="reference-of-another-teams-child"),
    pytest.param("child", {"first_name": "A" * 81}, {"first_name": "A" * 81},
                 "Use at most 80 characters for the first name.", id="first-name-too-long"),
    pytest.param("child", {"date_of_birth": NEXT_MONTH}, {"date_of_birth": NEXT_MONTH},
                 "Enter a date of birth in the past.", id="born-next-month"),
    pytest.param("child", {"date_of_birth": "1985-06-01"}, {"date_of_birth": "01/06/1985"},
                 "Enter a date of birth in 1990 or later: viewpoint is for children and young "
                 "people.", id="born-in-1985"),
    pytest.param("child", {"preferred_language": "Klingon"}, {"preferred_language": "Klingon"},
                 "Children cannot answer in Klingon. Choose one of: English, Welsh, Urdu,",
                 id="language-klingon"),
    pytest.param("child", {"preferred_language": "tlh"}, {"preferred_language": "tlh"},
                 "Children cannot answer in Klingon.", id="language-tlh"),
    pytest.param("child", {"preferred_language": "de"}, {"preferred_language": "German"},
                 "Children cannot answer in German.", id="language-german"),
    pytest.param("child", {"social_worker_id": Of("their_worker", "id")},
                 {"social_worker_email": Of("their_worker", "email")},
                 "Only an active social worker in the child's team can be their social worker.",
                 id="worker-from-another-team"),
    pytest.param("child", {"social_worker_id": Of("gone", "id")},
                 {"social_worker_email": Of("gone", "email")},
                 "Only an active social worker in the child's team can be their social worker.",
                 id="worker-switched-off"),
    pytest.param("plan", {"placement_type": ""}, {"placement_type": ""},
                 "Choose where the child lives: care and pathway plans record the placement.",
                 id="care-plan-without-placement"),
    pytest.param("plan", {"kind": "child_in_need"}, {"plan_kind": "CIN"},
                 "Only care plans and pathway plans record a placement.",
                 id="child-in-need-with-placement"),
    pytest.param("plan", {"ended_on": "2024-01-14"}, {"plan_end": "14/01/2024"},
                 "The end date cannot be before the start date.", id="plan-ends-before-it-starts"),
    pytest.param("review", {"due_on": "2024-01-05"}, {"review_due": "2024-01-05"},
                 "A review cannot be due before the plan started.",
                 id="review-due-before-plan-start"),
    pytest.param("review", {"held_on": TOMORROW}, {"review_held": TOMORROW},
                 "A review cannot have been held in the future.", id="review-held-tomorrow"),
    pytest.param("review", {"chair_id": Of("worker", "id")},
                 {"review_chair_email": Of("worker", "email")},
                 "Only an active reviewing officer can chair a review.",
                 id="chair-not-a-reviewing-officer"),
]


@pytest.mark.parametrize(("form", "fields", "cells", "message"), REFUSED)
def test_the_form_and_the_import_refuse_it_in_the_same_words(  # type: ignore[no-untyped-def]
        app, session, council, form, fields, cells, message) -> None:
    before = counts(session)
    worker = sign_in(app.test_client(), council["worker"], session)
    typed = through_the_form(worker, session, council, form, resolved(fields, council))
    assert typed.status_code == 400
    said_by_form = form_errors(typed.get_data(as_text=True))
    table = ["child", "plan", "review"].index(form)
    assert counts(session)[table] == before[table]  # the refused record was not saved

    manager = sign_in(app.test_client(), council["manager"], session)
    imported = upload(manager, as_csv([{**good_row(council), **resolved(cells, council)}]),
                      importing=True)
    assert imported.status_code == 400
    found = problems(imported.get_data(as_text=True))
    assert [line for line, _message in found] == ["2"]

    said_by_import = [text for _line, text in found]
    assert said_by_form == said_by_import
    assert said_by_form[0].startswith(message)
    assert session.scalar(select(func.count(Child.id)).where(Child.reference == "ONE-1")) == 0


# --- accepted both ways -----------------------------------------------------------------------

ACCEPTED = [
    pytest.param("child", {}, {}, id="as-they-are"),
    pytest.param("child", {"preferred_language": "ur"}, {"preferred_language": "Urdu"},
                 id="urdu"),
    pytest.param("child", {"preferred_language": "pl"}, {"preferred_language": "Polish"},
                 id="polish"),
    pytest.param("child", {"preferred_language": "fa"}, {"preferred_language": "Dari"},
                 id="persian-as-dari"),
    pytest.param("child", {"date_of_birth": "1990-01-01"}, {"date_of_birth": "01/01/1990"},
                 id="born-on-the-first-day-of-1990"),
    pytest.param("child", {"reference": "CMS/2024_07.15-a"},
                 {"child_reference": "CMS/2024_07.15-a"}, id="reference-with-every-mark"),
    pytest.param("plan", {"ended_on": PLAN_START.isoformat()},
                 {"plan_end": PLAN_START.isoformat()}, id="plan-ends-the-day-it-starts"),
    pytest.param("plan", {"kind": "child_in_need", "placement_type": ""},
                 {"plan_kind": "CIN", "placement_type": ""}, id="child-in-need-without-placement"),
    pytest.param("review", {"due_on": PLAN_START.isoformat()},
                 {"review_due": PLAN_START.isoformat()}, id="review-due-the-day-the-plan-starts"),
    pytest.param("review", {"held_on": TODAY}, {"review_held": TODAY},
                 id="review-held-today"),
]


@pytest.mark.parametrize(("form", "fields", "cells"), ACCEPTED)
def test_the_form_and_the_import_both_accept_it(app, session, council, form, fields,  # type: ignore[no-untyped-def]
                                                cells) -> None:
    worker = sign_in(app.test_client(), council["worker"], session)
    typed = through_the_form(worker, session, council, form, resolved(fields, council))
    assert typed.status_code == 302, form_errors(typed.get_data(as_text=True))

    if form == "child":
        # The form has just added ONE-1; the import brings the same child under another id.
        cells = {"child_reference": "ONE-2", **cells}
    manager = sign_in(app.test_client(), council["manager"], session)
    imported = upload(manager, as_csv([{**good_row(council), **resolved(cells, council)}]),
                      importing=True)
    page = imported.get_data(as_text=True)
    assert problems(page) == []
    assert imported.status_code == 200 and "The file has been imported" in page


def test_the_form_and_the_import_save_the_same_language(app, session, council) -> None:  # type: ignore[no-untyped-def]
    worker = sign_in(app.test_client(), council["worker"], session)
    assert through_the_form(worker, session, council, "child",
                            {"preferred_language": "ckb"}).status_code == 302
    manager = sign_in(app.test_client(), council["manager"], session)
    upload(manager, as_csv([{**good_row(council), "child_reference": "ONE-2",
                             "preferred_language": "Kurdish (Sorani)"}]), importing=True)
    languages = dict(session.execute(select(Child.reference, Child.preferred_language).where(
        Child.reference.in_(["ONE-1", "ONE-2"]))).all())
    assert languages == {"ONE-1": "ckb", "ONE-2": "ckb"}


def test_applying_an_import_checks_the_rules_again_and_writes_nothing_refused(  # type: ignore[no-untyped-def]
        session, council) -> None:
    child = PendingRecord("child", "ONE-1", None, {
        "reference": "ONE-1", "first_name": "Maya", "last_name": "Oakes",
        "date_of_birth": date(2012, 5, 4), "preferred_language": "tlh",
        "social_worker": council["their_worker"]})
    plan = PendingRecord("plan", ("ONE-1", PlanKind.CARE_PLAN, PLAN_START), None,
                         {"kind": PlanKind.CARE_PLAN, "started_on": PLAN_START},
                         parent_key="ONE-1")
    review = PendingRecord("review", "due", None, {"due_on": date(2024, 1, 1)},
                           parent_key=plan.key)
    before = counts(session)
    with pytest.raises(RecordProblems) as refused:
        import_records(session, [child, plan, review], team_id=council["manager"].team_id,
                       counts={"rows": 1})
    assert set(refused.value.problems) == {"preferred_language", "social_worker_id",
                                           "placement_type", "due_on"}
    assert counts(session) == before


# --- the API is a third way in, under the same rules ------------------------------------------

def _in_api_terms(fields: dict) -> dict:  # type: ignore[type-arg]
    """The staff form's fields as the API's body names them: people by email, an empty
    placement as null."""
    body: dict = {}  # type: ignore[type-arg]
    for name, value in fields.items():
        if name in ("social_worker_id", "chair_id"):
            person = value.person if isinstance(value, Of) else value
            body[name.replace("_id", "_email")] = Of(person, "email")
        elif name == "placement_type" and value == "":
            body[name] = None
        else:
            body[name] = value
    return body


def through_the_api(client, session, council, form: str, fields: dict):  # type: ignore[no-untyped-def,type-arg]
    """Send the child, plan or review through the API, with ``fields`` changed, with a
    token for our team."""
    token = make_token(session, teams=[council["worker"].team], name="one rule")
    body = resolved(_in_api_terms(fields), council)
    if form == "child":
        good = child_form(council)
        reference = body.pop("reference", good["reference"])
        sent = {"first_name": good["first_name"], "last_name": good["last_name"],
                "date_of_birth": good["date_of_birth"], "gender": good["gender"],
                "ethnicity_group": good["ethnicity_group"],
                "preferred_language": good["preferred_language"],
                "social_worker_email": council["worker"].email, **body}
        return call(client, "PUT", f"/api/v1/children/{quote(reference, safe='')}", token,
                    sent)
    if form == "plan":
        sent = {"child_reference": council["child"].reference, **plan_form(), **body}
        sent["ended_on"] = sent["ended_on"] or None
        return call(client, "PUT", "/api/v1/plans/ONE-PLAN", token, sent)
    plan = Plan(child_id=council["child"].id, kind=PlanKind.CARE_PLAN, reference="ONE-PLAN",
                placement_type=PlacementType.FOSTER, started_on=PLAN_START)
    session.add(plan)
    session.flush()
    sent = {"plan_reference": "ONE-PLAN", "due_on": "2024-07-15",
            "chair_email": council["iro"].email, **body}
    sent["held_on"] = sent.get("held_on") or None
    return call(client, "PUT", "/api/v1/reviews/ONE-REVIEW", token, sent)


@pytest.mark.parametrize(("form", "fields", "cells", "message"), REFUSED)
def test_the_api_refuses_it_in_the_form_s_words(  # type: ignore[no-untyped-def]
        app, session, council, form, fields, cells, message) -> None:
    worker = sign_in(app.test_client(), council["worker"], session)
    typed = through_the_form(worker, session, council, form, resolved(fields, council))
    said_by_form = form_errors(typed.get_data(as_text=True))
    before = counts(session)
    sent = through_the_api(app.test_client(), session, council, form, fields)
    assert sent.status_code == 422, sent.get_json()
    said_by_api = [error["detail"] for error in sent.get_json()["errors"]]
    assert said_by_api == said_by_form
    assert said_by_api[0].startswith(message)
    table = ["child", "plan", "review"].index(form)
    added_for_the_test = 1 if form == "review" else 0  # the plan the review is sent for
    assert counts(session)[table] == before[table]
    assert counts(session)[1] == before[1] + added_for_the_test


@pytest.mark.parametrize(("form", "fields", "cells"), ACCEPTED)
def test_the_api_accepts_what_the_form_accepts(app, session, council, form, fields,  # type: ignore[no-untyped-def]
                                               cells) -> None:
    sent = through_the_api(app.test_client(), session, council, form, fields)
    assert sent.status_code == 201, sent.get_json()
