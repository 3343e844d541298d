"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Expand only: the release before this one keeps running on the migrated database during a
rolling upgrade (docs/deploy.md). Add tables, nullable columns and indexes; a column that is
required gets a server default. Dropping or renaming, and making a column required, come in
a later release, once no running release uses the old shape: such a migration sets
CONTRACT to say which release stopped using it (tests/unit/test_migration_rules.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
import viewpoint.models.base

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
