"""The records manager's page: the schedule changed with a reason, legal holds placed on a
child or on everything and lifted, every change on the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_child, make_user
from tests.staff import sign_in, token_from
from viewpoint.models import AuditEvent, LegalHold, RetentionRule, Role


def _post(client, page_path: str, path: str, data: dict):  # type: ignore[no-untyped-def]
    token = token_from(client.get(page_path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_the_schedule_shows_every_period_and_where_it_comes_from(app, session) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(app.test_client(), make_user(session, Role.ADMINISTRATOR), session)
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "Until the 75th birthday" in page
    assert "regulation 50" in page
    assert "40 years from the last contact under the plan" in page
    assert "No hold is in place." in page


def test_an_administrator_changes_a_period_and_must_say_why(app, session) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.ADMINISTRATOR)
    client = sign_in(app.test_client(), admin, session)
    path = "/admin/retention/responses/child_in_need"
    refused = _post(client, path, path, {"years": "30", "counted_from": "birth", "reason": ""})
    assert refused.status_code == 400
    assert "Say why the council keeps it for this long" in refused.get_data(as_text=True)
    wrong = _post(client, path, path, {"years": "30", "counted_from": "event", "reason": "x"})
    assert wrong.status_code == 400
    saved = _post(client, path, path, {"years": "30", "counted_from": "birth",
                                       "reason": "Council policy 2026/4"})
    assert saved.status_code == 302
    rule = session.get(RetentionRule, ("responses", "child_in_need"))
    assert (rule.years, rule.reason, rule.set_by_id) == (30, "Council policy 2026/4", admin.id)
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "Until the 30th birthday" in page and "set by the council" in page
    # Back to the default: the council's own row goes.
    _post(client, path, path, {"years": "25", "counted_from": "birth", "reason": ""})
    session.expire_all()
    assert session.get(RetentionRule, ("responses", "child_in_need")) is None
    assert client.get("/admin/retention/nothing/care_plan").status_code == 404


def test_holds_on_a_child_and_on_everything_are_placed_and_lifted(app, session) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.ADMINISTRATOR)
    child = make_child(session)
    client = sign_in(app.test_client(), admin, session)
    unknown = _post(client, "/admin/retention", "/admin/holds",
                    {"reference": "NOBODY", "reason": "Inquiry"})
    assert unknown.status_code == 400 and "No child has that reference" in unknown.get_data(
        as_text=True)
    no_reason = _post(client, "/admin/retention", "/admin/holds",
                      {"reference": child.reference, "reason": ""})
    assert no_reason.status_code == 400
    assert _post(client, "/admin/retention", "/admin/holds",
                 {"reference": child.reference, "reason": "Complaint 77"}).status_code == 302
    assert _post(client, "/admin/retention", "/admin/holds",
                 {"reference": "", "reason": "Public inquiry"}).status_code == 302
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "Complaint 77" in page and "Every record" in page
    holds = session.scalars(select(LegalHold).order_by(LegalHold.id)).all()
    assert [hold.child_id for hold in holds] == [child.id, None]
    assert _post(client, "/admin/retention", f"/admin/holds/{holds[1].id}/lift",
                 {}).status_code == 302
    session.expire_all()
    assert session.get(LegalHold, holds[1].id).lifted_at is not None
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("legal_hold.%")).order_by(AuditEvent.id)).all()
    assert actions == ["legal_hold.placed", "legal_hold.placed", "legal_hold.lifted"]
