"""``viewpoint admin create``: the first administrator of a fresh installation.

Nothing in viewpoint creates accounts by itself (demo data apart), so somebody with access
to the server adds the first administrator here; that person adds everyone else on the
Staff pages. The temporary password is printed once and must be changed at first sign-in.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..extensions import db
from ..models import Role
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
