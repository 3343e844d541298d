"""One settings object, read from the environment.

Every setting has a name, a type, a default and a sentence saying what it is for;
the README's configuration table is checked against this list by a test, so the
two cannot drift apart.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from .storage import s3_location

#: The package's own folder.
PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Where ``templates``, ``static`` or ``translations`` are.

    In a wheel they travel inside the package; in a checkout they sit at the top
    of the repository, beside the package.
    """
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name



class UnsafeConfiguration(RuntimeError):
    """Raised when production would start with settings that put children's data at risk."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


#: (environment variable, type, default, what it is for). The order is the README table's order.
SETTINGS: list[tuple[str, type, object, str]] = [
    ("VIEWPOINT_ENV", str, "development",
     "`development`, `test` or `production`. Production refuses unsafe settings."),
    ("DATABASE_URL", str, None,
     "SQLAlchemy URL. Default: SQLite file `instance/viewpoint.sqlite3`. "
     "PostgreSQL: `postgresql://user:password@host/dbname` (psycopg 3)."),
    ("SECRET_KEY", str, None,
     "Signs sessions and CSRF tokens. Generated once into `instance/secret_key` for local use; "
     "required (32+ characters) in production."),
    ("INSTANCE_PATH", str, None,
     "Folder for the SQLite file and the generated secret. "
     "Default: `instance/` in the working directory."),
    ("SQLITE_BUSY_TIMEOUT_MS", int, 30000,
     "How long an SQLite writer waits for another writer before giving up."),
    ("SESSION_COOKIE_SECURE", _bool, None,
     "Send cookies over HTTPS only. Default: on in production, off otherwise."),
    ("QUESTIONNAIRE_DIR", str, None,
     "Folder of questionnaire definitions (YAML). "
     "Default: the definitions shipped in the package."),
    ("DEFAULT_LOCALE", str, "en", "Language used when nothing else chooses one."),
    ("INVITATION_DAYS", int, 14, "Days an access code works after it is issued."),
    ("RESPONDENT_IDLE_MINUTES", int, 20,
     "A child's session ends after this long without activity (answers are kept)."),
    ("ANSWER_BATCH_MS", int, 3000,
     "How long a child's page waits after an answer for more before saving them together "
     "(at most four times this after the first; at once when the page is left or hidden). "
     "Every answer is kept on the tablet from the moment it is given."),
    ("CODE_FAILURES_PER_CLIENT", int, 10,
     "Wrong codes one address may try per window at full speed; after that it may try once "
     "every CODE_RETRY_SECONDS (a children's home is one address for many children)."),
    ("CODE_RETRY_SECONDS", int, 30,
     "How long an address that has used up CODE_FAILURES_PER_CLIENT waits between tries."),
    ("CODE_FAILURE_WINDOW_MINUTES", int, 15, "The window for CODE_FAILURES_PER_CLIENT."),
    ("CODE_ENTRIES_PER_HOUR", int, 30,
     "Times one code may be entered per hour (limits a leaked code; a child needs a few)."),
    ("PROXY_COUNT", int, 0,
     "Reverse proxies in front of the app whose X-Forwarded-For is trusted "
     "(for client addresses)."),
    ("LOG_LEVEL", str, "INFO", "Python logging level for the app's own messages."),
    ("PUBLIC_URL", str, None,
     "The address children and staff use (`https://viewpoint.example.gov.uk`), for the QR "
     "code on a child's card and links in emails. Required in production; elsewhere the "
     "address of the request."),
    ("STAFF_IDLE_MINUTES", int, 30, "A member of staff is signed out after this long idle."),
    ("STAFF_SESSION_HOURS", int, 10,
     "A member of staff is signed out this long after signing in, however active."),
    ("SIGNIN_FAILURES_PER_ACCOUNT", int, 5,
     "Wrong passwords for one account per window from browsers it has never signed in on, "
     "before those must wait (browsers it has signed in on have their own allowance)."),
    ("SIGNIN_FAILURES_PER_DEVICE", int, 5,
     "Wrong passwords per window from a browser that has signed in as that person before."),
    ("SIGNIN_FAILURES_PER_ADDRESS", int, 30,
     "Wrong passwords per window from one address, for browsers that have never signed in "
     "(someone trying many accounts)."),
    ("SIGNIN_FAILURE_WINDOW_MINUTES", int, 15, "The window for SIGNIN_FAILURES_PER_ACCOUNT."),
    ("SECOND_FACTOR_REQUIRED", _bool, None,
     "Every member of staff must set up an authenticator app (a code from it, or a recovery "
     "code, after the password) before they can do anything else. Default: on in production "
     "(which refuses it off), off otherwise."),
    ("OIDC_ISSUER", str, None,
     "The council's identity provider for staff sign-in through OpenID Connect (its issuer "
     "address, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`, "
     "`https://accounts.google.com`, or a Keycloak realm). Empty: passwords only."),
    ("OIDC_CLIENT_ID", str, None, "viewpoint's client id at the identity provider."),
    ("OIDC_CLIENT_SECRET", str, None, "viewpoint's client secret at the identity provider."),
    ("OIDC_ALLOWED_DOMAINS", str, None,
     "Email domains whose people may sign in through the identity provider, separated by "
     "commas (`council.gov.uk,partner.nhs.uk`). Required with OIDC_ISSUER."),
    ("OIDC_CREATE_ACCOUNTS", _bool, False,
     "Make an account at first sign-in for someone of an allowed domain who has none. It is "
     "switched off until an administrator gives it a role, unless OIDC_GROUP_ROLES gives one."),
    ("OIDC_GROUP_CLAIM", str, "groups",
     "The claim of the ID token that lists the person's groups (for OIDC_GROUP_ROLES)."),
    ("OIDC_GROUP_ROLES", str, None,
     "Roles and teams from the identity provider's groups, instead of set in viewpoint: "
     "`group=role` or `group=role@Team name`, separated by `;` (the first group that matches "
     "wins; roles: social_worker, team_manager, reviewing_officer, panel_member, "
     "administrator). Empty: roles and teams are set in viewpoint."),
    ("LOCAL_PASSWORDS", _bool, True,
     "Staff may sign in with a viewpoint password. Switch off once everyone signs in through "
     "the identity provider; refused without OIDC_ISSUER, so nobody is locked out."),
    ("SMTP_HOST", str, None, "Mail server for alert emails. Empty: no emails are queued."),
    ("SMTP_PORT", int, 25, "Mail server port."),
    ("SMTP_USERNAME", str, None, "Mail server user name, if it needs one."),
    ("SMTP_PASSWORD", str, None, "Mail server password, if it needs one."),
    ("SMTP_STARTTLS", _bool, False, "Upgrade the mail connection with STARTTLS."),
    ("MAIL_FROM", str, "viewpoint@localhost", "The sender address on emails."),
    ("AUDIO_DIR", str, None,
     "Folder of read-aloud audio (unless AUDIO_STORE names another store): `generated/` "
     "(made by `viewpoint audio build`), `pages/` "
     "(a page's words, made when first needed) and "
     "`recorded/` (people's recordings, used instead), a folder per language in each. "
     "Default: `audio/` in the instance folder."),
    ("AUDIO_STORE", str, None,
     "Where read-aloud audio is kept, so that every app server hears the same recordings. "
     "Empty: the folder AUDIO_DIR (one server, or a folder every server mounts). "
     "`s3://bucket/optional/prefix`: an S3-compatible store (Amazon S3, MinIO, Ceph), with "
     "credentials from where boto3 finds them: the `AWS_ACCESS_KEY_ID` and "
     "`AWS_SECRET_ACCESS_KEY` environment variables, a profile, or the server's instance role."),
    ("AUDIO_S3_ENDPOINT", str, None,
     "The address of the S3-compatible service (MinIO, Ceph) holding AUDIO_STORE's bucket "
     "(`https://minio.council.internal:9000`). Empty: Amazon S3."),
    ("AUDIO_S3_REGION", str, "eu-west-2", "The S3 region of AUDIO_STORE's bucket."),
    ("COUNCIL_NAME", str, None,
     "The council's name, as the accessibility statement names who runs the service "
     "(`Northtown Council`). Empty: \"The council\"."),
    ("ACCESSIBILITY_CONTACT", str, None,
     "Where people report an accessibility problem (an email address or phone number), "
     "shown in the accessibility statement."),
    ("DATA_PROTECTION_CONTACT", str, None,
     "How to reach the council's data protection officer (an email address or phone "
     "number), shown in the children's privacy notice for 12 and over."),
    ("DASHBOARD_MIN_CHILDREN", int, 10,
     "A group's share is shown only when at least this many children (by the published, "
     "rounded count) are counted in it; smaller groups are withheld. At least 6; production "
     "refuses less than 10."),
]


@dataclass
class Config:
    """Settings for one app. Build it with :meth:`from_env`; tests build it directly."""

    VIEWPOINT_ENV: str = "development"
    DATABASE_URL: str | None = None
    SECRET_KEY: str | None = None
    INSTANCE_PATH: str | None = None
    SQLITE_BUSY_TIMEOUT_MS: int = 30000
    SESSION_COOKIE_SECURE: bool | None = None
    QUESTIONNAIRE_DIR: str | None = None
    DEFAULT_LOCALE: str = "en"
    INVITATION_DAYS: int = 14
    RESPONDENT_IDLE_MINUTES: int = 20
    ANSWER_BATCH_MS: int = 3000
    CODE_FAILURES_PER_CLIENT: int = 10
    CODE_RETRY_SECONDS: int = 30
    CODE_FAILURE_WINDOW_MINUTES: int = 15
    CODE_ENTRIES_PER_HOUR: int = 30
    PROXY_COUNT: int = 0
    LOG_LEVEL: str = "INFO"
    PUBLIC_URL: str | None = None
    STAFF_IDLE_MINUTES: int = 30
    STAFF_SESSION_HOURS: int = 10
    SIGNIN_FAILURES_PER_ACCOUNT: int = 5
    SIGNIN_FAILURES_PER_DEVICE: int = 5
    SIGNIN_FAILURES_PER_ADDRESS: int = 30
    SIGNIN_FAILURE_WINDOW_MINUTES: int = 15
    SECOND_FACTOR_REQUIRED: bool | None = None
    COUNCIL_NAME: str | None = None
    ACCESSIBILITY_CONTACT: str | None = None
    DATA_PROTECTION_CONTACT: str | None = None
    OIDC_ISSUER: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_ALLOWED_DOMAINS: str | None = None
    OIDC_CREATE_ACCOUNTS: bool = False
    OIDC_GROUP_CLAIM: str = "groups"
    OIDC_GROUP_ROLES: str | None = None
    LOCAL_PASSWORDS: bool = True
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS: bool = False
    MAIL_FROM: str = "viewpoint@localhost"
    AUDIO_DIR: str | None = None
    AUDIO_STORE: str | None = None
    AUDIO_S3_ENDPOINT: str | None = None
    AUDIO_S3_REGION: str = "eu-west-2"
    DASHBOARD_MIN_CHILDREN: int = 10
    #: Extra Flask settings a test wants to set (e.g. WTF_CSRF_ENABLED).
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Config:
        """Read every setting in :data:`SETTINGS` from ``environ``.

        Raises ``ValueError`` naming the variable when a value cannot be read.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, kind, default, _ in SETTINGS:
            raw = environ.get(name)
            if raw is None or raw == "":
                values[name] = default
                continue
            try:
                values[name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        if int(values["DASHBOARD_MIN_CHILDREN"]) < 6:  # type: ignore[call-overload]
            raise ValueError("DASHBOARD_MIN_CHILDREN: must be at least 6")
        return cls(**values)

    @property
    def is_production(self) -> bool:
        return self.VIEWPOINT_ENV == "production"

    def instance_path(self) -> Path:
        return Path(self.INSTANCE_PATH or Path.cwd() / "instance").resolve()

    def database_url(self) -> str:
        """The URL SQLAlchemy connects to, with the psycopg 3 driver for PostgreSQL."""
        url = self.DATABASE_URL or f"sqlite:///{self.instance_path() / 'viewpoint.sqlite3'}"
        return normalise_database_url(url)

    def secret_key(self) -> str:
        """The configured secret, or (outside production) one generated once and kept on disk."""
        if self.SECRET_KEY:
            return self.SECRET_KEY
        if self.is_production:
            raise UnsafeConfiguration("SECRET_KEY must be set in production.")
        path = self.instance_path() / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written with 0600 so other local users cannot forge sessions.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def sign_in_problems(self) -> list[str]:
        """What is wrong with the sign-in settings, in any environment: a council must never
        start a server nobody can sign in to."""
        problems = []
        if not self.LOCAL_PASSWORDS and not self.OIDC_ISSUER:
            problems.append("LOCAL_PASSWORDS cannot be switched off without OIDC_ISSUER "
                            "(nobody could sign in)")
        if self.OIDC_ISSUER:
            if not (self.OIDC_CLIENT_ID and self.OIDC_CLIENT_SECRET):
                problems.append("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
            if not (self.OIDC_ALLOWED_DOMAINS or "").strip(" ,"):
                problems.append("OIDC_ISSUER needs OIDC_ALLOWED_DOMAINS")
        return problems

    def audio_store_problems(self) -> list[str]:
        """What is wrong with where read-aloud audio is kept, in any environment: a server
        that cannot reach it would serve children no audio."""
        problems = []
        if (self.AUDIO_STORE or "").strip():
            try:
                s3_location(self.AUDIO_STORE or "")
            except ValueError:
                problems.append("AUDIO_STORE must be empty (the folder AUDIO_DIR) or "
                                "s3://bucket/optional/prefix (a bucket name of 3 to 63 "
                                "lower-case letters, digits, dots and hyphens), not "
                                f"{self.AUDIO_STORE!r}")
        endpoint = (self.AUDIO_S3_ENDPOINT or "").strip()
        if endpoint and not endpoint.startswith(("https://", "http://")):
            problems.append(f"AUDIO_S3_ENDPOINT must be an http:// or https:// address, not "
                            f"{endpoint!r}")
        return problems

    def check_safe_for_production(self) -> None:
        """Refuse settings that would expose children's data in production, and (anywhere)
        sign-in settings nobody could sign in with or an audio store that is no store.

        Raises :class:`UnsafeConfiguration` listing every problem found.
        """
        if not self.is_production:
            if problems := self.sign_in_problems() + self.audio_store_problems():
                raise UnsafeConfiguration("Refusing to start: " + "; ".join(problems) + ".")
            return
        problems = self.sign_in_problems() + self.audio_store_problems()
        if self.OIDC_ISSUER and not self.OIDC_ISSUER.startswith("https://"):
            problems.append("OIDC_ISSUER must be an https:// address in production")
        if not self.SECRET_KEY or len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be set to at least 32 random characters")
        if not self.DATABASE_URL:
            problems.append("DATABASE_URL must be set (PostgreSQL is the production database)")
        elif make_url(normalise_database_url(self.DATABASE_URL)).get_backend_name() != "postgresql":
            problems.append("DATABASE_URL must point at PostgreSQL in production")
        if self.DASHBOARD_MIN_CHILDREN < 10:
            problems.append("DASHBOARD_MIN_CHILDREN cannot be below 10 in production")
        if self.SESSION_COOKIE_SECURE is False:
            problems.append("SESSION_COOKIE_SECURE cannot be switched off in production")
        if self.SECOND_FACTOR_REQUIRED is False:
            problems.append("SECOND_FACTOR_REQUIRED cannot be switched off in production")
        # The QR code on a child's card and the links in emails must not take whatever Host
        # header a request arrived with.
        if not self.PUBLIC_URL or not self.PUBLIC_URL.startswith("https://"):
            problems.append("PUBLIC_URL must be set to the https:// address people use")
        if self.extra.get("WTF_CSRF_ENABLED") is False or self.extra.get("TESTING"):
            problems.append("testing switches (no CSRF, TESTING) cannot be used in production")
        if problems:
            raise UnsafeConfiguration("Refusing to start: " + "; ".join(problems) + ".")

    def flask_settings(self) -> dict[str, object]:
        """The settings Flask and its extensions read from ``app.config``."""
        secure = self.SESSION_COOKIE_SECURE
        if secure is None:
            secure = self.is_production
        settings: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)
                                       if f.name != "extra"}
        settings.update(
            SECRET_KEY=self.secret_key(),
            SQLALCHEMY_URL=self.database_url(),
            SESSION_COOKIE_SECURE=secure,
            SECOND_FACTOR_REQUIRED=(self.is_production if self.SECOND_FACTOR_REQUIRED is None
                                    else self.SECOND_FACTOR_REQUIRED),
            # Over HTTPS the "__Host-" prefix makes the browser keep the cookie to this exact
            # site (no Domain, path /, Secure): no sibling subdomain can set or read it.
            SESSION_COOKIE_NAME="__Host-viewpoint" if secure else "session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
            BABEL_DEFAULT_LOCALE=self.DEFAULT_LOCALE,
            # Staff read times as the clock on their wall shows them.
            BABEL_DEFAULT_TIMEZONE="Europe/London",
            WTF_CSRF_TIME_LIMIT=None,
            MAX_CONTENT_LENGTH=2 * 1024 * 1024,
            TESTING=self.VIEWPOINT_ENV == "test",
        )
        settings.update(self.extra)
        return settings


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver (if any) the URL names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)
