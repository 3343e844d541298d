"""An administrator connects the council's case-management system and can cut it off."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import make_team, make_user
from tests.staff import post, sign_in
from viewpoint.models import AuditEvent, Role, ServiceAccount, WebhookSubscription

TOKEN = re.compile(r'<code id="token"[^>]*>(vpt_[\w-]+)</code>')


def test_an_administrator_makes_a_token_shown_once_that_works_until_withdrawn(  # type: ignore[no-untyped-def]
        app, session) -> None:
    north = make_team(session, "North")
    make_team(session, "South")
    admin = sign_in(app.test_client(), make_user(session, Role.ADMINISTRATOR), session)
    refused = post(admin, "/admin/systems/new", {"name": "Mosaic sync", "days": "90",
                                                 "calls_per_minute": "120"})
    assert refused.status_code == 400
    assert "Choose at least one thing the system may do." in refused.get_data(as_text=True)
    made = post(admin, "/admin/systems/new", {
        "name": "Mosaic sync", "scopes": ["children:read", "responses:read"],
        "teams": [str(north.id)], "days": "30", "calls_per_minute": "60"})
    assert made.status_code == 201
    page = made.get_data(as_text=True)
    token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    assert "This is the only time this token is shown" in page
    account = session.scalar(select(ServiceAccount).where(ServiceAccount.name == "Mosaic sync"))
    assert account.scopes == ["children:read", "responses:read"]
    assert account.team_ids == [north.id]
    assert token not in account.token_hash  # kept only as a fingerprint
    listed = admin.get("/admin/systems").get_data(as_text=True)
    assert account.token_hint in listed and token not in listed
    assert "North" in listed

    caller = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert caller.get("/api/v1/children", headers=headers).status_code == 200
    assert caller.get("/api/v1/alerts", headers=headers).status_code == 403  # not ticked
    withdrawn = post(admin, f"/admin/systems/{account.id}/withdraw")
    assert withdrawn.status_code == 302
    assert caller.get("/api/v1/children", headers=headers).status_code == 401
    actions = list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "service_account")))
    assert actions == ["service_account.created", "service_account.revoked"]


def test_a_lifetime_past_a_year_or_an_unknown_scope_is_refused(app, session) -> None:  # type: ignore[no-untyped-def]
    admin = sign_in(app.test_client(), make_user(session, Role.ADMINISTRATOR), session)
    too_long = post(admin, "/admin/systems/new", {"name": "Forever", "scopes": ["alerts:read"],
                                                  "days": "5000", "calls_per_minute": "60"})
    assert too_long.status_code == 400
    forged = post(admin, "/admin/systems/new", {"name": "Sneaky", "scopes": ["admin:all"],
                                                "days": "30", "calls_per_minute": "60"})
    assert forged.status_code == 400
    assert session.scalar(select(ServiceAccount.id)) is None


def test_an_administrator_sends_a_systems_events_to_https_only_and_can_stop(  # type: ignore[no-untyped-def]
        app, session) -> None:
    admin = sign_in(app.test_client(), make_user(session, Role.ADMINISTRATOR), session)
    made = post(admin, "/admin/systems/new", {"name": "Eclipse", "scopes": ["alerts:read"],
                                              "days": "30", "calls_per_minute": "60"})
    assert made.status_code == 201
    account = session.scalar(select(ServiceAccount).where(ServiceAccount.name == "Eclipse"))
    page = f"/admin/systems/{account.id}/webhooks"
    plain = post(admin, page, {"url": "http://cms.council.example/hooks",
                               "events": ["alert.raised"]})
    assert plain.status_code == 400
    assert "Events are sent only to https:// addresses" in plain.get_data(as_text=True)
    added = post(admin, page, {"url": "https://cms.council.example/hooks",
                               "events": ["alert.raised", "alert.closed"]})
    assert added.status_code == 201
    secret = re.search(r'<code id="secret"[^>]*>(whsec_[^<]+)</code>',
                       added.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    listed = admin.get(page).get_data(as_text=True)
    assert "https://cms.council.example/hooks" in listed and secret not in listed
    subscription = session.scalar(select(WebhookSubscription))
    assert subscription.events == ["alert.raised", "alert.closed"]
    removed = post(admin, f"/admin/webhooks/{subscription.id}/remove")
    assert removed.status_code == 302
    session.refresh(subscription)
    assert subscription.removed_at is not None
    after = admin.get(page).get_data(as_text=True)
    assert "Events are no longer sent to https://cms.council.example/hooks." in after
    assert 'id="webhooks"' not in after  # no address listed any more
