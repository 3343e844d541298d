"""Staff sign in with the council's own accounts, through OpenID Connect.

The authorization code flow with PKCE, through Authlib's Flask client: viewpoint sends the
person to the council's identity provider (Microsoft Entra ID, Google Workspace, Keycloak...)
with a state, a nonce and a code challenge kept in the signed session cookie, and takes
back a code it exchanges for an ID token whose signature, issuer, audience, expiry and
nonce Authlib checks against the provider's published keys.

Who may come in is decided here, not by the provider alone:

- the email must be of one of ``OIDC_ALLOWED_DOMAINS`` (and not marked unverified);
- the account is found by that email; if there is none it is made only when
  ``OIDC_CREATE_ACCOUNTS`` is on, and then switched off until an administrator gives it a
  role and team, unless ``OIDC_GROUP_ROLES`` gives them from the person's groups;
- with ``OIDC_GROUP_ROLES`` set, the groups decide the role and team at every sign-in, and
  someone in none of the listed groups is refused;
- a switched-off account stays out, whatever the provider says.

The provider is trusted for the second factor (councils enforce it there), so a person who
signed in this way is not asked to set up an authenticator app in viewpoint. Signing out
ends viewpoint's session and then the provider's (RP-initiated logout), so the next person
at a shared computer is asked for their password again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Role, Team, User, normalise_email

#: The provider's name in Authlib's registry.
PROVIDER = "council"
#: The session cookie's key saying this sign-in came through the identity provider.
SIGNED_IN_WITH = "signed_in_with"
#: The ID token, kept for signing out of the provider too.
ID_TOKEN = "oidc_id_token"  # noqa: S105 (a cookie key, not a secret)


class SignInRefused(Exception):
    """The identity provider vouched for someone viewpoint does not let in. ``str()`` is a
    translated sentence for the sign-in page; ``reason`` is for the audit trail."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def is_enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("OIDC_ISSUER"))


def init_oidc(app: Flask) -> None:
    """Register the council's provider, if one is configured. Its discovery document is
    read on first use, not at start-up, so the app starts while the provider is away.
    Raises ``ValueError`` for an ``OIDC_GROUP_ROLES`` that cannot be read."""
    if not is_enabled(app):
        return
    with app.app_context():
        group_roles()  # a mistake in OIDC_GROUP_ROLES stops the start, not a sign-in later
    oauth = app.extensions["viewpoint.oauth"] = OAuth(app)
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    parts = urlsplit(issuer)
    app.config["VIEWPOINT_FORM_ACTION_ORIGIN"] = f"{parts.scheme}://{parts.netloc}"
    oauth.register(
        PROVIDER, client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                       "timeout": 10})


def client() -> Any:
    """Authlib's client for the council's provider (one per app)."""
    return current_app.extensions["viewpoint.oauth"].create_client(PROVIDER)


def allowed_domains() -> set[str]:
    return {domain.strip().lower().lstrip("@")
            for domain in (current_app.config.get("OIDC_ALLOWED_DOMAINS") or "").split(",")
            if domain.strip()}


@dataclass(frozen=True)
class GroupRole:
    role: Role
    team: str | None


def group_roles() -> list[tuple[str, GroupRole]]:
    """``OIDC_GROUP_ROLES`` read: (group, role and team), in the order given. Raises
    ``ValueError`` naming a part that cannot be read."""
    mapping = []
    for part in (current_app.config.get("OIDC_GROUP_ROLES") or "").split(";"):
        if not part.strip():
            continue
        group, _, rest = part.partition("=")
        role, _, team = rest.partition("@")
        try:
            mapping.append((group.strip(), GroupRole(Role(role.strip()), team.strip() or None)))
        except ValueError:
            raise ValueError(f"OIDC_GROUP_ROLES: cannot read {part.strip()!r}") from None
    return mapping


def _role_from_groups(session: Session, claims: dict[str, Any]) -> tuple[Role, Team | None]:
    groups = claims.get(current_app.config.get("OIDC_GROUP_CLAIM") or "groups") or []
    if isinstance(groups, str):
        groups = [groups]
    for group, given in group_roles():
        if group in groups:
            team = session.scalar(select(Team).where(Team.name == given.team)) \
                if given.team else None
            if given.team and team is None:
                raise SignInRefused(_("Your group gives a team viewpoint does not have. Ask an "
                                      "administrator."), "unknown_team")
            return given.role, team
    raise SignInRefused(_("Your council account is not in a group that uses viewpoint. Ask "
                          "an administrator."), "no_group")


def account_for(session: Session, claims: dict[str, Any]) -> User:
    """The account the ID token's ``claims`` sign in as (made if the settings allow).

    Raises :class:`SignInRefused` for no email, an unverified one, a domain not allowed, no
    account (when none may be made), an account switched off, or no matching group.
    """
    email = normalise_email(str(claims.get("email") or ""))
    if not email or "@" not in email:
        raise SignInRefused(_("Your council account did not give viewpoint an email address. "
                              "Ask an administrator."), "no_email")
    if claims.get("email_verified") is False:
        raise SignInRefused(_("Your council account's email address is not verified."),
                            "unverified_email")
    if email.rpartition("@")[2] not in allowed_domains():
        raise SignInRefused(_("Accounts of %(domain)s cannot sign in to viewpoint.",
                              domain=email.rpartition("@")[2]), "domain_not_allowed")
    user = session.scalar(select(User).where(User.email == email))
    by_groups = bool(group_roles())
    if user is None:
        if not current_app.config.get("OIDC_CREATE_ACCOUNTS"):
            raise SignInRefused(_("There is no viewpoint account for %(email)s. Ask an "
                                  "administrator to add you.", email=email), "no_account")
        role, team = _role_from_groups(session, claims) if by_groups else (
            Role.PANEL_MEMBER, None)
        name = " ".join(str(claims.get("name") or email.partition("@")[0]).split())[:120]
        # Without groups to say what the person does, the account waits, switched off,
        # for an administrator to choose a role and team: nobody gets a role by default.
        user = User(email=email, display_name=name or email, role=role, team=team,
                    password_hash=None, is_active=by_groups)
        session.add(user)
        session.flush()
        audit.record("account.created_at_signin", actor=user, session=session,
                     detail={"role": role.value if by_groups else None})
        if not by_groups:
            raise SignInRefused(_("Your viewpoint account has been made. An administrator must "
                                  "give it a role before you can use it."), "waiting_for_role")
    elif by_groups:
        role, team = _role_from_groups(session, claims)
        if (user.role, user.team_id) != (role, team.id if team else None):
            audit.record("account.role_from_groups", actor=user, session=session, detail={
                "from": user.role.value, "to": role.value})
            user.role, user.team = role, team
    if not user.is_active:
        raise SignInRefused(_("Your account has been switched off. Ask an administrator if "
                              "this is wrong."), "disabled")
    return user

