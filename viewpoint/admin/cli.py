"""``viewpoint admin create``: the first administrator of a fresh installation.

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
from ..models import Role, User, normalise_email
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
