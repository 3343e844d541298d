"""Settings come from the environment; production refuses unsafe ones."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from viewpoint import create_app
from viewpoint.config import SETTINGS, Config, UnsafeConfiguration, normalise_database_url

REPO = Path(__file__).resolve().parents[2]


def test_defaults_put_sqlite_under_instance(tmp_path: Path) -> None:
    config = Config.from_env({"INSTANCE_PATH": str(tmp_path)})
    assert config.database_url() == f"sqlite:///{tmp_path / 'viewpoint.sqlite3'}"


def test_postgres_urls_use_psycopg3_whatever_driver_is_named() -> None:
    assert normalise_database_url("postgresql://u:p@db/vp") == "postgresql+psycopg://u:p@db/vp"
    assert normalise_database_url("postgresql+psycopg2://u@db/vp") == "postgresql+psycopg://u@db/vp"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_local_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    config = Config.from_env({"INSTANCE_PATH": str(tmp_path)})
    first = config.secret_key()
    again = Config.from_env({"INSTANCE_PATH": str(tmp_path)}).secret_key()
    assert first == again and len(first) >= 40
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(ValueError, match="INVITATION_DAYS"):
        Config.from_env({"INVITATION_DAYS": "fortnight"})
    with pytest.raises(ValueError, match="SESSION_COOKIE_SECURE"):
        Config.from_env({"SESSION_COOKIE_SECURE": "maybe"})


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"DATABASE_URL": "postgresql://db/vp"}, "SECRET_KEY must be set"),
        ({"DATABASE_URL": "postgresql://db/vp", "SECRET_KEY": "short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "s" * 40}, "DATABASE_URL must be set"),
        ({"SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite:///x.db"}, "must point at PostgreSQL"),
        ({"SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://db/vp",
          "SESSION_COOKIE_SECURE": "false"}, "SESSION_COOKIE_SECURE"),
        ({"SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://db/vp"}, "PUBLIC_URL"),
        ({"SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://db/vp",
          "PUBLIC_URL": "http://viewpoint.example.gov.uk"}, "PUBLIC_URL"),
        ({"SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://db/vp",
          "PUBLIC_URL": "https://viewpoint.example.gov.uk", "SECOND_FACTOR_REQUIRED": "off"},
         "SECOND_FACTOR_REQUIRED"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(environ: dict[str, str],
                                                          complaint: str) -> None:
    config = Config.from_env({"VIEWPOINT_ENV": "production", **environ})
    with pytest.raises(UnsafeConfiguration, match=complaint):
        create_app(config)


def test_production_accepts_safe_settings_and_secures_cookies() -> None:
    config = Config.from_env({"VIEWPOINT_ENV": "production", "SECRET_KEY": "s" * 40,
                              "DATABASE_URL": "postgresql://vp@127.0.0.1:1/vp",
                              "PUBLIC_URL": "https://viewpoint.example.gov.uk"})
    config.check_safe_for_production()
    settings = config.flask_settings()
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_NAME"] == "__Host-viewpoint"
    assert settings["SECOND_FACTOR_REQUIRED"] is True


def test_a_second_factor_is_asked_for_outside_production_only_when_switched_on(
        tmp_path: Path) -> None:
    here = {"INSTANCE_PATH": str(tmp_path)}
    assert Config.from_env(here).flask_settings()["SECOND_FACTOR_REQUIRED"] is False
    assert Config.from_env({**here, "SECOND_FACTOR_REQUIRED": "on"}).flask_settings()[
        "SECOND_FACTOR_REQUIRED"] is True


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    table = {m.group(1) for m in re.finditer(r"^\| `([A-Z0-9_]+)` \|", readme, re.MULTILINE)}
    assert table == {name for name, *_ in SETTINGS}
