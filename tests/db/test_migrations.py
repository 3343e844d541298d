"""Migrations build exactly the models' schema, and every one of them can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from viewpoint.config import normalise_database_url
from viewpoint.extensions import create_database_engine
from viewpoint.migrations import alembic_config
from viewpoint.models import Base


def _diff(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "compare_server_default": True,
            "render_as_batch": connection.dialect.name == "sqlite"})
        return compare_metadata(context, Base.metadata)


def test_migrating_an_empty_database_gives_exactly_the_models_schema(fresh_database: str) -> None:
    engine = create_database_engine(normalise_database_url(fresh_database))
    command.upgrade(alembic_config(engine), "head")
    assert _diff(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    engine.dispose()


def test_every_migration_downgrades_step_by_step(fresh_database: str) -> None:
    engine = create_database_engine(normalise_database_url(fresh_database))
    config = alembic_config(engine)
    command.upgrade(config, "head")
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    assert revisions, "no migrations found"
    for revision in revisions:  # newest first
        command.downgrade(config, revision.down_revision or "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    # ... and up again, so a downgrade leaves nothing behind that breaks the next upgrade.
    command.upgrade(config, "head")
    assert _diff(engine) == []
    engine.dispose()


def test_a_model_change_without_a_migration_is_noticed(fresh_database: str) -> None:
    """The check above can fail: a column added to the models shows up as a difference."""
    from sqlalchemy import Column, Integer, MetaData, Table

    engine = create_database_engine(normalise_database_url(fresh_database))
    command.upgrade(alembic_config(engine), "head")
    extended = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(extended)
    Table("team", extended, Column("colour", Integer), extend_existing=True)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), extended)
    assert any(change[0] == "add_column" and change[3].name == "colour" for change in diff)
    engine.dispose()


def test_audit_rows_written_before_the_chain_existed_are_chained_by_the_upgrade(
        fresh_database: str) -> None:
    import json

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from viewpoint.audit import verify_chain

    engine = create_database_engine(normalise_database_url(fresh_database))
    config = alembic_config(engine)
    command.upgrade(config, "0011")
    with engine.begin() as connection:
        for number in range(5):
            connection.execute(text(
                "INSERT INTO audit_event (occurred_at, action, child_id, detail) VALUES "
                "(:at, 'child.viewed', :child, :detail)"),
                {"at": f"2026-01-0{number + 1} 10:00:00.000000", "child": number,
                 "detail": json.dumps({"n": number})})
    command.upgrade(config, "head")
    with Session(engine) as session:
        found = verify_chain(session)
        assert found.broken is None and found.checked == 5
        # And a row changed afterwards is found, so the chaining was real.
        session.execute(text("UPDATE audit_event SET child_id = 99 WHERE child_id = 3"))
        assert verify_chain(session).broken is not None
        session.rollback()
    engine.dispose()


def test_authors_exist_only_from_their_migration_and_leave_switched_off(
        fresh_database: str) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = create_database_engine(normalise_database_url(fresh_database))
    config = alembic_config(engine)
    insert = text("INSERT INTO staff_user (email, display_name, role, must_change_password, "
                  "is_active, created_at) VALUES (:email, 'Ash Quill', 'author', false, true, "
                  "'2026-12-01 10:00:00')")
    command.upgrade(config, "0012")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"email": "early@example.test"})
    command.upgrade(config, "0013")
    with engine.begin() as connection:
        connection.execute(insert, {"email": "ash@example.test"})
    command.downgrade(config, "0012")
    with engine.connect() as connection:
        role, active = connection.execute(text(
            "SELECT role, is_active FROM staff_user WHERE email = 'ash@example.test'")).one()
    # Nobody keeps a role the older version does not know: the least one, switched off.
    assert role == "panel_member" and not active
    engine.dispose()
