"""Alembic's entry point: migrates the engine handed over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from viewpoint.extensions import IMMEDIATE
from viewpoint.models import Base

config = context.config
engine = config.attributes["engine"]


def run_migrations() -> None:
    with engine.connect() as connection:
        connection = connection.execution_options(**{IMMEDIATE: True})
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            compare_server_default=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations()
