"""Who the council's identity provider may let in: viewpoint decides, whatever the provider
vouches for (the browser test signs in through a real provider; these try each rule)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_team, make_user
from viewpoint.auth.oidc import SignInRefused, account_for, group_roles
from viewpoint.models import AuditEvent, Role


@pytest.fixture()
def settings(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OIDC_ALLOWED_DOMAINS", "council.example, @partner.example")
    monkeypatch.setitem(app.config, "OIDC_CREATE_ACCOUNTS", False)
    monkeypatch.setitem(app.config, "OIDC_GROUP_ROLES", None)
    return lambda name, value: monkeypatch.setitem(app.config, name, value)


def _refused(session, claims) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SignInRefused) as refused:
        account_for(session, claims)
    return refused.value.reason


def test_the_provider_cannot_let_in_whom_viewpoint_would_not(session, settings) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(session, Role.SOCIAL_WORKER, make_team(session))
    worker.email = "sam@council.example"
    assert account_for(session, {"email": "SAM@Council.Example"}) == worker
    assert account_for(session, {"email": "sam@council.example",
                                 "email_verified": True}) == worker
    assert _refused(session, {"email": "sam@council.example", "email_verified": False}) \
        == "unverified_email"
    assert _refused(session, {"email": "sam@council.example.evil.test"}) == "domain_not_allowed"
    assert _refused(session, {"email": "sam@evilcouncil.example"}) == "domain_not_allowed"
    assert _refused(session, {"sub": "123"}) == "no_email"
    assert _refused(session, {"email": "new@partner.example"}) == "no_account"
    worker.is_active = False
    assert _refused(session, {"email": "sam@council.example"}) == "disabled"


def test_an_account_made_at_first_sign_in_has_no_role_until_an_administrator_gives_one(  # type: ignore[no-untyped-def]
        session, settings) -> None:
    settings("OIDC_CREATE_ACCOUNTS", True)
    assert _refused(session, {"email": "jo@council.example", "name": "Jo Bloggs"}) \
        == "waiting_for_role"
    made = session.scalar(select(AuditEvent).where(
        AuditEvent.action == "account.created_at_signin"))
    assert made is not None
    # The next sign-in finds the account, still switched off.
    assert _refused(session, {"email": "jo@council.example"}) == "disabled"


def test_groups_set_the_role_and_team_at_every_sign_in(session, settings) -> None:  # type: ignore[no-untyped-def]
    north = make_team(session, "North")
    settings("OIDC_GROUP_ROLES", "vp-managers=team_manager@North; vp-iros=reviewing_officer")
    person = make_user(session, Role.SOCIAL_WORKER, north)
    person.email = "kim@council.example"
    promoted = account_for(session, {"email": "kim@council.example",
                                     "groups": ["all-staff", "vp-managers"]})
    assert (promoted.role, promoted.team) == (Role.TEAM_MANAGER, north)
    assert session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "account.role_from_groups")) == {"from": "social_worker",
                                                              "to": "team_manager"}
    assert _refused(session, {"email": "kim@council.example", "groups": ["all-staff"]}) \
        == "no_group"
    settings("OIDC_GROUP_ROLES", "vp-managers=overlord")
    with pytest.raises(ValueError, match="cannot read"):
        group_roles()
