"""Service accounts: the council's other systems calling the API with a token of their own.

An administrator creates one for each system, chooses what it may do (its scopes) and
whose children it may see (its teams), and gives the token to whoever runs that system.
The token is shown once; only its SHA-256 is kept (it is 256 random bits, so a fast hash is
enough, and looking it up costs one indexed read per call). A token stops working when it
expires or is withdrawn, whichever is first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..models import Child, ServiceAccount, Team, User, utcnow
from . import Refusal

#: What a token may be allowed to do, with what an administrator reads on the form.
SCOPES = {
    "children:read": _l("Read children, their plans and reviews"),
    "children:write": _l("Add and change children, plans and reviews"),
    "invitations:read": _l("Read which questionnaires were sent (never the codes)"),
    "invitations:write": _l("Send questionnaires and cancel codes"),
    "responses:read": _l("Read children's answers"),
    "alerts:read": _l("Read safeguarding alerts"),
    "totals:read": _l("Read the dashboards' published, anonymised figures"),
}

#: Every token starts with this, so that a leaked one is recognised by secret scanners.
TOKEN_PREFIX = "vpt_"  # noqa: S105 (a prefix, not a secret)
NAME_MAX = 120
#: The longest a token may live: a year, so that forgotten tokens die on their own.
LONGEST_DAYS = 366
DEFAULT_DAYS = 90
DEFAULT_CALLS_PER_MINUTE = 120
MOST_CALLS_PER_MINUTE = 6000


class ServiceAccountProblem(Refusal):
    """An administrator asked for something that cannot be made (see :class:`Refusal`)."""


@dataclass(frozen=True)
class NewToken:
    """A service account and its token, which is shown this once and never kept."""

    account: ServiceAccount
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_service_account(session: Session, *, name: str, scopes: list[str],
                           team_ids: list[int], days: int = DEFAULT_DAYS,
                           calls_per_minute: int = DEFAULT_CALLS_PER_MINUTE,
                           actor: User | None = None) -> NewToken:
    """Make a service account and its token.

    Raises :class:`ServiceAccountProblem` for an empty or taken name, no scope or an unknown
    one, a team that does not exist, a lifetime outside 1..366 days, or a rate outside
    1..6000 calls a minute.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ServiceAccountProblem(_("Give the system a name people will recognise."), "name")
    if len(name) > NAME_MAX:
        raise ServiceAccountProblem(ngettext("The name can be at most %(num)d character.",
                                             "The name can be at most %(num)d characters.",
                                             NAME_MAX), "name")
    if not scopes:
        raise ServiceAccountProblem(_("Choose at least one thing the system may do."), "scopes")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ServiceAccountProblem(_("These are not things a system can be allowed to do: "
                                      "%(scopes)s.", scopes=", ".join(unknown)), "scopes")
    found = set(session.scalars(select(Team.id).where(Team.id.in_(team_ids)))) if team_ids \
        else set()
    if set(team_ids) - found:
        raise ServiceAccountProblem(_("Choose teams from the list."), "teams")
    if not 1 <= days <= LONGEST_DAYS:
        raise ServiceAccountProblem(ngettext("A token can last from 1 to %(num)d day.",
                                             "A token can last from 1 to %(num)d days.",
                                             LONGEST_DAYS), "days")
    if not 1 <= calls_per_minute <= MOST_CALLS_PER_MINUTE:
        raise ServiceAccountProblem(ngettext("Allow from 1 to %(num)d call a minute.",
                                             "Allow from 1 to %(num)d calls a minute.",
                                             MOST_CALLS_PER_MINUTE), "calls_per_minute")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    account = ServiceAccount(
        name=name, token_hash=hash_token(token), token_hint=token[:10],
        scopes=[scope for scope in SCOPES if scope in scopes], team_ids=sorted(found),
        expires_at=utcnow() + timedelta(days=days), calls_per_minute=calls_per_minute,
        created_by_id=actor.id if actor is not None else None)
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError as error:
        raise ServiceAccountProblem(_("Another system already has this name."), "name") \
            from error
    audit.record("service_account.created", subject=account, actor=actor, session=session,
                 detail={"name": name, "scopes": account.scopes, "teams": account.team_ids,
                         "days": days})
    return NewToken(account, token)


def revoke_service_account(session: Session, account: ServiceAccount, *,
                           actor: User | None = None) -> bool:
    """Withdraw the token at once. False if it was withdrawn already."""
    if account.revoked_at is not None:
        return False
    account.revoked_at = utcnow()
    audit.record("service_account.revoked", subject=account, actor=actor, session=session,
                 detail={"name": account.name})
    return True


def find_by_token(session: Session, token: str) -> ServiceAccount | None:
    """The service account whose token this is, if any (expired and withdrawn ones too: the
    caller says why they are refused)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    account = session.scalar(select(ServiceAccount).where(ServiceAccount.token_hash == digest))
    # The lookup is by an indexed hash; comparing again in constant time costs nothing.
    if account is None or not hmac.compare_digest(account.token_hash, digest):
        return None
    return account


def is_usable(account: ServiceAccount, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return account.revoked_at is None and account.expires_at > now


def sees_team(account: ServiceAccount, team_id: int) -> bool:
    """Whether the account's team limit lets it see a team's children."""
    return not account.team_ids or team_id in account.team_ids


def sees_child(account: ServiceAccount, child: Child) -> bool:
    return sees_team(account, child.team_id)


def list_service_accounts(session: Session) -> list[ServiceAccount]:
    return list(session.scalars(select(ServiceAccount).order_by(
        ServiceAccount.revoked_at.is_not(None), ServiceAccount.name)))
