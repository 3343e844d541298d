"""Teams and the staff who sign in."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_column, utcnow


class Role(LabelledEnum):
    """What a member of staff does, and so what they may see."""

    SOCIAL_WORKER = "social_worker"
    TEAM_MANAGER = "team_manager"
    REVIEWING_OFFICER = "reviewing_officer"
    PANEL_MEMBER = "panel_member"
    ADMINISTRATOR = "administrator"
    #: Writes the council's own questionnaires, translates and records their words; sees
    #: no child.
    AUTHOR = "author"

    __labels__ = {
        "social_worker": _l("Social worker"),
        "team_manager": _l("Team manager"),
        "reviewing_officer": _l("Independent reviewing officer"),
        "panel_member": _l("Corporate parenting panel member"),
        "administrator": _l("Administrator"),
        "author": _l("Questionnaire author"),
    }


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name staff know the team by ("North Children in Care Team").
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: When the team was added.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class User(Base):
    """A member of staff. Children never have accounts; they use access codes."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sign-in name, stored lower-case so that it is unique whatever the case typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: The name shown to colleagues and, for a child's own worker, to the child.
    display_name: Mapped[str] = mapped_column(String(120))
    #: What the person does; decides what they may see.
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    #: The team a worker or manager belongs to; empty for panel members and administrators.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    #: argon2id hash of the password; empty until a password is set.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Set when an administrator gives a temporary password: the person must choose their
    #: own before they can do anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: A disabled account cannot sign in and its sessions end.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: When the account was created.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The shared secret (base32) of the person's authenticator app; empty until they set
    #: one up, and again after an administrator resets it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: When they set up their authenticator app.
    totp_enrolled_at: Mapped[datetime | None]
    #: The last 30-second step whose code was accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    team: Mapped[Team | None] = relationship(back_populates="members")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enrolled_at is not None and self.totp_secret is not None

    # Flask-Login's interface. The id Flask-Login keeps in the cookie is the token of the
    # server-side StaffSession (set at sign-in), never the user's id, so that ending the
    # session row ends every copy of the cookie.
    _session_token = None
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self._session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class StaffSession(Base):
    """One signed-in browser. Signing out, going idle, a disabled account or a changed
    password end it on the server, so a copied cookie stops working at once."""

    __tablename__ = "staff_session"
    __table_args__ = (Index("ix_staff_session_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random token in the browser's cookie (the token itself is not stored).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Who signed in.
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    #: When they signed in.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The last request made with it (updated at most once a minute).
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When it ended; empty while it can still be used.
    ended_at: Mapped[datetime | None]
    #: Why it ended ("signed_out", "idle", "expired", "disabled", "password_changed").
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    #: The address it was started from.
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<StaffSession {self.id} user {self.user_id}>"


class RecoveryCode(Base):
    """One of the codes a person keeps on paper in case their authenticator app is lost;
    each signs in once. Only a hash is kept: the codes are shown once, when made."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    #: SHA-256 of the code as typed without dashes (each code is 60 random bits).
    code_hash: Mapped[str] = mapped_column(String(64))
    #: When it was used to sign in; empty while it can still be used.
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")


def normalise_email(email: str) -> str:
    return email.strip().lower()

