"""Caseloads, children's records, sending questionnaires and acting on alerts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_child, make_team, make_user
from tests.staff import post, sign_in
from tests.views.test_respond import enter
from viewpoint.models import (
    Alert,
    AuditEvent,
    Child,
    Invitation,
    InvitationState,
    Plan,
    PlanKind,
    Review,
    Role,
    utcnow,
)
from viewpoint.operations.alerts import raise_talk_to_someone

CODE = re.compile(r'id="code"[^>]*>([A-Z0-9-]{11})<')


@pytest.fixture()
def council(session):  # type: ignore[no-untyped-def]
    """Two teams, each with a worker, a manager and a child; an IRO chairing one review."""
    north, south = make_team(session, "North"), make_team(session, "South")
    people = {
        "worker": make_user(session, Role.SOCIAL_WORKER, north, name="Ash Worker"),
        "colleague": make_user(session, Role.SOCIAL_WORKER, north, name="Bo Colleague"),
        "manager": make_user(session, Role.TEAM_MANAGER, north, name="Cy Manager"),
        "south_worker": make_user(session, Role.SOCIAL_WORKER, south),
        "south_manager": make_user(session, Role.TEAM_MANAGER, south),
        "iro": make_user(session, Role.REVIEWING_OFFICER),
        "panel": make_user(session, Role.PANEL_MEMBER),
        "admin": make_user(session, Role.ADMINISTRATOR),
    }
    people["child"] = make_child(session, team=north, worker=people["worker"], first_name="Wren")
    people["colleagues_child"] = make_child(
        session, team=north, worker=people["colleague"], first_name="Rowan"
    )
    people["south_child"] = make_child(
        session, team=south, worker=people["south_worker"], first_name="Linden"
    )
    review = people["child"].plans[0].reviews[0]
    review.chair_id = people["iro"].id
    session.flush()
    return people


def _page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_worker_sees_own_caseload_only(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["worker"], session)
    page = _page(client, "/casework/")
    assert "Wren" in page and "Rowan" not in page and "Linden" not in page


def test_manager_sees_the_whole_team_and_no_other(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["manager"], session)
    page = _page(client, "/casework/")
    assert "Wren" in page and "Rowan" in page and "Linden" not in page


def test_reviewing_officer_sees_children_whose_reviews_they_chair(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["iro"], session)
    page = _page(client, "/casework/")
    assert "Wren" in page and "Rowan" not in page and "Linden" not in page


@pytest.mark.parametrize("role", ["panel", "admin"])
def test_panel_members_and_administrators_see_no_child(client, session, council, role) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council[role], session)
    assert client.get("/casework/").status_code == 403
    assert client.get(f"/casework/children/{council['child'].id}").status_code == 403


def test_worker_cannot_open_or_change_another_teams_child_plan_review_or_alert(
    client, session, council
) -> None:  # type: ignore[no-untyped-def]
    other = council["south_child"]
    plan = other.plans[0]
    review = plan.reviews[0]
    alert = raise_talk_to_someone(session, other, None)
    sign_in(client, council["worker"], session)
    for url in (
        f"/casework/children/{other.id}",
        f"/casework/children/{other.id}/edit",
        f"/casework/plans/{plan.id}/edit",
        f"/casework/reviews/{review.id}/edit",
        f"/casework/reviews/{review.id}/invite",
        f"/casework/alerts/{alert.id}",
        f"/casework/children/{other.id}/plans/new",
        f"/casework/plans/{plan.id}/reviews/new",
    ):
        assert client.get(url).status_code == 404, url
    before = other.last_name
    assert (
        post(
            client,
            f"/casework/children/{other.id}/edit",
            {
                "reference": other.reference,
                "first_name": "Changed",
                "last_name": "Changed",
                "date_of_birth": "2015-01-01",
                "gender": "girl",
                "ethnicity_group": "white",
                "preferred_language": "en",
                "social_worker_id": "0",
            },
        ).status_code
        == 404
    )
    assert (
        post(
            client,
            f"/casework/alerts/{alert.id}/close",
            {"action_taken": "Closed by someone with no business here"},
        ).status_code
        == 404
    )
    assert post(client, f"/casework/reviews/{review.id}/invite", {}).status_code == 404
    session.refresh(other)
    session.refresh(alert)
    assert other.last_name == before and alert.closed_at is None


def test_a_child_that_does_not_exist_and_one_you_may_not_see_look_the_same(
    client, session, council
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["worker"], session)
    missing = client.get("/casework/children/999999")
    hidden = client.get(f"/casework/children/{council['south_child'].id}")
    assert missing.status_code == hidden.status_code == 404
    assert missing.get_data() == hidden.get_data()


def test_child_page_shows_plans_reviews_and_is_audited(client, session, council) -> None:  # type: ignore[no-untyped-def]
    child = council["child"]
    sign_in(client, council["worker"], session)
    page = _page(client, f"/casework/children/{child.id}")
    assert "Care plan (looked-after child)" in page and "Foster care" in page
    assert "Send questionnaire" in page and "Not asked yet" in page
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "child.viewed"))
    assert (event.actor_id, event.child_id, event.remote_addr) == (
        council["worker"].id,
        child.id,
        "127.0.0.1",
    )


def test_worker_adds_a_child_a_plan_and_a_review(client, session, council) -> None:  # type: ignore[no-untyped-def]
    worker = council["worker"]
    sign_in(client, worker, session)
    response = post(
        client,
        "/casework/children/new",
        {
            "reference": "NEW-001",
            "first_name": "Juniper",
            "last_name": "Oak",
            "date_of_birth": "2014-03-02",
            "gender": "girl",
            "ethnicity_group": "mixed",
            "preferred_language": "pl",
            "social_worker_id": str(worker.id),
        },
    )
    assert response.status_code == 302
    child = session.scalar(select(Child).where(Child.reference == "NEW-001"))
    assert child.team_id == worker.team_id and child.social_worker_id == worker.id
    assert response.headers["Location"] == f"/casework/children/{child.id}/plans/new"
    response = post(
        client,
        f"/casework/children/{child.id}/plans/new",
        {"kind": "care_plan", "placement_type": "residential", "started_on": "2025-01-10"},
    )
    assert response.status_code == 302
    plan = session.scalar(select(Plan).where(Plan.child_id == child.id))
    due = date.today() + timedelta(days=20)
    response = post(
        client,
        f"/casework/plans/{plan.id}/reviews/new",
        {"due_on": due.isoformat(), "chair_id": str(council["iro"].id)},
    )
    assert response.status_code == 302
    review = session.scalar(select(Review).where(Review.plan_id == plan.id))
    assert review.due_on == due and review.chair_id == council["iro"].id
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child.id)))
    assert {"child.created", "plan.created", "review.created"} <= actions


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"kind": "child_in_need", "placement_type": "foster", "started_on": "2025-01-10"},
            "Only care plans and pathway plans record a placement",
        ),
        (
            {"kind": "care_plan", "placement_type": "", "started_on": "2025-01-10"},
            "Choose where the child lives",
        ),
        (
            {
                "kind": "child_protection",
                "placement_type": "",
                "started_on": "2025-01-10",
                "ended_on": "2024-01-01",
            },
            "cannot be before the start date",
        ),
        (
            {"kind": "child_protection", "placement_type": "", "started_on": "not a date"},
            "Not a valid date value",
        ),
    ],
)
def test_a_wrong_plan_is_refused_with_a_clear_message(
    client, session, council, data, message
) -> None:  # type: ignore[no-untyped-def]
    child = council["child"]
    sign_in(client, council["worker"], session)
    response = post(client, f"/casework/children/{child.id}/plans/new", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(session.scalars(select(Plan).where(Plan.child_id == child.id)).all()) == 1


def test_duplicate_reference_is_refused(client, session, council) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, council["worker"], session)
    response = post(
        client,
        "/casework/children/new",
        {
            "reference": council["south_child"].reference,
            "first_name": "A",
            "last_name": "B",
            "date_of_birth": "2014-03-02",
            "gender": "girl",
            "ethnicity_group": "white",
            "preferred_language": "en",
            "social_worker_id": "0",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already in viewpoint" in page and "Linden" not in page


def _child_fields(child: Child, **changes: str) -> dict[str, str]:
    fields = {
        "reference": child.reference,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "date_of_birth": child.date_of_birth.isoformat(),
        "gender": child.gender.value,
        "ethnicity_group": child.ethnicity_group.value,
        "preferred_language": child.preferred_language,
        "social_worker_id": str(child.social_worker_id or 0),
    }
    fields.update(changes)
    return fields


def test_worker_edits_a_child_keeping_their_reference(client, session, council) -> None:  # type: ignore[no-untyped-def]
    child = council["child"]
    sign_in(client, council["worker"], session)
    response = post(
        client, f"/casework/children/{child.id}/edit", _child_fields(child, first_name="Wrenna")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/casework/children/{child.id}"
    session.refresh(child)
    assert child.first_name == "Wrenna"
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child.id))
    )
    assert "child.edited" in actions


def test_a_refused_edit_leaves_the_child_as_it_was(client, session, council) -> None:  # type: ignore[no-untyped-def]
    child = council["child"]
    before = (child.reference, child.first_name, child.date_of_birth)
    sign_in(client, council["worker"], session)
    response = post(
        client,
        f"/casework/children/{child.id}/edit",
        _child_fields(
            child, reference=council["colleagues_child"].reference, first_name="Changed"
        ),
    )
    assert response.status_code == 400
    assert "Another child already has this reference." in response.get_data(as_text=True)
    session.refresh(child)
    assert (child.reference, child.first_name, child.date_of_birth) == before
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child.id))
    )
    assert "child.edited" not in actions


def test_reviewing_officer_can_record_the_review_but_not_edit_the_child(
    client, session, council
) -> None:  # type: ignore[no-untyped-def]
    child = council["child"]
    review = child.plans[0].reviews[0]
    sign_in(client, council["iro"], session)
    assert client.get(f"/casework/children/{child.id}/edit").status_code == 403
    assert client.get(f"/casework/reviews/{review.id}/invite").status_code == 403
    response = post(
        client,
        f"/casework/reviews/{review.id}/edit",
        {
            "due_on": review.due_on.isoformat(),
            "held_on": date.today().isoformat(),
            "chair_id": str(council["iro"].id),
        },
    )
    assert response.status_code == 302
    session.refresh(review)
    assert review.held_on == date.today()


def _send(client, review_id: int, **data: str):  # type: ignore[no-untyped-def]
    page = _page(client, f"/casework/reviews/{review_id}/invite")
    form = dict(re.findall(r'name="(request_key|csrf_token)"[^>]*value="([^"]+)"', page))
    form.update({"questionnaire": "before-care-review", "band": "age", "language": "en"})
    form.update(data)
    return client.post(f"/casework/reviews/{review_id}/invite", data=form), form


def test_sending_suggests_the_plans_questionnaire_and_the_childs_band(
    client, session, council
) -> None:  # type: ignore[no-untyped-def]
    child = make_child(
        session,
        age=15,
        kind=PlanKind.CHILD_PROTECTION,
        team=council["worker"].team,
        worker=council["worker"],
    )
    sign_in(client, council["worker"], session)
    page = _page(client, f"/casework/reviews/{child.plans[0].reviews[0].id}/invite")
    assert re.search(r'<option selected value="before-cp-review">', page)
    assert "From date of birth: ages 12-17" in page


def test_worker_sends_a_code_the_child_can_use_and_it_is_shown_once(
    app, client, session, council
) -> None:  # type: ignore[no-untyped-def]
    review = council["child"].plans[0].reviews[0]
    sign_in(client, council["worker"], session)
    response, _form = _send(client, review.id)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    code = CODE.search(page).group(1)
    assert "<svg" in page and code not in page.split('<div class="card-qr">')[1].split("</div>")[0]
    invitation = session.scalar(select(Invitation).where(Invitation.review_id == review.id))
    assert invitation.issued_by_id == council["worker"].id
    assert code.replace("-", "") not in invitation.code_hash
    child_tablet = app.test_client()
    assert enter(child_tablet, code).status_code == 302
    # Nowhere else shows the code again.
    assert code not in _page(client, f"/casework/children/{council['child'].id}")


def test_double_clicked_send_issues_one_code(client, session, council) -> None:  # type: ignore[no-untyped-def]
    review = council["child"].plans[0].reviews[0]
    sign_in(client, council["worker"], session)
    first, form = _send(client, review.id)
    again = client.post(f"/casework/reviews/{review.id}/invite", data=form)
    assert first.status_code == 201 and again.status_code == 302
    assert (
        len(session.scalars(select(Invitation).where(Invitation.review_id == review.id)).all()) == 1
    )


def test_worker_chooses_band_and_language_and_a_wrong_band_is_refused(
    client, session, council
) -> None:  # type: ignore[no-untyped-def]
    review = council["child"].plans[0].reviews[0]
    sign_in(client, council["worker"], session)
    response, _ = _send(client, review.id, band="12-17")
    assert response.status_code == 201
    assert (
        session.scalar(select(Invitation.band).where(Invitation.review_id == review.id)) == "12-17"
    )
    refused, _ = _send(client, review.id, band="99-100")
    assert refused.status_code == 400 and "Not a valid choice" in refused.get_data(as_text=True)


def test_new_code_keeps_the_answers_and_stops_the_old_code(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    review = council["child"].plans[0].reviews[0]
    sign_in(client, council["worker"], session)
    response, _ = _send(client, review.id)
    old = CODE.search(response.get_data(as_text=True)).group(1)
    invitation = session.scalar(select(Invitation).where(Invitation.review_id == review.id))
    response = post(client, f"/casework/invitations/{invitation.id}/reissue")
    new = CODE.search(response.get_data(as_text=True)).group(1)
    assert new != old
    assert enter(app.test_client(), old).status_code == 400
    assert enter(app.test_client(), new).status_code == 302
    assert session.scalar(select(func_count_invitations(review.id))) == 1


def func_count_invitations(review_id: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    return (
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.review_id == review_id)
        .scalar_subquery()
    )


def test_cancelled_code_stops_working(app, client, session, council) -> None:  # type: ignore[no-untyped-def]
    review = council["child"].plans[0].reviews[0]
    sign_in(client, council["worker"], session)
    response, _ = _send(client, review.id)
    code = CODE.search(response.get_data(as_text=True)).group(1)
    invitation = session.scalar(select(Invitation).where(Invitation.review_id == review.id))
    assert post(client, f"/casework/invitations/{invitation.id}/cancel").status_code == 302
    session.refresh(invitation)
    assert invitation.state is InvitationState.CANCELLED
    assert enter(app.test_client(), code).status_code == 410
    events = set(session.scalars(select(AuditEvent.action)))
    assert {"invitation.issued", "invitation.cancelled"} <= events


def test_alert_shows_on_worker_and_manager_pages_at_once(app, session, council) -> None:  # type: ignore[no-untyped-def]
    raise_talk_to_someone(session, council["child"], None)
    for person in ("worker", "manager"):
        client = sign_in(app.test_client(), council[person], session)
        page = _page(client, "/casework/")
        assert "1 alert needs action" in page and "Asked to talk to someone" in page
        assert "Asked to talk to someone" in _page(client, "/casework/alerts")
    colleague = sign_in(app.test_client(), council["colleague"], session)
    assert "Asked to talk to someone" not in _page(colleague, "/casework/alerts")


def test_closing_an_alert_needs_what_was_done(client, session, council) -> None:  # type: ignore[no-untyped-def]
    alert = raise_talk_to_someone(session, council["child"], None)
    sign_in(client, council["worker"], session)
    refused = post(client, f"/casework/alerts/{alert.id}/close", {"action_taken": "  "})
    assert refused.status_code == 400
    assert "Say what was done" in refused.get_data(as_text=True)
    session.refresh(alert)
    assert alert.closed_at is None
    done = "Rang the carer, visited the same afternoon and spoke with Wren alone."
    assert (
        post(client, f"/casework/alerts/{alert.id}/close", {"action_taken": done}).status_code
        == 302
    )
    session.refresh(alert)
    assert alert.closed_at is not None and alert.action_taken == done
    assert alert.closed_by_id == council["worker"].id and alert.acknowledged_at is not None
    again = post(client, f"/casework/alerts/{alert.id}/close", {"action_taken": "Twice over."})
    assert again.status_code == 302
    session.refresh(alert)
    assert alert.action_taken == done
    assert done in _page(client, f"/casework/alerts/{alert.id}")


def test_acknowledging_an_alert_is_recorded(client, session, council) -> None:  # type: ignore[no-untyped-def]
    alert = raise_talk_to_someone(session, council["child"], None)
    sign_in(client, council["worker"], session)
    assert post(client, f"/casework/alerts/{alert.id}/acknowledge").status_code == 302
    session.refresh(alert)
    assert alert.acknowledged_by_id == council["worker"].id
    actions = list(
        session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id
            )
        )
    )
    assert "alert.acknowledged" in actions


def test_unacknowledged_alert_becomes_overdue_for_the_manager(client, session, council) -> None:  # type: ignore[no-untyped-def]
    fresh = raise_talk_to_someone(session, council["child"], None)
    old = Alert(
        child_id=council["colleagues_child"].id,
        source="talk_to_someone",
        summary="Asked to talk to someone",
        raised_at=utcnow() - timedelta(days=4),
        acknowledge_by=utcnow() - timedelta(days=3),
    )
    session.add(old)
    session.flush()
    sign_in(client, council["manager"], session)
    page = _page(client, "/casework/alerts")
    rows = page.split('id="open-alerts"')[1]
    assert rows.index("Rowan") < rows.index("Wren")
    assert rows.count("Overdue: not acknowledged") == 1
    assert "Overdue" in _page(client, f"/casework/alerts/{old.id}")
    assert "Overdue" not in _page(client, f"/casework/alerts/{fresh.id}")


def test_manager_sees_who_has_looked_at_a_childs_record(app, session, council) -> None:  # type: ignore[no-untyped-def]
    child = council["child"]
    worker = sign_in(app.test_client(), council["worker"], session)
    _page(worker, f"/casework/children/{child.id}")
    assert worker.get(f"/casework/children/{child.id}/audit").status_code == 403
    manager = sign_in(app.test_client(), council["manager"], session)
    page = _page(manager, f"/casework/children/{child.id}/audit")
    assert "Ash Worker" in page and "child.viewed" in page


def test_viewing_and_closing_an_alert_are_audited_with_who_and_where(
    client, session, council
) -> None:  # type: ignore[no-untyped-def]
    alert = raise_talk_to_someone(session, council["child"], None)
    sign_in(client, council["manager"], session)
    _page(client, f"/casework/alerts/{alert.id}")
    post(
        client,
        f"/casework/alerts/{alert.id}/close",
        {"action_taken": "Manager phoned the child's school and the worker visited."},
    )
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id)
            .order_by(AuditEvent.id)
        )
    )
    assert [(e.action, e.actor_id, e.child_id, e.remote_addr) for e in events] == [
        ("alert.viewed", council["manager"].id, council["child"].id, "127.0.0.1"),
        ("alert.closed", council["manager"].id, council["child"].id, "127.0.0.1"),
    ]


def test_the_card_names_the_public_address_whatever_host_a_request_names(
    app, client, session, council
) -> None:  # type: ignore[no-untyped-def]
    """A request with a forged Host header must not put someone else's site on a child's
    card: with PUBLIC_URL set (as production requires), the card and its QR code use it."""
    app.config["PUBLIC_URL"] = "https://viewpoint.example.gov.uk"
    review = council["child"].plans[0].reviews[0]
    client.environ_base["HTTP_HOST"] = "evil.example"  # every request names that host
    sign_in(client, council["worker"], session)
    sent, _form = _send(client, review.id)
    text = sent.get_data(as_text=True)
    assert sent.status_code == 201
    assert "https://viewpoint.example.gov.uk/" in text and "evil.example" not in text
