"""`viewpoint admin create`: the first administrator of a fresh installation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.staff import token_from
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.admin.cli import admin_cli
from viewpoint.auth.passwords import verify_password
from viewpoint.extensions import db
from viewpoint.models import AuditEvent, Role, Team, User

PRINTED = re.compile(r"^ {4}(\S+)$", re.M)


@pytest.fixture(scope="module")
def cli_app(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """An app on its own migrated database: the command commits, as it does for real."""
    url = databases.new()
    migrate(url)
    app = create_app(make_config(url, tmp_path_factory.mktemp("admin-cli")))
    yield app
    app.extensions["viewpoint.engine"].dispose()


def _create(app: Flask, *args: str, **kwargs):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(admin_cli, ["create", *args], **kwargs)


def _users(app: Flask, email: str) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).where(func.lower(User.email) == email)))


def test_create_adds_an_administrator_and_prints_a_temporary_password_once(cli_app) -> None:  # type: ignore[no-untyped-def]
    result = _create(cli_app, "--email", "First.Admin@Council.example", "--name", "Fay Admin")
    assert result.exit_code == 0, result.output
    [password] = PRINTED.findall(result.output)
    assert result.output.count(password) == 1
    [user] = _users(cli_app, "first.admin@council.example")
    assert user.email == "first.admin@council.example" and user.display_name == "Fay Admin"
    assert user.role is Role.ADMINISTRATOR and user.team_id is None
    assert user.is_active and user.must_change_password
    assert verify_password(user.password_hash, password)
    with cli_app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.user_created", AuditEvent.subject_id == user.id)).all()
        assert event.actor_id is None and event.detail == {"role": "administrator",
                                                           "team_id": None}


def test_the_printed_password_signs_in_and_must_then_be_changed(cli_app) -> None:  # type: ignore[no-untyped-def]
    result = _create(cli_app, "--email", "second.admin@council.example", "--name", "Sid Admin")
    [password] = PRINTED.findall(result.output)
    client = cli_app.test_client()
    page = client.get("/staff/signin").get_data(as_text=True)
    signed_in = client.post("/staff/signin", data={
        "email": "second.admin@council.example", "password": password,
        "csrf_token": token_from(page)})
    assert signed_in.status_code == 302
    assert client.get("/admin/users").headers["Location"].startswith("/staff/password")


def test_create_refuses_an_email_already_in_use_whatever_its_case(cli_app) -> None:  # type: ignore[no-untyped-def]
    assert _create(cli_app, "--email", "taken@council.example", "--name", "Tay Ken").exit_code == 0
    again = _create(cli_app, "--email", "TAKEN@council.example", "--name", "Someone Else")
    assert again.exit_code != 0
    assert "Another account already uses taken@council.example" in again.output
    assert not PRINTED.search(again.output)
    [user] = _users(cli_app, "taken@council.example")
    assert user.display_name == "Tay Ken"


def test_create_refuses_what_is_not_an_email_address(cli_app) -> None:  # type: ignore[no-untyped-def]
    result = _create(cli_app, "--email", "admin", "--name", "No Domain")
    assert result.exit_code != 0 and "Enter an email address like" in result.output
    assert _users(cli_app, "admin") == []


def test_create_asks_for_what_was_not_given(cli_app) -> None:  # type: ignore[no-untyped-def]
    result = _create(cli_app, input="asked@council.example\nAsh Asked\n")
    assert result.exit_code == 0, result.output
    [user] = _users(cli_app, "asked@council.example")
    assert user.display_name == "Ash Asked" and user.role is Role.ADMINISTRATOR


def test_reset_second_factor_frees_an_administrator_who_lost_their_phone(cli_app) -> None:  # type: ignore[no-untyped-def]
    import pyotp

    from viewpoint.auth import second_factor

    assert _create(cli_app, "--email", "lost.phone@council.example",
                   "--name", "Lou Admin").exit_code == 0
    with cli_app.app_context(), db.writing() as session:
        [user] = session.scalars(select(User).where(User.email == "lost.phone@council.example"))
        secret = second_factor.new_secret()
        assert second_factor.enrol(session, user, secret, pyotp.TOTP(secret).now())
    result = cli_app.test_cli_runner().invoke(
        admin_cli, ["reset-second-factor", "--email", "Lost.Phone@Council.example"])
    assert result.exit_code == 0, result.output
    assert "sets up an authenticator app again" in result.output
    [user] = _users(cli_app, "lost.phone@council.example")
    assert not user.has_second_factor and user.totp_secret is None
    with cli_app.app_context():
        assert second_factor.recovery_codes_left(db.session, user) == 0
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.second_factor_reset",
            AuditEvent.subject_id == user.id)).all()
        assert event.actor_id is None and event.detail["had_second_factor"] is True
    unknown = cli_app.test_cli_runner().invoke(
        admin_cli, ["reset-second-factor", "--email", "nobody@council.example"])
    assert unknown.exit_code != 0 and "No account has the email address" in unknown.output


def test_a_system_is_connected_from_the_command_line_and_its_token_works(  # type: ignore[no-untyped-def]
        cli_app) -> None:
    runner = cli_app.test_cli_runner()
    with cli_app.app_context(), db.writing() as session:
        session.add(Team(name="North"))
    unknown = runner.invoke(args=["admin", "connect-system", "--name", "Mosaic", "--scope",
                                  "children:read", "--team", "Nowhere"])
    assert unknown.exit_code == 1 and "No team called: Nowhere." in unknown.output
    made = runner.invoke(args=["admin", "connect-system", "--name", "Mosaic", "--scope",
                               "children:read", "--scope", "responses:read", "--team", "North"])
    assert made.exit_code == 0, made.output
    token = made.output.split()[-1]
    assert token.startswith("vpt_")
    client = cli_app.test_client()
    assert client.get("/api/v1/teams", headers={
        "Authorization": f"Bearer {token}"}).get_json()["items"][0]["name"] == "North"
    again = runner.invoke(args=["admin", "connect-system", "--name", "Mosaic", "--scope",
                                "children:read"])
    assert again.exit_code == 1 and "Another system already has this name." in again.output
