"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from viewpoint.config import Config, normalise_database_url
from viewpoint.extensions import create_database_engine
from viewpoint.migrations import alembic_config


def make_config(database_url: str, instance: Path, **extra: object) -> Config:
    return Config(VIEWPOINT_ENV="test", DATABASE_URL=database_url, SECRET_KEY="t" * 48,
                  INSTANCE_PATH=str(instance), extra=dict(extra))


def migrate(url: str, revision: str = "head") -> None:
    engine = create_database_engine(normalise_database_url(url))
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        engine.dispose()
