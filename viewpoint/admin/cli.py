"""``viewpoint admin create``: the first administrator of a fresh installation; and the
other things an administrator needs a shell for (a lost phone, a system connected by script).

Nothing in viewpoint creates accounts by itself (demo data apart), so somebody with access
to the server adds the first administrator here; that person adds everyone else on the
Staff pages. The temporary password is printed once and must be changed at first sign-in.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Role, Team, User, normalise_email
from ..operations.service_accounts import (
    DEFAULT_DAYS,
    SCOPES,
    ServiceAccountProblem,
    create_service_account,
)
from . import services


@click.group("admin")
def admin_cli() -> None:
    """Staff accounts that cannot be added on the Staff pages."""


@admin_cli.command("create")
@click.option("--email", required=True, prompt="Email address",
              help="The administrator's work email; they sign in with it.")
@click.option("--name", required=True, prompt="Full name",
              help="Their name, as colleagues know them.")
@with_appcontext
def create_admin(email: str, name: str) -> None:
    """Add an administrator and print their temporary password once.

    Refuses an email address that another account already uses (whatever its case).
    """
    try:
        with db.writing() as session:
            issued = services.create_user(session, email=email, display_name=name,
                                          role=Role.ADMINISTRATOR, team=None, actor=None)
            user_email, user_name = issued.user.email, issued.user.display_name
    except services.AdminProblem as problem:
        raise click.ClickException(problem.message) from problem
    click.echo(_("Administrator added: %(name)s <%(email)s>.", name=user_name, email=user_email))
    click.echo(_("Temporary password (shown only now; it must be changed at first sign-in):"))
    click.echo(f"    {issued.password}")


@admin_cli.command("reset-second-factor")
@click.option("--email", required=True, prompt="Email address",
              help="The account whose authenticator app is lost.")
@with_appcontext
def reset_second_factor(email: str) -> None:
    """Forget an account's authenticator app and recovery codes, and sign it out everywhere.

    For the administrator who has lost their own phone and recovery codes, when no other
    administrator can do it on the Staff pages. Recorded in the audit trail.
    """
    with db.writing() as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(_("No account has the email address %(email)s.",
                                         email=email))
        services.reset_second_factor(session, user, actor=None)
        name = user.display_name
    click.echo(_("%(name)s signs in with their password and sets up an authenticator app "
                 "again.", name=name))


@admin_cli.command("connect-system")
@click.option("--name", required=True, help="What the system is (shown in the audit trail).")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(sorted(SCOPES)), help="What it may do (repeat for more).")
@click.option("--team", "teams", multiple=True,
              help="A team whose children it may see, by name (repeat; none: every team).")
@click.option("--days", type=int, default=DEFAULT_DAYS, show_default=True,
              help="Days until the token stops working (at most 366).")
@with_appcontext
def connect_system(name: str, scopes: tuple[str, ...], teams: tuple[str, ...],
                   days: int) -> None:
    """Connect one of the council's systems to the API and print its token once (the
    command line's way to do what Admin > Connected systems does, for scripted set-ups)."""
    try:
        with db.writing() as session:
            found = {team.name: team.id for team in session.scalars(
                select(Team).where(Team.name.in_(teams)))}
            missing = sorted(set(teams) - set(found))
            if missing:
                raise click.ClickException(f"No team called: {', '.join(missing)}.")
            made = create_service_account(session, name=name, scopes=list(scopes),
                                          team_ids=list(found.values()), days=days)
            token, expires = made.token, made.account.expires_at
    except ServiceAccountProblem as problem:
        raise click.ClickException(problem.message) from problem
    until = expires.strftime("%Y-%m-%d %H:%M")
    click.echo(_("Connected: %(name)s, until %(when)s UTC.", name=name, when=until))
    click.echo(_("Token (shown only now; viewpoint keeps only a fingerprint of it):"))
    click.echo(f"    {token}")
