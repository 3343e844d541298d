"""Migrations are expand-then-contract, so that a rolling upgrade never stops the release
still running (docs/deploy.md, "Upgrading").

During an upgrade the new release's migration runs first, while the old release's servers
keep serving; then the servers are upgraded one at a time. So a migration may only *add*:
tables, nullable columns (or required ones with a server default), indexes. Anything the old
release would trip over (dropping or renaming a table or column, making a column required,
changing its type) waits for a later release, once nothing running uses the old shape, and
says so: the module sets ``CONTRACT`` to the reason (which release stopped using it).

Migrations up to 0013 were written before rolling upgrades were supported, and are not held
to this.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.deploy.cluster import NEXT_MIGRATION

VERSIONS = Path(__file__).resolve().parents[2] / "viewpoint" / "migrations" / "versions"
#: The first revision written for rolling upgrades.
ROLLING_FROM = 14

#: Operations that break the release still running, whatever their arguments.
_BREAKING = {"drop_table", "drop_column", "rename_table"}


def _calls(function: ast.FunctionDef) -> list[ast.Call]:
    return [node for node in ast.walk(function) if isinstance(node, ast.Call)]


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def contract_steps(source: str) -> list[str]:
    """What in a migration's ``upgrade()`` would stop the previous release, unless the module
    sets ``CONTRACT``: a list of findings (empty for an expand-only migration)."""
    module = ast.parse(source)
    if any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CONTRACT"
                                                 for t in node.targets)
           for node in module.body):
        return []
    upgrade = next((node for node in module.body
                    if isinstance(node, ast.FunctionDef) and node.name == "upgrade"), None)
    if upgrade is None:
        return ["no upgrade()"]
    found = []
    for call in _calls(upgrade):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else None
        if name in _BREAKING:
            found.append(f"op.{name}")
        elif name == "alter_column":
            if _is_false(_keyword(call, "nullable")):
                found.append("alter_column(nullable=False)")
            for changed in ("new_column_name", "type_"):
                if _keyword(call, changed) is not None:
                    found.append(f"alter_column({changed}=...)")
        elif name == "add_column":
            column = call.args[1] if len(call.args) > 1 else None
            if isinstance(column, ast.Call) and _is_false(_keyword(column, "nullable")) \
                    and _keyword(column, "server_default") is None:
                found.append("add_column(nullable=False) without a server default")
        elif name == "execute":
            statement = call.args[0] if call.args else None
            if isinstance(statement, ast.Constant) and isinstance(statement.value, str) \
                    and any(word in statement.value.upper()
                            for word in ("DROP ", "RENAME ", "SET NOT NULL")):
                found.append("op.execute(DROP/RENAME/SET NOT NULL)")
    return found


def _migrations() -> list[Path]:
    return sorted(path for path in VERSIONS.glob("[0-9]*.py")
                  if int(path.name.split("_", 1)[0]) >= ROLLING_FROM)


@pytest.mark.parametrize("path", _migrations() or [None])
def test_every_migration_since_rolling_upgrades_expands_only(path: Path | None) -> None:
    if path is None:
        assert not list(VERSIONS.glob(f"{ROLLING_FROM:04d}_*.py"))  # none written yet
        return
    assert contract_steps(path.read_text()) == [], path.name


def test_an_expand_step_passes() -> None:
    # The migration the deployment test's next build brings (a table, a nullable column).
    source = NEXT_MIGRATION.format(revision="0099", down="0098")
    assert contract_steps(source) == []
    with_default = source.replace('sa.String(length=32), nullable=True)',
                                  'sa.String(length=32), nullable=False, server_default="tablet")')
    assert contract_steps(with_default) == []


@pytest.mark.parametrize("change, finding", [
    ('op.drop_column("answer", "value")', "op.drop_column"),
    ('op.drop_table("feedback")', "op.drop_table"),
    ('op.rename_table("feedback", "comments")', "op.rename_table"),
    ('op.alter_column("answer", "given_at", nullable=False)', "alter_column(nullable=False)"),
    ('op.alter_column("answer", "value", new_column_name="given")',
     "alter_column(new_column_name=...)"),
    ('op.alter_column("answer", "value", type_=sa.Text())', "alter_column(type_=...)"),
    ('op.add_column("answer", sa.Column("device", sa.String(20), nullable=False))',
     "add_column(nullable=False) without a server default"),
    ('op.execute("ALTER TABLE answer DROP COLUMN given_at")',
     "op.execute(DROP/RENAME/SET NOT NULL)"),
])
def test_a_contract_step_is_found(change: str, finding: str) -> None:
    source = f"import sqlalchemy as sa\nfrom alembic import op\n\ndef upgrade():\n    {change}\n"
    assert contract_steps(source) == [finding]
    # ...unless the migration says why it is safe now.
    marked = source + '\nCONTRACT = "release 2027.3 stopped reading answer.value"\n'
    assert contract_steps(marked) == []
