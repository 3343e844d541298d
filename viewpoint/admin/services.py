"""What an administrator can do to staff accounts and teams, one named operation each.

Every operation checks its input and raises :class:`AdminProblem` with a message staff can
read; every change it makes is written to the audit trail in the same transaction. None of
them commits: the request (or ``db.writing()`` in a command) does.

Two rules keep the service usable:

- An administrator cannot switch off their own account or take away their own
  administrator role, so there is always someone left who can put accounts right.
- A temporary password is random, shown once to whoever asked for it, and only its hash is
  kept; the person must choose their own before they can do anything else.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..auth.devices import clear_account_limit
from ..auth.passwords import hash_password
from ..auth.second_factor import remove as remove_second_factor
from ..auth.sessions import end_sessions_of
from ..models import Role, Team, User, normalise_email

#: Roles whose work is a team's children: they must belong to a team.
TEAM_ROLES = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})
#: Roles that see no child-level data and so belong to no team.
TEAMLESS_ROLES = frozenset({Role.PANEL_MEMBER, Role.ADMINISTRATOR, Role.AUTHOR})

#: Temporary passwords are read out or copied by hand, so they avoid look-alike characters
#: (no i, l, o, 0, 1). Sixteen characters from 31 give about 79 bits: far beyond guessing.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4
TEMPORARY_GROUP_LENGTH = 4

NAME_MAX = 120
EMAIL_MAX = 254
#: A practical check, not RFC 5322: something before one @, and a domain with a dot whose
#: labels are letters, digits and hyphens. It catches the typing mistakes that matter.
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SPACES = re.compile(r"\s+")


class AdminProblem(ValueError):
    """An administrator asked for something that cannot be done.

    ``str(problem)`` is a translated sentence for staff; ``field`` names the form field it
    is about (``"email"``, ``"team"``...), or is None when it is about the whole request.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class TemporaryPassword:
    """A user and the temporary password just given to them (shown once, never stored)."""

    user: User
    password: str


def generate_temporary_password() -> str:
    """A new random temporary password, grouped for copying: ``k7mq-x3pd-9tnw-hr4e``."""
    groups = ("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
              for _ in range(TEMPORARY_GROUPS))
    return "-".join(groups)


# --- checks ---------------------------------------------------------------------------------

def clean_name(value: str | None, *, field: str = "display_name") -> str:
    """``value`` with spaces tidied. Raises :class:`AdminProblem` if empty or too long."""
    name = _SPACES.sub(" ", value or "").strip()
    if not name:
        raise AdminProblem(_("Enter a name."), field)
    if len(name) > NAME_MAX:
        raise AdminProblem(_("Use at most %(count)d characters for the name.", count=NAME_MAX),
                           field)
    return name


def clean_email(session: Session, value: str | None) -> str:
    """The lower-case email for a new account. Raises :class:`AdminProblem` if it does not look
    like an email address or another account already has it (whatever its case)."""
    email = normalise_email(value or "")
    if not email:
        raise AdminProblem(_("Enter an email address."), "email")
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise AdminProblem(_("Enter an email address like name@council.gov.uk."), "email")
    if _email_taken(session, email):
        raise AdminProblem(_("Another account already uses %(email)s.", email=email), "email")
    return email


def _email_taken(session: Session, email: str) -> bool:
    # Emails are stored lower-case, but compare lower-case too in case a row predates that.
    return session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None


def check_team_for_role(role: Role, team: Team | None) -> None:
    """Raises :class:`AdminProblem` unless ``team`` suits ``role``: social workers and team
    managers need one; panel members and administrators see no child's record, so have none.
    Reviewing officers may have one or not."""
    if role in TEAM_ROLES and team is None:
        if role is Role.SOCIAL_WORKER:
            raise AdminProblem(_("Choose a team: a social worker works with a team's children."),
                               "team")
        raise AdminProblem(_("Choose a team: a team manager manages a team's children."), "team")
    if role in TEAMLESS_ROLES and team is not None:
        if role is Role.PANEL_MEMBER:
            raise AdminProblem(_("Panel members see totals only, so they do not belong to a team. "
                                 "Choose \"No team\"."), "team")
        if role is Role.AUTHOR:
            raise AdminProblem(_("Questionnaire authors see no children's records, so they do "
                                 "not belong to a team. Choose \"No team\"."), "team")
        raise AdminProblem(_("Administrators see no children's records, so they do not belong to "
                             "a team. Choose \"No team\"."), "team")


def _is_self(user: User, actor: User | None) -> bool:
    return actor is not None and actor.id == user.id


def _record(session: Session, action: str, user_or_team: Any, actor: User | None,
            detail: dict[str, Any]) -> None:
    audit.record(action, subject=user_or_team, actor=actor, detail=detail, session=session)


# --- accounts -------------------------------------------------------------------------------

def create_user(session: Session, *, email: str, display_name: str, role: Role,
                team: Team | None, actor: User | None) -> TemporaryPassword:
    """Add a member of staff with a temporary password they must change when they sign in.

    Raises :class:`AdminProblem` for a missing name, a malformed or already used email, or a
    team that does not suit the role.
    """
    name = clean_name(display_name)
    email = clean_email(session, email)
    check_team_for_role(role, team)
    password = generate_temporary_password()
    # By id rather than ``team=``: the new user joins the team's members only once it is saved,
    # so a refused save leaves nothing half-added in memory.
    user = User(email=email, display_name=name, role=role, team_id=team.id if team else None,
                password_hash=hash_password(password), must_change_password=True,
                is_active=True)
    try:
        # Two administrators adding the same person at once: the unique index decides, and
        # the loser gets the same message as if they had been second all along.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:
        raise AdminProblem(_("Another account already uses %(email)s.", email=email),
                           "email") from error
    _record(session, "admin.user_created", user, actor,
            {"role": role.value, "team_id": team.id if team else None})
    return TemporaryPassword(user, password)


def rename_user(session: Session, user: User, display_name: str, *, actor: User | None) -> bool:
    """Change the name colleagues see. Returns whether anything changed.

    Raises :class:`AdminProblem` for an empty or over-long name.
    """
    name = clean_name(display_name)
    if name == user.display_name:
        return False
    user.display_name = name
    _record(session, "admin.user_renamed", user, actor, {})
    return True


def change_role(session: Session, user: User, role: Role, *, team: Team | None,
                actor: User | None) -> bool:
    """Give ``user`` a new role, with the team that goes with it. Their sessions end, so the
    new permissions apply from their next sign-in. Returns whether anything changed.

    Raises :class:`AdminProblem` if the team does not suit the role, or if an administrator
    tries to give up their own administrator role.
    """
    if role is user.role:
        return change_team(session, user, team, actor=actor)
    if _is_self(user, actor) and user.role is Role.ADMINISTRATOR:
        raise AdminProblem(_("You cannot take away your own administrator role. Ask another "
                             "administrator, so that someone can always look after accounts."),
                           "role")
    check_team_for_role(role, team)
    old_role, old_team_id = user.role, user.team_id
    user.role = role
    user.team = team
    session.flush()
    _record(session, "admin.role_changed", user, actor,
            {"from": old_role.value, "to": role.value})
    if old_team_id != user.team_id:
        _record(session, "admin.team_changed", user, actor,
                {"from": old_team_id, "to": user.team_id})
    end_sessions_of(user, "role_changed")
    return True


def change_team(session: Session, user: User, team: Team | None, *,
                actor: User | None) -> bool:
    """Move ``user`` to ``team`` (or to no team). Returns whether anything changed.

    Raises :class:`AdminProblem` if the team does not suit the user's role.
    """
    new_id = team.id if team is not None else None
    if new_id == user.team_id:
        return False
    check_team_for_role(user.role, team)
    old_id = user.team_id
    user.team = team
    session.flush()
    _record(session, "admin.team_changed", user, actor, {"from": old_id, "to": new_id})
    return True


def disable_user(session: Session, user: User, *, actor: User | None) -> bool:
    """Switch an account off: it cannot sign in and its open sessions end now. Returns
    whether anything changed.

    Raises :class:`AdminProblem` if an administrator tries to switch off their own account.
    """
    if _is_self(user, actor):
        raise AdminProblem(_("You cannot switch off your own account. Ask another "
                             "administrator, so that someone can always look after accounts."),
                           "is_active")
    if not user.is_active:
        return False
    user.is_active = False
    ended = end_sessions_of(user, "disabled")
    _record(session, "admin.user_disabled", user, actor, {"sessions_ended": ended})
    return True


def enable_user(session: Session, user: User, *, actor: User | None) -> bool:
    """Switch an account back on (with the password it had). Returns whether anything changed."""
    if user.is_active:
        return False
    user.is_active = True
    _record(session, "admin.user_enabled", user, actor, {})
    return True


def reset_password(session: Session, user: User, *, actor: User | None) -> TemporaryPassword:
    """Give ``user`` a new temporary password, end every session they have, and forget the
    wrong passwords counted against the account (so that the new one works at once, even
    while someone elsewhere is guessing).

    Raises :class:`AdminProblem` if administrators try it on themselves (they change their own
    password on the password page, which asks for the current one).
    """
    if _is_self(user, actor):
        raise AdminProblem(_("To change your own password, use the Password page."))
    password = generate_temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    ended = end_sessions_of(user, "password_changed")
    clear_account_limit(session, user.email)
    _record(session, "admin.password_reset", user, actor, {"sessions_ended": ended})
    return TemporaryPassword(user, password)


def reset_second_factor(session: Session, user: User, *, actor: User | None) -> bool:
    """Forget ``user``'s authenticator app and recovery codes (a lost phone), end every
    session they have and forget the wrong tries counted against the account. They sign in
    with their password and, where the setting requires it, set up an app again before
    anything else. Returns whether they had one.

    Raises :class:`AdminProblem` if administrators try it on themselves from the Staff pages
    (someone who has lost their own phone asks another administrator, or whoever runs the
    server uses ``viewpoint admin reset-second-factor``).
    """
    if _is_self(user, actor):
        raise AdminProblem(_("Another administrator must reset your own sign-in security."))
    had = user.has_second_factor
    remove_second_factor(session, user)
    ended = end_sessions_of(user, "second_factor_changed")
    clear_account_limit(session, user.email)
    _record(session, "admin.second_factor_reset", user, actor,
            {"sessions_ended": ended, "had_second_factor": had})
    return had


def update_user(session: Session, user: User, *, display_name: str, role: Role,
                team: Team | None, is_active: bool, actor: User | None) -> list[str]:
    """Apply an edit form: name, role, team and whether the account is on, each change through
    its own operation (so each is checked and audited). Returns the audit actions written.

    Raises :class:`AdminProblem` on the first change that cannot be made; the request's
    transaction then rolls back the others.
    """
    done = []
    if rename_user(session, user, display_name, actor=actor):
        done.append("admin.user_renamed")
    if role is not user.role:
        if change_role(session, user, role, team=team, actor=actor):
            done.append("admin.role_changed")
    elif change_team(session, user, team, actor=actor):
        done.append("admin.team_changed")
    if is_active and enable_user(session, user, actor=actor):
        done.append("admin.user_enabled")
    if not is_active and disable_user(session, user, actor=actor):
        done.append("admin.user_disabled")
    return done


# --- teams ----------------------------------------------------------------------------------

def _clean_team_name(session: Session, value: str | None, *, except_id: int | None) -> str:
    name = _SPACES.sub(" ", value or "").strip()
    if not name:
        raise AdminProblem(_("Enter the team's name."), "name")
    if len(name) > NAME_MAX:
        raise AdminProblem(_("Use at most %(count)d characters for the team's name.",
                             count=NAME_MAX), "name")
    # Names differing only in capitals would look like the same team in every list.
    query = select(Team.id).where(func.lower(Team.name) == name.lower())
    if except_id is not None:
        query = query.where(Team.id != except_id)
    if session.scalar(query) is not None:
        raise AdminProblem(_("There is already a team called %(name)s.", name=name), "name")
    return name


def create_team(session: Session, name: str, *, actor: User | None) -> Team:
    """Add a team. Raises :class:`AdminProblem` for an empty, over-long or already used name."""
    name = _clean_team_name(session, name, except_id=None)
    team = Team(name=name)
    try:
        with session.begin_nested():
            session.add(team)
            session.flush()
    except IntegrityError as error:
        raise AdminProblem(_("There is already a team called %(name)s.", name=name),
                           "name") from error
    _record(session, "admin.team_created", team, actor, {})
    return team


def rename_team(session: Session, team: Team, name: str, *, actor: User | None) -> bool:
    """Rename a team. Returns whether anything changed.

    Raises :class:`AdminProblem` for an empty, over-long or already used name.
    """
    name = _clean_team_name(session, name, except_id=team.id)
    old = team.name
    if name == old:
        return False
    try:
        with session.begin_nested():
            team.name = name
            session.flush()
    except IntegrityError as error:
        raise AdminProblem(_("There is already a team called %(name)s.", name=name),
                           "name") from error
    _record(session, "admin.team_renamed", team, actor, {"from": old, "to": name})
    return True
